//! Lenient decoding of scalar fields.
//!
//! Canvas is not always strict about JSON types: numbers arrive as strings (`"10.0"`,
//! `"12000"`), booleans as `"true"`, timestamps without an offset (`2022-09-01T00:00:00`) or
//! as bare dates on `datetime` fields. Generated models decode their `bool`, integer, float
//! and timestamp fields through these functions, so such a response still decodes with the
//! value Canvas meant instead of failing the whole object. Encoding is unchanged. Models
//! call them as seeds ([`OptBool`], ...), other code as functions.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// The visitor methods shared by every lenient visitor: `null` (and a missing value) is
/// `None`, `Some(x)` is decoded as `x`.
macro_rules! null_is_none {
    () => {
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    };
}

/// `Option<bool>` from `true`, `"true"`, `"1"`, `1`, ... (and the false forms).
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, or a string or number meaning one")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(Some(true)),
                "false" | "0" | "no" | "off" => Ok(Some(false)),
                "" => Ok(None),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
        null_is_none!();
    }
    d.deserialize_any(V)
}

macro_rules! number {
    ($name:ident, $t:ty, $what:literal, $from_i64:expr, $from_u64:expr, $from_f64:expr) => {
        #[doc = concat!("`Option<", stringify!($t), ">` from a JSON number or a string holding one.")]
        pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Option<$t>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str($what)
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                    let convert: fn(i64) -> Option<$t> = $from_i64;
                    convert(v).map(Some).ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                    let convert: fn(u64) -> Option<$t> = $from_u64;
                    convert(v).map(Some).ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                    let convert: fn(f64) -> Option<$t> = $from_f64;
                    convert(v).map(Some).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                    let t = v.trim();
                    if t.is_empty() {
                        return Ok(None);
                    }
                    if let Ok(n) = t.parse::<$t>() {
                        return Ok(Some(n));
                    }
                    match t.parse::<f64>() {
                        Ok(f) => self.visit_f64(f),
                        Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                    }
                }
                null_is_none!();
            }
            d.deserialize_any(V)
        }
    };
}

number!(opt_i64, i64, "an integer, or a string holding one", Some, |u| i64::try_from(u).ok(), |f| (f.fract() == 0.0
    && f.abs() < 9.007_199_254_740_992e15)
    .then_some(f as i64));
number!(opt_f64, f64, "a number, or a string holding one", |i| Some(i as f64), |u| Some(u as f64), Some);

/// `Option<DateTime>` from RFC 3339 (any offset), a timestamp without offset (taken as
/// UTC), or a bare date (midnight UTC).
pub fn opt_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<crate::DateTime>, D::Error> {
    let Some(text) = Option::<std::borrow::Cow<'de, str>>::deserialize(d)? else { return Ok(None) };
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    parse_datetime(t).map(Some).ok_or_else(|| de::Error::custom(format!("{t:?} is not a timestamp")))
}

/// The lenient decoders as [`DeserializeSeed`](de::DeserializeSeed)s, so that a model's
/// decoding loop can call one without a wrapper type per field (see [`model!`](crate::model!)).
macro_rules! seeds {
    ($( $seed:ident => $decode:ident, $t:ty; )*) => {$(
        #[doc = concat!("[`", stringify!($decode), "`] as a `DeserializeSeed`.")]
        #[derive(Debug, Clone, Copy)]
        pub struct $seed;
        impl<'de> de::DeserializeSeed<'de> for $seed {
            type Value = Option<$t>;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                $decode(d)
            }
        }
    )*};
}

seeds! {
    OptBool => opt_bool, bool;
    OptI64 => opt_i64, i64;
    OptF64 => opt_f64, f64;
    OptDateTime => opt_datetime, crate::DateTime;
}

use serde::Deserialize;

/// Parses the timestamp forms Canvas sends.
pub fn parse_datetime(t: &str) -> Option<crate::DateTime> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    if let Ok(date) = chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M%#z") {
        return Some(date.with_timezone(&Utc));
    }
    let midnight = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&midnight))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct T {
        #[serde(deserialize_with = "super::opt_bool")]
        b: Option<bool>,
        #[serde(deserialize_with = "super::opt_i64")]
        i: Option<i64>,
        #[serde(deserialize_with = "super::opt_f64")]
        f: Option<f64>,
        #[serde(deserialize_with = "super::opt_datetime")]
        t: Option<crate::DateTime>,
    }

    fn t(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn accepts_what_canvas_sends() {
        let v = t(r#"{"b": "true", "i": "12000", "f": "0.16", "t": "2022-09-01T00:00:00"}"#);
        assert_eq!((v.b, v.i, v.f), (Some(true), Some(12000), Some(0.16)));
        assert_eq!(v.t.unwrap().to_rfc3339(), "2022-09-01T00:00:00+00:00");
        let v = t(r#"{"b": false, "i": 10.0, "f": 5, "t": "2012-07-01"}"#);
        assert_eq!((v.b, v.i, v.f), (Some(false), Some(10), Some(5.0)));
        assert_eq!(v.t.unwrap().to_rfc3339(), "2012-07-01T00:00:00+00:00");
        let v = t(r#"{"b": null, "i": null, "f": "", "t": "2012-07-19T15:00:00-06:00"}"#);
        assert_eq!((v.b, v.i, v.f), (None, None, None));
        assert_eq!(v.t.unwrap().to_rfc3339(), "2012-07-19T21:00:00+00:00");
        let v = t(r#"{"t": "2011-01-01T01:00Z"}"#);
        assert_eq!(v.t.unwrap().to_rfc3339(), "2011-01-01T01:00:00+00:00");
        assert!(serde_json::from_str::<T>(r#"{"i": "ten"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"i": 1.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"b": "maybe"}"#).is_err());
    }

    #[test]
    fn every_form_of_a_boolean_means_what_it_says() {
        for (json, want) in [
            ("-1", Some(true)),
            ("0", Some(false)),
            ("2", Some(true)),
            ("\"0\"", Some(false)),
            ("\" No \"", Some(false)),
            ("\"off\"", Some(false)),
            ("\"false\"", Some(false)),
            ("\"YES\"", Some(true)),
            ("\"\"", None),
        ] {
            assert_eq!(t(&format!(r#"{{"b": {json}}}"#)).b, want, "{json}");
        }
        let e = serde_json::from_str::<T>(r#"{"b": []}"#).unwrap_err().to_string();
        assert!(e.contains("a boolean, or a string or number meaning one"), "{e}");
    }
}
