//! The `graphql` feature end to end, against a loopback endpoint that validates every request
//! against Canvas's schema and executes it over a fixture (`canvas_tests::graphql_server`).

use canvas_lms::graphql::course_assignment_rubrics::CourseAssignmentRubrics;
use canvas_lms::graphql::course_enrollment_grades::CourseEnrollmentGrades;
use canvas_lms::graphql::course_submissions::{CourseSubmissions, CourseSubmissionsVariables};
use canvas_lms::graphql::{EnrollmentType, GradingType, PathSegment, SubmissionGradingStatus, SubmissionState};
use canvas_lms::{Client, Error, RetryPolicy};
use canvas_tests::graphql_server::{GraphqlServer, Plan};
use canvas_tests::Reply;
use futures_util::TryStreamExt;
use serde_json::{json, Value};

fn client(server: &GraphqlServer) -> Client {
    Client::builder(server.uri())
        .allow_insecure_http(true)
        .token("test-token")
        .retry_policy(RetryPolicy { base_delay: std::time::Duration::from_millis(1), ..Default::default() })
        .build()
        .unwrap()
}

fn submission(i: usize) -> Value {
    json!({
        "_id": format!("{}", 5000 + i),
        "assignmentId": format!("{}", 300 + i % 7),
        "attempt": 1,
        "grade": if i.is_multiple_of(5) { Value::Null } else { json!(format!("{}", 60 + i % 40)) },
        "score": if i.is_multiple_of(5) { Value::Null } else { json!(60.0 + (i % 40) as f64) },
        "enteredGrade": null,
        "enteredScore": null,
        "excused": i.is_multiple_of(11),
        "late": i.is_multiple_of(3),
        "missing": false,
        "state": if i.is_multiple_of(5) { "submitted" } else { "graded" },
        "gradingStatus": if i.is_multiple_of(5) { "needs_grading" } else { "graded" },
        "submittedAt": "2024-09-01T10:00:00-06:00",
        "gradedAt": if i.is_multiple_of(5) { Value::Null } else { json!("2024-09-02T12:30:00Z") },
        "postedAt": null,
        "user": { "_id": format!("{}", 900 + i), "name": format!("Student {i}"), "sortableName": format!("{i}, Student") },
    })
}

fn course(submissions: usize) -> Value {
    json!({
        "course": {
            "101": {
                "_id": "101",
                "name": "Biology 101",
                "submissionsConnection": (0..submissions).map(submission).collect::<Vec<_>>(),
            }
        }
    })
}

#[tokio::test]
async fn course_submissions_stream_every_page_with_grades_through_validated_queries() {
    let server = GraphqlServer::start(course(250)).await;
    let c = client(&server);
    let all: Vec<_> = CourseSubmissions::stream(&c, 101).try_collect().await.unwrap();

    assert_eq!(all.len(), 250, "every submission of the three pages");
    assert_eq!(all[0].legacy_id.inner(), "5000");
    assert_eq!(all[249].legacy_id.inner(), "5249");
    assert_eq!(all[1].grade.as_deref(), Some("61"));
    assert_eq!(all[1].score, Some(61.0));
    assert_eq!(all[1].state, SubmissionState::Graded);
    assert_eq!(all[0].grading_status, Some(SubmissionGradingStatus::NeedsGrading));
    assert_eq!(all[0].grade, None);
    assert_eq!(all[1].submitted_at.unwrap().to_rfc3339(), "2024-09-01T16:00:00+00:00");
    let user = all[7].user.as_ref().unwrap();
    assert_eq!(user.legacy_id.inner(), "907");
    assert_eq!(user.name.as_ref().unwrap().0, "Student 7");

    assert_eq!(server.invalid(), Vec::<String>::new(), "every request validates against Canvas's schema");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "100 a page: three requests");
    let afters: Vec<_> = reqs.iter().map(|r| r.variables["after"].clone()).collect();
    assert_eq!(afters, vec![Value::Null, json!("cursor:99"), json!("cursor:199")]);
    for r in &reqs {
        assert_eq!(r.operation_name.as_deref(), Some("CourseSubmissions"));
        assert_eq!(r.variables["courseId"], "101");
        assert_eq!(r.authorization.as_deref(), Some("Bearer test-token"));
        assert!(r.query.contains("submissionsConnection(first: 100, after: $after)"), "{}", r.query);
    }
}

