//! Aliases: locals that stand for a rule parameter or a part of it, so that every rewrite sees
//! through them. Real rules reach `context` and `callback` through other names:
//!
//! ```js
//! var self = context;            self.idToken[k] = v;
//! var req = context.request;     req.geoip.country_code
//! const { clientID, request: { geoip } } = context;
//! var cb = callback;             cb(null, user, context);
//! function finish(u, ctx, done) { … done(null, u, ctx); }   finish(user, context, callback);
//! ```
//!
//! The scope analysis records, in its one walk, every use of a local, every statement-level
//! declarator whose initialiser is a static member chain, and every call of a local function.
//! [`resolve`] then decides which locals are aliases and points their references at the
//! parameter, with the property path they stand for. A local is an alias only while that is
//! exact: it is declared once, never written, never used as a shorthand property, and (for a
//! function's parameter) the function is only ever called, by name, with the same object at that
//! position at every call site.

use super::scope::{Binding, Bindings, Param, Reference};
use crate::mapping::context_path_needs_alias;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_atoms::Atom;
use swc_common::{BytePos, Span};
use swc_ecma_ast::*;

/// A local declaration: the scope that declares it and its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeclKey {
    pub scope: u32,
    pub name: Atom,
}

/// A local that stands for a rule parameter (or a property path below it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    pub name: Atom,
    /// `Param::Context`, `Param::Callback` or `Param::User`.
    pub param: Param,
    /// The properties below the parameter: `[request]` for `var req = context.request`.
    pub path: Vec<Atom>,
    pub origin: AliasOrigin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AliasOrigin {
    /// A `var`/`let`/`const` statement that only names parts of the parameter: once every use
    /// reaches the parameter directly, the statement has no purpose (and would name `context`,
    /// which Actions do not have). `root` is the initialiser's root identifier.
    Declaration { statement: Span, root: BytePos },
    /// A parameter of a local function; the arguments given for it at each call site, with the
    /// root identifier of each.
    Parameter { arguments: Vec<(Span, BytePos)> },
}

/// A static member chain rooted at an identifier: `context`, `context.request`,
/// `self['stats']`.
#[derive(Clone, Debug)]
pub struct Source {
    root: BytePos,
    path: Vec<Atom>,
}

impl Source {
    pub fn of(expr: &Expr) -> Option<Source> {
        let mut path = Vec::new();
        let mut current = expr;
        loop {
            match current {
                Expr::Paren(paren) => current = &paren.expr,
                Expr::Member(member) => {
                    path.push(static_name(&member.prop)?);
                    current = &member.obj;
                }
                Expr::Ident(root) => {
                    path.reverse();
                    return Some(Source {
                        root: root.span.lo,
                        path,
                    });
                }
                _ => return None,
            }
        }
    }
}

fn static_name(prop: &MemberProp) -> Option<Atom> {
    match prop {
        MemberProp::Ident(name) => Some(name.sym.clone()),
        MemberProp::Computed(ComputedPropName { expr, .. }) => match &**expr {
            Expr::Lit(Lit::Str(s)) => s.value.as_atom().cloned(),
            _ => None,
        },
        MemberProp::PrivateName(_) => None,
    }
}

/// The names a declarator's pattern binds, each with the property path it takes from the
/// initialiser: `{ clientID, request: { geoip } }` gives `clientID ← [clientID]` and
/// `geoip ← [request, geoip]`. `None` when the pattern computes something (a default, a rest, a
/// computed key, an array): such a declaration is not an alias.
pub fn aliased_names(pat: &Pat) -> Option<Vec<(Atom, Vec<Atom>)>> {
    let mut names = Vec::new();
    collect_names(pat, &mut Vec::new(), &mut names)?;
    Some(names)
}

