//! Hostile or broken servers, on loopback: every defect of the December 2026 security review
//! (issue 12) as the input that proved it. No server-controlled value may panic the client,
//! grow its memory without bound or hang it; no caller or server value may redirect a request
//! to another resource; a masquerading client acts as the same user on every request.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::api::{Client, Error, Id, Json, OAuth, RetryPolicy, Upload, WaitOptions};
use canvas_tests::{Logged, Reply, ScriptedServer};
use futures_util::TryStreamExt;

fn builder(server: &ScriptedServer) -> canvas_lms_runtime::ClientBuilder<Client> {
    Client::builder(server.uri()).allow_insecure_http(true).token("secret-token").retry_policy(RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_millis(20),
    })
}

fn client_for(server: &ScriptedServer) -> Client {
    builder(server).build().unwrap()
}

const COURSE: &str = r#"{"id": 1, "name": "Course 1"}"#;

/// Row 1: `Retry-After: 1e20` (and other absurd values) is capped, not a panic.
#[tokio::test]
async fn absurd_retry_after_values_are_capped() {
    for value in ["1e20", "inf", "18446744073709551616", "-5", "soon", "Fri, 01 Jan 9999 00:00:00 GMT"] {
        let value = value.to_owned();
        let server = ScriptedServer::start(move |_, n| {
            if n == 0 {
                Reply::status(429, "").header("retry-after", value.clone())
            } else {
                Reply::json(COURSE)
            }
        })
        .await;
        let started = Instant::now();
        let course = client_for(&server).courses().get_single_course(1).send().await.unwrap();
        assert_eq!(course.id, Some(Id::from(1u64)));
        assert_eq!(server.requests().len(), 2);
        assert!(started.elapsed() < Duration::from_secs(2), "waited {:?}", started.elapsed());
    }
}

/// Row 2: `expires_in: u64::MAX` on exchange and refresh.
#[tokio::test]
async fn an_endless_token_lifetime_is_no_known_expiry() {
    let server = ScriptedServer::start(|req: &Logged, _| {
        if req.path() == "/login/oauth2/token" {
            return Reply::json(
                r#"{"access_token": "t", "token_type": "Bearer", "refresh_token": "r", "expires_in": 18446744073709551615}"#,
            );
        }
        Reply::json(COURSE)
    })
    .await;
    let oauth = OAuth::new_insecure_loopback(&server.uri(), "1", "s", "https://app.test/cb").unwrap();
    let (_, pending) = oauth.authorize(&[]);
    let tokens = oauth.exchange_code(&pending, pending.state(), "code").await.unwrap();
    assert!(tokens.expires_at.is_none_or(|at| at > std::time::SystemTime::now()));
    let refreshed = oauth.refresh(tokens.refresh_token.as_ref().unwrap()).await.unwrap();
    let client = Client::builder(server.uri()).allow_insecure_http(true).oauth(oauth, refreshed).build().unwrap();
    client.courses().get_single_course(1).send().await.unwrap();
}

/// Row 3: a page far over the limit fails as soon as that is known, without reading it.
#[tokio::test]
async fn a_huge_page_is_refused_at_the_limit_without_being_read() {
    const HUGE: usize = 256 << 20;
    for declare in [true, false] {
        let server = ScriptedServer::start(move |_, _| Reply::Large { status: 200, size: HUGE, declare }).await;
        let client = builder(&server).max_response_size(1 << 20).build().unwrap();
        let r = client.courses().list_your_courses().pages().try_next().await;
        match r {
            Err(Error::ResponseTooLarge { limit, url }) => {
                assert_eq!(limit, 1 << 20);
                assert!(url.contains("/api/v1/courses"), "{url}");
            }
            other => panic!("expected ResponseTooLarge, got {other:?}"),
        }
        assert_eq!(server.requests().len(), 1, "a too-large body is not retried");
        // Give the server a moment to notice the closed connection.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            server.body_bytes_sent() < 32 << 20,
            "declare={declare}: the client read {} MiB of a 256 MiB body",
            server.body_bytes_sent() >> 20
        );
    }
}

