//! What a generation run met and did: counts, and every anomaly of the input with its
//! resolution. Nothing in the input is dropped without a line here.

use std::fmt::Write;

/// Defines [`Rule`] from its variants, each with its report text.
macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident => $text:literal, )*) => {
        /// Every rule the generator applies to the input, as the report names it: each variant
        /// says what the input had and how it was resolved. This is the catalogue the README
        /// promises: every quirk of Canvas's description is one of these.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in the order of the catalogue.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The rule's stable text, which groups the report.
            pub fn as_str(self) -> &'static str {
                match self { $(Rule::$variant => $text,)* }
            }
        }
    };
}

rules! {
    /// An entry of `spec/overrides.json` changed the input: the repair, with its reason and evidence.
    RepairedByOverride => "repaired by override",
    /// An override no longer applies (Canvas fixed it, or its target changed or is gone): left out; `gen --check` fails and `cargo xtask overrides --prune` deletes the fixed ones.
    StaleOverride => "stale override, left out",
    /// A name of `names` in `spec/overrides.json` whose route the input lacks: left out; remove it.
    StaleMethodName => "stale method name, left out",
    /// An operation or model of `spec/additions/` that the input has now: the input's own is kept; delete the addition.
    AdditionAlreadyInInput => "addition already in the input",
    /// An upstream file the resource listing does not name: generated all the same.
    DeclarationNotListed => "declaration not in the resource listing",
    /// A file the listing names but the input lacks: the resource is left out; download it again.
    ListedDeclarationMissing => "listed declaration missing",
    /// A key the Swagger 1.2 model does not know: kept in the parsed spec, ignored by the generator, reported so that drift is seen.
    UnknownKey => "unknown key kept",
    /// Paths are taken relative to `/api` all the same.
    BasePathNotApi => "basePath not ending in /api",
    /// Sent as POST.
    UnknownHttpMethod => "unknown HTTP method",
    /// A `*name` segment: a required argument sent as `/`-separated segments, each percent-encoded.
    RailsGlobSegment => "Rails glob path segment",
    /// An operation that takes a file, by rule: `upload_file*` (Canvas's three steps), a `pre_attachment` group, or a multipart `attachment`.
    FileUpload => "file upload",
    /// A return type written as an object (`{"count": "integer"}`): a model of its own, named after the method.
    ObjectLiteralReturnType => "object literal as a return type",
    /// The body is returned as untyped JSON.
    OperationWithoutReturnType => "operation without a return type",
    /// The elements are untyped JSON.
    ArrayReturnWithoutItems => "array return without items",
    /// Two methods of one action differ only in a literal path segment: named `via_<segment>` until a maintainer names them in `names` of `spec/overrides.json`.
    MethodNamedByPathWord => "method named by a path word",
    /// A name with backticks, spaces or a trailing colon: sent trimmed.
    OddParameterName => "odd parameter name",
    /// A required string argument is added.
    PlaceholderWithoutParameter => "path placeholder without a parameter",
    /// Sent as a query parameter.
    PathParameterNotInPath => "path parameter not in the path",
    /// Sent as a form parameter.
    UnknownParamType => "unknown paramType",
    /// One map, keyed by the first label.
    PlaceholderLabelsDiffer => "placeholders with different labels at one level",
    /// The first definition is kept.
    DuplicateParameter => "duplicate parameter",
    /// Sent as the group; its description documents the group.
    ValueAndGroup => "parameter is both a value and a group",
    /// A struct of the named keys plus a map for the others, encoded at the same level.
    NamedAndPlaceholderKeys => "named and placeholder keys at one level",
    /// `ratings[description]` and `ratings[points]` typed as arrays are a list of structs sent as `ratings[][field]`.
    GroupOfArrays => "group of arrays read as an array of objects",
    /// The base type is kept; the values are listed in the docs.
    EnumOnNonStringParameter => "enum on a non-string parameter",
    /// The file goes by the builder's `send_with_file`, not as bracket keys.
    FileUploadParameter => "file upload parameter",
    /// The model, sent as bracket keys.
    ModelTypeAsParameterType => "model type as a parameter type",
    /// Untyped JSON, encoded as bracket keys.
    UnknownParameterType => "unknown parameter type",
    /// Structs of one resource with the same fields are merged into one.
    IdenticalRequestStructs => "identical request structs",
    /// The key names the model.
    ModelIdDiffersFromKey => "model id differs from its key",
    /// Resolved to the model whose name matches ignoring case and separators.
    ModelReferenceSpelledDifferently => "model reference spelled differently",
    /// The model named by the first word.
    SentenceInTypeReference => "sentence in a type reference",
    /// `A|B`: an enum that picks the variant by the fields the object has (untyped JSON where a member is unknown).
    UnionType => "union type",
    /// A model several files define the same way: one type.
    ModelDefinedIdentically => "model defined identically in several files",
    /// A model several files define differently: one type with the union of the fields.
    ModelDefinedDifferently => "model defined differently in several files",
    /// Free text where a type name belongs: untyped JSON.
    FreeTextForType => "free text where a type belongs",
    /// A reference to a model no file defines: untyped JSON.
    UndefinedModel => "reference to an undefined model",
    /// The first typed definition wins (untyped JSON where the types cannot be reconciled).
    ModelFieldTypedDifferently => "model field typed differently across files",
    /// The base type is kept.
    NonStringEnumValues => "non-string enum values",
    /// Untyped JSON.
    PropertyWithoutType => "property without a type",
    /// A list of untyped JSON values.
    ArrayWithoutItems => "array without items",
    /// A list of untyped JSON values.
    ArrayItemsWithoutType => "array items without a type",
    /// A model name taken in its namespace gets a numeric suffix.
    ModelTypeName => "model type name",
    /// An enum name taken in its namespace gets the suffix `Kind`.
    EnumName => "enum name",
    /// A builder name taken in its resource gets the suffix `Request`.
    BuilderName => "operation builder name",
    /// A method name taken in its resource gets the suffix `_op`.
    FunctionName => "operation function name",
    /// A parameter name taken in its operation gets the suffix `_param`.
    ParameterName => "parameter name",
    /// A request type whose every name is taken in its module gets a numeric suffix.
    RequestTypeName => "request type name",
    /// A field name taken in its struct or model gets the suffix `_field`.
    FieldName => "field name",
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing in the input that needed a decision.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Anomaly {
    /// Spec file, or empty for a whole-API decision.
    pub file: String,
    /// The rule that decided it (its text groups the report).
    pub kind: Rule,
    /// Where and what.
    pub detail: String,
    /// How the generator resolved it.
    pub resolution: String,
    /// The generator fell back to untyped JSON where the spec meant a type: the anomaly is
    /// handled without losing data, but it wants a rule or an override (`spec/overrides.json`).
    pub unresolved: bool,
}

/// Counts and anomalies of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub resources: usize,
    pub operations: usize,
    /// Rust methods (one per operation, or per action whose routes differ only in context).
    pub methods: usize,
    pub parameters: usize,
    pub model_definitions: usize,
    pub models: usize,
    pub enums: usize,
    pub request_structs: usize,
    pub anomalies: Vec<Anomaly>,
    /// Overrides that did not apply to this input (left out; `gen --check` fails on them).
    pub stale_overrides: Vec<crate::overrides::StaleOverride>,
    /// Curated GraphQL queries the schema does not accept (left out; `gen --check` fails on them).
    pub stale_graphql_queries: Vec<crate::graphql::StaleQuery>,
}

