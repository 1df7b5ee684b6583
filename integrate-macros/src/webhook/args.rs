//! The arguments of `#[webhook(..)]`.
//!
//! Keys are keywords matched with `lookahead1`, so an unknown key is told
//! the keys it could be. A key that fails to parse is recorded and parsing
//! resumes after the next `,`, so every mistake is reported in one build.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{LitInt, LitStr, Token, bracketed, parenthesized};

use crate::integration::Errors;

/// The keywords of the grammar.
mod kw {
    syn::custom_keyword!(scheme);
    syn::custom_keyword!(signature);
    syn::custom_keyword!(header);
    syn::custom_keyword!(encoding);
    syn::custom_keyword!(prefix);
    syn::custom_keyword!(timestamp_header);
    syn::custom_keyword!(secret_env);
    syn::custom_keyword!(tolerance);
    syn::custom_keyword!(max_body);
    syn::custom_keyword!(delivery_id);
    syn::custom_keyword!(field);
}

pub(crate) use crate::value::Value;
use crate::value::{key, put, skip_entry};

/// The provider schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemeName {
    Stripe,
    Github,
    Standard,
    Shopify,
    Slack,
}

impl SchemeName {
    /// The name as written.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SchemeName::Stripe => "stripe",
            SchemeName::Github => "github",
            SchemeName::Standard => "standard",
            SchemeName::Shopify => "shopify",
            SchemeName::Slack => "slack",
        }
    }
}

/// The signature encodings of the generic form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Hex,
    Base64,
}

/// `delivery_id = header("..") | field("..")`.
#[derive(Debug, Clone)]
pub(crate) enum DeliveryIdArg {
    Header(LitStr),
    Field(LitStr),
}

/// `#[webhook(..)]`.
#[derive(Default)]
pub(crate) struct Args {
    /// Whether `scheme` or `signature` was written, even with a bad value.
    pub(crate) form_written: bool,
    pub(crate) scheme: Option<Value<SchemeName>>,
    pub(crate) signature: Option<Value<()>>,
    pub(crate) header: Option<Value<LitStr>>,
    pub(crate) encoding: Option<Value<Encoding>>,
    pub(crate) prefix: Option<Value<LitStr>>,
    pub(crate) timestamp_header: Option<Value<LitStr>>,
    pub(crate) secret_env: Option<Value<Vec<LitStr>>>,
    pub(crate) tolerance: Option<Value<Duration>>,
    pub(crate) max_body: Option<Value<u64>>,
    pub(crate) delivery_id: Option<Value<DeliveryIdArg>>,
}

/// Parses the arguments of `#[webhook(..)]`.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let parser = |input: ParseStream<'_>| {
        while !input.is_empty() {
            if let Err(e) = entry(input, errors, &mut args) {
                errors.push(e);
                skip_entry(input);
            }
            if input.is_empty() {
                break;
            }
            if input.parse::<Token![,]>().is_err() {
                errors.push(input.error("expected `,` before the next key"));
                skip_entry(input);
                let _ = input.parse::<Option<Token![,]>>();
            }
        }
        Ok(())
    };
    if let Err(e) = parser.parse2(tokens) {
        errors.push(e);
    }
    args
}

/// Stores `entry` in `slot`; a second value for the key is an error on it.
fn put_entry<T>(slot: &mut Option<Value<T>>, name: &str, entry: Value<T>, errors: &mut Errors) {
    let span = entry.key;
    put(slot, name, span, entry, errors);
}

fn string(input: ParseStream<'_>) -> syn::Result<LitStr> {
    input
        .parse()
        .map_err(|e| syn::Error::new(e.span(), "expected a string literal"))
}

/// `key = "string"` for the keyword `K`.
fn string_entry<K: syn::parse::Parse + syn::spanned::Spanned>(
    input: ParseStream<'_>,
) -> syn::Result<Value<LitStr>> {
    let key = key::<K>(input)?;
    let lit = string(input)?;
    let span = lit.span();
    Ok(Value {
        value: lit,
        key,
        span,
    })
}

