//! Which requests a route answers: method, path pattern, and optional
//! header, query and body matchers.

use std::fmt;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};

/// A request matcher: a method, a path pattern, and optional header, query
/// and body conditions. Every condition must hold.
///
/// The pattern is matched segment by segment against the request path; a
/// `{name}` segment matches any one non-empty segment.
///
/// ```
/// use integrate_testkit::Route;
///
/// let route = Route::post("/customers/{id}/charges")
///     .header("idempotency-key", "k-1")
///     .query("expand", "customer")
///     .body_json(serde_json::json!({"amount": 500}));
/// # let _ = route;
/// ```
#[derive(Clone)]
#[must_use]
pub struct Route {
    method: Option<Method>,
    segments: Vec<Segment>,
    pattern: String,
    headers: Vec<(HeaderName, Option<HeaderValue>)>,
    query: Vec<(String, String)>,
    body: Option<BodyMatch>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

#[derive(Clone)]
enum BodyMatch {
    Json(serde_json::Value),
    Bytes(Bytes),
}

/// The parts of a request a [`Route`] looks at.
pub(crate) struct Candidate<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
}

impl Route {
    /// Requests with this method whose path matches `pattern`.
    pub fn new(method: Method, pattern: &str) -> Self {
        Route::build(Some(method), pattern)
    }

    /// Requests of any method whose path matches `pattern`.
    pub fn any(pattern: &str) -> Self {
        Route::build(None, pattern)
    }

    /// `GET` requests whose path matches `pattern`.
    pub fn get(pattern: &str) -> Self {
        Route::new(Method::GET, pattern)
    }

    /// `POST` requests whose path matches `pattern`.
    pub fn post(pattern: &str) -> Self {
        Route::new(Method::POST, pattern)
    }

    /// `PUT` requests whose path matches `pattern`.
    pub fn put(pattern: &str) -> Self {
        Route::new(Method::PUT, pattern)
    }

    /// `PATCH` requests whose path matches `pattern`.
    pub fn patch(pattern: &str) -> Self {
        Route::new(Method::PATCH, pattern)
    }

    /// `DELETE` requests whose path matches `pattern`.
    pub fn delete(pattern: &str) -> Self {
        Route::new(Method::DELETE, pattern)
    }

    fn build(method: Option<Method>, pattern: &str) -> Self {
        let segments = split(pattern)
            .map(|s| {
                if s.len() > 2 && s.starts_with('{') && s.ends_with('}') {
                    Segment::Param
                } else {
                    Segment::Literal(s.to_owned())
                }
            })
            .collect();
        Route {
            method,
            segments,
            pattern: pattern.to_owned(),
            headers: Vec::new(),
            query: Vec::new(),
            body: None,
        }
    }

    /// Requires a header with exactly this value (any of its values, when
    /// it repeats). Names are case-insensitive.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header name or value.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = header_name(name);
        let value = HeaderValue::try_from(value)
            .unwrap_or_else(|_| panic!("{value:?} is not a valid header value"));
        self.headers.push((name, Some(value)));
        self
    }

    /// Requires a header to be present, whatever its value.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid header name.
    pub fn header_exists(mut self, name: &str) -> Self {
        self.headers.push((header_name(name), None));
        self
    }

    /// Requires a query parameter `name` with this value (after
    /// percent-decoding; other parameters may be present).
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Requires a JSON body equal to `value` (key order and whitespace do
    /// not matter).
    pub fn body_json(mut self, value: serde_json::Value) -> Self {
        self.body = Some(BodyMatch::Json(value));
        self
    }

    /// Requires exactly these body bytes.
    pub fn body_bytes(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(BodyMatch::Bytes(body.into()));
        self
    }

    pub(crate) fn matches(&self, request: &Candidate<'_>) -> bool {
        if self.method.as_ref().is_some_and(|m| m != request.method) {
            return false;
        }
        let mut path = split(request.path);
        for segment in &self.segments {
            match (segment, path.next()) {
                (Segment::Literal(lit), Some(s)) if lit == s => {}
                (Segment::Param, Some(s)) if !s.is_empty() => {}
                _ => return false,
            }
        }
        if path.next().is_some() {
            return false;
        }
        let headers_hold = self.headers.iter().all(|(name, value)| match value {
            None => request.headers.contains_key(name),
            Some(value) => request.headers.get_all(name).iter().any(|v| v == value),
        });
        if !headers_hold {
            return false;
        }
        let query_holds = self.query.iter().all(|(name, value)| {
            form_urlencoded::parse(request.query.unwrap_or("").as_bytes())
                .any(|(n, v)| n == name.as_str() && v == value.as_str())
        });
        if !query_holds {
            return false;
        }
        match &self.body {
            None => true,
            Some(BodyMatch::Bytes(bytes)) => bytes == request.body,
            Some(BodyMatch::Json(value)) => {
                serde_json::from_slice::<serde_json::Value>(request.body).is_ok_and(|v| &v == value)
            }
        }
    }
}

