//! The Canvas client and its builder.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::retry::RetryPolicy;
use crate::{Error, Id, Method, PathArg, Request, Result};

/// A connection to one Canvas instance. Cheap to clone; clones share the connection pool.
///
/// The access token is kept as a secret: it is sent only as `Authorization: Bearer` to the
/// Canvas origin and never appears in `Debug` output.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    http: reqwest::Client,
    /// For file uploads: no redirects followed (step 3 decides where to confirm) and no
    /// total timeout (a large file takes as long as it takes; the connect timeout applies).
    upload_http: reqwest::Client,
    /// `https://host[:port]/api`, without a trailing slash.
    api_root: String,
    origin: url::Origin,
    token: Option<SecretString>,
    /// OAuth2 tokens, refreshed as needed (instead of `token`).
    session: Option<Arc<crate::oauth::Session>>,
    as_user_id: Option<Id>,
    per_page: Option<u32>,
    retry: RetryPolicy,
    /// Bounds the requests in flight, when asked for: parallel requests cost Canvas quota.
    limiter: Option<Arc<tokio::sync::Semaphore>>,
    /// Last `X-Rate-Limit-Remaining` seen (f64 bits; NaN = none yet), shared by clones.
    rate_limit_remaining: Arc<AtomicU64>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_root", &self.inner.api_root)
            .field("token", &self.inner.token.as_ref().map(|_| "[redacted]"))
            .field("as_user_id", &self.inner.as_user_id)
            .finish()
    }
}

impl Client {
    /// Starts building a client for the Canvas instance at `base_url`
    /// (`https://canvas.example.edu`; a trailing `/api` is accepted too).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder<Client> {
        ClientBuilder::new(base_url)
    }

    /// `https://host/api`: the root every operation path is appended to.
    pub fn api_root(&self) -> &str {
        &self.inner.api_root
    }

    /// A `GET` request for `template` (a path under `/api` with `{..}` placeholders filled,
    /// in order, from `args`). Generated operations start here; so can hand-written calls
    /// to endpoints the description lacks.
    pub fn get<'a>(&'a self, template: &str, args: &[&dyn PathArg]) -> Request<'a> {
        Request::new(self, Method::Get, template, args)
    }

    /// A `POST` request; see [`get`](Self::get).
    pub fn post<'a>(&'a self, template: &str, args: &[&dyn PathArg]) -> Request<'a> {
        Request::new(self, Method::Post, template, args)
    }

    /// A `PUT` request; see [`get`](Self::get).
    pub fn put<'a>(&'a self, template: &str, args: &[&dyn PathArg]) -> Request<'a> {
        Request::new(self, Method::Put, template, args)
    }

    /// A `DELETE` request; see [`get`](Self::get).
    pub fn delete<'a>(&'a self, template: &str, args: &[&dyn PathArg]) -> Request<'a> {
        Request::new(self, Method::Delete, template, args)
    }

    /// A `PATCH` request; see [`get`](Self::get).
    pub fn patch<'a>(&'a self, template: &str, args: &[&dyn PathArg]) -> Request<'a> {
        Request::new(self, Method::Patch, template, args)
    }

    /// A client that acts as another user (`as_user_id` on every request; the token needs
    /// the masquerade permission). Cheap: it shares the connection pool and the limits.
    pub fn as_user(&self, user: impl Into<Id>) -> Client {
        let mut inner = (*self.inner).clone();
        inner.as_user_id = Some(user.into());
        Client { inner: Arc::new(inner) }
    }

    /// The `X-Rate-Limit-Remaining` of the latest response that had one: how much of the
    /// throttling quota is left (Canvas sends it only when throttling applies).
    pub fn rate_limit_remaining(&self) -> Option<f64> {
        let v = f64::from_bits(self.inner.rate_limit_remaining.load(Ordering::Relaxed));
        (!v.is_nan()).then_some(v)
    }

    pub(crate) fn note_rate_limit(&self, remaining: Option<f64>) {
        if let Some(v) = remaining {
            self.inner.rate_limit_remaining.store(v.to_bits(), Ordering::Relaxed);
        }
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Waits for a slot when the client limits concurrent requests.
    pub(crate) async fn slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        match &self.inner.limiter {
            Some(sem) => sem.acquire().await.ok(),
            None => None,
        }
    }

    pub(crate) fn upload_http(&self) -> &reqwest::Client {
        &self.inner.upload_http
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn is_same_origin(&self, url: &Url) -> bool {
        url.origin() == self.inner.origin
    }

    /// The `Authorization` value for the next request and, with OAuth2, the token
    /// generation it belongs to (refreshing first when the token is about to expire).
    pub(crate) async fn auth(&self) -> Result<Option<(String, Option<u64>)>> {
        if let Some(session) = &self.inner.session {
            let (bearer, generation) = session.bearer().await?;
            return Ok(Some((bearer, Some(generation))));
        }
        Ok(self.inner.token.as_ref().map(|t| (format!("Bearer {}", t.expose_secret()), None)))
    }

    pub(crate) fn session(&self) -> Option<&crate::oauth::Session> {
        self.inner.session.as_deref()
    }

    /// Logs out: `DELETE /login/oauth2/token` revokes the access token (with OAuth2, the
    /// refresh token too).
    pub async fn logout(&self) -> Result<()> {
        let mut url = Url::parse(&self.inner.api_root).map_err(|e| Error::Config(e.to_string()))?;
        url.set_path(&format!("{}/login/oauth2/token", url.path().trim_end_matches("/api")));
        let mut req = self.http().delete(url);
        if let Some((bearer, _)) = self.auth().await? {
            req = req.header(reqwest::header::AUTHORIZATION, bearer);
        }
        let resp = req.send().await.map_err(Error::Transport)?;
        crate::error::read_success(resp).await.map(|_| ())
    }

    pub(crate) fn as_user_id(&self) -> Option<&Id> {
        self.inner.as_user_id.as_ref()
    }

    pub(crate) fn per_page(&self) -> Option<u32> {
        self.inner.per_page
    }
}

