//! Rules constructs left in an Action: free references to `user`, `context`, `callback`,
//! `configuration`, `auth0` or `UnauthorizedError`, none of which exists when an Action runs.
//! Every Action the tool writes holds them only where a finding put a `// TODO(R2Axxx)` on the
//! statement (the invariant the tests check on every fixture, corpus rule and generated rule),
//! and `convert` reports them in a file that is already an Action.

use super::layout::Layout;
use super::rule::{find_rule, RuleSearch};
use super::scope::{analyse, declared_names, Binding, Global, Param};
use crate::parse::{ParsedFile, ParsedProgram};
use std::ops::Range;
use swc_atoms::Atom;
use swc_common::BytePos;
use swc_ecma_ast::*;

pub struct Leftover {
    /// What is referred to: `user`, `context`, `callback` (whatever the rule named them),
    /// `configuration`, `auth0` or `UnauthorizedError`.
    pub name: &'static str,
    pub range: Range<usize>,
    /// Whether the statement holding it is marked by a `// TODO(R2A…)` on the line before.
    pub marked: bool,
}

/// The names Rules gives its parameters unless a rule renames them.
pub const RULES_PARAMETERS: [&str; 3] = ["user", "context", "callback"];

/// The names a rule's text gives its parameters (`function (u, ctx, cb)`): in its Action, those
/// are the Rules constructs. The usual names when the text holds no rule.
pub fn parameter_names(rule: &str) -> [Atom; 3] {
    let masked = crate::placeholders::mask(rule.strip_prefix('\u{feff}').unwrap_or(rule));
    if let Ok(parsed) = crate::parse::parse(&masked.text) {
        if let RuleSearch::Found { rule, .. } = find_rule(&parsed) {
            return rule.params;
        }
    }
    RULES_PARAMETERS.map(Atom::from)
}

/// Every Rules construct `text` (an Action, parsed as `parsed`) still refers to, in order;
/// `params` are the rule's names for `user`, `context` and `callback`.
pub fn leftovers(text: &str, parsed: &ParsedFile, params: &[Atom; 3]) -> Vec<Leftover> {
    // The rule's parameters existed only inside the rule function, which became the handler.
    let handler = handler_function(parsed).unwrap_or(BytePos::DUMMY);
    // A module-level declaration of the same name is the Action's own.
    let params = match &parsed.program {
        ParsedProgram::Script(script) => {
            let declared = declared_names(&script.body, true);
            params
                .clone()
                .map(|name| if declared.contains(&name) { Atom::from("") } else { name })
        }
        ParsedProgram::Expr(_) => params.clone(),
    };
    let bindings = analyse(parsed, handler, &params);
    let layout = Layout::build(parsed);
    let mut found: Vec<Leftover> = bindings
        .references()
        .filter_map(|(at, reference)| {
            let name = rules_name(reference.binding)?;
            let start = (at.0 - parsed.base.0) as usize;
            let statement = layout.statement_start(start).unwrap_or(start);
            let len = text[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(text.len() - start);
            Some(Leftover {
                name,
                range: start..start + len,
                marked: marked_by_todo(text, statement),
            })
        })
        .collect();
    found.sort_by_key(|leftover| leftover.range.start);
    found
}

/// Where the function assigned to `exports.onExecutePostLogin` starts, as the scope analysis
/// identifies functions.
fn handler_function(parsed: &ParsedFile) -> Option<BytePos> {
    let ParsedProgram::Script(script) = &parsed.program else {
        return None;
    };
    script.body.iter().find_map(|stmt| {
        let Stmt::Expr(ExprStmt { expr, .. }) = stmt else {
            return None;
        };
        let Expr::Assign(assign) = &**expr else { return None };
        let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left else {
            return None;
        };
        let MemberProp::Ident(name) = &member.prop else {
            return None;
        };
        if &*name.sym != "onExecutePostLogin" {
            return None;
        }
        match &*assign.right {
            Expr::Arrow(arrow) => Some(arrow.span.lo),
            Expr::Fn(function) => Some(function.function.span.lo),
            _ => None,
        }
    })
}

fn rules_name(binding: Binding) -> Option<&'static str> {
    Some(match binding {
        Binding::Param(Param::User) => "user",
        Binding::Param(Param::Context) => "context",
        Binding::Param(Param::Callback) => "callback",
        Binding::Global(Global::Configuration) => "configuration",
        Binding::Global(Global::Auth0) => "auth0",
        Binding::Global(Global::UnauthorizedError) => "UnauthorizedError",
        Binding::Global(_) => return None,
    })
}

/// Whether the line before the one where the statement at `statement` starts is a
/// `// TODO(R2A…)` comment (a TODO goes on its own line; the statement may start after a label).
fn marked_by_todo(text: &str, statement: usize) -> bool {
    const LINE_TERMINATORS: [char; 4] = ['\n', '\r', '\u{2028}', '\u{2029}'];
    let line_start = text[..statement].rfind(LINE_TERMINATORS).map_or(0, |at| at + 1);
    let before = text[..line_start].trim_end();
    let previous_line = before.rsplit(LINE_TERMINATORS).next().unwrap_or("");
    previous_line.trim_start().starts_with("// TODO(R2A")
}
