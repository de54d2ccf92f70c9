//! SAML (mapping §4.6): `context.samlConfiguration.X = v` becomes `api.samlResponse.setX(v)`;
//! `mappings` entries (a whole object, or one `mappings[uri] = field`) become
//! `api.samlResponse.setAttribute(uri, event.user.<field>)`. Keys with no setter are flagged.
//!
//! Rules resolved the mappings against the user once every rule was done: where the rule changes
//! a mapped field later (often in a request callback), the attribute is set again after that
//! change. A field that is not an `event.user` field may have been an app_metadata key, which
//! Rules merged into the user: that is flagged, as for reads.

use super::print::{is_identifier, preferred_quote, string_literal};
use super::Ctx;
use crate::analysis::accesses::{split_chain, ChainUse};
use crate::analysis::context_writes::ContextWrite;
use crate::analysis::model::Model;
use crate::analysis::scope::Param;
use crate::diagnostics::Code;
use crate::edits::Piece;
use crate::mapping::USER_PROFILE_FIELDS;
use std::ops::Range;
use swc_common::{Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

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
    if !writes.iter().any(|w| w.first() == Some("samlConfiguration")) {
        return;
    }
    let later = LaterChanges::find(ctx, model);
    for write in writes {
        if write.first() == Some("samlConfiguration") {
            ctx.claim(&write.root);
            convert(ctx, write, &later);
        }
    }
}

/// The rule's changes to user fields, for the mappings that read them: each change, and the
/// statement holding it when it is a statement of its own.
struct LaterChanges {
    changes: Vec<(String, Span, Option<Range<usize>>)>,
}

impl LaterChanges {
    fn find(ctx: &Ctx<'_>, model: &Model) -> LaterChanges {
        let mut statements = AssignStatements { found: Vec::new() };
        ctx.parsed.visit(&mut statements);
        let changes = model
            .accesses
            .iter()
            .filter_map(|chain| match chain {
                ChainUse::Chain { root, segments, role }
                    if role.writes() && ctx.bindings.param(root) == Some(Param::User) =>
                {
                    let field = segments.first()?.name.clone()?;
                    let span = segments.last()?.span;
                    let statement = statements
                        .found
                        .iter()
                        .find(|(target, _)| *target == span)
                        .map(|(_, statement)| ctx.range(*statement));
                    Some((field, span, statement))
                }
                _ => None,
            })
            .collect();
        LaterChanges { changes }
    }

    /// Whether the rule sets `field` itself.
    fn sets(&self, field: &str) -> bool {
        self.changes.iter().any(|(name, _, _)| name == field)
    }

    /// The changes to `field` after `offset`.
    fn of(&self, ctx: &Ctx<'_>, field: &str, offset: usize) -> Vec<(Span, Option<Range<usize>>)> {
        self.changes
            .iter()
            .filter(|(name, span, _)| name == field && ctx.range(*span).start > offset)
            .map(|(_, span, statement)| (*span, statement.clone()))
            .collect()
    }
}

/// Statements `target = value;`: the target's span and the statement's.
struct AssignStatements {
    found: Vec<(Span, Span)>,
}

impl Visit for AssignStatements {
    fn visit_expr_stmt(&mut self, stmt: &ExprStmt) {
        if let Expr::Assign(assign) = &*stmt.expr {
            self.found.push((assign.left.span(), stmt.span));
        }
        stmt.visit_children_with(self);
    }
}

fn setter(key: &str) -> String {
    let mut chars = key.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
    format!("set{first}{}", chars.as_str())
}