fn header_name(name: &str) -> HeaderName {
    HeaderName::try_from(name).unwrap_or_else(|_| panic!("{name:?} is not a valid header name"))
}

/// The segments of a path, without the empty one before its leading `/`.
fn split(path: &str) -> std::str::Split<'_, char> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            Some(method) => write!(f, "{method} {}", self.pattern)?,
            None => write!(f, "* {}", self.pattern)?,
        }
        for (name, value) in &self.headers {
            match value {
                Some(value) => write!(f, " [header {name}: {}]", value.to_str().unwrap_or("…"))?,
                None => write!(f, " [header {name}]")?,
            }
        }
        for (name, value) in &self.query {
            write!(f, " [query {name}={value}]")?;
        }
        match &self.body {
            Some(BodyMatch::Json(value)) => write!(f, " [json body {value}]")?,
            Some(BodyMatch::Bytes(bytes)) => write!(f, " [body of {} bytes]", bytes.len())?,
            None => {}
        }
        Ok(())
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Route({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(
        route: &Route,
        method: Method,
        target: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> bool {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let body = Bytes::copy_from_slice(body);
        route.matches(&Candidate {
            method: &method,
            path,
            query,
            headers,
            body: &body,
        })
    }

    #[test]
    fn params_match_one_non_empty_segment() {
        let route = Route::get("/customers/{id}");
        let h = HeaderMap::new();
        assert!(matches(&route, Method::GET, "/customers/42", &h, b""));
        assert!(!matches(&route, Method::GET, "/customers/", &h, b""));
        assert!(!matches(
            &route,
            Method::GET,
            "/customers/42/charges",
            &h,
            b""
        ));
        assert!(!matches(&route, Method::GET, "/customers", &h, b""));
        assert!(!matches(&route, Method::POST, "/customers/42", &h, b""));
        assert!(matches(
            &Route::any("/customers/{id}"),
            Method::DELETE,
            "/customers/42",
            &h,
            b""
        ));
    }

    #[test]
    fn header_query_and_body_conditions_all_hold() {
        let route = Route::post("/charges")
            .header("X-Api-Key", "k")
            .query("expand", "a b")
            .body_json(serde_json::json!({"amount": 1, "currency": "eur"}));
        let mut h = HeaderMap::new();
        h.insert("x-api-key", HeaderValue::from_static("k"));
        let body = br#"{ "currency": "eur", "amount": 1 }"#;
        assert!(matches(
            &route,
            Method::POST,
            "/charges?x=1&expand=a+b",
            &h,
            body
        ));
        assert!(matches(
            &route,
            Method::POST,
            "/charges?expand=a%20b",
            &h,
            body
        ));
        assert!(!matches(&route, Method::POST, "/charges", &h, body));
        assert!(!matches(
            &route,
            Method::POST,
            "/charges?expand=a+b",
            &HeaderMap::new(),
            body
        ));
        assert!(!matches(
            &route,
            Method::POST,
            "/charges?expand=a+b",
            &h,
            b"{"
        ));
    }

    #[test]
    fn display_lists_every_condition() {
        let route = Route::get("/a/{b}").header("x-k", "v").query("q", "1");
        assert_eq!(route.to_string(), "GET /a/{b} [header x-k: v] [query q=1]");
    }
}
