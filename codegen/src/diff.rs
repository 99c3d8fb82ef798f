//! Drift between two sets of spec files, as a changelog a maintainer can paste into release
//! notes: operations, parameters and model fields added, removed or changed.
//!
//! Operations are matched by method and path (nicknames may be renamed), parameters by name,
//! models by name (the first file that defines one, in file order), fields by name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::spec::{ApiDeclaration, Items, OperationDef, ParameterDef, PropertyDef};

struct Op<'a> {
    file: &'a str,
    op: &'a OperationDef,
}

fn operations(set: &[(String, ApiDeclaration)]) -> BTreeMap<(String, String), Op<'_>> {
    let mut out = BTreeMap::new();
    for (file, decl) in set {
        for api in &decl.apis {
            for op in &api.operations {
                out.entry((api.path.clone(), op.method.to_ascii_uppercase())).or_insert(Op { file, op });
            }
        }
    }
    out
}

fn models(set: &[(String, ApiDeclaration)]) -> BTreeMap<&str, &crate::spec::ModelDef> {
    let mut out = BTreeMap::new();
    for (_, decl) in set {
        for (name, def) in &decl.models {
            out.entry(name.as_str()).or_insert(def);
        }
    }
    out
}

fn items_text(items: &Option<Items>) -> String {
    match items {
        Some(i) => format!("<{}>", i.reference.as_deref().or(i.ty.as_deref()).unwrap_or("?")),
        None => String::new(),
    }
}

fn param_shape(p: &ParameterDef) -> String {
    let mut s = format!("{} {}{}", p.param_type, p.ty.as_deref().unwrap_or("?"), items_text(&p.items));
    if p.required {
        s.push_str(", required");
    }
    if let Some(values) = &p.enum_values {
        let v: Vec<String> =
            values.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect();
        let _ = write!(s, ", one of {}", v.join("|"));
    }
    s
}

fn return_shape(op: &OperationDef) -> String {
    format!("{}{}", op.return_type.as_deref().unwrap_or("?"), items_text(&op.items))
}

fn prop_shape(p: &PropertyDef) -> String {
    let base = p.reference.as_deref().or(p.ty.as_deref()).unwrap_or("?");
    let mut s = format!("{base}{}", items_text(&p.items));
    if let Some(values) = p.enum_values.as_ref().or(p.allowable_values.as_ref().map(|a| &a.values)) {
        let v: Vec<String> =
            values.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect();
        let _ = write!(s, ", one of {}", v.join("|"));
    }
    s
}

/// The changelog from `old` to `new` (Markdown). Empty sections are left out; identical
/// inputs give a one-line "no changes" report.
pub fn changelog(old: &[(String, ApiDeclaration)], new: &[(String, ApiDeclaration)]) -> String {
    let (old_ops, new_ops) = (operations(old), operations(new));
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    for (key, n) in &new_ops {
        let label = format!("`{} /api{}`", key.1, key.0);
        match old_ops.get(key) {
            None => added.push(format!("- {label} `{}` ({}): {}", n.op.nickname, n.file, n.op.summary.trim())),
            Some(o) => {
                let notes = op_changes(o.op, n.op);
                if !notes.is_empty() {
                    changed.push(format!(
                        "- {label} `{}`:\n{}",
                        n.op.nickname,
                        notes.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n")
                    ));
                }
            }
        }
    }
    for (key, o) in &old_ops {
        if !new_ops.contains_key(key) {
            removed.push(format!("- `{} /api{}` `{}` ({})", key.1, key.0, o.op.nickname, o.file));
        }
    }
    let (old_models, new_models) = (models(old), models(new));
    let mut m_added = Vec::new();
    let mut m_removed = Vec::new();
    let mut m_changed = Vec::new();
    for (name, n) in &new_models {
        match old_models.get(name) {
            None => m_added.push(format!("- `{name}` ({} fields)", n.properties.len())),
            Some(o) => {
                let mut notes = Vec::new();
                for (field, p) in &n.properties {
                    match o.properties.get(field) {
                        None => notes.push(format!("field `{field}` added ({})", prop_shape(p))),
                        Some(op) if prop_shape(op) != prop_shape(p) => {
                            notes.push(format!("field `{field}`: {} → {}", prop_shape(op), prop_shape(p)))
                        }
                        Some(_) => {}
                    }
                }
                for field in o.properties.keys() {
                    if !n.properties.contains_key(field) {
                        notes.push(format!("field `{field}` removed"));
                    }
                }
                if o.deprecated != n.deprecated {
                    notes.push(if n.deprecated { "deprecated".into() } else { "no longer deprecated".into() });
                }
                if !notes.is_empty() {
                    m_changed.push(format!(
                        "- `{name}`:\n{}",
                        notes.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n")
                    ));
                }
            }
        }
    }
    for name in old_models.keys() {
        if !new_models.contains_key(name) {
            m_removed.push(format!("- `{name}`"));
        }
    }
    let mut out = String::from("# Canvas API changes\n");
    let sections = [
        ("Operations added", added),
        ("Operations removed", removed),
        ("Operations changed", changed),
        ("Models added", m_added),
        ("Models removed", m_removed),
        ("Models changed", m_changed),
    ];
    let mut any = false;
    for (title, lines) in sections {
        if lines.is_empty() {
            continue;
        }
        any = true;
        let _ = write!(out, "\n## {title} ({})\n\n{}\n", lines.len(), lines.join("\n"));
    }
    if !any {
        out.push_str("\nNo changes to operations, parameters or models.\n");
    }
    out
}

