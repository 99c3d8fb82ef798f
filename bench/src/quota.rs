//! `runtime-bench quota`: many lists read at once against a loopback Canvas that throttles
//! like Canvas ([`canvas_tests::bucket`]: high water mark 700, outflow 10 units/s, cost 0.25
//! per request of 250 ms, pre-flight charge 50), and one long list with numbered pages.
//! R* = min(outflow / cost, (⌊700/50⌋ − 1) / latency) = 40 requests/s.

use std::time::Instant;

use canvas_tests::bucket::{Bucket, BucketServer, Counts};
use futures_util::TryStreamExt;

#[derive(serde::Deserialize)]
struct Item {
    id: u64,
    list: u64,
}

/// Reads list `l` whole and checks that it has every id once, in order.
async fn read_list(client: &canvas_lms::Client, l: u64, bucket: &Bucket) -> Result<(), String> {
    let items: Vec<Item> = client
        .runtime()
        .get("/v1/lists/{list}/items", &[&l])
        .stream()
        .try_collect()
        .await
        .map_err(|e| e.to_string())?;
    let expected = bucket.pages * bucket.per_page;
    let ordered = items.iter().enumerate().all(|(i, it)| it.id == i as u64 + 1 && it.list == l);
    if items.len() == expected && ordered {
        Ok(())
    } else {
        Err(format!("list {l}: {} of {expected} items, in order: {ordered}", items.len()))
    }
}

fn client(base: &str, bound: Option<usize>) -> canvas_lms::Client {
    let b = canvas_lms::Client::builder(base).allow_insecure_http(true).token("bench");
    match bound {
        Some(n) => b.max_concurrent_requests(n),
        None => b,
    }
    .build()
    .expect("client")
}

/// Reads `lists` lists at once (or one after the other) and returns the wall time, the
/// server's counts and how many lists came complete.
async fn many_lists(bucket: Bucket, lists: u64, bound: Option<usize>, sequential: bool) -> (f64, Counts, usize) {
    let server = BucketServer::start(bucket).await;
    let client = client(&server.base, bound);
    let started = Instant::now();
    let results: Vec<Result<(), String>> = if sequential {
        let mut out = Vec::new();
        for l in 0..lists {
            out.push(read_list(&client, l, &bucket).await);
        }
        out
    } else {
        futures_util::future::join_all((0..lists).map(|l| read_list(&client, l, &bucket))).await
    };
    let wall = started.elapsed().as_secs_f64();
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        eprintln!("{e}");
    }
    (wall, server.counts(), results.iter().filter(|r| r.is_ok()).count())
}

/// `runtime-bench quota [--lists 32] [--pages 20] [--long-pages 50]`
pub fn run(lists: usize, pages: usize, long_pages: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let bucket = Bucket::canvas(pages);
        let rate_star = bucket.sustainable_rate();
        println!(
            "{lists} lists x {pages} pages x {} items, 250 ms per request, R* = {rate_star} req/s\n",
            bucket.per_page
        );
        println!("| client | wall s | requests | req/s | / R* | throttled | max in flight | lists complete |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        let configs: [(&str, Option<usize>, bool); 5] = [
            ("default (paced, no bound)", None, false),
            ("max_concurrent_requests(4)", Some(4), false),
            ("max_concurrent_requests(16)", Some(16), false),
            ("max_concurrent_requests(64)", Some(64), false),
            ("one list at a time", None, true),
        ];
        for (label, bound, sequential) in configs {
            let (wall, c, complete) = many_lists(bucket, lists as u64, bound, sequential).await;
            let rate = c.served as f64 / wall;
            let total = c.served + c.throttled;
            let share = 100.0 * c.throttled as f64 / total.max(1) as f64;
            println!(
                "| {label} | {wall:.1} | {total} | {rate:.1} | {:.2} | {} ({share:.1}%) | {} | {complete}/{lists} |",
                rate / rate_star,
                c.throttled,
                c.max_in_flight
            );
        }

        println!("\none list of {long_pages} pages, the same server:\n");
        println!("| links | wall s | requests | throttled | max in flight | complete |");
        println!("|---|---:|---:|---:|---:|---:|");
        let mut walls = Vec::new();
        for (label, numbered) in
            [("`next` only (no `last`): one page at a time", false), ("numbered `last`: pages fetched at once", true)]
        {
            let bucket = Bucket { numbered, ..Bucket::canvas(long_pages) };
            let server = BucketServer::start(bucket).await;
            let client = client(&server.base, None);
            let started = Instant::now();
            let ok = read_list(&client, 0, &bucket).await;
            let wall = started.elapsed().as_secs_f64();
            let c = server.counts();
            println!(
                "| {label} | {wall:.2} | {} | {} | {} | {} |",
                c.served + c.throttled,
                c.throttled,
                c.max_in_flight,
                ok.is_ok()
            );
            walls.push(wall);
        }
        println!("\nnumbered pages: {:.1}x faster than following `next`", walls[0] / walls[1]);
    });
}
