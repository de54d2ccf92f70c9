//! The Management API object (mapping §4.9). Actions have no global `auth0`: `auth0.domain` and
//! `auth0.baseUrl` read the tenant domain from an Action secret, and every use is flagged with what
//! a human must set up (a machine-to-machine application whose credentials are Action secrets, and
//! a `ManagementClient` from the `auth0` package where the rule used the Management API token).

use super::chains::{ChainHandler, ChainWalker, Role, Segment};
use super::Ctx;
use crate::analysis::scope::Global;
use crate::diagnostics::Code;
use swc_ecma_ast::Ident;

pub const DOMAIN_SECRET: &str = "AUTH0_DOMAIN";

struct ManagementApi<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl ChainHandler for ManagementApi<'_, '_> {
    fn wants(&self, ident: &Ident) -> bool {
        self.ctx.bindings.global(ident) == Some(Global::Auth0) && !self.ctx.is_handled(ident)
    }

    fn chain(&mut self, root: &Ident, segments: &[Segment], role: Role) {
        self.ctx.mark_handled(root);
        let inside_rule = self.ctx.bindings.resolve(root).and_then(|r| r.depth).is_some();
        let replacement = match segments[0].name.as_deref() {
            Some("domain") => Some(format!("event.secrets.{DOMAIN_SECRET}")),
            Some("baseUrl") => Some(format!("`https://${{event.secrets.{DOMAIN_SECRET}}}/api/v2`")),
            _ => None,
        };
        match replacement {
            Some(text) if inside_rule && !role.writes() => {
                let span = segments[0].span;
                let range = self.ctx.range(span);
                self.ctx.edits.replace(range, text);
                self.ctx.secrets.insert(DOMAIN_SECRET.to_string());
                self.ctx.flag(Code::ManagementApi, &span, format!("the tenant domain now comes from the Action secret {DOMAIN_SECRET}; set it, and give the Management API calls a machine-to-machine application's credentials"));
            }
            _ => {
                let name = segments[0].name.as_deref().unwrap_or("…");
                let span = segments[0].span;
                self.ctx.flag(Code::ManagementApi, &span, format!("auth0.{name} does not exist in Actions; use a ManagementClient from the auth0 package with a machine-to-machine application's domain, client id and client secret as Action secrets"));
            }
        }
    }

    fn bare(&mut self, ident: &Ident, _shorthand: bool, _role: Role) {
        self.ctx.mark_handled(ident);
        self.ctx
            .flag(Code::ManagementApi, ident, "the auth0 object does not exist in Actions");
    }
}

pub fn run(ctx: &mut Ctx<'_>) {
    let parsed = ctx.parsed;
    let mut handler = ManagementApi { ctx };
    parsed.visit(&mut ChainWalker { handler: &mut handler });
}
