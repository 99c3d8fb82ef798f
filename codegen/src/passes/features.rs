//! Which cargo features need which models.
//!
//! A model is compiled when any resource that uses it is enabled: the resources whose
//! operations mention it (parameters or responses), the resources whose file defines it,
//! and, transitively, everything those models contain. Enums of model fields follow the
//! models that use them. A one-resource build then compiles only the models it needs.

use std::collections::BTreeSet;

use crate::ir::{Ir, Response, Ty};

/// Fills `Model::features` (sorted resource indices).
pub fn assign(ir: &mut Ir) {
    let n = ir.models.len();
    let mut users: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (ri, r) in ir.resources.iter().enumerate() {
        let mut roots = Vec::new();
        for op in &r.operations {
            match &op.response {
                Response::One(t) | Response::List(t) | Response::Array(t) => collect(ir, t, &mut roots),
                Response::Json => {}
            }
            for p in &op.params {
                collect(ir, &p.ty, &mut roots);
            }
            if let Some(crate::ir::Upload::ThreeStep { file, progress }) = &op.upload {
                roots.extend([file.0, progress.0]);
            }
        }
        for (mi, m) in ir.models.iter().enumerate() {
            if m.files.contains(&r.file) {
                roots.push(mi);
            }
        }
        // Transitive closure through model fields.
        let mut seen = BTreeSet::new();
        while let Some(m) = roots.pop() {
            if seen.insert(m) {
                for f in &ir.models[m].fields {
                    collect(ir, &f.ty, &mut roots);
                }
                roots.extend(ir.models[m].union_members().unwrap_or_default().iter().map(|v| v.0));
            }
        }
        for m in seen {
            users[m].insert(ri);
        }
    }
    // An enum of the models module is needed by the features of the models that use it.
    let mut enum_users: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); ir.enums.len()];
    for (m, u) in ir.models.iter().zip(&users) {
        for f in &m.fields {
            let mut t = &f.ty;
            while let Ty::Vec(inner) | Ty::Map(inner) = t {
                t = inner;
            }
            if let Ty::Enum(e) = t {
                enum_users[e.0].extend(u.iter().copied());
            }
        }
    }
    for (m, u) in ir.models.iter_mut().zip(users) {
        m.features = u.into_iter().collect();
    }
    for (e, u) in ir.enums.iter_mut().zip(enum_users) {
        e.features = u.into_iter().collect();
    }
}

fn collect(ir: &Ir, ty: &Ty, out: &mut Vec<usize>) {
    match ty {
        Ty::Model(id) => out.push(id.0),
        Ty::Vec(t) | Ty::Map(t) => collect(ir, t, out),
        Ty::Struct(s) => {
            for f in &ir.structs[s.0].fields {
                collect(ir, &f.ty, out);
            }
        }
        _ => {}
    }
}
