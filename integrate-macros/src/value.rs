//! A parsed attribute value with the spans errors point at, and the
//! parsing steps both macros' argument parsers share.

use proc_macro2::{Span, TokenTree};
use syn::Token;
use syn::parse::ParseStream;

use crate::integration::Errors;

/// A value and the span of the token it was written as.
#[derive(Debug, Clone)]
pub(crate) struct Value<T> {
    pub(crate) value: T,
    /// The value's token.
    pub(crate) span: Span,
    /// The key's token (the value's until the key is known).
    pub(crate) key: Span,
}

/// Skips tokens up to (not including) the next `,` at this level.
pub(crate) fn skip_entry(input: ParseStream<'_>) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if let TokenTree::Punct(p) = &tree
                && p.as_char() == ','
            {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

/// Parses `key =` for the keyword `K` and returns the key's span.
pub(crate) fn key<K: syn::parse::Parse + syn::spanned::Spanned>(
    input: ParseStream<'_>,
) -> syn::Result<Span> {
    let key: K = input.parse()?;
    input.parse::<Token![=]>()?;
    Ok(key.span())
}

/// Stores `value` in `slot`; a second value for the key is an error at
/// `span`.
pub(crate) fn put<T>(slot: &mut Option<T>, key: &str, span: Span, value: T, errors: &mut Errors) {
    if slot.is_some() {
        errors.at(
            span,
            format!("duplicate key `{key}`: it is already set above; remove one of them"),
        );
    } else {
        *slot = Some(value);
    }
}
