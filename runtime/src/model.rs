//! Decoding and encoding of generated response models.
//!
//! A model is a plain struct of `Option` fields plus its [`Extra`]. Its serde impls are
//! written by [`model!`](crate::model!) from the list of its fields, instead of serde's
//! derive, because the crate has hundreds of models and the derive's expansion is most of
//! what it costs to compile: with a flattened member, the derive buffers unknown keys as
//! `Content`, writes a visitor method for every kind of key and a wrapper type for every
//! field decoded by a function. Here each model writes only one `match` from key to field;
//! the loop over the object, the undeclared fields and the lenient scalars live once, in
//! this module and in [`lenient`](crate::lenient).
//!
//! What a model accepts is what the derive with `#[serde(default)]` and a flattened
//! [`Extra`] accepted: an object; a missing field is `None`; `null` is `None`; an
//! undeclared key goes to `extra` in the order it came; a repeated key keeps the last value.
//! Encoding writes every declared field (`None` as `null`) in declaration order, then the
//! undeclared ones.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;

use crate::{Extra, Json};

/// A generated response model, as [`model!`](crate::model!) implements it.
pub trait Model: Default {
    /// The model's Rust name, for "expected struct `Course`" messages.
    const NAME: &'static str;
    /// Decodes the value of the declared field whose JSON key is `key` from `map` into
    /// `self`; `false` (nothing read) when the model declares no such key.
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
    /// The model's undeclared fields.
    fn extra_mut(&mut self) -> &mut Extra;
}

/// Decodes a model from an object (used by [`model!`](crate::model!)'s `Deserialize` impl).
pub fn deserialize<'de, M: Model, D: Deserializer<'de>>(d: D) -> Result<M, D::Error> {
    d.deserialize_map(ModelVisitor(PhantomData))
}

struct ModelVisitor<M>(PhantomData<M>);

impl<'de, M: Model> Visitor<'de> for ModelVisitor<M> {
    type Value = M;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", M::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<M, A::Error> {
        let mut model = M::default();
        while let Some(Key(key)) = map.next_key()? {
            if !model.read(&key, &mut map)? {
                let value: Json = map.next_value()?;
                model.extra_mut().insert(key.into_owned(), value);
            }
        }
        Ok(model)
    }
}

/// An object key, borrowed from the input when it can be (no escapes), so that looking up a
/// declared field allocates nothing.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Writes a model's undeclared fields after its declared ones (used by
/// [`model!`](crate::model!)'s `Serialize` impl).
pub fn serialize_extra<M: SerializeMap>(map: &mut M, extra: &Extra) -> Result<(), M::Error> {
    for (name, value) in extra.iter() {
        map.serialize_entry(name, value)?;
    }
    Ok(())
}

/// Implements `Deserialize`, `Serialize` and [`Model`] for a generated response model from
/// the list of its fields: each field's name, its JSON key when that differs
/// (`concluded = "concluded?"`), and for scalars Canvas sends loosely the lenient decoder
/// (`: bool`, `: int`, `: float`, `: datetime`; see [`lenient`](crate::lenient)). The model
/// has an `extra: Extra` member for the undeclared fields, and derives `Default`.
///
/// ```
/// use canvas_lms_runtime as rt;
/// #[derive(Debug, Default, PartialEq)]
/// pub struct Topic {
///     pub id: Option<rt::Id>,
///     pub title: Option<String>,
///     pub locked: Option<bool>,
///     pub r#type: Option<String>,
///     pub extra: rt::Extra,
/// }
/// rt::model!(Topic { id, title, locked: bool, r#type = "type" });
///
/// let json = r#"{"id": 7, "locked": "true", "type": "x", "author": {"id": 3}}"#;
/// let topic: Topic = serde_json::from_str(json).unwrap();
/// assert_eq!(topic.locked, Some(true));
/// assert_eq!(topic.r#type.as_deref(), Some("x"));
/// assert!(topic.extra.contains("author"));
/// assert_eq!(
///     serde_json::to_string(&topic).unwrap(),
///     r#"{"id":7,"title":null,"locked":true,"type":"x","author":{"id":3}}"#
/// );
/// ```
#[macro_export]
macro_rules! model {
    ($name:ident { $( $field:ident $(= $key:literal)? $(: $lenient:ident)? ),* $(,)? }) => {
        #[allow(deprecated)]
        impl $crate::model::Model for $name {
            const NAME: &'static str = ::core::stringify!($name);
            fn read<'de, A: $crate::__private::serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> ::core::result::Result<bool, A::Error> {
                match key {
                    $( $crate::model!(@key $field $($key)?) => {
                        self.$field = $crate::model!(@read map $($lenient)?);
                        ::core::result::Result::Ok(true)
                    } )*
                    _ => ::core::result::Result::Ok(false),
                }
            }
            fn extra_mut(&mut self) -> &mut $crate::Extra {
                &mut self.extra
            }
        }
        #[allow(deprecated)]
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::model::deserialize(d)
            }
        }
        #[allow(deprecated)]
        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                use $crate::__private::serde::ser::SerializeMap as _;
                let mut map = s.serialize_map(::core::option::Option::None)?;
                $( map.serialize_entry($crate::model!(@key $field $($key)?), &self.$field)?; )*
                $crate::model::serialize_extra(&mut map, &self.extra)?;
                map.end()
            }
        }
    };
    (@key $field:ident) => { ::core::stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
    (@read $map:ident) => { $map.next_value()? };
    (@read $map:ident bool) => { $map.next_value_seed($crate::lenient::OptBool)? };
    (@read $map:ident int) => { $map.next_value_seed($crate::lenient::OptI64)? };
    (@read $map:ident float) => { $map.next_value_seed($crate::lenient::OptF64)? };
    (@read $map:ident datetime) => { $map.next_value_seed($crate::lenient::OptDateTime)? };
}

