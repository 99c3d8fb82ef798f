//! Runtime benchmark: stream every course of a paginated list served on loopback.
//!
//! `cargo run --release -p canvas-bench -- [--pages 1000] [--small-pages 100] [--python-pages 20] [--no-python]`
//! `cargo run --release -p canvas-bench -- upload [--mib 1024]` (upload memory and speed)
//! `cargo run --release -p canvas-bench -- graphql [--pages 1000] [--small-pages 100]` (a
//! Relay connection streamed with the shipped `CourseSubmissions` query: speed and memory)
//! `cargo run --release -p canvas-bench -- decode [--rounds 2000] [--trials 7]` (decoding alone:
//! the page of 100 courses the server sends, into `Vec<Course>`, no HTTP)
//! `cargo run --release -p canvas-bench -- quota [--lists 32] [--pages 20] [--long-pages 50]`
//! (many lists at once against Canvas's throttling; numbered pages fetched at once)
//!
//! For each client, the orchestrator starts a Canvas-like server (pages of 100 course objects,
//! `Link` headers, keep-alive) on 127.0.0.1 and runs the client in a child process, so each
//! client's peak RSS is its own. Clients:
//! - `canvas-lms`: this project (`client.courses().list_your_courses().stream()`, typed
//!   `Course` models, retries, origin checks), at `--small-pages` and at `--pages` to show that
//!   memory does not grow with the number of pages;
//! - naive loops (reqwest + serde_json, following `Link`, no retries or checks), decoding
//!   the same `Course` model (what the runtime itself costs) and a two-field struct (the
//!   floor any client pays for HTTP and JSON);
//! - Python `canvasapi`, installed with pip into `target/bench-venv` (fewer pages: it is slow).
#![forbid(unsafe_code)]

mod graphql;
mod quota;
mod server;
mod upload;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use futures_util::TryStreamExt;

struct Run {
    client: &'static str,
    pages: usize,
    items: u64,
    secs: f64,
    rss_kb: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("stream") => client_stream(&args[1], args[2].parse().expect("pages")),
        Some("naive") => client_naive::<Small>(&args[1], args[2].parse().expect("pages")),
        Some("naive-course") => client_naive::<canvas_lms::models::Course>(&args[1], args[2].parse().expect("pages")),
        Some("upload-client") => upload::client(&args[1], args[2].parse().expect("bytes")),
        Some("upload") => upload_bench(&args[1..]),
        Some("graphql-client") => graphql::client(&args[1], args[2].parse().expect("pages")),
        Some("graphql") => graphql::run(flag(&args, "--small-pages", 100), flag(&args, "--pages", 1000)),
        Some("decode") => decode_bench(flag(&args, "--rounds", 2000), flag(&args, "--trials", 7)),
        Some("quota") => {
            quota::run(flag(&args, "--lists", 32), flag(&args, "--pages", 20), flag(&args, "--long-pages", 50))
        }
        _ => orchestrate(&args),
    }
}

