//! `src/models.rs`: every response model and the enums of their fields.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc, enums::enum_def, ident, lines_doc, ty};
use crate::ir::{Ir, Model, Owner, Ty};
use crate::naming;

pub fn models_rs(ir: &Ir) -> TokenStream {
    let sent = models_sent_as_parameters(ir);
    let models = ir.models.iter().enumerate().map(|(i, m)| {
        let cfg = cfg(ir, &m.features);
        let body = if m.union_members().is_none() { model(ir, m, &cfg) } else { union(ir, m, &cfg) };
        let name = ident(&m.rust_name);
        let encode = sent.contains(&i).then(|| {
            quote! {
                #cfg
                impl rt::Encode for #name {
                    fn encode(&self, key: &str, out: &mut rt::Pairs) {
                        rt::encode::encode_serialized(self, key, out)
                    }
                }
            }
        });
        quote!(#cfg #body #encode)
    });
    let enums = ir.enums.iter().filter(|e| e.owner == Owner::Models).map(|e| enum_def(e, &cfg(ir, &e.features)));
    let arms: Vec<TokenStream> = ir
        .models
        .iter()
        .filter(|m| m.union_members().is_none())
        .map(|m| {
            let cfg = cfg(ir, &m.features);
            let name = ident(&m.rust_name);
            let spec = &m.spec_name;
            quote!(#cfg #spec => go::<#name>(json),)
        })
        .collect();
    // An input without models still gets the function (tests call it), warning-free.
    let conformance = if arms.is_empty() {
        quote! {
            /// Decodes `json` as the model Canvas calls `name` and encodes it back: `None` for an
            /// unknown name (this crate has no models). For conformance tests (feature `conformance`).
            #[cfg(feature = "conformance")]
            pub fn roundtrip(name: &str, json: &[u8]) -> Option<Result<rt::Json, String>> {
                let _ = (name, json);
                None
            }
        }
    } else {
        quote! {
        /// Decodes `json` as the model Canvas calls `name` and encodes it back: `None` for an
        /// unknown name. For conformance tests (feature `conformance`).
        #[cfg(feature = "conformance")]
        pub fn roundtrip(name: &str, json: &[u8]) -> Option<Result<rt::Json, String>> {
            use rt::__private::serde_json;
            fn go<T: serde::de::DeserializeOwned + serde::Serialize>(json: &[u8]) -> Result<rt::Json, String> {
                let value: T = serde_json::from_slice(json).map_err(|e| e.to_string())?;
                serde_json::to_value(&value).map_err(|e| e.to_string())
            }
            Some(match name {
                #( #arms )*
                _ => return None,
            })
        }
        }
    };
    quote! {
        //! Response models shared by every resource.
        //!
        //! Canvas omits fields by permission and by `include[]`, so every field is an
        //! `Option` and a missing field decodes as `None`. Fields the description does not
        //! declare are kept in each model's `extra` ([`rt::Extra`]) and encoded back.
        //!
        //! Models are `#[non_exhaustive]`: a Canvas release that adds a field adds it here
        //! without breaking code that uses the model. To make one (in tests, say), start from
        //! `Default::default()` and set its fields, or decode it from JSON.
        // Every model is gated by the features that use it: with none of them (only
        // `graphql`, say), nothing here uses the runtime.
        #[allow(unused_imports)]
        use canvas_lms_runtime as rt;
        #( #models )*
        #( #enums )*
        #conformance
    }
}

/// A union: an enum with one variant per model and `Unknown` for anything else. Decoding
/// picks the variant whose own fields (those no other variant has) the object carries most of.
fn union(ir: &Ir, m: &Model, cfg: &TokenStream) -> TokenStream {
    let name = ident(&m.rust_name);
    let docs = lines_doc(&format!(
        "{}\n\nDecoding picks the variant whose own fields (those no other variant has) the object carries; an object that matches none is kept in `Unknown`.",
        m.description
    ));
    let variants: Vec<&Model> = m.union_members().unwrap_or_default().iter().map(|id| &ir.models[id.0]).collect();
    let names: Vec<_> = variants.iter().map(|v| ident(&v.rust_name)).collect();
    let vdocs = variants.iter().map(|v| format!(" A [`{}`].", v.rust_name));
    let own: Vec<Vec<&str>> = variants
        .iter()
        .map(|v| {
            v.fields
                .iter()
                .map(|f| f.wire.as_str())
                .filter(|w| variants.iter().filter(|o| o.fields.iter().any(|f| f.wire == *w)).count() == 1)
                .collect()
        })
        .collect();
    let own_lists = own.iter().map(|keys| quote!(&[#( #keys ),*]));
    let indices = (0..names.len()).map(proc_macro2::Literal::usize_unsuffixed);
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #vdocs] #names(Box<#names>), )*
            /// An object that matches no variant by its fields.
            Unknown(rt::Json),
        }
        #cfg
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let json = <rt::Json as serde::Deserialize>::deserialize(d)?;
                Ok(match rt::encode::pick_variant(&json, &[#( #own_lists ),*]) {
                    #( Some(#indices) => Self::#names(rt::encode::from_json::<_, D::Error>(json)?), )*
                    _ => Self::Unknown(json),
                })
            }
        }
    }
}

/// Models some request parameter is typed as (directly, in a list or map, or in a request
/// struct): they get an `Encode` impl.
fn models_sent_as_parameters(ir: &Ir) -> std::collections::BTreeSet<usize> {
    fn walk(t: &Ty, out: &mut std::collections::BTreeSet<usize>) {
        match t {
            Ty::Model(id) => {
                out.insert(id.0);
            }
            Ty::Vec(inner) | Ty::Map(inner) => walk(inner, out),
            _ => {}
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for r in &ir.resources {
        for op in &r.operations {
            for p in &op.params {
                walk(&p.ty, &mut out);
            }
        }
    }
    for s in &ir.structs {
        for f in &s.fields {
            walk(&f.ty, &mut out);
        }
    }
    out
}

/// `#[cfg(..)]` enabling an item when any of the resources' features is on. Every item
/// of the models module is used by at least the resource whose file defines it.
pub(crate) fn cfg(ir: &Ir, features: &[usize]) -> TokenStream {
    let names: Vec<&str> = features.iter().map(|r| ir.resources[*r].module.as_str()).collect();
    match names.as_slice() {
        [] => quote!(),
        [one] => quote!(#[cfg(feature = #one)]),
        many => quote!(#[cfg(any( #( feature = #many ),* ))]),
    }
}

fn model(ir: &Ir, m: &Model, cfg: &TokenStream) -> TokenStream {
    let name = ident(&m.rust_name);
    let mut text = crate::docs::rustdoc(&m.description);
    if text.is_empty() {
        text = format!("The Canvas `{}` object.", m.spec_name);
    }
    if m.files.len() > 1 {
        text.push_str(&format!(
            "\n\nDefined in {}; this type holds the fields of every definition.",
            m.files.join(", ")
        ));
    }
    let docs = lines_doc(&text);
    let deprecated = m.deprecated.as_ref().map(|note| quote!(#[deprecated(note = #note)]));
    let fields = m.fields.iter().map(|f| {
        let fname = ident(&f.rust_name);
        let mut t = ty(ir, &f.ty, Owner::Models);
        if f.boxed {
            t = quote!(Box<#t>);
        }
        let fdoc = if f.description.trim().is_empty() { doc(&format!("`{}`", f.wire)) } else { doc(&f.description) };
        quote! { #fdoc pub #fname: Option<#t>, }
    });
    // What `rt::model!` needs of each field: its name, its JSON key where that is not the
    // name (a raw identifier, `concluded?`), and the lenient decoder of scalars Canvas
    // sometimes sends as strings or timestamps without an offset (`canvas_lms_runtime::lenient`).
    let entries = m.fields.iter().map(|f| {
        let fname = ident(&f.rust_name);
        let key = (f.rust_name != f.wire).then(|| {
            let w = &f.wire;
            quote!(= #w)
        });
        let lenient = match (&f.ty, f.boxed) {
            (Ty::Bool, false) => Some("bool"),
            (Ty::Int, false) => Some("int"),
            (Ty::Float, false) => Some("float"),
            (Ty::DateTime, false) => Some("datetime"),
            _ => None,
        }
        .map(|kind| {
            let kind = ident(kind);
            quote!(: #kind)
        });
        quote!(#fname #key #lenient)
    });
    let extra = ident(naming::EXTRA_MEMBER);
    quote! {
        #docs
        #deprecated
        #[derive(Debug, Clone, Default, PartialEq)]
        // Canvas adds fields in new releases: a new field must not break callers.
        #[non_exhaustive]
        pub struct #name {
            #( #fields )*
            /// Fields Canvas sent that this model does not declare (written back on encoding).
            pub #extra: rt::Extra,
        }
        #cfg
        rt::model!(#name { #( #entries ),* });
    }
}
