//! Turns a serde value into the wire strings of a query parameter, a header
//! or a path segment: scalars give one string, `None` gives none, sequences
//! give one string per element (the key or header repeats).

use serde::ser::{self, Impossible, Serialize};
use std::fmt;

/// Why a value could not become wire strings.
#[derive(Debug)]
pub(crate) struct ValueError(String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

impl ser::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

fn unsupported(what: &str) -> ValueError {
    ValueError(format!(
        "{what} cannot be a query, header or path value: use a string, number, bool, unit enum variant, Option or sequence of those"
    ))
}

/// Serialises `value` into its wire strings, appended to `out`.
pub(crate) fn to_strings<T: Serialize + ?Sized, S: Sink>(
    value: &T,
    out: &mut S,
) -> Result<(), ValueError> {
    value.serialize(Values { out, nested: false })
}

/// Where the strings of a value go.
pub(crate) trait Sink {
    fn push(&mut self, s: String);
}

impl Sink for Vec<String> {
    fn push(&mut self, s: String) {
        Vec::push(self, s);
    }
}

/// For a value that must be exactly one string (a path segment): keeps the
/// first and counts them all, without a `Vec`.
#[derive(Default)]
pub(crate) struct One {
    pub(crate) first: Option<String>,
    pub(crate) count: usize,
}

impl Sink for One {
    fn push(&mut self, s: String) {
        if self.first.is_none() {
            self.first = Some(s);
        }
        self.count += 1;
    }
}

struct Values<'a, S> {
    out: &'a mut S,
    /// Inside a sequence: a nested sequence is refused.
    nested: bool,
}

impl<S: Sink> Values<'_, S> {
    fn push(self, s: String) -> Result<(), ValueError> {
        self.out.push(s);
        Ok(())
    }
}

impl<'a, S: Sink> ser::Serializer for Values<'a, S> {
    type Ok = ();
    type Error = ValueError;
    type SerializeSeq = Seq<'a, S>;
    type SerializeTuple = Seq<'a, S>;
    type SerializeTupleStruct = Seq<'a, S>;
    type SerializeTupleVariant = Impossible<(), ValueError>;
    type SerializeMap = Impossible<(), ValueError>;
    type SerializeStruct = Impossible<(), ValueError>;
    type SerializeStructVariant = Impossible<(), ValueError>;

    fn serialize_bool(self, v: bool) -> Result<(), ValueError> {
        self.push(if v { "true" } else { "false" }.to_owned())
    }
    fn serialize_i8(self, v: i8) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<(), ValueError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), ValueError> {
        if v.is_finite() {
            self.push(v.to_string())
        } else {
            Err(ValueError(format!("{v} is not a finite number")))
        }
    }
    fn serialize_char(self, v: char) -> Result<(), ValueError> {
        self.push(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<(), ValueError> {
        self.push(v.to_owned())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), ValueError> {
        Err(unsupported("a byte array"))
    }
    fn serialize_none(self) -> Result<(), ValueError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), ValueError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), ValueError> {
        Err(unsupported("`()`"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), ValueError> {
        Err(unsupported(name))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), ValueError> {
        self.push(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), ValueError> {
        Err(unsupported(name))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a, S>, ValueError> {
        if self.nested {
            return Err(unsupported("a nested sequence"));
        }
        Ok(Seq { out: self.out })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, S>, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Seq<'a, S>, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(unsupported(name))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, ValueError> {
        Err(unsupported("a map"))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, ValueError> {
        Err(unsupported(name))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(unsupported(name))
    }
}

pub(crate) struct Seq<'a, S> {
    out: &'a mut S,
}

impl<S: Sink> Seq<'_, S> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        value.serialize(Values {
            out: self.out,
            nested: true,
        })
    }
}

impl<S: Sink> ser::SerializeSeq for Seq<'_, S> {
    type Ok = ();
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.element(value)
    }
    fn end(self) -> Result<(), ValueError> {
        Ok(())
    }
}

impl<S: Sink> ser::SerializeTuple for Seq<'_, S> {
    type Ok = ();
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.element(value)
    }
    fn end(self) -> Result<(), ValueError> {
        Ok(())
    }
}

impl<S: Sink> ser::SerializeTupleStruct for Seq<'_, S> {
    type Ok = ();
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.element(value)
    }
    fn end(self) -> Result<(), ValueError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings<T: Serialize + ?Sized>(v: &T) -> Result<Vec<String>, ValueError> {
        let mut out = Vec::new();
        to_strings(v, &mut out).map(|()| out)
    }

    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Active,
        PastDue,
    }

    #[derive(serde::Serialize)]
    struct Id(u64);

    #[derive(serde::Serialize)]
    struct Filter {
        a: u32,
    }

    #[test]
    fn scalars_options_sequences() {
        assert_eq!(strings("abc").unwrap(), ["abc"]);
        assert_eq!(strings(&42u32).unwrap(), ["42"]);
        assert_eq!(strings(&-7i64).unwrap(), ["-7"]);
        assert_eq!(strings(&true).unwrap(), ["true"]);
        assert_eq!(strings(&1.5f64).unwrap(), ["1.5"]);
        assert_eq!(strings(&'x').unwrap(), ["x"]);
        assert!(strings(&None::<u32>).unwrap().is_empty());
        assert_eq!(strings(&Some("a")).unwrap(), ["a"]);
        assert_eq!(strings(&vec![1, 2, 3]).unwrap(), ["1", "2", "3"]);
        assert_eq!(strings(&["a", "b"][..]).unwrap(), ["a", "b"]);
        assert_eq!(strings(&(1, "x")).unwrap(), ["1", "x"]);
        assert_eq!(strings(&vec![Some(1), None, Some(3)]).unwrap(), ["1", "3"]);
        assert_eq!(strings(&Status::PastDue).unwrap(), ["past_due"]);
        assert_eq!(strings(&Status::Active).unwrap(), ["active"]);
        assert_eq!(strings(&Id(9)).unwrap(), ["9"]);
    }

    #[test]
    fn structured_values_are_refused() {
        assert!(strings(&Filter { a: 1 }).is_err());
        assert!(strings(&vec![vec![1]]).is_err());
        assert!(strings(&std::collections::BTreeMap::from([(1, 2)])).is_err());
        assert!(strings(&f64::NAN).is_err());
        assert!(strings(&()).is_err());
    }
}
