//! Parameters of one operation: Rails bracket names become nested request types.
//!
//! `course[name]` and `course[term_id]` become a struct `course` with two fields; `include`
//! typed `array` becomes `Vec<_>` sent as `include[]`; placeholder segments (`[<X>]`, `[X]`,
//! `[<student_id>]`, `[*]`) become maps keyed by a caller-supplied value. Rules for the
//! shapes the names leave ambiguous are stated where they are applied, and reported.

use indexmap::IndexMap;

use crate::ir::{Ir, Location, NameParts, Owner, Param, ParamField, ParamStruct, StructId, Ty};
use crate::lower::families::singular;
use crate::lower::models::{intern_param_enum, string_values};
use crate::lower::types::{as_id, is_id_name, map_word, Mapped, Place, Resolver, TypeText};
use crate::naming;
use crate::report::{Report, Rule};
use crate::spec::ParameterDef;

/// Where the parameters being lowered belong.
pub struct Ctx<'a> {
    pub file: &'a str,
    pub resource: usize,
    pub nickname: &'a str,
    /// Builder type name, used to prefix the names of request structs and enums.
    pub builder: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Placeholder(String),
    /// `[]`: explicitly multi-valued.
    Array,
}

#[derive(Default)]
struct Node<'a> {
    leaf: Option<&'a ParameterDef>,
    children: IndexMap<String, Node<'a>>,
    placeholder: Option<(String, Box<Node<'a>>)>,
    multi: bool,
}

/// Splits `a[b][<X>][]` into its top key and segments.
fn split(name: &str) -> (String, Vec<Seg>) {
    let (top, mut rest) = match name.find('[') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    let mut segs = Vec::new();
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else { break };
        let s = &stripped[..end];
        segs.push(if s.is_empty() {
            Seg::Array
        } else if (s.starts_with('<') && s.ends_with('>')) || s == "X" || s == "*" {
            Seg::Placeholder(s.to_owned())
        } else {
            Seg::Key(s.to_owned())
        });
        rest = &stripped[end + 1..];
    }
    (top.to_owned(), segs)
}

/// Normalizes names that are not plain Rails keys, reporting each change.
fn normalize(raw: &str, ctx: &Ctx, report: &mut Report) -> String {
    let trimmed = raw.trim().trim_matches('`').trim_end_matches(':');
    if trimmed != raw {
        report.anomaly(
            ctx.file,
            Rule::OddParameterName,
            format!("{}: {raw:?}", ctx.nickname),
            format!("sent as {trimmed:?}"),
        );
    }
    trimmed.to_owned()
}

/// Rust name of a top-level key. Names that are URLs (LTI claims such as
/// `https://canvas.instructure.com/lti/submission`) take `lti_` and their last path segment.
fn top_rust_name(top: &str) -> String {
    if top.contains("://") {
        naming::snake(&format!("lti_{}", top.rsplit('/').next().unwrap_or(top)))
    } else {
        naming::snake(top)
    }
}

