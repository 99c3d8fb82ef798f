//! The one error type of the client.

use std::collections::BTreeMap;
use std::fmt;

use crate::transport::{read_limited, Activity, BodyLimits, Overflow};

/// Everything a Canvas call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client was configured wrongly (bad base URL, plain `http` without opting in...).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// Canvas (or a proxy in front of it) answered with a non-success status.
    #[error("{0}")]
    Http(Box<HttpError>),
    /// The request did not complete: connection refused or reset, timeout, TLS failure
    /// ([`TransportError::kind`] says which; `Display` names the cause and the attempts).
    #[error("{0}")]
    Transport(Box<TransportError>),
    /// The response arrived but its body is not what the operation returns: `Display` names
    /// the operation, the expected type, the field path and a short excerpt.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// OAuth2 failed: the code exchange or a refresh was refused or could not be sent, or no
    /// refresh token is left. [`OAuthError::needs_reauthentication`](crate::OAuthError::needs_reauthentication)
    /// tells "log in again" from [`OAuthError::is_retryable`](crate::OAuthError::is_retryable)
    /// "try again later".
    #[error("OAuth2: {0}")]
    OAuth(crate::oauth::OAuthError),
    /// A local file could not be read (uploads).
    #[error("reading the file to upload: {0}")]
    Io(String),
    /// A long-running job (a Canvas `Progress`) ended in `failed`.
    #[error("the Canvas job failed: {message}")]
    JobFailed {
        /// Canvas's message, when it gave one.
        message: String,
        /// The final Progress object.
        progress: serde_json::Value,
    },
    /// A long-running job did not finish within the wait's timeout.
    #[error("the Canvas job did not finish within {waited:?}")]
    JobTimeout {
        /// How long the wait lasted.
        waited: std::time::Duration,
        /// The last Progress object seen.
        progress: serde_json::Value,
    },
    /// A pagination link or redirect pointed to another origin; the client refused to follow
    /// it so that the token never leaves the Canvas host.
    #[error("refused to follow a link to another origin: {0}")]
    ForeignOrigin(String),
    /// A list's `next` link led back to a page already read in this listing; following it
    /// would never end.
    #[error("pagination loops: the next link repeats a page already read ({0})")]
    PaginationLoop(String),
    /// Redirects within the Canvas origin went on for 10 requests (a loop).
    #[error("too many redirects: 10 requests within the Canvas origin, the last to {0}")]
    TooManyRedirects(String),
    /// A URL from a server or the caller was refused before anything was sent to it: it
    /// carries a user name or password, has a scheme other than `https` (or `http` where the
    /// client allows it), or is not where Canvas's protocol says it may point.
    #[error("refused URL {url:?}: {reason}")]
    UnsafeUrl {
        /// The URL (without any user name or password).
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A value the caller supplied cannot be sent as it is (a path argument that is empty,
    /// `.` or `..` would address another Canvas resource).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A response body was larger than the client's limit; reading stopped there.
    #[error("the response from {url} is larger than the limit of {limit} bytes")]
    ResponseTooLarge {
        /// Where the response came from.
        url: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// A server stayed silent too long, or an upload ran past its total timeout.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The client logged out: its token was revoked, and it sends no more requests.
    #[error("this client has logged out (its token was revoked)")]
    LoggedOut,
    /// A GraphQL operation was answered (HTTP 200) with `errors`: their messages, paths and
    /// locations, and the partial data the server sent beside them.
    #[cfg(feature = "graphql")]
    #[error("{0}")]
    Graphql(Box<crate::graphql::GraphqlErrors>),
}

impl Error {
    /// The HTTP error details, when Canvas answered with an error status.
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            Error::Http(e) => Some(e),
            _ => None,
        }
    }

    /// Records how often and for how long the request was tried (after the executor's last
    /// attempt), for errors that say so.
    pub(crate) fn after_attempts(mut self, attempts: u32, elapsed: std::time::Duration) -> Self {
        match &mut self {
            Error::Http(e) => {
                e.attempts = attempts;
                e.elapsed = elapsed;
            }
            Error::Transport(e) => {
                e.attempts = attempts;
                e.elapsed = elapsed;
            }
            Error::Decode(e) => {
                e.attempts = attempts;
                e.elapsed = elapsed;
            }
            Error::Timeout(text) if attempts > 1 => {
                text.push_str(&format!(" (after {attempts} attempts over {:.1} s)", elapsed.as_secs_f64()));
            }
            _ => {}
        }
        self
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            _ => None,
        }
    }
}

