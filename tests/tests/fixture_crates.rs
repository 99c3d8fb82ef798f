//! The code the generator emits for each of its fixtures (`codegen/tests/fixtures/<quirk>/`,
//! whose emitted text the snapshot tests review) is a crate that compiles against the runtime,
//! warnings denied: a snapshot can be reviewed and still not build.

#[test]
fn every_fixture_emits_a_crate_that_compiles() {
    let fixtures = xtask::workspace_root().join("codegen/tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "the fixtures are there: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let files = xtask::read_input(&fixtures.join(name)).unwrap();
        let out = canvas_codegen::generate(&files, &Default::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(e) = xtask::check_crate(&out.files, &format!("fixture-{}", name.replace('_', "-"))) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "fixtures whose emitted crate does not compile:\n{}", failures.join("\n"));
}
