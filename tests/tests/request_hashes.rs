//! Parameters the description types as one string while Canvas reads a hash (repaired by
//! overrides that name each key, with evidence from Canvas's controllers) are typed structs
//! and maps, sent as the bracket keys Canvas reads.

use canvas_lms::assignments::{
    CreateAssignmentParams, ExternalToolTagAttributesParams as ToolTag, TurnitinSettingsParams as Turnitin,
};
use canvas_lms::rubrics::{CriterionRubricAssessment as Criterion, RubricAssessmentParams as Assessment};
use canvas_lms::Client;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn sent_form(server: &MockServer) -> String {
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "one request");
    let body = String::from_utf8(reqs[0].body.clone()).unwrap();
    body.replace("%5B", "[").replace("%5D", "]")
}

#[tokio::test]
async fn hashes_with_known_keys_are_structs() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let c = Client::builder(server.uri()).allow_insecure_http(true).token("t").build().unwrap();
    let mut assignment = CreateAssignmentParams::new("Quiz tool");
    assignment.external_tool_tag_attributes =
        Some(ToolTag { url: Some("https://tool.test/launch".into()), new_tab: Some(true), ..Default::default() });
    assignment.turnitin_settings = Some(Turnitin { internet_check: Some(false), ..Default::default() });
    c.assignments().create_assignment(5, assignment).send().await.unwrap();
    let body = sent_form(&server).await;
    for pair in [
        "assignment[name]=Quiz+tool",
        "assignment[external_tool_tag_attributes][url]=https%3A%2F%2Ftool.test%2Flaunch",
        "assignment[external_tool_tag_attributes][new_tab]=true",
        "assignment[turnitin_settings][internet_check]=false",
    ] {
        assert!(body.split('&').any(|p| p == pair), "`{pair}` not in {body}");
    }
}

#[tokio::test]
async fn hashes_keyed_by_the_caller_are_maps() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let c = Client::builder(server.uri()).allow_insecure_http(true).token("t").build().unwrap();
    let assessment = Assessment {
        user_id: Some(7u64.into()),
        assessment_type: Some("grading".into()),
        by_criterion: Some(
            [(
                "criterion_12".to_owned(),
                Criterion { points: Some(3.5), comments: Some("ok".into()), ..Default::default() },
            )]
            .into(),
        ),
        ..Default::default()
    };
    c.rubrics().create_single_rubric_assessment(5, 9).rubric_assessment(assessment).send().await.unwrap();
    let body = sent_form(&server).await;
    for pair in [
        "rubric_assessment[user_id]=7",
        "rubric_assessment[assessment_type]=grading",
        "rubric_assessment[criterion_12][points]=3.5",
        "rubric_assessment[criterion_12][comments]=ok",
    ] {
        assert!(body.split('&').any(|p| p == pair), "`{pair}` not in {body}");
    }
}
