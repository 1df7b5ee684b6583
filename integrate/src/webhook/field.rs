//! Reads one top-level field of a JSON payload as a delivery id, without
//! building the whole document.

use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

/// The value of the top-level field `name` of the JSON object in `body`,
/// when it is a non-empty string or a number (as its decimal text).
pub(crate) fn field_as_id(body: &[u8], name: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    de.deserialize_map(FieldVisitor { name }).ok().flatten()
}

struct FieldVisitor<'n> {
    name: &'n str,
}

impl<'de> Visitor<'de> for FieldVisitor<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Key>()? {
            if found.is_none() && key.0 == self.name {
                found = map.next_value_seed(IdSeed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// An object key (escapes decoded).
struct Key(String);

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A string or a number as text; any other value is `None`.
struct IdSeed;

impl<'de> DeserializeSeed<'de> for IdSeed {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(IdVisitor)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a delivery id")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then(|| v.to_owned()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::field_as_id;

    #[test]
    fn reads_strings_and_numbers_at_the_top_level_only() {
        let body = br#"{"data": {"id": "inner"}, "id": "evt_1", "n": 42, "neg": -3}"#;
        assert_eq!(field_as_id(body, "id").as_deref(), Some("evt_1"));
        assert_eq!(field_as_id(body, "n").as_deref(), Some("42"));
        assert_eq!(field_as_id(body, "neg").as_deref(), Some("-3"));
        assert_eq!(field_as_id(body, "absent"), None);
        assert_eq!(field_as_id(body, "data"), None);
    }

    #[test]
    fn escaped_keys_and_non_objects() {
        assert_eq!(
            field_as_id(br#"{"\u0069d": "evt_2"}"#, "id").as_deref(),
            Some("evt_2")
        );
        assert_eq!(field_as_id(br#"{"id": ""}"#, "id"), None);
        assert_eq!(field_as_id(br#"{"id": null}"#, "id"), None);
        assert_eq!(field_as_id(br#"["id"]"#, "id"), None);
        assert_eq!(field_as_id(b"not json", "id"), None);
    }
}