fn collect_names(pat: &Pat, path: &mut Vec<Atom>, names: &mut Vec<(Atom, Vec<Atom>)>) -> Option<()> {
    match pat {
        Pat::Ident(binding) => names.push((binding.id.sym.clone(), path.clone())),
        Pat::Object(object) => {
            for prop in &object.props {
                match prop {
                    ObjectPatProp::KeyValue(kv) => {
                        let key = match &kv.key {
                            PropName::Ident(name) => name.sym.clone(),
                            PropName::Str(s) => s.value.as_atom()?.clone(),
                            _ => return None,
                        };
                        path.push(key);
                        collect_names(&kv.value, path, names)?;
                        path.pop();
                    }
                    ObjectPatProp::Assign(assign) if assign.value.is_none() => {
                        let mut full = path.clone();
                        full.push(assign.key.id.sym.clone());
                        names.push((assign.key.id.sym.clone(), full));
                    }
                    _ => return None,
                }
            }
        }
        _ => return None,
    }
    Some(())
}

/// A use of a local, as the scope analysis met it.
pub struct LocalUse {
    pub at: BytePos,
    pub decl: DeclKey,
    pub depth: Option<u32>,
    pub write: bool,
    /// The callee of a call: `finish(…)`.
    pub callee: bool,
    /// A shorthand property `{ name }`, whose key would change with the name.
    pub shorthand: bool,
}

/// A `var`/`let`/`const` statement of one declarator with a static member chain as initialiser.
pub struct LocalDeclarator {
    pub statement: Span,
    pub source: Source,
    pub names: Vec<(DeclKey, Vec<Atom>)>,
}

/// A function declared under a name (`function f(…)`, `const f = (…) => …`).
pub struct LocalFunction {
    pub decl: DeclKey,
    /// The declaration of each plain parameter.
    pub params: Vec<Option<DeclKey>>,
    /// Declared inside the rule function, where the Action's `event` and `api` are in scope.
    pub inside_rule: bool,
}

pub struct LocalCall {
    pub callee: DeclKey,
    pub args: Vec<(Span, Option<Source>)>,
}

/// What the scope analysis collected about locals, for [`resolve`].
#[derive(Default)]
pub struct LocalFacts {
    pub uses: Vec<LocalUse>,
    pub declarators: Vec<LocalDeclarator>,
    pub functions: Vec<LocalFunction>,
    pub calls: Vec<LocalCall>,
}

/// Decides which locals are aliases and records them in `bindings`: each alias in
/// `bindings.aliases`, each of its uses as a reference to the parameter.
pub fn resolve(bindings: &mut Bindings, facts: LocalFacts) {
    if facts.declarators.is_empty() && facts.calls.is_empty() {
        return;
    }
    let mut resolver = AliasResolver::new(bindings, &facts);
    for declarator in &facts.declarators {
        resolver.declarator(declarator);
    }
    for function in &facts.functions {
        resolver.function(function, &facts.calls);
    }
    let AliasResolver { aliases, by_decl, .. } = resolver;
    for local in &facts.uses {
        if let Some(&index) = by_decl.get(&local.decl) {
            let alias: &Alias = &aliases[index as usize];
            let reference = Reference {
                binding: Binding::Param(alias.param),
                depth: local.depth,
                alias: Some(index),
            };
            bindings.references.insert(local.at, reference);
        }
    }
    bindings.aliases = aliases;
}

struct AliasResolver<'f> {
    rules: FxHashMap<BytePos, Reference>,
    written_params: Vec<Param>,
    /// The declaration each use of a local refers to.
    decl_at: FxHashMap<BytePos, &'f DeclKey>,
    /// Locals that cannot be aliases: written, used as shorthand, or declared twice.
    disqualified: FxHashSet<&'f DeclKey>,
    /// Locals used other than as the callee of a call (a function handed on may be called with
    /// anything).
    escaping: FxHashSet<&'f DeclKey>,
    aliases: Vec<Alias>,
    by_decl: FxHashMap<DeclKey, u32>,
}

