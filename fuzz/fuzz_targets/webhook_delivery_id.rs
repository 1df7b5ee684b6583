//! Delivery ids: a top-level payload field read without building the
//! document, and the rule every id is held to (not empty, at most 256
//! bytes, no control characters).
//!
//! Two halves: arbitrary bytes as a payload (never a panic, and an id read
//! obeys nothing but the field's value); and a document built from the
//! input with serde_json, whose chosen field must be read back exactly.

#![no_main]

use integrate::__private::webhook_parse::{field_id, usable_id};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fn rule(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && !id.chars().any(char::is_control)
}

/// A JSON object with `name` at a random place among other fields (nested
/// objects holding `name` too), and the id expected from it.
fn document(u: &mut Unstructured<'_>) -> Result<(String, Vec<u8>, Option<String>)> {
    let name: String = u.arbitrary()?;
    let mut fields = serde_json::Map::new();
    for _ in 0..u.int_in_range(0..=4)? {
        let key: String = u.arbitrary()?;
        if key == name {
            continue;
        }
        let nested = serde_json::json!({ name.clone(): "nested, not top-level" });
        let value = match u.int_in_range(0..=3)? {
            0 => serde_json::Value::String(u.arbitrary()?),
            1 => nested,
            2 => serde_json::json!([name.clone(), 1, null]),
            _ => serde_json::Value::Bool(u.arbitrary()?),
        };
        fields.insert(key, value);
    }
    let (value, expected) = match u.int_in_range(0..=3)? {
        0 => {
            let s: String = u.arbitrary()?;
            let expected = (!s.is_empty()).then(|| s.clone());
            (serde_json::Value::String(s), expected)
        }
        1 => {
            let n: i64 = u.arbitrary()?;
            (n.into(), Some(n.to_string()))
        }
        2 => (serde_json::Value::Null, None),
        _ => (serde_json::json!({ "id": "inner" }), None),
    };
    fields.insert(name.clone(), value);
    let body = serde_json::to_vec(&serde_json::Value::Object(fields)).expect("serialisable");
    Ok((name, body, expected))
}

fuzz_target!(|input: &[u8]| {
    // Arbitrary bytes: `<name>\0<body>`, or the name `id`.
    let (name, body) = match input.iter().position(|&b| b == 0) {
        Some(at) => (
            std::str::from_utf8(&input[..at]).unwrap_or("id"),
            &input[at + 1..],
        ),
        None => ("id", input),
    };
    if let Some(id) = field_id(body, name) {
        assert!(!id.is_empty());
        assert_eq!(usable_id(&id), rule(&id));
    }
    if let Ok(text) = std::str::from_utf8(input) {
        assert_eq!(usable_id(text), rule(text));
    }

    // A document built from the input: the field is read back exactly.
    let mut u = Unstructured::new(input);
    if let Ok((name, body, expected)) = document(&mut u) {
        assert_eq!(
            field_id(&body, &name),
            expected,
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
});
