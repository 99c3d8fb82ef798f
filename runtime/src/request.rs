//! One Canvas request: what every generated operation builder holds.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::pin::Pin;

use futures_core::Stream;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use url::Url;

use tracing::Instrument;

use crate::error::{excerpt, HttpError};
use crate::page::{Links, Page, ResponseMeta};
use crate::retry;
use crate::transport::{read_limited, Overflow};
use crate::{Client, Encode, Error, Json, Pairs, Result};

/// HTTP methods used by Canvas operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
}

impl Method {
    /// The method's name (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
            Method::Patch => reqwest::Method::PATCH,
        }
    }
}

/// The items of a list operation, across all its pages.
pub type ItemStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'a>>;

/// A value that fills a `{placeholder}` of an operation path: an [`Id`](crate::Id) (numeric,
/// SIS reference, `self`...), a number, or text such as a page URL or a feature name. It is
/// percent-encoded as one segment, `/` included.
pub trait PathArg {
    /// The segment before percent-encoding.
    fn segment(&self) -> Cow<'_, str>;
}

impl PathArg for crate::Id {
    fn segment(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
}

impl PathArg for str {
    fn segment(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl PathArg for String {
    fn segment(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl<T: PathArg + ?Sized> PathArg for &T {
    fn segment(&self) -> Cow<'_, str> {
        (**self).segment()
    }
}

macro_rules! path_arg_int {
    ($($t:ty),*) => {$(
        impl PathArg for $t {
            fn segment(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}
path_arg_int!(u64, i64, u32, i32);

/// Characters escaped in a path segment: everything but unreserved characters, so that an
/// SIS id such as `A/B:C` stays one segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A request being prepared: method, path, query and form parameters.
///
/// Generated builders wrap one `Request` and call [`query`](Self::query) or
/// [`form`](Self::form) from their setters; a setter called twice replaces the earlier value.
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct Request<'a> {
    client: &'a Client,
    method: Method,
    /// The path template, for logs and spans (`/v1/courses/{id}`): never holds ids.
    template: String,
    path: String,
    /// Why the path cannot be sent (a path argument that would change the route), reported
    /// when the request is sent.
    invalid_path: Option<String>,
    query: Pairs,
    body: Body,
    masquerade: Masquerade,
}

/// Whose identity a request acts under.
#[derive(Debug, Clone)]
enum Masquerade {
    /// The client's: its `as_user_id`, if it has one.
    Client,
    /// This user's, for this request only.
    User(crate::Id),
    /// The token owner's, whatever the client says (logout revokes the owner's token).
    Off,
}

#[derive(Debug, Clone)]
enum Body {
    Form(Pairs),
    Json(Json),
}

impl<'a> Request<'a> {
    /// A request for `template` (a path under `/api`, such as `/v1/courses/{id}`), with each
    /// `{...}` placeholder replaced, in order, by the percent-encoded `args`.
    pub fn new(client: &'a Client, method: Method, template: &str, args: &[&dyn PathArg]) -> Self {
        let mut path = String::with_capacity(template.len() + 16);
        let mut invalid_path = None;
        let mut rest = template;
        let mut args = args.iter();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            path.push_str(&rest[..open]);
            match args.next() {
                Some(arg) => {
                    let segment = arg.segment();
                    // `.` and `..` are not escaped by percent-encoding (`%2E%2E` is a dot
                    // segment too), and the URL parser resolves them: `DELETE
                    // /users/5/observees/..` would delete `/users/5/`. An empty segment
                    // changes the route as well. Such a value is refused, never sent.
                    if matches!(&*segment, "" | "." | "..") && invalid_path.is_none() {
                        let name = &rest[open + 1..open + close];
                        invalid_path = Some(format!(
                            "path argument {{{name}}} of {template} is {segment:?}: an empty, `.` or `..` \
                             segment would address another resource"
                        ));
                    }
                    path.extend(utf8_percent_encode(&segment, SEGMENT));
                }
                None => path.push_str(&rest[open..open + close + 1]),
            }
            rest = &rest[open + close + 1..];
        }
        path.push_str(rest);
        Request {
            client,
            method,
            template: template.to_owned(),
            path,
            invalid_path,
            query: Pairs::default(),
            body: Body::Form(Pairs::default()),
            masquerade: Masquerade::Client,
        }
    }

    /// Sets a query parameter (replacing an earlier value of the same key).
    pub fn query<T: Encode + ?Sized>(mut self, key: &str, value: &T) -> Self {
        self.query.set(key, value);
        self
    }

    /// Sets a form parameter. For `GET` it goes to the query string, elsewhere to an
    /// `application/x-www-form-urlencoded` body.
    pub fn form<T: Encode + ?Sized>(mut self, key: &str, value: &T) -> Self {
        match (&mut self.body, self.method) {
            (_, Method::Get) => self.query.set(key, value),
            (Body::Form(pairs), _) => pairs.set(key, value),
            (Body::Json(_), _) => {}
        }
        self
    }

    /// Sends `body` as JSON (`Content-Type: application/json`) instead of form parameters.
    pub fn json_body(mut self, body: Json) -> Self {
        self.body = Body::Json(body);
        self
    }

    /// Acts as another user for this request only (`as_user_id`; it replaces the client's,
    /// and rides on every request this one leads to: next pages, upload confirmation).
    pub fn as_user_id(mut self, user: impl Into<crate::Id>) -> Self {
        self.masquerade = Masquerade::User(user.into());
        self
    }

    /// A new request on the same client acting as the same user (an upload's confirmation).
    pub(crate) fn follow_up(&self, method: Method, template: &str) -> Request<'a> {
        let mut req = Request::new(self.client, method, template, &[]);
        req.masquerade = self.masquerade.clone();
        req
    }

    /// Sends as the token's owner, whatever the client's `as_user_id`.
    pub(crate) fn without_masquerade(mut self) -> Self {
        self.masquerade = Masquerade::Off;
        self
    }

    /// The user this request acts as, if any.
    fn acting_as(&self) -> Option<&crate::Id> {
        match &self.masquerade {
            Masquerade::Client => self.client.as_user_id(),
            Masquerade::User(id) => Some(id),
            Masquerade::Off => None,
        }
    }

    pub(crate) fn client(&self) -> &'a Client {
        self.client
    }

    pub(crate) fn method(&self) -> Method {
        self.method
    }

    pub(crate) fn full_url(&self) -> Result<Url> {
        self.url()
    }

    /// The path after the API root, with ids encoded (`/v1/courses/sis_course_id%3AX`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Query parameters set so far.
    pub fn query_pairs(&self) -> &Pairs {
        &self.query
    }

    /// Form parameters set so far (empty when the body is JSON).
    pub fn form_pairs(&self) -> &Pairs {
        static EMPTY: Pairs = Pairs::new();
        match &self.body {
            Body::Form(p) => p,
            Body::Json(_) => &EMPTY,
        }
    }

    /// Sends the request and decodes the JSON body as `T`.
    pub async fn send<T: DeserializeOwned>(self) -> Result<T> {
        let resp = self.execute_first().await?;
        decode(&resp)
    }

    /// Sends the request and returns the body as untyped JSON (`null` for an empty body):
    /// for operations whose result the Canvas description leaves open.
    pub async fn send_json(self) -> Result<Json> {
        let resp = self.execute_first().await?;
        if strip_while1(&resp.body).iter().all(u8::is_ascii_whitespace) {
            return Ok(Json::Null);
        }
        decode(&resp)
    }

    /// Sends a list request (with the client's `per_page`) and returns its first page, with
    /// the links to the others.
    pub async fn send_page<T: DeserializeOwned>(self) -> Result<Page<T>> {
        let first = self.into_cursor().next_page().await;
        first.unwrap_or_else(|| Err(Error::Config("a list request produced no page".into())))
    }

    /// Streams the pages of a list operation, following `rel="next"`. Stops after the last
    /// page, or after the first error (retries already done).
    pub fn pages<T: DeserializeOwned + Send + 'a>(self) -> PageStream<'a, T> {
        Box::pin(futures_util::stream::unfold(self.into_cursor(), |mut cursor| async move {
            cursor.next_page().await.map(|page| (page, cursor))
        }))
    }

    /// Streams every item of a list operation, following `Link: rel="next"` page by page.
    /// Only one page is held in memory at a time. The stream is boxed, so it is `Unpin`
    /// (`while let Some(x) = s.try_next().await?` works as is) and `Send`.
    pub fn stream<T: DeserializeOwned + Send + 'a>(self) -> ItemStream<'a, T> {
        let state = (self.into_cursor(), VecDeque::<T>::new());
        Box::pin(futures_util::stream::unfold(state, |(mut cursor, mut items)| async move {
            loop {
                if let Some(item) = items.pop_front() {
                    return Some((Ok(item), (cursor, items)));
                }
                match cursor.next_page::<T>().await? {
                    Ok(page) => items = page.items.into(),
                    Err(e) => return Some((Err(e), (cursor, items))),
                }
            }
        }))
    }

    fn into_cursor(mut self) -> Cursor<'a> {
        if let Some(n) = self.client.per_page() {
            if !self.query.contains_key("per_page") {
                self.query.push("per_page", n.to_string());
            }
        }
        let first = self.url();
        Cursor { next: Some(first), request: self, seen: Default::default() }
    }

    async fn execute_first(&self) -> Result<RawResponse> {
        execute(self, self.url()?).await
    }

    fn url(&self) -> Result<Url> {
        if let Some(why) = &self.invalid_path {
            return Err(Error::InvalidArgument(why.clone()));
        }
        let mut url = Url::parse(&format!("{}{}", self.client.api_root(), self.path))
            .map_err(|e| Error::Config(format!("bad request URL: {e}")))?;
        if !self.query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in self.query.as_slice() {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// `url` with this request's `as_user_id` when it has none: every request of a
    /// masquerading client acts as the same user, whoever wrote the URL (a next link, an
    /// upload confirmation, a Progress).
    pub(crate) fn masqueraded(&self, url: &Url) -> Url {
        let mut url = url.clone();
        if let Some(id) = self.acting_as() {
            if !url.query_pairs().any(|(k, _)| k == "as_user_id") {
                url.query_pairs_mut().append_pair("as_user_id", id.as_str());
            }
        }
        url
    }
}

/// The pages of a list operation.
pub type PageStream<'a, T> = Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send + 'a>>;

/// Walks the pages of a list: the first URL, then each `next` link (same origin only).
struct Cursor<'a> {
    request: Request<'a>,
    next: Option<Result<Url>>,
    /// The pages read so far: a `next` link back to one of them is a loop.
    seen: std::collections::HashSet<String>,
}

impl Cursor<'_> {
    /// The next page, `None` after the last one or after an error.
    async fn next_page<T: DeserializeOwned>(&mut self) -> Option<Result<Page<T>>> {
        let url = match self.next.take()? {
            Ok(url) => url,
            Err(e) => return Some(Err(e)),
        };
        if let Err(e) = self.request.client.check_url(&url) {
            return Some(Err(e));
        }
        if !self.request.client.is_same_origin(&url) {
            return Some(Err(Error::ForeignOrigin(crate::client::redacted(&url))));
        }
        if !self.seen.insert(url.as_str().to_owned()) {
            return Some(Err(Error::PaginationLoop(url.to_string())));
        }
        let page = match execute(&self.request, url.clone()).await.and_then(page_of::<T>) {
            Ok(page) => page,
            Err(e) => return Some(Err(e)),
        };
        // Links may be relative (RFC 8288): resolved against the page that carried them.
        self.next = page.links.next.as_deref().map(|n| {
            url.join(n).map_err(|e| Error::UnsafeUrl {
                url: n.to_owned(),
                reason: format!("a next link that is not a URL: {e}"),
            })
        });
        Some(Ok(page))
    }
}

/// A response read to the end.
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    pub attempts: u32,
    /// With OAuth2: the token generation the request was sent with.
    pub auth_generation: Option<u64>,
}

/// [`execute`] at an absolute URL of the Canvas origin (upload confirmations).
pub(crate) async fn execute_at(req: &Request<'_>, url: Url) -> Result<RawResponse> {
    execute(req, url).await
}

/// Decodes a body (after `while(1);`) as `T`.
pub(crate) fn decode_body<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    decode_slice(status, strip_while1(body))
}

/// Runs one request against Canvas with the client's retry policy; non-success statuses
/// become [`Error::Http`]. Not generic, so its code exists once however many operations
/// call it.
async fn execute(req: &Request<'_>, url: Url) -> Result<RawResponse> {
    let client = req.client;
    let policy = client.retry_policy();
    let mut attempt = 0;
    let mut refreshed = false;
    loop {
        attempt += 1;
        let span = tracing::debug_span!(
            "canvas_request",
            method = req.method.as_str(),
            path = req.template.as_str(),
            attempt,
            status = tracing::field::Empty,
            cost = tracing::field::Empty,
        );
        let result = {
            let _slot = client.slot().await;
            attempt_once(req, &url, attempt).instrument(span.clone()).await
        };
        // An expired or revoked OAuth2 token: refresh once (shared with concurrent requests)
        // and send again; this is not a retry of the policy.
        if let (Ok(resp), Some(session), false) = (&result, client.session(), refreshed) {
            if resp.status == 401 && resp.headers.contains_key(reqwest::header::WWW_AUTHENTICATE) {
                if let Some(generation) = resp.auth_generation {
                    session.refresh_after(generation).await?;
                    refreshed = true;
                    attempt -= 1;
                    continue;
                }
            }
        }
        let wait = match &result {
            Ok(resp) => {
                let meta = ResponseMeta::from_headers(resp.status, &resp.headers, attempt);
                span.record("status", resp.status);
                if let Some(cost) = meta.request_cost {
                    span.record("cost", cost);
                }
                client.note_rate_limit(meta.rate_limit_remaining);
                if retry::is_throttled(resp.status, &resp.body) {
                    let after = resp.headers.get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok());
                    Some(policy.retry_after(after).unwrap_or_else(|| policy.backoff(attempt)))
                } else if resp.status >= 500 && retry::is_idempotent(req.method) {
                    Some(policy.backoff(attempt))
                } else {
                    None
                }
            }
            // A connection that was never opened never reached Canvas: safe for any method.
            Err(Error::Transport(e)) if e.is_connect() || retry::is_idempotent(req.method) => {
                Some(policy.backoff(attempt))
            }
            Err(_) => None,
        };
        match wait {
            Some(wait) if attempt < policy.max_attempts => {
                tracing::debug!(parent: &span, ?wait, "retrying");
                tokio::time::sleep(wait).await;
            }
            _ => {
                let resp = result?;
                if !(200..300).contains(&resp.status) {
                    return Err(Error::Http(Box::new(HttpError::from_body(resp.status, &resp.headers, &resp.body))));
                }
                return Ok(resp);
            }
        }
    }
}

