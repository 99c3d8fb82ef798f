//! OAuth2 with Canvas, on top of the `oauth2` crate.
//!
//! [`OAuth`] makes the authorization URL (scopes as one space-separated `scope` parameter, a
//! random `state`, a PKCE S256 challenge), checks the `state` Canvas sends back, exchanges the
//! code, and refreshes tokens. Canvas does not return a new refresh token on refresh, so the
//! old one is kept. A [`Client`](crate::Client) built with
//! [`ClientBuilder::oauth`](crate::ClientBuilder::oauth) refreshes by itself a minute before
//! the access token expires, and once when Canvas answers `401` with `WWW-Authenticate`;
//! concurrent requests that need a refresh share one, and share its failure too. A
//! [`TokenStore`] sees every new token so an application can persist it.
//!
//! The token endpoint must be `https` (plain `http` only on a loopback address, and only
//! when asked for), token requests never follow redirects (one would carry the client secret
//! along), and their responses are read within a small limit and the client's timeouts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use crate::transport::{read_limited, HttpSettings, Overflow, TOKEN_RESPONSE_LIMIT};
use crate::{Error, Result};

type CanvasOAuthClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// How errors name a token request.
const TOKEN_REQUEST: &str = "POST /login/oauth2/token";

/// Refresh this long before the access token expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Access and refresh tokens, with the access token's expiry.
#[derive(Clone)]
pub struct TokenSet {
    /// The bearer token.
    pub access_token: SecretString,
    /// The refresh token (kept across refreshes: Canvas does not send a new one).
    pub refresh_token: Option<SecretString>,
    /// When the access token expires (Canvas: one hour after issue).
    pub expires_at: Option<SystemTime>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl TokenSet {
    /// Tokens from their parts (for example, loaded from storage).
    pub fn new(access_token: impl Into<String>, refresh_token: Option<String>, expires_at: Option<SystemTime>) -> Self {
        TokenSet {
            access_token: SecretString::from(access_token.into()),
            refresh_token: refresh_token.map(SecretString::from),
            expires_at,
        }
    }

    fn expires_soon(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now.checked_add(REFRESH_MARGIN).unwrap_or(now))
    }
}

/// Where an application keeps tokens: called with every new token set (after a code
/// exchange or a refresh).
pub trait TokenStore: Send + Sync {
    /// Persists `tokens`.
    fn save(&self, tokens: &TokenSet);
}

/// What kind of OAuth2 failure an [`OAuthError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthErrorKind {
    /// Canvas refused the code or refresh token (`invalid_grant`): expired, used or revoked.
    /// The user must sign in again.
    InvalidGrant,
    /// Canvas refused the request for another reason (its OAuth2 error code says which:
    /// `invalid_client`, `unauthorized_client`, ...): usually the developer key's settings.
    Rejected,
    /// The token endpoint could not be reached or did not answer in time, or answered a
    /// `5xx`/`429`: try again later.
    Transport,
    /// The token endpoint answered something that is not an OAuth2 token response.
    InvalidResponse,
    /// The access token expired and there is no refresh token (or it was refused before).
    NoRefreshToken,
    /// The `state` Canvas sent back is not the one this authorization started with: the
    /// redirect did not come from this sign-in (possible cross-site request forgery).
    StateMismatch,
    /// The session logged out; it has no tokens any more.
    LoggedOut,
}

/// An OAuth2 failure: its kind, Canvas's OAuth2 error code when it sent one, and a message
/// (which never holds a token or secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    kind: OAuthErrorKind,
    code: Option<String>,
    message: String,
}

impl OAuthError {
    fn new(kind: OAuthErrorKind, message: impl Into<String>) -> Self {
        OAuthError { kind, code: None, message: message.into() }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> OAuthErrorKind {
        self.kind
    }

    /// Canvas's OAuth2 error code (`invalid_grant`, `invalid_client`...), when it sent one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// True when only a new sign-in helps: the grant was refused, no refresh token is left,
    /// the `state` did not match, or the session logged out.
    pub fn needs_reauthentication(&self) -> bool {
        matches!(
            self.kind,
            OAuthErrorKind::InvalidGrant
                | OAuthErrorKind::NoRefreshToken
                | OAuthErrorKind::StateMismatch
                | OAuthErrorKind::LoggedOut
        )
    }

    /// True when the same request may succeed later (the token endpoint was unreachable,
    /// slow, overloaded or failing).
    pub fn is_retryable(&self) -> bool {
        self.kind == OAuthErrorKind::Transport
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OAuthError {}

impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        Error::OAuth(e)
    }
}

/// A sign-in in progress: the `state` and PKCE verifier that [`OAuth::authorize`] made,
/// needed again when Canvas redirects back. A web application keeps them in the user's
/// session between the two requests ([`state`](Self::state),
/// [`pkce_verifier`](Self::pkce_verifier), [`PendingAuthorization::new`]).
#[derive(Clone)]
pub struct PendingAuthorization {
    state: SecretString,
    pkce_verifier: Option<SecretString>,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization").finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    /// Restores a sign-in from what was kept of it (`pkce_verifier` is `None` for a sign-in
    /// started without PKCE).
    pub fn new(state: impl Into<String>, pkce_verifier: Option<String>) -> Self {
        PendingAuthorization {
            state: SecretString::from(state.into()),
            pkce_verifier: pkce_verifier.map(SecretString::from),
        }
    }

