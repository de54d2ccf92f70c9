//! Token claims and scopes (mapping §4.1): `context.idToken[k] = v` and `context.idToken.k = v`
//! become `api.idToken.setCustomClaim(k, v)`, the same for the access token.
//! `context.accessToken.scope = …` replaced the whole scope set in Rules: the Action removes each
//! requested scope that is not wanted and adds each wanted one, whether the rule wrote `.scope` or
//! `['scope']`. A whole object of claims (`context.idToken = {…}`, `Object.assign(context.idToken,
//! {…})` and the copy merged back) becomes one `setCustomClaim` per key.

use super::print::{preferred_quote, string_literal};
use super::Ctx;
use crate::analysis::context_writes::{ContextMerge, ContextWrite};
use crate::analysis::model::Model;
use crate::diagnostics::Code;
use crate::edits::Piece;
use std::ops::Range;
use swc_common::{Span, Spanned};
use swc_ecma_ast::{AssignOp, Expr, ExprOrSpread, Prop, PropName, PropOrSpread};

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
        let Some(token) = token_of(write.first()) else {
            continue;
        };
        convert(ctx, write, token);
    }
    for merge in &model.context_merges {
        if let Some(token) = token_of(merge.first()) {
            merge.roots.iter().for_each(|root| ctx.claim(root));
            convert_merge(ctx, merge, token);
        }
    }
}

fn token_of(first: Option<&str>) -> Option<&'static str> {
    match first {
        Some("idToken") => Some("idToken"),
        Some("accessToken") => Some("accessToken"),
        _ => None,
    }
}

fn is_scope_assignment(write: &ContextWrite) -> bool {
    write.first() == Some("accessToken") && write.names.len() == 2 && write.names[1].as_deref() == Some("scope")
}

