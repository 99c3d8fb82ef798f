//! The Canvas LMS client generator, as a library with no I/O.
//!
//! ```text
//! spec files ──parse──▶ spec (lossless serde structs)
//!            ──lower──▶ IR (arenas of models, enums, request structs)
//!            ──passes─▶ models · params · types · features · naming
//!            ──emit───▶ quote ▶ syn ▶ prettyplease ▶ files
//! ```
//! [`generate`] takes the input files and returns every output file plus a [`Report`];
//! `xtask` reads and writes the disk.
#![forbid(unsafe_code)]

pub mod docs;
pub mod emit;
mod error;
pub mod ir;
pub mod lock;
pub mod naming;
pub mod passes;
pub mod report;
pub mod spec;

use std::collections::BTreeMap;

pub use error::Error;
pub use report::Report;

/// One input file: its name (`courses.json`) and its bytes.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The result of a run: every file of `generated/` (path → text) and the report.
#[derive(Debug, Clone)]
pub struct Output {
    pub files: BTreeMap<String, String>,
    pub report: Report,
    pub ir: ir::Ir,
}

/// Parses every file (sorted by name), in a stable order.
pub fn parse_all(files: &[InputFile]) -> Result<Vec<(String, spec::ApiDeclaration)>, Error> {
    let mut sorted: Vec<&InputFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted.into_iter().map(|f| Ok((f.name.clone(), spec::parse(&f.name, &f.bytes)?))).collect()
}

/// Builds the IR and the report from parsed files.
pub fn lower(parsed: &[(String, spec::ApiDeclaration)]) -> (ir::Ir, Report) {
    let mut ir = ir::Ir::default();
    let mut report = Report::default();
    for (file, decl) in parsed {
        report_unknown_keys(file, decl, &mut report);
    }
    let table = passes::models::build(parsed, &mut ir, &mut report);
    passes::lower::resources(parsed, &table, &mut ir, &mut report);
    passes::features::assign(&mut ir);
    naming::resolve(&mut ir, &mut report);
    report.models = ir.models.len();
    report.enums = ir.enums.len();
    report.request_structs = ir.structs.len();
    (ir, report)
}

/// Runs the whole pipeline.
pub fn generate(files: &[InputFile]) -> Result<Output, Error> {
    let parsed = parse_all(files)?;
    let (ir, report) = lower(&parsed);
    let prov = emit::Provenance { lock_sha256: lock::sha256_hex(lock::render(files).as_bytes()), files: files.len() };
    let files = emit::emit(&ir, &prov)?;
    Ok(Output { files, report, ir })
}

/// Keys the spec model does not know are reported, so drift in what Canvas emits is seen.
fn report_unknown_keys(file: &str, decl: &spec::ApiDeclaration, report: &mut Report) {
    let mut note = |at: String, extra: &spec::Extra| {
        for key in extra.keys() {
            report.anomaly(
                file,
                "unknown key kept",
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
