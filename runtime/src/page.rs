//! Pages of list results and the `Link` header that connects them.

/// One page of a list operation.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Links to the neighbouring pages, from the `Link` header.
    pub links: Links,
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
    fn parses_canvas_link_headers() {
        let l = Links::parse(
            r#"<https://c.test/api/v1/courses?page=2&per_page=10>; rel="current",<https://c.test/api/v1/courses?page=bookmark:WzFd&per_page=10>; rel="next", <https://c.test/api/v1/courses?page=1>; rel="first""#,
        );
        assert_eq!(l.next.as_deref(), Some("https://c.test/api/v1/courses?page=bookmark:WzFd&per_page=10"));
        assert_eq!(l.first.as_deref(), Some("https://c.test/api/v1/courses?page=1"));
        assert!(l.last.is_none());
    }
}
