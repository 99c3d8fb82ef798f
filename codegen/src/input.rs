//! The files a run reads, as the caller (`xtask`) hands them over: the generator does no I/O.

/// One input file: its name (`courses.json`), its bytes, and whose it is.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub name: String,
    pub bytes: Vec<u8>,
    /// True for the project's own descriptions (`spec/resources/`), which come after the
    /// upstream set: where both define a model, the upstream definition comes first.
    pub own: bool,
    /// True for our additions (`spec/additions/`): operations and models of Canvas releases
    /// newer than the upstream set, added to the file of the same name (or a resource of
    /// their own when there is none).
    pub addition: bool,
}

impl InputFile {
    /// An upstream file.
    pub fn upstream(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        InputFile { name: name.into(), bytes: bytes.into(), own: false, addition: false }
    }

    /// One of the project's own files.
    pub fn own(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        InputFile { name: name.into(), bytes: bytes.into(), own: true, addition: false }
    }

    /// True for the GraphQL schema and the curated queries (not Swagger files).
    pub fn is_graphql(&self) -> bool {
        crate::graphql::is_graphql_input(self)
    }

    /// One of the project's additions to the file of the same name.
    pub fn addition(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        InputFile { name: name.into(), bytes: bytes.into(), own: true, addition: true }
    }
}