    /// The `state` sent to Canvas.
    pub fn state(&self) -> &str {
        self.state.expose_secret()
    }

    /// The PKCE code verifier whose challenge was sent to Canvas.
    pub fn pkce_verifier(&self) -> Option<&str> {
        self.pkce_verifier.as_ref().map(|v| v.expose_secret())
    }
}

/// A Canvas developer key's OAuth2 endpoints.
#[derive(Clone)]
pub struct OAuth {
    client: CanvasOAuthClient,
    http: reqwest::Client,
    settings: HttpSettings,
    store: Option<Arc<dyn TokenStore>>,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth").field("client_id", self.client.client_id()).finish_non_exhaustive()
    }
}

impl OAuth {
    /// The OAuth2 endpoints of the Canvas at `base_url` (`/login/oauth2/auth` and
    /// `/login/oauth2/token`) for a developer key. `base_url` must be `https`.
    pub fn new(base_url: &str, client_id: &str, client_secret: &str, redirect_uri: &str) -> Result<Self> {
        Self::build(base_url, client_id, client_secret, redirect_uri, false)
    }

    /// Like [`new`](Self::new), and also accepts a plain `http` base URL on a loopback
    /// address (`127.0.0.0/8`, `[::1]`, `localhost`): for tests against a local server only,
    /// since over plain http the client secret, codes and tokens travel in clear text.
    pub fn new_insecure_loopback(
        base_url: &str,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Result<Self> {
        Self::build(base_url, client_id, client_secret, redirect_uri, true)
    }

    fn build(base_url: &str, client_id: &str, client_secret: &str, redirect_uri: &str, loopback: bool) -> Result<Self> {
        let base = base_url.trim().trim_end_matches('/').trim_end_matches("/api");
        let bad = |what: &str, e: &dyn std::fmt::Display| Error::Config(format!("OAuth2 {what}: {e}"));
        let parsed = url::Url::parse(base).map_err(|e| bad("base URL", &e))?;
        if crate::client::has_userinfo(&parsed) {
            return Err(bad("base URL", &"a user name or password in the URL is refused"));
        }
        match parsed.scheme() {
            "https" => {}
            "http" if loopback && is_loopback(&parsed) => {}
            "http" if loopback => {
                return Err(bad("base URL", &"plain http is accepted only on a loopback address"));
            }
            "http" => {
                return Err(bad(
                    "base URL",
                    &"plain http would send the client secret, codes and tokens in clear text (use https)",
                ))
            }
            other => return Err(bad("base URL", &format!("unsupported scheme {other:?}"))),
        }
        // Canvas reads client_id and client_secret from the form body.
        let client = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::new(format!("{base}/login/oauth2/auth")).map_err(|e| bad("auth URL", &e))?)
            .set_token_uri(TokenUrl::new(format!("{base}/login/oauth2/token")).map_err(|e| bad("token URL", &e))?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| bad("redirect URI", &e))?);
        let settings = HttpSettings { timeout: Duration::from_secs(60), ..HttpSettings::default() };
        Ok(OAuth { client, http: settings.oauth_client()?, settings, store: None })
    }

    /// Hands every token set this `OAuth` obtains (code exchange, refresh) to `store`.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The same endpoints with a client's HTTP settings (user agent, timeouts, root
    /// certificates) and, when given, its token store.
    pub(crate) fn configured_like(
        mut self,
        settings: &HttpSettings,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Result<Self> {
        self.settings = settings.clone();
        self.http = settings.oauth_client()?;
        if store.is_some() {
            self.store = store;
        }
        Ok(self)
    }

    /// Starts a sign-in: the URL to send the user to, and what to keep until Canvas
    /// redirects back (a random `state` and a PKCE S256 verifier; a Canvas that does not
    /// check PKCE ignores the challenge). Scopes go as one space-separated `scope` parameter.
    pub fn authorize(&self, scopes: &[&str]) -> (url::Url, PendingAuthorization) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self.client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge);
        for s in scopes {
            request = request.add_scope(Scope::new((*s).to_owned()));
        }
        let (url, state) = request.url();
        let pending = PendingAuthorization {
            state: SecretString::from(state.secret().clone()),
            pkce_verifier: Some(SecretString::from(verifier.secret().clone())),
        };
        (url, pending)
    }

    /// Finishes a sign-in: checks that `returned_state` (the `state` query parameter of the
    /// redirect) is the one `pending` sent, then exchanges `code` for tokens (with the PKCE
    /// verifier) and hands them to the token store.
    pub async fn exchange_code(
        &self,
        pending: &PendingAuthorization,
        returned_state: &str,
        code: &str,
    ) -> Result<TokenSet> {
        if !constant_time_eq(pending.state().as_bytes(), returned_state.as_bytes()) {
            return Err(OAuthError::new(
                OAuthErrorKind::StateMismatch,
                "the state in Canvas's redirect is not the one this sign-in sent; the code was not exchanged",
            )
            .into());
        }
        let mut request = self.client.exchange_code(AuthorizationCode::new(code.to_owned()));
        if let Some(verifier) = pending.pkce_verifier() {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
        }
        let response = request.request_async(&TokenTransport(self)).await.map_err(|e| classify(&e))?;
        Ok(self.keep(tokens_from(&response, None)))
    }

    /// Gets a new access token; the refresh token is kept when Canvas sends none. The new
    /// tokens go to the token store.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = self
            .client
            .exchange_refresh_token(&token)
            .request_async(&TokenTransport(self))
            .await
            .map_err(|e| classify(&e))?;
        Ok(self.keep(tokens_from(&response, Some(refresh_token.clone()))))
    }

    fn keep(&self, tokens: TokenSet) -> TokenSet {
        if let Some(store) = &self.store {
            store.save(&tokens);
        }
        tokens
    }

    /// One token request, on the client's transport: no redirects, timeouts, the body read
    /// within [`TOKEN_RESPONSE_LIMIT`]. An overloaded or failing endpoint (`5xx`, `429`) is
    /// a transport failure (retryable), not a refusal.
    async fn send(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let resp = self
            .http
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| crate::error::TransportError::error(TOKEN_REQUEST, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let body = read_limited(resp, self.settings.limits.error, Overflow::Truncate, None, TOKEN_REQUEST).await?;
            let e =
                crate::HttpError::from_body(status.as_u16(), &headers, &body).of(TOKEN_REQUEST, "the token endpoint");
            return Err(Error::Http(Box::new(e)));
        }
        let body = read_limited(resp, TOKEN_RESPONSE_LIMIT, Overflow::Fail, None, TOKEN_REQUEST).await?;
        let mut out = oauth2::HttpResponse::new(body);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// The oauth2 crate's view of [`OAuth::send`]: a named type with a boxed `Send` future, not
/// a closure (a closure's borrowed future would make every request future that may refresh
/// a token lose `Send`), and private, so that no oauth2 type is part of this crate's API.
struct TokenTransport<'a>(&'a OAuth);

