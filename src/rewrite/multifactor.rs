//! MFA (mapping §4.2): `context.multifactor = { provider, allowRememberBrowser, … }` becomes
//! `api.multifactor.enable(provider, { allowRememberBrowser, providerOptions })`. Duo's keys move
//! under `providerOptions`. Rules default `allowRememberBrowser` to true and Actions to false, so
//! an omitted flag is written out as `true` to keep the same MFA frequency.

use super::Ctx;
use crate::analysis::context_writes::ContextWrite;
use crate::analysis::model::Model;
use crate::diagnostics::Code;
use crate::edits::Piece;
use std::ops::Range;
use swc_common::Spanned;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

const DUO_KEYS: &[&str] = &["ikey", "skey", "host", "username"];

/// One option's value: a range of the rule's text, or a member read of a named object.
enum Value {
    Source(Range<usize>),
    Member(String),
}

struct Settings {
    provider: Value,
    remember_browser: Option<Value>,
    duo: Vec<(String, Value)>,
}

/// `context_writes` are the rule's assignments to `context.*`, found once for the rewrites of side
/// effects; the MFA ones are among them.
pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let context_writes = &model.context_writes;
    let writes: Vec<&ContextWrite> = context_writes.iter().filter(|w| is_multifactor_assignment(w)).collect();
    if writes.is_empty() {
        return;
    }
    let objects = named_objects(ctx);
    for write in writes {
        convert(ctx, &write.assign, write.statement.clone(), &objects);
    }
}

/// `context.multifactor = …`: a plain `=` to the dotted name.
fn is_multifactor_assignment(write: &ContextWrite) -> bool {
    write.assign.op == AssignOp::Assign
        && write.names.len() == 1
        && write.first() == Some("multifactor")
        && write.computed[0].is_none()
}

fn convert(ctx: &mut Ctx<'_>, assign: &AssignExpr, statement: Option<Range<usize>>, objects: &[NamedObject]) {
    let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left else {
        return;
    };
    let Expr::Ident(context) = &*member.obj else { return };
    let settings = match &*assign.right {
        Expr::Object(object) => read_literal(ctx, object),
        Expr::Ident(name) => Some(read_named(ctx, name, objects)),
        _ => None,
    };
    let Some(settings) = settings else {
        ctx.flag(Code::MultifactorDynamic, assign, "context.multifactor is assigned a value the converter cannot read; call api.multifactor.enable(provider, options) yourself");
        return;
    };
    ctx.claim(context);
    if let (Some(range), Expr::Object(object)) = (statement, &*assign.right) {
        keep_inner_comments(ctx, range.start, object);
    }
    let pieces = enable_call(ctx, &settings, assign);
    ctx.edits.replace_with(ctx.range(assign.span), pieces);
    ctx.report(
        Code::Multifactor,
        assign,
        "context.multifactor converted to api.multifactor.enable",
    );
}

fn property_key(key: &PropName) -> Option<String> {
    match key {
        PropName::Ident(name) => Some(name.sym.to_string()),
        PropName::Str(s) => s.value.as_atom().map(|a| a.to_string()),
        _ => None,
    }
}

/// Reads a literal `{ provider: …, … }`; `None` when its shape is dynamic (spreads, computed keys).
fn read_literal(ctx: &mut Ctx<'_>, object: &ObjectLit) -> Option<Settings> {
    let mut provider = None;
    let mut remember_browser = None;
    let mut duo = Vec::new();
    for prop in &object.props {
        let PropOrSpread::Prop(prop) = prop else { return None };
        let (key, value) = match &**prop {
            Prop::KeyValue(kv) => (property_key(&kv.key)?, ctx.range(kv.value.span())),
            Prop::Shorthand(ident) => (ident.sym.to_string(), ctx.range(ident.span)),
            _ => return None,
        };
        let value = Value::Source(value);
        match key.as_str() {
            "provider" => provider = Some(value),
            "allowRememberBrowser" => remember_browser = Some(value),
            key if DUO_KEYS.contains(&key) => duo.push((key.to_string(), value)),
            other => ctx.flag(
                Code::MultifactorOption,
                &**prop,
                format!("the multifactor option `{other}` has no Action equivalent and was dropped"),
            ),
        }
    }
    Some(Settings {
        provider: provider?,
        remember_browser,
        duo,
    })
}

/// An object literal bound to a name that nothing else writes: `const mfa = {…}`.
struct NamedObject {
    name: String,
    keys: Vec<String>,
}

fn named_objects(ctx: &Ctx<'_>) -> Vec<NamedObject> {
    struct Finder {
        declared: Vec<NamedObject>,
        written: Vec<String>,
    }
    impl Visit for Finder {
        fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
            if let (Pat::Ident(name), Some(init)) = (&decl.name, &decl.init) {
                if let Expr::Object(object) = &**init {
                    let keys = object
                        .props
                        .iter()
                        .map(|p| match p {
                            PropOrSpread::Prop(p) => match &**p {
                                Prop::KeyValue(kv) => property_key(&kv.key),
                                Prop::Shorthand(i) => Some(i.sym.to_string()),
                                _ => None,
                            },
                            PropOrSpread::Spread(_) => None,
                        })
                        .collect::<Option<Vec<_>>>();
                    match keys {
                        Some(keys) => self.declared.push(NamedObject {
                            name: name.id.sym.to_string(),
                            keys,
                        }),
                        None => self.written.push(name.id.sym.to_string()),
                    }
                } else {
                    self.written.push(name.id.sym.to_string());
                }
            }
            decl.visit_children_with(self);
        }

        fn visit_assign_expr(&mut self, assign: &AssignExpr) {
            if let AssignTarget::Simple(target) = &assign.left {
                let root = match target {
                    SimpleAssignTarget::Ident(i) => Some(&i.id),
                    SimpleAssignTarget::Member(m) => match &*m.obj {
                        Expr::Ident(i) => Some(i),
                        _ => None,
                    },
                    _ => None,
                };
                self.written.extend(root.map(|i| i.sym.to_string()));
            }
            assign.visit_children_with(self);
        }
    }
    let mut finder = Finder {
        declared: Vec::new(),
        written: Vec::new(),
    };
    ctx.parsed.visit(&mut finder);
    let Finder { declared, written } = finder;
    let once =
        |name: &str| declared.iter().filter(|d| d.name == name).count() == 1 && !written.iter().any(|w| w == name);
    let names: Vec<String> = declared
        .iter()
        .filter(|d| once(&d.name))
        .map(|d| d.name.clone())
        .collect();
    declared.into_iter().filter(|d| names.contains(&d.name)).collect()
}