fn convert(ctx: &mut Ctx<'_>, write: &ContextWrite, token: &str) {
    let unconvertible =
        |reason: &str| format!("context.{token}: {reason}; call api.{token}.setCustomClaim(name, value) instead");
    if write.names.len() == 1 && write.assign.op == AssignOp::Assign && matches!(&*write.assign.right, Expr::Object(_))
    {
        ctx.claim(&write.root);
        let whole = Merge {
            span: write.assign.span,
            names: &write.names,
            sources: &[ExprOrSpread {
                spread: None,
                expr: write.assign.right.clone(),
            }],
            statement: write.statement.clone(),
            in_block: write.in_block,
            replaces: true,
        };
        convert_claims(ctx, &whole, token);
        return;
    }
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
    if is_scope_assignment(write) {
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

/// Keys merged into a token object, from an assignment of a whole object or an `Object.assign`.
struct Merge<'m> {
    span: Span,
    names: &'m [Option<String>],
    sources: &'m [ExprOrSpread],
    statement: Option<Range<usize>>,
    in_block: bool,
    /// Whether the rule replaced the whole object, dropping the claims set before.
    replaces: bool,
}

fn convert_merge(ctx: &mut Ctx<'_>, merge: &ContextMerge, token: &str) {
    let merge = Merge {
        span: merge.span,
        names: &merge.names,
        sources: &merge.sources,
        statement: merge.statement.clone(),
        in_block: merge.in_block,
        replaces: false,
    };
    convert_claims(ctx, &merge, token);
}

/// One `setCustomClaim` statement per key of each literal source, and a loop over the keys of any
/// other source, in the order `Object.assign` would copy them.
fn convert_claims(ctx: &mut Ctx<'_>, merge: &Merge<'_>, token: &str) {
    let unconvertible = |reason: &str| {
        format!("context.{token}: {reason}; call api.{token}.setCustomClaim(name, value) for each claim instead")
    };
    let problem = if merge.names.len() != 1 {
        Some("claims are merged into a nested property of the token")
    } else if merge.sources.iter().any(|s| s.spread.is_some()) {
        Some("the claims come from a spread list of objects")
    } else if merge.statement.is_none() {
        Some("the merged object is used as a value")
    } else if token == "accessToken" && merge.sources.iter().any(|s| sets_scope(ctx, s)) {
        Some("the scope is set among other claims (set it with addScope / removeScope)")
    } else {
        None
    };
    if let Some(reason) = problem {
        ctx.flag(Code::TokenClaims, &merge.span, unconvertible(reason));
        return;
    }
    let range = merge.statement.clone().expect("checked above");
    let mut statements = Vec::new();
    for source in merge.sources {
        statements.extend(claim_statements(ctx, source, token));
    }
    for source in merge.sources {
        if let Expr::Object(object) = &*source.expr {
            ctx.keep_inner_comments(range.start, object);
        }
    }
    if statements.is_empty() {
        ctx.delete_statement(range);
    } else {
        ctx.replace_statement(range, merge.in_block, statements);
    }
    let message = if merge.replaces {
        format!("context.{token} = {{…}} converted to one api.{token}.setCustomClaim per key; claims set before (by this or an earlier rule) stay, where Rules dropped them with the old object")
    } else {
        format!("the claims merged into context.{token} converted to one api.{token}.setCustomClaim per key")
    };
    ctx.report(Code::TokenClaim, &merge.span, message);
}

/// Whether a source of claims for the access token names `scope`, which is no custom claim.
fn sets_scope(ctx: &Ctx<'_>, source: &ExprOrSpread) -> bool {
    let Expr::Object(object) = &*source.expr else {
        return false;
    };
    object.props.iter().any(|prop| match prop {
        PropOrSpread::Prop(prop) => match &**prop {
            Prop::KeyValue(kv) => ctx.key_literal(&kv.key).is_some_and(|k| k[1..k.len() - 1] == *"scope"),
            Prop::Shorthand(ident) => ident.sym == *"scope",
            _ => false,
        },
        PropOrSpread::Spread(_) => false,
    })
}

/// The statements setting the claims of one source.
fn claim_statements(ctx: &mut Ctx<'_>, source: &ExprOrSpread, token: &str) -> Vec<Vec<Piece>> {
    let set = |key: Piece, value: Piece| {
        vec![
            Piece::Text(format!("api.{token}.setCustomClaim(")),
            key,
            Piece::Text(", ".into()),
            value,
            Piece::Text(");".into()),
        ]
    };
    if let Expr::Object(object) = &*source.expr {
        let literal: Option<Vec<(Piece, Piece)>> = object
            .props
            .iter()
            .map(|prop| {
                let PropOrSpread::Prop(prop) = prop else { return None };
                match &**prop {
                    Prop::KeyValue(kv) => Some((claim_key(ctx, &kv.key)?, Piece::Source(ctx.range(kv.value.span())))),
                    Prop::Shorthand(ident) => Some((
                        Piece::Text(string_literal(&ident.sym, preferred_quote(ctx.text))),
                        Piece::Source(ctx.range(ident.span)),
                    )),
                    _ => None,
                }
            })
            .collect();
        if let Some(entries) = literal {
            return entries.into_iter().map(|(key, value)| set(key, value)).collect();
        }
    }
    // `Object.assign` copies the own enumerable keys of any value, and skips null and undefined,
    // as a spread does.
    let key = ctx.bindings.fresh_name("claim");
    let value = ctx.bindings.fresh_name("value");
    vec![vec![
        Piece::Text(format!("for (const [{key}, {value}] of Object.entries({{ ...")),
        Piece::Source(ctx.range(source.expr.span())),
        Piece::Text(format!(" }})) api.{token}.setCustomClaim({key}, {value});")),
    ]]
}

/// A claim's name: `a` and `2` become `'a'` and `'2'`, a string stays as written, `[expr]` is
/// `expr`.
fn claim_key(ctx: &Ctx<'_>, key: &PropName) -> Option<Piece> {
    match key {
        PropName::Computed(computed) => Some(Piece::Source(ctx.range(computed.expr.span()))),
        // `Object.assign` names the claim `'2'` for a key `2`.
        PropName::Num(number) => Some(Piece::Text(string_literal(
            &number.value.to_string(),
            preferred_quote(ctx.text),
        ))),
        _ => ctx.key_literal(key).map(Piece::Text),
    }
}
