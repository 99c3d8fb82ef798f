//! Serde support for forward-compatible string enums.
//!
//! Generated enums carry an `Unknown(String)` variant so that a value Canvas adds later never
//! breaks decoding. The generated code provides `as_str` and `From<&str>`; this macro adds
//! `Serialize`, `Deserialize`, `Display` and [`Encode`](crate::Encode) on top, so that each
//! enum costs one line of generated code instead of a derive expansion.

/// Implements serde, `Display` and `Encode` for a generated string enum.
///
/// The type must have `fn as_str(&self) -> &str` and `impl From<&str>`.
#[macro_export]
macro_rules! string_enum {
    ($ty:ident) => {
        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::encode::deserialize_str(d).map(|s| Self::from(s.as_ref()))
            }
        }
        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl $crate::Encode for $ty {
            fn encode(&self, key: &str, out: &mut $crate::Pairs) {
                out.push(key, self.as_str());
            }
        }
    };
}
