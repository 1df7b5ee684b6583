//! Checks across keys, each rule a small function that records its errors
//! on the token at fault.

use proc_macro2::Span;
use syn::{Data, DeriveInput, LitStr};

use super::args::{Args, DeliveryIdArg, SchemeName};
use crate::integration::Errors;

/// Every rule, in order.
pub(crate) fn webhook(args: &Args, input: &DeriveInput, errors: &mut Errors) {
    item_shape(input, errors);
    one_form(args, errors);
    generic_keys_need_generic_form(args, errors);
    generic_form_needs_header(args, errors);
    tolerance_needs_a_signed_timestamp(args, errors);
    max_body_not_zero(args, errors);
    secret_env_names(args, errors);
    header_names(args, errors);
    delivery_field_not_empty(args, errors);
    standard_delivery_id_is_signed(args, errors);
}

/// A struct or an enum without generic parameters.
fn item_shape(input: &DeriveInput, errors: &mut Errors) {
    if let Data::Union(u) = &input.data {
        errors.at(
            u.union_token.span,
            "`#[webhook]` goes on a struct or an enum, not a union",
        );
    }
    if !input.generics.params.is_empty() {
        errors.on(
            &input.generics,
            "a `#[webhook]` event type cannot have generic parameters: declare a concrete type (an enum of the events, or a struct)",
        );
    }
}

/// Exactly one of `scheme = ".."` and `signature = "hmac-sha256"`.
fn one_form(args: &Args, errors: &mut Errors) {
    match (&args.scheme, &args.signature) {
        (None, None) if !args.form_written => errors.at(
            Span::call_site(),
            "`#[webhook]` needs a scheme: `scheme = \"stripe\"` (or \"github\", \"standard\", \"shopify\", \"slack\"), or the generic form `signature = \"hmac-sha256\", header = \"..\"`",
        ),
        (Some(_), Some(signature)) => errors.at(
            signature.key,
            "`signature` is for the generic form and cannot be combined with `scheme`: remove one of them",
        ),
        _ => {}
    }
}

/// `header`, `encoding`, `prefix` and `timestamp_header` belong to the
/// generic form.
fn generic_keys_need_generic_form(args: &Args, errors: &mut Errors) {
    let Some(scheme) = &args.scheme else { return };
    let name = scheme.value.as_str();
    let keys = [
        ("header", args.header.as_ref().map(|e| e.key)),
        ("encoding", args.encoding.as_ref().map(|e| e.key)),
        ("prefix", args.prefix.as_ref().map(|e| e.key)),
        (
            "timestamp_header",
            args.timestamp_header.as_ref().map(|e| e.key),
        ),
    ];
    for (key, span) in keys {
        if let Some(span) = span {
            errors.at(
                span,
                format!(
                    "`{key}` is a key of the generic form (`signature = \"hmac-sha256\"`); the {name} scheme fixes its own headers: remove it"
                ),
            );
        }
    }
}

/// The generic form names its signature header.
fn generic_form_needs_header(args: &Args, errors: &mut Errors) {
    if let (Some(signature), None, None) = (&args.signature, &args.header, &args.scheme) {
        errors.at(
            signature.span,
            "the generic form needs the header holding the signature: add `header = \"X-Signature\"`",
        );
    }
}

/// A window applies only to schemes that sign a timestamp, and is not zero.
fn tolerance_needs_a_signed_timestamp(args: &Args, errors: &mut Errors) {
    let Some(tolerance) = &args.tolerance else {
        return;
    };
    match args.scheme.as_ref().map(|s| s.value) {
        Some(scheme @ (SchemeName::Github | SchemeName::Shopify)) => errors.at(
            tolerance.key,
            format!(
                "`tolerance` does not apply to the {} scheme, which signs no timestamp: remove it",
                scheme.as_str()
            ),
        ),
        None if args.signature.is_some() && args.timestamp_header.is_none() => errors.at(
            tolerance.key,
            "`tolerance` needs a signed timestamp: add `timestamp_header = \"..\"` or remove `tolerance`",
        ),
        _ => {}
    }
    if tolerance.value.is_zero() {
        errors.at(tolerance.span, "`tolerance` must be greater than zero");
    }
}

fn max_body_not_zero(args: &Args, errors: &mut Errors) {
    if let Some(max_body) = &args.max_body
        && max_body.value == 0
    {
        errors.at(max_body.span, "`max_body` must be greater than zero");
    }
}

/// At least one name; each a usable environment variable name.
fn secret_env_names(args: &Args, errors: &mut Errors) {
    let Some(names) = &args.secret_env else {
        return;
    };
    if names.value.is_empty() {
        errors.at(
            names.span,
            "`secret_env` needs at least one variable name, e.g. `[\"SECRET\", \"SECRET_PREVIOUS\"]`",
        );
    }
    for name in &names.value {
        let value = name.value();
        if value.is_empty() || value.contains(['=', '\0']) {
            errors.on(
                name,
                "not an environment variable name: it must be non-empty, without `=` or NUL",
            );
        }
    }
}

/// Header names are HTTP tokens.
fn header_names(args: &Args, errors: &mut Errors) {
    let delivery = match args.delivery_id.as_ref().map(|e| &e.value) {
        Some(DeliveryIdArg::Header(lit)) => Some(lit),
        _ => None,
    };
    let names = [
        args.header.as_ref().map(|e| &e.value),
        args.timestamp_header.as_ref().map(|e| &e.value),
        delivery,
    ];
    for lit in names.into_iter().flatten() {
        if !is_header_name(lit) {
            errors.on(
                lit,
                format!(
                    "`{}` is not a valid header name: use letters, digits and `-`",
                    lit.value()
                ),
            );
        }
    }
}

fn is_header_name(lit: &LitStr) -> bool {
    let value = lit.value();
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn delivery_field_not_empty(args: &Args, errors: &mut Errors) {
    if let Some(entry) = &args.delivery_id
        && let DeliveryIdArg::Field(lit) = &entry.value
        && lit.value().is_empty()
    {
        errors.on(lit, "the payload field of `delivery_id` must not be empty");
    }
}

/// Standard Webhooks signs its id: a delivery id from any other header
/// would let a captured delivery replayed with a new id run again.
fn standard_delivery_id_is_signed(args: &Args, errors: &mut Errors) {
    let standard = args
        .scheme
        .as_ref()
        .is_some_and(|scheme| scheme.value == SchemeName::Standard);
    if let (true, Some(entry)) = (standard, &args.delivery_id)
        && let DeliveryIdArg::Header(lit) = &entry.value
    {
        let name = lit.value();
        if !name.eq_ignore_ascii_case("webhook-id") && !name.eq_ignore_ascii_case("svix-id") {
            errors.on(
                lit,
                format!(
                    "`{name}` is not signed: Standard Webhooks signs its delivery id, so deduplicate on it with `header(\"webhook-id\")` (the default; the signed `webhook-id` or `svix-id`) or on a payload `field(\"..\")`; an unsigned id lets a replay with a new id run again"
                ),
            );
        }
    }
}
