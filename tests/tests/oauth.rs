//! OAuth2 against a loopback Canvas: authorization URL, code exchange, refresh (keeping the
//! refresh token Canvas does not resend), refresh before expiry, one shared refresh when 8
//! concurrent requests meet an expired token, the token store, and logout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use canvas_lms::{Client, OAuth, TokenSet, TokenStore};
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

fn oauth(canvas: &Canvas) -> OAuth {
    OAuth::new(&canvas.server.uri(), "10000000000001", "s3cret", "https://app.example.edu/callback").unwrap()
}

#[tokio::test]
async fn authorization_url_sends_scopes_as_one_parameter_with_state() {
    let c = canvas("x").await;
    let (url, state) = oauth(&c).authorize_url(&["url:GET|/api/v1/courses", "url:GET|/api/v1/users/:id"]);
    assert_eq!(url.path(), "/login/oauth2/auth");
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let get = |k: &str| pairs.iter().filter(|(key, _)| key == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    assert_eq!(get("scope"), ["url:GET|/api/v1/courses url:GET|/api/v1/users/:id"]);
    assert_eq!(get("response_type"), ["code"]);
    assert_eq!(get("client_id"), ["10000000000001"]);
    assert_eq!(get("redirect_uri"), ["https://app.example.edu/callback"]);
    assert_eq!(get("state"), std::slice::from_ref(&state));
    assert!(state.len() >= 16);
}

#[tokio::test]
async fn code_exchange_then_refresh_keeps_the_refresh_token() {
    let c = canvas("none").await;
    let o = oauth(&c);
    let tokens = o.exchange_code("abc").await.unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "token-0");
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose_secret(), "refresh-1");
    assert!(tokens.expires_at.unwrap() > SystemTime::now() + Duration::from_secs(3500));
    let exchange = &c.server.requests()[0].body;
    assert!(exchange.contains("grant_type=authorization_code") && exchange.contains("code=abc"));
    assert!(exchange.contains("client_id=10000000000001") && exchange.contains("client_secret=s3cret"));
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
    client.courses().get_single_course_courses(1).send().await.unwrap();
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
    let calls = (0..8).map(|_| client.courses().get_single_course_courses(1).send());
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(c.refreshes.load(Ordering::SeqCst), 1, "exactly one refresh request");
    assert_eq!(*store.0.lock().unwrap(), ["token-1"]);
    let api: Vec<_> = c.server.requests().into_iter().filter(|r| r.path() != "/login/oauth2/token").collect();
    assert_eq!(api.iter().filter(|r| r.authorization.as_deref() == Some("Bearer token-1")).count(), 8);
}

#[tokio::test]
async fn a_refused_refresh_is_an_oauth_error_and_logout_revokes() {
    let c = canvas("token-1").await;
    let client = Client::builder(c.server.uri())
        .allow_insecure_http(true)
        .oauth(oauth(&c), TokenSet::new("revoked", None, None))
        .build()
        .unwrap();
    match client.courses().get_single_course_courses(1).send().await {
        Err(canvas_lms::Error::OAuth(message)) => assert!(message.contains("no refresh token"), "{message}"),
        other => panic!("{other:?}"),
    }
    let client = Client::builder(c.server.uri()).allow_insecure_http(true).token("token-1").build().unwrap();
    client.logout().await.unwrap();
    let last = c.server.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.path()), ("DELETE", "/login/oauth2/token"));
    assert_eq!(last.authorization.as_deref(), Some("Bearer token-1"));
}
