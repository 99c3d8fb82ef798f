//! File uploads and long-running jobs, on loopback with two servers: Canvas and an upload
//! host. The upload host must never see the token; `upload_params` must arrive in order with
//! the file last; confirmations go to Canvas with the token only at the Canvas origin.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::api::{Client, Error, Upload, WaitOptions};
use canvas_tests::{Logged, Reply, ScriptedServer};

const FILE: &[u8] = b"hello notes";

fn client_for(canvas: &ScriptedServer) -> Client {
    Client::builder(canvas.uri()).allow_insecure_http(true).token("secret-token").build().unwrap()
}

fn upload() -> Upload {
    Upload::from_reader("notes.txt", FILE.len() as u64, FILE)
}

/// The names of the multipart fields of a body, in order.
fn field_names(body: &str) -> Vec<String> {
    body.split("form-data; name=\"").skip(1).map(|rest| rest.split('"').next().unwrap_or("").to_owned()).collect()
}

fn instructions(upload_url: &str, redirect: &str) -> String {
    serde_json::json!({
        "upload_url": upload_url,
        "upload_params": {"key": "u/1/notes.txt", "acl": "private", "Policy": "eyJ4Ijoi", "success_action_redirect": redirect, "content-type": "text/plain"},
        "file_param": "file"
    })
    .to_string()
}

