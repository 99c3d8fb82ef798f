//! The global model table: every model of every file, one Rust type per name.
//!
//! Rule for a name defined in several files (Canvas has 10 such names): identical
//! definitions give one type; different ones are merged into one type holding the union of
//! their properties, in first-seen order (every response field is optional, so a merged type
//! accepts each original shape). A property whose types disagree between definitions
//! becomes untyped JSON. Both cases are reported.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::ir::{EnumDef, EnumId, Ir, Model, ModelField, ModelId, ModelShape, NameParts, Owner, Ty};
use crate::lower::types::{as_id, is_id_name, Place, Resolver, TypeText};
use crate::naming;
use crate::report::{Report, Rule};
use crate::spec::{ApiDeclaration, PropertyDef};

/// Model names to ids, with the lookup rules for references written as free text.
#[derive(Debug, Default)]
pub struct ModelTable {
    by_name: BTreeMap<String, ModelId>,
    /// Same names with spaces and `::` removed, lower-cased.
    loose: BTreeMap<String, ModelId>,
}

fn loose_key(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
}

impl ModelTable {
    /// Finds a model by the name a reference uses. `Err(id)` means it was found only by the
    /// loose rule (case, spaces): the caller reports it.
    pub fn lookup(&self, name: &str) -> Option<Result<ModelId, ModelId>> {
        let name = name.trim();
        if let Some(id) = self.by_name.get(name) {
            return Some(Ok(*id));
        }
        self.loose.get(&loose_key(name)).map(|id| Err(*id))
    }
}

/// Builds every model into `ir.models` and returns the table.
pub fn build(files: &[(String, ApiDeclaration)], ir: &mut Ir, report: &mut Report) -> ModelTable {
    // Definitions per name, in file order.
    let mut defs: IndexMap<&str, Vec<(&str, &crate::spec::ModelDef)>> = IndexMap::new();
    for (file, decl) in files {
        for (name, def) in &decl.models {
            report.model_definitions += 1;
            if def.id != *name {
                report.anomaly(
                    file,
                    Rule::ModelIdDiffersFromKey,
                    format!("models.{name}.id = {:?}", def.id),
                    format!("used the key `{name}`"),
                );
            }
            defs.entry(name.as_str()).or_default().push((file.as_str(), def));
        }
    }
    let mut table = ModelTable::default();
    for (name, list) in &defs {
        let id = ModelId(ir.models.len());
        table.by_name.insert(name.to_string(), id);
        table.loose.entry(loose_key(name)).or_insert(id);
        let (_, first) = list[0];
        let deprecated =
            list.iter().find(|(_, d)| d.deprecated).map(|(_, d)| d.deprecation_description.clone().unwrap_or_default());
        ir.models.push(Model {
            spec_name: name.to_string(),
            rust_name: naming::model_type(name),
            description: list
                .iter()
                .map(|(_, d)| d.description.as_str())
                .find(|d| !d.trim().is_empty())
                .unwrap_or("")
                .to_owned(),
            deprecated,
            fields: Vec::new(),
            files: list.iter().map(|(f, _)| f.to_string()).collect(),
            features: Vec::new(),
            shape: ModelShape::Object,
        });
        let _ = first;
    }
    for (name, list) in &defs {
        let id = table.by_name[*name];
        let merged = merge(name, list, report);
        let mut fields = Vec::new();
        for (prop_name, (file, prop, conflict)) in &merged {
            let ty = if *conflict { Ty::Json } else { prop_ty(&table, ir, report, file, name, prop_name, prop) };
            fields.push(ModelField {
                wire: prop_name.clone(),
                rust_name: naming::snake(prop_name),
                ty,
                boxed: false,
                description: prop.description.clone(),
                deprecated: false,
                example: prop.example.clone(),
            });
        }
        ir.models[id.0].fields = fields;
    }
    box_nested(ir);
    table
}

type Merged<'a> = IndexMap<String, (String, &'a PropertyDef, bool)>;

