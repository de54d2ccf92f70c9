//! MFA (mapping §4.2): `context.multifactor = { provider, allowRememberBrowser, … }` becomes
//! `api.multifactor.enable(provider, { allowRememberBrowser, providerOptions })`. Duo's keys move
//! under `providerOptions`. Rules default `allowRememberBrowser` to true and Actions to false, so
//! an omitted flag is written out as `true`, and a flag computed at run time gets `?? true`, to
//! keep the same MFA frequency; `ignoreCookie: true` (ask every time) is `allowRememberBrowser:
//! false`.
//!
//! Rules read `context.multifactor` once the rule is done, so only its final value counts. When
//! the rule unsets it, changes a property or merges into it, the settings live in a local variable
//! and one `enable` follows the rule's last change; where that place cannot be found, the Action
//! denies the login until the MFA is converted by hand.

use super::Ctx;
use crate::analysis::accesses::ChainUse;
use crate::analysis::context_writes::{ContextDelete, ContextMerge, ContextWrite};
use crate::analysis::model::Model;
use crate::analysis::scope::{Global, Param};
use crate::analysis::syntax::object_assign_args;
use crate::diagnostics::Code;
use crate::edits::Piece;
use std::ops::Range;
use swc_common::{Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

const DUO_KEYS: &[&str] = &["ikey", "skey", "host", "username"];

/// What a flagged MFA change asks of the author, and what the Action does until then: it denies,
/// rather than let in without MFA a login the rule would have challenged.
const BY_HAND: &str =
    "call api.multifactor.enable(provider, options) with the rule's final settings; until then the Action denies the login";
const DENIAL: &str = "'The MFA settings of this login were not converted from the rule (R2A208)'";

/// One option's value: a range of the rule's text, or a member read of a named object.
enum Value {
    Source(Range<usize>),
    Member(String),
}

#[derive(Default)]
struct Settings {
    provider: Option<Value>,
    remember_browser: Option<Value>,
    ignore_cookie: Option<Value>,
    duo: Vec<(String, Value)>,
}

/// A change the rule makes to `context.multifactor`.
enum Touch<'m> {
    Write(&'m ContextWrite),
    Merge(&'m ContextMerge),
    Delete(&'m ContextDelete),
}

impl Touch<'_> {
    fn span(&self) -> Span {
        match self {
            Touch::Write(write) => write.assign.span,
            Touch::Merge(merge) => merge.span,
            Touch::Delete(delete) => delete.span,
        }
    }

    fn roots(&self) -> Vec<&Ident> {
        match self {
            Touch::Write(write) => vec![&write.root],
            Touch::Merge(merge) => merge.roots.iter().collect(),
            Touch::Delete(delete) => vec![&delete.root],
        }
    }

    fn statement(&self) -> Option<(Range<usize>, bool)> {
        match self {
            Touch::Write(write) => write.statement.clone().map(|s| (s, write.in_block)),
            Touch::Merge(merge) => merge.statement.clone().map(|s| (s, merge.in_block)),
            Touch::Delete(delete) => delete.statement.clone().map(|s| (s, delete.in_block)),
        }
    }
}

fn touches(model: &Model) -> Vec<Touch<'_>> {
    let is_mfa = |first: Option<&str>| first == Some("multifactor");
    let mut touches: Vec<Touch<'_>> = model
        .context_writes
        .iter()
        .filter(|w| is_mfa(w.first()))
        .map(Touch::Write)
        .chain(
            model
                .context_merges
                .iter()
                .filter(|m| is_mfa(m.first()))
                .map(Touch::Merge),
        )
        .chain(
            model
                .context_deletes
                .iter()
                .filter(|d| is_mfa(d.first()))
                .map(Touch::Delete),
        )
        .collect();
    touches.sort_by_key(|touch| touch.span().lo);
    touches
}

/// The rule's changes to `context.multifactor` (assignments, merges, deletions, found once in the
/// model) become an `enable` each, one `enable` of a local variable, or flagged denials.
pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let touches = touches(model);
    if touches.is_empty() {
        return;
    }
    touches.iter().flat_map(Touch::roots).for_each(|root| ctx.claim(root));
    flag_cancellations(ctx, &touches);
    let objects = named_objects(ctx);
    if let Some(writes) = in_place(ctx, &touches) {
        for write in writes {
            convert(ctx, &write.assign, write.statement.clone(), &objects);
        }
    } else if let Some(span) = local_span(ctx, &touches) {
        convert_to_local(ctx, model, &touches, span);
    } else {
        fail_closed(ctx, &touches);
    }
}

