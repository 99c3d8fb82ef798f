//! The I/O side of the generator: finding and reading the input, checking the lock,
//! writing `generated/` atomically, and comparing it with a fresh generation.
//! Used by the `xtask` binary and by the workspace tests.
#![forbid(unsafe_code)]

pub mod fetch;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use canvas_codegen::{InputFile, Output};

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// The upstream spec directory: the explicit path, else `$CANVAS_SPEC_DIR`, else
/// `../shared/canvas-spec/upstream` relative to the workspace root.
pub fn spec_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("CANVAS_SPEC_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    workspace_root().join("../shared/canvas-spec/upstream")
}

/// Path of the lock file.
pub fn lock_path() -> PathBuf {
    workspace_root().join("spec/upstream.lock")
}

/// Reads every `*.json` file of `dir`, sorted by name.
pub fn read_input(dir: &Path) -> Result<Vec<InputFile>, String> {
    let entries = fs::read_dir(dir).map_err(|e| {
        format!(
            "{}: cannot read the spec directory: {e}\n\
             The generator reads Canvas's API description: one Swagger 1.2 file per resource, as Canvas \
             serves them under /doc/api/ (api-docs.json and the files it lists). Either point \
             `--spec-dir DIR` (or $CANVAS_SPEC_DIR) at such a folder, or download one with \
             `cargo xtask fetch-spec --from <Canvas base URL> --out DIR`, from your own Canvas or from \
             Canvas's public documentation site, then `cargo xtask gen --spec-dir DIR --update-lock`.",
            dir.display()
        )
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{}: file name is not UTF-8", path.display()))?
            .to_owned();
        let bytes = fs::read(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        files.push(InputFile::upstream(name, bytes));
    }
    if files.is_empty() {
        return Err(format!("{}: no *.json spec files", dir.display()));
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// The project's own descriptions of resources the upstream set lacks (`spec/resources/`).
pub fn own_resources_dir() -> PathBuf {
    workspace_root().join("spec/resources")
}

/// Canvas's GraphQL schema for the spec directory `dir`: `$CANVAS_GRAPHQL_SCHEMA`, else
/// `graphql/schema.graphql` beside it (`../shared/canvas-spec/graphql/`). A spec set without
/// one makes a crate without the `graphql` feature.
pub fn graphql_schema_path(dir: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("CANVAS_GRAPHQL_SCHEMA").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    dir.join("../graphql/schema.graphql")
}

/// The project's curated GraphQL queries (`spec/graphql/*.graphql`).
pub fn graphql_queries_dir() -> PathBuf {
    workspace_root().join("spec/graphql")
}

/// The GraphQL part of the input: the schema (upstream, locked) and, with it, the curated
/// queries (the project's own).
fn read_graphql_input(dir: &Path) -> Result<Vec<InputFile>, String> {
    let schema = graphql_schema_path(dir);
    let bytes = match fs::read(&schema) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CANVAS_GRAPHQL_SCHEMA").is_none() => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(format!("{}: cannot read the GraphQL schema: {e}", schema.display())),
    };
    let mut files = vec![InputFile::upstream(canvas_codegen::graphql::SCHEMA_INPUT, bytes)];
    let queries = graphql_queries_dir();
    let mut names = Vec::new();
    for entry in fs::read_dir(&queries).map_err(|e| format!("{}: {e}", queries.display()))? {
        let path = entry.map_err(|e| format!("{}: {e}", queries.display()))?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("graphql") {
            names.push(path);
        }
    }
    names.sort();
    for path in names {
        let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| format!("{}: not UTF-8", path.display()))?;
        let bytes = fs::read(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        files.push(InputFile::own(format!("{}{name}", canvas_codegen::graphql::QUERY_INPUT_PREFIX), bytes));
    }
    Ok(files)
}

/// The whole input: the upstream files of `dir`, then the project's own resources, then the
/// GraphQL schema and curated queries.
pub fn read_all_input(dir: &Path) -> Result<Vec<InputFile>, String> {
    let mut files = read_input(dir)?;
    let own = own_resources_dir();
    if own.exists() {
        files.extend(read_input(&own)?.into_iter().map(|f| InputFile::own(f.name, f.bytes)));
    }
    let additions = workspace_root().join("spec/additions");
    if additions.exists() {
        files.extend(read_input(&additions)?.into_iter().map(|f| InputFile::addition(f.name, f.bytes)));
    }
    files.extend(read_graphql_input(dir)?);
    Ok(files)
}

/// Checks the upstream part of the input against the lock.
pub fn check_lock(files: &[InputFile]) -> Result<(), String> {
    let path = lock_path();
    let text = fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (run `cargo xtask gen --update-lock` to create it)", path.display()))?;
    canvas_codegen::lock::check(&text, files).map_err(|e| e.to_string())
}

/// Writes the lock for the upstream part of `files`.
pub fn write_lock(files: &[InputFile]) -> Result<(), String> {
    let path = lock_path();
    fs::write(&path, canvas_codegen::lock::render(files)).map_err(|e| format!("{}: {e}", path.display()))
}

/// Path of our repairs of upstream mistakes.
pub fn overrides_path() -> PathBuf {
    workspace_root().join("spec/overrides.json")
}

/// Reads `spec/overrides.json` (none when the file does not exist).
pub fn read_overrides() -> Result<canvas_codegen::Overrides, String> {
    let path = overrides_path();
    match fs::read(&path) {
        Ok(bytes) => canvas_codegen::Overrides::parse("spec/overrides.json", &bytes).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// `spec/overrides.json` without the stale overrides that nothing is left to repair for
/// (fixed upstream, or their target gone), as the file is written (two-space JSON, keys in
/// their order); those whose target changed stay for review. Returns the text and how many
/// were removed.
pub fn prune_overrides(
    raw: &str,
    stale: &[canvas_codegen::overrides::StaleOverride],
) -> Result<(String, usize), String> {
    let mut doc: serde_json::Value = serde_json::from_str(raw).map_err(|e| format!("spec/overrides.json: {e}"))?;
    let list = doc
        .get_mut("overrides")
        .and_then(serde_json::Value::as_array_mut)
        .ok_or("spec/overrides.json: no `overrides` list")?;
    let drop: BTreeSet<usize> = stale.iter().filter(|s| s.stale.prunable()).map(|s| s.index).collect();
    if let Some(&past) = drop.iter().find(|&&i| i >= list.len()) {
        return Err(format!("stale override #{past} is not in spec/overrides.json (regenerate the report)"));
    }
    let kept: Vec<serde_json::Value> =
        std::mem::take(list).into_iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, o)| o).collect();
    *list = kept;
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok((text, drop.len()))
}

/// `cargo check` (all features, warnings denied) of a crate made of `files` (as emitted), written to
/// `target/<name>-crate/`: outside the workspace, against this checkout's runtime, with the
/// workspace's locked versions (nothing to download) and a target directory of its own,
/// shared by every such crate (so it runs beside a build of the workspace, and the
/// dependencies are built once for all of them). For inputs that are not the committed one:
/// other Canvas releases, the generator's fixtures.
pub fn check_crate(files: &BTreeMap<String, String>, name: &str) -> Result<(), String> {
    let root = workspace_root();
    let dir = root.join(format!("target/{name}-crate"));
    let _ = fs::remove_dir_all(dir.join("src"));
    for (path, text) in files {
        let dest = dir.join(path);
        fs::create_dir_all(dest.parent().expect("a file has a parent"))
            .map_err(|e| format!("{}: {e}", dest.display()))?;
        fs::write(&dest, text).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    let manifest = files.get("Cargo.toml").ok_or("no Cargo.toml emitted")?;
    let features = &manifest[manifest.find("[features]").ok_or("the emitted Cargo.toml has no features")?..];
    let runtime = root.join("runtime").display().to_string();
    // With the GraphQL module, its dependency (the emitted `build.rs` is picked up by itself).
    let graphql =
        if files.contains_key("src/graphql/mod.rs") { "cynic = { version = \"3.14\", optional = true }\n" } else { "" };
    let manifest = format!(
        "[package]\nname = \"canvas-lms-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\ncanvas-lms-runtime = {{ path = {runtime:?} }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\n{graphql}\n\
         {features}\n[workspace]\n"
    );
    scratch_manifest(&dir, &manifest, &root)?;
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--quiet", "--offline", "--all-features", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target/scratch-crates-target"))
        // Generated code is warning-free whatever the input (dependencies' lints are capped).
        .env("RUSTFLAGS", "-D warnings")
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the crate generated in {} does not compile (see above)", dir.display()))
    }
}

/// Writes the manifest of a scratch crate outside the workspace (`manifest` ends its own
/// `[workspace]`) and the `Cargo.lock` of the checkout at `lock_from` beside it (usually
/// [`workspace_root`]), so that it builds with the locked versions and nothing to download.
pub fn scratch_manifest(dir: &Path, manifest: &str, lock_from: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::copy(lock_from.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    Ok(())
}

/// The crate's source files under `generated/src/` (path as emitted, `src/x.rs`, to text).
pub fn read_generated_sources(generated: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for path in list_files(generated).into_iter().filter(|p| p.starts_with("src/") && p.ends_with(".rs")) {
        let text = fs::read_to_string(generated.join(&path)).map_err(|e| format!("generated/{path}: {e}"))?;
        out.insert(path, text);
    }
    Ok(out)
}

/// The Rust API changes from the crate in `generated` to the freshly emitted `files`.
pub fn api_changes(
    generated: &Path,
    files: &BTreeMap<String, String>,
) -> Result<Vec<canvas_codegen::api_diff::ApiChange>, String> {
    use canvas_codegen::api_diff::{diff, public_api};
    let old = public_api(&read_generated_sources(generated)?).map_err(|e| format!("generated/{e}"))?;
    let new = public_api(files)?;
    Ok(diff(&old, &new))
}

/// The workspace's version (`[workspace.package] version`), which the crates share.
pub fn workspace_version() -> Result<String, String> {
    let text = fs::read_to_string(workspace_root().join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let package = text.split("[workspace.package]").nth(1).ok_or("Cargo.toml: no [workspace.package]")?;
    package
        .lines()
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| {
            l.trim()
                .strip_prefix("version")
                .map(|v| v.trim_start_matches([' ', '=']).trim().trim_matches('"').to_owned())
        })
        .ok_or_else(|| "Cargo.toml: no workspace version".into())
}

/// Generates from input files with the project's overrides.
pub fn generate_files(files: &[InputFile]) -> Result<Output, String> {
    canvas_codegen::generate(files, &read_overrides()?).map_err(|e| e.to_string())
}

/// Reads and generates, then checks the lock unless `accept_new_input` is set (the caller
/// then writes the lock after the output): the whole job except writing. Malformed input
/// is reported before a lock mismatch.
pub fn generate(dir: &Path, accept_new_input: bool) -> Result<(Output, Vec<InputFile>), String> {
    let files = read_all_input(dir)?;
    let out = generate_files(&files)?;
    if !accept_new_input {
        check_lock(&files)?;
    }
    Ok((out, files))
}

/// Files under `root` (relative paths with `/`), recursively.
fn list_files(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            if e.path().is_dir() {
                walk(&e.path(), &rel, out);
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, "", &mut out);
    out
}

/// Everything `gen --check` and the staleness test refuse: the differences between `out`'s
/// files and `generated` ([`stale`]), overrides that no longer apply, and curated GraphQL
/// queries the schema refuses. Empty when `generated` is what the locked input gives.
pub fn check_problems(generated: &Path, out: &Output) -> Vec<String> {
    let mut problems = stale(generated, &out.files);
    for s in &out.report.stale_overrides {
        problems.push(format!(
            "stale override #{} ({} {}): {} (`cargo xtask overrides`)",
            s.index,
            s.file,
            s.at,
            s.stale.describe()
        ));
    }
    for q in &out.report.stale_graphql_queries {
        problems.push(format!("curated GraphQL query left out: {q}\n{}", q.message));
    }
    problems
}

/// Differences between the emitted files and `generated/`: changed, missing and stray
/// files (stray = under `src/` but not emitted). Empty when up to date.
pub fn stale(generated: &Path, files: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, text) in files {
        match fs::read_to_string(generated.join(path)) {
            Err(_) => problems.push(format!("missing: generated/{path}")),
            Ok(on_disk) if on_disk != *text => {
                let diff = similar::TextDiff::from_lines(on_disk.as_str(), text.as_str());
                let mut unified = diff
                    .unified_diff()
                    .context_radius(2)
                    .header(&format!("generated/{path} (on disk)"), "(fresh)")
                    .to_string();
                if unified.len() > 4000 {
                    let mut end = 4000;
                    while !unified.is_char_boundary(end) {
                        end -= 1;
                    }
                    unified.truncate(end);
                    unified.push_str("\n[diff truncated]\n");
                }
                problems.push(format!("changed: generated/{path}\n{unified}"));
            }
            Ok(_) => {}
        }
    }
    for path in list_files(generated) {
        if (path.starts_with("src/") || path == "Cargo.toml") && !files.contains_key(&path) {
            problems.push(format!("stray: generated/{path} is not emitted by the generator"));
        }
    }
    problems
}

/// Writes the emitted files to `generated` atomically: everything goes to a sibling
/// temporary directory first (with any hand-kept files outside `src/` copied over), which
/// then replaces `generated` by two renames. On any error `generated` is left as it was.
pub fn write_atomically(generated: &Path, files: &BTreeMap<String, String>) -> Result<(), String> {
    replace_dir(generated, |tmp| {
        for (path, text) in files {
            write_file(&tmp.join(path), text.as_bytes())?;
        }
        // Keep hand-written files that live beside the emitted ones (examples/, tests/...).
        for path in list_files(generated) {
            if path.starts_with("src/") || files.contains_key(&path) {
                continue;
            }
            let bytes = fs::read(generated.join(&path)).map_err(|e| format!("{path}: {e}"))?;
            write_file(&tmp.join(&path), &bytes)?;
        }
        Ok(())
    })
}

/// Writes `bytes` to `dest`, creating its folders.
fn write_file(dest: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::create_dir_all(dest.parent().expect("a file has a parent")).map_err(|e| format!("{}: {e}", dest.display()))?;
    fs::write(dest, bytes).map_err(|e| format!("{}: {e}", dest.display()))
}

/// Replaces the directory `dest` (which may not exist yet) at once: `fill` writes the new
/// content into a sibling temporary directory, which then takes `dest`'s place by two renames.
/// On any error `dest` is left as it was and nothing else remains.
pub fn replace_dir(dest: &Path, fill: impl FnOnce(&Path) -> Result<(), String>) -> Result<(), String> {
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let name = dest.file_name().ok_or_else(|| format!("{}: not a directory name", dest.display()))?.to_string_lossy();
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    let old = parent.join(format!(".{name}.old-{pid}"));
    let _ = fs::remove_dir_all(&tmp);
    let filled = fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display())).and_then(|()| fill(&tmp));
    if let Err(e) = filled {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let had_old = dest.exists();
    if had_old {
        fs::rename(dest, &old).map_err(|e| format!("moving {} aside: {e}", dest.display()))?;
    }
    if let Err(e) = fs::rename(&tmp, dest) {
        if had_old {
            let _ = fs::rename(&old, dest);
        }
        let _ = fs::remove_dir_all(&tmp);
        return Err(format!("replacing {}: {e}", dest.display()));
    }
    if had_old {
        let _ = fs::remove_dir_all(&old);
    }
    Ok(())
}

