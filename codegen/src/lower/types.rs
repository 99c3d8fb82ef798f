//! Mapping the spec's type strings to IR types.
//!
//! The Canvas spec writes types as free text (`DateTime`, `Datetime`, `Hash`, `[Integer]`,
//! `String[]`, `Positive Integer`, model names...). Every string met is mapped here, by one
//! table, and anything outside the table is reported.

use crate::ir::Ty;

/// What a type string means, before model names are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    /// A known primitive or container.
    Ty(Ty),
    /// `array` / `Array`: the element type comes from `items`.
    Array,
    /// Not a known type word: possibly a model name.
    Name(String),
}

/// Maps one type word. `format` refines numbers (`float`).
pub fn map_word(word: &str, format: Option<&str>) -> Mapped {
    let w = word.trim();
    let ty = match w.to_ascii_lowercase().as_str() {
        "string" | "url" | "uuid" | "deprecated" | "text" => Ty::String,
        "integer" | "positive integer" | "int" | "long" => {
            if format == Some("float") || format == Some("double") {
                Ty::Float
            } else {
                Ty::Int
            }
        }
        "number" | "numeric" | "float" | "double" => Ty::Float,
        "boolean" | "bool" => Ty::Bool,
        "datetime" | "date-time" => Ty::DateTime,
        "date" => Ty::Date,
        "hash" | "object" | "json" | "serializedhash" => Ty::Json,
        "array" => return Mapped::Array,
        "string[]" => Ty::Vec(Box::new(Ty::String)),
        "[integer]" | "integer[]" => Ty::Vec(Box::new(Ty::Int)),
        _ => {
            // `[Answer]`: an array of a named type.
            if let Some(inner) = w.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                return match map_word(inner, None) {
                    Mapped::Ty(t) => Mapped::Ty(Ty::Vec(Box::new(t))),
                    Mapped::Array => Mapped::Ty(Ty::Vec(Box::new(Ty::Json))),
                    Mapped::Name(n) => Mapped::Name(format!("[{n}]")),
                };
            }
            return Mapped::Name(w.to_owned());
        }
    };
    Mapped::Ty(ty)
}

/// True for names that hold Canvas ids (`id`, `course_id`, `user_ids`).
pub fn is_id_name(name: &str) -> bool {
    name == "id" || name == "ids" || name.ends_with("_id") || name.ends_with("_ids")
}

/// Replaces `Int`/`String` by `Id` (also inside `Vec`) for id-named values.
pub fn as_id(ty: Ty) -> Ty {
    match ty {
        Ty::Int | Ty::String => Ty::Id,
        Ty::Vec(inner) if matches!(*inner, Ty::Int | Ty::String) => Ty::Vec(Box::new(Ty::Id)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_types() {
        assert_eq!(map_word("Datetime", None), Mapped::Ty(Ty::DateTime));
        assert_eq!(map_word("Positive Integer", None), Mapped::Ty(Ty::Int));
        assert_eq!(map_word("number", Some("float")), Mapped::Ty(Ty::Float));
        assert_eq!(map_word("[Integer]", None), Mapped::Ty(Ty::Vec(Box::new(Ty::Int))));
        assert_eq!(map_word("String[]", None), Mapped::Ty(Ty::Vec(Box::new(Ty::String))));
        assert_eq!(map_word("SerializedHash", None), Mapped::Ty(Ty::Json));
        assert_eq!(map_word("[Answer]", None), Mapped::Name("[Answer]".into()));
        assert_eq!(map_word("Array", None), Mapped::Array);
        assert_eq!(
            map_word("multiple BlueprintRestrictions", None),
            Mapped::Name("multiple BlueprintRestrictions".into())
        );
    }
}
