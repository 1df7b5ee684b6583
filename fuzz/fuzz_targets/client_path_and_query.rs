//! Path and query values as the client puts them on the request line.
//!
//! Oracle: a value that is empty, `.` or `..` is refused before anything
//! is built; any other value stays in its own segment (the path has exactly
//! the template's segments), each segment holds only unreserved bytes and
//! `%XX` escapes and decodes to the value, the query decodes to the pairs,
//! and both transports' paths build the same request target.
#![no_main]

use std::sync::OnceLock;

use integrate::__private::fuzzing::Targets;
use integrate::{Call, ErrorKind, Method};
use libfuzzer_sys::fuzz_target;

fn targets() -> &'static Targets {
    static TARGETS: OnceLock<Targets> = OnceLock::new();
    TARGETS.get_or_init(|| Targets::new("http://127.0.0.1:9/api/v1").expect("targets"))
}

fn clean(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

fuzz_target!(|input: ([String; 3], Vec<(String, String)>)| {
    let (values, query) = input;
    let make = || {
        let mut call = Call::new(Method::GET, "/a/{p0}/b/{p1}/{p2}/c")
            .path("p0", &values[0])
            .path("p1", &values[1])
            .path("p2", &values[2]);
        for (name, value) in &query {
            call = call.query(name.clone(), value);
        }
        call
    };
    let refused = values.iter().any(|v| v.is_empty() || v == "." || v == "..");
    let result = targets().request_targets(make);
    if refused {
        let error = result.expect_err("a dot or empty segment is refused");
        assert_eq!(error.kind(), ErrorKind::Config);
        return;
    }
    let [via_reqwest, via_custom] = result.expect("a request target");
    assert_eq!(
        via_reqwest, via_custom,
        "both transports send the same target"
    );
    let (path, query_text) = match via_reqwest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (via_reqwest.as_str(), None),
    };
    let segments: Vec<&str> = path.split('/').collect();
    assert_eq!(segments.len(), 9, "{path}");
    assert_eq!(
        [
            segments[0],
            segments[1],
            segments[2],
            segments[3],
            segments[5],
            segments[8]
        ],
        ["", "api", "v1", "a", "b", "c"]
    );
    for (segment, value) in [segments[4], segments[6], segments[7]].iter().zip(&values) {
        let bytes = segment.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                assert!(
                    bytes.len() >= i + 3
                        && bytes[i + 1].is_ascii_hexdigit()
                        && bytes[i + 2].is_ascii_hexdigit(),
                    "{segment}"
                );
                i += 3;
            } else {
                assert!(clean(bytes[i]), "{segment}");
                i += 1;
            }
        }
        let decoded: Vec<u8> = percent_encoding::percent_decode_str(segment).collect();
        assert_eq!(decoded, value.as_bytes());
    }
    match query_text {
        None => assert!(query.is_empty()),
        Some(text) => {
            let decoded: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(decoded, query);
        }
    }
});