/// Lowers every parameter of an operation. Returns the parameters (path ones first, in
/// path order) and, for each spec parameter, the wire key it is sent as.
pub fn lower(
    ctx: &Ctx,
    path: &str,
    defs: &[ParameterDef],
    table: &crate::lower::models::ModelTable,
    ir: &mut Ir,
    report: &mut Report,
) -> (Vec<Param>, Vec<(String, String)>) {
    let mut params = Vec::new();
    let mut origins = Vec::new();
    // Path parameters, in the order of their placeholders.
    let placeholders: Vec<&str> = path.split('{').skip(1).filter_map(|s| s.split('}').next()).collect();
    for ph in &placeholders {
        // `{*name}` is a Rails glob: the spec has no parameter for it.
        let (name, glob) = match ph.strip_prefix('*') {
            Some(name) => (name, true),
            None => (*ph, false),
        };
        let def = defs.iter().find(|d| d.param_type == "path" && d.name == name);
        if def.is_none() && !glob {
            report.anomaly(
                ctx.file,
                Rule::PlaceholderWithoutParameter,
                format!("{}: {{{ph}}}", ctx.nickname),
                "added a required string argument",
            );
        }
        let ty = match def.and_then(|d| d.ty.as_deref()) {
            _ if glob => Ty::String,
            _ if is_id_name(ph) => Ty::Id,
            Some("integer") => Ty::Id,
            _ => Ty::String,
        };
        let description = match def {
            Some(d) => d.description.clone(),
            None if glob => "A path of several segments separated by `/`; each segment is percent-encoded.".to_owned(),
            None => String::new(),
        };
        params.push(Param {
            wire: ph.to_string(),
            rust_name: naming::snake(name),
            ty,
            location: Location::Path,
            required: true,
            description,
            deprecated: def.is_some_and(|d| d.deprecated),
        });
        if let Some(d) = def {
            origins.push((d.name.clone(), format!("{{{ph}}}")));
        }
    }
    // Other parameters, as trees keyed by their top-level name.
    let mut tops: IndexMap<String, (Location, Node)> = IndexMap::new();
    for d in defs {
        let location = match d.param_type.as_str() {
            "path" => {
                if !placeholders.contains(&d.name.as_str()) {
                    report.anomaly(
                        ctx.file,
                        Rule::PathParameterNotInPath,
                        format!("{}: {}", ctx.nickname, d.name),
                        "sent as a query parameter",
                    );
                    Location::Query
                } else {
                    continue;
                }
            }
            "query" => Location::Query,
            "form" | "body" => Location::Form,
            other => {
                report.anomaly(
                    ctx.file,
                    Rule::UnknownParamType,
                    format!("{}: {} has paramType {other:?}", ctx.nickname, d.name),
                    "sent as a form parameter",
                );
                Location::Form
            }
        };
        let name = normalize(&d.name, ctx, report);
        let (top, segs) = split(&name);
        let (_, root) = tops.entry(top).or_insert_with(|| (location, Node::default()));
        let mut node = root;
        for seg in &segs {
            node = match seg {
                Seg::Key(k) => node.children.entry(k.clone()).or_default(),
                Seg::Placeholder(label) => {
                    if let Some((first, _)) = &node.placeholder {
                        if first != label {
                            report.anomaly(
                                ctx.file,
                                Rule::PlaceholderLabelsDiffer,
                                format!("{}: {} and [{first}]", ctx.nickname, d.name),
                                format!("one map keyed by {first}"),
                            );
                        }
                    }
                    &mut node.placeholder.get_or_insert_with(|| (label.clone(), Box::default())).1
                }
                Seg::Array => {
                    node.multi = true;
                    node
                }
            };
        }
        if node.leaf.is_some() {
            report.anomaly(
                ctx.file,
                Rule::DuplicateParameter,
                format!("{}: {}", ctx.nickname, d.name),
                "kept the first definition",
            );
            origins.push((d.name.clone(), "(duplicate of an earlier parameter)".into()));
            continue;
        }
        node.leaf = Some(d);
    }
    let mut lw = Lowerer { ctx, table, ir, report, origins: &mut origins };
    for (top, (location, node)) in &tops {
        let rust_name = top_rust_name(top);
        let (ty, required, description, deprecated) = lw.node(node, top, &[naming::pascal(naming::bare(&rust_name))]);
        params.push(Param { wire: top.clone(), rust_name, ty, location: *location, required, description, deprecated });
    }
    (params, origins)
}

struct Lowerer<'a, 'b> {
    ctx: &'a Ctx<'a>,
    table: &'a crate::lower::models::ModelTable,
    ir: &'b mut Ir,
    report: &'b mut Report,
    origins: &'b mut Vec<(String, String)>,
}

