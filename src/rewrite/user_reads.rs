//! Uses of `user` (mapping §2): every reference becomes `event.user` (shorthand `{ user }` keeps
//! its key). Profile changes that Rules would have carried into the tokens, fields Actions do not
//! have, names that may be merged app_metadata keys and the identity provider's tokens are
//! flagged. A test of whether the metadata is there becomes a test of whether it is empty.

use super::Ctx;
use crate::analysis::accesses::{held_tests, replay, split_chain, ChainHandler, Existence, Role, Segment};
use crate::analysis::aliases::AliasOrigin;
use crate::analysis::model::Model;
use crate::analysis::scope::Param;
use crate::diagnostics::Code;
use crate::mapping::{CONTEXT_ALWAYS_PRESENT, IDENTITY_TOKENS, USER_METADATA, USER_PROFILE_FIELDS};
use rustc_hash::{FxHashMap, FxHashSet};
use swc_atoms::Atom;
use swc_common::{BytePos, Span};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

struct UserReads<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    /// The user fields the rule maps into its SAML response, with where each mapping is made.
    saml_fields: Vec<(String, BytePos)>,
    /// The root fields written so far, in source order, with the statement of the first write:
    /// a read of one in a later statement is the rule's own value, not a merged app_metadata key.
    written: FxHashMap<String, Option<usize>>,
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

    /// Whether `field` was written in an earlier statement (`user.groups = merge(user.groups, …)`
    /// reads the value from before its own write), recording this access if it is a write.
    fn note_write(&mut self, field: Option<&str>, writes: bool, first: Span) -> bool {
        let Some(field) = field else {
            return false;
        };
        let statement = self.ctx.layout.statement_start(self.ctx.range(first).start);
        let written_before = self.written.get(field).is_some_and(|&write| write != statement);
        if writes {
            self.written.entry(field.to_string()).or_insert(statement);
        }
        written_before
    }

    /// Whether the write to `target` is `??=` or `||=`, which reads the target too, with no access
    /// of its own.
    fn is_compound(&self, target: Span) -> bool {
        let after = self.ctx.text[self.ctx.range(target).end..].trim_start();
        after.starts_with("??=") || after.starts_with("||=")
    }

    fn flag_unknown(&mut self, field: &str, first: Span) {
        self.ctx.flag(
            Code::UnknownUserProperty,
            &first,
            format!("user.{field} is not an Actions event.user field; if it is an app_metadata key, read event.user.app_metadata.{field}"),
        );
    }

    /// Whether the rule's own SAML mappings send `field`: the saml rewrite sets the attribute after
    /// the mapping and again after each later write of the field (flagging a write it cannot
    /// follow), so the value written reaches the response, as in Rules.
    fn mapped(&self, field: &str) -> bool {
        self.saml_fields.iter().any(|(mapped, _)| mapped == field)
    }

    /// `user[key]`: the key is known only at run time, so it may name a profile field that Rules
    /// put in the tokens, or a merged app_metadata key.
    fn computed(&mut self, first: Span, role: Role) {
        let key = self.ctx.text_of(&first).to_string();
        match role {
            Role::Delete => self.ctx.flag(
                Code::DeleteClaim,
                &first,
                format!("`delete {key}` removed that field from the tokens in Rules; Actions cannot remove a claim from the tokens"),
            ),
            Role::Write | Role::Default => self.ctx.flag(
                Code::ProfileWrite,
                &first,
                format!("{key} is changed with a key computed at run time; in Actions this no longer reaches the tokens or the profile"),
            ),
            Role::Read | Role::Test(_) => self.ctx.flag(
                Code::UnknownUserProperty,
                &first,
                format!("{key} is read with a key computed at run time; a merged app_metadata key is under event.user.app_metadata in Actions"),
            ),
        }
    }
}

impl ChainHandler for UserReads<'_, '_> {
    fn wants(&self, ident: &Ident) -> bool {
        self.ctx.bindings.param(ident) == Some(Param::User) && !self.ctx.is_claimed(ident)
    }

