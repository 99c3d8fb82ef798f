//! One resource module: the handle, one builder per operation, its enums and structs.

use proc_macro2::TokenStream;
use quote::quote;

use super::{arg_type, enums::enum_def, ident, lines_doc, structs::struct_def, ty};
use crate::docs::rustdoc;
use crate::ir::{Ir, Location, Operation, Owner, Param, Response, Ty};

pub fn resource_rs(ir: &Ir, index: usize) -> TokenStream {
    let r = &ir.resources[index];
    let owner = Owner::Resource(index);
    let handle = ident(&r.type_name);
    let accessor = &r.module;
    let routes: usize = r.operations.iter().map(|o| o.routes.len()).sum();
    let mut text = format!(
        "{}: {routes} Canvas operations (resource `{}`, `{}` in the Canvas API description).\n\nGet the handle with [`Client::{accessor}`](crate::Client::{accessor}).",
        r.title, r.resource_path, r.file
    );
    text.push_str(&route_index(ir, index));
    let module_doc = super::inner_doc(&text);
    let handle_doc = format!(" Operations of the {} resource.", r.title);
    // A resource whose description lists no operations (some releases have such files) still
    // gets its handle, which then reads nothing.
    let unused = r.operations.is_empty().then(|| quote!(#[allow(dead_code)]));
    let fns = r.operations.iter().map(|op| op_fn(ir, owner, op));
    let builders = r.operations.iter().map(|op| builder(ir, owner, &r.type_name, op));
    let enums = ir.enums.iter().filter(|e| e.owner == owner).map(|e| enum_def(e, &TokenStream::new()));
    let structs = ir.structs.iter().filter(|s| s.owner == owner && s.merged_into.is_none()).map(|s| struct_def(ir, s));
    quote! {
        #module_doc
        #[allow(unused_imports)]
        use canvas_lms_runtime as rt;
        #[allow(unused_imports)]
        use crate::models;

        #[doc = #handle_doc]
        #[derive(Debug, Clone, Copy)]
        #unused
        pub struct #handle<'a>(&'a rt::Client);

        impl<'a> #handle<'a> {
            pub(crate) fn new(client: &'a rt::Client) -> Self {
                Self(client)
            }
            #( #fns )*
        }
        #( #builders )*
        #( #enums )*
        #( #structs )*
    }
}

/// The index from each Canvas route (as Canvas's documentation writes it) to the method
/// that sends it, so that a reader of a Canvas page finds the call.
fn route_index(ir: &Ir, index: usize) -> String {
    let r = &ir.resources[index];
    if r.operations.is_empty() {
        return String::new();
    }
    let mut text = String::from("\n\n| Canvas route | Method |\n|---|---|");
    for op in &r.operations {
        let name = op.fn_name.trim_start_matches("r#");
        for route in &op.routes {
            let context = route.context.map(|k| format!(" with `{}`", ir.contexts[k].rust_name)).unwrap_or_default();
            text.push_str(&format!(
                "\n| `{} /api{}` | [`{name}`]({}::{name}){context} |",
                op.method.as_str(),
                route.path,
                r.type_name
            ));
        }
    }
    text
}

/// Type of a function argument or setter parameter named `name`, and the expression that
/// turns it into the value sent.
fn arg(ir: &Ir, owner: Owner, p: &Param, name: &proc_macro2::Ident) -> (TokenStream, TokenStream) {
    let send = match &p.ty {
        Ty::String => quote!(&rt::text(#name)),
        Ty::Id => quote!(&rt::id(#name)),
        Ty::Vec(inner) => match **inner {
            Ty::String => quote!(&rt::texts(#name)),
            Ty::Id => quote!(&rt::ids(#name)),
            _ => quote!(&rt::list(#name)),
        },
        _ => quote!(&#name),
    };
    (arg_type(ir, &p.ty, owner), send)
}

/// The request struct a parameter is made of, if any (`S`, `Vec<S>`, `Map<S>`).
fn struct_of(t: &Ty) -> Option<crate::ir::StructId> {
    match t {
        Ty::Struct(id) => Some(*id),
        Ty::Vec(inner) | Ty::Map(inner) => struct_of(inner),
        _ => None,
    }
}

/// Canvas's title of an action as a rustdoc alias: one line, no quotes (rustdoc refuses
/// them), no final period.
fn doc_title(summary: &str) -> String {
    let line = summary.lines().next().unwrap_or_default();
    let clean: String = line.chars().filter(|c| !matches!(c, '"' | '\'' | '\t')).collect();
    clean.trim().trim_end_matches('.').trim().to_owned()
}

fn set_call(p: &Param, value: TokenStream) -> TokenStream {
    let wire = &p.wire;
    match p.location {
        Location::Query => quote!(.query(#wire, #value)),
        _ => quote!(.form(#wire, #value)),
    }
}

/// The method on the resource handle that starts an operation.
fn op_fn(ir: &Ir, owner: Owner, op: &Operation) -> TokenStream {
    let name = ident(&op.fn_name);
    let builder = ident(&op.builder_name);
    let mut text = rustdoc(&op.summary);
    let notes = rustdoc(&op.notes);
    if !notes.is_empty() && notes != text {
        text.push_str("\n\n");
        text.push_str(&notes);
    }
    // One route is a line of its own; the routes of a method with a context are a list.
    match op.routes.as_slice() {
        [one] if one.context.is_none() => text.push_str(&format!("\n\n`{} /api{}`", op.method.as_str(), one.path)),
        routes => {
            text.push('\n');
            for route in routes {
                text.push_str(&format!("\n- `{} /api{}`", op.method.as_str(), route.path));
                if let Some(kind) = route.context {
                    text.push_str(&format!(" with [`{0}`](crate::context::{0})", ir.contexts[kind].rust_name));
                }
            }
        }
    }
    let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
    // Path ids need no words; a glob (`{*full_path}`) does: it takes several segments.
    let documented = required
        .iter()
        .filter(|p| (p.location != Location::Path || p.wire.starts_with('*')) && !p.description.trim().is_empty());
    for p in documented {
        text.push_str(&format!("\n\n`{}`: {}", p.rust_name.trim_start_matches("r#"), rustdoc(&p.description)));
    }
    let docs = lines_doc(&text);
    // Canvas's names for the routes, so that rustdoc search finds them.
    // Canvas's names for the routes and its title of the action, so that rustdoc search
    // finds the method from a Canvas documentation page.
    let mut aliases: Vec<String> = op.routes.iter().map(|r| r.nickname.clone()).collect();
    aliases.push(doc_title(&op.summary));
    let mut seen = std::collections::BTreeSet::new();
    let aliases: Vec<String> =
        aliases.into_iter().filter(|a| !a.is_empty() && *a != op.fn_name && seen.insert(a.clone())).collect();
    let aliases = aliases.iter().map(|a| quote!(#[doc(alias = #a)]));
    let deprecated = op.deprecated.as_ref().map(|note| {
        let note = if note.trim().is_empty() { "deprecated by Canvas" } else { note.trim() };
        quote!(#[deprecated(note = #note)])
    });
    let context = op.context.map(|set| {
        let set = ident(&ir.context_sets[set].rust_name);
        quote!(context: impl crate::context::#set,)
    });
    let args = required.iter().map(|p| {
        let n = ident(&p.rust_name);
        let t = if p.location == Location::Path { quote!(impl rt::PathArg) } else { arg(ir, owner, p, &n).0 };
        quote!(#n: #t)
    });
    let path_values = required.iter().filter(|p| p.location == Location::Path).map(|p| {
        let n = ident(&p.rust_name);
        quote!(&#n)
    });
    let sets = required
        .iter()
        .filter(|p| p.location != Location::Path)
        .map(|p| set_call(p, arg(ir, owner, p, &ident(&p.rust_name)).1));
    let sets: Vec<TokenStream> = sets.collect();
    let start = match op.context {
        Some(_) => quote!(#builder::start(self.0, Some(&context), &[#( #path_values ),*])),
        None => quote!(#builder::start(self.0, None, &[#( #path_values ),*])),
    };
    // Required query and form parameters are set on the request as it starts.
    let body = if sets.is_empty() { start } else { quote!(#builder(#start.0 #( #sets )*)) };
    quote! {
        #docs
        #( #aliases )*
        #deprecated
        pub fn #name(&self, #context #( #args ),*) -> #builder<'a> {
            #body
        }
    }
}

/// The builder: optional setters and the ways to send.
fn builder(ir: &Ir, owner: Owner, handle: &str, op: &Operation) -> TokenStream {
    let name = ident(&op.builder_name);
    // The builder's docs ("Request builder for [`Courses::get_course`]: send it.") are written
    // by `rt::builder!` from the method and whether it has optional setters.
    let handle_ident = ident(handle);
    let fname = ident(&op.fn_name);
    let options = op.params.iter().any(|p| !p.required).then(|| quote!(with options));
    let setters = op.params.iter().filter(|p| !p.required).map(|p| {
        let n = ident(&p.rust_name);
        let value_ident = quote::format_ident!("value");
        let (t, value) = arg(ir, owner, p, &value_ident);
        let call = set_call(p, value);
        let mut text = rustdoc(&p.description);
        if text.is_empty() {
            text = match struct_of(&p.ty) {
                Some(id) => format!("Sets `{}[..]`: see [`{}`].", p.wire.replace('`', "'"), ir.structs[id.0].rust_name),
                None => format!("Sets `{}`.", p.wire.replace('`', "'")),
            };
        }
        let docs = lines_doc(&text);
        let dep = p.deprecated.then(|| quote!(#[deprecated]));
        quote! {
            #docs
            #dep
            pub fn #n(self, value: #t) -> Self {
                Self(self.0 #call)
            }
        }
    });
    // The struct, its `Operation` impl and its `send` (plus `stream` and `pages` for lists)
    // come from the runtime's `builder!`: one line of data per operation.
    let returns = match &op.response {
        Response::Json => quote!(json),
        Response::One(t) => {
            let t = ty(ir, t, owner);
            quote!(one #t)
        }
        Response::Array(t) => {
            let t = ty(ir, t, owner);
            quote!(array #t)
        }
        Response::List(t) => {
            let t = ty(ir, t, owner);
            quote!(list #t)
        }
    };
    let key = op.response_key.as_ref().map(|k| quote!(, #k));
    let method = quote::format_ident!("{}", op.method.variant());
    let path = &op.path;
    let upload = op.upload.as_ref().map(|u| upload_methods(ir, owner, op, u));
    let setters: Vec<TokenStream> = setters.collect();
    let methods = (!setters.is_empty() || upload.is_some()).then(|| {
        quote! {
            impl<'a> #name<'a> {
                #( #setters )*
                #upload
            }
        }
    });
    quote! {
        rt::builder!(#name(#method #path) for #handle_ident::#fname #options => #returns #key);
        #methods
    }
}

/// The methods that send a file, for operations that take one.
fn upload_methods(ir: &Ir, owner: Owner, op: &Operation, upload: &crate::ir::Upload) -> TokenStream {
    use crate::ir::Upload;
    let returns = match &op.response {
        Response::One(t) => ty(ir, t, owner),
        Response::Array(t) | Response::List(t) => {
            let t = ty(ir, t, owner);
            quote!(Vec<#t>)
        }
        Response::Json => quote!(rt::Json),
    };
    match upload {
        Upload::ThreeStep { file, progress } => {
            let file = ty(ir, &Ty::Model(*file), owner);
            let progress = ty(ir, &Ty::Model(*progress), owner);
            quote! {
                /// Uploads `file` with Canvas's three steps (the upload host never gets the
                /// token) and returns the file Canvas confirms.
                pub async fn upload(self, file: rt::Upload) -> rt::Result<#file> {
                    rt::Operation::into_request(self).upload(file).await
                }
                /// Lets Canvas fetch the file at `url` itself; returns the Progress to wait on.
                pub async fn upload_from_url(self, url: &str, name: &str) -> rt::Result<#progress> {
                    rt::Operation::into_request(self).upload_from_url(url, name).await
                }
            }
        }
        Upload::Into { group } => quote! {
            /// Sends the request, then uploads `file` where Canvas's answer says (the upload
            /// host never gets the token), and returns the created object.
            pub async fn upload(self, file: rt::Upload) -> rt::Result<#returns> {
                rt::Operation::into_request(self).upload_into(#group, file).await
            }
        },
        Upload::Multipart { field } => quote! {
            /// Sends the request with `file` as its multipart field.
            pub async fn send_with_file(self, file: rt::Upload) -> rt::Result<#returns> {
                rt::Operation::into_request(self).send_multipart(#field, file).await
            }
        },
    }
}
