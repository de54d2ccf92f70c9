//! Helpers that one rule defines on `global` for the rules after it (a "global function
//! declarations" rule ordered first: `global.postError = function (…) {…}`, often guarded by
//! `if (!global.postError)`). Rules shared `global` across the pipeline; Actions share nothing. So
//! each Action that reads such a helper gets the converted definition at module scope, once,
//! before its handler, and works on its own.
//!
//! Only pure definitions are inlined: a function or a literal constant (non-empty arrays and
//! objects of them too), assigned once, at the top of the defining rule's body or under a guard
//! that only tests globals, set and changed in place by no other rule, that uses none of the
//! defining rule's variables but the modules it requires (whose declarations come along), and
//! that converts with nothing left to review and without needing the login (`event`, `api`).
//! Anything else (a counter, a cache, a client, a value computed when the rule runs) is shared
//! mutable state and stays a cross-rule finding, with the reason it was not inlined. Only rules
//! that run before the reader and are bound (enabled, login stage, converted) define anything.
//!
//! The inlined code assigns `global.NAME` itself rather than a local renamed at every use: the
//! Action's code that reads `global.NAME` stays byte for byte what the conversion made of it, and
//! behaves as it did under Rules, guards included.

use super::crossrule::{split, Facts};
use super::{note, RuleResult};
use crate::analysis::rule::{find_rule, RuleSearch};
use crate::analysis::scope::pattern_names;
use crate::convert::{convert, Dependency, Status};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::limits::Limits;
use crate::parse::{parse, ParsedFile, ParsedProgram};
use crate::rewrite::signature::HANDLER_HEADER;
use crate::safe_text::printable;
use rustc_hash::FxHashSet;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use swc_atoms::Atom;
use swc_common::Spanned;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// What one rule does with `global`, as far as inlining needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleGlobals {
    /// Each `global.NAME` the rule assigns, with its definition or why it is not one.
    pub definitions: BTreeMap<String, Result<Definition, String>>,
    /// Where each `global.NAME` of the rule starts (a byte offset of its text), with the NAME: the
    /// conversion's findings about inlined globals are found by their position.
    pub read_sites: BTreeMap<usize, String>,
    /// The globals whose value the rule changes in place through a call (`global.list.push(x)`,
    /// `Object.assign(global.settings, …)`), which the cross-rule facts do not count as writes.
    pub changed: BTreeSet<String>,
}

/// A pure definition of `global.NAME`, as the rule wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    /// The assigned value's text (deploy-cli placeholders as written).
    pub value: String,
    /// The indentation of the line the assignment is on, taken off the value's later lines.
    pub indent: String,
    /// The other globals the value reads (`global.OTHER`): inlined along with it.
    pub reads: BTreeSet<String>,
    /// The names the value refers to without declaring them (`Math`, `require`, …), the rule's
    /// `require`d modules included.
    pub free: BTreeSet<String>,
    /// The rule's declarations of the modules the value uses (`const request = require('request');`),
    /// in the rule's order: they go along with it.
    pub requires: Vec<String>,
    /// The names those declarations declare.
    pub required: BTreeSet<String>,
    /// Where the value starts in the rule: definitions are written in the rule's order.
    pub at: usize,
}

/// A global whose definition was inlined, for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inlined {
    /// `global.NAME`.
    pub path: String,
    /// The rule that defines it.
    pub from: String,
    /// The rules whose Actions now define it themselves.
    pub into: Vec<String>,
}

/// Finds the rule's definitions of globals and where it names them. `text` is the rule as
/// written, `parsed` its masked text (of the same length).
pub fn scan(parsed: &ParsedFile, text: &str) -> RuleGlobals {
    let mut sites = Sites::default();
    parsed.visit(&mut sites);
    let read_sites = sites
        .starts
        .iter()
        .map(|(span_lo, name)| ((span_lo - parsed.base.0) as usize, name.clone()))
        .collect();
    let mut definitions = BTreeMap::new();
    let changed = sites.changed.clone();
    let RuleSearch::Found { rule, .. } = find_rule(parsed) else {
        return RuleGlobals {
            definitions,
            read_sites,
            changed,
        };
    };
    let requires = top_level_requires(&rule.body.stmts, parsed, text);
    let mut found: BTreeMap<String, Vec<&Expr>> = BTreeMap::new();
    for stmt in &rule.body.stmts {
        for (name, value) in definitions_in(stmt) {
            found.entry(name).or_default().push(value);
        }
    }
    for (name, writes) in &sites.writes {
        let result = match found.get(name).map(Vec::as_slice) {
            _ if *writes > 1 => Err("the rule sets or changes it more than once".to_string()),
            Some([value]) => definition(parsed, text, value, &requires),
            _ => Err("it is not set by a plain assignment at the top of the rule".to_string()),
        };
        definitions.insert(name.clone(), result);
    }
    RuleGlobals {
        definitions,
        read_sites,
        changed,
    }
}

/// The rule's top-level declarations of modules (`const request = require('request');`,
/// `var Client = require('auth0').ManagementClient;`), by each name they declare, with where the
/// statement starts and its text.
fn top_level_requires(stmts: &[Stmt], parsed: &ParsedFile, text: &str) -> BTreeMap<String, (usize, String)> {
    let mut requires = BTreeMap::new();
    for stmt in stmts {
        let Stmt::Decl(Decl::Var(decl)) = stmt else { continue };
        if !decl.decls.iter().all(|d| d.init.as_deref().is_some_and(is_require)) {
            continue;
        }
        let range = parsed.range(decl.span);
        let Some(statement) = text.get(range.clone()) else {
            continue;
        };
        let mut names = FxHashSet::default();
        decl.decls.iter().for_each(|d| pattern_names(&d.name, &mut names));
        for name in names {
            requires.insert(name.to_string(), (range.start, statement.to_string()));
        }
    }
    requires
}

