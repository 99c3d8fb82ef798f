//! GraphQL benchmark: the gradebook of a large course streamed with the shipped query
//! (`CourseSubmissions::stream`, a Relay connection of 100 submissions a page) from a
//! loopback `POST /api/graphql`. The client runs in its own process at a small and a large
//! number of pages: its peak RSS shows whether memory grows with the connection (it must
//! not: one page is held at a time).

use std::fmt::Write;
use std::time::Instant;

use futures_util::TryStreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};

/// Serves a connection of `pages` pages from a background thread; returns the base URI.
pub fn start_server(pages: usize) -> String {
    crate::server::in_background(move |socket, _| serve(socket, pages))
}

async fn serve(socket: tokio::net::TcpStream, pages: usize) {
    let mut reader = BufReader::with_capacity(64 * 1024, socket);
    loop {
        let Some((_, length)) = crate::server::read_head(&mut reader).await else { return };
        let mut body = vec![0u8; length as usize];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        // The cursor is the number of the page it follows.
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let page = request["variables"]["after"].as_str().and_then(|c| c.parse::<usize>().ok()).unwrap_or(0) + 1;
        let body = page_body(page, pages);
        // Head and body in one write: two small writes would meet Nagle and delayed ACKs.
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if reader.get_mut().write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Page `page` of `pages`: 100 submissions shaped like Canvas's answer to the query.
fn page_body(page: usize, pages: usize) -> String {
    let mut s = String::with_capacity(60_000);
    s.push_str(r#"{"data":{"course":{"_id":"101","name":"Chemistry","submissionsConnection":{"nodes":["#);
    for i in 0..100 {
        let id = (page - 1) * 100 + i + 1;
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"_id":"{id}","assignmentId":"{}","attempt":1,"grade":"A-","score":91.5,"enteredGrade":"A-","enteredScore":91.5,"excused":false,"late":false,"missing":false,"state":"graded","gradingStatus":"graded","submittedAt":"2024-09-14T05:59:59-06:00","gradedAt":"2024-09-20T16:02:11-06:00","postedAt":"2024-09-20T16:02:11-06:00","user":{{"_id":"{}","name":"Student {id}","sortableName":"{id}, Student"}}}}"#,
            id % 40 + 1,
            id / 40 + 1
        );
    }
    let next = page < pages;
    let _ = write!(s, r#"],"pageInfo":{{"hasNextPage":{next},"endCursor":"{page}"}}}}}}}}}}"#);
    s
}

/// The client process: streams the whole connection and prints `items= secs= rss_kb=`.
#[tokio::main(flavor = "current_thread")]
pub async fn client(base: &str, pages: usize) {
    use canvas_lms::graphql::course_submissions::CourseSubmissions;
    let client =
        canvas_lms::Client::builder(base).allow_insecure_http(true).token("bench-token").build().expect("client");
    let start = Instant::now();
    let (mut items, mut id_sum) = (0u64, 0u64);
    let mut nodes = CourseSubmissions::stream(&client, 101);
    while let Some(node) = nodes.try_next().await.expect("stream") {
        items += 1;
        id_sum += node.legacy_id.inner().parse::<u64>().expect("numeric id");
    }
    assert_eq!(items, pages as u64 * 100);
    assert_eq!(id_sum, items * (items + 1) / 2, "nodes lost or repeated");
    crate::report(items, start);
}

/// `runtime-bench graphql [--pages 1000] [--small-pages 100]`.
pub fn run(small: usize, pages: usize) {
    let exe = std::env::current_exe().expect("own path");
    println!("| client | pages × 100 nodes | nodes | seconds | nodes/s | peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|");
    for n in [small, pages] {
        let base = start_server(n);
        let out =
            std::process::Command::new(&exe).args(["graphql-client", &base, &n.to_string()]).output().expect("run");
        let r = crate::parse("canvas-lms `CourseSubmissions::stream`", n, &out);
        crate::print_row(&r);
    }
}
