//! Redirects (mapping §4.5): `context.redirect = { url }` becomes `api.redirect.sendUserTo(url)`
//! and the Action also exports `onContinuePostLogin`. Rules ran every rule again after /continue,
//! with `context.protocol === 'redirect-callback'`; the continue handler runs the same handler with
//! that protocol, so the rule's own continue branch decides what happens, as before. A rule that
//! only tests for that protocol (to deny on the continue run) gets the continue handler too, with
//! a warning: Actions run it only in the Action that redirected. Rules ignored a redirect set on
//! the continue run, so a redirect the continue run can reach is guarded.
//! `context.primaryUser = id` (§4.8) becomes `api.authentication.setPrimaryUser(id)`; with a
//! metadata update in the same rule it is flagged, since the primary user's metadata wins.

use super::Ctx;
use crate::analysis::accesses::split_chain;
use crate::analysis::context_writes::ContextWrite;
use crate::analysis::model::Model;
use crate::analysis::scope::{Bindings, Param};
use crate::diagnostics::Code;
use crate::edits::Piece;
use swc_common::{Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

pub const CONTINUE_HANDLER: &str = "exports.onContinuePostLogin = async (event, api) =>\n  exports.onExecutePostLogin({ ...event, transaction: { ...event.transaction, protocol: 'redirect-callback' } }, api);";

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let legs = ContinueLeg::find(ctx);
    let writes = &model.context_writes;
    // Actions set the primary user once per login: with several writes the final id is only
    // known at run time.
    let primary_user_writes = writes.iter().filter(|w| w.first() == Some("primaryUser")).count();
    for write in writes {
        match write.first() {
            Some("primaryUser") if primary_user_writes > 1 => {
                ctx.claim(&write.root);
                ctx.flag(Code::PrimaryUser, &write.assign, "context.primaryUser is set more than once; call api.authentication.setPrimaryUser once, with the final id");
            }
            Some("redirect") => {
                ctx.claim(&write.root);
                convert_redirect(ctx, write, &legs);
            }
            Some("primaryUser") => {
                ctx.claim(&write.root);
                convert_primary_user(ctx, write);
            }
            _ => {}
        }
    }
    if !ctx.continues {
        guard_continue_tests(ctx, &legs);
    }
}

/// The rule's tests of `context.protocol` against `'redirect-callback'` that deny the continue run,
/// and the parts of the rule the continue run cannot reach because of any test.
struct ContinueLeg {
    denials: Vec<Span>,
    /// Code that runs only when the protocol is not `'redirect-callback'`.
    excluded: Vec<Span>,
}

impl ContinueLeg {
    fn find(ctx: &Ctx<'_>) -> ContinueLeg {
        let mut finder = ContinueLeg {
            denials: Vec::new(),
            excluded: Vec::new(),
        };
        let mut visitor = LegFinder {
            bindings: &ctx.bindings,
            leg: &mut finder,
        };
        ctx.parsed.visit(&mut visitor);
        finder
    }

    fn reaches(&self, span: Span) -> bool {
        !self.excluded.iter().any(|e| e.lo <= span.lo && span.hi <= e.hi)
    }
}

struct LegFinder<'b, 'l> {
    bindings: &'b Bindings,
    leg: &'l mut ContinueLeg,
}

