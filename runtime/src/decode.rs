//! Response bodies into Rust values: `while(1);` stripping, typed decoding with errors that
//! name the operation and the field path, and list pages in every shape Canvas sends them.

use serde::de::DeserializeOwned;

use crate::error::DecodeError;
use crate::page::{Links, Page, ResponseMeta};
use crate::{Json, Result};

/// A response read to the end.
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    pub attempts: u32,
    /// With OAuth2: the token generation the request was sent with.
    pub auth_generation: Option<u64>,
    /// When the response's headers arrived.
    pub received: std::time::Instant,
}

/// Canvas may prefix JSON with `while(1);` to defeat JSON hijacking.
pub(crate) fn strip_while1(body: &[u8]) -> &[u8] {
    let trimmed = body.trim_ascii_start();
    trimmed.strip_prefix(b"while(1);").unwrap_or(body)
}

/// Decodes a body (after `while(1);`) as `T`; `operation` names the request in errors.
pub(crate) fn decode_body<T: DeserializeOwned>(operation: &str, status: u16, body: &[u8]) -> Result<T> {
    let body = strip_while1(body);
    serde_json::from_slice(body)
        .map_err(|e| DecodeError::from_json(operation, status, std::any::type_name::<T>(), body, &e))
}

/// Decodes an already parsed value as `T` (a wrapped list, the completed Progress, an
/// upload's answer). On failure the value is written out and decoded again from the text,
/// which fails the same way but with a position, so the error can name the field path (the
/// slice decoder is the one [`decode_body`] instantiates anyway: no new generic code).
pub(crate) fn decode_value<T: DeserializeOwned>(operation: &str, status: u16, value: Json) -> Result<T> {
    T::deserialize(&value).map_err(|e| {
        let text = value.to_string();
        let located = serde_json::from_slice::<T>(text.as_bytes()).err();
        DecodeError::from_json(
            operation,
            status,
            std::any::type_name::<T>(),
            text.as_bytes(),
            located.as_ref().unwrap_or(&e),
        )
    })
}

/// Decodes the value of a response as `T`: the whole body, or, when the operation's value
/// comes wrapped (`key` is `Some`: `{"quiz": {..}}`, `{"aborted": true}`), the member `key`
/// of the body object. A body that is not an object holding `key` is decoded whole, so an
/// operation that stops wrapping its value still decodes.
///
/// The member is decoded from its own text, as the whole body would be: every value a
/// response holds is decoded by the one slice decoder, so each model's decoding code exists
/// once (decoding from a parsed `serde_json::Value` would compile all of it a second time).
pub(crate) fn decode_response<T: DeserializeOwned>(
    operation: &str,
    status: u16,
    body: &[u8],
    key: Option<&str>,
) -> Result<T> {
    let Some(key) = key else { return decode_body(operation, status, body) };
    let body = strip_while1(body);
    if !starts_object(body) {
        return decode_body(operation, status, body);
    }
    let object = members(operation, status, body)?;
    match object.get(key) {
        Some(value) => decode_body(operation, status, value.get().as_bytes()).map_err(|e| within(key, e)),
        None => decode_body(operation, status, body),
    }
}

/// The items of a list response and its body pagination, if any: a JSON array, or an object
/// holding the list under `key` (when the operation names one) or holding one array (a
/// wrapped list such as `{"quiz_statistics": [..]}`, or body pagination with
/// `meta.pagination`). The list is decoded from its own text (see [`decode_response`]).
pub(crate) fn list_of<T: DeserializeOwned>(
    operation: &str,
    status: u16,
    body: &[u8],
    key: Option<&str>,
) -> Result<(Vec<T>, Option<Json>)> {
    let list = ListBody::find(operation, status, body, key, std::any::type_name::<Vec<T>>())?;
    Ok((list.decode(operation, status)?, list.pagination))
}

/// Where the items of a list response are. Finding them is the same for every item type, so
/// it is not generic: only [`decode`](Self::decode) is compiled per item type.
struct ListBody<'b> {
    /// The text of the JSON array.
    items: &'b [u8],
    /// The member of the body object holding it, if the body is an object.
    member: Option<String>,
    /// The body's `meta.pagination`.
    pagination: Option<Json>,
}