    fn chain(&mut self, root: &Ident, segments: &[Segment], role: Role) {
        let field = segments[0].name.as_deref();
        let first = segments[0].span;
        let written_before = self.note_write(field, segments.len() == 1 && role.writes(), first);
        match (field, role) {
            // A guard (`user.app_metadata && user.app_metadata.plan`) gives the same result on an
            // empty object, and is left as it is.
            (Some(field), Role::Test(existence))
                if segments.len() == 1 && USER_METADATA.contains(&field) && !existence.guard =>
            {
                emptiness_test(self.ctx, existence, first, &format!("user.{field}"));
            }
            (None, _) => self.computed(first, role),
            (Some("logins_count"), _) if !role.writes() => {
                self.ctx.claim(root);
                let range = self.ctx.range(first);
                self.ctx.edits.replace(range, "event.stats.logins_count");
                return;
            }
            (Some(field @ ("persistent" | "permissions")), _) => {
                self.ctx.flag(Code::UndocumentedUserField, &first, format!("user.{field} has no Action equivalent"))
            }
            (Some(field), Role::Delete) if !USER_METADATA.contains(&field) => self.ctx.flag(
                Code::DeleteClaim,
                &first,
                format!("`delete user.{field}` removed it from the tokens in Rules; Actions cannot remove a claim from the tokens"),
            ),
            // `user.roles = user.roles || []` gives the rule's own code a default, which the
            // Action's code still sees; only a profile field's default reached the tokens.
            (Some(field), Role::Default)
                if !USER_PROFILE_FIELDS.contains(&field) && !written_before && self.is_compound(first) =>
            {
                self.flag_unknown(field, first)
            }
            (Some(field), Role::Default) if !USER_PROFILE_FIELDS.contains(&field) => {}
            // `user.awsRole = …` for the rule's own SAML mapping: the Action's
            // `api.samlResponse.setAttribute(…, event.user.awsRole)` reads the value written.
            (Some(field), Role::Write) if !USER_PROFILE_FIELDS.contains(&field) && self.mapped(field) => {}
            (Some(field), Role::Write | Role::Default) if !USER_METADATA.contains(&field) => self.ctx.flag(
                Code::ProfileWrite,
                &first,
                format!("user.{field} is changed; in Actions this no longer reaches the tokens or the profile"),
            ),
            (Some(field), Role::Read | Role::Test(_)) if !USER_PROFILE_FIELDS.contains(&field) && !written_before => {
                self.flag_unknown(field, first)
            }
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

/// Replaces a test of whether `chain` is there (`!user.app_metadata`) by a test of whether it is
/// empty: Rules left the object undefined when empty, Actions always provide it, so the test as
/// written would always say it is there.
pub(super) fn emptiness_test(ctx: &mut Ctx<'_>, existence: Existence, chain: Span, rules_name: &str) {
    let comparison = if existence.when_absent { "=== 0" } else { "> 0" };
    let (open, close) = if existence.grouped { ("(", ")") } else { ("", "") };
    // The text around the chain is replaced, not the whole test, so that the chain keeps its own
    // rename: `!user.app_metadata` → `Object.keys(` + `event.user.app_metadata` + `).length === 0`.
    let (test, chain) = (ctx.range(existence.test), ctx.range(chain));
    ctx.edits
        .replace(test.start..chain.start, format!("{open}Object.keys("));
    ctx.edits
        .replace(chain.end..test.end, format!(").length {comparison}{close}"));
    ctx.report(
        Code::AlwaysPresent,
        &existence.test,
        format!(
            "a test of whether {rules_name} is there became a test of whether it is empty: Actions always provide it"
        ),
    );
}

/// Finds reads of the identity provider's tokens: a token key read from `user.identities`, an
/// entry of it, a search of it (`.find`, `.filter(…)[0]`, `_.find(user.identities, …)`), or a
/// local or callback parameter holding one of those.
struct IdentityTokens<'c, 'a> {
    ctx: &'c Ctx<'a>,
    /// Locals and callback parameters that hold the identities or one of them.
    holders: FxHashSet<Atom>,
    found: Vec<(Span, &'static str)>,
}

impl IdentityTokens<'_, '_> {
    /// Whether `expr` gives the identities array, an entry of it, or the result of searching it.
    fn yields_identity(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Paren(paren) => self.yields_identity(&paren.expr),
            Expr::Await(awaited) => self.yields_identity(&awaited.arg),
            Expr::Ident(name) => self.holders.contains(&name.sym),
            Expr::Member(member) => self.is_identities(member) || self.yields_identity(&member.obj),
            Expr::Call(call) => self.searches_identities(call),
            Expr::Bin(BinExpr {
                op: BinaryOp::LogicalOr | BinaryOp::LogicalAnd | BinaryOp::NullishCoalescing,
                left,
                right,
                ..
            }) => self.yields_identity(left) || self.yields_identity(right),
            Expr::Cond(cond) => self.yields_identity(&cond.cons) || self.yields_identity(&cond.alt),
            _ => false,
        }
    }

    /// `user.identities…`, through any alias of `user`.
    fn is_identities(&self, member: &MemberExpr) -> bool {
        split_chain(member).is_some_and(|(root, segments)| {
            self.ctx.bindings.param(root) == Some(Param::User)
                && segments.first().and_then(|s| s.name.as_deref()) == Some("identities")
        })
    }

    /// `identities.find(…)`, `identities.filter(…)`, or lodash's `_.find(identities, …)`.
    fn searches_identities(&self, call: &CallExpr) -> bool {
        let Callee::Expr(callee) = &call.callee else {
            return false;
        };
        let Expr::Member(method) = &**callee else {
            return false;
        };
        let lodash = matches!(&*method.obj, Expr::Ident(name) if &*name.sym == "_");
        if lodash {
            call.args.first().is_some_and(|arg| self.yields_identity(&arg.expr))
        } else {
            self.yields_identity(&method.obj)
        }
    }

    fn hold(&mut self, pat: &Pat) {
        if let Pat::Ident(binding) = pat {
            self.holders.insert(binding.id.sym.clone());
        }
    }
}

impl Visit for IdentityTokens<'_, '_> {
    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        if declarator
            .init
            .as_deref()
            .is_some_and(|init| self.yields_identity(init))
        {
            self.hold(&declarator.name);
            if let Pat::Object(object) = &declarator.name {
                for prop in &object.props {
                    let (key, span) = match prop {
                        ObjectPatProp::KeyValue(kv) => match &kv.key {
                            PropName::Ident(key) => (key.sym.clone(), key.span),
                            PropName::Str(key) => match key.value.as_atom() {
                                Some(value) => (value.clone(), key.span),
                                None => continue,
                            },
                            _ => continue,
                        },
                        ObjectPatProp::Assign(assign) => (assign.key.sym.clone(), assign.key.span),
                        ObjectPatProp::Rest(_) => continue,
                    };
                    if let Some(token) = IDENTITY_TOKENS.iter().find(|token| **token == &*key) {
                        self.found.push((span, token));
                    }
                }
            }
        }
        declarator.visit_children_with(self);
    }

    fn visit_for_of_stmt(&mut self, for_of: &ForOfStmt) {
        if self.yields_identity(&for_of.right) {
            if let ForHead::VarDecl(decl) = &for_of.left {
                for declarator in &decl.decls {
                    self.hold(&declarator.name);
                }
            }
        }
        for_of.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Ident(name)) = &assign.left {
            if self.yields_identity(&assign.right) {
                self.holders.insert(name.id.sym.clone());
            }
        }
        assign.visit_children_with(self);
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        // `identities.forEach(function (identity) {…})`: the callback's first parameter is an
        // entry.
        if self.searches_identities(call) {
            for arg in &call.args {
                let first = match &*arg.expr {
                    Expr::Fn(function) => function.function.params.first().map(|param| &param.pat),
                    Expr::Arrow(arrow) => arrow.params.first(),
                    _ => None,
                };
                if let Some(first) = first {
                    self.hold(first);
                }
            }
        }
        call.visit_children_with(self);
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        let key = match &member.prop {
            MemberProp::Ident(name) => Some(name.sym.to_string()),
            MemberProp::Computed(ComputedPropName { expr, .. }) => match &**expr {
                Expr::Lit(Lit::Str(key)) => key.value.as_atom().map(|key| key.to_string()),
                _ => None,
            },
            MemberProp::PrivateName(_) => None,
        };
        let token = key.and_then(|key| IDENTITY_TOKENS.iter().find(|token| **token == key));
        if let Some(token) = token {
            if self.yields_identity(&member.obj) {
                self.found.push((member.span, token));
            }
        }
        member.visit_children_with(self);
    }
}

fn flag_identity_tokens(ctx: &mut Ctx<'_>) {
    let mut finder = IdentityTokens {
        ctx,
        holders: FxHashSet::default(),
        found: Vec::new(),
    };
    ctx.parsed.visit(&mut finder);
    let found = finder.found;
    for (span, token) in found {
        ctx.flag(
            Code::IdentityProviderToken,
            &span,
            format!("the identity provider's {token} is not in Actions: read it from the Management API (GET /api/v2/users/{{id}}, scope read:user_idp_tokens) with a machine-to-machine application"),
        );
    }
}

/// The root user fields the rule maps into its SAML response, with where: the values of
/// `context.samlConfiguration.mappings = { uri: 'field' }` and of `mappings[uri] = 'field'`.
fn saml_mapped_fields(model: &Model) -> Vec<(String, BytePos)> {
    let mut fields = Vec::new();
    for write in &model.context_writes {
        let names: Vec<Option<&str>> = write.names.iter().map(|name| name.as_deref()).collect();
        let values: Vec<&Expr> = match (names.as_slice(), &*write.assign.right) {
            ([Some("samlConfiguration"), Some("mappings")], Expr::Object(object)) => object
                .props
                .iter()
                .filter_map(|prop| match prop {
                    PropOrSpread::Prop(prop) => match &**prop {
                        Prop::KeyValue(entry) => Some(&*entry.value),
                        _ => None,
                    },
                    PropOrSpread::Spread(_) => None,
                })
                .collect(),
            ([Some("samlConfiguration"), Some("mappings"), _], value) => vec![value],
            _ => continue,
        };
        for value in values {
            if let Expr::Lit(Lit::Str(field)) = value {
                if let Some(field) = field.value.as_atom() {
                    let root = field.split(['.', '[']).next().unwrap_or_default();
                    fields.push((root.to_string(), write.assign.span.lo));
                }
            }
        }
    }
    fields
}

/// Tests of a local holding an object Actions always provide (`var metadata =
/// user.app_metadata; if (!metadata)`), for `user` and `context` alike: converted like a test of
/// the property itself when the name is bound once and never reassigned, else flagged (locals are
/// matched by name).
fn held_metadata_tests(ctx: &mut Ctx<'_>) {
    for held in held_tests(ctx.parsed, &ctx.bindings) {
        let (object, always_present) = match held.param {
            Param::User => ("user", USER_METADATA),
            Param::Context => ("context", CONTEXT_ALWAYS_PRESENT),
            Param::Callback => continue,
        };
        if !always_present.contains(&held.property.as_str()) {
            continue;
        }
        let (local, property) = (&held.local.sym, &held.property);
        if held.exact {
            let name = format!("`{local}` ({object}.{property})");
            emptiness_test(ctx, held.existence, held.local.span, &name);
        } else {
            ctx.flag(
                Code::AlwaysPresentTest,
                &held.existence.test,
                format!("`{local}` may hold {object}.{property}, which Actions always provide: then this test always says it is there; test Object.keys({local}).length instead"),
            );
        }
    }
}

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    if ctx.text.contains("identities") {
        flag_identity_tokens(ctx);
    }
    if ctx.text.contains("etadata") {
        held_metadata_tests(ctx);
    }
    let saml_fields = saml_mapped_fields(model);
    let mut handler = UserReads {
        ctx,
        saml_fields,
        written: FxHashMap::default(),
    };
    replay(&model.accesses, &mut handler);
}