impl Lowerer<'_, '_> {
    /// The type of a node, whether any value under it is required, its description and
    /// deprecation. `wire` is the key prefix it is sent under; `names` the naming path.
    fn node(&mut self, node: &Node, wire: &str, names: &[String]) -> (Ty, bool, String, bool) {
        let leaf_desc = node.leaf.map(|d| d.description.clone()).unwrap_or_default();
        let leaf_dep = node.leaf.is_some_and(|d| d.deprecated);
        if node.children.is_empty() && node.placeholder.is_none() {
            let d = node.leaf.expect("a node without children holds a parameter");
            let mut ty = self.leaf_ty(d, wire, names);
            if node.multi && !matches!(ty, Ty::Vec(_)) {
                ty = Ty::Vec(Box::new(ty));
            }
            let sent = if matches!(ty, Ty::Vec(_)) { format!("{wire}[]") } else { wire.to_owned() };
            self.origins.push((d.name.clone(), sent));
            return (ty, d.required, leaf_desc, leaf_dep);
        }
        if let Some(d) = node.leaf {
            self.report.anomaly(
                self.ctx.file,
                Rule::ValueAndGroup,
                format!("{}: {} also has nested keys", self.ctx.nickname, d.name),
                "sent as the group; its description documents the group",
            );
            self.origins.push((d.name.clone(), format!("{wire}[..] (group)")));
        }
        if let (Some((label, _)), false) = (&node.placeholder, node.children.is_empty()) {
            self.report.anomaly(
                self.ctx.file,
                Rule::NamedAndPlaceholderKeys,
                format!("{}: {wire}[..] has named keys and {label}", self.ctx.nickname),
                "a struct of the named keys plus a map for the others, encoded at the same level",
            );
        } else if let Some((label, child)) = &node.placeholder {
            let (inner, req, desc, dep) = self.node(child, &format!("{wire}[{label}]"), &entry_names(names, label));
            let desc = if leaf_desc.is_empty() { desc } else { leaf_desc };
            return (Ty::Map(Box::new(inner)), req, desc, dep || leaf_dep);
        }
        // A group. When every member is an array (and there are at least two), Canvas means
        // an array of objects: `ratings[description]` + `ratings[points]` typed array are
        // `ratings[][description]`, `ratings[][points]`.
        let all_arrays = node.children.len() >= 2
            && node
                .children
                .values()
                .all(|c| c.children.is_empty() && c.placeholder.is_none() && c.leaf.is_some_and(is_array_def));
        let prefix = if all_arrays { format!("{wire}[]") } else { wire.to_owned() };
        if all_arrays {
            self.report.anomaly(
                self.ctx.file,
                Rule::GroupOfArrays,
                format!(
                    "{}: {wire}[{}]",
                    self.ctx.nickname,
                    node.children.keys().cloned().collect::<Vec<_>>().join("|")
                ),
                format!("Vec of structs sent as {wire}[][field]"),
            );
        }
        let mut fields = Vec::new();
        let mut any_required = false;
        for (key, child) in &node.children {
            let mut child_names = names.to_vec();
            child_names.push(naming::pascal(key));
            let child_wire = format!("{prefix}[{key}]");
            let (ty, required, description, deprecated) = if all_arrays {
                let d = child.leaf.expect("checked above");
                let ty = match self.leaf_ty(d, &child_wire, &child_names) {
                    Ty::Vec(inner) => *inner,
                    other => other,
                };
                self.origins.push((d.name.clone(), child_wire.clone()));
                (ty, d.required, d.description.clone(), d.deprecated)
            } else {
                self.node(child, &child_wire, &child_names)
            };
            any_required |= required;
            fields.push(ParamField {
                wire: key.clone(),
                rust_name: naming::snake(key),
                ty,
                required,
                description,
                deprecated,
                flatten: false,
            });
        }
        if let Some((label, child)) = &node.placeholder {
            // Keys chosen by the caller, beside the named ones: a map with no key of its own.
            let (inner, _, description, deprecated) =
                self.node(child, &format!("{prefix}[{label}]"), &entry_names(names, label));
            let bare = label.trim_matches(|c| c == '<' || c == '>');
            let rust_name =
                if bare == "*" || bare == "X" { "other".to_owned() } else { naming::snake(&format!("by_{bare}")) };
            fields.push(ParamField {
                wire: label.clone(),
                rust_name,
                ty: Ty::Map(Box::new(inner)),
                required: false,
                description: if description.is_empty() { format!("Entries keyed by `{label}`.") } else { description },
                deprecated,
                flatten: true,
            });
        }
        let id = StructId(self.ir.structs.len());
        // The element of a list is named in the singular (`assignment_overrides[]` holds
        // `AssignmentOverride`s).
        let last = names.last().map(String::as_str).unwrap_or_default();
        let own = if all_arrays {
            naming::pascal(&singular(&heck::ToSnakeCase::to_snake_case(last)))
        } else {
            last.to_owned()
        };
        let parts =
            NameParts { own: own.clone(), path: names.concat(), operation: self.ctx.builder.to_owned(), shared: false };
        self.ir.structs.push(ParamStruct {
            rust_name: own,
            names: parts,
            merged_into: None,
            owner: Owner::Resource(self.ctx.resource),
            wire_path: prefix,
            fields,
        });
        let ty = if all_arrays { Ty::Vec(Box::new(Ty::Struct(id))) } else { Ty::Struct(id) };
        (ty, any_required, leaf_desc, leaf_dep)
    }