/// `require('m')`, or a property of it (`require('auth0').ManagementClient`).
fn is_require(expr: &Expr) -> bool {
    match expr {
        Expr::Call(CallExpr {
            callee: Callee::Expr(callee),
            args,
            ..
        }) => {
            is_ident(callee, "require")
                && matches!(args.as_slice(), [arg] if matches!(&*arg.expr, Expr::Lit(Lit::Str(_))))
        }
        Expr::Member(member) => is_require(&member.obj),
        Expr::Paren(paren) => is_require(&paren.expr),
        _ => false,
    }
}

/// `global.NAME = value` statements directly in the rule's body, or under a guard about globals
/// (`if (!global.NAME) { … }`). `global.NAME = global.NAME || value` defines `value`.
fn definitions_in(stmt: &Stmt) -> Vec<(String, &Expr)> {
    match stmt {
        Stmt::Expr(ExprStmt { expr, .. }) => assigned_global(expr).into_iter().collect(),
        Stmt::If(IfStmt {
            test, cons, alt: None, ..
        }) if about_globals(test) => match &**cons {
            Stmt::Block(block) => block.stmts.iter().flat_map(definitions_in).collect(),
            other => definitions_in(other),
        },
        _ => Vec::new(),
    }
}

fn assigned_global(expr: &Expr) -> Option<(String, &Expr)> {
    let Expr::Assign(assign) = expr else { return None };
    let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left else {
        return None;
    };
    let name = global_name(member)?;
    if assign.op != AssignOp::Assign {
        return None;
    }
    let value = match &*assign.right {
        // `global.x = global.x || value`: the value is what a first run assigns.
        Expr::Bin(BinExpr {
            op: BinaryOp::LogicalOr | BinaryOp::NullishCoalescing,
            left,
            right,
            ..
        }) if matches!(&**left, Expr::Member(m) if global_name(m).as_deref() == Some(name.as_str())) => right,
        value => value,
    };
    Some((name, value))
}

/// `NAME` of `global.NAME` (and only of that: not of `global.NAME.more`).
fn global_name(member: &MemberExpr) -> Option<String> {
    let (root, names) = split(member)?;
    match names.as_slice() {
        [Some(name)] if root.sym == *"global" => Some(name.clone()),
        _ => None,
    }
}

/// Whether a guard only tests globals: `!global.x`, `typeof global.x === 'undefined'`,
/// `global.x == null && !global.y`.
fn about_globals(test: &Expr) -> bool {
    match test {
        Expr::Member(member) => global_name(member).is_some(),
        Expr::Paren(paren) => about_globals(&paren.expr),
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Bang | UnaryOp::TypeOf,
            arg,
            ..
        }) => about_globals(arg),
        Expr::Bin(BinExpr { op, left, right, .. }) => {
            use BinaryOp::*;
            let operand = |e: &Expr| about_globals(e) || matches!(e, Expr::Lit(_)) || is_ident(e, "undefined");
            matches!(op, EqEq | NotEq | EqEqEq | NotEqEq | LogicalAnd | LogicalOr) && operand(left) && operand(right)
        }
        _ => false,
    }
}

fn is_ident(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Ident(ident) if ident.sym == *name)
}

/// A function, or a literal constant (arrays and objects of such values too). A deploy-cli JSON
/// placeholder (`@@KEY@@`, masked as an identifier) is a constant: deploy-cli writes a literal there.
fn is_pure(value: &Expr, placeholder: &impl Fn(&Ident) -> bool) -> bool {
    let pure = |e: &Expr| is_pure(e, placeholder);
    match value {
        Expr::Fn(_) | Expr::Arrow(_) => true,
        Expr::Ident(ident) => placeholder(ident),
        Expr::Lit(lit) => matches!(
            lit,
            Lit::Str(_) | Lit::Num(_) | Lit::Bool(_) | Lit::Null(_) | Lit::BigInt(_)
        ),
        Expr::Tpl(tpl) => tpl.exprs.is_empty(),
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Minus,
            arg,
            ..
        }) => matches!(&**arg, Expr::Lit(Lit::Num(_))),
        Expr::Paren(paren) => pure(&paren.expr),
        Expr::Array(array) => array
            .elems
            .iter()
            .all(|e| e.as_ref().is_some_and(|e| e.spread.is_none() && pure(&e.expr))),
        Expr::Object(object) => object.props.iter().all(|prop| match prop {
            PropOrSpread::Prop(prop) => match &**prop {
                Prop::KeyValue(kv) => !matches!(kv.key, PropName::Computed(_)) && pure(&kv.value),
                Prop::Method(method) => !matches!(method.key, PropName::Computed(_)),
                _ => false,
            },
            PropOrSpread::Spread(_) => false,
        }),
        _ => false,
    }
}

fn is_empty_container(value: &Expr) -> bool {
    match value {
        Expr::Paren(paren) => is_empty_container(&paren.expr),
        Expr::Array(array) => array.elems.is_empty(),
        Expr::Object(object) => object.props.is_empty(),
        _ => false,
    }
}

