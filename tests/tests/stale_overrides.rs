//! Overrides never block a regeneration: on an input where some repairs no longer apply
//! (Canvas fixed them, changed the target, or removed it), generation goes on without them,
//! classifies each, and `overrides --prune` deletes exactly the ones nothing is left to
//! repair for. The input is the real one, changed the way a later Canvas release changes it.

use canvas_codegen::overrides::{Override, Stale};
use canvas_codegen::InputFile;
use serde_json::Value;

/// The input file `name`, as JSON.
fn json_of(files: &[InputFile], name: &str) -> Value {
    serde_json::from_slice(&files.iter().find(|f| f.name == name).unwrap().bytes).unwrap()
}

fn replace(files: &mut [InputFile], name: &str, doc: &Value) {
    files.iter_mut().find(|f| f.name == name).unwrap().bytes = serde_json::to_vec(doc).unwrap();
}

/// The model property an override of `/models/M/properties/p` targets.
fn property<'a>(doc: &'a mut Value, o: &Override) -> &'a mut Value {
    let parts: Vec<&str> = o.at.trim_start_matches('/').split('/').collect();
    let [_, model, _, prop] = parts.as_slice() else { panic!("{}", o.at) };
    &mut doc["models"][*model]["properties"][*prop]
}

#[test]
fn stale_overrides_are_left_out_classified_and_pruned() {
    let mut files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let overrides = xtask::read_overrides().unwrap();
    let list = &overrides.overrides;
    let on_property = |o: &&Override| {
        o.at.starts_with("/models/") && o.at.matches('/').count() == 4 && !o.from.is_empty() && !o.set.is_empty()
    };
    // 1. Canvas fixed one: its file now says what the override sets.
    let fixed = list.iter().position(|o| on_property(&o)).unwrap();
    let mut doc = json_of(&files, &list[fixed].file);
    for (k, v) in &list[fixed].set {
        property(&mut doc, &list[fixed])[k] = v.clone();
    }
    replace(&mut files, &list[fixed].file.clone(), &doc);
    // 2. Canvas changed another one's target to something else.
    let changed =
        list.iter().enumerate().position(|(i, o)| i != fixed && o.file != list[fixed].file && on_property(&o)).unwrap();
    let mut doc = json_of(&files, &list[changed].file);
    let key = list[changed].from.keys().next().unwrap().clone();
    property(&mut doc, &list[changed])[&key] = Value::String("something else".into());
    replace(&mut files, &list[changed].file.clone(), &doc);
    // 3. A resource is gone: every override of its file is gone with it.
    let gone_file = list
        .iter()
        .map(|o| o.file.clone())
        .find(|f| {
            *f != list[fixed].file && *f != list[changed].file && !files.iter().find(|x| x.name == *f).unwrap().own
        })
        .unwrap();
    files.retain(|f| f.name != gone_file);

    let out = canvas_codegen::generate(&files, &overrides).expect("stale overrides do not stop generation");
    let stale = &out.report.stale_overrides;
    let of = |i: usize| stale.iter().find(|s| s.index == i).map(|s| &s.stale);
    assert_eq!(of(fixed), Some(&Stale::FixedUpstream), "{stale:#?}");
    assert!(matches!(of(changed), Some(Stale::TargetChanged(why)) if why.contains("something else")), "{stale:#?}");
    let gone: Vec<usize> = (0..list.len()).filter(|&i| list[i].file == gone_file).collect();
    assert!(!gone.is_empty());
    for &i in &gone {
        assert!(matches!(of(i), Some(Stale::TargetGone(why)) if why.contains(&gone_file)), "#{i}: {:?}", of(i));
    }
    // Nothing else went stale, and everything else still applied.
    assert_eq!(stale.len(), gone.len() + 2, "{stale:#?}");
    let applied =
        out.report.anomalies.iter().filter(|a| a.kind == canvas_codegen::report::Rule::RepairedByOverride).count();
    assert_eq!(applied, list.len() - stale.len());
    let rendered = out.report.render();
    assert!(rendered.contains("stale overrides (left out):"), "the report says so");

    // Pruning removes the fixed and gone ones and keeps the changed one for review.
    let raw = std::fs::read_to_string(xtask::overrides_path()).unwrap();
    let (pruned, removed) = xtask::prune_overrides(&raw, stale).unwrap();
    assert_eq!(removed, gone.len() + 1);
    let after = canvas_codegen::Overrides::parse("pruned", pruned.as_bytes()).unwrap();
    assert_eq!(after.overrides.len(), list.len() - removed);
    assert!(after.overrides.iter().any(|o| o.at == list[changed].at && o.file == list[changed].file));
    assert!(!after.overrides.iter().any(|o| o.file == gone_file));
    let again = canvas_codegen::generate(&files, &after).unwrap();
    assert_eq!(again.report.stale_overrides.len(), 1, "only the one to review is left");
    assert_eq!(again.files, out.files, "pruning changes nothing in the output");
}

#[test]
fn pruning_nothing_keeps_the_file_byte_for_byte() {
    let raw = std::fs::read_to_string(xtask::overrides_path()).unwrap();
    let (text, removed) = xtask::prune_overrides(&raw, &[]).unwrap();
    assert_eq!(removed, 0);
    assert!(text == raw, "spec/overrides.json is written as it is kept (two-space JSON, keys in order)");
}
