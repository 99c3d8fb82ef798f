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
    /// The request did not complete: connection refused or reset, timeout, TLS failure.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// The response arrived but its body is not what the operation returns.
    #[error("could not decode the response of {status} as {expected}: {message}; body starts with: {excerpt:?}")]
    Decode {
        /// HTTP status of the response.
        status: u16,
        /// The Rust type that was expected.
        expected: &'static str,
        /// What the JSON decoder said, with line and column.
        message: String,
        /// The first bytes of the body.
        excerpt: String,
    },
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
    /// Redirects within the Canvas origin went on past 10 hops (a loop).
    #[error("too many redirects: more than 10 within the Canvas origin, the last to {0}")]
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
}

impl Error {
    /// The HTTP error details, when Canvas answered with an error status.
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            Error::Http(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }
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
}

impl HttpError {
    /// True when Canvas throttled the request (`429`, or `403` saying `Rate Limit Exceeded`).
    pub fn is_throttled(&self) -> bool {
        self.status == 429 || (self.status == 403 && self.body_excerpt.contains("Rate Limit Exceeded"))
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
        let text = String::from_utf8_lossy(crate::request::strip_while1(body));
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
        }
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
/// (within `limits`), or [`Error::Http`] for a non-success status.
pub(crate) async fn read_success(
    resp: reqwest::Response,
    limits: BodyLimits,
    activity: Option<&Activity>,
) -> Result<(u16, Vec<u8>), Error> {
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    if !(200..300).contains(&status) {
        let body = read_limited(resp, limits.error, Overflow::Truncate, activity).await?;
        return Err(Error::Http(Box::new(HttpError::from_body(status, &headers, &body))));
    }
    let body = read_limited(resp, limits.response, Overflow::Fail, activity).await?;
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
        write!(f, "Canvas answered {}", self.status)?;
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
