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
//! response's remaining quota it adds back the charges of the client's other requests that
//! were at Canvas when the response was made (sent before it arrived, answered after it: they
//! are in the figure and will be credited), which gives how many requests the bucket holds
//! now, and allows that many minus one as a margin:
//! `estimate = ⌊(remaining + 50·others) / 50⌋ − 1` (13 on an empty bucket). Which requests
//! Canvas still counted is known only roughly (answers of one burst are read in any order),
//! and the error makes estimates too high, rarely too low: so a lower estimate applies at
//! once, and the limit grows at most once per round trip, to the lowest estimate of that
//! round, at most doubling. As the bucket
//! fills because requests arrive faster than it drains, the estimate falls, until the rate
//! matches the drain: the client settles at the sustainable rate without being told it. A
//! throttled response halves the limit. Without `X-Rate-Limit-Remaining` (Canvas sends it
//! only when throttling applies) the limit is [`UNPACED`]. The caller's
//! `max_concurrent_requests` is an upper bound on all of it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Canvas's pre-flight charge per request in flight.
const PREFLIGHT: f64 = 50.0;
/// Requests in flight while nothing is known yet (before the first response).
const INITIAL: usize = 4;
/// Requests in flight when Canvas does not report a quota (throttling does not apply).
pub(crate) const UNPACED: usize = 16;
/// The most requests in flight the pacer ever allows (Canvas's bucket holds 14 charges).
const CEILING: usize = 64;

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
    /// When each request in flight was sent, and when its answer arrived.
    in_flight: Vec<(Instant, Option<Instant>)>,
    allowed: usize,
    /// Canvas has reported a quota: throttling applies to this token.
    paced: bool,
    /// Average time of an exchange: one round.
    round: Duration,
    /// No growth before this (one growth per round).
    grow_after: Option<Instant>,
    /// The lowest estimate seen since the last growth.
    round_low: usize,
}

/// A request's place in flight; dropping it lets the next one go.
#[derive(Debug)]
pub(crate) struct Slot<'a> {
    pacer: &'a Pacer,
    sent: Instant,
}

