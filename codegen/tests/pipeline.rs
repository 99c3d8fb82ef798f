//! The pipeline's bookkeeping on small specs: overrides applied, stale or for a missing file;
//! files given twice; additions merged under their own path of their own file; hand-given
//! method names used or stale; identical request structs merged and reported; keys the spec
//! model does not know reported.

use canvas_codegen::overrides::Stale;
use canvas_codegen::report::Rule;
use canvas_codegen::{generate, InputFile, Overrides};

/// A declaration of `resource` with `(method, path, nickname, parameters JSON)` operations.
fn declaration(resource: &str, ops: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let apis: Vec<String> = ops
        .iter()
        .map(|(method, path, nickname, params)| {
            format!(
                r#"{{"path": "{path}", "operations": [{{"method": "{method}", "summary": "{nickname}", "nickname": "{nickname}", "parameters": [{params}], "type": "void"}}]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"apiVersion": "1.0", "swaggerVersion": "1.2", "resourcePath": "/{resource}", "apis": [{}], "models": {{}}}}"#,
        apis.join(",")
    )
    .into_bytes()
}

const ID: &str = r#"{"paramType": "path", "name": "id", "type": "integer", "required": true}"#;

fn overrides(json: &str) -> Overrides {
    Overrides::parse("overrides.json", json.as_bytes()).unwrap()
}

fn anomalies(out: &canvas_codegen::Output, rule: Rule) -> Vec<String> {
    out.report.anomalies.iter().filter(|a| a.kind == rule).map(|a| format!("{}: {}", a.file, a.detail)).collect()
}

#[test]
fn overrides_apply_or_are_reported_stale_with_why() {
    let files =
        [InputFile::upstream("things.json", declaration("things", &[("GET", "/v1/things/{id}", "get_thing", ID)]))];
    let at = "/apis/{path=/v1/things/{id}}/operations/{nickname=get_thing}";
    let o = overrides(&format!(
        r#"{{"overrides": [
            {{"file": "things.json", "at": "{at}", "from": {{"summary": "get_thing"}}, "set": {{"summary": "Show a thing"}}, "reason": "a better summary", "evidence": "the page's title"}},
            {{"file": "things.json", "at": "{at}", "from": {{"notes": "was there"}}, "set": {{"notes": "x"}}, "reason": "a changed target", "evidence": "none at all"}},
            {{"file": "gone.json", "at": "/apis", "set": {{"x": 1}}, "reason": "a missing file", "evidence": "none at all"}}
        ]}}"#
    ));
    let out = generate(&files, &o).unwrap();
    let op = &out.ir.resources[0].operations[0];
    assert_eq!(op.summary, "Show a thing", "the applying override changed the input");
    assert_eq!(anomalies(&out, Rule::RepairedByOverride), [format!("things.json: {at}")]);
    let stale: Vec<(usize, bool, bool)> = out
        .report
        .stale_overrides
        .iter()
        .map(|s| (s.index, matches!(s.stale, Stale::TargetChanged(_)), matches!(s.stale, Stale::TargetGone(_))))
        .collect();
    assert_eq!(stale, [(1, true, false), (2, false, true)], "in the file's order, each with its kind");
    assert_eq!(anomalies(&out, Rule::StaleOverride).len(), 2);
}

#[test]
fn a_file_given_twice_is_an_error() {
    let bytes = declaration("things", &[("GET", "/v1/things", "list_things", "")]);
    let files = [InputFile::upstream("things.json", bytes.clone()), InputFile::upstream("things.json", bytes)];
    let e = generate(&files, &Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("things.json") && e.contains("given twice"), "{e}");
}

#[test]
fn additions_go_to_their_own_file_under_their_own_path() {
    let files = [
        InputFile::upstream("apples.json", declaration("apples", &[("GET", "/v1/apples", "list_apples", "")])),
        InputFile::upstream(
            "pears.json",
            declaration("pears", &[("GET", "/v1/pears", "list_pears", ""), ("GET", "/v1/pears/{id}", "get_pear", ID)]),
        ),
        InputFile::addition("pears.json", declaration("pears", &[("DELETE", "/v1/pears/{id}", "delete_pear", ID)])),
    ];
    let out = generate(&files, &Overrides::default()).unwrap();
    let routes: Vec<(String, String)> = out
        .ir
        .resources
        .iter()
        .flat_map(|r| r.operations.iter().map(move |o| (r.file.clone(), format!("{} {}", o.method.as_str(), o.path))))
        .collect();
    assert!(routes.contains(&("pears.json".into(), "DELETE /v1/pears/{id}".into())), "{routes:?}");
    assert!(!routes.iter().any(|(f, r)| f == "apples.json" && r.contains("pears")), "{routes:?}");
    // Under its own path in the declaration: the route keeps `{id}`.
    let pears = out.ir.resources.iter().find(|r| r.file == "pears.json").unwrap();
    let delete = pears.operations.iter().find(|o| o.method.as_str() == "DELETE").unwrap();
    assert_eq!(delete.routes[0].path, "/v1/pears/{id}");
}

