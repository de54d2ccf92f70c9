//! Dependencies (mapping §6): `require('pkg@1.2.3')` becomes `require('pkg')` and
//! `{ name: 'pkg', version: '1.2.3' }` is recorded for the Action. Node built-ins are not
//! dependencies; an unversioned package is recorded without a version. A `const x = require(…)`
//! standing at the top of the rule body moves to module scope, outside the handler, as Auth0
//! recommends: `require` caches modules, so loading once per execution or once per module is the
//! same, and nothing else can observe the move.

use super::print::{preferred_quote, string_literal};
use super::Ctx;
use crate::analysis::model::Model;
use crate::analysis::scope::{declared_names, pattern_names, Binding, Global};
use crate::diagnostics::Code;
use crate::edits::Piece;
use crate::parse::ParsedProgram;
use rustc_hash::FxHashSet;
use std::collections::BTreeSet;
use swc_atoms::Atom;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

const NODE_BUILTINS: &[&str] = &[
    "assert",
    "buffer",
    "child_process",
    "crypto",
    "dgram",
    "dns",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "net",
    "os",
    "path",
    "perf_hooks",
    "punycode",
    "querystring",
    "readline",
    "stream",
    "string_decoder",
    "timers",
    "tls",
    "url",
    "util",
    "v8",
    "vm",
    "zlib",
];

/// A module specifier split into package, version and sub-path.
#[derive(Debug, PartialEq, Eq)]
pub struct Specifier<'s> {
    pub package: &'s str,
    pub version: Option<&'s str>,
    /// `/fp` in `lodash@4.17.21/fp`, or empty.
    pub subpath: &'s str,
}

pub fn split_specifier(spec: &str) -> Specifier<'_> {
    let scoped = spec.starts_with('@');
    let name_end = {
        let after_scope = if scoped {
            spec.find('/').map_or(spec.len(), |n| n + 1)
        } else {
            0
        };
        spec[after_scope..].find('/').map_or(spec.len(), |n| after_scope + n)
    };
    let head = &spec[..name_end];
    let subpath = &spec[name_end..];
    let version_at = head.rfind('@').filter(|&at| at > 0);
    match version_at {
        Some(at) => Specifier {
            package: &head[..at],
            version: Some(&head[at + 1..]),
            subpath,
        },
        None => Specifier {
            package: head,
            version: None,
            subpath,
        },
    }
}

fn is_builtin(package: &str) -> bool {
    package.starts_with("node:") || NODE_BUILTINS.contains(&package)
}

struct Requires<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl Visit for Requires<'_, '_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        call.visit_children_with(self);
        let Callee::Expr(callee) = &call.callee else { return };
        if !self.ctx.bindings.is_global(callee, Global::Require) || call.args.len() != 1 {
            return;
        }
        let Expr::Lit(Lit::Str(literal)) = &*call.args[0].expr else {
            self.ctx.flag(
                Code::DynamicRequire,
                call,
                "the module name is computed at run time; require it by its literal name and add it to the Action's dependencies",
            );
            return;
        };
        let Some(spec) = literal.value.as_atom().map(|a| a.to_string()) else {
            return;
        };
        let parsed = split_specifier(&spec);
        if is_builtin(parsed.package) {
            return;
        }
        self.ctx
            .dependencies
            .entry(parsed.package.to_string())
            .and_modify(|v| *v = v.clone().or(parsed.version.map(str::to_string)))
            .or_insert(parsed.version.map(str::to_string));
        if let Some(version) = parsed.version {
            let quote = &self.ctx.text_of(literal)[..1];
            let range = self.ctx.range(literal.span);
            self.ctx
                .edits
                .replace(range, format!("{quote}{}{}{quote}", parsed.package, parsed.subpath));
            self.ctx.report(
                Code::Dependency,
                literal,
                format!("{}@{version} became a dependency of the Action", parsed.package),
            );
        }
    }
}

pub fn run(ctx: &mut Ctx<'_>, _model: &Model) {
    if ctx.bindings.uses(Global::Require) {
        let parsed = ctx.parsed;
        parsed.visit(&mut Requires { ctx });
    }
    require_sandbox_modules(ctx);
    hoist(ctx);
}

/// The package behind each module the Rules sandbox offered as a global.
const SANDBOX_MODULES: &[(&str, &str)] = &[("request", "request"), ("_", "lodash"), ("jwt", "jsonwebtoken")];

