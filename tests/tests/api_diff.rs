//! The Rust API report between the committed crate and a regeneration: nothing when they are
//! the same; removed resources and operations are breaking, added ones are additions.

use canvas_codegen::api_diff::{render, Severity};

#[test]
fn the_committed_crate_and_a_regeneration_have_the_same_api() {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    let changes = xtask::api_changes(&xtask::workspace_root().join("generated"), &out.files).unwrap();
    assert!(changes.is_empty(), "{}", render(&changes, "0.1.0"));
}

#[test]
fn a_release_without_a_resource_and_with_a_new_operation_is_reported_by_semver() {
    let mut files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    files.retain(|f| f.name != "tabs.json");
    let courses = files.iter_mut().find(|f| f.name == "courses.json").unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&courses.bytes).unwrap();
    doc["apis"].as_array_mut().unwrap().push(
        serde_json::json!({"path": "/v1/courses/{course_id}/sparkles", "operations": [
        {"method": "GET", "summary": "List sparkles", "nickname": "list_sparkles", "parameters": [
            {"paramType": "path", "name": "course_id", "type": "string", "required": true}], "type": "void"}]}),
    );
    // A field Canvas adds to a model: models are `#[non_exhaustive]`, so it is an addition.
    doc["models"]["Course"]["properties"]["sparkle_count"] = serde_json::json!({"type": "integer"});
    courses.bytes = serde_json::to_vec(&doc).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    let changes = xtask::api_changes(&xtask::workspace_root().join("generated"), &out.files).unwrap();
    let find = |severity: Severity, path: &str| changes.iter().any(|c| c.severity == severity && c.path == path);
    assert!(find(Severity::Breaking, "tabs"), "the module is gone");
    assert!(find(Severity::Breaking, "tabs::Tabs::list_available_tabs_for_course_or_group"));
    assert!(find(Severity::Addition, "courses::Courses::list_sparkles"));
    assert!(find(Severity::Addition, "impl Operation for courses::ListSparkles"));
    assert!(find(Severity::Addition, "models::Course.sparkle_count"), "{}", render(&changes, "0.1.0"));
    let text = render(&changes, "0.1.0");
    assert!(text.contains("-> **0.2.0**") && text.contains("## Breaking") && text.contains("## Added"), "{text}");
}

#[test]
fn a_method_canvas_renames_shows_as_its_route_sent_by_another_name() {
    let mut files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let courses = files.iter_mut().find(|f| f.name == "courses.json" && !f.addition).unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&courses.bytes).unwrap();
    for api in doc["apis"].as_array_mut().unwrap() {
        for op in api["operations"].as_array_mut().unwrap() {
            if op["nickname"] == "list_your_courses" {
                op["nickname"] = serde_json::json!("list_my_courses");
                op["summary"] = serde_json::json!("List my courses");
            }
        }
    }
    courses.bytes = serde_json::to_vec(&doc).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    let changes = xtask::api_changes(&xtask::workspace_root().join("generated"), &out.files).unwrap();
    let renamed = changes.iter().find(|c| c.path == "route GET /api/v1/courses").expect("the route is reported");
    assert_eq!(renamed.severity, Severity::Breaking);
    assert_eq!(
        renamed.what,
        "renamed: sent by `courses::Courses::list_my_courses`, was `courses::Courses::list_your_courses`"
    );
    // Nothing else Canvas did not change is renamed.
    let other_routes: Vec<_> =
        changes.iter().filter(|c| c.path.starts_with("route ") && c.path != renamed.path).collect();
    assert!(other_routes.is_empty(), "{other_routes:#?}");
}
