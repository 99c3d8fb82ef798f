//! Forward-compatible string enums.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, lines_doc};
use crate::ir::EnumDef;

/// An enum with one variant per known value and `Unknown(String)` for the rest; the
/// runtime's `string_enum!` writes its conversions from the variant/value list.
/// `cfg` (possibly empty) is applied to every item emitted for the enum.
pub fn enum_def(e: &EnumDef, cfg: &TokenStream) -> TokenStream {
    let name = ident(&e.rust_name);
    let doc = lines_doc(&format!(
        "{}\n\nUnknown values are kept in `Unknown`, so a value Canvas adds later still decodes.",
        e.description
    ));
    let variants: Vec<_> = e.variants.iter().map(|v| ident(v)).collect();
    let values = &e.values;
    let vdocs = values.iter().map(|v| format!(" `{}`", v.replace('`', "'")));
    quote! {
        #cfg
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #vdocs] #variants, )*
            /// A value this version of the crate does not know.
            Unknown(String),
        }
        #cfg
        rt::string_enum!(#name { #( #variants = #values ),* });
    }
}