impl<'f> AliasResolver<'f> {
    fn new(bindings: &Bindings, facts: &'f LocalFacts) -> Self {
        let mut disqualified = FxHashSet::default();
        let mut escaping = FxHashSet::default();
        let mut decl_at = FxHashMap::default();
        for local in &facts.uses {
            decl_at.insert(local.at, &local.decl);
            if local.write || local.shorthand {
                disqualified.insert(&local.decl);
            }
            if !local.callee {
                escaping.insert(&local.decl);
            }
        }
        let mut declared = FxHashSet::default();
        for (decl, _) in facts.declarators.iter().flat_map(|d| &d.names) {
            if !declared.insert(decl) {
                disqualified.insert(decl);
            }
        }
        AliasResolver {
            rules: bindings.references.clone(),
            written_params: bindings.written_params.clone(),
            decl_at,
            disqualified,
            escaping,
            aliases: Vec::new(),
            by_decl: FxHashMap::default(),
        }
    }

    /// The parameter and full path a source stands for, when it is one that aliases may hold:
    /// any static path below `context`, and `user` or `callback` themselves (a part of `user` is
    /// data the Action has under the same names, and needs no alias).
    fn target(&self, source: &Source) -> Option<(Param, Vec<Atom>)> {
        let (param, mut path) = match self.rules.get(&source.root) {
            Some(Reference {
                binding: Binding::Param(param),
                ..
            }) => (*param, Vec::new()),
            Some(_) => return None,
            None => {
                let alias = &self.aliases[*self.by_decl.get(*self.decl_at.get(&source.root)?)? as usize];
                (alias.param, alias.path.clone())
            }
        };
        path.extend(source.path.iter().cloned());
        if self.written_params.contains(&param) {
            return None;
        }
        match param {
            Param::Context if context_path_needs_alias(&path.iter().map(|n| &**n).collect::<Vec<_>>()) => {
                Some((param, path))
            }
            Param::User | Param::Callback if path.is_empty() => Some((param, path)),
            _ => None,
        }
    }

    fn add(&mut self, decl: &DeclKey, param: Param, path: Vec<Atom>, origin: AliasOrigin) {
        let index = self.aliases.len() as u32;
        self.aliases.push(Alias {
            name: decl.name.clone(),
            param,
            path,
            origin,
        });
        self.by_decl.insert(decl.clone(), index);
    }

    fn declarator(&mut self, declarator: &LocalDeclarator) {
        let Some((param, base)) = self.target(&declarator.source) else {
            return;
        };
        if declarator
            .names
            .iter()
            .any(|(decl, _)| self.disqualified.contains(decl))
        {
            return;
        }
        if param != Param::Context && declarator.names.iter().any(|(_, path)| !path.is_empty()) {
            return;
        }
        for (decl, path) in &declarator.names {
            let mut full = base.clone();
            full.extend(path.iter().cloned());
            let origin = AliasOrigin::Declaration {
                statement: declarator.statement,
                root: declarator.source.root,
            };
            self.add(decl, param, full, origin);
        }
    }

    fn function(&mut self, function: &LocalFunction, calls: &[LocalCall]) {
        if !function.inside_rule || self.escaping.contains(&function.decl) || self.disqualified.contains(&function.decl)
        {
            return;
        }
        let sites: Vec<&LocalCall> = calls.iter().filter(|c| c.callee == function.decl).collect();
        if sites.is_empty() {
            return;
        }
        for (index, param) in function.params.iter().enumerate() {
            let Some(param) = param.as_ref().filter(|p| !self.disqualified.contains(p)) else {
                continue;
            };
            if let Some((target, arguments)) = self.common_argument(&sites, index) {
                self.add(param, target.0, target.1, AliasOrigin::Parameter { arguments });
            }
        }
    }

    /// The object every call site gives at `index`, when it is the same aliasable one.
    #[allow(clippy::type_complexity)]
    fn common_argument(
        &self,
        sites: &[&LocalCall],
        index: usize,
    ) -> Option<((Param, Vec<Atom>), Vec<(Span, BytePos)>)> {
        let mut common = None;
        let mut arguments = Vec::new();
        for site in sites {
            let (span, source) = site.args.get(index)?;
            let source = source.as_ref()?;
            let target = self.target(source)?;
            if common.as_ref().is_some_and(|c| *c != target) {
                return None;
            }
            common = Some(target);
            arguments.push((*span, source.root));
        }
        Some((common?, arguments))
    }
}