/// Decoding throughput of the full `Course` model, without HTTP: the server's page of 100
/// courses decoded `rounds` times per trial; the best trial and the median are printed (the
/// best is the least disturbed by other load on the machine).
fn decode_bench(rounds: usize, trials: usize) {
    let body = server::page_body(1).into_bytes();
    let mut rates = Vec::new();
    for _ in 0..trials.max(1) {
        let start = Instant::now();
        let mut ids = 0u64;
        for _ in 0..rounds {
            let page: Vec<canvas_lms::models::Course> = serde_json::from_slice(&body).expect("decode");
            ids += page.iter().filter_map(|c| c.id.as_ref().and_then(|id| id.as_u64())).sum::<u64>();
        }
        assert_eq!(ids, rounds as u64 * 5050, "every course decoded");
        rates.push((rounds * 100) as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let mib = body.len() as f64 * rounds as f64 / (1 << 20) as f64;
    println!(
        "decode Vec<Course> ({} bytes per 100): best {:.0} items/s, median {:.0} items/s ({:.0} MiB/s best)",
        body.len(),
        rates[rates.len() - 1],
        rates[rates.len() / 2],
        mib * rates[rates.len() - 1] / (rounds * 100) as f64
    );
}

fn flag(args: &[String], name: &str, default: usize) -> usize {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn orchestrate(args: &[String]) {
    let pages = flag(args, "--pages", 1000);
    let small = flag(args, "--small-pages", 100);
    let python_pages = flag(args, "--python-pages", 20);
    let exe = std::env::current_exe().expect("own path");
    let mut runs = Vec::new();
    let clients = [
        ("canvas-lms", "stream", small),
        ("canvas-lms", "stream", pages),
        ("naive loop, same Course model", "naive-course", pages),
        ("naive loop, 2-field struct", "naive", pages),
    ];
    for (client, mode, n) in clients {
        let server = server::start(n);
        let out = Command::new(&exe).args([mode, &server.base, &n.to_string()]).output().expect("run client");
        runs.push(parse(client, n, &out));
    }
    if !args.iter().any(|a| a == "--no-python") {
        match python() {
            Ok(py) => {
                let server = server::start(python_pages);
                let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("canvasapi_client.py");
                let out = Command::new(py)
                    .arg(script)
                    .args([&server.base, &python_pages.to_string()])
                    .output()
                    .expect("run python");
                runs.push(parse("python canvasapi", python_pages, &out));
            }
            Err(e) => eprintln!("skipping canvasapi: {e}"),
        }
    }
    println!("| client | pages × 100 items | items | seconds | items/s | peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &runs {
        print_row(r);
    }
    let rate = |name: &str, pages: usize| {
        runs.iter().find(|r| r.client == name && r.pages == pages).map(|r| r.items as f64 / r.secs)
    };
    if let (Some(ours), Some(naive)) = (rate("canvas-lms", pages), rate("naive loop, same Course model", pages)) {
        println!("\ncanvas-lms / naive loop decoding the same model: {:.2}", ours / naive);
    }
    if let (Some(ours), Some(py)) = (rate("canvas-lms", pages), rate("python canvasapi", python_pages)) {
        println!("canvas-lms / canvasapi throughput: {:.0}x", ours / py);
    }
    let rss = |p: usize| runs.iter().find(|r| r.client == "canvas-lms" && r.pages == p).map(|r| r.rss_kb);
    if let (Some(a), Some(b)) = (rss(small), rss(pages)) {
        println!(
            "canvas-lms peak RSS at {small} pages: {:.1} MB, at {pages} pages: {:.1} MB",
            a as f64 / 1024.0,
            b as f64 / 1024.0
        );
    }
}

/// `runtime-bench upload [--mib 1024]`: a 1 MiB and a large upload through the three steps.
fn upload_bench(args: &[String]) {
    let mib = flag(args, "--mib", 1024) as u64;
    let exe = std::env::current_exe().expect("own path");
    let base = upload::start_server();
    println!("| upload | bytes | seconds | MiB/s | client peak RSS |");
    println!("|---|---:|---:|---:|---:|");
    for size in [1u64 << 20, mib << 20] {
        let out = Command::new(&exe).args(["upload-client", &base, &size.to_string()]).output().expect("run client");
        let run = parse("upload", 0, &out);
        println!(
            "| canvas-lms `upload_file(..).upload(..)` | {} | {:.2} | {:.0} | {:.1} MB |",
            size,
            run.secs,
            size as f64 / (1 << 20) as f64 / run.secs,
            run.rss_kb as f64 / 1024.0
        );
    }
}

/// One row of the table of `runs`: client, pages, items, seconds, items/s, peak RSS.
fn print_row(r: &Run) {
    println!(
        "| {} | {} | {} | {:.2} | {:.0} | {:.1} MB |",
        r.client,
        r.pages,
        r.items,
        r.secs,
        r.items as f64 / r.secs,
        r.rss_kb as f64 / 1024.0
    );
}

fn parse(client: &'static str, pages: usize, out: &std::process::Output) -> Run {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("items=")).unwrap_or_else(|| {
        panic!("{client} failed: {}\n{}", text, String::from_utf8_lossy(&out.stderr));
    });
    let field = |name: &str| -> f64 {
        line.split_whitespace().find_map(|kv| kv.strip_prefix(name)).and_then(|v| v.parse().ok()).expect("field")
    };
    Run { client, pages, items: field("items=") as u64, secs: field("secs="), rss_kb: field("rss_kb=") as u64 }
}

/// A Python with canvasapi: `target/bench-venv`, created and filled with pip on first use.
fn python() -> Result<PathBuf, String> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        let ok = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().map_err(|e| e.to_string())?.success();
        if !ok {
            return Err("python3 -m venv failed".into());
        }
    }
    let has = Command::new(&py)
        .args(["-c", "import canvasapi"])
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| e.to_string())?
        .success();
    if !has {
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "-q", "canvasapi"])
            .status()
            .map_err(|e| e.to_string())?
            .success();
        if !ok {
            return Err("pip install canvasapi failed".into());
        }
    }
    Ok(py)
}

pub(crate) fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches("kB").trim().to_owned()))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn report(items: u64, start: Instant) {
    println!("items={items} secs={:.3} rss_kb={}", start.elapsed().as_secs_f64(), peak_rss_kb());
}

#[tokio::main(flavor = "current_thread")]
async fn client_stream(base: &str, pages: usize) {
    let client =
        canvas_lms::Client::builder(base).allow_insecure_http(true).token("bench-token").build().expect("client");
    let start = Instant::now();
    let mut items = 0u64;
    let mut id_sum = 0u64;
    let mut stream = client.courses().list_your_courses().stream();
    while let Some(course) = stream.try_next().await.expect("stream") {
        items += 1;
        id_sum += course.id.and_then(|id| id.as_u64()).unwrap_or(0);
    }
    assert_eq!(items, pages as u64 * 100);
    assert_eq!(id_sum, items * (items + 1) / 2, "items lost or repeated");
    report(items, start);
}

#[derive(serde::Deserialize)]
struct Small {
    id: u64,
    #[allow(dead_code)]
    name: String,
}

/// The id of a decoded item, for the lost-or-repeated check.
trait HasId {
    fn id(&self) -> u64;
}

impl HasId for Small {
    fn id(&self) -> u64 {
        self.id
    }
}

impl HasId for canvas_lms::models::Course {
    fn id(&self) -> u64 {
        self.id.as_ref().and_then(|id| id.as_u64()).unwrap_or(0)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn client_naive<T: serde::de::DeserializeOwned + HasId>(base: &str, pages: usize) {
    let http = reqwest::Client::new();
    let start = Instant::now();
    let mut url = Some(format!("{base}/api/v1/courses?per_page=100"));
    let mut items = 0u64;
    let mut id_sum = 0u64;
    while let Some(u) = url.take() {
        let resp = http.get(&u).bearer_auth("bench-token").send().await.expect("get");
        url = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.split(',').find(|p| p.contains("rel=\"next\"")))
            .and_then(|p| p.split('<').nth(1))
            .and_then(|p| p.split('>').next())
            .map(str::to_owned);
        let body = resp.bytes().await.expect("body");
        for c in serde_json::from_slice::<Vec<T>>(&body).expect("json") {
            items += 1;
            id_sum += c.id();
        }
    }
    assert_eq!(items, pages as u64 * 100);
    assert_eq!(id_sum, items * (items + 1) / 2);
    report(items, start);
}