#[test]
fn own_resources_need_no_place_in_the_listing_but_upstream_ones_do() {
    let listing = br#"{"apiVersion": "1.0", "swaggerVersion": "1.2", "apis": [{"path": "/doc/api/apples.json", "description": "Apples"}]}"#;
    let files = [
        InputFile::upstream("api-docs.json", listing.to_vec()),
        InputFile::upstream("apples.json", declaration("apples", &[("GET", "/v1/apples", "list_apples", "")])),
        InputFile::upstream("pears.json", declaration("pears", &[("GET", "/v1/pears", "list_pears", "")])),
        InputFile::own("plums.json", declaration("plums", &[("GET", "/v1/plums", "list_plums", "")])),
    ];
    let out = generate(&files, &Overrides::default()).unwrap();
    assert_eq!(anomalies(&out, Rule::DeclarationNotListed), ["pears.json: api-docs.json does not name it"]);
}

#[test]
fn hand_given_method_names_are_used_or_reported_stale() {
    let files =
        [InputFile::upstream("things.json", declaration("things", &[("GET", "/v1/things", "list_things", "")]))];
    let o = overrides(
        r#"{"names": [
            {"file": "things.json", "nickname": "list_things", "name": "list_all_things", "reason": "clearer"},
            {"file": "things.json", "nickname": "gone_route", "name": "old_name", "reason": "it was once"}
        ]}"#,
    );
    let out = generate(&files, &o).unwrap();
    assert_eq!(out.ir.resources[0].operations[0].fn_name, "list_all_things");
    assert_eq!(anomalies(&out, Rule::StaleMethodName), ["things.json: gone_route"]);
}

#[test]
fn identical_request_structs_are_merged_and_unknown_keys_reported() {
    let course = |n: u8| {
        format!(
            r#"{{"paramType": "form", "name": "course[name]", "type": "string"}}, {{"paramType": "form", "name": "course[code]", "type": "string", "x-n": {n}}}"#
        )
    };
    let files = [InputFile::upstream(
        "courses.json",
        declaration(
            "courses",
            &[
                ("POST", "/v1/courses", "create_course", &course(1)),
                ("PUT", "/v1/courses/{id}", "update_course", &format!("{ID}, {}", course(2))),
            ],
        ),
    )];
    let out = generate(&files, &Overrides::default()).unwrap();
    let merged = out.ir.structs.iter().filter(|s| s.merged_into.is_some()).count();
    assert_eq!(merged, 1, "the second `course[..]` struct is the first");
    assert_eq!(anomalies(&out, Rule::IdenticalRequestStructs), [": 1 structs repeat another of their resource"]);
    let unknown = anomalies(&out, Rule::UnknownKey);
    assert!(unknown.iter().any(|a| a.ends_with("apis[0].operations[0].parameters[1].x-n")), "{unknown:?}");
}

#[test]
fn routes_of_one_action_are_one_method_only_when_parameters_and_response_are_the_same() {
    let q = |name: &str, ty: &str| format!(r#"{{"paramType": "query", "name": "{name}", "type": "{ty}"}}"#);
    let path =
        |name: &str| format!(r#"{{"paramType": "path", "name": "{name}", "type": "integer", "required": true}}"#);
    let family = |course_extra: &str, group_extra: &str, group_type: &str| {
        let decl = format!(
            r#"{{"apiVersion": "1.0", "swaggerVersion": "1.2", "resourcePath": "/things", "apis": [
            {{"path": "/v1/courses/{{course_id}}/things", "operations": [{{"method": "GET", "summary": "List things", "nickname": "list_things_courses", "parameters": [{}{course_extra}], "type": "void"}}]}},
            {{"path": "/v1/groups/{{group_id}}/things", "operations": [{{"method": "GET", "summary": "List things", "nickname": "list_things_groups", "parameters": [{}{group_extra}], "type": "{group_type}"}}]}}
            ], "models": {{}}}}"#,
            path("course_id"),
            path("group_id"),
        );
        let out = generate(&[InputFile::upstream("things.json", decl.into_bytes())], &Overrides::default()).unwrap();
        out.ir.resources[0].operations.iter().map(|o| o.fn_name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(family("", "", "void"), ["list_things"], "same parameters and response: one method with a context");
    let with = |p: &str| format!(", {p}");
    assert_eq!(family(&with(&q("search", "string")), "", "void").len(), 2, "a parameter only one route has");
    assert_eq!(
        family(&with(&q("search", "string")), &with(&q("search", "integer")), "void").len(),
        2,
        "a parameter typed differently"
    );
    assert_eq!(family("", "", "object").len(), 2, "another response");
}
