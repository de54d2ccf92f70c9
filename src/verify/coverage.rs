//! Which of the rule's branches the scenarios reached.
//!
//! The branches are read from the rule's syntax tree: each function body, each arm of an `if`
//! (its `else` when written) and of `?:`, the right operand of `&&`, `||` and `??`, each `case` of
//! a `switch` that has statements, each `catch`. The harness reports V8's block coverage of each
//! run of the rule: nested ranges with counts, where V8 leaves out a block that ran as often as
//! the code around it. So a branch ran in a run when the innermost range around its first byte has
//! a count above zero. A file's branches reached are the union over its scenarios.

use super::compare::CoveredRange;
use crate::parse::ParsedFile;
use crate::source::{Position, SourceText};
use serde::Serialize;
use swc_common::{Span, Spanned};
use swc_ecma_ast::{ArrowExpr, BinExpr, BinaryOp, CatchClause, CondExpr, Expr, Function, IfStmt, SwitchCase};
use swc_ecma_visit::{Visit, VisitWith};

/// A place where the rule's code may or may not go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Branch {
    /// Byte offset of the branch's first token in the rule's text.
    #[serde(skip)]
    pub offset: usize,
    #[serde(flatten)]
    pub position: Position,
    /// `function`, `if`, `else`, `?`, `:`, `&&`, `||`, `??`, `case` or `catch`.
    pub kind: &'static str,
}

/// The branches of the rule, in the order of the text.
pub fn branches(parsed: &ParsedFile, text: &str) -> Vec<Branch> {
    let mut finder = Finder {
        parsed,
        source: SourceText::new(text),
        found: Vec::new(),
    };
    parsed.visit(&mut finder);
    let mut found = finder.found;
    found.sort_by_key(|b| b.offset);
    found.dedup_by_key(|b| b.offset);
    found
}

/// How many of a file's branches its scenarios reached, and where the others are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BranchCoverage {
    pub reached: usize,
    pub total: usize,
    pub unreached: Vec<Branch>,
}

impl BranchCoverage {
    /// The share reached, in whole percent; never 100 while a branch is unreached.
    pub fn percent(&self) -> usize {
        if self.total == 0 {
            return 100;
        }
        let rounded = (self.reached * 100 + self.total / 2) / self.total;
        if self.reached < self.total {
            rounded.min(99)
        } else {
            rounded
        }
    }

    pub fn complete(&self) -> bool {
        self.reached == self.total
    }
}

/// The union of `runs` (each a run's ranges) over `branches`; `None` when no run was measured.
pub fn measure<'a>(branches: &[Branch], runs: impl IntoIterator<Item = &'a [CoveredRange]>) -> Option<BranchCoverage> {
    let mut reached = vec![false; branches.len()];
    let mut measured = false;
    for ranges in runs {
        measured = true;
        for (hit, ran) in reached.iter_mut().zip(reached_by(branches, ranges)) {
            *hit |= ran;
        }
    }
    measured.then(|| BranchCoverage {
        reached: reached.iter().filter(|&&hit| hit).count(),
        total: branches.len(),
        unreached: branches
            .iter()
            .zip(&reached)
            .filter(|(_, &hit)| !hit)
            .map(|(branch, _)| branch.clone())
            .collect(),
    })
}

/// Which of `branches` one run (its ranges) reached.
pub fn reached_by(branches: &[Branch], ranges: &[CoveredRange]) -> Vec<bool> {
    branches.iter().map(|branch| ran(ranges, branch.offset)).collect()
}

/// The branches found in the text the conversion parsed (`parsed_len` bytes long), placed in the
/// text the runs get (`text_len`): the conversion parses a rule without its byte-order mark.
pub fn placed_in(mut branches: Vec<Branch>, parsed_len: usize, text_len: usize) -> Vec<Branch> {
    let shift = text_len.saturating_sub(parsed_len);
    branches.iter_mut().for_each(|b| b.offset += shift);
    branches
}

/// Whether the innermost range around `offset` ran. V8's ranges nest, so the innermost is the
/// shortest of those that hold it.
fn ran(ranges: &[CoveredRange], offset: usize) -> bool {
    ranges
        .iter()
        .filter(|r| r.start <= offset && offset < r.end)
        .min_by_key(|r| r.end - r.start)
        .is_some_and(|r| r.count > 0)
}

