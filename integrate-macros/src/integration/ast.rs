//! The typed form of an `#[integration]` trait: what each method and
//! parameter declares, with the syntax nodes kept for their spans.

use proc_macro2::Span;
use syn::{Attribute, Ident, LitStr, Signature, TraitItemFn, Type};

use super::args::{RateLimitArgs, RetryArgs, TimeoutArgs, TraitArgs};

/// The whole declaration.
pub(crate) struct Integration<'a> {
    pub(crate) args: TraitArgs,
    /// The trait as written.
    pub(crate) item: &'a syn::ItemTrait,
    /// The trait's methods that declare calls, in order.
    pub(crate) methods: Vec<Method<'a>>,
    /// Items of the trait re-emitted as written (provided methods).
    pub(crate) passthrough: Vec<&'a syn::TraitItem>,
}

/// The HTTP methods of the verb attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
}

impl Verb {
    /// The verb of an attribute name.
    pub(crate) fn from_name(name: &str) -> Option<Verb> {
        Some(match name {
            "get" => Verb::Get,
            "post" => Verb::Post,
            "put" => Verb::Put,
            "patch" => Verb::Patch,
            "delete" => Verb::Delete,
            "head" => Verb::Head,
            _ => return None,
        })
    }

    /// The attribute name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::Head => "head",
        }
    }

    /// The `http::Method` constant.
    pub(crate) fn constant(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
            Verb::Head => "HEAD",
        }
    }

    /// GET and HEAD: safe methods, no body, idempotent already.
    pub(crate) fn is_safe(self) -> bool {
        matches!(self, Verb::Get | Verb::Head)
    }
}

/// `#[get("/path")]` and friends.
pub(crate) struct Route {
    pub(crate) verb: Verb,
    /// The attribute's name.
    pub(crate) span: Span,
    /// The path template; `None` when it failed to parse.
    pub(crate) path: Option<LitStr>,
}

/// `#[idempotent]` or `#[idempotent(header = "..")]`.
pub(crate) struct Idempotent {
    pub(crate) span: Span,
    pub(crate) header: Option<LitStr>,
}

/// One method declaring a call.
pub(crate) struct Method<'a> {
    pub(crate) item: &'a TraitItemFn,
    /// The method's attributes other than integrate's.
    pub(crate) attrs: Vec<&'a Attribute>,
    pub(crate) routes: Vec<Route>,
    pub(crate) retry: Option<RetryArgs>,
    pub(crate) timeout: Option<TimeoutArgs>,
    pub(crate) rate_limit: Option<RateLimitArgs>,
    pub(crate) idempotent: Option<Idempotent>,
    pub(crate) params: Vec<Param<'a>>,
    /// `T` in `integrate::Result<T>`, when the return type has that shape.
    pub(crate) output: Option<&'a Type>,
}

impl Method<'_> {
    pub(crate) fn sig(&self) -> &Signature {
        &self.item.sig
    }

    pub(crate) fn ident(&self) -> &Ident {
        &self.item.sig.ident
    }

    /// The one route, when there is exactly one.
    pub(crate) fn route(&self) -> Option<&Route> {
        match self.routes.as_slice() {
            [route] => Some(route),
            _ => None,
        }
    }
}

/// What a parameter is.
#[derive(Clone)]
pub(crate) enum ParamKind {
    /// A `{name}` of the path (no attribute).
    Path,
    /// `#[query]` / `#[query("wire_name")]`.
    Query(Option<LitStr>),
    /// `#[header("Name")]`.
    Header(LitStr),
    /// `#[body]`: JSON.
    Body,
    /// `#[form]`: form-urlencoded.
    Form,
    /// `#[idempotency_key]`.
    IdempotencyKey,
}

impl ParamKind {
    pub(crate) fn attribute(&self) -> &'static str {
        match self {
            ParamKind::Path => "a path value",
            ParamKind::Query(_) => "`#[query]`",
            ParamKind::Header(_) => "`#[header]`",
            ParamKind::Body => "`#[body]`",
            ParamKind::Form => "`#[form]`",
            ParamKind::IdempotencyKey => "`#[idempotency_key]`",
        }
    }
}

/// One parameter other than `self`.
pub(crate) struct Param<'a> {
    /// The binding, when the pattern is a plain identifier.
    pub(crate) ident: Option<&'a Ident>,
    pub(crate) ty: &'a Type,
    /// Its integrate attributes with their spans (one expected).
    pub(crate) kinds: Vec<(ParamKind, Span)>,
    /// Its other attributes.
    pub(crate) attrs: Vec<&'a Attribute>,
}

impl Param<'_> {
    /// The kind, the first declared when there are several.
    pub(crate) fn kind(&self) -> &ParamKind {
        self.kinds.first().map_or(&ParamKind::Path, |(k, _)| k)
    }
}
