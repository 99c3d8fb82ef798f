//! Nothing in the input is dropped: every operation and every parameter of every upstream
//! file is in the IR and in the emitted code.

use std::collections::BTreeMap;

use serde_json::Value;

/// The input as the generator reads it (our additions merged into the files they extend),
/// and the generator's output.
fn input() -> (Vec<canvas_codegen::InputFile>, canvas_codegen::Output) {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let out = xtask::generate_files(&files).unwrap();
    let merged = canvas_codegen::merge_additions(&files, &mut Default::default()).unwrap();
    (merged, out)
}

/// Facts of `spec/additions/` (operations, parameters and models of newer Canvas releases):
/// what they add, and how many of them are resources of their own.
fn additions() -> (usize, usize, usize, usize) {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let (mut ops, mut params, mut models, mut resources) = (0, 0, 0, 0);
    for f in files.iter().filter(|f| f.addition) {
        let json: Value = serde_json::from_slice(&f.bytes).unwrap();
        for op in json["apis"].as_array().unwrap().iter().flat_map(|a| a["operations"].as_array().unwrap()) {
            ops += 1;
            params += op["parameters"].as_array().unwrap().len();
        }
        models += json["models"].as_object().map_or(0, |m| m.len());
        resources += usize::from(!files.iter().any(|o| o.name == f.name && !o.addition));
    }
    (ops, params, models, resources)
}

/// Counts of a set of raw input files (resource files, operations, parameters, model
/// definitions), read from their JSON alone, before any merge or override.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Counts {
    files: usize,
    operations: usize,
    parameters: usize,
    models: usize,
}

fn raw_counts(files: &[&canvas_codegen::InputFile]) -> Counts {
    let mut c = Counts { files: files.len(), ..Counts::default() };
    for f in files {
        let json: Value = serde_json::from_slice(&f.bytes).unwrap();
        for op in json["apis"].as_array().unwrap().iter().flat_map(|a| a["operations"].as_array().unwrap()) {
            c.operations += 1;
            c.parameters += op["parameters"].as_array().unwrap().len();
        }
        c.models += json["models"].as_object().map_or(0, |m| m.len());
    }
    c
}

