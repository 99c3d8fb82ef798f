//! Lowering resources and operations: methods, paths, responses, de-duplicated nicknames.

use std::collections::BTreeSet;

use crate::ir::{Ir, Method, Operation, Resource, Response, Ty};
use crate::naming;
use crate::passes::models::{model_ref, ModelTable};
use crate::passes::params;
use crate::passes::types::{map_word, Mapped};
use crate::report::Report;
use crate::spec::{ApiDeclaration, OperationDef};

/// Adds one resource per file, with its operations.
pub fn resources(files: &[(String, ApiDeclaration)], table: &ModelTable, ir: &mut Ir, report: &mut Report) {
    for (file, decl) in files {
        let stem = file.strip_suffix(".json").unwrap_or(file);
        let module = naming::snake(stem);
        let index = ir.resources.len();
        ir.resources.push(Resource {
            file: file.clone(),
            resource_path: decl.resource_path.clone(),
            module: naming::bare(&module).to_owned(),
            type_name: naming::pascal(stem),
            title: decl.listed_as.clone().unwrap_or_else(|| title(stem)),
            operations: Vec::new(),
        });
        report.resources += 1;
        if decl.base_path.as_deref().is_some_and(|b| !b.ends_with("/api")) {
            report.anomaly(
                file,
                "basePath not ending in /api",
                format!("{:?}", decl.base_path),
                "paths taken relative to /api all the same",
            );
        }
        let mut nicknames: Vec<(String, String)> = Vec::new();
        for (ai, api) in decl.apis.iter().enumerate() {
            for (oi, op) in api.operations.iter().enumerate() {
                let at = format!("apis[{ai}].operations[{oi}]");
                let nickname = unique_nickname(&op.nickname, &api.path, &nicknames, file, report);
                nicknames.push((nickname.clone(), api.path.clone()));
                let operation = operation(file, index, &at, &nickname, &api.path, op, table, ir, report);
                ir.resources[index].operations.push(operation);
            }
        }
    }
}

