//! File uploads, the way Canvas wants them.
//!
//! Canvas uploads take three steps: (1) tell Canvas about the file (name, size, content type)
//! and get back an `upload_url` and `upload_params`; (2) POST a multipart form to
//! `upload_url` **without the token** (it is often another host), with every
//! `upload_params` field in the given order and the file last; (3) on a redirect, confirm at
//! `Location` (with the token only when it is the Canvas origin), or read the file object
//! from a `201`/`200`. The file is streamed from disk or any async reader, never buffered
//! whole; a callback can follow the bytes sent.
//!
//! Errors name the step (`upload step 2: POST to the upload host <host>`) and who answered.
//! Step 2 is retried on a `5xx` or a broken transfer, as the client's retry policy allows,
//! when the file can be read again (a file on disk); a one-shot stream
//! ([`Upload::from_reader`]) is sent once, and its error says so. Steps 1 and 3 go to Canvas
//! through the client's executor like every other request.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt};
use url::Url;

use crate::decode::{decode_body, decode_value};
use crate::error::{read_success, DecodeError, HttpError, TransportError};
use crate::execute::execute;
use crate::request::{Method, Request};
use crate::retry::{self, Outcome};
use crate::transport::{with_idle_timeout, Activity};
use crate::{Client, Error, Json, Pairs, Result};

/// Chunk size of the upload stream.
const CHUNK: usize = 64 * 1024;

type ProgressFn = Arc<dyn Fn(u64) + Send + Sync>;

/// A file to upload: its name, size, content type and bytes (streamed).
pub struct Upload {
    name: String,
    size: u64,
    content_type: String,
    source: Source,
    on_progress: Option<ProgressFn>,
    /// Extra step-1 fields: folder and what to do with a name already taken.
    extra: Vec<(&'static str, String)>,
}

/// Where the bytes come from, and so whether they can be sent again.
enum Source {
    /// A file on disk: opened anew for every attempt.
    Path(PathBuf),
    /// A stream that can be read once; `None` once it was taken.
    Once(Option<Box<dyn AsyncRead + Send + Unpin>>),
}

/// The bytes for one attempt.
enum Bytes {
    Path(PathBuf),
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

impl Bytes {
    async fn open(self) -> Result<Box<dyn AsyncRead + Send + Unpin>> {
        match self {
            Bytes::Path(path) => {
                let file =
                    tokio::fs::File::open(&path).await.map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
                Ok(Box::new(file))
            }
            Bytes::Reader(reader) => Ok(reader),
        }
    }
}

/// What a multipart part needs besides the bytes.
#[derive(Clone)]
struct PartInfo {
    name: String,
    size: u64,
    content_type: String,
    on_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("content_type", &self.content_type)
            .field("retryable", &self.can_resend())
            .finish()
    }
}

impl Upload {
    /// A file on disk; the name is its file name and the content type is guessed from the
    /// extension (override with [`content_type`](Self::content_type)). The file is opened
    /// again for a retry, so a failed transfer can be sent again.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let meta = tokio::fs::metadata(path).await.map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "upload".into());
        let content_type = guess_content_type(&name).to_owned();
        let source = Source::Path(path.to_owned());
        Ok(Upload { name, size: meta.len(), content_type, source, on_progress: None, extra: Vec::new() })
    }

    /// Bytes from any async reader; `size` must be exact (Canvas checks it). A reader can be
    /// read once: a transfer that fails is not sent again (use [`from_path`](Self::from_path)
    /// for that).
    pub fn from_reader(name: impl Into<String>, size: u64, reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        let name = name.into();
        let content_type = guess_content_type(&name).to_owned();
        let source = Source::Once(Some(Box::new(reader)));
        Upload { name, size, content_type, source, on_progress: None, extra: Vec::new() }
    }

    /// True when the bytes can be sent again after a failed attempt (a file on disk).
    pub fn can_resend(&self) -> bool {
        matches!(self.source, Source::Path(_))
    }

    /// The bytes for the next attempt, or an error for a one-shot stream already sent.
    fn next_bytes(&mut self) -> Result<Bytes> {
        match &mut self.source {
            Source::Path(path) => Ok(Bytes::Path(path.clone())),
            Source::Once(reader) => reader.take().map(Bytes::Reader).ok_or_else(|| {
                Error::Io(format!(
                    "{:?} came from a one-shot stream (Upload::from_reader) that was already sent once: \
                     it cannot be sent again (Upload::from_path can)",
                    self.name
                ))
            }),
        }
    }