/// The number written just before `phrase` in `text` (`3,894 parameters` → 3894).
fn number_before(text: &str, phrase: &str) -> usize {
    let at = text.find(phrase).unwrap_or_else(|| panic!("PROVENANCE.md does not say {phrase:?}"));
    let digits: String = text[..at].trim_end().chars().rev().take_while(|c| c.is_ascii_digit() || *c == ',').collect();
    digits.chars().rev().filter(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

/// The upstream set's counts as its `PROVENANCE.md` states them (written when the set was
/// taken, not by this project's generator), and as its files give them: the two must agree,
/// and every count below is built from them, so a count the generator reports is checked
/// against the input, never against an earlier run.
fn upstream_counts() -> Counts {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let upstream: Vec<_> = files.iter().filter(|f| !f.own && !f.addition && !f.is_graphql()).collect();
    let counted = raw_counts(&upstream);
    let provenance = xtask::spec_dir(None).join("PROVENANCE.md");
    if let Ok(text) = std::fs::read_to_string(&provenance) {
        let counts = text.split("## Counts").nth(1).expect("PROVENANCE.md has a Counts section");
        let counts = counts.split_whitespace().collect::<Vec<_>>().join(" ");
        let stated = Counts {
            files: number_before(&counts, " resource files"),
            operations: number_before(&counts, " operations"),
            parameters: number_before(&counts, " parameters"),
            models: number_before(&counts, " model definitions"),
        };
        assert_eq!(counted, stated, "the upstream files are not the set PROVENANCE.md describes");
    }
    counted
}

/// The project's own resources (`spec/resources/`), counted from their files.
fn own_counts() -> Counts {
    let files = xtask::read_all_input(&xtask::spec_dir(None)).unwrap();
    let own: Vec<_> = files.iter().filter(|f| f.own && !f.addition && !f.is_graphql()).collect();
    let c = raw_counts(&own);
    // One file per resource page the upstream set lacks, as spec/resources/ holds them.
    let on_disk = std::fs::read_dir(xtask::own_resources_dir())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"));
    assert_eq!(c.files, on_disk.count());
    c
}

#[test]
fn every_operation_and_parameter_reaches_the_ir_and_the_output() {
    let (files, out) = input();
    let mut ops = 0;
    let mut params = 0;
    let overrides = xtask::read_overrides().unwrap();
    for f in &files {
        // The input as the generator reads it: with our documented repairs (a renamed
        // parameter is still the same parameter).
        let mut json: Value = serde_json::from_slice(&f.bytes).unwrap();
        for o in overrides.for_file(&f.name) {
            canvas_codegen::overrides::apply(o, &mut json).unwrap();
        }
        let resource =
            out.ir.resources.iter().find(|r| r.file == f.name).unwrap_or_else(|| panic!("{} has no resource", f.name));
        let module = &out.files[&format!("src/{}.rs", resource.module)];
        let spec_ops: Vec<(&str, &Value)> = json["apis"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["operations"].as_array().unwrap().iter().map(move |o| (a["path"].as_str().unwrap(), o)))
            .collect();
        let routes: usize = resource.operations.iter().map(|o| o.routes.len()).sum();
        assert_eq!(spec_ops.len(), routes, "{}: every route is sent by exactly one method", f.name);
        for (spec_path, spec_op) in &spec_ops {
            ops += 1;
            let nickname = spec_op["nickname"].as_str().unwrap();
            // Rails globs (`*full_path`) are placeholders of their own kind in the IR.
            let path: String = spec_path
                .split('/')
                .map(|s| s.strip_prefix('*').map_or(s.to_owned(), |g| format!("{{*{g}}}")))
                .collect::<Vec<_>>()
                .join("/");
            let (op, route) = resource
                .operations
                .iter()
                .find_map(|o| o.routes.iter().find(|r| r.nickname == nickname && r.path == path).map(|r| (o, r)))
                .unwrap_or_else(|| panic!("{}: {nickname} ({path}) is sent by no method", f.name));
            assert!(module.contains(&format!("pub fn {}(", op.fn_name)), "{}: no function for {}", f.name, nickname);
            assert!(module.contains(&format!("\"{}\"", op.path)), "{}: path {} not emitted", f.name, op.path);
            assert!(
                module.contains(&format!("`{} /api{}`", op.method.as_str(), route.path)),
                "{}: route {} not documented",
                f.name,
                route.path
            );
            // The route's context id is the context argument of the method.
            let context_id: Option<&str> = route.context.filter(|k| out.ir.contexts[*k].has_id).and_then(|_| {
                route.path.split('/').find(|s| s.starts_with('{')).map(|s| s.trim_matches(|c| c == '{' || c == '}'))
            });
            let spec_params: Vec<&str> =
                spec_op["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
            let mut origins: BTreeMap<&str, usize> = BTreeMap::new();
            for (name, wire) in &op.origins {
                *origins.entry(name.as_str()).or_default() += 1;
                assert!(!wire.is_empty(), "{}: {} has no wire key", op.nickname(), name);
            }
            for name in &spec_params {
                params += 1;
                assert!(
                    origins.contains_key(name) || Some(*name) == context_id,
                    "{}: {nickname}: parameter {name:?} is not in the IR",
                    f.name
                );
            }
            let own = spec_params.iter().filter(|n| Some(**n) != context_id).count();
            let lowered = op.origins.iter().filter(|(_, wire)| wire != "{context}").count();
            assert_eq!(lowered, own, "{}: {nickname}: parameters lost or invented", f.name);
            // Every top-level key is sent by a setter or argument of this operation.
            for p in &op.params {
                if p.location != canvas_codegen::ir::Location::Path {
                    assert!(
                        module.contains(&format!("{:?}", p.wire)),
                        "{}: {}: key {:?} not in the output",
                        f.name,
                        op.nickname(),
                        p.wire
                    );
                }
            }
        }
    }
    assert_eq!((ops, params), (out.report.operations, out.report.parameters));
    // The upstream set's (as PROVENANCE.md states them), spec/resources/', spec/additions/',
    // and the parameters overrides add (keys of hashes the spec declares as one string).
    let (up, own) = (upstream_counts(), own_counts());
    let (add_ops, add_params, _, _) = additions();
    assert_eq!(
        (ops, params),
        (up.operations + own.operations + add_ops, up.parameters + own.parameters + add_params + added_parameters()),
        "operations or parameters lost or invented between the input files and the IR"
    );
}

/// Parameters that overrides add to operations (`add` at a `parameters` array).
fn added_parameters() -> usize {
    let overrides = xtask::read_overrides().unwrap().overrides;
    let added: usize = overrides.iter().filter(|o| o.at.ends_with("/parameters")).map(|o| o.add.len()).sum();
    assert!(overrides.iter().all(|o| o.add.is_empty() || o.at.ends_with("/parameters")), "only parameters are added");
    added
}

#[test]
fn every_nested_key_is_encoded_under_its_wire_name() {
    let (_, out) = input();
    for s in &out.ir.structs {
        let canvas_codegen::ir::Owner::Resource(r) = s.owner else { continue };
        let module: String = out.files[&format!("src/{}.rs", out.ir.resources[r].module)].split_whitespace().collect();
        for f in &s.fields {
            // A flattened map (keys chosen by the caller) is encoded at the struct's own level.
            let call = if f.flatten {
                format!("rt::Encode::encode(&self.{},key,out)", f.rust_name)
            } else {
                format!("out.field(key,{:?}", f.wire)
            };
            assert!(module.contains(&call), "{}: field {:?} is not encoded", s.rust_name, f.wire);
        }
    }
}

#[test]
fn every_model_and_field_is_emitted() {
    let (files, out) = input();
    let models = &out.files["src/models.rs"];
    let mut defined = 0;
    for f in &files {
        let json: Value = serde_json::from_slice(&f.bytes).unwrap();
        for (name, def) in json["models"].as_object().into_iter().flatten() {
            defined += 1;
            let model =
                out.ir.models.iter().find(|m| m.spec_name == *name).unwrap_or_else(|| panic!("model {name} missing"));
            assert!(models.contains(&format!("pub struct {} {{", model.rust_name)), "{name} not emitted");
            for prop in def["properties"].as_object().into_iter().flatten().map(|(k, _)| k) {
                assert!(model.fields.iter().any(|f| f.wire == *prop), "{name}.{prop} missing");
            }
        }
    }
    assert_eq!(defined, upstream_counts().models + own_counts().models + additions().2);
}

#[test]
fn report_counts_match_the_input() {
    let (_, out) = input();
    let r = &out.report;
    // The upstream resources + the ones the upstream set lacks (spec/resources/) + the
    // additions that are resources of their own; model definitions, plus those overrides add
    // for models the spec returns without defining.
    let added: usize =
        xtask::read_overrides().unwrap().overrides.iter().filter(|o| o.at == "/models").map(|o| o.set.len()).sum();
    assert!(added > 0);
    let (up, own) = (upstream_counts(), own_counts());
    let (add_ops, add_params, add_models, add_resources) = additions();
    assert_eq!(
        (r.resources, r.operations, r.parameters, r.model_definitions),
        (
            up.files + own.files + add_resources,
            up.operations + own.operations + add_ops,
            up.parameters + own.parameters + add_params + added_parameters(),
            up.models + own.models + add_models + added
        )
    );
    // Every anomaly says how it was resolved.
    assert!(r.anomalies.iter().all(|a| !a.resolution.is_empty() && !a.detail.is_empty()));
}

#[test]
fn every_override_applies_and_explains_itself() {
    let overrides = xtask::read_overrides().unwrap();
    assert!(!overrides.overrides.is_empty());
    for o in &overrides.overrides {
        assert!(
            o.reason.trim().len() > 10 && o.evidence.trim().len() > 10,
            "{} {}: reason and evidence are required",
            o.file,
            o.at
        );
        assert!(!o.set.is_empty() || !o.add.is_empty(), "{} {}: an override must change something", o.file, o.at);
    }
    let (_, out) = input();
    let applied =
        out.report.anomalies.iter().filter(|a| a.kind == canvas_codegen::report::Rule::RepairedByOverride).count();
    assert_eq!(applied, overrides.overrides.len());
}

#[test]
fn the_report_ends_with_zero_unresolved_anomalies() {
    // An unresolved anomaly is one the generator could only handle as untyped JSON where the
    // spec meant a type. Every such case is fixed by a rule or an override; a new one fails
    // here with its location.
    let (_, out) = input();
    let unresolved: Vec<String> = out
        .report
        .anomalies
        .iter()
        .filter(|a| a.unresolved)
        .map(|a| format!("{}: {}: {}", a.file, a.kind, a.detail))
        .collect();
    assert!(unresolved.is_empty(), "unresolved anomalies:\n{}", unresolved.join("\n"));
    assert!(out.report.render().trim_end().ends_with("unresolved anomalies (untyped JSON fallbacks): 0"));
}

#[test]
fn request_structs_redact_exactly_the_fields_the_runtime_treats_as_secrets() {
    // The generator decides which request-struct fields `Debug` redacts; the runtime decides
    // which sent parameter values `Debug` redacts. One rule, applied in two crates: they
    // must agree on every field of every request struct.
    let (_, out) = input();
    let mut secrets = Vec::new();
    for s in &out.ir.structs {
        for f in &s.fields {
            let key = format!("{}[{}]", s.wire_path, f.wire);
            assert_eq!(
                f.holds_secret(),
                canvas_lms::runtime::encode::is_secret_key(&key),
                "{}.{} ({key})",
                s.rust_name,
                f.rust_name
            );
            if f.holds_secret() {
                secrets.push(key);
            }
        }
    }
    // The input has passwords and secrets in request structs; the rule must find them.
    assert!(secrets.iter().any(|k| k.ends_with("[password]")), "{secrets:?}");
}
