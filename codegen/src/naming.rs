//! Turning Canvas names into Rust identifiers.
//!
//! Helpers used while lowering and by the naming pass (`passes::naming`), which makes every
//! name unique in its namespace once the whole IR exists.

use std::collections::BTreeSet;

use heck::{ToPascalCase, ToSnakeCase};

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
/// (see the runtime's `Extra`); the runtime's `rt::model!` reads and writes it by this name.
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

/// `name` after `prefix`, the words where they meet said once: `CreateAssignment` +
/// `Assignment` → `CreateAssignment`; `CreateAssignment` + `AssignmentOverrides` →
/// `CreateAssignmentOverrides`; `Submission` + `SubmissionType` → `SubmissionType`. The
/// key's own words stay whole.
pub fn prefixed(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        return String::new();
    }
    let p = split_words(prefix);
    let n = split_words(name);
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    // The longest end of the prefix that begins the name.
    let overlap = (1..=p.len().min(n.len()))
        .rev()
        .find(|&k| p[p.len() - k..].iter().zip(&n[..k]).all(|(a, b)| same(a, b)))
        .unwrap_or(0);
    format!("{}{}", p[..p.len() - overlap].concat(), name)
}

/// `AssignmentAssignmentOverrides` → `AssignmentOverrides`: a word already said is left out.
pub fn without_repeats(name: &str) -> String {
    let mut seen = BTreeSet::new();
    split_words(name).into_iter().filter(|w| seen.insert(w.to_ascii_lowercase())).collect()
}

/// The words of a PascalCase name (`CreateAssignment` → `Create`, `Assignment`).
pub fn split_words(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices().skip(1) {
        if c.is_ascii_uppercase() {
            out.push(&name[start..i]);
            start = i;
        }
    }
    out.push(&name[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_variants_are_unique_and_never_the_catch_all() {
        let values: Vec<String> = ["a", "a", "unknown", "a", "b"].iter().map(|v| v.to_string()).collect();
        assert_eq!(variants(&values), ["A", "A2", "UnknownValue", "A3", "B"]);
    }

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

    #[test]
    fn words_are_said_once() {
        assert_eq!(without_repeats("AssignmentAssignmentOverrides"), "AssignmentOverrides");
        assert_eq!(prefixed("CreateAssignment", "Assignment"), "CreateAssignment");
        assert_eq!(prefixed("CreateAssignment", "AssignmentOverrides"), "CreateAssignmentOverrides");
        assert_eq!(prefixed("GradeOrCommentOnSubmission", "Comment"), "GradeOrCommentOnSubmissionComment");
        assert_eq!(prefixed("Submission", "SubmissionType"), "SubmissionType");
    }
}
