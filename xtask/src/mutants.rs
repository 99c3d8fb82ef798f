//! `cargo xtask mutants`: mutation testing of the hand-written crates with `cargo-mutants`.
//!
//! Each package's mutants are tested by that package's own tests (`.cargo/mutants.toml`):
//! the runtime's unit tests and `runtime/tests/behaviour` (a miniature of the generated
//! crate, so no mutant rebuilds the 50k-line `canvas-lms`), and the generator's unit and
//! fixture tests. The score is caught / (caught + missed); mutants that do not compile
//! (unviable) and those whose tests hang (timeouts, which a test run would notice too) are
//! reported apart. TESTING.md records the last full run and why each survivor survives.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo-mutants release the project's configuration and TESTING.md's figures are for.
const CARGO_MUTANTS_VERSION: &str = "27.1.0";

/// The packages mutated, with the folder their sources are in.
pub const PACKAGES: [(&str, &str); 2] = [("canvas-lms-runtime", "runtime/src"), ("canvas-codegen", "codegen/src")];

/// What to run.
pub struct Options {
    /// Only these packages (all of [`PACKAGES`] when empty).
    pub packages: Vec<String>,
    /// Only the mutants in lines this git revision's diff to the work tree touches.
    pub in_diff: Option<String>,
    /// Mutate the checkout itself, with its target directory (nothing to build from scratch;
    /// for CI, where the tests were just built), instead of a copy.
    pub in_place: bool,
    /// Give up (successfully, saying so) when more mutants than this would be tested.
    pub max_mutants: Option<usize>,
}

/// The outcome counts of one package's run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Score {
    pub caught: usize,
    pub missed: usize,
    pub timeout: usize,
    pub unviable: usize,
}

impl Score {
    /// Caught among the mutants that compiled and whose tests finished, in percent.
    pub fn percent(&self) -> f64 {
        let viable = self.caught + self.missed;
        if viable == 0 {
            100.0
        } else {
            100.0 * self.caught as f64 / viable as f64
        }
    }
}

/// Installs cargo-mutants when `cargo mutants` is not there (or is another version).
fn ensure_installed(cargo: &str) -> Result<(), String> {
    let version = Command::new(cargo).args(["mutants", "--version"]).output();
    if let Ok(out) = &version {
        if out.status.success() && String::from_utf8_lossy(&out.stdout).contains(CARGO_MUTANTS_VERSION) {
            return Ok(());
        }
    }
    println!("==> installing cargo-mutants {CARGO_MUTANTS_VERSION}");
    let status = Command::new(cargo)
        .args(["install", "--locked", "cargo-mutants", "--version", CARGO_MUTANTS_VERSION])
        .status()
        .map_err(|e| format!("running cargo install: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("cargo install cargo-mutants failed".into())
    }
}

/// Reads a run's `outcomes.json`.
pub fn read_score(out_dir: &Path) -> Result<Score, String> {
    let path = out_dir.join("mutants.out/outcomes.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let n = |k: &str| json[k].as_u64().unwrap_or(0) as usize;
    Ok(Score { caught: n("caught"), missed: n("missed"), timeout: n("timeout"), unviable: n("unviable") })
}

/// The surviving mutants of a run, one per line as cargo-mutants names them.
pub fn read_missed(out_dir: &Path) -> Vec<String> {
    std::fs::read_to_string(out_dir.join("mutants.out/missed.txt"))
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Runs the mutants of each package and prints its score; fails when a mutant survives
/// (so that CI, which runs the mutants of a change, notices a test gap in it).
pub fn run(opts: &Options) -> Result<bool, String> {
    let root = xtask::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let diff = match &opts.in_diff {
        Some(rev) => {
            let dirs: Vec<&str> = PACKAGES.iter().map(|(_, d)| *d).collect();
            let out = Command::new("git")
                .args(["diff", rev.as_str(), "--"])
                .args(&dirs)
                .current_dir(&root)
                .output()
                .map_err(|e| format!("running git diff: {e}"))?;
            if !out.status.success() {
                return Err(format!("git diff {rev}: {}", String::from_utf8_lossy(&out.stderr)));
            }
            let path = root.join("target/mutants/change.diff");
            std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
            std::fs::write(&path, &out.stdout).map_err(|e| format!("{}: {e}", path.display()))?;
            if out.stdout.is_empty() {
                println!("==> mutants: the change touches no source of the runtime or the generator");
                return Ok(true);
            }
            Some(path)
        }
        None => None,
    };
    ensure_installed(&cargo)?;
    let mut all_caught = true;
    for (package, _) in
        PACKAGES.iter().filter(|(p, _)| opts.packages.is_empty() || opts.packages.iter().any(|q| q == p))
    {
        let out_dir: PathBuf = root.join("target/mutants").join(package);
        let mut args: Vec<String> = vec!["mutants".into(), "-p".into(), (*package).into()];
        if let Some(diff) = &diff {
            args.extend(["--in-diff".into(), diff.display().to_string()]);
        }
        if let Some(max) = opts.max_mutants {
            let listed = Command::new(&cargo)
                .args(&args)
                .arg("--list")
                .current_dir(&root)
                .output()
                .map_err(|e| format!("running cargo mutants --list: {e}"))?;
            let n = String::from_utf8_lossy(&listed.stdout).lines().count();
            if n > max {
                println!(
                    "==> mutants of {package}: {n} to test, over the limit of {max}; the full run is \
                     `cargo xtask mutants`, its last result in TESTING.md"
                );
                continue;
            }
        }
        if opts.in_place {
            // In the checkout, with what its tests were just built with (the `mutants`
            // profile would build every dependency again).
            // In place is one job by itself (cargo-mutants refuses `--jobs` with it).
            args.extend(["--in-place".into(), "--profile".into(), "dev".into()]);
        } else {
            args.extend(["-j".into(), "2".into()]);
        }
        args.extend(["-o".into(), out_dir.display().to_string()]);
        // Outcomes of an earlier run must not stand for this one (a run without mutants writes none).
        let _ = std::fs::remove_dir_all(out_dir.join("mutants.out"));
        println!("==> cargo {}", args.join(" "));
        // cargo-mutants exits non-zero when mutants survive; the counts say what happened.
        let status = Command::new(&cargo).args(&args).current_dir(&root).status().map_err(|e| e.to_string())?;
        let score = match read_score(&out_dir) {
            Ok(score) => score,
            Err(e) if !status.success() => return Err(format!("cargo mutants failed for {package}: {e}")),
            // A diff whose lines in this package hold no mutant (tests, comments): cargo-mutants
            // succeeds without writing outcomes.
            Err(_) if diff.is_some() && !out_dir.join("mutants.out/outcomes.json").exists() => {
                println!("==> {package}: the changed lines hold no mutant");
                continue;
            }
            Err(e) => return Err(e),
        };
        println!(
            "==> {package}: {:.1}% of viable mutants caught ({} caught, {} missed; {} timeouts, {} unviable, apart)",
            score.percent(),
            score.caught,
            score.missed,
            score.timeout,
            score.unviable
        );
        for m in read_missed(&out_dir) {
            println!("    missed: {m}");
        }
        all_caught &= score.missed == 0;
    }
    Ok(all_caught)
}
