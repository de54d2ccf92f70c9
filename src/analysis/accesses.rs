//! Accesses to the Rules objects: every member chain rooted at a rule parameter, an alias of one or
//! a Rules global (`context.request.geoip.country_code`, `req.userAgent`), as a typed path with the
//! role it plays (read, tested, written, deleted), found once, outermost first, so `a.b.c` is seen
//! whole and not as `a.b` too. An alias's uses carry the path it stands for.
//!
//! The rewrites that work on accesses (Management API, secrets, context reads, user reads, global
//! state) do not walk the tree: `replay` hands each the accesses it wants, in source order. A
//! rewrite's `wants` is asked at replay time, so what an earlier rewrite claimed is left alone.

use super::scope::{Bindings, Param};
use crate::parse::ParsedFile;
use rustc_hash::FxHashMap;
use swc_atoms::Atom;
use swc_common::Span;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Read,
    /// Read only to learn whether it is there: `if (a.b)`, `!a.b`, `a.b && …`,
    /// `typeof a.b === 'undefined'`, `a.b == null`.
    Test(Existence),
    /// Target of `=`, `+=`, `++`, …
    Write,
    /// Target of a write that only fills in a missing value: `a.b = a.b || d`, `a.b ??= d`.
    Default,
    Delete,
}

impl Role {
    pub fn writes(self) -> bool {
        matches!(self, Role::Write | Role::Default | Role::Delete)
    }

    pub fn tests(self) -> bool {
        matches!(self, Role::Test(_))
    }
}

/// A test of whether a value is there, as written: what a rewrite replaces when Actions always
/// provide the value (an empty object where Rules had none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Existence {
    /// The whole test: `!a.b`, `typeof a.b === 'undefined'`, or just `a.b` in `if (a.b)`.
    pub test: Span,
    /// Whether the test holds when the value is absent (`!a.b`, `a.b === undefined`).
    pub when_absent: bool,
    /// Whether a replacement must be parenthesised: the test is an operand of `!`, or of an
    /// expression whose precedence is not known here.
    pub grouped: bool,
    /// The test only guards a read of one key right after it (`a.b && a.b.c`, `!a.b || !a.b.c`):
    /// the result is the same when the value is an empty object, so it needs no change.
    pub guard: bool,
}

impl Existence {
    fn of(test: Span, when_absent: bool) -> Existence {
        Existence {
            test,
            when_absent,
            grouped: false,
            guard: false,
        }
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

/// A test of whether a local holding one property of a rule parameter is there:
/// `var metadata = user.app_metadata; if (!metadata)`.
pub struct HeldTest {
    pub param: Param,
    /// The property the local was given (`app_metadata`).
    pub property: String,
    /// The local, where it is tested.
    pub local: Ident,
    pub existence: Existence,
    /// Whether the name is bound once in the file and never assigned again, so that every use of
    /// it is the property.
    pub exact: bool,
}

/// Every test of whether a local declared as exactly `param.property` is there, except guards of
/// one key read (see [`Existence::guard`]). Locals are matched by name.
pub fn held_tests(parsed: &ParsedFile, bindings: &Bindings) -> Vec<HeldTest> {
    let mut holders = Holders {
        bindings,
        held: FxHashMap::default(),
        bound: FxHashMap::default(),
        assigned: Vec::new(),
    };
    parsed.visit(&mut holders);
    if holders.held.is_empty() {
        return Vec::new();
    }
    let mut tests = HeldTests {
        held: holders.held,
        found: Vec::new(),
    };
    parsed.visit(&mut ChainWalker { handler: &mut tests });
    for test in &mut tests.found {
        let name = &test.local.sym;
        test.exact = holders.bound.get(name) == Some(&1) && !holders.assigned.contains(name);
    }
    tests.found
}

/// Locals declared as one property of a rule parameter: `var metadata = user.app_metadata`, with
/// how often each name is bound and which are assigned.
struct Holders<'b> {
    bindings: &'b Bindings,
    held: FxHashMap<Atom, (Param, String)>,
    bound: FxHashMap<Atom, usize>,
    assigned: Vec<Atom>,
}

impl Visit for Holders<'_> {
    fn visit_binding_ident(&mut self, binding: &BindingIdent) {
        *self.bound.entry(binding.id.sym.clone()).or_default() += 1;
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Ident(target)) = &assign.left {
            self.assigned.push(target.id.sym.clone());
        }
        assign.visit_children_with(self);
    }

    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        if let (Pat::Ident(local), Some(Expr::Member(member))) = (&declarator.name, declarator.init.as_deref()) {
            if let Some((root, segments)) = split_chain(member) {
                if let (
                    Some(param),
                    [Segment {
                        name: Some(property), ..
                    }],
                ) = (self.bindings.param(root), segments.as_slice())
                {
                    self.held.insert(local.id.sym.clone(), (param, property.clone()));
                }
            }
        }
        declarator.visit_children_with(self);
    }
}