/// A Canvas whose step 1 points at `upload_host`, and whose confirmation URL answers `File`.
async fn canvas_pointing_at(upload_host: String) -> ScriptedServer {
    ScriptedServer::start_with(move |base| {
        move |req: &Logged, _| match (req.method.as_str(), req.path()) {
            ("POST", p) if p.ends_with("/files") => Reply::json(instructions(
                &format!("{}/upload", if upload_host.is_empty() { base.clone() } else { upload_host.clone() }),
                &format!("{base}/api/v1/files/55/create_success?uuid=u"),
            )),
            ("GET", p) if p.contains("create_success") => {
                Reply::json(r#"while(1);{"id": 55, "display_name": "notes.txt", "size": 11}"#)
            }
            ("POST", "/upload") => Reply::status(201, r#"{"id": 55, "display_name": "notes.txt", "size": 11}"#),
            _ => Reply::status(404, "{}"),
        }
    })
    .await
}

#[tokio::test]
async fn upload_host_gets_params_in_order_file_last_and_no_token_then_canvas_confirms() {
    // The upload host redirects to Canvas's confirmation URL, as S3-style hosts do.
    let canvas_slot: Arc<std::sync::Mutex<String>> = Arc::default();
    let slot = canvas_slot.clone();
    let host = ScriptedServer::start(move |_, _| {
        Reply::status(303, "")
            .header("location", format!("{}/api/v1/files/55/create_success?uuid=u", slot.lock().unwrap()))
    })
    .await;
    let canvas = canvas_pointing_at(host.uri()).await;
    *canvas_slot.lock().unwrap() = canvas.uri();
    let client = client_for(&canvas);
    let sent = Arc::new(AtomicU64::new(0));
    let seen = sent.clone();
    let file = client
        .courses()
        .upload_file(1)
        .upload(upload().on_progress(move |n| seen.store(n, Ordering::SeqCst)))
        .await
        .unwrap();
    assert_eq!(file.id.unwrap().as_u64(), Some(55));
    assert_eq!(sent.load(Ordering::SeqCst), FILE.len() as u64, "progress callback saw every byte");

    let canvas_log = canvas.requests();
    assert_eq!(canvas_log.len(), 2, "{canvas_log:?}");
    assert_eq!(canvas_log[0].body, "name=notes.txt&size=11&content_type=text%2Fplain");
    assert!(canvas_log.iter().all(|r| r.authorization.as_deref() == Some("Bearer secret-token")));
    assert!(canvas_log[1].target.ends_with("/api/v1/files/55/create_success?uuid=u"));

    let host_log = host.requests();
    assert_eq!(host_log.len(), 1);
    assert_eq!(host_log[0].authorization, None, "the upload host must never get the token");
    assert_eq!(
        field_names(&host_log[0].body),
        ["key", "acl", "Policy", "success_action_redirect", "content-type", "file"]
    );
    assert!(host_log[0].body.contains("hello notes"));
    assert!(host_log[0].header("content-type").unwrap().starts_with("multipart/form-data"));
}

#[tokio::test]
async fn a_201_from_the_upload_host_is_the_file_and_same_origin_hosts_get_no_token_either() {
    // upload_url on Canvas's own origin (local storage): still no token in step 2.
    let canvas = canvas_pointing_at(String::new()).await;
    let client = client_for(&canvas);
    let file = client
        .users()
        .upload_file("self")
        .upload(upload().folder_path("my files/notes").on_duplicate("rename"))
        .await
        .unwrap();
    assert_eq!(file.display_name.as_deref(), Some("notes.txt"));
    let log = canvas.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        log[0].body,
        "name=notes.txt&size=11&content_type=text%2Fplain&parent_folder_path=my+files%2Fnotes&on_duplicate=rename"
    );
    assert_eq!(log[1].path(), "/upload");
    assert_eq!(log[1].authorization, None);
}

#[tokio::test]
async fn a_confirmation_elsewhere_is_fetched_without_the_token() {
    let other = ScriptedServer::start(|_, _| Reply::json(r#"{"id": 56, "display_name": "x"}"#)).await;
    let other_uri = other.uri();
    let host =
        ScriptedServer::start(move |_, _| Reply::status(302, "").header("location", format!("{other_uri}/confirm")))
            .await;
    let canvas = canvas_pointing_at(host.uri()).await;
    let file = client_for(&canvas).courses().upload_file(1).upload(upload()).await.unwrap();
    assert_eq!(file.id.unwrap().as_u64(), Some(56));
    assert_eq!(other.requests()[0].authorization, None);
}

#[tokio::test]
async fn a_failed_upload_is_an_http_error_with_the_hosts_body() {
    let host = ScriptedServer::start(|_, _| Reply::status(400, "<Error><Code>EntityTooLarge</Code></Error>")).await;
    let canvas = canvas_pointing_at(host.uri()).await;
    let err = client_for(&canvas).courses().upload_file(1).upload(upload()).await.unwrap_err();
    let http = err.http().expect("http error");
    assert_eq!(http.status, 400);
    assert!(http.body_excerpt.contains("EntityTooLarge"));
}

#[tokio::test]
async fn content_migrations_upload_into_their_pre_attachment() {
    let host = ScriptedServer::start(|_, _| Reply::status(201, r#"{"id": 90}"#)).await;
    let host_uri = host.uri();
    let canvas = ScriptedServer::start(move |_, _| {
        Reply::json(
            serde_json::json!({"id": 7, "migration_type": "zip_file_importer", "workflow_state": "pre_processing",
                "pre_attachment": {"upload_url": format!("{host_uri}/upload"), "upload_params": {"key": "k"}, "file_param": "file"}})
            .to_string(),
        )
    })
    .await;
    let migration = client_for(&canvas)
        .content_migrations()
        .create_content_migration(crate::api::Course(1), "zip_file_importer")
        .upload(upload())
        .await
        .unwrap();
    assert_eq!(migration.id.unwrap().as_u64(), Some(7));
    let step1 = &canvas.requests()[0].body;
    assert_eq!(step1, "migration_type=zip_file_importer&pre_attachment%5Bname%5D=notes.txt&pre_attachment%5Bsize%5D=11&pre_attachment%5Bcontent_type%5D=text%2Fplain");
    assert_eq!(field_names(&host.requests()[0].body), ["key", "file"]);
    assert_eq!(host.requests()[0].authorization, None);
}

#[tokio::test]
async fn sis_imports_send_the_file_in_the_request() {
    let canvas =
        ScriptedServer::start(|_, _| Reply::json(r#"{"id": 8812, "workflow_state": "created", "progress": 0}"#)).await;
    let import = client_for(&canvas)
        .sis_imports()
        .import_sis_data(1)
        .import_type("instructure_csv")
        .send_with_file(upload())
        .await
        .unwrap();
    assert_eq!(import.id.unwrap().as_u64(), Some(8812));
    let req = &canvas.requests()[0];
    assert_eq!(req.authorization.as_deref(), Some("Bearer secret-token"));
    assert_eq!(field_names(&req.body), ["import_type", "attachment"]);
    assert!(req.body.contains("hello notes"));
}

#[tokio::test]
async fn upload_by_url_returns_the_progress() {
    let canvas = ScriptedServer::start(|_, _| {
        Reply::json(r#"{"progress": {"id": 3, "workflow_state": "queued", "url": "http://x/api/v1/progress/3"}}"#)
    })
    .await;
    let progress = client_for(&canvas)
        .courses()
        .upload_file(1)
        .upload_from_url("https://example.edu/a.pdf", "a.pdf")
        .await
        .unwrap();
    assert_eq!(progress.id.unwrap().as_u64(), Some(3));
    assert!(canvas.requests()[0].body.contains("url=https%3A%2F%2Fexample.edu%2Fa.pdf"));
}

fn fast() -> WaitOptions {
    WaitOptions {
        initial_interval: Duration::from_millis(5),
        max_interval: Duration::from_millis(20),
        timeout: Some(Duration::from_secs(5)),
    }
}

#[tokio::test]
async fn waiting_on_a_progress_until_it_completes() {
    let canvas = ScriptedServer::start(|_, n| {
        let state = ["queued", "running", "completed"][n.min(2)];
        Reply::json(format!(r#"{{"id": 3, "workflow_state": "{state}", "completion": {}}}"#, n * 50))
    })
    .await;
    let client = client_for(&canvas);
    let start: crate::api::models::Progress = serde_json::from_str(r#"{"id": 3, "workflow_state": "queued"}"#).unwrap();
    let done = client.wait_for_progress(&start, &fast()).await.unwrap();
    assert_eq!(done.completion, Some(100));
    assert_eq!(canvas.requests().len(), 3);
    assert!(canvas.requests().iter().all(|r| r.path() == "/api/v1/progress/3" && r.authorization.is_some()));
}

#[tokio::test]
async fn a_failed_job_and_a_job_that_outlives_the_timeout_are_typed_errors() {
    let failing = ScriptedServer::start(|_, _| {
        Reply::json(r#"{"id": 4, "workflow_state": "failed", "message": "import failed: bad CSV"}"#)
    })
    .await;
    let start: crate::api::models::Progress = serde_json::from_str(r#"{"id": 4}"#).unwrap();
    match client_for(&failing).wait_for_progress(&start, &fast()).await {
        Err(Error::JobFailed { message, .. }) => assert_eq!(message, "import failed: bad CSV"),
        other => panic!("{other:?}"),
    }
    let slow = ScriptedServer::start(|_, _| Reply::json(r#"{"id": 5, "workflow_state": "running"}"#)).await;
    let options = WaitOptions { timeout: Some(Duration::from_millis(60)), ..fast() };
    let start: crate::api::models::Progress =
        serde_json::from_str(&format!(r#"{{"id": 5, "url": "{}/api/v1/progress/5"}}"#, slow.uri())).unwrap();
    match client_for(&slow).wait_for_progress(&start, &options).await {
        Err(Error::JobTimeout { progress, .. }) => assert_eq!(progress["workflow_state"], "running"),
        other => panic!("{other:?}"),
    }
    // Dropping the wait stops the polling.
    let polls = slow.requests().len();
    let (client, options) = (client_for(&slow), fast());
    let _ = tokio::time::timeout(Duration::from_millis(30), client.wait_for_progress(&start, &options)).await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    let after = slow.requests().len();
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(slow.requests().len(), after, "polling went on after the wait was dropped");
    assert!(after > polls);
}

// ---- Flaky peers: step 2 re-sent from disk, multipart through the executor (issue 11) ----

fn fast_client(canvas: &ScriptedServer) -> Client {
    Client::builder(canvas.uri())
        .allow_insecure_http(true)
        .token("secret-token")
        .retry_policy(crate::api::RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_millis(10),
        })
        .build()
        .unwrap()
}

/// A file on disk with `FILE`'s bytes, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("canvas-tests-{}-{name}", std::process::id()));
        std::fs::write(&path, FILE).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn a_flaky_upload_host_gets_the_file_again_from_disk() {
    let host = ScriptedServer::start(|_, n| {
        if n == 0 {
            Reply::status(500, "<Error>InternalError</Error>")
        } else {
            Reply::status(201, r#"{"id": 55, "display_name": "notes.txt", "size": 11}"#)
        }
    })
    .await;
    let canvas = canvas_pointing_at(host.uri()).await;
    let file = TempFile::new("flaky.txt");
    let uploaded =
        fast_client(&canvas).courses().upload_file(1).upload(Upload::from_path(&file.0).await.unwrap()).await.unwrap();
    assert_eq!(uploaded.id.unwrap().as_u64(), Some(55));
    let sent = host.requests();
    assert_eq!(sent.len(), 2, "step 2 sent twice");
    for r in &sent {
        assert!(r.body.contains("hello notes"), "the whole file each time");
        assert!(r.authorization.is_none(), "never the token to the upload host");
    }
}

#[tokio::test]
async fn a_one_shot_stream_is_sent_once_and_the_error_says_which_step_failed_where() {
    let host = ScriptedServer::start(|_, _| Reply::status(500, "<Error>InternalError</Error>")).await;
    let canvas = canvas_pointing_at(host.uri()).await;
    let e = fast_client(&canvas).courses().upload_file(1).upload(upload()).await.unwrap_err();
    let said = e.to_string();
    assert_eq!(e.http().map(|h| (h.status, h.answered_by)), Some((500, "the upload host")), "{said}");
    assert!(
        said.starts_with(&format!(
            "upload step 2: POST to the upload host {}",
            host.uri().trim_start_matches("http://")
        )),
        "{said}"
    );
    assert!(said.contains("one-shot stream") && said.contains("the upload host answered 500"), "{said}");
    assert!(!said.contains("Canvas answered"), "the upload host is not Canvas: {said}");
    assert_eq!(host.requests().len(), 1);
}

#[tokio::test]
async fn a_throttled_multipart_request_is_sent_again_from_disk_but_not_from_a_stream() {
    let canvas = ScriptedServer::start(|_, n| {
        if n % 2 == 0 {
            Reply::status(403, "403 Forbidden (Rate Limit Exceeded)")
        } else {
            Reply::json(r#"{"id": 8812, "workflow_state": "created"}"#)
        }
    })
    .await;
    let client = fast_client(&canvas);
    let file = TempFile::new("import.csv");
    let import = client
        .sis_imports()
        .import_sis_data(1)
        .send_with_file(Upload::from_path(&file.0).await.unwrap())
        .await
        .unwrap();
    assert_eq!(import.id.unwrap().as_u64(), Some(8812));
    let log = canvas.requests();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.body.contains("hello notes") && r.authorization.is_some()), "{log:?}");

    let e = client.sis_imports().import_sis_data(1).send_with_file(upload()).await.unwrap_err();
    assert!(matches!(&e, Error::Io(m) if m.contains("one-shot stream")), "{e:?}");
    assert_eq!(canvas.requests().len(), 3, "the stream went out once");
}

#[tokio::test]
async fn a_multipart_request_refreshes_an_expired_oauth_token_like_any_request() {
    let canvas = ScriptedServer::start(|req: &Logged, _| {
        if req.path() == "/login/oauth2/token" {
            return Reply::json(r#"{"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600}"#);
        }
        if req.authorization.as_deref() == Some("Bearer token-1") {
            Reply::json(r#"{"id": 8812}"#)
        } else {
            Reply::status(401, r#"{"errors": [{"message": "Invalid access token."}]}"#)
                .header("www-authenticate", "Bearer realm=\"canvas-lms\"")
        }
    })
    .await;
    let oauth = crate::api::OAuth::new_insecure_loopback(&canvas.uri(), "1", "s", "https://app.test/cb").unwrap();
    let tokens = crate::api::TokenSet::new("revoked", Some("refresh-1".into()), None);
    let client = Client::builder(canvas.uri()).allow_insecure_http(true).oauth(oauth, tokens).build().unwrap();
    let file = TempFile::new("oauth.csv");
    let import = client
        .sis_imports()
        .import_sis_data(1)
        .send_with_file(Upload::from_path(&file.0).await.unwrap())
        .await
        .unwrap();
    assert_eq!(import.id.unwrap().as_u64(), Some(8812));
    let paths: Vec<String> = canvas.requests().iter().map(|r| r.path().to_owned()).collect();
    assert_eq!(paths, ["/api/v1/accounts/1/sis_imports", "/login/oauth2/token", "/api/v1/accounts/1/sis_imports"]);
}

#[tokio::test]
async fn upload_by_url_posts_the_params_to_the_upload_host_when_canvas_names_one() {
    let host = ScriptedServer::start(|_, _| Reply::status(201, "")).await;
    let upload_url = format!("{}/clone", host.uri());
    let canvas = ScriptedServer::start(move |_, _| {
        Reply::json(
            serde_json::json!({
                "upload_url": upload_url,
                "upload_params": {"target_url": "https://example.edu/a.pdf", "key": "k/a.pdf"},
                "progress": {"id": 3, "workflow_state": "queued"}
            })
            .to_string(),
        )
    })
    .await;
    let progress = client_for(&canvas)
        .courses()
        .upload_file(1)
        .upload_from_url("https://example.edu/a.pdf", "a.pdf")
        .await
        .unwrap();
    assert_eq!(progress.id.unwrap().as_u64(), Some(3));
    let posted = &host.requests()[0];
    assert_eq!(posted.method, "POST");
    assert!(posted.header("content-type").unwrap_or("").starts_with("multipart/form-data"));
    assert_eq!(field_names(&posted.body), ["target_url", "key"], "the params, in order, and no file");
    assert!(posted.authorization.is_none());
}

#[tokio::test]
async fn progress_reports_the_running_total_of_a_file_sent_in_many_chunks() {
    let host = ScriptedServer::start(|_, _| Reply::status(201, r#"{"id": 55}"#)).await;
    let canvas = canvas_pointing_at(host.uri()).await;
    // 200 KiB: several of the runtime's read chunks.
    let data: Vec<u8> = (0..200 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let seen: Arc<std::sync::Mutex<Vec<u64>>> = Arc::default();
    let log = seen.clone();
    let file = Upload::from_reader("big.txt", data.len() as u64, std::io::Cursor::new(data.clone()))
        .on_progress(move |n| log.lock().unwrap().push(n));
    client_for(&canvas).courses().upload_file(1).upload(file).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 3, "one report per chunk, the file has several: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "progress is a running total, growing with each chunk: {seen:?}");
    assert_eq!(seen.last().copied(), Some(data.len() as u64), "the last report is the whole file: {seen:?}");
    assert!(
        host.requests()[0].body.contains(std::str::from_utf8(&data[..1000]).unwrap()),
        "the file's bytes were sent"
    );
}

#[tokio::test]
async fn the_file_goes_under_the_part_name_canvas_gives_in_file_param() {
    let host = ScriptedServer::start(|_, _| Reply::status(201, r#"{"id": 55}"#)).await;
    let host_uri = host.uri();
    let canvas = ScriptedServer::start(move |req: &Logged, _| match req.path() {
        p if p.ends_with("/files") => Reply::json(
            serde_json::json!({"upload_url": format!("{host_uri}/upload"), "upload_params": {"key": "k"}, "file_param": "attachment[uploaded_data]"})
                .to_string(),
        ),
        _ => Reply::status(404, "{}"),
    })
    .await;
    client_for(&canvas).courses().upload_file(1).upload(upload()).await.unwrap();
    assert_eq!(
        field_names(&host.requests()[0].body),
        ["key", "attachment[uploaded_data]"],
        "the file part is named by file_param"
    );
}

/// Polls of a Progress that never completes, within `timeout`, with `initial` and `max`
/// intervals.
async fn polls_until_timeout(initial_ms: u64, max_ms: u64, timeout_ms: u64) -> usize {
    let canvas = ScriptedServer::start(|_, _| Reply::json(r#"{"id": 3, "workflow_state": "running"}"#)).await;
    let options = WaitOptions {
        initial_interval: Duration::from_millis(initial_ms),
        max_interval: Duration::from_millis(max_ms),
        timeout: Some(Duration::from_millis(timeout_ms)),
    };
    let start: crate::api::models::Progress = serde_json::from_str(r#"{"id": 3}"#).unwrap();
    let r = client_for(&canvas).wait_for_progress(&start, &options).await;
    assert!(matches!(r, Err(Error::JobTimeout { .. })), "{r:?}");
    canvas.requests().len()
}

#[tokio::test]
async fn the_poll_interval_grows_by_half_each_time_up_to_its_maximum() {
    // Growing from 5 ms by 1.5x, the pauses within 1 s add up after ~11 polls; a fixed 5 ms
    // pause would poll ~200 times.
    // (Growing 2x would give 8 polls, 3x 6.)
    let growing = polls_until_timeout(5, 10_000, 1_000).await;
    assert!((9..=14).contains(&growing), "the interval grows 1.5x per poll: {growing} polls in 1 s from 5 ms");
    // Capped at 10 ms: ~100 polls in 1 s (however loaded the machine, far more than growing).
    let capped = polls_until_timeout(5, 10, 1_000).await;
    assert!(capped >= 3 * growing, "the interval stops at max_interval: {capped} polls, {growing} without the cap");
}

#[tokio::test]
async fn a_one_shot_stream_whose_upload_host_hangs_up_says_why_it_was_not_sent_again() {
    // An upload host that reads the request and closes the connection without answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 256];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
        }
    });
    let canvas = canvas_pointing_at(host).await;
    let e = fast_client(&canvas).courses().upload_file(1).upload(upload()).await.unwrap_err();
    let Error::Transport(t) = &e else { panic!("{e:?}") };
    assert_eq!(t.kind(), canvas_lms_runtime::TransportKind::Reset, "a connection closed by the peer: {e}");
    assert!(e.to_string().contains("one-shot stream"), "the error says the file could not be sent again: {e}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "a one-shot stream is sent once");
}

#[tokio::test]
async fn an_upload_host_that_keeps_failing_gets_the_file_as_often_as_the_policy_says() {
    let host = ScriptedServer::start(|_, _| Reply::status(503, "<Error>SlowDown</Error>")).await;
    let canvas = canvas_pointing_at(host.uri()).await;
    let file = TempFile::new("failing.txt");
    let e = tokio::time::timeout(
        Duration::from_secs(10),
        fast_client(&canvas).courses().upload_file(1).upload(Upload::from_path(&file.0).await.unwrap()),
    )
    .await
    .expect("retries end")
    .unwrap_err();
    assert_eq!(host.requests().len(), 3, "max_attempts is 3: {e}");
    assert_eq!(e.http().map(|h| (h.status, h.attempts)), Some((503, 3)), "{e}");
}
