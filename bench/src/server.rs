//! A Canvas-like list server on loopback: `GET /api/v1/courses?page=N&per_page=100` answers
//! 100 realistic course objects with `Link` headers (`current`, `first`, `next` until the
//! last page; no `last`, as Canvas often does), over keep-alive HTTP/1.1.

use std::fmt::Write;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt};

pub struct Server {
    pub base: String,
}

/// Serves `pages` pages from a background thread until the process exits.
pub fn start(pages: usize) -> Server {
    Server { base: in_background(move |socket, base| serve(socket, pages, base)) }
}

/// Accepts loopback connections on a background thread (its own single-threaded runtime),
/// handing each to `handle` with the server's base URI; returns that URI.
pub fn in_background<F, Fut>(handle: F) -> String
where
    F: Fn(tokio::net::TcpStream, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("nonblocking");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let own = base.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                tokio::spawn(handle(socket, own.clone()));
            }
        });
    });
    base
}

async fn serve(mut socket: tokio::net::TcpStream, pages: usize, base: String) {
    let mut buf = Vec::with_capacity(4096);
    while let Some(head) = canvas_tests::next_head(&mut socket, &mut buf).await {
        let target = head.split(' ').nth(1).unwrap_or("/");
        let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let page: usize =
            query.split('&').find_map(|kv| kv.strip_prefix("page=")).and_then(|p| p.parse().ok()).unwrap_or(1);
        let body = page_body(page);
        let mut link = format!(
            "<{base}/api/v1/courses?page={page}&per_page=100>; rel=\"current\",<{base}/api/v1/courses?page=1&per_page=100>; rel=\"first\""
        );
        if page < pages {
            let _ = write!(link, ",<{base}/api/v1/courses?page={}&per_page=100>; rel=\"next\"", page + 1);
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nlink: {link}\r\nx-request-cost: 0.0123\r\n\r\n",
            body.len()
        );
        if socket.write_all(head.as_bytes()).await.is_err() || socket.write_all(body.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// 100 course objects shaped like Canvas's (about 1.2 KB each).
pub(crate) fn page_body(page: usize) -> String {
    let mut s = String::with_capacity(130_000);
    s.push('[');
    for i in 0..100 {
        let id = (page - 1) * 100 + i + 1;
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":{id},"name":"Introduction to Topic {id}","account_id":81259,"uuid":"WvAHhY5FINzq5IyRIJybGeiXyFkG3SqHUPb7jZY5","start_at":"2024-08-26T06:00:00Z","grading_standard_id":null,"is_public":false,"created_at":"2024-05-02T17:48:12Z","course_code":"TOPIC-{id}","default_view":"modules","root_account_id":1,"enrollment_term_id":4321,"license":"private","grade_passback_setting":null,"end_at":"2024-12-20T06:59:59Z","public_syllabus":false,"public_syllabus_to_auth":false,"storage_quota_mb":3000,"is_public_to_auth_users":false,"homeroom_course":false,"course_color":null,"friendly_name":null,"apply_assignment_group_weights":true,"calendar":{{"ics":"https://canvas.example.edu/feeds/calendars/course_WvAHhY5FINzq5IyRIJybGeiXyFkG3SqHUPb7jZY5.ics"}},"time_zone":"America/Denver","blueprint":false,"template":false,"sis_course_id":"2024FA-TOPIC-{id}","integration_id":null,"enrollments":[{{"type":"student","role":"StudentEnrollment","role_id":3,"user_id":5551234,"enrollment_state":"active","limit_privileges_to_course_section":false}}],"hide_final_grades":false,"workflow_state":"available","restrict_enrollments_to_course_dates":false}}"#
        );
    }
    s.push(']');
    s
}

/// Reads one request's head from `reader`: its request line and its `content-length` (0
/// when absent); `None` once the peer has gone.
pub async fn read_head<R: AsyncBufRead + Unpin>(reader: &mut R) -> Option<(String, u64)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
        return None;
    }
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        if line == "\r\n" {
            return Some((request_line, length));
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
}
