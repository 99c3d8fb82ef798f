//! Repairs of upstream mistakes, owned by us in `spec/overrides.json`.
//!
//! Each override names a file and a location inside it, the values it expects to find there
//! (`from`), the keys it sets (`set`; `null` removes a key) or, at an array, the elements it
//! appends (`add`), a one-line `reason` and where the `evidence` is. Overrides are applied to
//! the JSON before it is read, so every pass sees the repaired spec. An override whose file or
//! location is gone, or whose `from` no longer matches (upstream changed or fixed it), is
//! *stale*: it is left out and classified in the report ([`Stale`]), so that a new Canvas
//! release still generates; `gen --check` and CI fail on any stale override, so a repair never
//! silently rots.
//!
//! Locations are JSON pointers (`/models/Rubric/properties/points_possible`) with one
//! extension: a segment `{key=value}` selects the element of an array whose `key` equals
//! `value`, so operations can be named by path and nickname instead of by index
//! (`/apis/{path=/v1/courses}/operations/{nickname=list_your_courses}/type`).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Error;

/// The overrides file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// A note for readers of the file.
    #[serde(rename = "$comment", default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// Method names given by hand, where the rule of `lower::families` can only name a
    /// method by a path word (`via_sent`).
    #[serde(default)]
    pub names: Vec<MethodName>,
}

/// A method's name, given by hand.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodName {
    /// Spec file name (`content_shares.json`).
    pub file: String,
    /// Canvas's nickname of one of the method's routes (`list_content_shares_sent`).
    pub nickname: String,
    /// That route's path, where two routes of the file share the nickname.
    #[serde(default)]
    pub path: Option<String>,
    /// The Rust method name (`list_sent_content_shares`).
    pub name: String,
    /// Why this name (what the route does, in Canvas's words).
    pub reason: String,
}

/// One repair.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Spec file name (`rubrics.json`).
    pub file: String,
    /// Where, as an extended JSON pointer.
    pub at: String,
    /// The values the keys have upstream now; checked before applying.
    #[serde(default)]
    pub from: Map<String, Value>,
    /// The keys to set on the object at `at` (`null` removes the key).
    #[serde(default)]
    pub set: Map<String, Value>,
    /// Elements to append to the array at `at` (parameters the spec leaves out, such as the
    /// keys of a hash it declares as one string). Each must not be there yet, by `name`.
    #[serde(default)]
    pub add: Vec<Value>,
    /// Why, in one line.
    pub reason: String,
    /// Where the evidence is (Canvas docs, controller source, the spec's own example...).
    pub evidence: String,
}

impl Overrides {
    /// Parses the overrides file; errors name the file and the JSON location.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, Error> {
        crate::spec::from_json(name, bytes)
    }

    /// The name given by hand to the method with the route `nickname` (at `path`) in `file`.
    pub fn name_of(&self, file: &str, nickname: &str, path: &str) -> Option<&str> {
        self.names.iter().find(|n| n.file == file && n.names(nickname, path)).map(|n| n.name.as_str())
    }

    /// The overrides of one file.
    pub fn for_file<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a Override> + 'a {
        self.overrides.iter().filter(move |o| o.file == file)
    }
}

impl MethodName {
    /// True when this name is for the route `nickname` at `path` (of its file).
    pub fn names(&self, nickname: &str, path: &str) -> bool {
        self.nickname == nickname && self.path.as_deref().is_none_or(|p| p == path)
    }
}

/// Why an override did not apply to the input it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// Upstream now says what the override sets: the override can go.
    FixedUpstream,
    /// Upstream now says something else at the location: review the override.
    TargetChanged(String),
    /// The file, operation, parameter or model the override names is gone.
    TargetGone(String),
}

impl Stale {
    /// One line for the report.
    pub fn describe(&self) -> String {
        match self {
            Stale::FixedUpstream => "fixed upstream: the input already says what it sets; delete it".into(),
            Stale::TargetChanged(why) => format!("target changed: {why}; review it"),
            Stale::TargetGone(why) => format!("target gone: {why}; delete it"),
        }
    }

    /// Whether `cargo xtask overrides --prune` removes it (nothing left to repair).
    pub fn prunable(&self) -> bool {
        !matches!(self, Stale::TargetChanged(_))
    }
}

