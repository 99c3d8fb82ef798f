//! A downstream crate writing its own GraphQL query, as `canvas_lms::graphql`'s docs tell it
//! to: the schema text comes from `DEP_CANVAS_LMS_GRAPHQL_SCHEMA` in its build script (no file
//! copied), the schema markers from `canvas_lms::graphql::schema`. It compiles, and a field
//! the schema does not have fails its build with cynic's message at the field; a field of
//! the wrong type and variables the operation does not take fail too.

use std::path::Path;
use std::process::Command;

const BUILD_RS: &str = r#"fn main() {
    let schema = std::env::var("DEP_CANVAS_LMS_GRAPHQL_SCHEMA").expect("canvas-lms with its graphql feature");
    cynic_codegen::register_schema("canvas").from_sdl_file(schema).unwrap().as_default().unwrap();
}
"#;

const LIB_RS: &str = r#"//! A user's own query, with the crate's enums and timestamps.

#[derive(cynic::QueryVariables, Debug)]
#[cynic(schema_module = "canvas_lms::graphql::schema")]
pub struct AssignmentVariables {
    pub id: cynic::Id,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(schema_module = "canvas_lms::graphql::schema", graphql_type = "Query", variables = "AssignmentVariables")]
pub struct AssignmentDue {
    #[arguments(id: $id)]
    pub assignment: Option<Assignment>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(schema_module = "canvas_lms::graphql::schema")]
pub struct Assignment {
    pub name: Option<String>,
    pub state: canvas_lms::graphql::AssignmentState,
    pub due_at: Option<canvas_lms::DateTime>,
}

pub async fn due(client: &canvas_lms::Client, id: &str) -> canvas_lms::Result<AssignmentDue> {
    client.graphql().query::<AssignmentDue>(AssignmentVariables { id: cynic::Id::new(id) }).await
}
"#;

fn check(dir: &Path, lib: &str) -> std::process::Output {
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let root = xtask::workspace_root();
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--quiet", "--offline", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target/scratch-crates-target"))
        .output()
        .unwrap()
}

#[test]
fn a_downstream_crate_checks_its_own_query_against_the_shipped_schema() {
    let root = xtask::workspace_root();
    let dir = root.join("target/graphql-downstream-crate");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"graphql-downstream\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\ncanvas-lms = {{ path = {:?}, default-features = false, features = [\"graphql\"] }}\n\
         cynic = \"3.14\"\n\n[build-dependencies]\ncynic-codegen = \"3.14\"\n\n[workspace]\n",
        root.join("generated").display().to_string()
    );
    xtask::scratch_manifest(&dir, &manifest, &root).unwrap();
    std::fs::write(dir.join("build.rs"), BUILD_RS).unwrap();

    let ok = check(&dir, LIB_RS);
    assert!(ok.status.success(), "the user's query does not compile:\n{}", String::from_utf8_lossy(&ok.stderr));

    let misspelled = check(&dir, &LIB_RS.replace("pub name: Option<String>", "pub nmae: Option<String>"));
    let stderr = String::from_utf8_lossy(&misspelled.stderr);
    assert!(!misspelled.status.success(), "a field Canvas's schema lacks must not compile");
    assert!(
        stderr.contains("no field `nmae` on the GraphQL type `Assignment`") && stderr.contains("Did you mean `name`?"),
        "cynic names the field and suggests the right one:\n{stderr}"
    );

    let wrong_type = check(&dir, &LIB_RS.replace("pub name: Option<String>", "pub name: Option<i32>"));
    assert!(!wrong_type.status.success(), "a field of the wrong Rust type must not compile");
    assert!(
        String::from_utf8_lossy(&wrong_type.stderr).contains("IsScalar"),
        "{}",
        String::from_utf8_lossy(&wrong_type.stderr)
    );

    // The operation is the only type a call names; variables of another shape do not fit it.
    let call = "query::<AssignmentDue>(AssignmentVariables { id: cynic::Id::new(id) })";
    let wrong_vars = check(&dir, &LIB_RS.replace(call, "query::<AssignmentDue>(())"));
    let stderr = String::from_utf8_lossy(&wrong_vars.stderr);
    assert!(!wrong_vars.status.success(), "variables of another operation must not compile");
    assert!(stderr.contains("VariablesOf<AssignmentDue>"), "the error names what the call needs:\n{stderr}");
}
