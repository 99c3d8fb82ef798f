//! When and how long to wait before trying a request again.
//!
//! Canvas rules (design notes §5): a throttled request (`429`, or `403` whose body says
//! `Rate Limit Exceeded`) was not processed, so it may be retried whatever the method;
//! transport failures and `5xx` only for idempotent methods (`GET`, `PUT`, `DELETE`), since a
//! `POST` that failed half-way may have been applied. A connection that could not even be
//! opened never reached Canvas and is retried for every method.

use std::time::Duration;

use crate::Method;

/// Retry and backoff settings of a client.
///
/// The wait before retry `n` (1-based) is drawn uniformly from `[d/2, d]` with
/// `d = min(base_delay * 2^(n-1), max_delay)` ("equal jitter": exponential, never zero, and
/// spread so that parallel clients do not retry in lockstep). A `Retry-After` header given in
/// seconds overrides it, up to `max_retry_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry). Default 5.
    pub max_attempts: u32,
    /// First backoff step. Default 500 ms.
    pub base_delay: Duration,
    /// Cap of one backoff wait. Default 30 s.
    pub max_delay: Duration,
    /// Cap of a wait asked for by `Retry-After`. Default 120 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..Self::default() }
    }

    /// The wait before retry number `retry` (1-based), jitter included.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << (retry.saturating_sub(1)).min(20));
        let cap = exp.min(self.max_delay);
        let half = cap / 2;
        let spread = (cap - half).as_nanos() as u64;
        half + Duration::from_nanos(if spread == 0 { 0 } else { fastrand::u64(0..=spread) })
    }

    /// The wait asked for by a `Retry-After` value (seconds, or an HTTP date), capped at
    /// `max_retry_after`. The value comes from a server: any number, however large, small or
    /// malformed, gives a wait within the cap or `None`, never a panic.
    pub(crate) fn retry_after(&self, value: Option<&str>) -> Option<Duration> {
        let value = value?.trim();
        let wait = match value.parse::<f64>() {
            Ok(secs) if secs >= 0.0 => Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX),
            Ok(_) => return None,
            Err(_) => {
                let at = chrono::DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&chrono::Utc);
                (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO)
            }
        };
        Some(wait.min(self.max_retry_after))
    }
}

/// What an attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome<'a> {
    /// A response with a non-success status.
    Status {
        status: u16,
        /// Canvas's throttling (`429`, or `403` saying `Rate Limit Exceeded`).
        throttled: bool,
        /// The response's `Retry-After`, as sent.
        retry_after: Option<&'a str>,
    },
    /// No response: `connected` is false when no connection could be opened (the request
    /// never reached the server).
    Transport { connected: bool },
    /// A success status whose body is not complete JSON (cut short or malformed).
    MalformedBody,
    /// Anything else: not retried.
    Final,
}

/// The retry rule, in one place: how long to wait before attempt `attempt + 1`, or `None` to
/// stop. `idempotent` says whether sending the request twice has the effect of once
/// ([`is_idempotent`] for Canvas methods). Throttled requests were not processed, so they are retried for any method; `5xx`,
/// broken transfers and malformed bodies only for idempotent methods; a connection that was
/// never opened for any method. Nothing is retried past `max_attempts`.
pub(crate) fn decide(policy: &RetryPolicy, idempotent: bool, outcome: &Outcome<'_>, attempt: u32) -> Option<Duration> {
    if attempt >= policy.max_attempts {
        return None;
    }
    match *outcome {
        Outcome::Status { throttled: true, retry_after, .. } => {
            Some(policy.retry_after(retry_after).unwrap_or_else(|| policy.backoff(attempt)))
        }
        Outcome::Status { status, .. } if status >= 500 && idempotent => Some(policy.backoff(attempt)),
        Outcome::Transport { connected: false } => Some(policy.backoff(attempt)),
        Outcome::Transport { connected: true } | Outcome::MalformedBody if idempotent => Some(policy.backoff(attempt)),
        _ => None,
    }
}

