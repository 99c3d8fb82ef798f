//! One Canvas request: what every generated operation builder holds.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::pin::Pin;

use futures_core::Stream;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{excerpt, HttpError};
use crate::page::{Links, Page};
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
    fn to_reqwest(self) -> reqwest::Method {
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
    path: String,
    query: Pairs,
    form: Pairs,
}

impl<'a> Request<'a> {
    /// A request for `template` (a path under `/api`, such as `/v1/courses/{id}`), with each
    /// `{...}` placeholder replaced, in order, by the percent-encoded `args`.
    pub fn new(client: &'a Client, method: Method, template: &str, args: &[&dyn PathArg]) -> Self {
        let mut path = String::with_capacity(template.len() + 16);
        let mut rest = template;
        let mut args = args.iter();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            path.push_str(&rest[..open]);
            match args.next() {
                Some(arg) => path.extend(utf8_percent_encode(&arg.segment(), SEGMENT)),
                None => path.push_str(&rest[open..open + close + 1]),
            }
            rest = &rest[open + close + 1..];
        }
        path.push_str(rest);
        Request { client, method, path, query: Pairs::default(), form: Pairs::default() }
    }

    /// Sets a query parameter (replacing an earlier value of the same key).
    pub fn query<T: Encode + ?Sized>(mut self, key: &str, value: &T) -> Self {
        self.query.set(key, value);
        self
    }

    /// Sets a form parameter. For `GET` it goes to the query string, elsewhere to an
    /// `application/x-www-form-urlencoded` body.
    pub fn form<T: Encode + ?Sized>(mut self, key: &str, value: &T) -> Self {
        if self.method == Method::Get {
            self.query.set(key, value);
        } else {
            self.form.set(key, value);
        }
        self
    }

    /// The path after the API root, with ids encoded (`/v1/courses/sis_course_id%3AX`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Query parameters set so far.
    pub fn query_pairs(&self) -> &Pairs {
        &self.query
    }

    /// Form parameters set so far.
    pub fn form_pairs(&self) -> &Pairs {
        &self.form
    }

    /// Sends the request and decodes the JSON body as `T`.
    pub async fn send<T: DeserializeOwned>(self) -> Result<T> {
        let client = self.client;
        let resp = execute(client, self.method, self.url()?, &self.form).await?;
        decode(&resp)
    }

    /// Sends the request and returns the body as untyped JSON (`null` for an empty body):
    /// for operations whose result the Canvas description leaves open.
    pub async fn send_json(self) -> Result<Json> {
        let client = self.client;
        let resp = execute(client, self.method, self.url()?, &self.form).await?;
        if strip_while1(&resp.body).iter().all(u8::is_ascii_whitespace) {
            return Ok(Json::Null);
        }
        decode(&resp)
    }

    /// Sends a list request (with the client's `per_page`) and returns its first page, with
    /// the links to the others.
    pub async fn send_page<T: DeserializeOwned>(mut self) -> Result<Page<T>> {
        self.add_per_page();
        let client = self.client;
        let resp = execute(client, self.method, self.url()?, &self.form).await?;
        page_of(resp)
    }

    /// Streams every item of a list operation, following `Link: rel="next"` page by page.
    /// Only one page is held in memory at a time. The stream is boxed, so it is `Unpin`
    /// (`while let Some(x) = s.try_next().await?` works as is) and `Send`.
    pub fn stream<T: DeserializeOwned + Send + 'a>(mut self) -> ItemStream<'a, T> {
        self.add_per_page();
        let client = self.client;
        let method = self.method;
        let first = self.url();
        let form = self.form;
        struct State<T> {
            next: Option<Result<Url>>,
            items: VecDeque<T>,
        }
        let state = State { next: Some(first), items: VecDeque::new() };
        Box::pin(futures_util::stream::unfold(state, move |mut st| {
            let form = form.clone();
            async move {
                loop {
                    if let Some(item) = st.items.pop_front() {
                        return Some((Ok(item), st));
                    }
                    let url = match st.next.take()? {
                        Ok(url) => url,
                        Err(e) => return Some((Err(e), st)),
                    };
                    if !client.is_same_origin(&url) {
                        return Some((Err(Error::ForeignOrigin(url.to_string())), st));
                    }
                    let page = match execute(client, method, url, &form).await.and_then(page_of::<T>) {
                        Ok(p) => p,
                        Err(e) => return Some((Err(e), st)),
                    };
                    st.next = page
                        .links
                        .next
                        .as_deref()
                        .map(|n| Url::parse(n).map_err(|e| Error::Config(format!("bad next link {n:?}: {e}"))));
                    st.items = page.items.into();
                }
            }
        }))
    }

    fn add_per_page(&mut self) {
        if let Some(n) = self.client.per_page() {
            if !self.query.contains_key("per_page") {
                self.query.push("per_page", n.to_string());
            }
        }
    }

    fn url(&self) -> Result<Url> {
        let mut url = Url::parse(&format!("{}{}", self.client.api_root(), self.path))
            .map_err(|e| Error::Config(format!("bad request URL: {e}")))?;
        let as_user = self.client.as_user_id().filter(|_| !self.query.contains_key("as_user_id"));
        if !self.query.is_empty() || as_user.is_some() {
            let mut q = url.query_pairs_mut();
            for (k, v) in self.query.as_slice() {
                q.append_pair(k, v);
            }
            if let Some(id) = as_user {
                q.append_pair("as_user_id", id.as_str());
            }
        }
        Ok(url)
    }
}

/// A response read to the end.
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Runs one exchange with Canvas; non-success statuses become [`Error::Http`].
/// Not generic, so its code exists once however many operations call it.
async fn execute(client: &Client, method: Method, url: Url, form: &Pairs) -> Result<RawResponse> {
    let mut req = client.http().request(method.to_reqwest(), url.clone());
    if client.is_same_origin(&url) {
        if let Some(bearer) = client.bearer() {
            req = req.header(reqwest::header::AUTHORIZATION, bearer);
        }
    }
    if method != Method::Get && !form.is_empty() {
        req = req.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(form.to_urlencoded());
    }
    let resp = req.send().await.map_err(Error::Transport)?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    if resp.status().is_redirection() {
        let target = headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        return Err(Error::ForeignOrigin(target.to_owned()));
    }
    let body = resp.bytes().await.map_err(Error::Transport)?.to_vec();
    if !(200..300).contains(&status) {
        return Err(Error::Http(Box::new(HttpError::from_body(status, &headers, &body))));
    }
    Ok(RawResponse { status, headers, body })
}

fn decode<T: DeserializeOwned>(resp: &RawResponse) -> Result<T> {
    let body = strip_while1(&resp.body);
    serde_json::from_slice(body).map_err(|e| Error::Decode {
        status: resp.status,
        expected: std::any::type_name::<T>(),
        message: e.to_string(),
        excerpt: excerpt(&String::from_utf8_lossy(body)),
    })
}

fn page_of<T: DeserializeOwned>(resp: RawResponse) -> Result<Page<T>> {
    let items = decode::<Vec<T>>(&resp)?;
    let links = Links::from_headers(&resp.headers);
    Ok(Page { items, links })
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
    fn while1_prefix_is_stripped() {
        assert_eq!(strip_while1(b"while(1);[1]"), b"[1]");
        assert_eq!(strip_while1(b"[1]"), b"[1]");
    }
}
