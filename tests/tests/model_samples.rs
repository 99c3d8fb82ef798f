//! Realistic Canvas responses (tests/samples/models.json, 37 of the most used models) decode
//! into the generated types: nulls, missing fields, string ids, timestamps with offsets,
//! unknown enum values and extra fields included. Every field the model knows and the sample
//! sets comes back on encoding; unknown enum values come back as they were sent.

use canvas_codegen::ir::Ty;
use serde_json::Value;

#[test]
fn realistic_samples_decode_and_keep_their_values() {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/models.json");
    let samples: serde_json::Map<String, Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut models = 0;
    for (name, sample) in samples.iter().filter(|(k, _)| !k.starts_with('$')) {
        models += 1;
        let model = out.ir.models.iter().find(|m| m.spec_name == *name).unwrap_or_else(|| panic!("no model {name}"));
        let json = serde_json::to_vec(sample).unwrap();
        match canvas_lms::models::roundtrip(name, &json).expect("the model is in the crate") {
            Ok(encoded) => {
                for (key, value) in sample.as_object().unwrap() {
                    let Some(field) = model.fields.iter().find(|f| f.wire == *key) else { continue };
                    let back = encoded.get(key).unwrap_or(&Value::Null);
                    if !value.is_null() && back.is_null() {
                        failures.push(format!("{name}.{key}: {value} was lost"));
                    }
                    if matches!(field.ty, Ty::String | Ty::Enum(_)) && !value.is_null() && back != value {
                        failures.push(format!("{name}.{key}: sent {value}, encoded back as {back}"));
                    }
                }
            }
            Err(_) => {
                for (key, value) in sample.as_object().unwrap() {
                    let one = serde_json::to_vec(&serde_json::json!({ key: value })).unwrap();
                    if let Some(Err(e)) = canvas_lms::models::roundtrip(name, &one) {
                        failures.push(format!("{name}.{key} = {value}: {e}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(models >= 30, "only {models} samples");
}
