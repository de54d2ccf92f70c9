//! `UnauthorizedError` (mapping §1): Actions have no such class. `new UnauthorizedError(m)` that
//! the callback rewrite did not consume becomes `new Error(m)`, which still carries the message to
//! `api.access.deny`; the lost `unauthorized` error code is reported.

use super::Ctx;
use crate::analysis::model::Model;
use crate::analysis::scope::Global;
use crate::diagnostics::Code;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

struct Errors<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl Errors<'_, '_> {
    fn is_unauthorized_error(&self, ident: &Ident) -> bool {
        self.ctx.bindings.global(ident) == Some(Global::UnauthorizedError) && !self.ctx.is_claimed(ident)
    }
}

impl Visit for Errors<'_, '_> {
    fn visit_new_expr(&mut self, new: &NewExpr) {
        if let Expr::Ident(class) = &*new.callee {
            if self.is_unauthorized_error(class) {
                self.ctx.claim(class);
                let range = self.ctx.range(class.span);
                self.ctx.edits.replace(range, "Error");
                self.ctx.report(
                    Code::UnauthorizedErrorClass,
                    class,
                    "new UnauthorizedError became new Error",
                );
                self.ctx.report(
                    Code::UnauthorizedDenied,
                    class,
                    "applications receive error=access_denied instead of error=unauthorized",
                );
            }
        }
        new.visit_children_with(self);
    }

    fn visit_ident(&mut self, ident: &Ident) {
        if self.is_unauthorized_error(ident) {
            self.ctx.claim(ident);
            self.ctx.flag(
                Code::UnauthorizedErrorUse,
                ident,
                "UnauthorizedError does not exist in Actions",
            );
        }
    }
}

pub fn run(ctx: &mut Ctx<'_>, _model: &Model) {
    if !ctx.bindings.uses(Global::UnauthorizedError) {
        return;
    }
    let parsed = ctx.parsed;
    parsed.visit(&mut Errors { ctx });
}
