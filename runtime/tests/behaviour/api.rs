//! A miniature of the generated crate: the few operations the behaviour tests call, declared
//! with the runtime's own macros (`rt::builder!`, `rt::model!`, `rt::string_enum!`) the way
//! `cargo xtask gen` declares them in `generated/src`.
//!
//! The tests then exercise the runtime exactly as generated operations do, without compiling
//! the generated crate: `cargo xtask mutants` rebuilds the runtime once per mutant, and these
//! tests are what decide whether each mutant is caught.

use canvas_lms_runtime as rt;

pub use rt::{
    ClientBuilder, Error, Id, Json, OAuth, OAuthError, OAuthErrorKind, RetryPolicy, TokenSet, TokenStore, Upload,
    WaitOptions,
};

/// The client: one accessor per resource, like the generated `canvas_lms::Client`.
#[derive(Debug, Clone)]
pub struct Client(rt::Client);

impl From<rt::Client> for Client {
    fn from(inner: rt::Client) -> Self {
        Client(inner)
    }
}

impl Client {
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder<Client> {
        ClientBuilder::new(base_url)
    }
    pub fn as_user(&self, user: impl Into<Id>) -> Client {
        Client(self.0.as_user(user))
    }
    pub fn rate_limit_remaining(&self) -> Option<f64> {
        self.0.rate_limit_remaining()
    }
    pub fn runtime(&self) -> &rt::Client {
        &self.0
    }
    pub async fn logout(&self) -> rt::Result<()> {
        self.0.logout().await
    }
    pub async fn wait_for_progress(
        &self,
        progress: &models::Progress,
        options: &WaitOptions,
    ) -> rt::Result<models::Progress> {
        let target = match (&progress.url, &progress.id) {
            (Some(url), _) => url.clone(),
            (None, Some(id)) => id.to_string(),
            (None, None) => return Err(Error::Config("the Progress has neither url nor id".into())),
        };
        self.0.wait_for_progress(&target, options).await
    }
    pub fn courses(&self) -> Courses<'_> {
        Courses(&self.0)
    }
    pub fn users(&self) -> Users<'_> {
        Users(&self.0)
    }
    pub fn sis_imports(&self) -> SisImports<'_> {
        SisImports(&self.0)
    }
    pub fn user_observees(&self) -> UserObservees<'_> {
        UserObservees(&self.0)
    }
    pub fn content_migrations(&self) -> ContentMigrations<'_> {
        ContentMigrations(&self.0)
    }
}

pub mod models {
    use canvas_lms_runtime as rt;

    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Course {
        pub id: Option<rt::Id>,
        pub name: Option<String>,
        pub account_id: Option<rt::Id>,
        pub extra: rt::Extra,
    }
    rt::model!(Course { id, name, account_id });

    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct File {
        pub id: Option<rt::Id>,
        pub display_name: Option<String>,
        pub size: Option<i64>,
        pub extra: rt::Extra,
    }
    rt::model!(File { id, display_name, size: int });

    #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum WorkflowState {
        Queued,
        Running,
        Completed,
        Failed,
        Unknown(String),
    }
    rt::string_enum!(WorkflowState { Queued = "queued", Running = "running", Completed = "completed", Failed = "failed" });

    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Progress {
        pub id: Option<rt::Id>,
        pub completion: Option<i64>,
        pub workflow_state: Option<WorkflowState>,
        pub message: Option<String>,
        pub url: Option<String>,
        pub extra: rt::Extra,
    }
    rt::model!(Progress { id, completion: int, workflow_state, message, url });

    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct User {
        pub id: Option<rt::Id>,
        pub name: Option<String>,
        pub extra: rt::Extra,
    }
    rt::model!(User { id, name });

    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SisImport {
        pub id: Option<rt::Id>,
        pub workflow_state: Option<String>,
        pub extra: rt::Extra,
    }
    rt::model!(SisImport { id, workflow_state });

    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ContentMigration {
        pub id: Option<rt::Id>,
        pub migration_type: Option<String>,
        pub extra: rt::Extra,
    }
    rt::model!(ContentMigration { id, migration_type });
}

pub struct Courses<'a>(&'a rt::Client);

impl<'a> Courses<'a> {
    pub fn list_your_courses(&self) -> ListYourCourses<'a> {
        ListYourCourses::start(self.0, None, &[])
    }
    pub fn get_single_course(&self, id: impl rt::PathArg) -> GetSingleCourse<'a> {
        GetSingleCourse::start(self.0, None, &[&id])
    }
    pub fn create_new_course(&self, account_id: impl rt::PathArg) -> CreateNewCourse<'a> {
        CreateNewCourse::start(self.0, None, &[&account_id])
    }
    pub fn upload_file(&self, course_id: impl rt::PathArg) -> UploadFile<'a> {
        UploadFile::start(self.0, None, &[&course_id])
    }
    /// A list Canvas wraps in an object under `courses`.
    pub fn list_wrapped_courses(&self, account_id: impl rt::PathArg) -> ListWrappedCourses<'a> {
        ListWrappedCourses::start(self.0, None, &[&account_id])
    }
    /// An array that is not a paginated read.
    pub fn reorder_courses(&self) -> ReorderCourses<'a> {
        ReorderCourses::start(self.0, None, &[])
    }
}

