//! Finding the rule function in a parsed file (mapping §1): a bare function expression, a named
//! or `async` function declaration, or `module.exports = function …`, under any parameter names.

use crate::parse::{ParsedFile, ParsedProgram};
use std::ops::Range;
use swc_atoms::Atom;
use swc_common::{BytePos, Spanned};
use swc_ecma_ast::*;

/// How the rule function stands in the file; decides what the handler header replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleForm {
    /// The whole file is one function expression.
    Bare,
    /// `function name(user, context, callback) {…}` as a statement.
    Declaration,
    /// `module.exports = function (…) {…}` (or `exports = …`).
    ModuleExports,
}

pub struct RuleFunction<'a> {
    pub form: RuleForm,
    /// Text replaced by the handler header: from the start of the function (or of the
    /// `module.exports =` statement) through the `{` that opens the body.
    pub header: Range<usize>,
    pub body: &'a FunctionBody,
    /// The `{ … }` of the body.
    pub body_range: Range<usize>,
    /// Identifies the rule function for the scope analysis.
    pub function_lo: BytePos,
    /// The names the author gave to `user`, `context` and `callback`.
    pub params: [Atom; 3],
    pub is_async: bool,
    pub name: Option<String>,
}

pub enum RuleSearch<'a> {
    Found {
        rule: RuleFunction<'a>,
        others: Vec<Range<usize>>,
    },
    AlreadyAction,
    /// Nothing rule-shaped; the text says what was found instead.
    NotFound(String),
}

struct Candidate<'a> {
    form: RuleForm,
    start: BytePos,
    function: FunctionLike<'a>,
}

#[derive(Clone, Copy)]
enum FunctionLike<'a> {
    Function(&'a Function, Option<&'a Ident>),
    Arrow(&'a ArrowExpr),
}

impl<'a> FunctionLike<'a> {
    fn of_expr(expr: &'a Expr) -> Option<Self> {
        match expr {
            Expr::Fn(f) => Some(FunctionLike::Function(&f.function, f.ident.as_ref())),
            Expr::Arrow(a) => Some(FunctionLike::Arrow(a)),
            Expr::Paren(p) => Self::of_expr(&p.expr),
            _ => None,
        }
    }

    fn param_pats(self) -> Vec<&'a Pat> {
        match self {
            FunctionLike::Function(f, _) => f.params.iter().map(|p| &p.pat).collect(),
            FunctionLike::Arrow(a) => a.params.iter().collect(),
        }
    }

    fn body(self) -> Option<&'a FunctionBody> {
        match self {
            FunctionLike::Function(f, _) => f.body.as_ref(),
            FunctionLike::Arrow(a) => match &*a.body {
                ArrowFunctionBody::FunctionBody(b) => Some(b),
                ArrowFunctionBody::Expr(_) => None,
            },
        }
    }

    fn lo(self) -> BytePos {
        match self {
            FunctionLike::Function(f, _) => f.span.lo,
            FunctionLike::Arrow(a) => a.span.lo,
        }
    }

    fn is_async(self) -> bool {
        match self {
            FunctionLike::Function(f, _) => f.is_async,
            FunctionLike::Arrow(a) => a.is_async,
        }
    }

    fn name(self) -> Option<String> {
        match self {
            FunctionLike::Function(_, Some(ident)) => Some(ident.sym.to_string()),
            _ => None,
        }
    }
}

fn is_member(expr: &Expr, object: &str, property: &str) -> bool {
    match expr {
        Expr::Member(MemberExpr {
            obj,
            prop: MemberProp::Ident(p),
            ..
        }) => matches!(&**obj, Expr::Ident(o) if o.sym == *object) && p.sym == *property,
        _ => false,
    }
}

fn assign_target_is(target: &AssignTarget, check: impl Fn(&Expr) -> bool) -> bool {
    match target {
        AssignTarget::Simple(SimpleAssignTarget::Member(m)) => check(&Expr::Member(m.clone())),
        AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => check(&Expr::Ident(i.id.clone())),
        _ => false,
    }
}

