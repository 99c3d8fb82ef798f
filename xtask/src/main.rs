//! `cargo xtask <command>`: maintainer commands for the Canvas client generator.
//!
//! - `gen [--spec-dir DIR] [--update-lock] [--out DIR]`: regenerate `generated/` (or the crate
//!   at `--out DIR`) from the spec, print the report.
//! - `gen --check`: exit non-zero with a diff when `generated/` is stale (or has stray files),
//!   or when an override no longer applies.
//! - `overrides [--spec-dir DIR] [--prune]`: classify the overrides that no longer apply to the
//!   input (fixed upstream, target changed, target gone); `--prune` deletes the fixed and gone ones.
//! - `fetch-spec --from <Canvas base URL> --out DIR`: download Canvas's API description
//!   (`/doc/api/api-docs.json` and every declaration it lists) into DIR, at once.
//! - `api-diff [--spec-dir DIR]`: the Rust API changes a regeneration would make to the
//!   committed `generated/`, classified by semver, with the version bump (Markdown).
//! - `check-release --spec-dir DIR`: generate from another description (any Canvas release)
//!   in memory, list the overrides it leaves out, and `cargo check` the crate it gives.
//! - `stats [--spec-dir DIR]`: counts and generated line figures.
//! - `bench [--spec-dir DIR] [--runs N] [--no-build] [--downstream [--baseline REV] | --graphql]`: time the
//!   generator and the crate builds; `--downstream` builds `canvas-lms` as a dependency of a
//!   crate outside the workspace instead (cargo's default `dev` profile and `release`, all
//!   features and one, with a program using a few operations, and its docs), alternating with
//!   the committed crate of `REV` when given (`--runs` rounds, one by default). `--graphql`
//!   builds the same GraphQL query with cynic and with graphql_client, alternately, prints
//!   each one's error for a misspelled field, and times `canvas-lms` with and without its
//!   `graphql` feature as a dependency.
//! - `diff-spec <old> <new>`: changelog of operations, parameters and model fields between
//!   two upstream sets (Markdown, for release notes).
//! - `mutants [--package P] [--in-diff REV] [--in-place] [--max-mutants N]`: mutation testing
//!   of the runtime and the generator with cargo-mutants (installed if missing), each package
//!   by its own tests; prints the score and the surviving mutants (TESTING.md).
//! - `test`: everything CI checks: formatting, clippy, the whole test suite, docs, and
//!   `check-features` (each resource feature compiles alone).
#![forbid(unsafe_code)]

mod bench;
mod bench_graphql;
mod mutants;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    command: String,
    spec_dir: Option<PathBuf>,
    check: bool,
    update_lock: bool,
    /// `--runs N`: rounds (the generator bench's default is 5, the downstream builds' 1).
    runs: Option<usize>,
    build: bool,
    downstream: bool,
    /// `bench --graphql`: cynic against graphql_client, and the cost of the `graphql` feature.
    graphql: bool,
    /// `bench --downstream --baseline REV`: the revision to alternate with.
    baseline: Option<String>,
    prune: bool,
    from: Option<String>,
    out: Option<PathBuf>,
    /// Positional arguments (`diff-spec <old> <new>`).
    paths: Vec<PathBuf>,
    /// `mutants --package P` (repeatable).
    packages: Vec<String>,
    /// `mutants --in-diff REV`.
    in_diff: Option<String>,
    /// `mutants --in-place`.
    in_place: bool,
    /// `mutants --max-mutants N`.
    max_mutants: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or_else(usage)?;
    let mut args = Args {
        command,
        spec_dir: None,
        check: false,
        update_lock: false,
        runs: None,
        build: true,
        downstream: false,
        graphql: false,
        baseline: None,
        prune: false,
        from: None,
        out: None,
        paths: Vec::new(),
        packages: Vec::new(),
        in_diff: None,
        in_place: false,
        max_mutants: None,
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--spec-dir" => args.spec_dir = Some(it.next().ok_or("--spec-dir needs a directory")?.into()),
            "--check" => args.check = true,
            "--update-lock" => args.update_lock = true,
            "--runs" => args.runs = Some(it.next().and_then(|n| n.parse().ok()).ok_or("--runs needs a number")?),
            "--baseline" => args.baseline = Some(it.next().ok_or("--baseline needs a git revision")?.to_string()),
            "--no-build" => args.build = false,
            "--downstream" => args.downstream = true,
            "--graphql" => args.graphql = true,
            "--prune" => args.prune = true,
            "--package" | "-p" => args.packages.push(it.next().ok_or("--package needs a package name")?),
            "--in-diff" => args.in_diff = Some(it.next().ok_or("--in-diff needs a git revision")?),
            "--in-place" => args.in_place = true,
            "--max-mutants" => {
                args.max_mutants = Some(it.next().and_then(|n| n.parse().ok()).ok_or("--max-mutants needs a number")?)
            }
            "--from" => args.from = Some(it.next().ok_or("--from needs a Canvas base URL")?),
            "--out" => args.out = Some(it.next().ok_or("--out needs a directory")?.into()),
            other if !other.starts_with('-') => args.paths.push(other.into()),
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    Ok(args)
}

