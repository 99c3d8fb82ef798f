//! A folder as Canvas serves it (`/doc/api/`): the resource listing `api-docs.json` beside
//! the declarations is read as a listing, names the resources, and is compared with them.

use canvas_codegen::{generate, InputFile, Overrides};

fn declaration(resource: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion": "1.0", "swaggerVersion": "1.2", "basePath": "https://canvas.test/api", "resourcePath": "/{resource}",
            "apis": [{{"path": "/v1/{resource}", "operations": [{{"method": "GET", "summary": "List", "nickname": "list_{resource}", "parameters": [], "type": "void"}}]}}],
            "models": {{}}}}"#
    )
    .into_bytes()
}

#[test]
fn the_listing_names_resources_and_is_checked_against_the_declarations() {
    let listing = br#"{"apiVersion": "1.0", "swaggerVersion": "1.2", "apis": [
        {"path": "/comm_messages.json", "description": "CommMessages"},
        {"path": "/polls.{format}", "description": "Polls"},
        {"path": "/gone.json", "description": "Gone"}]}"#;
    let files = vec![
        InputFile::upstream("api-docs.json", listing.to_vec()),
        InputFile::upstream("comm_messages.json", declaration("comm_messages")),
        InputFile::upstream("polls.json", declaration("polls")),
        InputFile::upstream("unlisted.json", declaration("unlisted")),
    ];
    let out = generate(&files, &Overrides::default()).expect("a listing is not a broken declaration");
    assert_eq!(out.report.resources, 3, "the listing is not a resource");
    let titles: Vec<&str> = out.ir.resources.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["CommMessages", "Polls", "Unlisted"], "listed names, else from the file name");
    let kinds: Vec<(&str, &str)> = out
        .report
        .anomalies
        .iter()
        .map(|a| (a.kind.as_str(), a.detail.as_str()))
        .filter(|(k, _)| k.contains("list"))
        .collect();
    assert!(kinds.contains(&("listed declaration missing", "gone.json is listed but not in the input")), "{kinds:?}");
    assert!(
        kinds.contains(&("declaration not in the resource listing", "api-docs.json does not name it")),
        "{kinds:?}"
    );
    assert_eq!(kinds.len(), 2, "{kinds:?}");
}

#[test]
fn a_malformed_listing_names_the_file_and_the_location() {
    let files = vec![
        InputFile::upstream(
            "api-docs.json",
            br#"{"swaggerVersion": "1.2", "apis": [{"description": "no path"}]}"#.to_vec(),
        ),
        InputFile::upstream("polls.json", declaration("polls")),
    ];
    let err = generate(&files, &Overrides::default()).unwrap_err().to_string();
    assert!(err.contains("api-docs.json") && err.contains("apis[0]") && err.contains("path"), "{err}");
}
