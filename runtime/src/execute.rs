//! The one way to the wire: every request to Canvas (API calls, pages, multipart requests
//! with a file, upload confirmations, Progress polls, logout) goes through [`execute`], which
//! takes a slot from the pacer, adds the token and `as_user_id` at the Canvas origin, sends,
//! reads the body within the limits, refreshes an OAuth2 token once on `401`, decodes, and
//! retries by the one rule of [`retry::decide`]. Nothing here is generic: its code exists
//! once however many operations call it.

use std::time::Instant;

use tracing::Instrument;
use url::Url;

use crate::decode::{strip_while1, RawResponse};
use crate::error::{HttpError, TransportError};
use crate::pacing::Slot;
use crate::page::ResponseMeta;
use crate::request::{Body, Request};
use crate::retry::{self, Outcome};
use crate::transport::{read_limited, with_idle_timeout, Activity, Overflow};
use crate::{Error, Method, Result};

/// What the caller does with a successful response: decode it (keeping the value) or fail.
/// A [`DecodeError`](crate::error::DecodeError) that says the body is malformed makes an
/// idempotent request be sent again.
pub(crate) type Accept<'x> = dyn FnMut(&RawResponse) -> Result<()> + Send + 'x;

/// Runs `req` at `url` with the client's retry policy until it succeeds and `accept` takes the
/// response, or the rule says stop; non-success statuses become [`Error::Http`]. Errors say
/// how many attempts were made over how long.
pub(crate) async fn execute(req: &Request<'_>, url: Url, accept: &mut Accept<'_>) -> Result<RawResponse> {
    let client = req.client();
    let policy = client.retry_policy();
    let idempotent = req.is_idempotent();
    let started = Instant::now();
    let mut attempt = 0;
    let mut refreshed = false;
    loop {
        attempt += 1;
        let span = tracing::debug_span!(
            "canvas_request",
            method = req.method().as_str(),
            path = req.template(),
            attempt,
            status = tracing::field::Empty,
            cost = tracing::field::Empty,
        );
        let result = {
            let slot = client.pacer().acquire().await;
            let result = attempt_once(req, &url, attempt, &slot).instrument(span.clone()).await;
            if let Ok(resp) = &result {
                let meta = ResponseMeta::from_headers(resp.status, &resp.headers, attempt);
                let throttled = retry::is_throttled(resp.status, &resp.body);
                client.pacer().observe(&slot, meta.rate_limit_remaining, throttled, resp.received);
            }
            result
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
        let mut failure = None;
        let outcome = match &result {
            Ok(resp) => {
                let meta = ResponseMeta::from_headers(resp.status, &resp.headers, attempt);
                span.record("status", resp.status);
                if let Some(cost) = meta.request_cost {
                    span.record("cost", cost);
                }
                client.note_rate_limit(meta.rate_limit_remaining);
                if (200..300).contains(&resp.status) {
                    match accept(resp) {
                        Ok(()) => return result,
                        Err(Error::Decode(d)) if d.malformed => {
                            failure = Some(Error::Decode(d));
                            Outcome::MalformedBody
                        }
                        Err(e) => return Err(e.after_attempts(attempt, started.elapsed())),
                    }
                } else {
                    Outcome::Status {
                        status: resp.status,
                        throttled: retry::is_throttled(resp.status, &resp.body),
                        retry_after: resp.headers.get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()),
                    }
                }
            }
            Err(Error::Transport(t)) => Outcome::Transport { connected: !t.is_connect() },
            Err(_) => Outcome::Final,
        };
        match retry::decide(policy, idempotent, &outcome, attempt) {
            Some(wait) => {
                tracing::debug!(parent: &span, ?wait, "retrying");
                tokio::time::sleep(wait).await;
            }
            None => {
                let error = match (failure, result) {
                    (Some(decode), _) => decode,
                    (None, Err(e)) => e,
                    (None, Ok(resp)) => {
                        let e =
                            HttpError::from_body(resp.status, &resp.headers, &resp.body).of(req.operation(), "Canvas");
                        Error::Http(Box::new(e))
                    }
                };
                return Err(error.after_attempts(attempt, started.elapsed()));
            }
        }
    }
}

