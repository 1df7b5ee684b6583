//! What is emitted next to the errors of an invalid declaration: the item
//! as written and an implementation of `Webhook`, so the user sees only the
//! real errors, not "`E` does not implement `Webhook`" wherever the type
//! is used.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::args::Args;
use super::expand;

/// The item and a `Webhook` implementation declaring the GitHub scheme
/// (the program does not compile, so it never runs).
pub(crate) fn webhook(_args: &Args, input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() || matches!(input.data, syn::Data::Union(_)) {
        return quote!(#input);
    }
    let p = quote!(::integrate::__private::webhook);
    expand::emit(
        input,
        &quote!(#p::WebhookDeclaration::new(#p::Scheme::Github)),
    )
}