/// A change that turns MFA off before the rule has set it for sure also cancelled, in Rules, the MFA
/// an earlier rule required; an Action cannot undo another Action's `enable`.
fn flag_cancellations(ctx: &mut Ctx<'_>, touches: &[Touch<'_>]) {
    let body: Vec<Span> = ctx.rule.body.stmts.iter().map(|stmt| stmt.span()).collect();
    let mut set_for_sure = false;
    for touch in touches {
        let off = match touch {
            Touch::Delete(delete) => delete.names.len() == 1,
            Touch::Write(write) if write.names.len() == 1 => can_be_off(ctx, &write.assign.right),
            _ => false,
        };
        if off && !set_for_sure {
            ctx.flag(
                Code::MultifactorDynamic,
                &touch.span(),
                "turning MFA off here also cancelled, in Rules, the MFA an earlier rule required; an Action cannot undo another Action's api.multifactor.enable: if an earlier Action enables MFA, make this decision there",
            );
        }
        // A plain assignment of settings standing in the rule body itself runs on every login.
        let top_level = matches!(touch, Touch::Write(write)
            if write.statement.is_some() && body.iter().any(|stmt| stmt.lo == write.assign.span.lo));
        set_for_sure |= top_level && !off;
    }
}

/// Whether a value assigned to `context.multifactor` may leave MFA off.
fn can_be_off(ctx: &Ctx<'_>, value: &Expr) -> bool {
    match value {
        Expr::Paren(ParenExpr { expr, .. }) => can_be_off(ctx, expr),
        Expr::Cond(cond) => can_be_off(ctx, &cond.cons) || can_be_off(ctx, &cond.alt),
        other => is_off(ctx, other),
    }
}

/// The assignments, when each can become an `enable` at its own place: every change is a plain
/// assignment of settings read from the code, and none but a lone one may leave MFA off.
fn in_place<'m>(ctx: &Ctx<'_>, touches: &[Touch<'m>]) -> Option<Vec<&'m ContextWrite>> {
    let alone = touches.len() == 1;
    touches
        .iter()
        .map(|touch| match touch {
            Touch::Write(write) if is_multifactor_assignment(write) && readable(ctx, &write.assign.right, alone) => {
                Some(*write)
            }
            _ => None,
        })
        .collect()
}

/// Whether `value` gives settings the converter can read: a literal, a name (its keys are read
/// from its declaration, or at run time), a merge of literals, or a choice between those and,
/// where `off_allowed`, no MFA.
fn readable(ctx: &Ctx<'_>, value: &Expr, off_allowed: bool) -> bool {
    match value {
        Expr::Paren(ParenExpr { expr, .. }) => readable(ctx, expr, off_allowed),
        Expr::Object(object) => is_plain(object),
        _ if is_off(ctx, value) => off_allowed,
        Expr::Ident(_) => true,
        Expr::Cond(cond) => [&cond.cons, &cond.alt]
            .iter()
            .all(|arm| is_off(ctx, arm) || readable(ctx, arm, off_allowed)),
        _ => merged_literals(value).is_some(),
    }
}

/// `undefined`, `null`, `false`, `void 0`: no MFA.
fn is_off(ctx: &Ctx<'_>, value: &Expr) -> bool {
    match value {
        Expr::Paren(ParenExpr { expr, .. }) => is_off(ctx, expr),
        Expr::Ident(ident) => ctx.bindings.global(ident) == Some(Global::Undefined),
        Expr::Lit(Lit::Null(_)) | Expr::Lit(Lit::Bool(Bool { value: false, .. })) => true,
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Void, arg, ..
        }) => matches!(&**arg, Expr::Lit(_)),
        _ => false,
    }
}

