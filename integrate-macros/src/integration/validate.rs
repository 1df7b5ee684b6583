//! The rules a declaration must follow, each a small function recording
//! its errors on the token at fault.

use std::time::Duration;

use proc_macro2::Span;
use syn::{FnArg, GenericParam, ReceiverKind};

use super::Errors;
use super::args::{AuthArg, AuthKind, BreakerArgs, RateLimitArgs, RetryArgs, TimeoutArgs, Value};
use super::ast::{Integration, Method, ParamKind};
use super::parse::output_span;

/// integrate's defaults, used to check a policy that names some keys only.
const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(200);
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Checks the whole declaration.
pub(crate) fn integration(integration: &Integration<'_>, errors: &mut Errors) {
    trait_shape(integration.item, errors);
    let args = &integration.args;
    base_url(args.base_url.as_ref(), errors);
    if let Some(auth) = &args.auth {
        auth_complete(auth, errors);
    }
    if let Some(retry) = &args.retry {
        retry_policy(retry, errors);
    }
    if let Some(breaker) = &args.circuit_breaker {
        breaker_policy(breaker, errors);
    }
    if let Some(limit) = &args.rate_limit {
        rate_limit_policy(limit, errors);
    }
    if let Some(timeout) = &args.timeout {
        timeouts(timeout, errors);
    }
    for method in &integration.methods {
        self::method(method, errors);
    }
}

/// The trait itself: no generics (the client implements it once).
fn trait_shape(item: &syn::ItemTrait, errors: &mut Errors) {
    if !item.generics.params.is_empty() {
        errors.on(
            &item.generics,
            "an `#[integration]` trait cannot be generic: its client implements it once",
        );
    }
}

/// `base_url` is required and is an absolute `http(s)` URL without query,
/// fragment or credentials.
fn base_url(base_url: Option<&Value<String>>, errors: &mut Errors) {
    let Some(url) = base_url else {
        errors.at(
            Span::call_site(),
            "missing `base_url`: add `base_url = \"https://api.example.com/v1\"` (the environment may still override it)",
        );
        return;
    };
    if let Err(why) = check_url(&url.value) {
        errors.at(
            url.span,
            format!("`base_url` must be an absolute http or https URL such as \"https://api.example.com/v1\": {why}"),
        );
    }
}

fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("it does not start with `https://` or `http://`")?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err("it has no host");
    }
    if authority.contains('@') {
        return Err("it must not contain credentials; use `auth` instead");
    }
    if url.contains('?') || url.contains('#') {
        return Err("it must not contain a query or fragment");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace");
    }
    Ok(())
}

/// Each auth kind names the variables it reads.
fn auth_complete(auth: &AuthArg, errors: &mut Errors) {
    let usage = super::args::auth_usage(auth.kind);
    match auth.kind {
        AuthKind::None => {}
        AuthKind::Bearer => {
            if auth.env.is_none() {
                errors.at(auth.span, format!("`bearer` without `env`: {usage}"));
            }
        }
        AuthKind::ApiKey => {
            if auth.env.is_none() {
                errors.at(auth.span, format!("`api_key` without `env`: {usage}"));
            }
            match (&auth.header, &auth.query) {
                (None, None) => errors.at(
                    auth.span,
                    format!("`api_key` needs `header` or `query`: {usage}"),
                ),
                (Some(_), Some(query)) => errors.at(
                    query.key,
                    format!("`api_key` takes `header` or `query`, not both: {usage}"),
                ),
                (Some(header), None) => header_name(header.span, &header.value, errors),
                (None, Some(query)) => non_empty(query, "the query parameter name", errors),
            }
        }
        AuthKind::Basic => {
            if auth.username_env.is_none() || auth.password_env.is_none() {
                errors.at(
                    auth.span,
                    format!("`basic` needs both `username_env` and `password_env`: {usage}"),
                );
            }
        }
    }
    for var in [&auth.env, &auth.username_env, &auth.password_env]
        .into_iter()
        .flatten()
    {
        non_empty(var, "the variable name", errors);
    }
}

fn non_empty(value: &Value<String>, what: &str, errors: &mut Errors) {
    if value.value.is_empty() {
        errors.at(value.span, format!("{what} is empty"));
    }
}

