//! The naming rules (`codegen/src/lower/families.rs`, `codegen/src/passes/naming.rs`) hold
//! over the whole generated crate, and names are stable: regenerating from changed input
//! renames nothing that the change does not concern.

use std::collections::{BTreeMap, BTreeSet};

use canvas_codegen::ir::Ir;
use canvas_codegen::report::Rule;
use canvas_codegen::{InputFile, Output};
use serde_json::{json, Value};

fn input() -> Vec<InputFile> {
    xtask::read_all_input(&xtask::spec_dir(None)).unwrap()
}

fn generate(files: &[InputFile]) -> Output {
    xtask::generate_files(files).unwrap()
}

/// Every route's method and builder: `file nickname METHOD path` → `module::fn (Builder)`.
fn method_names(ir: &Ir) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in &ir.resources {
        for op in &r.operations {
            for route in &op.routes {
                let key = format!("{} {} {} {}", r.file, route.nickname, op.method.as_str(), route.path);
                out.insert(key, format!("{}::{} ({})", r.module, op.fn_name, op.builder_name));
            }
        }
    }
    out
}

/// Every request type, by where it is sent and whose it is: `module wire-path (operation)` →
/// its name; and the enums by module, wire values and operation.
fn type_names(ir: &Ir) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let module = |owner: canvas_codegen::ir::Owner| match owner {
        canvas_codegen::ir::Owner::Models => "models".to_owned(),
        canvas_codegen::ir::Owner::Resource(i) => ir.resources[i].module.clone(),
    };
    for s in ir.structs.iter().filter(|s| s.merged_into.is_none()) {
        let fields: Vec<(&str, bool)> = s.fields.iter().map(|f| (f.wire.as_str(), f.required)).collect();
        let key = format!("{} struct {} of {} {:?}", module(s.owner), s.wire_path, s.names.operation, fields);
        assert!(out.insert(key.clone(), s.rust_name.clone()).is_none(), "two structs are {key}");
    }
    for e in &ir.enums {
        let operation = e.names.as_ref().map(|n| n.operation.as_str()).unwrap_or_default();
        let key = format!("{} enum {:?} {} of {operation}", module(e.owner), e.values, e.description);
        assert!(out.insert(key.clone(), e.rust_name.clone()).is_none(), "two enums are {key}");
    }
    for m in &ir.models {
        out.insert(format!("model {}", m.spec_name), m.rust_name.clone());
    }
    out
}

/// Names in `before` that `after` has under another name, or not at all.
fn renamed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    before
        .iter()
        .filter_map(|(k, v)| match after.get(k) {
            Some(w) if w == v => None,
            Some(w) => Some(format!("{k}: {v} -> {w}")),
            None => Some(format!("{k}: {v} is gone")),
        })
        .collect()
}

fn edit(files: &mut [InputFile], name: &str, change: impl FnOnce(&mut Value)) {
    let f = files.iter_mut().find(|f| f.name == name && !f.addition).unwrap();
    let mut doc: Value = serde_json::from_slice(&f.bytes).unwrap();
    change(&mut doc);
    f.bytes = serde_json::to_vec(&doc).unwrap();
}