/// The definition of a global assigned `value`, or why it is not a pure one.
fn definition(
    parsed: &ParsedFile,
    text: &str,
    value: &Expr,
    top_requires: &BTreeMap<String, (usize, String)>,
) -> Result<Definition, String> {
    let placeholder = |ident: &Ident| text.get(parsed.range(ident.span)).is_some_and(|t| t.starts_with("@@"));
    if !is_pure(value, &placeholder) {
        return Err(
            "its value is computed when the rule runs (it is not a function or a literal constant)".to_string(),
        );
    }
    if is_empty_container(value) {
        return Err("an empty object or array is there to be filled: it is shared mutable state".to_string());
    }
    let range = parsed.range(value.span());
    let mut free = FreeNames::default();
    value.visit_with(&mut free);
    free.free.retain(|name| !name.starts_with("$$"));
    if free.free.contains("global") {
        return Err("it uses `global` other than as global.NAME".to_string());
    }
    let mut locals = Bound {
        skip: range.clone(),
        parsed,
        names: FxHashSet::default(),
    };
    parsed.visit(&mut locals);
    // The rule's variables do not exist outside it, except the modules it requires: their
    // declarations go along.
    let mut requires = BTreeMap::new();
    let mut required = BTreeSet::new();
    for local in free
        .free
        .iter()
        .filter(|name| locals.names.contains(&Atom::from(name.as_str())))
    {
        let Some((at, statement)) = top_requires.get(local) else {
            return Err(format!("it uses `{local}`, a variable of the defining rule"));
        };
        requires.insert(*at, statement.clone());
        required.insert(local.clone());
    }
    let before = text.get(..range.start).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let indent: String = before[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    Ok(Definition {
        value: text.get(range.clone()).unwrap_or_default().to_string(),
        indent,
        reads: free.globals,
        free: free.free,
        requires: requires.into_values().collect(),
        required,
        at: range.start,
    })
}

/// Methods that change an array, a Map or a Set in place.
const MUTATORS: &[&str] = &[
    "push",
    "pop",
    "shift",
    "unshift",
    "splice",
    "sort",
    "reverse",
    "fill",
    "copyWithin",
    "set",
    "delete",
    "clear",
    "add",
];

/// `Object` functions that change their first argument in place.
const OBJECT_MUTATORS: &[&str] = &["assign", "defineProperty", "defineProperties", "setPrototypeOf"];

/// Every `global.X` of a file (where it starts, and X), how often each X is written, and which
/// are changed in place through a call.
#[derive(Default)]
struct Sites {
    starts: Vec<(u32, String)>,
    writes: BTreeMap<String, usize>,
    changed: BTreeSet<String>,
}

impl Sites {
    fn write(&mut self, expr: &Expr) {
        if let Expr::Member(member) = expr {
            self.write_member(member);
        }
    }

    /// A write to `global.X` or to anything under it (`global.X.y = …`) writes X.
    fn write_member(&mut self, member: &MemberExpr) {
        if let Some(name) = global_root(member) {
            *self.writes.entry(name).or_default() += 1;
        }
    }

    /// A call that changes `global.X` (or something under it) in place.
    fn change(&mut self, member: &MemberExpr) {
        if let Some(name) = global_root(member) {
            *self.writes.entry(name.clone()).or_default() += 1;
            self.changed.insert(name);
        }
    }
}

/// `X` of `global.X`, `global.X.y`, `global.X[k]`.
fn global_root(member: &MemberExpr) -> Option<String> {
    let (root, names) = split(member)?;
    match names.first() {
        Some(Some(first)) if root.sym == *"global" => Some(first.clone()),
        _ => None,
    }
}

/// The member a call changes in place: `m` of `m.push(x)`, `Object.assign(m, …)`.
fn changed_by(call: &CallExpr) -> Option<&MemberExpr> {
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    let Expr::Member(MemberExpr {
        obj,
        prop: MemberProp::Ident(method),
        ..
    }) = &**callee
    else {
        return None;
    };
    let target = if is_ident(obj, "Object") && OBJECT_MUTATORS.contains(&method.sym.as_str()) {
        &*call.args.first()?.expr
    } else if MUTATORS.contains(&method.sym.as_str()) {
        obj
    } else {
        return None;
    };
    match target {
        Expr::Member(member) => Some(member),
        _ => None,
    }
}

impl Visit for Sites {
    fn visit_member_expr(&mut self, member: &MemberExpr) {
        if let Some(name) = global_name(member) {
            self.starts.push((member.span.lo.0, name));
        }
        member.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left {
            self.write_member(member);
        }
        assign.visit_children_with(self);
    }

    fn visit_update_expr(&mut self, update: &UpdateExpr) {
        self.write(&update.arg);
        update.visit_children_with(self);
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Some(member) = changed_by(call) {
            self.change(member);
        }
        call.visit_children_with(self);
    }

    fn visit_unary_expr(&mut self, unary: &UnaryExpr) {
        if unary.op == UnaryOp::Delete {
            self.write(&unary.arg);
        }
        unary.visit_children_with(self);
    }
}

/// Every name a file binds (parameters, variables, functions, classes), outside `skip`.
struct Bound<'a> {
    skip: Range<usize>,
    parsed: &'a ParsedFile,
    names: FxHashSet<Atom>,
}

impl Visit for Bound<'_> {
    fn visit_expr(&mut self, expr: &Expr) {
        if self.parsed.range(expr.span()) != self.skip {
            expr.visit_children_with(self);
        }
    }

    fn visit_binding_ident(&mut self, binding: &BindingIdent) {
        self.names.insert(binding.id.sym.clone());
    }

    fn visit_fn_decl(&mut self, decl: &FnDecl) {
        self.names.insert(decl.ident.sym.clone());
        decl.visit_children_with(self);
    }

    fn visit_class_decl(&mut self, decl: &ClassDecl) {
        self.names.insert(decl.ident.sym.clone());
        decl.visit_children_with(self);
    }
}

/// The names a piece of code refers to without declaring them, and the `global.X` it reads. A
/// function's scope holds every name declared anywhere in its body (outside nested functions):
/// block scoping is not told apart, which can only hide a free name that a sibling block declares.
#[derive(Default)]
struct FreeNames {
    scopes: Vec<FxHashSet<Atom>>,
    free: BTreeSet<String>,
    globals: BTreeSet<String>,
}

impl FreeNames {
    fn refer(&mut self, ident: &Ident) {
        if !self.scopes.iter().any(|scope| scope.contains(&ident.sym)) {
            self.free.insert(ident.sym.to_string());
        }
    }

    fn in_scope(&mut self, names: FxHashSet<Atom>, visit: impl FnOnce(&mut Self)) {
        self.scopes.push(names);
        visit(self);
        self.scopes.pop();
    }
}

/// The names declared in a function's body, nested blocks included, nested functions excluded.
#[derive(Default)]
struct Declared(FxHashSet<Atom>);

impl Visit for Declared {
    fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
        pattern_names(&decl.name, &mut self.0);
        decl.init.visit_with(self);
    }

    fn visit_fn_decl(&mut self, decl: &FnDecl) {
        self.0.insert(decl.ident.sym.clone());
    }

    fn visit_class_decl(&mut self, decl: &ClassDecl) {
        self.0.insert(decl.ident.sym.clone());
    }

    fn visit_function(&mut self, _: &Function) {}
    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
}