#[tokio::test]
async fn a_course_that_is_not_there_streams_nothing() {
    let server = GraphqlServer::start(course(3)).await;
    let c = client(&server);
    let none: Vec<_> = CourseSubmissions::stream(&c, 999).try_collect().await.unwrap();
    assert!(none.is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_query_returns_typed_data_and_its_next_page_follows_the_cursor() {
    let server = GraphqlServer::start(course(120)).await;
    let c = client(&server);
    let first = c.graphql().query::<CourseSubmissions>(CourseSubmissionsVariables::new("101")).await.unwrap();
    let course = first.course.unwrap();
    assert_eq!(course.name, "Biology 101");
    let conn = course.submissions_connection.unwrap();
    assert_eq!(conn.nodes.as_ref().unwrap().len(), 100);
    assert!(conn.page_info.has_next_page);
    let vars = CourseSubmissionsVariables { after: conn.page_info.end_cursor, ..CourseSubmissionsVariables::new(101) };
    let second = c.graphql().query::<CourseSubmissions>(vars).await.unwrap();
    let conn = second.course.unwrap().submissions_connection.unwrap();
    assert_eq!(conn.nodes.unwrap().len(), 20);
    assert!(!conn.page_info.has_next_page);
}

#[tokio::test]
async fn assignments_come_with_their_rubric_criteria_and_ratings() {
    let assignments: Vec<Value> = (0..120usize)
        .map(|i| {
            let rubric = (i.is_multiple_of(2)).then(|| {
                json!({
                    "_id": format!("{}", 70 + i),
                    "title": format!("Rubric {i}"),
                    "pointsPossible": 10.0,
                    "freeFormCriterionComments": false,
                    "criteria": [
                        {"_id": "c1", "description": "Thesis", "longDescription": null, "points": 6.0,
                         "criterionUseRange": false, "ignoreForScoring": false,
                         "ratings": [
                             {"_id": "r1", "description": "Full marks", "longDescription": null, "points": 6.0},
                             {"_id": "r2", "description": "No marks", "longDescription": "Missing", "points": 0.0}
                         ]},
                        {"_id": "c2", "description": "Sources", "longDescription": "Cites", "points": 4.0,
                         "criterionUseRange": true, "ignoreForScoring": false, "ratings": []}
                    ]
                })
            });
            json!({"_id": format!("{}", 300 + i), "name": format!("Essay {i}"), "pointsPossible": 10.0,
                   "state": "published", "gradingType": "points", "rubric": rubric})
        })
        .collect();
    let server =
        GraphqlServer::start(json!({"course": {"101": {"_id": "101", "assignmentsConnection": assignments}}})).await;
    let c = client(&server);
    let all: Vec<_> = CourseAssignmentRubrics::stream(&c, 101).try_collect().await.unwrap();
    assert_eq!(all.len(), 120);
    assert_eq!(server.requests().len(), 3, "50 a page");
    assert_eq!(server.invalid(), Vec::<String>::new());
    assert!(server.requests()[0].query.contains("gradingPeriodId: null"), "all grading periods are asked for");
    assert_eq!(all[0].grading_type, Some(GradingType::Points));
    let rubric = all[0].rubric.as_ref().unwrap();
    assert_eq!(rubric.title.as_deref(), Some("Rubric 0"));
    assert_eq!(rubric.criteria.len(), 2);
    assert_eq!(rubric.criteria[0].points, Some(6.0));
    let ratings = rubric.criteria[0].ratings.as_ref().unwrap();
    assert_eq!(
        ratings.iter().map(|r| (r.description.as_str(), r.points)).collect::<Vec<_>>(),
        [("Full marks", 6.0), ("No marks", 0.0)]
    );
    assert!(rubric.criteria[1].criterion_use_range);
    assert!(all[1].rubric.is_none());
}

#[tokio::test]
async fn student_enrollments_come_with_their_grades() {
    let enrollments: Vec<Value> = (0..130)
        .map(|i| {
            json!({"_id": format!("{}", 40 + i), "state": "active", "type": "StudentEnrollment",
                   "user": {"_id": format!("{}", 900 + i), "name": format!("Student {i}"), "sortableName": null},
                   "section": {"_id": "8", "name": "Section A"},
                   "grades": {"currentGrade": "B+", "currentScore": 88.5, "finalGrade": "C", "finalScore": 71.0,
                              "unpostedCurrentScore": 90.0, "unpostedFinalScore": 72.0,
                              "overrideGrade": if i == 3 { json!("A") } else { Value::Null },
                              "overrideScore": null, "state": "active"}})
        })
        .collect();
    let server =
        GraphqlServer::start(json!({"course": {"101": {"_id": "101", "enrollmentsConnection": enrollments}}})).await;
    let c = client(&server);
    let all: Vec<_> = CourseEnrollmentGrades::stream(&c, "101").try_collect().await.unwrap();
    assert_eq!(all.len(), 130);
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.invalid(), Vec::<String>::new());
    assert!(server.requests()[0].query.contains("types: [StudentEnrollment]"), "{}", server.requests()[0].query);
    assert_eq!(all[0].type_, EnrollmentType::StudentEnrollment);
    let grades = all[3].grades.as_ref().unwrap();
    assert_eq!(grades.current_score, Some(88.5));
    assert_eq!(grades.final_grade.as_deref(), Some("C"));
    assert_eq!(grades.override_grade.as_deref(), Some("A"));
    assert_eq!(all[3].section.as_ref().unwrap().name, "Section A");
}

#[tokio::test]
async fn field_errors_are_typed_with_paths_and_the_partial_data_is_there_when_asked_for() {
    let mut fixture = course(3);
    fixture["course"]["101"]["submissionsConnection"][1]["grade"] = json!({"$error": "grade hidden: not posted"});
    let server = GraphqlServer::start(fixture).await;
    let c = client(&server);

    let err = c.graphql().query::<CourseSubmissions>(CourseSubmissionsVariables::new(101)).await.unwrap_err();
    let Error::Graphql(e) = &err else { panic!("expected GraphQL errors, got {err}") };
    assert_eq!(e.operation, "GraphQL query CourseSubmissions");
    assert_eq!(e.errors.len(), 1);
    assert!(e.errors[0].message.ends_with("grade hidden: not posted"), "{}", e.errors[0].message);
    assert_eq!(e.errors[0].path_text(), "course.submissionsConnection.nodes[1].grade");
    assert_eq!(e.errors[0].path[3], PathSegment::Index(1));
    assert!(!e.errors[0].locations.is_empty(), "the location in the query is given");
    assert!(e.data.is_some(), "the partial data is kept untyped");
    let text = err.to_string();
    assert!(text.contains("GraphQL query CourseSubmissions") && text.contains("nodes[1].grade"), "{text}");

    let partial = c.graphql().query_partial::<CourseSubmissions>(CourseSubmissionsVariables::new(101)).await.unwrap();
    assert_eq!(partial.errors.len(), 1);
    let nodes = partial.data.unwrap().course.unwrap().submissions_connection.unwrap().nodes.unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[1].as_ref().unwrap().grade, None, "the failed field is null");
    assert_eq!(nodes[2].as_ref().unwrap().grade.as_deref(), Some("62"));

    let streamed = CourseSubmissions::stream(&c, 101).try_collect::<Vec<_>>().await.unwrap_err();
    assert!(matches!(streamed, Error::Graphql(_)), "a page with errors ends the stream: {streamed}");
}

