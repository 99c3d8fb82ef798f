//! Canvas actions: the routes of one documented action, grouped into Rust methods.
//!
//! Canvas documents an action once ("List blackout dates") and serves it on several routes,
//! often one per context (`/v1/courses/{course_id}/blackout_dates`,
//! `/v1/accounts/{account_id}/blackout_dates`). Its Swagger generator names each route
//! after the summary and, when an action has several routes, appends the path words that
//! tell them apart (`list_blackout_dates_courses`, `list_blackout_dates_accounts`). Those
//! words are the generator's, not Canvas's; they are dropped here, and the routes of one
//! action are planned as methods by rule:
//!
//! 1. **Action.** Routes whose nicknames are the summary's nickname (Canvas's own rule:
//!    lower case, `a`/`an`/`the` dropped, other characters to `_`) plus a suffix are one
//!    action, named by the summary's nickname. Any other nickname is an action of its own.
//! 2. **Context.** A route's context is its first `kind/{id}` pair after the version
//!    (`courses/{course_id}`), or `global`, when more path follows. Routes of one action
//!    that send the same method to the same rest of the path, with the same parameters
//!    (beside the context id) and the same response, are **one method that takes the
//!    context as a typed argument**, limited to the contexts the action has. A route that
//!    is exactly that rest without a context (`/v1/files/{id}` beside
//!    `/v1/courses/{course_id}/files/{id}`) stays a method of its own, and the typed one
//!    takes the suffix `_in` (`get_file(id)`, `get_file_in(Course(7), id)`).
//! 3. **Other differences.** When the methods of an action differ in more than the
//!    context, each is named by the segments of its own path that not all of them share:
//!    a placeholder gives `for_<thing>` (`{assignment_group_id}` → `for_assignment_group`,
//!    `users/{id}` → `for_user`); placeholders that are not ids give `by_<a>_and_<b>`.
//!    The method whose path has nothing of its own keeps the bare action name. A literal
//!    segment has no English of its own (`sent`, `search_users`): such a method gets
//!    `via_<segment>` and is reported, so that a maintainer names it in `names` of `spec/overrides.json`.
//!
//! A method's name depends on its own action only: adding a route in another context to
//! an action extends the context's type and renames nothing; other actions never matter.
//! A route of a new shape added to an action can rename that action's methods (Canvas
//! changed the action), which the API drift report shows.

use std::collections::BTreeSet;

use crate::ir::Method;

/// One route of an action, as lowering sees it.
#[derive(Debug, Clone)]
pub struct Route<'a> {
    pub method: Method,
    /// Path under `/api` (`/v1/courses/{course_id}/blackout_dates`).
    pub path: &'a str,
    /// Each parameter's name, whether it is a path parameter, and the rest of what makes it
    /// the same parameter (place, type, values, required).
    pub params: Vec<(String, bool, String)>,
    /// What the route returns.
    pub response: String,
}

impl Route<'_> {
    /// Everything the route takes and returns, without the path parameter `skip` (its
    /// context's id): routes of one method have the same shape.
    fn shape(&self, skip: Option<&str>) -> String {
        let mut params: Vec<String> = self
            .params
            .iter()
            .filter(|(name, path, _)| !(*path && Some(name.as_str()) == skip))
            .map(|(name, _, rest)| format!("{name}={rest}"))
            .collect();
        params.sort();
        format!("{}->{}", params.join(";"), self.response)
    }
}

/// The context part of a route: `courses/{course_id}` or `global`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ContextSegment {
    /// The literal segment (`courses`).
    pub kind: String,
    /// The placeholder that holds its id (`course_id`), when the kind has one.
    pub id: Option<String>,
}

/// One Rust method of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Method name, snake case before keyword handling (`list_blackout_dates`).
    pub name: String,
    /// The routes it sends to (indices into the action's routes, in input order).
    pub members: Vec<usize>,
    /// For a method that takes the context as an argument: each member's context, in the
    /// order of `members`.
    pub contexts: Option<Vec<ContextSegment>>,
    /// The path template: the member's own path, or with the context replaced by
    /// `{context}` (`/v1/{context}/blackout_dates`).
    pub template: String,
    /// True when the name came from a literal segment (`via_..`), to be named by hand.
    pub named_by_route: bool,
}

