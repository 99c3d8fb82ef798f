//! The Canvas LMS client generator, as a library with no I/O.
//!
//! ```text
//! spec files ──parse──▶ spec (lossless serde structs, overrides applied)
//!            ──lower──▶ IR (arenas of models, enums, request structs, contexts):
//!                       lower::models · lower::resources (lower::families) · lower::params
//!            ──passes─▶ passes::dedupe · passes::features · passes::naming
//!            ──emit───▶ quote ▶ syn ▶ prettyplease ▶ files
//! ```
//! Every decision about the input is reported under a [`report::Rule`].
//! [`generate`] takes the input files and returns every output file plus a [`Report`];
//! `xtask` reads and writes the disk.
#![forbid(unsafe_code)]

pub mod api_diff;
pub mod diff;
pub mod docs;
pub mod emit;
mod error;
pub mod graphql;
pub mod input;
pub mod ir;
pub mod lock;
pub mod lower;
pub mod naming;
pub mod overrides;
pub mod passes;
pub mod report;
pub mod spec;

use std::collections::BTreeMap;

pub use error::Error;
pub use input::InputFile;
pub use overrides::Overrides;
pub use report::Report;
use report::Rule;

/// The result of a run: every file of `generated/` (path → text) and the report.
#[derive(Debug, Clone)]
pub struct Output {
    pub files: BTreeMap<String, String>,
    pub report: Report,
    pub ir: ir::Ir,
}