    /// The type of one spec parameter.
    fn leaf_ty(&mut self, d: &ParameterDef, wire: &str, names: &[String]) -> Ty {
        let last = names.last().map(String::as_str).unwrap_or("");
        let leaf_name = heck::ToSnakeCase::to_snake_case(last);
        let at = format!("{}: {} ({wire})", self.ctx.nickname, d.name);
        let text = TypeText {
            word: d.ty.as_deref(),
            format: d.format.as_deref(),
            items: d.items.as_ref(),
            ..TypeText::default()
        };
        let mut ty = Resolver {
            table: self.table,
            ir: self.ir,
            report: self.report,
            file: self.ctx.file,
            at: &at,
            place: Place::Parameter,
        }
        .ty(text);
        if let Some(values) = d.enum_values.as_ref().filter(|v| !v.is_empty()) {
            match (string_values(values), &ty) {
                (Some(vals), Ty::String) => ty = Ty::Enum(self.enum_for(names, wire, vals)),
                (Some(vals), Ty::Vec(inner)) if **inner == Ty::String => {
                    ty = Ty::Vec(Box::new(Ty::Enum(self.enum_for(names, wire, vals))))
                }
                _ => self.report.anomaly(
                    self.ctx.file,
                    Rule::EnumOnNonStringParameter,
                    format!("{}: {}", self.ctx.nickname, d.name),
                    "kept the base type; values listed in the docs",
                ),
            }
        }
        if is_id_name(&leaf_name) {
            ty = as_id(ty);
        }
        ty
    }

    /// Enum for a parameter, named after the key it fills, in the singular (one value of
    /// `submission_types[]` is a `SubmissionType`); shared by the parameters of the resource
    /// with the same key and values.
    fn enum_for(&mut self, names: &[String], wire: &str, values: Vec<String>) -> crate::ir::EnumId {
        let owner = Owner::Resource(self.ctx.resource);
        let last = names.last().map(String::as_str).unwrap_or_default();
        let own = naming::pascal(&singular(&heck::ToSnakeCase::to_snake_case(last)));
        let parts = NameParts { own, path: names.concat(), operation: self.ctx.builder.to_owned(), shared: false };
        intern_param_enum(self.ir, owner, parts, format!("Values of the `{wire}` parameter."), values)
    }
}

/// The naming path of the values of a map keyed by `label`: one value of `grade_data` keyed
/// by `<student_id>` is a `StudentGradeData`; keyed by `*` or `X`, a `GradeDataEntry`; keyed
/// by `<index>` (a list sent by position), one element (`criteria` → `Criterion`).
fn entry_names(names: &[String], label: &str) -> Vec<String> {
    let stem = label.trim_matches(|c| c == '<' || c == '>');
    let stem = stem.strip_suffix("_id").unwrap_or(stem);
    let parent = names.last().cloned().unwrap_or_default();
    let own = if matches!(stem, "" | "*" | "X" | "id") {
        format!("{parent}Entry")
    } else if matches!(stem, "index" | "i" | "n" | "position") {
        // A list sent as a map by position: one value is one element.
        naming::pascal(&singular(&heck::ToSnakeCase::to_snake_case(parent.as_str())))
    } else {
        naming::prefixed(&naming::pascal(stem), &parent)
    };
    let mut out = names.to_vec();
    out.push(own);
    out
}

fn is_array_def(d: &ParameterDef) -> bool {
    matches!(d.ty.as_deref().map(|t| map_word(t, None)), Some(Mapped::Array))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_rails_names() {
        assert_eq!(split("a"), ("a".into(), vec![]));
        assert_eq!(
            split("grade_data[<student_id>][posted_grade]"),
            ("grade_data".into(), vec![Seg::Placeholder("<student_id>".into()), Seg::Key("posted_grade".into())])
        );
        assert_eq!(split("include[]"), ("include".into(), vec![Seg::Array]));
        assert_eq!(split("pre_attachment[*]").1, vec![Seg::Placeholder("*".into())]);
    }
}
