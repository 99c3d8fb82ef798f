//! The fields of a response object that its model does not declare.
//!
//! Canvas's API description lags its serializers: a discussion topic carries `author`, an
//! announcement `context_code`, long before the description says so. Every generated model
//! keeps such fields in its `extra` member, in the order Canvas sent them, and writes them
//! back when the model is encoded, so a typed client never loses what an untyped one would
//! have kept.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Json;

/// Fields Canvas sent that the model does not declare, by name, in the order they came.
///
/// ```
/// use canvas_lms_runtime::Extra;
/// let mut extra = Extra::default();
/// extra.insert("author", serde_json::json!({"id": 7, "display_name": "Ada"}));
/// assert_eq!(extra.get("author").and_then(|a| a.get("id")), Some(&serde_json::json!(7)));
/// #[derive(serde::Deserialize)]
/// struct Author { display_name: String }
/// let author: Author = extra.decode("author").unwrap().unwrap();
/// assert_eq!(author.display_name, "Ada");
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extra(serde_json::Map<String, Json>);

impl Extra {
    /// The field `name`, as Canvas sent it.
    pub fn get(&self, name: &str) -> Option<&Json> {
        self.0.get(name)
    }

    /// The field `name` decoded as `T`: `None` when Canvas did not send it, `Some(Err(..))`
    /// when it has another shape.
    pub fn decode<T: DeserializeOwned>(&self, name: &str) -> Option<Result<T, serde_json::Error>> {
        self.0.get(name).map(T::deserialize)
    }

    /// Whether Canvas sent the field `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Sets the field `name` (it is sent back when the model is encoded).
    pub fn insert(&mut self, name: impl Into<String>, value: Json) -> Option<Json> {
        self.0.insert(name.into(), value)
    }

    /// Removes the field `name`, returning it.
    pub fn remove(&mut self, name: &str) -> Option<Json> {
        self.0.shift_remove(name)
    }

    /// How many undeclared fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether Canvas sent only declared fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields' names and values, in the order Canvas sent them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The fields as a JSON object.
    pub fn into_map(self) -> serde_json::Map<String, Json> {
        self.0
    }
}

impl From<serde_json::Map<String, Json>> for Extra {
    fn from(map: serde_json::Map<String, Json>) -> Self {
        Extra(map)
    }
}

impl<'a> IntoIterator for &'a Extra {
    type Item = (&'a String, &'a Json);
    type IntoIter = serde_json::map::Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Values of fields whose names say they hold a secret (`*token*`, `*secret*`, `password`...)
/// are written as `<redacted>`: models are logged with `{:?}`.
impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.0 {
            if crate::encode::is_secret_key(k) {
                map.entry(k, &format_args!("<redacted>"));
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Topic {
        id: Option<u64>,
        title: Option<String>,
        #[serde(flatten)]
        extra: Extra,
    }

    #[test]
    fn the_map_api_reads_and_changes_the_fields() {
        let mut extra = Extra::from(json!({"a": 1, "b": [2]}).as_object().unwrap().clone());
        assert_eq!((extra.len(), extra.is_empty()), (2, false));
        assert_eq!(extra.remove("a"), Some(json!(1)));
        assert_eq!(extra.remove("a"), None);
        assert_eq!(extra.len(), 1);
        assert_eq!(extra.into_map(), *json!({"b": [2]}).as_object().unwrap());
        assert!(Extra::default().is_empty());
    }

    #[test]
    fn undeclared_fields_are_kept_in_order_and_written_back() {
        let body = r#"{"id": 1, "author": {"id": 7}, "title": "T", "context_code": "course_3", "z": null}"#;
        let topic: Topic = serde_json::from_str(body).unwrap();
        assert_eq!(topic.id, Some(1));
        assert_eq!(topic.title.as_deref(), Some("T"));
        assert_eq!(topic.extra.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["author", "context_code", "z"]);
        assert_eq!(topic.extra.get("context_code"), Some(&json!("course_3")));
        assert!(topic.extra.decode::<u64>("context_code").unwrap().is_err());
        assert!(topic.extra.contains("z") && !topic.extra.contains("id"));
        let again = serde_json::to_value(&topic).unwrap();
        assert_eq!(again, serde_json::from_str::<Json>(body).unwrap());
        assert_eq!(serde_json::from_value::<Topic>(again).unwrap(), topic);
    }

    #[test]
    fn secrets_are_not_printed() {
        let mut extra = Extra::default();
        extra.insert("access_token", json!("s3cr3t"));
        extra.insert("name", json!("visible"));
        let text = format!("{extra:?}");
        assert!(!text.contains("s3cr3t") && text.contains("<redacted>") && text.contains("visible"), "{text}");
    }
}
