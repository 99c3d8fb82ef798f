//! Pages of list results and the `Link` header that connects them.

/// One page of a list operation.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Links to the neighbouring pages, from the `Link` header (or the body's
    /// `meta.pagination` for endpoints that paginate in the body).
    pub links: Links,
    /// Status and cost of the response that carried the page.
    pub meta: ResponseMeta,
}

/// What a response says besides its body: status and Canvas's throttling headers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ResponseMeta {
    /// HTTP status.
    pub status: u16,
    /// `X-Request-Cost`: quota this request used.
    pub request_cost: Option<f64>,
    /// `X-Rate-Limit-Remaining`: quota left (sent only when throttling applies).
    pub rate_limit_remaining: Option<f64>,
    /// Attempts it took (1 when the first try succeeded).
    pub attempts: u32,
}

impl ResponseMeta {
    pub(crate) fn from_headers(status: u16, headers: &reqwest::header::HeaderMap, attempts: u32) -> Self {
        let f = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
        ResponseMeta {
            status,
            request_cost: f("x-request-cost"),
            rate_limit_remaining: f("x-rate-limit-remaining"),
            attempts,
        }
    }
}

/// The relations of a Canvas `Link` header. URLs are kept opaque (Canvas may use page
/// numbers or `bookmark:` cursors); `last` is often absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// `rel="current"`
    pub current: Option<String>,
    /// `rel="next"`: absent on the last page.
    pub next: Option<String>,
    /// `rel="prev"`
    pub prev: Option<String>,
    /// `rel="first"`
    pub first: Option<String>,
    /// `rel="last"`: Canvas omits it when counting would be expensive.
    pub last: Option<String>,
}

impl Links {
    /// Parses every `Link` header (the header name is case-insensitive).
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let mut links = Links::default();
        for value in headers.get_all(reqwest::header::LINK) {
            if let Ok(v) = value.to_str() {
                links.parse_into(v);
            }
        }
        links
    }

    /// Parses one header value: `<url>; rel="next", <url>; rel="last"`.
    pub fn parse(value: &str) -> Self {
        let mut links = Links::default();
        links.parse_into(value);
        links
    }

    /// Fills the relations missing from the header with the body's `meta.pagination`
    /// (`{"next": "<url>", "prev": .., "first": .., "last": .., "current": ..}`).
    pub(crate) fn fill_from_meta(&mut self, pagination: &serde_json::Value) {
        let get = |k: &str| pagination.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        self.current = self.current.take().or_else(|| get("current"));
        self.next = self.next.take().or_else(|| get("next"));
        self.prev = self.prev.take().or_else(|| get("prev"));
        self.first = self.first.take().or_else(|| get("first"));
        self.last = self.last.take().or_else(|| get("last"));
    }

    fn parse_into(&mut self, value: &str) {
        let mut rest = value;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else { return };
            let url = rest[open + 1..open + close].trim().to_owned();
            rest = &rest[open + close + 1..];
            let params_end = rest.find('<').unwrap_or(rest.len());
            let params = &rest[..params_end];
            for param in params.split(';') {
                let Some((name, val)) = param.split_once('=') else { continue };
                if !name.trim().eq_ignore_ascii_case("rel") {
                    continue;
                }
                for rel in val.trim().trim_matches(|c| c == '"' || c == ',').split_whitespace() {
                    let slot = match rel.to_ascii_lowercase().as_str() {
                        "current" => &mut self.current,
                        "next" => &mut self.next,
                        "prev" | "previous" => &mut self.prev,
                        "first" => &mut self.first,
                        "last" => &mut self.last,
                        _ => continue,
                    };
                    *slot = Some(url.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Links;

    #[test]
    fn every_relation_canvas_sends_is_read() {
        let links = Links::parse(
            r#"<https://c.test/api/v1/x?page=2>; rel="current", <https://c.test/api/v1/x?page=3>; rel="next", <https://c.test/api/v1/x?page=1>; rel="prev", <https://c.test/api/v1/x?page=1>; rel="first", <https://c.test/api/v1/x?page=9>; rel="last""#,
        );
        assert_eq!(links.current.as_deref(), Some("https://c.test/api/v1/x?page=2"));
        assert_eq!(links.next.as_deref(), Some("https://c.test/api/v1/x?page=3"));
        assert_eq!(links.prev.as_deref(), Some("https://c.test/api/v1/x?page=1"));
        assert_eq!(links.first.as_deref(), Some("https://c.test/api/v1/x?page=1"));
        assert_eq!(links.last.as_deref(), Some("https://c.test/api/v1/x?page=9"));
        let previous = Links::parse(r#"<https://c.test/p>; rel="previous""#);
        assert_eq!(previous.prev.as_deref(), Some("https://c.test/p"));
    }

    #[test]
    fn response_meta_reports_status_cost_quota_and_attempts() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-request-cost", "1.5".parse().unwrap());
        headers.insert("x-rate-limit-remaining", " 612.25 ".parse().unwrap());
        let meta = super::ResponseMeta::from_headers(200, &headers, 3);
        assert_eq!(meta.status, 200);
        assert_eq!(meta.request_cost, Some(1.5));
        assert_eq!(meta.rate_limit_remaining, Some(612.25));
        assert_eq!(meta.attempts, 3, "the attempts the response took are reported as given");
        let meta = super::ResponseMeta::from_headers(201, &reqwest::header::HeaderMap::new(), 1);
        assert_eq!((meta.request_cost, meta.rate_limit_remaining, meta.attempts), (None, None, 1));
    }

    #[test]
    fn parses_canvas_link_headers() {
        let l = Links::parse(
            r#"<https://c.test/api/v1/courses?page=2&per_page=10>; rel="current",<https://c.test/api/v1/courses?page=bookmark:WzFd&per_page=10>; rel="next", <https://c.test/api/v1/courses?page=1>; rel="first""#,
        );
        assert_eq!(l.next.as_deref(), Some("https://c.test/api/v1/courses?page=bookmark:WzFd&per_page=10"));
        assert_eq!(l.first.as_deref(), Some("https://c.test/api/v1/courses?page=1"));
        assert!(l.last.is_none());
    }
}