#[test]
fn no_method_name_ends_in_a_word_of_its_route() {
    let out = generate(&input());
    let overrides = xtask::read_overrides().unwrap();
    let mut bad = Vec::new();
    for r in &out.ir.resources {
        for op in &r.operations {
            let literals: BTreeSet<&str> = op
                .routes
                .iter()
                .flat_map(|route| route.path.split('/'))
                .filter(|s| !s.is_empty() && !s.starts_with('{'))
                .collect();
            // What the method adds to Canvas's title of the action. A name that does not start
            // with the action was given by hand (`names` in spec/overrides.json, with a reason).
            let Some(added) = op.fn_name.strip_prefix(op.action.as_str()) else {
                assert!(
                    overrides.names.iter().any(|n| n.name == op.fn_name && n.file == r.file),
                    "{}::{} is neither its action {} nor a name given by hand",
                    r.module,
                    op.fn_name,
                    op.action
                );
                continue;
            };
            if added.is_empty() {
                continue;
            }
            if let Some(word) = literals.iter().find(|l| added.ends_with(&format!("_{l}")) || added == **l) {
                bad.push(format!("{}::{} ends in the route word {word:?}", r.module, op.fn_name));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn no_name_repeats_a_word_or_is_numbered() {
    let out = generate(&input());
    // Renames by suffix are reported: none may be left for methods, builders or request types.
    let numbered: Vec<_> = out
        .report
        .anomalies
        .iter()
        .filter(|a| matches!(a.kind, Rule::BuilderName | Rule::FunctionName | Rule::RequestTypeName))
        .collect();
    assert!(numbered.is_empty(), "{numbered:#?}");
    let words = |name: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in name.chars() {
            if c.is_ascii_uppercase() || out.is_empty() {
                out.push(String::new());
            }
            out.last_mut().unwrap().push(c.to_ascii_lowercase());
        }
        out
    };
    let mut names: Vec<String> =
        out.ir.structs.iter().filter(|s| s.merged_into.is_none()).map(|s| s.rust_name.clone()).collect();
    names.extend(out.ir.enums.iter().map(|e| e.rust_name.clone()));
    names.extend(out.ir.resources.iter().flat_map(|r| r.operations.iter().map(|o| o.builder_name.clone())));
    let repeating: Vec<&String> = names.iter().filter(|n| words(n).windows(2).any(|w| w[0] == w[1])).collect();
    assert!(repeating.is_empty(), "a word said twice in a row: {repeating:?}");
    // Request types are named after the key they fill: the operation's name alone is the builder's.
    for s in out.ir.structs.iter().filter(|s| s.merged_into.is_none()) {
        assert!(
            s.rust_name.contains(&s.names.own)
                || s.rust_name.contains(&canvas_codegen::naming::without_repeats(&s.names.path)),
            "{} is not named after its key {}",
            s.rust_name,
            s.names.own
        );
    }
}

#[test]
fn constructors_and_setters_take_the_same_argument_types() {
    let out = generate(&input());
    for (path, text) in out.files.iter().filter(|(p, _)| p.ends_with(".rs")) {
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for plain in [": String,", ": String)", ": rt::Id,", ": rt::Id)", ": Vec<String>", ": Vec<rt::Id>"] {
            for (at, _) in flat.match_indices(plain) {
                let before = &flat[..at];
                let in_fn = before.rfind("pub fn ").is_some_and(|f| !before[f..].contains('{'));
                assert!(!in_fn, "{path}: an argument typed {plain:?}: {}", &flat[at.saturating_sub(120)..at + 20]);
            }
        }
    }
}

#[test]
fn every_method_is_findable_from_canvas_docs() {
    let out = generate(&input());
    for r in &out.ir.resources {
        let module = &out.files[&format!("src/{}.rs", r.module)];
        // prettyplease wraps long attributes: compare with whitespace collapsed.
        let flat = module.split_whitespace().collect::<Vec<_>>().join(" ");
        for op in &r.operations {
            let name = op.fn_name.trim_start_matches("r#");
            for route in &op.routes {
                let row = format!("| `{} /api{}` | [`{name}`]", op.method.as_str(), route.path);
                assert!(module.contains(&row), "{}: no index row {row}", r.module);
                if route.nickname != op.fn_name {
                    let alias = format!("alias = \"{}\"", route.nickname);
                    assert!(flat.contains(&alias), "{}: {name} has no alias {}", r.module, route.nickname);
                }
            }
            let title = op.summary.lines().next().unwrap_or_default().trim().trim_end_matches('.');
            if !title.is_empty() && !title.contains('"') && !title.contains('\'') {
                let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(flat.contains(&format!("alias = \"{title}\"")), "{}: {name} has no alias {title:?}", r.module);
            }
        }
        assert!(!module.to_ascii_lowercase().contains("/// no description"), "{}: a placeholder doc", r.module);
        // A builder's docs (written by `rt::builder!`) invite the caller to set options exactly
        // when it has optional parameters.
        for op in &r.operations {
            let made_by = format!(") for {}::{} ", r.type_name, op.fn_name);
            let at = flat.find(&made_by).unwrap_or_else(|| panic!("{}: no builder {made_by:?}", r.module));
            let says_options = flat[at + made_by.len()..].starts_with("with options =>");
            let has_options = op.params.iter().any(|p| !p.required);
            assert_eq!(says_options, has_options, "{}: {} `with options`", r.module, op.fn_name);
        }
    }
}

#[test]
fn adding_a_context_route_to_an_action_renames_nothing() {
    let files = input();
    let before = generate(&files);
    let mut changed = files.clone();
    // Blackout dates exist for courses and accounts; a release adds groups.
    edit(&mut changed, "blackout_dates.json", |doc| {
        let apis = doc["apis"].as_array_mut().unwrap();
        let list = apis.iter().find(|a| a["path"] == "/v1/courses/{course_id}/blackout_dates").unwrap().clone();
        let mut op = list["operations"].as_array().unwrap().iter().find(|o| o["method"] == "GET").unwrap().clone();
        op["nickname"] = json!("list_blackout_dates_groups");
        for p in op["parameters"].as_array_mut().unwrap() {
            if p["name"] == "course_id" {
                p["name"] = json!("group_id");
            }
        }
        apis.push(json!({"path": "/v1/groups/{group_id}/blackout_dates", "operations": [op]}));
    });
    let after = generate(&changed);
    let (b, a) = (method_names(&before.ir), method_names(&after.ir));
    assert_eq!(renamed(&b, &a), Vec::<String>::new());
    assert_eq!(renamed(&type_names(&before.ir), &type_names(&after.ir)), Vec::<String>::new());
    let added = a.iter().find(|(k, _)| k.contains("list_blackout_dates_groups")).unwrap().1;
    assert_eq!(added, "blackout_dates::list_blackout_dates (ListBlackoutDates)", "the new route joins the action");
    let module = &after.files["src/blackout_dates.rs"];
    assert!(module.contains("context: impl crate::context::AccountCourseOrGroup"), "the context type grows");
}

#[test]
fn adding_or_removing_an_unrelated_operation_renames_nothing() {
    let files = input();
    let before = generate(&files);
    let mut added = files.clone();
    edit(&mut added, "courses.json", |doc| {
        doc["apis"].as_array_mut().unwrap().push(
            json!({"path": "/v1/courses/{course_id}/sparkles", "operations": [{"method": "GET", "summary": "List sparkles",
                "nickname": "list_sparkles", "type": "void", "parameters": [
                {"paramType": "path", "name": "course_id", "type": "string", "required": true},
                {"paramType": "query", "name": "include[]", "type": "string", "enum": ["glitter"]},
                {"paramType": "form", "name": "course[shine]", "type": "string"}]}]}),
        );
    });
    let with = generate(&added);
    assert_eq!(renamed(&method_names(&before.ir), &method_names(&with.ir)), Vec::<String>::new());
    assert_eq!(renamed(&type_names(&before.ir), &type_names(&with.ir)), Vec::<String>::new());
    // Removing an operation renames no method of another; the request types it did not take
    // keep their names too.
    let mut removed = files.clone();
    let mut gone = String::new();
    edit(&mut removed, "blackout_dates.json", |doc| {
        let apis = doc["apis"].as_array_mut().unwrap();
        let last = apis.pop().unwrap();
        gone = last["operations"][0]["nickname"].as_str().unwrap().to_owned();
    });
    let without = generate(&removed);
    let others: BTreeMap<String, String> =
        method_names(&before.ir).into_iter().filter(|(k, _)| !k.contains(&format!(" {gone} "))).collect();
    assert_eq!(renamed(&others, &method_names(&without.ir)), Vec::<String>::new());
    let kept: BTreeMap<String, String> =
        type_names(&before.ir).into_iter().filter(|(k, _)| !k.starts_with("blackout_dates ")).collect();
    assert_eq!(renamed(&kept, &type_names(&without.ir)), Vec::<String>::new(), "removing {gone}");
}

#[test]
fn reordering_the_input_renames_nothing() {
    let files = input();
    let before = generate(&files);
    let shuffled: Vec<InputFile> = files.iter().rev().cloned().collect();
    assert!(generate(&shuffled).files == before.files, "the files' order changes the output");
    // The files in another order, and every file's routes in reverse.
    // (Overrides that address a route by its index keep their files in order.)
    let by_index: BTreeSet<String> = xtask::read_overrides()
        .unwrap()
        .overrides
        .iter()
        .filter(|o| o.at.split('/').nth(2).is_some_and(|s| s.parse::<usize>().is_ok()))
        .map(|o| o.file.clone())
        .collect();
    let mut reordered: Vec<InputFile> = files.iter().rev().cloned().collect();
    for f in reordered.iter_mut() {
        if f.name == "api-docs.json" || f.is_graphql() || by_index.contains(&f.name) {
            continue;
        }
        let mut doc: Value = serde_json::from_slice(&f.bytes).unwrap();
        if let Some(apis) = doc["apis"].as_array_mut() {
            apis.reverse();
        }
        f.bytes = serde_json::to_vec(&doc).unwrap();
    }
    let after = generate(&reordered);
    assert_eq!(renamed(&method_names(&before.ir), &method_names(&after.ir)), Vec::<String>::new());
    assert_eq!(renamed(&type_names(&before.ir), &type_names(&after.ir)), Vec::<String>::new());
}

#[test]
fn names_given_by_hand_apply_and_stale_ones_are_reported() {
    let files = input();
    let mut overrides = xtask::read_overrides().unwrap();
    let name = |nickname: &str, name: &str| canvas_codegen::overrides::MethodName {
        file: "blackout_dates.json".into(),
        nickname: nickname.into(),
        path: None,
        name: name.into(),
        reason: "test".into(),
    };
    // Any route of a method finds its name: this is the second route of the action.
    overrides.names.push(name("list_blackout_dates_accounts", "list_closures"));
    overrides.names.push(name("list_blackout_dates_of_a_gone_route", "gone"));
    let out = canvas_codegen::generate(&files, &overrides).unwrap();
    let names = method_names(&out.ir);
    assert!(names.values().any(|v| v == "blackout_dates::list_closures (ListClosures)"), "{names:#?}");
    let stale: Vec<_> = out.report.anomalies.iter().filter(|a| a.kind == Rule::StaleMethodName).collect();
    assert_eq!(stale.len(), 1, "{stale:#?}");
    assert_eq!(stale[0].detail, "list_blackout_dates_of_a_gone_route");
}
