//! Contexts: where in Canvas an action happens, for actions Canvas offers in several places.
//!
//! "List blackout dates" exists for a course (`/v1/courses/{course_id}/blackout_dates`) and
//! for an account (`/v1/accounts/{account_id}/blackout_dates`). The generated crate makes
//! such an action one method that takes its context as a typed argument: a context type per
//! kind (`Course(7)`, `Account(1)`, `Global`), and a trait per set of kinds that limits the
//! argument to the contexts the action has. This module holds what they share: the
//! [`Context`] trait and the path it fills.

use std::borrow::Cow;

use crate::PathArg;

/// A place in Canvas that an action can happen in: the `kind/{id}` (or bare `kind`, such as
/// `global`) part of a route, right after the API version.
pub trait Context {
    /// The literal path segment of the kind (`courses`, `global`).
    fn kind(&self) -> &'static str;
    /// The id segment, when the kind has one.
    fn id(&self) -> Option<&dyn PathArg>;
}

impl<C: Context + ?Sized> Context for &C {
    fn kind(&self) -> &'static str {
        (**self).kind()
    }
    fn id(&self) -> Option<&dyn PathArg> {
        (**self).id()
    }
}

/// The placeholder of a template that a context fills.
pub(crate) const PLACEHOLDER: &str = "{context}";

/// `template` with its `{context}` placeholder replaced by the context's segments, and the
/// path arguments with the context's id in its place. A template without the placeholder is
/// returned as it is.
pub(crate) fn fill<'c>(
    template: &str,
    context: &'c dyn Context,
    args: &[&'c dyn PathArg],
) -> (String, Vec<&'c dyn PathArg>) {
    let Some(at) = template.find(PLACEHOLDER) else {
        return (template.to_owned(), args.to_vec());
    };
    let before = template[..at].matches('{').count();
    let kind = context.kind();
    let mut args = args.to_vec();
    let filled: Cow<'_, str> = match context.id() {
        Some(id) => {
            args.insert(before.min(args.len()), id);
            Cow::Owned(format!("{kind}/{{context_id}}"))
        }
        None => Cow::Borrowed(kind),
    };
    (format!("{}{}{}", &template[..at], filled, &template[at + PLACEHOLDER.len()..]), args)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Course(u64);
    impl Context for Course {
        fn kind(&self) -> &'static str {
            "courses"
        }
        fn id(&self) -> Option<&dyn PathArg> {
            Some(&self.0)
        }
    }
    struct Global;
    impl Context for Global {
        fn kind(&self) -> &'static str {
            "global"
        }
        fn id(&self) -> Option<&dyn PathArg> {
            None
        }
    }

    #[test]
    fn a_context_fills_its_placeholder_and_its_id_goes_first() {
        // A reference to a context is the context.
        let by_ref: &dyn Context = &&Course(3);
        assert_eq!(by_ref.kind(), "courses");
        assert_eq!(by_ref.id().map(|i| i.segment().into_owned()).as_deref(), Some("3"));
        let id = 9u64;
        let (template, args) = fill("/v1/{context}/outcome_groups/{id}", &Course(7), &[&id]);
        assert_eq!(template, "/v1/courses/{context_id}/outcome_groups/{id}");
        let segments: Vec<String> = args.iter().map(|a| a.segment().into_owned()).collect();
        assert_eq!(segments, vec!["7", "9"]);
        let (template, args) = fill("/v1/{context}/outcome_groups/{id}", &Global, &[&id]);
        assert_eq!(template, "/v1/global/outcome_groups/{id}");
        assert_eq!(args.len(), 1);
    }
}
