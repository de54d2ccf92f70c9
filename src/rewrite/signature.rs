//! The handler (mapping §1): the rule function's header becomes
//! `exports.onExecutePostLogin = async (event, api) => {`. When the callback is awaited, the body
//! is wrapped in the Promise whose resolution stands for the callback, and the rule's error
//! denies the login once the body has called back. The body's lines are re-indented to their new
//! depth (lines inside a template literal excepted: their whitespace is part of the string), so
//! the Action reads like hand-written code; the diff can tell whitespace-only changes apart.

use super::callback::message_of;
use super::redirect::CONTINUE_HANDLER;
use super::{CallbackMode, Ctx};
use crate::analysis::model::Model;
use crate::analysis::rule::RuleForm;
use crate::diagnostics::Code;
use crate::edits::Piece;

/// The first line of every converted Action's handler.
pub const HANDLER_HEADER: &str = "exports.onExecutePostLogin = async (event, api) => {";

pub fn run(ctx: &mut Ctx<'_>, _model: &Model) {
    let rule = ctx.rule;
    let newline = ctx.newline;
    let unit = ctx.indent_unit.clone();
    let mut header = HANDLER_HEADER.to_string();
    if let CallbackMode::Awaited { done, error } = &ctx.callback_mode {
        let executor = if rule.is_async { "async " } else { "" };
        let thrown = ctx.bindings.fresh_name("ruleThrown");
        // Whatever the body throws denies the login at once: an `async` executor's exception
        // would otherwise leave the Promise pending until the time limit. The error may be a
        // string (`callback('No licence')`), an Error, or anything else thrown.
        header.push_str(&format!(
            "{newline}{unit}const {error} = await new Promise({executor}({done}) => {{{newline}{unit}{unit}try {{"
        ));
        let close = rule.body_range.end - 1;
        let line_start = ctx.source.line_start(close);
        let catch = [
            format!("{unit}{unit}}} catch ({thrown}) {{"),
            format!("{unit}{unit}{unit}{done}({thrown} || new Error(String({thrown})));"),
            format!("{unit}{unit}}}"),
            format!("{unit}}});"),
            format!("{unit}if ({error}) return api.access.deny("),
        ]
        .join(newline);
        let mut footer = vec![Piece::Text(catch)];
        footer.extend(message_of(Piece::Text(error.clone())));
        footer.push(Piece::Text(format!(");{newline}")));
        // The body now sits two levels deeper: in the Promise's executor, in the `try`.
        let closes_alone = ctx.text[line_start..close].trim().is_empty();
        let body_end = if closes_alone {
            line_start
        } else {
            footer.insert(0, Piece::Text(newline.to_string()));
            close
        };
        ctx.edits.indent(rule.header.end..body_end, unit.repeat(2));
        ctx.edits.replace_with(body_end..body_end, footer);
    }
    ctx.edits.replace(rule.header.clone(), header);

    let after_body = &ctx.text[rule.body_range.end..];
    let has_semicolon = after_body.trim_start().starts_with(';');
    let mut footer = String::new();
    if rule.form != RuleForm::ModuleExports && !has_semicolon {
        footer.push(';');
    }
    if ctx.continues {
        let semicolon_len = if has_semicolon {
            after_body.find(';').map_or(0, |n| n + 1)
        } else {
            0
        };
        let continue_handler = CONTINUE_HANDLER.replace('\n', newline);
        footer.push_str(&format!("{newline}{newline}{continue_handler}"));
        ctx.edits.insert(rule.body_range.end + semicolon_len, footer);
    } else if !footer.is_empty() {
        ctx.edits.insert(rule.body_range.end, footer);
    }
    let name = rule.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
    let at = rule.header.start..rule.header.start;
    ctx.findings.push(super::Finding {
        code: Code::Signature,
        range: at,
        message: format!("rule function{name} converted to exports.onExecutePostLogin"),
    });
}
