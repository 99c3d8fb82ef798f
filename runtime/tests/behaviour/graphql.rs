//! GraphQL through the runtime (`Client::graphql`), on loopback: what is sent, how answers
//! and `errors` are read, how connections are paged, what is retried, and that the
//! client's OAuth2 refresh and pacer apply to it as to REST. The queries are cynic
//! fragments over `canvas_subset.graphql`, a subset of Canvas's schema with the same names
//! and types, so the validating server (`canvas_tests::graphql_server`, which holds requests
//! to the real schema) accepts them too.

use std::time::Duration;

use canvas_lms_runtime::graphql::PathSegment;
use canvas_lms_runtime::{Client, Error, RetryPolicy};
use canvas_tests::graphql_server::{GraphqlServer, Plan};
use canvas_tests::{Reply, ScriptedServer};
use futures_util::TryStreamExt;
use serde_json::{json, Value};

/// The queries; some fields are only decoded, never read (`dead_code`).
#[cynic::schema_for_derives(file = "tests/behaviour/canvas_subset.graphql", module = "schema")]
#[allow(dead_code)]
mod q {
    pub mod schema {
        cynic::use_schema!("tests/behaviour/canvas_subset.graphql");
    }

    #[derive(cynic::QueryVariables, Debug, Clone)]
    pub struct Vars {
        pub course_id: cynic::Id,
        pub after: Option<String>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(graphql_type = "Query", variables = "Vars")]
    pub struct Grades {
        #[arguments(id: $course_id)]
        pub course: Option<Course>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(variables = "Vars")]
    pub struct Course {
        pub name: String,
        #[arguments(first: 2, after: $after)]
        pub submissions_connection: Option<SubmissionConnection>,
    }

    /// A query without variables: its argument is written in the document.
    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(graphql_type = "Query")]
    pub struct Chemistry {
        #[arguments(id: "7")]
        pub course: Option<NameOnly>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    pub struct SubmissionConnection {
        pub nodes: Option<Vec<Option<Submission>>>,
        pub page_info: PageInfo,
    }

    #[derive(cynic::QueryFragment, Debug, PartialEq)]
    pub struct Submission {
        #[cynic(rename = "_id")]
        pub id: cynic::Id,
        pub grade: Option<String>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    pub struct PageInfo {
        pub has_next_page: bool,
        pub end_cursor: Option<String>,
    }

    impl canvas_lms_runtime::graphql::Paginated for Grades {
        type Node = Submission;
        const CONNECTION: &'static [&'static str] = &["course", "submissionsConnection"];
    }

    /// The same data without a cursor variable: it cannot be paged.
    #[derive(cynic::QueryVariables, Debug, Clone)]
    pub struct CourseVars {
        pub course_id: cynic::Id,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(graphql_type = "Query", variables = "CourseVars")]
    pub struct CourseName {
        #[arguments(id: $course_id)]
        pub course: Option<NameOnly>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(graphql_type = "Course")]
    pub struct NameOnly {
        pub name: String,
    }

    impl canvas_lms_runtime::graphql::Paginated for CourseName {
        type Node = NameOnly;
        const CONNECTION: &'static [&'static str] = &["course"];
    }

    #[derive(cynic::QueryVariables, Debug)]
    pub struct ReadVars {
        pub id: cynic::Id,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(graphql_type = "Mutation", variables = "ReadVars")]
    pub struct MarkRead {
        #[arguments(input: { submissionIds: [$id], read: true })]
        pub update_submissions_read_state: Option<Payload>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(graphql_type = "UpdateSubmissionsReadStatePayload")]
    pub struct Payload {
        pub errors: Option<Vec<ValidationError>>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    pub struct ValidationError {
        pub message: String,
    }
}

fn vars(course: &str) -> q::Vars {
    q::Vars { course_id: cynic::Id::new(course), after: None }
}

fn client(uri: String) -> Client {
    Client::builder(uri)
        .allow_insecure_http(true)
        .token("secret-token")
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(1),
        })
        .build()
        .unwrap()
}

