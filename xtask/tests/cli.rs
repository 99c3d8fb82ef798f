//! The `xtask` command line: a failed generation exits non-zero, names the file and the
//! location, and leaves `generated/` as it was.

use std::fs;
use std::process::Command;

#[test]
fn failed_generation_leaves_generated_untouched() {
    let dir = std::env::temp_dir().join(format!("xtask-badspec-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("broken.json"), "{ not json").unwrap();
    let root = xtask::workspace_root();
    let before = fs::read_to_string(root.join("generated/src/lib.rs")).unwrap();
    let lock_before = fs::read_to_string(xtask::lock_path()).unwrap();
    for extra in [&[][..], &["--update-lock"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("gen")
            .arg("--spec-dir")
            .arg(&dir)
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("broken.json: at line 1 column 3: key must be a string"), "{stderr}");
    }
    assert_eq!(fs::read_to_string(root.join("generated/src/lib.rs")).unwrap(), before);
    assert_eq!(fs::read_to_string(xtask::lock_path()).unwrap(), lock_before, "the lock changed");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn missing_spec_directory_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["gen", "--check", "--spec-dir", "/nonexistent/spec"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/spec: cannot read the spec directory"));
}

#[test]
fn check_reports_up_to_date() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).args(["gen", "--check"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("generated/ is up to date"));
}

#[test]
fn diff_spec_of_a_set_with_itself_reports_no_change() {
    let dir = xtask::spec_dir(None);
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).arg("diff-spec").arg(&dir).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "# Canvas API changes\n\nNo changes to operations, parameters or models.\n"
    );
}

/// Copies the `*.json` files of `from` into a new `to`, creating them in `order`.
fn copy_spec(from: &std::path::Path, to: &std::path::Path, order: &[String]) {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to).unwrap();
    for name in order {
        fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

/// What `read_dir` lists, in its order.
fn listing(dir: &std::path::Path) -> Vec<String> {
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Two `cargo xtask gen` processes (each with its own hash seeds) over copies of the input
/// that the file system lists in different orders write byte-identical crates.
#[test]
fn generation_in_fresh_processes_over_differently_ordered_copies_is_byte_identical() {
    let spec = xtask::spec_dir(None);
    let mut names: Vec<String> = listing(&spec).into_iter().filter(|n| n.ends_with(".json")).collect();
    names.sort();
    let scratch = xtask::workspace_root().join("target/determinism");
    let a = scratch.join("spec-a");
    copy_spec(&spec, &a, &names);
    // The second copy where the file system orders entries another way: tmpfs lists the
    // newest entry first, so creating the files in the first copy's listing order lists
    // them in reverse. Without /dev/shm, another directory on the same disk.
    let shm = std::path::Path::new("/dev/shm");
    let b = if shm.is_dir() {
        shm.join(format!("canvas-determinism-{}", std::process::id()))
    } else {
        scratch.join("spec-b")
    };
    copy_spec(&spec, &b, &listing(&a));
    let (order_a, order_b) = (listing(&a), listing(&b));
    if shm.is_dir() {
        assert_ne!(
            order_a, order_b,
            "the two copies must be listed in different orders for this test to mean anything"
        );
    }
    let mut outputs = Vec::new();
    for (n, dir) in [&a, &b].into_iter().enumerate() {
        let out_dir = scratch.join(format!("out-{n}"));
        let _ = fs::remove_dir_all(&out_dir);
        let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("gen")
            .arg("--spec-dir")
            .arg(dir)
            .arg("--out")
            .arg(&out_dir)
            // The GraphQL schema is one file, read from where it is (the copies hold the REST set).
            .env("CANVAS_GRAPHQL_SCHEMA", xtask::graphql_schema_path(&spec))
            .output()
            .unwrap();
        assert!(out.status.success(), "gen failed: {}", String::from_utf8_lossy(&out.stderr));
        outputs.push((tree(&out_dir), String::from_utf8_lossy(&out.stdout).into_owned()));
    }
    let _ = fs::remove_dir_all(&b);
    let (first, second) = (&outputs[0].0, &outputs[1].0);
    assert!(first.len() > 100 && first.contains_key("src/lib.rs"), "a whole crate was written: {} files", first.len());
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>(), "the same files");
    for (path, bytes) in first {
        assert!(second[path] == *bytes, "{path} differs between two runs over the same input");
    }
    // The report too, but for the timing line.
    let report = |s: &str| s.lines().filter(|l| !l.starts_with("wrote ")).collect::<Vec<_>>().join("\n");
    assert_eq!(report(&outputs[0].1), report(&outputs[1].1), "the report differs between two runs");
}