impl<'c> oauth2::AsyncHttpClient<'c> for TokenTransport<'_> {
    type Error = Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.0.send(request))
    }
}

/// True for `localhost` and loopback IP addresses.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Compares without stopping at the first difference, so the time taken does not tell an
/// attacker how much of a guessed `state` was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

type TokenError = RequestTokenError<Error, oauth2::StandardErrorResponse<BasicErrorResponseType>>;

/// Sorts the oauth2 crate's error into "sign in again", "try later" and the rest.
fn classify(e: &TokenError) -> Error {
    let error = match e {
        RequestTokenError::ServerResponse(response) => {
            let code = response.error().as_ref().to_owned();
            let kind = match response.error() {
                BasicErrorResponseType::InvalidGrant => OAuthErrorKind::InvalidGrant,
                _ => OAuthErrorKind::Rejected,
            };
            let mut message = format!("Canvas refused the token request: {code}");
            if let Some(description) = response.error_description() {
                message.push_str(": ");
                message.push_str(description);
            }
            OAuthError { kind, code: Some(code), message }
        }
        RequestTokenError::Request(inner) => {
            let kind = match inner {
                Error::ResponseTooLarge { .. } => OAuthErrorKind::InvalidResponse,
                _ => OAuthErrorKind::Transport,
            };
            OAuthError::new(kind, format!("the token request failed: {}", describe(inner)))
        }
        RequestTokenError::Parse(e, _) => {
            OAuthError::new(OAuthErrorKind::InvalidResponse, format!("the token response does not parse: {e}"))
        }
        RequestTokenError::Other(text) => {
            OAuthError::new(OAuthErrorKind::InvalidResponse, format!("unexpected token response: {text}"))
        }
    };
    Error::OAuth(error)
}