/// An override that did not apply, by its index in the overrides file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleOverride {
    pub index: usize,
    pub file: String,
    pub at: String,
    pub stale: Stale,
}

impl StaleOverride {
    /// Override number `index` (`o`), stale for the reason given.
    pub fn new(index: usize, o: &Override, stale: Stale) -> Self {
        StaleOverride { index, file: o.file.clone(), at: o.at.clone(), stale }
    }
}

/// Applies `o` to the JSON of its file, or says why it no longer applies (`Ok(Some(..))`),
/// leaving the document untouched. An override that cannot be meant (an `add` on an object,
/// a `set` on an array) is an error in our own file.
pub fn try_apply(o: &Override, doc: &mut Value) -> Result<Option<Stale>, Error> {
    let malformed = |message: String| Error::Input {
        file: format!("spec/overrides.json ({})", o.file),
        location: o.at.clone(),
        message,
    };
    let target = match locate(doc, &o.at) {
        Ok(t) => t,
        Err(why) => return Ok(Some(Stale::TargetGone(why))),
    };
    if let Value::Array(items) = target {
        if !o.set.is_empty() || !o.from.is_empty() {
            return Err(malformed("an array takes `add`, not `from` or `set`".into()));
        }
        let name = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned).unwrap_or_default();
        let present: Vec<(&Value, Option<&Value>)> =
            o.add.iter().map(|new| (new, items.iter().find(|item| name(item) == name(new)))).collect();
        if present.iter().all(|(new, old)| old.is_some_and(|old| contains(old, new))) {
            return Ok(Some(Stale::FixedUpstream));
        }
        if let Some((new, _)) = present.iter().find(|(_, old)| old.is_some()) {
            return Ok(Some(Stale::TargetChanged(format!("`{}` is there already, defined otherwise", name(new)))));
        }
        items.extend(o.add.iter().cloned());
        return Ok(None);
    }
    let Value::Object(object) = target else {
        return Err(malformed("the location is not a JSON object".into()));
    };
    if !o.add.is_empty() {
        return Err(malformed("`add` needs an array location".into()));
    }
    let says = |object: &Map<String, Value>, key: &str, value: &Value| object.get(key).unwrap_or(&Value::Null) == value;
    if o.set.iter().all(|(k, v)| says(object, k, v)) {
        return Ok(Some(Stale::FixedUpstream));
    }
    if let Some((key, expected)) = o.from.iter().find(|(k, v)| !says(object, k, v)) {
        let actual = object.get(key).unwrap_or(&Value::Null);
        return Ok(Some(Stale::TargetChanged(format!("`{key}` is {actual}, the override expects {expected}"))));
    }
    for (key, value) in &o.set {
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.clone(), value.clone());
        }
    }
    Ok(None)
}

/// Whether `whole` has every key of `part` with the same value.
fn contains(whole: &Value, part: &Value) -> bool {
    match (whole, part) {
        (Value::Object(w), Value::Object(p)) => p.iter().all(|(k, v)| w.get(k) == Some(v)),
        _ => whole == part,
    }
}

/// Applies `o`, with a stale override as an error (for callers that must be strict).
pub fn apply(o: &Override, doc: &mut Value) -> Result<(), Error> {
    match try_apply(o, doc)? {
        None => Ok(()),
        Some(stale) => Err(Error::Input {
            file: format!("spec/overrides.json ({})", o.file),
            location: o.at.clone(),
            message: stale.describe(),
        }),
    }
}

fn locate<'a>(doc: &'a mut Value, pointer: &str) -> Result<&'a mut Value, String> {
    let segs: Vec<String> = segments(pointer).iter().map(|raw| raw.replace("~1", "/").replace("~0", "~")).collect();
    // Find the path first (read-only, trying every element a selector matches, since paths
    // repeat across methods), then walk it mutably.
    let path = find(doc, &segs)?;
    let mut current = doc;
    for step in path {
        current = match (current, step) {
            (Value::Object(map), Step::Key(k)) => map.get_mut(&k).expect("found above"),
            (Value::Array(items), Step::Index(i)) => &mut items[i],
            _ => unreachable!("steps follow the shape they were found in"),
        };
    }
    Ok(current)
}