/// What kind of transport failure a [`TransportError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// Nothing listened at the address (`connection refused`).
    Refused,
    /// The connection was reset or closed before the response was complete.
    Reset,
    /// A connect, read or total timeout ran out.
    Timeout,
    /// The TLS handshake failed (an untrusted or invalid certificate, most often).
    Tls,
    /// The host name did not resolve.
    Dns,
    /// Anything else the HTTP stack reported.
    Other,
}

impl TransportKind {
    fn describe(self) -> &'static str {
        match self {
            TransportKind::Refused => "connection refused",
            TransportKind::Reset => "connection reset or closed before the response was complete",
            TransportKind::Timeout => "timed out",
            TransportKind::Tls => "TLS handshake failed",
            TransportKind::Dns => "host name not resolved",
            TransportKind::Other => "request failed",
        }
    }
}

/// A request that did not complete, with what it was, why, and how often it was tried.
#[derive(Debug)]
pub struct TransportError {
    operation: String,
    kind: TransportKind,
    attempts: u32,
    elapsed: std::time::Duration,
    source: reqwest::Error,
}

impl TransportError {
    /// The [`Error`] for a failure of `operation` (`GET /api/v1/courses/{id}`, `upload step 2: ..`).
    pub(crate) fn error(operation: impl Into<String>, source: reqwest::Error) -> Error {
        let kind = classify_transport(&source);
        Error::Transport(Box::new(TransportError {
            operation: operation.into(),
            kind,
            attempts: 1,
            elapsed: std::time::Duration::ZERO,
            source,
        }))
    }

    /// Adds to what the operation says (a note on why it was not retried).
    pub(crate) fn note(&mut self, text: &str) {
        self.operation.push_str(text);
    }

    /// Why the request did not complete.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// How many times the request was sent.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The operation (`GET /api/v1/courses/{id}`).
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// True when no connection could be opened (the request never reached the server).
    pub fn is_connect(&self) -> bool {
        self.source.is_connect()
    }

    /// True when a timeout ran out.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportKind::Timeout
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.kind.describe())?;
        write_attempts(f, self.attempts, self.elapsed)?;
        // The causes, innermost last: reqwest's own text names neither `refused` nor `reset`.
        let mut source: Option<&dyn std::error::Error> = Some(&self.source);
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

fn write_attempts(f: &mut fmt::Formatter<'_>, attempts: u32, elapsed: std::time::Duration) -> fmt::Result {
    if attempts > 1 {
        write!(f, " (after {attempts} attempts over {:.1} s)", elapsed.as_secs_f64())?;
    }
    Ok(())
}

/// Reads the cause of a reqwest failure from its chain of sources.
fn classify_transport(e: &reqwest::Error) -> TransportKind {
    use std::io::ErrorKind;
    if e.is_timeout() {
        return TransportKind::Timeout;
    }
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut text = String::new();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => return TransportKind::Refused,
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => return TransportKind::Reset,
                ErrorKind::TimedOut => return TransportKind::Timeout,
                _ => {}
            }
        }
        text.push_str(&s.to_string().to_ascii_lowercase());
        text.push(' ');
        source = s.source();
    }
    if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        TransportKind::Tls
    } else if text.contains("dns") || text.contains("failed to lookup") || text.contains("resolve") {
        TransportKind::Dns
    } else if e.is_body() || e.is_decode() || text.contains("connection closed") || text.contains("incomplete") {
        TransportKind::Reset
    } else {
        TransportKind::Other
    }
}

