//! Credentials: how a client authenticates every attempt.
//!
//! Credentials come from the environment (or the builder's environment
//! source) when the client is built, or from values the application read
//! from its secrets store. They never appear in `Debug`, `Display`, errors
//! or logs: [`Auth`]'s `Debug` shows the kind and variable names only, and
//! header values are marked sensitive.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::transport::BoxFuture;
use crate::{Error, Result};

/// Signs a request before each attempt: for schemes the built-in
/// [`Auth`] forms do not cover (request signatures, tokens from a store).
///
/// It runs inside the attempt timeout, on every attempt. A failure should
/// be an [`Error::auth`] whose message does not contain the credential.
///
/// ```
/// use integrate::{Auth, Bytes, Result, SignRequest};
/// use integrate::transport::BoxFuture;
///
/// struct StaticHeader(http::HeaderValue);
///
/// impl SignRequest for StaticHeader {
///     fn sign<'a>(&'a self, request: &'a mut http::Request<Bytes>) -> BoxFuture<'a, Result<()>> {
///         Box::pin(async move {
///             request.headers_mut().insert("x-signature", self.0.clone());
///             Ok(())
///         })
///     }
/// }
///
/// let auth = Auth::custom(StaticHeader(http::HeaderValue::from_static("abc")));
/// # let _ = auth;
/// ```
pub trait SignRequest: Send + Sync + 'static {
    /// Adds credentials to `request`.
    fn sign<'a>(&'a self, request: &'a mut http::Request<Bytes>) -> BoxFuture<'a, Result<()>>;
}

/// How a client authenticates.
///
/// The `*_env` forms name environment variables read when the client is
/// built (through the builder's `.env(..)` source if one is set); a missing
/// variable is a `Config` error naming it.
#[derive(Clone)]
pub struct Auth {
    inner: AuthInner,
}

#[derive(Clone)]
enum AuthInner {
    None,
    Bearer(Source),
    ApiKeyHeader {
        header: Cow<'static, str>,
        key: Source,
    },
    ApiKeyQuery {
        param: Cow<'static, str>,
        key: Source,
    },
    Basic {
        username: Source,
        password: Source,
    },
    Custom(Arc<dyn SignRequest>),
}

#[derive(Clone)]
enum Source {
    Value(SecretString),
    Env(Cow<'static, str>),
}

impl Source {
    fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<SecretString> {
        match self {
            Source::Value(v) => Ok(v.clone()),
            Source::Env(name) => match env(name) {
                Some(v) if !v.is_empty() => Ok(SecretString::from(v)),
                Some(_) => Err(Error::config(format!(
                    "environment variable `{name}` (a credential) is empty"
                ))),
                None => Err(Error::config(format!(
                    "environment variable `{name}` (a credential) is not set"
                ))),
            },
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Value(_) => f.write_str("\"[redacted]\""),
            Source::Env(name) => write!(f, "env({name:?})"),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            AuthInner::None => f.write_str("None"),
            AuthInner::Bearer(s) => f.debug_tuple("Bearer").field(s).finish(),
            AuthInner::ApiKeyHeader { header, key } => f
                .debug_struct("ApiKey")
                .field("header", header)
                .field("key", key)
                .finish(),
            AuthInner::ApiKeyQuery { param, key } => f
                .debug_struct("ApiKey")
                .field("query", param)
                .field("key", key)
                .finish(),
            AuthInner::Basic { username, password } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", password)
                .finish(),
            AuthInner::Custom(_) => f.write_str("Custom"),
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth::none()
    }
}

impl Auth {
    /// No authentication (the default).
    #[must_use]
    pub fn none() -> Self {
        Auth {
            inner: AuthInner::None,
        }
    }

    /// `Authorization: Bearer <token>`.
    #[must_use]
    pub fn bearer(token: impl Into<String>) -> Self {
        Auth {
            inner: AuthInner::Bearer(Source::Value(SecretString::from(token.into()))),
        }
    }

