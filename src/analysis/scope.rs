//! Scope analysis: which identifiers refer to the rule's own parameters and which to the Rules
//! globals (`configuration`, `auth0`, `global`, `UnauthorizedError`, `require`). A nested function
//! whose parameter or variable is named `user` or `context` shadows the rule's, and its uses are
//! left alone. The same walk records every use of a local, for the alias analysis
//! (`super::aliases`).

use super::aliases::{
    aliased_names, Alias, DeclKey, LocalCall, LocalDeclarator, LocalFacts, LocalFunction, LocalUse, Source,
};
use rustc_hash::{FxHashMap, FxHashSet};
use swc_atoms::Atom;
use swc_common::{BytePos, Spanned};
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
    /// Set when the identifier is a local that stands for the Rules object (`var self = context`):
    /// its index in [`Bindings::aliases`].
    pub alias: Option<u32>,
}

#[derive(Default)]
pub struct Bindings {
    /// Looked up for every identifier by every rewrite: a fast hash, not SipHash.
    pub(super) references: FxHashMap<BytePos, Reference>,
    /// Every name the file uses, so that generated names never collide.
    pub names: FxHashSet<Atom>,
    /// The Rules globals the file refers to: a rewrite about a global the rule never names has
    /// nothing to do, and skips its walks of the tree.
    used_globals: Vec<Global>,
    /// Locals that stand for a rule parameter or a part of it (see [`super::aliases`]).
    pub aliases: Vec<Alias>,
    /// The rule's parameters the rule assigns (`user = …`): no local can stand for those.
    pub(super) written_params: Vec<Param>,
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

    /// The alias an identifier refers to, when it is one.
    pub fn alias(&self, ident: &Ident) -> Option<&Alias> {
        let index = self.resolve(ident)?.alias?;
        self.aliases.get(index as usize)
    }

    /// The property path an identifier stands for below its rule parameter: empty for the
    /// parameter itself and for a plain alias (`var self = context`), `request` for
    /// `var req = context.request`.
    pub fn alias_path(&self, ident: &Ident) -> &[Atom] {
        self.alias(ident).map_or(&[], |alias| alias.path.as_slice())
    }
}

#[derive(Default)]
struct Scope {
    /// Identifies the scope's declarations for the alias analysis; set by `with_scope`.
    id: u32,
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

/// Resolves every identifier of the file in one walk, then which locals are aliases of the rule's
/// parameters.
pub fn analyse(parsed: &crate::parse::ParsedFile, rule_function: BytePos, params: &[Atom; 3]) -> Bindings {
    let mut resolver = Resolver {
        scopes: vec![Scope {
            is_function: true,
            ..Default::default()
        }],
        next_scope: 1,
        rule_function,
        params: params.clone(),
        out: Bindings::default(),
        locals: LocalFacts::default(),
        mode: IdentMode::Read,
        statement_var: None,
        pending_function: None,
    };
    parsed.visit(&mut resolver);
    let Resolver { mut out, locals, .. } = resolver;
    super::aliases::resolve(&mut out, locals);
    out
}

/// What an identifier resolves to.
enum Resolved {
    Rules(Binding),
    Local(DeclKey),
}

/// How the identifier being recorded is used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdentMode {
    Read,
    Write,
    Callee,
    Shorthand,
}

pub struct Resolver {
    scopes: Vec<Scope>,
    next_scope: u32,
    rule_function: BytePos,
    params: [Atom; 3],
    out: Bindings,
    locals: LocalFacts,
    mode: IdentMode,
    /// The `var`/`let`/`const` statement being visited, when it is a statement of its own.
    statement_var: Option<BytePos>,
    /// A local function about to be visited: its name's declaration, and whether it is declared
    /// inside the rule function.
    pending_function: Option<(DeclKey, bool)>,
}

