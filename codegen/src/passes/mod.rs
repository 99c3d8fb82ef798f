//! IR→IR passes, in the order [`crate::lower()`] runs them after lowering: [`dedupe`] merges
//! identical request structs, [`features`] assigns models to cargo features, [`naming`]
//! makes every name unique in its namespace.

pub mod dedupe;
pub mod features;
pub mod naming;