fn submissions(n: usize) -> Value {
    let nodes: Vec<Value> = (0..n).map(|i| json!({"_id": format!("{i}"), "grade": format!("{}", 80 + i)})).collect();
    json!({"course": {"7": {"_id": "7", "name": "Chemistry", "submissionsConnection": nodes}}})
}

fn page(nodes: Value, next: Option<&str>) -> Reply {
    Reply::json(
        json!({"data": {"course": {"name": "C", "submissionsConnection": {
            "nodes": nodes, "pageInfo": {"hasNextPage": next.is_some(), "endCursor": next}}}}})
        .to_string(),
    )
}

#[tokio::test]
async fn a_query_is_one_json_post_to_api_graphql_with_the_token_and_returns_typed_data() {
    let server = GraphqlServer::start(submissions(1)).await;
    let c = client(server.uri());
    assert_eq!(format!("{:?}", c.graphql()), format!("Graphql {{ api_root: {:?} }}", format!("{}/api", server.uri())));
    let data = c.graphql().query::<q::Grades>(vars("7")).await.unwrap();
    let course = data.course.unwrap();
    assert_eq!(course.name, "Chemistry");
    assert_eq!(course.submissions_connection.unwrap().nodes.unwrap()[0].as_ref().unwrap().grade.as_deref(), Some("80"));

    let sent = server.server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].method.as_str(), sent[0].target.as_str()), ("POST", "/api/graphql"));
    assert_eq!(sent[0].authorization.as_deref(), Some("Bearer secret-token"));
    assert!(sent[0].header("content-type").unwrap().starts_with("application/json"));
    let body: Value = serde_json::from_str(&sent[0].body).unwrap();
    assert_eq!(body["operationName"], "Grades");
    assert_eq!(body["variables"], json!({"courseId": "7", "after": null}));
    assert!(body["query"].as_str().unwrap().starts_with("query Grades($courseId: ID!, $after: String)"), "{body}");
    assert_eq!(server.invalid(), Vec::<String>::new(), "valid against Canvas's real schema");
}

#[tokio::test]
async fn a_query_without_variables_takes_unit_and_sends_an_empty_map() {
    let server = GraphqlServer::start(submissions(1)).await;
    let data = client(server.uri()).graphql().query::<q::Chemistry>(()).await.unwrap();
    assert_eq!(data.course.unwrap().name, "Chemistry");
    let body: Value = serde_json::from_str(&server.server.requests()[0].body).unwrap();
    assert_eq!(body["variables"], json!({}));
    assert_eq!(server.invalid(), Vec::<String>::new());
}

#[tokio::test]
async fn masquerading_rides_on_graphql_requests_too() {
    let server = GraphqlServer::start(submissions(1)).await;
    let c = client(server.uri()).as_user(canvas_lms_runtime::Id::sis_user_id("jdoe"));
    c.graphql().query::<q::Grades>(vars("7")).await.unwrap();
    let target = &server.server.requests()[0].target;
    assert_eq!(target, "/api/graphql?as_user_id=sis_user_id%3Ajdoe");
}

#[tokio::test]
async fn a_connection_is_streamed_page_after_page_following_end_cursor() {
    let server = GraphqlServer::start(submissions(5)).await;
    let c = client(server.uri());
    let all: Vec<q::Submission> = c.graphql().paginate::<q::Grades>(vars("7")).try_collect().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|s| s.id.inner()).collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4"]);
    let afters: Vec<Value> = server.requests().iter().map(|r| r.variables["after"].clone()).collect();
    assert_eq!(afters, [Value::Null, json!("cursor:1"), json!("cursor:3")], "two a page: three requests");
    assert_eq!(server.invalid(), Vec::<String>::new());
}

#[tokio::test]
async fn the_first_page_starts_where_the_caller_says() {
    let server = GraphqlServer::start(submissions(5)).await;
    let c = client(server.uri());
    let from = q::Vars { after: Some("cursor:2".into()), ..vars("7") };
    let all: Vec<q::Submission> = c.graphql().paginate::<q::Grades>(from).try_collect().await.unwrap();
    assert_eq!(all.iter().map(|s| s.id.inner()).collect::<Vec<_>>(), ["3", "4"]);
}