impl Report {
    /// Records an anomaly resolved by a stated rule or an override.
    pub fn anomaly(&mut self, file: &str, kind: Rule, detail: impl Into<String>, resolution: impl Into<String>) {
        self.push(file, kind, detail.into(), resolution.into(), false);
    }

    /// Records an anomaly the generator could only handle by falling back to untyped JSON.
    pub fn fallback(&mut self, file: &str, kind: Rule, detail: impl Into<String>, resolution: impl Into<String>) {
        self.push(file, kind, detail.into(), resolution.into(), true);
    }

    fn push(&mut self, file: &str, kind: Rule, detail: String, resolution: String, unresolved: bool) {
        self.anomalies.push(Anomaly { file: file.to_owned(), kind, detail, resolution, unresolved });
    }

    /// Anomalies that fell back to untyped JSON.
    pub fn unresolved(&self) -> usize {
        self.anomalies.iter().filter(|a| a.unresolved).count()
    }

    /// The report as text: counts, then anomalies grouped by kind.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "resources: {}\noperations: {}\nparameters: {}\nmodel definitions: {} (emitted as {} models)\nenums: {}\nrequest structs: {}\nanomalies: {}",
            self.resources,
            self.operations,
            self.parameters,
            self.model_definitions,
            self.models,
            self.enums,
            self.request_structs,
            self.anomalies.len()
        );
        // Resolved kinds first, then the unresolved ones, so the report ends with what needs work.
        let mut sorted = self.anomalies.clone();
        sorted.sort_by(|a, b| (a.unresolved, a.kind.as_str()).cmp(&(b.unresolved, b.kind.as_str())));
        let mut last_kind = "";
        for a in &sorted {
            if a.kind.as_str() != last_kind {
                let n = sorted.iter().filter(|x| x.kind == a.kind).count();
                let tag = if a.unresolved { "unresolved: " } else { "" };
                let _ = writeln!(out, "\n## {tag}{} ({n})", a.kind);
                last_kind = a.kind.as_str();
            }
            let file = if a.file.is_empty() { String::new() } else { format!("{}: ", a.file) };
            let _ = writeln!(out, "- {file}{} -> {}", a.detail, a.resolution);
        }
        if !self.stale_overrides.is_empty() {
            let prunable = self.stale_overrides.iter().filter(|s| s.stale.prunable()).count();
            let _ = writeln!(
                out,
                "\nstale overrides (left out): {} ({prunable} fixed upstream or gone: `cargo xtask overrides --prune` deletes them; {} to review)",
                self.stale_overrides.len(),
                self.stale_overrides.len() - prunable
            );
        }
        for q in &self.stale_graphql_queries {
            let _ = writeln!(out, "\ncurated GraphQL query left out: {q}\n{}", q.message);
        }
        let _ = writeln!(out, "\nunresolved anomalies (untyped JSON fallbacks): {}", self.unresolved());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn every_rule_has_its_own_text() {
        let texts: std::collections::BTreeSet<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(texts.len(), Rule::ALL.len());
    }
}
