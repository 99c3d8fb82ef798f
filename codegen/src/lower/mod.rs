//! Lowering: from parsed spec files to the IR, each module one part of the description.
//!
//! [`models`] first (the table every type reference resolves against), then [`resources`]:
//! one resource per file, its operations grouped into Canvas actions by [`families`], their
//! parameters by [`params`]. [`types`] maps the spec's type words. Everything after lowering
//! is an IR→IR pass (`crate::passes`).

pub mod families;
pub mod models;
pub mod params;
pub mod resources;
pub mod types;
