//! OAuth2 against a loopback Canvas: authorization URL (state, PKCE), the state check, code
//! exchange, refresh (keeping the refresh token Canvas does not resend), refresh before expiry,
//! one shared refresh when 8 concurrent requests meet an expired token, one shared *failure*
//! when the refresh is refused, typed refresh errors, a silent token endpoint bounded by the
//! client's timeouts, the token store, and logout forgetting the session.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::api::{Client, Error, OAuth, OAuthErrorKind, TokenSet, TokenStore};
use canvas_tests::{Logged, Reply, ScriptedServer};
use secrecy::ExposeSecret;

/// A Canvas that accepts only `Bearer <current>` and issues `token-<n>` at its token endpoint.
struct Canvas {
    server: ScriptedServer,
    refreshes: Arc<AtomicUsize>,
}

async fn canvas(initial_valid: &str) -> Canvas {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(Mutex::new(format!("Bearer {initial_valid}")));
    let (count, valid) = (refreshes.clone(), current.clone());
    let server = ScriptedServer::start(move |req: &Logged, _| {
        if req.path() == "/login/oauth2/token" && req.method == "POST" {
            if req.body.contains("grant_type=authorization_code") {
                *valid.lock().unwrap() = "Bearer token-0".into();
                return Reply::json(r#"{"access_token": "token-0", "token_type": "Bearer", "refresh_token": "refresh-1", "expires_in": 3600, "user": {"id": 42, "name": "Jane"}}"#);
            }
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            *valid.lock().unwrap() = format!("Bearer token-{n}");
            // Canvas sends no new refresh token on refresh.
            return Reply::json(format!(r#"{{"access_token": "token-{n}", "token_type": "Bearer", "expires_in": 3600}}"#));
        }
        if req.path() == "/login/oauth2/token" && req.method == "DELETE" {
            return Reply::json("{}");
        }
        if req.authorization.as_deref() == Some(valid.lock().unwrap().as_str()) {
            Reply::json(r#"{"id": 1, "name": "Course"}"#)
        } else {
            Reply::status(401, r#"{"errors": [{"message": "Invalid access token."}]}"#).header("www-authenticate", "Bearer realm=\"canvas-lms\"")
        }
    })
    .await;
    Canvas { server, refreshes }
}

fn oauth_at(uri: &str) -> OAuth {
    OAuth::new_insecure_loopback(uri, "10000000000001", "s3cret", "https://app.example.edu/callback").unwrap()
}

fn oauth(canvas: &Canvas) -> OAuth {
    oauth_at(&canvas.server.uri())
}

fn oauth_error(r: Result<impl std::fmt::Debug, Error>) -> crate::api::OAuthError {
    match r {
        Err(Error::OAuth(e)) => e,
        other => panic!("expected an OAuth2 error, got {other:?}"),
    }
}

#[tokio::test]
async fn authorization_url_sends_scopes_as_one_parameter_with_state_and_pkce() {
    let c = canvas("x").await;
    let (url, pending) = oauth(&c).authorize(&["url:GET|/api/v1/courses", "url:GET|/api/v1/users/:id"]);
    let state = pending.state().to_owned();
    assert_eq!(url.path(), "/login/oauth2/auth");
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let get = |k: &str| pairs.iter().filter(|(key, _)| key == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    assert_eq!(get("scope"), ["url:GET|/api/v1/courses url:GET|/api/v1/users/:id"]);
    assert_eq!(get("response_type"), ["code"]);
    assert_eq!(get("client_id"), ["10000000000001"]);
    assert_eq!(get("redirect_uri"), ["https://app.example.edu/callback"]);
    assert_eq!(get("state"), std::slice::from_ref(&state));
    assert!(state.len() >= 16);
    assert_eq!(get("code_challenge_method"), ["S256"]);
    let verifier = pending.pkce_verifier().unwrap();
    assert!(verifier.len() >= 43, "RFC 7636: at least 43 characters");
    assert_eq!(get("code_challenge").len(), 1);
    assert_ne!(get("code_challenge")[0], verifier, "S256 sends the hash, never the verifier");
    let (_, other) = oauth(&c).authorize(&[]);
    assert_ne!(other.state(), state, "a fresh state per sign-in");
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused_before_any_request() {
    let c = canvas("none").await;
    let o = oauth(&c);
    let (_, pending) = o.authorize(&[]);
    let e = oauth_error(o.exchange_code(&pending, "forged-state", "abc").await);
    assert_eq!(e.kind(), OAuthErrorKind::StateMismatch);
    assert!(e.needs_reauthentication());
    assert!(c.server.requests().is_empty(), "the code must not be sent: {:?}", c.server.requests());
}

#[tokio::test]
async fn code_exchange_then_refresh_keeps_the_refresh_token() {
    let c = canvas("none").await;
    let store = Arc::new(Saved::default());
    let o = oauth(&c).token_store(store.clone());
    let (_, pending) = o.authorize(&[]);
    let tokens = o.exchange_code(&pending, pending.state(), "abc").await.unwrap();
    assert_eq!(*store.0.lock().unwrap(), ["token-0"], "exchanged tokens reach the store");
    assert_eq!(tokens.access_token.expose_secret(), "token-0");
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose_secret(), "refresh-1");
    assert!(tokens.expires_at.unwrap() > SystemTime::now() + Duration::from_secs(3500));
    let exchange = &c.server.requests()[0].body;
    assert!(exchange.contains("grant_type=authorization_code") && exchange.contains("code=abc"));
    assert!(exchange.contains("client_id=10000000000001") && exchange.contains("client_secret=s3cret"));
    assert!(exchange.contains(&format!("code_verifier={}", pending.pkce_verifier().unwrap())), "{exchange}");
    let refreshed = o.refresh(tokens.refresh_token.as_ref().unwrap()).await.unwrap();
    assert_eq!(refreshed.access_token.expose_secret(), "token-1");
    assert_eq!(refreshed.refresh_token.unwrap().expose_secret(), "refresh-1", "Canvas sends none: keep the old one");
    assert!(
        c.server.requests()[1].body.contains("grant_type=refresh_token")
            && c.server.requests()[1].body.contains("refresh_token=refresh-1")
    );
}

#[derive(Default)]
struct Saved(Mutex<Vec<String>>);

impl TokenStore for Saved {
    fn save(&self, tokens: &TokenSet) {
        self.0.lock().unwrap().push(tokens.access_token.expose_secret().to_owned());
    }
}

fn client_with(c: &Canvas, tokens: TokenSet, store: Arc<Saved>) -> Client {
    Client::builder(c.server.uri())
        .allow_insecure_http(true)
        .oauth(oauth(c), tokens)
        .token_store(store)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_request() {
    let c = canvas("old").await;
    let store = Arc::new(Saved::default());
    let tokens = TokenSet::new("old", Some("refresh-1".into()), Some(SystemTime::now() + Duration::from_secs(10)));
    let client = client_with(&c, tokens, store.clone());
    client.courses().get_single_course(1).send().await.unwrap();
    let log = c.server.requests();
    assert_eq!(log.len(), 2, "refresh, then the request: {log:?}");
    assert_eq!(log[0].path(), "/login/oauth2/token");
    assert_eq!(log[1].authorization.as_deref(), Some("Bearer token-1"));
    assert_eq!(*store.0.lock().unwrap(), ["token-1"]);
}

#[tokio::test]
async fn eight_concurrent_requests_meeting_a_revoked_token_share_one_refresh() {
    // Canvas accepts only token-1, which only a refresh gives: every first try gets 401.
    let c = canvas("token-1").await;
    let store = Arc::new(Saved::default());
    let tokens =
        TokenSet::new("revoked", Some("refresh-1".into()), Some(SystemTime::now() + Duration::from_secs(3600)));
    let client = client_with(&c, tokens, store.clone());
    let calls = (0..8).map(|_| client.courses().get_single_course(1).send());
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(c.refreshes.load(Ordering::SeqCst), 1, "exactly one refresh request");
    assert_eq!(*store.0.lock().unwrap(), ["token-1"]);
    let api: Vec<_> = c.server.requests().into_iter().filter(|r| r.path() != "/login/oauth2/token").collect();
    assert_eq!(api.iter().filter(|r| r.authorization.as_deref() == Some("Bearer token-1")).count(), 8);
}

#[tokio::test]
async fn no_refresh_token_is_a_typed_error_and_logout_forgets_the_session() {
    let c = canvas("token-1").await;
    let client = Client::builder(c.server.uri())
        .allow_insecure_http(true)
        .oauth(oauth(&c), TokenSet::new("revoked", None, None))
        .build()
        .unwrap();
    let e = oauth_error(client.courses().get_single_course(1).send().await);
    assert_eq!(e.kind(), OAuthErrorKind::NoRefreshToken);
    assert!(e.needs_reauthentication() && !e.is_retryable(), "{e}");

    // Logout of an OAuth2 session: revoked at Canvas, then forgotten here.
    let c = canvas("token-1").await;
    let tokens = TokenSet::new("token-1", Some("refresh-1".into()), None);
    let client = Client::builder(c.server.uri()).allow_insecure_http(true).oauth(oauth(&c), tokens).build().unwrap();
    client.logout().await.unwrap();
    let last = c.server.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.path()), ("DELETE", "/login/oauth2/token"));
    assert_eq!(last.authorization.as_deref(), Some("Bearer token-1"));
    let sent = c.server.requests().len();
    let after = client.courses().get_single_course(1).send().await;
    assert!(matches!(after, Err(Error::LoggedOut)), "{after:?}");
    assert_eq!(c.server.requests().len(), sent, "nothing is sent after logout, no refresh with a revoked token");
}

#[tokio::test]
async fn logout_with_a_plain_token_revokes_it_and_stops_using_it() {
    let c = canvas("token-1").await;
    let client = Client::builder(c.server.uri()).allow_insecure_http(true).token("token-1").build().unwrap();
    let masquerading = client.as_user(7u64);
    masquerading.logout().await.unwrap();
    let log = c.server.requests();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].method.as_str(), log[0].target.as_str()), ("DELETE", "/login/oauth2/token"), "no as_user_id");
    assert!(matches!(client.courses().get_single_course(1).send().await, Err(Error::LoggedOut)));
    assert_eq!(c.server.requests().len(), 1);
}

/// A token endpoint that refuses every refresh the way Canvas does for a revoked token.
async fn refusing_canvas(status: u16, body: &'static str) -> (ScriptedServer, Arc<AtomicUsize>) {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let count = refreshes.clone();
    let server = ScriptedServer::start(move |req: &Logged, _| {
        if req.path() == "/login/oauth2/token" {
            count.fetch_add(1, Ordering::SeqCst);
            // Held a little, so that every caller is waiting when the refusal arrives.
            return Reply::Slow(
                Duration::from_millis(100),
                Box::new(Reply::status(status, body).header("content-type", "application/json")),
            );
        }
        Reply::status(401, r#"{"errors": [{"message": "Invalid access token."}]}"#)
            .header("www-authenticate", "Bearer realm=\"canvas-lms\"")
    })
    .await;
    (server, refreshes)
}

#[tokio::test]
async fn sixteen_callers_meeting_a_refused_refresh_share_one_attempt_and_its_error() {
    let (server, refreshes) =
        refusing_canvas(400, r#"{"error": "invalid_grant", "error_description": "refresh_token not found"}"#).await;
    let tokens = TokenSet::new("revoked", Some("refresh-revoked".into()), None);
    let client =
        Client::builder(server.uri()).allow_insecure_http(true).oauth(oauth_at(&server.uri()), tokens).build().unwrap();
    let calls = (0..16).map(|_| client.courses().get_single_course(1).send());
    let results = futures_util::future::join_all(calls).await;
    for r in results {
        let e = oauth_error(r);
        assert_eq!(e.kind(), OAuthErrorKind::InvalidGrant, "{e}");
        assert_eq!(e.code(), Some("invalid_grant"));
        assert!(e.needs_reauthentication() && !e.is_retryable());
        assert!(e.to_string().contains("refresh_token not found"), "{e}");
    }
    assert_eq!(refreshes.load(Ordering::SeqCst), 1, "one refresh request for 16 callers");
    // The refused refresh token is never sent again.
    let e = oauth_error(client.courses().get_single_course(1).send().await);
    assert_eq!(e.kind(), OAuthErrorKind::NoRefreshToken);
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_overloaded_token_endpoint_is_a_retryable_error_and_the_next_call_tries_again() {
    let (server, refreshes) = refusing_canvas(503, "<html>Service Unavailable</html>").await;
    let tokens = TokenSet::new("revoked", Some("refresh-1".into()), None);
    let client = Client::builder(server.uri())
        .allow_insecure_http(true)
        .user_agent("lms-sync/2.0")
        .oauth(oauth_at(&server.uri()), tokens)
        .build()
        .unwrap();
    let e = oauth_error(client.courses().get_single_course(1).send().await);
    assert_eq!(e.kind(), OAuthErrorKind::Transport, "{e}");
    assert!(e.is_retryable() && !e.needs_reauthentication());
    assert!(e.to_string().contains("503"), "{e}");
    client.courses().get_single_course(1).send().await.unwrap_err();
    assert_eq!(refreshes.load(Ordering::SeqCst), 2, "a transient failure does not end the session");
    let token_requests: Vec<_> = server.requests().into_iter().filter(|r| r.path() == "/login/oauth2/token").collect();
    assert!(token_requests.iter().all(|r| r.header("user-agent") == Some("lms-sync/2.0")), "{token_requests:?}");
}

#[tokio::test]
async fn a_silent_token_endpoint_is_bounded_by_the_client_timeout() {
    let server = ScriptedServer::start(|req: &Logged, _| {
        if req.path() == "/login/oauth2/token" {
            return Reply::Slow(Duration::from_secs(30), Box::new(Reply::json("{}")));
        }
        Reply::json(r#"{"id": 1}"#)
    })
    .await;
    let soon = SystemTime::now() + Duration::from_secs(5);
    let client = Client::builder(server.uri())
        .allow_insecure_http(true)
        .timeout(Duration::from_millis(500))
        .oauth(oauth_at(&server.uri()), TokenSet::new("old", Some("refresh-1".into()), Some(soon)))
        .build()
        .unwrap();
    let call = client.courses().get_single_course(1).send();
    let r = tokio::time::timeout(Duration::from_secs(5), call).await.expect("the refresh must not hang");
    let e = oauth_error(r);
    assert_eq!(e.kind(), OAuthErrorKind::Transport, "{e}");
    assert!(e.to_string().to_lowercase().contains("time"), "says it timed out: {e}");
}

#[tokio::test]
async fn an_oversized_token_response_is_refused() {
    let server =
        ScriptedServer::start(|_: &Logged, _| Reply::json(format!(r#"{{"access_token": "{}"}}"#, "x".repeat(1 << 20))))
            .await;
    let o = oauth_at(&server.uri());
    let e = oauth_error(o.refresh(&"r".to_owned().into()).await);
    assert_eq!(e.kind(), OAuthErrorKind::InvalidResponse, "{e}");
    assert!(e.to_string().contains("larger than the limit"), "{e}");
}

#[tokio::test]
async fn a_401_that_outlives_the_refresh_ends_after_one_refresh_not_in_a_loop() {
    // Canvas rejects every token, refreshed or not (a deleted developer key, say).
    let refreshes = Arc::new(AtomicUsize::new(0));
    let count = refreshes.clone();
    let server = ScriptedServer::start(move |req: &Logged, _| {
        if req.path() == "/login/oauth2/token" {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::json(format!(
                r#"{{"access_token": "token-{n}", "token_type": "Bearer", "expires_in": 3600}}"#
            ));
        }
        Reply::status(401, r#"{"errors": [{"message": "Invalid access token."}]}"#)
            .header("www-authenticate", "Bearer realm=\"canvas-lms\"")
    })
    .await;
    let tokens = TokenSet::new("revoked", Some("refresh-1".into()), None);
    let client =
        Client::builder(server.uri()).allow_insecure_http(true).oauth(oauth_at(&server.uri()), tokens).build().unwrap();
    let r = tokio::time::timeout(Duration::from_secs(10), client.courses().get_single_course(1).send())
        .await
        .expect("a persistent 401 must end after one refresh, not refresh forever");
    let e = r.unwrap_err();
    let http = e.http().unwrap_or_else(|| panic!("a 401 after the refresh is an HTTP error: {e:?}"));
    assert_eq!(http.status, 401);
    assert!(http.token_rejected, "{e}");
    assert_eq!(http.attempts, 1, "a refresh and the request sent again are one attempt of the retry policy");
    assert_eq!(refreshes.load(Ordering::SeqCst), 1, "exactly one refresh for one request");
    let api: Vec<_> = server.requests().into_iter().filter(|r| r.path() != "/login/oauth2/token").collect();
    assert_eq!(api.len(), 2, "the request, then once more with the refreshed token: {api:?}");
    assert_eq!(api[1].authorization.as_deref(), Some("Bearer token-1"));
}

#[tokio::test]
async fn a_401_without_a_bearer_challenge_is_not_a_token_problem_and_refreshes_nothing() {
    // Canvas answers 401 "user not authorized to perform that action" without
    // `WWW-Authenticate`: the token is fine, a refresh would not help.
    let refreshes = Arc::new(AtomicUsize::new(0));
    let count = refreshes.clone();
    let server = ScriptedServer::start(move |req: &Logged, _| {
        if req.path() == "/login/oauth2/token" {
            count.fetch_add(1, Ordering::SeqCst);
            return Reply::json(r#"{"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600}"#);
        }
        Reply::status(
            401,
            r#"{"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]}"#,
        )
    })
    .await;
    let tokens = TokenSet::new("valid", Some("refresh-1".into()), None);
    let client =
        Client::builder(server.uri()).allow_insecure_http(true).oauth(oauth_at(&server.uri()), tokens).build().unwrap();
    let e = client.courses().get_single_course(1).send().await.unwrap_err();
    let http = e.http().unwrap_or_else(|| panic!("{e:?}"));
    assert_eq!(http.status, 401);
    assert!(!http.token_rejected, "no challenge: the token was not rejected ({e})");
    assert_eq!(refreshes.load(Ordering::SeqCst), 0, "no refresh for a permission error");
    assert_eq!(server.requests().len(), 1);
}
