//! The future a generated builder's `send` returns.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Result;

/// A request on its way: resolves to the decoded response. What the generated builders'
/// `send` returns (`client.courses().get_single_course(7).send().await?`).
///
/// It is a boxed future, so it is `Unpin` and `Send`: it can be awaited, spawned, or held in
/// a `select!` as it is. Boxing is what keeps the generated crate cheap to compile: the
/// future's code exists once per response type in the runtime, not once per operation.
#[must_use = "a request does nothing until it is awaited"]
pub struct Pending<'a, T>(Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>);

impl<'a, T> Pending<'a, T> {
    /// Wraps the future of a request.
    pub fn new(future: impl Future<Output = Result<T>> + Send + 'a) -> Self {
        Pending(Box::pin(future))
    }
}

impl<T> Future for Pending<'_, T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for Pending<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pending")
    }
}