impl<'b> ListBody<'b> {
    /// `what` names the list's type in a shape error.
    fn find(operation: &str, status: u16, body: &'b [u8], key: Option<&str>, what: &str) -> Result<Self> {
        let body = strip_while1(body);
        if !starts_object(body) {
            return Ok(ListBody { items: body, member: None, pagination: None });
        }
        let object = members(operation, status, body)?;
        let (member, items) =
            list_member(&object, key).map_err(|message| DecodeError::shape(operation, status, what, message, body))?;
        Ok(ListBody { items: items.get().as_bytes(), member: Some(member.to_owned()), pagination: object.pagination() })
    }

    fn decode<T: DeserializeOwned>(&self, operation: &str, status: u16) -> Result<Vec<T>> {
        decode_body(operation, status, self.items).map_err(|e| self.within(e))
    }

    fn within(&self, e: crate::Error) -> crate::Error {
        match &self.member {
            Some(member) => within(member, e),
            None => e,
        }
    }
}

/// The members of a JSON object, each as its raw text, in the order they came (a repeated key
/// keeps its first place and its last value, as `serde_json::Map` does).
struct Members<'a>(Vec<(std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue)>);

impl<'a> Members<'a> {
    fn get(&self, key: &str) -> Option<&'a serde_json::value::RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// `meta.pagination`, the body pagination some list operations send.
    fn pagination(&self) -> Option<Json> {
        let meta: Json = serde_json::from_str(self.get("meta")?.get()).ok()?;
        meta.get("pagination").cloned()
    }
}

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
                let mut members: Vec<(std::borrow::Cow<'de, str>, &'de serde_json::value::RawValue)> = Vec::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let value = map.next_value()?;
                    match members.iter_mut().find(|(k, _)| *k == key) {
                        Some(member) => member.1 = value,
                        None => members.push((key, value)),
                    }
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// The members of the object `body` (which starts with `{`).
fn members<'a>(operation: &str, status: u16, body: &'a [u8]) -> Result<Members<'a>> {
    serde_json::from_slice(body).map_err(|e| DecodeError::from_json(operation, status, "a JSON object", body, &e))
}

/// The member of a list response object that holds the list: `key` when the object has it,
/// else its only array (beside `meta`).
fn list_member<'a, 'k>(
    object: &'k Members<'a>,
    key: Option<&'k str>,
) -> std::result::Result<(&'k str, &'a serde_json::value::RawValue), String> {
    if let Some(key) = key {
        if let Some(list) = object.get(key) {
            return Ok((key, list));
        }
    }
    let arrays: Vec<&(std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue)> =
        object.0.iter().filter(|(k, v)| v.get().starts_with('[') && k != "meta").collect();
    match arrays.as_slice() {
        [(key, list)] => Ok((key, list)),
        _ => Err(format!(
            "a list response must be an array or an object with one array, found keys {:?}",
            object.0.iter().map(|(k, _)| k.as_ref()).collect::<Vec<_>>()
        )),
    }
}

/// A page from a list response (see [`list_of`]): its items, its links (from `Link`, else
/// from the body's `meta.pagination`) and what the response said about itself.
pub(crate) fn page_of<T: DeserializeOwned>(operation: &str, resp: &RawResponse, key: Option<&str>) -> Result<Page<T>> {
    let (list, links, meta) = page_parts(operation, resp, key, std::any::type_name::<Vec<T>>())?;
    Ok(Page { items: list.decode(operation, resp.status)?, links, meta })
}

/// Everything of a page but its decoded items.
fn page_parts<'b>(
    operation: &str,
    resp: &'b RawResponse,
    key: Option<&str>,
    what: &str,
) -> Result<(ListBody<'b>, Links, ResponseMeta)> {
    let mut links = Links::from_headers(&resp.headers);
    let meta = ResponseMeta::from_headers(resp.status, &resp.headers, resp.attempts);
    let list = ListBody::find(operation, resp.status, &resp.body, key, what)?;
    if let Some(pagination) = &list.pagination {
        links.fill_from_meta(pagination);
    }
    Ok((list, links, meta))
}

fn starts_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// A decoding error inside the member `key` of the body: its path starts with the key.
fn within(key: &str, e: crate::Error) -> crate::Error {
    match e {
        crate::Error::Decode(mut d) => {
            d.path = Some(match d.path.take() {
                Some(inner) if inner.starts_with('[') => format!("{key}{inner}"),
                Some(inner) if !inner.is_empty() => format!("{key}.{inner}"),
                _ => key.to_owned(),
            });
            crate::Error::Decode(d)
        }
        other => other,
    }
}

