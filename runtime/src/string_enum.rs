//! Support for forward-compatible string enums.
//!
//! Generated enums carry an `Unknown(String)` variant so that a value Canvas adds later never
//! breaks decoding. The generated code declares the enum; [`string_enum!`](crate::string_enum)
//! writes everything else from the variant/value list (`as_str`, `From<&str>`, `Display`,
//! serde and [`Encode`](crate::Encode)), so that each enum costs a few lines of generated code.

/// Implements `as_str`, `From<&str>`, `Display`, serde and `Encode` for a string enum whose
/// last variant is `Unknown(String)`.
///
/// ```
/// #[derive(Debug, Clone, PartialEq)]
/// pub enum Color {
///     Red,
///     DarkBlue,
///     Unknown(String),
/// }
/// canvas_lms_runtime::string_enum!(Color { Red = "red", DarkBlue = "dark_blue" });
///
/// assert_eq!(Color::from("dark_blue"), Color::DarkBlue);
/// assert_eq!(Color::from("green"), Color::Unknown("green".into()));
/// assert_eq!(serde_json::to_string(&Color::Red).unwrap(), "\"red\"");
/// ```
#[macro_export]
macro_rules! string_enum {
    ($ty:ident { $($variant:ident = $value:literal),* $(,)? }) => {
        impl $ty {
            /// The value as Canvas writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(other) => other,
                }
            }
        }
        impl ::core::convert::From<&str> for $ty {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }
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