/// A response body that is not what the operation returns.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation (`GET /api/v1/courses/{id}`).
    pub operation: String,
    /// HTTP status of the response.
    pub status: u16,
    /// What was expected, in Rust terms without module paths (`Vec<Course>`).
    pub expected: String,
    /// Where in the body decoding failed (`[3].term.start_at`), when known.
    pub path: Option<String>,
    /// What the JSON decoder said.
    pub message: String,
    /// At most 200 characters of the body around where decoding failed.
    pub excerpt: String,
    /// The body is not complete JSON (cut short or malformed), rather than JSON of another
    /// shape: a fault of the transfer, retried for idempotent requests.
    pub malformed: bool,
    /// How many times the request was sent (more than 1 when a malformed body was retried).
    pub attempts: u32,
    /// From the first attempt to the last answer.
    pub elapsed: std::time::Duration,
}

impl DecodeError {
    /// A decode error of `body` with serde_json's error `e` (its line and column locate the
    /// field path and the excerpt).
    pub(crate) fn from_json(operation: &str, status: u16, expected: &str, body: &[u8], e: &serde_json::Error) -> Error {
        use serde_json::error::Category;
        let offset = (e.line() > 0).then(|| crate::decode::offset_of(body, e.line(), e.column()));
        let path = offset.map(|at| crate::decode::json_path_at(body, at)).filter(|p| !p.is_empty());
        // serde_json's message ends with " at line 1 column 57": the path says it better.
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) if e.line() > 0 => message[..i].to_owned(),
            _ => message,
        };
        Error::Decode(Box::new(DecodeError {
            operation: operation.to_owned(),
            status,
            expected: short_type_name(expected),
            path,
            message,
            excerpt: excerpt_around(body, offset.unwrap_or(0)),
            malformed: matches!(e.classify(), Category::Eof | Category::Syntax),
            attempts: 1,
            elapsed: std::time::Duration::ZERO,
        }))
    }

    /// A decode error with a message of the client's own (a shape rule that failed).
    pub(crate) fn shape(operation: &str, status: u16, expected: &str, message: String, body: &[u8]) -> Error {
        Error::Decode(Box::new(DecodeError {
            operation: operation.to_owned(),
            status,
            expected: short_type_name(expected),
            path: None,
            message,
            excerpt: excerpt_around(body, 0),
            malformed: false,
            attempts: 1,
            elapsed: std::time::Duration::ZERO,
        }))
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: could not decode the response ({}) as {}", self.operation, self.status, self.expected)?;
        if let Some(path) = &self.path {
            write!(f, " at `{path}`")?;
        }
        write!(f, ": {}", self.message)?;
        write_attempts(f, self.attempts, self.elapsed)?;
        if !self.excerpt.is_empty() {
            write!(f, "; body near: {:?}", self.excerpt)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// `alloc::vec::Vec<canvas_lms::models::Course>` → `Vec<Course>`.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut word = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(""));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or(""));
    out
}

/// At most 200 characters of `body` from about 100 bytes before byte `at` (from the start
/// when `at` is 0). Reads only a window, however large the body.
fn excerpt_around(body: &[u8], at: usize) -> String {
    let at = at.min(body.len());
    let start = at.saturating_sub(100);
    let window = &body[start..body.len().min(start + 800)];
    String::from_utf8_lossy(window).chars().take(200).collect()
}

/// One message of a Canvas error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanvasMessage {
    /// The field the message is about, for validation errors.
    pub field: Option<String>,
    /// The text.
    pub message: String,
}

