//! Identical request structs become one.
//!
//! Operations of one resource often take the same parameter group (`assignment_overrides[]`
//! of several override operations, `question[..]` of creating and updating a quiz question).
//! Structs of one resource with the same fields (wire names, types, requiredness,
//! descriptions) are merged into the first; where its name needs an operation part
//! (`passes::naming`), it is the operation with the shortest name (see [`shorter_first`]).

use std::collections::{BTreeMap, HashMap};

use crate::ir::Owner;

/// What makes two structs the same: their module, their wire prefix and their fields (wire
/// name, type, requiredness, description, flattening).
type Key = (Owner, String, Vec<(String, Ty, bool, String, bool)>);

use crate::ir::{Ir, StructId, Ty};

/// Merges identical structs; returns how many were removed.
pub fn structs(ir: &mut Ir) -> usize {
    // Field lists refer to other structs by id: merge innermost first, by repeating until
    // nothing changes (nested structs become identical once their children are merged).
    let mut removed = 0;
    loop {
        let mut first_of: HashMap<Key, usize> = HashMap::new();
        let mut remap: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, s) in ir.structs.iter().enumerate() {
            if s.merged_into.is_some() {
                continue;
            }
            let key: Key = (
                s.owner,
                s.wire_path.clone(),
                s.fields
                    .iter()
                    .map(|f| (f.wire.clone(), f.ty.clone(), f.required, f.description.clone(), f.flatten))
                    .collect(),
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
        // Where the kept struct's name needs an operation part, it is the operation with the
        // shortest name (then the first alphabetically): not the first in input order.
        for (&dup, &keep) in &remap {
            let other = ir.structs[dup].names.operation.clone();
            let kept = &mut ir.structs[keep].names;
            kept.shared |= other != kept.operation;
            if shorter_first(&other, &kept.operation) {
                kept.operation = other;
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
        for (&dup, &keep) in &remap {
            ir.structs[dup].merged_into = Some(StructId(keep));
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

/// Which of two operations names a type they share: the shorter name (`ListYourCourses`
/// before `ListCoursesForUser`: usually the action the others refine), then the first in
/// alphabetical order. It depends on the names only, never on the order of the input.
pub fn shorter_first(a: &str, b: &str) -> bool {
    (a.len(), a) < (b.len(), b)
}

#[cfg(test)]
mod tests {
    use super::shorter_first;

    #[test]
    fn the_shorter_name_then_the_first_in_order_names_a_shared_type() {
        assert!(shorter_first("ListCourses", "ListYourCourses"));
        assert!(!shorter_first("ListYourCourses", "ListCourses"));
        assert!(shorter_first("Abc", "Abd"), "same length: alphabetical");
        assert!(!shorter_first("Abd", "Abc"));
        assert!(!shorter_first("Same", "Same"), "a name does not come before itself");
    }
}