fn scope_of<'a>(params: impl Iterator<Item = &'a Pat>, body: &impl VisitWith<Declared>) -> FxHashSet<Atom> {
    let mut declared = Declared::default();
    body.visit_with(&mut declared);
    for pat in params {
        pattern_names(pat, &mut declared.0);
    }
    declared.0
}

impl Visit for FreeNames {
    fn visit_function(&mut self, function: &Function) {
        let scope = scope_of(function.params.iter().map(|p| &p.pat), &function.body);
        self.in_scope(scope, |this| function.visit_children_with(this));
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        let scope = scope_of(arrow.params.iter(), &arrow.body);
        self.in_scope(scope, |this| arrow.visit_children_with(this));
    }

    fn visit_fn_expr(&mut self, function: &FnExpr) {
        let own_name = function.ident.iter().map(|i| i.sym.clone()).collect();
        self.in_scope(own_name, |this| function.function.visit_with(this));
    }

    fn visit_fn_decl(&mut self, decl: &FnDecl) {
        decl.function.visit_with(self);
    }

    fn visit_class_expr(&mut self, class: &ClassExpr) {
        let own_name = class.ident.iter().map(|i| i.sym.clone()).collect();
        self.in_scope(own_name, |this| class.class.visit_with(this));
    }

    fn visit_catch_clause(&mut self, clause: &CatchClause) {
        let mut names = FxHashSet::default();
        if let Some(param) = &clause.param {
            pattern_names(param, &mut names);
        }
        self.in_scope(names, |this| clause.body.visit_with(this));
    }

    fn visit_expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Ident(ident) => self.refer(ident),
            _ => expr.visit_children_with(self),
        }
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        match global_name(member) {
            Some(name) if is_ident(&member.obj, "global") => {
                self.globals.insert(name);
            }
            _ => member.visit_children_with(self),
        }
    }

    fn visit_prop(&mut self, prop: &Prop) {
        match prop {
            Prop::Shorthand(ident) => self.refer(ident),
            _ => prop.visit_children_with(self),
        }
    }

    fn visit_simple_assign_target(&mut self, target: &SimpleAssignTarget) {
        match target {
            SimpleAssignTarget::Ident(binding) => self.refer(&binding.id),
            _ => target.visit_children_with(self),
        }
    }
}

/// A definition converted for an Action's module scope.
#[derive(Clone, Debug)]
struct Converted {
    /// The value's code, dedented.
    code: String,
    /// The module-scope declarations it needs (its converted requires).
    prelude: Vec<Prelude>,
    dependencies: Vec<Dependency>,
}

/// A module-scope declaration a definition needs, and the names it declares.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Prelude {
    names: BTreeSet<String>,
    text: String,
}

/// Converts a definition's value in a synthetic rule (its requires, then `const <name> = value;`),
/// so that the Rules constructs inside it (`UnauthorizedError`, versioned `require`s, sandbox
/// modules) convert as in any rule, and takes the converted value and declarations back. Refused
/// when anything is left to review, or when it needs the login (a rule's `configuration.X`
/// becomes `event.secrets.X`, which only the handler has).
fn convert_definition(definition: &Definition, limits: &Limits) -> Result<Converted, String> {
    let requires: String = definition.requires.iter().map(|r| format!("  {r}\n")).collect();
    let binding = (1..)
        .map(|n| format!("inlined{n}"))
        .find(|name| !definition.value.contains(name.as_str()) && !requires.contains(name.as_str()))
        .unwrap_or_default();
    let prefix = format!("function (user, context, callback) {{\n{requires}  const {binding} = ");
    let rule = format!("{prefix}{};\n}}\n", definition.value);
    let conversion = convert(&rule, limits);
    let value_range = prefix.len()..prefix.len() + definition.value.len();
    let mut removable = Vec::new();
    for diagnostic in &conversion.diagnostics {
        if diagnostic.severity == Severity::Info {
            continue;
        }
        let about_a_read = diagnostic.code == Code::GlobalState
            && rule
                .get(diagnostic.range.clone())
                .and_then(|t| t.strip_prefix("global."))
                .is_some_and(|name| definition.reads.contains(name));
        if !about_a_read || !value_range.contains(&diagnostic.range.start) {
            return Err(format!(
                "converting it leaves work to review ({} {})",
                diagnostic.code,
                printable(&diagnostic.message)
            ));
        }
        removable.push(diagnostic);
    }
    let action = match (conversion.status, &conversion.action) {
        (Status::Converted, Some(action)) => action,
        _ => return Err("it does not convert".to_string()),
    };
    let (value, prelude) = converted_value(action, &binding, definition)?;
    Ok(Converted {
        code: dedent(&without_todos(&value, &removable), &definition.indent),
        prelude,
        dependencies: conversion.dependencies,
    })
}

