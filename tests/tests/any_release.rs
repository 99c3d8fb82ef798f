//! The generator works unchanged on the description of any Canvas release: inputs derived
//! from the real one the way releases differ (resources come and go, models are renamed or
//! defined differently, types change, new quirks and unknown keys appear) each generate code
//! that parses, with the project's overrides (stale ones are left out), or fail with an error
//! naming the file and the JSON location; together they give a crate that compiles. A seeded
//! fuzz of perturbed JSON never panics and never emits code that does not parse
//! (`CANVAS_FUZZ_CASES`, default 300, and `CANVAS_FUZZ_SEED` for a longer or other run).

use std::panic::{catch_unwind, AssertUnwindSafe};

use canvas_codegen::{InputFile, Output};
use serde_json::{json, Value};

fn real_input() -> Vec<InputFile> {
    xtask::read_all_input(&xtask::spec_dir(None)).unwrap()
}

fn doc(files: &[InputFile], name: &str) -> Value {
    serde_json::from_slice(&files.iter().find(|f| f.name == name).unwrap().bytes).unwrap()
}

fn put(files: &mut Vec<InputFile>, name: &str, value: &Value) {
    let bytes = serde_json::to_vec_pretty(value).unwrap();
    match files.iter_mut().find(|f| f.name == name) {
        Some(f) => f.bytes = bytes,
        None => files.push(InputFile::upstream(name, bytes)),
    }
}

/// Every emitted Rust file parses.
fn assert_parses(label: &str, out: &Output) {
    for (path, text) in out.files.iter().filter(|(p, _)| p.ends_with(".rs")) {
        if let Err(e) = syn::parse_file(text) {
            panic!("{label}: {path} does not parse: {e}");
        }
    }
}

/// A resource no release had, with quirks the real input has few or none of.
fn quirky_resource() -> Value {
    json!({
        "apiVersion": "1.0", "swaggerVersion": "1.2", "basePath": "https://canvas.test/api",
        "resourcePath": "/widgets", "x-future": {"anything": [1, 2]},
        "apis": [
            {"path": "/v1/widgets/{id}/parts/*rest", "operations": [
                {"method": "GET", "summary": "Parts", "nickname": "parts", "type": "{ \"total\": \"integer\", \"parts\": [Widget] }",
                 "parameters": [{"paramType": "path", "name": "id", "type": "string", "required": true}], "x-new": true}]},
            {"path": "/v1/widgets/{widget_id}", "operations": [
                {"method": "PUT", "summary": "Update", "nickname": "parts", "type": "Widget | Gadget",
                 "parameters": [
                    {"paramType": "form", "name": "widget[name]", "type": "string", "enum": [1, 2]},
                    {"paramType": "form", "name": "widget[a][b][<c>][d][]", "type": "Hash"},
                    {"paramType": "form", "name": " `odd name`: ", "type": "SomethingNew"},
                    {"paramType": "query", "name": "include[]", "type": "array", "items": {"$ref": "Nowhere"}},
                    {"paramType": "form", "name": "type", "type": "boolean"},
                    {"paramType": "header", "name": "X-Header", "type": "string"}]},
                {"method": "SNAP", "summary": "", "nickname": "3d", "type": "a list of the widgets",
                 "parameters": [{"paramType": "path", "name": "not_in_path", "type": "integer"}]}]}
        ],
        "models": {
            "Widget": {"id": "Widget", "description": "", "required": "name", "properties": {
                "extra": {"type": "string"}, "type": {"type": "string", "enum": ["a", "A", "unknown", ""]},
                "self": {"$ref": "Widget"}, "3d": {"type": "integer", "format": "float"},
                "parts": {"type": "array", "items": {"$ref": "Gadget"}}, "": {"type": "object"},
                "when": {"type": "datetime"}, "nested": {"type": "array", "items": {"type": "array"}}}},
            "Gadget": {"id": "Gadget", "properties": {"widget": {"$ref": "Widget"}, "Result": {"type": "Result"}}},
            "Result": {"id": "Result", "properties": {"ok": {"type": "boolean"}}}
        }
    })
}