#[tokio::test]
async fn a_query_the_schema_refuses_is_a_typed_error_with_the_servers_locations() {
    let server = GraphqlServer::start(course(1)).await;
    let c = client(&server);
    let r = c.graphql().query_text("query Bad { course(id: \"101\") { nmae } }", "Bad", json!({})).await.unwrap();
    assert!(r.data.is_none());
    let unknown = r.errors.iter().find(|e| e.message.contains("`nmae`")).expect("the unknown field is named");
    assert_eq!((unknown.locations[0].line, unknown.locations[0].column), (1, 33));
    assert_eq!(server.invalid().len(), 1, "the server refused it");
    let err = r.into_result().unwrap_err();
    assert!(err.to_string().contains("GraphQL query Bad"), "{err}");
}

#[tokio::test]
async fn queries_are_retried_like_get_and_mutations_like_post() {
    // A 502 before the query reached Canvas: a query only reads, so it is sent again.
    let server = GraphqlServer::start_with(course(2), Plan::fail_first(Reply::status(502, "bad gateway"))).await;
    let c = client(&server);
    let got = c.graphql().query::<CourseSubmissions>(CourseSubmissionsVariables::new(101)).await.unwrap();
    assert_eq!(got.course.unwrap().submissions_connection.unwrap().nodes.unwrap().len(), 2);
    assert_eq!(server.requests().len(), 2);

    // Throttled (Canvas's 403 "Rate Limit Exceeded") is retried for any operation.
    let server = GraphqlServer::start_with(
        course(2),
        Plan::fail_first(Reply::status(403, "403 Forbidden (Rate Limit Exceeded)")),
    )
    .await;
    let c = client(&server);
    c.graphql().query::<CourseSubmissions>(CourseSubmissionsVariables::new(101)).await.unwrap();
    assert_eq!(server.requests().len(), 2);

    // A mutation answered 502 is not sent again: it may have run.
    let server = GraphqlServer::start_with(json!({}), |_, _| Plan::Reply(Reply::status(502, "bad gateway"))).await;
    let c = client(&server);
    let err =
        c.graphql().mutate::<mutation::MarkRead>(mutation::MarkReadVariables { id: "5".into() }).await.unwrap_err();
    assert_eq!(err.status(), Some(502), "{err}");
    assert_eq!(server.requests().len(), 1, "a mutation is not retried after a 5xx");
    assert_eq!(server.invalid(), Vec::<String>::new(), "the mutation validates against the schema");
}