fn merge<'a>(name: &str, list: &[(&str, &'a crate::spec::ModelDef)], report: &mut Report) -> Merged<'a> {
    let mut out: Merged<'a> = IndexMap::new();
    let files: Vec<&str> = list.iter().map(|(f, _)| *f).collect();
    let identical = list.windows(2).all(|w| props_json(w[0].1) == props_json(w[1].1));
    if list.len() > 1 {
        let (kind, resolution) = if identical {
            (Rule::ModelDefinedIdentically, "one type".to_owned())
        } else {
            let sizes: Vec<String> = list.iter().map(|(f, d)| format!("{f}: {} fields", d.properties.len())).collect();
            (
                Rule::ModelDefinedDifferently,
                format!("merged into one type with the union of the fields ({})", sizes.join(", ")),
            )
        };
        report.anomaly("", kind, format!("`{name}` in {}", files.join(", ")), resolution);
    }
    for (file, def) in list {
        for (pname, prop) in &def.properties {
            match out.get_mut(pname) {
                None => {
                    out.insert(pname.clone(), (file.to_string(), prop, false));
                }
                Some((first_file, first, conflict)) => {
                    if *conflict || kind(first) == kind(prop) {
                        continue;
                    }
                    let detail =
                        format!("`{name}.{pname}`: {} in {first_file}, {} in {file}", shape(first), shape(prop));
                    match reconcile(pname, first, prop) {
                        Some((take_second, why)) => {
                            report.anomaly("", Rule::ModelFieldTypedDifferently, detail, why);
                            if take_second {
                                *first = prop;
                                *first_file = file.to_string();
                            }
                        }
                        None => {
                            *conflict = true;
                            report.fallback(
                                "",
                                Rule::ModelFieldTypedDifferently,
                                detail,
                                "untyped JSON (serde_json::Value)",
                            );
                        }
                    }
                }
            }
        }
    }
    out
}

/// The type of a property, without the details that do not change the Rust type (`format`
/// of integers, descriptions, examples).
fn kind(p: &PropertyDef) -> String {
    let base = |t: Option<&str>, r: Option<&str>| match (r, t) {
        (Some(r), _) => format!("ref:{r}"),
        (None, Some(t)) => t.to_ascii_lowercase(),
        (None, None) => "?".into(),
    };
    let items = p.items.as_ref().map(|i| base(i.ty.as_deref(), i.reference.as_deref())).unwrap_or_default();
    let float = matches!(p.format.as_deref(), Some("float") | Some("double"));
    let word = base(p.ty.as_deref(), p.reference.as_deref());
    if word == "integer" && float {
        "number".into()
    } else {
        format!("{word}{items}")
    }
}

/// Rules for a field two definitions type differently: `Some((take_second, why))` when one
/// definition can serve both, `None` when they conflict.
fn reconcile(field: &str, first: &PropertyDef, second: &PropertyDef) -> Option<(bool, String)> {
    let (a, b) = (kind(first), kind(second));
    let pair = |x: &str, y: &str| (a == x && b == y) || (a == y && b == x);
    if pair("integer", "number") {
        return Some((b == "number", "widened to number (f64), which holds both".into()));
    }
    if is_id_name(field) && pair("integer", "string") {
        return Some((b == "integer", "a Canvas id (`Id`), which decodes numbers and strings".into()));
    }
    if a == "object" && b.starts_with("ref:") {
        return Some((true, format!("the typed definition ({}) wins over a plain object", &b[4..])));
    }
    if b == "object" && a.starts_with("ref:") {
        return Some((false, format!("the typed definition ({}) wins over a plain object", &a[4..])));
    }
    None
}

fn props_json(def: &crate::spec::ModelDef) -> Vec<(String, String)> {
    def.properties.iter().map(|(k, v)| (k.clone(), shape(v))).collect()
}

/// The type-relevant part of a property, as text.
fn shape(p: &PropertyDef) -> String {
    format!(
        "{}{}{}",
        p.ty.as_deref().or(p.reference.as_deref()).unwrap_or("?"),
        p.items
            .as_ref()
            .map(|i| format!("<{}>", i.reference.as_deref().or(i.ty.as_deref()).unwrap_or("?")))
            .unwrap_or_default(),
        p.format.as_deref().map(|f| format!("({f})")).unwrap_or_default()
    )
}

