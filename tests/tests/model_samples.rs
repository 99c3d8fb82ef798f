//! Realistic Canvas responses (tests/samples/models.json, 37 of the most used models) decode
//! into the generated types: nulls, missing fields, string ids, timestamps with offsets,
//! unknown enum values and extra fields included. Every value comes back on encoding meaning
//! what it said (unknown enum values and undeclared fields as they were sent); a sample that
//! fails as a whole is a failure even when each of its fields decodes alone.

use canvas_tests::json_eq::same_meaning;
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
        assert!(out.ir.models.iter().any(|m| m.spec_name == *name), "no model {name}");
        let json = serde_json::to_vec(sample).unwrap();
        match canvas_lms::models::roundtrip(name, &json).expect("the model is in the crate") {
            Ok(encoded) => {
                // Every value comes back meaning what it said: strings and enums (known or
                // not) as sent, loose scalars normalized, nested objects and lists alike.
                if let Err(e) = same_meaning(sample, &encoded) {
                    failures.push(format!("{name}{e}"));
                }
            }
            Err(whole) => {
                // Name the fields that fail on their own; when none does, the whole object
                // failing is the problem.
                let before = failures.len();
                for (key, value) in sample.as_object().unwrap() {
                    let one = serde_json::to_vec(&serde_json::json!({ key: value })).unwrap();
                    if let Some(Err(e)) = canvas_lms::models::roundtrip(name, &one) {
                        failures.push(format!("{name}.{key} = {value}: {e}"));
                    }
                }
                if failures.len() == before {
                    failures.push(format!("{name}: the whole sample fails ({whole}) though each field decodes"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(models >= 30, "only {models} samples");
}
