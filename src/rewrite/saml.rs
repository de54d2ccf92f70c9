//! SAML (mapping §4.6): `context.samlConfiguration.X = v` becomes `api.samlResponse.setX(v)`;
//! `mappings` entries become `api.samlResponse.setAttribute(uri, event.user.<field>)`. Keys with no
//! setter are flagged.

use super::print::{is_identifier, preferred_quote, string_literal};
use super::Ctx;
use crate::analysis::context_writes::ContextWrite;
use crate::analysis::model::Model;
use crate::analysis::scope::Param;
use crate::diagnostics::Code;
use crate::edits::Piece;
use swc_common::Spanned;
use swc_ecma_ast::*;

const SETTERS: &[&str] = &[
    "audience",
    "recipient",
    "destination",
    "issuer",
    "lifetimeInSeconds",
    "createUpnClaim",
    "passthroughClaimsWithNoMapping",
    "mapUnknownClaimsAsIs",
    "mapIdentities",
    "signatureAlgorithm",
    "digestAlgorithm",
    "signResponse",
    "nameIdentifierFormat",
    "nameIdentifierProbes",
    "authnContextClassRef",
    "typedAttributes",
    "includeAttributeNameFormat",
    "signingCert",
    "encryptionCert",
    "encryptionPublicKey",
    "cert",
    "key",
    "RelayState",
];

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let writes = &model.context_writes;
    for write in writes {
        if write.first() == Some("samlConfiguration") {
            ctx.claim(&write.root);
            convert(ctx, write);
        }
    }
}

fn setter(key: &str) -> String {
    let mut chars = key.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
    format!("set{first}{}", chars.as_str())
}

fn convert(ctx: &mut Ctx<'_>, write: &ContextWrite) {
    let Some(range) = write.statement.clone().filter(|_| write.assign.op == AssignOp::Assign) else {
        ctx.flag(
            Code::Saml,
            &write.assign,
            "this samlConfiguration change could not be converted; use the api.samlResponse setters",
        );
        return;
    };
    match write.names.get(1..) {
        // `context.samlConfiguration = context.samlConfiguration || {}` only prepares the object.
        Some([]) if is_self_default(ctx, &write.assign.right) => {
            mark_context_handled(ctx, &write.assign.right);
            ctx.delete_statement(range);
        }
        Some([Some(key)]) if SETTERS.contains(&key.as_str()) => {
            let pieces = vec![
                Piece::Text(format!("api.samlResponse.{}(", setter(key))),
                Piece::Source(ctx.range(write.assign.right.span())),
                Piece::Text(")".into()),
            ];
            ctx.edits.replace_with(ctx.range(write.assign.span), pieces);
            ctx.report(Code::SamlConverted, &write.assign, format!("samlConfiguration.{key} converted to api.samlResponse.{}", setter(key)));
        }
        Some([Some(mappings)]) if mappings == "mappings" => match mapping_calls(ctx, &write.assign.right) {
            Some(calls) if !calls.is_empty() => {
                ctx.replace_statement(range, write.in_block, calls);
                ctx.report(Code::SamlConverted, &write.assign, "samlConfiguration.mappings converted to api.samlResponse.setAttribute calls");
            }
            _ => ctx.flag(Code::Saml, &write.assign, "samlConfiguration.mappings is not an object of attribute → profile field strings; call api.samlResponse.setAttribute(uri, value) yourself"),
        },
        _ => {
            let key = write.names.get(1).cloned().flatten().unwrap_or_else(|| "…".into());
            ctx.flag(Code::Saml, &write.assign, format!("samlConfiguration.{key} has no api.samlResponse setter"));
        }
    }
}

/// `context.samlConfiguration || {}`.
fn is_self_default(ctx: &Ctx<'_>, right: &Expr) -> bool {
    let Expr::Bin(BinExpr {
        op: BinaryOp::LogicalOr,
        left,
        right,
        ..
    }) = right
    else {
        return false;
    };
    let empty_object = matches!(&**right, Expr::Object(o) if o.props.is_empty());
    let itself = matches!(&**left, Expr::Member(MemberExpr { obj, prop: MemberProp::Ident(p), .. })
        if p.sym == *"samlConfiguration" && ctx.bindings.is_param(obj, Param::Context));
    empty_object && itself
}

fn mark_context_handled(ctx: &mut Ctx<'_>, right: &Expr) {
    if let Expr::Bin(BinExpr { left, .. }) = right {
        if let Expr::Member(MemberExpr { obj, .. }) = &**left {
            if let Expr::Ident(context) = &**obj {
                ctx.claim(context);
            }
        }
    }
}

/// `user_metadata.address.city` or `identities[0].user_id` as a member chain on `event.user`.
/// Rules resolved a mapping to nothing when a step was missing, so every step after the first
/// is optional.
fn profile_path(field: &str, quote: char) -> String {
    let mut path = String::new();
    let parts: Vec<&str> = field.split('.').collect();
    for (index, part) in parts.iter().enumerate() {
        // Actions always give app_metadata and user_metadata, as objects.
        let always_present = index == 1 && matches!(parts[0], "app_metadata" | "user_metadata");
        let (name, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (*part, ""),
        };
        let dot = if index == 0 || always_present { "." } else { "?." };
        if is_identifier(name) {
            path.push_str(&format!("{dot}{name}"));
        } else {
            let optional = if index == 0 || always_present { "" } else { "?." };
            path.push_str(&format!("{optional}[{}]", string_literal(name, quote)));
        }
        for index_text in indexes.split_inclusive(']') {
            let inner = index_text.trim_start_matches('[').trim_end_matches(']');
            if inner.chars().all(|c| c.is_ascii_digit()) && !inner.is_empty() {
                path.push_str(&format!("?.[{inner}]"));
            } else if !inner.is_empty() {
                path.push_str(&format!("?.[{}]", string_literal(inner, quote)));
            }
        }
    }
    path
}

/// `{ 'uri': 'field.path', … }` → `api.samlResponse.setAttribute('uri', event.user.field.path)`.
fn mapping_calls(ctx: &Ctx<'_>, right: &Expr) -> Option<Vec<Vec<Piece>>> {
    let Expr::Object(object) = right else { return None };
    let quote = preferred_quote(ctx.text);
    object
        .props
        .iter()
        .map(|prop| {
            let PropOrSpread::Prop(prop) = prop else { return None };
            let Prop::KeyValue(kv) = &**prop else { return None };
            let uri = ctx.key_literal(&kv.key)?;
            let Expr::Lit(Lit::Str(field)) = &*kv.value else {
                return None;
            };
            let field = field.value.as_atom()?.to_string();
            let path = profile_path(&field, quote);
            Some(vec![Piece::Text(format!(
                "api.samlResponse.setAttribute({uri}, event.user{path});"
            ))])
        })
        .collect()
}