fn convert(ctx: &mut Ctx<'_>, write: &ContextWrite, later: &LaterChanges) {
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
        Some([] | [Some(_)]) if is_self_default(ctx, &write.assign.right, &write.names) => {
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
        Some([Some(mappings)]) if mappings == "mappings" => match mapping_entries(ctx, &write.assign.right) {
            Some(entries) if !entries.is_empty() => {
                let calls = entries
                    .iter()
                    .map(|(uri, field)| set_attribute(ctx, uri, field, &write.assign, later))
                    .collect();
                ctx.replace_statement(range, write.in_block, calls);
                ctx.report(Code::SamlConverted, &write.assign, "samlConfiguration.mappings converted to api.samlResponse.setAttribute calls");
            }
            _ => ctx.flag(Code::Saml, &write.assign, "samlConfiguration.mappings is not an object of attribute → profile field strings; call api.samlResponse.setAttribute(uri, value) yourself"),
        },
        // `mappings[uri] = 'field'`, one attribute.
        Some([Some(mappings), _]) if mappings == "mappings" => {
            let uri = match (&write.computed[2], &write.names[2]) {
                (Some(key), _) => Some(ctx.text_of(&**key).to_string()),
                (None, Some(name)) => Some(string_literal(name, preferred_quote(ctx.text))),
                (None, None) => None,
            };
            match (uri, &*write.assign.right) {
                (Some(uri), Expr::Lit(Lit::Str(field))) if field.value.as_atom().is_some() => {
                    let field = field.value.as_atom().map(|a| a.to_string()).unwrap_or_default();
                    let call = set_attribute(ctx, &uri, &field, &write.assign, later);
                    ctx.replace_statement(range, write.in_block, vec![call]);
                    ctx.report(Code::SamlConverted, &write.assign, "samlConfiguration.mappings entry converted to api.samlResponse.setAttribute");
                }
                _ => ctx.flag(Code::Saml, &write.assign, "this samlConfiguration.mappings entry is not a profile field string; call api.samlResponse.setAttribute(uri, value) yourself"),
            }
        }
        _ => {
            let key = write.names.get(1).cloned().flatten().unwrap_or_else(|| "…".into());
            ctx.flag(Code::Saml, &write.assign, format!("samlConfiguration.{key} has no api.samlResponse setter"));
        }
    }
}

fn unparen(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(ParenExpr { expr, .. }) => unparen(expr),
        other => other,
    }
}

/// `(context.samlConfiguration || {})`, or the same for `mappings`: the written path itself, or
/// an empty object.
fn is_self_default(ctx: &Ctx<'_>, right: &Expr, names: &[Option<String>]) -> bool {
    let Expr::Bin(BinExpr {
        op: BinaryOp::LogicalOr,
        left,
        right,
        ..
    }) = unparen(right)
    else {
        return false;
    };
    let empty_object = matches!(unparen(right), Expr::Object(o) if o.props.is_empty());
    let itself = match unparen(left) {
        Expr::Member(member) => split_chain(member).is_some_and(|(root, segments)| {
            ctx.bindings.param(root) == Some(Param::Context)
                && ctx.bindings.alias_path(root).is_empty()
                && segments.iter().map(|s| &s.name).eq(names.iter())
        }),
        _ => false,
    };
    empty_object && itself
}

fn mark_context_handled(ctx: &mut Ctx<'_>, right: &Expr) {
    if let Expr::Bin(BinExpr { left, .. }) = unparen(right) {
        if let Expr::Member(member) = unparen(left) {
            if let Some((context, _)) = split_chain(member) {
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

/// `{ 'uri': 'field.path', … }` → the attribute names, as written, and the profile fields.
fn mapping_entries(ctx: &Ctx<'_>, right: &Expr) -> Option<Vec<(String, String)>> {
    let Expr::Object(object) = right else { return None };
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
            Some((uri, field.value.as_atom()?.to_string()))
        })
        .collect()
}

/// `api.samlResponse.setAttribute(uri, event.user.field.path);`, set again after each later change
/// of the field (Rules read it once the rule was done); a field that is not an `event.user` field,
/// nor one the rule sets, is flagged as a possible app_metadata key.
fn set_attribute(ctx: &mut Ctx<'_>, uri: &str, field: &str, mapping: &AssignExpr, later: &LaterChanges) -> Vec<Piece> {
    let call = format!(
        "api.samlResponse.setAttribute({uri}, event.user{});",
        profile_path(field, preferred_quote(ctx.text))
    );
    let root = field.split(['.', '[']).next().unwrap_or_default();
    if !is_identifier(root) {
        ctx.flag(
            Code::Saml,
            mapping,
            format!("the SAML attribute `{uri}` maps `{field}`, which is no user field name: Rules looked it up on the user; if a fixed value was meant, pass the value to api.samlResponse.setAttribute"),
        );
    } else if !USER_PROFILE_FIELDS.contains(&root) && !later.sets(root) {
        ctx.flag(
            Code::UnknownUserProperty,
            mapping,
            format!("the SAML attribute `{uri}` maps user.{root}, which is not an Actions event.user field; if it is an app_metadata key, map app_metadata.{root}"),
        );
    }
    let end = ctx.range(mapping.span).end;
    for (change, statement) in later.of(ctx, root, end) {
        match statement {
            Some(statement) => {
                let indent = ctx.indentation_at(statement.start).to_string();
                ctx.edits.insert(statement.end, format!("{}{indent}{call}", ctx.newline));
            }
            None => ctx.flag(
                Code::Saml,
                &change,
                format!("user.{root} changes here, after the SAML attribute `{uri}` maps it: Rules sent the changed value; set the attribute again after this change"),
            ),
        }
    }
    vec![Piece::Text(call)]
}
