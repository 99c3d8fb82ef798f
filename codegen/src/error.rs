//! Errors of the generator.

use std::fmt;

/// Why generation failed. Every variant names the file it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A spec file is malformed: not JSON, wrong shape, unsupported version.
    Input {
        /// File name, as given in the input.
        file: String,
        /// Where in the file: a JSON path and/or line and column.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The input set does not match the lock in `spec/`.
    LockMismatch(Vec<String>),
    /// The lock file itself is malformed.
    Lock(String),
    /// The emitted code did not parse as Rust (a generator bug).
    Emit { file: String, message: String },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input { file, location, message } => write!(f, "{file}: at {location}: {message}"),
            Error::LockMismatch(lines) => {
                writeln!(f, "the spec files differ from spec/upstream.lock:")?;
                for l in lines {
                    writeln!(f, "  {l}")?;
                }
                write!(f, "run `cargo xtask gen --update-lock` to accept the new input")
            }
            Error::Lock(m) => write!(f, "spec/upstream.lock: {m}"),
            Error::Emit { file, message } => write!(f, "internal error: emitted {file} is not valid Rust: {message}"),
        }
    }
}

impl std::error::Error for Error {}
