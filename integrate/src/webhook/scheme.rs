//! The signature schemes a [`Verifier`](super::Verifier) understands.

/// A provider's webhook signature scheme.
///
/// Every scheme is an HMAC-SHA256 over the raw body (and, for the schemes
/// that sign one, a timestamp and id) keyed with the endpoint's secret.
/// New schemes may be added: match with a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>..]` over
    /// `"{t}.{body}"`. Any matching `v1` is enough; other keys (`v0`) are
    /// ignored. The key is the secret's UTF-8 bytes, `whsec_` included.
    Stripe,
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body (the
    /// `sha256=` prefix is required). Signs no timestamp.
    Github,
    /// [Standard Webhooks](https://www.standardwebhooks.com/):
    /// `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64>
    /// [v1,<base64>..]` over `"{id}.{timestamp}.{body}"`; the `svix-id`,
    /// `svix-timestamp` and `svix-signature` names are accepted too. The
    /// secret is `whsec_` followed by base64, and the key is the decoded
    /// bytes.
    Standard,
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body. Signs no
    /// timestamp.
    Shopify,
    /// Slack: `X-Slack-Signature: v0=<hex>` over `"v0:{timestamp}:{body}"`
    /// with the timestamp from `X-Slack-Request-Timestamp`.
    Slack,
    /// Any other HMAC-SHA256 scheme: see [`Scheme::hmac_sha256`].
    HmacSha256(HmacScheme),
}

impl Scheme {
    /// A generic HMAC-SHA256 scheme whose signature is in `header`:
    /// hexadecimal, without prefix and over the body alone unless
    /// configured otherwise.
    ///
    /// ```
    /// use integrate::webhook::{Encoding, Scheme};
    ///
    /// let scheme: Scheme = Scheme::hmac_sha256("X-Signature")
    ///     .encoding(Encoding::Base64)
    ///     .prefix("sha256=")
    ///     .timestamp_header("X-Timestamp")
    ///     .into();
    /// assert!(scheme.signs_timestamp());
    /// ```
    pub fn hmac_sha256(header: impl Into<String>) -> HmacScheme {
        HmacScheme {
            header: header.into(),
            encoding: Encoding::Hex,
            prefix: String::new(),
            timestamp_header: None,
        }
    }

    /// Whether the scheme signs a timestamp, so that a time window applies
    /// (Stripe, Standard Webhooks, Slack, and the generic form with a
    /// timestamp header).
    #[must_use]
    pub fn signs_timestamp(&self) -> bool {
        match self {
            Scheme::Stripe | Scheme::Standard | Scheme::Slack => true,
            Scheme::Github | Scheme::Shopify => false,
            Scheme::HmacSha256(generic) => generic.timestamp_header.is_some(),
        }
    }

    /// The scheme's name as written in `#[webhook(scheme = "..")]`:
    /// `"stripe"`, `"github"`, `"standard"`, `"shopify"`, `"slack"`, or
    /// `"hmac-sha256"` for the generic form.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::Stripe => "stripe",
            Scheme::Github => "github",
            Scheme::Standard => "standard",
            Scheme::Shopify => "shopify",
            Scheme::Slack => "slack",
            Scheme::HmacSha256(_) => "hmac-sha256",
        }
    }
}

/// How a signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Encoding {
    /// Hexadecimal, 64 digits, either case.
    #[default]
    Hex,
    /// Base64 with the standard alphabet, padding optional.
    Base64,
}

/// The generic HMAC-SHA256 scheme, made by [`Scheme::hmac_sha256`].
///
/// The signed content is `"{timestamp}.{body}"` when a timestamp header is
/// given, else the body. The header holds one signature: the prefix, then
/// the encoded MAC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[must_use]
pub struct HmacScheme {
    pub(crate) header: String,
    pub(crate) encoding: Encoding,
    pub(crate) prefix: String,
    pub(crate) timestamp_header: Option<String>,
}

impl HmacScheme {
    /// How the signature is encoded (default: [`Encoding::Hex`]).
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// A prefix the header value must start with, such as `"sha256="`
    /// (default: none). It is matched exactly and removed before decoding.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The header holding the Unix timestamp (seconds) that is signed with
    /// the body as `"{timestamp}.{body}"` and checked against the time
    /// window.
    pub fn timestamp_header(mut self, header: impl Into<String>) -> Self {
        self.timestamp_header = Some(header.into());
        self
    }

    /// The name of the signature header, as given.
    #[must_use]
    pub fn header(&self) -> &str {
        &self.header
    }
}

impl From<HmacScheme> for Scheme {
    fn from(generic: HmacScheme) -> Self {
        Scheme::HmacSha256(generic)
    }
}
