//! The description of one call: what `#[integration]` fills for each
//! method, and what hand-written code can build directly.
//!
//! Every argument is serialised when it is added, so a [`Call`] owns all it
//! needs and the call future borrows nothing. The first error met while
//! building is kept and returned by [`Client::execute`](crate::Client::execute)
//! before anything is sent.
//!
//! ```
//! use integrate::{Call, Method};
//!
//! let call = Call::new(Method::GET, "/customers/{id}/charges")
//!     .operation("Payments::charges")
//!     .path("id", "cus_42")
//!     .query("limit", &10)
//!     .query("expand", &["customer", "invoice"]);
//! # let _ = call;
//! ```

pub(crate) mod values;

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use crate::resilience::retry::RetryOverride;
use crate::resilience::timeout::TimeoutOverride;
use crate::{Error, Result};

/// The default header of an idempotent call's key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The correlation header sent with every attempt of a call.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Everything but RFC 3986 unreserved characters is encoded in a segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One call: method, path template and values, query, headers, body,
/// idempotency and per-call policy overrides.
#[derive(Debug)]
#[must_use]
pub struct Call {
    pub(crate) method: Method,
    pub(crate) template: Cow<'static, str>,
    pub(crate) operation: Option<&'static str>,
    path_values: Vec<(Cow<'static, str>, String)>,
    pub(crate) query: Vec<(Cow<'static, str>, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) idempotency: Option<Idempotency>,
    pub(crate) retry: RetryOverride,
    pub(crate) timeouts: TimeoutOverride,
    pub(crate) method_limiter: Option<usize>,
    pub(crate) error: Option<Error>,
}

/// How an idempotent call identifies itself to the provider.
#[derive(Debug, Clone)]
pub(crate) struct Idempotency {
    pub(crate) header: HeaderName,
    pub(crate) key: Option<HeaderValue>,
}

impl Call {
    /// A call of `method` on the path `template`, whose `{name}`
    /// placeholders are filled by [`Call::path`].
    pub fn new(method: Method, template: impl Into<Cow<'static, str>>) -> Self {
        Call {
            method,
            template: template.into(),
            operation: None,
            path_values: Vec::new(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            idempotency: None,
            retry: RetryOverride::default(),
            timeouts: TimeoutOverride::default(),
            method_limiter: None,
            error: None,
        }
    }

    /// Names the operation, as `"Trait::method"`: it appears in errors and
    /// in the call span.
    pub fn operation(mut self, operation: &'static str) -> Self {
        self.operation = Some(operation);
        self
    }

    fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Fills the `{name}` placeholder with `value`, percent-encoded as one
    /// segment: every byte outside RFC 3986 unreserved (`A-Z a-z 0-9 - . _
    /// ~`) is escaped, `%` included, so the text `%2E%2E` goes out as
    /// `%252E%252E`. A value that is empty, `.` or `..` is a `Config` error
    /// (no URL can carry it: URL parsers resolve dot segments).
    pub fn path<T: Serialize + ?Sized>(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: &T,
    ) -> Self {
        let name = name.into();
        let mut one = values::One::default();
        match values::to_strings(value, &mut one) {
            Ok(()) if one.count == 1 => {
                let raw = one.first.unwrap_or_default();
                match raw.as_str() {
                    "" => self.fail(Error::config(format!(
                        "path parameter `{name}` is empty; an empty segment would change the URL"
                    ))),
                    "." | ".." => self.fail(Error::config(format!(
                        "path parameter `{name}` is a dot segment (`.` or `..`), which every URL parser resolves; nothing was sent"
                    ))),
                    _ => {
                        let encoded = encode_segment(raw);
                        self.path_values.push((name, encoded));
                    }
                }
            }
            Ok(()) => self.fail(Error::config(format!(
                "path parameter `{name}` must be exactly one value (got {})",
                one.count
            ))),
            Err(e) => self.fail(
                Error::encode(format!("path parameter `{name}` could not be serialised"))
                    .with_source(e),
            ),
        }
        self
    }

    /// Adds query pairs for `value`: one pair for a scalar, none for
    /// `None`, one per element for a sequence (the key repeats).
    pub fn query<T: Serialize + ?Sized>(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: &T,
    ) -> Self {
        let name = name.into();
        let mut strings = Vec::new();
        match values::to_strings(value, &mut strings) {
            Ok(()) => self
                .query
                .extend(strings.into_iter().map(|s| (name.clone(), s))),
            Err(e) => self.fail(
                Error::encode(format!("query parameter `{name}` could not be serialised"))
                    .with_source(e),
            ),
        }
        self
    }

    /// Adds the header `name` for `value` (none for `None`, one per element
    /// of a sequence). A value that is not a valid header value (a newline,
    /// say) is a `Config` error.
    pub fn header<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        let header = match HeaderName::from_bytes(name.as_bytes()) {
            Ok(h) => h,
            Err(_) => {
                self.fail(Error::config(format!(
                    "`{name}` is not a valid header name"
                )));
                return self;
            }
        };
        let mut strings = Vec::new();
        if let Err(e) = values::to_strings(value, &mut strings) {
            self.fail(
                Error::encode(format!("header `{name}` could not be serialised")).with_source(e),
            );
            return self;
        }
        for s in strings {
            match HeaderValue::from_str(&s) {
                Ok(v) => {
                    self.headers.append(header.clone(), v);
                }
                Err(_) => {
                    self.fail(Error::config(format!(
                        "header `{name}` has an invalid value (control characters or newlines are not allowed)"
                    )));
                    break;
                }
            }
        }
        self
    }

    /// Sets a JSON body (`Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.set_body(Bytes::from(bytes), "application/json");
            }
            Err(e) => {
                self.fail(Error::encode("the JSON body could not be serialised").with_source(e))
            }
        }
        self
    }

    /// Sets a form body (`Content-Type: application/x-www-form-urlencoded`).
    pub fn form<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_urlencoded::to_string(body) {
            Ok(s) => {
                self.set_body(Bytes::from(s), "application/x-www-form-urlencoded");
            }
            Err(e) => {
                self.fail(Error::encode("the form body could not be serialised").with_source(e))
            }
        }
        self
    }

    /// Sets a raw body with its content type.
    pub fn body(mut self, body: impl Into<Bytes>, content_type: &'static str) -> Self {
        self.set_body(body.into(), content_type);
        self
    }

    fn set_body(&mut self, body: Bytes, content_type: &'static str) {
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        self.body = Some(body);
    }

    /// Marks the call idempotent: it may be retried after any transient
    /// failure, and every attempt carries the same key in `header`
    /// (default [`IDEMPOTENCY_KEY_HEADER`]): the one given with
    /// [`Call::idempotency_key`], else a UUID v4 made once per call.
    pub fn idempotent(mut self, header: &str) -> Self {
        match HeaderName::from_bytes(header.as_bytes()) {
            Ok(header) => {
                let key = self.idempotency.take().and_then(|i| i.key);
                self.idempotency = Some(Idempotency { header, key });
            }
            Err(_) => self.fail(Error::config(format!(
                "`{header}` is not a valid idempotency header name"
            ))),
        }
        self
    }

    /// Supplies the idempotency key (e.g. derived from an order id, so it
    /// survives a crash and a re-run). Marks the call idempotent with the
    /// default header if it is not yet.
    pub fn idempotency_key<T: Serialize + ?Sized>(mut self, key: &T) -> Self {
        let mut strings = Vec::with_capacity(1);
        let value = match values::to_strings(key, &mut strings) {
            Ok(()) if strings.len() == 1 => HeaderValue::from_str(&strings[0])
                .map_err(|_| Error::config("the idempotency key is not a valid header value")),
            Ok(()) => Err(Error::config(
                "the idempotency key must be exactly one value",
            )),
            Err(e) => {
                Err(Error::encode("the idempotency key could not be serialised").with_source(e))
            }
        };
        match value {
            Ok(v) if v.is_empty() => self.fail(Error::config("the idempotency key is empty")),
            Ok(v) => {
                let header = self
                    .idempotency
                    .take()
                    .map_or_else(|| HeaderName::from_static("idempotency-key"), |i| i.header);
                self.idempotency = Some(Idempotency {
                    header,
                    key: Some(v),
                });
            }
            Err(e) => self.fail(e),
        }
        self
    }

    /// Replaces the retry keys that `retry` names, for this call.
    pub fn retry(mut self, retry: RetryOverride) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the attempt and/or total timeout, for this call.
    pub fn timeouts(mut self, timeouts: TimeoutOverride) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Acquires the client's per-method limiter number `index` (declared
    /// with the integration) before the client's own.
    #[doc(hidden)]
    pub fn method_limiter(mut self, index: usize) -> Self {
        self.method_limiter = Some(index);
        self
    }

    /// The HTTP method.
    #[must_use]
    pub fn method_ref(&self) -> &Method {
        &self.method
    }

    /// The path template, as declared.
    #[must_use]
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Whether the call is idempotent.
    #[must_use]
    pub fn is_idempotent(&self) -> bool {
        self.idempotency.is_some()
    }

    /// Expands the template with the path values.
    pub(crate) fn expand_path(&self, out: &mut String) -> Result<()> {
        if self.template.split('/').any(is_dot_segment) {
            return Err(Error::config(format!(
                "path template `{}` has a dot segment (`.` or `..`), which every URL parser resolves",
                self.template
            )));
        }
        let mut rest: &str = &self.template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or_else(|| {
                Error::config(format!(
                    "path template `{}` has an unclosed `{{`",
                    self.template
                ))
            })?;
            let name = &after[..close];
            let value = self
                .path_values
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    Error::config(format!(
                        "path template `{}` has no value for `{{{name}}}`",
                        self.template
                    ))
                })?;
            out.push_str(value);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(())
    }
}