enum Step {
    Key(String),
    Index(usize),
}

fn find(doc: &Value, segs: &[String]) -> Result<Vec<Step>, String> {
    let Some((seg, rest)) = segs.split_first() else { return Ok(Vec::new()) };
    let prepend = |step: Step, mut tail: Vec<Step>| {
        tail.insert(0, step);
        tail
    };
    match doc {
        Value::Object(map) => {
            let next = map.get(seg).ok_or_else(|| format!("no key `{seg}`"))?;
            Ok(prepend(Step::Key(seg.clone()), find(next, rest)?))
        }
        Value::Array(items) => {
            if let Some((key, value)) =
                seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')).and_then(|s| s.split_once('='))
            {
                let mut last_err = format!("no element with {key} = {value:?}");
                for (i, item) in items.iter().enumerate() {
                    if item.get(key).and_then(Value::as_str) == Some(value) {
                        match find(item, rest) {
                            Ok(tail) => return Ok(prepend(Step::Index(i), tail)),
                            Err(e) => last_err = e,
                        }
                    }
                }
                Err(last_err)
            } else {
                let i: usize =
                    seg.parse().map_err(|_| format!("`{seg}` is not an index or a {{key=value}} selector"))?;
                let item = items.get(i).ok_or_else(|| format!("index {i} out of range"))?;
                Ok(prepend(Step::Index(i), find(item, rest)?))
            }
        }
        _ => Err(format!("cannot descend into a scalar at `{seg}`")),
    }
}

