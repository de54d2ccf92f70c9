//! What one rule shares with the others (mapping §0.3, §4.7): `global.X` values, which survive
//! between executions and are seen by every rule, and properties a rule writes into `user` or
//! `context` that a later rule reads. Actions see neither: each has its own module scope and its
//! own copy of `event`. This is a simple syntactic analysis of the rule text: member chains rooted
//! at the rule's `user` and `context` parameters (whatever their names) or at `global`, with a
//! static first property (and a static second one under `app_metadata` / `user_metadata`).
//! Shadowing is not tracked; writes through aliases (`const m = user.app_metadata; m.x = 1`) and
//! through method calls (`user.roles.push(…)`) are not seen.

use crate::mapping::{context_part, USER_METADATA};
use crate::parse::{parse, ParsedFile, ParsedProgram};
use crate::placeholders::mask;
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

/// Analyses one rule's text; `None` when it does not parse.
pub fn facts(text: &str) -> Option<Facts> {
    let masked = mask(text);
    let parsed = parse(&masked.text).ok()?;
    let (user, context) = rule_parameters(&parsed);
    let mut walker = Walker {
        user,
        context,
        facts: Facts {
            globals: super::global_helpers::scan(&parsed, text),
            ..Facts::default()
        },
    };
    parsed.visit(&mut walker);
    Some(walker.facts)
}

/// The names of the rule's first two parameters, `user` and `context` when they cannot be found.
fn rule_parameters(parsed: &ParsedFile) -> (String, String) {
    let function = match &parsed.program {
        ParsedProgram::Expr(expr) => params_of_expr(expr),
        ParsedProgram::Script(script) => script.body.iter().find_map(|stmt| match stmt {
            Stmt::Decl(Decl::Fn(f)) => params_of_function(&f.function),
            Stmt::Expr(ExprStmt { expr, .. }) => match &**expr {
                Expr::Assign(assign) => params_of_expr(&assign.right),
                other => params_of_expr(other),
            },
            _ => None,
        }),
    };
    function.unwrap_or_else(|| ("user".to_string(), "context".to_string()))
}

fn params_of_expr(expr: &Expr) -> Option<(String, String)> {
    match expr {
        Expr::Fn(f) => params_of_function(&f.function),
        Expr::Paren(p) => params_of_expr(&p.expr),
        Expr::Arrow(arrow) if arrow.params.len() >= 2 => {
            Some((pat_name(&arrow.params[0])?, pat_name(&arrow.params[1])?))
        }
        _ => None,
    }
}

fn params_of_function(function: &Function) -> Option<(String, String)> {
    if function.params.len() < 2 {
        return None;
    }
    Some((pat_name(&function.params[0].pat)?, pat_name(&function.params[1].pat)?))
}

fn pat_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(binding) => Some(binding.id.sym.to_string()),
        _ => None,
    }
}

struct Walker {
    user: String,
    context: String,
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

impl Walker {
    /// The shared-state path of a member chain, with whether it is a global.
    fn path(&self, member: &MemberExpr) -> Option<(bool, String)> {
        let (root, names) = split(member)?;
        let first = names.first()?.as_ref()?;
        let root = root.sym.as_ref();
        if root == "global" {
            return Some((true, format!("global.{first}")));
        }
        if root == self.user {
            if USER_METADATA.contains(&first.as_str()) {
                return Some(match names.get(1) {
                    Some(Some(second)) => (false, format!("user.{first}.{second}")),
                    Some(None) => return None,
                    None => (false, format!("user.{first}")),
                });
            }
            return Some((false, format!("user.{first}")));
        }
        if root == self.context && context_part(first).is_none() {
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

impl Visit for Walker {
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
