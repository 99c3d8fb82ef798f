//! Waiting on Canvas's long-running jobs.
//!
//! Content migrations, exports, SIS imports, reports and bulk updates return a `Progress`
//! object; the job is done when its `workflow_state` is `completed` (or `failed`). The wait
//! polls the Progress with a growing interval, up to an overall timeout. Dropping the future
//! cancels the wait (no further request is sent); the job itself keeps running in Canvas.

use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use url::Url;

use crate::decode::{decode_body, decode_value};
use crate::execute::execute_decoded;
use crate::request::{Method, Request};
use crate::{Client, Error, Json, Result};

/// How to wait on a Progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitOptions {
    /// First pause between polls (default 1 s).
    pub initial_interval: Duration,
    /// Longest pause between polls (default 15 s); each pause is 1.5 times the last.
    pub max_interval: Duration,
    /// Give up after this long (default 30 minutes); `None` waits as long as it takes.
    pub timeout: Option<Duration>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(15),
            timeout: Some(Duration::from_secs(30 * 60)),
        }
    }
}

impl Client {
    /// Polls a Progress until its job completes, and returns the final Progress (as `T`).
    ///
    /// `progress` is the Progress's `url` (on the Canvas origin) or its id, which is sent as
    /// one path segment whatever it holds. A masquerading client polls as the same user.
    /// A job that ends in `failed` gives [`Error::JobFailed`] with Canvas's message; one still
    /// running at the timeout gives [`Error::JobTimeout`] with the last state seen.
    pub async fn wait_for_progress<T: DeserializeOwned>(&self, progress: &str, options: &WaitOptions) -> Result<T> {
        let req = Request::new(self, Method::Get, "/v1/progress/{id}", &[&progress]);
        let url = match Url::parse(progress) {
            Ok(url) => {
                self.check_url(&url)?;
                if !self.is_same_origin(&url) {
                    return Err(Error::ForeignOrigin(crate::client::redacted(&url)));
                }
                url
            }
            Err(_) => req.url()?,
        };
        let started = Instant::now();
        let mut interval = options.initial_interval;
        loop {
            let (status, state) = execute_decoded(&req, url.clone(), |operation, resp| {
                Ok((resp.status, decode_body::<Json>(operation, resp.status, &resp.body)?))
            })
            .await?;
            match state.get("workflow_state").and_then(Json::as_str) {
                Some("completed") => return decode_value(&req.operation(), status, state),
                Some("failed") => {
                    let message = state.get("message").and_then(Json::as_str).unwrap_or("no message").to_owned();
                    return Err(Error::JobFailed { message, progress: state });
                }
                _ => {}
            }
            let waited = started.elapsed();
            if let Some(limit) = options.timeout {
                if waited.saturating_add(interval) > limit {
                    return Err(Error::JobTimeout { waited, progress: state });
                }
            }
            tokio::time::sleep(interval).await;
            interval = interval.saturating_add(interval / 2).min(options.max_interval);
        }
    }
}
