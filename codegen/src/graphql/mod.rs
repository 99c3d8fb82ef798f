//! Canvas's GraphQL schema and the project's curated queries → the `graphql` module of the
//! generated crate (behind its `graphql` feature).
//!
//! The schema is upstream input (`graphql/schema.graphql`, locked like the REST files); it is
//! validated with apollo-compiler, shipped in the crate (`schema.graphql` beside
//! `Cargo.toml`, for cynic's derives here and downstream) and gives the module its schema
//! markers (`cynic::use_schema!`), its scalars and every enum. Each curated query
//! (`spec/graphql/*.graphql`, the project's own) is validated against it and becomes a
//! module of cynic `QueryFragment` types with docs from the schema, a variables struct, and,
//! for a query that pages a Relay connection, `Paginated` and a `stream` function.

mod query;
mod schema_items;

use std::collections::BTreeMap;

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{format_rust, ident, inner_doc};
use crate::error::Error;
use crate::input::InputFile;

/// Input name of the upstream schema.
pub const SCHEMA_INPUT: &str = "graphql/schema.graphql";
/// Prefix of the input names of curated queries.
pub const QUERY_INPUT_PREFIX: &str = "graphql/queries/";
/// Where the schema goes in the generated crate (cynic's `schema_path` is relative to the
/// crate's manifest directory).
pub const SCHEMA_OUTPUT: &str = "schema.graphql";

/// True for the input files this module reads (the REST pipeline leaves them out).
pub fn is_graphql_input(file: &InputFile) -> bool {
    file.name == SCHEMA_INPUT || file.name.starts_with(QUERY_INPUT_PREFIX)
}

/// What the crate-level files need to know about the GraphQL part.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Types the schema defines (built-in scalars left out).
    pub types: usize,
    /// The curated queries' modules, in order.
    pub queries: Vec<String>,
    /// The curated queries this schema does not accept, left out of the crate.
    pub stale_queries: Vec<StaleQuery>,
}

/// A curated query that is well-formed but does not validate against the schema given
/// (another Canvas release renamed or removed a field or argument it uses). It is left out
/// of the crate, like an override that no longer applies, so that a new schema never stops
/// the REST crate from being generated; the report lists it and `gen --check` refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleQuery {
    /// Its input name (`graphql/queries/course_submissions.graphql`).
    pub file: String,
    /// Where the first diagnostic points (`line L, column C`).
    pub location: String,
    /// The first diagnostic, one line (``type `Submission` does not have a field `grade` ``).
    pub summary: String,
    /// Every diagnostic, with the query's lines they point at.
    pub message: String,
}

impl std::fmt::Display for StaleQuery {
    /// `graphql/queries/q.graphql (line L, column C): <first diagnostic>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.file, self.location, self.summary)
    }
}

/// The files of the GraphQL part (path under `generated/` → text) and its facts.
pub type Emitted = (BTreeMap<String, String>, Facts);

/// The files of the `graphql` module, or `None` when the input has no schema (a spec set of
/// another Canvas release without it: the crate then has no `graphql` feature).
pub fn emit(files: &[InputFile]) -> Result<Option<Emitted>, Error> {
    let Some(schema_file) = files.iter().find(|f| f.name == SCHEMA_INPUT) else {
        return Ok(None);
    };
    let sdl = std::str::from_utf8(&schema_file.bytes).map_err(|e| Error::Input {
        file: SCHEMA_INPUT.into(),
        location: format!("byte {}", e.valid_up_to()),
        message: "the schema is not UTF-8".into(),
    })?;
    let schema = Schema::parse_and_validate(sdl, SCHEMA_INPUT).map_err(|e| Error::Input {
        file: SCHEMA_INPUT.into(),
        location: first_location(&e.errors),
        message: format!("the GraphQL schema does not validate:\n{}", e.errors),
    })?;
    let mut queries: Vec<&InputFile> = files.iter().filter(|f| f.name.starts_with(QUERY_INPUT_PREFIX)).collect();
    queries.sort_by(|a, b| a.name.cmp(&b.name));

    let items = schema_items::SchemaItems::new(&schema);
    let mut out = BTreeMap::new();
    let mut facts = Facts { types: items.type_count(), ..Facts::default() };
    let mut docs = Vec::new();
    let mut named_types = std::collections::BTreeSet::new();
    for file in queries {
        let module = module_name(file)?;
        let doc = match parse_query(&schema, file)? {
            Ok(doc) => doc,
            Err(stale) => {
                facts.stale_queries.push(stale);
                continue;
            }
        };
        let emitted = query::emit(&schema, &items, &doc, file, &module)?;
        let path = format!("src/graphql/{module}.rs");
        out.insert(path.clone(), format_rust(&path, emitted.tokens)?);
        docs.push((module.clone(), emitted.summary));
        named_types.extend(emitted.named_types);
        facts.queries.push(module);
    }
    out.insert("src/graphql/mod.rs".into(), format_rust("src/graphql/mod.rs", mod_rs(&items, &docs, &named_types))?);
    out.insert(SCHEMA_OUTPUT.into(), sdl.to_owned());
    Ok(Some((out, facts)))
}

/// `graphql/queries/course_submissions.graphql` → `course_submissions`.
fn module_name(file: &InputFile) -> Result<String, Error> {
    let stem = file.name.strip_prefix(QUERY_INPUT_PREFIX).and_then(|n| n.strip_suffix(".graphql"));
    // A name that snake-cases to itself is a plain identifier: lower case, digits and `_`,
    // not a keyword, not empty, not starting with a digit.
    match stem {
        Some(s) if crate::naming::snake(s) == s => Ok(s.to_owned()),
        _ => Err(bad_name(file)),
    }
}