struct Finder<'a> {
    parsed: &'a ParsedFile,
    source: SourceText<'a>,
    found: Vec<Branch>,
}

impl Finder<'_> {
    fn at(&mut self, span: Span, kind: &'static str) {
        let offset = self.parsed.range(span).start;
        let position = self.source.position(offset);
        self.found.push(Branch { offset, position, kind });
    }

    /// An expression branch starts at its first token inside any parentheses: V8's range for it
    /// does not hold the parentheses.
    fn at_expr(&mut self, expr: &Expr, kind: &'static str) {
        self.at(expr.unwrap_parens().span(), kind);
    }
}

impl Visit for Finder<'_> {
    fn visit_function(&mut self, function: &Function) {
        if let Some(body) = &function.body {
            self.at(body.span, "function");
        }
        function.visit_children_with(self);
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        self.at(arrow.body.span(), "function");
        arrow.visit_children_with(self);
    }

    fn visit_if_stmt(&mut self, stmt: &IfStmt) {
        self.at(stmt.cons.span(), "if");
        if let Some(alt) = &stmt.alt {
            self.at(alt.span(), "else");
        }
        stmt.visit_children_with(self);
    }

    fn visit_cond_expr(&mut self, cond: &CondExpr) {
        self.at_expr(&cond.cons, "?");
        self.at_expr(&cond.alt, ":");
        cond.visit_children_with(self);
    }

    fn visit_bin_expr(&mut self, bin: &BinExpr) {
        let kind = match bin.op {
            BinaryOp::LogicalAnd => Some("&&"),
            BinaryOp::LogicalOr => Some("||"),
            BinaryOp::NullishCoalescing => Some("??"),
            _ => None,
        };
        if let Some(kind) = kind {
            self.at_expr(&bin.right, kind);
        }
        bin.visit_children_with(self);
    }

    fn visit_switch_case(&mut self, case: &SwitchCase) {
        if let Some(first) = case.cons.first() {
            self.at(first.span(), "case");
        }
        case.visit_children_with(self);
    }

    fn visit_catch_clause(&mut self, clause: &CatchClause) {
        self.at(clause.body.span, "catch");
        clause.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        branches(&crate::parse::parse(text).unwrap(), text)
            .iter()
            .map(|b| b.kind)
            .collect()
    }

    #[test]
    fn every_kind_of_branch_is_found_in_text_order() {
        let rule = "function (user, context, callback) {
  if (a) { x(); } else if (b) { y(); }
  const v = a ? (b) : c || d && e; const w = v ?? f;
  switch (v) { case 1: case 2: z(); break; default: w(); }
  try { q(); } catch (e) { r(); }
  [1].map((n) => n);
}";
        assert_eq!(
            kinds(rule),
            ["function", "if", "else", "if", "?", ":", "||", "&&", "??", "case", "case", "catch", "function"]
        );
    }

    #[test]
    fn a_branch_ran_when_its_innermost_range_ran() {
        let text = "function (u, c, cb) { if (u) { a(); } else { b(); } }";
        let found = branches(&crate::parse::parse(text).unwrap(), text);
        let range = |start, end, count| CoveredRange { start, end, count };
        let (then, other) = (text.find("{ a").unwrap(), text.find("{ b").unwrap());
        // The function ran twice, its `else` never; its `if` ran as often as the function, so V8
        // left that range out.
        let first = [range(0, text.len(), 2), range(other, other + 9, 0)];
        let coverage = measure(&found, [&first[..]]).unwrap();
        assert_eq!((coverage.reached, coverage.total), (2, 3));
        assert_eq!(coverage.unreached[0].kind, "else");
        assert_eq!(coverage.percent(), 67);
        // Another run took the `else` and not the `if`: the union reaches everything.
        let second = [range(0, text.len(), 1), range(then, then + 9, 0)];
        let coverage = measure(&found, [&first[..], &second[..]]).unwrap();
        assert!(coverage.complete(), "{coverage:?}");
        assert_eq!(measure(&found, std::iter::empty()), None);
    }

    #[test]
    fn the_share_is_never_rounded_up_to_everything() {
        let share = |reached, total| {
            BranchCoverage {
                reached,
                total,
                unreached: Vec::new(),
            }
            .percent()
        };
        assert_eq!(
            (share(7, 9), share(199, 200), share(0, 3), share(3, 3)),
            (78, 99, 0, 100)
        );
    }
}
