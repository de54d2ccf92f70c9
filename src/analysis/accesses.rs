//! Accesses to the Rules objects: every member chain rooted at a rule parameter, an alias of one or
//! a Rules global (`context.request.geoip.country_code`, `req.userAgent`), as a typed path with the
//! role it plays (read, tested, written, deleted), found once, outermost first, so `a.b.c` is seen
//! whole and not as `a.b` too. An alias's uses carry the path it stands for.
//!
//! The rewrites that work on accesses (Management API, secrets, context reads, user reads, global
//! state) do not walk the tree: `replay` hands each the accesses it wants, in source order. A
//! rewrite's `wants` is asked at replay time, so what an earlier rewrite claimed is left alone.

use super::scope::Bindings;
use crate::parse::ParsedFile;
use swc_common::Span;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Read,
    /// Read only for its truthiness: `if (a.b)`, `!a.b`, `a.b && …`.
    Test,
    /// Target of `=`, `+=`, `++`, …
    Write,
    Delete,
}

impl Role {
    pub fn writes(self) -> bool {
        matches!(self, Role::Write | Role::Delete)
    }
}

#[derive(Clone)]
pub struct Segment {
    /// The property name, when it is known statically (`.a` or `['a']`).
    pub name: Option<String>,
    /// Span of the chain up to and including this segment.
    pub span: Span,
    /// Whether the segment is reached with `?.`.
    pub optional: bool,
    /// The key expression of a computed segment (`[namespace + 'x']`).
    pub key: Option<Box<Expr>>,
}

pub trait ChainHandler {
    /// Whether chains rooted at this identifier are of interest.
    fn wants(&self, ident: &Ident) -> bool;
    fn chain(&mut self, root: &Ident, segments: &[Segment], role: Role);
    /// A use of the identifier outside any member chain; `shorthand` for `{ ident }`.
    fn bare(&mut self, ident: &Ident, shorthand: bool, role: Role);
}

fn segment(member: &MemberExpr, span: Span, optional: bool) -> Segment {
    let (name, key) = match &member.prop {
        MemberProp::Ident(name) => (Some(name.sym.to_string()), None),
        MemberProp::Computed(ComputedPropName { expr, .. }) => match &**expr {
            Expr::Lit(Lit::Str(s)) => (s.value.as_atom().map(|a| a.to_string()), Some(expr.clone())),
            _ => (None, Some(expr.clone())),
        },
        MemberProp::PrivateName(_) => (None, None),
    };
    Segment {
        name,
        span,
        optional,
        key,
    }
}

/// The identifier a member chain starts from, without building its segments.
fn chain_root(mut expr: &Expr) -> Option<&Ident> {
    loop {
        match expr {
            Expr::Member(member) => expr = &member.obj,
            Expr::OptChain(OptChainExpr { base, .. }) => match &**base {
                OptChainBase::Member(member) => expr = &member.obj,
                OptChainBase::Call(_) => return None,
            },
            Expr::Ident(root) => return Some(root),
            _ => return None,
        }
    }
}

/// Splits `a.b['c']?.d` into its root and segments, outermost last.
pub fn split_chain(member: &MemberExpr) -> Option<(&Ident, Vec<Segment>)> {
    split_expr(member, member.span, false)
}

fn split_expr(member: &MemberExpr, span: Span, optional: bool) -> Option<(&Ident, Vec<Segment>)> {
    let mut segments = vec![segment(member, span, optional)];
    let mut current = &*member.obj;
    loop {
        match current {
            Expr::Member(inner) => {
                segments.push(segment(inner, inner.span, false));
                current = &inner.obj;
            }
            Expr::OptChain(OptChainExpr {
                base, optional, span, ..
            }) => match &**base {
                OptChainBase::Member(inner) => {
                    segments.push(segment(inner, *span, *optional));
                    current = &inner.obj;
                }
                OptChainBase::Call(_) => return None,
            },
            Expr::Ident(root) => {
                segments.reverse();
                return Some((root, segments));
            }
            _ => return None,
        }
    }
}

/// A use of a rule parameter or a Rules global, as the walker meets it.
pub enum ChainUse {
    Chain {
        root: Ident,
        segments: Vec<Segment>,
        role: Role,
    },
    Bare {
        ident: Ident,
        shorthand: bool,
        role: Role,
    },
}

/// Every chain and bare use rooted at a rule parameter or a Rules global, in walk order.
pub fn collect(parsed: &ParsedFile, bindings: &Bindings) -> Vec<ChainUse> {
    let mut recorder = Recorder {
        bindings,
        uses: Vec::new(),
    };
    parsed.visit(&mut ChainWalker { handler: &mut recorder });
    recorder.uses
}

/// Hands `handler` the uses it wants, in order, as a walk of its own would.
pub fn replay(uses: &[ChainUse], handler: &mut impl ChainHandler) {
    for chain_use in uses {
        match chain_use {
            ChainUse::Chain { root, segments, role } if handler.wants(root) => handler.chain(root, segments, *role),
            ChainUse::Bare { ident, shorthand, role } if handler.wants(ident) => handler.bare(ident, *shorthand, *role),
            _ => {}
        }
    }
}

struct Recorder<'b> {
    bindings: &'b Bindings,
    uses: Vec<ChainUse>,
}

