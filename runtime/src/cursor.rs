//! Walking the pages of a list.
//!
//! A list starts at its first URL and follows each page's `rel="next"` link: same origin only,
//! relative links resolved against the page that carried them, and a link back to a page
//! already read is an error ([`Error::PaginationLoop`]), not an endless loop. When the first
//! page's `Link` names a numbered last page (`page=N`, the same URL as `next` otherwise), the
//! pages between are known in advance: they are fetched several at a time (as many as the
//! client's pacer allows, at most [`WINDOW`] ahead) and yielded in order; after the last one,
//! its own `next` link, if any, is followed as usual (a list that grew meanwhile loses
//! nothing). Bookmarks (`page=bookmark:..`) and a missing `last` are walked one by one.
//!
//! The walk is not generic: pages are decoded by a function chosen by the caller's item type
//! and carried type-erased, so the code of the walk exists once for all list operations.

use std::any::Any;
use std::collections::HashSet;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use url::Url;

use crate::decode::{page_of, RawResponse};
use crate::execute::execute_decoded;
use crate::page::{Links, Page, ResponseMeta};
use crate::request::Request;
use crate::{Error, Result};

/// Pages fetched ahead of the one being yielded, at most.
pub(crate) const WINDOW: usize = 8;

/// A decoded page whose items' type only the caller knows.
struct ErasedPage {
    /// `Vec<T>`.
    items: Box<dyn Any + Send>,
    links: Links,
    meta: ResponseMeta,
}

/// Decodes a response into a page of some item type.
type DecodePage = fn(&str, &RawResponse, Option<&str>) -> Result<ErasedPage>;

fn decode_page<T: DeserializeOwned + Send + 'static>(
    operation: &str,
    resp: &RawResponse,
    key: Option<&str>,
) -> Result<ErasedPage> {
    let page = page_of::<T>(operation, resp, key)?;
    Ok(ErasedPage { items: Box::new(page.items), links: page.links, meta: page.meta })
}

fn typed<T: 'static>(page: ErasedPage) -> Result<Page<T>> {
    let items = page
        .items
        .downcast::<Vec<T>>()
        .map_err(|_| Error::Config("a page was decoded as another type than asked for".into()))?;
    Ok(Page { items: *items, links: page.links, meta: page.meta })
}

type ErasedStream<'a> = Pin<Box<dyn Stream<Item = Result<ErasedPage>> + Send + 'a>>;

// The typed streams are small hand-written `Stream`s over the one erased walk: stream
// combinators (`and_then`, `map_ok`, `try_flatten`) would be compiled again for every item
// type. And they start the walk at their first poll, where they choose the decoder of `T`:
// a stream a program never polls compiles no decoding code, so a crate with a hundred list
// operations pays only for the ones its users read (boxing a stream as `dyn Stream` up front
// would compile every list's decoding in the crate that declares the operation).

/// The pages of a walk, for an item type.
enum Walk<'a, T> {
    /// Not polled yet.
    Start(Cursor<'a>, PhantomData<fn() -> T>),
    Walking(ErasedStream<'a>),
    Done,
}

impl<'a, T: DeserializeOwned + Send + 'static> Walk<'a, T> {
    fn new(cursor: Cursor<'a>) -> Self {
        Walk::Start(cursor, PhantomData)
    }

    fn poll_page(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Page<T>>>> {
        if let Walk::Start(..) = self {
            if let Walk::Start(cursor, _) = std::mem::replace(self, Walk::Done) {
                *self = Walk::Walking(cursor.walk(decode_page::<T>));
            }
        }
        match self {
            Walk::Walking(pages) => pages.as_mut().poll_next(cx).map(|page| page.map(|page| page.and_then(typed))),
            _ => Poll::Ready(None),
        }
    }
}

/// The pages of a list operation, in order: what a list builder's `pages()` returns. Each
/// page has its items, its links and what the response said about itself (cost, attempts).
/// The stream is `Unpin` and `Send`; it stops after the last page, or after the first error
/// (retries already done).
#[must_use = "a stream does nothing until it is polled"]
pub struct PageStream<'a, T> {
    walk: Walk<'a, T>,
}

impl<T: DeserializeOwned + Send + 'static> Stream for PageStream<'_, T> {
    type Item = Result<Page<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.walk.poll_page(cx)
    }
}

