//! Responses and decoding chosen by type.

use std::any::{Any, TypeId};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// A successful (2xx) response: status, headers and a decoded body.
///
/// As a return type of an `#[integration]` method, `Response<T>` keeps the
/// head and decodes the body as `T` would be decoded alone.
#[derive(Debug, Clone)]
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    body: T,
    pub(crate) attempts: u32,
}

impl<T> Response<T> {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: T, attempts: u32) -> Self {
        Response {
            status,
            headers,
            body,
            attempts,
        }
    }

    /// The status code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The decoded body.
    #[must_use]
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The decoded body, consuming the response.
    #[must_use]
    pub fn into_body(self) -> T {
        self.body
    }

    /// Status, headers and body.
    #[must_use]
    pub fn into_parts(self) -> (StatusCode, HeaderMap, T) {
        (self.status, self.headers, self.body)
    }

    /// How many requests the call sent.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl Response<Bytes> {
    /// Decodes the body as `T` was chosen to be decoded: see [`DecodeBody`].
    pub fn decode<T: DecodeBody>(self) -> Result<Response<T>> {
        let attempts = self.attempts;
        let (status, headers, bytes) = self.into_parts();
        let body = T::decode_body(bytes).map_err(|mut e| {
            e.set_attempts(attempts);
            e
        })?;
        Ok(Response::new(status, headers, body, attempts))
    }

    /// Decodes the JSON body into `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(Error::decode)
    }
}

/// How a response body becomes the value a call returns; chosen by type,
/// not by its spelling:
///
/// - `()` ignores the body;
/// - `std::string::String` is the body as UTF-8 text (invalid UTF-8 is a
///   `Decode` error);
/// - [`Bytes`] is the raw body;
/// - any other `T: DeserializeOwned` is decoded from JSON straight into `T`.
///
/// (`Response<T>` is handled by the generated code: it keeps the head and
/// decodes the body as `T`.)
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from a response body",
    label = "this type must implement `serde::Deserialize` (or be `()`, `String`, `integrate::Bytes` or `integrate::Response<T>`)",
    note = "derive it with `#[derive(serde::Deserialize)]`"
)]
pub trait DecodeBody: Sized {
    /// Decodes a 2xx body.
    fn decode_body(body: Bytes) -> Result<Self>;
}

impl<T: DeserializeOwned + 'static> DecodeBody for T {
    fn decode_body(body: Bytes) -> Result<Self> {
        let id = TypeId::of::<T>();
        if id == TypeId::of::<()>() {
            return cast(());
        }
        if id == TypeId::of::<String>() {
            let text = String::from_utf8(body.into()).map_err(|e| Error::decode(e.utf8_error()))?;
            return cast(text);
        }
        if id == TypeId::of::<Bytes>() {
            return cast(body);
        }
        serde_json::from_slice(&body).map_err(Error::decode)
    }
}

/// Moves `value` out as `T` when they are the same type.
fn cast<T: 'static, U: 'static>(value: U) -> Result<T> {
    let mut slot = Some(value);
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<T>>()
        .and_then(Option::take)
        .ok_or_else(|| Error::decode("internal: decoder chosen for another type"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Customer {
        id: String,
    }

    #[allow(non_camel_case_types, dead_code)]
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct String_(std::string::String);

    #[test]
    fn decoder_per_type() {
        let json = Bytes::from_static(br#"{"id":"cus_1"}"#);
        <()>::decode_body(Bytes::from_static(b"not json at all")).unwrap();
        assert_eq!(
            String::decode_body(json.clone()).unwrap(),
            r#"{"id":"cus_1"}"#
        );
        assert_eq!(Bytes::decode_body(json.clone()).unwrap(), json);
        assert_eq!(
            Customer::decode_body(json.clone()).unwrap(),
            Customer { id: "cus_1".into() }
        );
        assert_eq!(serde_json::Value::decode_body(json).unwrap()["id"], "cus_1");
    }

    #[test]
    fn bad_bodies_are_decode_errors() {
        let e = String::decode_body(Bytes::from_static(b"\xff\xfe")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        let e = Customer::decode_body(Bytes::from_static(b"{\"id\":")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        let e = Customer::decode_body(Bytes::new()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }

    #[test]
    fn a_user_type_named_string_is_json() {
        mod shadow {
            #[derive(serde::Deserialize, Debug, PartialEq)]
            pub(super) struct String {
                pub(super) v: u8,
            }
        }
        let got = shadow::String::decode_body(Bytes::from_static(br#"{"v":1}"#)).unwrap();
        assert_eq!(got, shadow::String { v: 1 });
    }

    #[test]
    fn response_decode_keeps_head() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", "1".parse().unwrap());
        let r = Response::new(
            StatusCode::CREATED,
            headers,
            Bytes::from_static(b"[1,2]"),
            2,
        );
        let r: Response<Vec<u8>> = r.decode().unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.headers()["x-a"], "1");
        assert_eq!(r.attempts(), 2);
        assert_eq!(r.into_body(), vec![1, 2]);
    }
}
