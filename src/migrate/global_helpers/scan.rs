//! What one rule does with `global`: the definitions it makes (and why the others are not
//! definitions), where it names each global, and what it changes in place. Also the free names of
//! a piece of code, which decide whether a definition can leave its rule.

use crate::analysis::rule::{find_rule, RuleSearch};
use crate::analysis::scope::pattern_names;
use crate::analysis::syntax::method_call;
use crate::migrate::crossrule::split;
use crate::parse::ParsedFile;
use rustc_hash::FxHashSet;
use std::collections::{BTreeMap, BTreeSet};
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
    let (obj, method, args) = method_call(call)?;
    let target = if is_ident(obj, "Object") && OBJECT_MUTATORS.contains(&method) {
        &*args.first()?.expr
    } else if MUTATORS.contains(&method) {
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
pub(super) struct FreeNames {
    scopes: Vec<FxHashSet<Atom>>,
    pub(super) free: BTreeSet<String>,
    pub(super) globals: BTreeSet<String>,
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::parse::parse;

    pub(in crate::migrate::global_helpers) fn globals(rule: &str) -> RuleGlobals {
        let masked = crate::placeholders::mask(rule);
        scan(&parse(&masked.text).unwrap(), rule)
    }

    pub(in crate::migrate::global_helpers) fn defined(globals: &RuleGlobals, name: &str) -> Definition {
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
}