/// The items of a list operation, across all its pages, in order: what a list builder's
/// `stream()` returns. The stream is `Unpin` (`while let Some(x) = s.try_next().await?` works
/// as is) and `Send`, holds a bounded number of pages, and stops after the first error.
#[must_use = "a stream does nothing until it is polled"]
pub struct ItemStream<'a, T> {
    walk: Walk<'a, T>,
    /// The rest of the page being yielded.
    page: std::vec::IntoIter<T>,
}

// Nothing of a stream is ever pinned in place (the walk is boxed; items are moved out), so
// it may move whatever its item type.
impl<T> Unpin for ItemStream<'_, T> {}

impl<T: DeserializeOwned + Send + 'static> Stream for ItemStream<'_, T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.page.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match std::task::ready!(this.walk.poll_page(cx)) {
                Some(Ok(page)) => this.page = page.items.into_iter(),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}

impl<T> std::fmt::Debug for PageStream<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageStream")
    }
}

impl<T> std::fmt::Debug for ItemStream<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemStream").field("items_left_in_page", &self.page.len()).finish()
    }
}

/// The state of a walk through a list's pages.
pub(crate) struct Cursor<'a> {
    request: Arc<Request<'a>>,
    next: Option<Result<Url>>,
    /// The pages asked for so far: a `next` link back to one of them is a loop.
    seen: HashSet<String>,
}

impl<'a> Cursor<'a> {
    pub fn new(request: Request<'a>, first: Result<Url>) -> Self {
        Cursor { request: Arc::new(request), next: Some(first), seen: HashSet::new() }
    }

    /// The URL the walk reads first (for tests).
    #[cfg(test)]
    pub(crate) fn first_url(&self) -> Option<&Url> {
        self.next.as_ref()?.as_ref().ok()
    }

    /// The first page only.
    pub async fn first_page<T: DeserializeOwned + Send + 'static>(mut self) -> Option<Result<Page<T>>> {
        let page = self.step(decode_page::<T>).await?;
        Some(page.and_then(typed))
    }

    /// Every page, in order.
    pub fn pages<T: DeserializeOwned + Send + 'static>(self) -> PageStream<'a, T> {
        PageStream { walk: Walk::new(self) }
    }

    /// Every item of every page, in order.
    pub fn items<T: DeserializeOwned + Send + 'static>(self) -> ItemStream<'a, T> {
        ItemStream { walk: Walk::new(self), page: Vec::new().into_iter() }
    }

    /// Reads the page at `self.next` and moves `self.next` to its `next` link.
    async fn step(&mut self, decode: DecodePage) -> Option<Result<ErasedPage>> {
        let url = match self.next.take()? {
            Ok(url) => url,
            Err(e) => return Some(Err(e)),
        };
        let page = match self.checked(&url) {
            Ok(()) => fetch(&self.request, url.clone(), decode).await,
            Err(e) => Err(e),
        };
        Some(page.inspect(|page| self.next = resolve(&url, page.links.next.as_deref())))
    }

    /// A URL the walk may fetch: safe, on the Canvas origin, not fetched before.
    fn checked(&mut self, url: &Url) -> Result<()> {
        let client = self.request.client();
        client.check_url(url)?;
        if !client.is_same_origin(url) {
            return Err(Error::ForeignOrigin(crate::client::redacted(url)));
        }
        if !self.seen.insert(page_key(url)) {
            return Err(Error::PaginationLoop(crate::client::redacted(url)));
        }
        Ok(())
    }

    /// Claims `urls` for a fan-out when every one may be fetched (safe, same origin, new);
    /// claims none otherwise.
    fn claim_all(&mut self, urls: &[Url]) -> bool {
        let client = self.request.client();
        let fine = urls
            .iter()
            .all(|u| client.check_url(u).is_ok() && client.is_same_origin(u) && !self.seen.contains(&page_key(u)));
        if fine {
            self.seen.extend(urls.iter().map(page_key));
        }
        fine
    }

    /// The pages as a stream: the first, then either the numbered pages several at a time or
    /// the `next` links one by one; stops after the first error.
    fn walk(self, decode: DecodePage) -> ErasedStream<'a> {
        enum Phase<'a> {
            Walk(Cursor<'a>),
            /// Numbered pages in flight; `last_next` is the newest page's own `next` link.
            Fan {
                cursor: Cursor<'a>,
                pages: ErasedStream<'a>,
                base: Url,
                last_next: Option<String>,
            },
            Done,
        }
        Box::pin(futures_util::stream::unfold((Phase::Walk(self), true), move |(phase, first)| async move {
            let mut phase = phase;
            loop {
                match phase {
                    Phase::Done => return None,
                    Phase::Walk(mut cursor) => {
                        let requested = cursor.next.as_ref().and_then(|u| u.as_ref().ok()).cloned();
                        let page = match cursor.step(decode).await? {
                            Ok(page) => page,
                            Err(e) => return Some((Err(e), (Phase::Done, false))),
                        };
                        if let (true, Some(base)) = (first, requested) {
                            if let Some(urls) = numbered_pages(&base, &page.links) {
                                if cursor.claim_all(&urls) {
                                    let request = cursor.request.clone();
                                    let pages = futures_util::stream::iter(urls)
                                        .map(move |url| {
                                            let request = request.clone();
                                            async move { fetch(&request, url, decode).await }
                                        })
                                        .buffered(WINDOW);
                                    cursor.next = None;
                                    let fan = Phase::Fan { cursor, pages: Box::pin(pages), base, last_next: None };
                                    return Some((Ok(page), (fan, false)));
                                }
                            }
                        }
                        return Some((Ok(page), (Phase::Walk(cursor), false)));
                    }
                    Phase::Fan { mut cursor, mut pages, base, last_next } => match pages.next().await {
                        Some(Ok(page)) => {
                            let last_next = page.links.next.clone();
                            return Some((Ok(page), (Phase::Fan { cursor, pages, base, last_next }, false)));
                        }
                        Some(Err(e)) => return Some((Err(e), (Phase::Done, false))),
                        None => {
                            // The numbered pages are read: go on from the last one's `next`
                            // (a list that grew since the first page), if it names a new page.
                            cursor.next = resolve(&base, last_next.as_deref()).filter(|u| match u {
                                Ok(u) => !cursor.seen.contains(&page_key(u)),
                                Err(_) => true,
                            });
                            phase = Phase::Walk(cursor);
                        }
                    },
                }
            }
        }))
    }
}

