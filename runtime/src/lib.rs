//! Hand-written runtime of the `canvas-lms` client.
//!
//! Everything that is not specific to one Canvas operation lives here: the [`Client`] and its
//! builder, Rails bracket encoding of parameters ([`encode`]), ids that accept numbers, strings
//! and SIS references ([`Id`]), Link-header pagination ([`page`]), and the typed [`Error`].
//! Generated operations are thin: they fill a [`Request`] and call one of its `send` methods.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
pub mod context;
mod cursor;
mod decode;
pub mod encode;
mod error;
mod execute;
mod extra;
#[cfg(test)]
mod fuzz_tests;
#[cfg(feature = "graphql")]
pub mod graphql;
mod id;
pub mod lenient;
pub mod model;
pub mod oauth;
mod operation;
mod pacing;
pub mod page;
mod progress;
mod request;
mod retry;
mod string_enum;
mod transport;
mod upload;

pub use client::{Client, ClientBuilder};
pub use context::Context;
pub use cursor::{ItemStream, PageStream};
pub use encode::{id, ids, list, text, texts, Encode, Pairs};
pub use error::{CanvasMessage, DecodeError, Error, HttpError, TransportError, TransportKind};
pub use extra::Extra;
pub use futures_core::Stream;
pub use id::Id;
pub use oauth::{OAuth, OAuthError, OAuthErrorKind, PendingAuthorization, TokenSet, TokenStore};
pub use operation::Operation;
pub use page::{Links, Page, ResponseMeta};
pub use progress::WaitOptions;
pub use request::{Method, PathArg, Request};
pub use retry::RetryPolicy;
pub use upload::{guess_content_type, Upload};

/// Timestamps as Canvas sends them (ISO 8601, parsed with any offset, kept in UTC).
pub type DateTime = chrono::DateTime<chrono::Utc>;
/// Calendar dates (`YYYY-MM-DD`).
pub type Date = chrono::NaiveDate;
/// Untyped JSON, for the places where the Canvas description gives no structure.
pub type Json = serde_json::Value;
/// Result of every runtime call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[doc(hidden)]
pub mod __private {
    //! Re-exports used by generated code and macros; not a stable API.
    pub use serde;
    pub use serde_json;
}
