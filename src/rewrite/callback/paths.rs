//! The paths of the rule after its callback is converted (mapping §1): every path that ends
//! without calling back denies the login where it ends, and work the rule leaves running when it
//! calls back is flagged.

use super::{as_plain_call, inlined_body, quoted};
use crate::analysis::flow::{open_ends, Leaf, OpenEnd, PathRules};
use crate::analysis::scope::{Global, Param};
use crate::diagnostics::Code;
use crate::edits::Piece;
use crate::rewrite::{CallbackMode, Ctx};
use rustc_hash::FxHashSet;
use swc_atoms::Atom;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// Why the Action denies a login on a path where the rule never called back.
pub const NO_CALLBACK_MESSAGE: &str = "The rule ended without calling back";

/// Denies the login on every path of the rule that ends without calling back. Rules waited for the
/// callback until the time limit and failed the login; the Action denies it at once instead (in
/// the awaited form, a Promise that is never resolved would wait for the limit too). Also flags
/// the work the rule leaves running when it calls back.
pub(super) fn finish_paths(ctx: &mut Ctx<'_>) {
    let holders = callback_holders(ctx);
    let (ends, late) = {
        let ctx = &*ctx;
        let mentioning = statements_mentioning_callback(ctx, &holders);
        let mentions = |stmt: &Stmt| mentioning.contains(&(stmt.span().lo, stmt.span().hi));
        let awaited = matches!(ctx.callback_mode, CallbackMode::Awaited { .. });
        // Every callback statement of the returning form becomes a `return`.
        let leaf = |stmt: &Stmt| match () {
            _ if !awaited && is_callback_statement(ctx, stmt) => Leaf::CallsBack,
            _ if mentions(stmt) => Leaf::HandsOn,
            _ => Leaf::Plain,
        };
        let rules = PathRules {
            leaf: &leaf,
            mentions: &mentions,
            inlined: &|stmt| inlined_body(ctx, stmt),
        };
        let close = ctx.rule.body.span.hi - BytePos(1);
        let mut ends = open_ends(&ctx.rule.body.stmts, close, &rules);
        if awaited {
            for body in &continuations(ctx, &mentions) {
                ends.extend(open_ends(&body.stmts, body.span.hi - BytePos(1), &rules));
            }
        }
        (ends, late_work(ctx, &mentions))
    };
    for span in late {
        ctx.flag(
            Code::CodeAfterCallback,
            &span,
            "this function runs later, but the rule calls back without waiting for it: its api calls would come after the Action has returned, and are lost (Rules still made them); await the work before calling back",
        );
    }
    let deny = match &ctx.callback_mode {
        CallbackMode::Awaited { done, .. } => format!("{done}(new Error({}))", quoted(ctx, NO_CALLBACK_MESSAGE)),
        CallbackMode::Return => format!("api.access.deny({})", quoted(ctx, NO_CALLBACK_MESSAGE)),
    };
    ends.into_iter().for_each(|end| deny_at(ctx, end, &deny));
}

fn deny_at(ctx: &mut Ctx<'_>, end: OpenEnd, deny: &str) {
    const ENDS_HERE: &str =
        "the rule can end here without calling back: Rules failed the login after a time-out; the Action denies it";
    const SHARED: &str = "a path that has not called back can end the rule here, which failed the login after a time-out; paths that called back earlier pass here too, so the Action does not deny: deny on the others";
    let code = Code::ReturnWithoutCallback;
    let span = end.span();
    match end {
        OpenEnd::Return { value, in_block, .. } => {
            ctx.flag(
                code,
                &span,
                "the rule returns here without calling back: Rules failed the login after a time-out; the Action denies it",
            );
            let range = ctx.range(span);
            let semicolon = if ctx.text[range.clone()].ends_with(';') { ";" } else { "" };
            let mut statements = Vec::new();
            if let Some(value) = value {
                statements.push(vec![Piece::Source(ctx.range(value)), Piece::Text(";".into())]);
            }
            statements.push(vec![Piece::Text(format!("return {deny}{semicolon}"))]);
            ctx.replace_statement(range, in_block, statements);
        }
        OpenEnd::BlockEnd { close } => {
            ctx.report(code, &span, ENDS_HERE);
            let lines = [format!("// TODO({code}): {ENDS_HERE}"), format!("{deny};")];
            insert_before_close(ctx, close, &lines);
        }
        OpenEnd::MissingElse { end } => {
            ctx.report(code, &span, ENDS_HERE);
            let at = ctx.range(Span::new(end, end)).start;
            let indent = ctx.indentation_at(at).to_string();
            let inner = format!("{indent}{}", ctx.indent_unit);
            let newline = ctx.newline;
            ctx.edits.insert(
                at,
                format!(" else {{{newline}{inner}// TODO({code}): {ENDS_HERE}{newline}{inner}{deny};{newline}{indent}}}"),
            );
        }
        OpenEnd::Shared(end) => match *end {
            OpenEnd::BlockEnd { close } => {
                ctx.report(code, &span, SHARED);
                insert_before_close(ctx, close, &[format!("// TODO({code}): {SHARED}")]);
            }
            _ => ctx.flag(code, &span, SHARED),
        },
        OpenEnd::Unplaced { .. } => ctx.flag(
            code,
            &span,
            "some paths finish this statement without calling back and may end the rule, which failed the login after a time-out; deny the login on them",
        ),
    }
}

