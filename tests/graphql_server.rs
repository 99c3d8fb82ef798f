//! A loopback Canvas GraphQL endpoint that holds every request to Canvas's real schema (the
//! copy the generated crate ships): each `POST /api/graphql` is parsed and validated with
//! apollo-compiler, its variables coerced against the operation's definitions, and the
//! operation executed over a JSON fixture, so the answer has exactly the shape the query
//! asked for, Relay connections are paged by the `first`/`after` the query sent, and field
//! errors come back as GraphQL does (HTTP 200, `errors` with paths and locations, `null` in
//! `data`). A request that does not validate is answered with its diagnostics, as Canvas
//! answers, and recorded, so a test can assert that none was sent.
//!
//! The fixture is the data of `Query` as JSON. A field with an `id` argument whose value is an
//! object holding that id as a key reads that member (`{"course": {"101": {..}}}`); a
//! connection field holds the plain list of its nodes; `{"$error": "message"}` in place of a
//! value is a field error.

use std::sync::{Arc, Mutex, OnceLock};

use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::{json, Value};

use crate::{Logged, Reply, ScriptedServer};

/// Canvas's schema, as the generated crate ships it, parsed and validated once.
pub fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../generated/schema.graphql");
        let sdl = std::fs::read_to_string(path).expect("generated/schema.graphql");
        Schema::parse_and_validate(sdl, "schema.graphql").expect("Canvas's schema validates")
    })
}

/// Validates a query document against Canvas's schema: `Err` holds the diagnostics.
pub fn validate(query: &str) -> Result<Valid<ExecutableDocument>, String> {
    ExecutableDocument::parse_and_validate(schema(), query, "query.graphql").map_err(|e| e.errors.to_string())
}

/// A request the server received, as it understood it.
#[derive(Debug, Clone)]
pub struct GraphqlRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Value,
    pub authorization: Option<String>,
    /// The diagnostics when the document did not validate against the schema.
    pub invalid: Option<String>,
}

/// What the server does with one request, before it executes it.
pub enum Plan {
    /// Execute it over the fixture.
    Execute,
    /// Answer this instead (a failure of the transport or of Canvas in front of GraphQL).
    Reply(Reply),
}

impl Plan {
    /// A plan for [`GraphqlServer::start_with`]: `reply` to the first request, then execute
    /// every one (a transient failure in front of Canvas, then Canvas).
    pub fn fail_first(reply: Reply) -> impl Fn(&GraphqlRequest, usize) -> Plan + Send + Sync + 'static {
        move |_, n| if n == 0 { Plan::Reply(reply.clone()) } else { Plan::Execute }
    }
}

/// The server: [`ScriptedServer`] with a GraphQL router.
pub struct GraphqlServer {
    pub server: ScriptedServer,
    seen: Arc<Mutex<Vec<GraphqlRequest>>>,
}

impl GraphqlServer {
    /// Serves `fixture` (the data of `Query`) at `/api/graphql`.
    pub async fn start(fixture: Value) -> Self {
        Self::start_with(fixture, |_, _| Plan::Execute).await
    }

    /// Like [`start`](Self::start), with `plan` deciding first what each request gets (it sees
    /// the request and how many came before it).
    pub async fn start_with(
        fixture: Value,
        plan: impl Fn(&GraphqlRequest, usize) -> Plan + Send + Sync + 'static,
    ) -> Self {
        let seen: Arc<Mutex<Vec<GraphqlRequest>>> = Arc::default();
        let log = seen.clone();
        let server = ScriptedServer::start(move |req: &Logged, _| {
            if req.method != "POST" || req.path() != "/api/graphql" {
                return Reply::status(404, r#"{"errors":[{"message":"The specified resource does not exist."}]}"#);
            }
            let (request, reply) = answer(req, &fixture);
            let n = {
                let mut log = log.lock().unwrap();
                log.push(request.clone());
                log.len() - 1
            };
            match plan(&request, n) {
                Plan::Execute => reply,
                Plan::Reply(r) => r,
            }
        })
        .await;
        GraphqlServer { server, seen }
    }

    /// The server's base URL (`http://127.0.0.1:<port>`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<GraphqlRequest> {
        self.seen.lock().unwrap().clone()
    }

    /// The diagnostics of every request that did not validate (empty when all did).
    pub fn invalid(&self) -> Vec<String> {
        self.requests().into_iter().filter_map(|r| r.invalid).collect()
    }
}