/// The value of `const <binding> = …` in the converted synthetic rule, with the module-scope
/// declarations it needs: the module-level ones the conversion wrote (requires), and the
/// definition's own requires wherever the conversion left them. Refused when the conversion made
/// the value refer to a name it did not use: the handler's `event`, `api`, `ruleDone`.
fn converted_value(action: &str, binding: &str, definition: &Definition) -> Result<(String, Vec<Prelude>), String> {
    let masked = crate::placeholders::mask(action);
    let parsed = parse(&masked.text).map_err(|_| "its conversion does not parse".to_string())?;
    let ParsedProgram::Script(script) = &parsed.program else {
        return Err("its conversion is not an Action".to_string());
    };
    let prelude_of = |decl: &VarDecl| {
        let mut names = FxHashSet::default();
        decl.decls.iter().for_each(|d| pattern_names(&d.name, &mut names));
        let text = action.get(parsed.range(decl.span)).unwrap_or_default();
        Prelude {
            names: names.iter().map(|n| n.to_string()).collect(),
            text: dedent(text, "  "),
        }
    };
    let mut prelude = Vec::new();
    for stmt in &script.body {
        match stmt {
            Stmt::Decl(Decl::Var(decl)) => prelude.push(prelude_of(decl)),
            _ => match handler_body(stmt) {
                Some(body) => prelude.extend(body.iter().filter_map(|stmt| match stmt {
                    Stmt::Decl(Decl::Var(decl)) => {
                        Some(prelude_of(decl)).filter(|p| p.names.iter().any(|n| definition.required.contains(n)))
                    }
                    _ => None,
                })),
                None => return Err("it needs module-level code other than requires once converted".to_string()),
            },
        }
    }
    let declared: BTreeSet<&String> = prelude.iter().flat_map(|p| &p.names).collect();
    if let Some(lost) = definition.required.iter().find(|n| !declared.contains(n)) {
        return Err(format!("its conversion lost the declaration of `{lost}`"));
    }
    let mut finder = Declarator { binding, found: None };
    parsed.visit(&mut finder);
    let init = finder.found.ok_or("its conversion lost it")?;
    let mut converted = FreeNames::default();
    init.visit_with(&mut converted);
    // `new UnauthorizedError(…)` becomes `new Error(…)`: a name every module has.
    let introduced = converted.free.iter().find(|name| {
        !definition.free.contains(*name)
            && !declared.contains(name)
            && !name.starts_with("$$")
            && name.as_str() != "Error"
    });
    if let Some(name) = introduced {
        return Err(format!(
            "once converted it reads `{name}`, which only the handler has (configuration becomes event.secrets, for one); pass what it needs as arguments"
        ));
    }
    let value = action.get(parsed.range(init.span())).ok_or("its conversion lost it")?;
    Ok((value.to_string(), prelude))
}

/// The statements of the handler, when `stmt` is `exports.onExecutePostLogin = async (…) => {…}`.
fn handler_body(stmt: &Stmt) -> Option<&[Stmt]> {
    let Stmt::Expr(ExprStmt { expr, .. }) = stmt else {
        return None;
    };
    let Expr::Assign(assign) = &**expr else { return None };
    match &*assign.right {
        Expr::Arrow(arrow) => match &*arrow.body {
            ArrowFunctionBody::FunctionBody(body) => Some(&body.stmts),
            ArrowFunctionBody::Expr(_) => None,
        },
        Expr::Fn(function) => function.function.body.as_ref().map(|b| b.stmts.as_slice()),
        _ => None,
    }
}

struct Declarator<'a> {
    binding: &'a str,
    found: Option<Box<Expr>>,
}

impl Visit for Declarator<'_> {
    fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
        if let (Pat::Ident(name), Some(init)) = (&decl.name, &decl.init) {
            if name.id.sym == *self.binding && self.found.is_none() {
                self.found = Some(init.clone());
            }
        }
        decl.visit_children_with(self);
    }
}

/// The `// TODO(…)` comment a finding put on its own line.
fn todo_line(diagnostic: &Diagnostic) -> String {
    format!(
        "// TODO({}): {}",
        diagnostic.code.info().id,
        printable(&diagnostic.message)
    )
}

/// `code` without the lines that hold nothing but the TODO comment of one of `findings`.
fn without_todos(code: &str, findings: &[&Diagnostic]) -> String {
    let todos: BTreeSet<String> = findings.iter().map(|d| todo_line(d)).collect();
    if todos.is_empty() {
        return code.to_string();
    }
    code.split_inclusive('\n')
        .filter(|line| !todos.contains(line.trim()))
        .collect()
}

/// Takes `indent` off the start of every line but the first, unless a template literal could span
/// lines (its text would change).
fn dedent(code: &str, indent: &str) -> String {
    if indent.is_empty() || code.contains('`') {
        return code.to_string();
    }
    let mut lines = code.split_inclusive('\n');
    let mut out: String = lines.next().unwrap_or_default().to_string();
    for line in lines {
        out.push_str(line.strip_prefix(indent).unwrap_or(line));
    }
    out
}

/// One global to inline into a reader, resolved.
struct Chosen {
    name: String,
    definer: usize,
    /// Where the definition is in the defining rule.
    at: usize,
}

/// The inlining of one migration: which rule defines what, converted once each.
struct Inliner<'a> {
    rules: &'a [RuleResult],
    facts: &'a [Option<Facts>],
    limits: &'a Limits,
    converted: HashMap<(usize, String), Result<Converted, String>>,
}

impl Inliner<'_> {
    /// The rule that defines `global.NAME` for `reader`: the only bound rule that sets it, and it
    /// runs before the reader.
    fn definer(&self, reader: usize, name: &str) -> Result<Option<usize>, String> {
        let path = format!("global.{name}");
        let writers: Vec<usize> = (0..self.facts.len())
            .filter(|&i| {
                self.facts[i]
                    .as_ref()
                    .is_some_and(|f| f.global_writes.contains(&path) || f.globals.changed.contains(name))
            })
            .collect();
        match writers.as_slice() {
            [] => Ok(None),
            [only] if *only == reader => Ok(None),
            [only] if *only > reader => Err(format!(
                "rule `{}` runs after this one",
                printable(&self.rules[*only].name)
            )),
            [only] => Ok(Some(*only)),
            _ => Err("several rules set or change it: it is shared mutable state".to_string()),
        }
    }

    fn definition(&self, definer: usize, name: &str) -> Result<&Definition, String> {
        let globals = &self.facts[definer].as_ref().expect("a definer has facts").globals;
        match globals.definitions.get(name) {
            Some(Ok(definition)) => Ok(definition),
            Some(Err(why)) => Err(why.clone()),
            None => Err("it is not set by a plain assignment".to_string()),
        }
    }

    /// The definitions to write for `global.NAME`, which `definer` sets: it and the globals it
    /// reads, or why it cannot be inlined into `reader`.
    fn closure(&mut self, reader: usize, name: &str, definer: usize) -> Result<Vec<Chosen>, String> {
        let mut chosen: Vec<Chosen> = Vec::new();
        let mut pending = vec![(name.to_string(), definer)];
        while let Some((next, definer)) = pending.pop() {
            if chosen.iter().any(|c| c.definer == definer && c.name == next) {
                continue;
            }
            let definition = self
                .definition(definer, &next)
                .map_err(|why| self.because(name, &next, &why))?
                .clone();
            for read in &definition.reads {
                match self.definer(reader, read) {
                    Ok(Some(definer)) => pending.push((read.clone(), definer)),
                    Ok(None) => return Err(format!("it reads global.{read}, which no earlier rule defines")),
                    Err(why) => return Err(format!("it reads global.{read}, and {why}")),
                }
            }
            let limits = self.limits;
            let converted = self
                .converted
                .entry((definer, next.clone()))
                .or_insert_with(|| convert_definition(&definition, limits));
            if let Err(why) = converted {
                let why = why.clone();
                return Err(self.because(name, &next, &why));
            }
            chosen.push(Chosen {
                name: next,
                definer,
                at: definition.at,
            });
        }
        Ok(chosen)
    }

    fn because(&self, name: &str, other: &str, why: &str) -> String {
        if name == other {
            why.to_string()
        } else {
            format!("it reads global.{other}, and {why}")
        }
    }
}

