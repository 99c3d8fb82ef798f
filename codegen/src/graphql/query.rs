//! One curated query → a module of cynic types: a struct per selection set (named after its
//! GraphQL type, or the operation for the root), a variables struct with a constructor, and
//! for a query that pages a connection (`after: $after`) the runtime's `Paginated` and a
//! `stream` function.

use std::collections::{BTreeMap, BTreeSet};

use apollo_compiler::ast::{OperationType, Type, Value};
use apollo_compiler::executable::{Field, Operation, Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node, Schema};
use proc_macro2::TokenStream;
use quote::quote;

use super::schema_items::SchemaItems;
use crate::emit::{doc, ident, inner_doc, lines_doc};
use crate::error::Error;
use crate::input::InputFile;
use crate::naming;

/// The tokens of the module and the one-line summary its parent lists.
pub struct Emitted {
    pub tokens: TokenStream,
    pub summary: String,
    /// The schema types its fields and variables name (the parent module emits the enums
    /// among them).
    pub named_types: BTreeSet<String>,
}

/// A struct to emit: one selection set.
struct Fragment {
    rust: String,
    graphql_type: String,
    /// Uses a variable (itself or below): cynic wants `variables = ..` on it.
    uses_variables: bool,
    fields: Vec<FieldOut>,
}

struct FieldOut {
    rust: String,
    graphql: String,
    doc: String,
    ty: TokenStream,
    arguments: Option<String>,
}

/// Where the query's Relay connection is and what its nodes are.
struct Connection {
    path: Vec<String>,
    node: String,
    cursor_variable: String,
}

struct Ctx<'a> {
    schema: &'a Valid<Schema>,
    items: &'a SchemaItems<'a>,
    file: &'a InputFile,
    doc: &'a Valid<ExecutableDocument>,
    fragments: Vec<Fragment>,
    taken: BTreeSet<String>,
    /// Struct names by (GraphQL type, selection text): the same selection twice is one struct.
    by_selection: BTreeMap<(String, String), String>,
    variables: BTreeMap<String, String>,
    cursor_variable: Option<String>,
    connection: Option<Connection>,
    /// The named types met so far, for [`Emitted::named_types`].
    named_types: BTreeSet<String>,
}

