//! What one rule shares with the others (mapping §0.3, §4.7): `global.X` values, which survive
//! between executions and are seen by every rule, and properties a rule writes into `user` or
//! `context` that a later rule reads. Actions see neither: each has its own module scope and its
//! own copy of `event`. It reads the tree and the bindings of the rule's conversion: member chains
//! rooted at the rule's `user` and `context` parameters (whatever their names, shadowing and aliases
//! resolved) or at `global`, with a static first property (and a static second one under
//! `app_metadata` / `user_metadata`). Writes through locals holding a part of `user`
//! (`const m = user.app_metadata; m.x = 1`) and through method calls (`user.roles.push(…)`) are
//! not seen.

use crate::analysis::scope::{Binding, Bindings, Global, Param};
use crate::mapping::{context_part, USER_METADATA};
use crate::parse::ParsedFile;
use std::collections::BTreeSet;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// The shared state one rule touches. Paths read `global.X`, `user.X`, `user.app_metadata.X`,
/// `context.X`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub global_writes: BTreeSet<String>,
    pub global_reads: BTreeSet<String>,
    pub state_writes: BTreeSet<String>,
    pub state_reads: BTreeSet<String>,
    /// The globals it defines for later rules, and where it reads globals.
    pub globals: super::global_helpers::RuleGlobals,
}

/// Analyses one rule's text, by converting it (migrate gets the facts from its own conversion, with
/// [`facts_of`]); `None` when it holds no rule that parses.
pub fn facts(text: &str) -> Option<Facts> {
    let mut facts = None;
    crate::convert::convert_inspecting(text, &crate::Limits::default(), &mut |parsed, _, bindings| {
        facts = Some(facts_of(parsed, text, bindings));
    });
    facts
}

/// The facts of a rule from the tree and bindings of its conversion (`text` as written, `parsed`
/// its masked text, of the same length).
pub fn facts_of(parsed: &ParsedFile, text: &str, bindings: &Bindings) -> Facts {
    let mut walker = Walker {
        bindings,
        facts: Facts {
            globals: super::global_helpers::scan(parsed, text),
            ..Facts::default()
        },
    };
    parsed.visit(&mut walker);
    walker.facts
}

struct Walker<'b> {
    bindings: &'b Bindings,
    facts: Facts,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Read,
    Write,
    ReadWrite,
}

/// `a.b['c'].d` as its root and the static names of its properties (None for a computed one).
pub(super) fn split(member: &MemberExpr) -> Option<(&Ident, Vec<Option<String>>)> {
    let mut names = Vec::new();
    let mut current = member;
    loop {
        names.push(match &current.prop {
            MemberProp::Ident(name) => Some(name.sym.to_string()),
            MemberProp::Computed(ComputedPropName { expr, .. }) => match &**expr {
                Expr::Lit(Lit::Str(s)) => s.value.as_atom().map(|a| a.to_string()),
                _ => None,
            },
            MemberProp::PrivateName(_) => None,
        });
        match unwrap_object(&current.obj) {
            Some(inner) => current = inner,
            None => {
                let Expr::Ident(root) = strip(&current.obj) else {
                    return None;
                };
                names.reverse();
                return Some((root, names));
            }
        }
    }
}

fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => strip(&p.expr),
        other => other,
    }
}

fn unwrap_object(expr: &Expr) -> Option<&MemberExpr> {
    match strip(expr) {
        Expr::Member(inner) => Some(inner),
        Expr::OptChain(OptChainExpr { base, .. }) => match &**base {
            OptChainBase::Member(inner) => Some(inner),
            OptChainBase::Call(_) => None,
        },
        _ => None,
    }
}