    /// `Authorization: Bearer <token>`, the token read from `var`.
    #[must_use]
    pub fn bearer_env(var: impl Into<Cow<'static, str>>) -> Self {
        Auth {
            inner: AuthInner::Bearer(Source::Env(var.into())),
        }
    }

    /// An API key in the request header `header`.
    #[must_use]
    pub fn api_key_header(header: impl Into<Cow<'static, str>>, key: impl Into<String>) -> Self {
        Auth {
            inner: AuthInner::ApiKeyHeader {
                header: header.into(),
                key: Source::Value(SecretString::from(key.into())),
            },
        }
    }

    /// An API key in the request header `header`, read from `var`.
    #[must_use]
    pub fn api_key_header_env(
        header: impl Into<Cow<'static, str>>,
        var: impl Into<Cow<'static, str>>,
    ) -> Self {
        Auth {
            inner: AuthInner::ApiKeyHeader {
                header: header.into(),
                key: Source::Env(var.into()),
            },
        }
    }

    /// An API key in the query parameter `param`.
    #[must_use]
    pub fn api_key_query(param: impl Into<Cow<'static, str>>, key: impl Into<String>) -> Self {
        Auth {
            inner: AuthInner::ApiKeyQuery {
                param: param.into(),
                key: Source::Value(SecretString::from(key.into())),
            },
        }
    }

    /// An API key in the query parameter `param`, read from `var`.
    #[must_use]
    pub fn api_key_query_env(
        param: impl Into<Cow<'static, str>>,
        var: impl Into<Cow<'static, str>>,
    ) -> Self {
        Auth {
            inner: AuthInner::ApiKeyQuery {
                param: param.into(),
                key: Source::Env(var.into()),
            },
        }
    }

    /// HTTP Basic authentication.
    #[must_use]
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Auth {
            inner: AuthInner::Basic {
                username: Source::Value(SecretString::from(username.into())),
                password: Source::Value(SecretString::from(password.into())),
            },
        }
    }

    /// HTTP Basic authentication, both parts read from variables.
    #[must_use]
    pub fn basic_env(
        username_var: impl Into<Cow<'static, str>>,
        password_var: impl Into<Cow<'static, str>>,
    ) -> Self {
        Auth {
            inner: AuthInner::Basic {
                username: Source::Env(username_var.into()),
                password: Source::Env(password_var.into()),
            },
        }
    }

    /// A custom signer, run before every attempt.
    #[must_use]
    pub fn custom(signer: impl SignRequest) -> Self {
        Auth {
            inner: AuthInner::Custom(Arc::new(signer)),
        }
    }

    /// Reads the credentials and prepares what each attempt applies.
    pub(crate) fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<ResolvedAuth> {
        Ok(match &self.inner {
            AuthInner::None => ResolvedAuth::None,
            AuthInner::Bearer(token) => {
                let token = token.resolve(env)?;
                ResolvedAuth::Header(
                    AUTHORIZATION,
                    sensitive(
                        format!("Bearer {}", token.expose_secret()),
                        "the bearer token",
                    )?,
                )
            }
            AuthInner::ApiKeyHeader { header, key } => {
                let name = HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
                    Error::config(format!("`{header}` is not a valid API key header name"))
                })?;
                let key = key.resolve(env)?;
                ResolvedAuth::Header(
                    name,
                    sensitive(key.expose_secret().to_owned(), "the API key")?,
                )
            }
            AuthInner::ApiKeyQuery { param, key } => {
                let key = key.resolve(env)?;
                let mut pair = String::new();
                form_urlencoded::Serializer::new(&mut pair).append_pair(param, key.expose_secret());
                ResolvedAuth::Query(SecretString::from(pair))
            }
            AuthInner::Basic { username, password } => {
                let user = username.resolve(env)?;
                let pass = password.resolve(env)?;
                if user.expose_secret().contains(':') {
                    return Err(Error::config(
                        "basic auth: the username must not contain `:`",
                    ));
                }
                let raw = format!("{}:{}", user.expose_secret(), pass.expose_secret());
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
                ResolvedAuth::Header(
                    AUTHORIZATION,
                    sensitive(format!("Basic {encoded}"), "the basic credentials")?,
                )
            }
            AuthInner::Custom(signer) => ResolvedAuth::Custom(signer.clone()),
        })
    }
}

