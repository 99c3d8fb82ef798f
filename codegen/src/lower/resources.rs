//! Lowering resources and operations: the methods of each Canvas action, paths, responses.

use crate::ir::{ContextKind, ContextSet, Ir, Location, Method, Operation, Resource, Response, Route, Ty};
use crate::lower::families;
use crate::lower::models::{model_ref, ModelTable};
use crate::lower::params;
use crate::lower::types::{map_word, Mapped, Place, Resolver, TypeText};
use crate::naming;
use crate::overrides::Overrides;
use crate::report::{Report, Rule};
use crate::spec::{ApiDeclaration, OperationDef};

/// Adds one resource per file, with its operations.
pub fn resources(
    files: &[(String, ApiDeclaration)],
    table: &ModelTable,
    names: &Overrides,
    ir: &mut Ir,
    report: &mut Report,
) {
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
                Rule::BasePathNotApi,
                format!("{:?}", decl.base_path),
                "paths taken relative to /api all the same",
            );
        }
        // Every route of the file, in input order, grouped into Canvas actions.
        let mut entries: Vec<Entry> = Vec::new();
        for (ai, api) in decl.apis.iter().enumerate() {
            for (oi, op) in api.operations.iter().enumerate() {
                let at = format!("apis[{ai}].operations[{oi}]");
                let method = method_of(file, &at, op, report);
                let path = glob_placeholders(&api.path, file, &op.nickname, report);
                entries.push(Entry { at, method, path, op });
            }
        }
        let pairs: Vec<(&str, &str)> =
            entries.iter().map(|e| (e.op.nickname.as_str(), e.op.summary.as_str())).collect();
        let mut actions: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, action) in families::actions(&pairs).into_iter().enumerate() {
            match actions.iter_mut().find(|(a, _)| *a == action) {
                Some((_, members)) => members.push(i),
                None => actions.push((action, vec![i])),
            }
        }
        for (action, members) in &actions {
            let routes: Vec<families::Route> = members
                .iter()
                .map(|&i| families::Route {
                    method: entries[i].method,
                    path: &entries[i].path,
                    params: parameter_shapes(entries[i].op),
                    response: response_shape(entries[i].op),
                })
                .collect();
            for plan in families::plan(action, &routes) {
                let chosen: Vec<&Entry> = plan.members.iter().map(|&m| &entries[members[m]]).collect();
                // A name given by hand is found by any of the method's routes (their order may change).
                let named = chosen.iter().find_map(|e| names.name_of(file, &e.op.nickname, &e.path)).map(str::to_owned);
                let operation = operation(file, index, action, &plan, named, &chosen, table, ir, report);
                ir.resources[index].operations.push(operation);
            }
        }
    }
}

/// One route of a file, before planning.
struct Entry<'a> {
    at: String,
    method: Method,
    path: String,
    op: &'a OperationDef,
}

/// Each parameter's name, whether it is a path parameter, and everything else that makes it
/// the same parameter on another route (not its description).
fn parameter_shapes(op: &OperationDef) -> Vec<(String, bool, String)> {
    op.parameters
        .iter()
        .map(|p| {
            let shape = format!(
                "{}|{:?}|{:?}|{:?}|{:?}|{}",
                p.param_type,
                p.ty,
                p.format,
                p.enum_values,
                p.items.as_ref().map(|i| (i.reference.clone(), i.ty.clone())),
                p.required
            );
            (p.name.clone(), p.param_type == "path", shape)
        })
        .collect()
}

/// What makes two routes return the same thing.
fn response_shape(op: &OperationDef) -> String {
    format!(
        "{:?}|{:?}|{:?}",
        op.return_type,
        op.items.as_ref().map(|i| (i.reference.clone(), i.ty.clone())),
        op.response_key
    )
}