/// Row 3: of a huge error body only the start is read, and it is still a typed HTTP error.
#[tokio::test]
async fn a_huge_error_body_is_cut_to_its_start() {
    const HUGE: usize = 256 << 20;
    let server = ScriptedServer::start(|_, _| Reply::Large { status: 500, size: HUGE, declare: true }).await;
    let client = builder(&server).retry_policy(RetryPolicy::none()).build().unwrap();
    let e = client.courses().get_single_course(1).send().await.unwrap_err();
    let http = e.http().unwrap_or_else(|| panic!("{e:?}"));
    assert_eq!(http.status, 500);
    assert!(http.body_excerpt.starts_with("xxxx"), "{:?}", &http.body_excerpt[..16]);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(server.body_bytes_sent() < 32 << 20, "read {} MiB of an error body", server.body_bytes_sent() >> 20);
}

/// Row 4: `.`, `..` and empty path arguments are refused before anything is sent.
#[tokio::test]
async fn dot_segments_in_path_arguments_never_reach_the_wire() {
    let server = ScriptedServer::start(|_, _| Reply::json("{}")).await;
    let client = client_for(&server);
    for bad in ["..", ".", ""] {
        let r = client.user_observees().remove_observee(5, bad).send().await;
        match r {
            Err(Error::InvalidArgument(why)) => assert!(why.contains("{observee_id}"), "{why}"),
            other => panic!("{bad:?}: expected InvalidArgument, got {other:?}"),
        }
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    // Dots inside a value are data, sent as one segment.
    client.user_observees().remove_observee(5, "../6").send().await.unwrap();
    assert_eq!(server.requests()[0].path(), "/api/v1/users/5/observees/..%2F6");
}

/// Row 6: a silent upload host, a silent Canvas on a multipart request, and a silent
/// confirmation host are bounded by the idle timeout.
#[tokio::test]
async fn silent_upload_peers_time_out() {
    let silent = ScriptedServer::start(|_, _| Reply::Slow(Duration::from_secs(60), Box::new(Reply::json("{}")))).await;
    let upload_url = format!("{}/upload", silent.uri());
    let canvas = ScriptedServer::start(move |req: &Logged, _| {
        if req.path().ends_with("/files") {
            Reply::json(serde_json::json!({"upload_url": upload_url, "upload_params": {}}).to_string())
        } else {
            Reply::Slow(Duration::from_secs(60), Box::new(Reply::json("{}")))
        }
    })
    .await;
    let client = builder(&canvas).read_timeout(Duration::from_millis(300)).build().unwrap();
    let started = Instant::now();
    let file = Upload::from_reader("a.txt", 3, &b"abc"[..]);
    let e = client.courses().upload_file(1).upload(file).await.unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(e.to_string().contains("upload host"), "names the step: {e}");
    let file = Upload::from_reader("a.csv", 3, &b"abc"[..]);
    let e = client.sis_imports().import_sis_data(1).send_with_file(file).await.unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());

    // A confirmation host (another origin) that never answers.
    let host_slot: Arc<Mutex<String>> = Arc::default();
    let slot = host_slot.clone();
    let redirecting = ScriptedServer::start(move |_, _| {
        Reply::status(303, "").header("location", format!("{}/confirm", slot.lock().unwrap()))
    })
    .await;
    *host_slot.lock().unwrap() = silent.uri();
    let upload_url = format!("{}/upload", redirecting.uri());
    let canvas = ScriptedServer::start(move |_, _| {
        Reply::json(serde_json::json!({"upload_url": upload_url, "upload_params": {}}).to_string())
    })
    .await;
    let client = builder(&canvas).read_timeout(Duration::from_millis(300)).build().unwrap();
    let file = Upload::from_reader("a.txt", 3, &b"abc"[..]);
    let e = client.courses().upload_file(1).upload(file).await.unwrap_err();
    assert!(e.to_string().contains("upload step 3: GET the confirmation at 127.0.0.1:"), "{e}");
}

