//! `cargo xtask fetch-spec` against a loopback Canvas serving `/doc/api/`: the listing and
//! every declaration it names are downloaded, checked and written at once; a broken, missing,
//! HTML or too slow file fails the whole download with its name, and leaves the output folder
//! as it was.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use xtask::fetch::{fetch_spec, FetchOptions};

fn upstream(name: &str) -> Vec<u8> {
    std::fs::read(xtask::spec_dir(None).join(name)).unwrap()
}

const LISTING: &str = r#"{"apiVersion": "1.0", "swaggerVersion": "1.2", "apis": [
    {"path": "/courses.json", "description": "Courses"},
    {"path": "/tabs.json", "description": "Tabs"}]}"#;

async fn canvas(tabs: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    let serve = |at: &str, body: Vec<u8>| {
        Mock::given(method("GET")).and(path(at)).respond_with(ResponseTemplate::new(200).set_body_bytes(body))
    };
    serve("/doc/api/api-docs.json", LISTING.as_bytes().to_vec()).mount(&server).await;
    serve("/doc/api/courses.json", upstream("courses.json")).mount(&server).await;
    Mock::given(method("GET")).and(path("/doc/api/tabs.json")).respond_with(tabs).mount(&server).await;
    server
}

fn options() -> FetchOptions {
    FetchOptions { timeout: Duration::from_millis(1500), attempts: 2, backoff: Duration::from_millis(20) }
}

fn scratch(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fetch-spec-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs the blocking download off the test's runtime.
async fn fetch(base: String, out: &Path) -> Result<Vec<String>, String> {
    let out = out.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        fetch_spec(&base, &out, &options(), &mut |l| lines.push(l.to_owned())).map(|_| lines)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_canvas_folder_is_downloaded_checked_and_generates() {
    // tabs.json fails once (500) and comes slowly the second time: retried, waited for.
    let server =
        canvas(ResponseTemplate::new(200).set_body_bytes(upstream("tabs.json")).set_delay(Duration::from_millis(300)))
            .await;
    Mock::given(method("GET"))
        .and(path("/doc/api/tabs.json"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let out = scratch("ok");
    let lines = fetch(server.uri(), &out).await.unwrap();
    assert_eq!(lines.len(), 2, "a progress line per file: {lines:?}");
    assert!(lines[1].starts_with("[2/2] tabs.json"), "{lines:?}");
    for name in ["courses.json", "tabs.json"] {
        assert_eq!(std::fs::read(out.join(name)).unwrap(), upstream(name), "{name} as served");
    }
    let provenance = std::fs::read_to_string(out.join("PROVENANCE.md")).unwrap();
    assert!(provenance.contains(&format!("{}/doc/api/api-docs.json", server.uri())), "{provenance}");
    let sha = canvas_codegen::lock::sha256_hex(&upstream("tabs.json"));
    assert!(provenance.contains(&format!("| tabs.json | {} | {sha} |", upstream("tabs.json").len())), "{provenance}");
    // The folder is an input as it is: the listing names the resources.
    let files = xtask::read_input(&out).unwrap();
    let generated = xtask::generate_files(&files).unwrap();
    assert_eq!(generated.report.resources, 2);
    assert!(generated.ir.resources.iter().any(|r| r.title == "Tabs"));
    let _ = std::fs::remove_dir_all(&out);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_file_fails_the_download_with_its_name_and_writes_nothing() {
    let cases: [(&str, ResponseTemplate, &str); 4] = [
        ("broken", ResponseTemplate::new(200).set_body_string(r#"{"apis": [oops"#), "tabs.json (http"),
        ("missing", ResponseTemplate::new(404), "HTTP 404"),
        (
            "html",
            ResponseTemplate::new(200).set_body_string("<!DOCTYPE html><html><body>Log in</body></html>"),
            "the server sent an HTML page",
        ),
        (
            "slow",
            ResponseTemplate::new(200).set_body_bytes(upstream("tabs.json")).set_delay(Duration::from_secs(5)),
            "timed out",
        ),
    ];
    for (label, tabs, expect) in cases {
        let server = canvas(tabs).await;
        let out = scratch(label);
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("earlier.json"), "kept").unwrap();
        let err = fetch(server.uri(), &out).await.unwrap_err();
        assert!(err.starts_with("tabs.json") && err.contains(expect), "{label}: {err}");
        let left: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["earlier.json"], "{label}: the folder is as it was");
        let siblings = std::fs::read_dir(out.parent().unwrap())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(&format!("fetch-spec-{label}-{}.tmp", std::process::id()))
            })
            .count();
        assert_eq!(siblings, 0, "{label}: no temporary folder left");
        let _ = std::fs::remove_dir_all(&out);
    }
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let err = fetch_spec("http://canvas.test", &scratch("http"), &options(), &mut |_| {}).unwrap_err();
    assert!(err.contains("http is refused"), "{err}");
}