/// A rule could use `request`, `_` and `jwt` without requiring them; an Action must require them.
fn require_sandbox_modules(ctx: &mut Ctx<'_>) {
    let used: BTreeSet<String> = ctx
        .bindings
        .references()
        .filter(|(_, reference)| reference.binding == Binding::Global(Global::SandboxModule))
        .filter_map(|(position, _)| {
            let offset = (position.0 - ctx.parsed.base.0) as usize;
            SANDBOX_MODULES
                .iter()
                .find(|(name, _)| ctx.text[offset..].starts_with(name))
                .map(|(name, _)| name.to_string())
        })
        .collect();
    if used.is_empty() {
        return;
    }
    let quote = preferred_quote(ctx.text);
    let mut text = String::new();
    for (name, package) in SANDBOX_MODULES.iter().filter(|(name, _)| used.contains(*name)) {
        text.push_str(&format!(
            "const {name} = require({});{}",
            string_literal(package, quote),
            ctx.newline
        ));
        ctx.dependencies.entry(package.to_string()).or_insert(None);
        let at = ctx.rule.header.start..ctx.rule.header.start;
        ctx.findings.push(super::Finding {
            code: Code::SandboxModule,
            range: at,
            message: format!("`{name}` was a global of the Rules sandbox; the Action requires {package}"),
        });
    }
    text.push_str(ctx.newline);
    ctx.edits.insert(ctx.rule.header.start, text);
}

/// Moves `const x = require('…')` statements of the rule body to module scope.
fn hoist(ctx: &mut Ctx<'_>) {
    let module_names = module_scope_names(ctx);
    let hoistable: Vec<std::ops::Range<usize>> = ctx
        .rule
        .body
        .stmts
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::Decl(Decl::Var(decl)) if is_hoistable(ctx, decl, &module_names) => Some(ctx.range(decl.span)),
            _ => None,
        })
        .filter(|range| ctx.stands_alone(range))
        .collect();
    if hoistable.is_empty() {
        return;
    }
    let mut pieces = Vec::new();
    for range in &hoistable {
        pieces.push(Piece::Source(range.clone()));
        pieces.push(Piece::Text(ctx.newline.to_string()));
        ctx.delete_statement(range.clone());
    }
    pieces.push(Piece::Text(ctx.newline.to_string()));
    let at = ctx.rule.header.start;
    ctx.edits.replace_with(at..at, pieces);
}

/// A single `const` declaration whose value is `require('…')`, possibly followed by member
/// reads (`require('auth0').ManagementClient`), declaring names free at module scope.
fn is_hoistable(ctx: &Ctx<'_>, decl: &VarDecl, module_names: &FxHashSet<Atom>) -> bool {
    let [declarator] = decl.decls.as_slice() else {
        return false;
    };
    // A `let` or `var` may be reassigned, and at module scope the new value would outlive the login.
    if decl.kind != VarDeclKind::Const {
        return false;
    }
    let Some(init) = &declarator.init else { return false };
    let mut value = &**init;
    while let Expr::Member(member) = value {
        value = &member.obj;
    }
    let is_require = matches!(value, Expr::Call(CallExpr { callee: Callee::Expr(callee), args, .. })
        if ctx.bindings.is_global(callee, Global::Require)
            && args.len() == 1
            && matches!(&*args[0].expr, Expr::Lit(Lit::Str(_))));
    let mut names = FxHashSet::default();
    pattern_names(&declarator.name, &mut names);
    is_require && names.is_disjoint(module_names)
}

/// Names declared at the top level of the file, outside the rule.
fn module_scope_names(ctx: &Ctx<'_>) -> FxHashSet<Atom> {
    match &ctx.parsed.program {
        ParsedProgram::Script(script) => declared_names(&script.body, true),
        ParsedProgram::Expr(_) => FxHashSet::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_versions_scopes_and_subpaths() {
        assert_eq!(
            split_specifier("request@2.56.0"),
            Specifier {
                package: "request",
                version: Some("2.56.0"),
                subpath: ""
            }
        );
        assert_eq!(
            split_specifier("@slack/client@3.5.1"),
            Specifier {
                package: "@slack/client",
                version: Some("3.5.1"),
                subpath: ""
            }
        );
        assert_eq!(
            split_specifier("lodash@4.17.21/fp"),
            Specifier {
                package: "lodash",
                version: Some("4.17.21"),
                subpath: "/fp"
            }
        );
        assert_eq!(
            split_specifier("@scope/pkg"),
            Specifier {
                package: "@scope/pkg",
                version: None,
                subpath: ""
            }
        );
        assert_eq!(
            split_specifier("crypto"),
            Specifier {
                package: "crypto",
                version: None,
                subpath: ""
            }
        );
    }
}
