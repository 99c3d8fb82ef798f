//! `cargo xtask bench --graphql`: the figures behind the choice of cynic over graphql_client
//! (the same query of Canvas's schema written for each, built alternately) and what the
//! `graphql` feature costs a downstream build of `canvas-lms`.

use std::path::Path;

use crate::bench::{timed, Cost};

/// The query both crates are asked to check: the curated course-submissions query.
const QUERY: &str = r#"query CourseSubmissions($courseId: ID!, $after: String) {
  course(id: $courseId) {
    _id
    name
    submissionsConnection(first: 100, after: $after) {
      nodes { _id assignmentId grade score state submittedAt user { _id name } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"#;

/// The query as cynic types (what `canvas_lms::graphql::course_submissions` holds, trimmed).
const CYNIC_LIB: &str = r#"#[cynic::schema("canvas")]
pub mod schema {}

#[derive(cynic::QueryVariables, Debug)]
pub struct Vars { pub course_id: cynic::Id, pub after: Option<String> }

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "Vars")]
pub struct CourseSubmissions { #[arguments(id: $course_id)] pub course: Option<Course> }

#[derive(cynic::QueryFragment, Debug)]
#[cynic(variables = "Vars")]
pub struct Course {
    #[cynic(rename = "_id")] pub legacy_id: cynic::Id,
    pub name: String,
    #[arguments(first: 100, after: $after)] pub submissions_connection: Option<SubmissionConnection>,
}

#[derive(cynic::QueryFragment, Debug)]
pub struct SubmissionConnection { pub nodes: Option<Vec<Option<Submission>>>, pub page_info: PageInfo }

#[derive(cynic::QueryFragment, Debug)]
pub struct PageInfo { pub has_next_page: bool, pub end_cursor: Option<String> }

#[derive(cynic::QueryFragment, Debug)]
pub struct Submission {
    #[cynic(rename = "_id")] pub legacy_id: cynic::Id,
    pub assignment_id: cynic::Id,
    pub grade: Option<String>,
    pub score: Option<f64>,
    pub state: SubmissionState,
    pub submitted_at: Option<DateTime>,
    pub user: Option<User>,
}

#[derive(cynic::QueryFragment, Debug)]
pub struct User { #[cynic(rename = "_id")] pub legacy_id: cynic::Id, pub name: Option<HtmlEncodedString> }

#[derive(cynic::Enum, Debug, Clone, Copy)]
#[cynic(rename_all = "snake_case")]
pub enum SubmissionState { Deleted, Graded, PendingReview, Submitted, Ungraded, Unsubmitted }

#[derive(cynic::Scalar, Debug)]
pub struct DateTime(pub String);

#[derive(cynic::Scalar, Debug)]
pub struct HtmlEncodedString(pub String);

pub fn query() -> String {
    use cynic::QueryBuilder;
    CourseSubmissions::build(Vars { course_id: cynic::Id::new("1"), after: None }).query
}
"#;

const CYNIC_BUILD: &str = r#"fn main() {
    cynic_codegen::register_schema("canvas").from_sdl_file("schema.graphql").unwrap().as_default().unwrap();
}
"#;

const GRAPHQL_CLIENT_LIB: &str = r#"use graphql_client::GraphQLQuery;

type DateTime = String;
type HtmlEncodedString = String;

#[derive(GraphQLQuery)]
#[graphql(schema_path = "schema.graphql", query_path = "query.graphql", response_derives = "Debug")]
pub struct CourseSubmissions;

pub fn query() -> String {
    CourseSubmissions::build_query(course_submissions::Variables { course_id: "1".into(), after: None }).query.to_owned()
}
"#;

/// One contender: its crate, the misspelling that must fail, and what to print of it.
struct Contender {
    name: &'static str,
    dependencies: &'static str,
    files: Vec<(&'static str, String)>,
    /// (file, text, misspelled text)
    misspelling: (&'static str, &'static str, &'static str),
}

fn contenders(schema: &str) -> Vec<Contender> {
    vec![
        Contender {
            name: "cynic",
            dependencies: "[dependencies]\ncynic = \"3.14\"\n\n[build-dependencies]\ncynic-codegen = \"3.14\"\n",
            files: vec![
                ("src/lib.rs", CYNIC_LIB.to_owned()),
                ("build.rs", CYNIC_BUILD.to_owned()),
                ("schema.graphql", schema.to_owned()),
            ],
            misspelling: ("src/lib.rs", "pub grade: Option<String>", "pub grdae: Option<String>"),
        },
        Contender {
            name: "graphql_client",
            dependencies:
                "[dependencies]\ngraphql_client = \"0.16\"\nserde = { version = \"1\", features = [\"derive\"] }\n",
            files: vec![
                ("src/lib.rs", GRAPHQL_CLIENT_LIB.to_owned()),
                ("query.graphql", QUERY.to_owned()),
                ("schema.graphql", schema.to_owned()),
            ],
            misspelling: ("query.graphql", " grade ", " grdae "),
        },
    ]
}

/// Builds each contender's crate `runs` times, alternately: a clean build of everything (a
/// fresh machine), then the crate alone (dependencies built: what each query costs); then
/// prints the first lines of each one's error for a misspelled field. Then the cost of the
/// `graphql` feature in a downstream build of `canvas-lms`.
pub fn run(runs: usize) -> Result<(), String> {
    let root = xtask::workspace_root();
    let schema = std::fs::read_to_string(root.join("generated/schema.graphql"))
        .map_err(|e| format!("generated/schema.graphql: {e}"))?;
    let base = root.join("target/graphql-bench");
    let contenders = contenders(&schema);
    for c in &contenders {
        write_crate(&base.join(c.name), c)?;
    }
    for run in 1..=runs.max(1) {
        for c in &contenders {
            let dir = base.join(c.name);
            let env = [("CARGO_TARGET_DIR", dir.join("target").display().to_string())];
            timed(&dir, &["clean", "--quiet"], &env)?;
            let fresh = timed(&dir, &["build", "--quiet"], &env)?;
            timed(&dir, &["clean", "--quiet", "-p", &c.name.replace('_', "-")], &env)?;
            let alone = timed(&dir, &["build", "--quiet"], &env)?;
            println!(
                "graphql {} (run {run}): fresh build {}; the crate alone {}",
                c.name,
                describe(&fresh),
                describe(&alone)
            );
        }
    }
    for c in &contenders {
        let dir = base.join(c.name);
        let (file, good, bad) = c.misspelling;
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        std::fs::write(&path, text.replace(good, bad)).map_err(|e| e.to_string())?;
        let out = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .output()
            .map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!(
            "graphql {}: a misspelled field ({}), first error:",
            c.name,
            if out.status.success() { "COMPILED" } else { "refused" }
        );
        for line in stderr.lines().take(8) {
            println!("    {line}");
        }
    }
    feature_cost(&root, runs)
}

/// `canvas-lms` as a dependency with `courses`, then with `courses` and `graphql`, then
/// `graphql` with a query of the downstream crate's own (dev profile, alternated).
fn feature_cost(root: &Path, runs: usize) -> Result<(), String> {
    let dir = root.join("target/graphql-bench/downstream");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let env = [("CARGO_TARGET_DIR", dir.join("target").display().to_string())];
    let generated = root.join("generated").display().to_string();
    let cases: [(&str, &str, &str); 3] = [
        ("courses", "\"courses\"", ""),
        ("courses + graphql", "\"courses\", \"graphql\"", ""),
        ("courses + graphql + an own query", "\"courses\", \"graphql\"", OWN_QUERY),
    ];
    for run in 1..=runs.max(1) {
        for (label, features, own) in cases {
            let mut manifest = format!(
                "[package]\nname = \"graphql-downstream-bench\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
                 [dependencies]\ncanvas-lms = {{ path = {generated:?}, default-features = false, features = [{features}] }}\n"
            );
            if own.is_empty() {
                let _ = std::fs::remove_file(dir.join("build.rs"));
            } else {
                manifest.push_str("cynic = \"3.14\"\n\n[build-dependencies]\ncynic-codegen = \"3.14\"\n");
                std::fs::write(dir.join("build.rs"), OWN_BUILD).map_err(|e| e.to_string())?;
            }
            manifest.push_str("\n[workspace]\n");
            xtask::scratch_manifest(&dir, &manifest, root)?;
            std::fs::write(dir.join("src/lib.rs"), format!("//! A downstream crate.\n{own}"))
                .map_err(|e| e.to_string())?;
            timed(&dir, &["build", "--offline", "--quiet"], &env)?;
            timed(
                &dir,
                &["clean", "--offline", "--quiet", "-p", "canvas-lms", "-p", "graphql-downstream-bench"],
                &env,
            )?;
            let cost = timed(&dir, &["build", "--offline", "--quiet"], &env)?;
            println!("graphql downstream, canvas-lms with {label} (run {run}): {}", describe(&cost));
        }
    }
    Ok(())
}

const OWN_BUILD: &str = r#"fn main() {
    let schema = std::env::var("DEP_CANVAS_LMS_GRAPHQL_SCHEMA").unwrap();
    cynic_codegen::register_schema("canvas").from_sdl_file(schema).unwrap().as_default().unwrap();
}
"#;

const OWN_QUERY: &str = r#"#[derive(cynic::QueryVariables)]
#[cynic(schema_module = "canvas_lms::graphql::schema")]
pub struct Vars { pub id: cynic::Id }

#[derive(cynic::QueryFragment, Debug)]
#[cynic(schema_module = "canvas_lms::graphql::schema", graphql_type = "Query", variables = "Vars")]
pub struct Due { #[arguments(id: $id)] pub assignment: Option<Assignment> }

#[derive(cynic::QueryFragment, Debug)]
#[cynic(schema_module = "canvas_lms::graphql::schema")]
pub struct Assignment { pub name: Option<String>, pub due_at: Option<canvas_lms::DateTime> }

pub async fn due(c: &canvas_lms::Client) -> canvas_lms::Result<Due> {
    c.graphql().query::<Due>(Vars { id: cynic::Id::new("1") }).await
}
"#;

fn write_crate(dir: &Path, c: &Contender) -> Result<(), String> {
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n{}\n[workspace]\n",
        c.name.replace('_', "-"),
        c.dependencies
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    for (path, text) in &c.files {
        std::fs::write(dir.join(path), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn describe(cost: &Cost) -> String {
    let cpu = cost.cpu.map(|s| format!(", {s:.1} s CPU")).unwrap_or_default();
    format!("{:.1} s wall{cpu}, peak RSS {}", cost.wall, cost.rss)
}