/// One HTTP exchange, any status. The token goes only to the Canvas origin, and with it the
/// request's `as_user_id`; bodies are read within the client's limits.
async fn attempt_once(req: &Request<'_>, url: &Url, attempt: u32) -> Result<RawResponse> {
    let client = req.client;
    let mut auth_generation = None;
    let same_origin = client.is_same_origin(url);
    let url = if same_origin { req.masqueraded(url) } else { url.clone() };
    let mut builder = client.http().request(req.method.to_reqwest(), url);
    if same_origin {
        if let Some((bearer, generation)) = client.auth().await? {
            builder = builder.header(reqwest::header::AUTHORIZATION, bearer);
            auth_generation = generation;
        }
    }
    match &req.body {
        Body::Form(pairs) if req.method != Method::Get && !pairs.is_empty() => {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(pairs.to_urlencoded());
        }
        Body::Json(json) if req.method != Method::Get => {
            builder = builder.header(reqwest::header::CONTENT_TYPE, "application/json").body(json.to_string());
        }
        _ => {}
    }
    let resp = builder.send().await.map_err(Error::Transport)?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    if resp.status().is_redirection() {
        // Redirects within the Canvas origin were followed up to the cap; this one leads
        // elsewhere, or the cap was reached.
        let location = headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        return Err(match resp.url().join(location) {
            Ok(target) if client.is_same_origin(&target) => Error::TooManyRedirects(crate::client::redacted(&target)),
            Ok(target) => Error::ForeignOrigin(crate::client::redacted(&target)),
            Err(_) => Error::ForeignOrigin(location.to_owned()),
        });
    }
    let limits = client.limits();
    let body = if (200..300).contains(&status) {
        read_limited(resp, limits.response, Overflow::Fail, None).await?
    } else {
        read_limited(resp, limits.error, Overflow::Truncate, None).await?
    };
    Ok(RawResponse { status, headers, body, attempts: attempt, auth_generation })
}

