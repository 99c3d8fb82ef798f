//! Bad input gives an error naming the file and the JSON location, and nothing is written.

use std::fs;
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("canvas-tests-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn generate_from(files: &[(&str, &str)]) -> String {
    let input: Vec<canvas_codegen::InputFile> =
        files.iter().map(|(n, t)| canvas_codegen::InputFile::upstream(*n, t.as_bytes())).collect();
    canvas_codegen::generate(&input, &Default::default()).map(|_| String::new()).unwrap_or_else(|e| e.to_string())
}

#[test]
fn malformed_json_names_file_and_line() {
    let err = generate_from(&[("bad.json", "{\n  \"swaggerVersion\": \"1.2\",\n  \"apis\": [ }")]);
    assert_eq!(err, "bad.json: at apis[0] (line 3 column 13): expected value");
}

#[test]
fn wrong_shape_names_the_json_path() {
    let err = generate_from(&[(
        "shape.json",
        r#"{"swaggerVersion":"1.2","resourcePath":"/x","apis":[{"path":"/v1/x","operations":[{"method":"GET","nickname":"x","parameters":[{"paramType":"query","name":7}]}]}]}"#,
    )]);
    assert!(err.starts_with("shape.json: at apis[0].operations[0].parameters[0].name"), "{err}");
}

#[test]
fn unknown_swagger_version_is_refused() {
    let err = generate_from(&[("v2.json", r#"{"swaggerVersion":"2.0","resourcePath":"/x","apis":[]}"#)]);
    assert!(err.contains("v2.json: at swaggerVersion: unsupported swaggerVersion \"2.0\""), "{err}");
}

#[test]
fn missing_directory_is_an_error() {
    let err = xtask::read_input(&PathBuf::from("/nonexistent/canvas/spec")).unwrap_err();
    assert!(err.contains("/nonexistent/canvas/spec"), "{err}");
}

#[test]
fn lock_mismatch_lists_every_difference() {
    let files = vec![
        canvas_codegen::InputFile::upstream("a.json", b"1".to_vec()),
        canvas_codegen::InputFile::upstream("b.json", b"2".to_vec()),
    ];
    let lock = canvas_codegen::lock::render(&files);
    assert!(canvas_codegen::lock::check(&lock, &files).is_ok());
    let changed = vec![
        canvas_codegen::InputFile::upstream("a.json", b"changed".to_vec()),
        canvas_codegen::InputFile::upstream("c.json", b"3".to_vec()),
    ];
    // The project's own files are versioned by git, not locked.
    let mut with_own = files.clone();
    with_own.push(canvas_codegen::InputFile::own("ours.json", b"4".to_vec()));
    assert_eq!(canvas_codegen::lock::render(&with_own), lock);
    assert!(canvas_codegen::lock::check(&lock, &with_own).is_ok());
    let err = canvas_codegen::lock::check(&lock, &changed).unwrap_err().to_string();
    assert!(
        err.contains("added:   c.json") && err.contains("changed: a.json") && err.contains("removed: b.json"),
        "{err}"
    );
}

#[test]
fn atomic_write_replaces_src_and_keeps_hand_written_files() {
    let dir = temp_dir("atomic");
    let generated = dir.join("generated");
    fs::create_dir_all(generated.join("src")).unwrap();
    fs::create_dir_all(generated.join("examples")).unwrap();
    fs::write(generated.join("src/stray.rs"), "old").unwrap();
    fs::write(generated.join("examples/demo.rs"), "fn main() {}").unwrap();
    let mut files = std::collections::BTreeMap::new();
    files.insert("src/lib.rs".to_string(), "// new".to_string());
    files.insert("Cargo.toml".to_string(), "[package]".to_string());
    assert!(!xtask::stale(&generated, &files).is_empty());
    xtask::write_atomically(&generated, &files).unwrap();
    assert_eq!(fs::read_to_string(generated.join("src/lib.rs")).unwrap(), "// new");
    assert!(!generated.join("src/stray.rs").exists(), "stray emitted file kept");
    assert_eq!(fs::read_to_string(generated.join("examples/demo.rs")).unwrap(), "fn main() {}");
    assert!(xtask::stale(&generated, &files).is_empty());
    // A stray file under src/ is reported by the check.
    fs::write(generated.join("src/extra.rs"), "").unwrap();
    let problems = xtask::stale(&generated, &files);
    assert!(problems.iter().any(|p| p.starts_with("stray: generated/src/extra.rs")), "{problems:?}");
    let _ = fs::remove_dir_all(&dir);
}