    fn info(&self) -> PartInfo {
        PartInfo {
            name: self.name.clone(),
            size: self.size,
            content_type: self.content_type.clone(),
            on_progress: self.on_progress.clone(),
        }
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
    pub async fn upload<T: DeserializeOwned + Send>(self, file: Upload) -> Result<T> {
        let confirm = self.follow_up(Method::Get, "/v1/files/{id}/create_success");
        let step1 = self.preflight(None, &file).await?;
        let (status, body) = send_file(&confirm, &step1, file).await?;
        decode_body(UPLOAD_ANSWER, status, &body)
    }

    /// Creates an object whose file goes in a nested group (`pre_attachment[..]` for content
    /// migrations), uploads the file to where Canvas says, and returns the created object.
    pub async fn upload_into<T: DeserializeOwned>(self, group: &str, file: Upload) -> Result<T> {
        let confirm = self.follow_up(Method::Get, "/v1/files/{id}/create_success");
        let operation = self.operation();
        let created = self.preflight(Some(group), &file).await?;
        let Some(target) = created.get(group).cloned() else {
            let message = format!("the response has no `{group}` to upload to");
            return Err(DecodeError::shape(
                &operation,
                200,
                "upload instructions",
                message,
                created.to_string().as_bytes(),
            ));
        };
        send_file(&confirm, &target, file).await?;
        decode_value(&operation, 200, created)
    }

    /// Asks Canvas to fetch the file from `url` itself and returns the Progress of that
    /// download. Step 1 sends `url` instead of data; when Canvas answers with an `upload_url`
    /// (its current flow), the `upload_params` are posted there (multipart, no file, no
    /// token) to start the download, as Canvas's file upload documentation asks.
    pub async fn upload_from_url<T: DeserializeOwned>(self, url: &str, name: &str) -> Result<T> {
        let client = self.client();
        let operation = self.operation();
        let resp: Json = self.form("url", url).form("name", name).send().await?;
        if let Some(upload_url) = resp.get("upload_url").and_then(Json::as_str) {
            let upload_url = upload_host_url(client, upload_url)?;
            let what = format!("upload step 2: POST to the upload host {}", host_of(&upload_url));
            let params = resp.get("upload_params").cloned().unwrap_or(Json::Null);
            let activity = Activity::new();
            let form = params_form(&params);
            transfer(
                client,
                &what,
                "the upload host",
                &activity,
                client.upload_http().post(upload_url).multipart(form),
            )
            .await?;
        }
        let progress = resp.get("progress").cloned().unwrap_or(resp);
        decode_value(&operation, 200, progress)
    }

    /// Sends the request's form parameters and `file` as one multipart body, the file under
    /// `field` (for endpoints that take the file directly: SIS and outcome imports, group
    /// imports, discussion attachments). It goes through the client's executor like any
    /// request: pacing, throttling retries, OAuth2 refresh, masquerading, tracing; a failed
    /// transfer is sent again only when the file can be read again.
    pub async fn send_multipart<T: DeserializeOwned + Send>(self, field: &str, file: Upload) -> Result<T> {
        self.with_file(field, file).send().await
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

/// How errors name the file object an upload returns.
const UPLOAD_ANSWER: &str = "the upload's answer";

/// The multipart body of a request with a file (built anew for every attempt, from the
/// file's next bytes).
pub(crate) async fn multipart_form(
    pairs: &Pairs,
    field: &str,
    file: &Mutex<Upload>,
    activity: &Activity,
) -> Result<reqwest::multipart::Form> {
    let (bytes, info) = {
        let mut file = file.lock().expect("upload lock");
        (file.next_bytes()?, file.info())
    };
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in pairs.as_slice() {
        form = form.text(k.clone(), v.clone());
    }
    Ok(form.part(field.to_owned(), file_part(&info, bytes.open().await?, activity)?))
}

/// The file as a streamed multipart part; every chunk pulled touches `activity`.
fn file_part(
    info: &PartInfo,
    reader: Box<dyn AsyncRead + Send + Unpin>,
    activity: &Activity,
) -> Result<reqwest::multipart::Part> {
    let state = (reader, 0u64, info.on_progress.clone(), activity.clone());
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
    reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), info.size)
        .file_name(header_safe_file_name(&info.name))
        .mime_str(&info.content_type)
        .map_err(|e| Error::Config(format!("content type {:?}: {e}", info.content_type)))
}

/// The file name as it may stand in a multipart `Content-Disposition` header: control
/// characters (CR and LF above all, which would end the header and start another) become
/// `_`. The name Canvas gives the file comes from step 1, where it is an ordinary form value.
fn header_safe_file_name(name: &str) -> String {
    name.chars().map(|c| if c.is_control() { '_' } else { c }).collect()
}

/// `upload_params`, in order, as multipart text fields.
fn params_form(params: &Json) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    if let Some(params) = params.as_object() {
        for (k, v) in params {
            let text = match v {
                Json::String(s) => s.clone(),
                Json::Null => String::new(),
                other => other.to_string(),
            };
            form = form.text(k.clone(), text);
        }
    }
    form
}

