//! Canvas object ids.

use std::fmt;

/// A Canvas object id, or any other reference Canvas accepts where an id goes.
///
/// Canvas ids are 64-bit integers, sent as JSON numbers, or as strings when the client asks
/// for `application/json+canvas-string-ids`. In paths Canvas also accepts SIS references
/// (`sis_course_id:CS-101`), `lti_context_id:..`, `self` and others. `Id` holds any of
/// these as text, decodes from a number or a string, and is percent-encoded (including `/`)
/// when it becomes a path segment.
///
/// ```
/// use canvas_lms_runtime::Id;
/// assert_eq!(Id::from(101u64).to_string(), "101");
/// assert_eq!(Id::sis_course_id("CS/101").to_string(), "sis_course_id:CS/101");
/// assert_eq!(Id::from(7u64).as_u64(), Some(7));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    /// An id taken verbatim (for example `"self"` or an already prefixed SIS reference).
    pub fn new(raw: impl Into<String>) -> Self {
        Id(raw.into())
    }

    /// `sis_<kind>_id:<value>`, for the kinds Canvas documents (course, user, account, ...).
    pub fn sis(kind: &str, value: &str) -> Self {
        Id(format!("sis_{kind}_id:{value}"))
    }

    /// A course by its SIS id.
    pub fn sis_course_id(value: &str) -> Self {
        Self::sis("course", value)
    }

    /// A user by its SIS id.
    pub fn sis_user_id(value: &str) -> Self {
        Self::sis("user", value)
    }

    /// An account by its SIS id.
    pub fn sis_account_id(value: &str) -> Self {
        Self::sis("account", value)
    }

    /// A section by its SIS id.
    pub fn sis_section_id(value: &str) -> Self {
        Self::sis("section", value)
    }

    /// A context by its LTI context id.
    pub fn lti_context_id(value: &str) -> Self {
        Id(format!("lti_context_id:{value}"))
    }

    /// The current user (`self`), accepted where a user id goes.
    pub fn current_user() -> Self {
        Id("self".into())
    }

    /// The text Canvas receives.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The numeric id, when this is one.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

macro_rules! id_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Id {
            fn from(v: $t) -> Self {
                Id(v.to_string())
            }
        }
    )*};
}
id_from_int!(u64, i64, u32, i32);

impl From<&str> for Id {
    fn from(v: &str) -> Self {
        Id(v.to_owned())
    }
}

impl From<String> for Id {
    fn from(v: String) -> Self {
        Id(v)
    }
}

impl From<&Id> for Id {
    fn from(v: &Id) -> Self {
        v.clone()
    }
}

impl serde::Serialize for Id {
    /// Numeric ids are written as numbers, anything else as a string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.as_u64() {
            Some(n) if !self.0.starts_with('0') || self.0 == "0" => s.serialize_u64(n),
            _ => s.serialize_str(&self.0),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Canvas id (number or string)")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Id, E> {
                if v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
                    Ok(Id((v as i64).to_string()))
                } else {
                    Err(E::custom(format!("{v} is not an integer id")))
                }
            }
            fn visit_str<E>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Id, E> {
                Ok(Id(v))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::Id;

    #[test]
    fn whole_floats_are_ids_and_other_json_is_an_error_that_says_what_an_id_is() {
        assert_eq!(serde_json::from_str::<Id>("7.0").unwrap(), Id::from(7u64));
        assert_eq!(serde_json::from_str::<Id>("-3.0").unwrap().to_string(), "-3");
        // 2^53 and above: a float no longer holds every integer, so it is no id.
        assert_eq!(serde_json::from_str::<Id>("4503599627370496.0").unwrap().to_string(), "4503599627370496");
        for bad in ["7.5", "1e17", "9007199254740992.0"] {
            let e = serde_json::from_str::<Id>(bad).unwrap_err().to_string();
            assert!(e.contains("is not an integer id"), "{bad}: {e}");
        }
        let e = serde_json::from_str::<Id>("true").unwrap_err().to_string();
        assert!(e.contains("a Canvas id (number or string)"), "{e}");
    }

    #[test]
    fn ids_with_a_leading_zero_stay_strings() {
        // `007` is an SIS-style id, not the number 7: sending it as 7 would name another object.
        for (id, json) in [("007", "\"007\""), ("0", "0"), ("7", "7"), ("00", "\"00\"")] {
            assert_eq!(serde_json::to_string(&Id::from(id)).unwrap(), json, "{id}");
        }
        let mut out = crate::Pairs::default();
        crate::Encode::encode(&Id::from("007"), "user_id", &mut out);
        assert_eq!(out.as_slice(), [("user_id".to_owned(), "007".to_owned())], "a parameter keeps its zeros");
    }

    #[test]
    fn decodes_numbers_and_strings_alike() {
        let a: Id = serde_json::from_str("12345678901234").unwrap();
        let b: Id = serde_json::from_str("\"12345678901234\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "12345678901234");
        let s: Id = serde_json::from_str("\"sis:x\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"sis:x\"");
    }
}
