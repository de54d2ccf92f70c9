//! The rewrites. Each module handles one concern of the mapping and emits edits on the original
//! text plus diagnostics; `convert` runs them in order. Earlier passes mark the identifiers they
//! consumed as handled, so later, more general passes leave them alone.

pub mod aliases;
pub mod callback;
pub mod chains;
pub mod claims;
pub mod context_reads;
pub mod context_writes;
pub mod dependencies;
pub mod errors;
pub mod global_state;
pub mod leftovers;
pub mod management_api;
pub mod metadata;
pub mod multifactor;
pub mod print;
pub mod redirect;
pub mod saml;
pub mod secrets;
pub mod signature;
pub mod user_reads;

use crate::analysis::layout::Layout;
use crate::analysis::rule::RuleFunction;
use crate::analysis::scope::Bindings;
use crate::diagnostics::Code;
use crate::edits::{Edits, Piece};
use crate::parse::ParsedFile;
use crate::source::{indentation, SourceText};
use rustc_hash::FxHashSet;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::{Ident, PropName};

/// How the rule's callback is turned into the Action's control flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallbackMode {
    /// Every call is a statement of the rule body itself: calls become `return` or
    /// `return api.access.deny(…)`.
    Return,
    /// Some call happens later, inside a nested function: the body runs inside an awaited Promise
    /// whose resolver (`done`) replaces the callback; its first argument is the rule's error.
    Awaited { done: String, error: String },
}

/// A finding before it is positioned: the code, the byte range and the message.
pub struct Finding {
    pub code: Code,
    pub range: Range<usize>,
    pub message: String,
}

pub struct Ctx<'a> {
    pub text: &'a str,
    pub parsed: &'a ParsedFile,
    pub source: SourceText<'a>,
    pub rule: &'a RuleFunction<'a>,
    pub bindings: Bindings,
    pub layout: Layout,
    pub edits: Edits,
    pub findings: Vec<Finding>,
    /// `// TODO` comments to insert: (offset, code, text).
    todos: BTreeSet<(usize, Code, String)>,
    /// Identifiers already rewritten by an earlier pass.
    pub handled: FxHashSet<BytePos>,
    pub callback_mode: CallbackMode,
    pub secrets: BTreeSet<String>,
    pub dependencies: BTreeMap<String, Option<String>>,
    /// Whether the Action needs `onContinuePostLogin` (it redirects).
    pub continues: bool,
    /// Metadata updates whose continuations fold into the surrounding flow.
    pub folds: Vec<metadata::Fold>,
    pub newline: &'static str,
    /// One level of the author's indentation.
    pub indent_unit: String,
}

impl<'a> Ctx<'a> {
    pub fn new(
        text: &'a str,
        parsed: &'a ParsedFile,
        rule: &'a RuleFunction<'a>,
        bindings: Bindings,
        layout: Layout,
    ) -> Self {
        let source = SourceText::new(text);
        let indent_unit = rule
            .body
            .stmts
            .first()
            .map(|stmt| {
                let offset = parsed.range(stmt.span()).start;
                let line = source.line_text(offset);
                indentation(line).to_string()
            })
            .filter(|unit| !unit.is_empty())
            .unwrap_or_else(|| "  ".to_string());
        Ctx {
            text,
            parsed,
            source,
            rule,
            bindings,
            layout,
            edits: Edits::default(),
            findings: Vec::new(),
            todos: BTreeSet::new(),
            handled: FxHashSet::default(),
            callback_mode: CallbackMode::Return,
            secrets: BTreeSet::new(),
            dependencies: BTreeMap::new(),
            continues: false,
            folds: Vec::new(),
            newline: crate::source::line_ending(text),
            indent_unit,
        }
    }

    pub fn range(&self, span: Span) -> Range<usize> {
        self.parsed.range(span)
    }

