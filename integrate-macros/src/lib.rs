//! Procedural macros of the `integrate` crate. Use them through
//! `integrate`, which re-exports them.

use proc_macro::TokenStream;

/// Generates a typed client from an annotated trait. See the `integrate`
/// crate's documentation.
#[proc_macro_attribute]
pub fn integration(args: TokenStream, item: TokenStream) -> TokenStream {
    let _ = args;
    item
}