/// `accounts_(lti)` → `Accounts (LTI)`: words capitalized, short parenthesized words upper-cased.
fn title(stem: &str) -> String {
    stem.split('_')
        .map(|w| {
            if let Some(inner) = w.strip_prefix('(').and_then(|w| w.strip_suffix(')')) {
                format!("({})", inner.to_ascii_uppercase())
            } else {
                let mut c = w.chars();
                c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A nickname already used in the file gets the literal path segments that tell it apart
/// (`query_progress` on `/lti/courses/{course_id}/progress/{id}` → `query_progress_lti_courses`).
fn unique_nickname(nick: &str, path: &str, seen: &[(String, String)], file: &str, report: &mut Report) -> String {
    let Some((_, first_path)) = seen.iter().find(|(n, _)| n == nick) else {
        return nick.to_owned();
    };
    let first: BTreeSet<&str> = first_path.split('/').collect();
    let extra: Vec<&str> =
        path.split('/').filter(|s| !s.is_empty() && !s.starts_with('{') && !first.contains(s)).collect();
    let mut candidate = if extra.is_empty() {
        format!("{nick}_2")
    } else {
        format!("{nick}_{}", naming::bare(&naming::snake(&extra.join("_"))))
    };
    let mut n = 2;
    while seen.iter().any(|(s, _)| *s == candidate) {
        n += 1;
        candidate = format!("{nick}_{n}");
    }
    report.anomaly(
        file,
        "duplicate nickname in one file",
        format!("{nick} on {path}"),
        format!("renamed to {candidate}"),
    );
    candidate
}

#[allow(clippy::too_many_arguments)]
fn operation(
    file: &str,
    resource: usize,
    at: &str,
    nickname: &str,
    path: &str,
    op: &OperationDef,
    table: &ModelTable,
    ir: &mut Ir,
    report: &mut Report,
) -> Operation {
    report.operations += 1;
    report.parameters += op.parameters.len();
    let method = match op.method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        other => {
            report.anomaly(file, "unknown HTTP method", format!("{at}: {other:?}"), "sent as POST");
            Method::Post
        }
    };
    let path = &glob_placeholders(path, file, nickname, report);
    let fn_name = naming::snake(nickname);
    let builder = naming::pascal(nickname);
    let ctx = params::Ctx { file, resource, nickname, builder: &builder };
    let (params, origins) = params::lower(&ctx, path, &op.parameters, table, ir, report);
    let response = response(file, at, method, op, table, ir, report);
    let deprecated = op.deprecated.then(|| op.deprecation_description.clone().unwrap_or_default());
    let upload = upload_kind(file, nickname, method, &params, table, report);
    Operation {
        nickname: nickname.to_owned(),
        fn_name,
        builder_name: builder,
        method,
        path: path.to_owned(),
        summary: op.summary.clone(),
        notes: op.notes.clone(),
        deprecated,
        params,
        response,
        response_key: op.response_key.clone(),
        origins,
        upload,
    }
}

/// Rails glob segments (`/folders/by_path/*full_path`) become placeholders of their own kind,
/// `{*full_path}`: a required argument that the runtime sends as several segments.
fn glob_placeholders(path: &str, file: &str, nickname: &str, report: &mut Report) -> String {
    let segments: Vec<String> = path
        .split('/')
        .map(|s| match s.strip_prefix('*') {
            Some(name) if !name.is_empty() => format!("{{*{name}}}"),
            _ => s.to_owned(),
        })
        .collect();
    let rewritten = segments.join("/");
    if rewritten != path {
        report.anomaly(
            file,
            "Rails glob path segment",
            format!("{nickname}: {path}"),
            "a required argument, sent as `/`-separated segments, each percent-encoded",
        );
    }
    rewritten
}

/// Which operations take files, by rule: `upload_file*` operations start Canvas's three-step
/// upload; a `pre_attachment` group means the created object carries upload instructions; a
/// form parameter `attachment` on a POST is the file itself, sent as multipart.
fn upload_kind(
    file: &str,
    nickname: &str,
    method: Method,
    params: &[crate::ir::Param],
    table: &ModelTable,
    report: &mut Report,
) -> Option<crate::ir::Upload> {
    use crate::ir::{Location, Upload};
    let kind = if nickname.starts_with("upload_file") && method == Method::Post {
        let model = |name: &str| table.lookup(name).and_then(|r| r.ok());
        Upload::ThreeStep { file: model("File")?, progress: model("Progress")? }
    } else if params.iter().any(|p| p.wire == "pre_attachment") {
        Upload::Into { group: "pre_attachment".into() }
    } else if method == Method::Post && params.iter().any(|p| p.wire == "attachment" && p.location == Location::Form) {
        Upload::Multipart { field: "attachment".into() }
    } else {
        return None;
    };
    let how = match &kind {
        Upload::ThreeStep { .. } => {
            "`upload` (three steps, returns the File) and `upload_from_url` (returns the Progress)".to_owned()
        }
        Upload::Into { group } => format!("`upload`: the file goes where `{group}` in the answer says"),
        Upload::Multipart { field } => format!("`send_with_file`: the file is the multipart field `{field}`"),
    };
    report.anomaly(file, "file upload", nickname.to_owned(), how);
    Some(kind)
}

fn response(
    file: &str,
    at: &str,
    method: Method,
    op: &OperationDef,
    table: &ModelTable,
    ir: &mut Ir,
    report: &mut Report,
) -> Response {
    let Some(word) = op.return_type.as_deref() else {
        report.fallback(
            file,
            "operation without a return type",
            format!("{at} ({})", op.nickname),
            "body returned as untyped JSON",
        );
        return Response::Json;
    };
    let at = format!("{at}.type ({})", op.nickname);
    let one = |ty: Ty| if ty == Ty::Json { Response::Json } else { Response::One(ty) };
    if let Some(ty) = inline_object(file, &at, word, &op.nickname, table, ir, report) {
        return one(ty);
    }
    match map_word(word, None) {
        _ if word == "void" => Response::Json,
        Mapped::Ty(Ty::Vec(inner)) => list(method, *inner),
        Mapped::Ty(t) => one(t),
        Mapped::Array => {
            let elem = match &op.items {
                Some(items) => {
                    let name = items.reference.as_deref().or(items.ty.as_deref()).unwrap_or("");
                    if let Some(ty) = inline_object(file, &format!("{at}.items"), name, &op.nickname, table, ir, report)
                    {
                        return list(method, ty);
                    }
                    match map_word(name, None) {
                        Mapped::Ty(t) => t,
                        _ => model_ref(table, ir, report, file, &format!("{at}.items"), name),
                    }
                }
                None => {
                    report.fallback(file, "array return without items", at.clone(), "elements as untyped JSON");
                    Ty::Json
                }
            };
            list(method, elem)
        }
        Mapped::Name(n) => one(model_ref(table, ir, report, file, &at, &n)),
    }
}

/// A `GET` returning an array is a paginated list; other methods return a plain array.
fn list(method: Method, elem: Ty) -> Response {
    if method == Method::Get {
        Response::List(elem)
    } else {
        Response::Array(elem)
    }
}

/// A return type written as an object literal (`{ "count": "integer" }`, `{success: true}`,
/// `{"grades": Grades, "submission": Submission}`) becomes a model of its own, named after
/// the operation (`…Response`). Keys may be quoted or bare; values are type words in
/// quotes, model names, `[Model]` lists, or `true`/`false` (a boolean).
fn inline_object(
    file: &str,
    at: &str,
    text: &str,
    nickname: &str,
    table: &ModelTable,
    ir: &mut Ir,
    report: &mut Report,
) -> Option<Ty> {
    let body = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut fields = Vec::new();
    for entry in body.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (key, value) = entry.split_once(':')?;
        let key = key.trim().trim_matches('"').trim();
        let value = value.trim().trim_matches('"').trim();
        let (list, value) = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            Some(inner) => (true, inner.trim()),
            None => (false, value),
        };
        let ty = match value {
            "true" | "false" => Ty::Bool,
            word => match map_word(word, None) {
                Mapped::Ty(t) => t,
                _ => model_ref(table, ir, report, file, at, word),
            },
        };
        let ty = if list { Ty::Vec(Box::new(ty)) } else { ty };
        fields.push(crate::ir::Field {
            wire: key.to_owned(),
            rust_name: naming::snake(key),
            ty,
            required: false,
            boxed: false,
            description: String::new(),
            deprecated: false,
            example: None,
            flatten: false,
        });
    }
    let spec_name = format!("{nickname}_response");
    report.anomaly(
        file,
        "object literal as a return type",
        format!("{at}: {text:?}"),
        format!("a model of its own, `{}`", naming::model_type(&spec_name)),
    );
    ir.models.push(crate::ir::Model {
        rust_name: naming::model_type(&spec_name),
        spec_name,
        description: format!(
            "What `{nickname}` returns (written inline in the Canvas description: `{}`).",
            text.trim()
        ),
        deprecated: None,
        fields,
        files: vec![file.to_owned()],
        features: Vec::new(),
        union_of: Vec::new(),
    });
    Some(Ty::Model(crate::ir::ModelId(ir.models.len() - 1)))
}