#[tokio::test]
async fn a_query_written_in_the_users_crate_is_checked_and_paged_like_the_curated_ones() {
    let sections: Vec<Value> = (0..7).map(|i| json!({"_id": format!("{i}"), "name": format!("Section {i}")})).collect();
    let server = GraphqlServer::start(json!({"course": {"101": {"_id": "101", "sectionsConnection": sections}}})).await;
    let c = client(&server);
    let names: Vec<String> = c
        .graphql()
        .paginate::<own::CourseSections>(own::CourseSectionsVariables { course_id: "101".into(), after: None })
        .map_ok(|s| s.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, (0..7).map(|i| format!("Section {i}")).collect::<Vec<_>>());
    assert_eq!(server.requests().len(), 4, "two a page: 2 + 2 + 2 + 1");
    assert_eq!(server.invalid(), Vec::<String>::new());
}

/// A query of the kind a user writes in their own crate, against the crate's schema module
/// (fields are read by decoding only, hence `dead_code`).
#[allow(dead_code)]
mod own {
    #[derive(cynic::QueryVariables, Debug)]
    #[cynic(schema_module = "canvas_lms::graphql::schema")]
    pub struct CourseSectionsVariables {
        pub course_id: cynic::Id,
        pub after: Option<String>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(
        schema_path = "../generated/schema.graphql",
        schema_module = "canvas_lms::graphql::schema",
        graphql_type = "Query",
        variables = "CourseSectionsVariables"
    )]
    pub struct CourseSections {
        #[arguments(id: $course_id)]
        pub course: Option<Course>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(
        schema_path = "../generated/schema.graphql",
        schema_module = "canvas_lms::graphql::schema",
        variables = "CourseSectionsVariables"
    )]
    pub struct Course {
        #[arguments(first: 2, after: $after)]
        pub sections_connection: Option<SectionConnection>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(schema_path = "../generated/schema.graphql", schema_module = "canvas_lms::graphql::schema")]
    pub struct SectionConnection {
        pub nodes: Option<Vec<Option<Section>>>,
        pub page_info: PageInfo,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(schema_path = "../generated/schema.graphql", schema_module = "canvas_lms::graphql::schema")]
    pub struct PageInfo {
        pub has_next_page: bool,
        pub end_cursor: Option<String>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(schema_path = "../generated/schema.graphql", schema_module = "canvas_lms::graphql::schema")]
    pub struct Section {
        pub name: String,
    }

    impl canvas_lms::graphql::Paginated for CourseSections {
        type Node = Section;
        const CONNECTION: &'static [&'static str] = &["course", "sectionsConnection"];
    }
}

/// A mutation, to show how it is retried.
#[allow(dead_code)]
mod mutation {
    #[derive(cynic::QueryVariables, Debug)]
    #[cynic(schema_module = "canvas_lms::graphql::schema")]
    pub struct MarkReadVariables {
        pub id: cynic::Id,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(
        schema_path = "../generated/schema.graphql",
        schema_module = "canvas_lms::graphql::schema",
        graphql_type = "Mutation",
        variables = "MarkReadVariables"
    )]
    pub struct MarkRead {
        #[arguments(input: { submissionIds: [$id], read: true })]
        pub update_submissions_read_state: Option<Payload>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(
        schema_path = "../generated/schema.graphql",
        schema_module = "canvas_lms::graphql::schema",
        graphql_type = "UpdateSubmissionsReadStatePayload"
    )]
    pub struct Payload {
        pub errors: Option<Vec<ValidationError>>,
    }

    #[derive(cynic::QueryFragment, Debug)]
    #[cynic(schema_path = "../generated/schema.graphql", schema_module = "canvas_lms::graphql::schema")]
    pub struct ValidationError {
        pub message: String,
    }
}

#[test]
fn an_enum_value_canvas_adds_later_is_kept_not_an_error() {
    let later: SubmissionState = serde_json::from_value(json!("awaiting_moderation")).unwrap();
    assert_eq!(later, SubmissionState::Unknown("awaiting_moderation".into()));
    let known: SubmissionState = serde_json::from_value(json!("pending_review")).unwrap();
    assert_eq!(known, SubmissionState::PendingReview);
}
