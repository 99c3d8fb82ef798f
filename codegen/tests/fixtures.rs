//! Snapshots of the IR, the report and the emitted code for small hand-written specs, one
//! Canvas quirk per fixture (`tests/fixtures/<quirk>/*.json`).

use std::path::Path;

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

/// The report, then every emitted Rust file except the crate root (covered by the
/// staleness test on the real input).
fn emitted(out: &canvas_codegen::Output) -> String {
    let mut text = out.report.render();
    for (path, body) in &out.files {
        if path.ends_with(".rs") && path != "src/lib.rs" {
            text.push_str(&format!("\n===== {path} =====\n{body}"));
        }
    }
    text
}

macro_rules! fixture {
    ($name:ident) => {
        #[test]
        fn $name() {
            let out = run(stringify!($name));
            insta::assert_snapshot!(concat!(stringify!($name), "_emitted"), emitted(&out));
            insta::assert_snapshot!(concat!(stringify!($name), "_ir"), format!("{:#?}", out.ir));
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
