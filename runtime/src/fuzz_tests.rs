//! Property tests of every parser that reads server data: the `Link` header, error bodies,
//! `Retry-After`, the cost headers, lenient scalars, ids, `while(1);` stripping, list pages and
//! excerpts. Whatever a server sends, each returns a value or an error; none panics, and the
//! values keep their promises (a wait within the cap, an excerpt within 512 bytes, a stripped
//! body that is a suffix of the body).
//!
//! Inputs are drawn from a seeded generator that mixes the characters and words these formats
//! are made of (so most cases get deep into the parsers, not just past their first check) with
//! raw bytes, out-of-range numbers and nested JSON. `CANVAS_FUZZ_CASES` (default 2,000 per
//! parser) and `CANVAS_FUZZ_SEED` set a longer or different run; a failure prints the seed
//! and the input.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::decode::{page_of, strip_while1, RawResponse};
use crate::error::{excerpt, HttpError};
use crate::page::{Links, ResponseMeta};
use crate::retry::RetryPolicy;
use crate::Id;

/// Pieces of the formats under test, so random strings look like the real thing often.
const FRAGMENTS: &[&str] = &[
    "<",
    ">",
    ";",
    ",",
    " ",
    "\t",
    "\"",
    "=",
    "rel",
    "rel=",
    "next",
    "last",
    "prev",
    "first",
    "current",
    "https://canvas.test/api/v1/courses?page=",
    "bookmark:",
    "%",
    "%2",
    "[",
    "]",
    "{",
    "}",
    ":",
    "-",
    "+",
    ".",
    "e",
    "E",
    "0",
    "1",
    "9",
    "1e20",
    "-1",
    "NaN",
    "inf",
    "18446744073709551616",
    "while(1);",
    "errors",
    "message",
    "error_report_id",
    "null",
    "true",
    "false",
    "T",
    "Z",
    "2024-02-30",
    "2024-01-01T00:00:00",
    "+99:99",
    "GMT",
    "Wed, 21 Oct 2015 07:28:00",
    "é",
    "日本",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "\\",
    "\\u0000",
    "\r\n",
];

struct Gen(fastrand::Rng);

impl Gen {
    fn text(&mut self) -> String {
        if self.0.u8(0..4) == 0 {
            // One piece alone: a whole header value such as `1e20` or `inf`.
            return FRAGMENTS[self.0.usize(0..FRAGMENTS.len())].to_owned();
        }
        let n = self.0.usize(0..24);
        let mut s = String::new();
        for _ in 0..n {
            match self.0.u8(0..10) {
                0 => s.push(self.0.char(..)),
                1 => s.push_str(&self.0.u64(..).to_string()),
                _ => s.push_str(FRAGMENTS[self.0.usize(0..FRAGMENTS.len())]),
            }
        }
        s
    }

    fn bytes(&mut self) -> Vec<u8> {
        match self.0.u8(0..4) {
            0 => (0..self.0.usize(0..64)).map(|_| self.0.u8(..)).collect(),
            1 => self.json(3).to_string().into_bytes(),
            2 => {
                // JSON with a few bytes flipped or cut: almost valid is where parsers break.
                let mut b = self.json(3).to_string().into_bytes();
                for _ in 0..self.0.usize(0..3) {
                    if !b.is_empty() {
                        let i = self.0.usize(0..b.len());
                        b[i] = self.0.u8(..);
                    }
                }
                b.truncate(self.0.usize(0..=b.len()));
                b
            }
            _ => self.text().into_bytes(),
        }
    }

    fn number(&mut self) -> Value {
        match self.0.u8(0..6) {
            0 => Value::from(u64::MAX),
            1 => Value::from(i64::MIN),
            2 => Value::from(self.0.f64() * 1e308),
            3 => Value::from(-self.0.f64()),
            4 => Value::from(self.0.i64(..)),
            _ => serde_json::Number::from_f64(0.5 + self.0.u32(..) as f64).map_or(Value::Null, Value::Number),
        }
    }

    fn json(&mut self, depth: u32) -> Value {
        let keys = ["errors", "message", "error_report_id", "meta", "pagination", "next", "id", "items", "x"];
        match self.0.u8(0..if depth == 0 { 4 } else { 7 }) {
            0 => Value::Null,
            1 => Value::Bool(self.0.bool()),
            2 => self.number(),
            3 => Value::String(self.text()),
            4 | 5 => {
                let n = self.0.usize(0..4);
                Value::Object(
                    (0..n).map(|_| (keys[self.0.usize(0..keys.len())].to_owned(), self.json(depth - 1))).collect(),
                )
            }
            _ => Value::Array((0..self.0.usize(0..4)).map(|_| self.json(depth - 1)).collect()),
        }
    }

