//! Canvas's GraphQL API (`POST /api/graphql`) with queries checked at compile time by
//! [cynic](https://docs.rs/cynic): [`Client::graphql`](crate::Client::graphql) gives a
//! [`Graphql`] handle whose requests go through the same executor as every REST call (the
//! token and its refresh, `as_user_id`, the pacer, retries, throttling, limits and tracing).
//!
//! A GraphQL answer is HTTP 200 even when the query failed: its `errors` become
//! [`Error::Graphql`] (messages, paths, locations, and the partial data untyped), or, with
//! the `*_partial` methods, a [`Response`] holding both the typed partial data and the errors.
//! Queries only read, so they are retried like `GET`; mutations like `POST`.

mod error;
mod relay;

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub use error::{GraphqlError, GraphqlErrors, Location, PathSegment};
pub use relay::{NodeStream, Paginated};

use crate::decode::{decode_body, strip_while1};
use crate::error::DecodeError;
use crate::execute::execute_decoded;
use crate::request::{Method, Request};
use crate::{Client, Error, Json, Result};

/// The path of Canvas's GraphQL endpoint under the API root.
const ENDPOINT: &str = "/graphql";

/// The variables of operation `Q`: the [`cynic::QueryVariables`] struct its fragment names
/// (`#[cynic(variables = "...")]`), or `()` for an operation without variables. It lets the
/// operation be the only type a call names: `query::<Q>(variables)`.
pub trait VariablesOf<Q: cynic::QueryFragment>: cynic::QueryVariables<Fields = Q::VariablesFields> + Serialize {}

impl<Q, V> VariablesOf<Q> for V
where
    Q: cynic::QueryFragment,
    V: cynic::QueryVariables<Fields = Q::VariablesFields> + Serialize,
{
}

/// Sends GraphQL operations for one [`Client`]: [`query`](Self::query),
/// [`mutate`](Self::mutate), [`paginate`](Self::paginate), and their untyped forms.
#[derive(Clone, Copy)]
pub struct Graphql<'a> {
    client: &'a Client,
}

impl fmt::Debug for Graphql<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Graphql").field("api_root", &self.client.api_root()).finish()
    }
}

/// A GraphQL response as the server sent it: the typed `data` (partial or absent when there
/// are errors) and the `errors`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response<T> {
    /// The data, when the server sent some and it decodes as `T` (with errors, fields that
    /// failed are `null`, so a query made of optional fields still decodes).
    pub data: Option<T>,
    /// The errors, empty for a successful operation.
    pub errors: Vec<GraphqlError>,
    /// The operation's name in errors (`GraphQL query CourseSubmissions`).
    operation: String,
    /// The data untyped, kept only when there are errors (for [`GraphqlErrors::data`]).
    raw_data: Option<Json>,
}

impl<T> Response<T> {
    /// The data when there are no errors; otherwise [`Error::Graphql`] with every error and
    /// the partial data untyped.
    pub fn into_result(self) -> Result<T> {
        if !self.errors.is_empty() {
            return Err(Error::Graphql(Box::new(GraphqlErrors {
                operation: self.operation,
                errors: self.errors,
                data: self.raw_data,
            })));
        }
        self.data.ok_or_else(|| Error::Config(format!("{}: a response without data was accepted", self.operation)))
    }
}

/// Query or mutation: how an operation is named and whether it may be sent twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Query,
    Mutation,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Query => "query",
            Kind::Mutation => "mutation",
        }
    }
}

/// What the runtime needs of an operation, whatever built it.
pub(crate) struct Document {
    pub kind: Kind,
    pub query: String,
    pub name: String,
    pub variables: Json,
}

impl Document {
    fn from_cynic<Q, V: Serialize>(kind: Kind, op: cynic::Operation<Q, V>) -> Result<Self> {
        let variables = match serde_json::to_value(&op.variables) {
            // An operation without variables (`()`): an empty map, which every server takes.
            Ok(Json::Null) => Json::Object(Default::default()),
            Ok(v) => v,
            Err(e) => return Err(Error::InvalidArgument(format!("GraphQL variables do not serialize: {e}"))),
        };
        let name = op.operation_name.map(|n| n.into_owned()).unwrap_or_else(|| {
            let full = std::any::type_name::<Q>();
            full.rsplit("::").next().unwrap_or(full).to_owned()
        });
        Ok(Document { kind, query: op.query, name, variables })
    }

    /// The document of query `Q` with `variables`.
    fn query<Q>(variables: impl VariablesOf<Q>) -> Result<Self>
    where
        Q: cynic::QueryFragment,
        Q::SchemaType: cynic::schema::QueryRoot,
    {
        Self::from_cynic(Kind::Query, cynic::Operation::<Q, _>::query(variables))
    }

