//! Lossless serde model of a Swagger 1.2 "API declaration" file, as Canvas serves them.
//!
//! Every struct keeps the keys it does not know in `extra`, so that a change in what Canvas
//! emits shows up in the report instead of vanishing.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

/// Keys not modelled by a struct, in file order.
pub type Extra = IndexMap<String, Value>;

/// One resource file (`courses.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct ApiDeclaration {
    #[serde(rename = "apiVersion")]
    pub api_version: Option<String>,
    #[serde(rename = "swaggerVersion")]
    pub swagger_version: String,
    #[serde(rename = "basePath")]
    pub base_path: Option<String>,
    #[serde(rename = "resourcePath")]
    pub resource_path: String,
    #[serde(default)]
    pub produces: Vec<String>,
    pub apis: Vec<Api>,
    /// `null` and absent both mean "no models".
    #[serde(default, deserialize_with = "null_as_default")]
    pub models: IndexMap<String, ModelDef>,
    #[serde(flatten)]
    pub extra: Extra,
    /// The resource's name in the resource listing (`api-docs.json`), when the input has one.
    #[serde(skip)]
    pub listed_as: Option<String>,
}

/// The file name of the Swagger 1.2 resource listing, as Canvas serves it beside the
/// declarations under `/doc/api/`.
pub const LISTING_FILE: &str = "api-docs.json";

/// A Swagger 1.2 *resource listing* ([`LISTING_FILE`]): one entry per declaration.
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceListing {
    pub apis: Vec<ListedResource>,
}

/// One resource of a listing: `{"path": "/courses.json", "description": "Courses"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ListedResource {
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
}

impl ListedResource {
    /// The declaration file it names: `/courses.json` and `/courses.{format}` are `courses.json`.
    pub fn file_name(&self) -> String {
        let last = self.path.rsplit('/').next().unwrap_or(&self.path);
        let stem = last.strip_suffix(".json").or_else(|| last.strip_suffix(".{format}")).unwrap_or(last);
        format!("{stem}.json")
    }
}

/// Parses a resource listing; errors name the file and the JSON location.
pub fn parse_listing(file: &str, bytes: &[u8]) -> Result<ResourceListing, crate::error::Error> {
    from_json(file, bytes)
}

/// Deserializes `bytes` as `T`; an error names `file` and the JSON location (`apis[3].path`).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<T, crate::error::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| crate::error::Error::Input {
        file: file.into(),
        location: e.path().to_string(),
        message: e.into_inner().to_string(),
    })
}

/// One path with its operations.
#[derive(Debug, Clone, Deserialize)]
pub struct Api {
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
    pub operations: Vec<OperationDef>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One operation. Canvas adds `response_fields`, `deprecated`, `deprecation_description`.
#[derive(Debug, Clone, Deserialize)]
pub struct OperationDef {
    pub method: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub notes: String,
    pub nickname: String,
    #[serde(default)]
    pub parameters: Vec<ParameterDef>,
    #[serde(default)]
    pub response_fields: Vec<Value>,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub deprecation_description: Option<String>,
    /// The return type: a model name, `void`, `array` (with `items`), or free text.
    #[serde(rename = "type", default)]
    pub return_type: Option<String>,
    #[serde(default)]
    pub items: Option<Items>,
    /// Ours (set by overrides): the member of the response object that holds the value, for
    /// operations whose controller wraps it (`render json: { quiz_submissions: [..] }`).
    #[serde(rename = "x-response-key", default)]
    pub response_key: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One parameter; the name carries Rails structure (`course[name]`).
#[derive(Debug, Clone, Deserialize)]
pub struct ParameterDef {
    #[serde(rename = "paramType")]
    pub param_type: String,
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub items: Option<Items>,
    #[serde(rename = "enum", default)]
    pub enum_values: Option<Vec<Value>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `items` of an array: a primitive type or a model reference.
#[derive(Debug, Clone, Deserialize)]
pub struct Items {
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(rename = "$ref", default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub items: Option<Box<Items>>,
    #[serde(rename = "enum", default)]
    pub enum_values: Option<Vec<Value>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A model definition.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelDef {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
    /// A list of names; one Canvas file writes a single string instead.
    #[serde(default, deserialize_with = "string_or_list")]
    pub required: Vec<String>,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub deprecation_description: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub properties: IndexMap<String, PropertyDef>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A model property.
#[derive(Debug, Clone, Deserialize)]
pub struct PropertyDef {
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
    #[serde(default)]
    pub example: Option<Value>,
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(rename = "$ref", default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub items: Option<Items>,
    #[serde(rename = "enum", default)]
    pub enum_values: Option<Vec<Value>>,
    #[serde(rename = "allowableValues", default)]
    pub allowable_values: Option<AllowableValues>,
    /// Canvas's way of typing a map: `{"type": "object", "key": {..}, "value": {..}}`.
    #[serde(default)]
    pub key: Option<Items>,
    #[serde(default)]
    pub value: Option<Items>,
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub minimum: Option<Value>,
    #[serde(default)]
    pub maximum: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Swagger 1.2 `allowableValues` (`{"values": [..]}`).
#[derive(Debug, Clone, Deserialize)]
pub struct AllowableValues {
    #[serde(default)]
    pub values: Vec<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// serde_json's message without its trailing "at line L column C" (the location says it).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Parses one file; errors name the JSON location (`apis[3].operations[0].parameters`)
/// and the line and column.
pub fn parse(file: &str, bytes: &[u8]) -> Result<ApiDeclaration, crate::error::Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| crate::error::Error::Input {
        file: file.into(),
        location: format!("byte {}", e.valid_up_to()),
        message: "not UTF-8".into(),
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let decl: ApiDeclaration = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        crate::error::Error::Input {
            file: file.into(),
            location: if path == "." || path == "?" {
                format!("line {} column {}", inner.line(), inner.column())
            } else {
                format!("{path} (line {} column {})", inner.line(), inner.column())
            },
            message: without_position(&inner),
        }
    })?;
    de.end().map_err(|e| crate::error::Error::Input {
        file: file.into(),
        location: format!("line {} column {}", e.line(), e.column()),
        message: without_position(&e),
    })?;
    if decl.swagger_version != "1.2" {
        return Err(crate::error::Error::Input {
            file: file.into(),
            location: "swaggerVersion".into(),
            message: format!("unsupported swaggerVersion {:?} (expected \"1.2\")", decl.swagger_version),
        });
    }
    Ok(decl)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn errors_name_the_file_the_json_location_and_the_position() {
        let e = parse("x.json", b"{ not json").unwrap_err().to_string();
        assert!(e.starts_with("x.json: at line 1 column 3: key must be a string"), "{e}");
        let e = parse("x.json", br#"{"apis": [{"path": 5}]}"#).unwrap_err().to_string();
        assert!(e.contains("apis[0].path (line 1 column "), "{e}");
        assert!(!e.contains(" at line "), "the position is said once: {e}");
        let e = parse("x.json", b"\xff").unwrap_err().to_string();
        assert!(e.contains("not UTF-8"), "{e}");
        let e = parse("x.json", br#"{"apis": []} trailing"#).unwrap_err().to_string();
        assert!(e.starts_with("x.json:"), "{e}");
    }
}