    fn headers(&mut self) -> HeaderMap {
        let names = ["link", "retry-after", "x-request-cost", "x-rate-limit-remaining", "www-authenticate"];
        let mut h = HeaderMap::new();
        for _ in 0..self.0.usize(0..4) {
            let name = HeaderName::from_static(names[self.0.usize(0..names.len())]);
            // Header values cannot hold every byte; those a server cannot send are skipped.
            if let Ok(v) = HeaderValue::from_bytes(self.text().as_bytes()) {
                h.append(name, v);
            }
        }
        h
    }
}

/// Runs `check` on `cases()` inputs from `make`, reporting the seed and input of a panic.
fn property<I: std::fmt::Debug>(name: &str, mut make: impl FnMut(&mut Gen) -> I, check: impl Fn(&I)) {
    let cases: usize = std::env::var("CANVAS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let seed: u64 = std::env::var("CANVAS_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_ca57);
    let mut generator = Gen(fastrand::Rng::with_seed(seed ^ name.len() as u64));
    for case in 0..cases {
        let input = make(&mut generator);
        if catch_unwind(AssertUnwindSafe(|| check(&input))).is_err() {
            panic!("{name}: case {case} (CANVAS_FUZZ_SEED={seed}) panicked on {input:?}");
        }
    }
}

#[test]
fn link_headers_never_panic() {
    property("link", Gen::text, |s| {
        let links = Links::parse(s);
        for url in [&links.next, &links.prev, &links.first, &links.last, &links.current].into_iter().flatten() {
            assert!(s.contains(url.as_str()), "a relation's URL comes from the header");
        }
    });
    property("link headers", Gen::headers, |h| {
        let _ = Links::from_headers(h);
    });
    property(
        "meta.pagination",
        |g| g.json(3),
        |v| {
            let mut links = Links::default();
            links.fill_from_meta(v);
        },
    );
}

#[test]
fn retry_after_is_always_within_the_cap() {
    let policy = RetryPolicy { max_retry_after: Duration::from_secs(7), ..RetryPolicy::default() };
    property("retry-after", Gen::text, |s| {
        if let Some(wait) = policy.retry_after(Some(s)) {
            assert!(wait <= Duration::from_secs(7), "{wait:?}");
        }
    });
}

#[test]
fn error_bodies_and_cost_headers_never_panic() {
    property(
        "error body",
        |g| (g.0.u16(100..1000), g.headers(), g.bytes()),
        |(status, headers, body)| {
            let e = HttpError::from_body(*status, headers, body);
            assert!(e.body_excerpt.len() <= 512);
            let _ = e.to_string();
            let _ = e.is_throttled();
            let meta = ResponseMeta::from_headers(*status, headers, 1);
            let _ = (meta.request_cost, meta.rate_limit_remaining);
        },
    );
}

#[test]
fn lenient_scalars_and_ids_never_panic() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Scalars {
        #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "crate::lenient::opt_i64")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "crate::lenient::opt_f64")]
        f: Option<f64>,
        #[serde(default, deserialize_with = "crate::lenient::opt_datetime")]
        t: Option<crate::DateTime>,
        #[serde(default)]
        id: Option<Id>,
    }
    property(
        "lenient scalars",
        |g| {
            let mut v = || match g.0.u8(0..3) {
                0 => g.number(),
                1 => Value::String(g.text()),
                _ => g.json(1),
            };
            serde_json::json!({"b": v(), "i": v(), "f": v(), "t": v(), "id": v()})
        },
        |v| {
            let _ = serde_json::from_value::<Scalars>(v.clone());
            let _ = serde_json::from_str::<Scalars>(&v.to_string());
        },
    );
    property("timestamps", Gen::text, |s| {
        let _ = crate::lenient::parse_datetime(s);
    });
    property("ids", Gen::bytes, |b| {
        if let Ok(id) = serde_json::from_slice::<Id>(b) {
            let again: Id = serde_json::from_str(&serde_json::to_string(&id).unwrap()).unwrap();
            assert_eq!(again, id, "an id survives a round trip");
        }
    });
}

#[test]
fn bodies_pages_and_excerpts_never_panic() {
    property("while(1)", Gen::bytes, |b| {
        let mut body = b.clone();
        if body.len() % 2 == 0 {
            body.splice(0..0, b"  while(1);".iter().copied());
        }
        let stripped = strip_while1(&body);
        assert!(body.ends_with(stripped));
    });
    property(
        "list page",
        |g| (g.headers(), g.bytes()),
        |(headers, body)| {
            let raw = RawResponse {
                status: 200,
                headers: headers.clone(),
                body: body.clone(),
                attempts: 1,
                auth_generation: None,
                received: std::time::Instant::now(),
            };
            let _ = page_of::<Value>("GET /api/v1/courses", &raw, None);
        },
    );
    property("excerpt", Gen::text, |s| {
        let e = excerpt(s);
        assert!(e.len() <= 512 && s.starts_with(&e));
    });
}
