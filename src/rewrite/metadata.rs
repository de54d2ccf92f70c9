//! Metadata (mapping §4.3): `auth0.users.updateAppMetadata(user.user_id, object)` becomes one
//! `api.user.setAppMetadata(key, value)` per top-level key (statically when the object is a
//! literal, else at run time over its keys), the same for user metadata.
//!
//! The setters cannot fail, so the continuations fold into the surrounding flow: an update
//! statement in tail position, `update(…).then(function () { … }).catch(…)`, becomes the setter
//! calls followed by the success continuation's body, and the failure continuation goes. Elsewhere
//! the expression still yields a resolved promise, so chains and `await` keep their flow, and a
//! node-style callback is called with no error.

use super::print::{preferred_quote, string_literal};
use super::Ctx;
use crate::analysis::accesses::split_chain;
use crate::analysis::flow::{does_something, nothing_inlined, tail_statements};
use crate::analysis::model::Model;
use crate::analysis::scope::{Binding, Global, Param};
use crate::analysis::syntax::method_call_expr;
use crate::diagnostics::Code;
use crate::edits::Piece;
use rustc_hash::FxHashSet;
use std::ops::Range;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// An update statement that becomes plain setter statements; planned before the callback
/// rewrite, which must see an inlined continuation's statements as the rule body's own.
pub struct Fold {
    /// The update statement.
    pub statement: BytePos,
    /// The success continuation whose body now runs inline.
    pub then_function: Option<BytePos>,
    /// Continuations that go: the failure one (the setters cannot fail), and a success one that
    /// only called back without an error.
    pub dropped: Vec<Range<usize>>,
    /// Whether the statement is the last of the rule body.
    pub is_last: bool,
}

/// What follows the update in its statement.
pub enum Continuation<'a> {
    /// `update(…);` or `await update(…);`: nothing waits for it.
    Nothing,
    /// `.then(function () { … })`: a body that can run inline.
    Inline { function: BytePos, body: &'a FunctionBody },
    /// `.then(() => callback(null, user, context))`: success, nothing more.
    Allow { continuation: &'a Expr },
}

/// A metadata update statement: the update, what follows it, and its failure continuation.
pub struct UpdateChain<'a> {
    pub update: &'a CallExpr,
    pub then: Continuation<'a>,
    pub catch: Option<&'a Expr>,
}

/// Matches a metadata update statement's expression.
pub fn update_chain<'a>(ctx: &Ctx<'_>, expr: &'a Expr) -> Option<UpdateChain<'a>> {
    match expr {
        Expr::Await(AwaitExpr { arg, .. }) => {
            let Expr::Call(update) = &**arg else { return None };
            setter_of(ctx, update)?;
            return Some(UpdateChain {
                update,
                then: Continuation::Nothing,
                catch: None,
            });
        }
        Expr::Call(update) if setter_of(ctx, update).is_some() => {
            return Some(UpdateChain {
                update,
                then: Continuation::Nothing,
                catch: None,
            });
        }
        _ => {}
    }
    let (then_call, catch) = match method_call_expr(expr) {
        Some((object, "catch", [handler])) => (object, Some(&*handler.expr)),
        _ => (expr, None),
    };
    let Some((update, "then", [continuation])) = method_call_expr(then_call) else {
        return None;
    };
    let Expr::Call(update) = update else { return None };
    setter_of(ctx, update)?;
    let then = match &*continuation.expr {
        Expr::Fn(FnExpr { function, .. }) if function.params.is_empty() => Continuation::Inline {
            function: function.span.lo,
            body: function.body.as_ref()?,
        },
        Expr::Arrow(arrow) if arrow.params.is_empty() => match &*arrow.body {
            ArrowFunctionBody::FunctionBody(body) => Continuation::Inline {
                function: arrow.span.lo,
                body,
            },
            ArrowFunctionBody::Expr(body) if calls_back_without_error(ctx, body) => Continuation::Allow {
                continuation: &continuation.expr,
            },
            ArrowFunctionBody::Expr(_) => return None,
        },
        _ => return None,
    };
    Some(UpdateChain { update, then, catch })
}

/// `callback()`, `callback(null, …)`.
fn calls_back_without_error(ctx: &Ctx<'_>, expr: &Expr) -> bool {
    let Expr::Call(CallExpr {
        callee: Callee::Expr(callee),
        args,
        ..
    }) = expr
    else {
        return false;
    };
    ctx.bindings.is_param(callee, Param::Callback)
        && args
            .first()
            .is_none_or(|first| matches!(&*first.expr, Expr::Lit(Lit::Null(_))))
}

