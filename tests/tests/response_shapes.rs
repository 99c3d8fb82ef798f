//! What Canvas really sends, through real generated operations on a loopback server: fields
//! the description does not declare, values wrapped in an object, the caller's own types and
//! raw JSON, and Rails glob paths.

use canvas_lms::context::{Course, User};
use canvas_lms::{Client, Error, Operation};
use futures_util::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn client(server: &MockServer) -> Client {
    Client::builder(server.uri()).allow_insecure_http(true).token("test-token").build().unwrap()
}

async fn serve(server: &MockServer, verb: &str, at: &str, body: serde_json::Value) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A discussion topic as a later Canvas release sends it: `summary_author` and
/// `sentiment_code` are in no description (the model must keep them, and give them back
/// when encoded).
fn topic() -> serde_json::Value {
    json!({
        "id": 31, "title": "Week 1",
        "summary_author": {"id": 7, "display_name": "Ada", "avatar_image_url": "https://x.test/a.png"},
        "sentiment_code": "course_3",
        "is_announcement": false,
    })
}

#[tokio::test]
async fn undeclared_fields_are_readable_and_survive_encoding() {
    let server = MockServer::start().await;
    serve(&server, "GET", "/api/v1/courses/3/discussion_topics", json!([topic()])).await;
    let c = client(&server).await;
    let page = c.discussion_topics().list_discussion_topics(Course(3)).send().await.unwrap();
    let t = &page.items[0];
    assert_eq!(t.title.as_deref(), Some("Week 1"));
    assert_eq!(t.extra.get("sentiment_code"), Some(&json!("course_3")), "undeclared field kept by name");
    #[derive(serde::Deserialize)]
    struct Author {
        id: u64,
        display_name: String,
    }
    let author: Author = t.extra.decode("summary_author").unwrap().unwrap();
    assert_eq!((author.id, author.display_name.as_str()), (7, "Ada"));
    let encoded = serde_json::to_value(t).unwrap();
    for key in ["summary_author", "sentiment_code", "is_announcement"] {
        assert_eq!(encoded.get(key), topic().get(key), "`{key}` encoded back as it came");
    }
}

#[tokio::test]
async fn any_builder_gives_raw_json_or_the_callers_own_type() {
    let server = MockServer::start().await;
    serve(&server, "GET", "/api/v1/courses/3", json!({"id": 3, "name": "Rust", "undeclared": [1]})).await;
    serve(&server, "GET", "/api/v1/courses/3/discussion_topics", json!([topic(), {"id": 32, "title": "Week 2"}])).await;
    let c = client(&server).await;

    let raw = c.courses().get_single_course(3).send_raw().await.unwrap();
    assert_eq!(raw, json!({"id": 3, "name": "Rust", "undeclared": [1]}), "the body, untouched");

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Mine {
        id: u64,
        title: String,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct MyCourse {
        id: u64,
        undeclared: Vec<u8>,
    }
    let mine: MyCourse = c.courses().get_single_course(3).send_as().await.unwrap();
    assert_eq!(mine, MyCourse { id: 3, undeclared: vec![1] });

    // Setters still apply: the builder is the same request.
    let all: Vec<Mine> = c
        .discussion_topics()
        .list_discussion_topics(Course(3))
        .search_term("Week")
        .stream_as()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), [31, 32]);
    let raw_items: Vec<serde_json::Value> =
        c.discussion_topics().list_discussion_topics(Course(3)).stream_as().try_collect().await.unwrap();
    assert_eq!(raw_items[0], topic());
    let first: canvas_lms::Page<Mine> =
        c.discussion_topics().list_discussion_topics(Course(3)).send_page_as().await.unwrap();
    assert_eq!(first.items.iter().map(|m| m.id).collect::<Vec<_>>(), [31, 32]);
    let pages: Vec<canvas_lms::Page<serde_json::Value>> =
        c.discussion_topics().list_discussion_topics(Course(3)).pages_as().try_collect().await.unwrap();
    assert_eq!((pages.len(), pages[0].items.len()), (1, 2));
    let reqs = server.received_requests().await.unwrap();
    let list = reqs.iter().find(|r| r.url.path().ends_with("/discussion_topics")).unwrap();
    assert!(list.url.query().unwrap().contains("search_term=Week"), "{:?}", list.url.query());

    // The caller's type is checked like a model: a mismatch is a typed decode error.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Wrong {
        id: String,
    }
    let err = c.courses().get_single_course(3).send_as::<Wrong>().await.unwrap_err();
    let Error::Decode(d) = &err else { panic!("{err:?}") };
    assert_eq!(d.path.as_deref(), Some("id"), "{err}");
}

