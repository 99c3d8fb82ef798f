//! What the schema itself gives the module: the Rust type of every scalar, and every enum as
//! a forward-compatible Rust enum.

use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::Schema;
use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{doc, ident};
use crate::naming;

/// The schema, with the Rust names of its scalars and enums decided once.
pub struct SchemaItems<'s> {
    schema: &'s Valid<Schema>,
}

/// Scalars that become runtime types instead of newtypes of their own: Canvas's timestamps
/// (ISO 8601 with an offset, kept in UTC like the REST models) and free JSON. One Rust type
/// can stand for one scalar only (cynic's variable types), so `ISO8601DateTime`, rarer, stays
/// a newtype.
const RUNTIME_SCALARS: &[(&str, &str)] = &[("DateTime", "DateTime"), ("JSON", "Json")];

impl<'s> SchemaItems<'s> {
    pub fn new(schema: &'s Valid<Schema>) -> Self {
        SchemaItems { schema }
    }

    /// Types the schema defines, built-in scalars and introspection types left out.
    pub fn type_count(&self) -> usize {
        self.schema.types.values().filter(|t| !t.is_built_in()).count()
    }

    /// The Rust type of a field or variable of GraphQL type `name` (a scalar or an enum), as
    /// written in a query module; `None` for objects, interfaces, unions and inputs.
    pub fn leaf_type(&self, name: &str) -> Option<TokenStream> {
        let t = match name {
            "ID" => quote!(cynic::Id),
            "String" => quote!(String),
            "Int" => quote!(i32),
            "Float" => quote!(f64),
            "Boolean" => quote!(bool),
            _ => match self.schema.types.get(name)? {
                ExtendedType::Scalar(_) => match RUNTIME_SCALARS.iter().find(|(s, _)| *s == name) {
                    Some((_, rt)) => {
                        let rt = ident(rt);
                        quote!(rt::#rt)
                    }
                    None => {
                        let n = ident(&scalar_name(name));
                        quote!(super::#n)
                    }
                },
                ExtendedType::Enum(_) => {
                    let n = ident(&enum_name(name));
                    quote!(super::#n)
                }
                _ => return None,
            },
        };
        Some(t)
    }

    /// Custom scalars: a newtype each (cynic's `Scalar`), or the runtime type they stand for.
    pub fn scalars(&self) -> TokenStream {
        let items = self.schema.types.iter().filter_map(|(name, t)| {
            let ExtendedType::Scalar(s) = t else { return None };
            if t.is_built_in() {
                return None;
            }
            if let Some((_, rt)) = RUNTIME_SCALARS.iter().find(|(n, _)| *n == name.as_str()) {
                let rt = ident(rt);
                let marker = ident(name.as_str());
                return Some(quote! { cynic::impl_scalar!(rt::#rt, schema::#marker); });
            }
            let rust = ident(&scalar_name(name));
            let gql = name.as_str();
            let described = s.description.as_ref().map(|d| d.to_string()).unwrap_or_default();
            let text = if described.trim().is_empty() {
                format!("Canvas's `{gql}` scalar, as the text Canvas sends.")
            } else {
                format!("{}\n\nCanvas's `{gql}` scalar, as the text Canvas sends.", described.trim())
            };
            let docs = doc(&text);
            Some(quote! {
                #docs
                #[derive(cynic::Scalar, Debug, Clone, PartialEq, Eq, Hash)]
                #[cynic(graphql_type = #gql)]
                pub struct #rust(pub String);
            })
        });
        quote! { #(#items)* }
    }

    /// The enums among the types named in `used`, each with a catch-all for values added after this crate.
    /// Only the curated queries' enums are emitted: each is a derive that parses the schema
    /// and two serde impls, ~30 ms of a downstream build apiece, so the 55 of Canvas's schema
    /// would cost more than the rest of the module; a user's own query derives its own.
    pub fn enums(&self, used: &std::collections::BTreeSet<String>) -> TokenStream {
        let items = self.schema.types.iter().filter_map(|(name, t)| {
            let ExtendedType::Enum(e) = t else { return None };
            if t.is_built_in() || !used.contains(name.as_str()) {
                return None;
            }
            let rust = ident(&enum_name(name));
            let gql = name.as_str();
            let described = e.description.as_ref().map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
            let docs = doc(&described.unwrap_or_else(|| format!("Canvas's `{gql}` values.")));
            let values: Vec<String> = e.values.keys().map(|v| v.to_string()).collect();
            let names = naming::variants(&values);
            let variants = e.values.values().zip(&names).map(|(v, rust)| {
                let value = v.value.as_str();
                let described = v.description.as_ref().map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
                let docs = doc(&described.unwrap_or_else(|| format!("`{value}`.")));
                let rust = ident(rust);
                quote! { #docs #[cynic(rename = #value)] #rust, }
            });
            Some(quote! {
                #docs
                #[derive(cynic::Enum, Debug, Clone, PartialEq, Eq, Hash)]
                #[cynic(schema_path = "schema.graphql", graphql_type = #gql)]
                pub enum #rust {
                    #(#variants)*
                    /// A value this version of the crate does not know (Canvas added it later).
                    #[cynic(fallback)]
                    Unknown(String),
                }
            })
        });
        quote! { #(#items)* }
    }
}

/// Rust name of a custom scalar's newtype (`URL` → `Url`, `ISO8601Duration` →
/// `Iso8601Duration`).
pub fn scalar_name(graphql: &str) -> String {
    naming::pascal(graphql)
}

/// Rust name of an enum: its GraphQL name in Pascal case, kept clear of the module's other
/// items.
pub fn enum_name(graphql: &str) -> String {
    let name = naming::pascal(graphql);
    match name.as_str() {
        "Graphql" | "GraphqlError" | "GraphqlErrors" | "Location" | "NodeStream" | "Paginated" | "PathSegment"
        | "Response" => format!("{name}Enum"),
        _ => name,
    }
}