/// `max_attempts` counts the first try; `initial_backoff <= max_backoff`.
fn retry_policy(retry: &RetryArgs, errors: &mut Errors) {
    if let Some(attempts) = &retry.max_attempts
        && attempts.value == 0
    {
        errors.at(
            attempts.span,
            "`max_attempts` counts the first try and must be at least 1 (1 means no retry)",
        );
    }
    let initial = retry
        .initial_backoff
        .as_ref()
        .map_or(DEFAULT_INITIAL_BACKOFF, |v| v.value);
    let max = retry
        .max_backoff
        .as_ref()
        .map_or(DEFAULT_MAX_BACKOFF, |v| v.value);
    if initial > max {
        let span = retry
            .initial_backoff
            .as_ref()
            .or(retry.max_backoff.as_ref())
            .map_or(retry.span, |v| v.span);
        errors.at(
            span,
            format!(
                "`initial_backoff` ({initial:?}) is larger than `max_backoff` ({max:?}); raise `max_backoff` or lower `initial_backoff`"
            ),
        );
    }
}

/// The ratio form or the consecutive form, values in range.
fn breaker_policy(breaker: &BreakerArgs, errors: &mut Errors) {
    if let Some(consecutive) = &breaker.consecutive_failures {
        for (key, span) in [
            (
                "failure_ratio",
                breaker.failure_ratio.as_ref().map(|v| v.key),
            ),
            ("min_calls", breaker.min_calls.as_ref().map(|v| v.key)),
            ("window", breaker.window.as_ref().map(|v| v.key)),
        ] {
            if let Some(span) = span {
                errors.at(
                    span,
                    format!(
                        "`{key}` belongs to the ratio form and cannot be mixed with `consecutive_failures`: keep `consecutive_failures = N` or the ratio keys (`failure_ratio`, `min_calls`, `window`)"
                    ),
                );
            }
        }
        if consecutive.value == 0 {
            errors.at(
                consecutive.span,
                "`consecutive_failures` must be at least 1",
            );
        }
    }
    if let Some(ratio) = &breaker.failure_ratio
        && !(ratio.value > 0.0 && ratio.value <= 1.0)
    {
        errors.at(
            ratio.span,
            "`failure_ratio` is a fraction of failed attempts in (0, 1], e.g. 0.5",
        );
    }
    for (key, value) in [
        ("min_calls", &breaker.min_calls),
        ("half_open_calls", &breaker.half_open_calls),
    ] {
        if let Some(v) = value
            && v.value == 0
        {
            errors.at(v.span, format!("`{key}` must be at least 1"));
        }
    }
    for (key, value) in [("window", &breaker.window), ("open_for", &breaker.open_for)] {
        positive(key, value.as_ref(), errors);
    }
}

fn positive(key: &str, value: Option<&Value<Duration>>, errors: &mut Errors) {
    if let Some(v) = value
        && v.value.is_zero()
    {
        errors.at(v.span, format!("`{key}` must be greater than zero"));
    }
}

/// `requests >= 1`, `per > 0`, `1 <= burst <= requests`.
fn rate_limit_policy(limit: &RateLimitArgs, errors: &mut Errors) {
    match &limit.requests {
        None => errors.at(
            limit.span,
            "`rate_limit` needs `requests` and `per`: `rate_limit(requests = 100, per = \"1s\")`",
        ),
        Some(requests) if requests.value == 0 => errors.at(
            requests.span,
            "`requests` must be at least 1 (to stop calls, do not make them)",
        ),
        Some(_) => {}
    }
    if limit.per.is_none() && limit.requests.is_some() {
        errors.at(
            limit.span,
            "`rate_limit` needs `per`, the interval the requests are counted over: `per = \"1s\"`",
        );
    }
    positive("per", limit.per.as_ref(), errors);
    if let Some(burst) = &limit.burst {
        let requests = limit.requests.as_ref().map_or(0, |r| r.value);
        if burst.value == 0 {
            errors.at(burst.span, "`burst` must be at least 1");
        } else if requests > 0 && burst.value > requests {
            errors.at(
                burst.span,
                format!(
                    "`burst` ({}) is larger than `requests` ({requests}): at most `requests` attempts start in any `per` interval",
                    burst.value
                ),
            );
        }
    }
}

/// Every timeout is above zero.
fn timeouts(timeout: &TimeoutArgs, errors: &mut Errors) {
    positive("connect", timeout.connect.as_ref(), errors);
    positive("attempt", timeout.attempt.as_ref(), errors);
    positive("total", timeout.total.as_ref(), errors);
}

