//! Assignments to `context.*` (`context.idToken[k] = v`, `context.redirect = {…}`) and merges
//! into a context object (`Object.assign(context.idToken, {…})`), found once for the rewrites of
//! side effects, with whether each is a statement of its own.

use super::accesses::split_chain;
use super::scope::{Bindings, Param};
use super::syntax::object_assign_args;
use crate::parse::ParsedFile;
use rustc_hash::FxHashSet;
use std::ops::Range;
use swc_common::{BytePos, Span, Spanned};
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

/// Keys merged into a context object: `Object.assign(context.idToken, a, b)`, or the copy
/// `context.idToken = Object.assign({}, context.idToken, a, b)`.
pub struct ContextMerge {
    /// The call, or the assignment of the copy.
    pub span: Span,
    /// The `context` identifiers it names: the target, and the original copied.
    pub roots: Vec<Ident>,
    /// The property names after `context` (`["idToken"]`), `None` where computed at run time.
    pub names: Vec<Option<String>>,
    /// The objects whose keys are merged in, in order.
    pub sources: Vec<ExprOrSpread>,
    /// The statement's range when the merge is a statement of its own.
    pub statement: Option<Range<usize>>,
    /// Whether that statement stands directly in a block.
    pub in_block: bool,
}

impl ContextMerge {
    pub fn first(&self) -> Option<&str> {
        self.names.first().and_then(|n| n.as_deref())
    }
}

/// `delete context.multifactor`.
pub struct ContextDelete {
    /// The `delete` expression.
    pub span: Span,
    pub root: Ident,
    pub names: Vec<Option<String>>,
    /// The statement's range when the deletion is a statement of its own.
    pub statement: Option<Range<usize>>,
    /// Whether that statement stands directly in a block.
    pub in_block: bool,
}

impl ContextDelete {
    pub fn first(&self) -> Option<&str> {
        self.names.first().and_then(|n| n.as_deref())
    }
}

/// What a rule changes on `context`.
pub struct ContextChanges {
    pub writes: Vec<ContextWrite>,
    pub merges: Vec<ContextMerge>,
    pub deletes: Vec<ContextDelete>,
}

/// The assignments to `context.*`, the merges into context objects and the deletions. A copy
/// merged back (`context.x = Object.assign({}, context.x, …)`) is a merge, not an assignment.
pub fn find(parsed: &ParsedFile, bindings: &Bindings) -> ContextChanges {
    let mut finder = Finder {
        parsed,
        bindings,
        found: Vec::new(),
        merges: Vec::new(),
        deletes: Vec::new(),
        seen: FxHashSet::default(),
        in_block: FxHashSet::default(),
    };
    parsed.visit(&mut finder);
    ContextChanges {
        writes: finder.found,
        merges: finder.merges,
        deletes: finder.deletes,
    }
}

struct Finder<'f> {
    parsed: &'f ParsedFile,
    bindings: &'f Bindings,
    found: Vec<ContextWrite>,
    merges: Vec<ContextMerge>,
    deletes: Vec<ContextDelete>,
    seen: FxHashSet<BytePos>,
    /// Expression statements that stand directly in a list of statements.
    in_block: FxHashSet<BytePos>,
}

/// A member chain on `context` (or an alias of it): its root, the names and the computed keys.
type ContextPath<'e> = (&'e Ident, Vec<Option<String>>, Vec<Option<Box<Expr>>>);

impl Finder<'_> {
    fn context_path<'e>(&self, expr: &'e Expr) -> Option<ContextPath<'e>> {
        let Expr::Member(member) = expr else { return None };
        let (root, segments) = split_chain(member)?;
        if self.bindings.param(root) != Some(Param::Context) {
            return None;
        }
        // Through an alias (`var idt = context.idToken; idt.x = 1`), the path starts below it.
        let prefix = self.bindings.alias_path(root);
        let mut names: Vec<Option<String>> = prefix.iter().map(|name| Some(name.to_string())).collect();
        let mut computed: Vec<Option<Box<Expr>>> = vec![None; prefix.len()];
        computed.extend(segments.iter().map(|s| s.key.clone()));
        names.extend(segments.into_iter().map(|s| s.name));
        Some((root, names, computed))
    }

    fn statement_of(&self, statement: Option<&ExprStmt>) -> (Option<Range<usize>>, bool) {
        (
            statement.map(|s| self.parsed.range(s.span())),
            statement.is_some_and(|s| self.in_block.contains(&s.span.lo)),
        )
    }

    fn record(&mut self, assign: &AssignExpr, statement: Option<&ExprStmt>) {
        let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left else {
            return;
        };
        let member = Expr::Member(member.clone());
        let Some((root, names, computed)) = self.context_path(&member) else {
            return;
        };
        if !self.seen.insert(assign.span.lo) {
            return;
        }
        let (statement, in_block) = self.statement_of(statement);
        if assign.op == AssignOp::Assign {
            if let Some((copied, sources)) = self.copy_merged_back(&assign.right, &names) {
                self.merges.push(ContextMerge {
                    span: assign.span,
                    roots: vec![root.clone(), copied],
                    names,
                    sources,
                    statement,
                    in_block,
                });
                return;
            }
        }
        self.found.push(ContextWrite {
            assign: assign.clone(),
            root: root.clone(),
            computed,
            names,
            statement,
            in_block,
        });
    }

    /// `Object.assign({}, <the same path>, …sources)`: the copy's root and the sources.
    fn copy_merged_back(&self, value: &Expr, names: &[Option<String>]) -> Option<(Ident, Vec<ExprOrSpread>)> {
        let args = object_assign_args_of(unparen(value))?;
        let [first, second, sources @ ..] = args else {
            return None;
        };
        let empty = matches!(unparen(&first.expr), Expr::Object(o) if o.props.is_empty());
        let (copied, copied_names, _) = self.context_path(unparen(&second.expr))?;
        let same = copied_names == names && names.iter().all(Option::is_some);
        (empty && first.spread.is_none() && second.spread.is_none() && same).then(|| (copied.clone(), sources.to_vec()))
    }

    fn record_delete(&mut self, unary: &UnaryExpr, statement: Option<&ExprStmt>) {
        if unary.op != UnaryOp::Delete {
            return;
        }
        let Some((root, names, _)) = self.context_path(unparen(&unary.arg)) else {
            return;
        };
        if !self.seen.insert(unary.span.lo) {
            return;
        }
        let (statement, in_block) = self.statement_of(statement);
        self.deletes.push(ContextDelete {
            span: unary.span,
            root: root.clone(),
            names,
            statement,
            in_block,
        });
    }

    /// `Object.assign(context.x, …sources)`.
    fn record_merge(&mut self, call: &CallExpr, statement: Option<&ExprStmt>) {
        let Some([target, sources @ ..]) = object_assign_args(call) else {
            return;
        };
        if target.spread.is_some() || !self.seen.insert(call.span.lo) {
            return;
        }
        let Some((root, names, _)) = self.context_path(unparen(&target.expr)) else {
            return;
        };
        let (statement, in_block) = self.statement_of(statement);
        self.merges.push(ContextMerge {
            span: call.span,
            roots: vec![root.clone()],
            names,
            sources: sources.to_vec(),
            statement,
            in_block,
        });
    }
}

