//! Every use of untyped JSON (`rt::Json`) in the generated crate, found in its text, has a
//! reason: either a rule checked against the input itself (the operation documents no
//! response body; the field or parameter is an object the input gives no structure), or an
//! entry of `tests/untyped_json.allow` saying why. A new fallback to JSON, anywhere, fails
//! here with its location; so does an allow-list entry that no longer applies.
//!
//! This is independent of the generator's own "unresolved anomalies" count: the uses are read
//! from `generated/src`, and the reasons from the raw input.

use std::collections::{BTreeMap, BTreeSet};

use canvas_codegen::ir::{Ir, Response, Ty};
use serde_json::Value;
use syn::visit::Visit;

/// The kinds of use, each keyed by where it is in the crate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Use {
    /// `response <module>::<method>`: an operation whose `send` returns `rt::Json`.
    Response(String),
    /// `field <module>::<Type>.<field>`: a model or request struct field.
    Field(String),
    /// `param <module>::<method>(<name>)`: a method argument or builder setter.
    Param(String),
}

impl std::fmt::Display for Use {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Use::Response(k) => write!(f, "response {k}"),
            Use::Field(k) => write!(f, "field {k}"),
            Use::Param(k) => write!(f, "param {k}"),
        }
    }
}

fn mentions_json(tokens: &impl quote::ToTokens) -> bool {
    let text = tokens.to_token_stream().to_string();
    text.contains("rt :: Json")
}

/// The uses in one emitted module, read from its syntax.
struct Finder<'m> {
    module: &'m str,
    /// Builder type → the method that starts it (from each `rt::builder!` line).
    builders: BTreeMap<String, String>,
    /// The resource handles those methods belong to (other impls are request structs, whose
    /// constructors take the struct's own fields).
    handles: BTreeSet<String>,
    /// The type of the `impl` block being read.
    in_impl: Option<String>,
    found: BTreeSet<Use>,
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        for f in &s.fields {
            if mentions_json(&f.ty) {
                let name = f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
                self.found.insert(Use::Field(format!(
                    "{}::{}.{}",
                    self.module,
                    s.ident,
                    name.trim_start_matches("r#")
                )));
            }
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if i.trait_.is_some() {
            return;
        }
        let syn::Type::Path(p) = &*i.self_ty else { return };
        self.in_impl = p.path.segments.last().map(|s| s.ident.to_string());
        syn::visit::visit_item_impl(self, i);
        self.in_impl = None;
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let Some(owner) = self.in_impl.clone() else { return };
        if !self.builders.contains_key(&owner) && !self.handles.contains(&owner) {
            return;
        }
        for arg in &f.sig.inputs {
            let syn::FnArg::Typed(t) = arg else { continue };
            if !mentions_json(&t.ty) {
                continue;
            }
            let syn::Pat::Ident(name) = &*t.pat else { continue };
            // A setter (`value`) is named by the builder's method and its own name; a
            // handle's method by itself and the argument.
            let key = match self.builders.get(&owner) {
                Some(method) => format!("{}::{method}({})", self.module, f.sig.ident),
                None => format!("{}::{}({})", self.module, f.sig.ident, name.ident),
            };
            self.found.insert(Use::Param(key.replace("r#", "")));
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if m.path.segments.last().is_none_or(|s| s.ident != "builder") {
            return;
        }
        // `Name(Method "path") for Handle::method [with options] => json|one T|...` (`::` is two
        // punctuation tokens).
        let tokens: Vec<String> = m.tokens.clone().into_iter().map(|t| t.to_string()).collect();
        let Some(at) = tokens.iter().position(|t| t == "for") else { return };
        let method = tokens.get(at + 4).cloned().unwrap_or_default();
        self.builders.insert(tokens[0].clone(), method.clone());
        self.handles.insert(tokens.get(at + 1).cloned().unwrap_or_default());
        let arrow = tokens.iter().position(|t| t == "=").filter(|i| tokens.get(i + 1).is_some_and(|t| t == ">"));
        if arrow.and_then(|i| tokens.get(i + 2)).is_some_and(|k| k == "json") {
            self.found.insert(Use::Response(format!("{}::{method}", self.module)));
        }
    }
}

/// Every use in `generated/src`, from the text.
fn uses_in_generated() -> BTreeSet<Use> {
    let src = xtask::workspace_root().join("generated/src");
    let mut found = BTreeSet::new();
    let mut paths: Vec<_> = std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
        // Builders first, so that setters can be named by their operation.
        let mut finder = Finder {
            module: &module,
            builders: BTreeMap::new(),
            handles: BTreeSet::new(),
            in_impl: None,
            found: BTreeSet::new(),
        };
        finder.visit_file(&file);
        finder.found.clear();
        finder.visit_file(&file);
        found.extend(finder.found);
    }
    found
}

fn has_json(t: &Ty) -> bool {
    match t {
        Ty::Json => true,
        Ty::Vec(inner) | Ty::Map(inner) => has_json(inner),
        _ => false,
    }
}