/// A non-success response, with everything Canvas said about it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpError {
    /// HTTP status code.
    pub status: u16,
    /// Messages parsed from the body, whatever its shape
    /// (`{"errors":[{"message":..}]}`, `{"errors":{"field":[..]}}`, `{"errors":"text"}`,
    /// `{"message":..}`).
    pub messages: Vec<CanvasMessage>,
    /// `error_report_id`, when Canvas filed an error report.
    pub error_report_id: Option<String>,
    /// True on `401` with `WWW-Authenticate`: the token is invalid or expired. A `401`
    /// without it means the token is fine but not permitted to do this.
    pub token_rejected: bool,
    /// `X-Request-Cost` of the failed request.
    pub request_cost: Option<f64>,
    /// `X-Rate-Limit-Remaining` after the failed request.
    pub rate_limit_remaining: Option<f64>,
    /// The first bytes of the body (HTML from a proxy, plain text...).
    pub body_excerpt: String,
    /// The operation (`GET /api/v1/courses/{id}`), or the step of an upload.
    pub operation: String,
    /// How many times the request was sent (more than 1 after retries).
    pub attempts: u32,
    /// From the first attempt to the final answer.
    pub elapsed: std::time::Duration,
    /// Who answered: `Canvas`, `the upload host`, `the token endpoint`.
    pub answered_by: &'static str,
}

impl HttpError {
    /// True when Canvas throttled the request (`429`, or `403` saying `Rate Limit Exceeded`).
    pub fn is_throttled(&self) -> bool {
        crate::retry::is_throttled(self.status, self.body_excerpt.as_bytes())
    }

    /// Messages about one field (validation errors).
    pub fn field_messages(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for m in &self.messages {
            if let Some(f) = &m.field {
                out.entry(f.as_str()).or_default().push(&m.message);
            }
        }
        out
    }

    pub(crate) fn from_body(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Self {
        let meta = crate::page::ResponseMeta::from_headers(status, headers, 1);
        let text = String::from_utf8_lossy(crate::decode::strip_while1(body));
        let mut messages = Vec::new();
        let mut error_report_id = None;
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
            collect_messages(&json, &mut messages);
            error_report_id = json.get("error_report_id").and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        }
        HttpError {
            status,
            messages,
            error_report_id,
            token_rejected: status == 401 && headers.contains_key(reqwest::header::WWW_AUTHENTICATE),
            request_cost: meta.request_cost,
            rate_limit_remaining: meta.rate_limit_remaining,
            body_excerpt: excerpt(&text),
            operation: String::new(),
            attempts: 1,
            elapsed: std::time::Duration::ZERO,
            answered_by: "Canvas",
        }
    }

    /// The same error, said of `operation` answered by `answered_by`.
    pub(crate) fn of(mut self, operation: impl Into<String>, answered_by: &'static str) -> Self {
        self.operation = operation.into();
        self.answered_by = answered_by;
        self
    }
}

fn collect_messages(json: &serde_json::Value, out: &mut Vec<CanvasMessage>) {
    use serde_json::Value;
    let msg = |field: Option<&str>, v: &Value| -> Option<CanvasMessage> {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Object(o) => o.get("message").and_then(Value::as_str)?.to_owned(),
            _ => return None,
        };
        Some(CanvasMessage { field: field.map(str::to_owned), message: text })
    };
    match json.get("errors") {
        Some(Value::Array(items)) => out.extend(items.iter().filter_map(|v| msg(None, v))),
        Some(Value::Object(fields)) => {
            for (field, v) in fields {
                match v {
                    Value::Array(items) => out.extend(items.iter().filter_map(|v| msg(Some(field), v))),
                    other => out.extend(msg(Some(field), other)),
                }
            }
        }
        Some(v @ Value::String(_)) => out.extend(msg(None, v)),
        _ => {}
    }
    if out.is_empty() {
        if let Some(v @ Value::String(_)) = json.get("message") {
            out.extend(msg(None, v));
        }
    }
}

/// Reads a response outside the retrying executor (upload hosts): its status and body
/// (within `limits`), or [`Error::Http`] for a non-success status, said of `operation`
/// answered by `answered_by`.
pub(crate) async fn read_success(
    resp: reqwest::Response,
    limits: BodyLimits,
    activity: Option<&Activity>,
    operation: &str,
    answered_by: &'static str,
) -> Result<(u16, Vec<u8>), Error> {
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    if !(200..300).contains(&status) {
        let body = read_limited(resp, limits.error, Overflow::Truncate, activity, operation).await?;
        let e = HttpError::from_body(status, &headers, &body).of(operation, answered_by);
        return Err(Error::Http(Box::new(e)));
    }
    let body = read_limited(resp, limits.response, Overflow::Fail, activity, operation).await?;
    Ok((status, body))
}

