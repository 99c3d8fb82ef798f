//! The escape hatch every generated operation builder has: send it and get the raw JSON, or
//! decode the response into a type of the caller's own.
//!
//! The builders' own `send`/`stream` decode into the generated models. When a model does not
//! fit (a field Canvas sends in a shape the description does not know, a response the caller
//! wants verbatim), the same builder, with all its parameters set, can be sent through
//! [`Operation`]: the request, retries, throttling, pagination and errors are the same. The
//! methods are provided by the trait, so they cost no generated code per operation.

use std::future::Future;

use serde::de::DeserializeOwned;

use crate::request::{ItemStream, PageStream, Request};
use crate::{Json, Page, Result};

/// A prepared Canvas request: what every generated operation builder is.
///
/// ```no_run
/// # async fn run(client: &canvas_lms_runtime::Client) -> canvas_lms_runtime::Result<()> {
/// use canvas_lms_runtime::{Method, Operation, Request};
/// // Generated builders implement `Operation`; a bare `Request` does too.
/// let raw = Request::new(client, Method::Get, "/v1/courses/{id}", &[&7]).send_raw().await?;
/// #[derive(serde::Deserialize)]
/// struct MyCourse { id: u64, name: String }
/// let mine: MyCourse = Request::new(client, Method::Get, "/v1/courses/{id}", &[&7]).send_as().await?;
/// # let _ = (raw, mine.id, mine.name); Ok(()) }
/// ```
pub trait Operation<'a>: Sized {
    /// The request, with every parameter set so far.
    fn into_request(self) -> Request<'a>;

    /// Sends the request and returns the whole body as JSON, untouched (`Null` when empty).
    fn send_raw(self) -> impl Future<Output = Result<Json>> + Send + 'a {
        self.into_request().send_json()
    }

    /// Sends the request and decodes the response as the caller's `T` (the same value the
    /// builder's `send` decodes: the body, or the member Canvas wraps it in).
    fn send_as<T: DeserializeOwned + Send + 'a>(self) -> impl Future<Output = Result<T>> + Send + 'a {
        self.into_request().send()
    }

    /// For list operations: the first page, its items decoded as the caller's `T`.
    fn send_page_as<T: DeserializeOwned + Send + 'static>(self) -> impl Future<Output = Result<Page<T>>> + Send + 'a {
        self.into_request().send_page()
    }

    /// For list operations: every page, items decoded as the caller's `T`
    /// (`stream_as::<serde_json::Value>()` for raw items).
    fn pages_as<T: DeserializeOwned + Send + 'static>(self) -> PageStream<'a, T> {
        self.into_request().pages()
    }

    /// For list operations: every item of every page, decoded as the caller's `T`.
    fn stream_as<T: DeserializeOwned + Send + 'static>(self) -> ItemStream<'a, T> {
        self.into_request().stream()
    }
}

impl<'a> Operation<'a> for Request<'a> {
    fn into_request(self) -> Request<'a> {
        self
    }
}

/// Implements [`Operation`] for generated builders (newtypes around a [`Request`]).
#[doc(hidden)]
#[macro_export]
macro_rules! impl_operations {
    ($($builder:ident),* $(,)?) => {$(
        impl<'a> $crate::Operation<'a> for $builder<'a> {
            fn into_request(self) -> $crate::Request<'a> {
                self.0
            }
        }
    )*};
}
