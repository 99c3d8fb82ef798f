//! Relay connections as streams: Canvas's lists in GraphQL are connections
//! (`nodes`/`edges`, `pageInfo { hasNextPage endCursor }`, arguments `first`/`after`).

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_core::Stream;
use serde::de::DeserializeOwned;

use super::{Document, Graphql};
use crate::decode::decode_value;
use crate::error::DecodeError;
use crate::{Error, Json, Result};

/// A query whose data holds one Relay connection to page through, for
/// [`Graphql::paginate`]. The query takes the cursor in a variable (`$after`, passed to the
/// connection's `after` argument) and selects the connection's `pageInfo { hasNextPage
/// endCursor }` and its `nodes` (or `edges { node }`).
pub trait Paginated {
    /// What the connection's nodes decode as.
    type Node: DeserializeOwned + Send + 'static;
    /// Response names from `data` to the connection: `["course", "submissionsConnection"]`
    /// (an alias where the query gives one).
    const CONNECTION: &'static [&'static str];
    /// The query variable that takes the cursor (its GraphQL name, without `$`).
    const CURSOR_VARIABLE: &'static str = "after";
}

/// The nodes of a Relay connection across all its pages, in order: what
/// [`Graphql::paginate`] returns. It holds one page at a time, is `Unpin` and `Send`, and
/// stops after the last page or after the first error (retries already done). A `null` on
/// the way to the connection (a course that does not exist or is not visible) ends it with
/// no nodes; `null` nodes are skipped.
#[must_use = "a stream does nothing until it is polled"]
pub struct NodeStream<'a, N> {
    inner: Pin<Box<dyn Stream<Item = Result<N>> + Send + 'a>>,
}

impl<N> Stream for NodeStream<'_, N> {
    type Item = Result<N>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<N> std::fmt::Debug for NodeStream<'_, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NodeStream")
    }
}

/// Where a walk through a connection stands.
struct Walk<'a, N> {
    graphql: Graphql<'a>,
    doc: Document,
    path: Vec<String>,
    cursor_variable: String,
    /// The nodes of the page being yielded.
    nodes: VecDeque<N>,
    /// The cursor of the next page; `None` once the last page was read.
    next: Option<Option<String>>,
    /// Cursors already asked for: a server that hands one out again would loop forever.
    seen: HashSet<String>,
}

impl<'a, N: DeserializeOwned + Send + 'static> NodeStream<'a, N> {
    pub(crate) fn new(graphql: Graphql<'a>, doc: Result<Document>, path: Vec<String>, cursor_variable: &str) -> Self {
        let doc = match doc.and_then(|doc| check(doc, &path, cursor_variable)) {
            Ok(doc) => doc,
            Err(e) => return NodeStream { inner: Box::pin(futures_util::stream::once(async { Err(e) })) },
        };
        let walk = Walk {
            graphql,
            doc,
            path,
            cursor_variable: cursor_variable.to_owned(),
            nodes: VecDeque::new(),
            next: Some(None),
            seen: HashSet::new(),
        };
        let inner = futures_util::stream::try_unfold(walk, |mut walk| async move {
            loop {
                if let Some(node) = walk.nodes.pop_front() {
                    return Ok(Some((node, walk)));
                }
                let Some(cursor) = walk.next.take() else { return Ok(None) };
                walk.read_page(cursor).await?;
            }
        });
        NodeStream { inner: Box::pin(inner) }
    }
}

/// Refuses, before anything is sent, a walk that could never move past its first page.
fn check(doc: Document, path: &[String], cursor_variable: &str) -> Result<Document> {
    if path.is_empty() {
        return Err(Error::InvalidArgument(format!("{}: the connection's path is empty", doc.label())));
    }
    if !declares_variable(&doc.query, cursor_variable) {
        return Err(Error::InvalidArgument(format!(
            "{}: the query declares no variable ${cursor_variable}, so its connection cannot be paged",
            doc.label()
        )));
    }
    Ok(doc)
}

/// True when `query` declares `$name` (followed by `:` in the variable definitions).
fn declares_variable(query: &str, name: &str) -> bool {
    let needle = format!("${name}");
    query.match_indices(&needle).any(|(at, _)| {
        let rest = &query[at + needle.len()..];
        let next = rest.chars().next();
        !matches!(next, Some(c) if c.is_alphanumeric() || c == '_') && rest.trim_start().starts_with(':')
    })
}

impl<N: DeserializeOwned + Send + 'static> Walk<'_, N> {
    /// Reads the page after `cursor` (the caller's variables as given for the first page).
    async fn read_page(&mut self, cursor: Option<String>) -> Result<()> {
        if let Some(cursor) = &cursor {
            if !self.seen.insert(cursor.clone()) {
                return Err(Error::PaginationLoop(format!("{}: endCursor {cursor:?} again", self.doc.label())));
            }
            // cynic's variables are an object whenever the query declares one (the cursor's).
            if let Some(vars) = self.doc.variables.as_object_mut() {
                vars.insert(self.cursor_variable.clone(), Json::String(cursor.clone()));
            }
        }
        let doc = Document {
            kind: self.doc.kind,
            query: self.doc.query.clone(),
            name: self.doc.name.clone(),
            variables: self.doc.variables.clone(),
        };
        let label = doc.label();
        let data = self.graphql.send::<Json>(doc).await?.into_result()?;
        let Some(connection) = at_path(data, &self.path) else {
            return Ok(());
        };
        let (nodes, next) = split_connection(&label, &self.path, connection)?;
        for node in nodes {
            if !node.is_null() {
                self.nodes.push_back(decode_value::<N>(&label, 200, node)?);
            }
        }
        self.next = next.map(Some);
        Ok(())
    }
}

