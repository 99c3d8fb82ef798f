//! One Canvas request: what every generated operation builder holds. The request is built
//! here; it is sent by [`execute`](crate::execute), its pages are walked by the
//! [`cursor`](crate::cursor), and its body is decoded by [`decode`](crate::decode).

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use url::Url;

use crate::cursor::{Cursor, ItemStream, PageStream};
use crate::decode::{decode_body, decode_response, list_of};
use crate::execute::{execute_decoded, is_empty_body};
use crate::page::Page;
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
    /// The member of the response object that holds the operation's value, when Canvas
    /// wraps it (`{"quiz_submissions": [..]}`).
    unwrap_key: Option<&'static str>,
    /// Whether sending twice has the effect of once, when the method does not say it: a
    /// GraphQL query is a `POST` that only reads.
    idempotent: Option<bool>,
    /// How errors and spans name the request, when its template does not say enough
    /// (`GraphQL query CourseSubmissions`).
    label: Option<String>,
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

/// What a request sends.
#[derive(Debug)]
pub(crate) enum Body {
    /// Form parameters (`application/x-www-form-urlencoded`; the query string for `GET`).
    Form(Pairs),
    /// A JSON body.
    Json(Json),
    /// Form parameters and a file as one multipart body, the file under `field`.
    Multipart { pairs: Pairs, field: String, file: std::sync::Mutex<crate::Upload> },
}

impl<'a> Request<'a> {
    /// A generated operation's request: [`new`](Self::new), or with a `context`,
    /// [`Client::request_in`]. One function for every builder, so that each costs no code.
    #[doc(hidden)]
    pub fn start(
        client: &'a Client,
        method: Method,
        template: &str,
        context: Option<&dyn crate::Context>,
        args: &[&dyn PathArg],
    ) -> Self {
        match context {
            Some(context) => client.request_in(method, template, context, args),
            None => Request::new(client, method, template, args),
        }
    }

