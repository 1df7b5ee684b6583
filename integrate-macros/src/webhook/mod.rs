//! `#[webhook]`: parse -> validate -> expand, with a fallback that still
//! emits the type and an implementation when the declaration has errors.

mod args;
mod expand;
mod fallback;
mod validate;

use proc_macro2::{Span, TokenStream};

use crate::integration::Errors;

/// Expands `#[webhook(args)] item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[webhook]` goes on a struct or an enum deriving `serde::Deserialize`",
            );
            let mut out = error.into_compile_error();
            out.extend(item);
            return out;
        }
    };
    let mut errors = Errors::default();
    let args = args::parse(args, &mut errors);
    validate::webhook(&args, &input, &mut errors);
    match errors.finish() {
        None => expand::webhook(&args, &input),
        Some(error) => {
            let mut out = error.into_compile_error();
            out.extend(fallback::webhook(&args, &input));
            out
        }
    }
}
