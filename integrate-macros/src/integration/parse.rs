//! From the trait's syntax to the typed form: which attribute is which,
//! what each parameter is, what the method returns. Shape errors of one
//! attribute are recorded here; rules across attributes are in
//! `validate.rs`.

use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, GenericArgument, LitStr, Pat, PathArguments, ReturnType, TraitItem, Type,
};

use super::Errors;
use super::args::{self, TraitArgs};
use super::ast::{Idempotent, Integration, Method, Param, ParamKind, Route, Verb};

/// Reads the trait.
pub(crate) fn integration<'a>(
    args: TraitArgs,
    item: &'a syn::ItemTrait,
    errors: &mut Errors,
) -> Integration<'a> {
    let mut methods = Vec::new();
    let mut passthrough = Vec::new();
    for trait_item in &item.items {
        match trait_item {
            TraitItem::Fn(function) => {
                let declares_call = function.attrs.iter().any(is_integrate_method_attr);
                if function.default.is_some() && !declares_call {
                    passthrough.push(trait_item);
                } else {
                    methods.push(method(function, errors));
                }
            }
            other => {
                errors.on(
                    other,
                    "an `#[integration]` trait declares only methods: move this item out of the trait",
                );
                passthrough.push(trait_item);
            }
        }
    }
    Integration {
        args,
        item,
        methods,
        passthrough,
    }
}

/// The name of a single-segment attribute path.
fn attr_name(attr: &Attribute) -> Option<String> {
    attr.path().get_ident().map(ToString::to_string)
}

/// Whether `attr` is one of integrate's method attributes.
fn is_integrate_method_attr(attr: &Attribute) -> bool {
    attr_name(attr).is_some_and(|name| {
        Verb::from_name(&name).is_some()
            || matches!(
                name.as_str(),
                "retry" | "timeout" | "rate_limit" | "idempotent"
            )
    })
}

/// Whether `attr` is one of integrate's parameter attributes.
pub(crate) fn is_integrate_param_attr(attr: &Attribute) -> bool {
    attr_name(attr).is_some_and(|name| {
        matches!(
            name.as_str(),
            "query" | "header" | "body" | "form" | "idempotency_key"
        )
    })
}

/// Whether `attr` is one of integrate's attributes (method or parameter).
pub(crate) fn is_integrate_attr(attr: &Attribute) -> bool {
    is_integrate_method_attr(attr) || is_integrate_param_attr(attr)
}

fn method<'a>(item: &'a syn::TraitItemFn, errors: &mut Errors) -> Method<'a> {
    let mut method = Method {
        item,
        attrs: Vec::new(),
        routes: Vec::new(),
        retry: None,
        timeout: None,
        rate_limit: None,
        idempotent: None,
        params: Vec::new(),
        output: None,
    };
    for attr in &item.attrs {
        let Some(name) = attr_name(attr).filter(|_| is_integrate_method_attr(attr)) else {
            method.attrs.push(attr);
            continue;
        };
        let span = args::attr_span(attr);
        if let Some(verb) = Verb::from_name(&name) {
            let path = match attr.parse_args::<LitStr>() {
                Ok(path) => Some(path),
                Err(_) => {
                    errors.on(
                        attr,
                        format!(
                            "`#[{name}]` needs a path template: `#[{name}(\"/customers/{{id}}\")]`"
                        ),
                    );
                    None
                }
            };
            method.routes.push(Route { verb, span, path });
            continue;
        }
        let duplicate = match name.as_str() {
            "retry" => method.retry.is_some(),
            "timeout" => method.timeout.is_some(),
            "rate_limit" => method.rate_limit.is_some(),
            _ => method.idempotent.is_some(),
        };
        if duplicate {
            errors.at(
                span,
                format!("duplicate `#[{name}]` on this method: merge them into one"),
            );
            continue;
        }
        match name.as_str() {
            "retry" => method.retry = args::parse_retry(attr, errors),
            "timeout" => method.timeout = args::parse_timeout(attr, errors),
            "rate_limit" => method.rate_limit = args::parse_rate_limit(attr, errors),
            _ => method.idempotent = idempotent(attr, errors),
        }
    }
    for input in &item.sig.inputs {
        if let FnArg::Typed(arg) = input {
            method.params.push(param(arg, errors));
        }
    }
    method.output = output(&item.sig.output);
    method
}

fn idempotent(attr: &Attribute, errors: &mut Errors) -> Option<Idempotent> {
    let span = args::attr_span(attr);
    match &attr.meta {
        syn::Meta::Path(_) => Some(Idempotent { span, header: None }),
        _ => {
            let parsed = attr.parse_args_with(|input: syn::parse::ParseStream<'_>| {
                input.parse::<args::kw::header>()?;
                input.parse::<syn::Token![=]>()?;
                let header: LitStr = input.parse()?;
                let _ = input.parse::<Option<syn::Token![,]>>()?;
                Ok(header)
            });
            match parsed {
                Ok(header) => Some(Idempotent {
                    span,
                    header: Some(header),
                }),
                Err(_) => {
                    errors.on(
                        attr,
                        "write `#[idempotent]` or `#[idempotent(header = \"Idempotency-Key\")]`",
                    );
                    None
                }
            }
        }
    }
}

fn param<'a>(arg: &'a syn::PatType, errors: &mut Errors) -> Param<'a> {
    let ident = match &*arg.pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.mutability.is_none() && p.subpat.is_none() => {
            Some(&p.ident)
        }
        other => {
            errors.on(
                other,
                "a parameter of a declared call is a plain name, such as `id: &str`",
            );
            None
        }
    };
    let mut param = Param {
        ident,
        ty: &arg.ty,
        kinds: Vec::new(),
        attrs: Vec::new(),
    };
    for attr in &arg.attrs {
        let Some(name) = attr_name(attr).filter(|_| is_integrate_param_attr(attr)) else {
            param.attrs.push(attr);
            continue;
        };
        let span = args::attr_span(attr);
        let kind = match name.as_str() {
            "query" => match &attr.meta {
                syn::Meta::Path(_) => Some(ParamKind::Query(None)),
                _ => match attr.parse_args::<LitStr>() {
                    Ok(name) => Some(ParamKind::Query(Some(name))),
                    Err(_) => {
                        errors.on(attr, "write `#[query]` or `#[query(\"wire_name\")]`");
                        None
                    }
                },
            },
            "header" => match attr.parse_args::<LitStr>() {
                Ok(name) => Some(ParamKind::Header(name)),
                Err(_) => {
                    errors.on(
                        attr,
                        "`#[header]` needs the header's name: `#[header(\"X-Name\")]`",
                    );
                    None
                }
            },
            other => {
                if attr.meta.require_path_only().is_err() {
                    errors.on(attr, format!("`#[{other}]` takes no arguments"));
                }
                Some(match other {
                    "body" => ParamKind::Body,
                    "form" => ParamKind::Form,
                    _ => ParamKind::IdempotencyKey,
                })
            }
        };
        if let Some(kind) = kind {
            param.kinds.push((kind, span));
        }
    }
    param
}

/// `T` of a return type written `..::Result<T>` (or `Result<T, E>`).
fn output(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    if args.args.is_empty() || args.args.len() > 2 {
        return None;
    }
    match args.args.first()? {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    }
}

/// The span of a method's return type (or its name when it has none).
pub(crate) fn output_span(method: &Method<'_>) -> proc_macro2::Span {
    match &method.sig().output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => method.ident().span(),
    }
}