/// The byte offset of serde_json's 1-based `line` and `column` in `body`.
pub(crate) fn offset_of(body: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match body[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(body.len())
}

/// The JSON path (`[3].term.start_at`) of the value being read at byte `at` of `body`: a
/// tolerant scan of brackets, keys and strings, for error messages only (no allocation per
/// value, nothing generic, any input accepted).
pub(crate) fn json_path_at(body: &[u8], at: usize) -> String {
    enum Frame {
        Object { key: Option<String>, want_key: bool },
        Array { index: usize },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let end = at.min(body.len());
    let mut i = 0;
    while i < end {
        match body[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < body.len() && body[j] != b'"' {
                    j += if body[j] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, want_key }) = stack.last_mut() {
                    if *want_key {
                        *key = Some(String::from_utf8_lossy(&body[start..j.min(body.len())]).into_owned());
                        *want_key = false;
                    }
                }
                i = j + 1;
                continue;
            }
            b'{' => stack.push(Frame::Object { key: None, want_key: true }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_inside_a_wrapped_value_or_list_has_the_wrapping_key_in_its_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Course {
            id: u64,
        }
        let path = |e: crate::Error| match e {
            crate::Error::Decode(d) => d.path,
            other => panic!("{other:?}"),
        };
        let one = decode_response::<Course>("op", 200, br#"{"course": {"id": "x"}}"#, Some("course"));
        assert_eq!(path(one.unwrap_err()).as_deref(), Some("course.id"));
        let whole = decode_response::<Course>("op", 200, br#"{"course": true}"#, Some("course"));
        assert_eq!(path(whole.unwrap_err()).as_deref(), Some("course"), "the member itself is the wrong type");
        let body = br#"{"courses": [{"id": 1}, {"id": "x"}]}"#;
        let list = ListBody::find("op", 200, body, Some("courses"), "Vec<Course>").unwrap();
        assert_eq!(path(list.decode::<Course>("op", 200).unwrap_err()).as_deref(), Some("courses[1].id"));
        let bare = ListBody::find("op", 200, br#"[{"id": "x"}]"#, None, "Vec<Course>").unwrap();
        assert_eq!(path(bare.decode::<Course>("op", 200).unwrap_err()).as_deref(), Some("[0].id"));
    }

    #[test]
    fn while1_prefix_is_stripped() {
        assert_eq!(strip_while1(b"while(1);[1]"), b"[1]");
        assert_eq!(strip_while1(b"[1]"), b"[1]");
    }

    #[test]
    fn the_path_of_a_failing_field_is_found_from_serde_jsons_position() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Term {
            start_at: Option<String>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Course {
            id: u64,
            term: Option<Term>,
        }
        let body = br#"[{"id": 1, "term": {"start_at": "x"}},
                        {"id": 2, "term": {"start_at": 5}}]"#;
        let e = decode_body::<Vec<Course>>("GET /api/v1/courses", 200, body).unwrap_err();
        let text = e.to_string();
        let crate::Error::Decode(d) = e else { panic!("{text}") };
        assert_eq!(d.path.as_deref(), Some("[1].term.start_at"), "{text}");
        assert_eq!(d.expected, "Vec<Course>");
        assert!(!d.malformed);
        assert!(text.starts_with("GET /api/v1/courses: could not decode the response (200) as Vec<Course> at `[1].term.start_at`: invalid type: integer `5`"), "{text}");
        assert!(!text.contains("::"), "no Rust paths: {text}");
        assert!(d.excerpt.chars().count() <= 200);

        let cut = br#"{"id": 1, "term": {"start_at": "2024"#;
        let crate::Error::Decode(d) = decode_body::<Course>("GET /api/v1/courses/1", 200, cut).unwrap_err() else {
            panic!()
        };
        assert!(d.malformed, "a body cut short is malformed, not of another shape");
        assert_eq!(d.path.as_deref(), Some("term.start_at"));
    }

    #[test]
    fn a_wrapped_list_names_its_key_in_the_path() {
        let resp = RawResponse {
            status: 200,
            headers: Default::default(),
            body: br#"{"quiz_statistics": [{"id": 1}, {"id": "x"}]}"#.to_vec(),
            attempts: 1,
            auth_generation: None,
            received: std::time::Instant::now(),
        };
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct S {
            id: u64,
        }
        let crate::Error::Decode(d) = page_of::<S>("GET /api/v1/x", &resp, None).unwrap_err() else { panic!() };
        assert_eq!(d.path.as_deref(), Some("quiz_statistics[1].id"), "{d}");
    }

    #[test]
    fn a_wrapped_value_is_decoded_from_its_key_whatever_its_shape() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Q {
            id: u64,
        }
        let op = "GET /api/v1/x";
        // A model, a list, a boolean in an object.
        let q: Q = decode_response(op, 200, br#"{"quiz": {"id": 3}, "meta": {}}"#, Some("quiz")).unwrap();
        assert_eq!(q, Q { id: 3 });
        let qs: Vec<Q> =
            decode_response(op, 200, br#"{"links": {}, "quizzes": [{"id": 1}]}"#, Some("quizzes")).unwrap();
        assert_eq!(qs, [Q { id: 1 }]);
        let aborted: bool = decode_response(op, 200, br#"while(1);{"aborted": true}"#, Some("aborted")).unwrap();
        assert!(aborted);
        // Canvas stopped wrapping: the body itself.
        let q: Q = decode_response(op, 200, br#"{"id": 4}"#, Some("quiz")).unwrap();
        assert_eq!(q, Q { id: 4 });
        let qs: Vec<Q> = decode_response(op, 200, br#"[{"id": 5}]"#, Some("quizzes")).unwrap();
        assert_eq!(qs, [Q { id: 5 }]);
        // Errors inside the member name it.
        let crate::Error::Decode(d) =
            decode_response::<Vec<Q>>(op, 200, br#"{"quizzes": [{"id": 1}, {"id": "x"}]}"#, Some("quizzes"))
                .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(d.path.as_deref(), Some("quizzes[1].id"), "{d}");
        let crate::Error::Decode(d) =
            decode_response::<bool>(op, 200, br#"{"aborted": "maybe"}"#, Some("aborted")).unwrap_err()
        else {
            panic!()
        };
        assert_eq!(d.path.as_deref(), Some("aborted"), "{d}");
    }

    #[test]
    fn a_list_in_one_response_unwraps_like_a_page() {
        let op = "POST /api/v1/x";
        let (items, meta): (Vec<u64>, _) = list_of(op, 200, b"[1, 2]", None).unwrap();
        assert_eq!((items, meta), (vec![1, 2], None));
        let (items, _): (Vec<u64>, _) = list_of(op, 200, br#"{"conferences": [3], "meta": {"x": []}}"#, None).unwrap();
        assert_eq!(items, [3]);
        // Several arrays: the operation's key says which one.
        let body = br#"{"rubric": [9], "rubric_associations": [4, 5]}"#;
        let (items, _): (Vec<u64>, _) = list_of(op, 200, body, Some("rubric_associations")).unwrap();
        assert_eq!(items, [4, 5]);
        let crate::Error::Decode(d) = list_of::<u64>(op, 200, body, None).unwrap_err() else { panic!() };
        assert!(d.to_string().contains("one array"), "{d}");
        let (_, meta): (Vec<u64>, _) =
            list_of(op, 200, br#"{"items": [], "meta": {"pagination": {"next": "n"}}}"#, Some("items")).unwrap();
        assert_eq!(meta, Some(serde_json::json!({"next": "n"})));
        // Spacing around members, and a repeated key (its last value, as a JSON map keeps it).
        let body = b"{ \"quizzes\" :\n  [ 7 ] , \"meta\" : { \"pagination\" : { } } }";
        let (items, meta): (Vec<u64>, _) = list_of(op, 200, body, None).unwrap();
        assert_eq!((items, meta), (vec![7], Some(serde_json::json!({}))));
        let (items, _): (Vec<u64>, _) = list_of(op, 200, br#"{"items": [1], "items": [2, 3]}"#, None).unwrap();
        assert_eq!(items, [2, 3]);
        let q: u64 = decode_response(op, 200, br#"{"n": 1, "n": 2}"#, Some("n")).unwrap();
        assert_eq!(q, 2);
    }

    #[test]
    fn scanning_tolerates_anything() {
        assert_eq!(json_path_at(b"", 10), "");
        assert_eq!(json_path_at(br#"{"a": [1, 2, {"b"#, 100), "a[2].b");
        assert_eq!(json_path_at(br#"]]]}}"\"#, 100), "");
        assert_eq!(offset_of(b"ab\ncd", 2, 2), 4);
        assert_eq!(offset_of(b"ab", 9, 99), 2);
    }
}
