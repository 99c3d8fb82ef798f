//! What a GraphQL server says went wrong: the `errors` of a response (GraphQL spec,
//! "Response Format"), which Canvas sends with HTTP 200, often beside partial `data`.

use std::fmt;

use serde::Deserialize;

use crate::Json;

/// One entry of a response's `errors`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct GraphqlError {
    /// What went wrong, in the server's words.
    pub message: String,
    /// Where in the query document the error is (1-based lines and columns).
    #[serde(default, deserialize_with = "null_as_default")]
    pub locations: Vec<Location>,
    /// The response field the error belongs to (`course.submissionsConnection.nodes.3.grade`),
    /// empty for errors of the whole request (a query that does not parse or validate).
    #[serde(default, deserialize_with = "null_as_default")]
    pub path: Vec<PathSegment>,
    /// Whatever else the server attached (graphql-ruby puts a `code` here).
    #[serde(default)]
    pub extensions: Option<Json>,
}

/// A place in a GraphQL document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Location {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One step of a [`GraphqlError::path`]: a field's response name or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// A field (its alias when the query gave one).
    Field(String),
    /// An index in a list.
    Index(u64),
}

fn null_as_default<'de, D: serde::Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl GraphqlError {
    /// The path as one string: fields joined by `.`, indices in brackets
    /// (`course.submissionsConnection.nodes[3].grade`).
    pub fn path_text(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                PathSegment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathSegment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

impl fmt::Display for GraphqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.path.is_empty() {
            write!(f, " (at `{}`)", self.path_text())?;
        }
        if let Some(at) = self.locations.first() {
            write!(f, " (query line {}, column {})", at.line, at.column)?;
        }
        Ok(())
    }
}

/// A GraphQL response that carried `errors`: [`Error::Graphql`](crate::Error::Graphql).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GraphqlErrors {
    /// The operation (`GraphQL query CourseSubmissions`).
    pub operation: String,
    /// Every error of the response, in order (at least one).
    pub errors: Vec<GraphqlError>,
    /// The partial `data` the server sent beside the errors, untyped (`None` when it sent
    /// none or `null`). [`Graphql::query_partial`](crate::graphql::Graphql::query_partial)
    /// gives it typed instead.
    pub data: Option<Json>,
}

impl fmt::Display for GraphqlErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "{}: the server answered with {n} GraphQL error{}", self.operation, if n == 1 { "" } else { "s" })?;
        for (i, e) in self.errors.iter().enumerate() {
            write!(f, "{} {e}", if i == 0 { ":" } else { ";" })?;
        }
        if self.data.is_some() {
            f.write_str(" (partial data was sent)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reads_every_member_graphql_ruby_sends_and_says_where() {
        let e: GraphqlError = serde_json::from_str(
            r#"{"message":"not allowed","locations":[{"line":4,"column":7}],
                "path":["course","submissionsConnection","nodes",3,"grade"],"extensions":{"code":"FORBIDDEN"}}"#,
        )
        .unwrap();
        assert_eq!(e.path_text(), "course.submissionsConnection.nodes[3].grade");
        assert_eq!(e.locations, vec![Location { line: 4, column: 7 }]);
        assert_eq!(
            e.to_string(),
            "not allowed (at `course.submissionsConnection.nodes[3].grade`) (query line 4, column 7)"
        );
        assert_eq!(e.extensions.unwrap()["code"], "FORBIDDEN");
    }

    #[test]
    fn an_error_of_the_whole_request_may_omit_or_null_its_path_and_locations() {
        for text in [r#"{"message":"syntax"}"#, r#"{"message":"syntax","path":null,"locations":null}"#] {
            let e: GraphqlError = serde_json::from_str(text).unwrap();
            assert!(e.path.is_empty() && e.locations.is_empty());
            assert_eq!(e.to_string(), "syntax");
        }
    }

    #[test]
    fn the_error_of_a_response_names_the_operation_and_counts_its_errors() {
        let one = GraphqlError { message: "a".into(), locations: vec![], path: vec![], extensions: None };
        let two = GraphqlError { message: "b".into(), ..one.clone() };
        let errors = GraphqlErrors { operation: "GraphQL query Q".into(), errors: vec![one.clone(), two], data: None };
        assert_eq!(errors.to_string(), "GraphQL query Q: the server answered with 2 GraphQL errors: a; b");
        let partial = GraphqlErrors { operation: "GraphQL query Q".into(), errors: vec![one], data: Some(Json::Null) };
        assert_eq!(
            partial.to_string(),
            "GraphQL query Q: the server answered with 1 GraphQL error: a (partial data was sent)"
        );
    }
}
