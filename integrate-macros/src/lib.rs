//! Procedural macros of the `integrate` crate. Use them through
//! `integrate`, which re-exports them.

use proc_macro::TokenStream;

mod duration;
mod integration;
mod value;
mod webhook;

/// Generates a typed client from an annotated trait. See the `integrate`
/// crate's documentation.
#[proc_macro_attribute]
pub fn integration(args: TokenStream, item: TokenStream) -> TokenStream {
    integration::expand(args.into(), item.into()).into()
}

/// Declares a webhook event type: implements `integrate::webhook::Webhook`
/// for a struct or enum deriving `serde::Deserialize`. See the `integrate`
/// crate's documentation.
#[proc_macro_attribute]
pub fn webhook(args: TokenStream, item: TokenStream) -> TokenStream {
    webhook::expand(args.into(), item.into()).into()
}
