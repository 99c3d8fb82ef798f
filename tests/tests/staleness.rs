//! The committed `generated/` must be exactly what the generator makes from the locked input.

#[test]
fn generated_crate_is_up_to_date() {
    let dir = xtask::spec_dir(None);
    let (out, _) = xtask::generate(&dir, false).unwrap_or_else(|e| panic!("generation failed: {e}"));
    let problems = xtask::check_problems(&xtask::workspace_root().join("generated"), &out);
    assert!(problems.is_empty(), "generated/ is stale; run `cargo xtask gen`:\n{}", problems.join("\n"));
}

#[test]
fn a_schema_that_renames_a_field_of_a_curated_query_leaves_it_out_and_check_names_it() {
    // A later Canvas release renames `Submission.gradingStatus`, which `course_submissions` selects.
    let mut files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let schema = files.iter_mut().find(|f| f.name == "graphql/schema.graphql").unwrap();
    let renamed = String::from_utf8(schema.bytes.clone()).unwrap().replace("gradingStatus:", "gradingState:");
    schema.bytes = renamed.into_bytes();
    let out = canvas_codegen::generate(&files, &xtask::read_overrides().unwrap()).expect("generation goes on");
    assert!(!out.files.contains_key("src/graphql/course_submissions.rs"));
    assert!(out.files.contains_key("src/graphql/course_enrollment_grades.rs"), "the other queries stay");
    let [q] = out.report.stale_graphql_queries.as_slice() else { panic!("{:?}", out.report.stale_graphql_queries) };
    assert_eq!(
        q.to_string(),
        format!(
            "graphql/queries/course_submissions.graphql ({}): type `Submission` does not have a field `gradingStatus`",
            q.location
        )
    );
    let problems = xtask::check_problems(&xtask::workspace_root().join("generated"), &out);
    let line = format!("curated GraphQL query left out: {q}\n");
    assert!(problems.iter().any(|p| p.starts_with(&line) && p.contains("gradingStatus")), "{problems:#?}");
}

// Determinism (two fresh `cargo xtask gen` processes over differently ordered copies of the
// input) is checked in `xtask/tests/cli.rs`.