fn is_action_export(target: &AssignTarget) -> bool {
    assign_target_is(target, |e| {
        is_member(e, "exports", "onExecutePostLogin")
            || matches!(e, Expr::Member(MemberExpr { obj, prop: MemberProp::Ident(p), .. })
                if is_member(obj, "module", "exports") && p.sym == *"onExecutePostLogin")
    })
}

fn is_module_exports(target: &AssignTarget) -> bool {
    assign_target_is(target, |e| {
        is_member(e, "module", "exports") || matches!(e, Expr::Ident(i) if i.sym == *"exports")
    })
}

/// Looks for the rule function. A file with several candidates converts the one whose parameters
/// are literally named `user, context, callback`, else the last one.
pub fn find_rule(parsed: &ParsedFile) -> RuleSearch<'_> {
    let mut candidates = Vec::new();
    match &parsed.program {
        ParsedProgram::Expr(expr) => {
            if let Some(function) = FunctionLike::of_expr(expr) {
                candidates.push(Candidate {
                    form: RuleForm::Bare,
                    start: function.lo(),
                    function,
                });
            }
        }
        ParsedProgram::Script(script) => {
            for stmt in &script.body {
                match stmt {
                    Stmt::Decl(Decl::Fn(decl)) => candidates.push(Candidate {
                        form: RuleForm::Declaration,
                        start: decl.function.span.lo.min(decl.ident.span.lo),
                        function: FunctionLike::Function(&decl.function, Some(&decl.ident)),
                    }),
                    Stmt::Expr(ExprStmt { expr, span }) => {
                        if let Expr::Assign(assign) = &**expr {
                            if is_action_export(&assign.left) {
                                return RuleSearch::AlreadyAction;
                            }
                            if is_module_exports(&assign.left) {
                                if let Some(function) = FunctionLike::of_expr(&assign.right) {
                                    candidates.push(Candidate {
                                        form: RuleForm::ModuleExports,
                                        start: span.lo,
                                        function,
                                    });
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    let shaped: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.function.param_pats().len() == 3 && c.function.body().is_some())
        .collect();
    let Some(chosen) = shaped
        .iter()
        .rev()
        .find(|c| param_names(c.function).is_some_and(|names| names == ["user", "context", "callback"]))
        .or(shaped.last())
    else {
        return RuleSearch::NotFound(describe_missing_rule(&candidates));
    };
    let Some(params) = param_names(chosen.function) else {
        return RuleSearch::NotFound(
            "the rule function's parameters are patterns, not plain names (user, context, callback)".to_string(),
        );
    };
    let body = chosen.function.body().expect("filtered on body");
    let body_range = parsed.range(body.span);
    let start = (chosen.start.0 - parsed.base.0) as usize;
    let others = shaped
        .iter()
        .filter(|c| c.start != chosen.start)
        .map(|c| {
            let lo = (c.start.0 - parsed.base.0) as usize;
            lo..lo
        })
        .collect();
    let [user, context, callback] = params;
    RuleSearch::Found {
        rule: RuleFunction {
            form: chosen.form,
            header: start..body_range.start + 1,
            body,
            body_range,
            function_lo: chosen.function.lo(),
            params: [user, context, callback],
            is_async: chosen.function.is_async(),
            name: chosen.function.name(),
        },
        others,
    }
}

fn param_names(function: FunctionLike<'_>) -> Option<[Atom; 3]> {
    let names: Vec<Atom> = function
        .param_pats()
        .iter()
        .filter_map(|pat| match pat {
            Pat::Ident(binding) => Some(binding.id.sym.clone()),
            _ => None,
        })
        .collect();
    names.try_into().ok()
}

fn describe_missing_rule(candidates: &[Candidate<'_>]) -> String {
    let two_params = candidates.iter().find(|c| c.function.param_pats().len() == 2);
    match two_params {
        Some(c) => format!(
            "the function at this position takes two parameters, like a user-registration rule or hook (ctx, cb); only post-login rules (user, context, callback) convert to post-login Actions{}",
            c.function.name().map(|n| format!(" ({n})")).unwrap_or_default()
        ),
        None => "no function taking (user, context, callback) was found".to_string(),
    }
}

/// Byte range of any node.
pub fn range_of(parsed: &ParsedFile, node: &impl Spanned) -> Range<usize> {
    parsed.range(node.span())
}
