//! Scope analysis: which identifiers refer to the rule's own parameters and which to the Rules
//! globals (`configuration`, `auth0`, `global`, `UnauthorizedError`, `require`). A nested function
//! whose parameter or variable is named `user` or `context` shadows the rule's, and its uses are
//! left alone.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_atoms::Atom;
use swc_common::BytePos;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Param {
    User,
    Context,
    Callback,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Global {
    Configuration,
    Auth0,
    Global,
    UnauthorizedError,
    Require,
    Undefined,
    Error,
    /// A module the Rules sandbox offered without `require`: `request`, `_` (lodash), `jwt`
    /// (jsonwebtoken).
    SandboxModule,
}

impl Global {
    fn from_name(name: &str) -> Option<Global> {
        Some(match name {
            "configuration" => Global::Configuration,
            "auth0" => Global::Auth0,
            "global" => Global::Global,
            "UnauthorizedError" => Global::UnauthorizedError,
            "require" => Global::Require,
            "undefined" => Global::Undefined,
            "Error" => Global::Error,
            "request" | "_" | "jwt" => Global::SandboxModule,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    Param(Param),
    Global(Global),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub binding: Binding,
    /// How many functions lie between the reference and the rule function: `Some(0)` directly in
    /// the rule body, `None` outside the rule function.
    pub depth: Option<u32>,
}

#[derive(Default)]
pub struct Bindings {
    /// Looked up for every identifier by every rewrite: a fast hash, not SipHash.
    references: FxHashMap<BytePos, Reference>,
    /// Every name the file uses, so that generated names never collide.
    pub names: FxHashSet<Atom>,
    /// The Rules globals the file refers to: a rewrite about a global the rule never names has
    /// nothing to do, and skips its walks of the tree.
    used_globals: Vec<Global>,
}

impl Bindings {
    pub fn resolve(&self, ident: &Ident) -> Option<Reference> {
        self.references.get(&ident.span.lo).copied()
    }

    pub fn param(&self, ident: &Ident) -> Option<Param> {
        match self.resolve(ident)?.binding {
            Binding::Param(param) => Some(param),
            Binding::Global(_) => None,
        }
    }

    pub fn global(&self, ident: &Ident) -> Option<Global> {
        match self.resolve(ident)?.binding {
            Binding::Global(global) => Some(global),
            Binding::Param(_) => None,
        }
    }

    /// Whether `expr` is a plain reference to the global `name`.
    pub fn is_global(&self, expr: &Expr, global: Global) -> bool {
        matches!(expr, Expr::Ident(ident) if self.global(ident) == Some(global))
    }

    pub fn is_param(&self, expr: &Expr, param: Param) -> bool {
        matches!(expr, Expr::Ident(ident) if self.param(ident) == Some(param))
    }

    /// A name based on `base` that the file does not use yet.
    pub fn fresh_name(&mut self, base: &str) -> String {
        let mut candidate = base.to_string();
        let mut n = 2;
        while self.names.contains(&Atom::from(candidate.as_str())) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        self.names.insert(Atom::from(candidate.as_str()));
        candidate
    }

    /// Whether any identifier of the file resolves to `global`.
    pub fn uses(&self, global: Global) -> bool {
        self.used_globals.contains(&global)
    }

    pub fn references(&self) -> impl Iterator<Item = (&BytePos, &Reference)> {
        self.references.iter()
    }
}

#[derive(Default)]
struct Scope {
    names: FxHashSet<Atom>,
    /// Set on the rule function's scope: maps its parameter names.
    rule_params: Option<FxHashMap<Atom, Param>>,
    is_function: bool,
}

impl Scope {
    /// A block's scope (or a function expression's name, a catch clause's parameter).
    fn block(names: FxHashSet<Atom>) -> Scope {
        Scope {
            names,
            ..Default::default()
        }
    }
}

pub fn analyse(parsed: &crate::parse::ParsedFile, rule_function: BytePos, params: &[Atom; 3]) -> Bindings {
    let mut resolver = Resolver {
        scopes: vec![Scope {
            is_function: true,
            ..Default::default()
        }],
        rule_function,
        params: params.clone(),
        out: Bindings::default(),
    };
    parsed.visit(&mut resolver);
    resolver.out
}

pub struct Resolver {
    scopes: Vec<Scope>,
    rule_function: BytePos,
    params: [Atom; 3],
    out: Bindings,
}

impl Resolver {
    fn lookup(&self, name: &Atom) -> Option<Binding> {
        for scope in self.scopes.iter().rev() {
            if let Some(params) = &scope.rule_params {
                if let Some(param) = params.get(name) {
                    // A `var user` in the rule body is the same binding as the parameter.
                    return Some(Binding::Param(*param));
                }
            }
            if scope.names.contains(name) {
                return None;
            }
        }
        Global::from_name(name).map(Binding::Global)
    }

    fn depth(&self) -> Option<u32> {
        let rule_index = self.scopes.iter().position(|s| s.rule_params.is_some())?;
        Some(self.scopes[rule_index + 1..].iter().filter(|s| s.is_function).count() as u32)
    }

    fn record(&mut self, ident: &Ident) {
        self.out.names.insert(ident.sym.clone());
        if let Some(binding) = self.lookup(&ident.sym) {
            let depth = self.depth();
            self.out.references.insert(ident.span.lo, Reference { binding, depth });
            if let Binding::Global(global) = binding {
                if !self.out.used_globals.contains(&global) {
                    self.out.used_globals.push(global);
                }
            }
        }
    }

    fn with_scope(&mut self, scope: Scope, visit: impl FnOnce(&mut Self)) {
        for name in &scope.names {
            self.out.names.insert(name.clone());
        }
        self.scopes.push(scope);
        visit(self);
        self.scopes.pop();
    }

    fn function_scope(&mut self, lo: BytePos, params: Vec<&Pat>, body_stmts: Option<&[Stmt]>) -> Scope {
        let mut names = FxHashSet::default();
        for pat in &params {
            pattern_names(pat, &mut names);
        }
        if let Some(stmts) = body_stmts {
            let mut hoisted = VarNames::default();
            stmts.iter().for_each(|s| s.visit_with(&mut hoisted));
            names.extend(hoisted.names);
            names.extend(lexical_names(stmts));
        }
        let rule_params = (lo == self.rule_function).then(|| {
            let kinds = [Param::User, Param::Context, Param::Callback];
            self.params.iter().cloned().zip(kinds).collect::<FxHashMap<_, _>>()
        });
        if let Some(params) = &rule_params {
            names.retain(|name| !params.contains_key(name));
        }
        Scope {
            names,
            rule_params,
            is_function: true,
        }
    }

    fn visit_pattern_expressions(&mut self, pat: &Pat) {
        pat.visit_with(&mut PatternExpressions { resolver: self });
    }
}

impl Visit for Resolver {
    fn visit_script(&mut self, script: &Script) {
        let mut hoisted = VarNames::default();
        script.body.iter().for_each(|s| s.visit_with(&mut hoisted));
        let mut names = hoisted.names;
        names.extend(lexical_names(&script.body));
        self.with_scope(
            Scope {
                names,
                is_function: true,
                ..Default::default()
            },
            |this| {
                script.body.iter().for_each(|s| s.visit_with(this));
            },
        );
    }

    fn visit_function(&mut self, function: &Function) {
        let params: Vec<&Pat> = function.params.iter().map(|p| &p.pat).collect();
        let stmts = function.body.as_ref().map(|b| b.stmts.as_slice());
        let scope = self.function_scope(function.span.lo, params.clone(), stmts);
        self.with_scope(scope, |this| {
            function.decorators.iter().for_each(|d| d.visit_with(this));
            params.iter().for_each(|p| this.visit_pattern_expressions(p));
            if let Some(body) = &function.body {
                body.stmts.iter().for_each(|s| s.visit_with(this));
            }
        });
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        let params: Vec<&Pat> = arrow.params.iter().collect();
        let stmts = match &*arrow.body {
            ArrowFunctionBody::FunctionBody(b) => Some(b.stmts.as_slice()),
            ArrowFunctionBody::Expr(_) => None,
        };
        let scope = self.function_scope(arrow.span.lo, params.clone(), stmts);
        self.with_scope(scope, |this| {
            params.iter().for_each(|p| this.visit_pattern_expressions(p));
            match &*arrow.body {
                ArrowFunctionBody::FunctionBody(b) => b.stmts.iter().for_each(|s| s.visit_with(this)),
                ArrowFunctionBody::Expr(e) => e.visit_with(this),
            }
        });
    }

    fn visit_fn_expr(&mut self, expr: &FnExpr) {
        // A named function expression sees its own name.
        let names = expr.ident.iter().map(|i| i.sym.clone()).collect();
        self.with_scope(Scope::block(names), |this| expr.function.visit_with(this));
    }

    fn visit_fn_decl(&mut self, decl: &FnDecl) {
        decl.function.visit_with(self);
    }

    fn visit_class_decl(&mut self, decl: &ClassDecl) {
        decl.class.visit_with(self);
    }

    fn visit_class_expr(&mut self, expr: &ClassExpr) {
        let names = expr.ident.iter().map(|i| i.sym.clone()).collect();
        self.with_scope(Scope::block(names), |this| expr.class.visit_with(this));
    }

    fn visit_block_stmt(&mut self, block: &BlockStmt) {
        let names = lexical_names(&block.stmts);
        self.with_scope(Scope::block(names), |this| {
            block.stmts.iter().for_each(|s| s.visit_with(this));
        });
    }

    fn visit_for_stmt(&mut self, stmt: &ForStmt) {
        let mut names = FxHashSet::default();
        if let Some(VarDeclOrExpr::VarDecl(decl)) = &stmt.init {
            decl.decls.iter().for_each(|d| pattern_names(&d.name, &mut names));
        }
        self.with_scope(Scope::block(names), |this| stmt.visit_children_with(this));
    }

    fn visit_for_in_stmt(&mut self, stmt: &ForInStmt) {
        let names = for_head_names(&stmt.left);
        self.with_scope(Scope::block(names), |this| stmt.visit_children_with(this));
    }

    fn visit_for_of_stmt(&mut self, stmt: &ForOfStmt) {
        let names = for_head_names(&stmt.left);
        self.with_scope(Scope::block(names), |this| stmt.visit_children_with(this));
    }

    fn visit_catch_clause(&mut self, clause: &CatchClause) {
        let mut names = FxHashSet::default();
        if let Some(param) = &clause.param {
            pattern_names(param, &mut names);
        }
        self.with_scope(Scope::block(names), |this| {
            if let Some(param) = &clause.param {
                this.visit_pattern_expressions(param);
            }
            clause.body.visit_with(this);
        });
    }

    fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
        self.visit_pattern_expressions(&decl.name);
        decl.init.visit_with(self);
    }

    fn visit_labeled_stmt(&mut self, stmt: &LabeledStmt) {
        stmt.body.visit_with(self);
    }

    fn visit_break_stmt(&mut self, _: &BreakStmt) {}

    fn visit_continue_stmt(&mut self, _: &ContinueStmt) {}

    fn visit_ident(&mut self, ident: &Ident) {
        self.record(ident);
    }
}

/// Visits only the expressions inside a binding pattern (defaults, computed keys), not the names
/// it declares.
struct PatternExpressions<'r> {
    resolver: &'r mut Resolver,
}

impl Visit for PatternExpressions<'_> {
    fn visit_binding_ident(&mut self, _: &BindingIdent) {}

    fn visit_expr(&mut self, expr: &Expr) {
        expr.visit_with(self.resolver);
    }

    fn visit_prop_name(&mut self, name: &PropName) {
        name.visit_with(self.resolver);
    }
}

/// `var` names and nested function declarations hoisted to a function's scope, not entering
/// nested functions.
#[derive(Default)]
struct VarNames {
    names: FxHashSet<Atom>,
}

impl Visit for VarNames {
    fn visit_var_decl(&mut self, decl: &VarDecl) {
        if decl.kind == VarDeclKind::Var {
            decl.decls.iter().for_each(|d| pattern_names(&d.name, &mut self.names));
        }
    }

    fn visit_fn_decl(&mut self, decl: &FnDecl) {
        self.names.insert(decl.ident.sym.clone());
    }

    fn visit_function(&mut self, _: &Function) {}

    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}

    fn visit_class(&mut self, _: &Class) {}

    fn visit_expr(&mut self, _: &Expr) {}
}

