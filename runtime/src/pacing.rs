//! How many requests a client keeps in flight: as many as Canvas's quota allows.
//!
//! Canvas throttles per token with a leaky bucket (high water mark 700 units, draining at
//! 10 units/s). A request adds its cost (CPU and database seconds) when it finishes, and
//! while it is in flight it holds a pre-flight charge of 50 units, credited back when it ends.
//! A request that arrives while the bucket cannot take its charge is refused (`403 Rate
//! Limit Exceeded`, newer Canvas `429`). Responses say what is left:
//! `X-Rate-Limit-Remaining` (the high water mark minus the bucket's level, which includes
//! the charges of the requests still in flight).
//!
//! The pacer turns that into a concurrency limit shared by a client and its clones. From a
//! response's remaining quota it adds back the charges of the client's other requests in
//! flight (they are in the figure but will be credited), and allows as many requests as
//! that leaves room for, minus one as a margin: `allowed = ⌊(remaining + 50·others) / 50⌋ − 1`.
//! An empty bucket allows 13; as the bucket fills because requests arrive faster than it
//! drains, fewer are allowed, until the rate matches the drain: the client settles at the
//! sustainable rate without being told it. A throttled response halves the limit. Without
//! `X-Rate-Limit-Remaining` (Canvas sends it only when throttling applies) the limit is
//! [`UNPACED`]. The caller's `max_concurrent_requests` is an upper bound on all of it.

use std::sync::Mutex;

/// Canvas's pre-flight charge per request in flight.
const PREFLIGHT: f64 = 50.0;
/// Requests in flight while nothing is known yet (before the first response).
const INITIAL: usize = 4;
/// Requests in flight when Canvas does not report a quota (throttling does not apply).
pub(crate) const UNPACED: usize = 16;

/// The shared concurrency limit of a client.
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Mutex<State>,
    wake: tokio::sync::Notify,
    /// The caller's bound (`max_concurrent_requests`).
    bound: Option<usize>,
}

#[derive(Debug)]
struct State {
    in_flight: usize,
    allowed: usize,
    /// Canvas has reported a quota: throttling applies to this token.
    paced: bool,
}

/// A request's place in flight; dropping it lets the next one go.
#[derive(Debug)]
pub(crate) struct Slot<'a> {
    pacer: &'a Pacer,
}

impl Pacer {
    pub fn new(bound: Option<usize>) -> Self {
        Pacer {
            state: Mutex::new(State { in_flight: 0, allowed: INITIAL, paced: false }),
            wake: tokio::sync::Notify::new(),
            bound: bound.map(|b| b.max(1)),
        }
    }

    fn limit(&self, state: &State) -> usize {
        let limit = state.allowed.max(1);
        self.bound.map_or(limit, |b| limit.min(b))
    }

    /// Waits until one more request may be in flight.
    pub async fn acquire(&self) -> Slot<'_> {
        loop {
            let notified = self.wake.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the check, so a slot freed in between is not missed.
            notified.as_mut().enable();
            {
                let mut state = self.state.lock().expect("pacer lock");
                if state.in_flight < self.limit(&state) {
                    state.in_flight += 1;
                    return Slot { pacer: self };
                }
            }
            notified.await;
        }
    }

    /// Learns from a response: its `X-Rate-Limit-Remaining` (if any) and whether it was
    /// throttled. Called while the response's slot is still held.
    pub fn observe(&self, remaining: Option<f64>, throttled: bool) {
        let mut state = self.state.lock().expect("pacer lock");
        let before = state.allowed;
        state.allowed = match remaining {
            Some(r) if r.is_finite() => {
                state.paced = true;
                let others = state.in_flight.saturating_sub(1) as f64;
                let room = ((r + PREFLIGHT * others) / PREFLIGHT).floor() - 1.0;
                room.clamp(1.0, UNPACED as f64 * 4.0) as usize
            }
            // A response without the header (an error page from a proxy) says nothing new.
            _ if throttled || state.paced => state.allowed,
            _ => UNPACED,
        };
        if throttled {
            state.allowed = (before / 2).max(1).min(state.allowed);
        }
        if state.allowed > before {
            self.wake.notify_waiters();
        }
    }

    /// The current limit (for tests and tracing).
    #[cfg(test)]
    pub fn allowed(&self) -> usize {
        self.limit(&self.state.lock().expect("pacer lock"))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.pacer.state.lock().expect("pacer lock").in_flight -= 1;
        self.pacer.wake.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_follows_the_remaining_quota() {
        let p = Pacer::new(None);
        assert_eq!(p.allowed(), INITIAL);
        // An empty bucket (700 left, nothing else in flight): 13.
        p.observe(Some(700.0), false);
        assert_eq!(p.allowed(), 13);
        // The bucket filled to 150: 10, the rate that matches a 10 units/s drain at 0.25 s.
        p.observe(Some(550.0), false);
        assert_eq!(p.allowed(), 10);
        // Nearly full: one at a time, never zero.
        p.observe(Some(3.0), false);
        assert_eq!(p.allowed(), 1);
        // Throttled: halve what was allowed.
        p.observe(Some(700.0), false);
        p.observe(None, true);
        assert_eq!(p.allowed(), 6);
        // A response without the header keeps the limit once a quota was seen...
        p.observe(None, false);
        assert_eq!(p.allowed(), 6);
        // ...and, when no quota was ever reported, throttling does not apply.
        let unpaced = Pacer::new(None);
        unpaced.observe(None, false);
        assert_eq!(unpaced.allowed(), UNPACED);
        // Absurd server values stay within bounds.
        p.observe(Some(f64::INFINITY), false);
        assert_eq!(p.allowed(), 6);
        p.observe(Some(1e300), false);
        assert_eq!(p.allowed(), UNPACED * 4);
        p.observe(Some(-1e300), false);
        assert_eq!(p.allowed(), 1);
    }

    #[tokio::test]
    async fn the_callers_bound_is_an_upper_limit_and_slots_are_released() {
        let p = std::sync::Arc::new(Pacer::new(Some(2)));
        p.observe(Some(700.0), false);
        assert_eq!(p.allowed(), 2);
        let a = p.acquire().await;
        let _b = p.acquire().await;
        let waiting = {
            let p = p.clone();
            tokio::spawn(async move {
                let _c = p.acquire().await;
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a third request waits");
        drop(a);
        tokio::time::timeout(std::time::Duration::from_secs(1), waiting).await.unwrap().unwrap();
    }
}