fn tokens_from(response: &oauth2::basic::BasicTokenResponse, old_refresh: Option<SecretString>) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(response.access_token().secret().clone()),
        refresh_token: response.refresh_token().map(|r| SecretString::from(r.secret().clone())).or(old_refresh),
        // `expires_in` is the server's number: one too large for the clock means "no known
        // expiry" rather than an overflow.
        expires_at: response.expires_in().and_then(|d| SystemTime::now().checked_add(d)),
    }
}

/// The error text with its causes (none of them holds a token: requests carry secrets only
/// in their bodies, which errors do not quote).
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The tokens of a client, refreshed as needed; shared by the client's clones.
pub(crate) struct Session {
    oauth: OAuth,
    /// `None` after logout.
    tokens: Mutex<Option<TokenSet>>,
    /// Bumped by every successful refresh: a request that saw generation `g` fail only
    /// refreshes if no one else has since, so concurrent failures cause one refresh.
    generation: AtomicU64,
    /// Bumped by every refresh attempt, successful or not, with the last failure kept: the
    /// callers that waited for a failed refresh get its error instead of trying again.
    attempts: AtomicU64,
    last_failure: Mutex<Option<Error>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl Session {
    pub(crate) fn new(oauth: OAuth, tokens: TokenSet) -> Self {
        Session {
            oauth,
            tokens: Mutex::new(Some(tokens)),
            generation: AtomicU64::new(0),
            attempts: AtomicU64::new(0),
            last_failure: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    fn logged_out() -> Error {
        OAuthError::new(OAuthErrorKind::LoggedOut, "the session logged out; sign in again").into()
    }

    /// The bearer header value and its generation, refreshing first when the token is about
    /// to expire.
    pub(crate) async fn bearer(&self) -> Result<(SecretString, u64)> {
        let (soon, generation) = {
            let tokens = self.tokens.lock().expect("token lock");
            let tokens = tokens.as_ref().ok_or_else(Self::logged_out)?;
            (
                tokens.expires_soon(SystemTime::now()) && tokens.refresh_token.is_some(),
                self.generation.load(Ordering::SeqCst),
            )
        };
        if soon {
            self.refresh_after(generation).await?;
        }
        let tokens = self.tokens.lock().expect("token lock");
        let tokens = tokens.as_ref().ok_or_else(Self::logged_out)?;
        let bearer = SecretString::from(format!("Bearer {}", tokens.access_token.expose_secret()));
        Ok((bearer, self.generation.load(Ordering::SeqCst)))
    }

    /// Refreshes unless another caller already did since `seen` was current; a caller that
    /// waited while another's refresh failed gets that failure.
    pub(crate) async fn refresh_after(&self, seen: u64) -> Result<()> {
        let attempts_before = self.attempts.load(Ordering::SeqCst);
        let _one_at_a_time = self.refreshing.lock().await;
        if self.generation.load(Ordering::SeqCst) != seen {
            return Ok(());
        }
        if self.attempts.load(Ordering::SeqCst) != attempts_before {
            if let Some(failure) = self.last_failure.lock().expect("failure lock").as_ref() {
                return Err(share(failure));
            }
        }
        let refresh_token = {
            let tokens = self.tokens.lock().expect("token lock");
            tokens.as_ref().ok_or_else(Self::logged_out)?.refresh_token.clone()
        };
        let Some(refresh_token) = refresh_token else {
            return Err(OAuthError::new(
                OAuthErrorKind::NoRefreshToken,
                "the access token expired or was revoked and there is no refresh token; sign in again",
            )
            .into());
        };
        let result = self.oauth.refresh(&refresh_token).await;
        self.attempts.fetch_add(1, Ordering::SeqCst);
        match result {
            Ok(fresh) => {
                if let Some(tokens) = self.tokens.lock().expect("token lock").as_mut() {
                    *tokens = fresh;
                }
                *self.last_failure.lock().expect("failure lock") = None;
                self.generation.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            Err(e) => {
                // A refused refresh token stays refused: forget it, so later calls fail at
                // once instead of sending it again.
                if matches!(&e, Error::OAuth(o) if o.needs_reauthentication()) {
                    if let Some(tokens) = self.tokens.lock().expect("token lock").as_mut() {
                        tokens.refresh_token = None;
                    }
                }
                *self.last_failure.lock().expect("failure lock") = Some(share(&e));
                Err(e)
            }
        }
    }

    /// Drops the tokens (after logout): later calls fail without a request.
    pub(crate) fn forget(&self) {
        *self.tokens.lock().expect("token lock") = None;
    }
}

/// A copy of a refresh failure for the callers that waited on it.
fn share(e: &Error) -> Error {
    match e {
        Error::OAuth(o) => Error::OAuth(o.clone()),
        other => OAuthError::new(OAuthErrorKind::Transport, other.to_string()).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_shows_its_client_id_never_its_secret_and_states_compare_whole() {
        let o = OAuth::new("https://canvas.test", "10000000000001", "s3cret-key", "https://app.test/cb").unwrap();
        let shown = format!("{o:?}");
        assert!(shown.contains("10000000000001") && !shown.contains("s3cret-key"), "{shown}");
        assert!(constant_time_eq(b"state", b"state"));
        assert!(!constant_time_eq(b"ab", b"ba"), "differences do not cancel out");
        assert!(!constant_time_eq(b"state", b"stat"));
    }

    #[test]
    fn a_pending_authorization_shows_neither_state_nor_verifier() {
        let p = PendingAuthorization::new("state-123", Some("verifier-456".into()));
        let shown = format!("{p:?}");
        assert_eq!(shown, "PendingAuthorization { .. }");
    }

    #[test]
    fn a_token_set_never_shows_its_tokens_when_formatted() {
        let set = TokenSet {
            access_token: SecretString::from("access-7f3a9c".to_owned()),
            refresh_token: Some(SecretString::from("refresh-2b8d1e".to_owned())),
            expires_at: None,
        };
        let shown = format!("{set:?} {set:#?}");
        assert!(!shown.contains("access-7f3a9c") && !shown.contains("refresh-2b8d1e"), "tokens leaked: {shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn plain_http_token_endpoints_are_refused_except_loopback_on_request() {
        let new = |base: &str| OAuth::new(base, "1", "s", "https://app.test/cb").map(|_| ()).map_err(|e| e.to_string());
        assert!(new("https://canvas.test").is_ok());
        assert!(new("http://canvas.test").unwrap_err().contains("clear text"));
        assert!(new("http://127.0.0.1:9").unwrap_err().contains("clear text"), "loopback needs the opt-in too");
        assert!(new("https://u:p@canvas.test").unwrap_err().contains("user name or password"));
        let loopback = |base: &str| {
            OAuth::new_insecure_loopback(base, "1", "s", "https://app.test/cb").map(|_| ()).map_err(|e| e.to_string())
        };
        assert!(loopback("http://127.0.0.1:9").is_ok());
        assert!(loopback("http://[::1]:9").is_ok());
        assert!(loopback("http://localhost:9").is_ok());
        assert!(loopback("http://canvas.test").unwrap_err().contains("only on a loopback address"));
        assert!(loopback("http://10.0.0.1").unwrap_err().contains("only on a loopback address"));
    }

    #[test]
    fn state_comparison_is_exact() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn a_far_future_expiry_is_no_known_expiry_not_a_panic() {
        let t = TokenSet::new("a", None, Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u32::MAX as u64 * 64)));
        assert!(!t.expires_soon(SystemTime::now()));
        let json = r#"{"access_token":"a","token_type":"Bearer","expires_in":18446744073709551615}"#;
        let response: oauth2::basic::BasicTokenResponse = serde_json::from_str(json).unwrap();
        let tokens = tokens_from(&response, None);
        // Either no expiry or one far ahead, never an overflow.
        assert!(tokens.expires_at.is_none_or(|at| at > SystemTime::now() + Duration::from_secs(3600)));
    }

    #[test]
    fn token_set_debug_never_shows_tokens() {
        let t = TokenSet::new("access-secret", Some("refresh-secret".into()), None);
        let p = PendingAuthorization::new("state-secret", Some("verifier-secret".into()));
        let text = format!("{t:?} {p:?}");
        for s in ["access-secret", "refresh-secret", "state-secret", "verifier-secret"] {
            assert!(!text.contains(s), "{text}");
        }
    }
}