/// `let`, `const`, `class` and function declarations made directly in a block.
fn lexical_names(stmts: &[Stmt]) -> FxHashSet<Atom> {
    declared_names(stmts, false)
}

/// The names declared directly by `stmts` (not inside nested blocks or functions): functions,
/// classes, `let` and `const`, and `var` too when `with_var`.
pub fn declared_names(stmts: &[Stmt], with_var: bool) -> FxHashSet<Atom> {
    let mut names = FxHashSet::default();
    for stmt in stmts {
        match stmt {
            Stmt::Decl(Decl::Var(decl)) if with_var || decl.kind != VarDeclKind::Var => {
                decl.decls.iter().for_each(|d| pattern_names(&d.name, &mut names));
            }
            Stmt::Decl(Decl::Fn(decl)) => {
                names.insert(decl.ident.sym.clone());
            }
            Stmt::Decl(Decl::Class(decl)) => {
                names.insert(decl.ident.sym.clone());
            }
            _ => {}
        }
    }
    names
}

fn for_head_names(head: &ForHead) -> FxHashSet<Atom> {
    let mut names = FxHashSet::default();
    if let ForHead::VarDecl(decl) = head {
        if decl.kind != VarDeclKind::Var {
            decl.decls.iter().for_each(|d| pattern_names(&d.name, &mut names));
        }
    }
    names
}