/// Percent-encodes one path segment: every byte outside RFC 3986
/// unreserved is escaped. A value that needs no escaping is kept as it is
/// (no copy).
pub(crate) fn encode_segment(raw: String) -> String {
    if raw.bytes().all(is_unreserved) {
        return raw;
    }
    percent_encoding::utf8_percent_encode(&raw, SEGMENT).collect()
}

/// RFC 3986 unreserved: `A-Z a-z 0-9 - . _ ~`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Whether a segment of a path template is a dot segment (`.` or `..`,
/// also percent-encoded), which URL parsers resolve.
fn is_dot_segment(segment: &str) -> bool {
    let mut dots = 0;
    let mut rest = segment.as_bytes();
    while !rest.is_empty() {
        match rest {
            [b'.', tail @ ..] => rest = tail,
            [b'%', b'2', b'e' | b'E', tail @ ..] => rest = tail,
            _ => return false,
        }
        dots += 1;
    }
    matches!(dots, 1 | 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn expanded(call: &Call) -> Result<String> {
        let mut s = String::new();
        call.expand_path(&mut s).map(|()| s)
    }

    #[test]
    fn segments_are_encoded_whole() {
        let enc = |s: &str| encode_segment(s.to_owned());
        assert_eq!(enc("cus_42-x.y~z"), "cus_42-x.y~z");
        assert_eq!(enc("a/b"), "a%2Fb");
        assert_eq!(enc("a?b#c%d"), "a%3Fb%23c%25d");
        assert_eq!(enc("..."), "...");
        assert_eq!(enc("%2E%2E"), "%252E%252E");
        assert_eq!(enc("a b+é"), "a%20b%2B%C3%A9");
        // One byte needing an escape is escaped too.
        for (raw, escaped) in [("#", "%23"), ("/", "%2F"), ("%", "%25"), ("?", "%3F")] {
            assert_eq!(enc(raw), escaped);
        }
        for b in 0u8..=127 {
            let raw = char::from(b).to_string();
            let out = enc(&raw);
            if is_unreserved(b) {
                assert_eq!(out, raw);
            } else {
                assert_eq!(out, format!("%{b:02X}"), "{b}");
            }
        }
    }

    #[test]
    fn dot_segments_are_refused() {
        for value in [".", ".."] {
            let call = Call::new(Method::DELETE, "/users/{id}/refunds").path("id", value);
            let error = call.error.expect("refused");
            assert_eq!(error.kind(), ErrorKind::Config);
            assert!(error.to_string().contains("dot segment"), "{error}");
        }
        for value in ["...", "a..b", "%2E%2E", ".%2e", "%2e."] {
            let call = Call::new(Method::GET, "/users/{id}").path("id", value);
            assert!(call.error.is_none(), "{value}");
        }
        for template in ["/a/../b", "/./x", "/a/%2e%2E", "/a/.%2E/b", "/{id}/.."] {
            let call = Call::new(Method::GET, template).path("id", "1");
            assert_eq!(
                expanded(&call).unwrap_err().kind(),
                ErrorKind::Config,
                "{template}"
            );
        }
        for template in ["/a/.../b", "/a/.b/", "/v1.2/x", "/%2e%2e%2e"] {
            let call = Call::new(Method::GET, template);
            assert!(expanded(&call).is_ok(), "{template}");
        }
    }

    #[test]
    fn template_expansion() {
        let call = Call::new(Method::GET, "/orgs/{org}/repos/{repo}")
            .path("org", "a/b")
            .path("repo", &"...");
        assert_eq!(expanded(&call).unwrap(), "/orgs/a%2Fb/repos/...");
        let call = Call::new(Method::GET, "/items/{id}").path("id", &42u64);
        assert_eq!(expanded(&call).unwrap(), "/items/42");
    }

    #[test]
    fn empty_and_missing_path_values_are_config_errors() {
        let call = Call::new(Method::GET, "/customers/{id}").path("id", "");
        assert_eq!(call.error.as_ref().unwrap().kind(), ErrorKind::Config);
        let call = Call::new(Method::GET, "/customers/{id}");
        assert_eq!(expanded(&call).unwrap_err().kind(), ErrorKind::Config);
        let call = Call::new(Method::GET, "/customers/{id").path("id", "1");
        assert_eq!(expanded(&call).unwrap_err().kind(), ErrorKind::Config);
        let call = Call::new(Method::GET, "/x/{id}").path("id", &None::<u32>);
        assert_eq!(call.error.as_ref().unwrap().kind(), ErrorKind::Config);
    }

    #[test]
    fn query_pairs() {
        let call = Call::new(Method::GET, "/charges")
            .query("limit", &10u32)
            .query("starting_after", &None::<&str>)
            .query("ids", &vec!["a", "b"]);
        assert_eq!(
            call.query,
            vec![
                ("limit".into(), "10".to_owned()),
                ("ids".into(), "a".to_owned()),
                ("ids".into(), "b".to_owned())
            ]
        );
    }

    #[test]
    fn header_values_with_newlines_are_refused() {
        let call = Call::new(Method::GET, "/").header("X-Note", "a\r\nInjected: yes");
        assert_eq!(call.error.unwrap().kind(), ErrorKind::Config);
        let call = Call::new(Method::GET, "/").header("Bad Name", "x");
        assert_eq!(call.error.unwrap().kind(), ErrorKind::Config);
        let call = Call::new(Method::GET, "/")
            .header("X-Tag", &["a", "b"])
            .header("X-None", &None::<String>);
        assert_eq!(call.headers.get_all("x-tag").iter().count(), 2);
        assert!(call.headers.get("x-none").is_none());
    }

    #[test]
    fn bodies_and_idempotency() {
        #[derive(Serialize)]
        struct Charge {
            amount: u32,
            currency: &'static str,
        }
        let call = Call::new(Method::POST, "/charges")
            .json(&Charge {
                amount: 100,
                currency: "eur",
            })
            .idempotent("Idempotency-Key");
        assert_eq!(
            call.body.as_deref(),
            Some(&br#"{"amount":100,"currency":"eur"}"#[..])
        );
        assert_eq!(call.headers["content-type"], "application/json");
        assert!(call.is_idempotent());
        let call = Call::new(Method::POST, "/charges").form(&Charge {
            amount: 1,
            currency: "a b",
        });
        assert_eq!(call.body.as_deref(), Some(&b"amount=1&currency=a+b"[..]));
        let call = Call::new(Method::POST, "/charges")
            .idempotency_key("order-7")
            .idempotent("X-Key");
        let i = call.idempotency.unwrap();
        assert_eq!(i.header, "x-key");
        assert_eq!(i.key.unwrap(), "order-7");
        let call = Call::new(Method::POST, "/").idempotency_key("");
        assert_eq!(call.error.unwrap().kind(), ErrorKind::Config);
    }
}
