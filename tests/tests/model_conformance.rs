//! Every model decodes a JSON object built from the spec's own `example` values, and encodes
//! back without losing a field that was set. A failure names the model, the field and the
//! value.

use serde_json::{Map, Value};

#[test]
fn every_model_decodes_its_spec_examples_and_round_trips() {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    let mut failures = Vec::new();
    let mut checked_fields = 0;
    // Unions have no fields of their own; their variants are checked as models.
    for model in out.ir.models.iter().filter(|m| m.union_of.is_empty()) {
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
                for (key, value) in &object {
                    checked_fields += 1;
                    if encoded.get(key).is_none_or(Value::is_null) {
                        failures.push(format!("{}.{key}: set to {value} but lost on encoding", model.spec_name));
                    }
                }
            }
            Some(Err(_)) => {
                // Find the fields that fail on their own, to name them.
                for (key, value) in &object {
                    let one = serde_json::to_vec(&serde_json::json!({ key: value })).unwrap();
                    if let Some(Err(e)) = canvas_lms::models::roundtrip(&model.spec_name, &one) {
                        failures.push(format!("{}.{key} = {value}: {e}", model.spec_name));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(checked_fields > 1500, "only {checked_fields} example fields checked");
}