impl Walker<'_> {
    /// The shared-state path of a member chain, with whether it is a global.
    fn path(&self, member: &MemberExpr) -> Option<(bool, String)> {
        let (root, names) = split(member)?;
        let binding = self.bindings.resolve(root)?.binding;
        // Through an alias (`var req = context.request`), the path starts below it.
        let mut names: Vec<Option<String>> = names;
        let prefix = self.bindings.alias_path(root);
        names.splice(0..0, prefix.iter().map(|name| Some(name.to_string())));
        let first = names.first()?.as_ref()?;
        if binding == Binding::Global(Global::Global) {
            return Some((true, format!("global.{first}")));
        }
        if binding == Binding::Param(Param::User) {
            if USER_METADATA.contains(&first.as_str()) {
                return Some(match names.get(1) {
                    Some(Some(second)) => (false, format!("user.{first}.{second}")),
                    Some(None) => return None,
                    None => (false, format!("user.{first}")),
                });
            }
            return Some((false, format!("user.{first}")));
        }
        if binding == Binding::Param(Param::Context) && context_part(first).is_none() {
            return Some((false, format!("context.{first}")));
        }
        None
    }

    fn record(&mut self, member: &MemberExpr, role: Role) {
        let Some((global, path)) = self.path(member) else {
            return;
        };
        let (writes, reads) = if global {
            (&mut self.facts.global_writes, &mut self.facts.global_reads)
        } else {
            (&mut self.facts.state_writes, &mut self.facts.state_reads)
        };
        if matches!(role, Role::Write | Role::ReadWrite) {
            writes.insert(path.clone());
        }
        if matches!(role, Role::Read | Role::ReadWrite) {
            reads.insert(path);
        }
    }

    /// Visits what a written chain reads on the way: its computed keys.
    fn visit_keys(&mut self, member: &MemberExpr) {
        let mut current = member;
        loop {
            if let MemberProp::Computed(computed) = &current.prop {
                computed.expr.visit_with(self);
            }
            match unwrap_object(&current.obj) {
                Some(inner) => current = inner,
                None => {
                    current.obj.visit_with(self);
                    break;
                }
            }
        }
    }
}

/// `x = x || …` / `x = x ?? …` / `x ||= …`: only makes sure the value exists. For `user` and
/// `context` that is no value passed on; for a global it is the value (a cache being filled).
fn only_defaults(assign: &AssignExpr, target: &MemberExpr) -> bool {
    match assign.op {
        AssignOp::OrAssign | AssignOp::NullishAssign => true,
        AssignOp::Assign => match strip(&assign.right) {
            Expr::Bin(BinExpr {
                op: BinaryOp::LogicalOr | BinaryOp::NullishCoalescing,
                left,
                ..
            }) => match strip(left) {
                Expr::Member(left) => same_chain(left, target),
                _ => false,
            },
            _ => false,
        },
        _ => false,
    }
}

fn same_chain(a: &MemberExpr, b: &MemberExpr) -> bool {
    match (split(a), split(b)) {
        (Some((ra, na)), Some((rb, nb))) => ra.sym == rb.sym && na == nb && na.iter().all(Option::is_some),
        _ => false,
    }
}

impl Visit for Walker<'_> {
    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left {
            let global = self.path(member).is_some_and(|(global, _)| global);
            let role = if only_defaults(assign, member) && !global {
                Role::Read
            } else if assign.op == AssignOp::Assign {
                Role::Write
            } else {
                Role::ReadWrite
            };
            self.record(member, role);
            self.visit_keys(member);
        } else {
            assign.left.visit_with(self);
        }
        assign.right.visit_with(self);
    }

    fn visit_update_expr(&mut self, update: &UpdateExpr) {
        if let Expr::Member(member) = strip(&update.arg) {
            self.record(member, Role::ReadWrite);
            self.visit_keys(member);
        } else {
            update.arg.visit_with(self);
        }
    }

    fn visit_unary_expr(&mut self, unary: &UnaryExpr) {
        if unary.op == UnaryOp::Delete {
            if let Expr::Member(member) = strip(&unary.arg) {
                self.record(member, Role::Write);
                self.visit_keys(member);
                return;
            }
        }
        unary.visit_children_with(self);
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        self.record(member, Role::Read);
        member.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn globals_and_state_under_any_parameter_names() {
        let facts = facts(
            "function (u, ctx, cb) {\n  global.cache = global.cache || {};\n  global.token = 'x';\n  \
             u.app_metadata.roles = ['a'];\n  u.app_metadata = u.app_metadata || {};\n  ctx.flag = true;\n  \
             ctx.idToken['x'] = u.nickname;\n  if (ctx.seen) cb(null, u, ctx);\n}",
        )
        .unwrap();
        assert_eq!(facts.global_writes, set(&["global.cache", "global.token"]));
        assert_eq!(facts.global_reads, set(&["global.cache"]));
        assert_eq!(facts.state_writes, set(&["context.flag", "user.app_metadata.roles"]));
        assert_eq!(
            facts.state_reads,
            set(&["context.seen", "user.app_metadata", "user.nickname"])
        );
    }

    #[test]
    fn placeholders_and_module_exports() {
        let facts =
            facts("module.exports = function (user, context, cb) { user.env = @@ENV@@; cb(null, user, context); };")
                .unwrap();
        assert_eq!(facts.state_writes, set(&["user.env"]));
    }

    #[test]
    fn unparsable_text_has_no_facts() {
        assert!(facts("function (user, context, callback) {").is_none());
    }
}