/// Canvas's Swagger nickname of a summary: `Get the sub-accounts of an account` →
/// `get_sub_accounts_of_account`.
pub fn summary_nickname(summary: &str) -> String {
    let lower = summary.trim().to_ascii_lowercase();
    let words: Vec<&str> = lower.split(' ').filter(|w| !matches!(*w, "a" | "an" | "the")).collect();
    let joined = words.join(" ");
    let mut out = String::new();
    for c in joined.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// The action of each operation of a file: `(nickname, summary)` in input order → action
/// names. A nickname that extends its summary's nickname belongs to the summary's action
/// when at least two operations of the file share that summary nickname (Canvas appends
/// route words only then); any other nickname is its own action.
pub fn actions(ops: &[(&str, &str)]) -> Vec<String> {
    let named = actions_as_nicknamed(ops);
    // `Get a learning object's date information` gives Canvas's `learning_object_s_date`;
    // the possessive's lone `s` is punctuation, not a word.
    named
        .into_iter()
        .zip(ops)
        .map(|(action, (_, summary))| {
            if summary.contains("'s ") {
                action.split('_').filter(|w| *w != "s").collect::<Vec<_>>().join("_")
            } else {
                action
            }
        })
        .collect()
}

fn actions_as_nicknamed(ops: &[(&str, &str)]) -> Vec<String> {
    let bases: Vec<String> = ops.iter().map(|(_, s)| summary_nickname(s)).collect();
    ops.iter()
        .zip(&bases)
        .map(|((nick, _), base)| {
            let shared = bases.iter().filter(|b| *b == base).count() >= 2;
            let extends =
                *nick == base.as_str() || nick.strip_prefix(base.as_str()).is_some_and(|rest| rest.starts_with('_'));
            if !base.is_empty() && extends && (shared || *nick == base.as_str()) {
                base.clone()
            } else {
                (*nick).to_owned()
            }
        })
        .collect()
}

fn is_placeholder(s: &str) -> bool {
    s.starts_with('{') && s.ends_with('}')
}

fn placeholder_name(s: &str) -> &str {
    s.trim_start_matches('{').trim_end_matches('}').trim_start_matches('*')
}

/// `courses` → `course`, `quizzes` → `quiz`, `categories` → `category`, `status` stays.
pub fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    if let Some(stem) = word.strip_suffix("zzes") {
        return format!("{stem}z");
    }
    for end in ["sses", "uses", "xes", "ches", "shes"] {
        if word.ends_with(end) {
            return word[..word.len() - 2].to_owned();
        }
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word.to_owned();
    }
    word.strip_suffix('s').unwrap_or(word).to_owned()
}

/// A route split into its version, its context (when it has one) and the rest.
struct Split<'a> {
    version: &'a str,
    body: Vec<&'a str>,
    context: Option<(ContextSegment, Vec<&'a str>)>,
}

fn split(path: &str) -> Split<'_> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (version, body) = match segs.split_first() {
        Some((v, rest)) => (*v, rest.to_vec()),
        None => ("", Vec::new()),
    };
    let context = if body.len() >= 3 && !is_placeholder(body[0]) && is_placeholder(body[1]) && !body[1].contains('*') {
        let id = placeholder_name(body[1]).to_owned();
        Some((ContextSegment { kind: body[0].to_owned(), id: Some(id) }, body[2..].to_vec()))
    } else if body.len() >= 2 && body[0] == "global" {
        Some((ContextSegment { kind: "global".into(), id: None }, body[1..].to_vec()))
    } else {
        None
    };
    Split { version, body, context }
}

/// What routes must share to be one method.
type Key = (Method, String, String, String);

fn key(method: Method, version: &str, rest: &[&str], shape: &str) -> Key {
    (method, version.to_owned(), rest.join("/"), shape.to_owned())
}

/// A method before it is named, with the path segments that name it.
struct Draft<'a> {
    members: Vec<usize>,
    contexts: Option<Vec<ContextSegment>>,
    segments: Vec<&'a str>,
    template: String,
    suffix_in: bool,
}