/// The setter replacing `auth0.users.updateXMetadata(user.user_id, object)`, for a call of exactly
/// that shape inside the rule.
fn setter_of(ctx: &Ctx<'_>, call: &CallExpr) -> Option<&'static str> {
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    let Expr::Member(member) = &**callee else { return None };
    let (root, segments) = split_chain(member)?;
    let names: Vec<Option<&str>> = segments.iter().map(|s| s.name.as_deref()).collect();
    let setter = match names.as_slice() {
        [Some("users"), Some("updateAppMetadata")] => "setAppMetadata",
        [Some("users"), Some("updateUserMetadata")] => "setUserMetadata",
        _ => return None,
    };
    let reference = ctx.bindings.resolve(root)?;
    let own_user =
        call.args.len() == 2 && call.args.iter().all(|a| a.spread.is_none()) && is_own_user_id(ctx, &call.args[0].expr);
    (reference.binding == Binding::Global(Global::Auth0) && reference.depth.is_some() && own_user).then_some(setter)
}

/// Finds the update statements that fold: those nothing waits for, anywhere in the rule body, and
/// those with continuations when they stand in tail position.
pub fn plan_folds(ctx: &mut Ctx<'_>, _model: &Model) {
    if !ctx.bindings.uses(Global::Auth0) {
        return;
    }
    let tails = tail_statements(&ctx.rule.body.stmts, &nothing_inlined);
    let body = &ctx.rule.body.stmts;
    let last = body.iter().rposition(does_something).map(|index| body[index].span().lo);
    let mut finder = RuleStatements { found: Vec::new() };
    body.iter().for_each(|stmt| stmt.visit_with(&mut finder));
    let mut folds = Vec::new();
    for stmt in finder.found {
        let Some(chain) = update_chain(ctx, &stmt.expr) else {
            continue;
        };
        let in_tail = tails.contains(&stmt.span.lo);
        let mut gone: Vec<&Expr> = chain.catch.into_iter().collect();
        let then_function = match chain.then {
            Continuation::Nothing => None,
            Continuation::Inline { function, body } if in_tail && continuation_lines(ctx, body).is_some() => {
                Some(function)
            }
            Continuation::Allow { continuation } if in_tail => {
                gone.push(continuation);
                None
            }
            _ => continue,
        };
        let dropped = gone.iter().map(|expr| ctx.range(expr.span())).collect();
        // What the dropped continuations referred to goes with them.
        let mut references = References { ctx, found: Vec::new() };
        gone.iter().for_each(|expr| expr.visit_with(&mut references));
        let found = references.found;
        found.iter().for_each(|ident| ctx.claim(ident));
        folds.push(Fold {
            statement: stmt.span.lo,
            then_function,
            dropped,
            is_last: last == Some(stmt.span.lo),
        });
    }
    ctx.folds = folds;
}

/// The identifiers that refer to the rule's parameters or the Rules globals.
struct References<'c, 'a> {
    ctx: &'c Ctx<'a>,
    found: Vec<Ident>,
}

impl Visit for References<'_, '_> {
    fn visit_ident(&mut self, ident: &Ident) {
        if self.ctx.bindings.resolve(ident).is_some() {
            self.found.push(ident.clone());
        }
    }
}

/// The expression statements of the rule function itself, not of nested functions.
struct RuleStatements {
    found: Vec<ExprStmt>,
}

impl Visit for RuleStatements {
    fn visit_expr_stmt(&mut self, stmt: &ExprStmt) {
        self.found.push(stmt.clone());
    }

    fn visit_function(&mut self, _: &Function) {}

    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
}

/// The lines inside a continuation's braces, comments included, when the braces stand at the ends
/// of their lines; its statements can move only then.
fn continuation_lines(ctx: &Ctx<'_>, body: &FunctionBody) -> Option<Range<usize>> {
    let braces = ctx.range(body.span);
    let open_line_end = ctx.text[braces.start..].find('\n').map(|n| braces.start + n + 1)?;
    let close_line_start = ctx.source.line_start(braces.end - 1);
    let lines = open_line_end..close_line_start;
    let alone = ctx.text[braces.start + 1..open_line_end].trim().is_empty()
        && ctx.text[close_line_start..braces.end - 1].trim().is_empty();
    (alone && open_line_end <= close_line_start && !ctx.layout.spans_template_line(&lines)).then_some(lines)
}

pub fn run(ctx: &mut Ctx<'_>, _model: &Model) {
    if !ctx.bindings.uses(Global::Auth0) {
        return;
    }
    let folds = std::mem::take(&mut ctx.folds);
    let mut statements = FoldedStatements {
        folds: &folds,
        found: Vec::new(),
    };
    ctx.parsed.visit(&mut statements);
    let mut folded_updates = FxHashSet::default();
    for stmt in &statements.found {
        if let Some(update) = fold(ctx, stmt) {
            folded_updates.insert(update);
        }
    }
    ctx.folds = folds;

    let mut finder = Updates { ctx, found: Vec::new() };
    ctx.parsed.visit(&mut finder);
    for (call, root, setter) in finder.found {
        if !folded_updates.contains(&call.span.lo) {
            convert(ctx, &call, &root, setter);
        }
    }
}

/// The rule's updates of its own user's metadata (`auth0.users.updateAppMetadata(user.user_id,
/// …)`), wherever they stand.
pub fn own_updates(ctx: &Ctx<'_>) -> Vec<Span> {
    if !ctx.bindings.uses(Global::Auth0) {
        return Vec::new();
    }
    let mut finder = Updates { ctx, found: Vec::new() };
    ctx.parsed.visit(&mut finder);
    finder
        .found
        .iter()
        .filter(|(call, _, _)| call.args.first().is_some_and(|id| is_own_user_id(ctx, &id.expr)))
        .map(|(call, _, _)| call.span)
        .collect()
}

struct FoldedStatements<'f> {
    folds: &'f [Fold],
    found: Vec<ExprStmt>,
}

