//! Snapshots of the IR, the report and the emitted code for small hand-written specs, one
//! Canvas quirk per fixture (`tests/fixtures/<quirk>/*.json`).

use std::path::Path;

use canvas_codegen::ir::{Ir, Response, Ty};

fn run(fixture: &str) -> canvas_codegen::Output {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture);
    let mut files: Vec<canvas_codegen::InputFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            canvas_codegen::InputFile::upstream(p.file_name().unwrap().to_string_lossy(), std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    canvas_codegen::generate(&files, &Default::default()).unwrap_or_else(|e| panic!("{fixture}: {e}"))
}

/// The report, then every emitted file (the manifest and the crate root included).
fn emitted(out: &canvas_codegen::Output) -> String {
    let mut text = out.report.render();
    for (path, body) in &out.files {
        text.push_str(&format!("\n===== {path} =====\n{body}"));
    }
    text
}

/// A type as the view shows it, named types by their Rust names.
fn ty(ir: &Ir, t: &Ty) -> String {
    match t {
        Ty::Vec(inner) => format!("[{}]", ty(ir, inner)),
        Ty::Map(inner) => format!("{{<key>: {}}}", ty(ir, inner)),
        Ty::Model(m) => format!("model {}", ir.models[m.0].rust_name),
        Ty::Enum(e) => format!("enum {}", ir.enums[e.0].rust_name),
        Ty::Struct(s) => format!("struct {}", ir.structs[s.0].rust_name),
        other => format!("{other:?}"),
    }
}

/// The IR as a reviewable listing, one line per item: what the emitted code does not show
/// by itself (spec names beside Rust names, where each wire key came from, which routes an
/// operation covers, merges and feature gates), without docs or descriptions.
fn ir_view(ir: &Ir) -> String {
    let mut out = String::new();
    let features = |fs: &[usize]| fs.iter().map(|f| ir.resources[*f].module.as_str()).collect::<Vec<_>>().join(",");
    for r in &ir.resources {
        out += &format!("resource {} -> mod {} ({}) {:?}\n", r.file, r.module, r.type_name, r.title);
        for op in &r.operations {
            let response = match &op.response {
                Response::Json => "json".to_owned(),
                Response::One(t) => format!("one {}", ty(ir, t)),
                Response::List(t) => format!("list {}", ty(ir, t)),
                Response::Array(t) => format!("array {}", ty(ir, t)),
            };
            let context = op.context.map(|c| format!(" in {}", ir.context_sets[c].rust_name)).unwrap_or_default();
            out += &format!(
                "  fn {} ({}): {} {}{context} -> {response}",
                op.fn_name,
                op.builder_name,
                op.method.as_str(),
                op.path
            );
            if let Some(key) = &op.response_key {
                out += &format!(" unwrap {key:?}");
            }
            if let Some(upload) = &op.upload {
                out += &format!(" upload {upload:?}");
            }
            if op.deprecated.is_some() {
                out += " deprecated";
            }
            out += "\n";
            for route in &op.routes {
                let context = route.context.map(|k| format!(" ({})", ir.contexts[k].rust_name)).unwrap_or_default();
                out += &format!("    route {} {}{context}\n", route.nickname, route.path);
            }
            for p in &op.params {
                let required = if p.required { " required" } else { "" };
                out += &format!("    {:?} {} {:?}: {}{required}\n", p.location, p.rust_name, p.wire, ty(ir, &p.ty));
            }
            let origins: Vec<String> = op.origins.iter().map(|(name, wire)| format!("{name} -> {wire}")).collect();
            out += &format!("    origins: {}\n", origins.join(", "));
        }
    }
    for m in &ir.models {
        out += &format!(
            "model {} <- {:?} [{}] features {}",
            m.rust_name,
            m.spec_name,
            m.files.join(","),
            features(&m.features)
        );
        if let Some(members) = m.union_members() {
            let names: Vec<&str> = members.iter().map(|id| ir.models[id.0].rust_name.as_str()).collect();
            out += &format!(" union {}", names.join(" | "));
        }
        out += "\n";
        for f in &m.fields {
            let boxed = if f.boxed { " boxed" } else { "" };
            out += &format!("  {} {:?}: {}{boxed}\n", f.rust_name, f.wire, ty(ir, &f.ty));
        }
    }
    for st in &ir.structs {
        let merged =
            st.merged_into.map(|to| format!(" merged into {}", ir.structs[to.0].rust_name)).unwrap_or_default();
        out += &format!("struct {} {:?} {:?}{merged}\n", st.rust_name, st.wire_path, st.owner);
        for f in &st.fields {
            let flags = [(f.required, " required"), (f.flatten, " flatten")];
            let flags: String = flags.iter().filter(|(on, _)| *on).map(|(_, s)| *s).collect();
            out += &format!("  {} {:?}: {}{flags}\n", f.rust_name, f.wire, ty(ir, &f.ty));
        }
    }
    for e in &ir.enums {
        let values: Vec<String> = e.variants.iter().zip(&e.values).map(|(v, w)| format!("{v}={w:?}")).collect();
        out +=
            &format!("enum {} {:?} features {}: {}\n", e.rust_name, e.owner, features(&e.features), values.join(" "));
    }
    for k in &ir.contexts {
        out += &format!("context {} {:?}{}\n", k.rust_name, k.segment, if k.has_id { " with id" } else { "" });
    }
    for set in &ir.context_sets {
        let kinds: Vec<&str> = set.kinds.iter().map(|k| ir.contexts[*k].rust_name.as_str()).collect();
        out += &format!("context set {}: {}\n", set.rust_name, kinds.join(" | "));
    }
    out
}

macro_rules! fixture {
    ($name:ident) => {
        #[test]
        fn $name() {
            let out = run(stringify!($name));
            insta::assert_snapshot!(concat!(stringify!($name), "_emitted"), emitted(&out));
            insta::assert_snapshot!(concat!(stringify!($name), "_ir"), ir_view(&out.ir));
        }
    };
}

fixture!(nested_params);
fixture!(placeholders);
fixture!(array_of_objects);
fixture!(free_text_types);
fixture!(return_types);
fixture!(duplicate_models);
fixture!(duplicate_nicknames);
fixture!(odd_names);
fixture!(markup);
fixture!(recursive_models);
fixture!(unions);
fixture!(action_families);
fixture!(typed_arguments);
