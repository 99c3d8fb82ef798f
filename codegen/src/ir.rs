//! The intermediate representation: plain data between the spec and the emitted code.
//!
//! Types live in arenas (`models`, `enums`, `structs`) and refer to each other by index, so a
//! pass can rename or retype one item in a single place. `Ir` derives `Debug` so a test can
//! print and snapshot it.

use serde_json::Value;

/// Index into [`Ir::models`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelId(pub usize);
/// Index into [`Ir::enums`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnumId(pub usize);
/// Index into [`Ir::structs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StructId(pub usize);

/// A Rust type, as the IR knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ty {
    String,
    Bool,
    Int,
    Float,
    /// A Canvas id: decodes from numbers and strings (`canvas_lms_runtime::Id`).
    Id,
    DateTime,
    Date,
    /// Untyped JSON: the spec gives no usable structure.
    Json,
    Vec(Box<Ty>),
    /// A map keyed by a caller-supplied value (`grade_data[<student_id>]`).
    Map(Box<Ty>),
    Model(ModelId),
    Enum(EnumId),
    /// A request parameter struct.
    Struct(StructId),
}

/// The whole API.
#[derive(Debug, Clone, Default)]
pub struct Ir {
    pub resources: Vec<Resource>,
    pub models: Vec<Model>,
    pub enums: Vec<EnumDef>,
    pub structs: Vec<ParamStruct>,
    /// The kinds of context that actions take as an argument (`courses`, `global`).
    pub contexts: Vec<ContextKind>,
    /// The sets of kinds those actions accept, each a trait of the `context` module.
    pub context_sets: Vec<ContextSet>,
}

/// A kind of context: the `kind/{id}` part of a route (see `lower::families`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextKind {
    /// The literal path segment (`courses`).
    pub segment: String,
    /// The type (`Course`).
    pub rust_name: String,
    /// False for kinds with no id (`global`).
    pub has_id: bool,
}

/// The contexts one or more actions accept: a trait implemented by each kind's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSet {
    /// Indices into [`Ir::contexts`], sorted by type name.
    pub kinds: Vec<usize>,
    /// The trait (`AccountOrCourse`).
    pub rust_name: String,
}

/// One Canvas route of an operation.
#[derive(Debug, Clone)]
pub struct Route {
    /// Canvas's nickname of the route (`list_blackout_dates_courses`).
    pub nickname: String,
    /// The path (`/v1/courses/{course_id}/blackout_dates`).
    pub path: String,
    /// The context kind it is for, when the operation takes a context.
    pub context: Option<usize>,
}

/// Where a named type is emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// The shared `models` module.
    Models,
    /// A resource module (index into [`Ir::resources`]).
    Resource(usize),
}

/// One Canvas resource (one spec file): a module, a cargo feature, a handle type.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Spec file name (`accounts_(lti).json`).
    pub file: String,
    /// `resourcePath` of the file.
    pub resource_path: String,
    /// Module, feature and accessor name (`accounts_lti`).
    pub module: String,
    /// Handle type name (`AccountsLti`).
    pub type_name: String,
    /// Human title (`Accounts (LTI)`).
    pub title: String,
    pub operations: Vec<Operation>,
}

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

impl Method {
    /// The runtime's `Method` variant (`Get`).
    pub fn variant(self) -> &'static str {
        match self {
            Method::Get => "Get",
            Method::Post => "Post",
            Method::Put => "Put",
            Method::Delete => "Delete",
            Method::Patch => "Patch",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }
}

/// What an operation returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `void` or a return type the spec does not describe: the body as untyped JSON.
    Json,
    /// One value.
    One(Ty),
    /// A paginated list (GET returning an array): `send` gives a page, `stream` all items.
    List(Ty),
    /// An array that is not a paginated read (returned by POST/PUT/DELETE).
    Array(Ty),
}

/// One operation: a Rust method, sent to one Canvas route, or to one of several routes of
/// one action chosen by its context argument.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The Canvas action, from its summary (`list_blackout_dates`; see `lower::families`).
    pub action: String,
    /// Method name on the resource handle.
    pub fn_name: String,
    /// Builder type name.
    pub builder_name: String,
    pub method: Method,
    /// Path under `/api`, with `{name}` placeholders (`/v1/courses/{id}`); `{context}` is
    /// filled by the context argument.
    pub path: String,
    /// The set of contexts it takes (index into [`Ir::context_sets`]), when it takes one.
    pub context: Option<usize>,
    /// The Canvas routes it sends to, in input order.
    pub routes: Vec<Route>,
    pub summary: String,
    pub notes: String,
    /// `Some(reason)` when deprecated.
    pub deprecated: Option<String>,
    /// Parameters: path ones first (in path order), then query and form.
    pub params: Vec<Param>,
    pub response: Response,
    /// The member of the response object that holds the value, when Canvas wraps it.
    pub response_key: Option<String>,
    /// Every spec parameter name of this operation and the wire key it is sent as.
    pub origins: Vec<(String, String)>,
    /// How the operation takes a file, when it does.
    pub upload: Option<Upload>,
}

impl Operation {
    /// Canvas's nickname of its first route.
    pub fn nickname(&self) -> &str {
        &self.routes[0].nickname
    }
}

/// The ways Canvas operations take files (see the runtime's `upload` module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    /// `upload_file` operations: Canvas's three steps; returns the confirmed `File`, or
    /// lets Canvas fetch a URL and returns the `Progress`.
    ThreeStep { file: ModelId, progress: ModelId },
    /// The file's upload instructions come back inside the created object under this group
    /// (`pre_attachment` of content migrations).
    Into { group: String },
    /// The file goes in the request itself, as the multipart field `attachment`.
    Multipart { field: String },
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    Path,
    Query,
    Form,
}