/// What one reader gets: the definitions to write, and the globals it reads that cannot be
/// inlined, with why.
struct Plan {
    reader: usize,
    chosen: Vec<Chosen>,
    refused: Vec<(String, String)>,
}

impl Inliner<'_> {
    /// The plan of a bound rule with an Action; `None` for the others.
    fn plan(&mut self, reader: usize) -> Option<Plan> {
        let reader_facts = self.facts[reader].as_ref()?;
        self.rules[reader].code.as_ref()?;
        // A global the reader writes as well is its own state, or state it shares: not a helper.
        let wanted: Vec<String> = reader_facts
            .global_reads
            .difference(&reader_facts.global_writes)
            .filter_map(|path| path.strip_prefix("global.").map(str::to_string))
            .collect();
        let mut plan = Plan {
            reader,
            chosen: Vec::new(),
            refused: Vec::new(),
        };
        for name in wanted {
            let found = match self.definer(reader, &name) {
                Ok(None) => continue,
                Ok(Some(definer)) => self.closure(reader, &name, definer),
                Err(why) => Err(why),
            };
            match found {
                Ok(found) => plan.chosen.extend(found),
                Err(why) => plan.refused.push((name, why)),
            }
        }
        plan.chosen.sort_by_key(|c| (c.definer, c.at));
        plan.chosen.dedup_by(|a, b| a.definer == b.definer && a.name == b.name);
        Some(plan)
    }
}

/// Inlines into every bound reader the definitions it reads from earlier rules; drops the findings
/// about those reads and takes them out of the reader's cross-rule facts. Readers that cannot get
/// a definition get a note saying why (the cross-rule finding stays).
pub fn inline(rules: &mut [RuleResult], facts: &mut [Option<Facts>], limits: &Limits) -> Vec<Inlined> {
    let mut inliner = Inliner {
        rules,
        facts,
        limits,
        converted: HashMap::new(),
    };
    let plans: Vec<Plan> = (0..facts.len()).filter_map(|reader| inliner.plan(reader)).collect();
    let converted = inliner.converted;

    let mut inlined: BTreeMap<(usize, String), BTreeSet<usize>> = BTreeMap::new();
    for Plan {
        reader,
        chosen,
        refused,
    } in plans
    {
        for (name, why) in refused {
            rules[reader].notes.push(note(
                Severity::Info,
                format!("global.{name} was not inlined into this Action: {why}"),
            ));
        }
        if chosen.is_empty() {
            continue;
        }
        let definers: Vec<String> = chosen.iter().map(|c| rules[c.definer].name.clone()).collect();
        if apply(&mut rules[reader], facts, reader, &chosen, &converted, &definers) {
            for c in &chosen {
                inlined.entry((c.definer, c.name.clone())).or_default().insert(reader);
            }
        }
    }
    report_definers(rules, &inlined);
    inlined
        .into_iter()
        .map(|((definer, name), readers)| Inlined {
            path: format!("global.{name}"),
            from: rules[definer].name.clone(),
            into: readers.into_iter().map(|r| rules[r].name.clone()).collect(),
        })
        .collect()
}

/// The module-scope code defining the chosen globals, each under a comment naming its rule, after
/// the declarations they need that the Action does not have yet, with the dependencies that code
/// needs; or why it cannot be written (a name the Action already declares otherwise).
fn module_block(
    code: &str,
    chosen: &[Chosen],
    definers: &[String],
    converted: &HashMap<(usize, String), Result<Converted, String>>,
) -> Result<(String, Vec<Dependency>), String> {
    let newline = crate::source::line_ending(code);
    let definitions: Vec<(&Chosen, &String, &Converted)> = chosen
        .iter()
        .zip(definers)
        .filter_map(|(c, definer)| Some((c, definer, converted.get(&(c.definer, c.name.clone()))?.as_ref().ok()?)))
        .collect();
    let mut declared = module_declarations(code);
    let mut block = String::new();
    for prelude in definitions.iter().flat_map(|(_, _, d)| &d.prelude) {
        if prelude.names.iter().all(|n| declared.get(n) == Some(&prelude.text)) {
            continue;
        }
        if let Some(name) = prelude.names.iter().find(|n| declared.contains_key(*n)) {
            return Err(format!("`{name}` is declared otherwise at the top of this Action"));
        }
        declared.extend(prelude.names.iter().map(|n| (n.clone(), prelude.text.clone())));
        if block.is_empty() {
            block.push_str(&format!("// Modules that the globals inlined below use.{newline}"));
        }
        block.push_str(&format!("{}{newline}", prelude.text));
    }
    let mut dependencies = Vec::new();
    for (c, definer, converted) in definitions {
        block.push_str(&format!(
            "// global.{}: defined by rule `{}`. Actions share no globals, so this Action defines it itself.{newline}",
            c.name,
            printable(definer)
        ));
        block.push_str(&format!("global.{} = {};{newline}", c.name, converted.code));
        dependencies.extend(converted.dependencies.iter().cloned());
    }
    block.push_str(newline);
    Ok((block, dependencies))
}

