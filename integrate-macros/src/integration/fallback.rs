//! What is emitted next to the errors of an invalid declaration: the trait
//! and a stub client with the same names, so the user sees only the real
//! errors, not "cannot find type `PaymentsClient`" wherever it is used.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ReturnType;

use super::ast::Integration;
use super::expand;

/// The trait, the client with integrate's defaults, and an implementation
/// whose methods never complete.
pub(crate) fn integration(ir: &Integration<'_>) -> TokenStream {
    let trait_item = expand::trait_item(ir);
    let name = ir.item.ident.to_string();
    let client = expand::client(ir, &quote!(::integrate::__private::Declaration::new(#name)));
    let methods = ir.methods.iter().map(|method| {
        let sig = expand::signature(method);
        let body = match (&method.sig().asyncness, &method.sig().output) {
            (Some(_), ReturnType::Type(_, ty)) => quote!(::core::future::pending::<#ty>()),
            (Some(_), ReturnType::Default) => quote!(::core::future::pending::<()>()),
            (None, _) => quote!(::core::unreachable!("the declaration has compile errors")),
        };
        quote!(#sig { #body })
    });
    let trait_impl = expand::trait_impl(ir, methods);
    quote! {
        #trait_item
        #client
        #trait_impl
    }
}