/// Splits a pointer at `/`, keeping `{key=value}` selectors whole (their value may hold `/`).
fn segments(pointer: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = None;
    for (i, c) in pointer.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            '/' if depth == 0 => {
                if let Some(s) = start {
                    out.push(&pointer[s..i]);
                }
                start = Some(i + 1);
                continue;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&pointer[s..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn o(at: &str, from: Value, set: Value) -> Override {
        Override {
            file: "f.json".into(),
            at: at.into(),
            from: from.as_object().cloned().unwrap_or_default(),
            set: set.as_object().cloned().unwrap(),
            add: Vec::new(),
            reason: "r".into(),
            evidence: "e".into(),
        }
    }

    #[test]
    fn pointers_selectors_and_checks() {
        let mut doc = json!({"apis": [{"path": "/v1/x", "operations": [{"nickname": "a", "type": "void"}]}], "models": {"M": {"properties": {"p": {"type": "integer", "x": 1}}}}});
        apply(
            &o("/apis/{path=/v1/x}/operations/{nickname=a}", json!({"type": "void"}), json!({"type": "M"})),
            &mut doc,
        )
        .unwrap();
        assert_eq!(doc["apis"][0]["operations"][0]["type"], "M");
        apply(&o("/models/M/properties/p", json!({}), json!({"type": "number", "x": null})), &mut doc).unwrap();
        assert_eq!(doc["models"]["M"]["properties"]["p"], json!({"type": "number"}));
        let fixed =
            try_apply(&o("/models/M/properties/p", json!({"type": "integer"}), json!({"type": "number"})), &mut doc);
        assert_eq!(fixed.unwrap(), Some(Stale::FixedUpstream), "the input says what the override sets");
        let changed =
            try_apply(&o("/models/M/properties/p", json!({"type": "integer"}), json!({"type": "string"})), &mut doc);
        let Ok(Some(Stale::TargetChanged(why))) = changed else { panic!("{changed:?}") };
        assert!(why.contains("`type` is \"number\", the override expects \"integer\""), "{why}");
        assert_eq!(
            doc["models"]["M"]["properties"]["p"],
            json!({"type": "number"}),
            "a stale override changes nothing"
        );
        let gone = try_apply(&o("/models/N", json!({}), json!({"a": 1})), &mut doc).unwrap();
        assert!(matches!(&gone, Some(Stale::TargetGone(why)) if why.contains("no key `N`")), "{gone:?}");
        assert!(apply(&o("/models/N", json!({}), json!({"a": 1})), &mut doc)
            .unwrap_err()
            .to_string()
            .contains("target gone"));
    }

    #[test]
    fn elements_are_added_once() {
        let mut doc =
            json!({"apis": [{"path": "/v1/x", "operations": [{"nickname": "a", "parameters": [{"name": "p[a]"}]}]}]});
        let mut add = o("/apis/{path=/v1/x}/operations/{nickname=a}/parameters", json!({}), json!({}));
        add.add = vec![json!({"name": "p[b]", "type": "boolean"})];
        apply(&add, &mut doc).unwrap();
        assert_eq!(doc["apis"][0]["operations"][0]["parameters"][1], json!({"name": "p[b]", "type": "boolean"}));
        assert_eq!(try_apply(&add, &mut doc).unwrap(), Some(Stale::FixedUpstream), "added already");
        add.add = vec![json!({"name": "p[b]", "type": "string"}), json!({"name": "p[c]"})];
        let Ok(Some(Stale::TargetChanged(why))) = try_apply(&add, &mut doc) else { panic!() };
        assert!(why.contains("`p[b]` is there already"), "{why}");
        assert_eq!(doc["apis"][0]["operations"][0]["parameters"].as_array().unwrap().len(), 2, "nothing added");
        let mut on_object = o("/apis/{path=/v1/x}/operations/{nickname=a}", json!({}), json!({}));
        on_object.add = add.add.clone();
        assert!(apply(&on_object, &mut doc).unwrap_err().to_string().contains("needs an array"));
    }

    #[test]
    fn an_array_location_takes_add_only_and_the_added_element_may_be_a_superset() {
        let mut doc = json!({"ps": [{"name": "a", "type": "string", "description": "d"}]});
        let mut set_on_array = o("/ps", json!({}), json!({"x": 1}));
        set_on_array.add = vec![json!({"name": "b"})];
        assert!(try_apply(&set_on_array, &mut doc).unwrap_err().to_string().contains("takes `add`"));
        let mut from_on_array = o("/ps", json!({"x": 1}), json!({}));
        from_on_array.add = vec![json!({"name": "b"})];
        assert!(try_apply(&from_on_array, &mut doc).is_err(), "`from` on an array is malformed too");
        // Upstream has the element with more keys than the override adds: fixed upstream.
        let mut add = o("/ps", json!({}), json!({}));
        add.add = vec![json!({"name": "a", "type": "string"})];
        assert_eq!(try_apply(&add, &mut doc).unwrap(), Some(Stale::FixedUpstream));
        add.add = vec![json!({"name": "a", "type": "integer"})];
        assert!(matches!(try_apply(&add, &mut doc).unwrap(), Some(Stale::TargetChanged(_))));
        assert!(!contains(&json!({"name": "a"}), &json!({"name": "a", "type": "string"})));
        assert!(contains(&json!("x"), &json!("x")) && !contains(&json!("x"), &json!("y")));
    }

    #[test]
    fn only_a_changed_target_is_kept_by_prune_and_names_and_files_select() {
        assert!(Stale::FixedUpstream.prunable());
        assert!(Stale::TargetGone("x".into()).prunable());
        assert!(!Stale::TargetChanged("x".into()).prunable());
        let overrides: Overrides = serde_json::from_value(json!({
            "overrides": [
                {"file": "a.json", "at": "/x", "set": {"k": 1}, "reason": "r", "evidence": "e"},
                {"file": "b.json", "at": "/y", "set": {"k": 2}, "reason": "r", "evidence": "e"}
            ],
            "names": [
                {"file": "a.json", "nickname": "n", "path": "/v1/p", "name": "first", "reason": "r"},
                {"file": "b.json", "nickname": "n", "name": "second", "reason": "r"}
            ]
        }))
        .unwrap();
        let of_b: Vec<&str> = overrides.for_file("b.json").map(|o| o.at.as_str()).collect();
        assert_eq!(of_b, ["/y"]);
        assert_eq!(overrides.name_of("a.json", "n", "/v1/p"), Some("first"));
        assert_eq!(overrides.name_of("a.json", "n", "/v1/other"), None, "a name for one path of the nickname");
        assert_eq!(overrides.name_of("b.json", "n", "/v1/any"), Some("second"), "no path: any path");
        assert_eq!(overrides.name_of("c.json", "n", "/v1/p"), None);
    }
}
