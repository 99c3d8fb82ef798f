//! Real generated operations against a loopback HTTP server.

use canvas_lms::context::{Account, Course};
use canvas_lms::courses::{CreateNewCourseParams, ListYourCoursesInclude as Include};
use canvas_lms::grading_standards::CreateNewGradingStandardGradingSchemeEntry as Entry;
use canvas_lms::{Client, Error, Id, Operation};
use futures_util::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn client(server: &MockServer) -> Client {
    Client::builder(server.uri()).allow_insecure_http(true).token("test-token").build().unwrap()
}

fn course(id: u64) -> serde_json::Value {
    json!({"id": id, "name": format!("Course {id}"), "workflow_state": "available", "start_at": "2024-01-02T03:04:05-06:00"})
}

async fn only_request(server: &MockServer) -> Request {
    let mut reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "expected one request");
    reqs.remove(0)
}

#[tokio::test]
async fn sis_ids_in_paths_are_one_encoded_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(course(7))).mount(&server).await;
    let c = client(&server).await;
    let got = c.courses().get_single_course(Id::sis_course_id("CS/101 é")).send().await.unwrap();
    assert_eq!(got.id, Some(Id::from(7u64)));
    assert_eq!(got.start_at.unwrap().to_rfc3339(), "2024-01-02T09:04:05+00:00");
    let req = only_request(&server).await;
    assert_eq!(req.url.path(), "/api/v1/courses/sis_course_id%3ACS%2F101%20%C3%A9");
    assert_eq!(req.headers.get("authorization").unwrap(), "Bearer test-token");
}

#[tokio::test]
async fn array_parameters_are_sent_with_empty_brackets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/courses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([course(1)])))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let page = c
        .courses()
        .list_your_courses()
        .include([Include::Term, Include::TotalScores])
        .include([Include::Teachers])
        .send()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let req = only_request(&server).await;
    // A setter called twice replaces; arrays are `include[]`, never `include[0]`; per_page=100.
    assert_eq!(req.url.query(), Some("include%5B%5D=teachers&per_page=100"));
}

#[tokio::test]
async fn nested_parameters_become_rails_bracket_form_keys() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(course(9))).mount(&server).await;
    let c = client(&server).await;
    let params = CreateNewCourseParams { name: Some("Rust 101".into()), is_public: Some(true), ..Default::default() };
    let created =
        c.courses().create_new_course(Id::sis_account_id("ENG")).course(params).offer(true).send().await.unwrap();
    assert_eq!(created.name.as_deref(), Some("Course 9"));
    let req = only_request(&server).await;
    assert_eq!(req.url.path(), "/api/v1/accounts/sis_account_id%3AENG/courses");
    assert_eq!(req.headers.get("content-type").unwrap(), "application/x-www-form-urlencoded");
    assert_eq!(String::from_utf8(req.body).unwrap(), "course%5Bname%5D=Rust+101&course%5Bis_public%5D=true&offer=true");
}

#[tokio::test]
async fn arrays_of_objects_use_empty_brackets_before_the_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1, "title": "Letters"})))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let entries = [Entry::new("A", 90), Entry::new("B", 80)];
    c.grading_standards().create_new_grading_standard(Account(3), "Letters", entries).send().await.unwrap();
    let req = only_request(&server).await;
    let body = String::from_utf8(req.body).unwrap().replace("%5B", "[").replace("%5D", "]");
    assert_eq!(body, "title=Letters&grading_scheme_entry[][name]=A&grading_scheme_entry[][value]=90&grading_scheme_entry[][name]=B&grading_scheme_entry[][value]=80");
}

#[tokio::test]
async fn streams_every_item_across_three_pages() {
    let server = MockServer::start().await;
    let base = server.uri();
    for page in 1..=3u64 {
        let mut resp = ResponseTemplate::new(200).set_body_json(json!([course(page * 10), course(page * 10 + 1)]));
        let mut links = format!("<{base}/api/v1/courses?page={page}&per_page=2>; rel=\"current\"");
        if page < 3 {
            links.push_str(&format!(",<{base}/api/v1/courses?page=bookmark:{}&per_page=2>; rel=\"next\"", page + 1));
        }
        resp = resp.insert_header("link", links.as_str());
        let query_page = if page == 1 { None } else { Some(format!("bookmark:{page}")) };
        let mut mock = Mock::given(method("GET")).and(path("/api/v1/courses"));
        mock = match query_page {
            Some(p) => mock.and(wiremock::matchers::query_param("page", p.as_str())),
            None => mock.and(wiremock::matchers::query_param_is_missing("page")),
        };
        mock.respond_with(resp).expect(1).mount(&server).await;
    }
    let c = client(&server).await;
    let items: Vec<_> = c.courses().list_your_courses().stream().try_collect().await.unwrap();
    let ids: Vec<u64> = items.iter().map(|c| c.id.as_ref().unwrap().as_u64().unwrap()).collect();
    assert_eq!(ids, [10, 11, 20, 21, 30, 31]);
    for req in server.received_requests().await.unwrap() {
        assert_eq!(req.headers.get("authorization").unwrap(), "Bearer test-token");
    }
}