fn bad_name(file: &InputFile) -> Error {
    Error::Input {
        file: file.name.clone(),
        location: "file name".into(),
        message: "a curated query's file name is its module: snake_case ending in `.graphql`".into(),
    }
}

/// Parses one curated query and validates it against the schema. A query that is not
/// GraphQL is an error; one the schema does not accept is `Ok(Err(stale))`.
fn parse_query(
    schema: &Valid<Schema>,
    file: &InputFile,
) -> Result<Result<Valid<ExecutableDocument>, StaleQuery>, Error> {
    let text = std::str::from_utf8(&file.bytes).map_err(|e| Error::Input {
        file: file.name.clone(),
        location: format!("byte {}", e.valid_up_to()),
        message: "not UTF-8".into(),
    })?;
    // Syntax first, without the schema: a malformed query is ours to fix whatever the release.
    if let Err(e) = apollo_compiler::ast::Document::parse(text, file.name.as_str()) {
        return Err(Error::Input {
            file: file.name.clone(),
            location: first_location(&e.errors),
            message: format!("the query is not valid GraphQL:\n{}", e.errors),
        });
    }
    Ok(ExecutableDocument::parse_and_validate(schema, text, file.name.as_str()).map_err(|e| StaleQuery {
        file: file.name.clone(),
        location: first_location(&e.errors),
        summary: e.errors.iter().next().map(|d| d.error.to_string()).unwrap_or_default(),
        message: format!("the query does not validate against Canvas's GraphQL schema:\n{}", e.errors),
    }))
}

/// `line L, column C` of the first diagnostic.
fn first_location(errors: &apollo_compiler::validation::DiagnosticList) -> String {
    errors
        .iter()
        .find_map(|d| d.line_column_range())
        .map(|r| format!("line {}, column {}", r.start.line, r.start.column))
        .unwrap_or_else(|| "the whole document".into())
}

/// The module's root: docs, re-exports of the runtime's GraphQL types, the schema markers,
/// scalars, enums and the curated queries' modules.
fn mod_rs(
    items: &schema_items::SchemaItems<'_>,
    queries: &[(String, String)],
    named_types: &std::collections::BTreeSet<String>,
) -> TokenStream {
    let list: String = queries.iter().map(|(m, summary)| format!("- [`{m}`]: {summary}\n")).collect();
    let docs = inner_doc(&format!(
        "Canvas's GraphQL API (`POST /api/graphql`), with queries checked against Canvas's schema at \
         compile time by [cynic](https://docs.rs/cynic).\n\n\
         [`Client::graphql`](crate::Client::graphql) sends them through the client's token, pacing, retries \
         and tracing: [`Graphql::query`] returns the data (GraphQL `errors` become \
         [`Error::Graphql`](crate::Error::Graphql), with their messages, paths and locations), \
         [`Graphql::query_partial`] the partial data beside the errors, and [`Graphql::paginate`] the \
         nodes of a Relay connection as a stream, following `endCursor` while `hasNextPage`.\n\n\
         Ready-made queries (those that page a connection also have a `stream` function):\n\n{list}\n\
         ## Your own queries\n\n\
         Write cynic fragments against this module's [`schema`] (compiled here once). cynic's derives also \
         read the schema text: with the `graphql` feature, this crate tells your build script where its copy \
         is (`DEP_CANVAS_LMS_GRAPHQL_SCHEMA`), so nothing is copied by hand:\n\n\
         ```toml\n\
         [dependencies]\n\
         canvas-lms = {{ version = \"0.1\", features = [\"graphql\"] }}\n\
         cynic = \"3.14\"\n\n\
         [build-dependencies]\n\
         cynic-codegen = \"3.14\"\n\
         ```\n\n\
         ```ignore\n\
         // build.rs\n\
         fn main() {{\n    \
             let schema = std::env::var(\"DEP_CANVAS_LMS_GRAPHQL_SCHEMA\").expect(\"canvas-lms with its graphql feature\");\n    \
             cynic_codegen::register_schema(\"canvas\").from_sdl_file(schema).unwrap().as_default().unwrap();\n\
         }}\n\
         ```\n\n\
         ```ignore\n\
         #[derive(cynic::QueryFragment, Debug)]\n\
         #[cynic(schema = \"canvas\", schema_module = \"canvas_lms::graphql::schema\", graphql_type = \"Query\", variables = \"CourseVariables\")]\n\
         struct CourseName {{\n    \
             #[arguments(id: $id)]\n    \
             course: Option<Course>,\n\
         }}\n\
         ```\n\n\
         The scalars below, and the enums the ready-made queries use, work in your fragments as they are \
         (each enum has an `Unknown(String)` for values Canvas adds later); derive others with \
         `#[derive(cynic::Enum)]`. [`SCHEMA_SDL`] is the schema's text."
    ));
    let scalars = items.scalars();
    let enums = items.enums(named_types);
    let mods = queries.iter().map(|(m, summary)| {
        let m = ident(m);
        let doc = crate::emit::lines_doc(summary);
        quote! { #doc pub mod #m; }
    });
    quote! {
        #docs
        use canvas_lms_runtime as rt;
        pub use rt::graphql::{Graphql, GraphqlError, GraphqlErrors, Location, NodeStream, Paginated, PathSegment, Response, VariablesOf};
        pub use cynic;

        /// The text of Canvas's GraphQL schema this crate was generated from (SDL).
        pub const SCHEMA_SDL: &str = include_str!("../../schema.graphql");

        /// cynic's markers for every type, field and argument of Canvas's schema: what
        /// `schema_module` names in a fragment. Not an API of its own.
        #[allow(missing_docs, non_camel_case_types, non_snake_case, clippy::all)]
        pub mod schema {
            cynic::use_schema!("schema.graphql");
        }

        #scalars
        #enums
        #(#mods)*
    }
}
