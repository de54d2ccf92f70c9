//! Token claims and scopes (mapping §4.1): `context.idToken[k] = v` and `context.idToken.k = v`
//! become `api.idToken.setCustomClaim(k, v)`, the same for the access token.
//! `context.accessToken.scope = …` replaced the whole scope set in Rules: the Action removes each
//! requested scope that is not wanted and adds each wanted one.

use super::print::{preferred_quote, string_literal};
use super::Ctx;
use crate::analysis::context_writes::ContextWrite;
use crate::analysis::model::Model;
use crate::diagnostics::Code;
use crate::edits::Piece;
use swc_common::Spanned;
use swc_ecma_ast::AssignOp;

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let writes = &model.context_writes;
    // Each Rules assignment replaced the whole scope set; with several, which scopes an earlier
    // one added is only known at run time.
    let scope_assignments = writes.iter().filter(|w| is_scope_assignment(w)).count();
    for write in writes {
        if scope_assignments > 1 && is_scope_assignment(write) {
            ctx.claim(&write.root);
            ctx.flag(Code::TokenClaims, &write.assign, "context.accessToken.scope is assigned more than once; set the final scopes with api.accessToken.addScope / removeScope");
            continue;
        }
        let token = match write.first() {
            Some("idToken") => "idToken",
            Some("accessToken") => "accessToken",
            _ => continue,
        };
        convert(ctx, write, token);
    }
}

fn is_scope_assignment(write: &ContextWrite) -> bool {
    write.first() == Some("accessToken") && write.names.len() == 2 && write.names[1].as_deref() == Some("scope")
}

fn convert(ctx: &mut Ctx<'_>, write: &ContextWrite, token: &str) {
    let unconvertible =
        |reason: &str| format!("context.{token}: {reason}; call api.{token}.setCustomClaim(name, value) instead");
    if write.names.len() != 2 {
        let reason = if write.names.len() == 1 {
            "the whole token object is replaced"
        } else {
            "a nested property of a claim is written"
        };
        ctx.claim(&write.root);
        ctx.flag(Code::TokenClaims, &write.assign, unconvertible(reason));
        return;
    }
    if write.assign.op != AssignOp::Assign || write.statement.is_none() {
        ctx.claim(&write.root);
        let reason = if write.assign.op != AssignOp::Assign {
            "a claim is updated in place"
        } else {
            "the assignment's value is used"
        };
        ctx.flag(Code::TokenClaims, &write.assign, unconvertible(reason));
        return;
    }
    ctx.claim(&write.root);
    if token == "accessToken" && write.names[1].as_deref() == Some("scope") && write.computed[1].is_none() {
        convert_scope(ctx, write);
        return;
    }
    let key = match (&write.computed[1], &write.names[1]) {
        (Some(expr), _) => Piece::Source(ctx.range(expr.span())),
        (None, Some(name)) => Piece::Text(string_literal(name, preferred_quote(ctx.text))),
        (None, None) => return,
    };
    let pieces = vec![
        Piece::Text(format!("api.{token}.setCustomClaim(")),
        key,
        Piece::Text(", ".into()),
        Piece::Source(ctx.range(write.assign.right.span())),
        Piece::Text(")".into()),
    ];
    ctx.edits.replace_with(ctx.range(write.assign.span), pieces);
    ctx.report(
        Code::TokenClaim,
        &write.assign,
        format!("context.{token} claim converted to api.{token}.setCustomClaim"),
    );
}

/// `context.accessToken.scope = value` (an array or a space-separated string).
fn convert_scope(ctx: &mut Ctx<'_>, write: &ContextWrite) {
    let range = write.statement.clone().expect("checked by the caller");
    let wanted = ctx.bindings.fresh_name("wantedScopes");
    let scope = ctx.bindings.fresh_name("scope");
    let statements = vec![
        vec![
            Piece::Text(format!("const {wanted} = [].concat(")),
            Piece::Source(ctx.range(write.assign.right.span())),
            Piece::Text(").join(' ').split(' ').filter(Boolean);".into()),
        ],
        vec![Piece::Text(format!(
            "for (const {scope} of event.transaction?.requested_scopes ?? []) if (!{wanted}.includes({scope})) api.accessToken.removeScope({scope});"
        ))],
        vec![Piece::Text(format!("for (const {scope} of {wanted}) api.accessToken.addScope({scope});"))],
    ];
    // The helper names are block-scoped: braces keep them from clashing with the rule's own.
    ctx.replace_statement(range, false, statements);
    ctx.report(
        Code::Scopes,
        &write.assign,
        "context.accessToken.scope converted to removeScope / addScope calls",
    );
}