struct HeldTests {
    held: FxHashMap<Atom, (Param, String)>,
    found: Vec<HeldTest>,
}

impl ChainHandler for HeldTests {
    fn wants(&self, ident: &Ident) -> bool {
        self.held.contains_key(&ident.sym)
    }

    fn chain(&mut self, _root: &Ident, _segments: &[Segment], _role: Role) {}

    fn bare(&mut self, ident: &Ident, _shorthand: bool, role: Role) {
        let (Role::Test(existence), Some((param, property))) = (role, self.held.get(&ident.sym)) else {
            return;
        };
        if !existence.guard {
            self.found.push(HeldTest {
                param: *param,
                property: property.clone(),
                local: ident.clone(),
                existence,
                exact: false,
            });
        }
    }
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
        self.test_in(expr, false, false);
    }

    /// `grouped`: the expression is an operand of `!`; `guard`: it guards a read of one key right
    /// after it (see [`Existence`]).
    fn test_in(&mut self, expr: &Expr, grouped: bool, guard: bool) {
        let tested = |test: Span| Existence {
            test,
            when_absent: false,
            grouped,
            guard,
        };
        match expr {
            Expr::Member(member) if self.member(member, Role::Test(tested(member.span))) => {}
            Expr::Ident(ident) if self.handler.wants(ident) => {
                self.handler.bare(ident, false, Role::Test(tested(ident.span)))
            }
            Expr::Unary(unary) if unary.op == UnaryOp::Bang => self.negation(unary, grouped, guard),
            Expr::Bin(bin) if matches!(bin.op, BinaryOp::LogicalAnd | BinaryOp::LogicalOr) => {
                self.test_in(&bin.left, false, guards_key_read(bin));
                self.test(&bin.right);
            }
            Expr::Paren(paren) => self.test(&paren.expr),
            _ => expr.visit_with(self),
        }
    }

    /// `!a.b`: a test that holds when `a.b` is absent.
    fn negation(&mut self, unary: &UnaryExpr, grouped: bool, guard: bool) {
        let existence = Existence {
            test: unary.span,
            when_absent: true,
            grouped,
            guard,
        };
        if !self.tested_operand(&unary.arg, existence) {
            self.test_in(&unary.arg, true, false);
        }
    }

    /// Hands the handler `operand` as tested by `existence`, if it is a tracked chain or name.
    fn tested_operand(&mut self, operand: &Expr, existence: Existence) -> bool {
        match operand {
            Expr::Paren(paren) => self.tested_operand(&paren.expr, existence),
            Expr::Member(member) => self.member(member, Role::Test(existence)),
            Expr::Ident(ident) if self.handler.wants(ident) => {
                self.handler.bare(ident, false, Role::Test(existence));
                true
            }
            _ => false,
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
        let role = if fills_default(assign) {
            Role::Default
        } else {
            Role::Write
        };
        let handled = match &assign.left {
            AssignTarget::Simple(target) => self.target(target, role),
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
            // Where `!a.b` stands is not known here: a replacement keeps its parentheses.
            self.negation(unary, true, false);
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

    fn visit_bin_expr(&mut self, bin: &BinExpr) {
        if let Some((operand, other, when_absent)) = existence_comparison(bin) {
            if self.tested_operand(operand, Existence::of(bin.span, when_absent)) {
                other.visit_with(self);
                return;
            }
        }
        // The left of `a && b`, and of `!a || b`, is only tested wherever the expression stands:
        // its own value comes out only when it is falsy. (`a || b` may give `a` itself.)
        let tests_left = match bin.op {
            BinaryOp::LogicalAnd => true,
            BinaryOp::LogicalOr => negated(&bin.left).is_some(),
            _ => false,
        };
        if tests_left {
            self.test_in(&bin.left, false, guards_key_read(bin));
            bin.right.visit_with(self);
        } else {
            bin.visit_children_with(self);
        }
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

/// `a === undefined`, `a == null`, `a === void 0`, `typeof a === 'undefined'` (or `'object'`) and
/// their negations: the operand tested, the other side, and whether the comparison holds when the
/// operand is absent.
fn existence_comparison(bin: &BinExpr) -> Option<(&Expr, &Expr, bool)> {
    let (equal, loose) = match bin.op {
        BinaryOp::EqEqEq => (true, false),
        BinaryOp::EqEq => (true, true),
        BinaryOp::NotEqEq => (false, false),
        BinaryOp::NotEq => (false, true),
        _ => return None,
    };
    for (value, other) in [(&*bin.left, &*bin.right), (&*bin.right, &*bin.left)] {
        let when_absent = match (value, other) {
            (
                Expr::Unary(UnaryExpr {
                    op: UnaryOp::TypeOf,
                    arg,
                    ..
                }),
                Expr::Lit(Lit::Str(kind)),
            ) => match kind.value.as_atom().map(|kind| kind.to_string()).as_deref() {
                Some("undefined") => return Some((arg, other, equal)),
                Some("object") => return Some((arg, other, !equal)),
                _ => continue,
            },
            (_, Expr::Ident(name)) if &*name.sym == "undefined" => equal,
            (_, Expr::Unary(UnaryExpr { op: UnaryOp::Void, .. })) => equal,
            (_, Expr::Lit(Lit::Null(_))) if loose => equal,
            _ => continue,
        };
        return Some((value, other, when_absent));
    }
    None
}

/// Whether `bin` tests `a.b` only to guard a read of one key of it, and gives the same result when
/// `a.b` is an empty object as when it is absent: `a.b && a.b.c`, `a.b && a.b.c === 'x'`,
/// `!a.b || !a.b.c`, `!a.b || a.b.c !== 'x'`.
fn guards_key_read(bin: &BinExpr) -> bool {
    // What the left side gives when `a.b` is absent; the right side must give the same when the
    // key is missing.
    let (tested, when_absent) = match (bin.op, negated(&bin.left)) {
        (BinaryOp::LogicalAnd, _) => (&*bin.left, false),
        (BinaryOp::LogicalOr, Some(tested)) => (tested, true),
        _ => return false,
    };
    let Some((read, when_missing)) = truth_of_key_read(&bin.right) else {
        return false;
    };
    match (static_path(tested), static_path(read)) {
        (Some(tested), Some(read)) => {
            when_missing == when_absent && read.len() == tested.len() + 1 && read.starts_with(&tested)
        }
        _ => false,
    }
}

/// A truth value computed from one read, with the value it has when the read gives `undefined`:
/// `a.c` (false), `!a.c` (true), `a.c === 'x'` (false), `a.c !== 'x'` (true).
fn truth_of_key_read(expr: &Expr) -> Option<(&Expr, bool)> {
    match expr {
        Expr::Paren(paren) => truth_of_key_read(&paren.expr),
        Expr::Unary(unary) if unary.op == UnaryOp::Bang => {
            truth_of_key_read(&unary.arg).map(|(read, when_missing)| (read, !when_missing))
        }
        Expr::Bin(bin) => {
            let differs = match bin.op {
                BinaryOp::EqEqEq | BinaryOp::EqEq => false,
                BinaryOp::NotEqEq | BinaryOp::NotEq => true,
                _ => return None,
            };
            // `undefined == null` holds: only a strict comparison may be with null.
            let strict = matches!(bin.op, BinaryOp::EqEqEq | BinaryOp::NotEqEq);
            let defined = |expr: &Expr| match expr {
                Expr::Lit(Lit::Str(_) | Lit::Num(_) | Lit::Bool(_)) => true,
                Expr::Lit(Lit::Null(_)) => strict,
                _ => false,
            };
            match (defined(&bin.left), defined(&bin.right)) {
                (false, true) => Some((&bin.left, differs)),
                (true, false) => Some((&bin.right, differs)),
                _ => None,
            }
        }
        _ => Some((expr, false)),
    }
}

/// Whether `assign` only fills in a missing value: `a.b = a.b || d`, `a.b = a.b ?? d`,
/// `a.b ||= d`, `a.b ??= d`.
fn fills_default(assign: &AssignExpr) -> bool {
    let AssignTarget::Simple(SimpleAssignTarget::Member(target)) = &assign.left else {
        return false;
    };
    match (assign.op, &*assign.right) {
        (AssignOp::OrAssign | AssignOp::NullishAssign, _) => true,
        (
            AssignOp::Assign,
            Expr::Bin(BinExpr {
                op: BinaryOp::LogicalOr | BinaryOp::NullishCoalescing,
                left,
                ..
            }),
        ) => {
            let target = member_path(target);
            target.is_some() && static_path(left) == target
        }
        _ => false,
    }
}

/// `x` of `!x`.
fn negated(expr: &Expr) -> Option<&Expr> {
    match expr {
        Expr::Unary(unary) if unary.op == UnaryOp::Bang => Some(&unary.arg),
        _ => None,
    }
}

/// `a.b['c']` as the names `[a, b, c]`, when every key is static.
fn static_path(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::Ident(ident) => Some(vec![ident.sym.to_string()]),
        Expr::Member(member) => member_path(member),
        _ => None,
    }
}

fn member_path(member: &MemberExpr) -> Option<Vec<String>> {
    let (root, segments) = split_chain(member)?;
    let mut names = vec![root.sym.to_string()];
    for segment in segments {
        names.push(segment.name?);
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rule::{find_rule, RuleSearch};
    use crate::analysis::scope::analyse;
    use crate::parse::parse;

    /// The role of the first access to the chain whose text is `chain`, in a rule with `body`,
    /// with the text of the test when it is one.
    fn role_of(body: &str, chain: &str) -> (Role, Option<String>) {
        let text = format!("function (user, context, callback) {{ {body} }}");
        let parsed = parse(&text).unwrap();
        let RuleSearch::Found { rule, .. } = find_rule(&parsed) else {
            panic!("no rule in {text}");
        };
        let bindings = analyse(&parsed, rule.function_lo, &rule.params);
        let role = collect(&parsed, &bindings)
            .into_iter()
            .find_map(|found| match found {
                ChainUse::Chain { segments, role, .. } => {
                    let span = segments.last().unwrap().span;
                    (text[parsed.range(span)] == *chain).then_some(role)
                }
                ChainUse::Bare { .. } => None,
            })
            .unwrap_or_else(|| panic!("no access to {chain} in {body}"));
        let test = match role {
            Role::Test(existence) => Some(text[parsed.range(existence.test)].to_string()),
            _ => None,
        };
        (role, test)
    }

    fn existence(body: &str, chain: &str) -> Existence {
        match role_of(body, chain).0 {
            Role::Test(existence) => existence,
            other => panic!("{chain} in {body} is {other:?}, not a test"),
        }
    }

    #[test]
    fn a_negation_is_a_test_of_absence_grouped_where_its_place_is_unknown() {
        let meta = "user.app_metadata";
        let (_, test) = role_of("if (!user.app_metadata) return;", meta);
        assert_eq!(test.as_deref(), Some("!user.app_metadata"));
        let in_if = existence("if (!user.app_metadata) return;", meta);
        assert!(in_if.when_absent && !in_if.grouped && !in_if.guard);
        assert!(existence("var fresh = !user.app_metadata;", meta).grouped);
        let double = existence("if (!!user.app_metadata) return;", meta);
        assert!(double.when_absent && double.grouped);
        assert!(!existence("if (user.app_metadata) return;", meta).when_absent);
    }

    #[test]
    fn comparisons_with_undefined_null_and_typeof_are_tests() {
        let meta = "user.app_metadata";
        for (body, when_absent) in [
            ("f(typeof user.app_metadata === 'undefined')", true),
            ("f('undefined' != typeof user.app_metadata)", false),
            ("f(typeof user.app_metadata !== 'object')", true),
            ("f(user.app_metadata === undefined)", true),
            ("f(undefined !== user.app_metadata)", false),
            ("f(user.app_metadata == null)", true),
            ("f(user.app_metadata === void 0)", true),
        ] {
            let found = existence(body, meta);
            assert_eq!(found.when_absent, when_absent, "{body}");
            let (_, test) = role_of(body, meta);
            assert_eq!(test.as_deref(), Some(&body[2..body.len() - 1]), "{body}");
        }
        // Rules never gave null: a strict comparison with it is an ordinary read.
        assert_eq!(role_of("f(user.app_metadata === null)", meta).0, Role::Read);
        assert_eq!(role_of("f(typeof user.app_metadata === 'string')", meta).0, Role::Read);
    }

    #[test]
    fn a_test_guarding_one_key_read_with_the_same_result_is_a_guard() {
        let meta = "user.app_metadata";
        for (body, guard) in [
            ("var p = user.app_metadata && user.app_metadata.plan;", true),
            ("if (user.app_metadata && user.app_metadata['plan'] === 'pro') {}", true),
            ("if (!user.app_metadata || !user.app_metadata.roles) {}", true),
            ("if (!user.app_metadata || user.app_metadata.plan !== 'free') {}", true),
            // Different results on an empty object than on a missing one:
            ("var mfa = !user.app_metadata || user.app_metadata.use_mfa;", false),
            ("if (user.app_metadata && !user.app_metadata.plan) {}", false),
            ("if (user.app_metadata && user.app_metadata.plan !== 'free') {}", false),
            ("if (user.app_metadata && user.app_metadata.a.b) {}", false),
            ("if (user.app_metadata && user.app_metadata.plan == null) {}", false),
        ] {
            assert_eq!(existence(body, meta).guard, guard, "{body}");
        }
    }

    #[test]
    fn a_default_is_a_read_and_filling_one_in_is_a_default_write() {
        assert_eq!(
            role_of("var m = user.app_metadata || {};", "user.app_metadata").0,
            Role::Read
        );
        assert_eq!(role_of("user.roles = user.roles || [];", "user.roles").0, Role::Default);
        assert_eq!(role_of("user.roles ??= [];", "user.roles").0, Role::Default);
        assert_eq!(role_of("user.roles = user.groups || [];", "user.roles").0, Role::Write);
        assert_eq!(role_of("delete user.roles;", "user.roles").0, Role::Delete);
    }
}
