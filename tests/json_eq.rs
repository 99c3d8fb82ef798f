//! Whether a value encoded back from a model says what the JSON sent to it said.
//!
//! Decoding normalizes what Canvas sends loosely (see `canvas_lms::lenient`): `"true"` becomes
//! `true`, `"12"` becomes `12`, `1` becomes `1.0` in a float field, a timestamp with an offset
//! becomes the same instant in UTC, and an empty string in a number or timestamp field
//! becomes `null`. Those are the only differences allowed; any other (a value changed, a key
//! lost, an element dropped) is reported with its path.

use serde_json::Value;

/// `Ok` when `back` (the encoding) means what `sent` (the input) meant; otherwise the path of
/// the first difference and both values.
pub fn same_meaning(sent: &Value, back: &Value) -> Result<(), String> {
    compare(sent, back, &mut String::new())
}

fn compare(sent: &Value, back: &Value, path: &mut String) -> Result<(), String> {
    let differ =
        |path: &str| Err(format!("{}: sent {sent}, encoded back as {back}", if path.is_empty() { "." } else { path }));
    match (sent, back) {
        _ if sent == back => Ok(()),
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                compare(v, b.get(k).unwrap_or(&Value::Null), path)?;
                path.truncate(len);
            }
            // Keys the input did not have are the model's other fields: null.
            match b.iter().find(|(k, v)| !a.contains_key(*k) && !v.is_null()) {
                Some((k, v)) => Err(format!("{path}.{k}: not sent, encoded as {v}")),
                None => Ok(()),
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                compare(x, y, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        (Value::String(s), Value::Number(n)) if s.trim().parse::<f64>().ok() == n.as_f64() => Ok(()),
        (Value::String(s), Value::Bool(b)) if lenient_bool(s) == Some(*b) => Ok(()),
        (Value::Number(n), Value::Bool(b)) if n.as_f64() == Some(f64::from(u8::from(*b))) => Ok(()),
        (Value::String(s), Value::Null) if s.trim().is_empty() => Ok(()),
        (Value::String(a), Value::String(b)) if same_instant(a, b) => Ok(()),
        _ => differ(path),
    }
}

fn lenient_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Both are timestamps (RFC 3339, or without an offset, meaning UTC) of the same instant, or
/// `a` is a bare date and `b` its midnight UTC.
fn same_instant(a: &str, b: &str) -> bool {
    let parse = |s: &str| -> Option<chrono::DateTime<chrono::Utc>> {
        let s = s.trim();
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Some(t.to_utc());
        }
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
            return Some(t.and_utc());
        }
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc())
    };
    matches!((parse(a), parse(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::same_meaning;
    use serde_json::json;

    #[test]
    fn loose_forms_mean_their_values_and_real_changes_are_named() {
        assert!(same_meaning(
            &json!({"a": "true", "n": "12", "f": 1, "t": "2024-01-01T10:00:00+02:00"}),
            &json!({"a": true, "n": 12, "f": 1.0, "t": "2024-01-01T08:00:00Z", "other": null})
        )
        .is_ok());
        assert!(same_meaning(&json!({"d": "2024-01-02", "e": ""}), &json!({"d": "2024-01-02T00:00:00Z", "e": null}))
            .is_ok());
        let e = same_meaning(&json!({"x": {"y": [1, 2]}}), &json!({"x": {"y": [1, 3]}})).unwrap_err();
        assert_eq!(e, ".x.y[1]: sent 2, encoded back as 3");
        assert!(same_meaning(&json!({"s": "a"}), &json!({"s": "b"})).is_err());
        assert!(same_meaning(&json!({"s": "a"}), &json!({})).is_err(), "a lost key");
        assert!(same_meaning(&json!([1, 2]), &json!([1])).is_err(), "a lost element");
        assert_eq!(same_meaning(&json!({}), &json!({"k": 5})).unwrap_err(), ".k: not sent, encoded as 5");
        assert!(same_meaning(&json!("yes"), &json!(true)).is_err());
        assert!(same_meaning(&json!("2024-01-01T10:00:00Z"), &json!("2024-01-01T10:00:01Z")).is_err());
    }
}