#[tokio::test]
async fn canvas_error_bodies_become_typed_errors() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/courses/1"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(
                    json!({"errors": [{"message": "The specified resource does not exist."}], "error_report_id": 77}),
                )
                .insert_header("x-request-cost", "0.5"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/courses/2"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errors": [{"message": "Invalid access token."}]}))
                .insert_header("www-authenticate", "Bearer realm=\"canvas-lms\""),
        )
        .mount(&server)
        .await;
    let c = client(&server).await;
    let err = c.courses().get_single_course(1).send().await.unwrap_err();
    let http = err.http().expect("an HTTP error");
    assert_eq!(http.status, 404);
    assert_eq!(http.messages[0].message, "The specified resource does not exist.");
    assert_eq!(http.error_report_id.as_deref(), Some("77"));
    assert_eq!(http.request_cost, Some(0.5));
    assert!(!http.token_rejected);
    assert!(err.to_string().contains("404: The specified resource does not exist. (error report 77)"), "{err}");
    let err = c.courses().get_single_course(2).send().await.unwrap_err();
    assert!(err.http().unwrap().token_rejected);
}

#[tokio::test]
async fn undecodable_body_is_a_decode_error_with_an_excerpt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("while(1);{\"id\": \"not-a-number\", \"name\": 5}"))
        .mount(&server)
        .await;
    let c = client(&server).await;
    match c.courses().get_single_course(1).send().await.unwrap_err() {
        Error::Decode(d) => {
            assert_eq!(d.status, 200);
            assert_eq!(d.path.as_deref(), Some("name"), "{d}");
            assert_eq!(d.expected, "Course");
            assert!(d.excerpt.contains("\"name\": 5"), "{}", d.excerpt);
            assert!(d.message.contains("invalid type"), "{}", d.message);
            let text = d.to_string();
            assert!(
                text.starts_with("GET /api/v1/courses/{id}: could not decode the response (200) as Course at `name`"),
                "{text}"
            );
            assert!(!text.contains("::") && text.len() < 400, "{text}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused_without_sending_the_token() {
    let canvas = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([course(1)]))
                .insert_header("link", format!("<{}/api/v1/courses?page=2>; rel=\"next\"", elsewhere.uri()).as_str()),
        )
        .mount(&canvas)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([course(2)])))
        .mount(&elsewhere)
        .await;
    let c = client(&canvas).await;
    let results: Vec<_> = futures_util::StreamExt::collect::<Vec<_>>(c.courses().list_your_courses().stream()).await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(Error::ForeignOrigin(_))), "{:?}", results[1]);
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn void_operations_return_the_body_as_json_or_null() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/accounts/5/blackout_dates/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": true})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/accounts/6/blackout_dates/1"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let v = c.blackout_dates().delete_blackout_date(Account(5), 1).send().await.unwrap();
    assert_eq!(v, json!({"deleted": true}));
    let v = c.blackout_dates().delete_blackout_date(Account(6), 1).send().await.unwrap();
    assert_eq!(v, serde_json::Value::Null);
}

#[tokio::test]
async fn object_literal_return_types_are_typed() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/courses/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"delete": true})))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let v = c
        .courses()
        .delete_conclude_course(5, canvas_lms::courses::DeleteConcludeCourseEvent::Delete)
        .send()
        .await
        .unwrap();
    assert_eq!((v.delete, v.conclude), (Some(true), None));
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[0].url.query(), Some("event=delete"));
}

#[tokio::test]
async fn resources_written_by_the_project_work_like_upstream_ones() {
    // Developer Keys is one of the 8 resources described in spec/resources/.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/self/developer_keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 10000000000001u64, "name": "Key", "visible": "true", "scopes": ["url:GET|/api/v1/accounts"]}])))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let keys: Vec<_> =
        c.developer_keys().list_developer_keys(Id::new("self")).inherited(true).stream().try_collect().await.unwrap();
    assert_eq!(keys[0].id.as_ref().unwrap().as_u64(), Some(10000000000001));
    assert_eq!(keys[0].visible, Some(true));
    let req = only_request(&server).await;
    assert_eq!(req.url.query(), Some("inherited=true&per_page=100"));
}

