//! Our additions (`spec/additions/`, operations of Canvas releases newer than the upstream
//! set) extend the file of the same name, or make a resource of their own; what the input has
//! already is kept and reported, so a newer upstream set never gets an operation twice.

use canvas_codegen::{generate, InputFile, Overrides};

fn declaration(resource: &str, ops: &[(&str, &str, &str)], models: &str) -> Vec<u8> {
    let apis: Vec<String> = ops
        .iter()
        .map(|(method, path, nickname)| {
            format!(r#"{{"path": "{path}", "operations": [{{"method": "{method}", "summary": "s", "nickname": "{nickname}", "parameters": [], "type": "void"}}]}}"#)
        })
        .collect();
    format!(
        r#"{{"apiVersion": "1.0", "swaggerVersion": "1.2", "resourcePath": "/{resource}", "apis": [{}], "models": {{{models}}}}}"#,
        apis.join(",")
    )
    .into_bytes()
}

#[test]
fn additions_extend_their_file_or_stand_alone_and_never_repeat_the_input() {
    let files = vec![
        InputFile::upstream(
            "grading_standards.json",
            declaration(
                "grading_standards",
                &[("GET", "/v1/courses/{course_id}/grading_standards", "list")],
                r#""GradingStandard": {"id": "GradingStandard", "properties": {"id": {"type": "integer"}}}"#,
            ),
        ),
        InputFile::addition(
            "grading_standards.json",
            declaration(
                "grading_standards",
                &[
                    ("PUT", "/v1/courses/{course_id}/grading_standards/{id}", "update"),
                    ("GET", "/v1/courses/{course_id}/grading_standards", "list_again"),
                ],
                r#""GradingStandard": {"id": "GradingStandard", "properties": {"name": {"type": "string"}}}"#,
            ),
        ),
        InputFile::addition(
            "ai_experiences.json",
            declaration(
                "ai_experiences",
                &[("GET", "/v1/courses/{course_id}/ai_experiences", "list_ai_experiences")],
                "",
            ),
        ),
    ];
    let out = generate(&files, &Overrides::default()).unwrap();
    let names: Vec<(&str, Vec<&str>)> = out
        .ir
        .resources
        .iter()
        .map(|r| (r.file.as_str(), r.operations.iter().map(|o| o.nickname()).collect()))
        .collect();
    assert_eq!(
        names,
        [("grading_standards.json", vec!["list", "update"]), ("ai_experiences.json", vec!["list_ai_experiences"])]
    );
    let repeated: Vec<&str> = out
        .report
        .anomalies
        .iter()
        .filter(|a| a.kind == canvas_codegen::report::Rule::AdditionAlreadyInInput)
        .map(|a| a.detail.as_str())
        .collect();
    assert_eq!(repeated, ["GET /v1/courses/{course_id}/grading_standards (list_again)", "model GradingStandard"]);
    let model = out.ir.models.iter().find(|m| m.spec_name == "GradingStandard").unwrap();
    assert_eq!(
        model.fields.iter().map(|f| f.wire.as_str()).collect::<Vec<_>>(),
        ["id"],
        "the input's definition is kept"
    );
    // The lock records the upstream files as they are, not as extended.
    assert!(canvas_codegen::lock::render(&files).contains("grading_standards.json"));
    assert!(!canvas_codegen::lock::render(&files).contains("ai_experiences.json"));
}