impl LegFinder<'_, '_> {
    /// `Some(true)` for `context.protocol === 'redirect-callback'`, `Some(false)` for `!==`.
    fn continue_test(&self, test: &Expr) -> Option<bool> {
        let Expr::Bin(bin) = test else { return None };
        let equal = match bin.op {
            BinaryOp::EqEqEq | BinaryOp::EqEq => true,
            BinaryOp::NotEqEq | BinaryOp::NotEq => false,
            _ => return None,
        };
        let is_protocol = |expr: &Expr| match expr {
            Expr::Member(member) => split_chain(member).is_some_and(|(root, segments)| {
                let mut names = self.bindings.alias_path(root).iter().map(|n| n.to_string());
                let mut path: Vec<String> = names.by_ref().collect();
                path.extend(segments.iter().filter_map(|s| s.name.clone()));
                self.bindings.param(root) == Some(Param::Context) && path == ["protocol"]
            }),
            _ => false,
        };
        let is_continue = |expr: &Expr| matches!(expr, Expr::Lit(Lit::Str(s)) if s.value.as_atom().is_some_and(|a| a == "redirect-callback"));
        let matched =
            (is_protocol(&bin.left) && is_continue(&bin.right)) || (is_protocol(&bin.right) && is_continue(&bin.left));
        matched.then_some(equal)
    }
}

impl LegFinder<'_, '_> {
    /// The continue tests among the parts of `a && b && …`.
    fn conjunction(&self, test: &Expr) -> Vec<bool> {
        match test {
            Expr::Bin(BinExpr {
                op: BinaryOp::LogicalAnd,
                left,
                right,
                ..
            }) => {
                let mut parts = self.conjunction(left);
                parts.extend(self.conjunction(right));
                parts
            }
            Expr::Paren(ParenExpr { expr, .. }) => self.conjunction(expr),
            other => self.continue_test(other).into_iter().collect(),
        }
    }
}

/// Whether a statement always leaves the function: a `return` or `throw`, or a block ending so.
fn always_leaves(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Return(_) | Stmt::Throw(_) => true,
        Stmt::Block(block) => block.stmts.last().is_some_and(always_leaves),
        _ => false,
    }
}

impl Visit for LegFinder<'_, '_> {
    fn visit_stmts(&mut self, stmts: &[Stmt]) {
        // After `if (continue run) { …; return … }`, the rest of the block runs only on the first run.
        for (index, stmt) in stmts.iter().enumerate() {
            if let Stmt::If(if_stmt) = stmt {
                if self.continue_test(&if_stmt.test) == Some(true) && always_leaves(&if_stmt.cons) {
                    if let (Some(next), Some(last)) = (stmts.get(index + 1), stmts.last()) {
                        self.leg.excluded.push(Span::new(next.span().lo, last.span().hi));
                    }
                }
            }
        }
        stmts.visit_children_with(self);
    }

    fn visit_if_stmt(&mut self, if_stmt: &IfStmt) {
        let continue_branch = match self.continue_test(&if_stmt.test) {
            Some(true) => {
                self.leg.excluded.extend(if_stmt.alt.as_ref().map(|alt| alt.span()));
                Some(&*if_stmt.cons)
            }
            Some(false) => {
                self.leg.excluded.push(if_stmt.cons.span());
                if_stmt.alt.as_deref()
            }
            // `a && protocol !== 'redirect-callback' && b`: the branch needs every part.
            None => {
                let parts = self.conjunction(&if_stmt.test);
                if parts.contains(&false) {
                    self.leg.excluded.push(if_stmt.cons.span());
                }
                parts.contains(&true).then_some(&*if_stmt.cons)
            }
        };
        if continue_branch.is_some_and(|branch| denies(self.bindings, branch)) {
            self.leg.denials.push(if_stmt.test.span());
        }
        if_stmt.visit_children_with(self);
    }
}

/// Whether a branch can fail the login: it throws or calls back with an error.
fn denies(bindings: &Bindings, branch: &Stmt) -> bool {
    struct Denial<'b> {
        bindings: &'b Bindings,
        found: bool,
    }
    impl Visit for Denial<'_> {
        fn visit_throw_stmt(&mut self, _: &ThrowStmt) {
            self.found = true;
        }

        fn visit_call_expr(&mut self, call: &CallExpr) {
            if let Callee::Expr(callee) = &call.callee {
                let with_error = call.args.first().is_some_and(|first| {
                    let nothing = matches!(&*first.expr, Expr::Lit(Lit::Null(_)))
                        || matches!(&*first.expr, Expr::Ident(i) if i.sym == *"undefined");
                    !nothing
                });
                self.found |= with_error && self.bindings.is_param(callee, Param::Callback);
            }
            call.visit_children_with(self);
        }
    }
    let mut denial = Denial { bindings, found: false };
    branch.visit_with(&mut denial);
    denial.found
}