impl Recorder<'_> {
    /// The segments an alias stands for (`req` for `context.request`), each covering the alias's
    /// name, so that a rewrite replacing a chain up to one of them replaces the name.
    fn alias_segments(&self, root: &Ident) -> Vec<Segment> {
        self.bindings
            .alias_path(root)
            .iter()
            .map(|name| Segment {
                name: Some(name.to_string()),
                span: root.span,
                optional: false,
                key: None,
            })
            .collect()
    }
}

impl ChainHandler for Recorder<'_> {
    fn wants(&self, ident: &Ident) -> bool {
        self.bindings.resolve(ident).is_some()
    }

    fn chain(&mut self, root: &Ident, segments: &[Segment], role: Role) {
        let mut full = self.alias_segments(root);
        full.extend_from_slice(segments);
        self.uses.push(ChainUse::Chain {
            root: root.clone(),
            segments: full,
            role,
        });
    }

    fn bare(&mut self, ident: &Ident, shorthand: bool, role: Role) {
        let segments = self.alias_segments(ident);
        // An alias of a part (`req`) is that part's chain; aliases are never shorthand properties.
        let chain_use = if segments.is_empty() {
            ChainUse::Bare {
                ident: ident.clone(),
                shorthand,
                role,
            }
        } else {
            ChainUse::Chain {
                root: ident.clone(),
                segments,
                role,
            }
        };
        self.uses.push(chain_use);
    }
}

struct ChainWalker<'h, H: ChainHandler> {
    handler: &'h mut H,
}

impl<H: ChainHandler> ChainWalker<'_, H> {
    /// Handles `member` if its root is wanted; returns false when it is not a tracked chain.
    fn member(&mut self, member: &MemberExpr, role: Role) -> bool {
        // Find the root before building the segments: most chains are not tracked, and the
        // walker meets every inner link of a long chain again.
        if !chain_root(&member.obj).is_some_and(|root| self.handler.wants(root)) {
            return false;
        }
        self.chain(split_chain(member), role)
    }

    fn chain(&mut self, split: Option<(&Ident, Vec<Segment>)>, role: Role) -> bool {
        let Some((root, segments)) = split else {
            return false;
        };
        if !self.handler.wants(root) {
            return false;
        }
        self.handler.chain(root, &segments, role);
        // Computed keys may hold other tracked uses: `context.idToken[user.x]`.
        for key in segments.iter().filter_map(|s| s.key.as_ref()) {
            key.visit_with(self);
        }
        true
    }

    /// Visits an expression whose value only decides a branch.
    fn test(&mut self, expr: &Expr) {
        match expr {
            Expr::Member(member) if self.member(member, Role::Test) => {}
            Expr::Ident(ident) if self.handler.wants(ident) => self.handler.bare(ident, false, Role::Test),
            Expr::Bin(BinExpr {
                op: BinaryOp::LogicalAnd | BinaryOp::LogicalOr,
                left,
                right,
                ..
            }) => {
                self.test(left);
                self.test(right);
            }
            Expr::Paren(paren) => self.test(&paren.expr),
            _ => expr.visit_with(self),
        }
    }

    fn target(&mut self, target: &SimpleAssignTarget, role: Role) -> bool {
        match target {
            SimpleAssignTarget::Member(member) => self.member(member, role),
            SimpleAssignTarget::Ident(binding) if self.handler.wants(&binding.id) => {
                self.handler.bare(&binding.id, false, role);
                true
            }
            _ => false,
        }
    }
}

impl<H: ChainHandler> Visit for ChainWalker<'_, H> {
    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        let handled = match &assign.left {
            AssignTarget::Simple(target) => self.target(target, Role::Write),
            AssignTarget::Pat(_) => false,
        };
        if !handled {
            assign.left.visit_with(self);
        }
        assign.right.visit_with(self);
    }

    fn visit_update_expr(&mut self, update: &UpdateExpr) {
        let handled = match &*update.arg {
            Expr::Member(member) => self.member(member, Role::Write),
            _ => false,
        };
        if !handled {
            update.arg.visit_with(self);
        }
    }

    fn visit_unary_expr(&mut self, unary: &UnaryExpr) {
        if unary.op == UnaryOp::Bang {
            self.test(&unary.arg);
            return;
        }
        if unary.op == UnaryOp::Delete {
            if let Expr::Member(member) = &*unary.arg {
                if self.member(member, Role::Delete) {
                    return;
                }
            }
        }
        unary.visit_children_with(self);
    }

    fn visit_if_stmt(&mut self, if_stmt: &IfStmt) {
        self.test(&if_stmt.test);
        if_stmt.cons.visit_with(self);
        if_stmt.alt.visit_with(self);
    }

    fn visit_cond_expr(&mut self, cond: &CondExpr) {
        self.test(&cond.test);
        cond.cons.visit_with(self);
        cond.alt.visit_with(self);
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        if !self.member(member, Role::Read) {
            member.visit_children_with(self);
        }
    }

    fn visit_opt_chain_expr(&mut self, chain: &OptChainExpr) {
        let split = match &*chain.base {
            OptChainBase::Member(member) => split_expr(member, chain.span, chain.optional),
            OptChainBase::Call(_) => None,
        };
        if !self.chain(split, Role::Read) {
            chain.visit_children_with(self);
        }
    }

    fn visit_prop(&mut self, prop: &Prop) {
        match prop {
            Prop::Shorthand(ident) if self.handler.wants(ident) => self.handler.bare(ident, true, Role::Read),
            _ => prop.visit_children_with(self),
        }
    }

    fn visit_ident(&mut self, ident: &Ident) {
        if self.handler.wants(ident) {
            self.handler.bare(ident, false, Role::Read);
        }
    }
}