fn method_of(file: &str, at: &str, op: &OperationDef, report: &mut Report) -> Method {
    match op.method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        other => {
            report.anomaly(file, Rule::UnknownHttpMethod, format!("{at}: {other:?}"), "sent as POST");
            Method::Post
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

#[allow(clippy::too_many_arguments)]
fn operation(
    file: &str,
    resource: usize,
    action: &str,
    plan: &families::Plan,
    named: Option<String>,
    routes: &[&Entry],
    table: &ModelTable,
    ir: &mut Ir,
    report: &mut Report,
) -> Operation {
    let first = routes[0];
    let (at, op, method) = (&first.at, first.op, first.method);
    report.operations += routes.len();
    report.parameters += routes.iter().map(|r| r.op.parameters.len()).sum::<usize>();
    report.methods += 1;
    if plan.named_by_route && named.is_none() {
        report.anomaly(
            file,
            Rule::MethodNamedByPathWord,
            format!("{} ({})", plan.name, op.nickname),
            "give it a name in `names` of spec/overrides.json",
        );
    }
    let name = named.unwrap_or_else(|| plan.name.clone());
    let fn_name = naming::snake(&name);
    let builder = naming::pascal(&name);
    let ctx = params::Ctx { file, resource, nickname: &op.nickname, builder: &builder };
    let (mut params, mut origins) = params::lower(&ctx, &first.path, &op.parameters, table, ir, report);
    // The context's id is the context argument, not a parameter of its own.
    let context = plan.contexts.as_ref().map(|contexts| {
        if let Some(id) = &contexts[0].id {
            params.retain(|p| !(p.location == Location::Path && p.wire == *id));
            for o in origins.iter_mut().filter(|(name, _)| name == id) {
                o.1 = "{context}".into();
            }
        }
        context_set(ir, contexts)
    });
    let response = response(file, at, method, op, &name, table, ir, report);
    let deprecated = op.deprecated.then(|| op.deprecation_description.clone().unwrap_or_default());
    let upload = upload_kind(file, &op.nickname, method, &params, table, report);
    // The multipart field is the file, which `send_with_file` sends: a setter for it would
    // send a text value under the file's name.
    if let Some(crate::ir::Upload::Multipart { field }) = &upload {
        params.retain(|p| !(p.location == Location::Form && p.wire == *field));
    }
    let routes = routes
        .iter()
        .enumerate()
        .map(|(i, r)| Route {
            nickname: r.op.nickname.clone(),
            path: r.path.clone(),
            context: plan.contexts.as_ref().map(|c| context_kind(ir, &c[i])),
        })
        .collect();
    Operation {
        action: action.to_owned(),
        fn_name,
        builder_name: builder,
        method,
        path: plan.template.clone(),
        context,
        routes,
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

/// The kind of a context segment, added on first use: `courses` → `Course`.
fn context_kind(ir: &mut Ir, seg: &families::ContextSegment) -> usize {
    if let Some(i) = ir.contexts.iter().position(|k| k.segment == seg.kind) {
        return i;
    }
    ir.contexts.push(ContextKind {
        segment: seg.kind.clone(),
        rust_name: naming::pascal(&families::singular(&seg.kind)),
        has_id: seg.id.is_some(),
    });
    ir.contexts.len() - 1
}

/// The set of contexts an operation takes, shared by every operation with the same kinds:
/// a trait named after its kinds in alphabetical order (`AccountCourseOrGroup`).
fn context_set(ir: &mut Ir, contexts: &[families::ContextSegment]) -> usize {
    let mut kinds: Vec<usize> = contexts.iter().map(|c| context_kind(ir, c)).collect();
    kinds.sort_by(|a, b| ir.contexts[*a].rust_name.cmp(&ir.contexts[*b].rust_name));
    kinds.dedup();
    if let Some(i) = ir.context_sets.iter().position(|s| s.kinds == kinds) {
        return i;
    }
    let names: Vec<&str> = kinds.iter().map(|k| ir.contexts[*k].rust_name.as_str()).collect();
    let rust_name = match names.split_last() {
        Some((last, [])) => format!("{last}Context"),
        Some((last, rest)) => format!("{}Or{last}", rest.concat()),
        None => "Context".to_owned(),
    };
    ir.context_sets.push(ContextSet { kinds, rust_name });
    ir.context_sets.len() - 1
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
            Rule::RailsGlobSegment,
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
    report.anomaly(file, Rule::FileUpload, nickname.to_owned(), how);
    Some(kind)
}

#[allow(clippy::too_many_arguments)]
fn response(
    file: &str,
    at: &str,
    method: Method,
    op: &OperationDef,
    name: &str,
    table: &ModelTable,
    ir: &mut Ir,
    report: &mut Report,
) -> Response {
    let Some(word) = op.return_type.as_deref() else {
        report.fallback(
            file,
            Rule::OperationWithoutReturnType,
            format!("{at} ({})", op.nickname),
            "body returned as untyped JSON",
        );
        return Response::Json;
    };
    let at = format!("{at}.type ({})", op.nickname);
    let one = |ty: Ty| if ty == Ty::Json { Response::Json } else { Response::One(ty) };
    if let Some(ty) = inline_object(file, &at, word, name, table, ir, report) {
        return one(ty);
    }
    if word == "void" {
        return Response::Json;
    }
    // An object literal as the element of an array return (`[{"count": "integer"}]`).
    if matches!(map_word(word, None), Mapped::Array) {
        let item = op.items.as_ref().and_then(|i| i.reference.as_deref().or(i.ty.as_deref())).unwrap_or("");
        if let Some(ty) = inline_object(file, &format!("{at}.items"), item, name, table, ir, report) {
            return list(method, ty);
        }
    }
    let text = TypeText { word: Some(word), items: op.items.as_ref(), ..TypeText::default() };
    match (Resolver { table, ir, report, file, at: &at, place: Place::Response }).ty(text) {
        Ty::Vec(inner) => list(method, *inner),
        t => one(t),
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
/// the method (`…Response`). Keys may be quoted or bare; values are type words in
/// quotes, model names, `[Model]` lists, or `true`/`false` (a boolean).
fn inline_object(
    file: &str,
    at: &str,
    text: &str,
    method_name: &str,
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
        fields.push(crate::ir::ModelField {
            wire: key.to_owned(),
            rust_name: naming::snake(key),
            ty,
            boxed: false,
            description: String::new(),
            deprecated: false,
            example: None,
        });
    }
    let spec_name = format!("{method_name}_response");
    report.anomaly(
        file,
        Rule::ObjectLiteralReturnType,
        format!("{at}: {text:?}"),
        format!("a model of its own, `{}`", naming::model_type(&spec_name)),
    );
    ir.models.push(crate::ir::Model {
        rust_name: naming::model_type(&spec_name),
        spec_name,
        description: format!(
            "What `{method_name}` returns (written inline in the Canvas description: `{}`).",
            text.trim()
        ),
        deprecated: None,
        fields,
        files: vec![file.to_owned()],
        features: Vec::new(),
        shape: crate::ir::ModelShape::Object,
    });
    Some(Ty::Model(crate::ir::ModelId(ir.models.len() - 1)))
}