/// Puts lines at the end of a block, before its closing brace: one level deeper than a brace that
/// stands alone on its line, else at the indentation of the code the brace follows.
fn insert_before_close(ctx: &mut Ctx<'_>, close: BytePos, lines: &[String]) {
    let at = ctx.range(Span::new(close, close)).start;
    let line_start = ctx.source.line_start(at);
    let indent = ctx.indentation_at(at).to_string();
    let newline = ctx.newline;
    if ctx.text[line_start..at].trim().is_empty() {
        let inner = format!("{indent}{}", ctx.indent_unit);
        let body: String = lines.iter().map(|line| format!("{inner}{line}{newline}")).collect();
        ctx.edits.insert(line_start, body);
    } else {
        // The brace goes on a line of its own: the last line may be a `//` comment.
        let body: String = lines.iter().map(|line| format!("{newline}{indent}{line}")).collect();
        ctx.edits.insert(at, format!("{body}{newline}{indent}"));
    }
}

/// `callback(…);` or `return callback(…);`.
fn is_callback_statement(ctx: &Ctx<'_>, stmt: &Stmt) -> bool {
    let expr = match stmt {
        Stmt::Expr(ExprStmt { expr, .. }) => &**expr,
        Stmt::Return(ReturnStmt { arg: Some(arg), .. }) => &**arg,
        _ => return false,
    };
    match expr {
        Expr::Call(call) => {
            matches!(&call.callee, Callee::Expr(callee) if ctx.bindings.is_param(callee, Param::Callback))
                || as_plain_call(ctx, call).is_some()
        }
        _ => false,
    }
}

/// Whether a statement may call back: it names the callback, `arguments`, or a function or
/// variable that does ([`callback_holders`]). Shadowing is ignored, which only makes it say yes more.
fn mentions_callback<'c, 'a>(
    ctx: &'c Ctx<'a>,
    holders: &'c FxHashSet<Atom>,
    node: &impl VisitWith<Mentions<'c, 'a>>,
) -> bool {
    let mut mentions = Mentions {
        ctx,
        holders,
        found: false,
    };
    node.visit_with(&mut mentions);
    mentions.found
}

/// Every statement (by its span) whose code mentions the callback, found in one walk of the file:
/// the path analysis asks it of each statement on every path, and walking each statement's subtree
/// on each question made it quadratic in the nesting of the rule.
fn statements_mentioning_callback(ctx: &Ctx<'_>, holders: &FxHashSet<Atom>) -> FxHashSet<(BytePos, BytePos)> {
    struct Index<'c, 'a> {
        mentions: Mentions<'c, 'a>,
        /// Whether the statement being visited (innermost last) mentions it so far.
        open: Vec<bool>,
        found: FxHashSet<(BytePos, BytePos)>,
    }
    impl Visit for Index<'_, '_> {
        fn visit_stmt(&mut self, stmt: &Stmt) {
            self.open.push(false);
            stmt.visit_children_with(self);
            if self.open.pop() == Some(true) {
                self.found.insert((stmt.span().lo, stmt.span().hi));
                if let Some(parent) = self.open.last_mut() {
                    *parent = true;
                }
            }
        }
        fn visit_ident(&mut self, ident: &Ident) {
            self.mentions.found = false;
            self.mentions.visit_ident(ident);
            if self.mentions.found {
                if let Some(innermost) = self.open.last_mut() {
                    *innermost = true;
                }
            }
        }
    }
    let mut index = Index {
        mentions: Mentions {
            ctx,
            holders,
            found: false,
        },
        open: Vec::new(),
        found: FxHashSet::default(),
    };
    ctx.parsed.visit(&mut index);
    index.found
}

struct Mentions<'c, 'a> {
    ctx: &'c Ctx<'a>,
    holders: &'c FxHashSet<Atom>,
    found: bool,
}