    pub fn text_of(&self, node: &impl Spanned) -> &'a str {
        &self.text[self.range(node.span())]
    }

    /// An object key as a string literal: `a` becomes `'a'`, `'a'` stays as written.
    pub fn key_literal(&self, key: &PropName) -> Option<String> {
        match key {
            PropName::Ident(name) => Some(print::string_literal(&name.sym, print::preferred_quote(self.text))),
            PropName::Str(_) => Some(self.text_of(key).to_string()),
            _ => None,
        }
    }

    pub fn is_handled(&self, ident: &Ident) -> bool {
        self.handled.contains(&ident.span.lo)
    }

    pub fn mark_handled(&mut self, ident: &Ident) {
        self.handled.insert(ident.span.lo);
    }

    /// Records a finding with no mark in the output (rewrites applied, input problems).
    pub fn report(&mut self, code: Code, node: &impl Spanned, message: impl Into<String>) {
        let range = self.range(node.span());
        self.findings.push(Finding {
            code,
            range,
            message: message.into(),
        });
    }

    /// Records a finding that needs a human, and marks the spot in the output with a
    /// `// TODO(R2Axxx): …` comment before the statement holding it.
    pub fn flag(&mut self, code: Code, node: &impl Spanned, message: impl Into<String>) {
        let message = message.into();
        let range = self.range(node.span());
        if let Some(at) = self.layout.statement_start(range.start) {
            self.todos.insert((at, code, message.clone()));
        }
        self.findings.push(Finding { code, range, message });
    }

    /// Indentation of the line holding `offset`.
    pub fn indentation_at(&self, offset: usize) -> &'a str {
        indentation(self.source.line_text(offset))
    }

    /// Deletes a statement, with its line when it stands alone on it, and a blank line before it
    /// when it closed the body.
    pub fn delete_statement(&mut self, range: Range<usize>) {
        let text = self.text;
        let line_start = self.source.line_start(range.start);
        let alone_before = text[line_start..range.start].trim().is_empty();
        let rest = &text[range.end..];
        let line_end = rest.find('\n').map_or(text.len(), |n| range.end + n + 1);
        let alone_after = text[range.end..line_end].trim().is_empty();
        if !(alone_before && alone_after) {
            // `callback(…); // done` keeps its comment, at the statement's place.
            let trailing = &text[range.end..line_end];
            let comment_at = trailing.find("//").or_else(|| trailing.find("/*"));
            let end = match comment_at {
                Some(at) if alone_before && trailing[..at].trim().is_empty() => range.end + at,
                _ => range.end,
            };
            self.edits.delete(range.start..end);
            return;
        }
        let mut start = line_start;
        let closes_body = text[line_end..].trim_start().starts_with('}');
        if closes_body && start > 0 {
            let previous_start = self.source.line_start(start - 1);
            if text[previous_start..start].trim().is_empty() {
                start = previous_start;
            }
        }
        self.edits.delete(start..line_end);
    }

    /// Whether a statement stands alone on its lines (nothing but blanks around it).
    pub fn stands_alone(&self, range: &Range<usize>) -> bool {
        let line_start = self.source.line_start(range.start);
        let line_end = self.text[range.end..]
            .find('\n')
            .map_or(self.text.len(), |n| range.end + n);
        self.text[line_start..range.start].trim().is_empty() && self.text[range.end..line_end].trim().is_empty()
    }

    /// Replaces a statement by `statements`, one per line at the statement's indentation. Where
    /// the statement did not stand directly in a block (`if (x) stmt;`), braces keep the new
    /// statements one.
    pub fn replace_statement(&mut self, range: Range<usize>, in_block: bool, statements: Vec<Vec<Piece>>) {
        let indent = self.indentation_at(range.start).to_string();
        let separator = format!("{}{indent}", self.newline);
        let mut pieces = Vec::new();
        if !in_block && statements.len() != 1 {
            pieces.push(Piece::Text("{ ".into()));
        }
        for (index, statement) in statements.into_iter().enumerate() {
            if index > 0 {
                let text = if in_block { separator.clone() } else { " ".to_string() };
                pieces.push(Piece::Text(text));
            }
            pieces.extend(statement);
        }
        if !in_block && pieces.len() > 1 && matches!(pieces.first(), Some(Piece::Text(t)) if t == "{ ") {
            pieces.push(Piece::Text(" }".into()));
        }
        self.edits.replace_with(range, pieces);
    }

    /// Turns the collected TODOs into insertions: each on its own line, indented like the
    /// statement it precedes.
    pub fn insert_todos(&mut self) {
        let todos = std::mem::take(&mut self.todos);
        for (at, code, message) in todos {
            let line_start = self.source.line_start(at);
            let indent = self.indentation_at(at);
            let comment = format!("// TODO({code}): {}", single_line(&message));
            let starts_line = line_start + indent.len() == at;
            if starts_line || !self.layout.inside_template(line_start) && at != line_start {
                if starts_line {
                    self.edits.insert(at, format!("{comment}{}{indent}", self.newline));
                } else {
                    self.edits
                        .insert(line_start, format!("{indent}{comment}{}", self.newline));
                }
            } else {
                self.edits.insert(at, format!("{comment}{}{indent}", self.newline));
            }
        }
    }
}

fn single_line(message: &str) -> String {
    // Escaped, not dropped: U+2028 and U+2029 end a `//` comment as surely as `\n` does, and a
    // rule's text after one would become code of the Action.
    crate::safe_text::printable(message).into_owned()
}