fn prop_ty(
    table: &ModelTable,
    ir: &mut Ir,
    report: &mut Report,
    file: &str,
    model: &str,
    prop_name: &str,
    p: &PropertyDef,
) -> Ty {
    let at = format!("models.{model}.properties.{prop_name}");
    let text = TypeText {
        word: p.ty.as_deref(),
        reference: p.reference.as_deref(),
        format: p.format.as_deref(),
        items: p.items.as_ref(),
        value: p.value.as_ref(),
    };
    let base = Resolver { table, ir, report, file, at: &at, place: Place::Field }.ty(text);
    let values = p.enum_values.as_ref().or(p.allowable_values.as_ref().map(|a| &a.values)).filter(|v| !v.is_empty());
    if let (Some(values), Ty::String) = (values, &base) {
        if let Some(values) = string_values(values) {
            // `Submission.submission_type` → `SubmissionType`: the model's words are not said twice.
            let name = naming::prefixed(&naming::model_type(model), &naming::pascal(prop_name));
            let doc =
                format!("Values of [`{}::{}`].", naming::model_type(model), naming::bare(&naming::snake(prop_name)));
            return Ty::Enum(intern_enum(ir, Owner::Models, name, doc, values));
        }
        report.anomaly(file, Rule::NonStringEnumValues, at, "kept the base type");
    }
    // Integer ids decode from numbers and from strings (string-ids mode); ids the spec
    // types as strings (SIS ids, UUIDs) stay strings so they round-trip unchanged.
    let integer = matches!(&base, Ty::Int) || matches!(&base, Ty::Vec(inner) if **inner == Ty::Int);
    if is_id_name(prop_name) && integer {
        as_id(base)
    } else {
        base
    }
}

/// A reference to a model by name; unknown names and unions become untyped JSON, reported.
pub fn model_ref(table: &ModelTable, ir: &mut Ir, report: &mut Report, file: &str, at: &str, name: &str) -> Ty {
    match table.lookup(name) {
        Some(Ok(id)) => Ty::Model(id),
        Some(Err(id)) => {
            report.anomaly(
                file,
                Rule::ModelReferenceSpelledDifferently,
                format!("{at}: {name:?}"),
                format!("resolved to `{}`", naming::model_type(&ir.models[id.0].spec_name)),
            );
            Ty::Model(id)
        }
        None if name.contains(' ')
            && !name.contains('{')
            && !name.contains('|')
            && table.lookup(name.split(' ').next().unwrap_or("")).is_some_and(|r| r.is_ok()) =>
        {
            // A sentence after the model name (`BlackoutDate The result (which ...)`).
            let first = name.split(' ').next().unwrap_or("");
            report.anomaly(
                file,
                Rule::SentenceInTypeReference,
                format!("{at}: {name:?}"),
                format!("used the model named by its first word, `{first}`"),
            );
            match table.lookup(first) {
                Some(Ok(id)) => Ty::Model(id),
                _ => Ty::Json,
            }
        }
        None if name.contains('|') => {
            let parts: Vec<&str> = name.split('|').map(str::trim).collect();
            let ids: Option<Vec<ModelId>> =
                parts.iter().map(|p| table.lookup(p).map(|r| r.unwrap_or_else(|id| id))).collect();
            match ids {
                Some(ids) => {
                    let id = intern_union(ir, &parts, ids);
                    report.anomaly(
                        file,
                        Rule::UnionType,
                        format!("{at}: {name:?}"),
                        format!(
                            "an enum `{}` that picks the variant by the object's fields",
                            ir.models[id.0].rust_name
                        ),
                    );
                    Ty::Model(id)
                }
                None => {
                    report.fallback(
                        file,
                        Rule::UnionType,
                        format!("{at}: {name:?}"),
                        "untyped JSON: a variant is not a known model",
                    );
                    Ty::Json
                }
            }
        }
        None => {
            let kind = if name.contains('|') {
                Rule::UnionType
            } else if name.contains(' ') || name.contains('{') {
                Rule::FreeTextForType
            } else {
                Rule::UndefinedModel
            };
            report.fallback(file, kind, format!("{at}: {name:?}"), "untyped JSON (serde_json::Value)");
            Ty::Json
        }
    }
}

