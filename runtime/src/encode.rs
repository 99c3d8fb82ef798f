//! Rails bracket encoding of query and form parameters.
//!
//! Canvas is a Rails application, and Rails rebuilds nested parameters from the key names:
//! `course[name]=x` is a hash, `include[]=a&include[]=b` an array (never `include[0]=`, which
//! Rails reads as a hash), `a[][b]=1&a[][c]=2` an array of hashes. [`Encode`] turns a Rust
//! value into those `(key, value)` pairs; [`Pairs`] collects them in order.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// An ordered list of `(key, value)` pairs, ready to be sent as a query string or a form body.
///
/// `Debug` shows every key but redacts the values of secrets (a key whose last part names a
/// password, a secret, a private key or a token: `observee[password]`, `access_token`,
/// `shared_secret`), so that logging a request builder never logs a credential.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pairs(Vec<(String, String)>);

impl std::fmt::Debug for Pairs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, v)| (k, if is_secret_key(k) { "[redacted]" } else { v.as_str() })))
            .finish()
    }
}

/// True when a parameter key holds a credential: its last part (`password` in
/// `observee[password]`) ends in `password`, `password_confirmation`, `secret`,
/// `private_key`, `token` or `code_verifier` (a `password_policy` is not one). `Debug` of
/// [`Pairs`] (and so of every request builder) redacts such values, and generated request
/// structs redact such fields.
pub fn is_secret_key(key: &str) -> bool {
    const SECRET_ENDINGS: [&str; 6] =
        ["password", "password_confirmation", "secret", "private_key", "token", "code_verifier"];
    let last = key.trim_end_matches(']').rsplit(['[', ']']).find(|s| !s.is_empty()).unwrap_or(key);
    let last = last.to_ascii_lowercase();
    SECRET_ENDINGS.iter().any(|end| last.ends_with(end))
}

impl Pairs {
    /// No pairs.
    pub const fn new() -> Self {
        Pairs(Vec::new())
    }

    /// Appends one pair.
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.0.push((key.to_owned(), value.into()));
    }

    /// Encodes `value` as the child `name` of `parent`: the key becomes `parent[name]`.
    pub fn field<T: Encode + ?Sized>(&mut self, parent: &str, name: &str, value: &T) {
        value.encode(&format!("{parent}[{name}]"), self);
    }

    /// Removes every pair whose key is `key` or starts with `key[`, so that setting a
    /// parameter twice replaces it instead of sending both values.
    pub fn remove_key(&mut self, key: &str) {
        self.0.retain(|(k, _)| {
            !(k == key || (k.len() > key.len() && k.starts_with(key) && k.as_bytes()[key.len()] == b'['))
        });
    }

    /// Replaces whatever was set under `key` with the encoding of `value`.
    pub fn set<T: Encode + ?Sized>(&mut self, key: &str, value: &T) {
        self.remove_key(key);
        value.encode(key, self);
    }

    /// The pairs, in the order they were added.
    pub fn as_slice(&self) -> &[(String, String)] {
        &self.0
    }

    /// True when no pair has been added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when some pair has exactly this key.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// The pairs as an `application/x-www-form-urlencoded` string.
    pub fn to_urlencoded(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

/// A value that can be sent as Canvas request parameters under a given key.
pub trait Encode {
    /// Appends the pairs that represent `self` under `key`.
    fn encode(&self, key: &str, out: &mut Pairs);
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self, key: &str, out: &mut Pairs) {
        (**self).encode(key, out)
    }
}

impl<T: Encode + ?Sized> Encode for Box<T> {
    fn encode(&self, key: &str, out: &mut Pairs) {
        (**self).encode(key, out)
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, key: &str, out: &mut Pairs) {
        if let Some(v) = self {
            v.encode(key, out)
        }
    }
}

impl Encode for str {
    fn encode(&self, key: &str, out: &mut Pairs) {
        out.push(key, self)
    }
}

impl Encode for String {
    fn encode(&self, key: &str, out: &mut Pairs) {
        out.push(key, self.as_str())
    }
}

impl Encode for bool {
    fn encode(&self, key: &str, out: &mut Pairs) {
        out.push(key, if *self { "true" } else { "false" })
    }
}

macro_rules! encode_display {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, key: &str, out: &mut Pairs) {
                out.push(key, self.to_string())
            }
        }
    )*};
}
encode_display!(i32, i64, u32, u64, f64, crate::Id);

