//! The committed `generated/` must be exactly what the generator makes from the locked input.

#[test]
fn generated_crate_is_up_to_date() {
    let dir = xtask::spec_dir(None);
    let (out, _) = xtask::generate(&dir, false).unwrap_or_else(|e| panic!("generation failed: {e}"));
    let problems = xtask::stale(&xtask::workspace_root().join("generated"), &out.files);
    assert!(problems.is_empty(), "generated/ is stale; run `cargo xtask gen`:\n{}", problems.join("\n"));
    let stale: Vec<String> = out
        .report
        .stale_overrides
        .iter()
        .map(|s| format!("#{} {} {}: {}", s.index, s.file, s.at, s.stale.describe()))
        .collect();
    assert!(stale.is_empty(), "overrides that no longer apply (`cargo xtask overrides`):\n{}", stale.join("\n"));
    let left_out: Vec<String> = out
        .report
        .stale_graphql_queries
        .iter()
        .map(|q| format!("{} ({}): {}", q.file, q.location, q.message))
        .collect();
    assert!(left_out.is_empty(), "curated GraphQL queries the locked schema refuses:\n{}", left_out.join("\n"));
}

// Determinism (two fresh `cargo xtask gen` processes over differently ordered copies of the
// input) is checked in `xtask/tests/cli.rs`.