rt::builder!(ListWrappedCourses(Get "/v1/accounts/{account_id}/courses") for Courses::list_wrapped_courses => list models::Course, "courses");
rt::builder!(ReorderCourses(Post "/v1/courses/reorder") for Courses::reorder_courses => array models::Course);

rt::builder!(ListYourCourses(Get "/v1/courses") for Courses::list_your_courses => list models::Course);
rt::builder!(GetSingleCourse(Get "/v1/courses/{id}") for Courses::get_single_course => one models::Course);
rt::builder!(CreateNewCourse(Post "/v1/accounts/{account_id}/courses") for Courses::create_new_course => one models::Course);
rt::builder!(UploadFile(Post "/v1/courses/{course_id}/files") for Courses::upload_file => json);

impl UploadFile<'_> {
    pub async fn upload(self, file: rt::Upload) -> rt::Result<models::File> {
        rt::Operation::into_request(self).upload(file).await
    }
    pub async fn upload_from_url(self, url: &str, name: &str) -> rt::Result<models::Progress> {
        rt::Operation::into_request(self).upload_from_url(url, name).await
    }
}

pub struct Users<'a>(&'a rt::Client);

impl<'a> Users<'a> {
    pub fn upload_file(&self, user_id: impl rt::PathArg) -> UploadUserFile<'a> {
        UploadUserFile::start(self.0, None, &[&user_id])
    }
}

rt::builder!(UploadUserFile(Post "/v1/users/{user_id}/files") for Users::upload_file => json);

impl UploadUserFile<'_> {
    pub async fn upload(self, file: rt::Upload) -> rt::Result<models::File> {
        rt::Operation::into_request(self).upload(file).await
    }
}

pub struct SisImports<'a>(&'a rt::Client);

impl<'a> SisImports<'a> {
    pub fn import_sis_data(&self, account_id: impl rt::PathArg) -> ImportSisData<'a> {
        ImportSisData::start(self.0, None, &[&account_id])
    }
}

rt::builder!(ImportSisData(Post "/v1/accounts/{account_id}/sis_imports") for SisImports::import_sis_data with options => one models::SisImport);

impl ImportSisData<'_> {
    pub fn import_type(self, value: impl Into<String>) -> Self {
        Self(self.0.form("import_type", &rt::text(value)))
    }
    pub async fn send_with_file(self, file: rt::Upload) -> rt::Result<models::SisImport> {
        rt::Operation::into_request(self).send_multipart("attachment", file).await
    }
}

pub struct UserObservees<'a>(&'a rt::Client);

impl<'a> UserObservees<'a> {
    pub fn add_observee_with_credentials(&self, user_id: impl rt::PathArg) -> AddObserveeWithCredentials<'a> {
        AddObserveeWithCredentials::start(self.0, None, &[&user_id])
    }
    pub fn remove_observee(&self, user_id: impl rt::PathArg, observee_id: impl rt::PathArg) -> RemoveObservee<'a> {
        RemoveObservee::start(self.0, None, &[&user_id, &observee_id])
    }
}

rt::builder!(AddObserveeWithCredentials(Post "/v1/users/{user_id}/observees") for UserObservees::add_observee_with_credentials with options => one models::User);
rt::builder!(RemoveObservee(Delete "/v1/users/{user_id}/observees/{observee_id}") for UserObservees::remove_observee => one models::User);

/// `observee[..]`, with the password redacted from `Debug` as generated parameter structs do.
#[derive(Clone, Default, PartialEq)]
pub struct Observee {
    pub unique_id: Option<Id>,
    pub password: Option<String>,
}

impl std::fmt::Debug for Observee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observee")
            .field("unique_id", &self.unique_id)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl rt::Encode for Observee {
    fn encode(&self, key: &str, out: &mut rt::Pairs) {
        out.field(key, "unique_id", &self.unique_id);
        out.field(key, "password", &self.password);
    }
}

impl AddObserveeWithCredentials<'_> {
    pub fn observee(self, value: Observee) -> Self {
        Self(self.0.form("observee", &value))
    }
    pub fn access_token(self, value: impl Into<String>) -> Self {
        Self(self.0.form("access_token", &rt::text(value)))
    }
}

pub struct ContentMigrations<'a>(&'a rt::Client);

impl<'a> ContentMigrations<'a> {
    pub fn create_content_migration(
        &self,
        context: impl rt::Context,
        migration_type: impl Into<String>,
    ) -> CreateContentMigration<'a> {
        CreateContentMigration(
            CreateContentMigration::start(self.0, Some(&context), &[])
                .0
                .form("migration_type", &rt::text(migration_type)),
        )
    }
}

rt::builder!(CreateContentMigration(Post "/v1/{context}/content_migrations") for ContentMigrations::create_content_migration => one models::ContentMigration);

impl CreateContentMigration<'_> {
    pub async fn upload(self, file: rt::Upload) -> rt::Result<models::ContentMigration> {
        rt::Operation::into_request(self).upload_into("pre_attachment", file).await
    }
}

/// A course as a `{context}` of a path, like the generated `context::Course`.
pub struct Course(pub u64);

impl rt::Context for Course {
    fn kind(&self) -> &'static str {
        "courses"
    }
    fn id(&self) -> Option<&dyn rt::PathArg> {
        Some(&self.0)
    }
}
