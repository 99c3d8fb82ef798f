//! A loopback Canvas that throttles the way Canvas does, serving paginated lists.
//!
//! Canvas's leaky bucket, per token: a high water mark (700 units), an outflow (10 units/s),
//! a cost per request added when it finishes (its processing time), and a pre-flight charge
//! (50 units) held by every request in flight. A request that arrives when the bucket cannot
//! take its charge gets `403 Forbidden (Rate Limit Exceeded)`. Every response carries
//! `X-Request-Cost` and `X-Rate-Limit-Remaining` (the high water mark minus the level, charges
//! of requests in flight included).
//!
//! Lists: `GET /api/v1/lists/{l}/items?page=N` answers `per_page` items `{"id", "list"}`
//! numbered from 1 across pages, with `Link` headers (`current`, `first`, `next` up to the
//! last page, and `last` when [`Bucket::numbered`] is set).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// The bucket and the lists it serves.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    pub high_water: f64,
    /// Units drained per second.
    pub outflow: f64,
    /// Charge held by each request in flight.
    pub preflight: f64,
    /// Units a request adds when it finishes.
    pub cost: f64,
    /// How long the server takes to answer.
    pub latency: Duration,
    /// Pages per list.
    pub pages: usize,
    pub per_page: usize,
    /// Name the last page in `Link` (numbered pagination).
    pub numbered: bool,
}

impl Bucket {
    /// Canvas's figures, with 250 ms per request: R* = 40 requests/s.
    pub fn canvas(pages: usize) -> Self {
        Bucket {
            high_water: 700.0,
            outflow: 10.0,
            preflight: 50.0,
            cost: 0.25,
            latency: Duration::from_millis(250),
            pages,
            per_page: 100,
            numbered: false,
        }
    }

    /// The sustainable request rate: min(outflow / cost, (⌊hwm / preflight⌋ − 1) / latency).
    pub fn sustainable_rate(&self) -> f64 {
        let by_cost = self.outflow / self.cost;
        let by_flight = ((self.high_water / self.preflight).floor() - 1.0) / self.latency.as_secs_f64();
        by_cost.min(by_flight)
    }
}

/// What the server saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub served: usize,
    pub throttled: usize,
    pub max_in_flight: usize,
}

#[derive(Default)]
struct State {
    level: f64,
    last: Option<Instant>,
    in_flight: usize,
    counts: Counts,
}

impl State {
    fn drain(&mut self, now: Instant, outflow: f64) {
        if let Some(last) = self.last {
            self.level = (self.level - outflow * now.duration_since(last).as_secs_f64()).max(0.0);
        }
        self.last = Some(now);
    }
}

/// A running throttling server; it stops when dropped.
pub struct BucketServer {
    pub base: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl BucketServer {
    pub async fn start(bucket: Bucket) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state: Arc<Mutex<State>> = Arc::default();
        let (shared, own) = (state.clone(), base.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                tokio::spawn(serve(socket, own.clone(), bucket, shared.clone()));
            }
        });
        BucketServer { base, state, task }
    }

    pub fn counts(&self) -> Counts {
        self.state.lock().unwrap().counts
    }
}

impl Drop for BucketServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut socket: tokio::net::TcpStream, base: String, bucket: Bucket, state: Arc<Mutex<State>>) {
    let mut buf = Vec::with_capacity(4096);
    while let Some(head) = crate::next_head(&mut socket, &mut buf).await {
        let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
        let admitted = {
            let mut s = state.lock().unwrap();
            s.drain(Instant::now(), bucket.outflow);
            if s.level + bucket.preflight * (s.in_flight + 1) as f64 > bucket.high_water {
                s.counts.throttled += 1;
                Err(bucket.high_water - s.level - bucket.preflight * s.in_flight as f64)
            } else {
                s.in_flight += 1;
                s.counts.max_in_flight = s.counts.max_in_flight.max(s.in_flight);
                Ok(())
            }
        };
        let reply = match admitted {
            Err(remaining) => {
                let body = "403 Forbidden (Rate Limit Exceeded)\n";
                format!(
                    "HTTP/1.1 403 Forbidden\r\ncontent-length: {}\r\nx-request-cost: 0\r\nx-rate-limit-remaining: {remaining:.3}\r\n\r\n{body}",
                    body.len()
                )
            }
            Ok(()) => {
                tokio::time::sleep(bucket.latency).await;
                let remaining = {
                    let mut s = state.lock().unwrap();
                    s.drain(Instant::now(), bucket.outflow);
                    s.in_flight -= 1;
                    s.level += bucket.cost;
                    s.counts.served += 1;
                    bucket.high_water - s.level - bucket.preflight * s.in_flight as f64
                };
                page(&base, &target, &bucket, remaining)
            }
        };
        if socket.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn page(base: &str, target: &str, bucket: &Bucket, remaining: f64) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let list: usize = path.split('/').nth(4).and_then(|l| l.parse().ok()).unwrap_or(0);
    let page: usize =
        query.split('&').find_map(|kv| kv.strip_prefix("page=")).and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let mut body = String::from("[");
    for i in 0..bucket.per_page {
        let id = (page - 1) * bucket.per_page + i + 1;
        let comma = if i > 0 { "," } else { "" };
        let _ = write!(body, "{comma}{{\"id\": {id}, \"list\": {list}, \"name\": \"Item {id}\"}}");
    }
    body.push(']');
    let url = |n: usize| format!("{base}/api/v1/lists/{list}/items?page={n}&per_page={}", bucket.per_page);
    let mut link = format!("<{}>; rel=\"current\",<{}>; rel=\"first\"", url(page), url(1));
    if page < bucket.pages {
        let _ = write!(link, ",<{}>; rel=\"next\"", url(page + 1));
    }
    if bucket.numbered {
        let _ = write!(link, ",<{}>; rel=\"last\"", url(bucket.pages));
    }
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nlink: {link}\r\nx-request-cost: {}\r\nx-rate-limit-remaining: {remaining:.3}\r\n\r\n{body}",
        body.len(),
        bucket.cost
    )
}