/// The names an Action declares at module level, with the text of the statement that does (the
/// text is empty for functions and classes, which no module-scope declaration equals).
fn module_declarations(code: &str) -> BTreeMap<String, String> {
    let masked = crate::placeholders::mask(code);
    let Ok(parsed) = parse(&masked.text) else {
        return BTreeMap::new();
    };
    let ParsedProgram::Script(script) = &parsed.program else {
        return BTreeMap::new();
    };
    let mut declared = BTreeMap::new();
    for stmt in &script.body {
        let Stmt::Decl(decl) = stmt else { continue };
        let mut names = FxHashSet::default();
        let text = match decl {
            Decl::Var(var) => {
                var.decls.iter().for_each(|d| pattern_names(&d.name, &mut names));
                code.get(parsed.range(var.span)).unwrap_or_default()
            }
            Decl::Fn(function) => {
                names.insert(function.ident.sym.clone());
                ""
            }
            Decl::Class(class) => {
                names.insert(class.ident.sym.clone());
                ""
            }
            _ => continue,
        };
        declared.extend(names.iter().map(|n| (n.to_string(), text.to_string())));
    }
    declared
}

/// Writes the definitions into the reader's Action, before its handler, and drops the findings
/// (and their TODO lines) about reading them. `false`, with a note, when the result would not parse.
fn apply(
    rule: &mut RuleResult,
    facts: &mut [Option<Facts>],
    reader: usize,
    chosen: &[Chosen],
    converted: &HashMap<(usize, String), Result<Converted, String>>,
    definers: &[String],
) -> bool {
    let Some(code) = rule.code.as_deref() else { return false };
    let Some(header) = code.find(HANDLER_HEADER) else {
        return false;
    };
    // The line of the handler; after a byte order mark, which stays first.
    let bom = if code.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let at = code[..header].rfind('\n').map_or(bom, |i| i + 1);
    let (block, dependencies) = match module_block(code, chosen, definers, converted) {
        Ok(block) => block,
        Err(why) => {
            let names: Vec<String> = chosen.iter().map(|c| format!("global.{}", c.name)).collect();
            rule.notes.push(note(
                Severity::Info,
                format!("{} not inlined into this Action: {why}", names.join(", ")),
            ));
            return false;
        }
    };

    let names: BTreeSet<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
    let reader_facts = facts[reader].as_mut().expect("a reader has facts");
    let sites = &reader_facts.globals.read_sites;
    let about_inlined = |d: &Diagnostic| {
        d.code == Code::GlobalState
            && sites
                .get(&d.range.start)
                .is_some_and(|name| names.contains(name.as_str()))
    };
    let (dropped, kept): (Vec<Diagnostic>, Vec<Diagnostic>) = rule
        .conversion
        .as_ref()
        .map(|c| c.diagnostics.iter().cloned().partition(about_inlined))
        .unwrap_or_default();
    let code = format!("{}{block}{}", &code[..at], &code[at..]);
    let code = without_todos(&code, &dropped.iter().collect::<Vec<_>>());
    if parse(&crate::placeholders::mask(&code).text).is_err() {
        rule.notes.push(note(
            Severity::Warning,
            "the Action with the inlined globals does not parse: they were not inlined",
        ));
        return false;
    }
    rule.code = Some(code);
    if let Some(conversion) = rule.conversion.as_mut() {
        conversion.diagnostics = kept;
    }
    merge_dependencies(rule, &dependencies);
    for name in &names {
        reader_facts.global_reads.remove(&format!("global.{name}"));
    }
    note_inlined(rule, chosen, definers);
    rule.status = super::status_of(rule.code.is_some(), rule.conversion.as_ref(), &rule.notes);
    true
}