/// The union of `ids` (a model of shape `Union`), shared by every place
/// that names the same variants in the same order.
fn intern_union(ir: &mut Ir, parts: &[&str], ids: Vec<ModelId>) -> ModelId {
    if let Some(i) = ir.models.iter().position(|m| m.union_members() == Some(&ids[..])) {
        return ModelId(i);
    }
    let rust_name = parts.iter().map(|p| naming::model_type(p)).collect::<Vec<_>>().join("Or");
    let links: Vec<String> = parts.iter().map(|p| format!("[`{}`]", naming::model_type(p))).collect();
    ir.models.push(Model {
        spec_name: parts.join("|"),
        rust_name,
        description: format!("One of {}: Canvas sends either.", links.join(", ")),
        deprecated: None,
        fields: Vec::new(),
        files: Vec::new(),
        features: Vec::new(),
        shape: ModelShape::Union(ids),
    });
    ModelId(ir.models.len() - 1)
}

/// Enum values as strings, or `None` when one is not a string.
pub fn string_values(values: &[serde_json::Value]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for v in values {
        let s = v.as_str()?.to_owned();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Some(out)
}

/// Adds an enum, or returns the existing one with the same owner, name and values.
pub fn intern_enum(ir: &mut Ir, owner: Owner, name: String, description: String, values: Vec<String>) -> EnumId {
    if let Some(i) = ir.enums.iter().position(|e| e.owner == owner && e.rust_name == name && e.values == values) {
        return EnumId(i);
    }
    let variants = naming::variants(&values);
    ir.enums.push(EnumDef { rust_name: name, names: None, owner, description, values, variants, features: Vec::new() });
    EnumId(ir.enums.len() - 1)
}

/// The enum of a request parameter: shared by the parameters of the resource that fill the
/// same key with the same values.
pub fn intern_param_enum(
    ir: &mut Ir,
    owner: Owner,
    names: NameParts,
    description: String,
    values: Vec<String>,
) -> EnumId {
    let same =
        |e: &EnumDef| e.owner == owner && e.values == values && e.names.as_ref().is_some_and(|n| n.own == names.own);
    if let Some(i) = ir.enums.iter().position(same) {
        // Where its name needs an operation part, it is the operation with the shortest name
        // (then the first in alphabetical order), not the first in input order.
        let e = &mut ir.enums[i];
        // The same for the parameter its docs name.
        if description < e.description {
            e.description = description;
        }
        let kept = e.names.as_mut().expect("checked");
        kept.shared |= names.operation != kept.operation;
        if crate::passes::dedupe::shorter_first(&names.operation, &kept.operation) {
            kept.operation = names.operation.clone();
        }
        if kept.path != names.path {
            kept.path = kept.own.clone();
        }
        return EnumId(i);
    }
    let variants = naming::variants(&values);
    let rust_name = names.own.clone();
    ir.enums.push(EnumDef {
        rust_name,
        names: Some(names),
        owner,
        description,
        values,
        variants,
        features: Vec::new(),
    });
    EnumId(ir.enums.len() - 1)
}

/// Boxes every direct (non-`Vec`, non-map) model field. Recursive models need it to have a
/// size; the others gain from it too: a model holds its nested objects by pointer, so its
/// size does not grow with theirs (an `Enrollment` held a whole `User` twice), and decoding
/// moves a few hundred bytes per object, not kilobytes. One rule for every field also keeps
/// the types stable: whether a field is boxed never depends on what a release adds elsewhere
/// (a new field closing a cycle would otherwise box an old one).
fn box_nested(ir: &mut Ir) {
    for m in &mut ir.models {
        for f in &mut m.fields {
            if matches!(f.ty, Ty::Model(_)) {
                f.boxed = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{intern_enum, intern_param_enum, kind, reconcile};
    use crate::ir::{Ir, NameParts, Owner};
    use crate::spec::PropertyDef;

    fn values(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn enums_are_shared_only_when_owner_name_and_values_all_match() {
        let mut ir = Ir::default();
        let a = intern_enum(&mut ir, Owner::Models, "State".into(), "d".into(), values(&["a", "b"]));
        assert_eq!(intern_enum(&mut ir, Owner::Models, "State".into(), "d".into(), values(&["a", "b"])), a);
        let others = [
            intern_enum(&mut ir, Owner::Resource(0), "State".into(), "d".into(), values(&["a", "b"])),
            intern_enum(&mut ir, Owner::Models, "Status".into(), "d".into(), values(&["a", "b"])),
            intern_enum(&mut ir, Owner::Models, "State".into(), "d".into(), values(&["a"])),
        ];
        assert!(others.iter().all(|o| *o != a));
        assert_eq!(ir.enums.len(), 4);
    }

    #[test]
    fn a_parameter_enum_is_shared_by_the_keys_it_fills_and_keeps_the_first_description() {
        let mut ir = Ir::default();
        let names =
            |own: &str, op: &str| NameParts { own: own.into(), path: own.into(), operation: op.into(), shared: false };
        let first =
            intern_param_enum(&mut ir, Owner::Resource(0), names("Include", "ListThings"), "b".into(), values(&["x"]));
        let again =
            intern_param_enum(&mut ir, Owner::Resource(0), names("Include", "GetThing"), "a".into(), values(&["x"]));
        assert_eq!(first, again);
        let e = &ir.enums[first.0];
        assert_eq!(e.description, "a", "the description first in order, not in input order");
        let kept = e.names.as_ref().unwrap();
        assert!(kept.shared);
        assert_eq!(kept.operation, "GetThing", "the shorter operation name");
        let other_key =
            intern_param_enum(&mut ir, Owner::Resource(0), names("Sort", "ListThings"), "c".into(), values(&["x"]));
        let other_owner =
            intern_param_enum(&mut ir, Owner::Resource(1), names("Include", "ListThings"), "c".into(), values(&["x"]));
        let other_values =
            intern_param_enum(&mut ir, Owner::Resource(0), names("Include", "ListThings"), "c".into(), values(&["y"]));
        assert!([other_key, other_owner, other_values].iter().all(|o| *o != first));
    }

    fn prop(json: &str) -> PropertyDef {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_field_two_definitions_type_differently_takes_the_type_that_serves_both() {
        let int = prop(r#"{"type": "integer"}"#);
        let num = prop(r#"{"type": "number"}"#);
        let float_int = prop(r#"{"type": "integer", "format": "double"}"#);
        let text = prop(r#"{"type": "String"}"#);
        let object = prop(r#"{"type": "object"}"#);
        let model = prop(r#"{"$ref": "User"}"#);
        let list = prop(r#"{"type": "array", "items": {"$ref": "User"}}"#);
        assert_eq!(kind(&float_int), "number");
        assert_eq!(kind(&text), "string");
        assert_eq!(kind(&list), "arrayref:User");
        assert_eq!(kind(&prop("{}")), "?");
        let take = |field: &str, a: &PropertyDef, b: &PropertyDef| reconcile(field, a, b).map(|(second, _)| second);
        assert_eq!(take("score", &int, &num), Some(true));
        assert_eq!(take("score", &num, &int), Some(false));
        assert_eq!(take("score", &num, &float_int), None, "the same type: nothing to reconcile");
        assert_eq!(take("user_id", &text, &int), Some(true), "an id is an Id either way");
        assert_eq!(take("user_id", &int, &text), Some(false));
        assert_eq!(take("name", &int, &text), None, "not an id: a conflict");
        assert_eq!(take("user", &object, &model), Some(true));
        assert_eq!(take("user", &model, &object), Some(false));
        assert_eq!(take("user", &model, &list), None);
        let why = reconcile("user", &object, &model).unwrap().1;
        assert!(why.contains("(User)"), "{why}");
    }
}
