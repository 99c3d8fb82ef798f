//! Mapping the spec's type text to IR types: one table of type words ([`map_word`]) and one
//! resolver ([`Resolver`]) for every place a type is written.
//!
//! The Canvas spec writes types as free text (`DateTime`, `Datetime`, `Hash`, `[Integer]`,
//! `String[]`, `Positive Integer`, model names...). Every string met is mapped here, by one
//! table, and anything outside the table is reported. Where the rules differ by place (a
//! model field, a request parameter, a response), the difference is a case of [`Place`] in
//! the resolver, stated where it applies.

use crate::ir::{Ir, Ty};
use crate::lower::models::{model_ref, ModelTable};
use crate::report::{Report, Rule};
use crate::spec::Items;

/// Where a type is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A property of a response model.
    Field,
    /// A request parameter (or one key of a bracketed group).
    Parameter,
    /// What an operation returns (after `void` and object literals, which only it has).
    Response,
}

/// The parts of the spec that describe one type.
#[derive(Debug, Clone, Copy, Default)]
pub struct TypeText<'a> {
    /// `type`.
    pub word: Option<&'a str>,
    /// `$ref`.
    pub reference: Option<&'a str>,
    /// `format` (`float`...).
    pub format: Option<&'a str>,
    /// `items`, for arrays.
    pub items: Option<&'a Items>,
    /// `value`, for an `object` that is a map (models only write it).
    pub value: Option<&'a Items>,
}

/// Resolves type text to a `Ty`, reporting what it had to decide.
pub struct Resolver<'a, 'b> {
    pub table: &'a ModelTable,
    pub ir: &'b mut Ir,
    pub report: &'b mut Report,
    pub file: &'a str,
    /// Where in the file, for the report.
    pub at: &'a str,
    pub place: Place,
}

impl Resolver<'_, '_> {
    /// The type of `text`.
    pub fn ty(&mut self, text: TypeText) -> Ty {
        // A `$ref` is read like a type word: Canvas writes `{"$ref": "string"}` as often as a
        // model name.
        let word = match (text.reference.or(text.word), self.place) {
            (Some(w), _) => w,
            // Canvas's parameters without a type are strings (form values).
            (None, Place::Parameter) => "string",
            (None, _) => {
                self.report.fallback(self.file, Rule::PropertyWithoutType, self.at.to_owned(), "untyped JSON");
                return Ty::Json;
            }
        };
        match map_word(word, text.format) {
            // `object` with `key`/`value`: a map from the key to typed values.
            Mapped::Ty(Ty::Json) if text.value.is_some() => Ty::Map(Box::new(self.items(text.value))),
            Mapped::Ty(t) => t,
            Mapped::Array => Ty::Vec(Box::new(self.items(text.items))),
            Mapped::Name(n) => self.name(&n, &n, self.at),
        }
    }

    /// The element type of an array (reported at `<at>.items`).
    fn items(&mut self, items: Option<&Items>) -> Ty {
        let at = format!("{}.items", self.at);
        let Some(items) = items else {
            return match self.place {
                // Canvas sends strings in every array parameter the spec leaves untyped.
                Place::Parameter => Ty::String,
                Place::Field => {
                    self.report.fallback(
                        self.file,
                        Rule::ArrayWithoutItems,
                        self.at.to_owned(),
                        "elements as untyped JSON",
                    );
                    Ty::Json
                }
                Place::Response => {
                    self.report.fallback(self.file, Rule::ArrayReturnWithoutItems, at, "elements as untyped JSON");
                    Ty::Json
                }
            };
        };
        match (items.reference.as_deref().or(items.ty.as_deref()), self.place) {
            (None, Place::Parameter) => Ty::String,
            (None, _) => {
                self.report.fallback(
                    self.file,
                    Rule::ArrayItemsWithoutType,
                    self.at.to_owned(),
                    "elements as untyped JSON",
                );
                Ty::Json
            }
            (Some(word), place) => match map_word(word, None) {
                Mapped::Ty(t) => t,
                // `items: {"type": "array"}`: nested lists in models; a plain value in a
                // parameter (Canvas's form encoding has no nested lists).
                Mapped::Array if place == Place::Parameter => Ty::String,
                Mapped::Array => Ty::Vec(Box::new(self.items(items.items.as_deref()))),
                Mapped::Name(n) => self.name(&n, &n, &at),
            },
        }
    }

    /// A type name: `[X]` is a list of `X` and `multiple Xs` a map of `X` keyed by a
    /// caller-supplied value (the object type), anywhere; `File` as a parameter is the file
    /// of a multipart request; anything else names a model. `written` is the whole text, for
    /// the report.
    fn name(&mut self, name: &str, written: &str, at: &str) -> Ty {
        if let Some(inner) = name.trim().strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
            return Ty::Vec(Box::new(self.name(inner, written, at)));
        }
        if let Some(inner) = name.trim().strip_prefix("multiple ") {
            return Ty::Map(Box::new(self.name(inner.strip_suffix('s').unwrap_or(inner), written, at)));
        }
        if self.place != Place::Parameter {
            return model_ref(self.table, self.ir, self.report, self.file, at, name);
        }
        let detail = format!("{at} is {written:?}");
        if name == "File" {
            // File data goes as multipart (the builder's `send_with_file`), not as bracket keys.
            self.report.anomaly(
                self.file,
                Rule::FileUploadParameter,
                detail,
                "the file is sent by the builder's `send_with_file`",
            );
            return Ty::Json;
        }
        match self.table.lookup(name) {
            Some(Ok(id)) | Some(Err(id)) => {
                self.report.anomaly(
                    self.file,
                    Rule::ModelTypeAsParameterType,
                    detail,
                    "the model, sent as bracket keys",
                );
                Ty::Model(id)
            }
            None => {
                self.report.fallback(
                    self.file,
                    Rule::UnknownParameterType,
                    detail,
                    "untyped JSON, encoded as bracket keys",
                );
                Ty::Json
            }
        }
    }
}

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
    fn the_places_differ_only_where_stated() {
        let mut ir = Ir::default();
        let mut report = Report::default();
        let table = crate::lower::models::build(&[], &mut ir, &mut report);
        let mut resolve = |place: Place, text: TypeText| {
            let mut report = Report::default();
            let ty =
                Resolver { table: &table, ir: &mut ir, report: &mut report, file: "f.json", at: "x", place }.ty(text);
            (ty, report.unresolved())
        };
        let array = TypeText { word: Some("array"), ..TypeText::default() };
        // An array without items: strings as a parameter, untyped (and reported) elsewhere.
        assert_eq!(resolve(Place::Parameter, array), (Ty::Vec(Box::new(Ty::String)), 0));
        assert_eq!(resolve(Place::Field, array), (Ty::Vec(Box::new(Ty::Json)), 1));
        assert_eq!(resolve(Place::Response, array), (Ty::Vec(Box::new(Ty::Json)), 1));
        // A missing type: a string parameter, an untyped field.
        assert_eq!(resolve(Place::Parameter, TypeText::default()), (Ty::String, 0));
        assert_eq!(resolve(Place::Field, TypeText::default()), (Ty::Json, 1));
        // The same everywhere: a `$ref` to a type word, `[X]` lists.
        for place in [Place::Field, Place::Parameter, Place::Response] {
            let reference = TypeText { reference: Some("string"), ..TypeText::default() };
            assert_eq!(resolve(place, reference), (Ty::String, 0));
            let list = TypeText { word: Some("[Integer]"), ..TypeText::default() };
            assert_eq!(resolve(place, list), (Ty::Vec(Box::new(Ty::Int)), 0));
        }
    }

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
