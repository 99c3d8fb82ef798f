//! The runtime's behaviour on loopback servers, through operations declared the way the
//! generated crate declares them (`api`), without the generated crate itself: faults and
//! retries, uploads and Progress polls, OAuth2, hostile servers, tracing, GraphQL.
//!
//! One test binary, so that `cargo xtask mutants` links one executable per mutant.
#![forbid(unsafe_code)]

mod api;
mod faults;
#[cfg(feature = "graphql")]
mod graphql;
mod hostile;
mod oauth;
mod tracing_spans;
mod uploads;