/// `host[:port]` of a URL, for messages.
fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => url.scheme().to_owned(),
    }
}

/// The `upload_url` of step 1 as a URL the client may send to.
fn upload_host_url(client: &Client, raw: &str) -> Result<Url> {
    let url = Url::parse(raw)
        .or_else(|_| Url::parse(client.api_root()).and_then(|root| root.join(raw)))
        .map_err(|e| Error::UnsafeUrl { url: raw.to_owned(), reason: format!("the upload_url is not a URL: {e}") })?;
    client.check_url(&url)?;
    Ok(url)
}

/// Sends a request to an upload host (or a confirmation host) and reads its answer, bounded
/// by the client's idle timeout (no byte sent or received) and upload timeout (the whole
/// transfer), and by its body limits. Errors are said of `what`, answered by `peer`.
async fn transfer(
    client: &Client,
    what: &str,
    peer: &'static str,
    activity: &Activity,
    request: reqwest::RequestBuilder,
) -> Result<(u16, Vec<u8>)> {
    let settings = client.settings();
    with_idle_timeout(what, activity, settings.read_timeout, settings.upload_timeout, async {
        let resp = request.send().await.map_err(|e| TransportError::error(what, e))?;
        activity.touch();
        read_success(resp, client.limits(), Some(activity), what, peer).await
    })
    .await
}