/// Every rule of one method.
fn method(method: &Method<'_>, errors: &mut Errors) {
    signature(method, errors);
    routes(method, errors);
    params(method, errors);
    if let Some(retry) = &method.retry {
        retry_policy(retry, errors);
    }
    if let Some(timeout) = &method.timeout {
        timeouts(timeout, errors);
    }
    if let Some(limit) = &method.rate_limit {
        rate_limit_policy(limit, errors);
    }
}

/// `async fn name(&self, ..) -> integrate::Result<T>;`, not generic, no body.
fn signature(method: &Method<'_>, errors: &mut Errors) {
    let sig = method.sig();
    if sig.asyncness.is_none() {
        errors.on(
            sig.fn_token,
            format!(
                "a declared call is an `async fn`: write `async fn {}(..)`",
                sig.ident
            ),
        );
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(receiver))
            if matches!(receiver.kind, ReceiverKind::Reference(_, _, None))
                && receiver.mutability.is_none() => {}
        Some(FnArg::Receiver(receiver)) => errors.on(
            receiver,
            "a declared call takes `&self`: the client is shared and cheap to clone",
        ),
        _ => errors.on(
            &sig.ident,
            format!(
                "`{}` has no `&self`: a declared call is a method, write `async fn {}(&self, ..)`",
                sig.ident, sig.ident
            ),
        ),
    }
    let generic = sig
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, GenericParam::Lifetime(_)));
    if generic || sig.generics.where_clause.is_some() {
        errors.on(
            &sig.generics,
            "a declared call cannot be generic: name concrete types (a `&str`, a struct) in its parameters",
        );
    }
    if method.output.is_none() {
        errors.at(
            output_span(method),
            "a declared call returns `integrate::Result<T>`, e.g. `-> integrate::Result<Customer>` or `-> integrate::Result<()>`",
        );
    }
    if let Some(body) = &method.item.default {
        errors.on(
            body,
            "a declared call has no body: the client generates it; end the signature with `;`",
        );
    }
}

/// Exactly one verb; a valid path template whose placeholders all bind.
fn routes(method: &Method<'_>, errors: &mut Errors) {
    match method.routes.as_slice() {
        [] => errors.on(
            &method.sig().ident,
            format!(
                "`{}` has no verb: add `#[get(\"/path\")]`, `#[post(..)]`, `#[put(..)]`, `#[patch(..)]`, `#[delete(..)]` or `#[head(..)]`",
                method.ident()
            ),
        ),
        [_] => {}
        [first, rest @ ..] => {
            for route in rest {
                errors.at(
                    route.span,
                    format!(
                        "a method declares one call: `#[{}]` is already given; remove one verb",
                        first.verb.name()
                    ),
                );
            }
        }
    }
    let Some(route) = method.route() else { return };
    if let Some(idempotent) = &method.idempotent {
        if route.verb.is_safe() {
            errors.at(
                idempotent.span,
                format!(
                    "`#[idempotent]` on `#[{}]`: {} is idempotent already; `#[idempotent]` is for POST, PATCH, PUT and DELETE",
                    route.verb.name(),
                    route.verb.constant()
                ),
            );
        }
        if let Some(header) = &idempotent.header {
            header_name(header.span(), &header.value(), errors);
        }
    }
    let Some(path) = &route.path else { return };
    let placeholders = match placeholders(&path.value()) {
        Ok(p) => p,
        Err(why) => {
            errors.on(path, why);
            return;
        }
    };
    for name in &placeholders {
        let bound = method
            .params
            .iter()
            .any(|p| p.ident.is_some_and(|i| i == name) && p.kinds.is_empty());
        if bound {
            continue;
        }
        let annotated = method
            .params
            .iter()
            .find(|p| p.ident.is_some_and(|i| i == name));
        match annotated {
            Some(param) => errors.on(
                path,
                format!(
                    "`{{{name}}}` in the path binds the parameter `{name}`, which is marked {}: remove the attribute or rename the placeholder",
                    param.kind().attribute()
                ),
            ),
            None => errors.on(
                path,
                format!(
                    "`{{{name}}}` in the path has no parameter named `{name}`: add `{name}: &str` or rename the placeholder"
                ),
            ),
        }
    }
    for param in &method.params {
        let Some(ident) = param.ident else { continue };
        if param.kinds.is_empty() && !placeholders.iter().any(|p| ident == p) {
            errors.on(
                ident,
                format!(
                    "`{ident}` is used nowhere: add `{{{ident}}}` to the path, or mark it `#[query]`, `#[header(\"..\")]`, `#[body]`, `#[form]` or `#[idempotency_key]`"
                ),
            );
        }
    }
}

