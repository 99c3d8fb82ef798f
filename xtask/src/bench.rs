//! `cargo xtask stats` and `cargo xtask bench`: the figures BENCHMARKS.md reports.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use canvas_codegen::Output;

/// Generated lines per Canvas operation that `cargo xtask bench` holds the crate to.
const LINES_PER_OPERATION_BUDGET: f64 = 50.0;

pub fn print_stats(out: &Output) {
    let r = &out.report;
    // The per-operation figure is the REST crate's: the GraphQL module (the schema's enums
    // and the curated queries) is counted apart.
    let (graphql, rest): (std::collections::BTreeMap<_, _>, std::collections::BTreeMap<_, _>) =
        out.files.clone().into_iter().partition(|(path, _)| path.starts_with("src/graphql/"));
    let lines = xtask::count_lines(&rest);
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
        "generated lines    {} ({} doc, {} code, {} blank/comment; the graphql module apart)",
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
    if !graphql.is_empty() {
        let g = xtask::count_lines(&graphql);
        println!("graphql module     {} lines in {} files ({} doc, {} code)", g.total, graphql.len(), g.docs, g.code);
    }
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
pub(crate) struct Cost {
    pub wall: f64,
    /// User and system time of cargo and every compiler it ran, when GNU time is there.
    pub cpu: Option<f64>,
    /// Peak RSS, as text (`1781 MB`).
    pub rss: String,
}

/// Runs cargo under `/usr/bin/time -v` when available, for the peak RSS of the build.
fn timed_cargo(root: &Path, args: &[&str]) -> Result<(f64, String), String> {
    let cost = timed(root, args, &[])?;
    Ok((cost.wall, cost.rss))
}

pub(crate) fn timed(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Result<Cost, String> {
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
/// A program that uses a handful of operations, as a downstream crate does: lists read as
/// streams and as pages, single objects. With `canvas-lms`'s decoding instantiated
/// where it is used, this is where a program pays for the operations it calls.
const DOWNSTREAM_PROGRAM: &str = r#"//! Uses a handful of operations, as a downstream crate does.
use canvas_lms::context::Course;
use canvas_lms::runtime::Stream;

async fn drain<S: Stream + Unpin>(mut s: S) -> usize {
    let mut n = 0;
    while std::future::poll_fn(|cx| std::pin::Pin::new(&mut s).poll_next(cx)).await.is_some() {
        n += 1;
    }
    n
}

pub async fn run(client: &canvas_lms::Client) -> canvas_lms::Result<usize> {
    let mut n = drain(client.courses().list_your_courses().stream()).await;
    n += drain(client.assignments().list_assignments(7).stream()).await;
    n += drain(client.enrollments().list_enrollments(Course(7)).stream()).await;
    n += drain(client.submissions().list_assignment_submissions(Course(7), 3).pages()).await;
    n += drain(client.discussion_topics().list_discussion_topics(Course(7)).stream()).await;
    n += drain(client.modules().list_modules(7).stream()).await;
    let course = client.courses().get_single_course(7).send().await?;
    let users = client.users().list_users_in_account(1).send().await?;
    Ok(n + users.items.len() + usize::from(course.id.is_some()))
}
"#;

/// `canvas-lms` built as a dependency of a scratch crate outside the workspace, with cargo's
/// default profiles (as a downstream user builds it): all features and one, `dev` and
/// `release`, with a program that uses a few operations, and the docs. With `baseline` (a git
/// revision), the same builds of that revision's committed crate alternate with this
/// checkout's, `runs` times, so that both are measured on the same machine in the same minutes.
pub fn downstream(baseline: Option<&str>, runs: usize) -> Result<(), String> {
    let root = xtask::workspace_root();
    let dir = root.join("target/downstream-bench");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let mut trees = vec![("this checkout".to_owned(), root.clone())];
    if let Some(rev) = baseline {
        trees.insert(0, (format!("baseline {rev}"), baseline_tree(&root, rev)?));
    }
    let env = [("CARGO_TARGET_DIR", dir.join("target").display().to_string())];
    let empty = "//! Depends on `canvas-lms` as a downstream crate does.\n";
    let cases: [(&str, &str, &[&str], &str); 6] = [
        ("dev, all features", "", &[], empty),
        ("dev, one feature (courses)", "default-features = false, features = [\"courses\"]", &[], empty),
        ("release, all features", "", &["--release"], empty),
        ("release, one feature (courses)", "default-features = false, features = [\"courses\"]", &["--release"], empty),
        ("dev, all features, canvas-lms and a program using 8 operations", "", &[], DOWNSTREAM_PROGRAM),
        ("cargo doc, all features (canvas-lms alone)", "", &["doc"], empty),
    ];
    let manifest = |generated: &Path, features: &str| {
        let features = if features.is_empty() { String::new() } else { format!(", {features}") };
        format!(
            "[package]\nname = \"canvas-downstream\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\ncanvas-lms = {{ path = {:?}{features} }}\n\n[workspace]\n",
            generated.display().to_string()
        )
    };
    for (label, features, profile, program) in cases {
        for run in 1..=runs.max(1) {
            for (tree, tree_root) in &trees {
                xtask::scratch_manifest(&dir, &manifest(&tree_root.join("generated"), features), tree_root)?;
                std::fs::write(dir.join("src/lib.rs"), program).map_err(|e| e.to_string())?;
                let cost = if profile == ["doc"] {
                    timed(&dir, &["doc", "--offline", "--quiet", "-p", "canvas-lms"], &env)?;
                    timed(&dir, &["clean", "--offline", "--quiet", "--doc"], &env)?;
                    timed(&dir, &["doc", "--offline", "--quiet", "-p", "canvas-lms", "--no-deps"], &env)?
                } else {
                    let with = |args: &[&'static str]| -> Vec<&'static str> { [args, profile].concat() };
                    timed(&dir, &with(&["build", "--offline", "--quiet"]), &env)?;
                    let clean = ["clean", "--offline", "--quiet", "-p", "canvas-lms", "-p", "canvas-downstream"];
                    timed(&dir, &with(&clean), &env)?;
                    timed(&dir, &with(&["build", "--offline", "--quiet"]), &env)?
                };
                let cpu = cost.cpu.map(|s| format!("{s:.1} s CPU, ")).unwrap_or_default();
                let run = if runs > 1 { format!(" (run {run})") } else { String::new() };
                println!("downstream {label}, {tree}{run}: {:.1} s wall, {cpu}peak RSS {}", cost.wall, cost.rss);
            }
        }
    }
    Ok(())
}

/// A work tree of `rev` under `target/` (made once, moved to `rev` when it is at another).
fn baseline_tree(root: &Path, rev: &str) -> Result<std::path::PathBuf, String> {
    let tree = root.join("target/downstream-baseline");
    let git = |dir: &Path, args: &[&str]| -> Result<String, String> {
        let out = Command::new("git").args(args).current_dir(dir).output().map_err(|e| format!("git: {e}"))?;
        if !out.status.success() {
            return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let commit = git(root, &["rev-parse", "--verify", &format!("{rev}^{{commit}}")])?;
    if tree.join(".git").exists() {
        git(&tree, &["checkout", "--quiet", "--detach", &commit])?;
    } else {
        git(root, &["worktree", "add", "--quiet", "--detach", &tree.display().to_string(), &commit])?;
    }
    Ok(tree)
}