#[tokio::test]
async fn edges_and_null_nodes_are_read_and_a_null_on_the_way_ends_the_stream() {
    let server = ScriptedServer::start(|_, n| match n {
        0 => Reply::json(
            json!({"data": {"course": {"name": "C", "submissionsConnection": {
                "edges": [{"cursor": "a", "node": {"_id": "1", "grade": null}}, {"cursor": "b", "node": null}],
                "pageInfo": {"hasNextPage": true, "endCursor": "b"}}}}})
            .to_string(),
        ),
        _ => Reply::json(r#"{"data": {"course": null}}"#),
    })
    .await;
    let c = client(server.uri());
    let all: Vec<q::Submission> = c.graphql().paginate::<q::Grades>(vars("7")).try_collect().await.unwrap();
    assert_eq!(all, [q::Submission { id: cynic::Id::new("1"), grade: None }]);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_cursor_handed_out_twice_is_a_loop_not_an_endless_stream() {
    let server = ScriptedServer::start(|_, _| page(json!([{"_id": "1", "grade": "A"}]), Some("same"))).await;
    let c = client(server.uri());
    let mut stream = c.graphql().paginate::<q::Grades>(vars("7"));
    let mut read = 0;
    let err = loop {
        match stream.try_next().await {
            Ok(Some(_)) => read += 1,
            Ok(None) => panic!("the stream ended instead of reporting the loop"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::PaginationLoop(_)), "{err}");
    assert!(err.to_string().contains("\"same\""), "{err}");
    assert_eq!((read, server.requests().len()), (2, 2), "the page of the repeated cursor is read, then the walk stops");
    assert!(stream.try_next().await.unwrap().is_none(), "nothing after the error");
}

#[tokio::test]
async fn a_query_without_its_cursor_variable_is_refused_before_anything_is_sent() {
    let server = ScriptedServer::start(|_, _| Reply::json("{}")).await;
    let c = client(server.uri());
    let err = c
        .graphql()
        .paginate::<q::CourseName>(q::CourseVars { course_id: cynic::Id::new("7") })
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("declares no variable $after")), "{err}");
    assert!(server.requests().is_empty());
    let err = c
        .graphql()
        .paginate_at::<q::Grades, q::Submission>(vars("7"), &[], "after")
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("path is empty")), "{err}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn paginate_at_reads_a_connection_at_any_path_with_any_cursor_variable() {
    let server = GraphqlServer::start(submissions(3)).await;
    let c = client(server.uri());
    let ids: Vec<String> = c
        .graphql()
        .paginate_at::<q::Grades, q::Submission>(vars("7"), &["course", "submissionsConnection"], "after")
        .map_ok(|s| s.id.into_inner())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["0", "1", "2"]);
    let err = c
        .graphql()
        .paginate_at::<q::Grades, q::Submission>(vars("7"), &["course", "submissionsConnection"], "cursor")
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("$cursor"), "{err}");
}

#[tokio::test]
async fn errors_are_typed_and_the_partial_data_is_there_when_asked_for() {
    let mut fixture = submissions(2);
    fixture["course"]["7"]["submissionsConnection"][1]["grade"] = json!({"$error": "not posted"});
    let server = GraphqlServer::start(fixture).await;
    let c = client(server.uri());

    let err = c.graphql().query::<q::Grades>(vars("7")).await.unwrap_err();
    let Error::Graphql(e) = &err else { panic!("{err}") };
    assert_eq!(e.operation, "GraphQL query Grades");
    assert_eq!(
        e.errors[0].path,
        [
            PathSegment::Field("course".into()),
            PathSegment::Field("submissionsConnection".into()),
            PathSegment::Field("nodes".into()),
            PathSegment::Index(1),
            PathSegment::Field("grade".into())
        ]
    );
    assert_eq!(e.data.as_ref().unwrap()["course"]["name"], "Chemistry");
    assert!(err.to_string().starts_with("GraphQL query Grades: the server answered with 1 GraphQL error:"), "{err}");

    let partial = c.graphql().query_partial::<q::Grades>(vars("7")).await.unwrap();
    assert_eq!(partial.errors.len(), 1);
    let nodes = partial.data.unwrap().course.unwrap().submissions_connection.unwrap().nodes.unwrap();
    assert_eq!(
        (nodes[0].as_ref().unwrap().grade.as_deref(), nodes[1].as_ref().unwrap().grade.as_deref()),
        (Some("80"), None)
    );

    let err = c.graphql().paginate::<q::Grades>(vars("7")).try_collect::<Vec<_>>().await.unwrap_err();
    assert!(matches!(err, Error::Graphql(_)), "a page with errors ends the stream with them: {err}");
}