/// Configures a [`Client`]. `C` is the client type produced by [`build`](Self::build): the
/// runtime's own [`Client`], or the generated crate's wrapper around it.
#[must_use]
pub struct ClientBuilder<C = Client> {
    base_url: String,
    token: Option<SecretString>,
    allow_http: bool,
    user_agent: String,
    timeout: Duration,
    connect_timeout: Duration,
    as_user_id: Option<Id>,
    per_page: Option<u32>,
    string_ids: bool,
    retry: RetryPolicy,
    max_concurrent: Option<usize>,
    oauth: Option<(crate::oauth::OAuth, crate::oauth::TokenSet)>,
    token_store: Option<Arc<dyn crate::oauth::TokenStore>>,
    _out: PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// A builder with Canvas-friendly defaults: 30 s connect timeout, 300 s total timeout,
    /// `per_page=100` on list calls, numeric ids.
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            token: None,
            allow_http: false,
            user_agent: concat!("canvas-lms-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(30),
            as_user_id: None,
            per_page: Some(100),
            string_ids: false,
            retry: RetryPolicy::default(),
            max_concurrent: None,
            oauth: None,
            token_store: None,
            _out: PhantomData,
        }
    }

    /// The access token (a personal token or an OAuth2 access token).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// Accepts a plain `http://` base URL. Only for local test servers: over plain HTTP the
    /// token crosses the network in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Total time allowed for one HTTP exchange.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Acts as another user on every request (`as_user_id`; needs the masquerade permission).
    pub fn as_user_id(mut self, user: impl Into<Id>) -> Self {
        self.as_user_id = Some(user.into());
        self
    }

    /// `per_page` sent on list calls (default 100; Canvas's own default is 10).
    /// `None` sends nothing and leaves Canvas's default.
    pub fn per_page(mut self, n: Option<u32>) -> Self {
        self.per_page = n;
        self
    }

    /// Asks Canvas to send ids as strings (`Accept: application/json+canvas-string-ids`).
    /// [`Id`] decodes both forms, so models are unaffected.
    pub fn string_ids(mut self, on: bool) -> Self {
        self.string_ids = on;
        self
    }

    /// How throttled and failed requests are retried (default: 5 attempts, backoff from
    /// 500 ms to 30 s with jitter, `Retry-After` honoured up to 120 s).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// At most `n` requests in flight at once for this client and its clones. Canvas charges
    /// parallel requests extra quota, so a small number avoids throttling on bulk jobs.
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.max_concurrent = Some(n.max(1));
        self
    }

    /// Authenticates with OAuth2 tokens instead of a fixed token: the client refreshes the
    /// access token a minute before it expires and once on a `401` with `WWW-Authenticate`,
    /// one refresh for all concurrent requests.
    pub fn oauth(mut self, oauth: crate::oauth::OAuth, tokens: crate::oauth::TokenSet) -> Self {
        self.oauth = Some((oauth, tokens));
        self
    }

    /// Receives every refreshed token set, so the application can persist it.
    pub fn token_store(mut self, store: Arc<dyn crate::oauth::TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Checks the configuration and creates the client.
    pub fn build(self) -> Result<C> {
        let raw = self.base_url.trim().trim_end_matches('/');
        let mut url = Url::parse(raw).map_err(|e| Error::Config(format!("base URL {raw:?}: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => {
                return Err(Error::Config(format!(
                    "base URL {raw:?} is plain http: the token would cross the network in clear text \
                     (use https, or allow_insecure_http(true) for a local test server)"
                )))
            }
            other => return Err(Error::Config(format!("base URL {raw:?}: unsupported scheme {other:?}"))),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Config(format!("base URL {raw:?} must not have a query or fragment")));
        }
        let path = url.path().trim_end_matches('/').trim_end_matches("/api").to_owned();
        url.set_path(&format!("{path}/api"));
        let origin = url.origin();
        let mut headers = reqwest::header::HeaderMap::new();
        let accept = if self.string_ids { "application/json+canvas-string-ids" } else { "application/json" };
        headers.insert(reqwest::header::ACCEPT, reqwest::header::HeaderValue::from_static(accept));
        let policy_origin = origin.clone();
        let user_agent = self.user_agent;
        let http = reqwest::Client::builder()
            .user_agent(user_agent.clone())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .default_headers(headers)
            // Follow redirects only within the Canvas origin: a redirect elsewhere is returned
            // as is and reported as `Error::ForeignOrigin`, so the token never travels there.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.url().origin() != policy_origin || attempt.previous().len() >= 10 {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        let upload_http = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        let api_root = url.as_str().trim_end_matches('/').to_owned();
        Ok(C::from(Client {
            inner: Arc::new(Inner {
                http,
                upload_http,
                api_root,
                origin,
                token: self.token,
                session: self
                    .oauth
                    .map(|(oauth, tokens)| Arc::new(crate::oauth::Session::new(oauth, tokens, self.token_store))),
                as_user_id: self.as_user_id,
                per_page: self.per_page,
                retry: self.retry,
                limiter: self.max_concurrent.map(|n| Arc::new(tokio::sync::Semaphore::new(n))),
                rate_limit_remaining: Arc::new(AtomicU64::new(f64::NAN.to_bits())),
            }),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_unless_allowed() {
        let err = Client::builder("http://canvas.test").build().unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");
        let ok = Client::builder("http://127.0.0.1:9/").allow_insecure_http(true).build().unwrap();
        assert_eq!(ok.api_root(), "http://127.0.0.1:9/api");
    }

    #[test]
    fn api_suffix_is_accepted_and_token_redacted() {
        let c = Client::builder("https://canvas.test/api/").token("secret-token").build().unwrap();
        assert_eq!(c.api_root(), "https://canvas.test/api");
        assert!(!format!("{c:?}").contains("secret-token"));
    }
}