impl Pacer {
    pub fn new(bound: Option<usize>) -> Self {
        Pacer {
            state: Mutex::new(State {
                in_flight: Vec::new(),
                allowed: INITIAL,
                paced: false,
                round: Duration::ZERO,
                grow_after: None,
                round_low: CEILING,
            }),
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
                if state.in_flight.len() < self.limit(&state) {
                    let sent = Instant::now();
                    state.in_flight.push((sent, None));
                    return Slot { pacer: self, sent };
                }
            }
            notified.await;
        }
    }

    /// Notes that the answer to `slot`'s request arrived at `at` (its headers): from then on
    /// Canvas no longer counts it in flight.
    pub fn answered(&self, slot: &Slot<'_>, at: Instant) {
        let mut state = self.state.lock().expect("pacer lock");
        if let Some(entry) =
            state.in_flight.iter_mut().find(|(sent, answered)| *sent == slot.sent && answered.is_none())
        {
            entry.1 = Some(at);
        }
    }

    /// Learns from the response to `slot`'s request, which arrived at `received`: its
    /// `X-Rate-Limit-Remaining` (if any) and whether it was throttled. Called while the slot
    /// is held.
    pub fn observe(&self, slot: &Slot<'_>, remaining: Option<f64>, throttled: bool, received: Instant) {
        self.observe_at(slot.sent, remaining, throttled, received);
    }

    fn observe_at(&self, sent: Instant, remaining: Option<f64>, throttled: bool, now: Instant) {
        let mut state = self.state.lock().expect("pacer lock");
        let took = now.saturating_duration_since(sent);
        state.round = if state.round.is_zero() { took } else { (state.round * 3 + took) / 4 };
        let before = state.allowed;
        match remaining {
            Some(r) if !r.is_nan() => {
                state.paced = true;
                // This request and the others at Canvas when it answered: sent before its
                // answer arrived, and not answered yet by then.
                let at_canvas =
                    |&&(sent, answered): &&(Instant, Option<Instant>)| sent < now && answered.is_none_or(|a| a >= now);
                let others = state.in_flight.iter().filter(at_canvas).count().saturating_sub(1) as f64;
                let estimate =
                    (((r + PREFLIGHT * others) / PREFLIGHT).floor() - 1.0).clamp(1.0, CEILING as f64) as usize;
                state.round_low = state.round_low.min(estimate);
                let may_grow = state.grow_after.is_none_or(|at| now >= at) && state.in_flight.len() >= state.allowed;
                if estimate < state.allowed {
                    state.allowed = estimate;
                } else if may_grow {
                    state.allowed = state.round_low.max(state.allowed).min(state.allowed * 2);
                    state.grow_after = Some(now + state.round);
                    state.round_low = CEILING;
                }
            }
            // A response without the header (an error page from a proxy) says nothing new,
            // once Canvas has reported a quota; before that, throttling does not apply.
            _ if throttled || state.paced => {}
            _ => state.allowed = UNPACED,
        }
        if throttled {
            state.allowed = state.allowed.min(before / 2);
            state.grow_after = Some(now + state.round);
        }
        state.allowed = state.allowed.clamp(1, CEILING);
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
        let mut state = self.pacer.state.lock().expect("pacer lock");
        if let Some(i) = state.in_flight.iter().position(|&(t, _)| t == self.sent) {
            state.in_flight.swap_remove(i);
        }
        drop(state);
        self.pacer.wake.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUND: Duration = Duration::from_millis(250);

    /// `n` requests in flight, all sent well before any answer.
    fn in_flight(p: &Pacer, n: usize, at: Instant) {
        p.state.lock().unwrap().in_flight = vec![(at - ROUND, None); n];
    }

    fn busy(p: &Pacer, at: Instant) {
        in_flight(p, p.allowed(), at);
    }

    #[test]
    fn the_limit_follows_the_remaining_quota() {
        let p = Pacer::new(None);
        let t0 = Instant::now();
        assert_eq!(p.allowed(), INITIAL);
        // An empty bucket with every slot in use: grow, at most doubling.
        busy(&p, t0);
        p.observe_at(t0 - ROUND, Some(700.0 - 50.0 * 3.0), false, t0);
        assert_eq!(p.allowed(), 8);
        // More room reported within the same round: no second growth.
        busy(&p, t0 + ROUND / 2);
        p.observe_at(t0 + ROUND / 2 - ROUND, Some(700.0 - 50.0 * 7.0), false, t0 + ROUND / 2);
        assert_eq!(p.allowed(), 8);
        // The next round: up to the estimate, 13 on an empty bucket.
        busy(&p, t0 + ROUND * 2);
        p.observe_at(t0 + ROUND * 2 - ROUND, Some(700.0 - 50.0 * 7.0), false, t0 + ROUND * 2);
        assert_eq!(p.allowed(), 13);
        // The bucket filled to 150 with 10 others in flight: 10 at once, the rate that
        // matches a 10 units/s drain at 0.25 s per request.
        in_flight(&p, 11, t0 + ROUND * 2);
        p.observe_at(t0 + ROUND * 2 - ROUND, Some(700.0 - 150.0 - 50.0 * 10.0), false, t0 + ROUND * 2);
        assert_eq!(p.allowed(), 10);
        // No growth without demand.
        in_flight(&p, 2, t0 + ROUND * 10);
        p.observe_at(t0 + ROUND * 10 - ROUND, Some(600.0), false, t0 + ROUND * 10);
        assert_eq!(p.allowed(), 10);
        // Throttled: halve, never below one.
        p.observe_at(t0 + ROUND * 10 - ROUND, None, true, t0 + ROUND * 10);
        assert_eq!(p.allowed(), 5);
        p.observe_at(t0 + ROUND * 10 - ROUND, Some(-40.0), true, t0 + ROUND * 10);
        assert_eq!(p.allowed(), 1);
        // A response without the header keeps the limit once a quota was seen...
        p.observe_at(t0 + ROUND * 20 - ROUND, None, false, t0 + ROUND * 20);
        assert_eq!(p.allowed(), 1);
        // ...and, when no quota was ever reported, throttling does not apply.
        let unpaced = Pacer::new(None);
        unpaced.observe_at(t0, None, false, t0 + ROUND);
        assert_eq!(unpaced.allowed(), UNPACED);
        // Absurd server values stay within bounds.
        for (i, r) in [f64::INFINITY, 1e300, -1e300, f64::NAN, f64::NEG_INFINITY].into_iter().enumerate() {
            let at = t0 + ROUND * (30 + i as u32);
            busy(&p, at);
            p.observe_at(at - ROUND, Some(r), false, at);
            assert!((1..=CEILING).contains(&p.allowed()), "{r}: {}", p.allowed());
        }
    }

    #[test]
    fn canvas_counts_only_the_requests_it_holds_when_it_answers() {
        // Five in flight: this one, one other at Canvas, two answered before this answer
        // arrived, one sent at the very moment of this answer (not at Canvas yet).
        let p = Pacer::new(None);
        let t0 = Instant::now();
        let answered = Some(t0 - ROUND / 2);
        p.state.lock().unwrap().in_flight =
            vec![(t0 - ROUND, None), (t0 - ROUND, None), (t0 - ROUND, answered), (t0 - ROUND, answered), (t0, None)];
        // 250 left with one other in flight: ⌊(250 + 50) / 50⌋ − 1 = 5 (counting the
        // answered or the unsent would say more).
        p.observe_at(t0 - ROUND, Some(250.0), false, t0);
        assert_eq!(p.allowed(), 5);
    }

    #[tokio::test]
    async fn an_answered_request_stops_counting_at_canvas() {
        let p = Pacer::new(None);
        let a = p.acquire().await;
        let b = p.acquire().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let answered_at = Instant::now();
        p.answered(&a, answered_at);
        p.answered(&a, answered_at + ROUND); // a second call changes nothing
        tokio::time::sleep(Duration::from_millis(5)).await;
        // Only `b` is at Canvas: ⌊(100 + 0) / 50⌋ − 1 = 1 (with `a`, 2).
        p.observe_at(b.sent, Some(100.0), false, Instant::now());
        assert_eq!(p.allowed(), 1);
        drop((a, b));
    }

    #[test]
    fn a_nan_quota_says_nothing() {
        let p = Pacer::new(None);
        let t0 = Instant::now();
        p.observe_at(t0 - ROUND, Some(f64::NAN), false, t0);
        assert_eq!(p.allowed(), UNPACED, "like a response without the header, before any quota");
    }

    #[test]
    fn after_throttling_the_limit_does_not_grow_within_the_round() {
        let p = Pacer::new(None);
        let t0 = Instant::now();
        busy(&p, t0);
        p.observe_at(t0 - ROUND, Some(650.0), false, t0);
        let before = p.allowed();
        p.observe_at(t0 - ROUND, Some(650.0), true, t0);
        assert_eq!(p.allowed(), before / 2);
        // Plenty of room reported within the round that followed the throttling: no growth.
        busy(&p, t0 + ROUND / 2);
        p.observe_at(t0 + ROUND / 2 - ROUND, Some(700.0), false, t0 + ROUND / 2);
        assert_eq!(p.allowed(), before / 2);
        // A round later it grows again.
        busy(&p, t0 + ROUND * 3);
        p.observe_at(t0 + ROUND * 3 - ROUND, Some(700.0), false, t0 + ROUND * 3);
        assert!(p.allowed() > before / 2);
    }

    #[tokio::test]
    async fn a_caller_waiting_for_a_slot_is_woken_when_the_limit_grows() {
        let p = std::sync::Arc::new(Pacer::new(None));
        let now = Instant::now();
        p.observe_at(now - ROUND, None, true, now);
        p.observe_at(now - ROUND, None, true, now);
        assert_eq!(p.allowed(), 1, "throttled twice: 4, 2, 1");
        let held = p.acquire().await;
        let waiting = {
            let p = p.clone();
            tokio::spawn(async move {
                let _slot = p.acquire().await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "one slot, held");
        // More room, a round later: the waiter goes while the first slot is still held.
        let later = now + ROUND * 4;
        p.observe_at(later - ROUND, Some(700.0), false, later);
        tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("woken by the growth").unwrap();
        drop(held);
    }

    #[test]
    fn on_an_empty_bucket_it_settles_at_thirteen() {
        // A server that reports 700 − 50 × (others in flight) (the bucket's level stays 0):
        // the limit climbs to ⌊700/50⌋ − 1 = 13, the concurrency of R*, with room for one
        // more arrival, and stays there.
        let p = Pacer::new(None);
        let t0 = Instant::now();
        for round in 0..20 {
            let at = t0 + ROUND * round;
            busy(&p, at);
            let others = p.allowed() as f64 - 1.0;
            p.observe_at(at - ROUND, Some(700.0 - 50.0 * others), false, at);
        }
        assert_eq!(p.allowed(), 13);
    }

    #[tokio::test]
    async fn the_callers_bound_is_an_upper_limit_and_slots_are_released() {
        let p = std::sync::Arc::new(Pacer::new(Some(2)));
        let now = Instant::now();
        p.observe_at(now - ROUND, Some(700.0), false, now);
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
