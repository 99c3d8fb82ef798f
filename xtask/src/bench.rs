//! `cargo xtask stats` and `cargo xtask bench`: the figures BENCHMARKS.md reports.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use canvas_codegen::Output;

/// Generated lines per Canvas operation that `cargo xtask bench` holds the crate to.
const LINES_PER_OPERATION_BUDGET: f64 = 50.0;

pub fn print_stats(out: &Output) {
    let r = &out.report;
    let lines = xtask::count_lines(&out.files);
    let ops = r.operations.max(1);
    println!("resources          {}", r.resources);
    println!("operations         {}", r.operations);
    println!("parameters         {}", r.parameters);
    println!("models             {} (from {} definitions)", r.models, r.model_definitions);
    println!("enums              {}", r.enums);
    println!("request structs    {}", r.request_structs);
    println!("anomalies          {}", r.anomalies.len());
    println!("generated files    {}", out.files.len());
    println!(
        "generated lines    {} ({} doc, {} code, {} blank/comment)",
        lines.total,
        lines.docs,
        lines.code,
        lines.total - lines.docs - lines.code
    );
    let per_op = lines.total as f64 / ops as f64;
    println!("lines / operation  {per_op:.1} (code only: {:.1})", lines.code as f64 / ops as f64);
    // The budget of the naming issue: a generated crate that stays thin per Canvas operation.
    println!(
        "budget             {} generated lines per operation ≤ {LINES_PER_OPERATION_BUDGET:.0}",
        if per_op <= LINES_PER_OPERATION_BUDGET { "within:" } else { "OVER:" }
    );
    println!("methods            {} (for {} Canvas operations)", r.methods, r.operations);
}

/// Median of the generator's wall time over `runs` runs (input already in memory), then,
/// unless `build` is false, clean debug builds of `canvas-lms` alone (dependencies built).
pub fn run(dir: &Path, runs: usize, build: bool) -> Result<(), String> {
    let files = xtask::read_all_input(dir)?;
    let overrides = xtask::read_overrides()?;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = canvas_codegen::generate(&files, &overrides).map_err(|e| e.to_string())?;
        times.push(start.elapsed().as_secs_f64());
        last = Some(out);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let out = last.expect("at least one run");
    print_stats(&out);
    println!(
        "codegen (parse+lower+emit, in memory), median of {}: {:.0} ms (min {:.0}, max {:.0})",
        times.len(),
        times[times.len() / 2] * 1e3,
        times[0] * 1e3,
        times[times.len() - 1] * 1e3
    );
    if !build {
        return Ok(());
    }
    let root = xtask::workspace_root();
    // Build dependencies once, so the timed builds measure the generated crate only.
    cargo(&root, &["build", "-p", "canvas-lms"])?;
    for (label, extra) in
        [("all features", vec![]), ("one feature (courses)", vec!["--no-default-features", "--features", "courses"])]
    {
        if !extra.is_empty() {
            let mut warm = vec!["build", "-p", "canvas-lms"];
            warm.extend(extra.iter().copied());
            cargo(&root, &warm)?;
        }
        cargo(&root, &["clean", "-p", "canvas-lms"])?;
        let mut args = vec!["build", "-p", "canvas-lms"];
        args.extend(extra.iter().copied());
        let (secs, rss) = timed_cargo(&root, &args)?;
        println!("clean debug build of canvas-lms, {label}: {secs:.1} s, peak RSS {rss}");
    }
    Ok(())
}

fn cargo(root: &Path, args: &[&str]) -> Result<(), String> {
    let status = Command::new(env!("CARGO")).args(args).current_dir(root).status().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed", args.join(" ")))
    }
}

/// What one timed build cost.
struct Cost {
    wall: f64,
    /// User and system time of cargo and every compiler it ran, when GNU time is there.
    cpu: Option<f64>,
    /// Peak RSS, as text (`1781 MB`).
    rss: String,
}

/// Runs cargo under `/usr/bin/time -v` when available, for the peak RSS of the build.
fn timed_cargo(root: &Path, args: &[&str]) -> Result<(f64, String), String> {
    let cost = timed(root, args, &[])?;
    Ok((cost.wall, cost.rss))
}