/// Parses every file (sorted by name), in a stable order, with the overrides applied.
/// Each applied override is reported; those that no longer apply are left out and listed in
/// [`Report::stale_overrides`].
pub fn parse_all(
    files: &[InputFile],
    overrides: &Overrides,
    report: &mut Report,
) -> Result<Vec<(String, spec::ApiDeclaration)>, Error> {
    let files = &merge_additions(files, report)?;
    let mut sorted: Vec<&InputFile> = files.iter().collect();
    sorted.sort_by(|a, b| (a.own, &a.name).cmp(&(b.own, &b.name)));
    if let Some(w) = sorted.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(Error::Input {
            file: w[0].name.clone(),
            location: "file name".into(),
            message: "given twice".into(),
        });
    }
    // A resource listing (`api-docs.json`) names the resources; it is not a declaration.
    let (listings, sorted): (Vec<&InputFile>, Vec<&InputFile>) =
        sorted.into_iter().partition(|f| !f.own && f.name == spec::LISTING_FILE);
    let listing: Option<(String, spec::ResourceListing)> = match listings.as_slice() {
        [] => None,
        [one] => Some((one.name.clone(), spec::parse_listing(&one.name, &one.bytes)?)),
        [_, second, ..] => {
            return Err(Error::Input {
                file: second.name.clone(),
                location: "file".into(),
                message: format!("a second resource listing beside {}", listings[0].name),
            })
        }
    };
    // Parse every file as it is first, so errors point into the upstream text.
    let mut parsed: Vec<spec::ApiDeclaration> =
        sorted.iter().map(|f| spec::parse(&f.name, &f.bytes)).collect::<Result<_, _>>()?;
    if let Some((name, listing)) = &listing {
        compare_with_listing(name, listing, &sorted, &mut parsed, report);
    }
    // An override of a file the input lacks is stale (the resource is gone), not an error:
    // a new Canvas release must generate; the report says what to prune.
    let mut stale: Vec<overrides::StaleOverride> = Vec::new();
    for (index, o) in overrides.overrides.iter().enumerate() {
        if !sorted.iter().any(|f| f.name == o.file) {
            let why = format!("{} is not in the input", o.file);
            stale.push(overrides::StaleOverride::new(index, o, overrides::Stale::TargetGone(why)));
        }
    }
    let parsed = sorted
        .into_iter()
        .zip(parsed)
        .map(|(f, decl)| {
            let mine: Vec<(usize, &overrides::Override)> =
                overrides.overrides.iter().enumerate().filter(|(_, o)| o.file == f.name).collect();
            if mine.is_empty() {
                return Ok((f.name.clone(), decl));
            }
            // `preserve_order` (Cargo.toml) keeps the file's key order through the round trip:
            // field order must not depend on how serde_json was built.
            let mut doc: serde_json::Value = serde_json::from_slice(&f.bytes).expect("parsed above");
            for (index, o) in mine {
                match overrides::try_apply(o, &mut doc)? {
                    None => report.anomaly(
                        &f.name,
                        Rule::RepairedByOverride,
                        o.at.clone(),
                        format!("{} (evidence: {})", o.reason, o.evidence),
                    ),
                    Some(why) => stale.push(overrides::StaleOverride::new(index, o, why)),
                }
            }
            let repaired = serde_json::to_vec(&doc).expect("JSON values serialize");
            let mut repaired = spec::parse(&format!("{} (after overrides)", f.name), &repaired)?;
            repaired.listed_as = decl.listed_as;
            Ok((f.name.clone(), repaired))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    stale.sort_by_key(|s| s.index);
    for s in &stale {
        report.anomaly(&s.file, Rule::StaleOverride, s.at.clone(), s.stale.describe());
    }
    report.stale_overrides = stale;
    Ok(parsed)
}

/// Adds each addition's operations and models to the file of the same name; an addition
/// with no such file is a resource of its own. What the file has already (an operation with
/// the same method and path, a model of the same name: Canvas's description caught up) is
/// not added again, and reported.
pub fn merge_additions(files: &[InputFile], report: &mut Report) -> Result<Vec<InputFile>, Error> {
    // The GraphQL schema and queries are not part of the REST description: they have a
    // pipeline of their own (`graphql::emit`).
    let files: Vec<&InputFile> = files.iter().filter(|f| !f.is_graphql()).collect();
    let mut merged: Vec<InputFile> = files.iter().filter(|f| !f.addition).map(|f| (*f).clone()).collect();
    for add in files.iter().filter(|f| f.addition) {
        // Errors point into each file's own text.
        spec::parse(&add.name, &add.bytes)?;
        let extra: serde_json::Value = serde_json::from_slice(&add.bytes).expect("parsed above");
        let Some(base) = merged.iter_mut().find(|f| f.name == add.name && !f.addition) else {
            merged.push(InputFile { addition: false, ..(*add).clone() });
            continue;
        };
        spec::parse(&base.name, &base.bytes)?;
        let mut doc: serde_json::Value = serde_json::from_slice(&base.bytes).expect("parsed above");
        let has_op = |doc: &serde_json::Value, path: &str, method: &str| {
            doc["apis"].as_array().into_iter().flatten().any(|api| {
                api["path"] == path
                    && api["operations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|op| op["method"].as_str().is_some_and(|m| m.eq_ignore_ascii_case(method)))
            })
        };
        for api in extra["apis"].as_array().into_iter().flatten() {
            let path = api["path"].as_str().unwrap_or_default();
            for op in api["operations"].as_array().into_iter().flatten() {
                let method = op["method"].as_str().unwrap_or_default();
                let nickname = op["nickname"].as_str().unwrap_or_default();
                if has_op(&doc, path, method) {
                    report.anomaly(
                        &add.name,
                        Rule::AdditionAlreadyInInput,
                        format!("{method} {path} ({nickname})"),
                        "the input's own operation is kept; delete the addition",
                    );
                    continue;
                }
                let apis = doc["apis"].as_array_mut().expect("parsed above: apis is a list");
                match apis.iter_mut().find(|a| a["path"] == path) {
                    Some(existing) => existing["operations"].as_array_mut().expect("a list").push(op.clone()),
                    None => apis.push(serde_json::json!({"path": path, "operations": [op]})),
                }
            }
        }
        for (name, model) in extra["models"].as_object().into_iter().flatten() {
            if !doc["models"].is_object() {
                doc["models"] = serde_json::json!({});
            }
            if doc["models"].get(name).is_some() {
                report.anomaly(
                    &add.name,
                    Rule::AdditionAlreadyInInput,
                    format!("model {name}"),
                    "the input's own definition is kept",
                );
                continue;
            }
            doc["models"][name] = model.clone();
        }
        base.bytes = serde_json::to_vec(&doc).expect("JSON values serialize");
    }
    Ok(merged)
}

/// Takes each declaration's name from the listing, and reports the listed declarations the
/// input lacks and the upstream declarations the listing does not name.
fn compare_with_listing(
    name: &str,
    listing: &spec::ResourceListing,
    files: &[&InputFile],
    parsed: &mut [spec::ApiDeclaration],
    report: &mut Report,
) {
    let listed: BTreeMap<String, Option<String>> =
        listing.apis.iter().map(|r| (r.file_name(), r.description.clone())).collect();
    for (f, decl) in files.iter().zip(parsed.iter_mut()) {
        match listed.get(&f.name) {
            Some(title) => decl.listed_as = title.clone().filter(|t| !t.trim().is_empty()),
            None if !f.own => report.anomaly(
                &f.name,
                Rule::DeclarationNotListed,
                format!("{name} does not name it"),
                "generated all the same",
            ),
            None => {}
        }
    }
    for file in listed.keys().filter(|l| !files.iter().any(|f| f.name == **l)) {
        report.anomaly(
            name,
            Rule::ListedDeclarationMissing,
            format!("{file} is listed but not in the input"),
            "the resource is left out; download it again",
        );
    }
}

/// Builds the IR from parsed files, adding to `report`.
pub fn lower(parsed: &[(String, spec::ApiDeclaration)], overrides: &Overrides, mut report: Report) -> (ir::Ir, Report) {
    let mut ir = ir::Ir::default();
    for (file, decl) in parsed {
        report_unknown_keys(file, decl, &mut report);
    }
    let table = lower::models::build(parsed, &mut ir, &mut report);
    lower::resources::resources(parsed, &table, overrides, &mut ir, &mut report);
    for n in &overrides.names {
        let used = ir
            .resources
            .iter()
            .filter(|r| r.file == n.file)
            .flat_map(|r| &r.operations)
            .flat_map(|o| &o.routes)
            .any(|r| n.names(&r.nickname, &r.path));
        if !used {
            report.anomaly(&n.file, Rule::StaleMethodName, &n.nickname, "no method has this route: remove the name");
        }
    }
    let merged = passes::dedupe::structs(&mut ir);
    if merged > 0 {
        report.anomaly(
            "",
            Rule::IdenticalRequestStructs,
            format!("{merged} structs repeat another of their resource"),
            "merged, named after what their names share",
        );
    }
    passes::features::assign(&mut ir);
    passes::naming::resolve(&mut ir, &mut report);
    report.models = ir.models.len();
    report.enums = ir.enums.len();
    report.request_structs = ir.structs.iter().filter(|s| s.merged_into.is_none()).count();
    (ir, report)
}

/// Runs the whole pipeline.
pub fn generate(files: &[InputFile], overrides: &Overrides) -> Result<Output, Error> {
    let mut report = Report::default();
    let parsed = parse_all(files, overrides, &mut report)?;
    let (ir, mut report) = lower(&parsed, overrides, report);
    let prov = emit::Provenance { lock_sha256: lock::sha256_hex(lock::render(files).as_bytes()), files: files.len() };
    let mut graphql = graphql::emit(files)?;
    if let Some((_, facts)) = &mut graphql {
        report.stale_graphql_queries = std::mem::take(&mut facts.stale_queries);
    }
    let files = emit::emit(&ir, &prov, graphql)?;
    Ok(Output { files, report, ir })
}

/// Keys the spec model does not know are reported, so drift in what Canvas emits is seen.
fn report_unknown_keys(file: &str, decl: &spec::ApiDeclaration, report: &mut Report) {
    let mut note = |at: String, extra: &spec::Extra| {
        for key in extra.keys() {
            report.anomaly(
                file,
                Rule::UnknownKey,
                format!("{at}.{key}"),
                "ignored by the generator, kept in the parsed spec",
            );
        }
    };
    note(String::new(), &decl.extra);
    for (ai, api) in decl.apis.iter().enumerate() {
        note(format!("apis[{ai}]"), &api.extra);
        for (oi, op) in api.operations.iter().enumerate() {
            note(format!("apis[{ai}].operations[{oi}]"), &op.extra);
            for (pi, p) in op.parameters.iter().enumerate() {
                note(format!("apis[{ai}].operations[{oi}].parameters[{pi}]"), &p.extra);
            }
        }
    }
    for (name, m) in &decl.models {
        note(format!("models.{name}"), &m.extra);
        for (pn, p) in &m.properties {
            note(format!("models.{name}.properties.{pn}"), &p.extra);
        }
    }
}