/// Whether every property of a literal is a key known statically with its value (no spread, no
/// computed key, no method).
fn is_plain(object: &ObjectLit) -> bool {
    object.props.iter().all(|prop| match prop {
        PropOrSpread::Prop(prop) => match &**prop {
            Prop::KeyValue(kv) => property_key(&kv.key).is_some(),
            Prop::Shorthand(_) => true,
            _ => false,
        },
        PropOrSpread::Spread(_) => false,
    })
}

/// `Object.assign({}, {…}, {…})`: the literals merged, in order.
fn merged_literals(value: &Expr) -> Option<Vec<&ObjectLit>> {
    let Expr::Call(call) = value else { return None };
    let [first, rest @ ..] = object_assign_args(call)? else {
        return None;
    };
    if !matches!(&*first.expr, Expr::Object(o) if o.props.is_empty()) {
        return None;
    }
    rest.iter()
        .map(|arg| match (&arg.spread, &*arg.expr) {
            (None, Expr::Object(object)) if is_plain(object) => Some(object),
            _ => None,
        })
        .collect()
}

/// The top-level statements of the rule body, first and last, that hold every change, when the
/// `enable` may follow the last: no change is made in a nested function or through an alias, and
/// nothing between the first and the last leaves the rule.
fn local_span(ctx: &Ctx<'_>, touches: &[Touch<'_>]) -> Option<(usize, usize)> {
    let body = &ctx.rule.body.stmts;
    let mut nested = NestedFunctions { found: Vec::new() };
    body.iter().for_each(|stmt| stmt.visit_with(&mut nested));
    let mut indexes = Vec::new();
    for touch in touches {
        let span = touch.span();
        let through_alias = touch
            .roots()
            .iter()
            .any(|root| !ctx.bindings.alias_path(root).is_empty());
        if through_alias || nested.found.iter().any(|f| f.lo <= span.lo && span.hi <= f.hi) {
            return None;
        }
        indexes.push(body.iter().position(|stmt| {
            let outer = stmt.span();
            outer.lo <= span.lo && span.hi <= outer.hi
        })?);
    }
    let (first, last) = (*indexes.iter().min()?, *indexes.iter().max()?);
    let mut exits = Exits { ctx, found: false };
    body[first..=last].iter().for_each(|stmt| stmt.visit_with(&mut exits));
    (!exits.found).then_some((first, last))
}

/// The spans of the functions nested in the rule body.
struct NestedFunctions {
    found: Vec<Span>,
}

impl Visit for NestedFunctions {
    fn visit_function(&mut self, function: &Function) {
        self.found.push(function.span);
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        self.found.push(arrow.span);
    }
}

/// Whether statements can leave the rule: `return`, `throw`, or a call of the callback (nested
/// functions run later, so what they do does not count).
struct Exits<'c, 'a> {
    ctx: &'c Ctx<'a>,
    found: bool,
}

impl Visit for Exits<'_, '_> {
    fn visit_return_stmt(&mut self, _: &ReturnStmt) {
        self.found = true;
    }

    fn visit_throw_stmt(&mut self, _: &ThrowStmt) {
        self.found = true;
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee {
            self.found |= self.ctx.bindings.is_param(callee, Param::Callback);
        }
        call.visit_children_with(self);
    }

    fn visit_function(&mut self, _: &Function) {}

    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
}

