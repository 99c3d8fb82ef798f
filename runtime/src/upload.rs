//! File uploads, the way Canvas wants them.
//!
//! Canvas uploads take three steps: (1) tell Canvas about the file (name, size, content type)
//! and get back an `upload_url` and `upload_params`; (2) POST a multipart form to
//! `upload_url` **without the token** (it is often another host), with every
//! `upload_params` field in the given order and the file last; (3) on a redirect, confirm at
//! `Location` (with the token only when it is the Canvas origin), or read the file object
//! from a `201`/`200`. The file is streamed from disk or any async reader, never buffered
//! whole; a callback can follow the bytes sent.

use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt};
use url::Url;

use crate::error::{read_success, HttpError};
use crate::request::{decode_body, Method, Request};
use crate::transport::{with_idle_timeout, Activity};
use crate::{Client, Error, Json, Result};

/// Chunk size of the upload stream.
const CHUNK: usize = 64 * 1024;

type ProgressFn = Arc<dyn Fn(u64) + Send + Sync>;

/// A file to upload: its name, size, content type and bytes (streamed).
pub struct Upload {
    name: String,
    size: u64,
    content_type: String,
    reader: Box<dyn AsyncRead + Send + Unpin>,
    on_progress: Option<ProgressFn>,
    /// Extra step-1 fields: folder and what to do with a name already taken.
    extra: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl Upload {
    /// A file on disk; the name is its file name and the content type is guessed from the
    /// extension (override with [`content_type`](Self::content_type)).
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = tokio::fs::File::open(path).await.map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        let size = file.metadata().await.map_err(|e| Error::Io(format!("{}: {e}", path.display())))?.len();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "upload".into());
        let content_type = guess_content_type(&name).to_owned();
        Ok(Upload { name, size, content_type, reader: Box::new(file), on_progress: None, extra: Vec::new() })
    }

    /// Bytes from any async reader; `size` must be exact (Canvas checks it).
    pub fn from_reader(name: impl Into<String>, size: u64, reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        let name = name.into();
        let content_type = guess_content_type(&name).to_owned();
        Upload { name, size, content_type, reader: Box::new(reader), on_progress: None, extra: Vec::new() }
    }

    /// Sets the content type (MIME).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// Sets the name Canvas gives the file.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Calls `f` with the total bytes sent so far, after every chunk.
    pub fn on_progress(mut self, f: impl Fn(u64) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }

    /// Puts the file in the folder at this path (created when missing), relative to the
    /// context's root folder (`parent_folder_path`).
    pub fn folder_path(mut self, path: impl Into<String>) -> Self {
        self.extra.push(("parent_folder_path", path.into()));
        self
    }

    /// Puts the file in the folder with this id (`parent_folder_id`).
    pub fn folder_id(mut self, id: impl Into<crate::Id>) -> Self {
        self.extra.push(("parent_folder_id", id.into().to_string()));
        self
    }

    /// What Canvas does when the name is taken: `"overwrite"` (its default) or `"rename"`
    /// (`on_duplicate`).
    pub fn on_duplicate(mut self, action: impl Into<String>) -> Self {
        self.extra.push(("on_duplicate", action.into()));
        self
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// The content type for a file name, from its extension.
pub fn guess_content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" | "text" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" | "imscc" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

impl<'a> Request<'a> {
    /// Uploads `file` with Canvas's three steps and returns the file object Canvas confirms
    /// (for the `upload_file` operations of courses, users, groups, folders, submissions...).
    pub async fn upload<T: DeserializeOwned>(self, file: Upload) -> Result<T> {
        let confirm = self.follow_up(Method::Get, "{upload confirmation}");
        let step1 = self.preflight(None, &file).await?;
        let confirmed = send_file(&confirm, &step1, file).await?;
        decode_body(confirmed.0, &confirmed.1)
    }

    /// Creates an object whose file goes in a nested group (`pre_attachment[..]` for content
    /// migrations), uploads the file to where Canvas says, and returns the created object.
    pub async fn upload_into<T: DeserializeOwned>(self, group: &str, file: Upload) -> Result<T> {
        let confirm = self.follow_up(Method::Get, "{upload confirmation}");
        let created = self.preflight(Some(group), &file).await?;
        let target = created.get(group).cloned().ok_or_else(|| Error::Decode {
            status: 200,
            expected: "an object with upload instructions",
            message: format!("the response has no `{group}` to upload to"),
            excerpt: crate::error::excerpt(&created.to_string()),
        })?;
        send_file(&confirm, &target, file).await?;
        serde_json::from_value(created).map_err(|e| Error::Decode {
            status: 200,
            expected: std::any::type_name::<T>(),
            message: e.to_string(),
            excerpt: String::new(),
        })
    }

    /// Asks Canvas to fetch the file from `url` itself (step 1 with `url` instead of data) and
    /// returns the Progress of that download.
    pub async fn upload_from_url<T: DeserializeOwned>(self, url: &str, name: &str) -> Result<T> {
        let req = self.form("url", url).form("name", name);
        let resp: Json = req.send().await?;
        let progress = resp.get("progress").cloned().unwrap_or(resp);
        serde_json::from_value(progress).map_err(|e| Error::Decode {
            status: 200,
            expected: std::any::type_name::<T>(),
            message: e.to_string(),
            excerpt: String::new(),
        })
    }

    /// Sends the request's form parameters and `file` as one multipart body, the file under
    /// `field` (for endpoints that take the file directly: SIS and outcome imports, group
    /// imports, discussion attachments).
    pub async fn send_multipart<T: DeserializeOwned>(self, field: &str, file: Upload) -> Result<T> {
        let client = self.client();
        let url = self.full_url()?;
        let url = self.masqueraded(&url);
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in self.form_pairs().as_slice() {
            form = form.text(k.clone(), v.clone());
        }
        let activity = Activity::new();
        form = form.part(field.to_owned(), file_part(file, &activity)?);
        let mut builder = client.upload_http().request(self.method().to_reqwest(), url.clone());
        if let Some((bearer, _)) = client.auth().await? {
            builder = builder.header(reqwest::header::AUTHORIZATION, bearer);
        }
        let (status, body) = transfer(client, "sending the file to Canvas", &activity, builder.multipart(form)).await?;
        decode_body(status, &body)
    }

    /// Step 1: the request with the file's name, size and content type (unless the caller
    /// set them), under `group[..]` when given.
    async fn preflight(mut self, group: Option<&str>, file: &Upload) -> Result<Json> {
        let key = |k: &str| match group {
            Some(g) => format!("{g}[{k}]"),
            None => k.to_owned(),
        };
        let fields =
            [("name", file.name.clone()), ("size", file.size.to_string()), ("content_type", file.content_type.clone())];
        for (k, v) in fields.into_iter().chain(file.extra.iter().cloned()) {
            let k = key(k);
            if !self.form_pairs().contains_key(&k) {
                self = self.form(&k, &v);
            }
        }
        self.send().await
    }
}

/// The file as a streamed multipart part; every chunk pulled touches `activity`.
fn file_part(file: Upload, activity: &Activity) -> Result<reqwest::multipart::Part> {
    let Upload { name, size, content_type, reader, on_progress, .. } = file;
    let state = (reader, 0u64, on_progress, activity.clone());
    let stream = futures_util::stream::unfold(state, |(mut reader, sent, progress, activity)| async move {
        let mut buf = vec![0u8; CHUNK];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                activity.touch();
                let sent = sent.saturating_add(n as u64);
                if let Some(f) = &progress {
                    f(sent);
                }
                Some((Ok::<Vec<u8>, std::io::Error>(buf), (reader, sent, progress, activity)))
            }
            Err(e) => Some((Err(e), (reader, sent, None, activity))),
        }
    });
    reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), size)
        .file_name(header_safe_file_name(&name))
        .mime_str(&content_type)
        .map_err(|e| Error::Config(format!("content type {content_type:?}: {e}")))
}

