//! OAuth2 with Canvas, on top of the `oauth2` crate.
//!
//! [`OAuth`] makes the authorization URL (scopes as one space-separated `scope` parameter,
//! with a `state`), exchanges the code, and refreshes tokens. Canvas does not return a new
//! refresh token on refresh, so the old one is kept. A [`Client`](crate::Client) built with
//! [`ClientBuilder::oauth`](crate::ClientBuilder::oauth) refreshes by itself a minute before
//! the access token expires, and once when Canvas answers `401` with `WWW-Authenticate`;
//! concurrent requests that need a refresh share one. A [`TokenStore`] sees every new token
//! so an application can persist it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, RedirectUrl,
    RefreshToken, Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Result};

type CanvasOAuthClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

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
        self.expires_at.is_some_and(|at| at <= now + REFRESH_MARGIN)
    }
}

/// Where an application keeps tokens: called with every new token set (after a code
/// exchange done through a client, or a refresh).
pub trait TokenStore: Send + Sync {
    /// Persists `tokens`.
    fn save(&self, tokens: &TokenSet);
}

/// A Canvas developer key's OAuth2 endpoints.
#[derive(Clone)]
pub struct OAuth {
    client: CanvasOAuthClient,
    http: reqwest::Client,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth").field("client_id", self.client.client_id()).finish_non_exhaustive()
    }
}

impl OAuth {
    /// The OAuth2 endpoints of the Canvas at `base_url` (`/login/oauth2/auth` and
    /// `/login/oauth2/token`) for a developer key.
    pub fn new(base_url: &str, client_id: &str, client_secret: &str, redirect_uri: &str) -> Result<Self> {
        let base = base_url.trim_end_matches('/').trim_end_matches("/api");
        let bad = |what: &str, e: &dyn std::fmt::Display| Error::Config(format!("OAuth2 {what}: {e}"));
        // Canvas reads client_id and client_secret from the form body.
        let client = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::new(format!("{base}/login/oauth2/auth")).map_err(|e| bad("auth URL", &e))?)
            .set_token_uri(TokenUrl::new(format!("{base}/login/oauth2/token")).map_err(|e| bad("token URL", &e))?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| bad("redirect URI", &e))?);
        // Token endpoints must not redirect: a redirect would carry the client secret along.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| bad("HTTP client", &e))?;
        Ok(OAuth { client, http })
    }

    /// The URL to send the user to, and the `state` to check when Canvas redirects back.
    /// Scopes go as one space-separated `scope` parameter.
    pub fn authorize_url(&self, scopes: &[&str]) -> (url::Url, String) {
        let mut request = self.client.authorize_url(CsrfToken::new_random);
        for s in scopes {
            request = request.add_scope(Scope::new((*s).to_owned()));
        }
        let (url, state) = request.url();
        (url, state.secret().clone())
    }

    /// Exchanges the `code` Canvas sent to the redirect URI for tokens.
    pub async fn exchange_code(&self, code: &str) -> Result<TokenSet> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| Error::OAuth(describe(&e)))?;
        Ok(tokens_from(&response, None))
    }

    /// Gets a new access token; the refresh token is kept when Canvas sends none.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = self
            .client
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await
            .map_err(|e| Error::OAuth(describe(&e)))?;
        Ok(tokens_from(&response, Some(refresh_token.clone())))
    }
}

fn tokens_from(response: &oauth2::basic::BasicTokenResponse, old_refresh: Option<SecretString>) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(response.access_token().secret().clone()),
        refresh_token: response.refresh_token().map(|r| SecretString::from(r.secret().clone())).or(old_refresh),
        expires_at: response.expires_in().map(|d| SystemTime::now() + d),
    }
}

/// The error text without secrets (the oauth2 crate's errors carry no tokens).
fn describe<E: std::error::Error>(e: &E) -> String {
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
    tokens: Mutex<TokenSet>,
    /// Bumped by every refresh: a request that saw generation `g` fail only refreshes if no
    /// one else has since, so concurrent failures cause one refresh.
    generation: AtomicU64,
    refreshing: tokio::sync::Mutex<()>,
    store: Option<Arc<dyn TokenStore>>,
}

impl Session {
    pub(crate) fn new(oauth: OAuth, tokens: TokenSet, store: Option<Arc<dyn TokenStore>>) -> Self {
        Session {
            oauth,
            tokens: Mutex::new(tokens),
            generation: AtomicU64::new(0),
            refreshing: tokio::sync::Mutex::new(()),
            store,
        }
    }

    /// The bearer header value and its generation, refreshing first when the token is about
    /// to expire.
    pub(crate) async fn bearer(&self) -> Result<(String, u64)> {
        let (soon, generation) = {
            let tokens = self.tokens.lock().expect("token lock");
            (
                tokens.expires_soon(SystemTime::now()) && tokens.refresh_token.is_some(),
                self.generation.load(Ordering::SeqCst),
            )
        };
        if soon {
            self.refresh_after(generation).await?;
        }
        let tokens = self.tokens.lock().expect("token lock");
        Ok((format!("Bearer {}", tokens.access_token.expose_secret()), self.generation.load(Ordering::SeqCst)))
    }

    /// Refreshes unless another caller already did since `seen` was current.
    pub(crate) async fn refresh_after(&self, seen: u64) -> Result<()> {
        let _one_at_a_time = self.refreshing.lock().await;
        if self.generation.load(Ordering::SeqCst) != seen {
            return Ok(());
        }
        let refresh_token = self.tokens.lock().expect("token lock").refresh_token.clone();
        let Some(refresh_token) = refresh_token else {
            return Err(Error::OAuth("the access token expired and there is no refresh token".into()));
        };
        let fresh = self.oauth.refresh(&refresh_token).await?;
        if let Some(store) = &self.store {
            store.save(&fresh);
        }
        *self.tokens.lock().expect("token lock") = fresh;
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}