/// Where each use comes from in the input: (file, JSON pointer of the operation, model
/// property or parameter).
fn origins(ir: &Ir, input: &BTreeMap<String, Value>) -> BTreeMap<Use, Vec<(String, String)>> {
    let mut out: BTreeMap<Use, Vec<(String, String)>> = BTreeMap::new();
    // The operations that return each model (for models written inline in a response type).
    let mut returned_by: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    // Operations and their parameters, by route nickname in their file.
    for r in &ir.resources {
        let json = &input[&r.file];
        for op in &r.operations {
            let pointers: Vec<String> = op
                .routes
                .iter()
                .filter_map(|route| {
                    let apis = json["apis"].as_array()?;
                    apis.iter().enumerate().find_map(|(a, api)| {
                        let ops = api["operations"].as_array()?;
                        let o = ops.iter().position(|o| o["nickname"] == route.nickname.as_str())?;
                        Some(format!("/apis/{a}/operations/{o}"))
                    })
                })
                .collect();
            if let Response::One(t) | Response::List(t) | Response::Array(t) = &op.response {
                let mut t = t;
                while let Ty::Vec(inner) = t {
                    t = inner;
                }
                if let Ty::Model(m) = t {
                    returned_by.entry(m.0).or_default().extend(pointers.iter().map(|p| (r.file.clone(), p.clone())));
                }
            }
            if op.response == Response::Json {
                let key = Use::Response(format!("{}::{}", r.module, op.fn_name));
                out.entry(key).or_default().extend(pointers.iter().map(|p| (r.file.clone(), p.clone())));
            }
            for p in op.params.iter().filter(|p| has_json(&p.ty)) {
                let key = Use::Param(format!("{}::{}({})", r.module, op.fn_name, p.rust_name.trim_start_matches("r#")));
                for pointer in &pointers {
                    let params = json.pointer(&format!("{pointer}/parameters")).and_then(Value::as_array);
                    if let Some(i) = params.and_then(|ps| ps.iter().position(|q| q["name"] == p.wire.as_str())) {
                        out.entry(key.clone()).or_default().push((r.file.clone(), format!("{pointer}/parameters/{i}")));
                    }
                }
                out.entry(key).or_default();
            }
        }
    }
    for (id, m) in ir.models.iter().enumerate() {
        for f in m.fields.iter().filter(|f| has_json(&f.ty)) {
            let key = Use::Field(format!("models::{}.{}", m.rust_name, f.rust_name.trim_start_matches("r#")));
            let entry = out.entry(key).or_default();
            for file in &m.files {
                let pointer = format!("/models/{}/properties/{}", escape(&m.spec_name), escape(&f.wire));
                if input[file].pointer(&pointer).is_some() {
                    entry.push((file.clone(), pointer));
                }
            }
            if entry.is_empty() {
                // An object written inline in the response type of the operations that return
                // it (`{ "view": [object], ... }`).
                for (file, pointer) in returned_by.get(&id).into_iter().flatten() {
                    entry.push((file.clone(), format!("{pointer}#{}", f.wire)));
                }
            }
        }
    }
    for s in ir.structs.iter().filter(|s| s.merged_into.is_none()) {
        let module = match s.owner {
            canvas_codegen::ir::Owner::Resource(r) => ir.resources[r].module.as_str(),
            canvas_codegen::ir::Owner::Models => "models",
        };
        for f in s.fields.iter().filter(|f| has_json(&f.ty)) {
            // A request struct field is a bracketed parameter `wire_path[wire]` of some
            // operation; its reason is the parameter's declared type.
            let key = Use::Field(format!("{module}::{}.{}", s.rust_name, f.rust_name.trim_start_matches("r#")));
            out.entry(key).or_default().push((String::new(), format!("{}[{}]", s.wire_path, f.wire)));
        }
    }
    out
}