#[tokio::test]
async fn a_text_query_comes_back_untyped_with_the_servers_diagnostics() {
    let server = GraphqlServer::start(submissions(1)).await;
    let c = client(server.uri());
    let ok =
        c.graphql().query_text("query N($id: ID) { course(id: $id) { name } }", "N", json!({"id": "7"})).await.unwrap();
    assert_eq!(ok.data, Some(json!({"course": {"name": "Chemistry"}})));
    let bad = c.graphql().query_text("query N { course(id: 7) { grade } }", "N", json!({})).await.unwrap();
    assert!(bad.data.is_none());
    assert!(bad.errors.iter().any(|e| e.message.contains("`grade`") && !e.locations.is_empty()), "{:?}", bad.errors);
}

#[tokio::test]
async fn queries_are_sent_again_like_get_and_mutations_only_when_throttled() {
    for (status, body) in [(502, "bad gateway"), (503, "unavailable")] {
        let server = GraphqlServer::start_with(submissions(1), Plan::fail_first(Reply::status(status, body))).await;
        let c = client(server.uri());
        c.graphql().query::<q::Grades>(vars("7")).await.unwrap();
        assert_eq!(server.requests().len(), 2, "a query after {status} is sent again");

        let c = client(server.uri());
        let err = c.graphql().mutate::<q::MarkRead>(q::ReadVars { id: cynic::Id::new("5") }).await;
        assert!(err.is_ok(), "the second request succeeds: {err:?}");
    }
    let server = GraphqlServer::start_with(json!({}), |_, _| Plan::Reply(Reply::status(502, "bad gateway"))).await;
    let c = client(server.uri());
    let err = c.graphql().mutate::<q::MarkRead>(q::ReadVars { id: cynic::Id::new("5") }).await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(err.to_string().starts_with("GraphQL mutation MarkRead"), "errors name the operation: {err}");
    assert_eq!(server.requests().len(), 1, "a mutation that may have run is not sent again");
    assert_eq!(server.invalid(), Vec::<String>::new());

    let server = GraphqlServer::start_with(
        json!({}),
        Plan::fail_first(Reply::status(403, "403 Forbidden (Rate Limit Exceeded)")),
    )
    .await;
    let c = client(server.uri());
    c.graphql().mutate::<q::MarkRead>(q::ReadVars { id: cynic::Id::new("5") }).await.unwrap();
    assert_eq!(server.requests().len(), 2, "a throttled mutation was not run: it is sent again");
}

