//! A definition converted for an Action's module scope: its value converted in a synthetic rule,
//! with the module declarations it needs, and the text edits that go with it.

use super::scan::{Definition, FreeNames};
use crate::analysis::scope::pattern_names;
use crate::convert::{convert, Dependency, Status};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::limits::Limits;
use crate::parse::{parse, ParsedProgram};
use crate::safe_text::printable;
use rustc_hash::FxHashSet;
use std::collections::BTreeSet;
use swc_common::Spanned;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// A definition converted for an Action's module scope.
#[derive(Clone, Debug)]
pub(super) struct Converted {
    /// The value's code, dedented.
    pub(super) code: String,
    /// The module-scope declarations it needs (its converted requires).
    pub(super) prelude: Vec<Prelude>,
    pub(super) dependencies: Vec<Dependency>,
}

/// A module-scope declaration a definition needs, and the names it declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Prelude {
    pub(super) names: BTreeSet<String>,
    pub(super) text: String,
}

/// Converts a definition's value in a synthetic rule (its requires, then `const <name> = value;`),
/// so that the Rules constructs inside it (`UnauthorizedError`, versioned `require`s, sandbox
/// modules) convert as in any rule, and takes the converted value and declarations back. Refused
/// when anything is left to review, or when it needs the login (a rule's `configuration.X`
/// becomes `event.secrets.X`, which only the handler has).
pub(super) fn convert_definition(definition: &Definition, limits: &Limits) -> Result<Converted, String> {
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
pub(super) fn without_todos(code: &str, findings: &[&Diagnostic]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::global_helpers::scan::tests::{defined, globals};

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
