//! The Canvas client and its builder.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::retry::RetryPolicy;
use crate::transport::{BodyLimits, HttpSettings};
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
    /// True when the base URL is plain `http` (allowed only by `allow_insecure_http`).
    insecure: bool,
    settings: HttpSettings,
    token: Option<SecretString>,
    /// Set by [`Client::logout`], shared by clones: a revoked token is never sent again.
    logged_out: Arc<AtomicBool>,
    /// OAuth2 tokens, refreshed as needed (instead of `token`).
    session: Option<Arc<crate::oauth::Session>>,
    as_user_id: Option<Id>,
    per_page: Option<u32>,
    retry: RetryPolicy,
    /// How many requests may be in flight: as Canvas's quota allows, within the caller's
    /// bound. Shared by clones (the quota is the token's).
    pacer: Arc<crate::pacing::Pacer>,
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

    /// Canvas's GraphQL API (`POST /api/graphql`) through this client: its token, pacing,
    /// retries and tracing.
    #[cfg(feature = "graphql")]
    pub fn graphql(&self) -> crate::graphql::Graphql<'_> {
        crate::graphql::Graphql::new(self)
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

    /// A request for an action in a [`Context`](crate::Context): `template` holds the placeholder
    /// `{context}` (`/v1/{context}/blackout_dates`), which becomes the context's segments
    /// (`courses/7`, `global`); the other placeholders are filled from `args` as in
    /// [`get`](Self::get).
    pub fn request_in<'a>(
        &'a self,
        method: Method,
        template: &str,
        context: &dyn crate::Context,
        args: &[&dyn PathArg],
    ) -> Request<'a> {
        let (template, args) = crate::context::fill(template, context, args);
        Request::new(self, method, &template, &args)
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

    pub(crate) fn pacer(&self) -> &crate::pacing::Pacer {
        &self.inner.pacer
    }

    pub(crate) fn upload_http(&self) -> &reqwest::Client {
        &self.inner.upload_http
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn settings(&self) -> &HttpSettings {
        &self.inner.settings
    }

    pub(crate) fn limits(&self) -> BodyLimits {
        self.inner.settings.limits
    }

    /// True when `url` is on the Canvas origin: same scheme, host and port, an `http(s)`
    /// scheme (a `blob:` or `data:` URL wrapping the origin is not it), and no user name or
    /// password (which would add credentials of the server's choosing).
    pub(crate) fn is_same_origin(&self, url: &Url) -> bool {
        matches!(url.scheme(), "https" | "http") && !has_userinfo(url) && url.origin() == self.inner.origin
    }

    /// Checks a URL the client is about to send anything to (a pagination link, an upload
    /// host, a redirect target): `https`, or `http` only when the client itself was allowed
    /// plain http; and no user name or password.
    pub(crate) fn check_url(&self, url: &Url) -> Result<()> {
        let refuse = |reason: &str| Err(Error::UnsafeUrl { url: redacted(url), reason: reason.to_owned() });
        if has_userinfo(url) {
            return refuse("URLs with a user name or password are refused");
        }
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.inner.insecure => Ok(()),
            "http" => refuse("plain http from an https client would send data in clear text"),
            _ => refuse("only http(s) URLs are followed"),
        }
    }

    /// The `Authorization` value for the next request (marked sensitive, so HTTP libraries
    /// never log it) and, with OAuth2, the token generation it belongs to (refreshing first
    /// when the token is about to expire).
    pub(crate) async fn auth(&self) -> Result<Option<(reqwest::header::HeaderValue, Option<u64>)>> {
        if self.inner.logged_out.load(Ordering::SeqCst) {
            return Err(Error::LoggedOut);
        }
        let (bearer, generation) = match &self.inner.session {
            Some(session) => {
                let (bearer, generation) = session.bearer().await?;
                (bearer, Some(generation))
            }
            None => match &self.inner.token {
                Some(t) => (SecretString::from(format!("Bearer {}", t.expose_secret())), None),
                None => return Ok(None),
            },
        };
        let mut value = reqwest::header::HeaderValue::from_str(bearer.expose_secret())
            .map_err(|_| Error::Config("the access token has characters a header cannot carry".into()))?;
        value.set_sensitive(true);
        Ok(Some((value, generation)))
    }

    pub(crate) fn session(&self) -> Option<&crate::oauth::Session> {
        self.inner.session.as_deref()
    }

    /// Logs out: `DELETE /login/oauth2/token` revokes the access token (with OAuth2, Canvas
    /// drops the refresh token too), and this client and its clones forget their tokens:
    /// every later call fails with [`Error::LoggedOut`] without sending anything.
    ///
    /// A masquerading client ([`as_user`](Self::as_user)) revokes its own token, which belongs
    /// to the real user: `as_user_id` is not sent, since the token is not the masqueraded
    /// user's to revoke.
    pub async fn logout(&self) -> Result<()> {
        let mut url = Url::parse(&self.inner.api_root).map_err(|e| Error::Config(e.to_string()))?;
        url.set_path(&format!("{}/login/oauth2/token", url.path().trim_end_matches("/api")));
        let req = Request::new(self, Method::Delete, "/login/oauth2/token", &[]).without_masquerade();
        crate::execute::execute(&req, url, &mut crate::execute::accept_any).await?;
        self.inner.logged_out.store(true, Ordering::SeqCst);
        if let Some(session) = self.session() {
            session.forget();
        }
        Ok(())
    }

    pub(crate) fn as_user_id(&self) -> Option<&Id> {
        self.inner.as_user_id.as_ref()
    }

    pub(crate) fn per_page(&self) -> Option<u32> {
        self.inner.per_page
    }
}