/// Row 8: CR/LF in a file name cannot add a header to the multipart part.
#[tokio::test]
async fn a_file_name_cannot_inject_multipart_headers() {
    let host = ScriptedServer::start(|_, _| Reply::status(201, r#"{"id": 5}"#)).await;
    let upload_url = format!("{}/upload", host.uri());
    let canvas = ScriptedServer::start(move |_, _| {
        Reply::json(serde_json::json!({"upload_url": upload_url, "upload_params": {"key": "k"}}).to_string())
    })
    .await;
    let client = client_for(&canvas);
    let file = Upload::from_reader("evil\r\nX-Injected: 1\r\n\r\n.txt", 3, &b"abc"[..]);
    client.courses().upload_file(1).upload(file).await.unwrap();
    let body = &host.requests()[0].body;
    assert!(!body.contains("\r\nX-Injected"), "{body}");
    assert!(body.contains("filename=\"evil__X-Injected: 1____.txt\""), "{body}");
    // Step 1 still tells Canvas the name as the caller gave it (a form value, encoded).
    assert!(canvas.requests()[0].body.contains("name=evil%0D%0AX-Injected"), "{}", canvas.requests()[0].body);
}

/// Row 9: a masquerading client acts as the same user on next pages (whose links lack
/// `as_user_id`), upload confirmations and Progress polls; a per-request `as_user_id`
/// replaces the client's, once.
#[tokio::test]
async fn masquerading_rides_on_every_request() {
    let canvas = ScriptedServer::start_with(|base| {
        move |req: &Logged, _| match req.path() {
            "/api/v1/courses" if req.target.contains("page=2") => Reply::json(r#"[{"id": 2}]"#),
            "/api/v1/courses" => {
                Reply::json(r#"[{"id": 1}]"#).header("link", format!("<{base}/api/v1/courses?page=2>; rel=\"next\""))
            }
            p if p.ends_with("/files") => Reply::json(
                serde_json::json!({"upload_url": format!("{base}/upload"), "upload_params": {}}).to_string(),
            ),
            "/upload" => Reply::status(303, "").header("location", format!("{base}/api/v1/files/9/create_success")),
            p if p.contains("create_success") => Reply::json(r#"{"id": 9}"#),
            p if p.starts_with("/api/v1/progress/") => Reply::json(r#"{"id": 3, "workflow_state": "completed"}"#),
            _ => Reply::status(404, "{}"),
        }
    })
    .await;
    let client = client_for(&canvas).as_user(7u64);
    let ids: Vec<crate::api::models::Course> =
        client.courses().list_your_courses().stream().try_collect().await.unwrap();
    assert_eq!(ids.len(), 2);
    client.courses().upload_file(1).upload(Upload::from_reader("a.txt", 3, &b"abc"[..])).await.unwrap();
    let options = WaitOptions { initial_interval: Duration::from_millis(1), ..Default::default() };
    client.runtime().wait_for_progress::<Json>("3", &options).await.unwrap();
    let url = format!("{}/api/v1/progress/3", canvas.uri());
    client.runtime().wait_for_progress::<Json>(&url, &options).await.unwrap();
    for r in canvas.requests() {
        let acting = r.target.matches("as_user_id=").count();
        if r.path() == "/upload" {
            assert_eq!(acting, 0, "the upload host is not Canvas: {}", r.target);
            assert!(r.authorization.is_none());
        } else {
            assert_eq!(acting, 1, "exactly one as_user_id on {} {}", r.method, r.target);
            assert!(r.target.contains("as_user_id=7"), "{}", r.target);
        }
    }

    // A per-request as_user_id replaces the client's on every page, and is sent once.
    let pages: Vec<Json> =
        client.runtime().get("/v1/courses", &[]).as_user_id(9u64).stream().try_collect().await.unwrap();
    assert_eq!(pages.len(), 2);
    let listing: Vec<Logged> = canvas.requests().into_iter().rev().take(2).collect();
    for r in listing {
        assert_eq!(r.target.matches("as_user_id=").count(), 1, "{}", r.target);
        assert!(r.target.contains("as_user_id=9"), "{}", r.target);
    }
}

/// Row 10: a Progress id is one path segment, whatever it holds.
#[tokio::test]
async fn a_progress_id_cannot_reach_another_endpoint() {
    let canvas = ScriptedServer::start(|_, _| Reply::json(r#"{"workflow_state": "completed"}"#)).await;
    let client = client_for(&canvas);
    let id = "1/../../../login/oauth2/token?as_user_id=7&x=";
    client.runtime().wait_for_progress::<Json>(id, &WaitOptions::default()).await.unwrap();
    let r = &canvas.requests()[0];
    assert!(r.path().starts_with("/api/v1/progress/1%2F..%2F"), "{}", r.target);
    assert!(!r.target.contains('?'), "the id adds no query: {}", r.target);
    // A Progress URL on another origin is refused, not polled with the token.
    // (It answers "completed", so a client that polled it would return at once, not hang.)
    let other = ScriptedServer::start(|_, _| Reply::json(r#"{"workflow_state": "completed"}"#)).await;
    let e = client
        .runtime()
        .wait_for_progress::<Json>(&format!("{}/api/v1/progress/1", other.uri()), &WaitOptions::default())
        .await
        .expect_err("a Progress URL on another origin is refused");
    assert!(matches!(e, Error::ForeignOrigin(_)), "{e:?}");
    assert!(other.requests().is_empty(), "a Progress on another origin is never polled (it would get the token)");
}

/// Row 11: a next link with userinfo is refused: no second `Authorization`, no request.
#[tokio::test]
async fn a_next_link_with_credentials_is_refused() {
    let canvas = ScriptedServer::start_with(|base| {
        let with_userinfo = base.replace("http://", "http://mallory:pw@");
        move |_: &Logged, _| {
            Reply::json(r#"[{"id": 1}]"#)
                .header("link", format!("<{with_userinfo}/api/v1/courses?page=2>; rel=\"next\""))
        }
    })
    .await;
    let client = client_for(&canvas);
    let mut stream = client.courses().list_your_courses().stream();
    assert!(stream.try_next().await.unwrap().is_some());
    match stream.try_next().await {
        Err(Error::UnsafeUrl { url, reason }) => {
            assert!(reason.contains("user name or password"), "{reason}");
            assert!(!url.contains("pw"), "the message does not repeat the password: {url}");
        }
        other => panic!("expected UnsafeUrl, got {other:?}"),
    }
    assert_eq!(canvas.requests().len(), 1);
}

/// Row 12: links of other schemes, redirect loops, upload redirects to other Canvas
/// endpoints, and secrets in `Debug` output.
#[tokio::test]
async fn other_schemes_loops_stray_confirmations_and_debug_output() {
    // A `blob:` link wrapping the Canvas origin is not the Canvas origin.
    let canvas = ScriptedServer::start_with(|base| {
        move |_: &Logged, _| Reply::json(r#"[{"id": 1}]"#).header("link", format!("<blob:{base}/x>; rel=\"next\""))
    })
    .await;
    let client = client_for(&canvas);
    let mut stream = client.courses().list_your_courses().stream();
    stream.try_next().await.unwrap();
    let e = stream.try_next().await.unwrap_err();
    assert!(matches!(e, Error::UnsafeUrl { .. }), "{e:?}");
    assert_eq!(canvas.requests().len(), 1);

    // A redirect loop within Canvas is "too many redirects", naming the URL.
    let looping = ScriptedServer::start_with(|base| {
        move |_: &Logged, _| Reply::status(302, "").header("location", format!("{base}/api/v1/courses/1"))
    })
    .await;
    let e = client_for(&looping).courses().get_single_course(1).send().await.unwrap_err();
    match &e {
        Error::TooManyRedirects(url) => assert!(url.ends_with("/api/v1/courses/1"), "{url}"),
        other => panic!("expected TooManyRedirects, got {other:?}"),
    }
    assert!(looping.requests().len() <= 11, "{}", looping.requests().len());

    // An upload host may redirect only to Canvas's file confirmation.
    let canvas = ScriptedServer::start_with(|base| {
        move |req: &Logged, _| match req.path() {
            "/upload" => Reply::status(303, "").header("location", format!("{base}/api/v1/users/self/tokens")),
            _ => Reply::json(
                serde_json::json!({"upload_url": format!("{base}/upload"), "upload_params": {}}).to_string(),
            ),
        }
    })
    .await;
    let e = client_for(&canvas)
        .courses()
        .upload_file(1)
        .upload(Upload::from_reader("a.txt", 3, &b"abc"[..]))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnsafeUrl { .. }), "{e:?}");
    assert!(canvas.requests().iter().all(|r| !r.path().contains("tokens")), "{:?}", canvas.requests());

    // Builders print their parameters, but never a secret's value.
    let client = client_for(&canvas);
    let observee = crate::api::Observee { unique_id: Some(Id::new("jane")), password: Some("hunter2".into()) };
    let shown = format!("{observee:?}");
    assert!(shown.contains("jane") && !shown.contains("hunter2"), "{shown}");
    let builder = client.user_observees().add_observee_with_credentials(5).observee(observee).access_token("tok-xyz");
    let text = format!("{builder:?}");
    assert!(text.contains("observee[password]") && text.contains("jane"), "{text}");
    assert!(!text.contains("hunter2") && !text.contains("tok-xyz"), "{text}");
}

/// `root_certificate`: a Canvas behind a private CA is reachable when (and only when) the CA
/// is trusted; an https client then refuses a server's plain-http upload URL.
#[tokio::test]
async fn a_private_ca_is_trusted_only_when_given_and_https_never_downgrades() {
    let plain_host = ScriptedServer::start(|_, _| Reply::status(201, r#"{"id": 5}"#)).await;
    let upload_url = format!("{}/upload", plain_host.uri());
    let canvas = ScriptedServer::start_tls(move |req: &Logged, _| {
        if req.path().ends_with("/files") {
            Reply::json(serde_json::json!({"upload_url": upload_url, "upload_params": {}}).to_string())
        } else {
            Reply::json(COURSE)
        }
    })
    .await;
    assert!(canvas.uri().starts_with("https://127.0.0.1:"));

    let untrusting =
        Client::builder(canvas.uri()).token("secret-token").retry_policy(RetryPolicy::none()).build().unwrap();
    let e = untrusting.courses().get_single_course(1).send().await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert!(canvas.requests().is_empty(), "no request got through an untrusted handshake");

    let client = Client::builder(canvas.uri())
        .token("secret-token")
        .root_certificate(canvas_tests::TEST_CA_PEM)
        .build()
        .unwrap();
    let course = client.courses().get_single_course(1).send().await.unwrap();
    assert_eq!(course.id, Some(Id::from(1u64)));
    assert_eq!(canvas.requests()[0].authorization.as_deref(), Some("Bearer secret-token"));

    // Step 1 over https names a plain-http upload host: refused before anything is sent there.
    let e = client.courses().upload_file(1).upload(Upload::from_reader("a.txt", 3, &b"abc"[..])).await.unwrap_err();
    match e {
        Error::UnsafeUrl { reason, .. } => assert!(reason.contains("plain http"), "{reason}"),
        other => panic!("expected UnsafeUrl, got {other:?}"),
    }
    assert!(plain_host.requests().is_empty(), "{:?}", plain_host.requests());
}

#[tokio::test]
async fn a_server_certificate_the_client_does_not_trust_is_a_tls_error() {
    let canvas = ScriptedServer::start_tls(|_, _| Reply::json(r#"{"id": 1}"#)).await;
    // No root certificate given: the test CA is not trusted.
    let client = Client::builder(canvas.uri()).token("t").retry_policy(RetryPolicy::none()).build().unwrap();
    let e = client.courses().get_single_course(1).send().await.unwrap_err();
    let Error::Transport(t) = &e else { panic!("{e:?}") };
    assert_eq!(t.kind(), canvas_lms_runtime::TransportKind::Tls, "{e}");
    assert!(canvas.requests().is_empty(), "nothing was sent over an untrusted connection");
}
