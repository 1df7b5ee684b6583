//! Generation: the item as written, `impl DeclareWebhook` (every declared
//! type that decodes from JSON is a `Webhook`), and a static check that
//! the type decodes, spanned on the type's name so that a missing
//! `Deserialize` is reported there with integrate's message.
//!
//! Every path goes through `::integrate::__private`, so user items named
//! `Result`, `Option` or `String` change nothing.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::DeriveInput;

use super::args::{Args, DeliveryIdArg, Encoding, SchemeName};
use crate::duration;

/// The whole expansion of a valid declaration.
pub(crate) fn webhook(args: &Args, input: &DeriveInput) -> TokenStream {
    emit(input, &declaration(args))
}

/// The item, the implementation with `declaration` as its body, and the
/// check that the type decodes from JSON, spanned on the type's name.
pub(crate) fn emit(input: &DeriveInput, declaration: &TokenStream) -> TokenStream {
    let ident = &input.ident;
    let check = quote_spanned! {ident.span()=>
        ::integrate::__private::webhook::event_type::<#ident>()
    };
    quote! {
        #input

        #[automatically_derived]
        #[allow(unused_qualifications, clippy::all, clippy::pedantic, clippy::nursery)]
        impl ::integrate::__private::webhook::DeclareWebhook for #ident {
            fn declaration() -> ::integrate::__private::webhook::WebhookDeclaration {
                #declaration
            }
        }

        #[allow(unused_qualifications, clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = #check;
    }
}

/// The `WebhookDeclaration` expression.
fn declaration(args: &Args) -> TokenStream {
    let p = quote!(::integrate::__private::webhook);
    let scheme = match args.scheme.as_ref().map(|s| s.value) {
        Some(SchemeName::Stripe) => quote!(#p::Scheme::Stripe),
        Some(SchemeName::Github) => quote!(#p::Scheme::Github),
        Some(SchemeName::Standard) => quote!(#p::Scheme::Standard),
        Some(SchemeName::Shopify) => quote!(#p::Scheme::Shopify),
        Some(SchemeName::Slack) => quote!(#p::Scheme::Slack),
        None => generic(args),
    };
    let mut out = quote!(#p::WebhookDeclaration::new(#scheme));
    if let Some(names) = &args.secret_env {
        let names = &names.value;
        out = quote!(#out.secret_env(&[#(#names),*]));
    }
    if let Some(tolerance) = &args.tolerance {
        let tolerance = duration::tokens(tolerance.value);
        out = quote!(#out.tolerance(#tolerance));
    }
    if let Some(max_body) = &args.max_body {
        let max_body = Literal::u64_unsuffixed(max_body.value);
        out = quote!(#out.max_body(#max_body));
    }
    if let Some(delivery_id) = &args.delivery_id {
        let source = match &delivery_id.value {
            DeliveryIdArg::Header(name) => quote!(#p::DeliveryId::Header(#name)),
            DeliveryIdArg::Field(name) => quote!(#p::DeliveryId::Field(#name)),
        };
        out = quote!(#out.delivery_id(#source));
    }
    out
}

/// The generic form's `Scheme` expression.
fn generic(args: &Args) -> TokenStream {
    let p = quote!(::integrate::__private::webhook);
    let header = args.header.as_ref().map(|h| &h.value);
    let mut out = quote!(#p::Scheme::hmac_sha256(#header));
    if let Some(encoding) = &args.encoding {
        let encoding = match encoding.value {
            Encoding::Hex => quote!(#p::Encoding::Hex),
            Encoding::Base64 => quote!(#p::Encoding::Base64),
        };
        out = quote!(#out.encoding(#encoding));
    }
    if let Some(prefix) = &args.prefix {
        let prefix = &prefix.value;
        out = quote!(#out.prefix(#prefix));
    }
    if let Some(timestamp_header) = &args.timestamp_header {
        let timestamp_header = &timestamp_header.value;
        out = quote!(#out.timestamp_header(#timestamp_header));
    }
    out
}