fn decode<T: DeserializeOwned>(resp: &RawResponse) -> Result<T> {
    decode_slice(resp.status, strip_while1(&resp.body))
}

fn decode_slice<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Decode {
        status,
        expected: std::any::type_name::<T>(),
        message: e.to_string(),
        excerpt: excerpt(&String::from_utf8_lossy(body)),
    })
}

/// A page from a list response: a JSON array, or an object holding one array (a wrapped
/// list such as `{"quiz_statistics": [..]}`, or body pagination with `meta.pagination`).
pub(crate) fn page_of<T: DeserializeOwned>(resp: RawResponse) -> Result<Page<T>> {
    let mut links = Links::from_headers(&resp.headers);
    let meta = ResponseMeta::from_headers(resp.status, &resp.headers, resp.attempts);
    let body = strip_while1(&resp.body);
    let items = if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        let mut object: serde_json::Map<String, Json> = decode_slice(resp.status, body)?;
        if let Some(pagination) = object.get("meta").and_then(|m| m.get("pagination")) {
            links.fill_from_meta(pagination);
        }
        let arrays: Vec<&String> =
            object.iter().filter(|(k, v)| v.is_array() && *k != "meta").map(|(k, _)| k).collect();
        let [key] = arrays.as_slice() else {
            return Err(Error::Decode {
                status: resp.status,
                expected: std::any::type_name::<Vec<T>>(),
                message: format!(
                    "a list response must be an array or an object with one array, found keys {:?}",
                    object.keys().collect::<Vec<_>>()
                ),
                excerpt: excerpt(&String::from_utf8_lossy(body)),
            });
        };
        let key = (*key).clone();
        let list = object.remove(&key).unwrap_or_default();
        serde_json::from_value(list).map_err(|e| Error::Decode {
            status: resp.status,
            expected: std::any::type_name::<Vec<T>>(),
            message: format!("in `{key}`: {e}"),
            excerpt: excerpt(&String::from_utf8_lossy(body)),
        })?
    } else {
        decode_slice(resp.status, body)?
    };
    Ok(Page { items, links, meta })
}