/// Steps 2 and 3 for the upload instructions in `target` (`upload_url`, `upload_params`,
/// `file_param`): returns the status and body of the confirmation. `confirm` is the request
/// the confirmation is sent as (it carries the caller's masquerading).
async fn send_file(confirm: &Request<'_>, target: &Json, mut file: Upload) -> Result<(u16, Vec<u8>)> {
    let client = confirm.client();
    let Some(raw_url) = target.get("upload_url").and_then(Json::as_str) else {
        let message = "no `upload_url` in Canvas's answer to step 1".to_owned();
        return Err(DecodeError::shape(
            "upload step 1",
            200,
            "upload instructions",
            message,
            target.to_string().as_bytes(),
        ));
    };
    let upload_url = upload_host_url(client, raw_url)?;
    let what = format!("upload step 2: POST to the upload host {}", host_of(&upload_url));
    let params = target.get("upload_params").cloned().unwrap_or(Json::Null);
    let field = target.get("file_param").and_then(Json::as_str).unwrap_or("file").to_owned();
    let settings = client.settings();
    let policy = client.retry_policy();
    let started = Instant::now();
    let mut attempt = 0;
    // Step 2, never with the token, wherever the upload host is. Sending the same file to the
    // same upload URL again has the effect of once, so a 5xx or broken transfer is retried.
    let step2 = loop {
        attempt += 1;
        let activity = Activity::new();
        let info = file.info();
        let bytes = file.next_bytes()?.open().await?;
        let form = params_form(&params).part(field.clone(), file_part(&info, bytes, &activity)?);
        let sent = with_idle_timeout(&what, &activity, settings.read_timeout, settings.upload_timeout, async {
            let resp = client.upload_http().post(upload_url.clone()).multipart(form).send().await;
            activity.touch();
            resp.map_err(|e| TransportError::error(&what, e))
        })
        .await;
        let outcome = match &sent {
            Ok(resp) if resp.status().is_server_error() => {
                Outcome::Status { status: resp.status().as_u16(), throttled: false, retry_after: None }
            }
            Ok(_) => break sent?,
            Err(Error::Transport(t)) => Outcome::Transport { connected: !t.is_connect() },
            Err(Error::Timeout(_)) => Outcome::Transport { connected: true },
            Err(_) => Outcome::Final,
        };
        let wait = retry::decide(policy, true, &outcome, attempt).filter(|_| file.can_resend());
        match (wait, sent) {
            (Some(wait), _) => tokio::time::sleep(wait).await,
            (None, Ok(resp)) => {
                let failure = match read_success(resp, client.limits(), None, &what, "the upload host").await {
                    Err(e) => e,
                    Ok((status, _)) => Error::Config(format!("{what}: a {status} was taken for a failure")),
                };
                return Err(one_shot_note(failure.after_attempts(attempt, started.elapsed()), &file));
            }
            (None, Err(e)) => return Err(one_shot_note(e.after_attempts(attempt, started.elapsed()), &file)),
        }
    };
    if !step2.status().is_redirection() {
        let activity = Activity::new();
        return with_idle_timeout(&what, &activity, settings.read_timeout, None, async {
            read_success(step2, client.limits(), Some(&activity), &what, "the upload host").await
        })
        .await;
    }
    let (status, headers) = (step2.status().as_u16(), step2.headers().clone());
    let location = headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        let e = HttpError::from_body(status, &headers, b"redirect without Location").of(&what, "the upload host");
        Error::Http(Box::new(e))
    })?;
    let target = upload_url.join(location).map_err(|e| Error::UnsafeUrl {
        url: location.to_owned(),
        reason: format!("the upload host's Location is not a URL: {e}"),
    })?;
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
        let raw = execute(confirm, target, &mut crate::execute::accept_any).await?;
        return Ok((raw.status, raw.body));
    }
    let what = format!("upload step 3: GET the confirmation at {}", host_of(&target));
    let activity = Activity::new();
    transfer(client, &what, "the confirmation host", &activity, client.upload_http().get(target)).await
}

/// Adds to a failed step 2 that the file could not be sent again, when that is why it stopped.
fn one_shot_note(e: Error, file: &Upload) -> Error {
    const NOTE: &str = " (the file came from a one-shot stream, Upload::from_reader, and cannot be sent again)";
    if file.can_resend() {
        return e;
    }
    match e {
        Error::Http(mut h) => {
            h.operation.push_str(NOTE);
            Error::Http(h)
        }
        Error::Transport(mut t) => {
            t.note(NOTE);
            Error::Transport(t)
        }
        Error::Timeout(text) => Error::Timeout(text + NOTE),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_says_what_it_is() {
        let file = Upload::from_reader("notes.txt", 11, &b"hello notes"[..]);
        assert_eq!(file.size(), 11);
        assert_eq!(
            format!("{file:?}"),
            r#"Upload { name: "notes.txt", size: 11, content_type: "text/plain", retryable: false }"#
        );
    }

    #[test]
    fn content_types_follow_the_extension_in_any_case() {
        let table = [
            ("a.pdf", "application/pdf"),
            ("a.txt", "text/plain"),
            ("a.text", "text/plain"),
            ("a.CSV", "text/csv"),
            ("a.html", "text/html"),
            ("a.htm", "text/html"),
            ("a.json", "application/json"),
            ("a.xml", "application/xml"),
            ("a.zip", "application/zip"),
            ("a.imscc", "application/zip"),
            ("a.png", "image/png"),
            ("a.jpg", "image/jpeg"),
            ("a.JPEG", "image/jpeg"),
            ("a.gif", "image/gif"),
            ("a.svg", "image/svg+xml"),
            ("a.mp4", "video/mp4"),
            ("a.mp3", "audio/mpeg"),
            ("a.doc", "application/msword"),
            ("a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("a.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            ("a.tar.gz", "application/octet-stream"),
            ("README", "application/octet-stream"),
        ];
        for (name, want) in table {
            assert_eq!(guess_content_type(name), want, "{name}");
        }
    }
}