fn entry(input: ParseStream<'_>, errors: &mut Errors, args: &mut Args) -> syn::Result<()> {
    let la = input.lookahead1();
    if la.peek(kw::scheme) {
        args.form_written = true;
        let key = key::<kw::scheme>(input)?;
        let lit = string(input)?;
        let value = match lit.value().as_str() {
            "stripe" => SchemeName::Stripe,
            "github" => SchemeName::Github,
            "standard" => SchemeName::Standard,
            "shopify" => SchemeName::Shopify,
            "slack" => SchemeName::Slack,
            other => {
                let hint = if other == "hmac-sha256" {
                    "; the generic form is written `signature = \"hmac-sha256\", header = \"..\"`"
                } else {
                    ""
                };
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "unknown scheme `{other}`: expected \"stripe\", \"github\", \"standard\", \"shopify\" or \"slack\"{hint}"
                    ),
                ));
            }
        };
        let span = lit.span();
        put_entry(
            &mut args.scheme,
            "scheme",
            Value { value, key, span },
            errors,
        );
    } else if la.peek(kw::signature) {
        args.form_written = true;
        let key = key::<kw::signature>(input)?;
        let lit = string(input)?;
        if lit.value() != "hmac-sha256" {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "unknown signature `{}`: the generic form supports \"hmac-sha256\"",
                    lit.value()
                ),
            ));
        }
        let span = lit.span();
        let entry = Value {
            value: (),
            key,
            span,
        };
        put_entry(&mut args.signature, "signature", entry, errors);
    } else if la.peek(kw::header) {
        let entry = string_entry::<kw::header>(input)?;
        put_entry(&mut args.header, "header", entry, errors);
    } else if la.peek(kw::encoding) {
        let key = key::<kw::encoding>(input)?;
        let lit = string(input)?;
        let value = match lit.value().as_str() {
            "hex" => Encoding::Hex,
            "base64" => Encoding::Base64,
            other => {
                return Err(syn::Error::new(
                    lit.span(),
                    format!("unknown encoding `{other}`: expected \"hex\" or \"base64\""),
                ));
            }
        };
        let span = lit.span();
        put_entry(
            &mut args.encoding,
            "encoding",
            Value { value, key, span },
            errors,
        );
    } else if la.peek(kw::prefix) {
        let entry = string_entry::<kw::prefix>(input)?;
        put_entry(&mut args.prefix, "prefix", entry, errors);
    } else if la.peek(kw::timestamp_header) {
        let entry = string_entry::<kw::timestamp_header>(input)?;
        put_entry(
            &mut args.timestamp_header,
            "timestamp_header",
            entry,
            errors,
        );
    } else if la.peek(kw::secret_env) {
        let key = key::<kw::secret_env>(input)?;
        let (value, span) = if input.peek(syn::token::Bracket) {
            let content;
            let brackets = bracketed!(content in input);
            let names = content.parse_terminated(string, Token![,])?;
            (names.into_iter().collect(), brackets.span.join())
        } else if input.peek(LitStr) {
            let lit = string(input)?;
            let span = lit.span();
            (vec![lit], span)
        } else {
            return Err(input.error(
                "expected the name of an environment variable, `\"NAME\"`, or a list, `[\"NAME\", \"NAME_PREVIOUS\"]`",
            ));
        };
        put_entry(
            &mut args.secret_env,
            "secret_env",
            Value { value, key, span },
            errors,
        );
    } else if la.peek(kw::tolerance) {
        let key = key::<kw::tolerance>(input)?;
        let lit: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a duration as a string literal, e.g. \"30s\", \"5m\"",
            )
        })?;
        let value = crate::duration::parse(&lit)?;
        let span = lit.span();
        put_entry(
            &mut args.tolerance,
            "tolerance",
            Value { value, key, span },
            errors,
        );
    } else if la.peek(kw::max_body) {
        let key = key::<kw::max_body>(input)?;
        let (value, span) = size(input)?;
        put_entry(
            &mut args.max_body,
            "max_body",
            Value { value, key, span },
            errors,
        );
    } else if la.peek(kw::delivery_id) {
        let key = key::<kw::delivery_id>(input)?;
        let la = input.lookahead1();
        let (value, span) = if la.peek(kw::header) {
            let span = input.parse::<kw::header>()?.span;
            let content;
            parenthesized!(content in input);
            let lit = string(&content)?;
            (DeliveryIdArg::Header(lit), span)
        } else if la.peek(kw::field) {
            let span = input.parse::<kw::field>()?.span;
            let content;
            parenthesized!(content in input);
            let lit = string(&content)?;
            (DeliveryIdArg::Field(lit), span)
        } else {
            return Err(la.error());
        };
        put_entry(
            &mut args.delivery_id,
            "delivery_id",
            Value { value, key, span },
            errors,
        );
    } else {
        return Err(la.error());
    }
    Ok(())
}

/// `max_body = 1048576` (bytes) or `max_body = "2MiB"` (`B`, `KiB`, `MiB`).
fn size(input: ParseStream<'_>) -> syn::Result<(u64, Span)> {
    if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        return Ok((lit.base10_parse()?, lit.span()));
    }
    let lit: LitStr = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a size in bytes, e.g. `1048576`, or a string such as \"512KiB\" or \"2MiB\"",
        )
    })?;
    parse_size(&lit.value())
        .map(|n| (n, lit.span()))
        .ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                format!(
                    "`{}` is not a size: write a whole number followed by `B`, `KiB` or `MiB`, e.g. \"512KiB\", \"2MiB\"",
                    lit.value()
                ),
            )
        })
}

fn parse_size(text: &str) -> Option<u64> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    if unit_at == 0 {
        return None;
    }
    let (number, unit) = text.split_at(unit_at);
    let number: u64 = number.parse().ok()?;
    match unit {
        "B" => Some(number),
        "KiB" => number.checked_mul(1024),
        "MiB" => number.checked_mul(1024 * 1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10B"), Some(10));
        assert_eq!(parse_size("512KiB"), Some(512 * 1024));
        assert_eq!(parse_size("2MiB"), Some(2 * 1024 * 1024));
        for bad in ["", "MiB", "2", "2mb", "2 MiB", "-1B", "2.5MiB"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }
}
