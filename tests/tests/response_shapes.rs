//! What Canvas really sends, through real generated operations on a loopback server: fields
//! the description does not declare, values wrapped in an object, the caller's own types and
//! raw JSON, and Rails glob paths.

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

/// A discussion topic as Canvas sends it: `author` and `context_code` are not in the
/// description (the model must keep them, and give them back when encoded).
fn topic() -> serde_json::Value {
    json!({
        "id": 31, "title": "Week 1",
        "author": {"id": 7, "display_name": "Ada", "avatar_image_url": "https://x.test/a.png"},
        "context_code": "course_3",
        "is_announcement": false,
    })
}

#[tokio::test]
async fn undeclared_fields_are_readable_and_survive_encoding() {
    let server = MockServer::start().await;
    serve(&server, "GET", "/api/v1/courses/3/discussion_topics", json!([topic()])).await;
    let c = client(&server).await;
    let page = c.discussion_topics().list_discussion_topics_courses(3).send().await.unwrap();
    let t = &page.items[0];
    assert_eq!(t.title.as_deref(), Some("Week 1"));
    assert_eq!(t.extra.get("context_code"), Some(&json!("course_3")), "undeclared field kept by name");
    #[derive(serde::Deserialize)]
    struct Author {
        id: u64,
        display_name: String,
    }
    let author: Author = t.extra.decode("author").unwrap().unwrap();
    assert_eq!((author.id, author.display_name.as_str()), (7, "Ada"));
    let encoded = serde_json::to_value(t).unwrap();
    for key in ["author", "context_code", "is_announcement"] {
        assert_eq!(encoded.get(key), topic().get(key), "`{key}` encoded back as it came");
    }
}

#[tokio::test]
async fn any_builder_gives_raw_json_or_the_callers_own_type() {
    let server = MockServer::start().await;
    serve(&server, "GET", "/api/v1/courses/3", json!({"id": 3, "name": "Rust", "undeclared": [1]})).await;
    serve(&server, "GET", "/api/v1/courses/3/discussion_topics", json!([topic(), {"id": 32, "title": "Week 2"}])).await;
    let c = client(&server).await;

    let raw = c.courses().get_single_course_courses(3).send_raw().await.unwrap();
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
    let mine: MyCourse = c.courses().get_single_course_courses(3).send_as().await.unwrap();
    assert_eq!(mine, MyCourse { id: 3, undeclared: vec![1] });

    // Setters still apply: the builder is the same request.
    let all: Vec<Mine> = c
        .discussion_topics()
        .list_discussion_topics_courses(3)
        .search_term("Week")
        .stream_as()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), [31, 32]);
    let raw_items: Vec<serde_json::Value> =
        c.discussion_topics().list_discussion_topics_courses(3).stream_as().try_collect().await.unwrap();
    assert_eq!(raw_items[0], topic());
    let reqs = server.received_requests().await.unwrap();
    let list = reqs.iter().find(|r| r.url.path().ends_with("/discussion_topics")).unwrap();
    assert!(list.url.query().unwrap().contains("search_term=Week"), "{:?}", list.url.query());

    // The caller's type is checked like a model: a mismatch is a typed decode error.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Wrong {
        id: String,
    }
    let err = c.courses().get_single_course_courses(3).send_as::<Wrong>().await.unwrap_err();
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
    let page = c.files().resolve_path_courses_full_path(3, "Week 1/notes #2/ü?").send().await.unwrap();
    assert_eq!(page.items[0].id, Some(1u64.into()));
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[0].url.path(), "/api/v1/courses/3/folders/by_path/Week%201/notes%20%232/%C3%BC%3F");

    // A segment that would climb or collapse the path is refused before anything is sent.
    for bad in ["a/../b", "..", "a//b", "", "a/."] {
        let err = c.files().resolve_path_users_full_path(5, bad).send().await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}: {err:?}");
        assert!(err.to_string().contains("{*full_path}"), "{err}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "nothing else was sent");
}
