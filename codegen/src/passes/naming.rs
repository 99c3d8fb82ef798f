//! The naming pass: every name unique in its namespace, by rule, once the whole IR exists.
//!
//! # How names are made
//!
//! - **Methods** are named after the Canvas action (`lower::families`): Canvas's nickname of
//!   the summary, without the route words Canvas's Swagger generator appended, plus a
//!   qualifier only where the action has several methods (`list_assignments_for_assignment_group`,
//!   `get_file_in`), or a name given in `spec/overrides.json` (`names`).
//! - **Builders** are the method's name in Pascal case (`ListBlackoutDates`).
//! - **Request structs and enums** are named after the key they fill (`assignment[..]` →
//!   `Assignment`; `assignment[external_tool_tag_attributes][line_item][..]` → `LineItem`;
//!   one value of `submission_types[]` → `SubmissionType`). Where that name is wanted by
//!   two different types of the module, or is the name of a builder, of the handle or of a
//!   response model (users import both), every type that wants it takes the next name of
//!   its list: prefixed by its operation (`CreateAssignment...`), then suffixed `Params`,
//!   then both, then the whole key path. A struct that several operations take tries the
//!   `Params` suffix before any one operation's name (`TurnitinSettingsParams`); where an
//!   operation's name is needed, it is the shortest of theirs. Where the operation and the
//!   key meet, a word is said once (`CreateAssignment` + `Assignment` is `CreateAssignment`).
//!
//! A type's name depends only on the types that want the same name in its module: adding
//! an operation that fills other keys, or reordering input files, renames nothing. What is
//! still taken after the list is exhausted gets a numeric suffix, and is reported.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Ir, NameParts, Owner};
use crate::naming::{prefixed, without_repeats, EXTRA_MEMBER};
use crate::report::{Report, Rule};

/// Runs the pass.
pub fn resolve(ir: &mut Ir, report: &mut Report) {
    let models: BTreeSet<String> = {
        let mut set = BTreeSet::new();
        for m in &mut ir.models {
            unique_into(&mut set, &mut m.rust_name, "", report, Rule::ModelTypeName);
        }
        set
    };
    // Enums of the models module share its namespace.
    let mut model_types = models.clone();
    for e in ir.enums.iter_mut().filter(|e| e.owner == Owner::Models) {
        unique_into(&mut model_types, &mut e.rust_name, "Kind", report, Rule::EnumName);
    }
    for (i, r) in ir.resources.iter_mut().enumerate() {
        let mut reserved = BTreeSet::from([r.type_name.clone()]);
        let mut fns = BTreeSet::new();
        for op in &mut r.operations {
            unique_into(&mut reserved, &mut op.builder_name, "Request", report, Rule::BuilderName);
            unique_into(&mut fns, &mut op.fn_name, "_op", report, Rule::FunctionName);
            let mut params = BTreeSet::new();
            for p in &mut op.params {
                unique_into(&mut params, &mut p.rust_name, "_param", report, Rule::ParameterName);
            }
        }
        request_types(ir_types(&mut ir.structs, &mut ir.enums, i), &reserved, &models, report);
    }
    for s in ir.structs.iter_mut().filter(|s| s.merged_into.is_none()) {
        let mut fields = BTreeSet::new();
        for f in &mut s.fields {
            unique_into(&mut fields, &mut f.rust_name, "_field", report, Rule::FieldName);
        }
    }
    for m in &mut ir.models {
        // The member that keeps undeclared fields is taken first: a Canvas field of that
        // name is renamed, never the member (its name must not depend on a release).
        let mut fields = BTreeSet::from([EXTRA_MEMBER.to_owned()]);
        for f in &mut m.fields {
            unique_into(&mut fields, &mut f.rust_name, "_field", report, Rule::FieldName);
        }
    }
}