/// [`execute`] that keeps what `decode` makes of the successful response (it gets the
/// operation's name for its errors). A malformed body that `decode` rejects is retried
/// like a broken transfer, as [`execute`] says.
pub(crate) async fn execute_decoded<T: Send>(
    req: &Request<'_>,
    url: Url,
    mut decode: impl FnMut(&str, &RawResponse) -> Result<T> + Send,
) -> Result<T> {
    let operation = req.operation();
    let mut value = None;
    execute(req, url, &mut |resp| {
        value = Some(decode(&operation, resp)?);
        Ok(())
    })
    .await?;
    value.ok_or_else(|| Error::Config(format!("{operation}: a response was accepted without a value")))
}

/// Takes any successful response as it is.
pub(crate) fn accept_any(_: &RawResponse) -> Result<()> {
    Ok(())
}

/// One HTTP exchange, any status. The token goes only to the Canvas origin, and with it the
/// request's `as_user_id`; bodies are read within the client's limits. A multipart request
/// goes through the upload client, bounded by the idle and upload timeouts instead of the
/// API's total timeout (a large file takes as long as the link needs).
async fn attempt_once(req: &Request<'_>, url: &Url, attempt: u32, slot: &Slot<'_>) -> Result<RawResponse> {
    let client = req.client();
    let operation = req.operation();
    let mut auth_generation = None;
    let same_origin = client.is_same_origin(url);
    let url = if same_origin { req.masqueraded(url) } else { url.clone() };
    let http = if matches!(req.body(), Body::Multipart { .. }) { client.upload_http() } else { client.http() };
    let mut builder = http.request(req.method().to_reqwest(), url);
    if same_origin {
        if let Some((bearer, generation)) = client.auth().await? {
            builder = builder.header(reqwest::header::AUTHORIZATION, bearer);
            auth_generation = generation;
        }
    }
    let activity = Activity::new();
    let multipart = match req.body() {
        Body::Form(pairs) if req.method() != Method::Get && !pairs.is_empty() => {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(pairs.to_urlencoded());
            false
        }
        Body::Json(json) if req.method() != Method::Get => {
            builder = builder.header(reqwest::header::CONTENT_TYPE, "application/json").body(json.to_string());
            false
        }
        Body::Multipart { pairs, field, file } => {
            builder = builder.multipart(crate::upload::multipart_form(pairs, field, file, &activity).await?);
            true
        }
        _ => false,
    };
    let exchange = async {
        let resp = builder.send().await.map_err(|e| TransportError::error(&operation, e))?;
        let received = Instant::now();
        client.pacer().answered(slot, received);
        activity.touch();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if resp.status().is_redirection() {
            // Redirects within the Canvas origin were followed up to the cap; this one leads
            // elsewhere, or the cap was reached.
            let location = headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
            return Err(match resp.url().join(location) {
                Ok(target) if client.is_same_origin(&target) => {
                    Error::TooManyRedirects(crate::client::redacted(&target))
                }
                Ok(target) => Error::ForeignOrigin(crate::client::redacted(&target)),
                Err(_) => Error::ForeignOrigin(location.to_owned()),
            });
        }
        let limits = client.limits();
        let watch = multipart.then_some(&activity);
        let body = if (200..300).contains(&status) {
            read_limited(resp, limits.response, Overflow::Fail, watch, &operation).await?
        } else {
            read_limited(resp, limits.error, Overflow::Truncate, watch, &operation).await?
        };
        Ok(RawResponse { status, headers, body, attempts: attempt, auth_generation, received })
    };
    if multipart {
        let settings = client.settings();
        with_idle_timeout(&operation, &activity, settings.read_timeout, settings.upload_timeout, exchange).await
    } else {
        exchange.await
    }
}

/// True when a body is only white space (after `while(1);`).
pub(crate) fn is_empty_body(body: &[u8]) -> bool {
    strip_while1(body).iter().all(u8::is_ascii_whitespace)
}
