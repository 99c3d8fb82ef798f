//! Request parameter structs and their Rails bracket encoding.

use proc_macro2::TokenStream;
use quote::quote;

use super::{arg_type, ident, lines_doc, ty};
use crate::ir::{Ir, Owner, ParamStruct, Ty};

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
    // A struct with a credential gets a `Debug` that redacts it; the others derive it.
    let redacting = s.fields.iter().any(|f| f.holds_secret());
    let debug = (!redacting).then(|| quote!(Debug,));
    let derive = if has_required {
        quote!(#[derive(#debug Clone, PartialEq)])
    } else {
        quote!(#[derive(#debug Clone, Default, PartialEq)])
    };
    let debug_impl = redacting.then(|| {
        let label = &s.rust_name;
        let entries = s.fields.iter().map(|f| {
            let fname = ident(&f.rust_name);
            let shown = f.rust_name.trim_start_matches("r#");
            match (f.holds_secret(), f.required) {
                (false, _) => quote!(.field(#shown, &self.#fname)),
                (true, true) => quote!(.field(#shown, &"[redacted]")),
                (true, false) => quote!(.field(#shown, &self.#fname.as_ref().map(|_| "[redacted]"))),
            }
        });
        quote! {
            impl std::fmt::Debug for #name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_struct(#label) #( #entries )* .finish()
                }
            }
        }
    });
    let constructor = has_required.then(|| {
        let args = s.fields.iter().filter(|f| f.required).map(|f| {
            let n = ident(&f.rust_name);
            let t = owned_arg(ir, &f.ty, owner, &n).0;
            quote!(#n: #t)
        });
        let inits = s.fields.iter().map(|f| {
            let n = ident(&f.rust_name);
            if f.required {
                if matches!(f.ty, Ty::String | Ty::Id | Ty::Vec(_)) {
                    let value = owned_arg(ir, &f.ty, owner, &n).1;
                    quote!(#n: #value)
                } else {
                    quote!(#n)
                }
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
        #debug_impl
        #constructor
        impl rt::Encode for #name {
            fn encode(&self, key: &str, out: &mut rt::Pairs) {
                #( #encode )*
            }
        }
    }
}

/// The argument a constructor takes for a field of type `t` (the type a builder's setter
/// takes, [`arg_type`]) and the expression that makes the field's value from it.
fn owned_arg(ir: &Ir, t: &Ty, owner: Owner, n: &proc_macro2::Ident) -> (TokenStream, TokenStream) {
    let value = match t {
        Ty::String | Ty::Id => quote!(#n.into()),
        Ty::Vec(inner) if matches!(**inner, Ty::String | Ty::Id) => quote!(#n.into_iter().map(Into::into).collect()),
        Ty::Vec(_) => quote!(#n.into_iter().collect()),
        _ => quote!(#n),
    };
    (arg_type(ir, t, owner), value)
}
