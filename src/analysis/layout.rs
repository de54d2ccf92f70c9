//! Where statements start, so that a `// TODO(R2Axxx)` comment can be put on a line of its own
//! just before the statement that needs work.

use std::ops::Range;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

#[derive(Default)]
pub struct Layout {
    /// Byte ranges of every statement, in source order.
    statements: Vec<Range<usize>>,
    /// Template literals: a line that starts inside one cannot take a comment.
    templates: Vec<Range<usize>>,
    /// The text of template literals (between their substitutions) and of string literals, in
    /// source order: a line starting there starts inside the value.
    literals: Vec<Range<usize>>,
}

impl Layout {
    pub fn build(parsed: &crate::parse::ParsedFile) -> Layout {
        let mut collector = Collector {
            base: parsed.base.0,
            layout: Layout::default(),
        };
        parsed.visit(&mut collector);
        collector.layout
    }

    /// Start of the innermost statement holding `offset`.
    pub fn statement_start(&self, offset: usize) -> Option<usize> {
        self.statements
            .iter()
            .filter(|range| range.start <= offset && offset < range.end.max(range.start + 1))
            .map(|range| range.start)
            .max()
    }

    /// Whether a template literal that spans lines overlaps `range`: re-indenting its lines
    /// would change the string.
    pub fn spans_template_line(&self, range: &Range<usize>) -> bool {
        self.templates
            .iter()
            .any(|t| t.start < range.end && range.start < t.end)
    }

    pub fn inside_template(&self, offset: usize) -> bool {
        self.templates
            .iter()
            .any(|range| range.start < offset && offset < range.end)
    }

    /// The offsets of `text` (sorted) where a line starts inside a literal: a template literal's
    /// text, or a string continued on the next line with `\`. Their leading whitespace is part
    /// of the value, so re-indenting must leave them alone.
    pub fn literal_line_starts(&self, text: &str) -> Vec<usize> {
        let mut starts: Vec<usize> = self
            .literals
            .iter()
            .flat_map(|range| {
                text[range.clone()]
                    .match_indices('\n')
                    // A line starting at a template's `${` or closing backtick starts inside it.
                    .map(move |(at, _)| range.start + at + 1)
            })
            .collect();
        starts.sort_unstable();
        starts
    }
}

pub struct Collector {
    base: u32,
    layout: Layout,
}

impl Collector {
    fn range(&self, span: swc_common::Span) -> Range<usize> {
        (span.lo.0 - self.base) as usize..(span.hi.0 - self.base) as usize
    }
}

impl Visit for Collector {
    fn visit_stmt(&mut self, stmt: &Stmt) {
        // Blocks are not statements a comment should precede; their own statements are.
        if !matches!(stmt, Stmt::Block(_)) {
            let range = self.range(swc_common::Spanned::span(stmt));
            self.layout.statements.push(range);
        }
        stmt.visit_children_with(self);
    }

    fn visit_tpl(&mut self, tpl: &Tpl) {
        let range = self.range(tpl.span);
        self.layout.templates.push(range);
        tpl.visit_children_with(self);
    }

    fn visit_tpl_element(&mut self, element: &TplElement) {
        let range = self.range(element.span);
        self.layout.literals.push(range);
    }

    fn visit_str(&mut self, string: &Str) {
        let range = self.range(string.span);
        self.layout.literals.push(range);
    }
}