fn timed(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Result<Cost, String> {
    let start = Instant::now();
    let time_bin = Path::new("/usr/bin/time");
    let mut cmd = if time_bin.exists() {
        let mut c = Command::new(time_bin);
        c.arg("-v").arg(env!("CARGO"));
        c
    } else {
        Command::new(env!("CARGO"))
    };
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().map_err(|e| e.to_string())?;
    let wall = start.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(format!("cargo {} failed:\n{}", args.join(" "), String::from_utf8_lossy(&output.stderr)));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let field = |name: &str| {
        stderr.lines().find_map(|l| l.trim().strip_prefix(name)).and_then(|v| v.trim().parse::<f64>().ok())
    };
    let rss = field("Maximum resident set size (kbytes):")
        .map(|kb| format!("{:.0} MB", kb / 1024.0))
        .unwrap_or_else(|| "n/a (install GNU time for /usr/bin/time)".into());
    let cpu = match (field("User time (seconds):"), field("System time (seconds):")) {
        (Some(u), Some(s)) => Some(u + s),
        _ => None,
    };
    Ok(Cost { wall, cpu, rss })
}

/// `canvas-lms` built as a downstream user builds it: a dependency of a crate outside the
/// workspace (`target/downstream-bench/`), with cargo's default profiles (so `dev` has full
/// debug info, unlike this workspace's), the workspace's locked versions and a target
/// directory of its own. For each case the dependencies are built first and
/// `cargo clean -p canvas-lms` precedes the timed build: the figures are the crate alone.
pub fn downstream() -> Result<(), String> {
    let root = xtask::workspace_root();
    let dir = root.join("target/downstream-bench");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/lib.rs"), "//! Depends on `canvas-lms` as a downstream crate does.\n")
        .map_err(|e| e.to_string())?;
    let generated = root.join("generated").display().to_string();
    let env = [("CARGO_TARGET_DIR", dir.join("target").display().to_string())];
    let cases: [(&str, &str, &[&str]); 4] = [
        ("dev, all features", "", &[]),
        ("dev, one feature (courses)", "default-features = false, features = [\"courses\"]", &[]),
        ("release, all features", "", &["--release"]),
        ("release, one feature (courses)", "default-features = false, features = [\"courses\"]", &["--release"]),
    ];
    let manifest = |features: &str| {
        let features = if features.is_empty() { String::new() } else { format!(", {features}") };
        format!(
            "[package]\nname = \"canvas-downstream\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\ncanvas-lms = {{ path = {generated:?}{features} }}\n\n[workspace]\n"
        )
    };
    let report = |label: &str, c: &Cost| {
        let cpu = c.cpu.map(|s| format!("{s:.1} s CPU, ")).unwrap_or_default();
        println!("downstream {label}: {:.1} s wall, {cpu}peak RSS {}", c.wall, c.rss);
    };
    for (label, features, profile) in cases {
        xtask::scratch_manifest(&dir, &manifest(features))?;
        let with = |args: &[&'static str]| -> Vec<&'static str> { [args, profile].concat() };
        timed(&dir, &with(&["build", "--offline", "--quiet"]), &env)?;
        timed(&dir, &with(&["clean", "--offline", "--quiet", "-p", "canvas-lms"]), &env)?;
        let cost = timed(&dir, &with(&["build", "--offline", "--quiet"]), &env)?;
        report(label, &cost);
    }
    // docs.rs builds the crate's docs with all features.
    xtask::scratch_manifest(&dir, &manifest(""))?;
    timed(&dir, &["doc", "--offline", "--quiet", "-p", "canvas-lms"], &env)?;
    timed(&dir, &["clean", "--offline", "--quiet", "--doc"], &env)?;
    let cost = timed(&dir, &["doc", "--offline", "--quiet", "-p", "canvas-lms", "--no-deps"], &env)?;
    report("cargo doc, all features (canvas-lms alone)", &cost);
    Ok(())
}
