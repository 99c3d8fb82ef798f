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
