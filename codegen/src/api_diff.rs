//! What changed for Rust users between two generations of the crate: the public API of each
//! (read from the emitted sources with `syn`), compared item by item and classified by
//! semver, with the version bump it calls for. `diff` (Canvas-level changes) says what Canvas
//! changed; this says what a downstream crate will notice.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quote::ToTokens;

/// One public item: what kind it is and its signature as tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiItem {
    pub kind: &'static str,
    pub signature: String,
    /// For fields and variants: whether the type they belong to is `#[non_exhaustive]`
    /// (adding one is then not breaking).
    pub in_non_exhaustive: bool,
}

/// The public API of a crate: item path (`courses::ListYourCourses::include`) to item.
pub type Api = BTreeMap<String, ApiItem>;

/// Reads the public API from the crate's `src/*.rs` files (path to text).
pub fn public_api(files: &BTreeMap<String, String>) -> Result<Api, String> {
    let mut api = Api::new();
    for (path, text) in files {
        let Some(module) = path.strip_prefix("src/").and_then(|p| p.strip_suffix(".rs")) else { continue };
        let file = syn::parse_file(text).map_err(|e| format!("{path}: {e}"))?;
        let prefix = if module == "lib" { String::new() } else { format!("{module}::") };
        collect(&file.items, &prefix, &mut api);
        routes(text, &prefix, &mut api);
    }
    Ok(api)
}

/// The route index of a resource module (`| `GET /api/v1/..` | [`name`](Handle::name) |`):
/// each Canvas route with the method that sends it, so that a method Canvas renamed shows as
/// the same route sent by another name.
fn routes(text: &str, prefix: &str, api: &mut Api) {
    for line in text.lines() {
        let Some(row) = line.trim_start().strip_prefix("//! | `") else { continue };
        let Some((route, rest)) = row.split_once("` | [`") else { continue };
        let Some((_, target)) = rest.split_once("`](") else { continue };
        let Some((method, _)) = target.split_once(')') else { continue };
        let item = ApiItem { kind: "route", signature: format!("{prefix}{method}"), in_non_exhaustive: false };
        api.insert(format!("route {route}"), item);
    }
}

fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream().to_string()
}

fn is_pub(v: &syn::Visibility) -> bool {
    matches!(v, syn::Visibility::Public(_))
}

fn non_exhaustive(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("non_exhaustive"))
}

fn add(api: &mut Api, path: String, kind: &'static str, signature: String, in_non_exhaustive: bool) {
    api.insert(path, ApiItem { kind, signature, in_non_exhaustive });
}

