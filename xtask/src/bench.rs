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

/// Runs cargo under `/usr/bin/time -v` when available, for the peak RSS of the build.
fn timed_cargo(root: &Path, args: &[&str]) -> Result<(f64, String), String> {
    let start = Instant::now();
    let time_bin = Path::new("/usr/bin/time");
    let output = if time_bin.exists() {
        Command::new(time_bin).arg("-v").arg(env!("CARGO")).args(args).current_dir(root).output()
    } else {
        Command::new(env!("CARGO")).args(args).current_dir(root).output()
    }
    .map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(format!("cargo {} failed:\n{}", args.join(" "), String::from_utf8_lossy(&output.stderr)));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let rss = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|kb| format!("{:.0} MB", kb / 1024.0))
        .unwrap_or_else(|| "n/a (install GNU time for /usr/bin/time)".into());
    Ok((secs, rss))
}
