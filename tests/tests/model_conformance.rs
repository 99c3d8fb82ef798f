//! Every model decodes a JSON object built from the spec's own `example` values as a whole,
//! and encodes back to the same values (up to the normalizations of lenient decoding). A
//! failure names the model, the field and the value.

use canvas_tests::json_eq::same_meaning;
use serde_json::{Map, Value};

#[test]
fn every_model_decodes_its_spec_examples_and_round_trips() {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    let mut failures = Vec::new();
    let mut checked_fields = 0;
    // Unions have no fields of their own; their variants are checked as models.
    for model in out.ir.models.iter().filter(|m| m.union_members().is_none()) {
        let mut object = Map::new();
        for f in &model.fields {
            if let Some(example) = f.example.as_ref().filter(|e| !e.is_null()) {
                object.insert(f.wire.clone(), example.clone());
            }
        }
        let json = serde_json::to_vec(&Value::Object(object.clone())).unwrap();
        match canvas_lms::models::roundtrip(&model.spec_name, &json) {
            None => failures.push(format!("{}: no such model in the crate", model.spec_name)),
            Some(Ok(encoded)) => {
                checked_fields += object.len();
                // Every example comes back meaning what it said (a loose scalar normalized,
                // nothing changed or lost), and no field appears that was not sent.
                if let Err(e) = same_meaning(&Value::Object(object.clone()), &encoded) {
                    failures.push(format!("{}{e}", model.spec_name));
                }
            }
            Some(Err(whole)) => {
                // Find the fields that fail on their own, to name them.
                let before = failures.len();
                for (key, value) in &object {
                    let one = serde_json::to_vec(&serde_json::json!({ key: value })).unwrap();
                    if let Some(Err(e)) = canvas_lms::models::roundtrip(&model.spec_name, &one) {
                        failures.push(format!("{}.{key} = {value}: {e}", model.spec_name));
                    }
                }
                if failures.len() == before {
                    failures.push(format!(
                        "{}: the whole example fails ({whole}) though each field decodes",
                        model.spec_name
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(checked_fields > 1500, "only {checked_fields} example fields checked");
}

/// Fields the description does not declare survive a decode and an encode, in every model,
/// whatever their JSON shape, beside the declared ones.
#[test]
fn every_model_keeps_undeclared_fields_across_a_round_trip() {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    let undeclared = serde_json::json!({
        "zz_undeclared_object": {"id": 7, "display_name": "Ada", "nested": [1, "two", null, {"x": true}]},
        "zz_undeclared_list": [{"a": 1}, {"b": [2.5]}],
        "zz_undeclared_text": "kept",
        "zz_undeclared_null": null,
    });
    let mut failures = Vec::new();
    let mut models = 0;
    for model in out.ir.models.iter().filter(|m| m.union_members().is_none()) {
        let mut object = undeclared.as_object().unwrap().clone();
        // One declared field beside them (its example), so both kinds meet in one object.
        if let Some(f) = model.fields.iter().find(|f| f.example.as_ref().is_some_and(|e| !e.is_null())) {
            object.insert(f.wire.clone(), f.example.clone().unwrap());
        }
        let json = serde_json::to_vec(&Value::Object(object.clone())).unwrap();
        match canvas_lms::models::roundtrip(&model.spec_name, &json) {
            None => failures.push(format!("{}: no such model in the crate", model.spec_name)),
            Some(Err(e)) => failures.push(format!("{}: {e}", model.spec_name)),
            Some(Ok(encoded)) => {
                models += 1;
                for (key, value) in undeclared.as_object().unwrap() {
                    if encoded.get(key) != Some(value) {
                        failures.push(format!(
                            "{}.{key}: sent {value}, encoded {:?}",
                            model.spec_name,
                            encoded.get(key)
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    let declared = out.ir.models.iter().filter(|m| m.union_members().is_none()).count();
    assert_eq!(models, declared, "every model was checked");
}
