//! The blocking facade: generated operations from synchronous code.

use canvas_lms::Client;
use canvas_tests::{Logged, Reply, ScriptedServer};

#[test]
fn operations_and_lists_from_synchronous_code() {
    // The server runs on its own runtime; the test thread has none, like a script.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(ScriptedServer::start_with(|base| {
        move |req: &Logged, _| {
            if req.path() == "/api/v1/courses/7" {
                Reply::json(r#"{"id": 7, "name": "Sync"}"#)
            } else if req.target.contains("page=2") {
                Reply::json(r#"[{"id": 3}]"#)
            } else {
                Reply::json(r#"[{"id": 1}, {"id": 2}]"#)
                    .header("link", format!("<{base}/api/v1/courses?page=2>; rel=\"next\""))
            }
        }
    }));
    let canvas =
        Client::builder(server.uri()).allow_insecure_http(true).token("t").build().unwrap().blocking().unwrap();
    let course = canvas.call(canvas.courses().get_single_course(7).send()).unwrap();
    assert_eq!(course.name.as_deref(), Some("Sync"));
    let ids: Vec<u64> = canvas
        .iter(canvas.courses().list_your_courses().stream())
        .map(|c| c.unwrap().id.unwrap().as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[tokio::test]
async fn a_blocking_call_inside_an_async_runtime_is_an_error_not_a_deadlock() {
    let server = ScriptedServer::start(|_, _| Reply::json("{}")).await;
    let client = Client::builder(server.uri()).allow_insecure_http(true).build().unwrap();
    // Built outside the runtime's context, used inside it.
    let canvas = std::thread::spawn(move || client.blocking().unwrap()).join().unwrap();
    let err = canvas.call(canvas.courses().get_single_course(1).send()).unwrap_err();
    assert!(err.to_string().contains("inside an async runtime"), "{err}");
    // Dropping a runtime inside a runtime is not allowed either: hand it to a plain thread.
    std::thread::spawn(move || drop(canvas)).join().unwrap();
}