fn usage() -> String {
    "usage: cargo xtask gen [--spec-dir DIR] [--update-lock] [--check] [--out DIR]\n       cargo xtask overrides [--spec-dir DIR] [--prune]\n       cargo xtask fetch-spec --from <Canvas base URL> --out DIR\n       cargo xtask api-diff [--spec-dir DIR]\n       cargo xtask check-release --spec-dir DIR\n       cargo xtask stats [--spec-dir DIR]\n       cargo xtask bench [--spec-dir DIR] [--runs N] [--no-build] [--downstream [--baseline REV] | --graphql]\n       cargo xtask test\n       cargo xtask mutants [--package P] [--in-diff REV] [--in-place] [--max-mutants N]\n       cargo xtask check-features\n       cargo xtask diff-spec <old spec dir> <new spec dir>".into()
}

/// The checks CI runs, in order, stopping at the first failure: formatting of the
/// hand-written crates (the generated one is formatted by prettyplease), clippy with
/// warnings denied, the whole test suite (which includes the staleness test), rustdoc
/// with warnings denied, each feature alone, and the mutants of the last commit.
fn test() -> Result<ExitCode, String> {
    let root = xtask::workspace_root();
    let hand_written =
        ["-p", "canvas-lms-runtime", "-p", "canvas-codegen", "-p", "xtask", "-p", "canvas-tests", "-p", "canvas-bench"];
    type Step<'a> = (&'a str, Vec<&'a str>, Option<(&'a str, &'a str)>);
    let steps: Vec<Step> = vec![
        ("format", [&["fmt", "--check"][..], &hand_written[..]].concat(), None),
        ("clippy", vec!["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], None),
        ("tests", vec!["test", "--workspace"], None),
        // With every feature, as docs.rs builds the crates (`package.metadata.docs.rs`):
        // `graphql` and `blocking` are off by default and documented there too.
        ("docs", vec!["doc", "--workspace", "--no-deps", "--all-features"], Some(("RUSTDOCFLAGS", "-D warnings"))),
    ];
    for (name, args, env) in steps {
        println!("==> {name}: cargo {}", args.join(" "));
        let mut cmd = std::process::Command::new(env!("CARGO"));
        cmd.args(&args).current_dir(&root);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let status = cmd.status().map_err(|e| format!("running cargo: {e}"))?;
        if !status.success() {
            eprintln!("==> {name} failed");
            return Ok(ExitCode::FAILURE);
        }
    }
    if check_features()? != ExitCode::SUCCESS {
        return Ok(ExitCode::FAILURE);
    }
    // The mutants of the last commit's changes to the runtime and the generator, in place
    // (the tests were just built), when there are few enough to test in a few minutes; the
    // full run is `cargo xtask mutants`, its last result in TESTING.md.
    let has_parent = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", "HEAD~1"])
        .current_dir(&root)
        .output()
        .is_ok_and(|o| o.status.success());
    if has_parent {
        println!("==> mutants of the last commit: cargo xtask mutants --in-diff HEAD~1 --in-place --max-mutants 40");
        let opts = mutants::Options {
            packages: Vec::new(),
            in_diff: Some("HEAD~1".into()),
            in_place: true,
            max_mutants: Some(40),
        };
        if !mutants::run(&opts)? {
            eprintln!("==> mutants failed: a mutant of the last commit survives its tests");
            return Ok(ExitCode::FAILURE);
        }
    }
    println!("==> all checks passed");
    Ok(ExitCode::SUCCESS)
}

/// `cargo check` of `canvas-lms` with each resource feature alone: every resource must
/// compile without the others (the models it needs are gated by the features that use them).
fn check_features() -> Result<ExitCode, String> {
    let root = xtask::workspace_root();
    let mut features = xtask::resource_features(&root.join("generated/Cargo.toml"))?;
    // The GraphQL module needs no resource either.
    let manifest = std::fs::read_to_string(root.join("generated/Cargo.toml")).map_err(|e| e.to_string())?;
    if manifest.lines().any(|l| l.starts_with("graphql = [")) {
        features.push("graphql".into());
    }
    println!("==> features: cargo check -p canvas-lms --no-default-features --features <each of {}>", features.len());
    let mut failed = Vec::new();
    for f in &features {
        let out = std::process::Command::new(env!("CARGO"))
            .args(["check", "-q", "-p", "canvas-lms", "--no-default-features", "--features", f])
            .current_dir(&root)
            .output()
            .map_err(|e| format!("running cargo: {e}"))?;
        if !out.status.success() {
            eprintln!("feature {f} alone does not compile:\n{}", String::from_utf8_lossy(&out.stderr));
            failed.push(f.clone());
        }
    }
    if failed.is_empty() {
        println!("{} passed, 0 failed", features.len());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("==> features failed: {}", failed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let args = parse_args()?;
    let dir = xtask::spec_dir(args.spec_dir.as_deref());
    let generated = xtask::workspace_root().join("generated");
    match args.command.as_str() {
        "gen" => {
            // `--out DIR`: the crate goes there instead (the determinism test compares two).
            let generated = args.out.clone().unwrap_or(generated);
            let start = Instant::now();
            let (out, files) = xtask::generate(&dir, args.update_lock && !args.check)?;
            let took = start.elapsed();
            if args.check {
                let problems = xtask::check_problems(&generated, &out);
                if problems.is_empty() {
                    println!("generated/ is up to date ({} files)", out.files.len());
                    return Ok(ExitCode::SUCCESS);
                }
                for p in &problems {
                    eprintln!("{p}");
                }
                eprintln!("generated/ is stale ({} problems): run `cargo xtask gen`", problems.len());
                return Ok(ExitCode::FAILURE);
            }
            let api = xtask::api_changes(&generated, &out.files);
            xtask::write_atomically(&generated, &out.files)?;
            if args.update_lock {
                xtask::write_lock(&files)?;
                println!("updated {}", xtask::lock_path().display());
            }
            print!("{}", out.report.render());
            match api {
                Ok(changes) => {
                    let breaking =
                        changes.iter().filter(|c| c.severity == canvas_codegen::api_diff::Severity::Breaking).count();
                    println!(
                        "\nRust API against the generated/ replaced: {breaking} breaking, {} additions (`cargo xtask api-diff` before `gen` lists them)",
                        changes.len() - breaking
                    );
                }
                Err(e) => println!("\nRust API change not computed: {e}"),
            }
            println!(
                "\nwrote {} files to {} in {:.0} ms (generation {:.0} ms)",
                out.files.len(),
                generated.display(),
                start.elapsed().as_secs_f64() * 1e3,
                took.as_secs_f64() * 1e3
            );
            Ok(ExitCode::SUCCESS)
        }
        "overrides" => {
            let (out, _) = xtask::generate(&dir, true)?;
            let stale = &out.report.stale_overrides;
            for s in stale {
                println!("#{} {} {}: {}", s.index, s.file, s.at, s.stale.describe());
            }
            if !args.prune {
                println!("{} stale overrides", stale.len());
                return Ok(ExitCode::SUCCESS);
            }
            let path = xtask::overrides_path();
            let raw = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let (text, removed) = xtask::prune_overrides(&raw, stale)?;
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            println!("removed {removed} overrides (fixed upstream or gone); {} left to review", stale.len() - removed);
            Ok(ExitCode::SUCCESS)
        }
        "fetch-spec" => {
            let (Some(from), Some(out)) = (&args.from, &args.out) else {
                return Err(format!("fetch-spec needs --from and --out\n{}", usage()));
            };
            let fetched = xtask::fetch::fetch_spec(from, out, &Default::default(), &mut |line| println!("{line}"))?;
            println!(
                "wrote {} declarations ({:.0} KB) and api-docs.json to {}; next: cargo xtask gen --spec-dir {} --update-lock",
                fetched.files,
                fetched.bytes as f64 / 1024.0,
                out.display(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        "check-release" => {
            let (out, files) = xtask::generate(&dir, true)?;
            let r = &out.report;
            println!(
                "{} files: {} resources, {} operations, {} parameters, {} models; {} overrides left out, {} unresolved; {} curated GraphQL queries left out",
                files.len(),
                r.resources,
                r.operations,
                r.parameters,
                r.models,
                r.stale_overrides.len(),
                r.unresolved(),
                r.stale_graphql_queries.len()
            );
            for q in &r.stale_graphql_queries {
                println!("- {q}");
            }
            xtask::check_crate(&out.files, "release-check")?;
            println!("the generated crate compiles (all features)");
            Ok(ExitCode::SUCCESS)
        }
        "api-diff" => {
            let (out, _) = xtask::generate(&dir, true)?;
            let changes = xtask::api_changes(&generated, &out.files)?;
            print!("{}", canvas_codegen::api_diff::render(&changes, &xtask::workspace_version()?));
            Ok(ExitCode::SUCCESS)
        }
        "stats" => {
            let (out, _) = xtask::generate(&dir, false)?;
            bench::print_stats(&out);
            Ok(ExitCode::SUCCESS)
        }
        "test" => test(),
        "diff-spec" => {
            let [old, new] = args.paths.as_slice() else {
                return Err(format!("diff-spec needs two directories\n{}", usage()));
            };
            print!("{}", xtask::diff_spec(old, new)?);
            Ok(ExitCode::SUCCESS)
        }
        "check-features" => check_features(),
        "mutants" => {
            let opts = mutants::Options {
                packages: args.packages.clone(),
                in_diff: args.in_diff.clone(),
                in_place: args.in_place,
                max_mutants: args.max_mutants,
            };
            Ok(if mutants::run(&opts)? { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        "bench" if args.graphql => {
            bench_graphql::run(args.runs.unwrap_or(1))?;
            Ok(ExitCode::SUCCESS)
        }
        "bench" if args.downstream => {
            bench::downstream(args.baseline.as_deref(), args.runs.unwrap_or(1))?;
            Ok(ExitCode::SUCCESS)
        }
        "bench" => {
            bench::run(&dir, args.runs.unwrap_or(5), args.build)?;
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}\n{}", usage())),
    }
}
