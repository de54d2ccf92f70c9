//! Redirects (mapping §4.5): `context.redirect = { url }` becomes `api.redirect.sendUserTo(url)`
//! and the Action also exports `onContinuePostLogin`. Rules ran every rule again after /continue,
//! with `context.protocol === 'redirect-callback'`; the continue handler runs the same handler with
//! that protocol, so the rule's own continue branch decides what happens, as before.
//! `context.primaryUser = id` (§4.8) becomes `api.authentication.setPrimaryUser(id)`.

use super::Ctx;
use crate::analysis::context_writes::ContextWrite;
use crate::analysis::model::Model;
use crate::diagnostics::Code;
use crate::edits::Piece;
use swc_common::{Span, Spanned};
use swc_ecma_ast::*;

pub const CONTINUE_HANDLER: &str = "exports.onContinuePostLogin = async (event, api) =>\n  exports.onExecutePostLogin({ ...event, transaction: { ...event.transaction, protocol: 'redirect-callback' } }, api);";

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let writes = &model.context_writes;
    // Actions set the primary user once per login: with several writes the final id is only
    // known at run time.
    let primary_user_writes = writes.iter().filter(|w| w.first() == Some("primaryUser")).count();
    for write in writes {
        match write.first() {
            Some("primaryUser") if primary_user_writes > 1 => {
                ctx.claim(&write.root);
                ctx.flag(Code::PrimaryUser, &write.assign, "context.primaryUser is set more than once; call api.authentication.setPrimaryUser once, with the final id");
            }
            Some("redirect") => {
                ctx.claim(&write.root);
                convert_redirect(ctx, write);
            }
            Some("primaryUser") => {
                ctx.claim(&write.root);
                convert_primary_user(ctx, write);
            }
            _ => {}
        }
    }
}

fn plain_assignment(write: &ContextWrite) -> bool {
    write.names.len() == 1 && write.assign.op == AssignOp::Assign && write.statement.is_some()
}

fn convert_redirect(ctx: &mut Ctx<'_>, write: &ContextWrite) {
    let url = match &*write.assign.right {
        Expr::Object(object) if plain_assignment(write) => only_url(object),
        _ => None,
    };
    let Some(url) = url else {
        ctx.flag(
            Code::Redirect,
            &write.assign,
            "context.redirect is not a literal { url: … }; call api.redirect.sendUserTo(url, { query }) yourself",
        );
        return;
    };
    // Rules ignored context.redirect on the run after /continue; a rule that does not tell that
    // run apart gets the guard, or the continue handler would redirect again.
    let guard = if ctx.text.contains("redirect-callback") {
        ""
    } else {
        "event.transaction?.protocol !== 'redirect-callback' && "
    };
    let pieces = vec![
        Piece::Text(format!("{guard}api.redirect.sendUserTo(")),
        Piece::Source(ctx.range(url)),
        Piece::Text(")".into()),
    ];
    ctx.edits.replace_with(ctx.range(write.assign.span), pieces);
    ctx.continues = true;
    ctx.report(
        Code::RedirectConverted,
        &write.assign,
        "context.redirect converted to api.redirect.sendUserTo, with onContinuePostLogin",
    );
}

/// The span of the url in `{ url: … }` or `{ url }`, the only key.
fn only_url(object: &ObjectLit) -> Option<Span> {
    let [PropOrSpread::Prop(prop)] = object.props.as_slice() else {
        return None;
    };
    match &**prop {
        Prop::KeyValue(KeyValueProp {
            key: PropName::Ident(key),
            value,
        }) if key.sym == *"url" => Some(value.span()),
        Prop::Shorthand(ident) if ident.sym == *"url" => Some(ident.span),
        _ => None,
    }
}

fn convert_primary_user(ctx: &mut Ctx<'_>, write: &ContextWrite) {
    if !plain_assignment(write) {
        ctx.flag(
            Code::PrimaryUser,
            &write.assign,
            "this context.primaryUser change could not be converted; call api.authentication.setPrimaryUser(id)",
        );
        return;
    }
    let pieces = vec![
        Piece::Text("api.authentication.setPrimaryUser(".into()),
        Piece::Source(ctx.range(write.assign.right.span())),
        Piece::Text(")".into()),
    ];
    ctx.edits.replace_with(ctx.range(write.assign.span), pieces);
    ctx.report(
        Code::PrimaryUserConverted,
        &write.assign,
        "context.primaryUser converted to api.authentication.setPrimaryUser",
    );
}