    /// How errors name it: `GraphQL query CourseSubmissions`.
    fn label(&self) -> String {
        format!("GraphQL {} {}", self.kind.word(), self.name)
    }

    fn body(&self) -> Json {
        serde_json::json!({ "query": self.query, "operationName": self.name, "variables": self.variables })
    }
}

/// The members of a GraphQL response, `data` left undecoded until the errors are known.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<Box<RawValue>>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
}

impl<'a> Graphql<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Graphql { client }
    }

    /// Runs query `Q` (a [`cynic::QueryFragment`] on Canvas's `Query` type) with its
    /// variables and returns its data; any GraphQL error is [`Error::Graphql`]:
    /// `client.graphql().query::<CourseSubmissions>(variables)`.
    pub async fn query<Q>(&self, variables: impl VariablesOf<Q>) -> Result<Q>
    where
        Q: cynic::QueryFragment + DeserializeOwned + Send,
        Q::SchemaType: cynic::schema::QueryRoot,
    {
        self.query_partial::<Q>(variables).await?.into_result()
    }

    /// [`query`](Self::query) that returns the partial data beside the errors instead of
    /// failing on them (transport, HTTP and decode failures are still errors).
    pub async fn query_partial<Q>(&self, variables: impl VariablesOf<Q>) -> Result<Response<Q>>
    where
        Q: cynic::QueryFragment + DeserializeOwned + Send,
        Q::SchemaType: cynic::schema::QueryRoot,
    {
        self.send(Document::query::<Q>(variables)?).await
    }

    /// Runs mutation `M` (a [`cynic::QueryFragment`] on Canvas's `Mutation` type). It is
    /// sent again only where a `POST` would be: throttled, or refused before it arrived.
    pub async fn mutate<M>(&self, variables: impl VariablesOf<M>) -> Result<M>
    where
        M: cynic::QueryFragment + DeserializeOwned + Send,
        M::SchemaType: cynic::schema::MutationRoot,
    {
        self.mutate_partial::<M>(variables).await?.into_result()
    }

    /// [`mutate`](Self::mutate) with the partial data beside the errors.
    pub async fn mutate_partial<M>(&self, variables: impl VariablesOf<M>) -> Result<Response<M>>
    where
        M: cynic::QueryFragment + DeserializeOwned + Send,
        M::SchemaType: cynic::schema::MutationRoot,
    {
        self.send(Document::from_cynic(Kind::Mutation, cynic::Operation::<M, _>::mutation(variables))?).await
    }

    /// Sends a query written as text and returns its data untyped, for queries not (yet)
    /// written as types. `name` is the operation to run (and how errors name it).
    pub async fn query_text(&self, query: &str, name: &str, variables: Json) -> Result<Response<Json>> {
        let doc = Document { kind: Kind::Query, query: query.to_owned(), name: name.to_owned(), variables };
        self.send(doc).await
    }

    /// Streams the nodes of the Relay connection that query `Q` reads ([`Paginated`]),
    /// page after page: each page is asked for with the last page's `endCursor` in the
    /// cursor variable, while `hasNextPage` is true. One page is held at a time.
    pub fn paginate<Q>(&self, variables: impl VariablesOf<Q>) -> NodeStream<'a, Q::Node>
    where
        Q: Paginated + cynic::QueryFragment,
        Q::SchemaType: cynic::schema::QueryRoot,
    {
        let path = Q::CONNECTION.iter().map(|s| (*s).to_owned()).collect();
        NodeStream::new(*self, Document::query::<Q>(variables), path, Q::CURSOR_VARIABLE)
    }

    /// [`paginate`](Self::paginate) for a query that does not implement [`Paginated`]: the
    /// connection is at the response names `connection` under `data`, its cursor variable
    /// is `cursor_variable`, and its nodes decode as `N`.
    pub fn paginate_at<Q, N>(
        &self,
        variables: impl VariablesOf<Q>,
        connection: &[&str],
        cursor_variable: &str,
    ) -> NodeStream<'a, N>
    where
        Q: cynic::QueryFragment,
        Q::SchemaType: cynic::schema::QueryRoot,
        N: DeserializeOwned + Send + 'static,
    {
        let path = connection.iter().map(|s| (*s).to_owned()).collect();
        NodeStream::new(*self, Document::query::<Q>(variables), path, cursor_variable)
    }

    /// Sends one operation through the client's executor and splits its answer.
    pub(crate) async fn send<T: DeserializeOwned + Send>(&self, doc: Document) -> Result<Response<T>> {
        let label = doc.label();
        let span = tracing::debug_span!("canvas_graphql", kind = doc.kind.word(), operation = %doc.name);
        let req = Request::new(self.client, Method::Post, ENDPOINT, &[])
            .json_body(doc.body())
            .with_idempotence(doc.kind == Kind::Query)
            .with_label(label.clone());
        let decode =
            |operation: &str, resp: &crate::decode::RawResponse| split::<T>(operation, resp.status, &resp.body);
        tracing::Instrument::instrument(async { execute_decoded(&req, req.url()?, decode).await }, span).await
    }
}