/// At most 512 bytes of a body, cut at a character boundary.
pub(crate) fn excerpt(text: &str) -> String {
    let mut end = text.len().min(512);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.operation.is_empty() {
            write!(f, "{}: ", self.operation)?;
        }
        write!(f, "{} answered {}", self.answered_by, self.status)?;
        write_attempts(f, self.attempts, self.elapsed)?;
        if self.token_rejected {
            f.write_str(" (the access token is invalid or expired)")?;
        }
        if self.messages.is_empty() {
            write!(f, ": {:?}", self.body_excerpt)?;
        }
        for (i, m) in self.messages.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            if let Some(field) = &m.field {
                write!(f, "{field}: ")?;
            }
            f.write_str(&m.message)?;
        }
        if let Some(id) = &self.error_report_id {
            write!(f, " (error report {id})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_listed_in_order_and_report_ids_and_excerpts_are_kept() {
        let two = parse(400, r#"{"errors": [{"message": "first"}, {"message": "second"}], "error_report_id": "abc"}"#);
        assert_eq!(two.error_report_id.as_deref(), Some("abc"));
        let said = two.to_string();
        assert!(said.ends_with("Canvas answered 400: first; second (error report abc)"), "{said}");
        // 511 ASCII bytes, then a two-byte character across the 512-byte limit.
        let text = format!("{}é{}", "a".repeat(511), "b".repeat(100));
        assert_eq!(excerpt(&text), "a".repeat(511), "cut before the character, not inside it");
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn a_timeout_says_how_often_it_was_tried_and_status_is_that_of_the_response() {
        let once = Error::Timeout("GET /x: timed out".into()).after_attempts(1, std::time::Duration::from_secs(2));
        assert_eq!(once.to_string().matches("attempts").count(), 0, "{once}");
        let thrice = Error::Timeout("GET /x: timed out".into()).after_attempts(3, std::time::Duration::from_secs(2));
        assert!(thrice.to_string().ends_with("(after 3 attempts over 2.0 s)"), "{thrice}");
        let http = Error::Http(Box::new(parse(404, "{}")));
        assert_eq!(http.status(), Some(404));
        let decode = DecodeError::shape("op", 201, "Course", "no".into(), b"[]");
        assert_eq!(decode.status(), Some(201));
        assert_eq!(Error::LoggedOut.status(), None);
    }

    fn parse(status: u16, body: &str) -> HttpError {
        HttpError::from_body(status, &Default::default(), body.as_bytes())
    }

    #[test]
    fn every_canvas_error_shape_yields_messages() {
        let a = parse(404, r#"{"errors":[{"message":"The specified resource does not exist."}],"error_report_id":12}"#);
        assert_eq!(a.messages[0].message, "The specified resource does not exist.");
        assert_eq!(a.error_report_id.as_deref(), Some("12"));
        let b = parse(400, r#"{"errors":{"name":[{"attribute":"name","type":"blank","message":"blank"}]}}"#);
        assert_eq!(b.field_messages()["name"], vec!["blank"]);
        let c = parse(401, r#"{"errors":"Invalid access token."}"#);
        assert_eq!(c.messages[0].message, "Invalid access token.");
        let d = parse(500, r#"{"message":"boom"}"#);
        assert_eq!(d.messages[0].message, "boom");
        let e = parse(502, "<html>Bad gateway</html>");
        assert!(e.messages.is_empty());
        assert_eq!(e.body_excerpt, "<html>Bad gateway</html>");
        assert!(parse(403, "403 Forbidden (Rate Limit Exceeded)").is_throttled());
    }
}
