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
    fn throttling_and_idempotency() {
        assert!(is_throttled(429, b""));
        assert!(is_throttled(403, b"403 Forbidden (Rate Limit Exceeded)\n"));
        assert!(!is_throttled(403, b"{\"errors\":[{\"message\":\"user not authorized\"}]}"));
        assert!(is_idempotent(Method::Get) && is_idempotent(Method::Put) && is_idempotent(Method::Delete));
        assert!(!is_idempotent(Method::Post) && !is_idempotent(Method::Patch));
    }
}