/// Splits a GraphQL response body into typed data and errors.
fn split<T: DeserializeOwned>(operation: &str, status: u16, body: &[u8]) -> Result<Response<T>> {
    let body = strip_while1(body);
    let envelope: Envelope = decode_body(operation, status, body)?;
    let errors = envelope.errors.unwrap_or_default();
    let data = envelope.data.filter(|raw| raw.get() != "null");
    let Some(raw) = data else {
        if errors.is_empty() {
            return Err(DecodeError::shape(
                operation,
                status,
                "GraphQL response",
                "the response has neither `data` nor `errors`".into(),
                body,
            ));
        }
        return Ok(Response { data: None, errors, operation: operation.to_owned(), raw_data: None });
    };
    if errors.is_empty() {
        let data = decode_body::<T>(operation, status, raw.get().as_bytes())?;
        return Ok(Response { data: Some(data), errors, operation: operation.to_owned(), raw_data: None });
    }
    // With errors, data that does not decode (a required field left `null`) is no failure
    // of its own: the errors say what happened, and the data stays available untyped.
    let typed = serde_json::from_str::<T>(raw.get()).ok();
    let untyped = serde_json::from_str::<Json>(raw.get()).ok();
    Ok(Response { data: typed, errors, operation: operation.to_owned(), raw_data: untyped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Data {
        course: Option<Course>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Course {
        name: String,
    }

    #[test]
    fn data_without_errors_is_typed() {
        let r = split::<Data>("op", 200, br#"{"data":{"course":{"name":"Biology"}}}"#).unwrap();
        assert_eq!(r.data, Some(Data { course: Some(Course { name: "Biology".into() }) }));
        assert!(r.errors.is_empty());
        assert_eq!(r.into_result().unwrap().course.unwrap().name, "Biology");
    }

    #[test]
    fn partial_data_is_typed_when_it_decodes_and_kept_untyped_for_the_error() {
        let body = br#"{"data":{"course":null},"errors":[{"message":"not allowed","path":["course"]}]}"#;
        let r = split::<Data>("GraphQL query Q", 200, body).unwrap();
        assert_eq!(r.data, Some(Data { course: None }));
        assert_eq!(r.errors[0].message, "not allowed");
        let Err(Error::Graphql(e)) = r.into_result() else { panic!("errors must fail into_result") };
        assert_eq!(e.operation, "GraphQL query Q");
        assert_eq!(e.data, Some(serde_json::json!({"course": null})));
    }

    #[test]
    fn partial_data_that_does_not_decode_leaves_the_errors_and_the_untyped_data() {
        let body = br#"{"data":{"course":{"name":null}},"errors":[{"message":"boom","path":["course","name"]}]}"#;
        let r = split::<Data>("op", 200, body).unwrap();
        assert_eq!(r.data, None);
        assert_eq!(r.raw_data, Some(serde_json::json!({"course": {"name": null}})));
    }

    #[test]
    fn errors_without_data_or_with_null_data_are_errors_only() {
        for body in [&br#"{"errors":[{"message":"syntax error"}]}"#[..], br#"{"data":null,"errors":[{"message":"x"}]}"#]
        {
            let r = split::<Data>("op", 200, body).unwrap();
            assert!(r.data.is_none() && r.errors.len() == 1 && r.raw_data.is_none());
        }
    }

    #[test]
    fn a_body_with_neither_data_nor_errors_or_data_of_another_shape_is_a_decode_error() {
        let Err(Error::Decode(e)) = split::<Data>("op", 200, br#"{"extensions":{}}"#) else { panic!() };
        assert!(e.message.contains("neither `data` nor `errors`"), "{e}");
        let Err(Error::Decode(e)) = split::<Data>("op", 200, br#"{"data":{"course":{"name":5}}}"#) else { panic!() };
        assert_eq!(e.path.as_deref(), Some("course.name"), "{e}");
        let Err(Error::Decode(e)) = split::<Data>("op", 200, b"<html>") else { panic!() };
        assert!(e.malformed);
    }
}
