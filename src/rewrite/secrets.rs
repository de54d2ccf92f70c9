//! Secrets (mapping §4.4): `configuration.KEY`, `configuration['KEY']` and
//! `const { A, B } = configuration` read `event.secrets` instead. Every name used is recorded, since
//! each Action declares its own secrets.

use super::Ctx;
use crate::analysis::accesses::{replay, ChainHandler, Role, Segment};
use crate::analysis::model::Model;
use crate::analysis::scope::Global;
use crate::diagnostics::Code;
use rustc_hash::FxHashMap;
use swc_common::BytePos;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

struct Secrets<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    /// `const { A, B } = configuration`: the names destructured, by the position of `configuration`.
    destructured: FxHashMap<BytePos, Vec<String>>,
}

impl Secrets<'_, '_> {
    /// Rewrites one use; returns false (after flagging it) where `event` is out of reach.
    fn rewrite(&mut self, ident: &Ident) -> bool {
        self.ctx.claim(ident);
        let inside_rule = self.ctx.bindings.resolve(ident).and_then(|r| r.depth).is_some();
        if !inside_rule {
            self.ctx.flag(
                Code::SecretsOutsideRule,
                ident,
                "configuration is read outside the rule function, where event.secrets is out of reach",
            );
            return false;
        }
        let range = self.ctx.range(ident.span);
        self.ctx.edits.replace(range, "event.secrets");
        true
    }

    fn record(&mut self, ident: &Ident, names: impl IntoIterator<Item = String>) {
        self.ctx.secrets.extend(names);
        self.ctx
            .report(Code::Secrets, ident, "configuration converted to event.secrets");
    }
}

impl ChainHandler for Secrets<'_, '_> {
    fn wants(&self, ident: &Ident) -> bool {
        self.ctx.bindings.global(ident) == Some(Global::Configuration) && !self.ctx.is_claimed(ident)
    }

    fn chain(&mut self, root: &Ident, segments: &[Segment], role: Role) {
        if role.writes() {
            self.ctx.flag(
                Code::SecretsOutsideRule,
                root,
                "configuration is written; Action secrets are read-only",
            );
        }
        if !self.rewrite(root) {
            return;
        }
        match &segments[0].name {
            Some(name) => self.record(root, [name.clone()]),
            None => {
                let span = segments[0].span;
                self.ctx.flag(
                    Code::SecretsOutsideRule,
                    &span,
                    "a secret is read with a name computed at run time; add the secrets it may name to the Action",
                );
            }
        }
    }

    fn bare(&mut self, ident: &Ident, _shorthand: bool, _role: Role) {
        let names = self.destructured.get(&ident.span.lo).cloned();
        if !self.rewrite(ident) {
            return;
        }
        match names {
            Some(names) => self.record(ident, names),
            None => self.ctx.flag(
                Code::SecretsOutsideRule,
                ident,
                "configuration is used as a whole; add the secrets the code reads to the Action",
            ),
        }
    }
}

/// Finds `const { A, B: b } = configuration`.
struct Destructuring<'c, 'a> {
    ctx: &'c Ctx<'a>,
    found: FxHashMap<BytePos, Vec<String>>,
}

impl Visit for Destructuring<'_, '_> {
    fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
        if let (Pat::Object(pattern), Some(init)) = (&decl.name, &decl.init) {
            if let Expr::Ident(ident) = &**init {
                if self.ctx.bindings.global(ident) == Some(Global::Configuration) {
                    let names = pattern.props.iter().map(|prop| match prop {
                        ObjectPatProp::KeyValue(kv) => match &kv.key {
                            PropName::Ident(name) => Some(name.sym.to_string()),
                            PropName::Str(s) => s.value.as_atom().map(|a| a.to_string()),
                            _ => None,
                        },
                        ObjectPatProp::Assign(assign) => Some(assign.key.id.sym.to_string()),
                        ObjectPatProp::Rest(_) => None,
                    });
                    if let Some(names) = names.collect::<Option<Vec<_>>>() {
                        self.found.insert(ident.span.lo, names);
                    }
                }
            }
        }
        decl.visit_children_with(self);
    }
}

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let chain_uses = &model.accesses;
    if !ctx.bindings.uses(Global::Configuration) {
        return;
    }
    let parsed = ctx.parsed;
    let mut finder = Destructuring {
        ctx,
        found: FxHashMap::default(),
    };
    parsed.visit(&mut finder);
    let destructured = finder.found;
    let mut handler = Secrets { ctx, destructured };
    replay(chain_uses, &mut handler);
}
