//! The rewrites. Each module handles one concern of the mapping and emits edits on the original
//! text plus diagnostics; `convert` runs them in the order of [`REWRITES`], each with the same
//! entry point, reading the rule's [`Model`]. A rewrite claims the identifiers it rewrites, so
//! later, more general rewrites leave them alone; two rewrites claiming one identifier is a bug,
//! which the pipeline reports with both names.

pub mod aliases;
pub mod callback;
pub mod claims;
pub mod context_reads;
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
use crate::analysis::model::Model;
use crate::analysis::rule::RuleFunction;
use crate::analysis::scope::Bindings;
use crate::diagnostics::Code;
use crate::edits::{Edits, Piece};
use crate::parse::ParsedFile;
use crate::source::{indentation, SourceText};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::{Ident, ObjectLit, PropName};

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

/// A rewrite: one concern of the mapping, one module.
pub struct Rewrite {
    pub name: &'static str,
    /// The section of the mapping (`../shared/docs/auth0-mapping.md`) it implements.
    pub section: &'static str,
    /// Every code it reports.
    pub codes: &'static [Code],
    pub run: fn(&mut Ctx<'_>, &Model),
}

/// The rewrites, in order: the specific constructs first, so that the general renames after them
/// leave what was claimed alone. A new rewrite is one module, one line here, and its fixtures.
pub const REWRITES: &[Rewrite] = {
    use Code::*;
    &[
        Rewrite {
            name: "aliases",
            section: "§0",
            codes: &[],
            run: aliases::run,
        },
        Rewrite {
            name: "metadata folds",
            section: "§4.3",
            codes: &[],
            run: metadata::plan_folds,
        },
        Rewrite {
            name: "callback",
            section: "§1",
            codes: &[
                CallbackAwaited,
                CallbackReplacesObjects,
                CallbackReturn,
                CodeAfterCallback,
                ReturnWithoutCallback,
                UnauthorizedDenied,
            ],
            run: callback::run,
        },
        Rewrite {
            name: "multifactor",
            section: "§4.2",
            codes: &[
                Multifactor,
                MultifactorDynamic,
                MultifactorOption,
                RememberBrowserDefault,
            ],
            run: multifactor::run,
        },
        Rewrite {
            name: "claims",
            section: "§4.1",
            codes: &[Scopes, TokenClaim, TokenClaims],
            run: claims::run,
        },
        Rewrite {
            name: "saml",
            section: "§4.6",
            codes: &[Saml, SamlConverted, UnknownUserProperty],
            run: saml::run,
        },
        Rewrite {
            name: "redirect",
            section: "§4.5, §4.8",
            codes: &[PrimaryUser, PrimaryUserConverted, Redirect, RedirectConverted],
            run: redirect::run,
        },
        Rewrite {
            name: "metadata",
            section: "§4.3",
            codes: &[ManagementApi, MetadataUpdate],
            run: metadata::run,
        },
        Rewrite {
            name: "management api",
            section: "§4.9",
            codes: &[ManagementApi],
            run: management_api::run,
        },
        Rewrite {
            name: "errors",
            section: "§1",
            codes: &[UnauthorizedDenied, UnauthorizedErrorClass, UnauthorizedErrorUse],
            run: errors::run,
        },
        Rewrite {
            name: "secrets",
            section: "§4.4",
            codes: &[Secrets, SecretsOutsideRule],
            run: secrets::run,
        },
        Rewrite {
            name: "dependencies",
            section: "§6",
            codes: &[Dependency, DynamicRequire, SandboxModule],
            run: dependencies::run,
        },
        Rewrite {
            name: "context reads",
            section: "§3",
            codes: &[
                AlwaysPresent,
                AuthenticationTimestamps,
                ConnectionOptions,
                ContextAsWhole,
                ContextWrite,
                DeleteClaim,
                JwtConfiguration,
                MultifactorDynamic,
                PrimaryUser,
                ReadBack,
                Redirect,
                Saml,
                SessionId,
                Sso,
                TokenClaims,
                UnknownContextProperty,
            ],
            run: context_reads::run,
        },
        Rewrite {
            name: "user reads",
            section: "§2",
            codes: &[
                AlwaysPresent,
                AlwaysPresentTest,
                DeleteClaim,
                IdentityProviderToken,
                ProfileWrite,
                UndocumentedUserField,
                UnknownUserProperty,
            ],
            run: user_reads::run,
        },
        Rewrite {
            name: "global state",
            section: "§4.7",
            codes: &[GlobalState],
            run: global_state::run,
        },
        Rewrite {
            name: "leftovers",
            section: "§4.7, §4.9",
            codes: &[GlobalState, ManagementApi],
            run: leftovers::run,
        },
        Rewrite {
            name: "signature",
            section: "§1",
            codes: &[Signature],
            run: signature::run,
        },
    ]
};

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
    /// The rewrite that claimed each identifier it rewrote.
    claims: FxHashMap<BytePos, &'static str>,
    /// The rewrite running now.
    current: Option<&'static Rewrite>,
    /// Identifiers two rewrites claimed (a bug): the offset and both rewrites.
    pub double_claims: Vec<(usize, &'static str, &'static str)>,
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
        let edits = Edits::keeping_literal_lines(layout.literal_line_starts(text));
        Ctx {
            text,
            parsed,
            source,
            rule,
            bindings,
            layout,
            edits,
            findings: Vec::new(),
            todos: BTreeSet::new(),
            claims: FxHashMap::default(),
            current: None,
            double_claims: Vec::new(),
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

    /// Runs the rewrites in order.
    pub fn run_rewrites(&mut self, model: &Model) {
        for rewrite in REWRITES {
            self.current = Some(rewrite);
            (rewrite.run)(self, model);
        }
        self.current = None;
    }

    /// Whether a rewrite has claimed `ident`.
    pub fn is_claimed(&self, ident: &Ident) -> bool {
        self.claims.contains_key(&ident.span.lo)
    }

    /// Claims `ident` for the running rewrite: later rewrites leave it alone.
    pub fn claim(&mut self, ident: &Ident) {
        self.claim_at(ident.span.lo);
    }

    pub fn claim_at(&mut self, at: BytePos) {
        let name = self.current.map_or("pipeline", |rewrite| rewrite.name);
        if let Some(&earlier) = self.claims.get(&at) {
            if earlier != name {
                let offset = self.parsed.range(Span::new(at, at)).start;
                self.double_claims.push((offset, earlier, name));
            }
            return;
        }
        self.claims.insert(at, name);
    }

    /// Checks, in test builds, that a rewrite reports only the codes it declares.
    fn check_declared(&self, code: Code) {
        if let Some(rewrite) = self.current {
            debug_assert!(
                rewrite.codes.contains(&code),
                "the rewrite {} reports {code}, which it does not declare",
                rewrite.name
            );
        }
    }

    /// Records a finding with no mark in the output (rewrites applied, input problems).
    pub fn report(&mut self, code: Code, node: &impl Spanned, message: impl Into<String>) {
        self.check_declared(code);
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
        self.check_declared(code);
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

    /// The object literal is rebuilt on one line; the comments between its properties move to lines
    /// of their own above the statement, so none is lost.
    pub fn keep_inner_comments(&mut self, statement_start: usize, object: &ObjectLit) {
        // Comments go on lines of their own before the line holding the statement.
        let line_start = self.source.line_start(statement_start);
        let starts_line = self.text[line_start..statement_start].trim().is_empty();
        if !starts_line && self.layout.inside_template(line_start) {
            return;
        }
        let value_ranges: Vec<Range<usize>> = object.props.iter().map(|p| self.range(p.span())).collect();
        let object_range = self.range(object.span);
        let mut comments = Vec::new();
        let (leading, trailing) = self.parsed.comments.borrow_all();
        for comment in leading.values().chain(trailing.values()).flatten() {
            let range = self.range(comment.span);
            let inside_value = value_ranges
                .iter()
                .any(|v| v.start <= range.start && range.end <= v.end);
            if object_range.start < range.start && range.end < object_range.end && !inside_value {
                comments.push(range);
            }
        }
        drop((leading, trailing));
        comments.sort_by_key(|r| r.start);
        comments.dedup();
        if comments.is_empty() {
            return;
        }
        let indent = self.indentation_at(statement_start).to_string();
        let mut text = String::new();
        for (index, range) in comments.iter().enumerate() {
            let prefix = if index == 0 && starts_line { "" } else { indent.as_str() };
            text.push_str(&format!("{prefix}{}{}", &self.text[range.clone()], self.newline));
        }
        if starts_line {
            text.push_str(&indent);
            self.edits.insert(statement_start, text);
        } else {
            self.edits.insert(line_start, text);
        }
    }
}

fn single_line(message: &str) -> String {
    // Escaped, not dropped: U+2028 and U+2029 end a `//` comment as surely as `\n` does, and a
    // rule's text after one would become code of the Action.
    crate::safe_text::printable(message).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rule::{find_rule, RuleSearch};
    use crate::analysis::scope::analyse;
    use crate::parse::parse;

    #[test]
    fn rewrite_names_are_unique() {
        let mut names: Vec<&str> = REWRITES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REWRITES.len());
    }

    #[test]
    fn two_rewrites_claiming_one_identifier_is_reported_with_both_names() {
        let text = "function (user, context, callback) { callback(null, user, context); }";
        let parsed = parse(text).unwrap();
        let RuleSearch::Found { rule, .. } = find_rule(&parsed) else {
            panic!("no rule");
        };
        let bindings = analyse(&parsed, rule.function_lo, &rule.params);
        let mut ctx = Ctx::new(text, &parsed, &rule, bindings, Layout::build(&parsed));
        let ident = Ident::new_no_ctxt("user".into(), Span::new(rule.function_lo, rule.function_lo));
        ctx.current = Some(&REWRITES[2]);
        ctx.claim(&ident);
        ctx.claim(&ident);
        assert!(ctx.double_claims.is_empty(), "one rewrite may claim twice");
        ctx.current = Some(&REWRITES[3]);
        ctx.claim(&ident);
        let (_, first, second) = ctx.double_claims[0];
        assert_eq!((first, second), (REWRITES[2].name, REWRITES[3].name));
    }
}
