//! The Management API object (mapping §4.9). Actions have no global `auth0`: `auth0.domain` and
//! `auth0.baseUrl` read the tenant domain from an Action secret, and every use is flagged with what
//! a human must set up (a machine-to-machine application whose credentials are Action secrets, and
//! a `ManagementClient` from the `auth0` package where the rule used the Management API token).

use super::Ctx;
use crate::analysis::accesses::{replay, split_chain, ChainHandler, Role, Segment};
use crate::analysis::model::Model;
use crate::analysis::scope::Global;
use crate::diagnostics::Code;
use swc_common::Spanned;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

pub const DOMAIN_SECRET: &str = "AUTH0_DOMAIN";

struct ManagementApi<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl ChainHandler for ManagementApi<'_, '_> {
    fn wants(&self, ident: &Ident) -> bool {
        self.ctx.bindings.global(ident) == Some(Global::Auth0) && !self.ctx.is_claimed(ident)
    }

    fn chain(&mut self, root: &Ident, segments: &[Segment], role: Role) {
        self.ctx.claim(root);
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
        self.ctx.claim(ident);
        self.ctx
            .flag(Code::ManagementApi, ident, "the auth0 object does not exist in Actions");
    }
}

pub const CLIENT_ID_SECRET: &str = "AUTH0_CLIENT_ID";
pub const CLIENT_SECRET_SECRET: &str = "AUTH0_CLIENT_SECRET";

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let chain_uses = &model.accesses;
    if !ctx.bindings.uses(Global::Auth0) {
        return;
    }
    let parsed = ctx.parsed;
    let mut tokens = TokenOptions { ctx, found: Vec::new() };
    parsed.visit(&mut tokens);
    for (property, auth0) in tokens.found {
        use_client_credentials(ctx, &property, &auth0);
    }
    let mut handler = ManagementApi { ctx };
    replay(chain_uses, &mut handler);
}

/// `{ token: auth0.accessToken, … }`, the options of a `ManagementClient` in a rule.
struct TokenOptions<'c, 'a> {
    ctx: &'c Ctx<'a>,
    found: Vec<(KeyValueProp, Ident)>,
}

impl Visit for TokenOptions<'_, '_> {
    fn visit_key_value_prop(&mut self, property: &KeyValueProp) {
        let is_token_key = matches!(&property.key, PropName::Ident(key) if key.sym == *"token");
        if let (true, Expr::Member(member)) = (is_token_key, &*property.value) {
            if let Some((root, segments)) = split_chain(member) {
                let inside_rule = self.ctx.bindings.resolve(root).is_some_and(|r| r.depth.is_some());
                let names: Vec<Option<&str>> = segments.iter().map(|s| s.name.as_deref()).collect();
                if self.ctx.bindings.global(root) == Some(Global::Auth0)
                    && inside_rule
                    && names == [Some("accessToken")]
                {
                    self.found.push((property.clone(), root.clone()));
                }
            }
        }
        property.visit_children_with(self);
    }
}

/// The Management API client authenticates with a machine-to-machine application's credentials,
/// kept as Action secrets, instead of the rule's token: the `auth0` package's `ManagementClient`
/// takes `clientId` and `clientSecret` in place of `token`.
fn use_client_credentials(ctx: &mut Ctx<'_>, property: &KeyValueProp, auth0: &Ident) {
    ctx.claim(auth0);
    let range = ctx.range(property.span());
    ctx.edits.replace(
        range,
        format!("clientId: event.secrets.{CLIENT_ID_SECRET}, clientSecret: event.secrets.{CLIENT_SECRET_SECRET}"),
    );
    ctx.secrets
        .extend([CLIENT_ID_SECRET.to_string(), CLIENT_SECRET_SECRET.to_string()]);
    ctx.flag(
        Code::ManagementApi,
        property,
        format!("the Management API client now authenticates as a machine-to-machine application: create one authorised for the Management API and set the secrets {CLIENT_ID_SECRET} and {CLIENT_SECRET_SECRET}"),
    );
}