impl Encode for crate::DateTime {
    /// ISO 8601 in UTC with a `Z` suffix, as Canvas documents it.
    fn encode(&self, key: &str, out: &mut Pairs) {
        out.push(key, self.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl Encode for crate::Date {
    fn encode(&self, key: &str, out: &mut Pairs) {
        out.push(key, self.format("%Y-%m-%d").to_string())
    }
}

/// Arrays are sent as `key[]=a&key[]=b`; arrays of objects as `key[][field]=..`.
impl<T: Encode> Encode for [T] {
    fn encode(&self, key: &str, out: &mut Pairs) {
        let key = format!("{key}[]");
        for item in self {
            item.encode(&key, out);
        }
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, key: &str, out: &mut Pairs) {
        self.as_slice().encode(key, out)
    }
}

/// Maps keyed by a caller-supplied value (`grade_data[<student_id>][posted_grade]`).
impl<T: Encode> Encode for BTreeMap<String, T> {
    fn encode(&self, key: &str, out: &mut Pairs) {
        for (k, v) in self {
            out.field(key, k, v);
        }
    }
}

/// Free-form JSON (`Hash`, `Object` parameters) becomes nested bracket keys.
impl Encode for serde_json::Value {
    fn encode(&self, key: &str, out: &mut Pairs) {
        use serde_json::Value;
        match self {
            Value::Null => {}
            Value::Bool(b) => b.encode(key, out),
            Value::Number(n) => out.push(key, n.to_string()),
            Value::String(s) => out.push(key, s.as_str()),
            Value::Array(items) => items.encode(key, out),
            Value::Object(map) => {
                for (k, v) in map {
                    out.field(key, k, v);
                }
            }
        }
    }
}

/// Encodes any serializable value (a model used as a request parameter) as bracket keys,
/// through its JSON form. Unset (`None`) fields are left out.
pub fn encode_serialized<T: serde::Serialize + ?Sized>(value: &T, key: &str, out: &mut Pairs) {
    if let Ok(json) = serde_json::to_value(value) {
        json.encode(key, out);
    }
}

/// For generated union types: the index of the variant whose own fields (`own[i]`, those
/// no other variant has) the object carries most of; `None` when it is not an object, or
/// when no variant, or more than one, comes first.
#[doc(hidden)]
pub fn pick_variant(json: &serde_json::Value, own: &[&[&str]]) -> Option<usize> {
    let object = json.as_object()?;
    let scores: Vec<usize> = own.iter().map(|keys| keys.iter().filter(|k| object.contains_key(**k)).count()).collect();
    let best = *scores.iter().max()?;
    (best > 0 && scores.iter().filter(|s| **s == best).count() == 1).then(|| scores.iter().position(|s| *s == best))?
}

/// For generated union types: decodes a variant from the JSON already read. It goes through
/// the JSON's text so that the variant's model is decoded by the one decoder every response
/// uses (decoding from the `Value` would compile that model's decoding a second time).
#[doc(hidden)]
pub fn from_json<T: serde::de::DeserializeOwned, E: serde::de::Error>(json: serde_json::Value) -> Result<T, E> {
    let text = serde_json::to_vec(&json).map_err(E::custom)?;
    serde_json::from_slice(&text).map_err(E::custom)
}

/// Converts a setter argument to an [`Id`](crate::Id) (used by generated setters).
pub fn id(value: impl Into<crate::Id>) -> crate::Id {
    value.into()
}

/// Converts a setter argument to a `String` (used by generated setters).
pub fn text(value: impl Into<String>) -> String {
    value.into()
}

/// Collects a setter argument into a `Vec` of ids.
pub fn ids<T: Into<crate::Id>>(values: impl IntoIterator<Item = T>) -> Vec<crate::Id> {
    values.into_iter().map(Into::into).collect()
}

/// Collects a setter argument into a `Vec` of strings.
pub fn texts<T: Into<String>>(values: impl IntoIterator<Item = T>) -> Vec<String> {
    values.into_iter().map(Into::into).collect()
}

/// Collects a setter argument into a `Vec`.
pub fn list<T>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    values.into_iter().collect()
}

/// Deserializes a string, borrowed when the input allows it. Used by [`string_enum!`].
#[doc(hidden)]
pub fn deserialize_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v))
        }
    }
    d.deserialize_str(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc<T: Encode + ?Sized>(key: &str, v: &T) -> String {
        let mut p = Pairs::default();
        v.encode(key, &mut p);
        p.as_slice().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    }

    #[test]
    fn references_serialized_models_and_collected_arguments_encode_like_their_values() {
        let value = vec![1u64, 2];
        assert_eq!(enc("ids", &&value), enc("ids", &value));
        assert_eq!(enc("ids", &&value), "ids[]=1&ids[]=2");
        #[derive(serde::Serialize)]
        struct Entry {
            name: &'static str,
            value: Option<u32>,
        }
        let mut p = Pairs::default();
        encode_serialized(&Entry { name: "A", value: None }, "entry", &mut p);
        assert_eq!(p.as_slice(), [("entry[name]".to_owned(), "A".to_owned())], "unset fields are left out");
        assert_eq!(texts(["a", "b"]), ["a", "b"]);
        assert_eq!(list([3, 4]), [3, 4]);
    }

    #[test]
    fn a_union_variant_needs_at_least_one_of_its_own_fields() {
        assert_eq!(pick_variant(&json!({"shared": 1}), &[&["a"]]), None, "no own field: no variant");
        assert_eq!(pick_variant(&json!({"a": 1}), &[&["a"], &["b"]]), Some(0));
        assert_eq!(pick_variant(&json!({"a": 1, "b": 2}), &[&["a"], &["b"]]), None, "a tie is no choice");
    }

    #[test]
    fn strings_are_borrowed_from_the_input_when_they_can_be() {
        let mut plain = serde_json::Deserializer::from_str("\"abc\"");
        assert!(matches!(deserialize_str(&mut plain).unwrap(), Cow::Borrowed("abc")));
        let mut escaped = serde_json::Deserializer::from_str("\"a\\nb\"");
        assert_eq!(deserialize_str(&mut escaped).unwrap(), "a\nb");
        let mut reader = serde_json::Deserializer::from_reader(&b"\"xyz\""[..]);
        assert_eq!(deserialize_str(&mut reader).unwrap(), "xyz");
        let mut number = serde_json::Deserializer::from_str("5");
        assert!(deserialize_str(&mut number).unwrap_err().to_string().contains("a string"));
    }

    #[test]
    fn dates_are_sent_as_canvas_documents_them() {
        let date = crate::Date::from_ymd_opt(2024, 3, 9).unwrap();
        assert_eq!(enc("due", &date), "due=2024-03-09", "a Date parameter is YYYY-MM-DD");
        let at: crate::DateTime = "2024-03-09T08:05:00-06:00".parse().unwrap();
        assert_eq!(enc("at", &at), "at=2024-03-09T14:05:00Z", "a DateTime parameter is UTC with Z");
    }

    #[test]
    fn arrays_use_empty_brackets_never_indices() {
        assert_eq!(enc("include", &vec!["a".to_string(), "b".into()]), "include[]=a&include[]=b");
    }

    #[test]
    fn nested_json_becomes_bracket_keys() {
        let v = json!({"name": "x", "tags": [1, 2], "list": [{"a": 1, "b": true}]});
        assert_eq!(
            enc("course", &v),
            "course[name]=x&course[tags][]=1&course[tags][]=2&course[list][][a]=1&course[list][][b]=true"
        );
    }

    #[test]
    fn union_variants_are_picked_by_their_own_fields() {
        let own: &[&[&str]] = &[&["group_id", "moderator"], &["completion", "tag"]];
        assert_eq!(pick_variant(&json!({"id": 1, "group_id": 2}), own), Some(0));
        assert_eq!(pick_variant(&json!({"id": 1, "completion": 50, "tag": "x"}), own), Some(1));
        assert_eq!(pick_variant(&json!({"id": 1}), own), None);
        assert_eq!(pick_variant(&json!({"group_id": 1, "tag": "x"}), own), None);
        assert_eq!(pick_variant(&json!([1]), own), None);
    }

    #[test]
    fn maps_use_the_caller_key() {
        let mut m = BTreeMap::new();
        m.insert("42".to_string(), 7i64);
        assert_eq!(enc("grade_data", &m), "grade_data[42]=7");
    }

    #[test]
    fn timestamps_are_utc_z_and_bools_are_words() {
        let t: crate::DateTime = "2024-01-02T03:04:05+02:00".parse().unwrap();
        assert_eq!(enc("at", &t), "at=2024-01-02T01:04:05Z");
        assert_eq!(enc("b", &false), "b=false");
    }

    #[test]
    fn set_replaces_earlier_values_of_the_same_key_only() {
        let mut p = Pairs::default();
        p.set("a", &vec![1i64, 2]);
        p.set("ab", &3i64);
        p.set("a", &json!({"x": 1}));
        assert_eq!(p.to_urlencoded(), "ab=3&a%5Bx%5D=1");
    }

    #[test]
    fn debug_redacts_secret_values_but_keeps_keys() {
        let mut p = Pairs::new();
        p.push("observee[unique_id]", "jane");
        p.push("observee[password]", "hunter2");
        p.push("access_token", "tok-1");
        p.push("external_tool[shared_secret]", "s3");
        p.push("pseudonym[password_confirmation]", "hunter2");
        p.push("account[settings][password_policy][minimum_character_length]", "8");
        p.push("include[]", "term");
        let text = format!("{p:?}");
        for secret in ["hunter2", "tok-1", "s3\""] {
            assert!(!text.contains(secret), "{text}");
        }
        for kept in ["observee[password]", "jane", "term", "access_token", "\"8\""] {
            assert!(text.contains(kept), "{text}");
        }
    }
}
