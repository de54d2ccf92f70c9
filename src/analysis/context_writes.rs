//! Assignments to `context.*` (`context.idToken[k] = v`, `context.redirect = {…}`), found once
//! for the rewrites of side effects, with whether each is a statement of its own.

use super::accesses::split_chain;
use super::scope::{Bindings, Param};
use crate::parse::ParsedFile;
use rustc_hash::FxHashSet;
use std::ops::Range;
use swc_common::{BytePos, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

pub struct ContextWrite {
    pub assign: AssignExpr,
    pub root: Ident,
    /// The property names after `context`, `None` where computed at run time.
    pub names: Vec<Option<String>>,
    /// The key expression of each computed segment (`context.idToken[namespace + 'x']`).
    pub computed: Vec<Option<Box<Expr>>>,
    /// The statement's range when the assignment is a statement of its own.
    pub statement: Option<Range<usize>>,
    /// Whether that statement stands directly in a block (so it may become several statements).
    pub in_block: bool,
}

impl ContextWrite {
    pub fn first(&self) -> Option<&str> {
        self.names.first().and_then(|n| n.as_deref())
    }
}

pub fn find(parsed: &ParsedFile, bindings: &Bindings) -> Vec<ContextWrite> {
    let mut finder = Finder {
        parsed,
        bindings,
        found: Vec::new(),
        seen: FxHashSet::default(),
        in_block: FxHashSet::default(),
    };
    parsed.visit(&mut finder);
    finder.found
}

struct Finder<'f> {
    parsed: &'f ParsedFile,
    bindings: &'f Bindings,
    found: Vec<ContextWrite>,
    seen: FxHashSet<BytePos>,
    /// Expression statements that stand directly in a list of statements.
    in_block: FxHashSet<BytePos>,
}

impl Finder<'_> {
    fn record(&mut self, assign: &AssignExpr, statement: Option<&ExprStmt>) {
        let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left else {
            return;
        };
        let Some((root, segments)) = split_chain(member) else {
            return;
        };
        if self.bindings.param(root) != Some(Param::Context) || !self.seen.insert(assign.span.lo) {
            return;
        }
        // Through an alias (`var idt = context.idToken; idt.x = 1`), the path starts below it.
        let prefix = self.bindings.alias_path(root);
        let mut names: Vec<Option<String>> = prefix.iter().map(|name| Some(name.to_string())).collect();
        let mut computed: Vec<Option<Box<Expr>>> = vec![None; prefix.len()];
        computed.extend(segments.iter().map(|s| s.key.clone()));
        names.extend(segments.into_iter().map(|s| s.name));
        self.found.push(ContextWrite {
            assign: assign.clone(),
            root: root.clone(),
            computed,
            names,
            statement: statement.map(|s| self.parsed.range(s.span())),
            in_block: statement.is_some_and(|s| self.in_block.contains(&s.span.lo)),
        });
    }
}

impl Visit for Finder<'_> {
    fn visit_stmts(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            if let Stmt::Expr(e) = stmt {
                self.in_block.insert(e.span.lo);
            }
        }
        stmts.visit_children_with(self);
    }

    fn visit_expr_stmt(&mut self, stmt: &ExprStmt) {
        if let Expr::Assign(assign) = &*stmt.expr {
            self.record(assign, Some(stmt));
        }
        stmt.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        self.record(assign, None);
        assign.visit_children_with(self);
    }
}
