//! `src/models.rs`: every response model and the enums of their fields.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc, enums::enum_def, ident, lines_doc, ty};
use crate::ir::{Ir, Model, Owner};
use crate::naming;

pub fn models_rs(ir: &Ir) -> TokenStream {
    let models = ir.models.iter().map(|m| {
        let cfg = cfg(ir, &m.features);
        let body = model(ir, m);
        quote!(#cfg #body)
    });
    let enums = ir.enums.iter().filter(|e| e.owner == Owner::Models).map(|e| enum_def(e, &cfg(ir, &e.features)));
    quote! {
        //! Response models shared by every resource.
        //!
        //! Canvas omits fields by permission and by `include[]`, so every field is an
        //! `Option` and a missing field decodes as `None`. Fields Canvas adds later are ignored.
        use canvas_lms_runtime as rt;
        #( #models )*
        #( #enums )*
    }
}

/// `#[cfg(..)]` enabling an item when any of the resources' features is on. Every item
/// of the models module is used by at least the resource whose file defines it.
fn cfg(ir: &Ir, features: &[usize]) -> TokenStream {
    let names: Vec<&str> = features.iter().map(|r| ir.resources[*r].module.as_str()).collect();
    match names.as_slice() {
        [] => quote!(),
        [one] => quote!(#[cfg(feature = #one)]),
        many => quote!(#[cfg(any( #( feature = #many ),* ))]),
    }
}

fn model(ir: &Ir, m: &Model) -> TokenStream {
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
        let rename = (naming::bare(&f.rust_name) != f.wire).then(|| {
            let w = &f.wire;
            quote!(#[serde(rename = #w)])
        });
        let fdoc = if f.description.trim().is_empty() { doc(&format!("`{}`", f.wire)) } else { doc(&f.description) };
        quote! { #fdoc #rename pub #fname: Option<#t>, }
    });
    quote! {
        #docs
        #deprecated
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        pub struct #name { #( #fields )* }
    }
}