/// A top-level parameter: a function argument when required, a setter otherwise.
#[derive(Debug, Clone)]
pub struct Param {
    /// Top-level wire key (`include`, `course`, `id`).
    pub wire: String,
    pub rust_name: String,
    pub ty: Ty,
    pub location: Location,
    pub required: bool,
    pub description: String,
    pub deprecated: bool,
}

/// What a request type may be called, from which the naming pass picks the first name that
/// nothing else in its module wants (see `passes::naming`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameParts {
    /// The key it fills (`LineItem`; singular for the element of a list and for enums).
    pub own: String,
    /// The key path from the top-level parameter (`AssignmentExternalToolTagAttributesLineItem`).
    pub path: String,
    /// The builder of the operation that takes it (`CreateAssignment`); when several do, the
    /// shortest name (`passes::dedupe::shorter_first`).
    pub operation: String,
    /// True when several operations take it.
    pub shared: bool,
}

/// A request parameter struct, from bracketed names (`course[name]`, `course[term_id]`).
#[derive(Debug, Clone)]
pub struct ParamStruct {
    /// Set by the naming pass from `names`.
    pub rust_name: String,
    pub names: NameParts,
    /// Set when the struct is identical to another of its resource and merged into it
    /// (`passes::dedupe`): its users refer to that one and it is not emitted.
    pub merged_into: Option<StructId>,
    pub owner: Owner,
    /// The wire key prefix it is sent under, for docs (`course`, `grading_periods[]`).
    pub wire_path: String,
    pub fields: Vec<ParamField>,
}

/// A field of a request struct.
#[derive(Debug, Clone)]
pub struct ParamField {
    /// Key on the wire (`name`, `term_id`).
    pub wire: String,
    pub rust_name: String,
    pub ty: Ty,
    /// The caller must set it.
    pub required: bool,
    pub description: String,
    pub deprecated: bool,
    /// The field is a map whose keys sit at the struct's own level (`pre_attachment[<any>]`
    /// beside `pre_attachment[name]`), so it is encoded without a key of its own.
    pub flatten: bool,
}

/// A field of a response model.
#[derive(Debug, Clone)]
pub struct ModelField {
    /// Key on the wire (`name`, `scoreGiven`).
    pub wire: String,
    pub rust_name: String,
    pub ty: Ty,
    /// Held in a `Box` (every nested model: see `lower::models`).
    pub boxed: bool,
    pub description: String,
    pub deprecated: bool,
    /// `example` from the spec, kept for docs and conformance tests.
    pub example: Option<Value>,
}

impl ParamField {
    /// True when the field holds a credential (its wire name ends in `password`,
    /// `password_confirmation`, `secret`, `private_key`, `token` or `code_verifier`; a
    /// `password_policy` is not one): request structs print it as `[redacted]` in `Debug`.
    /// The runtime's `encode::is_secret_key` applies the same rule to the keys of sent
    /// parameters; a workspace test checks that both agree on every request field.
    pub fn holds_secret(&self) -> bool {
        const SECRET_ENDINGS: [&str; 6] =
            ["password", "password_confirmation", "secret", "private_key", "token", "code_verifier"];
        let name = self.wire.to_ascii_lowercase();
        SECRET_ENDINGS.iter().any(|end| name.ends_with(end))
    }
}

/// A response model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Name in the spec (`Lti::ResourceLink`).
    pub spec_name: String,
    pub rust_name: String,
    pub description: String,
    pub deprecated: Option<String>,
    pub fields: Vec<ModelField>,
    /// Files that define it.
    pub files: Vec<String>,
    /// Resources (indices) whose cargo feature needs it; the model is compiled when any of
    /// them is enabled.
    pub features: Vec<usize>,
    /// What it is: an object with `fields`, or a union of other models.
    pub shape: ModelShape,
}

/// The two kinds of response model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelShape {
    /// A JSON object with the model's fields.
    Object,
    /// `GroupMembership | Progress`: one of these models (it has no fields of its own),
    /// emitted as an enum that picks the variant by the fields the object has.
    Union(Vec<ModelId>),
}

impl Model {
    /// The models a union may be, or `None` for an object.
    pub fn union_members(&self) -> Option<&[ModelId]> {
        match &self.shape {
            ModelShape::Union(ids) => Some(ids),
            ModelShape::Object => None,
        }
    }
}

/// A string enum with an `Unknown(String)` catch-all.
#[derive(Debug, Clone)]
pub struct EnumDef {
    pub rust_name: String,
    /// For enums of request parameters: the names the naming pass picks from.
    pub names: Option<NameParts>,
    pub owner: Owner,
    pub description: String,
    /// Wire values, in spec order.
    pub values: Vec<String>,
    /// Variant names, parallel to `values`.
    pub variants: Vec<String>,
    /// For enums of the models module: resources whose feature needs it.
    pub features: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_known_by_the_end_of_their_wire_name() {
        let field = |wire: &str| ParamField {
            wire: wire.into(),
            rust_name: wire.into(),
            ty: Ty::String,
            required: false,
            description: String::new(),
            deprecated: false,
            flatten: false,
        };
        for secret in
            ["password", "Password_Confirmation", "client_secret", "private_key", "access_token", "code_verifier"]
        {
            assert!(field(secret).holds_secret(), "{secret}");
        }
        for plain in ["password_policy", "token_type", "name"] {
            assert!(!field(plain).holds_secret(), "{plain}");
        }
    }
}