/// Whether every `"key":` in an inline type text is followed by `object` (bare, quoted, or
/// as the element of a list).
fn inline_free_form(text: &str, key: &str) -> bool {
    let marker = format!("\"{key}\":");
    let values: Vec<&str> = text.split(&marker).skip(1).map(str::trim_start).collect();
    !values.is_empty()
        && values.iter().all(|v| ["object", "\"object\"", "[object]", "[\"object\"]"].iter().any(|f| v.starts_with(f)))
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The reason the input itself gives for a use, if any: checked here, not taken on trust.
fn reason_in_input(input: &BTreeMap<String, Value>, use_: &Use, origins: &[(String, String)]) -> Option<&'static str> {
    let declared = |file: &str, pointer: &str| input.get(file).and_then(|j| j.pointer(pointer)).cloned();
    // An object without structure, or a list of them.
    fn free_form(v: &Value) -> bool {
        let t = v["type"].as_str().unwrap_or("").to_ascii_lowercase();
        match t.as_str() {
            "object" | "hash" | "json" => {
                v.get("properties").is_none() && v.get("$ref").is_none() && v.get("items").is_none()
            }
            "array" => v.get("items").is_some_and(free_form),
            _ => false,
        }
    }
    if origins.is_empty() {
        return None;
    }
    if origins.iter().all(|(_, p)| p.contains('#')) {
        return origins
            .iter()
            .all(|(f, p)| {
                let (pointer, key) = p.split_once('#').unwrap();
                let op = declared(f, pointer).unwrap_or_default();
                let text = op["type"].as_str().filter(|t| t.contains('{')).or_else(|| op["items"]["$ref"].as_str());
                text.is_some_and(|t| inline_free_form(t, key))
            })
            .then_some("the input's inline response type says the field is an object without structure");
    }
    match use_ {
        Use::Response(_) => {
            let ops: Vec<Value> = origins.iter().filter_map(|(f, p)| declared(f, p)).collect();
            if ops.len() < origins.len() {
                None
            } else if ops.iter().all(|op| op["type"].as_str().is_none_or(|t| t == "void")) {
                Some("the input documents no response body (void)")
            } else if ops.iter().all(free_form) {
                Some("the input declares the response an object without structure")
            } else {
                None
            }
        }
        Use::Param(_) | Use::Field(_) if origins.iter().all(|(f, _)| !f.is_empty()) => origins
            .iter()
            .all(|(f, p)| declared(f, p).is_some_and(|v| free_form(&v)))
            .then_some("the input declares an object without structure"),
        Use::Field(_) => {
            // A request struct field: any parameter of the input with this bracketed name.
            let (_, name) = &origins[0];
            let params: Vec<&Value> = input
                .values()
                .flat_map(|j| j["apis"].as_array().into_iter().flatten())
                .flat_map(|a| a["operations"].as_array().into_iter().flatten())
                .flat_map(|o| o["parameters"].as_array().into_iter().flatten())
                .filter(|p| p["name"].as_str().is_some_and(|n| n.trim_end_matches("[]") == name.trim_end_matches("[]")))
                .collect();
            (!params.is_empty() && params.iter().all(|p| free_form(p)))
                .then_some("the input declares an object without structure")
        }
        Use::Param(_) => None,
    }
}

/// `tests/untyped_json.allow`: `<use>: <reason>` per line, `#` comments.
fn allow_list() -> BTreeMap<String, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("untyped_json.allow");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
        let (key, reason) = line.split_once(": ").unwrap_or_else(|| panic!("line {}: `<use>: <reason>`", n + 1));
        assert!(reason.trim().len() > 10, "line {}: {key} needs a reason", n + 1);
        assert!(out.insert(key.trim().to_owned(), reason.trim().to_owned()).is_none(), "line {}: {key} twice", n + 1);
    }
    out
}

#[test]
fn every_untyped_json_use_in_the_generated_crate_has_a_reason() {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    // The input as the generator reads it: additions merged, overrides applied.
    let overrides = xtask::read_overrides().unwrap();
    let mut input = BTreeMap::new();
    for f in canvas_codegen::merge_additions(&files, &mut Default::default()).unwrap() {
        let mut json: Value = serde_json::from_slice(&f.bytes).unwrap();
        for o in overrides.for_file(&f.name) {
            canvas_codegen::overrides::apply(o, &mut json).unwrap();
        }
        input.insert(f.name.clone(), json);
    }
    let in_text = uses_in_generated();
    let origins = origins(&out.ir, &input);
    let in_ir: BTreeSet<Use> = origins.keys().cloned().collect();
    let missing: Vec<String> = in_text.difference(&in_ir).map(ToString::to_string).collect();
    assert!(missing.is_empty(), "uses in generated/ this test cannot trace to the input:\n{}", missing.join("\n"));
    let untraced: Vec<String> = in_ir.difference(&in_text).map(ToString::to_string).collect();
    assert!(untraced.is_empty(), "uses the IR has that generated/ does not show:\n{}", untraced.join("\n"));

    let allowed = allow_list();
    let mut unexplained = Vec::new();
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for (use_, from) in &origins {
        let key = use_.to_string();
        match (reason_in_input(&input, use_, from), allowed.get(&key)) {
            (Some(_), Some(_)) => {
                unexplained.push(format!("{key}: the input explains it; drop it from the allow-list"))
            }
            (Some(reason), None) => *by_reason.entry(reason).or_default() += 1,
            (None, Some(_)) => *by_reason.entry("allow-listed").or_default() += 1,
            (None, None) => {
                let at: Vec<String> = from.iter().map(|(f, p)| format!("{f} {p}")).collect();
                unexplained.push(format!("{key} (from {})", at.join(", ")));
            }
        }
    }
    let stale: Vec<&String> = allowed.keys().filter(|k| !origins.keys().any(|u| u.to_string() == **k)).collect();
    assert!(stale.is_empty(), "allow-list entries that are no longer untyped JSON: {stale:?}");
    assert!(
        unexplained.is_empty(),
        "{} untyped JSON uses without a reason (type them, or allow-list them with why):\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    println!("{} uses of untyped JSON: {by_reason:?}", origins.len());
}
