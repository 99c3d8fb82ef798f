//! Request parameter structs and their Rails bracket encoding.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, lines_doc, ty};
use crate::ir::{Ir, ParamStruct};

pub fn struct_def(ir: &Ir, s: &ParamStruct) -> TokenStream {
    let name = ident(&s.rust_name);
    let owner = s.owner;
    let docs = lines_doc(&format!("Parameters sent as `{}[..]`.", s.wire_path));
    let has_required = s.fields.iter().any(|f| f.required);
    let fields = s.fields.iter().map(|f| {
        let fname = ident(&f.rust_name);
        let t = ty(ir, &f.ty, owner);
        let t = if f.required { t } else { quote!(Option<#t>) };
        let mut text = crate::docs::rustdoc(&f.description);
        if text.is_empty() {
            text = format!("`{}`", f.wire.replace('`', "'"));
        }
        if f.required {
            text.push_str("\n\nRequired.");
        }
        let fdoc = lines_doc(&text);
        let dep = f.deprecated.then(|| quote!(#[deprecated]));
        quote! { #fdoc #dep pub #fname: #t, }
    });
    let encode = s.fields.iter().map(|f| {
        let fname = ident(&f.rust_name);
        let wire = &f.wire;
        if f.flatten {
            quote! { rt::Encode::encode(&self.#fname, key, out); }
        } else {
            quote! { out.field(key, #wire, &self.#fname); }
        }
    });
    let derive = if has_required {
        quote!(#[derive(Debug, Clone, PartialEq)])
    } else {
        quote!(#[derive(Debug, Clone, Default, PartialEq)])
    };
    let constructor = has_required.then(|| {
        let args = s.fields.iter().filter(|f| f.required).map(|f| {
            let n = ident(&f.rust_name);
            let t = ty(ir, &f.ty, owner);
            quote!(#n: #t)
        });
        let inits = s.fields.iter().map(|f| {
            let n = ident(&f.rust_name);
            if f.required {
                quote!(#n)
            } else {
                quote!(#n: None)
            }
        });
        quote! {
            impl #name {
                /// Creates the parameters with the required fields set and the others empty.
                pub fn new(#( #args ),*) -> Self {
                    Self { #( #inits ),* }
                }
            }
        }
    });
    quote! {
        #docs
        #derive
        pub struct #name { #( #fields )* }
        #constructor
        impl rt::Encode for #name {
            fn encode(&self, key: &str, out: &mut rt::Pairs) {
                #( #encode )*
            }
        }
    }
}