/// True when a URL carries a user name or password.
pub(crate) fn has_userinfo(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// A URL for messages: without any user name or password.
pub(crate) fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// Configures a [`Client`]. `C` is the client type produced by [`build`](Self::build): the
/// runtime's own [`Client`], or the generated crate's wrapper around it.
#[must_use]
pub struct ClientBuilder<C = Client> {
    base_url: String,
    token: Option<SecretString>,
    allow_http: bool,
    settings: HttpSettings,
    /// PEM or DER certificates to trust, parsed in `build` (so a bad one is a `build` error).
    root_certificates: Vec<Vec<u8>>,
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
    /// A builder with Canvas-friendly defaults: 30 s connect timeout, 120 s read (idle)
    /// timeout, 300 s total timeout per request, 64 MiB response limit, `per_page=100` on
    /// list calls, numeric ids.
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            token: None,
            allow_http: false,
            settings: HttpSettings::default(),
            root_certificates: Vec::new(),
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

    /// The `User-Agent` header (of API, upload and OAuth2 token requests alike).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.settings.user_agent = ua.into();
        self
    }

    /// Total time allowed for one HTTP exchange with Canvas (and with the OAuth2 token
    /// endpoint). Default 300 s. Uploads have their own, [`upload_timeout`](Self::upload_timeout).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.settings.timeout = t;
        self
    }

    /// Time allowed to open a connection. Default 30 s.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.settings.connect_timeout = t;
        self
    }

    /// Longest silence allowed: while waiting for a response's headers, between two chunks
    /// of its body, and during an upload between two chunks sent or received. Default 120 s.
    pub fn read_timeout(mut self, t: Duration) -> Self {
        self.settings.read_timeout = t;
        self
    }

    /// Longest time for a file upload's transfer and confirmation (steps 2 and 3); `None`
    /// for no limit but the [`read_timeout`](Self::read_timeout) on silence. Default 4 hours.
    pub fn upload_timeout(mut self, t: Option<Duration>) -> Self {
        self.settings.upload_timeout = t;
        self
    }

    /// Largest successful response body read, in bytes (default 64 MiB; a page of 100 large
    /// objects is far below). A larger one fails with [`Error::ResponseTooLarge`] as soon as
    /// it is seen to exceed the limit, without being read further.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.settings.limits.response = bytes;
        self
    }

    /// How much of an error response is kept (default 64 KiB): enough for every Canvas
    /// error shape; the rest is not read.
    pub fn max_error_body_size(mut self, bytes: usize) -> Self {
        self.settings.limits.error = bytes;
        self
    }

    /// Trusts one more root certificate (PEM or DER), for a Canvas behind a private
    /// certificate authority. Applies to API, upload and OAuth2 requests; may be called
    /// several times. A certificate that does not parse makes [`build`](Self::build) fail.
    pub fn root_certificate(mut self, pem_or_der: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem_or_der.into());
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

    /// At most `n` requests in flight at once for this client and its clones: an upper bound
    /// on the pacing. Without it the client keeps as many requests in flight as Canvas's
    /// quota allows (read from `X-Rate-Limit-Remaining`; 16 where Canvas reports no quota),
    /// so many lists or calls run at once at the sustainable rate, without throttling.
    /// `0` is read as `1` (the pacer's rule), never as "no request at all".
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.max_concurrent = Some(n);
        self
    }

    /// Authenticates with OAuth2 tokens instead of a fixed token: the client refreshes the
    /// access token a minute before it expires and once on a `401` with `WWW-Authenticate`,
    /// one refresh for all concurrent requests. Token requests use this builder's user agent,
    /// timeouts and root certificates.
    pub fn oauth(mut self, oauth: crate::oauth::OAuth, tokens: crate::oauth::TokenSet) -> Self {
        self.oauth = Some((oauth, tokens));
        self
    }

    /// Receives every refreshed token set, so the application can persist it (the same as
    /// [`OAuth::token_store`](crate::OAuth::token_store) on the OAuth given to [`oauth`](Self::oauth)).
    pub fn token_store(mut self, store: Arc<dyn crate::oauth::TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Checks the configuration and creates the client.
    pub fn build(mut self) -> Result<C> {
        let raw = self.base_url.trim().trim_end_matches('/');
        let mut url = Url::parse(raw).map_err(|e| Error::Config(format!("base URL {raw:?}: {e}")))?;
        if has_userinfo(&url) {
            return Err(Error::Config(format!(
                "base URL {:?} has a user name or password: it would be sent to Canvas beside the token \
                 and shown in errors; give credentials with token() or oauth()",
                redacted(&url)
            )));
        }
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
        for (i, bytes) in self.root_certificates.iter().enumerate() {
            let cert = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
                reqwest::Certificate::from_pem(bytes)
            } else {
                reqwest::Certificate::from_der(bytes)
            };
            // reqwest parses a certificate only when a client is built with it: build one with
            // this certificate alone, so the error names which certificate is bad.
            let cert = cert
                .and_then(|cert| reqwest::Client::builder().add_root_certificate(cert.clone()).build().map(|_| cert))
                .map_err(|e| {
                    let cause = std::error::Error::source(&e).map(|s| format!(": {s}")).unwrap_or_default();
                    Error::Config(format!("root certificate {} does not parse: {e}{cause}", i + 1))
                })?;
            self.settings.root_certificates.push(cert);
        }
        let path = url.path().trim_end_matches('/').trim_end_matches("/api").to_owned();
        url.set_path(&format!("{path}/api"));
        let origin = url.origin();
        let accept = if self.string_ids { "application/json+canvas-string-ids" } else { "application/json" };
        let http = self.settings.api_client(origin.clone(), accept)?;
        let upload_http = self.settings.upload_client()?;
        let api_root = url.as_str().trim_end_matches('/').to_owned();
        let session = match self.oauth {
            Some((oauth, tokens)) => {
                let oauth = oauth.configured_like(&self.settings, self.token_store)?;
                Some(Arc::new(crate::oauth::Session::new(oauth, tokens)))
            }
            None => None,
        };
        Ok(C::from(Client {
            inner: Arc::new(Inner {
                http,
                upload_http,
                api_root,
                origin,
                insecure: url.scheme() == "http",
                settings: self.settings,
                token: self.token,
                logged_out: Arc::new(AtomicBool::new(false)),
                session,
                as_user_id: self.as_user_id,
                per_page: self.per_page,
                retry: self.retry,
                pacer: Arc::new(crate::pacing::Pacer::new(self.max_concurrent)),
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
    fn a_base_url_with_a_query_or_a_fragment_is_refused() {
        for url in ["https://canvas.test/?x=1", "https://canvas.test/#top"] {
            let e = Client::builder(url).build().unwrap_err().to_string();
            assert!(e.contains("must not have a query or fragment"), "{url}: {e}");
        }
    }

    #[test]
    fn api_suffix_is_accepted_and_token_redacted() {
        let builder = Client::builder("https://canvas.test/api/").token("secret-token");
        let shown = format!("{builder:?}");
        assert!(shown.contains("https://canvas.test/api/") && shown.contains("[redacted]"), "{shown}");
        assert!(!shown.contains("secret-token"));
        let c = builder.build().unwrap();
        assert_eq!(c.api_root(), "https://canvas.test/api");
        let shown = format!("{c:?}");
        assert!(shown.contains("api_root: \"https://canvas.test/api\"") && shown.contains("[redacted]"), "{shown}");
        assert!(!shown.contains("secret-token"));
    }

    #[tokio::test]
    async fn the_authorization_value_is_marked_sensitive() {
        let c = Client::builder("https://canvas.test").token("t").build().unwrap();
        let (value, _) = c.auth().await.unwrap().unwrap();
        assert!(value.is_sensitive(), "HTTP libraries must not log it");
        assert_eq!(value.to_str().unwrap(), "Bearer t");
    }

    #[test]
    fn a_base_url_with_credentials_is_refused_without_echoing_them() {
        for raw in ["https://admin:hunter2@canvas.test", "https://admin@canvas.test/api"] {
            let err = Client::builder(raw).token("t").build().unwrap_err();
            let text = err.to_string();
            assert!(text.contains("user name or password"), "{text}");
            assert!(!text.contains("hunter2") && !text.contains("admin"), "{text}");
        }
    }

    #[test]
    fn only_http_urls_of_the_canvas_origin_are_the_canvas_origin() {
        let c = Client::builder("https://canvas.test").build().unwrap();
        let same = |u: &str| c.is_same_origin(&Url::parse(u).unwrap());
        assert!(same("https://canvas.test/api/v1/courses?page=2"));
        assert!(same("https://CANVAS.test:443/x"));
        assert!(!same("blob:https://canvas.test/123"), "blob: wraps the origin but is not it");
        assert!(!same("https://u:p@canvas.test/api/v1/courses"), "userinfo adds credentials");
        assert!(!same("http://canvas.test/api"));
        assert!(!same("https://canvas.test.evil/api"));
        let check = |u: &str| c.check_url(&Url::parse(u).unwrap()).map_err(|e| e.to_string());
        assert!(check("https://uploads.example/x").is_ok());
        assert!(check("http://uploads.example/x").unwrap_err().contains("plain http"));
        assert!(check("ftp://uploads.example/x").unwrap_err().contains("only http(s)"));
        let err = check("https://me:pw@uploads.example/x").unwrap_err();
        assert!(err.contains("user name or password") && !err.contains("pw"), "{err}");
        let insecure = Client::builder("http://127.0.0.1:9").allow_insecure_http(true).build().unwrap();
        assert!(insecure.check_url(&Url::parse("http://127.0.0.1:10/x").unwrap()).is_ok());
    }

    #[test]
    fn a_root_certificate_that_does_not_parse_fails_the_build() {
        let err =
            Client::builder("https://canvas.test").root_certificate(b"-----BEGIN CERTIFICATE-----\nnope\n".to_vec());
        let err = err.build().unwrap_err().to_string();
        assert!(err.contains("root certificate 1"), "{err}");
    }
}
