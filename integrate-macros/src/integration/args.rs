//! The arguments of `#[integration(..)]` and of the per-method policy
//! attributes (`#[retry(..)]`, `#[timeout(..)]`, `#[rate_limit(..)]`).
//!
//! Keys are keywords matched with `lookahead1`, so an unknown key is told
//! the keys it could be. A key that fails to parse is recorded and parsing
//! resumes after the next `,`, so every mistake is reported in one build.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{LitFloat, LitInt, LitStr, Token, parenthesized};

use super::Errors;

/// The keywords of the grammar.
pub(crate) mod kw {
    syn::custom_keyword!(base_url);
    syn::custom_keyword!(auth);
    syn::custom_keyword!(retry);
    syn::custom_keyword!(circuit_breaker);
    syn::custom_keyword!(rate_limit);
    syn::custom_keyword!(timeout);

    syn::custom_keyword!(none);
    syn::custom_keyword!(bearer);
    syn::custom_keyword!(api_key);
    syn::custom_keyword!(basic);
    syn::custom_keyword!(oauth2);
    syn::custom_keyword!(env);
    syn::custom_keyword!(header);
    syn::custom_keyword!(query);
    syn::custom_keyword!(username_env);
    syn::custom_keyword!(password_env);

    syn::custom_keyword!(max_attempts);
    syn::custom_keyword!(initial_backoff);
    syn::custom_keyword!(max_backoff);
    syn::custom_keyword!(jitter);

    syn::custom_keyword!(failure_ratio);
    syn::custom_keyword!(min_calls);
    syn::custom_keyword!(window);
    syn::custom_keyword!(open_for);
    syn::custom_keyword!(half_open_calls);
    syn::custom_keyword!(consecutive_failures);

    syn::custom_keyword!(requests);
    syn::custom_keyword!(per);
    syn::custom_keyword!(burst);

    syn::custom_keyword!(connect);
    syn::custom_keyword!(attempt);
    syn::custom_keyword!(total);
}

pub(crate) use crate::value::Value;
use crate::value::{key, put, skip_entry};

/// `#[integration(..)]`.
#[derive(Default)]
pub(crate) struct TraitArgs {
    pub(crate) base_url: Option<Value<String>>,
    pub(crate) auth: Option<AuthArg>,
    pub(crate) retry: Option<RetryArgs>,
    pub(crate) circuit_breaker: Option<BreakerArgs>,
    pub(crate) rate_limit: Option<RateLimitArgs>,
    pub(crate) timeout: Option<TimeoutArgs>,
}

/// The kind of `auth = ..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthKind {
    None,
    Bearer,
    ApiKey,
    Basic,
}

/// `auth = kind(..)`; which keys a kind needs is checked in validation.
pub(crate) struct AuthArg {
    pub(crate) kind: AuthKind,
    /// The kind's keyword.
    pub(crate) span: Span,
    pub(crate) env: Option<Value<String>>,
    pub(crate) header: Option<Value<String>>,
    pub(crate) query: Option<Value<String>>,
    pub(crate) username_env: Option<Value<String>>,
    pub(crate) password_env: Option<Value<String>>,
}

/// The jitter modes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Jitter {
    None,
    Full,
    Equal,
}

/// `retry(..)`, on the trait or a method.
pub(crate) struct RetryArgs {
    pub(crate) span: Span,
    pub(crate) max_attempts: Option<Value<u32>>,
    pub(crate) initial_backoff: Option<Value<Duration>>,
    pub(crate) max_backoff: Option<Value<Duration>>,
    pub(crate) jitter: Option<Value<Jitter>>,
}

/// `circuit_breaker(..)`: the ratio form or the consecutive form.
pub(crate) struct BreakerArgs {
    pub(crate) failure_ratio: Option<Value<f64>>,
    pub(crate) min_calls: Option<Value<u32>>,
    pub(crate) window: Option<Value<Duration>>,
    pub(crate) open_for: Option<Value<Duration>>,
    pub(crate) half_open_calls: Option<Value<u32>>,
    pub(crate) consecutive_failures: Option<Value<u32>>,
}