/// The names a binding pattern declares.
pub fn pattern_names(pat: &Pat, names: &mut FxHashSet<Atom>) {
    match pat {
        Pat::Ident(binding) => {
            names.insert(binding.id.sym.clone());
        }
        Pat::Array(array) => array.elems.iter().flatten().for_each(|p| pattern_names(p, names)),
        Pat::Rest(rest) => pattern_names(&rest.arg, names),
        Pat::Object(object) => {
            for prop in &object.props {
                match prop {
                    ObjectPatProp::KeyValue(kv) => pattern_names(&kv.value, names),
                    ObjectPatProp::Assign(assign) => {
                        names.insert(assign.key.id.sym.clone());
                    }
                    ObjectPatProp::Rest(rest) => pattern_names(&rest.arg, names),
                }
            }
        }
        Pat::Assign(assign) => pattern_names(&assign.left, names),
        Pat::Invalid(_) | Pat::Expr(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rule::{find_rule, RuleSearch};
    use crate::parse::parse;

    fn bindings_of(text: &str) -> Bindings {
        let parsed = parse(text).expect("the rule parses");
        let RuleSearch::Found { rule, .. } = find_rule(&parsed) else {
            panic!("no rule function in {text}");
        };
        analyse(&parsed, rule.function_lo, &rule.params)
    }

    #[test]
    fn records_the_globals_a_rule_names() {
        let bindings = bindings_of(
            "function (user, context, callback) { const key = configuration.KEY; callback(null, user, context); }",
        );
        assert!(bindings.uses(Global::Configuration));
        assert!(!bindings.uses(Global::Auth0));
        assert!(!bindings.uses(Global::Global));
    }

    #[test]
    fn a_shadowed_global_is_not_used() {
        let bindings = bindings_of(
            "function (user, context, callback) { const auth0 = {}; auth0.users = 1; callback(null, user, context); }",
        );
        assert!(!bindings.uses(Global::Auth0));
    }
}