#[cfg(test)]
mod tests {
    use crate as rt;

    #[derive(Debug, Default, Clone, PartialEq)]
    struct Course {
        id: Option<rt::Id>,
        name: Option<String>,
        concluded: Option<bool>,
        total_students: Option<i64>,
        score: Option<f64>,
        start_at: Option<rt::DateTime>,
        term: Option<Box<Course>>,
        r#type: Option<String>,
        extra: rt::Extra,
    }
    crate::model!(Course {
        id,
        name,
        concluded = "concluded?": bool,
        total_students: int,
        score: float,
        start_at: datetime,
        term,
        r#type = "type",
    });

    fn decode(json: &str) -> Course {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn declared_fields_by_their_keys_lenient_scalars_and_nested_models() {
        let c = decode(
            r#"{"id": "7", "name": "Bio", "concluded?": "true", "total_students": "12", "score": "0.5",
                "start_at": "2022-09-01", "term": {"id": 1, "name": "Fall"}, "type": "x"}"#,
        );
        assert_eq!(c.id, Some(rt::Id::from(7)));
        assert_eq!(c.name.as_deref(), Some("Bio"));
        assert_eq!((c.concluded, c.total_students, c.score), (Some(true), Some(12), Some(0.5)));
        assert_eq!(c.start_at.unwrap().to_rfc3339(), "2022-09-01T00:00:00+00:00");
        assert_eq!(c.term.as_ref().and_then(|t| t.name.as_deref()), Some("Fall"));
        assert_eq!(c.r#type.as_deref(), Some("x"));
        assert!(c.extra.is_empty(), "declared keys must not land in extra: {:?}", c.extra);
        // The field's Rust name is not its key: `concluded` is undeclared.
        assert!(decode(r#"{"concluded": true}"#).extra.contains("concluded"));
    }

    #[test]
    fn missing_and_null_fields_are_none_and_the_last_of_a_repeated_key_wins() {
        let c = decode(r#"{"name": null, "concluded?": null, "total_students": null, "term": null}"#);
        assert_eq!(c, Course::default());
        assert_eq!(decode("{}"), Course::default());
        assert_eq!(decode(r#"{"name": "a", "name": "b"}"#).name.as_deref(), Some("b"));
    }

    #[test]
    fn undeclared_fields_are_kept_in_order_and_written_back_after_the_declared_ones() {
        let json = r#"{"zeta": 1, "id": 3, "alpha": [true], "na\u006de": "escaped key", "meta": {"a": null}}"#;
        let c = decode(json);
        assert_eq!(c.name.as_deref(), Some("escaped key"), "an escaped key still names its field");
        let keys: Vec<&str> = c.extra.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["zeta", "alpha", "meta"]);
        let again = serde_json::to_string(&c).unwrap();
        assert_eq!(
            again,
            r#"{"id":3,"name":"escaped key","concluded?":null,"total_students":null,"score":null,"start_at":null,"term":null,"type":null,"zeta":1,"alpha":[true],"meta":{"a":null}}"#
        );
        assert_eq!(serde_json::from_str::<Course>(&again).unwrap(), c);
    }

    #[test]
    fn a_value_of_the_wrong_shape_fails_naming_what_was_expected() {
        let e = serde_json::from_str::<Course>(r#"{"term": 5}"#).unwrap_err().to_string();
        assert!(e.contains("expected struct Course"), "{e}");
        let e = serde_json::from_str::<Course>("[1]").unwrap_err().to_string();
        assert!(e.contains("expected struct Course"), "{e}");
        let e = serde_json::from_str::<Course>(r#"{"total_students": "many"}"#).unwrap_err().to_string();
        assert!(e.contains("an integer, or a string holding one"), "{e}");
        // From an already parsed value, too (not only from text).
        let value = serde_json::json!({"id": 1, "concluded?": 0, "other": "x"});
        let c: Course = serde_json::from_value(value).unwrap();
        assert_eq!((c.concluded, c.extra.get("other")), (Some(false), Some(&serde_json::json!("x"))));
    }
}
