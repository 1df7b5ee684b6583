//! `#[integration]`: parse -> validate -> expand, with a fallback that
//! still emits the trait and a stub client when the declaration has errors.

mod args;
mod ast;
mod expand;
mod fallback;
mod parse;
mod validate;

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// Every error of one expansion, reported together.
#[derive(Default)]
pub(crate) struct Errors {
    error: Option<syn::Error>,
}

impl Errors {
    /// Records `error`.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.error {
            Some(first) => first.combine(error),
            None => self.error = Some(error),
        }
    }

    /// Records `message` at `span`.
    pub(crate) fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records `message` on the tokens of `node`.
    pub(crate) fn on(&mut self, node: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(node, message));
    }

    /// The recorded errors, if any.
    pub(crate) fn finish(self) -> Option<syn::Error> {
        self.error
    }
}

/// Expands `#[integration(args)] item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let trait_item: syn::ItemTrait = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[integration]` goes on a trait: `pub trait Payments { .. }`",
            );
            let mut out = error.into_compile_error();
            out.extend(item);
            return out;
        }
    };
    let mut errors = Errors::default();
    let args = args::parse_trait_args(args, &mut errors);
    let integration = parse::integration(args, &trait_item, &mut errors);
    validate::integration(&integration, &mut errors);
    match errors.finish() {
        None => expand::integration(&integration),
        Some(error) => {
            let mut out = error.into_compile_error();
            out.extend(fallback::integration(&integration));
            out
        }
    }
}