/// The request types of one resource module: each one's names and where its name goes.
fn ir_types<'a>(
    structs: &'a mut [crate::ir::ParamStruct],
    enums: &'a mut [crate::ir::EnumDef],
    resource: usize,
) -> Vec<(Vec<String>, &'a mut String)> {
    let owner = Owner::Resource(resource);
    let mut out = Vec::new();
    for s in structs.iter_mut().filter(|s| s.owner == owner && s.merged_into.is_none()) {
        out.push((candidates(&s.names, true), &mut s.rust_name));
    }
    for e in enums.iter_mut().filter(|e| e.owner == owner) {
        let names = match &e.names {
            Some(parts) => candidates(parts, false),
            None => vec![e.rust_name.clone()],
        };
        out.push((names, &mut e.rust_name));
    }
    out
}

/// A type's names, most preferred first (see the module docs).
fn candidates(parts: &NameParts, is_struct: bool) -> Vec<String> {
    let op = parts.operation.as_str();
    let mut list: Vec<String> = Vec::new();
    let mut push = |pieces: &[&str]| {
        if pieces.iter().any(|p| p.is_empty()) {
            return;
        }
        let name = pieces.concat();
        if !list.contains(&name) {
            list.push(name);
        }
    };
    let kind = if is_struct { "Params" } else { "Kind" };
    let path = without_repeats(&parts.path);
    let op_own = prefixed(op, &parts.own);
    let op_path = prefixed(op, &path);
    push(&[&parts.own]);
    // A struct several operations take is named for what it is before any one of them.
    if is_struct && parts.shared {
        push(&[&parts.own, kind]);
    }
    push(&[&op_own]);
    push(&[&parts.own, kind]);
    push(&[&op_own, kind]);
    push(&[&path, kind]);
    push(&[&op_path, kind]);
    list
}

/// Names each type by the first of its names that no other type of the module wants and
/// that is not reserved; every type that wants a contested name moves on together, so the
/// outcome does not depend on their order.
fn request_types(
    mut types: Vec<(Vec<String>, &mut String)>,
    reserved: &BTreeSet<String>,
    models: &BTreeSet<String>,
    report: &mut Report,
) {
    let mut level = vec![0usize; types.len()];
    loop {
        let current: Vec<&String> = types.iter().zip(&level).map(|((names, _), &l)| &names[l]).collect();
        let mut wanted: BTreeMap<&String, usize> = BTreeMap::new();
        for name in &current {
            *wanted.entry(*name).or_default() += 1;
        }
        let contested: Vec<bool> =
            current.iter().map(|n| wanted[n] > 1 || reserved.contains(*n) || models.contains(*n)).collect();
        let mut moved = false;
        for (i, c) in contested.into_iter().enumerate() {
            if c && level[i] + 1 < types[i].0.len() {
                level[i] += 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    let mut taken = reserved.clone();
    // Types whose last name is still contested keep it with a numeric suffix (reported),
    // in a stable order: by name.
    let mut order: Vec<usize> = (0..types.len()).collect();
    order.sort_by(|a, b| types[*a].0[level[*a]].cmp(&types[*b].0[level[*b]]));
    for i in order {
        let (names, slot) = &mut types[i];
        let mut name = names[level[i]].clone();
        unique_into(&mut taken, &mut name, "", report, Rule::RequestTypeName);
        **slot = name;
    }
}

fn unique_into(set: &mut BTreeSet<String>, name: &mut String, suffix: &str, report: &mut Report, what: Rule) {
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

    fn parts(own: &str, path: &str, op: &str) -> NameParts {
        NameParts { own: own.into(), path: path.into(), operation: op.into(), shared: false }
    }

    #[test]
    fn contested_names_move_on_together() {
        let mut a = String::new();
        let mut b = String::new();
        let mut c = String::new();
        let types = vec![
            (candidates(&parts("Assignment", "Assignment", "CreateAssignment"), true), &mut a),
            (candidates(&parts("Assignment", "Assignment", "EditAssignment"), true), &mut b),
            (candidates(&parts("LineItem", "AssignmentLineItem", "CreateAssignment"), true), &mut c),
        ];
        let reserved = BTreeSet::from(["CreateAssignment".to_owned(), "EditAssignment".to_owned()]);
        let models = BTreeSet::from(["Assignment".to_owned()]);
        request_types(types, &reserved, &models, &mut Report::default());
        assert_eq!(
            (a.as_str(), b.as_str(), c.as_str()),
            ("CreateAssignmentParams", "EditAssignmentParams", "LineItem")
        );
    }
}
