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

/// A page from a list response: a JSON array, or an object holding one array (a wrapped
/// list such as `{"quiz_statistics": [..]}`, or body pagination with `meta.pagination`).
pub(crate) fn page_of<T: DeserializeOwned>(operation: &str, resp: &RawResponse) -> Result<Page<T>> {
    let mut links = Links::from_headers(&resp.headers);
    let meta = ResponseMeta::from_headers(resp.status, &resp.headers, resp.attempts);
    let body = strip_while1(&resp.body);
    let items = if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        let mut object: serde_json::Map<String, Json> = decode_body(operation, resp.status, body)?;
        if let Some(pagination) = object.get("meta").and_then(|m| m.get("pagination")) {
            links.fill_from_meta(pagination);
        }
        let arrays: Vec<&String> =
            object.iter().filter(|(k, v)| v.is_array() && *k != "meta").map(|(k, _)| k).collect();
        let [key] = arrays.as_slice() else {
            let message = format!(
                "a list response must be an array or an object with one array, found keys {:?}",
                object.keys().collect::<Vec<_>>()
            );
            return Err(DecodeError::shape(operation, resp.status, std::any::type_name::<Vec<T>>(), message, body));
        };
        let key = (*key).clone();
        let list = object.remove(&key).unwrap_or_default();
        decode_value(operation, resp.status, list).map_err(|e| match e {
            crate::Error::Decode(mut d) => {
                d.path = Some(match d.path.take() {
                    Some(inner) if inner.starts_with('[') => format!("{key}{inner}"),
                    Some(inner) => format!("{key}.{inner}"),
                    None => key.clone(),
                });
                crate::Error::Decode(d)
            }
            other => other,
        })?
    } else {
        decode_body(operation, resp.status, body)?
    };
    Ok(Page { items, links, meta })
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
        let crate::Error::Decode(d) = page_of::<S>("GET /api/v1/x", &resp).unwrap_err() else { panic!() };
        assert_eq!(d.path.as_deref(), Some("quiz_statistics[1].id"), "{d}");
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
