//! Turning Canvas names into Rust identifiers.
//!
//! Helpers used while lowering, and [`resolve`], the pass that makes every name unique in its
//! namespace by rule after the whole IR exists.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToPascalCase, ToSnakeCase};

use crate::ir::{Ir, Owner};
use crate::report::Report;

/// Rust keywords (strict and reserved) that cannot be field or function names as they are.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot even be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// Type names that would shadow the prelude inside generated modules.
const PRELUDE_TYPES: &[&str] = &["Result", "Option", "Box", "Vec", "String", "Some", "None", "Ok", "Err", "Error"];

fn clean(raw: &str) -> String {
    // Keep letters and digits; everything else separates words.
    let s: String = raw.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `snake_case` identifier for a field, argument or function; keywords become raw (`r#type`).
pub fn snake(raw: &str) -> String {
    let mut s = clean(raw).to_snake_case();
    if s.is_empty() {
        s = "value".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("n{s}");
    }
    if NOT_RAW.contains(&s.as_str()) {
        s.push('_');
    } else if KEYWORDS.contains(&s.as_str()) {
        s = format!("r#{s}");
    }
    s
}

/// The member of every model that keeps the fields Canvas sends beyond the declared ones
/// (see the runtime's `Extra`).
pub const EXTRA_MEMBER: &str = "extra";

/// `PascalCase` identifier for a type or variant.
pub fn pascal(raw: &str) -> String {
    let mut s = clean(raw).to_pascal_case();
    if s.is_empty() {
        s = "Empty".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("V{s}");
    }
    if s == "Self" {
        s = "SelfValue".into();
    }
    s
}

/// Type name of a model: `Lti::ResourceLink` → `LtiResourceLink`; names that would shadow
/// the prelude (`Result`) get the suffix `Object`.
pub fn model_type(spec_name: &str) -> String {
    let p = pascal(spec_name);
    if PRELUDE_TYPES.contains(&p.as_str()) {
        format!("{p}Object")
    } else {
        p
    }
}

/// The identifier without a raw prefix (`r#type` → `type`), for composing names.
pub fn bare(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Variant names for enum values: Pascal case, made unique with a numeric suffix, never
/// `Unknown` (reserved for the catch-all).
pub fn variants(values: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    values
        .iter()
        .map(|v| {
            let mut name = pascal(v);
            if name == "Unknown" {
                name = "UnknownValue".into();
            }
            let base = name.clone();
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}{n}");
                n += 1;
            }
            name
        })
        .collect()
}

/// The naming pass: type names unique per module, function names unique per resource,
/// field names unique per struct. Every collision resolved is reported.
pub fn resolve(ir: &mut Ir, report: &mut Report) {
    // Types per module: models, enums, request structs, builders and the handle.
    let mut taken: BTreeMap<Owner, BTreeSet<String>> = BTreeMap::new();
    let models = taken.entry(Owner::Models).or_default();
    for m in &mut ir.models {
        unique_into(models, &mut m.rust_name, "", report, "model type name");
    }
    for (i, r) in ir.resources.iter_mut().enumerate() {
        let set = taken.entry(Owner::Resource(i)).or_default();
        set.insert(r.type_name.clone());
        let mut fns = BTreeSet::new();
        for op in &mut r.operations {
            unique_into(set, &mut op.builder_name, "Request", report, "operation builder name");
            unique_into(&mut fns, &mut op.fn_name, "_op", report, "operation function name");
            let mut params = BTreeSet::new();
            for p in &mut op.params {
                unique_into(&mut params, &mut p.rust_name, "_param", report, "parameter name");
            }
        }
    }
    for e in &mut ir.enums {
        let set = taken.entry(e.owner).or_default();
        unique_into(set, &mut e.rust_name, "Kind", report, "enum name");
    }
    for s in ir.structs.iter_mut().filter(|s| !s.fields.is_empty()) {
        let set = taken.entry(s.owner).or_default();
        unique_into(set, &mut s.rust_name, "Params", report, "request struct name");
        let mut fields = BTreeSet::new();
        for f in &mut s.fields {
            unique_into(&mut fields, &mut f.rust_name, "_field", report, "field name");
        }
    }
    for m in &mut ir.models {
        // The member that keeps undeclared fields is taken first: a Canvas field of that
        // name is renamed, never the member (its name must not depend on a release).
        let mut fields = BTreeSet::from([EXTRA_MEMBER.to_owned()]);
        for f in &mut m.fields {
            unique_into(&mut fields, &mut f.rust_name, "_field", report, "field name");
        }
    }
}

fn unique_into(set: &mut BTreeSet<String>, name: &mut String, suffix: &str, report: &mut Report, what: &str) {
    if set.insert(name.clone()) {
        return;
    }
    let base = format!("{}{}", name, suffix);
    let mut candidate = base.clone();
    let mut n = 2;
    while set.contains(&candidate) {
        candidate = format!("{base}{n}");
        n += 1;
    }
    report.anomaly("", what, format!("`{name}` is taken in its namespace"), format!("renamed to `{candidate}`"));
    *name = candidate.clone();
    set.insert(candidate);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("scoreGiven"), "score_given");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("3d"), "n3d");
        assert_eq!(pascal("ePortfolio"), "EPortfolio");
        assert_eq!(model_type("Lti::ResourceLink"), "LtiResourceLink");
        assert_eq!(model_type("Result"), "ResultObject");
        assert_eq!(
            variants(&["a b".into(), "A-B".into(), "unknown".into(), "".into()]),
            vec!["AB", "AB2", "UnknownValue", "Empty"]
        );
    }
}