/// Methods whose repetition has the same effect as one request.
pub(crate) fn is_idempotent(method: Method) -> bool {
    matches!(method, Method::Get | Method::Put | Method::Delete)
}

/// True for Canvas's two ways of saying "throttled".
pub(crate) fn is_throttled(status: u16, body: &[u8]) -> bool {
    status == 429 || (status == 403 && contains(body, b"Rate Limit Exceeded"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..Default::default()
        };
        for _ in 0..200 {
            let d1 = p.backoff(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
            let d3 = p.backoff(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400), "{d3:?}");
            let d9 = p.backoff(9);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_millis(1000), "{d9:?}");
        }
        let spread: std::collections::BTreeSet<_> = (0..50).map(|_| p.backoff(4)).collect();
        assert!(spread.len() > 10, "no jitter");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy { max_retry_after: Duration::from_secs(10), ..Default::default() };
        assert_eq!(p.retry_after(Some("2")), Some(Duration::from_secs(2)));
        assert_eq!(p.retry_after(Some("3600")), Some(Duration::from_secs(10)));
        assert_eq!(p.retry_after(None), None);
        assert_eq!(p.retry_after(Some("soon")), None);
        assert_eq!(p.retry_after(Some("-1")), None);
        assert_eq!(p.retry_after(Some("NaN")), None);
        // Server-controlled values far out of range are capped, not a panic.
        for huge in ["1e20", "inf", "18446744073709551616", "1e308"] {
            assert_eq!(p.retry_after(Some(huge)), Some(Duration::from_secs(10)), "{huge}");
        }
        // An HTTP date: in the past is "now", far ahead is capped.
        assert_eq!(p.retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), Some(Duration::ZERO));
        assert_eq!(p.retry_after(Some("Fri, 01 Jan 9999 00:00:00 GMT")), Some(Duration::from_secs(10)));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(5)).to_rfc2822();
        let w = p.retry_after(Some(&soon)).unwrap();
        assert!(w > Duration::from_secs(3) && w <= Duration::from_secs(5), "{w:?}");
    }

    #[test]
    fn the_retry_rule() {
        let p = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(9),
        };
        let status = |status, throttled, retry_after| Outcome::Status { status, throttled, retry_after };
        let retried = |m, o: &Outcome<'_>| decide(&p, is_idempotent(m), o, 1).is_some();
        // Throttled: any method, Retry-After first.
        assert!(retried(Method::Post, &status(403, true, None)));
        assert_eq!(decide(&p, false, &status(429, true, Some("2")), 1), Some(Duration::from_secs(2)));
        // 5xx, broken transfers and malformed bodies: idempotent methods only.
        for o in [status(503, false, None), Outcome::Transport { connected: true }, Outcome::MalformedBody] {
            assert!(retried(Method::Get, &o) && retried(Method::Put, &o) && retried(Method::Delete, &o), "{o:?}");
            assert!(!retried(Method::Post, &o) && !retried(Method::Patch, &o), "{o:?}");
        }
        // Never connected: any method.
        assert!(retried(Method::Post, &Outcome::Transport { connected: false }));
        // Final answers and the attempt cap.
        assert!(!retried(Method::Get, &status(404, false, None)));
        assert!(!retried(Method::Get, &status(403, false, None)));
        assert!(!retried(Method::Get, &Outcome::Final));
        assert_eq!(decide(&p, true, &status(429, true, None), 3), None);
        let w = decide(&p, true, &status(500, false, None), 2).unwrap();
        assert!(w >= Duration::from_millis(50) && w <= Duration::from_millis(100), "{w:?}");
    }

    #[test]
    fn throttling_and_idempotency() {
        assert!(is_throttled(429, b""));
        assert!(is_throttled(403, b"403 Forbidden (Rate Limit Exceeded)\n"));
        assert!(!is_throttled(403, b"{\"errors\":[{\"message\":\"user not authorized\"}]}"));
        assert!(is_idempotent(Method::Get) && is_idempotent(Method::Put) && is_idempotent(Method::Delete));
        assert!(!is_idempotent(Method::Post) && !is_idempotent(Method::Patch));
    }
}