#[tokio::test]
async fn caller_keyed_entries_sit_beside_named_keys() {
    use canvas_lms::content_migrations::PreAttachment;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 12})))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let mut other = std::collections::BTreeMap::new();
    other.insert("size".to_string(), "1024".to_string());
    let pre = PreAttachment { name: Some("course.zip".into()), other: Some(other) };
    c.content_migrations()
        .create_content_migration(Course(5), "zip_file_importer")
        .pre_attachment(pre)
        .send()
        .await
        .unwrap();
    let req = only_request(&server).await;
    let body = String::from_utf8(req.body).unwrap().replace("%5B", "[").replace("%5D", "]");
    assert_eq!(body, "migration_type=zip_file_importer&pre_attachment[name]=course.zip&pre_attachment[size]=1024");
}

#[tokio::test]
async fn a_count_wrapped_in_an_object_is_the_number() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"count": 3})))
        .mount(&server)
        .await;
    let c = client(&server).await;
    // Canvas wraps the count (`render json: { count: }`): the operation returns the number.
    let got: i64 = c.account_calendars().count_of_all_visible_account_calendars(1).send().await.unwrap();
    assert_eq!(got, 3);
}

#[tokio::test]
async fn union_fields_decode_into_the_variant_the_fields_show() {
    use canvas_lms::models::QuestionItemOrStimulusItemOrBankEntryItemOrBankItem as Entry;
    let server = MockServer::start().await;
    Mock::given(path("/api/quiz/v1/courses/1/quizzes/2/items/3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "3", "entry_type": "Stimulus",
            "entry": {"title": "Read this", "body": "<p>text</p>", "orientation": "left"},
        })))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let item = c.new_quiz_items().get_quiz_item(1, 2, 3).send().await.unwrap();
    match item.entry.as_deref() {
        Some(Entry::StimulusItem(s)) => assert_eq!(s.orientation.as_deref(), Some("left")),
        other => panic!("expected a StimulusItem, got {other:?}"),
    }
}

#[tokio::test]
async fn one_method_sends_each_context_to_its_own_route() {
    use canvas_lms::context::{Account, Course, Folder, Global, Group, User};
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(json!([]))).mount(&server).await;
    let c = client(&server).await;
    let _: Vec<_> = c.blackout_dates().list_blackout_dates(Course(7)).stream().try_collect().await.unwrap();
    let _: Vec<_> = c
        .blackout_dates()
        .list_blackout_dates(Account(Id::sis_account_id("A/B")))
        .stream()
        .try_collect()
        .await
        .unwrap();
    let _ = c.outcome_groups().show_outcome_group(Global, 3).send_raw().await.unwrap();
    let _ = c.outcome_groups().show_outcome_group(Account(1), 3).send_raw().await.unwrap();
    let _ = c.files().get_file_in(Group(3), 9).send_raw().await.unwrap();
    let _ = c.files().get_file(9).send_raw().await.unwrap();
    let _: Vec<_> = c.files().list_files(Folder(4)).stream().try_collect().await.unwrap();
    let _: Vec<_> = c.files().list_files(User("self")).stream().try_collect().await.unwrap();
    let paths: Vec<String> =
        server.received_requests().await.unwrap().iter().map(|r| r.url.path().to_owned()).collect();
    assert_eq!(
        paths,
        vec![
            "/api/v1/courses/7/blackout_dates",
            // A context's id is one percent-encoded segment, like any path argument.
            "/api/v1/accounts/sis_account_id%3AA%2FB/blackout_dates",
            "/api/v1/global/outcome_groups/3",
            "/api/v1/accounts/1/outcome_groups/3",
            "/api/v1/groups/3/files/9",
            "/api/v1/files/9",
            "/api/v1/folders/4/files",
            "/api/v1/users/self/files",
        ]
    );
}

#[tokio::test]
async fn a_context_id_that_would_change_the_route_is_refused() {
    use canvas_lms::context::Course;
    let server = MockServer::start().await;
    let c = client(&server).await;
    let err = c.blackout_dates().list_blackout_dates(Course("..")).send().await.unwrap_err();
    assert!(err.to_string().contains("segment"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing is sent");
}