/// Lines of generated Rust code, split into doc comments, other comments/blank, and code.
#[derive(Debug, Default, Clone, Copy)]
pub struct LineCounts {
    pub total: usize,
    pub docs: usize,
    pub code: usize,
}

/// Counts the lines of the emitted `.rs` files.
pub fn count_lines(files: &BTreeMap<String, String>) -> LineCounts {
    let mut c = LineCounts::default();
    for (path, text) in files {
        if !path.ends_with(".rs") {
            continue;
        }
        for line in text.lines() {
            c.total += 1;
            let t = line.trim_start();
            if t.starts_with("///") || t.starts_with("//!") {
                c.docs += 1;
            } else if !t.is_empty() && !t.starts_with("//") {
                c.code += 1;
            }
        }
    }
    c
}

/// The resource features of the generated crate (the `default` list of its Cargo.toml).
pub fn resource_features(cargo_toml: &Path) -> Result<Vec<String>, String> {
    let text = fs::read_to_string(cargo_toml).map_err(|e| format!("{}: {e}", cargo_toml.display()))?;
    let start = text.find("default = [").ok_or_else(|| format!("{}: no default feature list", cargo_toml.display()))?;
    let list = &text[start + "default = [".len()..];
    let end = list.find(']').ok_or_else(|| format!("{}: unterminated default list", cargo_toml.display()))?;
    Ok(list[..end].split(',').map(|s| s.trim().trim_matches('"').to_owned()).filter(|s| !s.is_empty()).collect())
}

/// The changelog between two spec directories (as they are, without overrides).
pub fn diff_spec(old: &Path, new: &Path) -> Result<String, String> {
    let parse = |dir: &Path| -> Result<_, String> {
        let files = read_input(dir)?;
        canvas_codegen::parse_all(&files, &Default::default(), &mut Default::default()).map_err(|e| e.to_string())
    };
    Ok(canvas_codegen::diff::changelog(&parse(old)?, &parse(new)?))
}
