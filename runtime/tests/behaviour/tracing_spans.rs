//! Every request is a `canvas_request` span with method, path template, attempt, status and
//! cost, and nothing traced ever contains the token.
//!
//! Each test here runs again in a child process of this binary, alone (`Recorder::alone`).
//! tracing decides once per callsite, for the whole process, whether anyone listens: when a
//! test on another thread reaches a span first, while no subscriber is set there, the span is
//! registered as unwanted and a thread-local `Recorder` never sees it. `cargo test` runs the
//! tests of a binary on threads of one process, so a recorded trace would depend on the order
//! in which the other tests happen to run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::api::{Client, RetryPolicy};
use canvas_tests::{Reply, ScriptedServer};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span and event as text: `name field=value ...`.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    pub(crate) lines: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicU64>,
}

impl Recorder {
    /// In the child process that runs only `test` (its path in this binary, as libtest names
    /// it): a recorder set as this thread's subscriber. In the test's own process: `None`,
    /// once the child ran `test`, alone, and passed; a failure of the child fails the test
    /// with the child's output.
    pub(crate) fn alone(test: &str) -> Option<(Recorder, tracing::subscriber::DefaultGuard)> {
        const CHILD: &str = "CANVAS_RUNTIME_TRACING_TEST";
        if std::env::var_os(CHILD).is_some_and(|name| name == test) {
            let recorder = Recorder::default();
            let guard = tracing::subscriber::set_default(recorder.clone());
            return Some((recorder, guard));
        }
        let exe = std::env::current_exe().expect("the test binary's path");
        let out = std::process::Command::new(exe)
            .args([test, "--exact", "--test-threads=1", "--nocapture"])
            .env(CHILD, test)
            .output()
            .expect("the test binary runs again");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{test}, run alone, failed:\n{text}");
        // A misspelt name would run nothing and pass.
        assert!(text.contains("test result: ok. 1 passed"), "{test} did not run alone:\n{text}");
        None
    }
}

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut text = Text(format!("span {}", span.metadata().name()));
        span.record(&mut text);
        self.lines.lock().unwrap().push(text.0);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut text = Text("record".into());
        values.record(&mut text);
        self.lines.lock().unwrap().push(text.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = Text(format!("event {}", event.metadata().target()));
        event.record(&mut text);
        self.lines.lock().unwrap().push(text.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// A client of `server` that retries at once.
fn client_for(server: &ScriptedServer) -> Client {
    let policy = RetryPolicy { base_delay: std::time::Duration::from_millis(1), ..RetryPolicy::default() };
    Client::builder(server.uri()).allow_insecure_http(true).token("secret-token").retry_policy(policy).build().unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn requests_are_traced_without_the_token() {
    let Some((recorder, _guard)) = Recorder::alone("tracing_spans::requests_are_traced_without_the_token") else {
        return;
    };
    let server = ScriptedServer::start(|_, n| {
        if n == 0 {
            Reply::status(429, "")
        } else {
            Reply::json(r#"{"id": 1}"#).header("x-request-cost", "0.25")
        }
    })
    .await;
    let client = client_for(&server);
    client.courses().get_single_course(42).send().await.unwrap();
    let lines = recorder.lines.lock().unwrap().clone();
    let text = lines.join("\n");
    assert!(text.contains("span canvas_request method=GET path=/v1/courses/{id} attempt=1"), "{text}");
    assert!(text.contains("span canvas_request method=GET path=/v1/courses/{id} attempt=2"), "{text}");
    assert!(text.contains("record status=429"), "{text}");
    assert!(text.contains("record status=200"), "{text}");
    assert!(text.contains("record cost=0.25"), "{text}");
    assert!(text.contains("retrying"), "{text}");
    assert!(!text.contains("secret-token"), "the token was traced: {text}");
    assert!(!text.contains("/courses/42"), "ids belong in the path template only: {text}");
}

#[tokio::test(flavor = "current_thread")]
async fn multipart_requests_logout_and_upload_confirmations_are_traced_and_retried_like_the_rest() {
    let test = "tracing_spans::multipart_requests_logout_and_upload_confirmations_are_traced_and_retried_like_the_rest";
    let Some((recorder, _guard)) = Recorder::alone(test) else { return };
    // Each Canvas request is throttled once, then answered (the upload host is not Canvas).
    let server = ScriptedServer::start_with(|base| {
        move |req: &canvas_tests::Logged, n| {
            if n == 0 && req.path() != "/upload" {
                return Reply::status(429, "");
            }
            match req.path() {
                p if p.ends_with("/files") => Reply::json(
                    serde_json::json!({"upload_url": format!("{base}/upload"), "upload_params": {}}).to_string(),
                ),
                "/upload" => Reply::status(303, "").header("location", format!("{base}/api/v1/files/9/create_success")),
                _ => Reply::json(r#"{"id": 9}"#),
            }
        }
    })
    .await;
    let client = client_for(&server);
    let path = std::env::temp_dir().join(format!("canvas-tests-{}-trace.csv", std::process::id()));
    std::fs::write(&path, b"a,b").unwrap();
    let file = crate::api::Upload::from_path(&path).await.unwrap();
    client.sis_imports().import_sis_data(1).send_with_file(file).await.unwrap();
    let file = crate::api::Upload::from_path(&path).await.unwrap();
    client.courses().upload_file(1).upload(file).await.unwrap();
    std::fs::remove_file(&path).unwrap();
    client.logout().await.unwrap();
    let text = recorder.lines.lock().unwrap().join("\n");
    for (method, path) in [
        ("POST", "/v1/accounts/{account_id}/sis_imports"),
        ("POST", "/v1/courses/{course_id}/files"),
        ("GET", "/v1/files/{id}/create_success"),
        ("DELETE", "/login/oauth2/token"),
    ] {
        for attempt in [1, 2] {
            let span = format!("span canvas_request method={method} path={path} attempt={attempt}");
            assert!(text.contains(&span), "{span} missing:\n{text}");
        }
    }
    assert!(!text.contains("secret-token"), "{text}");
}