/// The settings live in a local variable from the first change to the last, and one `enable`
/// follows the last: every `context.multifactor` from the first change on becomes the variable.
fn convert_to_local(ctx: &mut Ctx<'_>, model: &Model, touches: &[Touch<'_>], (first, last): (usize, usize)) {
    let name = ctx.bindings.fresh_name("multifactor");
    let body = &ctx.rule.body.stmts;
    let start = ctx.range(body[first].span()).start;
    let end = ctx.range(body[last].span()).end;
    let rule_end = ctx.rule.body_range.end;
    let indent = ctx.indentation_at(start).to_string();
    let newline = ctx.newline;
    ctx.edits.insert(start, format!("let {name};{newline}{indent}"));
    let whole_deletes: Vec<Range<usize>> = touches
        .iter()
        .filter_map(|touch| match touch {
            Touch::Delete(delete) if delete.names.len() == 1 => Some(ctx.range(delete.span)),
            _ => None,
        })
        .collect();
    for range in &whole_deletes {
        ctx.edits.replace(range.clone(), format!("{name} = undefined"));
    }
    for chain in &model.accesses {
        let ChainUse::Chain { root, segments, .. } = chain else {
            continue;
        };
        let Some(head) = segments.first() else { continue };
        let range = ctx.range(head.span);
        let inside = |r: &Range<usize>| r.start <= range.start && range.end <= r.end;
        let is_mfa = head.name.as_deref() == Some("multifactor")
            && ctx.bindings.param(root) == Some(Param::Context)
            && ctx.bindings.alias(root).is_none();
        // Reads after the changes see the final value too; before the declaration there is none.
        if is_mfa && (start..rule_end).contains(&range.start) && !whole_deletes.iter().any(inside) {
            ctx.claim(root);
            ctx.edits.replace(range, name.clone());
        }
    }
    for object in touches.iter().flat_map(literal_settings) {
        read_literals(ctx, &[object]);
    }
    let enable = format!(
        "if ({name}) api.multifactor.enable({name}.provider, {{allowRememberBrowser: {name}.ignoreCookie ? false : {name}.allowRememberBrowser ?? true, ...({name}.provider === 'duo' && {{providerOptions: {{ikey: {name}.ikey, skey: {name}.skey, host: {name}.host, username: {name}.username}}}})}});"
    );
    ctx.edits.insert(end, format!("{newline}{indent}{enable}"));
    ctx.report(
        Code::Multifactor,
        &touches[0].span(),
        format!("the final context.multifactor, kept in `{name}`, becomes one api.multifactor.enable after the rule's last change of it"),
    );
}

/// The object literals a change gives the settings, whose options the run-time `enable` reads.
fn literal_settings<'m>(touch: &Touch<'m>) -> Vec<&'m ObjectLit> {
    fn objects<'e>(expr: &'e Expr, found: &mut Vec<&'e ObjectLit>) {
        match expr {
            Expr::Object(object) => found.push(object),
            Expr::Paren(ParenExpr { expr, .. }) => objects(expr, found),
            Expr::Cond(cond) => {
                objects(&cond.cons, found);
                objects(&cond.alt, found);
            }
            _ => found.extend(merged_literals(expr).unwrap_or_default()),
        }
    }
    let mut found = Vec::new();
    match touch {
        Touch::Write(write) if write.names.len() == 1 => objects(&write.assign.right, &mut found),
        Touch::Merge(merge) if merge.names.len() == 1 => {
            merge.sources.iter().for_each(|s| objects(&s.expr, &mut found))
        }
        _ => {}
    }
    found
}

