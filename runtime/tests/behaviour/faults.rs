//! Fault injection against the runtime, through operations declared as generated ones are, on loopback.
//!
//! One table of single-request faults (what the server does, which operation meets it, what
//! the caller must get and how many requests the server must see), then paginated reads with
//! faults on some pages, then the remaining runtime rules: `Retry-After`, the concurrency
//! limit, masquerading, string ids, and tracing without the token.

use std::sync::Arc;
use std::time::Duration;

use crate::api::{Client, Error, Id, Json, RetryPolicy};
use canvas_tests::{Logged, Reply, ScriptedServer};
use futures_util::{StreamExt, TryStreamExt};

const COURSE: &str = r#"{"id": 1, "name": "Course 1"}"#;

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(2),
    }
}

fn client_for(server: &ScriptedServer) -> Client {
    Client::builder(server.uri())
        .allow_insecure_http(true)
        .token("secret-token")
        .retry_policy(policy())
        .build()
        .unwrap()
}

#[derive(Debug, Clone, Copy)]
enum Op {
    /// `GET /v1/courses/1` (idempotent)
    Get,
    /// `POST /v1/accounts/1/courses` (not idempotent)
    Post,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Ok,
    Http { status: u16, token_rejected: bool },
    Decode,
    Transport,
    ForeignOrigin,
    TooManyRedirects,
}