fn collect(items: &[syn::Item], prefix: &str, api: &mut Api) {
    for item in items {
        match item {
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let name = format!("{prefix}{}", s.ident);
                add(api, name.clone(), "struct", tokens(&s.generics), false);
                let open = non_exhaustive(&s.attrs);
                for (i, f) in s.fields.iter().enumerate().filter(|(_, f)| is_pub(&f.vis)) {
                    let field = f.ident.as_ref().map(ToString::to_string).unwrap_or_else(|| i.to_string());
                    add(api, format!("{name}.{field}"), "field", tokens(&f.ty), open);
                }
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let name = format!("{prefix}{}", e.ident);
                add(api, name.clone(), "enum", tokens(&e.generics), false);
                let open = non_exhaustive(&e.attrs);
                for v in &e.variants {
                    add(api, format!("{name}::{}", v.ident), "variant", tokens(&v.fields), open);
                }
            }
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                add(api, format!("{prefix}{}", f.sig.ident), "fn", tokens(&f.sig), false);
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                add(api, format!("{prefix}{}", t.ident), "type", tokens(&t.ty), false)
            }
            syn::Item::Const(c) if is_pub(&c.vis) => {
                add(api, format!("{prefix}{}", c.ident), "const", tokens(&c.ty), false)
            }
            syn::Item::Use(u) if is_pub(&u.vis) => {
                add(api, format!("{prefix}use {}", tokens(&u.tree)), "use", String::new(), false)
            }
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                let name = format!("{prefix}{}", m.ident);
                add(api, name.clone(), "mod", String::new(), false);
                if let Some((_, inner)) = &m.content {
                    collect(inner, &format!("{name}::"), api);
                }
            }
            syn::Item::Impl(imp) => {
                let self_ty = match &*imp.self_ty {
                    syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
                    other => tokens(other),
                };
                let ty = format!("{prefix}{self_ty}");
                if let Some((_, tr, _)) = &imp.trait_ {
                    add(api, format!("impl {} for {ty}", tokens(tr)), "impl", String::new(), false);
                    continue;
                }
                for it in &imp.items {
                    if let syn::ImplItem::Fn(f) = it {
                        if is_pub(&f.vis) {
                            add(api, format!("{ty}::{}", f.sig.ident), "fn", tokens(&f.sig), false);
                        }
                    }
                }
            }
            // `rt::builder!(Name(Get "/path") for H::m => list T, "key")`: the builder struct, its
            // `Operation` impl and its ways to send, whose types are the kind and `T`.
            syn::Item::Macro(m) if m.mac.path.segments.last().is_some_and(|s| s.ident == "builder") => {
                if let Ok((name, kind, returns)) = m.mac.parse_body_with(parse_builder) {
                    let builder = format!("{prefix}{name}");
                    add(api, builder.clone(), "struct", "<'a>".to_owned(), false);
                    add(api, format!("impl Operation for {builder}"), "impl", String::new(), false);
                    let sends: &[&str] = if kind == "list" { &["send", "stream", "pages"] } else { &["send"] };
                    for f in sends {
                        add(api, format!("{builder}::{f}"), "fn", format!("{kind} {returns}"), false);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The body of `rt::builder!`: the name, `(Method "path")`, `for Handle::method [with options]`,
/// `=>`, the kind and the type it returns (none for `json`), then an optional `, "key"`. A
/// committed crate generated before may have doc attributes first and no `for`: both read.
fn parse_builder(input: syn::parse::ParseStream) -> syn::Result<(String, String, String)> {
    syn::Attribute::parse_outer(input)?;
    let name: syn::Ident = input.parse()?;
    let _route: proc_macro2::Group = input.parse()?;
    // `for Handle::method [with options]`: what the builder's docs name.
    if input.parse::<Option<syn::Token![for]>>()?.is_some() {
        input.parse::<syn::Path>()?;
        if input.peek(syn::Ident) {
            input.parse::<syn::Ident>()?;
            input.parse::<syn::Ident>()?;
        }
    }
    input.parse::<syn::Token![=>]>()?;
    let kind: syn::Ident = input.parse()?;
    let returns = if kind == "json" { String::new() } else { tokens(&input.parse::<syn::Type>()?) };
    if input.parse::<Option<syn::Token![,]>>()?.is_some() {
        input.parse::<syn::LitStr>()?;
    }
    Ok((name.to_string(), kind.to_string(), returns))
}

/// How a change affects users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Code that compiled may not compile.
    Breaking,
    /// Only additions.
    Addition,
}

/// One change of the public API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiChange {
    pub severity: Severity,
    pub path: String,
    pub what: String,
}

/// The changes from `old` to `new`, breaking ones first, each group by path.
pub fn diff(old: &Api, new: &Api) -> Vec<ApiChange> {
    let mut out = Vec::new();
    for (path, was) in old {
        match new.get(path) {
            None => out.push(ApiChange {
                severity: Severity::Breaking,
                path: path.clone(),
                what: format!("{} removed", was.kind),
            }),
            Some(now) if was.kind == "route" && now.signature != was.signature => out.push(ApiChange {
                severity: Severity::Breaking,
                path: path.clone(),
                what: format!("renamed: sent by `{}`, was `{}`", now.signature, was.signature),
            }),
            Some(now) if now.signature != was.signature || now.kind != was.kind => out.push(ApiChange {
                severity: Severity::Breaking,
                path: path.clone(),
                what: format!("{} changed: `{}` -> `{}`", was.kind, was.signature, now.signature),
            }),
            Some(_) => {}
        }
    }
    for (path, now) in new.iter().filter(|(p, _)| !old.contains_key(*p)) {
        // A field added to a struct whose fields are all public breaks struct literals; a
        // variant added to an exhaustive enum breaks `match`es. `#[non_exhaustive]` types allow both.
        let parent_existed = match now.kind {
            "field" => path.rsplit_once('.').is_some_and(|(p, _)| old.contains_key(p)),
            "variant" => path.rsplit_once("::").is_some_and(|(p, _)| old.contains_key(p)),
            _ => false,
        };
        let severity = if parent_existed && !now.in_non_exhaustive { Severity::Breaking } else { Severity::Addition };
        let what = if severity == Severity::Breaking {
            format!("{} added to an exhaustive type", now.kind)
        } else {
            format!("{} added", now.kind)
        };
        out.push(ApiChange { severity, path: path.clone(), what });
    }
    out.sort_by(|a, b| (a.severity, &a.path).cmp(&(b.severity, &b.path)));
    out
}

/// The version after `version` (`0.1.0`) that the changes call for: for `0.y.z`, breaking
/// changes bump `y` and additions `z` (cargo's rule); from `1.0.0` on, major and minor.
pub fn next_version(version: &str, changes: &[ApiChange]) -> String {
    let parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).chain([0, 0, 0]).take(3).collect();
    let (major, minor, patch) = (parts[0], parts[1], parts[2]);
    let breaking = changes.iter().any(|c| c.severity == Severity::Breaking);
    match (changes.is_empty(), breaking, major) {
        (true, _, _) => version.to_owned(),
        (_, true, 0) => format!("0.{}.0", minor + 1),
        (_, true, _) => format!("{}.0.0", major + 1),
        (_, false, 0) => format!("0.{minor}.{}", patch + 1),
        (_, false, _) => format!("{major}.{}.0", minor + 1),
    }
}

