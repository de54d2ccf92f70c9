//! Uses of `user` (mapping §2): every reference becomes `event.user` (shorthand `{ user }` keeps
//! its key). Profile changes that Rules would have carried into the tokens, fields Actions do not
//! have, and names that may be merged app_metadata keys are flagged.

use super::Ctx;
use crate::analysis::accesses::{replay, ChainHandler, Role, Segment};
use crate::analysis::aliases::AliasOrigin;
use crate::analysis::model::Model;
use crate::analysis::scope::Param;
use crate::diagnostics::Code;
use crate::mapping::{USER_METADATA, USER_PROFILE_FIELDS};
use swc_ecma_ast::Ident;

struct UserReads<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl UserReads<'_, '_> {
    fn rename(&mut self, ident: &Ident) {
        self.ctx.claim(ident);
        if let Some(AliasOrigin::Parameter { .. }) = self.ctx.bindings.alias(ident).map(|a| &a.origin) {
            // A local function's parameter that receives the user: its callers now hand it
            // `event.user`, and the function reads it under its own name.
            return;
        }
        let range = self.ctx.range(ident.span);
        self.ctx.edits.replace(range, "event.user");
    }
}

impl ChainHandler for UserReads<'_, '_> {
    fn wants(&self, ident: &Ident) -> bool {
        self.ctx.bindings.param(ident) == Some(Param::User) && !self.ctx.is_claimed(ident)
    }

    fn chain(&mut self, root: &Ident, segments: &[Segment], role: Role) {
        let field = segments[0].name.as_deref();
        let first = segments[0].span;
        match field {
            Some("logins_count") if !role.writes() => {
                self.ctx.claim(root);
                let range = self.ctx.range(first);
                self.ctx.edits.replace(range, "event.stats.logins_count");
                return;
            }
            Some(field @ ("persistent" | "permissions")) => {
                self.ctx.flag(Code::UndocumentedUserField, &first, format!("user.{field} has no Action equivalent"))
            }
            Some(field) if role.writes() && !USER_METADATA.contains(&field) => self.ctx.flag(
                Code::ProfileWrite,
                &first,
                format!("user.{field} is changed; in Actions this no longer reaches the tokens or the profile"),
            ),
            Some(field) if !USER_PROFILE_FIELDS.contains(&field) && !role.writes() => self.ctx.flag(
                Code::UnknownUserProperty,
                &first,
                format!("user.{field} is not an Actions event.user field; if it is an app_metadata key, read event.user.app_metadata.{field}"),
            ),
            _ => {}
        }
        self.rename(root);
    }

    fn bare(&mut self, ident: &Ident, shorthand: bool, role: Role) {
        if role.writes() {
            self.ctx.flag(
                Code::ProfileWrite,
                ident,
                "the user object itself is replaced; Actions cannot replace event.user",
            );
        }
        if shorthand {
            self.ctx.claim(ident);
            let range = self.ctx.range(ident.span);
            self.ctx.edits.replace(range, format!("{}: event.user", ident.sym));
        } else {
            self.rename(ident);
        }
    }
}

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let chain_uses = &model.accesses;
    let mut handler = UserReads { ctx };
    replay(chain_uses, &mut handler);
}
