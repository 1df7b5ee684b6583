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

#[cfg(test)]
mod tests {
    use proc_macro2::{TokenStream, TokenTree};
    use quote::quote;

    /// Leaf tokens, plus one per delimited group.
    fn count(tokens: TokenStream) -> usize {
        tokens
            .into_iter()
            .map(|tree| match tree {
                TokenTree::Group(group) => 1 + count(group.stream()),
                _ => 1,
            })
            .sum()
    }

    fn method(i: usize) -> TokenStream {
        let name = quote::format_ident!("call_{}", i);
        let path = format!("/customers/{{id}}/charges/{i}");
        match i % 3 {
            0 => quote! {
                #[get(#path)]
                async fn #name(&self, id: &str, #[query] limit: u32) -> integrate::Result<Customer>;
            },
            1 => quote! {
                #[post(#path)]
                #[idempotent]
                #[retry(max_attempts = 2)]
                async fn #name(&self, id: &str, #[body] charge: &NewCharge) -> integrate::Result<Charge>;
            },
            _ => quote! {
                #[delete(#path)]
                #[timeout(total = "5s")]
                async fn #name(&self, id: &str, #[header("X-Trace")] trace: &str) -> integrate::Result<()>;
            },
        }
    }

    fn expansion(methods: usize) -> TokenStream {
        let args = quote! {
            base_url = "https://api.example.com/v1",
            auth = bearer(env = "TOKEN"),
            retry(max_attempts = 4),
            timeout(total = "30s"),
        };
        let methods = (0..methods).map(method);
        let item = quote! {
            pub trait Payments {
                #(#methods)*
            }
        };
        super::expand(args, item)
    }

    /// The size of the generated code: a fixed part per trait and a small
    /// part per method (each method as written is about 30 tokens).
    #[test]
    fn expansion_size_per_method() {
        if std::env::var_os("SHOW_EXPANSION").is_some() {
            eprintln!("{}", expansion(2));
        }
        let empty = count(expansion(0));
        let wide = count(expansion(30));
        let per_method = (wide - empty) / 30;
        eprintln!("expansion: {empty} tokens per trait, {per_method} tokens per method");
        assert!(
            empty < 800,
            "{empty} tokens for the client of an empty trait"
        );
        assert!(per_method < 300, "{per_method} tokens per method");
        let errors = expansion(1).to_string();
        assert!(!errors.contains("compile_error"), "{errors}");
    }
}