/// `rate_limit(..)`, on the trait or a method.
pub(crate) struct RateLimitArgs {
    pub(crate) span: Span,
    pub(crate) requests: Option<Value<u32>>,
    pub(crate) per: Option<Value<Duration>>,
    pub(crate) burst: Option<Value<u32>>,
}

/// `timeout(..)`; `connect` only on the trait.
pub(crate) struct TimeoutArgs {
    pub(crate) connect: Option<Value<Duration>>,
    pub(crate) attempt: Option<Value<Duration>>,
    pub(crate) total: Option<Value<Duration>>,
}

/// Parses the arguments of `#[integration(..)]`.
pub(crate) fn parse_trait_args(tokens: TokenStream, errors: &mut Errors) -> TraitArgs {
    let mut args = TraitArgs::default();
    let parser = |input: ParseStream<'_>| {
        entries(input, errors, |input, errors| {
            trait_entry(input, errors, &mut args)
        });
        Ok(())
    };
    if let Err(e) = parser.parse2(tokens) {
        errors.push(e);
    }
    args
}

/// Parses the list inside `#[retry(..)]` on a method.
pub(crate) fn parse_retry(attr: &syn::Attribute, errors: &mut Errors) -> Option<RetryArgs> {
    let span = attr_span(attr);
    list_of(attr, errors, |input, errors| {
        retry_list(input, errors, span)
    })
}

/// Parses the list inside `#[timeout(..)]` on a method; `connect` is refused.
pub(crate) fn parse_timeout(attr: &syn::Attribute, errors: &mut Errors) -> Option<TimeoutArgs> {
    list_of(attr, errors, |input, errors| {
        timeout_list(input, errors, false)
    })
}

/// Parses the list inside `#[rate_limit(..)]` on a method.
pub(crate) fn parse_rate_limit(
    attr: &syn::Attribute,
    errors: &mut Errors,
) -> Option<RateLimitArgs> {
    let span = attr_span(attr);
    list_of(attr, errors, |input, errors| {
        rate_limit_list(input, errors, span)
    })
}

/// The span of an attribute's name.
pub(crate) fn attr_span(attr: &syn::Attribute) -> Span {
    attr.path()
        .segments
        .last()
        .map_or_else(Span::call_site, |s| s.ident.span())
}

fn list_of<T>(
    attr: &syn::Attribute,
    errors: &mut Errors,
    parse: impl FnOnce(ParseStream<'_>, &mut Errors) -> T,
) -> Option<T> {
    let name = attr
        .path()
        .get_ident()
        .map_or_else(String::new, ToString::to_string);
    let list = match attr.meta.require_list() {
        Ok(list) => list,
        Err(_) => {
            errors.on(
                attr,
                format!("`#[{name}]` needs its keys: `#[{name}(key = value, ..)]`"),
            );
            return None;
        }
    };
    let mut out = None;
    let parser = |input: ParseStream<'_>| {
        out = Some(parse(input, errors));
        Ok(())
    };
    if let Err(e) = parser.parse2(list.tokens.clone()) {
        errors.push(e);
    }
    out
}

/// Parses `entry, entry, ..` to the end of `input`; an entry that fails is
/// recorded and parsing resumes after the next `,`.
fn entries(
    input: ParseStream<'_>,
    errors: &mut Errors,
    mut entry: impl FnMut(ParseStream<'_>, &mut Errors) -> syn::Result<()>,
) {
    while !input.is_empty() {
        if let Err(e) = entry(input, errors) {
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
}

/// Stores the value of the key at `span`; a second value is an error.
fn put_value<T>(
    slot: &mut Option<Value<T>>,
    key: &str,
    span: Span,
    mut value: Value<T>,
    errors: &mut Errors,
) {
    value.key = span;
    put(slot, key, span, value, errors);
}

fn string(input: ParseStream<'_>) -> syn::Result<Value<String>> {
    let lit: LitStr = input
        .parse()
        .map_err(|e| syn::Error::new(e.span(), "expected a string literal in double quotes"))?;
    Ok(Value {
        value: lit.value(),
        span: lit.span(),
        key: lit.span(),
    })
}

fn duration(input: ParseStream<'_>) -> syn::Result<Value<Duration>> {
    let lit: LitStr = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a duration as a string literal, e.g. \"150ms\", \"2s\", \"5m\", \"1h\"",
        )
    })?;
    Ok(Value {
        value: crate::duration::parse(&lit)?,
        span: lit.span(),
        key: lit.span(),
    })
}