#[tokio::test]
async fn a_body_that_is_not_a_graphql_response_is_a_decode_error_naming_the_operation() {
    let server =
        ScriptedServer::start(|_, n| if n < 3 { Reply::json("{\"data\": {\"cour") } else { Reply::json("[1]") }).await;
    let c = client(server.uri());
    let err = c.graphql().query::<q::Grades>(vars("7")).await.unwrap_err();
    let Error::Decode(d) = &err else { panic!("{err}") };
    assert!(d.malformed && d.attempts == 3, "a cut body of a query is retried: {err}");
    assert_eq!(d.operation, "GraphQL query Grades");
    let err = c.graphql().query::<q::Grades>(vars("7")).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn an_operation_is_traced_by_kind_and_name_around_its_requests_without_the_token() {
    let test = "graphql::an_operation_is_traced_by_kind_and_name_around_its_requests_without_the_token";
    let Some((recorder, _guard)) = crate::tracing_spans::Recorder::alone(test) else { return };
    let server = GraphqlServer::start_with(submissions(1), Plan::fail_first(Reply::status(503, "unavailable"))).await;
    client(server.uri()).graphql().query::<q::Grades>(vars("7")).await.unwrap();
    let text = recorder.lines.lock().unwrap().join("\n");
    assert!(text.contains("span canvas_graphql kind=query operation=Grades"), "{text}");
    assert!(text.contains("span canvas_request method=POST path=/graphql attempt=1"), "{text}");
    assert!(text.contains("span canvas_request method=POST path=/graphql attempt=2"), "the retry is traced: {text}");
    assert!(!text.contains("secret-token"), "the token is never traced: {text}");
}

#[tokio::test]
async fn a_revoked_oauth_token_is_refreshed_once_and_the_operation_sent_again_with_the_new_one() {
    use canvas_lms_runtime::{OAuth, TokenSet};
    // Canvas's GraphQL accepts only token-1, which only a refresh at the login host gives.
    let server = GraphqlServer::start_with(submissions(1), |req, _| {
        if req.authorization.as_deref() == Some("Bearer token-1") {
            Plan::Execute
        } else {
            Plan::Reply(
                Reply::status(401, r#"{"errors": [{"message": "Invalid access token."}]}"#)
                    .header("www-authenticate", "Bearer realm=\"canvas-lms\""),
            )
        }
    })
    .await;
    let login = ScriptedServer::start(|req: &canvas_tests::Logged, _| {
        assert_eq!((req.method.as_str(), req.path()), ("POST", "/login/oauth2/token"));
        Reply::json(r#"{"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600}"#)
    })
    .await;
    let oauth =
        OAuth::new_insecure_loopback(&login.uri(), "10000000000001", "s3cret", "https://app.example.edu/cb").unwrap();
    let tokens = TokenSet::new("revoked", Some("refresh-1".into()), None);
    let c = Client::builder(server.uri()).allow_insecure_http(true).oauth(oauth, tokens).build().unwrap();

    // A 401 means the mutation was not run: even a mutation is sent again, once refreshed.
    c.graphql().mutate::<q::MarkRead>(q::ReadVars { id: cynic::Id::new("5") }).await.unwrap();
    let data = c.graphql().query::<q::Grades>(vars("7")).await.unwrap();
    assert_eq!(data.course.unwrap().name, "Chemistry");
    let auth: Vec<Option<String>> = server.requests().into_iter().map(|r| r.authorization).collect();
    let bearer = |t: &str| Some(format!("Bearer {t}"));
    assert_eq!(auth, [bearer("revoked"), bearer("token-1"), bearer("token-1")]);
    assert_eq!(login.requests().len(), 1, "one refresh, kept for the next operation");
    assert!(login.requests()[0].body.contains("grant_type=refresh_token"), "{:?}", login.requests());
    assert_eq!(server.invalid(), Vec::<String>::new());
}

#[tokio::test]
async fn graphql_requests_share_the_clients_pacer() {
    // Canvas reports an almost full bucket on every answer: the pacer keeps fewer requests
    // in flight than the 12 operations asked for at once.
    let server = ScriptedServer::start(|_, _| {
        let answer = page(json!([]), None).header("x-rate-limit-remaining", "60");
        Reply::Slow(Duration::from_millis(40), Box::new(answer))
    })
    .await;
    let c = client(server.uri());
    let g = c.graphql();
    let all = futures_util::future::join_all((0..12).map(|_| g.query::<q::Grades>(vars("7")))).await;
    assert!(all.iter().all(Result::is_ok), "{all:?}");
    assert_eq!(server.requests().len(), 12);
    let most = server.max_in_flight();
    assert!((1..=4).contains(&most), "at most the pacer's first allowance at once, then fewer: {most}");
}
