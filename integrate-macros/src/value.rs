//! A parsed attribute value with the spans errors point at, shared by
//! both macros' argument parsers.

use proc_macro2::Span;

/// A value and the span of the token it was written as.
#[derive(Debug, Clone)]
pub(crate) struct Value<T> {
    pub(crate) value: T,
    /// The value's token.
    pub(crate) span: Span,
    /// The key's token (the value's until the key is known).
    pub(crate) key: Span,
}
