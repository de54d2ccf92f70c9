//! Control flow of the rule body, as far as the callback rewrite needs it: which statements are in
//! tail position, after which the rule runs nothing more.

use rustc_hash::FxHashSet;
use swc_common::{BytePos, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// Where a statement's code continues inline: the success continuation of a folded metadata
/// update (`update(…).then(function () { … })` becomes the update followed by that body).
pub type InlinedBody<'f> = &'f dyn for<'s> Fn(&'s Stmt) -> Option<&'s [Stmt]>;

/// The statements after which the function runs nothing more: the last statement of a block in
/// tail position (recursively), and any statement followed by a bare `return;`. Inside a `switch`
/// in tail position, a statement followed by `break` counts too.
pub fn tail_statements(stmts: &[Stmt], inlined: InlinedBody<'_>) -> FxHashSet<BytePos> {
    let mut tails = FxHashSet::default();
    walk_block(stmts, true, inlined, &mut tails);
    tails
}

fn walk_block(stmts: &[Stmt], is_tail: bool, inlined: InlinedBody<'_>, tails: &mut FxHashSet<BytePos>) {
    let last = stmts.iter().rposition(does_something);
    for (index, stmt) in stmts.iter().enumerate() {
        let before_return = matches!(stmts.get(index + 1), Some(Stmt::Return(ReturnStmt { arg: None, .. })));
        walk_statement(stmt, (is_tail && Some(index) == last) || before_return, inlined, tails);
    }
}

fn walk_statement(stmt: &Stmt, is_tail: bool, inlined: InlinedBody<'_>, tails: &mut FxHashSet<BytePos>) {
    if is_tail {
        tails.insert(stmt.span().lo);
    }
    if let Some(body) = inlined(stmt) {
        walk_block(body, is_tail, inlined, tails);
    }
    match stmt {
        Stmt::Block(block) => walk_block(&block.stmts, is_tail, inlined, tails),
        Stmt::If(if_stmt) => {
            walk_statement(&if_stmt.cons, is_tail, inlined, tails);
            if let Some(alt) = &if_stmt.alt {
                walk_statement(alt, is_tail, inlined, tails);
            }
        }
        Stmt::Try(try_stmt) => {
            let is_tail = is_tail && try_stmt.finalizer.is_none();
            walk_block(&try_stmt.block.stmts, is_tail, inlined, tails);
            if let Some(handler) = &try_stmt.handler {
                walk_block(&handler.body.stmts, is_tail, inlined, tails);
            }
            if let Some(finalizer) = &try_stmt.finalizer {
                walk_block(&finalizer.stmts, false, inlined, tails);
            }
        }
        Stmt::Labeled(labeled) => walk_statement(&labeled.body, is_tail, inlined, tails),
        Stmt::Switch(switch) => {
            for case in &switch.cases {
                walk_block(&case.cons, is_tail, inlined, tails);
                for pair in case.cons.windows(2) {
                    if is_tail && matches!(pair[1], Stmt::Break(BreakStmt { label: None, .. })) {
                        walk_statement(&pair[0], true, inlined, tails);
                    }
                }
            }
        }
        Stmt::For(ForStmt { body, .. })
        | Stmt::ForIn(ForInStmt { body, .. })
        | Stmt::ForOf(ForOfStmt { body, .. })
        | Stmt::While(WhileStmt { body, .. })
        | Stmt::DoWhile(DoWhileStmt { body, .. }) => walk_statement(body, false, inlined, tails),
        _ => {}
    }
}

/// Whether a statement does anything at run time at the place it stands (function declarations
/// are hoisted; `break` and a bare `return` only leave).
pub fn does_something(stmt: &Stmt) -> bool {
    !matches!(
        stmt,
        Stmt::Break(_) | Stmt::Empty(_) | Stmt::Return(ReturnStmt { arg: None, .. }) | Stmt::Decl(Decl::Fn(_))
    )
}

/// No statement is inlined.
pub fn nothing_inlined(_: &Stmt) -> Option<&[Stmt]> {
    None
}

/// Whether evaluating an expression may do something besides computing its value: call, construct,
/// assign, await. Functions written in it do nothing until they are called.
pub fn may_have_effects(expr: &Expr) -> bool {
    struct Effects(bool);
    impl Visit for Effects {
        fn visit_call_expr(&mut self, _: &CallExpr) {
            self.0 = true;
        }
        fn visit_new_expr(&mut self, _: &NewExpr) {
            self.0 = true;
        }
        fn visit_assign_expr(&mut self, _: &AssignExpr) {
            self.0 = true;
        }
        fn visit_update_expr(&mut self, _: &UpdateExpr) {
            self.0 = true;
        }
        fn visit_await_expr(&mut self, _: &AwaitExpr) {
            self.0 = true;
        }
        fn visit_yield_expr(&mut self, _: &YieldExpr) {
            self.0 = true;
        }
        fn visit_tagged_tpl(&mut self, _: &TaggedTpl) {
            self.0 = true;
        }
        fn visit_unary_expr(&mut self, unary: &UnaryExpr) {
            self.0 |= unary.op == UnaryOp::Delete;
            unary.visit_children_with(self);
        }
        fn visit_function(&mut self, _: &Function) {}
        fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
        fn visit_class(&mut self, _: &Class) {}
    }
    let mut effects = Effects(false);
    expr.visit_with(&mut effects);
    effects.0
}