impl Resolver {
    fn lookup(&self, name: &Atom) -> Option<Resolved> {
        for scope in self.scopes.iter().rev() {
            if let Some(params) = &scope.rule_params {
                if let Some(param) = params.get(name) {
                    // A `var user` in the rule body is the same binding as the parameter.
                    return Some(Resolved::Rules(Binding::Param(*param)));
                }
            }
            if scope.names.contains(name) {
                return Some(Resolved::Local(DeclKey {
                    scope: scope.id,
                    name: name.clone(),
                }));
            }
        }
        Global::from_name(name).map(|global| Resolved::Rules(Binding::Global(global)))
    }

    fn depth(&self) -> Option<u32> {
        let rule_index = self.scopes.iter().position(|s| s.rule_params.is_some())?;
        Some(self.scopes[rule_index + 1..].iter().filter(|s| s.is_function).count() as u32)
    }

    fn record(&mut self, ident: &Ident) {
        self.out.names.insert(ident.sym.clone());
        let depth = self.depth();
        match self.lookup(&ident.sym) {
            Some(Resolved::Rules(binding)) => {
                if let (Binding::Param(param), IdentMode::Write) = (binding, self.mode) {
                    self.out.written_params.push(param);
                }
                let reference = Reference {
                    binding,
                    depth,
                    alias: None,
                };
                self.out.references.insert(ident.span.lo, reference);
                if let Binding::Global(global) = binding {
                    if !self.out.used_globals.contains(&global) {
                        self.out.used_globals.push(global);
                    }
                }
            }
            Some(Resolved::Local(decl)) => self.locals.uses.push(LocalUse {
                at: ident.span.lo,
                decl,
                depth,
                write: self.mode == IdentMode::Write,
                callee: self.mode == IdentMode::Callee,
                shorthand: self.mode == IdentMode::Shorthand,
            }),
            None => {}
        }
    }

    /// Records `ident` used in the given way.
    fn record_as(&mut self, ident: &Ident, mode: IdentMode) {
        let previous = std::mem::replace(&mut self.mode, mode);
        self.record(ident);
        self.mode = previous;
    }

    /// Visits `node` with every identifier in it recorded as written.
    fn visit_written(&mut self, node: &impl VisitWith<Self>) {
        let previous = std::mem::replace(&mut self.mode, IdentMode::Write);
        node.visit_with(self);
        self.mode = previous;
    }

    fn with_scope(&mut self, mut scope: Scope, visit: impl FnOnce(&mut Self)) {
        for name in &scope.names {
            self.out.names.insert(name.clone());
        }
        scope.id = self.next_scope;
        self.next_scope += 1;
        self.scopes.push(scope);
        visit(self);
        self.scopes.pop();
    }

    /// The declaration `name` resolves to here, when it is a local.
    fn local(&self, name: &Atom) -> Option<DeclKey> {
        match self.lookup(name)? {
            Resolved::Local(decl) => Some(decl),
            Resolved::Rules(_) => None,
        }
    }

    /// Registers the function whose scope was just opened when it is a local function
    /// (`function finish(u, ctx, done) {…}`), with the declarations of its plain parameters.
    fn note_function(&mut self, params: &[&Pat]) {
        let Some((decl, inside_rule)) = self.pending_function.take() else {
            return;
        };
        let params = params
            .iter()
            .map(|pat| match pat {
                Pat::Ident(binding) => self.local(&binding.id.sym),
                _ => None,
            })
            .collect();
        self.locals.functions.push(LocalFunction {
            decl,
            params,
            inside_rule,
        });
    }

    /// Records a `var`/`let`/`const` statement's declarator as a possible alias.
    fn note_declarator(&mut self, decl: &VarDecl, declarator: &VarDeclarator) {
        let Some(init) = &declarator.init else { return };
        if self.statement_var != Some(decl.span.lo) || decl.decls.len() != 1 {
            return;
        }
        let Some(source) = Source::of(init) else { return };
        let Some(names) = aliased_names(&declarator.name) else {
            return;
        };
        let names = names
            .into_iter()
            .map(|(name, path)| self.local(&name).map(|decl| (decl, path)))
            .collect::<Option<Vec<_>>>();
        if let Some(names) = names {
            self.locals.declarators.push(LocalDeclarator {
                statement: decl.span,
                source,
                names,
            });
        }
    }