/// The value at `path` under `data`, or `None` where a member is missing or `null`.
fn at_path(mut value: Json, path: &[String]) -> Option<Json> {
    for name in path {
        value = match value {
            Json::Object(mut map) => map.remove(name)?,
            _ => return None,
        };
        if value.is_null() {
            return None;
        }
    }
    Some(value)
}

/// A connection's nodes and the cursor of its next page (`None` on the last page).
fn split_connection(label: &str, path: &[String], connection: Json) -> Result<(Vec<Json>, Option<String>)> {
    let at = path.join(".");
    let shape = |message: String| DecodeError::shape(label, 200, "Relay connection", message, b"");
    let Json::Object(mut map) = connection else {
        return Err(shape(format!("`{at}` is not an object (a connection)")));
    };
    let page_info = map.remove("pageInfo").unwrap_or(Json::Null);
    let has_next = page_info.get("hasNextPage").and_then(Json::as_bool).ok_or_else(|| {
        shape(format!(
            "`{at}.pageInfo.hasNextPage` is missing: the query must select pageInfo {{ hasNextPage endCursor }}"
        ))
    })?;
    let next = if has_next {
        let cursor = page_info.get("endCursor").and_then(Json::as_str).ok_or_else(|| {
            shape(format!("`{at}.pageInfo` says hasNextPage but gives no endCursor (is it selected?)"))
        })?;
        Some(cursor.to_owned())
    } else {
        None
    };
    let nodes = match (map.remove("nodes"), map.remove("edges")) {
        (Some(Json::Array(nodes)), _) => nodes,
        (_, Some(Json::Array(edges))) => {
            edges.into_iter().map(|mut e| e.get_mut("node").map(Json::take).unwrap_or(Json::Null)).collect()
        }
        (None | Some(Json::Null), None | Some(Json::Null)) => Vec::new(),
        _ => return Err(shape(format!("`{at}.nodes` (or `edges`) is not a list"))),
    };
    Ok((nodes, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_stream_says_what_it_is() {
        let stream: NodeStream<'_, Json> = NodeStream { inner: Box::pin(futures_util::stream::empty()) };
        assert_eq!(format!("{stream:?}"), "NodeStream");
    }

    #[test]
    fn a_variable_is_declared_only_by_its_own_name_before_a_colon() {
        let q = "query Q($courseId: ID!, $after: String) { course(id: $courseId) { x(after: $after) } }";
        assert!(declares_variable(q, "after"));
        assert!(declares_variable(q, "courseId"));
        assert!(!declares_variable(q, "course"), "a prefix of another variable is not the variable");
        assert!(!declares_variable("query Q { x(after: $after) }", "after"), "a use is not a declaration");
    }

    #[test]
    fn a_connection_gives_nodes_or_edge_nodes_and_the_next_cursor() {
        let path = vec!["course".to_owned(), "submissionsConnection".to_owned()];
        let c = json!({"nodes": [{"a": 1}, null], "pageInfo": {"hasNextPage": true, "endCursor": "MQ"}});
        assert_eq!(split_connection("op", &path, c).unwrap(), (vec![json!({"a": 1}), Json::Null], Some("MQ".into())));
        let c = json!({"edges": [{"node": {"a": 2}}], "pageInfo": {"hasNextPage": false, "endCursor": null}});
        assert_eq!(split_connection("op", &path, c).unwrap(), (vec![json!({"a": 2})], None));
        let c = json!({"nodes": [], "pageInfo": {"hasNextPage": false}});
        assert_eq!(split_connection("op", &path, c).unwrap(), (vec![], None));
        // `nodes` is a nullable list in Canvas's schema, and a query may select only pageInfo.
        for c in
            [json!({"nodes": null, "pageInfo": {"hasNextPage": false}}), json!({"pageInfo": {"hasNextPage": false}})]
        {
            assert_eq!(split_connection("op", &path, c).unwrap(), (vec![], None));
        }
    }

    #[test]
    fn a_connection_without_page_info_or_cursor_is_an_error_naming_its_path() {
        let path = vec!["course".to_owned(), "usersConnection".to_owned()];
        let err = split_connection("op", &path, json!({"nodes": []})).unwrap_err().to_string();
        assert!(err.contains("`course.usersConnection.pageInfo.hasNextPage` is missing"), "{err}");
        let err = split_connection("op", &path, json!({"nodes": [], "pageInfo": {"hasNextPage": true}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("gives no endCursor"), "{err}");
        let err = split_connection("op", &path, json!({"nodes": 3, "pageInfo": {"hasNextPage": false}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a list"), "{err}");
        let err = split_connection("op", &path, json!([1])).unwrap_err().to_string();
        assert!(err.contains("is not an object"), "{err}");
    }

    #[test]
    fn a_null_or_missing_member_on_the_way_ends_the_path() {
        let path = vec!["course".to_owned(), "c".to_owned()];
        assert_eq!(at_path(json!({"course": {"c": {"x": 1}}}), &path), Some(json!({"x": 1})));
        assert_eq!(at_path(json!({"course": null}), &path), None);
        assert_eq!(at_path(json!({"course": {}}), &path), None);
        assert_eq!(at_path(json!({"course": 5}), &path), None);
    }
}