type Mutation = (&'static str, fn(&mut Vec<InputFile>));

fn mutations() -> Vec<Mutation> {
    vec![
        ("half the resources gone", |files| {
            let mut keep = true;
            files.retain(|f| {
                keep = !keep;
                keep || f.own
            })
        }),
        ("a model everyone uses is gone", |files| {
            let mut d = doc(files, "users.json");
            d["models"].as_object_mut().unwrap().remove("User");
            put(files, "users.json", &d);
        }),
        ("a model is renamed", |files| {
            let mut d = doc(files, "courses.json");
            let models = d["models"].as_object_mut().unwrap();
            let mut course = models.remove("Course").unwrap();
            course["id"] = json!("CourseV2");
            models.insert("CourseV2".into(), course);
            put(files, "courses.json", &d);
        }),
        ("a model is defined again, differently, elsewhere", |files| {
            let mut d = doc(files, "tabs.json");
            d["models"]["Course"] = json!({"id": "Course", "properties": {"id": {"type": "string"}, "name": {"type": "integer"}, "new_thing": {"$ref": "Tab"}}});
            put(files, "tabs.json", &d);
        }),
        ("types change", |files| {
            let mut d = doc(files, "assignments.json");
            for (_, m) in d["models"].as_object_mut().unwrap() {
                for (_, p) in m["properties"].as_object_mut().into_iter().flatten() {
                    if p["type"] == "integer" {
                        p["type"] = json!("string");
                    } else if p["type"] == "boolean" {
                        p["type"] = json!("Boolean Or Null");
                    }
                }
            }
            for api in d["apis"].as_array_mut().unwrap() {
                for op in api["operations"].as_array_mut().unwrap() {
                    op["type"] = json!("the assignment, or a list of them");
                    for p in op["parameters"].as_array_mut().unwrap() {
                        if p["type"] == "string" {
                            p["type"] = json!("NewParamType");
                        }
                    }
                }
            }
            put(files, "assignments.json", &d);
        }),
        ("unknown keys everywhere", |files| {
            for name in ["courses.json", "users.json", "enrollments.json"] {
                let mut d = doc(files, name);
                d["x-release"] = json!("2030-01");
                for api in d["apis"].as_array_mut().unwrap() {
                    api["x-api"] = json!({"a": 1});
                    for op in api["operations"].as_array_mut().unwrap() {
                        op["x-op"] = json!([1]);
                        for p in op["parameters"].as_array_mut().unwrap() {
                            p["x-param"] = json!(null);
                        }
                    }
                }
                for (_, m) in d["models"].as_object_mut().unwrap() {
                    m["x-model"] = json!(true);
                }
                put(files, name, &d);
            }
        }),
        ("a new resource with unseen quirks", |files| put(files, "widgets.json", &quirky_resource())),
        ("a resource with no operations", |files| {
            let mut empty = quirky_resource();
            empty["resourcePath"] = json!("/empty");
            empty["apis"] = json!([]);
            empty["models"] = json!({});
            put(files, "empty_resource.json", &empty);
        }),
    ]
}

#[test]
fn inputs_derived_the_way_releases_differ_generate_code_that_parses() {
    let overrides = xtask::read_overrides().unwrap();
    for (label, mutate) in mutations() {
        let mut files = real_input();
        mutate(&mut files);
        let out = catch_unwind(AssertUnwindSafe(|| canvas_codegen::generate(&files, &overrides)))
            .unwrap_or_else(|_| panic!("{label}: the generator panicked"))
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_parses(label, &out);
        assert!(out.report.resources > 0, "{label}");
    }
}

#[test]
fn malformed_files_are_errors_that_name_the_file_and_the_location() {
    type Case = (&'static str, fn(&mut Value), &'static str);
    let cases: [Case; 4] = [
        ("operations is not a list", |d| d["apis"][3]["operations"] = json!({"a": 1}), "apis[3].operations"),
        (
            "a parameter without a name",
            |d| d["apis"][0]["operations"][0]["parameters"] = json!([{"paramType": "query"}]),
            "apis[0].operations[0].parameters[0]",
        ),
        (
            "a model whose properties are a string",
            |d| d["models"]["Course"]["properties"] = json!("none"),
            "models.Course.properties",
        ),
        (
            "no apis",
            |d| {
                d.as_object_mut().unwrap().remove("apis");
            },
            "apis",
        ),
    ];
    for (label, break_it, location) in cases {
        let mut files = real_input();
        let mut d = doc(&files, "courses.json");
        break_it(&mut d);
        put(&mut files, "courses.json", &d);
        let err =
            catch_unwind(AssertUnwindSafe(|| canvas_codegen::generate(&files, &xtask::read_overrides().unwrap())))
                .unwrap_or_else(|_| panic!("{label}: the generator panicked"))
                .map(|_| ())
                .expect_err(label)
                .to_string();
        assert!(err.contains("courses.json") && err.contains(location), "{label}: {err}");
    }
}

/// All the mutations at once, on a handful of resources, as a crate: it compiles.
#[test]
fn a_crate_from_every_mutation_at_once_compiles() {
    let keep = ["courses.json", "users.json", "enrollments.json", "tabs.json", "assignments.json", "files.json"];
    let mut files: Vec<InputFile> = real_input().into_iter().filter(|f| keep.contains(&f.name.as_str())).collect();
    for (_, mutate) in mutations().into_iter().skip(1) {
        mutate(&mut files);
    }
    let out = canvas_codegen::generate(&files, &xtask::read_overrides().unwrap()).unwrap();
    xtask::check_crate(&out.files, "any-release").unwrap();
}

/// JSON values from pieces of the format, for the fuzz.
fn random_value(rng: &mut fastrand::Rng, depth: u32) -> Value {
    const WORDS: &[&str] = &[
        "string",
        "integer",
        "array",
        "object",
        "Course",
        "User",
        "void",
        "boolean",
        "datetime",
        "[Course]",
        "multiple Things",
        "A | B",
        "{ \"x\": \"integer\" }",
        "",
        " ",
        "{id}",
        "/v1/{x}",
        "*glob",
        "include[]",
        "a[b][<c>]",
        "type",
        "self",
        "Result",
        "é",
        "\u{0}",
        "9999999999999999999999",
    ];
    match rng.u32(0..if depth > 2 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => json!(rng.i64(..)),
        3 | 4 => json!(WORDS[rng.usize(0..WORDS.len())]),
        5 => Value::Array((0..rng.usize(0..3)).map(|_| random_value(rng, depth + 1)).collect()),
        _ => Value::Object(
            (0..rng.usize(0..3))
                .map(|_| (WORDS[rng.usize(0..WORDS.len())].to_owned(), random_value(rng, depth + 1)))
                .collect(),
        ),
    }
}

/// One random change somewhere in `v`: a value replaced, a key removed or added, an element
/// repeated, at a random depth.
fn perturb(v: &mut Value, rng: &mut fastrand::Rng, depth: usize) {
    if depth > 0 {
        let child = match v {
            Value::Object(m) if !m.is_empty() => {
                let k = m.keys().nth(rng.usize(0..m.len())).unwrap().clone();
                m.get_mut(&k)
            }
            Value::Array(a) if !a.is_empty() => {
                let i = rng.usize(0..a.len());
                a.get_mut(i)
            }
            _ => None,
        };
        if let Some(child) = child {
            // A scalar child is the value to change; a container is walked into.
            let depth = if child.is_object() || child.is_array() { depth - 1 } else { 0 };
            return perturb(child, rng, depth);
        }
    }
    match (v, rng.u32(0..4)) {
        (Value::Object(m), 0) if !m.is_empty() => {
            let k = m.keys().nth(rng.usize(0..m.len())).unwrap().clone();
            m.remove(&k);
        }
        (Value::Object(m), 1) => {
            let value = random_value(rng, 0);
            m.insert(["type", "items", "$ref", "name", "path", "nickname", "enum", "x"][rng.usize(0..8)].into(), value);
        }
        (Value::Array(a), 2) if !a.is_empty() => {
            let i = rng.usize(0..a.len());
            a.push(a[i].clone());
        }
        // Mostly a value of the same kind (a type word for a type word), so that most cases
        // get past the file's shape into the generator's rules; sometimes anything.
        (node, _) => {
            let mut value = random_value(rng, 0);
            for _ in 0..8 {
                if rng.u32(0..4) == 0 || std::mem::discriminant(&value) == std::mem::discriminant(node) {
                    break;
                }
                value = random_value(rng, 0);
            }
            *node = value;
        }
    }
}

#[test]
fn perturbed_descriptions_never_panic_and_never_emit_code_that_does_not_parse() {
    let cases: usize = std::env::var("CANVAS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let seed: u64 = std::env::var("CANVAS_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0xca11_ab1e);
    let mut rng = fastrand::Rng::with_seed(seed);
    let all = real_input();
    let bases: Vec<(&str, Value)> = ["tabs.json", "courses.json", "quiz_submission_questions.json"]
        .into_iter()
        .map(|n| (n, doc(&all, n)))
        .chain([("widgets.json", quirky_resource())])
        .collect();
    let (mut generated, mut refused) = (0, 0);
    for case in 0..cases {
        let (name, base) = &bases[case % bases.len()];
        let mut d = base.clone();
        for _ in 0..rng.usize(1..6) {
            let depth = rng.usize(2..9);
            perturb(&mut d, &mut rng, depth);
        }
        let files = vec![InputFile::upstream(*name, serde_json::to_vec(&d).unwrap())];
        let result = catch_unwind(AssertUnwindSafe(|| canvas_codegen::generate(&files, &Default::default())));
        let label = format!("case {case} (CANVAS_FUZZ_SEED={seed}) of {name}");
        match result {
            Err(_) => panic!("{label}: the generator panicked on {}", serde_json::to_string(&d).unwrap()),
            Ok(Ok(out)) => {
                generated += 1;
                assert_parses(&label, &out);
            }
            Ok(Err(e)) => {
                refused += 1;
                let text = e.to_string();
                if std::env::var("CANVAS_FUZZ_SHOW").is_ok() {
                    eprintln!("refused: {text}");
                }
                assert!(text.contains(*name), "{label}: the error does not name the file: {text}");
            }
        }
    }
    // Both paths are exercised: most perturbations still generate, some are refused.
    assert!(generated >= cases / 10 && refused > 0, "generated {generated}, refused {refused} of {cases}");
}