fn count(input: ParseStream<'_>) -> syn::Result<Value<u32>> {
    let lit: LitInt = input.parse().map_err(|e| {
        syn::Error::new(e.span(), "expected a whole number without quotes, e.g. `4`")
    })?;
    Ok(Value {
        value: lit.base10_parse()?,
        span: lit.span(),
        key: lit.span(),
    })
}

fn ratio(input: ParseStream<'_>) -> syn::Result<Value<f64>> {
    if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        let value: u32 = lit.base10_parse()?;
        return Ok(Value {
            value: f64::from(value),
            span: lit.span(),
            key: lit.span(),
        });
    }
    let lit: LitFloat = input
        .parse()
        .map_err(|e| syn::Error::new(e.span(), "expected a number such as `0.5`"))?;
    Ok(Value {
        value: lit.base10_parse()?,
        span: lit.span(),
        key: lit.span(),
    })
}

fn jitter(input: ParseStream<'_>) -> syn::Result<Value<Jitter>> {
    let lit: LitStr = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected \"none\", \"full\" or \"equal\" as a string literal",
        )
    })?;
    let value = match lit.value().as_str() {
        "none" => Jitter::None,
        "full" => Jitter::Full,
        "equal" => Jitter::Equal,
        other => {
            return Err(syn::Error::new(
                lit.span(),
                format!("unknown jitter `{other}`: expected \"none\", \"full\" or \"equal\""),
            ));
        }
    };
    Ok(Value {
        value,
        span: lit.span(),
        key: lit.span(),
    })
}

fn trait_entry(
    input: ParseStream<'_>,
    errors: &mut Errors,
    args: &mut TraitArgs,
) -> syn::Result<()> {
    let la = input.lookahead1();
    if la.peek(kw::base_url) {
        let span = key::<kw::base_url>(input)?;
        let value = string(input)?;
        put_value(&mut args.base_url, "base_url", span, value, errors);
    } else if la.peek(kw::auth) {
        let span = key::<kw::auth>(input)?;
        let value = auth(input, errors)?;
        put(&mut args.auth, "auth", span, value, errors);
    } else if la.peek(kw::retry) {
        let span = input.parse::<kw::retry>()?.span;
        let content;
        parenthesized!(content in input);
        let value = retry_list(&content, errors, span);
        put(&mut args.retry, "retry", span, value, errors);
    } else if la.peek(kw::circuit_breaker) {
        let span = input.parse::<kw::circuit_breaker>()?.span;
        let content;
        parenthesized!(content in input);
        let value = breaker_list(&content, errors);
        put(
            &mut args.circuit_breaker,
            "circuit_breaker",
            span,
            value,
            errors,
        );
    } else if la.peek(kw::rate_limit) {
        let span = input.parse::<kw::rate_limit>()?.span;
        let content;
        parenthesized!(content in input);
        let value = rate_limit_list(&content, errors, span);
        put(&mut args.rate_limit, "rate_limit", span, value, errors);
    } else if la.peek(kw::timeout) {
        let span = input.parse::<kw::timeout>()?.span;
        let content;
        parenthesized!(content in input);
        let value = timeout_list(&content, errors, true);
        put(&mut args.timeout, "timeout", span, value, errors);
    } else {
        return Err(la.error());
    }
    Ok(())
}