pub fn emit(
    schema: &Valid<Schema>,
    items: &SchemaItems<'_>,
    doc: &Valid<ExecutableDocument>,
    file: &InputFile,
    module: &str,
) -> Result<Emitted, Error> {
    let fail = |location: String, message: &str| Error::Input {
        file: file.name.clone(),
        location,
        message: message.to_owned(),
    };
    if !doc.fragments.is_empty() {
        return Err(fail("fragments".into(), "curated queries are written without named fragments"));
    }
    let mut ops = doc.operations.iter();
    let (Some(op), None) = (ops.next(), ops.next()) else {
        return Err(fail("the whole document".into(), "a curated query file holds exactly one operation"));
    };
    let Some(op_name) = op.name.as_ref().map(|n| n.to_string()) else {
        return Err(fail(at(doc, op), "the operation needs a name (it names the query's type)"));
    };
    if naming::pascal(&op_name) != op_name {
        return Err(fail(at(doc, op), "the operation's name is its Rust type: write it in PascalCase"));
    }
    if op.operation_type == OperationType::Subscription {
        return Err(fail(at(doc, op), "Canvas has no subscriptions"));
    }
    let mut ctx = Ctx {
        schema,
        items,
        file,
        doc,
        fragments: Vec::new(),
        taken: BTreeSet::from([op_name.clone(), format!("{op_name}Variables")]),
        by_selection: BTreeMap::new(),
        variables: op.variables.iter().map(|v| (v.name.to_string(), naming::snake(v.name.as_str()))).collect(),
        cursor_variable: None,
        connection: None,
        named_types: BTreeSet::new(),
    };
    ctx.cursor_variable = op
        .variables
        .iter()
        .find(|v| v.name == "after" && !v.ty.is_non_null() && v.ty.inner_named_type() == "String")
        .map(|v| v.name.to_string());
    ctx.fragment(&op.selection_set, Some(op_name.clone()), &mut Vec::new())?;
    let variables = ctx.variables_struct(op, &op_name)?;
    let fragments = ctx.fragments.iter().map(|f| fragment_tokens(f, &op_name));
    let root = ident(&op_name);
    let vars = quote::format_ident!("{}Variables", op_name);

    let text = std::str::from_utf8(&file.bytes).unwrap_or_default();
    let (comment, body) = split_comment(text);
    let summary = comment.lines().next().unwrap_or("").trim().to_owned();
    let summary = if summary.is_empty() { format!("the `{op_name}` query.") } else { summary };
    let mut module_doc = format!(
        "{comment}\n\nThe query, checked against Canvas's schema when this crate compiles:\n\n```graphql\n{body}```\n"
    );

    let paginated = match &ctx.connection {
        Some(c) if op.operation_type == OperationType::Query => {
            let node = ident(&c.node);
            let path = &c.path;
            let cursor = (c.cursor_variable != "after").then(|| {
                let v = &c.cursor_variable;
                quote! { const CURSOR_VARIABLE: &'static str = #v; }
            });
            let required: Vec<_> =
                op.variables.iter().filter(|v| v.ty.is_non_null() && v.default_value.is_none()).collect();
            let params = required.iter().map(|v| {
                let n = ident(&naming::snake(v.name.as_str()));
                let t = arg_type(items, &v.ty);
                quote!(#n: #t)
            });
            let args = required.iter().map(|v| ident(&naming::snake(v.name.as_str())));
            let stream_doc = lines_doc(&format!(
                "Streams every node of `{}`, page after page (each request asks for the page after the last \
                 one's `endCursor`), through `client`'s token, pacing and retries.",
                path.join(".")
            ));
            module_doc.push_str(&format!(
                "\n```no_run\n# async fn run(client: canvas_lms::Client) -> canvas_lms::Result<()> {{\n\
                 use futures_util::TryStreamExt;\n\
                 use canvas_lms::graphql::{module}::{op_name};\n\
                 let mut nodes = {op_name}::stream(&client{});\n\
                 while let Some(node) = nodes.try_next().await? {{\n    println!(\"{{node:?}}\");\n}}\n\
                 # Ok(())\n# }}\n```\n",
                required.iter().map(|v| format!(", {}", example_value(&v.ty))).collect::<String>(),
            ));
            quote! {
                impl rt::graphql::Paginated for #root {
                    type Node = #node;
                    const CONNECTION: &'static [&'static str] = &[#(#path),*];
                    #cursor
                }

                impl #root {
                    #stream_doc
                    pub fn stream(client: &crate::Client #(, #params)*) -> rt::graphql::NodeStream<'_, #node> {
                        client.graphql().paginate::<Self>(#vars::new(#(#args),*))
                    }
                }
            }
        }
        _ => quote! {},
    };
    let module_doc = inner_doc(&module_doc);
    let tokens = quote! {
        #module_doc
        use canvas_lms_runtime as rt;
        #variables
        #(#fragments)*
        #paginated
    };
    Ok(Emitted { tokens, summary, named_types: ctx.named_types })
}

/// The leading `#` comment of a query file (without the `#`s) and the rest.
fn split_comment(text: &str) -> (String, String) {
    let mut comment = Vec::new();
    let mut rest = text;
    while let Some(line) = rest.lines().next() {
        let Some(c) = line.trim_start().strip_prefix('#') else { break };
        comment.push(c.strip_prefix(' ').unwrap_or(c).to_owned());
        rest = &rest[(line.len() + 1).min(rest.len())..];
    }
    (comment.join("\n"), rest.trim_start_matches('\n').to_owned())
}

/// `line L, column C` of a node of the query.
fn at<T>(doc: &Valid<ExecutableDocument>, node: &Node<T>) -> String {
    node.line_column_range(&doc.sources)
        .map(|r| format!("line {}, column {}", r.start.line, r.start.column))
        .unwrap_or_else(|| "the whole document".into())
}

impl Ctx<'_> {
    fn fail<T>(&self, node: &Node<T>, message: String) -> Error {
        Error::Input { file: self.file.name.clone(), location: at(self.doc, node), message }
    }

    /// Emits the struct of `set` (and those below it); returns its name and whether it uses
    /// a variable.
    fn fragment(
        &mut self,
        set: &SelectionSet,
        name: Option<String>,
        path: &mut Vec<String>,
    ) -> Result<(String, bool), Error> {
        let key = (set.ty.to_string(), selection_text(set));
        if name.is_none() {
            if let Some(existing) = self.by_selection.get(&key) {
                let uses = self.fragments.iter().find(|f| &f.rust == existing).is_some_and(|f| f.uses_variables);
                return Ok((existing.clone(), uses));
            }
        }
        let rust = match name {
            Some(n) => n,
            None => self.free_name(set.ty.as_str(), path.last().map(String::as_str).unwrap_or("")),
        };
        self.by_selection.insert(key, rust.clone());
        let index = self.fragments.len();
        self.fragments.push(Fragment {
            rust: rust.clone(),
            graphql_type: set.ty.to_string(),
            uses_variables: false,
            fields: Vec::new(),
        });
        let mut uses_variables = false;
        let mut fields = Vec::new();
        let mut rust_names = BTreeSet::new();
        for sel in &set.selections {
            let field = match sel {
                Selection::Field(f) => f,
                Selection::FragmentSpread(s) => {
                    return Err(self.fail(s, "curated queries are written without fragments".into()))
                }
                Selection::InlineFragment(s) => {
                    return Err(self.fail(s, "curated queries are written without inline fragments".into()))
                }
            };
            if field.name.starts_with("__") {
                return Err(self.fail(field, "introspection fields are not part of a curated query".into()));
            }
            if !field.directives.is_empty() {
                return Err(
                    self.fail(field, "directives (@include, @skip) are not supported in curated queries".into())
                );
            }
            if field.alias.is_some() {
                return Err(self.fail(field, "aliases are not supported in curated queries".into()));
            }
            path.push(field.response_key().to_string());
            let out = self.field(set, field, path, &mut uses_variables)?;
            path.pop();
            if !rust_names.insert(out.rust.clone()) {
                return Err(
                    self.fail(field, format!("two fields of `{}` would both be `{}` in Rust", set.ty, out.rust))
                );
            }
            fields.push(out);
        }
        self.fragments[index].fields = fields;
        self.fragments[index].uses_variables = uses_variables;
        Ok((rust, uses_variables))
    }

    fn field(
        &mut self,
        parent: &SelectionSet,
        field: &Node<Field>,
        path: &mut Vec<String>,
        uses_variables: &mut bool,
    ) -> Result<FieldOut, Error> {
        let def = &field.definition;
        let graphql = field.name.to_string();
        let rust = match graphql.as_str() {
            "_id" => "legacy_id".to_owned(),
            g => naming::snake(g).trim_start_matches("r#").to_owned(),
        };
        let rust = if naming::snake(&rust) != rust { format!("{rust}_") } else { rust };
        let described = def.description.as_ref().map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        let doc = match (graphql.as_str(), described) {
            ("_id", _) => "Canvas's id of this object, the one its REST API uses (`_id`).".to_owned(),
            ("id", _) => "The global GraphQL id (`id`), for `node(id:)`.".to_owned(),
            (_, Some(d)) => d,
            (g, None) => format!("`{g}` of `{}`.", parent.ty),
        };
        let mut args = Vec::new();
        for a in &field.arguments {
            args.push(format!("{}: {}", a.name, self.value(&a.value, uses_variables)?));
            if let (Value::Variable(v), Some(cursor)) = (&*a.value, &self.cursor_variable) {
                if a.name == "after" && v.as_str() == cursor {
                    if self.connection.is_some() {
                        return Err(self.fail(field, format!("${cursor} pages two connections")));
                    }
                    self.connection =
                        Some(Connection { path: path.clone(), node: String::new(), cursor_variable: cursor.clone() });
                }
            }
        }
        let pages_here = self.connection.as_ref().is_some_and(|c| c.node.is_empty() && c.path == *path);
        let leaf = def.ty.inner_named_type();
        self.named_types.insert(leaf.to_string());
        let inner = if field.selection_set.selections.is_empty() {
            self.items
                .leaf_type(leaf.as_str())
                .ok_or_else(|| self.fail(field, format!("no Rust type for the GraphQL type `{leaf}`")))?
        } else {
            match self.schema.types.get(leaf.as_str()) {
                Some(ExtendedType::Object(_) | ExtendedType::Interface(_)) => {}
                _ => {
                    return Err(
                        self.fail(field, format!("`{leaf}` is a union: curated queries select objects and interfaces"))
                    )
                }
            }
            let (name, uses) = self.fragment(&field.selection_set, None, path)?;
            *uses_variables |= uses;
            let n = ident(&name);
            quote!(#n)
        };
        if pages_here {
            let node = self.connection_node(field)?;
            if let Some(c) = &mut self.connection {
                c.node = node;
            }
        }
        Ok(FieldOut {
            rust,
            graphql,
            doc,
            ty: wrap(&def.ty, inner),
            arguments: (!args.is_empty()).then(|| args.join(", ")),
        })
    }

    /// The node struct of the connection `field` selects, after checking it selects what
    /// paging needs.
    fn connection_node(&self, field: &Node<Field>) -> Result<String, Error> {
        let set = &field.selection_set;
        let sub = |name: &str| {
            set.selections.iter().find_map(|s| match s {
                Selection::Field(f) if f.name == name => Some(f),
                _ => None,
            })
        };
        let page_info = sub("pageInfo").ok_or_else(|| {
            self.fail(field, "a paged connection selects `pageInfo { hasNextPage endCursor }`".into())
        })?;
        for needed in ["hasNextPage", "endCursor"] {
            if !page_info.selection_set.selections.iter().any(|s| matches!(s, Selection::Field(f) if f.name == needed))
            {
                return Err(self.fail(page_info, format!("a paged connection's `pageInfo` selects `{needed}`")));
            }
        }
        let nodes = sub("nodes").ok_or_else(|| self.fail(field, "a paged connection selects its `nodes`".into()))?;
        if nodes.selection_set.selections.is_empty() {
            return Err(self.fail(nodes, "the connection's nodes are objects: select their fields".into()));
        }
        let key = (nodes.selection_set.ty.to_string(), selection_text(&nodes.selection_set));
        self.by_selection.get(&key).cloned().ok_or_else(|| self.fail(nodes, "internal: node struct not emitted".into()))
    }

    /// A struct name for a selection on `ty`: the type's own name, else with the field's.
    fn free_name(&mut self, ty: &str, field: &str) -> String {
        let base = naming::pascal(ty);
        let mut name = base.clone();
        if self.taken.contains(&name) {
            name = format!("{}{}", naming::pascal(field), base);
        }
        let stem = name.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{stem}{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }

    /// An argument value in cynic's `#[arguments(..)]` syntax.
    fn value(&self, value: &Value, uses_variables: &mut bool) -> Result<String, Error> {
        Ok(match value {
            Value::Null => "null".into(),
            Value::Enum(e) => e.to_string(),
            Value::Variable(v) => {
                *uses_variables = true;
                format!("${}", self.variables.get(v.as_str()).cloned().unwrap_or_else(|| naming::snake(v.as_str())))
            }
            Value::String(s) => format!("{s:?}"),
            Value::Float(f) => f.as_str().to_owned(),
            Value::Int(i) => i.as_str().to_owned(),
            Value::Boolean(b) => b.to_string(),
            Value::List(items) => {
                let items: Result<Vec<_>, _> = items.iter().map(|v| self.value(v, uses_variables)).collect();
                format!("[{}]", items?.join(", "))
            }
            Value::Object(fields) => {
                let fields: Result<Vec<_>, _> =
                    fields.iter().map(|(k, v)| Ok(format!("{k}: {}", self.value(v, uses_variables)?))).collect();
                format!("{{ {} }}", fields?.join(", "))
            }
        })
    }

    /// `{Op}Variables`: one field per variable, with `new` taking the required ones.
    fn variables_struct(&mut self, op: &Node<Operation>, op_name: &str) -> Result<TokenStream, Error> {
        let name = quote::format_ident!("{}Variables", op_name);
        let mut fields = Vec::new();
        let mut params = Vec::new();
        let mut inits = Vec::new();
        for v in &op.variables {
            if v.default_value.is_some() {
                return Err(
                    self.fail(v, "variables with defaults are not supported: write the value in the query".into())
                );
            }
            let leaf = v.ty.inner_named_type();
            self.named_types.insert(leaf.to_string());
            let inner = self.items.leaf_type(leaf.as_str()).ok_or_else(|| {
                self.fail(
                    v,
                    format!("variable ${} of input type `{leaf}`: curated queries take scalars and enums", v.name),
                )
            })?;
            let rust = ident(&naming::snake(v.name.as_str()));
            let ty = wrap(&v.ty, inner);
            let docs = doc(&format!("`${}`: `{}`.", v.name, v.ty));
            fields.push(quote! { #docs pub #rust: #ty, });
            if v.ty.is_non_null() {
                let arg = arg_type(self.items, &v.ty);
                let convert = match leaf.as_str() {
                    "ID" => quote!(cynic::Id::new(#rust.to_string())),
                    "String" => quote!(#rust.to_string()),
                    _ => quote!(#rust),
                };
                params.push(quote!(#rust: #arg));
                inits.push(quote!(#rust: #convert,));
            } else {
                inits.push(quote!(#rust: None,));
            }
        }
        let struct_doc = lines_doc(&format!("The variables of [`{op_name}`]."));
        let new_doc = lines_doc("The variables with the required ones given and the others unset.");
        Ok(quote! {
            #struct_doc
            #[derive(cynic::QueryVariables, Debug, Clone, PartialEq)]
            #[cynic(schema_module = "super::schema")]
            pub struct #name { #(#fields)* }

            impl #name {
                #new_doc
                pub fn new(#(#params),*) -> Self {
                    #name { #(#inits)* }
                }
            }
        })
    }
}

/// The type a required variable's constructor argument takes: ids and texts as anything
/// printable (`101`, `"sis_course_id:X"`), others as they are.
fn arg_type(items: &SchemaItems<'_>, ty: &Type) -> TokenStream {
    match ty {
        Type::NonNullNamed(n) if n == "ID" || n == "String" => quote!(impl std::fmt::Display),
        Type::NonNullNamed(n) => items.leaf_type(n.as_str()).unwrap_or_else(|| quote!(rt::Json)),
        other => wrap(other, items.leaf_type(other.inner_named_type().as_str()).unwrap_or_else(|| quote!(rt::Json))),
    }
}

/// An example argument for a doc test.
fn example_value(ty: &Type) -> &'static str {
    match ty.inner_named_type().as_str() {
        "ID" => "101",
        "String" => "\"text\"",
        "Int" => "1",
        "Boolean" => "true",
        _ => "Default::default()",
    }
}

/// `inner` wrapped as GraphQL type `ty` says: nullable → `Option`, list → `Vec`.
fn wrap(ty: &Type, inner: TokenStream) -> TokenStream {
    match ty {
        Type::Named(_) => quote!(Option<#inner>),
        Type::NonNullNamed(_) => inner,
        Type::List(item) => {
            let item = wrap(item, inner);
            quote!(Option<Vec<#item>>)
        }
        Type::NonNullList(item) => {
            let item = wrap(item, inner);
            quote!(Vec<#item>)
        }
    }
}

/// A selection set as text (for recognising the same selection twice).
fn selection_text(set: &SelectionSet) -> String {
    set.serialize().no_indent().to_string()
}

fn fragment_tokens(f: &Fragment, op_name: &str) -> TokenStream {
    let rust = ident(&f.rust);
    let gql = &f.graphql_type;
    let struct_doc = if f.rust == op_name {
        lines_doc(&format!("The data of the `{op_name}` query."))
    } else {
        lines_doc(&format!("`{gql}`, as the `{op_name}` query selects it."))
    };
    let cynic_attr = if f.uses_variables {
        let vars = format!("{op_name}Variables");
        quote! { #[cynic(schema_path = "schema.graphql", schema_module = "super::schema", graphql_type = #gql, variables = #vars)] }
    } else {
        quote! { #[cynic(schema_path = "schema.graphql", schema_module = "super::schema", graphql_type = #gql)] }
    };
    let fields = f.fields.iter().map(|field| {
        let docs = doc(&field.doc);
        let name = ident(&field.rust);
        let ty = &field.ty;
        let rename = (heck::ToLowerCamelCase::to_lower_camel_case(field.rust.as_str()) != field.graphql).then(|| {
            let g = &field.graphql;
            quote! { #[cynic(rename = #g)] }
        });
        let args = field.arguments.as_ref().map(|a| {
            let tokens: TokenStream = a.parse().unwrap_or_default();
            quote! { #[arguments(#tokens)] }
        });
        quote! { #docs #rename #args pub #name: #ty, }
    });
    quote! {
        #struct_doc
        #[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
        #cynic_attr
        pub struct #rust { #(#fields)* }
    }
}