fn op_changes(o: &OperationDef, n: &OperationDef) -> Vec<String> {
    let mut notes = Vec::new();
    if o.nickname != n.nickname {
        notes.push(format!("renamed `{}` → `{}`", o.nickname, n.nickname));
    }
    if return_shape(o) != return_shape(n) {
        notes.push(format!("returns {} → {}", return_shape(o), return_shape(n)));
    }
    if o.deprecated != n.deprecated {
        notes.push(if n.deprecated { "deprecated".into() } else { "no longer deprecated".into() });
    }
    let old_params: BTreeMap<&str, &ParameterDef> = o.parameters.iter().map(|p| (p.name.as_str(), p)).collect();
    let new_params: BTreeMap<&str, &ParameterDef> = n.parameters.iter().map(|p| (p.name.as_str(), p)).collect();
    let names: BTreeSet<&str> = old_params.keys().chain(new_params.keys()).copied().collect();
    for name in names {
        match (old_params.get(name), new_params.get(name)) {
            (None, Some(p)) => notes.push(format!("parameter `{name}` added ({})", param_shape(p))),
            (Some(_), None) => notes.push(format!("parameter `{name}` removed")),
            (Some(a), Some(b)) if param_shape(a) != param_shape(b) => {
                notes.push(format!("parameter `{name}`: {} → {}", param_shape(a), param_shape(b)))
            }
            _ => {}
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::changelog;
    use crate::spec::parse;

    fn set(json: &str) -> Vec<(String, crate::spec::ApiDeclaration)> {
        vec![("x.json".to_string(), parse("x.json", json.as_bytes()).unwrap())]
    }

    const OLD: &str = r#"{"swaggerVersion":"1.2","resourcePath":"/x","apis":[
        {"path":"/v1/a","operations":[{"method":"GET","nickname":"list_a","summary":"List","type":"array","items":{"$ref":"A"},"parameters":[
            {"paramType":"query","name":"include","type":"array","items":{"type":"string"},"enum":["x"]},
            {"paramType":"query","name":"gone","type":"string"}]}]},
        {"path":"/v1/old","operations":[{"method":"DELETE","nickname":"drop_old","type":"void","parameters":[]}]}],
        "models":{"A":{"id":"A","properties":{"id":{"type":"integer"},"score":{"type":"integer"},"old":{"type":"string"}}},"Gone":{"id":"Gone","properties":{}}}}"#;
    const NEW: &str = r#"{"swaggerVersion":"1.2","resourcePath":"/x","apis":[
        {"path":"/v1/a","operations":[{"method":"GET","nickname":"list_all_a","summary":"List","type":"array","items":{"$ref":"A"},"parameters":[
            {"paramType":"query","name":"include","type":"array","items":{"type":"string"},"enum":["x","y"]},
            {"paramType":"query","name":"search_term","type":"string","required":true}]}]},
        {"path":"/v1/new","operations":[{"method":"POST","nickname":"make_new","summary":"Make one","type":"A","parameters":[]}]}],
        "models":{"A":{"id":"A","properties":{"id":{"type":"integer"},"score":{"type":"number"},"name":{"type":"string"}}},"B":{"id":"B","properties":{"x":{"type":"string"}}}}}"#;

    #[test]
    fn return_types_deprecations_and_model_values_are_changes_too() {
        let op = |ty: &str, deprecated: bool| {
            format!(
                r#"{{"swaggerVersion":"1.2","resourcePath":"/x","apis":[{{"path":"/v1/a","operations":[{{"method":"GET","nickname":"get_a","type":"{ty}","deprecated":{deprecated},"parameters":[]}}]}}],
                "models":{{"A":{{"id":"A","properties":{{"state":{{"type":"string","enum":["{ty}"]}},"b":{{"$ref":"B{ty}"}}}}}}}}}}"#
            )
        };
        let log = changelog(&set(&op("A", false)), &set(&op("C", true)));
        for line in [
            "  - returns A → C",
            "  - deprecated",
            "  - field `state`: string, one of A → string, one of C",
            "  - field `b`: BA → BC",
        ] {
            assert!(log.contains(line), "missing {line:?} in:\n{log}");
        }
        let back = changelog(&set(&op("C", true)), &set(&op("C", false)));
        assert!(back.contains("  - no longer deprecated"), "{back}");
    }

    #[test]
    fn lists_every_kind_of_change() {
        let log = changelog(&set(OLD), &set(NEW));
        for line in [
            "## Operations added (1)\n\n- `POST /api/v1/new` `make_new` (x.json): Make one",
            "## Operations removed (1)\n\n- `DELETE /api/v1/old` `drop_old` (x.json)",
            "- `GET /api/v1/a` `list_all_a`:\n  - renamed `list_a` → `list_all_a`",
            "  - parameter `gone` removed",
            "  - parameter `include`: query array<string>, one of x → query array<string>, one of x|y",
            "  - parameter `search_term` added (query string, required)",
            "## Models added (1)\n\n- `B` (1 fields)",
            "## Models removed (1)\n\n- `Gone`",
            "  - field `score`: integer → number",
            "  - field `name` added (string)",
            "  - field `old` removed",
        ] {
            assert!(log.contains(line), "missing {line:?} in:\n{log}");
        }
        assert_eq!(
            changelog(&set(OLD), &set(OLD)),
            "# Canvas API changes\n\nNo changes to operations, parameters or models.\n"
        );
    }
}