fn auth(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<AuthArg> {
    let la = input.lookahead1();
    let (kind, span) = if la.peek(kw::none) {
        (AuthKind::None, input.parse::<kw::none>()?.span)
    } else if la.peek(kw::bearer) {
        (AuthKind::Bearer, input.parse::<kw::bearer>()?.span)
    } else if la.peek(kw::api_key) {
        (AuthKind::ApiKey, input.parse::<kw::api_key>()?.span)
    } else if la.peek(kw::basic) {
        (AuthKind::Basic, input.parse::<kw::basic>()?.span)
    } else if la.peek(kw::oauth2) {
        let span = input.parse::<kw::oauth2>()?.span;
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            content.parse::<TokenStream>()?;
        }
        return Err(syn::Error::new(
            span,
            "`oauth2` client credentials is not available yet: use `bearer(env = \"..\")` with a token you obtain, or `.auth(integrate::Auth::custom(..))` on the builder",
        ));
    } else {
        return Err(la.error());
    };
    let mut arg = AuthArg {
        kind,
        span,
        env: None,
        header: None,
        query: None,
        username_env: None,
        password_env: None,
    };
    if kind == AuthKind::None {
        return Ok(arg);
    }
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(span, auth_usage(kind)));
    }
    let content;
    parenthesized!(content in input);
    entries(&content, errors, |input, errors| {
        let la = input.lookahead1();
        if la.peek(kw::env) && kind != AuthKind::Basic {
            let span = key::<kw::env>(input)?;
            let value = string(input)?;
            put_value(&mut arg.env, "env", span, value, errors);
        } else if la.peek(kw::header) && kind == AuthKind::ApiKey {
            let span = key::<kw::header>(input)?;
            let value = string(input)?;
            put_value(&mut arg.header, "header", span, value, errors);
        } else if la.peek(kw::query) && kind == AuthKind::ApiKey {
            let span = key::<kw::query>(input)?;
            let value = string(input)?;
            put_value(&mut arg.query, "query", span, value, errors);
        } else if la.peek(kw::username_env) && kind == AuthKind::Basic {
            let span = key::<kw::username_env>(input)?;
            let value = string(input)?;
            put_value(&mut arg.username_env, "username_env", span, value, errors);
        } else if la.peek(kw::password_env) && kind == AuthKind::Basic {
            let span = key::<kw::password_env>(input)?;
            let value = string(input)?;
            put_value(&mut arg.password_env, "password_env", span, value, errors);
        } else {
            return Err(input.error(format!("unexpected key; {}", auth_usage(kind))));
        }
        Ok(())
    });
    Ok(arg)
}

/// How an auth kind is written.
pub(crate) fn auth_usage(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::None => "write `auth = none`",
        AuthKind::Bearer => {
            "write `bearer(env = \"VAR\")`, naming the variable that holds the token"
        }
        AuthKind::ApiKey => {
            "write `api_key(header = \"Name\", env = \"VAR\")` or `api_key(query = \"name\", env = \"VAR\")`"
        }
        AuthKind::Basic => {
            "write `basic(username_env = \"USER_VAR\", password_env = \"PASSWORD_VAR\")`"
        }
    }
}

fn retry_list(input: ParseStream<'_>, errors: &mut Errors, span: Span) -> RetryArgs {
    let mut args = RetryArgs {
        span,
        max_attempts: None,
        initial_backoff: None,
        max_backoff: None,
        jitter: None,
    };
    entries(input, errors, |input, errors| {
        let la = input.lookahead1();
        if la.peek(kw::max_attempts) {
            let span = key::<kw::max_attempts>(input)?;
            let value = count(input)?;
            put_value(&mut args.max_attempts, "max_attempts", span, value, errors);
        } else if la.peek(kw::initial_backoff) {
            let span = key::<kw::initial_backoff>(input)?;
            let value = duration(input)?;
            put_value(
                &mut args.initial_backoff,
                "initial_backoff",
                span,
                value,
                errors,
            );
        } else if la.peek(kw::max_backoff) {
            let span = key::<kw::max_backoff>(input)?;
            let value = duration(input)?;
            put_value(&mut args.max_backoff, "max_backoff", span, value, errors);
        } else if la.peek(kw::jitter) {
            let span = key::<kw::jitter>(input)?;
            let value = jitter(input)?;
            put_value(&mut args.jitter, "jitter", span, value, errors);
        } else {
            return Err(la.error());
        }
        Ok(())
    });
    args
}

