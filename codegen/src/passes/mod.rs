//! The passes from spec files to IR, each with one job.

pub mod dedupe;
pub mod features;
pub mod lower;
pub mod models;
pub mod params;
pub mod types;
