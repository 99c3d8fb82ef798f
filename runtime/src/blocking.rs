//! Calling Canvas from synchronous code (cargo feature `blocking`).
//!
//! [`Blocking`] owns a small Tokio runtime and a client; every generated operation is
//! reachable through it (it dereferences to the client), and [`call`](Blocking::call) runs
//! the operation to completion on the calling thread. Lists become iterators with
//! [`iter`](Blocking::iter). Nothing is generated twice: the facade works for every operation.
//!
//! ```no_run
//! # fn run() -> canvas_lms_runtime::Result<()> {
//! use canvas_lms_runtime::{blocking::Blocking, Client};
//! let canvas = Blocking::new(Client::builder("https://canvas.example.edu").token("...").build()?)?;
//! let me: serde_json::Value = canvas.call(canvas.get("/v1/users/self", &[]).send())?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::ops::Deref;

use futures_core::Stream;

use crate::{Error, Result};

/// A client with its own runtime, for synchronous callers.
#[derive(Debug)]
pub struct Blocking<C> {
    client: C,
    runtime: tokio::runtime::Runtime,
}

impl<C> Blocking<C> {
    /// Wraps `client` with a single-threaded runtime.
    pub fn new(client: C) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("blocking runtime: {e}")))?;
        Ok(Blocking { client, runtime })
    }

    /// Runs an operation (any `send`, `upload`, `wait_for_progress`...) to completion.
    /// Inside an async runtime this is an error, not a deadlock: use the async client there.
    pub fn call<T>(&self, operation: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Config(
                "a blocking call was made from inside an async runtime; await the operation instead".into(),
            ));
        }
        self.runtime.block_on(operation)
    }

    /// The items of a list operation's `stream()`, as an iterator that fetches pages as it goes.
    pub fn iter<'s, T: 's>(
        &'s self,
        stream: impl Stream<Item = Result<T>> + Unpin + 's,
    ) -> impl Iterator<Item = Result<T>> + 's {
        let mut stream = stream;
        std::iter::from_fn(move || self.runtime.block_on(futures_util::StreamExt::next(&mut stream)))
    }

    /// The async client inside.
    pub fn into_inner(self) -> C {
        self.client
    }
}

impl<C> Deref for Blocking<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.client
    }
}