/// Settings read from a named object at the time of the call: exact when the object's keys are
/// known, flagged when they are not.
fn read_named(ctx: &mut Ctx<'_>, name: &Ident, objects: &[NamedObject]) -> Settings {
    let member = |key: &str| Value::Member(format!("{}.{key}", name.sym));
    match objects.iter().find(|o| o.name == *name.sym) {
        Some(object) => {
            for key in &object.keys {
                if !matches!(key.as_str(), "provider" | "allowRememberBrowser") && !DUO_KEYS.contains(&key.as_str()) {
                    ctx.flag(
                        Code::MultifactorOption,
                        name,
                        format!("the multifactor option `{key}` has no Action equivalent and was dropped"),
                    );
                }
            }
            let has = |key: &str| object.keys.iter().any(|k| k == key);
            Settings {
                provider: member("provider"),
                remember_browser: has("allowRememberBrowser").then(|| member("allowRememberBrowser")),
                duo: DUO_KEYS
                    .iter()
                    .filter(|k| has(k))
                    .map(|k| (k.to_string(), member(k)))
                    .collect(),
            }
        }
        None => {
            ctx.flag(
                Code::MultifactorDynamic,
                name,
                format!(
                    "the keys of `{}` are not known statically; check the provider options",
                    name.sym
                ),
            );
            Settings {
                provider: member("provider"),
                remember_browser: Some(Value::Member(format!("{}.allowRememberBrowser ?? true", name.sym))),
                duo: DUO_KEYS.iter().map(|k| (k.to_string(), member(k))).collect(),
            }
        }
    }
}

fn push_value(pieces: &mut Vec<Piece>, value: &Value) {
    pieces.push(match value {
        Value::Source(range) => Piece::Source(range.clone()),
        Value::Member(text) => Piece::Text(text.clone()),
    });
}

fn is_literal(ctx: &Ctx<'_>, value: &Value, expected: &str) -> bool {
    match value {
        Value::Source(range) => {
            let text = &ctx.text[range.clone()];
            text.len() >= 2 && &text[1..text.len() - 1] == expected && (text.starts_with('\'') || text.starts_with('"'))
        }
        Value::Member(_) => false,
    }
}

fn enable_call(ctx: &mut Ctx<'_>, settings: &Settings, at: &AssignExpr) -> Vec<Piece> {
    let mut pieces = vec![Piece::Text("api.multifactor.enable(".into())];
    push_value(&mut pieces, &settings.provider);
    if is_literal(ctx, &settings.provider, "none") {
        pieces.push(Piece::Text(")".into()));
        return pieces;
    }
    pieces.push(Piece::Text(", {allowRememberBrowser: ".into()));
    match &settings.remember_browser {
        Some(value) => push_value(&mut pieces, value),
        None => {
            ctx.report(
                Code::RememberBrowserDefault,
                at,
                "allowRememberBrowser was not set: the Rules default, true, is now explicit",
            );
            pieces.push(Piece::Text("true".into()));
        }
    }
    if !settings.duo.is_empty() {
        pieces.push(Piece::Text(", providerOptions: {".into()));
        for (index, (key, value)) in settings.duo.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            pieces.push(Piece::Text(format!("{separator}{key}: ")));
            push_value(&mut pieces, value);
        }
        pieces.push(Piece::Text("}".into()));
    }
    pieces.push(Piece::Text("})".into()));
    pieces
}

/// The object literal is rebuilt on one line; the comments between its properties move to lines
/// of their own above the statement, so none is lost.
pub(super) fn keep_inner_comments(ctx: &mut Ctx<'_>, statement_start: usize, object: &ObjectLit) {
    // Comments go on lines of their own before the line holding the statement.
    let line_start = ctx.source.line_start(statement_start);
    let starts_line = ctx.text[line_start..statement_start].trim().is_empty();
    if !starts_line && ctx.layout.inside_template(line_start) {
        return;
    }
    let value_ranges: Vec<Range<usize>> = object.props.iter().map(|p| ctx.range(p.span())).collect();
    let object_range = ctx.range(object.span);
    let mut comments = Vec::new();
    let (leading, trailing) = ctx.parsed.comments.borrow_all();
    for comment in leading.values().chain(trailing.values()).flatten() {
        let range = ctx.range(comment.span);
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
    let indent = ctx.indentation_at(statement_start).to_string();
    let mut text = String::new();
    for (index, range) in comments.iter().enumerate() {
        let prefix = if index == 0 && starts_line { "" } else { indent.as_str() };
        text.push_str(&format!("{prefix}{}{}", &ctx.text[range.clone()], ctx.newline));
    }
    if starts_line {
        text.push_str(&indent);
        ctx.edits.insert(statement_start, text);
    } else {
        ctx.edits.insert(line_start, text);
    }
}