fn unparen(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(ParenExpr { expr, .. }) => unparen(expr),
        other => other,
    }
}

/// The arguments of `Object.assign(…)`.
/// The arguments of an expression that is `Object.assign(…)`.
fn object_assign_args_of(expr: &Expr) -> Option<&[ExprOrSpread]> {
    let Expr::Call(call) = expr else { return None };
    object_assign_args(call)
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
        match &*stmt.expr {
            Expr::Assign(assign) => self.record(assign, Some(stmt)),
            Expr::Call(call) => self.record_merge(call, Some(stmt)),
            Expr::Unary(unary) => self.record_delete(unary, Some(stmt)),
            _ => {}
        }
        stmt.visit_children_with(self);
    }

    fn visit_unary_expr(&mut self, unary: &UnaryExpr) {
        self.record_delete(unary, None);
        unary.visit_children_with(self);
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        self.record_merge(call, None);
        call.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        self.record(assign, None);
        assign.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rule::{find_rule, RuleSearch};
    use crate::analysis::scope::analyse;
    use crate::parse::parse;

    fn changes_of(body: &str) -> ContextChanges {
        let text = format!("function (user, context, callback) {{ {body} }}");
        let parsed = parse(&text).expect("the rule parses");
        let RuleSearch::Found { rule, .. } = find_rule(&parsed) else {
            panic!("no rule function in {text}");
        };
        let bindings = analyse(&parsed, rule.function_lo, &rule.params);
        find(&parsed, &bindings)
    }

    fn names(names: &[Option<String>]) -> Vec<&str> {
        names.iter().map(|n| n.as_deref().unwrap_or("?")).collect()
    }

    #[test]
    fn a_copy_merged_back_is_a_merge_of_the_sources_after_the_copy() {
        let changes = changes_of("context.idToken = Object.assign({}, context.idToken, a, { b: 1 });");
        assert!(changes.writes.is_empty());
        let [merge] = changes.merges.as_slice() else {
            panic!("one merge expected")
        };
        assert_eq!(names(&merge.names), ["idToken"]);
        assert_eq!(merge.roots.len(), 2, "the target and the copied original");
        assert_eq!(merge.sources.len(), 2);
        assert!(merge.statement.is_some() && merge.in_block);
    }

    #[test]
    fn a_copy_of_another_object_is_an_assignment() {
        let changes = changes_of("context.idToken = Object.assign({}, context.accessToken, a);");
        assert!(changes.merges.is_empty());
        assert_eq!(changes.writes.len(), 1);
    }

    #[test]
    fn object_assign_into_a_context_object_is_a_merge_wherever_it_stands() {
        let changes = changes_of("Object.assign(context.multifactor, a); x = Object.assign((context.idToken), b, c);");
        let found: Vec<(Vec<&str>, usize, bool)> = changes
            .merges
            .iter()
            .map(|m| (names(&m.names), m.sources.len(), m.statement.is_some()))
            .collect();
        assert_eq!(found, [(vec!["multifactor"], 1, true), (vec!["idToken"], 2, false)]);
    }

    #[test]
    fn merges_into_other_objects_are_left_alone() {
        let changes = changes_of("const o = {}; Object.assign(o.idToken, a); Object.assign(user.app_metadata, b);");
        assert!(changes.merges.is_empty() && changes.writes.is_empty());
    }

    #[test]
    fn deletions_of_context_properties_are_found_with_their_statement() {
        let changes = changes_of("delete context.multifactor; if (x) delete context.idToken.a; y = delete other.z;");
        let found: Vec<(Vec<&str>, bool)> = changes.deletes.iter().map(|d| (names(&d.names), d.in_block)).collect();
        assert_eq!(found, [(vec!["multifactor"], true), (vec!["idToken", "a"], false)]);
    }
}
