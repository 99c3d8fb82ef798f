//! Identical request structs become one.
//!
//! Canvas repeats operations per context (`…_courses`, `…_accounts`, `…_groups`, `…_users`)
//! with the same parameter groups. Structs of one resource with the same fields (wire names,
//! types, requiredness, descriptions) are merged into the first, and a merged struct is named
//! after what its users' names share: `CreateContentMigrationAccountsSettings` and
//! `CreateContentMigrationCoursesSettings` become `CreateContentMigrationSettings`.

use std::collections::BTreeMap;

use crate::ir::{Ir, StructId, Ty};

/// Merges identical structs; returns how many were removed.
pub fn structs(ir: &mut Ir) -> usize {
    // Field lists refer to other structs by id: merge innermost first, by repeating until
    // nothing changes (nested structs become identical once their children are merged).
    let mut removed = 0;
    loop {
        let mut first_of: BTreeMap<String, usize> = BTreeMap::new();
        let mut remap: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, s) in ir.structs.iter().enumerate() {
            if s.fields.is_empty() {
                continue;
            }
            let key = format!(
                "{:?}|{}|{:?}",
                s.owner,
                s.wire_path,
                s.fields.iter().map(|f| (&f.wire, &f.ty, f.required, &f.description, f.flatten)).collect::<Vec<_>>()
            );
            match first_of.get(&key) {
                Some(&first) => {
                    remap.insert(i, first);
                }
                None => {
                    first_of.insert(key, i);
                }
            }
        }
        if remap.is_empty() {
            break;
        }
        removed += remap.len();
        // Name each kept struct after the names it absorbs.
        let mut names: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (&dup, &keep) in &remap {
            names
                .entry(keep)
                .or_insert_with(|| vec![ir.structs[keep].rust_name.clone()])
                .push(ir.structs[dup].rust_name.clone());
        }
        for (keep, all) in names {
            if let Some(name) = shared_name(&all) {
                ir.structs[keep].rust_name = name;
            }
        }
        let fix = |ty: &mut Ty| retarget(ty, &remap);
        for r in &mut ir.resources {
            for op in &mut r.operations {
                for p in &mut op.params {
                    fix(&mut p.ty);
                }
            }
        }
        for s in &mut ir.structs {
            for f in &mut s.fields {
                fix(&mut f.ty);
            }
        }
        // Emptied structs are skipped by the emitter and the next round.
        for &dup in remap.keys() {
            ir.structs[dup].fields.clear();
        }
    }
    removed
}

fn retarget(ty: &mut Ty, remap: &BTreeMap<usize, usize>) {
    match ty {
        Ty::Struct(id) => {
            if let Some(&to) = remap.get(&id.0) {
                *id = StructId(to);
            }
        }
        Ty::Vec(inner) | Ty::Map(inner) => retarget(inner, remap),
        _ => {}
    }
}

/// The longest common prefix and suffix of PascalCase names, joined (`CreateContentMigration`
/// + `Settings`), cut at word boundaries; `None` when they share no prefix.
fn shared_name(names: &[String]) -> Option<String> {
    let words: Vec<Vec<&str>> = names.iter().map(|n| split_words(n)).collect();
    let min = words.iter().map(Vec::len).min()?;
    let prefix = (0..min).take_while(|&i| words.iter().all(|w| w[i] == words[0][i])).count();
    let suffix = (0..min - prefix)
        .take_while(|&i| words.iter().all(|w| w[w.len() - 1 - i] == words[0][words[0].len() - 1 - i]))
        .count();
    if prefix == 0 {
        return None;
    }
    let first = &words[0];
    Some(first[..prefix].concat() + &first[first.len() - suffix..].concat())
}

fn split_words(name: &str) -> Vec<&str> {
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
    use super::shared_name;

    #[test]
    fn names_keep_what_they_share() {
        let n = |v: &[&str]| shared_name(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            n(&["CreateContentMigrationAccountsSettings", "CreateContentMigrationCoursesSettings"]).as_deref(),
            Some("CreateContentMigrationSettings")
        );
        assert_eq!(
            n(&[
                "CreateLinkOutcomeGlobalRatings",
                "CreateLinkOutcomeAccountsRatings",
                "CreateLinkOutcomeCoursesRatings"
            ])
            .as_deref(),
            Some("CreateLinkOutcomeRatings")
        );
        assert_eq!(n(&["UpdateOutcomeRatings", "CreateLinkRatings"]), None);
    }
}