impl Visit for FoldedStatements<'_> {
    fn visit_expr_stmt(&mut self, stmt: &ExprStmt) {
        if self.folds.iter().any(|f| f.statement == stmt.span.lo) {
            self.found.push(stmt.clone());
        }
        stmt.visit_children_with(self);
    }
}

/// Replaces the update statement by the setter calls and the success continuation's body;
/// returns the position of the update call it consumed.
fn fold(ctx: &mut Ctx<'_>, stmt: &ExprStmt) -> Option<BytePos> {
    let chain = update_chain(ctx, &stmt.expr)?;
    let setter = setter_of(ctx, chain.update)?;
    if let Callee::Expr(callee) = &chain.update.callee {
        if let Some((root, _)) = callee.as_member().and_then(split_chain) {
            ctx.claim(root);
        }
    }
    let range = ctx.range(stmt.span);
    let indent = ctx.indentation_at(range.start).to_string();
    let mut pieces = set_statements(ctx, &chain.update.args[1].expr, setter, &indent);
    if let Continuation::Inline { body, .. } = chain.then {
        let lines = continuation_lines(ctx, body)?;
        let from = body.stmts.first().map_or(indent.clone(), |first| {
            ctx.indentation_at(ctx.range(first.span()).start).to_string()
        });
        pieces.push(Piece::Lines {
            range: lines,
            from,
            to: indent,
            newline: ctx.newline.to_string(),
        });
    }
    ctx.edits.replace_with(range, pieces);
    let message = match (&chain.then, chain.catch) {
        (Continuation::Nothing, _) => format!("metadata update converted to api.user.{setter}"),
        (Continuation::Inline { .. }, _) => format!("metadata update converted to api.user.{setter}; its success continuation now runs inline and its failure continuation is gone: the setters cannot fail"),
        (Continuation::Allow { .. }, _) => format!("metadata update converted to api.user.{setter}; its continuations are gone: the setters cannot fail"),
    };
    ctx.report(Code::MetadataUpdate, stmt, message);
    Some(chain.update.span.lo)
}

/// The setter calls as statements: one per key of a literal object, else a loop over its keys.
fn set_statements(ctx: &mut Ctx<'_>, object: &Expr, setter: &str, indent: &str) -> Vec<Piece> {
    if let Some(entries) = literal_entries(ctx, object).filter(|e| !e.is_empty()) {
        let mut pieces = Vec::new();
        for (index, (key, value)) in entries.into_iter().enumerate() {
            if index > 0 {
                pieces.push(Piece::Text(format!("{}{indent}", ctx.newline)));
            }
            pieces.push(Piece::Text(format!("api.user.{setter}({key}, ")));
            pieces.push(value);
            pieces.push(Piece::Text(");".into()));
        }
        return pieces;
    }
    let key = ctx.bindings.fresh_name("key");
    let value = ctx.bindings.fresh_name("value");
    vec![
        Piece::Text(format!("for (const [{key}, {value}] of Object.entries(")),
        Piece::Source(ctx.range(object.span())),
        Piece::Text(format!(")) api.user.{setter}({key}, {value});")),
    ]
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
        ctx.claim(root);
        let reason = if !inside_rule {
            "the metadata update is outside the rule function, where api is out of reach"
        } else {
            "this update targets another user (or has an unusual shape): it needs the Management API"
        };
        ctx.flag(Code::ManagementApi, call, reason);
        return;
    }
    ctx.claim(root);
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
                    let key = ctx.key_literal(&kv.key)?;
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
