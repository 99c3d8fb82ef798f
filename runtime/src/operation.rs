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

use crate::cursor::{ItemStream, PageStream};
use crate::request::Request;
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

/// A generated builder: the newtype around a [`Request`], its [`Operation`] impl, and the
/// ways to send it for what the operation returns: `json` (the body as JSON), `one T`,
/// `array T` (a list in one response) or `list T` (pages: `send`, `stream` and `pages`),
/// optionally followed by the member Canvas wraps the value in (`, "blackout_date"`; see
/// [`Request::unwrap_key`](crate::Request::unwrap_key)). `Name(Get "/v1/{context}/blackout_dates")`
/// gives the method and path, which `Name::start(client, context, args)` fills;
/// `for Handle::method` names the method that makes the builder (for its docs), `with options`
/// says it has optional setters. Generated code calls it once per operation, so each builder
/// is one line of data; its setters are a plain `impl` beside it.
#[doc(hidden)]
#[macro_export]
macro_rules! builder {
    (
        $name:ident($method:ident $path:literal) for $handle:ident :: $fname:ident $(with $opts:ident)?
        => $kind:ident $($t:ty)? $(, $key:literal)?
    ) => {
        #[doc = $crate::builder!(@doc $handle $fname $($opts)?)]
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is sent"]
        pub struct $name<'a>($crate::Request<'a>);
        impl<'a> $crate::Operation<'a> for $name<'a> {
            fn into_request(self) -> $crate::Request<'a> {
                self.0 $(.unwrap_key($key))?
            }
        }
        impl<'a> $name<'a> {
            /// The operation's request, its placeholders filled from `args` in order, and
            /// `{context}`, if the path has it, from `context`.
            pub(crate) fn start(
                client: &'a $crate::Client,
                context: ::core::option::Option<&dyn $crate::Context>,
                args: &[&dyn $crate::PathArg],
            ) -> Self {
                Self($crate::Request::start(client, $crate::Method::$method, $path, context, args))
            }
        }
        $crate::builder!(@send $name $kind $($t)?);
    };
    (@send $name:ident json) => {
        impl<'a> $name<'a> {
            /// Sends the request and returns the body as JSON (`Null` when empty).
            pub async fn send(self) -> $crate::Result<$crate::Json> {
                $crate::Operation::into_request(self).send_json().await
            }
        }
    };
    (@send $name:ident one $t:ty) => {
        impl<'a> $name<'a> {
            /// Sends the request and decodes the response.
            pub async fn send(self) -> $crate::Result<$t> {
                $crate::Operation::into_request(self).send().await
            }
        }
    };
    (@send $name:ident array $t:ty) => {
        impl<'a> $name<'a> {
            /// Sends the request and decodes the list in the response.
            pub async fn send(self) -> $crate::Result<Vec<$t>> {
                $crate::Operation::into_request(self).send_list().await
            }
        }
    };
    (@send $name:ident list $t:ty) => {
        impl<'a> $name<'a> {
            /// Sends the request and returns the first page, with the links to the others.
            pub async fn send(self) -> $crate::Result<$crate::Page<$t>> {
                $crate::Operation::into_request(self).send_page().await
            }
            /// Streams every item of every page, following Canvas's pagination.
            pub fn stream(self) -> $crate::ItemStream<'a, $t> {
                $crate::Operation::into_request(self).stream()
            }
            /// Streams every page, with its links and cost.
            pub fn pages(self) -> $crate::PageStream<'a, $t> {
                $crate::Operation::into_request(self).pages()
            }
        }
    };
    (@doc $handle:ident $fname:ident) => {
        ::core::concat!(
            " Request builder for [`", ::core::stringify!($handle), "::", ::core::stringify!($fname), "`]: send it."
        )
    };
    (@doc $handle:ident $fname:ident options) => {
        ::core::concat!(
            " Request builder for [`", ::core::stringify!($handle), "::", ::core::stringify!($fname),
            "`]: set its options, then send it."
        )
    };
}