/// Parses, validates and executes one request.
fn answer(req: &Logged, fixture: &Value) -> (GraphqlRequest, Reply) {
    let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
    let mut request = GraphqlRequest {
        query: body["query"].as_str().unwrap_or_default().to_owned(),
        operation_name: body["operationName"].as_str().map(str::to_owned),
        variables: body.get("variables").cloned().unwrap_or(Value::Null),
        authorization: req.authorization.clone(),
        invalid: None,
    };
    let doc = match ExecutableDocument::parse_and_validate(schema(), &request.query, "query.graphql") {
        Ok(doc) => doc,
        Err(e) => {
            request.invalid = Some(e.errors.to_string());
            let errors: Vec<_> = e.errors.iter().map(|d| d.to_json()).collect();
            return (request, Reply::json(json!({ "errors": errors }).to_string()));
        }
    };
    let variables: serde_json_bytes::Map<serde_json_bytes::ByteString, serde_json_bytes::Value> =
        match serde_json_bytes::Value::from(request.variables.clone()) {
            serde_json_bytes::Value::Object(map) => map,
            _ => Default::default(),
        };
    let execution = match Execution::new(schema(), &doc).operation_name(request.operation_name.as_deref()) {
        Ok(e) => e.raw_variable_values(&variables),
        Err(e) => {
            request.invalid = Some(e.message().to_string());
            return (request, Reply::json(json!({ "errors": [e.to_graphql_error(&doc.sources)] }).to_string()));
        }
    };
    let root = Fixture { type_name: "Query".into(), value: fixture.clone() };
    let reply = match execution.execute_sync(&root) {
        Ok(response) => Reply::json(serde_json::to_string(&response).expect("a response serializes")),
        Err(e) => {
            request.invalid = Some(e.message().to_string());
            Reply::json(json!({ "errors": [e.to_graphql_error(&doc.sources)] }).to_string())
        }
    };
    (request, reply)
}

/// An object of the fixture, as the executor asks for its fields.
struct Fixture {
    type_name: String,
    value: Value,
}

impl ObjectValue for Fixture {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        let mut value = self.value.get(info.field_name()).cloned().unwrap_or(Value::Null);
        // `course(id: 101)` reads member "101" of `course` when the fixture keys it by id.
        if let Some(id) = info.arguments().get("id").and_then(|v| v.as_str()) {
            if let Some(member) = value.get(id) {
                value = member.clone();
            } else if value.is_object() && value.get("_id").is_none() {
                value = Value::Null;
            }
        }
        let ty = &info.field_definition().ty;
        let named = ty.inner_named_type().as_str();
        if named.ends_with("Connection") && value.is_array() {
            value = connection(value, info)?;
        }
        resolve(value, ty, named)
    }
}

/// A fixture value as the executor wants it for GraphQL type `ty` (named type `named`).
fn resolve<'a>(value: Value, ty: &apollo_compiler::ast::Type, named: &str) -> Result<ResolvedValue<'a>, FieldError> {
    if let Some(message) = value.get("$error").and_then(Value::as_str) {
        return Err(FieldError { message: message.to_owned() });
    }
    if value.is_null() {
        return Ok(ResolvedValue::null());
    }
    if ty.is_list() {
        let Value::Array(items) = value else {
            return Err(FieldError { message: format!("fixture: a list of {named} expected") });
        };
        let item_ty = ty.item_type().clone();
        let named = named.to_owned();
        return Ok(ResolvedValue::List(Box::new(items.into_iter().map(move |v| resolve(v, &item_ty, &named)))));
    }
    match schema().types.get(named) {
        Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
            let type_name = value.get("__typename").and_then(Value::as_str).unwrap_or(named).to_owned();
            Ok(ResolvedValue::object(Fixture { type_name, value }))
        }
        _ => Ok(ResolvedValue::leaf(serde_json_bytes::Value::from(value))),
    }
}

/// A Relay connection over a fixture list, paged by the `first` and `after` the query sent;
/// cursors are the nodes' positions, as opaque text.
fn connection(value: Value, info: &ResolveInfo<'_>) -> Result<Value, FieldError> {
    let Value::Array(nodes) = value else { unreachable!("checked by the caller") };
    let after = match info.arguments().get("after").and_then(|v| v.as_str()) {
        Some(cursor) => {
            cursor_index(cursor).ok_or_else(|| FieldError { message: format!("invalid cursor {cursor:?}") })? + 1
        }
        None => 0,
    };
    let first = info.arguments().get("first").and_then(|v| v.as_i64()).map(|n| n.max(0) as usize);
    let end = first.map_or(nodes.len(), |n| (after + n).min(nodes.len()));
    let start = after.min(end);
    let page: Vec<Value> = nodes[start..end].to_vec();
    let edges: Vec<Value> =
        page.iter().enumerate().map(|(i, node)| json!({ "cursor": cursor(start + i), "node": node })).collect();
    Ok(json!({
        "nodes": page,
        "edges": edges,
        "pageInfo": {
            "hasNextPage": end < nodes.len(),
            "hasPreviousPage": start > 0,
            "startCursor": (start < end).then(|| cursor(start)),
            "endCursor": (start < end).then(|| cursor(end - 1)),
        },
    }))
}

fn cursor(index: usize) -> String {
    format!("cursor:{index}")
}

fn cursor_index(cursor: &str) -> Option<usize> {
    cursor.strip_prefix("cursor:")?.parse().ok()
}
