//! The GraphQL part of the generator on a small schema (`tests/graphql/schema.graphql`):
//! what a curated query becomes, and how a query or schema that cannot be emitted is
//! reported (file and place).

use std::collections::BTreeMap;
use std::path::Path;

use canvas_codegen::graphql::{self, QUERY_INPUT_PREFIX, SCHEMA_INPUT};
use canvas_codegen::{Error, InputFile};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graphql").join(name)).unwrap()
}

fn schema() -> InputFile {
    InputFile::upstream(SCHEMA_INPUT, fixture("schema.graphql"))
}

fn query(name: &str, text: &str) -> InputFile {
    InputFile::own(format!("{QUERY_INPUT_PREFIX}{name}"), text.as_bytes().to_vec())
}

fn emit(files: &[InputFile]) -> Result<BTreeMap<String, String>, Error> {
    graphql::emit(files).map(|out| out.expect("a schema is in the input").0)
}

/// The error of emitting `text` as the curated query `bad.graphql`.
fn query_error(text: &str) -> (String, String) {
    match emit(&[schema(), query("bad.graphql", text)]) {
        Err(Error::Input { file, location, message }) => {
            assert_eq!(file, "graphql/queries/bad.graphql", "the error names the query file");
            (location, message)
        }
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn curated_queries_become_documented_cynic_modules() {
    let files = [
        schema(),
        query("course_students.graphql", std::str::from_utf8(&fixture("course_students.graphql")).unwrap()),
        query("course_name.graphql", std::str::from_utf8(&fixture("course_name.graphql")).unwrap()),
    ];
    let out = emit(&files).unwrap();
    assert_eq!(
        out.keys().collect::<Vec<_>>(),
        ["schema.graphql", "src/graphql/course_name.rs", "src/graphql/course_students.rs", "src/graphql/mod.rs"]
    );
    assert_eq!(out["schema.graphql"].as_bytes(), fixture("schema.graphql"), "the schema is shipped as it is");
    let mut text = String::new();
    for (path, body) in out.iter().filter(|(p, _)| p.ends_with(".rs")) {
        text.push_str(&format!("===== {path} =====\n{body}\n"));
    }
    insta::assert_snapshot!("graphql_emitted", text);
}

#[test]
fn a_paged_query_gets_paginated_and_stream_and_others_do_not() {
    let files = [
        schema(),
        query("course_students.graphql", std::str::from_utf8(&fixture("course_students.graphql")).unwrap()),
        query("course_name.graphql", std::str::from_utf8(&fixture("course_name.graphql")).unwrap()),
    ];
    let out = emit(&files).unwrap();
    let paged = &out["src/graphql/course_students.rs"];
    assert!(paged.contains("impl rt::graphql::Paginated for CourseStudents"), "{paged}");
    assert!(
        paged.contains(r#"const CONNECTION: &'static [&'static str] = &["course", "studentsConnection"];"#),
        "{paged}"
    );
    assert!(paged.contains("type Node = User;"), "{paged}");
    assert!(
        paged.contains("course_id: impl std::fmt::Display,\n    ) -> rt::graphql::NodeStream<'_, User>"),
        "{paged}"
    );
    assert!(
        paged.contains(r#"filter: { states: [active], search: "a\"b" }"#)
            || paged.contains(r#"filter:{states:[active], search:"a\"b"}"#),
        "{paged}"
    );
    let plain = &out["src/graphql/course_name.rs"];
    assert!(!plain.contains("Paginated"), "{plain}");
    assert!(plain.contains("pub fn new(sis_id: impl std::fmt::Display) -> Self"), "{plain}");
    let root = &out["src/graphql/mod.rs"];
    assert!(root.contains("#[cynic(fallback)]\n    Unknown(String)"), "every enum has a catch-all: {root}");
    assert!(root.contains("UnknownValue"), "a value named `unknown` does not take the catch-all's name");
    assert!(root.contains("cynic::impl_scalar!(rt::DateTime, schema::DateTime);"), "{root}");
    assert!(root.contains("pub struct Url(pub String);"), "{root}");
    assert!(
        root.contains("- [`course_name`]: the `CourseName` query.")
            && root.contains("- [`course_students`]: Students of a course"),
        "{root}"
    );
}

#[test]
fn no_schema_means_no_graphql_module() {
    assert!(graphql::emit(&[query("q.graphql", "query Q { node(id: 1) { id } }")]).unwrap().is_none());
}

#[test]
fn a_query_the_schema_refuses_is_left_out_and_reported_at_its_line_and_column() {
    // Another release renamed a field a curated query selects: the rest is still emitted.
    let name = std::str::from_utf8(&fixture("course_name.graphql")).unwrap().to_owned();
    let files = [
        schema(),
        query("bad.graphql", "query Bad {\n  course(id: 1) {\n    nmae\n  }\n}\n"),
        query("course_name.graphql", &name),
    ];
    let (out, facts) = graphql::emit(&files).unwrap().unwrap();
    assert_eq!(facts.queries, ["course_name"]);
    assert!(!out.contains_key("src/graphql/bad.rs"));
    assert!(!out["src/graphql/mod.rs"].contains("pub mod bad;"));
    let [stale] = facts.stale_queries.as_slice() else { panic!("{:?}", facts.stale_queries) };
    assert_eq!(stale.file, "graphql/queries/bad.graphql");
    assert_eq!(stale.location, "line 2, column 3", "the first diagnostic: `course` is left with nothing selected");
    assert!(stale.message.contains("does not validate") && stale.message.contains("nmae"), "{}", stale.message);
    assert_eq!(stale.to_string(), format!("graphql/queries/bad.graphql (line 2, column 3): {}", stale.summary));
    assert!(!stale.summary.contains('\n') && stale.message.contains(&stale.summary), "{stale:?}");

    // Through the whole pipeline, the report carries it.
    let out = canvas_codegen::generate(&files, &Default::default()).unwrap();
    assert_eq!(out.report.stale_graphql_queries, facts.stale_queries);
    assert!(out
        .report
        .render()
        .contains("curated GraphQL query left out: graphql/queries/bad.graphql (line 2, column 3)"));
}

#[test]
fn a_query_that_is_not_graphql_is_an_error_whatever_the_schema() {
    let (location, message) = query_error("query Bad {\n  course(id: 1) {\n    name\n}\n");
    assert!(location.starts_with("line 4, "), "at the end, where the closing brace is missing: {location}");
    assert!(message.contains("not valid GraphQL") && message.contains("expected R_CURLY"), "{message}");
}

#[test]
fn what_a_curated_query_cannot_hold_is_named_where_it_is() {
    let cases = [
        ("query { course(id: 1) { name } }", "line 1, column 1", "needs a name"),
        ("query badName { course(id: 1) { name } }", "line 1, column 1", "PascalCase"),
        ("query A { course(id: 1) { name } }\nquery B { course(id: 1) { name } }", "the whole document", "exactly one operation"),
        ("query A { course(id: 1) { things { __typename } } }", "line 1, column 27", "union"),
        ("query A { course(id: 1) { n: name } }", "line 1, column 27", "aliases"),
        ("query A { course(id: 1) { ... on Course { name } } }", "line 1, column 27", "inline fragments"),
        ("query A { course(id: 1) { ...F } }\nfragment F on Course { name }", "fragments", "named fragments"),
        ("query A { course(id: 1) { name @skip(if: true) } }", "line 1, column 27", "directives"),
        ("query A($f: StudentFilter) { course(id: 1) { studentsConnection(filter: $f) { pageInfo { hasNextPage } } } }", "line 1, column 9", "input type"),
        ("query A($id: ID = 1) { course(id: $id) { name } }", "line 1, column 9", "defaults"),
        (
            "query A($after: String) { course(id: 1) { studentsConnection(after: $after) { nodes { name } } } }",
            "line 1, column 43",
            "pageInfo { hasNextPage endCursor }",
        ),
        (
            "query A($after: String) { course(id: 1) { studentsConnection(after: $after) { nodes { name } pageInfo { hasNextPage } } } }",
            "line 1, column 94",
            "selects `endCursor`",
        ),
        (
            "query A($after: String) { course(id: 1) { studentsConnection(after: $after) { pageInfo { hasNextPage endCursor } } } }",
            "line 1, column 43",
            "selects its `nodes`",
        ),
    ];
    for (text, at, says) in cases {
        let (location, message) = query_error(text);
        assert_eq!(location, at, "{text}: {message}");
        assert!(message.contains(says), "{text}: {message}");
    }
}

#[test]
fn a_query_file_name_is_a_module_name() {
    for name in ["Bad.graphql", "1st.graphql", "type.graphql", "a-b.graphql", ".graphql"] {
        match emit(&[schema(), query(name, "query A { course(id: 1) { name } }")]) {
            Err(Error::Input { location, .. }) => assert_eq!(location, "file name", "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_schema_that_does_not_validate_is_an_error_naming_it_and_the_place() {
    let bad = InputFile::upstream(SCHEMA_INPUT, "type Query {\n  a: Missing\n}\n");
    match graphql::emit(&[bad]) {
        Err(Error::Input { file, location, message }) => {
            assert_eq!(file, SCHEMA_INPUT);
            assert_eq!(location, "line 2, column 6");
            assert!(message.contains("Missing"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let not_utf8 = InputFile::upstream(SCHEMA_INPUT, vec![b't', 0xff]);
    assert!(matches!(graphql::emit(&[not_utf8]), Err(Error::Input { location, .. }) if location == "byte 1"));
}

/// The module of `text` emitted as the only curated query `q.graphql`.
fn module_of(text: &str) -> String {
    let out = emit(&[schema(), query("q.graphql", text)]).unwrap_or_else(|e| panic!("{text}: {e}"));
    out["src/graphql/q.rs"].clone()
}

#[test]
fn the_cursor_is_a_nullable_string_named_after_passed_to_an_after_argument() {
    let paged = "query P($sis: String!, $x: String, $after: String) { course(sisId: $sis) { studentsConnection(first: 1, after: $after, filter: { search: $x }) { nodes { name } pageInfo { hasNextPage endCursor } } } }";
    assert!(
        module_of(paged).contains("impl rt::graphql::Paginated for P"),
        "the cursor is $after, whatever comes before it"
    );
    let required = "query P($after: String!) { course(id: 1) { studentsConnection(after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } } }";
    assert!(!module_of(required).contains("Paginated"), "a required $after cannot start at the first page");
    let elsewhere = "query P($after: String, $other: String) { course(sisId: $after) { studentsConnection(after: $other) { nodes { name } pageInfo { hasNextPage endCursor } } } }";
    assert!(!module_of(elsewhere).contains("Paginated"), "$after passed to another argument pages nothing");
    let mutation =
        "mutation M($after: String) { enrol(after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }";
    let m = module_of(mutation);
    assert!(!m.contains("Paginated") && m.contains(r#"graphql_type = "Mutation""#), "a mutation is never paged: {m}");
}

#[test]
fn required_variables_are_constructor_arguments_of_their_own_types_and_in_the_example() {
    let text = "query P($id: ID!, $s: String!, $n: Int!, $flag: Boolean!, $after: String) { course(id: $id, sisId: $s) { studentsConnection(first: $n, after: $after, includeInactive: $flag) { nodes { name } pageInfo { hasNextPage endCursor } } } }";
    let m = module_of(text);
    assert!(
        m.contains("pub fn new(\n        id: impl std::fmt::Display,\n        s: impl std::fmt::Display,\n        n: i32,\n        flag: bool,\n    ) -> Self"),
        "{m}"
    );
    assert!(m.contains("P::stream(&client, 101, \"text\", 1, true)"), "the example passes one value of each type: {m}");
}

#[test]
fn fields_get_the_rust_types_of_their_scalars_and_enums() {
    let m = module_of("query P { course(id: 1) { points studentCount createdAt imageUrl type response } }");
    for field in [
        "pub points: Option<f64>,",
        "pub student_count: Option<i32>,",
        "pub created_at: Option<rt::DateTime>,",
        "pub image_url: Option<super::Url>,",
        "pub type_: Option<super::CourseType>,",
        "pub response: Option<super::ResponseEnum>,",
    ] {
        assert!(m.contains(field), "{field} in {m}");
    }
}

#[test]
fn only_the_enums_a_query_uses_are_emitted_and_none_shadows_the_runtime_s_names() {
    let out = emit(&[schema(), query("q.graphql", "query P { course(id: 1) { response } }")]).unwrap();
    let root = &out["src/graphql/mod.rs"];
    assert!(root.contains("pub enum ResponseEnum"), "`Response` is the runtime's response type: {root}");
    assert!(!root.contains("pub enum CourseType") && !root.contains("pub enum Unused"), "{root}");
}

#[test]
fn a_selection_met_again_is_one_struct_and_different_ones_get_names_of_their_own() {
    // The same selection of `Course` in two places is one struct; its variable reaches the root.
    let m = module_of("query P($n: Int) { course(id: 1) { studentsConnection(first: $n) { pageInfo { hasNextPage } } } favoriteCourse { studentsConnection(first: $n) { pageInfo { hasNextPage } } } }");
    assert_eq!(m.matches("pub struct Course ").count(), 1, "{m}");
    assert!(m.contains("pub favorite_course: Option<Course>,"), "{m}");
    assert!(
        m.contains(
            r#"graphql_type = "Query",
    variables = "PVariables""#
        ),
        "the root uses $n through the shared struct: {m}"
    );
    // A struct met again under another parent: that parent uses the variable through it.
    let m = module_of("query P($n: Int) { course(id: 1) { name parent { studentsConnection(first: $n) { pageInfo { hasNextPage } } } } favoriteCourse { points parent { studentsConnection(first: $n) { pageInfo { hasNextPage } } } } }");
    assert!(
        m.contains(
            r#"graphql_type = "Course",
    variables = "PVariables"
)]
pub struct FavoriteCourseCourse {"#
        ),
        "{m}"
    );
    // Four selections of `Course` reached through `parent`: named after the field, then numbered.
    let m = module_of("query P { course(id: 1) { name parent { _id parent { id parent { createdAt } } } } }");
    for name in
        ["pub struct Course ", "pub struct ParentCourse ", "pub struct ParentCourse2 ", "pub struct ParentCourse3 "]
    {
        assert!(m.contains(name), "{name} in {m}");
    }
}

#[test]
fn the_crate_files_say_there_is_a_graphql_feature_and_pass_the_schema_on() {
    let swagger = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/markup/docs.json")).unwrap();
    let files = vec![
        InputFile::upstream("docs.json", swagger),
        schema(),
        query("course_name.graphql", std::str::from_utf8(&fixture("course_name.graphql")).unwrap()),
    ];
    // The GraphQL files are not Swagger: the REST pipeline leaves them to the GraphQL one.
    assert!(files[1].is_graphql() && files[2].is_graphql() && !files[0].is_graphql());
    let out = canvas_codegen::generate(&files, &Default::default()).unwrap();
    let cargo = &out.files["Cargo.toml"];
    assert!(cargo.contains("links = \"canvas_lms\"\nbuild = \"build.rs\""), "{cargo}");
    assert!(cargo.contains("cynic = { workspace = true, optional = true }"), "{cargo}");
    assert!(cargo.contains("# `graphql`: Canvas's GraphQL API (15 types)"), "{cargo}");
    assert!(cargo.contains("graphql = [\"dep:cynic\", \"canvas-lms-runtime/graphql\"]"), "{cargo}");
    let build = &out.files["build.rs"];
    assert!(build.contains("CARGO_FEATURE_GRAPHQL") && build.contains("cargo::metadata=graphql_schema={}"), "{build}");
    let lib = &out.files["src/lib.rs"];
    assert!(lib.contains("#[cfg(feature = \"graphql\")]\npub mod graphql;"), "{lib}");
    assert!(lib.contains("pub fn graphql(&self) -> graphql::Graphql<'_>"), "{lib}");
    assert!(lib.contains("Canvas's GraphQL schema (15 types)") && lib.contains("(`course_name`)"), "{lib}");
    assert!(out.files.contains_key("schema.graphql") && out.files.contains_key("src/graphql/course_name.rs"));
    // Without a schema, none of it.
    let rest = canvas_codegen::generate(&files[..1], &Default::default()).unwrap();
    assert!(!rest.files.contains_key("build.rs") && !rest.files["Cargo.toml"].contains("graphql"));
}
