//! What a generation run met and did: counts, and every anomaly of the input with its
//! resolution. Nothing in the input is dropped without a line here.

use std::fmt::Write;

/// One thing in the input that needed a decision.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Anomaly {
    /// Spec file, or empty for a whole-API decision.
    pub file: String,
    /// Kind of anomaly (stable text, used to group the report).
    pub kind: String,
    /// Where and what.
    pub detail: String,
    /// How the generator resolved it.
    pub resolution: String,
    /// The generator fell back to untyped JSON where the spec meant a type: the anomaly is
    /// handled without losing data, but it wants a rule or an override (`spec/overrides.json`).
    pub unresolved: bool,
}

/// Counts and anomalies of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub resources: usize,
    pub operations: usize,
    /// Rust methods (one per operation, or per action whose routes differ only in context).
    pub methods: usize,
    pub parameters: usize,
    pub model_definitions: usize,
    pub models: usize,
    pub enums: usize,
    pub request_structs: usize,
    pub anomalies: Vec<Anomaly>,
    /// Overrides that did not apply to this input (left out; `gen --check` fails on them).
    pub stale_overrides: Vec<crate::overrides::StaleOverride>,
}

impl Report {
    /// Records an anomaly resolved by a stated rule or an override.
    pub fn anomaly(&mut self, file: &str, kind: &str, detail: impl Into<String>, resolution: impl Into<String>) {
        self.push(file, kind, detail.into(), resolution.into(), false);
    }

    /// Records an anomaly the generator could only handle by falling back to untyped JSON.
    pub fn fallback(&mut self, file: &str, kind: &str, detail: impl Into<String>, resolution: impl Into<String>) {
        self.push(file, kind, detail.into(), resolution.into(), true);
    }

    fn push(&mut self, file: &str, kind: &str, detail: String, resolution: String, unresolved: bool) {
        self.anomalies.push(Anomaly { file: file.to_owned(), kind: kind.to_owned(), detail, resolution, unresolved });
    }

    /// Anomalies that fell back to untyped JSON.
    pub fn unresolved(&self) -> usize {
        self.anomalies.iter().filter(|a| a.unresolved).count()
    }

    /// The report as text: counts, then anomalies grouped by kind.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "resources: {}\noperations: {}\nparameters: {}\nmodel definitions: {} (emitted as {} models)\nenums: {}\nrequest structs: {}\nanomalies: {}",
            self.resources,
            self.operations,
            self.parameters,
            self.model_definitions,
            self.models,
            self.enums,
            self.request_structs,
            self.anomalies.len()
        );
        // Resolved kinds first, then the unresolved ones, so the report ends with what needs work.
        let mut sorted = self.anomalies.clone();
        sorted.sort_by(|a, b| (a.unresolved, &a.kind).cmp(&(b.unresolved, &b.kind)));
        let mut last_kind = "";
        for a in &sorted {
            if a.kind != last_kind {
                let n = sorted.iter().filter(|x| x.kind == a.kind).count();
                let tag = if a.unresolved { "unresolved: " } else { "" };
                let _ = writeln!(out, "\n## {tag}{} ({n})", a.kind);
                last_kind = &a.kind;
            }
            let file = if a.file.is_empty() { String::new() } else { format!("{}: ", a.file) };
            let _ = writeln!(out, "- {file}{} -> {}", a.detail, a.resolution);
        }
        if !self.stale_overrides.is_empty() {
            let prunable = self.stale_overrides.iter().filter(|s| s.stale.prunable()).count();
            let _ = writeln!(
                out,
                "\nstale overrides (left out): {} ({prunable} fixed upstream or gone: `cargo xtask overrides --prune` deletes them; {} to review)",
                self.stale_overrides.len(),
                self.stale_overrides.len() - prunable
            );
        }
        let _ = writeln!(out, "\nunresolved anomalies (untyped JSON fallbacks): {}", self.unresolved());
        out
    }
}
