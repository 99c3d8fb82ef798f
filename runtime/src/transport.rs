//! The HTTP clients the runtime owns (Canvas API, upload hosts, OAuth2 token endpoint) and
//! the two rules every response read obeys: a size limit enforced while the body streams in,
//! and a bound on time (connect, idle, total) so that a silent server cannot hang a caller.
//!
//! One [`HttpSettings`] value, made by the client builder, configures all three clients, so
//! a user agent, a timeout or a private root certificate set once applies everywhere.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// What every HTTP client of a [`Client`](crate::Client) shares.
#[derive(Clone)]
pub(crate) struct HttpSettings {
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Longest silence while waiting for or reading a response (and, for uploads, while
    /// sending the file).
    pub read_timeout: Duration,
    /// Longest exchange with the Canvas API or the token endpoint.
    pub timeout: Duration,
    /// Longest upload (steps 2 and 3), `None` for no limit beyond the idle timeout.
    pub upload_timeout: Option<Duration>,
    pub limits: BodyLimits,
    pub root_certificates: Vec<reqwest::Certificate>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            user_agent: concat!("canvas-lms-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(120),
            timeout: Duration::from_secs(300),
            upload_timeout: Some(Duration::from_secs(4 * 3600)),
            limits: BodyLimits::default(),
            root_certificates: Vec::new(),
        }
    }
}

/// How many bytes of a response the client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyLimits {
    /// A successful response larger than this is an error ([`Error::ResponseTooLarge`]).
    pub response: usize,
    /// Of an error response only this much is kept (enough for Canvas's messages).
    pub error: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits { response: 64 << 20, error: 64 << 10 }
    }
}

/// Token responses are a few hundred bytes; anything beyond this is not a token response.
pub(crate) const TOKEN_RESPONSE_LIMIT: usize = 64 << 10;

impl HttpSettings {
    fn base(&self) -> reqwest::ClientBuilder {
        let mut builder =
            reqwest::Client::builder().user_agent(self.user_agent.clone()).connect_timeout(self.connect_timeout);
        for cert in &self.root_certificates {
            builder = builder.add_root_certificate(cert.clone());
        }
        builder
    }

    /// The Canvas API client: redirects followed only within `origin` (at most 10), total
    /// and read timeouts.
    pub fn api_client(&self, origin: url::Origin, accept: &'static str) -> Result<reqwest::Client> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT, reqwest::header::HeaderValue::from_static(accept));
        self.base()
            .timeout(self.timeout)
            .read_timeout(self.read_timeout)
            .default_headers(headers)
            // A redirect elsewhere is returned as is and reported as `Error::ForeignOrigin`,
            // so the token never travels there; a loop stops after 10 hops.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.url().origin() != origin || attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))
    }

    /// The client for upload hosts: no redirects (step 3 decides where to confirm) and no
    /// reqwest read or total timeout, which would count the time spent sending a large file;
    /// [`with_idle_timeout`] bounds silence instead, and `upload_timeout` the whole upload.
    pub fn upload_client(&self) -> Result<reqwest::Client> {
        self.base()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))
    }

    /// The client for OAuth2 token requests: no redirects (one would carry the client secret
    /// along), the same user agent and timeouts as the API.
    pub fn oauth_client(&self) -> Result<reqwest::Client> {
        self.base()
            .timeout(self.timeout)
            .read_timeout(self.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("OAuth2 HTTP client: {e}")))
    }
}

/// Redirects followed within the Canvas origin before the client reports a loop.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// What to do when a body is larger than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// Stop reading and fail with [`Error::ResponseTooLarge`] (a body the caller needs whole).
    Fail,
    /// Keep the first `limit` bytes and stop reading (an error body: its start says enough).
    Truncate,
}

/// Reads `resp`'s body, at most `limit` bytes, into one buffer (no second copy). A declared
/// `Content-Length` over the limit fails before anything is read. `activity`, when given, is
/// touched on every chunk (for [`with_idle_timeout`]).
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
    overflow: Overflow,
    activity: Option<&Activity>,
    operation: &str,
) -> Result<Vec<u8>> {
    let too_large = |resp: &reqwest::Response| Error::ResponseTooLarge { url: resp.url().to_string(), limit };
    let declared = resp.content_length();
    if overflow == Overflow::Fail && declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(&resp));
    }
    // The declared length sizes the buffer, but never beyond the limit or 1 MiB: a server
    // may declare more than it sends.
    let capacity = declared.map_or(0, |n| n.min(limit.min(1 << 20) as u64) as usize);
    let mut body = Vec::with_capacity(capacity);
    while let Some(chunk) = resp.chunk().await.map_err(|e| crate::error::TransportError::error(operation, e))? {
        if let Some(a) = activity {
            a.touch();
        }
        let room = limit - body.len();
        if chunk.len() > room {
            match overflow {
                Overflow::Fail => return Err(too_large(&resp)),
                Overflow::Truncate => {
                    body.extend_from_slice(&chunk[..room]);
                    break;
                }
            }
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The last time something moved on a connection, shared between the code that moves bytes
/// and the watchdog that bounds silence.
#[derive(Clone, Debug)]
pub(crate) struct Activity {
    start: Instant,
    /// Milliseconds after `start` of the last movement.
    last: Arc<AtomicU64>,
}

impl Activity {
    pub fn new() -> Self {
        Activity { start: Instant::now(), last: Arc::new(AtomicU64::new(0)) }
    }

    /// Records that bytes moved now.
    pub fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// Runs `work`, failing with [`Error::Timeout`] when `activity` has not moved for `idle`, or
/// when the whole of it takes longer than `total`. `what` names the step in the error.
pub(crate) async fn with_idle_timeout<T>(
    what: &str,
    activity: &Activity,
    idle: Duration,
    total: Option<Duration>,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    let started = Instant::now();
    activity.touch();
    let mut work = std::pin::pin!(work);
    loop {
        let silent = activity.idle_for();
        if silent >= idle {
            return Err(Error::Timeout(format!("{what}: nothing was sent or received for {idle:?}")));
        }
        let mut wake = idle - silent;
        if let Some(total) = total {
            let elapsed = started.elapsed();
            if elapsed >= total {
                return Err(Error::Timeout(format!("{what}: not finished after {total:?}")));
            }
            wake = wake.min(total - elapsed);
        }
        let sleep = std::pin::pin!(tokio::time::sleep(wake));
        if let futures_util::future::Either::Left((done, _)) = futures_util::future::select(work.as_mut(), sleep).await
        {
            return done;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn silence_longer_than_the_idle_timeout_fails_and_activity_keeps_work_alive() {
        let a = Activity::new();
        let silent = with_idle_timeout("step", &a, Duration::from_millis(50), None, async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        });
        let err = silent.await.unwrap_err();
        assert!(err.to_string().contains("step: nothing was sent or received"), "{err}");

        // 200 ms of work that moves bytes every 10 ms outlives a 50 ms idle timeout.
        let a = Activity::new();
        let busy = async {
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(10)).await;
                a.touch();
            }
            Ok(7)
        };
        assert_eq!(with_idle_timeout("step", &a, Duration::from_millis(50), None, busy).await.unwrap(), 7);

        // ...but not a total limit.
        let a = Activity::new();
        let busy = async {
            for _ in 0..1000 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                a.touch();
            }
            Ok(())
        };
        let err = with_idle_timeout::<()>("upload", &a, Duration::from_secs(1), Some(Duration::from_millis(60)), busy)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("upload: not finished after"), "{err}");
    }
}