/// Tells the reader which globals it now defines, per rule they came from.
fn note_inlined(rule: &mut RuleResult, chosen: &[Chosen], definers: &[String]) {
    let mut per_definer: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (c, definer) in chosen.iter().zip(definers) {
        per_definer
            .entry(definer)
            .or_default()
            .push(format!("global.{}", c.name));
    }
    for (definer, names) in per_definer {
        rule.notes.push(note(
            Severity::Info,
            format!(
                "{} inlined from rule `{definer}`: Actions share no globals, so this Action defines {} itself",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
}

fn merge_dependencies(rule: &mut RuleResult, dependencies: &[Dependency]) {
    let Some(conversion) = rule.conversion.as_mut() else {
        return;
    };
    for dependency in dependencies {
        if !conversion.dependencies.iter().any(|d| d.name == dependency.name) {
            conversion.dependencies.push(dependency.clone());
        }
    }
}

/// Tells each defining rule which Actions got its definitions.
fn report_definers(rules: &mut [RuleResult], inlined: &BTreeMap<(usize, String), BTreeSet<usize>>) {
    let mut per_definer: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for (definer, name) in inlined.keys() {
        per_definer.entry(*definer).or_default().insert(name);
    }
    for (definer, names) in per_definer {
        let list: Vec<String> = names.iter().map(|n| format!("global.{n}")).collect();
        rules[definer].notes.push(note(
            Severity::Info,
            format!(
                "its definitions of {} are inlined into the Actions of the later rules that read them (Actions share no globals)",
                list.join(", ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globals(rule: &str) -> RuleGlobals {
        let masked = crate::placeholders::mask(rule);
        scan(&parse(&masked.text).unwrap(), rule)
    }

    fn defined(globals: &RuleGlobals, name: &str) -> Definition {
        match &globals.definitions[name] {
            Ok(definition) => definition.clone(),
            Err(why) => panic!("global.{name} is refused: {why}"),
        }
    }

    fn refused(globals: &RuleGlobals, name: &str) -> String {
        match &globals.definitions[name] {
            Ok(definition) => panic!("global.{name} is defined as {}", definition.value),
            Err(why) => why.clone(),
        }
    }

    #[test]
    fn definitions_plain_guarded_and_defaulted() {
        let g = globals(
            "function (user, context, callback) {\n  if (!global.a) {\n    global.a = function (x) {\n      return x + global.B;\n    };\n  }\n  \
             if (typeof global.c === 'undefined') global.c = [1, 'two', { three: null }];\n  global.B = -1;\n  \
             global.d = global.d || ((y) => y * 2);\n  global.e = @@E@@;\n  callback(null, user, context);\n}",
        );
        let a = defined(&g, "a");
        assert_eq!(a.value, "function (x) {\n      return x + global.B;\n    }");
        assert_eq!(a.indent, "    ");
        assert_eq!(a.reads, BTreeSet::from(["B".to_string()]));
        assert_eq!(defined(&g, "c").value, "[1, 'two', { three: null }]");
        assert_eq!(defined(&g, "B").value, "-1");
        assert_eq!(defined(&g, "d").value, "((y) => y * 2)");
        assert_eq!(defined(&g, "e").value, "@@E@@");
        assert!(defined(&g, "c").at < defined(&g, "B").at);
    }

    #[test]
    fn state_and_closures_are_not_definitions() {
        let g = globals(
            "function (user, context, callback) {\n  const request = require('request');\n  global.client = new Client();\n  \
             global.count = 0;\n  global.count++;\n  global.call = function () { return request('x'); };\n  \
             global.who = function () { return user.email; };\n  global.now = Date.now();\n  \
             if (user.x) { global.maybe = 1; }\n  global.shadow = function (request) { return request; };\n  \
             global.any = function (k) { return global[k]; };\n  callback(null, user, context);\n}",
        );
        assert!(refused(&g, "client").contains("computed when the rule runs"));
        assert!(refused(&g, "now").contains("computed when the rule runs"));
        assert_eq!(refused(&g, "count"), "the rule sets or changes it more than once");
        // A module the rule requires goes along; its other variables do not exist elsewhere.
        let call = defined(&g, "call");
        assert_eq!(call.requires, ["const request = require('request');"]);
        assert_eq!(call.required, BTreeSet::from(["request".to_string()]));
        assert_eq!(refused(&g, "who"), "it uses `user`, a variable of the defining rule");
        assert!(refused(&g, "maybe").contains("not set by a plain assignment"));
        assert!(refused(&g, "any").contains("other than as global.NAME"));
        // A parameter of the helper's own is not the rule's variable.
        assert_eq!(defined(&g, "shadow").value, "function (request) { return request; }");
    }

    #[test]
    fn what_is_filled_or_changed_in_place_is_state() {
        let g = globals(
            "function (user, context, callback) {\n  global.cache = {};\n  global.list = [];\n  global.names = ['a'];\n  \
             global.names.push(user.name);\n  global.table = { a: 1 };\n  callback(null, user, context);\n}",
        );
        assert!(refused(&g, "cache").contains("there to be filled"));
        assert!(refused(&g, "list").contains("there to be filled"));
        assert_eq!(refused(&g, "names"), "the rule sets or changes it more than once");
        assert_eq!(defined(&g, "table").value, "{ a: 1 }");
        let reader = globals(
            "function (user, context, callback) {\n  Object.assign(global.table, { b: 2 });\n  global.other.sort();\n  \
             global.table.a.toString();\n  callback(null, user, context);\n}",
        );
        assert_eq!(
            reader.changed.iter().map(String::as_str).collect::<Vec<_>>(),
            ["other", "table"]
        );
    }

    #[test]
    fn read_sites_are_where_each_global_starts() {
        let rule = "function (user, context, callback) {\n  x(global.a, global.b.c);\n}";
        let g = globals(rule);
        let sites: Vec<(&str, &str)> = g
            .read_sites
            .iter()
            .map(|(at, name)| (&rule[*at..*at + 8], name.as_str()))
            .collect();
        assert_eq!(sites, [("global.a", "a"), ("global.b", "b")]);
    }

    #[test]
    fn free_names_follow_function_scopes() {
        let parsed = parse(
            "x = function f(a) { var b = a; { let c = b; } try {} catch (e) { e; } return [b, c, d, f, g.h, {i}]; };",
        )
        .unwrap();
        let mut free = FreeNames::default();
        parsed.visit(&mut free);
        let names: Vec<&str> = free.free.iter().map(String::as_str).collect();
        // `c` is declared in a block only, but block scopes are not told apart.
        assert_eq!(names, ["d", "g", "i", "x"]);
    }

    #[test]
    fn a_definition_converts_without_its_rules_constructs() {
        let g = globals(
            "function (user, context, callback) {\n  if (!global.fail) {\n    global.fail = function (cb) {\n      \
             return cb(new UnauthorizedError('no ' + global.WHO));\n    };\n  }\n  global.WHO = 'x';\n  \
             global.key = function () { return configuration.KEY; };\n}",
        );
        let converted = convert_definition(&defined(&g, "fail"), &Limits::default()).unwrap();
        assert_eq!(
            converted.code,
            "function (cb) {\n  return cb(new Error('no ' + global.WHO));\n}"
        );
        let why = convert_definition(&defined(&g, "key"), &Limits::default()).unwrap_err();
        assert!(why.contains("reads `event`"), "{why}");
        // A name free in the helper that the conversion takes for a Rules construct.
        let g = globals(
            "function (u, ctx, cb) {\n  global.done = function () { return callback(); };\n  cb(null, u, ctx);\n}",
        );
        let why = convert_definition(&defined(&g, "done"), &Limits::default()).unwrap_err();
        assert!(why.contains("once converted it reads"), "{why}");
    }

    #[test]
    fn dedent_keeps_template_literals() {
        assert_eq!(dedent("f {\n    a;\n  }", "  "), "f {\n  a;\n}");
        assert_eq!(dedent("f {\n    `a\n    b`;\n  }", "  "), "f {\n    `a\n    b`;\n  }");
    }
}