#[tokio::test]
async fn glob_paths_take_segments_each_encoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 1, "name": "course files"}])))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let page = c.files().resolve_path_by_full_path(Course(3), "Week 1/notes #2/ü?").send().await.unwrap();
    assert_eq!(page.items[0].id, Some(1u64.into()));
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[0].url.path(), "/api/v1/courses/3/folders/by_path/Week%201/notes%20%232/%C3%BC%3F");

    // A segment that would climb or collapse the path is refused before anything is sent.
    for bad in ["a/../b", "..", "a//b", "", "a/."] {
        let err = c.files().resolve_path_by_full_path(User(5), bad).send().await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}: {err:?}");
        assert!(err.to_string().contains("{*full_path}"), "{err}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "nothing else was sent");
}

/// Operations whose controller wraps the value (`render json: { key: .. }`, repaired by
/// `x-response-key` overrides) return the value itself, whatever its shape; a body that
/// comes unwrapped still decodes.
#[tokio::test]
async fn wrapped_values_of_every_shape_are_unwrapped() {
    let server = MockServer::start().await;
    // A boolean in an object (`{aborted: true}`).
    serve(&server, "PUT", "/api/v1/accounts/1/sis_imports/abort_all_pending", json!({"aborted": true})).await;
    // A model in an object.
    serve(
        &server,
        "GET",
        "/api/v1/courses/2/blackout_dates/5",
        json!({"blackout_date": {"id": 5, "event_title": "Spring break"}}),
    )
    .await;
    // A model, unwrapped (a Canvas that stopped wrapping).
    serve(&server, "GET", "/api/v1/courses/2/blackout_dates/6", json!({"id": 6, "event_title": "Fall break"})).await;
    // A list in an object, from a POST (not paginated).
    serve(
        &server,
        "POST",
        "/api/v1/quiz_submissions/9/questions",
        json!({"quiz_submission_questions": [{"id": 1, "flagged": false}, {"id": 2, "flagged": true}]}),
    )
    .await;
    // A paginated list in an object beside other members.
    serve(
        &server,
        "GET",
        "/api/v1/courses/2/conferences",
        json!({"conferences": [{"id": 4, "title": "Office hours"}], "total": 1}),
    )
    .await;
    let c = client(&server).await;

    let aborted: bool = c.sis_imports().abort_all_pending_sis_imports(1).send().await.unwrap();
    assert!(aborted);
    let spring = c.blackout_dates().get_single_blackout_date(Course(2), 5).send().await.unwrap();
    assert_eq!((spring.id, spring.event_title.as_deref()), (Some(5u64.into()), Some("Spring break")));
    assert!(spring.extra.is_empty(), "the wrapper is not mistaken for a field: {:?}", spring.extra);
    let fall = c.blackout_dates().get_single_blackout_date(Course(2), 6).send().await.unwrap();
    assert_eq!(fall.event_title.as_deref(), Some("Fall break"));
    let questions = c.quiz_submission_questions().answering_questions(9, 1, "token").send().await.unwrap();
    assert_eq!(questions.iter().map(|q| q.flagged).collect::<Vec<_>>(), [Some(false), Some(true)]);
    let conferences: Vec<_> = c.conferences().list_conferences(Course(2)).stream().try_collect().await.unwrap();
    assert_eq!(conferences[0].title.as_deref(), Some("Office hours"));
    // The escape hatch decodes the same member; `send_raw` gives the body as it came.
    let mine: bool = c.sis_imports().abort_all_pending_sis_imports(1).send_as().await.unwrap();
    assert!(mine);
    let raw = c.sis_imports().abort_all_pending_sis_imports(1).send_raw().await.unwrap();
    assert_eq!(raw, json!({"aborted": true}));
}

/// A list returned in one response (not paginated) unwraps like a page: a bare array or an
/// object holding one array; an operation Canvas answers with no body (204) is not typed.
#[tokio::test]
async fn lists_in_one_response_and_empty_answers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"conversations": [{"id": 8, "subject": "Hi"}]})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    serve(&server, "POST", "/api/v1/conversations", json!([{"id": 9, "subject": "Hi again"}])).await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/courses/2/blackout_dates/5"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let wrapped = c.conversations().create_conversation(["7"], "Hi").send().await.unwrap();
    assert_eq!(wrapped[0].id, Some(8u64.into()));
    let bare = c.conversations().create_conversation(["7"], "Hi").send().await.unwrap();
    assert_eq!(bare[0].subject.as_deref(), Some("Hi again"));
    let gone = c.blackout_dates().delete_blackout_date(Course(2), 5).send().await.unwrap();
    assert_eq!(gone, serde_json::Value::Null);
}