/// Each change is flagged, and the Action denies where the rule made it.
fn fail_closed(ctx: &mut Ctx<'_>, touches: &[Touch<'_>]) {
    for touch in touches {
        ctx.flag(
            Code::MultifactorDynamic,
            &touch.span(),
            format!("the final context.multifactor cannot be worked out from the code; {BY_HAND}"),
        );
        let Some((range, in_block)) = touch.statement() else {
            continue;
        };
        let deny = format!("api.access.deny({DENIAL});");
        if in_block {
            let indent = ctx.indentation_at(range.start).to_string();
            ctx.edits.insert(range.start, format!("{deny}{}{indent}", ctx.newline));
        } else {
            ctx.edits.insert(range.start, format!("{{ {deny} "));
            ctx.edits.insert(range.end, " }");
        }
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
    if let (Some(range), Expr::Object(object)) = (statement, &*assign.right) {
        ctx.keep_inner_comments(range.start, object);
    }
    let pieces = enable_for(ctx, &assign.right, objects, assign);
    ctx.edits.replace_with(ctx.range(assign.span), pieces);
    ctx.report(
        Code::Multifactor,
        assign,
        "context.multifactor converted to api.multifactor.enable",
    );
}

/// The `enable` call for a readable value; a choice becomes a conditional expression.
fn enable_for(ctx: &mut Ctx<'_>, value: &Expr, objects: &[NamedObject], at: &AssignExpr) -> Vec<Piece> {
    if is_off(ctx, value) {
        return vec![Piece::Text("undefined".into())];
    }
    let settings = match value {
        Expr::Paren(ParenExpr { expr, .. }) => return enable_for(ctx, expr, objects, at),
        Expr::Cond(cond) => {
            let mut pieces = vec![Piece::Source(ctx.range(cond.test.span())), Piece::Text(" ? ".into())];
            pieces.extend(enable_for(ctx, &cond.cons, objects, at));
            pieces.push(Piece::Text(" : ".into()));
            pieces.extend(enable_for(ctx, &cond.alt, objects, at));
            return pieces;
        }
        Expr::Object(object) => read_literals(ctx, &[object]),
        Expr::Ident(name) => read_named(ctx, name, objects),
        _ => read_literals(ctx, &merged_literals(value).unwrap_or_default()),
    };
    enable_call(ctx, &settings, at)
}
fn property_key(key: &PropName) -> Option<String> {
    match key {
        PropName::Ident(name) => Some(name.sym.to_string()),
        PropName::Str(s) => s.value.as_atom().map(|a| a.to_string()),
        _ => None,
    }
}

/// Reads literal `{ provider: …, … }` objects merged in order: a later key wins, as with
/// `Object.assign`.
fn read_literals(ctx: &mut Ctx<'_>, objects: &[&ObjectLit]) -> Settings {
    let mut settings = Settings::default();
    for prop in objects.iter().flat_map(|object| &object.props) {
        let PropOrSpread::Prop(prop) = prop else { continue };
        let entry = match &**prop {
            Prop::KeyValue(kv) => property_key(&kv.key).map(|key| (key, ctx.range(kv.value.span()))),
            Prop::Shorthand(ident) => Some((ident.sym.to_string(), ctx.range(ident.span))),
            _ => None,
        };
        match entry {
            Some((key, value)) => set_option(ctx, &mut settings, &key, Value::Source(value), &**prop),
            None => ctx.flag(
                Code::MultifactorOption,
                &**prop,
                "this multifactor option is not a plain key and value and was dropped",
            ),
        }
    }
    settings
}

fn set_option(ctx: &mut Ctx<'_>, settings: &mut Settings, key: &str, value: Value, at: &impl Spanned) {
    match key {
        "provider" => settings.provider = Some(value),
        "allowRememberBrowser" => settings.remember_browser = Some(value),
        "ignoreCookie" => settings.ignore_cookie = Some(value),
        key if DUO_KEYS.contains(&key) => {
            settings.duo.retain(|(k, _)| k != key);
            settings.duo.push((key.to_string(), value));
        }
        other => ctx.flag(
            Code::MultifactorOption,
            at,
            format!("the multifactor option `{other}` has no Action equivalent and was dropped"),
        ),
    }
}

/// An object literal bound to a name that nothing else writes: `const mfa = {…}`.
struct NamedObject {
    name: String,
    /// Each key, with its value where that is a boolean literal.
    keys: Vec<(String, Option<Span>)>,
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
                                Prop::KeyValue(kv) => {
                                    let boolean =
                                        matches!(&*kv.value, Expr::Lit(Lit::Bool(_))).then(|| kv.value.span());
                                    property_key(&kv.key).map(|key| (key, boolean))
                                }
                                Prop::Shorthand(i) => Some((i.sym.to_string(), None)),
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
    let Some(object) = objects.iter().find(|o| o.name == *name.sym) else {
        ctx.flag(
            Code::MultifactorDynamic,
            name,
            format!(
                "the keys of `{}` are not known statically; check the provider options",
                name.sym
            ),
        );
        return Settings {
            provider: Some(member("provider")),
            remember_browser: Some(member("allowRememberBrowser")),
            ignore_cookie: Some(member("ignoreCookie")),
            duo: DUO_KEYS.iter().map(|k| (k.to_string(), member(k))).collect(),
        };
    };
    let mut settings = Settings::default();
    for (key, boolean) in &object.keys {
        // A boolean of the declaration is copied, so the Action shows the decision.
        let value = match boolean {
            Some(span) => Value::Source(ctx.range(*span)),
            None => member(key),
        };
        set_option(ctx, &mut settings, key, value, name);
    }
    settings
}

fn push_value(pieces: &mut Vec<Piece>, value: &Value) {
    pieces.push(match value {
        Value::Source(range) => Piece::Source(range.clone()),
        Value::Member(text) => Piece::Text(text.clone()),
    });
}

/// Whether a value is the literal `expected` (`true`, `'none'`; a string in either quotes).
fn is_literal(ctx: &Ctx<'_>, value: &Value, expected: &str) -> bool {
    match value {
        Value::Source(range) => ctx.text[range.clone()].replace('"', "'") == expected,
        Value::Member(_) => false,
    }
}

fn enable_call(ctx: &mut Ctx<'_>, settings: &Settings, at: &AssignExpr) -> Vec<Piece> {
    let Some(provider) = &settings.provider else {
        ctx.flag(
            Code::MultifactorDynamic,
            at,
            format!("context.multifactor is given no provider; {BY_HAND}"),
        );
        return vec![Piece::Text(format!("api.access.deny({DENIAL})"))];
    };
    let mut pieces = vec![Piece::Text("api.multifactor.enable(".into())];
    push_value(&mut pieces, provider);
    if is_literal(ctx, provider, "'none'") {
        pieces.push(Piece::Text(")".into()));
        return pieces;
    }
    pieces.push(Piece::Text(", {allowRememberBrowser: ".into()));
    pieces.extend(remember_browser(ctx, settings, at));
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

/// `allowRememberBrowser`: false when `ignoreCookie` asks every time, else the rule's flag with
/// the Rules default, true, where the flag is missing or undefined.
fn remember_browser(ctx: &mut Ctx<'_>, settings: &Settings, at: &AssignExpr) -> Vec<Piece> {
    let ignore_cookie = settings.ignore_cookie.as_ref().filter(|v| !is_literal(ctx, v, "false"));
    if ignore_cookie.is_some_and(|v| is_literal(ctx, v, "true")) {
        return vec![Piece::Text("false".into())];
    }
    let mut pieces = Vec::new();
    if let Some(value) = ignore_cookie {
        push_operand(ctx, &mut pieces, value);
        pieces.push(Piece::Text(" ? false : ".into()));
    }
    match &settings.remember_browser {
        Some(value) if is_literal(ctx, value, "true") || is_literal(ctx, value, "false") => {
            push_value(&mut pieces, value)
        }
        Some(value) => {
            push_operand(ctx, &mut pieces, value);
            pieces.push(Piece::Text(" ?? true".into()));
        }
        None => {
            ctx.report(
                Code::RememberBrowserDefault,
                at,
                "allowRememberBrowser was not set: the Rules default, true, is now explicit",
            );
            pieces.push(Piece::Text("true".into()));
        }
    }
    pieces
}

/// A value as the operand of `??` or `?:`: in parentheses unless it is a plain name or member.
fn push_operand(ctx: &Ctx<'_>, pieces: &mut Vec<Piece>, value: &Value) {
    let simple = match value {
        Value::Source(range) => ctx.text[range.clone()]
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '.')),
        Value::Member(_) => true,
    };
    if !simple {
        pieces.push(Piece::Text("(".into()));
    }
    push_value(pieces, value);
    if !simple {
        pieces.push(Piece::Text(")".into()));
    }
}