/// Plans the methods of one action (see the module docs). `routes` are in input order.
pub fn plan(action: &str, routes: &[Route]) -> Vec<Plan> {
    let splits: Vec<Split> = routes.iter().map(|r| split(r.path)).collect();
    // Routes grouped by what they share once the context is set aside.
    let mut groups: Vec<(Key, Vec<usize>)> = Vec::new();
    for (i, (r, s)) in routes.iter().zip(&splits).enumerate() {
        if let Some((ctx, rest)) = &s.context {
            let k = key(r.method, s.version, rest, &r.shape(ctx.id.as_deref()));
            match groups.iter_mut().find(|(g, _)| *g == k) {
                Some((_, members)) => members.push(i),
                None => groups.push((k, vec![i])),
            }
        }
    }
    let whole_key = |i: usize| key(routes[i].method, splits[i].version, &splits[i].body, &routes[i].shape(None));
    let mut taken = vec![false; routes.len()];
    // (members with a context, the member without one, rest segments)
    let mut typed: Vec<(Vec<usize>, Option<usize>, Vec<&str>)> = Vec::new();
    for (k, members) in &groups {
        // The route that is exactly this rest, without a context.
        let bare = (0..routes.len()).find(|&i| !taken[i] && !members.contains(&i) && whole_key(i) == *k);
        let kinds: BTreeSet<&str> =
            members.iter().filter_map(|&i| splits[i].context.as_ref().map(|(c, _)| c.kind.as_str())).collect();
        if kinds.len() < members.len() || (members.len() < 2 && bare.is_none()) {
            continue;
        }
        if members.iter().any(|&i| taken[i]) {
            continue;
        }
        for &i in members {
            taken[i] = true;
        }
        if let Some(b) = bare {
            taken[b] = true;
        }
        let rest = splits[members[0]].context.as_ref().map(|(_, r)| r.clone()).unwrap_or_default();
        typed.push((members.clone(), bare, rest));
    }
    let mut drafts: Vec<Draft> = Vec::new();
    for (i, r) in routes.iter().enumerate() {
        // Keep input order: a plan sits where its first route is.
        if let Some((members, bare, rest)) = typed.iter().find(|(m, b, _)| m[0] == i || *b == Some(i)) {
            let first = (*bare).map_or(members[0], |b| b.min(members[0]));
            if first != i {
                continue;
            }
            if let Some(b) = bare {
                drafts.push(Draft {
                    members: vec![*b],
                    contexts: None,
                    segments: rest.clone(),
                    template: routes[*b].path.to_owned(),
                    suffix_in: false,
                });
            }
            let contexts = members.iter().map(|&m| splits[m].context.as_ref().expect("grouped by context").0.clone());
            let template = format!("/{}/{{context}}/{}", splits[members[0]].version, rest.join("/"));
            drafts.push(Draft {
                members: members.clone(),
                contexts: Some(contexts.collect()),
                segments: rest.clone(),
                template,
                suffix_in: bare.is_some(),
            });
            continue;
        }
        if taken[i] {
            continue;
        }
        drafts.push(Draft {
            members: vec![i],
            contexts: None,
            segments: splits[i].body.clone(),
            template: r.path.to_owned(),
            suffix_in: false,
        });
    }
    // Segments every method's path has say nothing about one of them.
    let distinct: BTreeSet<&Vec<&str>> = drafts.iter().map(|d| &d.segments).collect();
    let common: BTreeSet<&str> = if distinct.len() < 2 {
        drafts.iter().flat_map(|d| d.segments.iter().copied()).collect()
    } else {
        let mut sets = drafts.iter().map(|d| d.segments.iter().copied().collect::<BTreeSet<&str>>());
        let first = sets.next().unwrap_or_default();
        sets.fold(first, |acc, s| acc.intersection(&s).copied().collect())
    };
    let action_words: BTreeSet<&str> = action.split('_').collect();
    let mut plans: Vec<Plan> = drafts.iter().map(|d| named(action, d, &common, &action_words)).collect();
    // A qualifier that only repeats the action's object (`show_revision` + `for_revision`) is
    // dropped, unless the action has another method of that name.
    for i in 0..plans.len() {
        if plans.iter().filter(|p| p.name == plans[i].name).count() > 1 {
            plans[i] = named(action, &drafts[i], &common, &BTreeSet::new());
        }
    }
    plans
}

fn named(action: &str, d: &Draft, common: &BTreeSet<&str>, repeated: &BTreeSet<&str>) -> Plan {
    {
        {
            let (qualifier, by_route) = describe(&d.segments, common, repeated);
            let mut name = action.to_owned();
            if !qualifier.is_empty() {
                name.push('_');
                name.push_str(&qualifier);
            }
            if d.suffix_in {
                name.push_str("_in");
            }
            Plan {
                name,
                members: d.members.clone(),
                contexts: d.contexts.clone(),
                template: d.template.clone(),
                named_by_route: by_route,
            }
        }
    }
}