fn outcome(r: Result<crate::api::models::Course, Error>) -> Outcome {
    match r {
        Ok(c) => {
            assert_eq!(c.id, Some(Id::from(1u64)));
            Outcome::Ok
        }
        Err(Error::Http(e)) => Outcome::Http { status: e.status, token_rejected: e.token_rejected },
        Err(Error::Decode(d)) => {
            assert!(!d.excerpt.is_empty(), "a decode error carries the body excerpt");
            Outcome::Decode
        }
        Err(Error::Transport(_)) => Outcome::Transport,
        Err(Error::ForeignOrigin(_)) => Outcome::ForeignOrigin,
        Err(Error::TooManyRedirects(_)) => Outcome::TooManyRedirects,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

struct Case {
    name: &'static str,
    op: Op,
    /// The reply to the n-th request (0-based) for the operation's URL.
    script: fn(usize, &str) -> Reply,
    expect: Outcome,
    requests: usize,
    /// What the error's `Display` must say (empty for success).
    says: &'static str,
}

fn html_502(_: usize, _: &str) -> Reply {
    Reply::status(502, "<html><body><h1>502 Bad Gateway</h1></body></html>").header("content-type", "text/html")
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "429 then OK",
            op: Op::Get,
            script: |n, _| if n == 0 { Reply::status(429, "") } else { Reply::json(COURSE) },
            expect: Outcome::Ok,
            requests: 2,
            says: "",
        },
        Case {
            name: "403 Rate Limit Exceeded then OK, even for POST (nothing was processed)",
            op: Op::Post,
            script: |n, _| {
                if n == 0 {
                    Reply::status(403, "403 Forbidden (Rate Limit Exceeded)")
                } else {
                    Reply::json(COURSE)
                }
            },
            expect: Outcome::Ok,
            requests: 2,
            says: "",
        },
        Case {
            name: "403 without rate limit is final",
            op: Op::Get,
            script: |_, _| Reply::status(403, r#"{"status":"unauthorized"}"#),
            expect: Outcome::Http { status: 403, token_rejected: false },
            requests: 1,
            says: "GET /api/v1/courses/{id}: Canvas answered 403",
        },
        Case {
            name: "503 then OK on GET",
            op: Op::Get,
            script: |n, _| if n == 0 { Reply::status(503, "") } else { Reply::json(COURSE) },
            expect: Outcome::Ok,
            requests: 2,
            says: "",
        },
        Case {
            name: "503 on POST is not retried",
            op: Op::Post,
            script: |_, _| Reply::status(503, ""),
            expect: Outcome::Http { status: 503, token_rejected: false },
            requests: 1,
            says: "POST /api/v1/accounts/{account_id}/courses: Canvas answered 503",
        },
        Case {
            name: "500 every time: gives up after max_attempts",
            op: Op::Get,
            script: |_, _| Reply::status(500, "oops"),
            expect: Outcome::Http { status: 500, token_rejected: false },
            requests: 3,
            says: "Canvas answered 500 (after 3 attempts over",
        },
        Case {
            name: "connection reset mid-body then OK on GET",
            op: Op::Get,
            script: |n, _| {
                if n == 0 {
                    Reply::CutBody { declared: 400, sent: b"{\"id\": 1, \"na".to_vec() }
                } else {
                    Reply::json(COURSE)
                }
            },
            expect: Outcome::Ok,
            requests: 2,
            says: "",
        },
        Case {
            name: "connection reset mid-body on POST is not retried",
            op: Op::Post,
            script: |_, _| Reply::CutBody { declared: 400, sent: b"{".to_vec() },
            expect: Outcome::Transport,
            requests: 1,
            says: "connection reset or closed before the response was complete",
        },
        Case {
            name: "truncated JSON once, then OK on GET (retried like a broken transfer)",
            op: Op::Get,
            script: |n, _| if n == 0 { Reply::json(r#"{"id": 1, "na"#) } else { Reply::json(COURSE) },
            expect: Outcome::Ok,
            requests: 2,
            says: "",
        },
        Case {
            name: "truncated JSON every time on GET: bounded",
            op: Op::Get,
            script: |_, _| Reply::json(r#"{"id": 1, "na"#),
            expect: Outcome::Decode,
            requests: 3,
            says: "GET /api/v1/courses/{id}: could not decode the response (200) as Course at `na`: EOF while parsing a string (after 3 attempts over",
        },
        Case {
            name: "truncated JSON on POST is not retried",
            op: Op::Post,
            script: |_, _| Reply::json(r#"{"id": 1, "na"#),
            expect: Outcome::Decode,
            requests: 1,
            says: "POST /api/v1/accounts/{account_id}/courses: could not decode",
        },
        Case {
            name: "malformed JSON on GET: retried, bounded",
            op: Op::Get,
            script: |_, _| Reply::json(r#"{"id": 1,, }"#),
            expect: Outcome::Decode,
            requests: 3,
            says: "could not decode the response (200) as Course",
        },
        Case {
            name: "JSON of another shape is not retried",
            op: Op::Get,
            script: |_, _| Reply::json(r#"{"id": 1, "name": 5}"#),
            expect: Outcome::Decode,
            requests: 1,
            says: "as Course at `name`: invalid type: integer `5`, expected a string",
        },
        Case {
            name: "HTML error page from a proxy",
            op: Op::Post,
            script: html_502,
            expect: Outcome::Http { status: 502, token_rejected: false },
            requests: 1,
            says: "Canvas answered 502: \"<html><body><h1>502 Bad Gateway",
        },
        Case {
            name: "wrong content type (not JSON at all): retried, bounded",
            op: Op::Get,
            script: |_, _| Reply::status(200, "OK").header("content-type", "text/plain"),
            expect: Outcome::Decode,
            requests: 3,
            says: "body near: \"OK\"",
        },
        Case {
            name: "while(1); prefix",
            op: Op::Get,
            script: |_, _| Reply::json(format!("while(1);{COURSE}")),
            expect: Outcome::Ok,
            requests: 1,
            says: "",
        },
        Case {
            name: "expired token",
            op: Op::Get,
            script: |_, _| {
                Reply::status(401, r#"{"errors":[{"message":"Invalid access token."}]}"#)
                    .header("www-authenticate", "Bearer realm=\"canvas-lms\"")
            },
            expect: Outcome::Http { status: 401, token_rejected: true },
            requests: 1,
            says: "(the access token is invalid or expired)",
        },
        Case {
            name: "401 without WWW-Authenticate: not permitted",
            op: Op::Get,
            script: |_, _| Reply::status(401, r#"{"status":"unauthorized"}"#),
            expect: Outcome::Http { status: 401, token_rejected: false },
            requests: 1,
            says: "",
        },
        Case {
            name: "redirect within Canvas is followed",
            op: Op::Get,
            script: |_, path| {
                if path.ends_with("/courses/1") {
                    Reply::status(302, "").header("location", "/api/v1/courses/1?moved=1")
                } else {
                    Reply::json(COURSE)
                }
            },
            expect: Outcome::Ok,
            requests: 2,
            says: "",
        },
        Case {
            name: "same-origin redirect loop: too many redirects, naming the URL",
            op: Op::Get,
            script: |_, _| Reply::status(302, "").header("location", "/api/v1/courses/1"),
            expect: Outcome::TooManyRedirects,
            requests: 10,
            says: "too many redirects: 10 requests within the Canvas origin, the last to http://127.0.0.1",
        },
    ]
}

async fn run(op: Op, client: &Client) -> Result<crate::api::models::Course, Error> {
    match op {
        Op::Get => client.courses().get_single_course(1).send().await,
        Op::Post => client.courses().create_new_course(1).send().await,
    }
}

#[tokio::test]
async fn fault_table() {
    for case in cases() {
        let script = case.script;
        let server = ScriptedServer::start(move |req: &Logged, n| {
            // The same-origin redirect target counts as its own URL.
            if req.target.contains("moved=1") {
                return Reply::json(COURSE);
            }
            script(n, req.path())
        })
        .await;
        let client = client_for(&server);
        let result = run(case.op, &client).await;
        let said = result.as_ref().err().map(ToString::to_string).unwrap_or_default();
        assert!(said.contains(case.says), "{}: the error says {said:?}, not {:?}", case.name, case.says);
        assert!(!said.contains("crate::api::") && !said.contains("alloc::"), "{}: {said}", case.name);
        let got = outcome(result);
        assert_eq!(got, case.expect, "{}", case.name);
        let requests = server.requests();
        assert_eq!(requests.len(), case.requests, "{}: requests seen {requests:?}", case.name);
        assert!(
            requests.iter().all(|r| r.authorization.as_deref() == Some("Bearer secret-token")),
            "{}: the token must be on every Canvas request",
            case.name
        );
    }
}

#[tokio::test]
async fn redirect_to_another_origin_is_refused_and_gets_no_token() {
    let elsewhere = Arc::new(ScriptedServer::start(|_, _| Reply::json(COURSE)).await);
    let target = format!("{}/steal", elsewhere.uri());
    let canvas = ScriptedServer::start(move |_, _| Reply::status(302, "").header("location", target.clone())).await;
    let client = client_for(&canvas);
    assert_eq!(outcome(run(Op::Get, &client).await), Outcome::ForeignOrigin);
    assert!(elsewhere.requests().is_empty(), "the other origin was contacted");
}

/// Five pages of three courses; faults on pages 2 to 4 and a foreign link checked separately.
fn paged(base: String) -> impl Fn(&Logged, usize) -> Reply + Send + Sync + 'static {
    move |req, n| {
        let query = req.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let page: usize =
            query.split('&').find_map(|kv| kv.strip_prefix("page=")).and_then(|p| p.parse().ok()).unwrap_or(1);
        match (page, n) {
            (2, 0) => return Reply::status(429, "").header("retry-after", "0"),
            (3, 0) => return Reply::CutBody { declared: 300, sent: b"[{\"id\": 7".to_vec() },
            (4, 0) => return Reply::status(503, "<html>busy</html>"),
            _ => {}
        }
        let items: Vec<String> = (0..3).map(|i| format!(r#"{{"id": {}, "name": "c"}}"#, page * 10 + i)).collect();
        let mut reply = Reply::json(format!("[{}]", items.join(",")))
            .header("x-request-cost", "1.5")
            .header("x-rate-limit-remaining", format!("{}", 700 - page));
        if page < 5 {
            reply = reply.header("link", format!("<{base}/api/v1/courses?page={}&per_page=3>; rel=\"next\"", page + 1));
        }
        reply
    }
}

#[tokio::test]
async fn paginated_read_with_retried_pages_loses_and_repeats_nothing() {
    let server = ScriptedServer::start_with(paged).await;
    let client = client_for(&server);
    let items: Vec<_> = client.courses().list_your_courses().stream().try_collect().await.unwrap();
    let ids: Vec<u64> = items.iter().map(|c| c.id.as_ref().unwrap().as_u64().unwrap()).collect();
    assert_eq!(ids, [10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52]);
    let requests = server.requests();
    assert_eq!(requests.len(), 8, "5 pages + 3 retries: {requests:?}");
    assert!(requests.iter().all(|r| r.authorization.as_deref() == Some("Bearer secret-token")));
    assert!(requests.iter().all(|r| r.target.contains("per_page=")));
    assert_eq!(client.rate_limit_remaining(), Some(695.0));

    // Page by page: links, cost and attempts are visible.
    let pages: Vec<_> = client.courses().list_your_courses().pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 5);
    assert_eq!(pages[0].meta.request_cost, Some(1.5));
    assert!(pages[0].links.next.as_deref().unwrap().ends_with("page=2&per_page=3"));
    assert!(pages[4].links.next.is_none());
}

#[tokio::test]
async fn a_foreign_next_link_ends_the_stream_with_an_error_and_no_token_leaves() {
    let elsewhere = Arc::new(ScriptedServer::start(|_, _| Reply::json("[]")).await);
    let next = format!("<{}/api/v1/courses?page=2>; rel=\"next\"", elsewhere.uri());
    let canvas = ScriptedServer::start(move |_, _| {
        Reply::json(COURSE.replace('{', "[{").replace('}', "}]")).header("link", next.clone())
    })
    .await;
    let client = client_for(&canvas);
    let results: Vec<_> = futures_util::StreamExt::collect(client.courses().list_your_courses().stream()).await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(Error::ForeignOrigin(_))));
    assert!(elsewhere.requests().is_empty());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = ScriptedServer::start(|_, n| {
        if n == 0 {
            Reply::status(429, "").header("retry-after", "0.3")
        } else {
            Reply::json(COURSE)
        }
    })
    .await;
    let client = client_for(&server);
    let start = std::time::Instant::now();
    assert_eq!(outcome(run(Op::Get, &client).await), Outcome::Ok);
    // The policy's own backoff is at most 5 ms: only Retry-After explains the wait.
    assert!(start.elapsed() >= Duration::from_millis(300), "waited {:?}", start.elapsed());
}

#[tokio::test]
async fn no_retries_when_the_policy_says_so() {
    let server = ScriptedServer::start(|_, _| Reply::status(429, "")).await;
    let client =
        Client::builder(server.uri()).allow_insecure_http(true).retry_policy(RetryPolicy::none()).build().unwrap();
    let err = client.courses().get_single_course(1).send().await.unwrap_err();
    assert!(err.http().unwrap().is_throttled());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn concurrent_requests_are_limited_per_client() {
    let server =
        ScriptedServer::start(|_, _| Reply::Slow(Duration::from_millis(50), Box::new(Reply::json(COURSE)))).await;
    let client = Client::builder(server.uri()).allow_insecure_http(true).max_concurrent_requests(2).build().unwrap();
    let calls = (0..6).map(|_| client.courses().get_single_course(1).send());
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.is_ok()));
    assert_eq!(server.requests().len(), 6);
    assert_eq!(server.max_in_flight(), 2);
}

#[tokio::test]
async fn masquerading_client_wide_and_string_ids() {
    let server = ScriptedServer::start(|_, _| Reply::json(r#"{"id": "12345678901234567", "name": "x"}"#)).await;
    let client = client_for(&server);
    let course = client.as_user(Id::sis_user_id("jdoe")).courses().get_single_course(1).send().await.unwrap();
    assert_eq!(course.id.unwrap().as_str(), "12345678901234567");
    client.courses().get_single_course(1).send().await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[0].target, "/api/v1/courses/1?as_user_id=sis_user_id%3Ajdoe");
    assert_eq!(reqs[1].target, "/api/v1/courses/1", "as_user must not leak into the original client");
}

#[tokio::test]
async fn body_pagination_and_wrapped_lists_are_followed() {
    // Some endpoints paginate in the body (`meta.pagination`) and wrap the list in an object.
    let server = ScriptedServer::start_with(|base| {
        move |req: &Logged, _| {
            if req.target.contains("page=2") {
                Reply::json(r#"{"courses": [{"id": 3}], "meta": {"pagination": {"per_page": 2, "page": 2}}}"#)
            } else {
                Reply::json(format!(
                    r#"{{"courses": [{{"id": 1}}, {{"id": 2}}], "meta": {{"pagination": {{"next": "{base}/api/v1/courses?page=2", "per_page": 2}}}}}}"#
                ))
            }
        }
    })
    .await;
    let client = client_for(&server);
    let items: Vec<_> = client.courses().list_your_courses().stream().try_collect().await.unwrap();
    let ids: Vec<u64> = items.iter().map(|c| c.id.as_ref().unwrap().as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3]);
    // An object with several arrays is not a list: a decode error that says why.
    let server = ScriptedServer::start(|_, _| Reply::json(r#"{"a": [], "b": []}"#)).await;
    let err = client_for(&server).courses().list_your_courses().send().await.unwrap_err();
    assert!(err.to_string().contains("an object with one array"), "{err}");
}

#[tokio::test]
async fn string_ids_mode_asks_for_string_ids_and_decodes_them() {
    let server = ScriptedServer::start(|_, _| Reply::json(r#"{"id": "90000000000000001", "account_id": "7"}"#)).await;
    let client = Client::builder(server.uri()).allow_insecure_http(true).string_ids(true).build().unwrap();
    let course = client.courses().get_single_course(1).send().await.unwrap();
    assert_eq!(course.id.unwrap().as_u64(), Some(90_000_000_000_000_001));
    assert_eq!(course.account_id.unwrap().as_u64(), Some(7));
    assert_eq!(server.requests()[0].header("accept"), Some("application/json+canvas-string-ids"));
    assert!(server.requests()[0].header("user-agent").unwrap().starts_with("canvas-lms-rust/"));
}

#[tokio::test]
async fn a_slow_server_times_out_as_a_transport_error() {
    let server =
        ScriptedServer::start(|_, _| Reply::Slow(Duration::from_millis(500), Box::new(Reply::json(COURSE)))).await;
    let client = Client::builder(server.uri())
        .allow_insecure_http(true)
        .timeout(Duration::from_millis(100))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    match client.courses().get_single_course(1).send().await {
        Err(Error::Transport(e)) => assert!(e.is_timeout(), "{e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn hand_written_requests_can_send_json_bodies() {
    let server = ScriptedServer::start(|_, _| Reply::json(r#"{"ok": true}"#)).await;
    let client = client_for(&server);
    let body = serde_json::json!({"course": {"name": "Rust", "tags": ["a", "b"]}});
    let reply: serde_json::Value = client
        .runtime()
        .post("/v1/courses/{id}/things", &[&"sis_course_id:A/B"])
        .json_body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(reply["ok"], true);
    let req = &server.requests()[0];
    assert_eq!(req.target, "/api/v1/courses/sis_course_id%3AA%2FB/things");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&req.body).unwrap(), body);
}

// ---- Canvas's real limits: loops, links, pacing, parallel pages, errors (issue 11) ----

/// A list whose `next` links are given by `next(page)` (None: last page); one item per page.
async fn linked(next: fn(&str, usize) -> Option<String>) -> ScriptedServer {
    ScriptedServer::start_with(move |base| {
        move |req: &Logged, _| {
            let query = req.target.split_once('?').map(|(_, q)| q).unwrap_or("");
            let page: usize =
                query.split('&').find_map(|kv| kv.strip_prefix("page=")).and_then(|p| p.parse().ok()).unwrap_or(1);
            let reply = Reply::json(format!(r#"[{{"id": {page}}}]"#));
            match next(&base, page) {
                Some(link) => reply.header("link", format!("<{link}>; rel=\"next\"")),
                None => reply,
            }
        }
    })
    .await
}

async fn ids_until_error(server: &ScriptedServer) -> (Vec<u64>, Option<Error>) {
    let client = client_for(server);
    let mut stream = client.courses().list_your_courses().stream();
    let mut ids = Vec::new();
    loop {
        match stream.try_next().await {
            Ok(Some(c)) => ids.push(c.id.and_then(|i| i.as_u64()).unwrap_or(0)),
            Ok(None) => return (ids, None),
            Err(e) => return (ids, Some(e)),
        }
    }
}

#[tokio::test]
async fn a_next_link_to_the_same_page_is_a_loop_error_not_an_endless_stream() {
    let server = linked(|base, _| Some(format!("{base}/api/v1/courses?page=1&per_page=100"))).await;
    let (ids, e) = ids_until_error(&server).await;
    assert_eq!(ids, [1]);
    match e {
        Some(Error::PaginationLoop(url)) => assert!(url.ends_with("/api/v1/courses?page=1&per_page=100"), "{url}"),
        other => panic!("expected a loop error, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "no extra request for a link to the page just read");
}

#[tokio::test]
async fn a_next_link_cycling_back_is_a_loop_error() {
    let server = linked(|base, page| Some(format!("{base}/api/v1/courses?page={}&per_page=100", page % 3 + 1))).await;
    let (ids, e) = ids_until_error(&server).await;
    assert_eq!(ids, [1, 2, 3]);
    assert!(matches!(e, Some(Error::PaginationLoop(_))), "{e:?}");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn relative_next_links_are_followed_within_the_origin() {
    let server = linked(|_, page| (page < 3).then(|| format!("/api/v1/courses?page={}&per_page=100", page + 1))).await;
    let (ids, e) = ids_until_error(&server).await;
    assert!(e.is_none(), "{e:?}");
    assert_eq!(ids, [1, 2, 3]);
    assert!(server.requests().iter().all(|r| r.authorization.as_deref() == Some("Bearer secret-token")));
}

#[tokio::test]
async fn a_numbered_list_is_read_several_pages_at_once_in_order_and_past_a_stale_last() {
    // `last` says page 6 on page 1, but the list grew: page 6 links to a page 7.
    let server = ScriptedServer::start_with(|base| {
        move |req: &Logged, _| {
            let query = req.target.split_once('?').map(|(_, q)| q).unwrap_or("");
            let page: usize =
                query.split('&').find_map(|kv| kv.strip_prefix("page=")).and_then(|p| p.parse().ok()).unwrap_or(1);
            let url = |n: usize| format!("{base}/api/v1/courses?page={n}&per_page=2");
            let mut link = format!("<{}>; rel=\"current\"", url(page));
            if page < 7 {
                link.push_str(&format!(",<{}>; rel=\"next\"", url(page + 1)));
            }
            if page == 1 {
                link.push_str(&format!(",<{}>; rel=\"last\"", url(6)));
            }
            let body = format!(r#"[{{"id": {}}}, {{"id": {}}}]"#, page * 2 - 1, page * 2);
            // Later pages answer faster, so an unordered reader would yield them first.
            let pause = Duration::from_millis(60 - 8 * page as u64);
            Reply::Slow(pause, Box::new(Reply::json(body).header("link", link)))
        }
    })
    .await;
    let client = Client::builder(server.uri())
        .allow_insecure_http(true)
        .token("secret-token")
        .per_page(Some(2))
        .build()
        .unwrap();
    let ids: Vec<u64> = client
        .courses()
        .list_your_courses()
        .stream()
        .map_ok(|c| c.id.and_then(|i| i.as_u64()).unwrap_or(0))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, (1..=14).collect::<Vec<_>>(), "every item once, in order");
    assert!(server.max_in_flight() >= 4, "pages 2 to 6 were fetched at once: {}", server.max_in_flight());
    assert_eq!(server.requests().len(), 7, "each page once");
}

#[tokio::test]
async fn many_lists_on_a_throttling_canvas_complete_without_throttling() {
    use canvas_tests::bucket::{Bucket, BucketServer};
    // Canvas's bucket with short requests: 30 ms each, costing 0.03 units.
    let bucket = Bucket { latency: Duration::from_millis(30), cost: 0.03, per_page: 10, ..Bucket::canvas(5) };
    let server = BucketServer::start(bucket).await;
    let client = Client::builder(&server.base).allow_insecure_http(true).token("t").build().unwrap();
    let lists = (0..24u64).map(|l| {
        let client = client.clone();
        async move {
            let items: Vec<Json> = client.runtime().get("/v1/lists/{list}/items", &[&l]).stream().try_collect().await?;
            Ok::<usize, Error>(items.len())
        }
    });
    let results = futures_util::future::join_all(lists).await;
    for r in &results {
        assert_eq!(r.as_ref().ok(), Some(&50), "{r:?}");
    }
    let c = server.counts();
    assert_eq!(c.served, 24 * 5);
    assert!(c.throttled * 50 <= c.served, "at most 2% throttled: {c:?}");
    assert!(c.max_in_flight <= 13 && c.max_in_flight >= 8, "paced near the bucket's capacity: {c:?}");
}

#[tokio::test]
async fn a_refused_connection_says_refused_and_how_often_it_was_tried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder(format!("http://127.0.0.1:{port}"))
        .allow_insecure_http(true)
        .token("t")
        .retry_policy(policy())
        .build()
        .unwrap();
    // A POST too: a connection that was never opened never reached Canvas.
    let e = client.courses().create_new_course(1).send().await.unwrap_err();
    let Error::Transport(t) = &e else { panic!("{e:?}") };
    assert_eq!(t.kind(), canvas_lms_runtime::TransportKind::Refused);
    assert_eq!(t.attempts(), 3, "a connection that was never opened is retried, even for a POST");
    assert_eq!(t.operation(), "POST /api/v1/accounts/{account_id}/courses");
    assert!(t.is_connect() && !t.is_timeout(), "refused is not a timeout: {t}");
    let said = e.to_string();
    assert!(
        said.starts_with("POST /api/v1/accounts/{account_id}/courses: connection refused (after 3 attempts over"),
        "{said}"
    );
}

#[tokio::test]
async fn the_link_header_wins_over_body_pagination_when_a_response_has_both() {
    let server = ScriptedServer::start_with(|base| {
        move |req: &Logged, _| {
            if req.target.contains("page=2") {
                Reply::json(r#"{"courses": [{"id": 2}]}"#)
            } else if req.target.contains("page=9") {
                Reply::json(r#"{"courses": [{"id": 9}]}"#)
            } else {
                Reply::json(format!(
                    r#"{{"courses": [{{"id": 1}}], "meta": {{"pagination": {{"next": "{base}/api/v1/courses?page=9"}}}}}}"#
                ))
                .header("link", format!(r#"<{base}/api/v1/courses?page=2>; rel="next""#))
            }
        }
    })
    .await;
    let items: Vec<_> = client_for(&server).courses().list_your_courses().stream().try_collect().await.unwrap();
    let ids: Vec<u64> = items.iter().map(|c| c.id.as_ref().unwrap().as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2], "the Link header's next page is followed, not the body's meta.pagination");
}

#[tokio::test]
async fn a_concurrency_limit_of_zero_means_one_request_at_a_time_not_none() {
    let server =
        ScriptedServer::start(|_, _| Reply::Slow(Duration::from_millis(20), Box::new(Reply::json(COURSE)))).await;
    let client = Client::builder(server.uri()).allow_insecure_http(true).max_concurrent_requests(0).build().unwrap();
    let calls = futures_util::future::join_all((0..3).map(|_| client.courses().get_single_course(1).send()));
    let results = tokio::time::timeout(Duration::from_secs(10), calls)
        .await
        .expect("max_concurrent_requests(0) must not deadlock: it is read as 1");
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(server.max_in_flight(), 1, "0 is read as one request at a time");
}

#[tokio::test]
async fn numbered_pages_that_include_one_already_read_are_followed_one_by_one_and_the_loop_is_an_error() {
    // The first page's `next` names the first page again (with `last` numbering 1..=3): no
    // fan-out that would read page 1 twice; following `next` meets the loop.
    let server = ScriptedServer::start_with(|base| {
        move |req: &Logged, _| {
            let query = req.target.split_once('?').map_or("", |(_, q)| q);
            let page = query.split('&').find_map(|kv| kv.strip_prefix("page=")).unwrap_or("1").to_owned();
            Reply::json(format!(r#"[{{"id": {page}}}]"#)).header(
                "link",
                // The same page 1 as the request's `?per_page=100`, its query in another order.
                format!(
                    r#"<{base}/api/v1/courses?per_page=100&page=1>; rel="next", <{base}/api/v1/courses?per_page=100&page=3>; rel="last""#
                ),
            )
        }
    })
    .await;
    let client = client_for(&server);
    let mut stream = client.courses().list_your_courses().stream();
    let mut ids = Vec::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(c) => ids.push(c.id.unwrap().as_u64().unwrap()),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    assert_eq!(ids, [1], "page 1 is not read twice");
    assert!(matches!(error, Some(Error::PaginationLoop(_))), "{error:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_get_sends_no_body_and_a_post_without_parameters_sends_an_empty_one() {
    let server = ScriptedServer::start(|_, _| Reply::json("{}")).await;
    let client = client_for(&server);
    let rt = client.runtime();
    rt.get("/v1/courses/{id}", &[&1]).form("name", "x").send_json().await.unwrap();
    rt.get("/v1/courses/{id}", &[&1]).json_body(serde_json::json!({"a": 1})).send_json().await.unwrap();
    rt.post("/v1/courses/{id}", &[&1]).send_json().await.unwrap();
    for r in server.requests() {
        assert_eq!((r.body.as_str(), r.header("content-type")), ("", None), "{} {}: no body", r.method, r.target);
    }
}

#[tokio::test]
async fn an_empty_body_is_null_as_json_and_anything_else_is_its_value() {
    let server = ScriptedServer::start(|req: &Logged, _| match req.path() {
        "/api/v1/empty" => Reply::status(200, ""),
        "/api/v1/spaces" => Reply::status(200, "while(1);  \n"),
        _ => Reply::json(r#"{"a": 1}"#),
    })
    .await;
    let client = client_for(&server);
    let rt = client.runtime();
    assert_eq!(rt.delete("/v1/empty", &[]).send_json().await.unwrap(), Json::Null);
    assert_eq!(rt.delete("/v1/spaces", &[]).send_json().await.unwrap(), Json::Null);
    assert_eq!(rt.delete("/v1/value", &[]).send_json().await.unwrap(), serde_json::json!({"a": 1}));
}

#[tokio::test]
async fn an_operation_that_names_its_list_member_reads_that_one_and_arrays_are_lists() {
    // Two arrays: only the operation's own key says which is the list.
    let server = ScriptedServer::start(|req: &Logged, _| {
        if req.path().ends_with("/reorder") {
            Reply::json(r#"[{"id": 5}, {"id": 6}]"#)
        } else {
            Reply::json(r#"{"courses": [{"id": 1}, {"id": 2}], "other": [{"id": 99}]}"#)
        }
    })
    .await;
    let client = client_for(&server);
    let items: Vec<_> = client.courses().list_wrapped_courses(1).stream().try_collect().await.unwrap();
    let ids: Vec<u64> = items.iter().map(|c| c.id.as_ref().unwrap().as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2], "the list under the operation's key");
    let page = client.courses().list_wrapped_courses(1).send().await.unwrap();
    assert_eq!(page.items.len(), 2);
    let array = client.courses().reorder_courses().send().await.unwrap();
    let ids: Vec<u64> = array.iter().map(|c| c.id.as_ref().unwrap().as_u64().unwrap()).collect();
    assert_eq!(ids, [5, 6]);
}

#[tokio::test]
async fn a_body_of_exactly_the_size_limit_is_read_and_one_byte_more_is_refused() {
    // 40 bytes of JSON: `{"id": 1, "name": "…"}` padded to the limit.
    let body = |n: usize| format!(r#"{{"id": 1, "name": "{}"}}"#, "x".repeat(n - 21));
    let server = ScriptedServer::start(move |req: &Logged, _| {
        Reply::json(body(if req.path().ends_with("/1") { 40 } else { 41 }))
    })
    .await;
    let client = Client::builder(server.uri()).allow_insecure_http(true).max_response_size(40).build().unwrap();
    let course = client.courses().get_single_course(1).send().await.expect("a body of exactly the limit is read");
    assert_eq!(course.name.map(|n| n.len()), Some(19));
    let e = client.courses().get_single_course(2).send().await.unwrap_err();
    assert!(matches!(e, Error::ResponseTooLarge { limit: 40, .. }), "{e:?}");
}