/// The `{name}`s of a path template.
pub(crate) fn placeholders(template: &str) -> Result<Vec<String>, String> {
    if !template.starts_with('/') {
        return Err(format!("a path template starts with `/`: \"/{template}\""));
    }
    if template.contains('?') || template.contains('#') {
        return Err(
            "a path template holds a path only: declare query parameters with `#[query]`"
                .to_owned(),
        );
    }
    if let Some(segment) = template.split('/').find(|s| is_dot_segment(s)) {
        return Err(format!(
            "`{segment}` is a dot segment, which every URL parser resolves: write the path it stands for"
        ));
    }
    let mut names: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("`}` without `{` in the path template".to_owned());
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or("`{` without `}` in the path template")?;
        let name = &after[..close];
        let is_ident = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_ident {
            return Err(format!(
                "`{{{name}}}` is not a placeholder: write the name of a parameter, such as `{{id}}`"
            ));
        }
        if names.iter().any(|n| n == name) {
            return Err(format!("`{{{name}}}` appears twice in the path template"));
        }
        names.push(name.to_owned());
        rest = &after[close + 1..];
    }
    Ok(names)
}

/// Whether a template segment is `.` or `..`, also percent-encoded.
fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    let dots = lower.replace("%2e", ".");
    dots == "." || dots == ".."
}

/// One kind per parameter; one body; body and form exclusive; no body on
/// GET or HEAD; one idempotency key; valid header and query names.
fn params(method: &Method<'_>, errors: &mut Errors) {
    let verb = method.route().map(|r| r.verb);
    let mut body: Option<&str> = None;
    let mut key = false;
    for param in &method.params {
        for (_, span) in param.kinds.iter().skip(1) {
            errors.at(
                *span,
                format!(
                    "a parameter is one thing: it is already {}; remove one attribute",
                    param.kind().attribute()
                ),
            );
        }
        let Some((kind, span)) = param.kinds.first() else {
            continue;
        };
        match kind {
            ParamKind::Body | ParamKind::Form => {
                let this = kind.attribute();
                if let Some(first) = body {
                    let message = if first == this {
                        format!(
                            "two {this} parameters: a request has one body; put both values in one struct"
                        )
                    } else {
                        format!(
                            "{this} with {first}: a request has one body, either JSON (`#[body]`) or form-urlencoded (`#[form]`)"
                        )
                    };
                    errors.at(*span, message);
                } else {
                    body = Some(this);
                }
                if let Some(verb) = verb.filter(|v| v.is_safe()) {
                    errors.at(
                        *span,
                        format!(
                            "{this} on `#[{}]`: {} requests carry no body; send the values with `#[query]` or use `#[post]`",
                            verb.name(),
                            verb.constant()
                        ),
                    );
                }
            }
            ParamKind::IdempotencyKey => {
                if key {
                    errors.at(
                        *span,
                        "two `#[idempotency_key]` parameters: a call has one key; derive it from both values",
                    );
                }
                key = true;
            }
            ParamKind::Header(name) => header_name(name.span(), &name.value(), errors),
            ParamKind::Query(Some(name)) if name.value().is_empty() => {
                errors.on(name, "the query parameter name is empty");
            }
            ParamKind::Query(_) | ParamKind::Path => {}
        }
    }
}

/// A header name is a non-empty RFC 9110 token.
fn header_name(span: Span, name: &str, errors: &mut Errors) {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        errors.at(
            span,
            format!("`{name}` is not a valid header name: use letters, digits and `-`, e.g. \"X-Request-Id\""),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(
            placeholders("/customers/{id}/charges/{charge_id}").unwrap(),
            ["id", "charge_id"]
        );
        assert!(placeholders("/plain").unwrap().is_empty());
        for bad in [
            "customers",
            "/a/{id",
            "/a/id}",
            "/a/{}",
            "/a/{1x}",
            "/a/{id}/{id}",
            "/a?x=1",
            "/a/../b",
            "/./a",
            "/a/%2E%2e",
        ] {
            assert!(placeholders(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(check_url("https://api.example.com/v1").is_ok());
        assert!(check_url("http://127.0.0.1:8080").is_ok());
        for bad in [
            "api.example.com",
            "ftp://x",
            "https://",
            "https://u:p@x.com",
            "https://x.com/?a=1",
            "https://x .com",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