/// What makes two page URLs the same page: path and query, the query's order aside, and a
/// missing `page` read as `page=1` (Canvas's first page has none; a `next` link back to it
/// names it).
fn page_key(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if !pairs.iter().any(|(k, _)| k == "page") {
        pairs.push(("page".into(), "1".into()));
    }
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{}{}?{}", url.origin().ascii_serialization(), url.path(), query.join("&"))
}

/// Fetches and decodes one page (through the executor: pacing, retries, malformed bodies).
async fn fetch(request: &Request<'_>, url: Url, decode: DecodePage) -> Result<ErasedPage> {
    let key = request.wrapped_in();
    execute_decoded(request, url, |operation, resp| decode(operation, resp, key)).await
}

/// A `next` link resolved against the page that carried it (RFC 8288 allows relative links).
fn resolve(page: &Url, next: Option<&str>) -> Option<Result<Url>> {
    next.map(|n| {
        page.join(n)
            .map_err(|e| Error::UnsafeUrl { url: n.to_owned(), reason: format!("a next link that is not a URL: {e}") })
    })
}

/// The URLs of pages `next..=last` when the first page's links number them: `next` and
/// `last` are the same URL but for a numeric `page` parameter, `next` ≤ `last`, and there are
/// at most 10,000 of them. `None` for bookmarks, a missing `last`, or anything else.
fn numbered_pages(current: &Url, links: &Links) -> Option<Vec<Url>> {
    let next = current.join(links.next.as_deref()?).ok()?;
    let last = current.join(links.last.as_deref()?).ok()?;
    let page_of = |u: &Url| -> Option<u64> { u.query_pairs().find(|(k, _)| k == "page")?.1.parse().ok() };
    let without_page = |u: &Url| {
        let mut pairs: Vec<(String, String)> =
            u.query_pairs().filter(|(k, _)| k != "page").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        pairs.sort();
        (u.origin(), u.path().to_owned(), pairs)
    };
    let (from, to) = (page_of(&next)?, page_of(&last)?);
    if from > to || to - from >= 10_000 || without_page(&next) != without_page(&last) {
        return None;
    }
    Some(
        (from..=to)
            .map(|n| {
                let mut url = next.clone();
                let pairs: Vec<(String, String)> = next
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "page" { n.to_string() } else { v.into_owned() };
                        (k.into_owned(), v)
                    })
                    .collect();
                url.query_pairs_mut().clear().extend_pairs(pairs);
                url
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(next: Option<&str>, last: Option<&str>) -> Links {
        Links { next: next.map(str::to_owned), last: last.map(str::to_owned), ..Links::default() }
    }

    #[test]
    fn at_most_ten_thousand_numbered_pages_are_fanned_out() {
        let base = Url::parse("https://canvas.test/api/v1/courses?per_page=10").unwrap();
        let pages = |last: u32| {
            numbered_pages(&base, &links(Some("?page=2&per_page=10"), Some(&format!("?page={last}&per_page=10"))))
        };
        assert_eq!(pages(10_001).map(|p| p.len()), Some(10_000));
        assert!(pages(10_002).is_none(), "more than 10,000 pages: read one by one");
        assert_eq!(pages(3).map(|p| p.len()), Some(2));
    }

    #[test]
    fn streams_say_what_they_are_in_debug() {
        let client = crate::Client::builder("https://canvas.test").build().unwrap();
        let items = client.get("/v1/courses", &[]).stream::<serde_json::Value>();
        assert_eq!(format!("{items:?}"), "ItemStream { items_left_in_page: 0 }");
        let pages = client.get("/v1/courses", &[]).pages::<serde_json::Value>();
        assert_eq!(format!("{pages:?}"), "PageStream");
    }

    #[test]
    fn streams_are_send_and_unpin_whatever_their_item_type() {
        fn send_stream<S: Stream + Send + Unpin>() {}
        fn unpin<S: Unpin>() {}
        send_stream::<ItemStream<'static, serde_json::Value>>();
        send_stream::<PageStream<'static, serde_json::Value>>();
        // An item type that is not `Unpin` does not make the stream so.
        unpin::<ItemStream<'static, std::marker::PhantomPinned>>();
        unpin::<PageStream<'static, std::marker::PhantomPinned>>();
    }

    #[test]
    fn the_first_page_and_page_one_are_the_same_page() {
        let key = |u: &str| page_key(&Url::parse(u).unwrap());
        assert_eq!(key("https://c.test/a?per_page=10"), key("https://c.test/a?page=1&per_page=10"));
        assert_eq!(key("https://c.test/a?x=1&y=2"), key("https://c.test/a?y=2&x=1"));
        assert_ne!(key("https://c.test/a?page=2"), key("https://c.test/a"));
        assert_ne!(key("https://c.test/a?page=bookmark:x"), key("https://c.test/a?page=bookmark:y"));
    }

    #[test]
    fn numbered_pages_are_listed_only_when_the_links_number_them() {
        let base = Url::parse("https://c.test/api/v1/courses?per_page=100").unwrap();
        let urls = numbered_pages(
            &base,
            &links(
                Some("https://c.test/api/v1/courses?page=2&per_page=100"),
                Some("https://c.test/api/v1/courses?per_page=100&page=4"),
            ),
        )
        .unwrap();
        let shown: Vec<&str> = urls.iter().map(Url::as_str).collect();
        assert_eq!(
            shown,
            [
                "https://c.test/api/v1/courses?page=2&per_page=100",
                "https://c.test/api/v1/courses?page=3&per_page=100",
                "https://c.test/api/v1/courses?page=4&per_page=100"
            ]
        );
        // Relative links are resolved first.
        assert_eq!(numbered_pages(&base, &links(Some("?page=2"), Some("?page=3"))).unwrap().len(), 2);
        // Bookmarks, no `last`, other differences, absurd ranges: walk instead.
        let none = |next: &str, last: Option<&str>| numbered_pages(&base, &links(Some(next), last)).is_none();
        assert!(none("https://c.test/api/v1/courses?page=bookmark:WzFd", Some("https://c.test/api/v1/courses?page=9")));
        assert!(none("https://c.test/api/v1/courses?page=2", None));
        assert!(none("https://c.test/api/v1/courses?page=2&a=1", Some("https://c.test/api/v1/courses?page=3&a=2")));
        assert!(none("https://c.test/api/v1/courses?page=5", Some("https://c.test/api/v1/courses?page=3")));
        assert!(none("https://c.test/api/v1/courses?page=2", Some("https://c.test/api/v1/courses?page=99999999")));
        assert!(none("https://c.test/api/v1/courses?page=2", Some("https://other.test/api/v1/courses?page=3")));
    }
}