    /// A request for `template` (a path under `/api`, such as `/v1/courses/{id}`), with each
    /// `{...}` placeholder replaced, in order, by the percent-encoded `args`. A glob
    /// placeholder (`{*full_path}`, Rails's `*full_path`) takes a `/`-separated path whose
    /// segments are encoded one by one.
    pub fn new(client: &'a Client, method: Method, template: &str, args: &[&dyn PathArg]) -> Self {
        let mut path = String::with_capacity(template.len() + 16);
        let mut invalid_path = None;
        let mut rest = template;
        let mut args = args.iter();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            path.push_str(&rest[..open]);
            let name = &rest[open + 1..open + close];
            match args.next() {
                Some(arg) => {
                    let segment = arg.segment();
                    // A Rails glob (`{*full_path}`) takes several segments: each is encoded
                    // alone and `/` stays between them. Any other placeholder is one segment.
                    let pieces: Vec<&str> =
                        if name.starts_with('*') { segment.split('/').collect() } else { vec![&*segment] };
                    for (i, piece) in pieces.iter().enumerate() {
                        // `.` and `..` are not escaped by percent-encoding (`%2E%2E` is a dot
                        // segment too), and the URL parser resolves them: `DELETE
                        // /users/5/observees/..` would delete `/users/5/`. An empty segment
                        // changes the route as well. Such a value is refused, never sent.
                        if matches!(*piece, "" | "." | "..") && invalid_path.is_none() {
                            invalid_path = Some(format!(
                                "path argument {{{name}}} of {template} is {segment:?}: an empty, `.` or `..` \
                                 segment would address another resource"
                            ));
                        }
                        if i > 0 {
                            path.push('/');
                        }
                        path.extend(utf8_percent_encode(piece, SEGMENT));
                    }
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
            unwrap_key: None,
            idempotent: None,
            label: None,
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
            (Body::Form(pairs), _) | (Body::Multipart { pairs, .. }, _) => pairs.set(key, value),
            (Body::Json(_), _) => {}
        }
        self
    }

    /// Says that Canvas wraps this operation's value in an object, under `key`
    /// (`{"quiz_submissions": [..]}`, `{"aborted": true}`): [`send`](Self::send),
    /// [`send_list`](Self::send_list) and the page walks decode that member. A response that
    /// is not such an object is decoded whole.
    pub fn unwrap_key(mut self, key: &'static str) -> Self {
        self.unwrap_key = Some(key);
        self
    }

    /// The member of the response object that holds the value, if Canvas wraps it.
    pub(crate) fn wrapped_in(&self) -> Option<&'static str> {
        self.unwrap_key
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
            Body::Form(p) | Body::Multipart { pairs: p, .. } => p,
            Body::Json(_) => &EMPTY,
        }
    }

    /// Sends the form parameters and `file` as one multipart body, the file under `field`.
    pub(crate) fn with_file(mut self, field: &str, file: crate::Upload) -> Self {
        let pairs = match std::mem::replace(&mut self.body, Body::Form(Pairs::new())) {
            Body::Form(p) | Body::Multipart { pairs: p, .. } => p,
            Body::Json(_) => Pairs::new(),
        };
        self.body = Body::Multipart { pairs, field: field.to_owned(), file: std::sync::Mutex::new(file) };
        self
    }

    pub(crate) fn body(&self) -> &Body {
        &self.body
    }

    /// The path template (`/v1/courses/{id}`), for spans: never holds ids.
    pub(crate) fn template(&self) -> &str {
        &self.template
    }

    /// Says whether the request may be sent again after a failure that left its effect
    /// unknown, overriding what its method says.
    #[cfg_attr(not(feature = "graphql"), allow(dead_code))]
    pub(crate) fn with_idempotence(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// True when sending the request twice has the effect of once.
    pub(crate) fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or_else(|| crate::retry::is_idempotent(self.method))
    }

    /// Names the request in errors (instead of its method and path).
    #[cfg_attr(not(feature = "graphql"), allow(dead_code))]
    pub(crate) fn with_label(mut self, label: String) -> Self {
        self.label = Some(label);
        self
    }

    /// The operation as errors name it: `GET /api/v1/courses/{id}`, or its label.
    pub(crate) fn operation(&self) -> String {
        if let Some(label) = &self.label {
            return label.clone();
        }
        let prefix = if self.template.starts_with("/v1/") { "/api" } else { "" };
        format!("{} {prefix}{}", self.method.as_str(), self.template)
    }

    /// Sends the request and decodes the JSON body (or the member named by
    /// [`unwrap_key`](Self::unwrap_key)) as `T`.
    pub async fn send<T: DeserializeOwned + Send>(self) -> Result<T> {
        let url = self.url()?;
        let key = self.unwrap_key;
        execute_decoded(&self, url, |operation, resp| decode_response::<T>(operation, resp.status, &resp.body, key))
            .await
    }

    /// Sends a request that returns a list in one response (not paginated) and decodes its
    /// items: a JSON array, or an object holding the list (under
    /// [`unwrap_key`](Self::unwrap_key), or as its only array).
    pub async fn send_list<T: DeserializeOwned + Send>(self) -> Result<Vec<T>> {
        let url = self.url()?;
        let key = self.unwrap_key;
        execute_decoded(&self, url, |operation, resp| {
            list_of::<T>(operation, resp.status, &resp.body, key).map(|(items, _)| items)
        })
        .await
    }

    /// Sends the request and returns the body as untyped JSON (`null` for an empty body):
    /// for operations whose result the Canvas description leaves open.
    pub async fn send_json(self) -> Result<Json> {
        let url = self.url()?;
        execute_decoded(&self, url, |operation, resp| {
            if is_empty_body(&resp.body) {
                Ok(Json::Null)
            } else {
                decode_body(operation, resp.status, &resp.body)
            }
        })
        .await
    }

    /// Sends a list request (with the client's `per_page`) and returns its first page, with
    /// the links to the others.
    pub async fn send_page<T: DeserializeOwned + Send + 'static>(self) -> Result<Page<T>> {
        let first = self.into_cursor().first_page().await;
        first.unwrap_or_else(|| Err(Error::Config("a list request produced no page".into())))
    }

    /// Streams the pages of a list operation, in order (numbered pages several at a time,
    /// as [`stream`](Self::stream) does). Stops after the last page, or after the first error
    /// (retries already done).
    pub fn pages<T: DeserializeOwned + Send + 'static>(self) -> PageStream<'a, T> {
        self.into_cursor().pages()
    }

    /// Streams every item of a list operation, page by page. When the first page's `Link`
    /// names a numbered last page, the remaining pages are fetched several at a time (as
    /// Canvas's quota allows) and their items still come in order; otherwise `rel="next"` is
    /// followed one page at a time. A bounded number of pages is held in memory, whatever
    /// the length of the list. The stream is `Unpin` (`while let Some(x) =
    /// s.try_next().await?` works as is) and `Send`, and sends nothing until it is polled.
    pub fn stream<T: DeserializeOwned + Send + 'static>(self) -> ItemStream<'a, T> {
        self.into_cursor().items()
    }

    fn into_cursor(mut self) -> Cursor<'a> {
        if let Some(n) = self.client.per_page() {
            if !self.query.contains_key("per_page") {
                self.query.push("per_page", n.to_string());
            }
        }
        let first = self.url();
        Cursor::new(self, first)
    }

    /// The request's URL: the API root, the encoded path, the query.
    pub(crate) fn url(&self) -> Result<Url> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Id;

    #[test]
    fn a_request_shows_what_it_will_send() {
        let client = crate::Client::builder("https://canvas.test").build().unwrap();
        let name = String::from("a b/c");
        let req = client.post("/v1/users/{id}/files", &[&name]).query("q", "1").form("f", "2");
        assert_eq!(req.path(), "/v1/users/a%20b%2Fc/files", "a String argument is one escaped segment");
        assert_eq!(req.query_pairs().as_slice(), [("q".to_owned(), "1".to_owned())]);
        assert_eq!(req.form_pairs().as_slice(), [("f".to_owned(), "2".to_owned())]);
    }

    /// The values of `key` in `url`'s query.
    fn values(url: &Url, key: &str) -> Vec<String> {
        url.query_pairs().filter(|(k, _)| k == key).map(|(_, v)| v.into_owned()).collect()
    }

    #[test]
    fn per_page_is_sent_once_and_the_request_s_own_value_wins() {
        let c = Client::builder("https://canvas.test").per_page(Some(50)).build().unwrap();
        let first = |r: Request<'_>| r.into_cursor().first_url().cloned().unwrap();
        let url = first(Request::new(&c, Method::Get, "/v1/courses", &[]));
        assert_eq!(values(&url, "per_page"), ["50"], "the client's per_page: {url}");
        let url = first(Request::new(&c, Method::Get, "/v1/courses", &[]).query("per_page", "10"));
        assert_eq!(values(&url, "per_page"), ["10"], "the request's own per_page, once: {url}");
    }

    #[test]
    fn a_request_s_as_user_id_replaces_the_client_s_and_is_never_sent_twice() {
        let base = Client::builder("https://canvas.test").build().unwrap();
        let masquerading = base.as_user(5u64);
        let plain = Url::parse("https://canvas.test/api/v1/courses?page=2").unwrap();
        let r = Request::new(&masquerading, Method::Get, "/v1/courses", &[]);
        assert_eq!(values(&r.masqueraded(&plain), "as_user_id"), ["5"], "the client's user");
        let r = Request::new(&masquerading, Method::Get, "/v1/courses", &[]).as_user_id(9u64);
        assert_eq!(values(&r.masqueraded(&plain), "as_user_id"), ["9"], "the request's user replaces it");
        let already = Url::parse("https://canvas.test/api/v1/courses?page=2&as_user_id=9").unwrap();
        assert_eq!(values(&r.masqueraded(&already), "as_user_id"), ["9"], "a link that has one keeps it, once");
        let r = Request::new(&base, Method::Get, "/v1/courses", &[]);
        assert!(values(&r.masqueraded(&plain), "as_user_id").is_empty(), "no masquerading, no as_user_id");
    }

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
}
