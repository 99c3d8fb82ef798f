//! `cargo xtask fetch-spec`: download Canvas's API description from a Canvas instance.
//!
//! Canvas serves its Swagger 1.2 description under `/doc/api/`: the resource listing
//! `api-docs.json`, whose `apis[].path` (`/courses.json`) names each declaration relative to
//! the listing's folder. Every listed file is downloaded (with timeouts and retries), checked
//! to be a Swagger 1.2 API declaration, and the whole directory is written at once with a
//! `PROVENANCE.md` (source, time, count, sha256 per file): on any failure nothing is written
//! and an existing directory is left as it was.

use std::fmt::Write as _;

use canvas_codegen::spec::LISTING_FILE;
use std::path::Path;
use std::time::{Duration, Instant};

/// How patient a download is.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Bound on each request, connecting included.
    pub timeout: Duration,
    /// Tries per file (a refused or dropped connection, a timeout, `429` or a `5xx` is tried
    /// again).
    pub attempts: u32,
    /// Wait before the second try; doubled for each further one.
    pub backoff: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions { timeout: Duration::from_secs(60), attempts: 4, backoff: Duration::from_millis(500) }
    }
}

/// The largest file accepted (Canvas's largest declaration is under 1 MiB).
const MAX_FILE: usize = 32 << 20;

/// What was downloaded.
#[derive(Debug)]
pub struct Fetched {
    pub files: usize,
    pub bytes: usize,
}

/// Downloads the description of the Canvas at `base` into `out`. `progress` gets one line per
/// file.
pub fn fetch_spec(
    base: &str,
    out: &Path,
    options: &FetchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Fetched, String> {
    let folder = api_folder(base)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    let listing_url = format!("{folder}/{LISTING_FILE}");
    let listing_bytes = runtime.block_on(get(&client, &listing_url, options))?;
    let listing = canvas_codegen::spec::parse_listing(LISTING_FILE, &listing_bytes)
        .map_err(|e| format!("{listing_url}: not a Swagger 1.2 resource listing{}: {e}", html_hint(&listing_bytes)))?;
    if listing.apis.is_empty() {
        return Err(format!("{listing_url}: the resource listing names no declarations"));
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let total = listing.apis.len();
    for (i, entry) in listing.apis.iter().enumerate() {
        let name = entry.file_name();
        if !is_plain_file_name(&name) {
            return Err(format!("{listing_url}: apis[{i}].path {:?} is not a file of this folder", entry.path));
        }
        if files.iter().any(|(n, _)| *n == name) {
            return Err(format!("{listing_url}: {name} is listed twice"));
        }
        let url = format!("{folder}/{name}");
        let start = Instant::now();
        let bytes = runtime.block_on(get(&client, &url, options)).map_err(|e| format!("{name}: {e}"))?;
        canvas_codegen::spec::parse(&name, &bytes)
            .map_err(|e| format!("{name} ({url}): not a Swagger 1.2 API declaration{}: {e}", html_hint(&bytes)))?;
        progress(&format!(
            "[{}/{total}] {name}: {:.1} KB in {:.2} s",
            i + 1,
            bytes.len() as f64 / 1024.0,
            start.elapsed().as_secs_f64()
        ));
        files.push((name, bytes));
    }
    let bytes = files.iter().map(|(_, b)| b.len()).sum::<usize>() + listing_bytes.len();
    let provenance = provenance(&listing_url, &listing_bytes, &files);
    files.push((LISTING_FILE.into(), listing_bytes));
    files.push(("PROVENANCE.md".into(), provenance.into_bytes()));
    crate::replace_dir(out, |tmp| {
        for (name, bytes) in &files {
            std::fs::write(tmp.join(name), bytes).map_err(|e| format!("{}: {e}", tmp.join(name).display()))?;
        }
        Ok(())
    })?;
    Ok(Fetched { files: files.len() - 2, bytes })
}

/// `<base>/doc/api`, for an `https` base (or `http` on a loopback host, for tests).
fn api_folder(base: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(base).map_err(|e| format!("--from {base:?}: not a URL: {e}"))?;
    let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost");
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => return Err(format!("--from {base:?}: {other} is refused; use https (http only on a loopback host)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("--from: a URL with a user name or password is refused".into());
    }
    Ok(format!("{}/doc/api", url.as_str().trim_end_matches('/')))
}

/// One GET, tried again on what may pass (connection trouble, timeouts, `429`, `5xx`).
async fn get(client: &reqwest::Client, url: &str, options: &FetchOptions) -> Result<Vec<u8>, String> {
    let mut wait = options.backoff;
    let mut last = String::new();
    for attempt in 1..=options.attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        match get_once(client, url).await {
            Ok(bytes) => return Ok(bytes),
            Err((retry, why)) => {
                last = why;
                if !retry {
                    break;
                }
            }
        }
    }
    Err(format!("{url}: {last}"))
}

async fn get_once(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, (bool, String)> {
    let mut resp = client.get(url).send().await.map_err(|e| (true, describe(&e)))?;
    let status = resp.status();
    if !status.is_success() {
        let retry = status.as_u16() == 429 || status.is_server_error();
        return Err((retry, format!("HTTP {status}")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| (true, describe(&e)))? {
        if body.len() + chunk.len() > MAX_FILE {
            return Err((false, format!("larger than {} MiB", MAX_FILE >> 20)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        format!("cannot connect: {e}")
    } else {
        e.to_string()
    }
}

/// `" (the server sent an HTML page)"` when it did: a login or error page instead of JSON.
fn html_hint(bytes: &[u8]) -> &'static str {
    let start = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).trim_start().to_ascii_lowercase();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        " (the server sent an HTML page)"
    } else {
        ""
    }
}

/// A name that stays in the output folder: letters, digits, `_`, `-`, `(`, `)`, `.json`.
fn is_plain_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json") else { return false };
    !stem.is_empty()
        && !stem.starts_with('.')
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '(' | ')' | '.'))
        && !stem.contains("..")
}

fn provenance(listing_url: &str, listing: &[u8], files: &[(String, Vec<u8>)]) -> String {
    let now = chrono::Utc::now();
    let mut text = format!(
        "# Canvas API description\n\nDownloaded by `cargo xtask fetch-spec` from {listing_url} and the {} \
         declarations it lists, at {} UTC.\n\n| file | bytes | sha256 |\n|---|---:|---|\n",
        files.len(),
        now.format("%Y-%m-%d %H:%M:%S")
    );
    let sha = canvas_codegen::lock::sha256_hex;
    let _ = writeln!(text, "| {LISTING_FILE} | {} | {} |", listing.len(), sha(listing));
    for (name, bytes) in files {
        let _ = writeln!(text, "| {name} | {} | {} |", bytes.len(), sha(bytes));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert_eq!(api_folder("https://canvas.test/").unwrap(), "https://canvas.test/doc/api");
        assert_eq!(api_folder("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080/doc/api");
        assert!(api_folder("http://canvas.test").unwrap_err().contains("http is refused"));
        assert!(api_folder("https://u:p@canvas.test").is_err());
        assert!(api_folder("ftp://127.0.0.1").is_err());
    }

    #[test]
    fn listed_names_stay_in_the_folder() {
        for ok in ["courses.json", "accounts_(lti).json", "e-pub.json"] {
            assert!(is_plain_file_name(ok), "{ok}");
        }
        for bad in ["../x.json", "a/b.json", ".json", "..json", "x.txt", ".hidden.json", "a..b.json"] {
            assert!(!is_plain_file_name(bad), "{bad}");
        }
    }
}