fn breaker_list(input: ParseStream<'_>, errors: &mut Errors) -> BreakerArgs {
    let mut args = BreakerArgs {
        failure_ratio: None,
        min_calls: None,
        window: None,
        open_for: None,
        half_open_calls: None,
        consecutive_failures: None,
    };
    entries(input, errors, |input, errors| {
        let la = input.lookahead1();
        if la.peek(kw::failure_ratio) {
            let span = key::<kw::failure_ratio>(input)?;
            let value = ratio(input)?;
            put_value(
                &mut args.failure_ratio,
                "failure_ratio",
                span,
                value,
                errors,
            );
        } else if la.peek(kw::min_calls) {
            let span = key::<kw::min_calls>(input)?;
            let value = count(input)?;
            put_value(&mut args.min_calls, "min_calls", span, value, errors);
        } else if la.peek(kw::window) {
            let span = key::<kw::window>(input)?;
            let value = duration(input)?;
            put_value(&mut args.window, "window", span, value, errors);
        } else if la.peek(kw::open_for) {
            let span = key::<kw::open_for>(input)?;
            let value = duration(input)?;
            put_value(&mut args.open_for, "open_for", span, value, errors);
        } else if la.peek(kw::half_open_calls) {
            let span = key::<kw::half_open_calls>(input)?;
            let value = count(input)?;
            put_value(
                &mut args.half_open_calls,
                "half_open_calls",
                span,
                value,
                errors,
            );
        } else if la.peek(kw::consecutive_failures) {
            let span = key::<kw::consecutive_failures>(input)?;
            let value = count(input)?;
            put_value(
                &mut args.consecutive_failures,
                "consecutive_failures",
                span,
                value,
                errors,
            );
        } else {
            return Err(la.error());
        }
        Ok(())
    });
    args
}

fn rate_limit_list(input: ParseStream<'_>, errors: &mut Errors, span: Span) -> RateLimitArgs {
    let mut args = RateLimitArgs {
        span,
        requests: None,
        per: None,
        burst: None,
    };
    entries(input, errors, |input, errors| {
        let la = input.lookahead1();
        if la.peek(kw::requests) {
            let span = key::<kw::requests>(input)?;
            let value = count(input)?;
            put_value(&mut args.requests, "requests", span, value, errors);
        } else if la.peek(kw::per) {
            let span = key::<kw::per>(input)?;
            let value = duration(input)?;
            put_value(&mut args.per, "per", span, value, errors);
        } else if la.peek(kw::burst) {
            let span = key::<kw::burst>(input)?;
            let value = count(input)?;
            put_value(&mut args.burst, "burst", span, value, errors);
        } else {
            return Err(la.error());
        }
        Ok(())
    });
    args
}

fn timeout_list(input: ParseStream<'_>, errors: &mut Errors, connect_allowed: bool) -> TimeoutArgs {
    let mut args = TimeoutArgs {
        connect: None,
        attempt: None,
        total: None,
    };
    entries(input, errors, |input, errors| {
        let la = input.lookahead1();
        if la.peek(kw::connect) {
            let span = key::<kw::connect>(input)?;
            let value = duration(input)?;
            if !connect_allowed {
                return Err(syn::Error::new(
                    span,
                    "the connect timeout is per client: set it in `#[integration(timeout(connect = ..))]`; a method may set `attempt` and `total`",
                ));
            }
            put_value(&mut args.connect, "connect", span, value, errors);
        } else if la.peek(kw::attempt) {
            let span = key::<kw::attempt>(input)?;
            let value = duration(input)?;
            put_value(&mut args.attempt, "attempt", span, value, errors);
        } else if la.peek(kw::total) {
            let span = key::<kw::total>(input)?;
            let value = duration(input)?;
            put_value(&mut args.total, "total", span, value, errors);
        } else {
            return Err(la.error());
        }
        Ok(())
    });
    args
}