/// The changes as Markdown for release notes.
pub fn render(changes: &[ApiChange], version: &str) -> String {
    let mut out = String::from("# Rust API changes\n\n");
    if changes.is_empty() {
        out.push_str("No changes to the public API.\n");
        return out;
    }
    let breaking = changes.iter().filter(|c| c.severity == Severity::Breaking).count();
    let _ = writeln!(
        out,
        "{breaking} breaking, {} additions: version {version} -> **{}**.\n",
        changes.len() - breaking,
        next_version(version, changes)
    );
    for (severity, title) in [(Severity::Breaking, "Breaking"), (Severity::Addition, "Added")] {
        let group: Vec<&ApiChange> = changes.iter().filter(|c| c.severity == severity).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title} ({})\n", group.len());
        for c in group {
            let _ = writeln!(out, "- `{}`: {}", c.path, c.what);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(text: &str) -> Api {
        public_api(&BTreeMap::from([("src/courses.rs".to_owned(), text.to_owned())])).unwrap()
    }

    const OLD: &str = r#"
        //! | Canvas route | Method |
        //! |---|---|
        //! | `GET /api/v1/courses/{id}` | [`get_course_courses`](Courses::get_course_courses) |
        pub struct Courses<'a>(&'a Client);
        impl<'a> Courses<'a> { pub fn list(&self) -> List<'a> { todo!() } pub fn gone(&self) {} }
        pub struct Course { pub id: Option<Id>, pub name: Option<String> }
        #[non_exhaustive] pub enum Include { Term, Unknown(String) }
        pub enum Closed { A }
        rt::builder!(#[doc = " Lists."] List(Get "/v1/courses") => list models::Course);
        rt::builder!(Gone(Delete "/v1/gone") => json);
    "#;

    #[test]
    fn only_public_items_are_the_api() {
        let text = r#"
            pub struct Open { pub a: u8, b: u8 }
            struct Hidden { pub a: u8 }
            pub enum E { V }
            enum F { V }
            pub type T = u8;
            type U = u8;
            pub const C: u8 = 1;
            const D: u8 = 1;
            pub use a::b;
            use c::d;
            pub mod m { pub fn inner() {} fn private() {} }
            mod n { pub fn unseen() {} }
            pub fn f() {}
            fn g() {}
            impl Open { pub fn shown(&self) {} fn not_shown(&self) {} }
            other_macro!(Name(Get "/x") for H::m => json);
        "#;
        let api = api(text);
        let mut paths: Vec<&str> = api.keys().map(String::as_str).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "courses::C",
                "courses::E",
                "courses::E::V",
                "courses::Open",
                "courses::Open.a",
                "courses::Open::shown",
                "courses::T",
                "courses::f",
                "courses::m",
                "courses::m::inner",
                "courses::use a :: b",
            ]
        );
    }

    #[test]
    fn changes_are_classified_by_what_users_notice() {
        let new = r#"
            //! | Canvas route | Method |
            //! |---|---|
            //! | `GET /api/v1/courses/{id}` | [`get_course`](Courses::get_course) |
            pub struct Courses<'a>(&'a Client);
            impl<'a> Courses<'a> { pub fn list(&self, page: u32) -> List<'a> { todo!() } pub fn added(&self) {} }
            pub struct Course { pub id: Option<Id>, pub name: Option<Box<str>>, pub extra: Extra }
            #[non_exhaustive] pub enum Include { Term, Teachers, Unknown(String) }
            pub enum Closed { A, B }
            rt::builder!(List(Get "/v1/courses") for Courses::list with options => one models::Course, "courses");
            rt::builder!(Added(Post "/v1/added") for Courses::added => json);
        "#;
        let changes = diff(&api(OLD), &api(new));
        let lines: Vec<String> = changes.iter().map(|c| format!("{:?} {}: {}", c.severity, c.path, c.what)).collect();
        let has = |needle: &str| lines.iter().any(|l| l.starts_with(needle));
        assert!(has("Breaking courses::Courses::gone: fn removed"), "{lines:#?}");
        assert!(has("Breaking courses::Courses::list: fn changed"), "{lines:#?}");
        assert!(has("Breaking courses::Course.name: field changed"), "{lines:#?}");
        assert!(has("Breaking courses::Course.extra: field added to an exhaustive type"), "{lines:#?}");
        assert!(has("Breaking courses::Closed::B: variant added to an exhaustive type"), "{lines:#?}");
        assert!(has("Breaking impl Operation for courses::Gone: impl removed"), "{lines:#?}");
        assert!(has("Addition courses::Include::Teachers: variant added"), "{lines:#?}");
        assert!(has("Addition courses::Courses::added: fn added"), "{lines:#?}");
        assert!(has("Addition impl Operation for courses::Added: impl added"), "{lines:#?}");
        assert!(has("Breaking courses::Gone: struct removed"), "{lines:#?}");
        assert!(has("Breaking courses::Gone::send: fn removed"), "{lines:#?}");
        assert!(has("Breaking courses::List::send: fn changed"), "{lines:#?}");
        assert!(has("Breaking courses::List::stream: fn removed"), "{lines:#?}");
        assert!(has("Addition courses::Added::send: fn added"), "{lines:#?}");
        assert!(
            has("Breaking route GET /api/v1/courses/{id}: renamed: sent by `courses::Courses::get_course`, was `courses::Courses::get_course_courses`"),
            "{lines:#?}"
        );
        assert_eq!(lines.len(), 17, "{lines:#?}");
        assert_eq!(next_version("0.1.3", &changes), "0.2.0");
        assert_eq!(next_version("1.4.2", &changes), "2.0.0");
        let additions: Vec<ApiChange> = changes.into_iter().filter(|c| c.severity == Severity::Addition).collect();
        assert_eq!(next_version("0.1.3", &additions), "0.1.4");
        assert_eq!(next_version("1.4.2", &additions), "1.5.0");
        assert!(render(&additions, "0.1.3").contains("0 breaking, 5 additions: version 0.1.3 -> **0.1.4**"));
        assert_eq!(render(&[], "0.1.0"), "# Rust API changes\n\nNo changes to the public API.\n");
    }
}
