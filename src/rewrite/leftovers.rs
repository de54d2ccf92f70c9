//! The last pass: Rules globals that no rewrite converted (`auth0`, `global`) are flagged where
//! they stand, so nothing is dropped silently.

use super::Ctx;
use crate::analysis::model::Model;
use crate::analysis::scope::Global;
use crate::diagnostics::Code;
use swc_ecma_ast::*;
use swc_ecma_visit::Visit;

struct Leftovers<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl Visit for Leftovers<'_, '_> {
    fn visit_ident(&mut self, ident: &Ident) {
        if self.ctx.is_claimed(ident) {
            return;
        }
        match self.ctx.bindings.global(ident) {
            Some(Global::Auth0) => {
                self.ctx
                    .flag(Code::ManagementApi, ident, "the auth0 object does not exist in Actions")
            }
            Some(Global::Global) => self.ctx.flag(
                Code::GlobalState,
                ident,
                "global does not keep state the same way in Actions",
            ),
            _ => {}
        }
    }
}

pub fn run(ctx: &mut Ctx<'_>, _model: &Model) {
    if !ctx.bindings.uses(Global::Auth0) && !ctx.bindings.uses(Global::Global) {
        return;
    }
    let parsed = ctx.parsed;
    parsed.visit(&mut Leftovers { ctx });
}