/// The file name as it may stand in a multipart `Content-Disposition` header: control
/// characters (CR and LF above all, which would end the header and start another) become
/// `_`. The name Canvas gives the file comes from step 1, where it is an ordinary form value.
fn header_safe_file_name(name: &str) -> String {
    name.chars().map(|c| if c.is_control() { '_' } else { c }).collect()
}

/// Sends a request to an upload host (or a multipart request to Canvas) and reads its
/// answer, bounded by the client's idle timeout (no byte sent or received) and upload
/// timeout (the whole transfer), and by its body limits.
async fn transfer(
    client: &Client,
    what: &str,
    activity: &Activity,
    request: reqwest::RequestBuilder,
) -> Result<(u16, Vec<u8>)> {
    let settings = client.settings();
    with_idle_timeout(what, activity, settings.read_timeout, settings.upload_timeout, async {
        let resp = request.send().await.map_err(Error::Transport)?;
        activity.touch();
        read_success(resp, client.limits(), Some(activity)).await
    })
    .await
}

/// Steps 2 and 3 for the upload instructions in `target` (`upload_url`, `upload_params`,
/// `file_param`): returns the status and body of the confirmation. `confirm` is the request
/// the confirmation is sent as (it carries the caller's masquerading).
async fn send_file(confirm: &Request<'_>, target: &Json, file: Upload) -> Result<(u16, Vec<u8>)> {
    let client = confirm.client();
    let upload_url = target.get("upload_url").and_then(Json::as_str).ok_or_else(|| Error::Decode {
        status: 200,
        expected: "upload instructions",
        message: "no `upload_url` in Canvas's answer".into(),
        excerpt: crate::error::excerpt(&target.to_string()),
    })?;
    let upload_url = Url::parse(upload_url)
        .or_else(|_| Url::parse(client.api_root()).and_then(|root| root.join(upload_url)))
        .map_err(|e| Error::Config(format!("bad upload_url {upload_url:?}: {e}")))?;
    client.check_url(&upload_url)?;
    let mut form = reqwest::multipart::Form::new();
    if let Some(params) = target.get("upload_params").and_then(Json::as_object) {
        for (k, v) in params {
            let text = match v {
                Json::String(s) => s.clone(),
                Json::Null => String::new(),
                other => other.to_string(),
            };
            form = form.text(k.clone(), text);
        }
    }
    let field = target.get("file_param").and_then(Json::as_str).unwrap_or("file").to_owned();
    let activity = Activity::new();
    form = form.part(field, file_part(file, &activity)?);
    // Step 2: never with the token, wherever the upload host is.
    let settings = client.settings();
    let step2 = with_idle_timeout(
        "sending the file to the upload host",
        &activity,
        settings.read_timeout,
        settings.upload_timeout,
        async {
            let resp = client.upload_http().post(upload_url.clone()).multipart(form).send().await;
            activity.touch();
            resp.map_err(Error::Transport)
        },
    )
    .await?;
    if !step2.status().is_redirection() {
        let activity = Activity::new();
        return with_idle_timeout("reading the upload host's answer", &activity, settings.read_timeout, None, async {
            read_success(step2, client.limits(), Some(&activity)).await
        })
        .await;
    }
    let (status, headers) = (step2.status().as_u16(), step2.headers().clone());
    let location = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Http(Box::new(HttpError::from_body(status, &headers, b"redirect without Location"))))?;
    let target = upload_url.join(location).map_err(|e| Error::Config(format!("bad Location {location:?}: {e}")))?;
    client.check_url(&target)?;
    // Step 3: confirm, with the token only at the Canvas origin, and there only at the
    // file confirmation Canvas's protocol names (`/api/v1/files/..`): an upload host must
    // not pick which Canvas endpoint receives an authenticated request.
    if client.is_same_origin(&target) {
        let files =
            format!("{}/v1/files/", Url::parse(client.api_root()).map(|u| u.path().to_owned()).unwrap_or_default());
        if !target.path().starts_with(&files) {
            return Err(Error::UnsafeUrl {
                url: crate::client::redacted(&target),
                reason: format!("an upload host may only redirect to Canvas's file confirmation ({files}..)"),
            });
        }
        let raw = crate::request::execute_at(confirm, target).await?;
        return Ok((raw.status, raw.body));
    }
    let activity = Activity::new();
    transfer(client, "confirming the upload", &activity, client.upload_http().get(target)).await
}