    /// Records a call of a local function with the arguments that may be Rules objects.
    fn note_call(&mut self, call: &CallExpr) -> bool {
        let Callee::Expr(callee) = &call.callee else {
            return false;
        };
        let Expr::Ident(ident) = &**callee else { return false };
        let Some(decl) = self.local(&ident.sym) else {
            return false;
        };
        self.record_as(ident, IdentMode::Callee);
        let args = call
            .args
            .iter()
            .map(|arg| {
                let source = arg.spread.is_none().then(|| Source::of(&arg.expr)).flatten();
                (arg.expr.span(), source)
            })
            .collect();
        self.locals.calls.push(LocalCall { callee: decl, args });
        call.args.visit_with(self);
        true
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
            id: 0,
            names,
            rule_params,
            is_function: true,
        }
    }

    fn visit_pattern_expressions(&mut self, pat: &Pat) {
        pat.visit_with(&mut PatternExpressions { resolver: self });
    }

    /// `for (x in o)` assigns `x`; `for (const x of o)` declares it.
    fn visit_for_head(&mut self, head: &ForHead) {
        match head {
            ForHead::Pat(pat) => self.visit_written(&**pat),
            other => other.visit_with(self),
        }
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
            this.note_function(&params);
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
            this.note_function(&params);
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
        self.pending_function = self.local(&decl.ident.sym).map(|key| (key, self.depth().is_some()));
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
        self.with_scope(Scope::block(names), |this| {
            this.visit_for_head(&stmt.left);
            stmt.right.visit_with(this);
            stmt.body.visit_with(this);
        });
    }

    fn visit_for_of_stmt(&mut self, stmt: &ForOfStmt) {
        let names = for_head_names(&stmt.left);
        self.with_scope(Scope::block(names), |this| {
            this.visit_for_head(&stmt.left);
            stmt.right.visit_with(this);
            stmt.body.visit_with(this);
        });
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

    fn visit_stmt(&mut self, stmt: &Stmt) {
        if let Stmt::Decl(Decl::Var(decl)) = stmt {
            self.statement_var = Some(decl.span.lo);
        }
        stmt.visit_children_with(self);
    }

    fn visit_var_decl(&mut self, decl: &VarDecl) {
        for declarator in &decl.decls {
            declarator.visit_with(self);
            self.note_declarator(decl, declarator);
        }
    }

    fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
        self.visit_pattern_expressions(&decl.name);
        let is_function = matches!(decl.init.as_deref(), Some(Expr::Fn(_) | Expr::Arrow(_)));
        if let (true, Pat::Ident(name)) = (is_function, &decl.name) {
            self.pending_function = self.local(&name.id.sym).map(|key| (key, self.depth().is_some()));
        }
        decl.init.visit_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        match &assign.left {
            AssignTarget::Simple(SimpleAssignTarget::Ident(binding)) => self.record_as(&binding.id, IdentMode::Write),
            AssignTarget::Simple(other) => other.visit_with(self),
            AssignTarget::Pat(pat) => self.visit_written(pat),
        }
        assign.right.visit_with(self);
    }

    fn visit_update_expr(&mut self, update: &UpdateExpr) {
        match &*update.arg {
            Expr::Ident(ident) => self.record_as(ident, IdentMode::Write),
            other => other.visit_with(self),
        }
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        if !self.note_call(call) {
            call.visit_children_with(self);
        }
    }

    fn visit_prop(&mut self, prop: &Prop) {
        match prop {
            Prop::Shorthand(ident) => self.record_as(ident, IdentMode::Shorthand),
            other => other.visit_children_with(self),
        }
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