/// Canvas may prefix JSON with `while(1);` to defeat JSON hijacking.
pub(crate) fn strip_while1(body: &[u8]) -> &[u8] {
    let trimmed = body.trim_ascii_start();
    trimmed.strip_prefix(b"while(1);").unwrap_or(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Id;

    #[test]
    fn path_ids_are_percent_encoded_as_one_segment() {
        let c = Client::builder("https://canvas.test").build().unwrap();
        let id = Id::sis_course_id("A/B é");
        let r = Request::new(&c, Method::Get, "/v1/courses/{id}/users/{user_id}", &[&id, &5]);
        assert_eq!(r.path(), "/v1/courses/sis_course_id%3AA%2FB%20%C3%A9/users/5");
    }

    #[test]
    fn dot_and_empty_path_segments_are_refused_not_resolved() {
        let c = Client::builder("https://canvas.test").build().unwrap();
        for bad in ["..", ".", ""] {
            let r = Request::new(&c, Method::Delete, "/v1/users/{user_id}/observees/{observee_id}", &[&5, &bad]);
            let err = r.url().unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
            assert!(err.to_string().contains("{observee_id}"), "{err}");
        }
        // Dots inside a segment, or with other characters, stay one segment.
        for fine in ["...", "a..b", "../x", "%2e%2e"] {
            let r = Request::new(&c, Method::Get, "/v1/pages/{url}", &[&fine]);
            let url = r.url().unwrap();
            assert_eq!(url.path_segments().unwrap().count(), 4, "{fine} -> {url}");
        }
    }

    #[test]
    fn while1_prefix_is_stripped() {
        assert_eq!(strip_while1(b"while(1);[1]"), b"[1]");
        assert_eq!(strip_while1(b"[1]"), b"[1]");
    }
}
