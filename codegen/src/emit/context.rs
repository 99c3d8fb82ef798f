//! The `context` module: one type per kind of context and one trait per set of kinds that
//! an action accepts (see `lower::families`).

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, inner_doc, lines_doc};
use crate::ir::Ir;

pub fn context_rs(ir: &Ir) -> TokenStream {
    let module_doc = inner_doc(&format!(
        "Where an action happens, for the Canvas actions offered in several places.\n\n\
         An action that Canvas serves in several contexts with the same parameters is one method\n\
         whose first argument is the context. Its type is a trait of this module limited to the\n\
         contexts the action has, so a context it does not have does not compile. Ids are\n\
         anything a path takes: numbers, [`Id`](crate::Id)s\n\
         (`Course(Id::sis_course_id(\"CS-101\"))`), `\"self\"` for a user.{}",
        example(ir)
    ));
    let kinds = ir.contexts.iter().map(|k| {
        let name = ident(&k.rust_name);
        let segment = &k.segment;
        let sets: Vec<&str> = ir
            .context_sets
            .iter()
            .filter(|s| s.kinds.iter().any(|i| ir.contexts[*i].segment == k.segment))
            .map(|s| s.rust_name.as_str())
            .collect();
        let impls = sets.iter().map(|s| {
            let set = ident(s);
            if k.has_id {
                quote!(impl<T: rt::PathArg> #set for #name<T> {})
            } else {
                quote!(impl #set for #name {})
            }
        });
        if k.has_id {
            let doc = lines_doc(&format!(
                "The context `/{segment}/{{id}}`: `{}(7)`, or any other [`PathArg`](rt::PathArg).",
                k.rust_name
            ));
            quote! {
                #doc
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
                pub struct #name<T = rt::Id>(pub T);
                impl<T: rt::PathArg> rt::Context for #name<T> {
                    fn kind(&self) -> &'static str { #segment }
                    fn id(&self) -> Option<&dyn rt::PathArg> { Some(&self.0) }
                }
                #( #impls )*
            }
        } else {
            let doc = lines_doc(&format!("The context `/{segment}`, which has no id."));
            quote! {
                #doc
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
                pub struct #name;
                impl rt::Context for #name {
                    fn kind(&self) -> &'static str { #segment }
                    fn id(&self) -> Option<&dyn rt::PathArg> { None }
                }
                #( #impls )*
            }
        }
    });
    let sets = ir.context_sets.iter().map(|s| {
        let name = ident(&s.rust_name);
        let members: Vec<String> = s.kinds.iter().map(|k| format!("[`{0}`]", ir.contexts[*k].rust_name)).collect();
        let doc = lines_doc(&format!("The contexts of actions offered in {}.", english_list(&members)));
        quote! {
            #doc
            pub trait #name: rt::Context {}
        }
    });
    let (kinds, sets): (Vec<TokenStream>, Vec<TokenStream>) = (kinds.collect(), sets.collect());
    // Without a context (a small input) the module is its docs alone, and imports nothing.
    let import = (!kinds.is_empty() || !sets.is_empty()).then(|| {
        quote!(
            use canvas_lms_runtime as rt;
        )
    });
    quote! {
        #module_doc
        #import
        #( #kinds )*
        #( #sets )*
    }
}

/// A method that takes a context, called with one it has and, as a `compile_fail` doctest,
/// with one it does not have.
fn example(ir: &Ir) -> String {
    let call = |kind: usize| {
        let k = &ir.contexts[kind];
        if k.has_id {
            format!("{}(7)", k.rust_name)
        } else {
            k.rust_name.clone()
        }
    };
    for r in &ir.resources {
        for op in r.operations.iter().filter(|o| o.params.iter().all(|p| !p.required)) {
            let Some(set) = op.context.map(|s| &ir.context_sets[s]) else { continue };
            let Some(missing) = (0..ir.contexts.len()).find(|k| !set.kinds.contains(k)) else { continue };
            let present = set.kinds[0];
            let snippet = |kind: usize, fence: &str| {
                format!(
                    "```{fence}\n# async fn run(client: canvas_lms::Client) {{\n\
                     use canvas_lms::context::{};\n\
                     let request = client.{}().{}({});\n# let _ = request;\n# }}\n```",
                    ir.contexts[kind].rust_name,
                    r.module,
                    op.fn_name.trim_start_matches("r#"),
                    call(kind)
                )
            };
            return format!(
                "\n\n\"{}\" takes {}:\n\n{}\n\nand not `{}`:\n\n{}",
                op.summary.lines().next().unwrap_or_default().trim(),
                english_list(&set.kinds.iter().map(|k| format!("`{}`", ir.contexts[*k].rust_name)).collect::<Vec<_>>()),
                snippet(present, "no_run"),
                ir.contexts[missing].rust_name,
                snippet(missing, "compile_fail")
            );
        }
    }
    String::new()
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn english_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