/// A rule that denies the continue run without redirecting: the test would be dead code in
/// `onExecutePostLogin`, so the continue handler runs it, and the author is told where it belongs.
fn guard_continue_tests(ctx: &mut Ctx<'_>, legs: &ContinueLeg) {
    let Some(first) = legs.denials.first() else {
        return;
    };
    ctx.continues = true;
    ctx.flag(
        Code::Redirect,
        first,
        "Rules ran this rule again after any rule's redirect, with context.protocol === 'redirect-callback'; Actions run onContinuePostLogin only in the Action that redirected: move this check into that Action's onContinuePostLogin",
    );
}

fn plain_assignment(write: &ContextWrite) -> bool {
    write.names.len() == 1 && write.assign.op == AssignOp::Assign && write.statement.is_some()
}

fn convert_redirect(ctx: &mut Ctx<'_>, write: &ContextWrite, legs: &ContinueLeg) {
    let url = match &*write.assign.right {
        Expr::Object(object) if plain_assignment(write) => only_url(object),
        _ => None,
    };
    let Some(url) = url else {
        ctx.flag(
            Code::Redirect,
            &write.assign,
            "context.redirect is not a literal { url: … }; call api.redirect.sendUserTo(url, { query }) yourself",
        );
        return;
    };
    // Rules ignored context.redirect on the run after /continue (one redirect per login); a
    // redirect that run can reach gets the guard, or the continue handler would redirect again.
    let guard = if legs.reaches(write.assign.span) {
        "event.transaction?.protocol !== 'redirect-callback' && "
    } else {
        ""
    };
    let pieces = vec![
        Piece::Text(format!("{guard}api.redirect.sendUserTo(")),
        Piece::Source(ctx.range(url)),
        Piece::Text(")".into()),
    ];
    ctx.edits.replace_with(ctx.range(write.assign.span), pieces);
    ctx.continues = true;
    ctx.report(
        Code::RedirectConverted,
        &write.assign,
        "context.redirect converted to api.redirect.sendUserTo, with onContinuePostLogin",
    );
}

/// The span of the url in `{ url: … }` or `{ url }`, the only key.
fn only_url(object: &ObjectLit) -> Option<Span> {
    let [PropOrSpread::Prop(prop)] = object.props.as_slice() else {
        return None;
    };
    match &**prop {
        Prop::KeyValue(KeyValueProp {
            key: PropName::Ident(key),
            value,
        }) if key.sym == *"url" => Some(value.span()),
        Prop::Shorthand(ident) if ident.sym == *"url" => Some(ident.span),
        _ => None,
    }
}

fn convert_primary_user(ctx: &mut Ctx<'_>, write: &ContextWrite) {
    if !plain_assignment(write) {
        ctx.flag(
            Code::PrimaryUser,
            &write.assign,
            "this context.primaryUser change could not be converted; call api.authentication.setPrimaryUser(id)",
        );
        return;
    }
    if let Some(update) = super::metadata::own_updates(ctx).first() {
        ctx.flag(
            Code::PrimaryUser,
            update,
            "this rule also updates the login user's metadata and switches the primary user: that metadata may be lost with the account it was set on; update the primary user's metadata instead",
        );
    }
    let pieces = vec![
        Piece::Text("api.authentication.setPrimaryUser(".into()),
        Piece::Source(ctx.range(write.assign.right.span())),
        Piece::Text(")".into()),
    ];
    ctx.edits.replace_with(ctx.range(write.assign.span), pieces);
    ctx.report(
        Code::PrimaryUserConverted,
        &write.assign,
        "context.primaryUser converted to api.authentication.setPrimaryUser",
    );
}