fn sensitive(value: String, what: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(&value)
        .map_err(|_| Error::config(format!("{what} is not a valid header value")))?;
    v.set_sensitive(true);
    Ok(v)
}

/// Credentials ready to apply.
#[derive(Clone)]
pub(crate) enum ResolvedAuth {
    None,
    Header(HeaderName, HeaderValue),
    /// The `name=value` pair, already form-encoded.
    Query(SecretString),
    Custom(Arc<dyn SignRequest>),
}

impl ResolvedAuth {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ResolvedAuth::None => "none",
            ResolvedAuth::Header(name, _) if name == AUTHORIZATION => "authorization header",
            ResolvedAuth::Header(..) => "api key header",
            ResolvedAuth::Query(_) => "api key query",
            ResolvedAuth::Custom(_) => "custom",
        }
    }
}

impl fmt::Debug for ResolvedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [redacted]", self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("s3cr3t-token".to_owned()),
            "USER" => Some("aladdin".to_owned()),
            "PASS" => Some("open sesame".to_owned()),
            "EMPTY" => Some(String::new()),
            "NEWLINE" => Some("a\nb".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn resolves_each_form() {
        match Auth::bearer_env("TOKEN").resolve(&env).unwrap() {
            ResolvedAuth::Header(n, v) => {
                assert_eq!(n, AUTHORIZATION);
                assert_eq!(v, "Bearer s3cr3t-token");
                assert!(v.is_sensitive());
            }
            other => panic!("{other:?}"),
        }
        match Auth::basic_env("USER", "PASS").resolve(&env).unwrap() {
            ResolvedAuth::Header(_, v) => assert_eq!(v, "Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            other => panic!("{other:?}"),
        }
        match Auth::api_key_header_env("X-Api-Key", "TOKEN")
            .resolve(&env)
            .unwrap()
        {
            ResolvedAuth::Header(n, v) => {
                assert_eq!(n, "x-api-key");
                assert_eq!(v, "s3cr3t-token");
            }
            other => panic!("{other:?}"),
        }
        match Auth::api_key_query("api key", "a&b").resolve(&env).unwrap() {
            ResolvedAuth::Query(pair) => assert_eq!(pair.expose_secret(), "api+key=a%26b"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_empty_or_invalid_variables_are_named_config_errors() {
        let e = Auth::bearer_env("MISSING").resolve(&env).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(e.to_string().contains("MISSING"), "{e}");
        let e = Auth::bearer_env("EMPTY").resolve(&env).unwrap_err();
        assert!(e.to_string().contains("EMPTY"), "{e}");
        let e = Auth::bearer_env("NEWLINE").resolve(&env).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(!e.to_string().contains("a\nb"));
        let e = Auth::api_key_header("bad header", "k")
            .resolve(&env)
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
    }

    #[test]
    fn debug_never_shows_secrets() {
        for auth in [
            Auth::bearer("s3cr3t-token"),
            Auth::api_key_query("key", "s3cr3t-token"),
            Auth::api_key_header("X-Key", "s3cr3t-token"),
            Auth::basic("user", "s3cr3t-token"),
        ] {
            let shown = format!("{auth:?}");
            assert!(!shown.contains("s3cr3t"), "{shown}");
            let resolved = auth.resolve(&env).unwrap();
            let shown = format!("{resolved:?}");
            assert!(!shown.contains("s3cr3t"), "{shown}");
        }
        assert_eq!(
            format!("{:?}", Auth::bearer_env("TOKEN")),
            "Bearer(env(\"TOKEN\"))"
        );
    }
}