impl Visit for Mentions<'_, '_> {
    fn visit_ident(&mut self, ident: &Ident) {
        self.found |= self.ctx.bindings.param(ident) == Some(Param::Callback)
            || &*ident.sym == "arguments"
            || self.holders.contains(&ident.sym);
    }
}

/// The names whose value calls back when used: `function finish() { callback(…) }`,
/// `const done = () => callback(…)`, `handlers.done = …`, and, in turn, those that use them.
fn callback_holders(ctx: &Ctx<'_>) -> FxHashSet<Atom> {
    struct Holders<'c, 'a> {
        ctx: &'c Ctx<'a>,
        known: &'c FxHashSet<Atom>,
        found: Vec<Atom>,
    }
    impl<'a> Holders<'_, 'a> {
        fn note(&mut self, name: &Ident, value: &impl for<'m> VisitWith<Mentions<'m, 'a>>) {
            if !self.known.contains(&name.sym) && mentions_callback(self.ctx, self.known, value) {
                self.found.push(name.sym.clone());
            }
        }
    }
    impl Visit for Holders<'_, '_> {
        fn visit_fn_decl(&mut self, decl: &FnDecl) {
            self.note(&decl.ident, &decl.function);
            decl.visit_children_with(self);
        }
        fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
            if let Some(init) = &declarator.init {
                // `const { done } = { done: callback }` binds every name of the pattern.
                for name in bound_names(&declarator.name) {
                    self.note(&name, init);
                }
            }
            declarator.visit_children_with(self);
        }
        fn visit_assign_expr(&mut self, assign: &AssignExpr) {
            let target = match &assign.left {
                AssignTarget::Simple(SimpleAssignTarget::Ident(name)) => Some(&name.id),
                AssignTarget::Simple(SimpleAssignTarget::Member(member)) => root_ident(&member.obj),
                _ => None,
            };
            if let Some(target) = target {
                self.note(target, &assign.right);
            }
            assign.visit_children_with(self);
        }
    }
    let mut known = FxHashSet::default();
    loop {
        let mut holders = Holders {
            ctx,
            known: &known,
            found: Vec::new(),
        };
        ctx.rule.body.visit_with(&mut holders);
        if holders.found.is_empty() {
            return known;
        }
        known.extend(holders.found);
    }
}

/// The names a declaration's pattern binds.
fn bound_names(pat: &Pat) -> Vec<Ident> {
    struct Names(Vec<Ident>);
    impl Visit for Names {
        fn visit_binding_ident(&mut self, binding: &BindingIdent) {
            self.0.push(binding.id.clone());
        }
        // Default values are expressions, not names the pattern binds.
        fn visit_expr(&mut self, _: &Expr) {}
    }
    let mut names = Names(Vec::new());
    pat.visit_with(&mut names);
    names.0
}

fn root_ident(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Ident(ident) => Some(ident),
        Expr::Member(member) => root_ident(&member.obj),
        _ => None,
    }
}

/// The bodies of the functions the rule hands to code that calls them once, later, and that use
/// the callback: promise handlers, timers, and Node-style callbacks (`function (err, …)` last).
/// A path through one of them that does not call back leaves the login waiting, unless what it
/// returns goes on to more code (`.then(…)` after it, or a chain whose value is used).
fn continuations(ctx: &Ctx<'_>, mentions: &dyn Fn(&Stmt) -> bool) -> Vec<FunctionBody> {
    later_functions(ctx)
        .into_iter()
        .filter(|later| later.last && later.body.stmts.iter().any(mentions))
        .map(|later| later.body)
        .collect()
}

/// Methods whose function argument is called many times, even when it takes an error first.
const CALLED_MANY_TIMES: &[&str] = &[
    "addListener",
    "each",
    "eachSeries",
    "forEach",
    "map",
    "on",
    "once",
    "prependListener",
    "setInterval",
    "subscribe",
    "watch",
];

/// A function the rule hands to code that calls it once, later.
struct Later {
    span: Span,
    body: FunctionBody,
    /// Whether nothing runs after it with what it returns: a timer, a Node-style callback, a
    /// promise handler of a chain whose value is dropped, with no `.then` or `.finally` after it.
    last: bool,
}