/// English for the segments of a path that are not in `common`: `for_assignment_group`,
/// `by_type_and_address`, `via_search_users`. The flag says a literal had to be used.
/// A `for_<thing>` whose words are all in `repeated` (the action's own words) is left out.
fn describe(segments: &[&str], common: &BTreeSet<&str>, repeated: &BTreeSet<&str>) -> (String, bool) {
    let mut parts: Vec<String> = Vec::new();
    let mut by_route = false;
    let mut i = 0;
    while i < segments.len() {
        let s = segments[i];
        if common.contains(s) {
            i += 1;
            continue;
        }
        // The object's own id at the end of the path says nothing: it is the action's object.
        if s == "{id}" && i + 1 == segments.len() {
            i += 1;
            continue;
        }
        if is_placeholder(s) {
            // A run of placeholders is one phrase.
            let mut names = Vec::new();
            let mut all_ids = true;
            let mut j = i;
            while j < segments.len() && is_placeholder(segments[j]) && !common.contains(segments[j]) {
                let p = placeholder_name(segments[j]);
                // `{id}` and `{url_or_id}` are named by the literal before them (`pages` → `page`).
                let own_id = p == "id" || p.ends_with("_or_id");
                let thing = match p.strip_suffix("_id") {
                    _ if own_id => match j.checked_sub(1).map(|k| segments[k]) {
                        Some(lit) if !is_placeholder(lit) => singular(lit),
                        _ => "id".to_owned(),
                    },
                    Some(stem) => stem.to_owned(),
                    None => {
                        all_ids = false;
                        p.to_owned()
                    }
                };
                names.push(thing);
                j += 1;
            }
            let words: Vec<&str> = names.iter().flat_map(|n| n.split('_')).collect();
            if !(all_ids && words.iter().all(|w| repeated.contains(w))) {
                parts.push(format!("{}_{}", if all_ids { "for" } else { "by" }, names.join("_and_")));
            }
            i = j;
            continue;
        }
        // A literal that names the placeholder after it is said by that placeholder.
        if segments.get(i + 1).is_some_and(|n| is_placeholder(n) && !common.contains(n)) {
            i += 1;
            continue;
        }
        by_route = true;
        parts.push(format!("via_{s}"));
        i += 1;
    }
    (parts.join("_"), by_route)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A route whose path parameters are its placeholders, beside one parameter of shape `shape`.
    fn route(method: Method, path: &str, shape: &str) -> Route<'static> {
        let path: &'static str = Box::leak(path.to_owned().into_boxed_str());
        let mut params: Vec<(String, bool, String)> = path
            .split('/')
            .filter(|s| is_placeholder(s))
            .map(|s| (placeholder_name(s).to_owned(), true, "path".to_owned()))
            .collect();
        params.push(("body".into(), false, shape.to_owned()));
        Route { method, path, params, response: String::new() }
    }

    fn names(plans: &[Plan]) -> Vec<&str> {
        plans.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn summary_nicknames_follow_canvas() {
        assert_eq!(summary_nickname("Get the sub-accounts of an account"), "get_sub_accounts_of_account");
        assert_eq!(summary_nickname("List blackout dates"), "list_blackout_dates");
        assert_eq!(
            summary_nickname("Get user-in-a-course-level participation data"),
            "get_user_in_a_course_level_participation_data"
        );
    }

    #[test]
    fn route_words_are_dropped_only_where_canvas_added_them() {
        let ops = [
            ("list_blackout_dates_courses", "List blackout dates"),
            ("list_blackout_dates_accounts", "List blackout dates"),
            ("get_user_profile", "Get user"),
            ("list_todo_items", "List the TODO items"),
        ];
        assert_eq!(
            actions(&ops),
            vec!["list_blackout_dates", "list_blackout_dates", "get_user_profile", "list_todo_items"]
        );
        let possessive = [("get_learning_object_s_date_information", "Get a learning object's date information")];
        assert_eq!(actions(&possessive), vec!["get_learning_object_date_information"]);
    }

    #[test]
    fn contexts_of_one_shape_are_one_typed_method() {
        let plans = plan(
            "list_blackout_dates",
            &[
                route(Method::Get, "/v1/courses/{course_id}/blackout_dates", "s"),
                route(Method::Get, "/v1/accounts/{account_id}/blackout_dates", "s"),
            ],
        );
        assert_eq!(names(&plans), vec!["list_blackout_dates"]);
        assert_eq!(plans[0].template, "/v1/{context}/blackout_dates");
        let kinds: Vec<_> = plans[0].contexts.as_ref().unwrap().iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, vec!["courses", "accounts"]);
    }

    #[test]
    fn a_route_without_context_keeps_the_name() {
        let plans = plan(
            "get_file",
            &[
                route(Method::Get, "/v1/files/{id}", "s"),
                route(Method::Get, "/v1/courses/{course_id}/files/{id}", "s"),
                route(Method::Get, "/v1/groups/{group_id}/files/{id}", "s"),
            ],
        );
        assert_eq!(names(&plans), vec!["get_file", "get_file_in"]);
        assert_eq!(plans[1].members, vec![1, 2]);
        // One context beside the bare route is still typed: a second context later renames nothing.
        let one = plan(
            "get_single_course",
            &[
                route(Method::Get, "/v1/courses/{id}", "s"),
                route(Method::Get, "/v1/accounts/{account_id}/courses/{id}", "s"),
            ],
        );
        assert_eq!(names(&one), vec!["get_single_course", "get_single_course_in"]);
    }

    #[test]
    fn other_differences_read_as_english() {
        let plans = plan(
            "list_assignments",
            &[
                route(Method::Get, "/v1/courses/{course_id}/assignments", "s"),
                route(Method::Get, "/v1/courses/{course_id}/assignment_groups/{assignment_group_id}/assignments", "s"),
            ],
        );
        assert_eq!(names(&plans), vec!["list_assignments", "list_assignments_for_assignment_group"]);
        let plans = plan(
            "delete_communication_channel",
            &[
                route(Method::Delete, "/v1/users/{user_id}/communication_channels/{id}", "a"),
                route(Method::Delete, "/v1/users/{user_id}/communication_channels/{type}/{address}", "b"),
            ],
        );
        assert_eq!(
            names(&plans),
            vec!["delete_communication_channel", "delete_communication_channel_by_type_and_address"]
        );
        let plans = plan(
            "list_enrollments",
            &[
                route(Method::Get, "/v1/courses/{course_id}/enrollments", "s"),
                route(Method::Get, "/v1/sections/{section_id}/enrollments", "s"),
                route(Method::Get, "/v1/users/{user_id}/enrollments", "u"),
            ],
        );
        assert_eq!(names(&plans), vec!["list_enrollments", "list_enrollments_for_user"]);
        let plans = plan(
            "list_content_shares",
            &[
                route(Method::Get, "/v1/users/{user_id}/content_shares/sent", "s"),
                route(Method::Get, "/v1/users/{user_id}/content_shares/received", "s"),
            ],
        );
        assert_eq!(names(&plans), vec!["list_content_shares_via_sent", "list_content_shares_via_received"]);
        assert!(plans.iter().all(|p| p.named_by_route));
        let plans = plan(
            "log_users_out_of_all_mobile_apps",
            &[
                route(Method::Delete, "/v1/users/mobile_sessions", "s"),
                route(Method::Delete, "/v1/users/{id}/mobile_sessions", "s"),
            ],
        );
        assert_eq!(
            names(&plans),
            vec!["log_users_out_of_all_mobile_apps", "log_users_out_of_all_mobile_apps_for_user"]
        );
    }

    #[test]
    fn a_qualifier_that_repeats_the_action_is_left_out() {
        let plans = plan(
            "show_revision",
            &[
                route(Method::Get, "/v1/courses/{course_id}/pages/{url_or_id}/revisions/latest", "s"),
                route(Method::Get, "/v1/groups/{group_id}/pages/{url_or_id}/revisions/latest", "s"),
                route(Method::Get, "/v1/courses/{course_id}/pages/{url_or_id}/revisions/{revision_id}", "s"),
                route(Method::Get, "/v1/groups/{group_id}/pages/{url_or_id}/revisions/{revision_id}", "s"),
            ],
        );
        assert_eq!(names(&plans), vec!["show_revision_via_latest", "show_revision"]);
        let plans = plan(
            "get_date_details",
            &[
                route(Method::Get, "/v1/courses/{course_id}/pages/{url_or_id}/date_details", "s"),
                route(Method::Get, "/v1/courses/{course_id}/quizzes/{quiz_id}/date_details", "s"),
            ],
        );
        assert_eq!(names(&plans), vec!["get_date_details_for_page", "get_date_details_for_quiz"]);
    }

    #[test]
    fn adding_a_context_renames_nothing() {
        let two = [
            route(Method::Get, "/v1/courses/{course_id}/folders/{id}", "s"),
            route(Method::Get, "/v1/folders/{id}", "s"),
        ];
        let three = [two[0].clone(), two[1].clone(), route(Method::Get, "/v1/groups/{group_id}/folders/{id}", "s")];
        assert_eq!(names(&plan("get_folder", &two)), names(&plan("get_folder", &three)));
    }

    #[test]
    fn singulars() {
        assert_eq!(singular("courses"), "course");
        assert_eq!(singular("quizzes"), "quiz");
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("statuses"), "status");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("media_objects"), "media_object");
    }
}
