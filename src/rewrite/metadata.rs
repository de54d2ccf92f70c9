//! Metadata (mapping §4.3): `auth0.users.updateAppMetadata(user.user_id, object)` becomes one
//! `api.user.setAppMetadata(key, value)` per top-level key (statically when the object is a
//! literal, else at run time over its keys), the same for user metadata. The expression still
//! yields a resolved promise, so `.then` / `.catch` chains and `await` keep their flow; a
//! node-style callback is called with no error.

use super::chains::split_chain;
use super::print::{preferred_quote, string_literal};
use super::Ctx;
use crate::analysis::scope::{Global, Param};
use crate::diagnostics::Code;
use crate::edits::Piece;
use swc_common::Spanned;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

pub fn run(ctx: &mut Ctx<'_>) {
    let mut finder = Updates { ctx, found: Vec::new() };
    ctx.parsed.visit(&mut finder);
    for (call, root, setter) in finder.found {
        convert(ctx, &call, &root, setter);
    }
}

struct Updates<'c, 'a> {
    ctx: &'c Ctx<'a>,
    found: Vec<(CallExpr, Ident, &'static str)>,
}

impl Visit for Updates<'_, '_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee {
            if let Expr::Member(member) = &**callee {
                if let Some((root, segments)) = split_chain(member) {
                    let names: Vec<Option<&str>> = segments.iter().map(|s| s.name.as_deref()).collect();
                    let setter = match names.as_slice() {
                        [Some("users"), Some("updateAppMetadata")] => Some("setAppMetadata"),
                        [Some("users"), Some("updateUserMetadata")] => Some("setUserMetadata"),
                        _ => None,
                    };
                    if let (Some(setter), Some(Global::Auth0)) = (setter, self.ctx.bindings.global(root)) {
                        self.found.push((call.clone(), root.clone(), setter));
                    }
                }
            }
        }
        call.visit_children_with(self);
    }
}

/// Whether `expr` is `user.user_id` of the rule's own user.
fn is_own_user_id(ctx: &Ctx<'_>, expr: &Expr) -> bool {
    matches!(expr, Expr::Member(MemberExpr { obj, prop: MemberProp::Ident(p), .. })
        if p.sym == *"user_id" && ctx.bindings.is_param(obj, Param::User))
}

fn convert(ctx: &mut Ctx<'_>, call: &CallExpr, root: &Ident, setter: &'static str) {
    let inside_rule = ctx.bindings.resolve(root).and_then(|r| r.depth).is_some();
    let args = &call.args;
    let shape_ok = (2..=3).contains(&args.len()) && args.iter().all(|a| a.spread.is_none());
    if !inside_rule || !shape_ok || !is_own_user_id(ctx, &args[0].expr) {
        ctx.mark_handled(root);
        let reason = if !inside_rule {
            "the metadata update is outside the rule function, where api is out of reach"
        } else {
            "this update targets another user (or has an unusual shape): it needs the Management API"
        };
        ctx.flag(Code::ManagementApi, call, reason);
        return;
    }
    ctx.mark_handled(root);
    let mut pieces = vec![Piece::Text("(".into())];
    pieces.extend(set_calls(ctx, &args[1].expr, setter));
    match args.get(2) {
        None => pieces.push(Piece::Text(", Promise.resolve())".into())),
        Some(callback) => {
            pieces.push(Piece::Text(", Promise.resolve().then(() => (".into()));
            pieces.push(Piece::Source(ctx.range(callback.span())));
            pieces.push(Piece::Text(")(null)))".into()));
        }
    }
    ctx.edits.replace_with(ctx.range(call.span), pieces);
    ctx.report(
        Code::MetadataUpdate,
        call,
        format!("metadata update converted to api.user.{setter}"),
    );
}

/// One setter call per key of a literal object; a run-time loop over the keys otherwise.
fn set_calls(ctx: &Ctx<'_>, object: &Expr, setter: &str) -> Vec<Piece> {
    if let Some(entries) = literal_entries(ctx, object) {
        if !entries.is_empty() {
            let mut pieces = Vec::new();
            for (index, (key, value)) in entries.into_iter().enumerate() {
                let separator = if index == 0 { "" } else { ", " };
                pieces.push(Piece::Text(format!("{separator}api.user.{setter}({key}, ")));
                pieces.push(value);
                pieces.push(Piece::Text(")".into()));
            }
            return pieces;
        }
    }
    vec![
        Piece::Text("Object.entries(".into()),
        Piece::Source(ctx.range(object.span())),
        Piece::Text(format!(").forEach(([key, value]) => api.user.{setter}(key, value))")),
    ]
}

fn literal_entries(ctx: &Ctx<'_>, object: &Expr) -> Option<Vec<(String, Piece)>> {
    let Expr::Object(object) = object else { return None };
    let quote = preferred_quote(ctx.text);
    object
        .props
        .iter()
        .map(|prop| {
            let PropOrSpread::Prop(prop) = prop else { return None };
            match &**prop {
                Prop::KeyValue(kv) => {
                    let key = match &kv.key {
                        PropName::Ident(name) => string_literal(&name.sym, quote),
                        PropName::Str(_) => ctx.text_of(&kv.key).to_string(),
                        _ => return None,
                    };
                    Some((key, Piece::Source(ctx.range(kv.value.span()))))
                }
                Prop::Shorthand(ident) => {
                    Some((string_literal(&ident.sym, quote), Piece::Source(ctx.range(ident.span))))
                }
                _ => None,
            }
        })
        .collect()
}