/// The functions the rule hands to code that calls them once, later: promise handlers, timers,
/// and Node-style callbacks (`function (err, …)` given last).
fn later_functions(ctx: &Ctx<'_>) -> Vec<Later> {
    #[derive(Default)]
    struct Finder {
        found: Vec<Later>,
        /// Promise chains whose value is dropped, by the span of the call: what their handlers
        /// return reaches no code.
        dropped: FxHashSet<Span>,
    }
    impl Visit for Finder {
        fn visit_expr_stmt(&mut self, stmt: &ExprStmt) {
            if let Expr::Call(call) = &*stmt.expr {
                self.dropped.insert(call.span);
            }
            stmt.visit_children_with(self);
        }

        fn visit_call_expr(&mut self, call: &CallExpr) {
            let (object, method) = match &call.callee {
                Callee::Expr(callee) => match &**callee {
                    Expr::Ident(ident) => (None, Some(&*ident.sym)),
                    Expr::Member(MemberExpr {
                        obj,
                        prop: MemberProp::Ident(prop),
                        ..
                    }) => (Some(&**obj), Some(&*prop.sym)),
                    _ => (None, None),
                },
                _ => (None, None),
            };
            let dropped = self.dropped.contains(&call.span);
            // `p.then(f).catch(g)`: f's value reaches no code either; after `.then(h)` it does.
            if let (Some(Expr::Call(inner)), Some("catch"), true) = (object, method, dropped) {
                self.dropped.insert(inner.span);
            }
            for (index, arg) in call.args.iter().enumerate() {
                let Some((first_param, body)) = function_parts(&arg.expr) else {
                    continue;
                };
                let last = match method {
                    Some("then" | "catch" | "finally") => Some(dropped),
                    Some("setTimeout" | "setImmediate" | "nextTick") => (index == 0).then_some(true),
                    // Events and iterations call back many times (`cursor.each((err, doc) => …)`).
                    Some(name) if CALLED_MANY_TIMES.contains(&name) => None,
                    _ => (index + 1 == call.args.len()
                        && matches!(first_param, Some(Pat::Ident(p)) if matches!(&*p.id.sym, "err" | "error" | "er")))
                    .then_some(true),
                };
                if let Some(last) = last {
                    self.found.push(Later {
                        span: arg.expr.span(),
                        body: body.clone(),
                        last,
                    });
                }
            }
            call.visit_children_with(self);
        }
    }
    let mut finder = Finder::default();
    ctx.rule.body.visit_with(&mut finder);
    finder.found
}

/// Work left running when the rule calls back: a request's callback or a promise handler that
/// does not call back but changes the login (`auth0.users.updateAppMetadata`, a token claim).
/// Rules still made those calls after calling back; an Action's `api` calls made after the
/// handler has returned are lost.
fn late_work(ctx: &Ctx<'_>, mentions: &dyn Fn(&Stmt) -> bool) -> Vec<Span> {
    let folded = |span: Span| {
        let start = ctx.range(span).start;
        ctx.folds
            .iter()
            .any(|fold| fold.then_function == Some(span.lo) || fold.dropped.iter().any(|range| range.contains(&start)))
    };
    let late: Vec<Span> = later_functions(ctx)
        .into_iter()
        .filter(|later| {
            !folded(later.span) && !later.body.stmts.iter().any(mentions) && changes_login(ctx, &later.body)
        })
        .map(|later| later.span)
        .collect();
    // One finding for a request made in another's callback: the outer one.
    let outermost = |span: &Span| !late.iter().any(|outer| outer != span && outer.contains(*span));
    late.iter().copied().filter(outermost).collect()
}

/// Whether code uses the Management API or writes to `context`: what becomes an `api` call.
fn changes_login(ctx: &Ctx<'_>, body: &FunctionBody) -> bool {
    struct Changes<'c, 'a> {
        ctx: &'c Ctx<'a>,
        found: bool,
    }
    impl Visit for Changes<'_, '_> {
        fn visit_ident(&mut self, ident: &Ident) {
            self.found |= self.ctx.bindings.global(ident) == Some(Global::Auth0);
        }
        fn visit_assign_expr(&mut self, assign: &AssignExpr) {
            if let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left {
                self.found |=
                    root_ident(&member.obj).is_some_and(|root| self.ctx.bindings.param(root) == Some(Param::Context));
            }
            assign.visit_children_with(self);
        }
    }
    let mut changes = Changes { ctx, found: false };
    body.visit_with(&mut changes);
    changes.found
}

/// A function expression's first parameter and block body.
fn function_parts(expr: &Expr) -> Option<(Option<&Pat>, &FunctionBody)> {
    match expr {
        Expr::Fn(FnExpr { function, .. }) => Some((function.params.first().map(|p| &p.pat), function.body.as_ref()?)),
        Expr::Arrow(ArrowExpr { params, body, .. }) => match &**body {
            ArrowFunctionBody::FunctionBody(body) => Some((params.first(), body)),
            _ => None,
        },
        _ => None,
    }
}
