//! The callback (mapping §1). When every call is a statement of the rule body itself, success
//! becomes `return;` (a final call just disappears) and an error becomes
//! `return api.access.deny(message)`. When the rule calls back later, from a request callback, a
//! promise chain or a timer, the Action must not finish first: the body then runs inside an
//! awaited Promise and every use of the callback becomes its resolver (see `signature`).
//!
//! Either way the Action fails closed: a null user denies, the arguments after the error that do
//! something are still evaluated, in order, and every path that ends without calling back denies
//! the login there (`paths`).

mod paths;

use super::{metadata, print, CallbackMode, Ctx};
use crate::analysis::aliases::AliasOrigin;
use crate::analysis::flow::{does_something, may_have_effects, tail_statements};
use crate::analysis::model::Model;
use crate::analysis::scope::{Global, Param};
use crate::analysis::syntax::method_call;
use crate::diagnostics::Code;
use crate::edits::Piece;
use crate::parse::first_code_after;
use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Range;
use swc_common::{BytePos, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// The statement a callback call stands in, when it stands alone.
#[derive(Clone, Copy)]
enum Statement {
    /// `callback(…);`. `is_last` when nothing but function declarations follows it in the rule body;
    /// `skips_code` when, once it becomes a `return`, statements the rule still ran are skipped.
    Expression { is_last: bool, skips_code: bool },
    /// `return callback(…);`
    Return,
}

/// A callback call that is a whole statement: its kind, its range, and whether it stands
/// directly in a block (not as the body of an unbraced `if`).
#[derive(Clone)]
struct StatementAt {
    kind: Statement,
    range: Range<usize>,
    in_block: bool,
}

struct CallbackUse {
    ident: Ident,
    call: Option<CallExpr>,
    /// `callback.bind(thisArg, …)`: a function that calls back when it is called.
    bind: Option<CallExpr>,
    /// The statement the call is; `None` when the call is part of an expression.
    statement: Option<StatementAt>,
    depth: Option<u32>,
}

/// What a call tells the login pipeline.
enum Outcome<'a> {
    Allow,
    Deny(Message<'a>),
    /// Decided at run time (`callback(err, user, context)` with a variable `err`).
    Unknown,
}

enum Message<'a> {
    /// The message expression itself (`new Error(m)` gives `m`; a string literal).
    Expr(&'a Expr),
    /// An error value whose `.message` is the text (`callback(err)`).
    ErrorValue(&'a Expr),
    /// An error built without a message.
    Empty,
    /// A message of the converter's own, for a denial the rule expressed without one.
    Text(&'static str),
}

/// Why the Action denies `callback(null, null, context)`: Rules failed a login that reached the
/// end of the pipeline without a user.
pub const NO_USER_MESSAGE: &str = "The login has no user";
const NO_USER_NOTE: &str = "the rule called back without a user, which failed the login: the Action denies it";
const MAYBE_NO_USER_NOTE: &str =
    "the rule may call back without a user, which failed the login: the Action denies it when the user is missing";

pub fn run(ctx: &mut Ctx<'_>, _model: &Model) {
    let uses = collect(ctx);
    if uses.is_empty() {
        return;
    }
    let returnable = uses.iter().all(|u| {
        u.depth == Some(0)
            && u.statement.is_some()
            && u.call
                .as_ref()
                .is_some_and(|call| !matches!(outcome(ctx, call), Outcome::Unknown))
    });
    if returnable {
        uses.iter().for_each(|u| rewrite_as_return(ctx, u));
    } else {
        let done = ctx.bindings.fresh_name("ruleDone");
        let error = ctx.bindings.fresh_name("ruleError");
        let first_nested = uses
            .iter()
            .find(|u| u.depth != Some(0) || u.statement.is_none())
            .unwrap_or(&uses[0]);
        ctx.report(
            Code::CallbackAwaited,
            &first_nested.ident,
            "the rule calls back from a nested function or an expression: its body now runs inside an awaited Promise",
        );
        uses.iter().for_each(|u| rewrite_as_resolver(ctx, u, &done));
        ctx.callback_mode = CallbackMode::Awaited { done, error };
    }
    paths::finish_paths(ctx);
}

/// A folded metadata update runs its success continuation inline, in tail position.
fn inlined_body<'s>(ctx: &Ctx<'_>, stmt: &'s Stmt) -> Option<&'s [Stmt]> {
    let Stmt::Expr(expr_stmt) = stmt else { return None };
    ctx.folds
        .iter()
        .find(|f| f.statement == expr_stmt.span.lo && f.then_function.is_some())?;
    match metadata::update_chain(ctx, &expr_stmt.expr)?.then {
        metadata::Continuation::Inline { body, .. } => Some(body.stmts.as_slice()),
        _ => None,
    }
}

fn collect(ctx: &Ctx<'_>) -> Vec<CallbackUse> {
    let tails = tail_statements(&ctx.rule.body.stmts, &|stmt| inlined_body(ctx, stmt));
    let mut collector = Collector {
        ctx,
        statements: FxHashMap::default(),
        tails,
        inlined_depth: 0,
        uses: Vec::new(),
    };
    collector.note_statements(&ctx.rule.body.stmts, true, true);
    ctx.rule
        .body
        .stmts
        .iter()
        .for_each(|stmt| stmt.visit_with(&mut collector));
    collector.uses
}

struct Collector<'c, 'a> {
    ctx: &'c Ctx<'a>,
    /// Calls that are whole statements, by the position of the call.
    statements: FxHashMap<BytePos, StatementAt>,
    /// Statements after which the rule body runs nothing more.
    tails: FxHashSet<BytePos>,
    /// How many folded continuations (functions whose body now runs inline) enclose the visit.
    inlined_depth: u32,
    uses: Vec<CallbackUse>,
}

impl Collector<'_, '_> {
    fn is_callback(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Ident(i) if self.ctx.bindings.param(i) == Some(Param::Callback))
    }

    fn note_statements(&mut self, stmts: &[Stmt], in_rule_body: bool, in_block: bool) {
        for (index, stmt) in stmts.iter().enumerate() {
            let followers = &stmts[index + 1..];
            let (call, statement) = match stmt {
                Stmt::Expr(ExprStmt { expr, span }) => (
                    expr,
                    Statement::Expression {
                        is_last: in_rule_body && followers.iter().all(|s| !does_something(s)),
                        skips_code: !self.tails.contains(&span.lo)
                            && !matches!(followers.first(), Some(Stmt::Return(_))),
                    },
                ),
                Stmt::Return(ReturnStmt { arg: Some(arg), .. }) => (arg, Statement::Return),
                _ => continue,
            };
            if let Expr::Call(call) = &**call {
                let plain = matches!(&call.callee, Callee::Expr(callee) if self.is_callback(callee));
                if plain || as_plain_call(self.ctx, call).is_some() {
                    let at = StatementAt {
                        kind: statement,
                        range: self.ctx.range(stmt.span()),
                        in_block,
                    };
                    self.statements.insert(call.span.lo, at);
                }
            }
        }
    }

    fn record(&mut self, ident: &Ident, call: Option<&CallExpr>) {
        self.record_use(ident, call, None);
    }

    fn record_use(&mut self, ident: &Ident, call: Option<&CallExpr>, bind: Option<&CallExpr>) {
        if self.ctx.is_claimed(ident) {
            // An alias's declaration (`var cb = callback`), gone from the Action.
            return;
        }
        let offset = self.ctx.range(ident.span).start;
        if self
            .ctx
            .folds
            .iter()
            .flat_map(|f| &f.dropped)
            .any(|dropped| dropped.contains(&offset))
        {
            // Inside a continuation that goes with its fold.
            return;
        }
        let statement = call.and_then(|c| self.statements.get(&c.span.lo).cloned());
        let depth = self
            .ctx
            .bindings
            .resolve(ident)
            .and_then(|r| r.depth)
            .map(|d| d - self.inlined_depth);
        self.uses.push(CallbackUse {
            ident: ident.clone(),
            call: call.cloned(),
            bind: bind.cloned(),
            statement,
            depth,
        });
    }
}

impl Collector<'_, '_> {
    fn fold_of(&self, function: BytePos) -> Option<&metadata::Fold> {
        self.ctx.folds.iter().find(|f| f.then_function == Some(function))
    }

    /// Visits a folded continuation's body as statements of the rule body.
    fn visit_inlined(&mut self, body: &FunctionBody, is_last: bool) {
        self.inlined_depth += 1;
        self.note_statements(&body.stmts, is_last, true);
        body.stmts.iter().for_each(|stmt| stmt.visit_with(self));
        self.inlined_depth -= 1;
    }
}

impl Visit for Collector<'_, '_> {
    fn visit_function(&mut self, function: &Function) {
        match (self.fold_of(function.span.lo).map(|f| f.is_last), &function.body) {
            (Some(is_last), Some(body)) => self.visit_inlined(body, is_last),
            _ => function.visit_children_with(self),
        }
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        match (self.fold_of(arrow.span.lo).map(|f| f.is_last), &*arrow.body) {
            (Some(is_last), ArrowFunctionBody::FunctionBody(body)) => self.visit_inlined(body, is_last),
            _ => arrow.visit_children_with(self),
        }
    }

    fn visit_block_stmt(&mut self, block: &BlockStmt) {
        self.note_statements(&block.stmts, false, true);
        block.visit_children_with(self);
    }

    fn visit_function_body(&mut self, body: &FunctionBody) {
        self.note_statements(&body.stmts, false, true);
        body.visit_children_with(self);
    }

    fn visit_if_stmt(&mut self, if_stmt: &IfStmt) {
        // An unbraced `if (c) callback(…); else callback(…);` holds the calls as statements too.
        for branch in std::iter::once(&if_stmt.cons).chain(&if_stmt.alt) {
            if !matches!(**branch, Stmt::Block(_)) {
                self.note_statements(std::slice::from_ref(branch), false, false);
            }
        }
        if_stmt.visit_children_with(self);
    }

    fn visit_switch_case(&mut self, case: &SwitchCase) {
        self.note_statements(&case.cons, false, true);
        case.visit_children_with(self);
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee {
            if let Expr::Ident(ident) = &**callee {
                if self.is_callback(callee) {
                    self.record(ident, Some(call));
                    call.args.visit_with(self);
                    return;
                }
            }
        }
        if let Some((ident, plain)) = as_plain_call(self.ctx, call) {
            self.record(&ident, Some(&plain));
            call.args.visit_with(self);
            return;
        }
        if let Some(ident) = bound_callback(self.ctx, call) {
            self.record_use(&ident, None, Some(call));
            call.args.visit_with(self);
            return;
        }
        call.visit_children_with(self);
    }

    fn visit_ident(&mut self, ident: &Ident) {
        if self.ctx.bindings.param(ident) == Some(Param::Callback) {
            self.record(ident, None);
        }
    }
}

/// The callback and the method called on it: `callback.call(…)`, `callback.bind(…)`.
fn callback_method<'c>(ctx: &Ctx<'_>, call: &'c CallExpr) -> Option<(&'c Ident, &'c str)> {
    let (Expr::Ident(ident), method, _) = method_call(call)? else {
        return None;
    };
    (ctx.bindings.param(ident) == Some(Param::Callback)).then_some((ident, method))
}

/// `callback.call(thisArg, …)` and `callback.apply(thisArg, [ … ])` call the callback with the
/// arguments after `thisArg`: they are that plain call, at the same place.
fn as_plain_call(ctx: &Ctx<'_>, call: &CallExpr) -> Option<(Ident, CallExpr)> {
    let (ident, method) = callback_method(ctx, call)?;
    let args = match method {
        "call" => call.args.iter().skip(1).cloned().collect(),
        "apply" => match call.args.get(1) {
            None => Vec::new(),
            Some(ExprOrSpread { spread: None, expr }) if call.args.len() == 2 => match &**expr {
                Expr::Array(array) => array
                    .elems
                    .iter()
                    .map(|e| e.clone().filter(|e| e.spread.is_none()))
                    .collect::<Option<Vec<_>>>()?,
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    let plain = CallExpr {
        callee: Callee::Expr(Box::new(Expr::Ident(ident.clone()))),
        args,
        ..call.clone()
    };
    Some((ident.clone(), plain))
}

/// `callback.bind(…)`: its callback identifier.
fn bound_callback(ctx: &Ctx<'_>, call: &CallExpr) -> Option<Ident> {
    let (ident, method) = callback_method(ctx, call)?;
    (method == "bind").then(|| ident.clone())
}

fn outcome<'a>(ctx: &Ctx<'_>, call: &'a CallExpr) -> Outcome<'a> {
    let Some(first) = call.args.first() else {
        return Outcome::Allow;
    };
    if first.spread.is_some() {
        return Outcome::Unknown;
    }
    let expr = &*first.expr;
    match expr {
        _ if is_nothing(ctx, expr) => match call.args.get(1) {
            // Rules failed a login that reached the end of the pipeline without a user.
            Some(user) if user.spread.is_none() && is_nothing(ctx, &user.expr) => {
                Outcome::Deny(Message::Text(NO_USER_MESSAGE))
            }
            _ => Outcome::Allow,
        },
        Expr::New(new) if is_error_class(ctx, &new.callee) => match new.args.as_deref().and_then(|a| a.first()) {
            Some(arg) if arg.spread.is_none() => Outcome::Deny(Message::Expr(&arg.expr)),
            Some(_) => Outcome::Unknown,
            None => Outcome::Deny(Message::Empty),
        },
        Expr::Lit(Lit::Str(_)) | Expr::Tpl(_) => Outcome::Deny(Message::Expr(expr)),
        Expr::Ident(_) | Expr::Member(_) if call.args.len() == 1 => Outcome::Deny(Message::ErrorValue(expr)),
        _ => Outcome::Unknown,
    }
}

/// `null`, `undefined` or `void 0`: no error, or no user.
fn is_nothing(ctx: &Ctx<'_>, expr: &Expr) -> bool {
    match expr {
        Expr::Lit(Lit::Null(_)) => true,
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Void, arg, ..
        }) => matches!(&**arg, Expr::Lit(_)),
        _ => ctx.bindings.is_global(expr, Global::Undefined),
    }
}

fn is_error_class(ctx: &Ctx<'_>, callee: &Expr) -> bool {
    ctx.bindings.is_global(callee, Global::Error) || ctx.bindings.is_global(callee, Global::UnauthorizedError)
}

fn unauthorized_error_ident(ctx: &Ctx<'_>, call: &CallExpr) -> Option<Ident> {
    let first = call.args.first()?;
    match &*first.expr {
        Expr::New(new) => match &*new.callee {
            Expr::Ident(ident) if ctx.bindings.global(ident) == Some(Global::UnauthorizedError) => Some(ident.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// Reports `callback(null, otherUser, context)`: Actions cannot hand a new object on. (After an
/// error, or without a user, the objects do not matter: the login fails.)
fn check_passed_objects(ctx: &mut Ctx<'_>, call: &CallExpr) {
    if !matches!(outcome(ctx, call), Outcome::Allow | Outcome::Unknown) {
        claim_passed_objects(ctx, call);
        return;
    }
    let expected = [Param::User, Param::Context];
    let user = maybe_no_user(ctx, call).map(|(_, present)| present);
    for (arg, param) in call.args.iter().skip(1).zip(expected) {
        let passed = user.filter(|_| param == Param::User).unwrap_or(&arg.expr);
        if !ctx.bindings.is_param(passed, param) {
            ctx.flag(
                Code::CallbackReplacesObjects,
                &*arg.expr,
                format!(
                    "the rule passes `{}` to the callback instead of its own {}",
                    ctx.text_of(&*arg.expr),
                    if param == Param::User { "user" } else { "context" }
                ),
            );
        }
    }
    claim_passed_objects(ctx, call);
}

/// `cond ? user : null`, `found || null`: a user that may be missing when the rule calls back
/// without an error. Gives the whole expression and the branch that is not nothing.
fn maybe_no_user<'c>(ctx: &Ctx<'_>, call: &'c CallExpr) -> Option<(&'c Expr, &'c Expr)> {
    if !call.args.first().is_some_and(|error| is_nothing(ctx, &error.expr)) {
        return None;
    }
    let user = call.args.get(1).filter(|arg| arg.spread.is_none())?;
    let present = match &*user.expr {
        Expr::Cond(cond) if is_nothing(ctx, &cond.alt) => &cond.cons,
        Expr::Cond(cond) if is_nothing(ctx, &cond.cons) => &cond.alt,
        Expr::Bin(bin) if bin.op == BinaryOp::LogicalOr && is_nothing(ctx, &bin.right) => &bin.left,
        _ => return None,
    };
    Some((&user.expr, present))
}

/// `(user) == null`: whether a user that may be missing is.
fn user_missing_test(ctx: &Ctx<'_>, user: &Expr) -> Vec<Piece> {
    vec![
        Piece::Text("(".into()),
        Piece::Source(ctx.range(user.span())),
        Piece::Text(") == null".into()),
    ]
}

/// The rule's own `user` and `context` handed to the callback go with it.
fn claim_passed_objects(ctx: &mut Ctx<'_>, call: &CallExpr) {
    for arg in call.args.iter().skip(1) {
        if let Expr::Ident(ident) = &*arg.expr {
            if ctx.bindings.param(ident).is_some() {
                ctx.claim(ident);
            }
        }
    }
}

/// The arguments after the error that do something when evaluated
/// (`callback(null, user, global.postError('x', context))`): the Action keeps them, in order.
fn effects(call: &CallExpr) -> impl Iterator<Item = &ExprOrSpread> {
    call.args.iter().skip(1).filter(|arg| may_have_effects(&arg.expr))
}

fn deny_pieces(ctx: &Ctx<'_>, message: &Message<'_>) -> Vec<Piece> {
    let mut pieces = vec![Piece::Text("api.access.deny(".into())];
    match message {
        Message::Expr(expr) => pieces.push(Piece::Source(with_trailing_comments(ctx, ctx.range(expr.span())))),
        Message::ErrorValue(expr) => pieces.extend(message_of(Piece::Source(ctx.range(expr.span())))),
        Message::Empty => pieces.push(Piece::Text("''".into())),
        Message::Text(text) => pieces.push(Piece::Text(quoted(ctx, text))),
    }
    pieces.push(Piece::Text(")".into()));
    pieces
}

/// The text of what the rule called back with: an Error's message, or the value itself (Rules
/// took `callback('No licence')` as the message too).
pub fn message_of(value: Piece) -> Vec<Piece> {
    vec![
        Piece::Text("String(".into()),
        value.clone(),
        Piece::Text(".message ?? ".into()),
        value,
        Piece::Text(")".into()),
    ]
}

fn quoted(ctx: &Ctx<'_>, text: &str) -> String {
    print::string_literal(text, print::preferred_quote(ctx.text))
}

/// Extends a last argument's range over the comments between it and the closing parenthesis, so
/// `new Error('m' /* why */)` keeps its comment.
fn with_trailing_comments(ctx: &Ctx<'_>, range: Range<usize>) -> Range<usize> {
    match first_code_after(ctx.text, range.end) {
        Some(next) if ctx.text[next..].starts_with(')') && !ctx.text[range.end..next].contains(';') => {
            range.start..range.end + ctx.text[range.end..next].trim_end().len()
        }
        _ => range,
    }
}

fn rewrite_as_return(ctx: &mut Ctx<'_>, callback: &CallbackUse) {
    let call = callback.call.as_ref().expect("checked");
    let at = callback.statement.clone().expect("checked");
    let semicolon = if ctx.text[at.range.clone()].trim_end().ends_with(';') {
        ";"
    } else {
        ""
    };
    if let Statement::Expression { skips_code: true, .. } = at.kind {
        ctx.flag(
            Code::CodeAfterCallback,
            call,
            "the statements after this callback ran in the rule but are skipped in the Action",
        );
    }
    check_passed_objects(ctx, call);
    // What the arguments did still happens, before the Action returns.
    let mut statements: Vec<Vec<Piece>> = effects(call)
        .map(|arg| vec![Piece::Source(ctx.range(arg.expr.span())), Piece::Text(";".into())])
        .collect();
    if let Some((user, _)) = maybe_no_user(ctx, call) {
        ctx.report(Code::CallbackReturn, user, MAYBE_NO_USER_NOTE);
        let mut test = vec![Piece::Text("if (".into())];
        test.extend(user_missing_test(ctx, user));
        test.push(Piece::Text(") return ".into()));
        test.extend(deny_pieces(ctx, &Message::Text(NO_USER_MESSAGE)));
        test.push(Piece::Text(";".into()));
        statements.push(test);
    }
    let ending = match outcome(ctx, call) {
        Outcome::Allow => match at.kind {
            Statement::Expression { is_last: true, .. } => None,
            _ => Some(vec![Piece::Text(format!("return{semicolon}"))]),
        },
        Outcome::Deny(message) => {
            if let Some(class) = unauthorized_error_ident(ctx, call) {
                ctx.claim(&class);
                ctx.report(
                    Code::UnauthorizedDenied,
                    &class,
                    "applications receive error=access_denied instead of error=unauthorized",
                );
            }
            let mut pieces = vec![Piece::Text("return ".into())];
            pieces.extend(deny_pieces(ctx, &message));
            pieces.push(Piece::Text(semicolon.into()));
            Some(pieces)
        }
        Outcome::Unknown => unreachable!("returnable calls have a known outcome"),
    };
    statements.extend(ending);
    if statements.is_empty() {
        ctx.delete_statement(at.range);
    } else {
        ctx.replace_statement(at.range, at.in_block, statements);
    }
    ctx.claim(&callback.ident);
    let note = match outcome(ctx, call) {
        Outcome::Deny(Message::Text(_)) => NO_USER_NOTE,
        _ => "callback converted",
    };
    ctx.report(Code::CallbackReturn, &callback.ident, note);
}

fn rewrite_as_resolver(ctx: &mut Ctx<'_>, callback: &CallbackUse, done: &str) {
    ctx.claim(&callback.ident);
    let done = resolver_name(ctx, &callback.ident, done);
    if let Some(bind) = &callback.bind {
        rewrite_bind(ctx, bind, &done);
        return;
    }
    let Some(call) = &callback.call else {
        ctx.edits.replace(ctx.range(callback.ident.span), done);
        return;
    };
    let mut pieces = vec![Piece::Text(format!("{done}("))];
    let outcome = outcome(ctx, call);
    match outcome {
        Outcome::Allow => {
            if let Some((user, _)) = maybe_no_user(ctx, call) {
                ctx.report(Code::CallbackReturn, user, MAYBE_NO_USER_NOTE);
                pieces.extend(user_missing_test(ctx, user));
                pieces.push(Piece::Text(format!(
                    " ? new Error({}) : null",
                    quoted(ctx, NO_USER_MESSAGE)
                )));
            }
        }
        Outcome::Deny(Message::Text(text)) => {
            ctx.report(Code::CallbackReturn, call, NO_USER_NOTE);
            pieces.push(Piece::Text(format!("new Error({})", quoted(ctx, text))));
        }
        _ => pieces.push(Piece::Source(ctx.range(call.args[0].span()))),
    }
    // The resolver ignores the arguments after the error, but they are still evaluated, in order.
    let error_written = pieces.len() > 1;
    for (index, arg) in effects(call).enumerate() {
        if index == 0 && !error_written {
            pieces.push(Piece::Text("null".into()));
        }
        pieces.push(Piece::Text(", ".into()));
        pieces.push(Piece::Source(ctx.range(arg.expr.span())));
    }
    check_passed_objects(ctx, call);
    pieces.push(Piece::Text(")".into()));
    ctx.edits.replace_with(ctx.range(call.span), pieces);
}

/// The name the resolver has where `ident` stands: a local function's parameter that receives
/// the callback keeps its name (it receives the resolver); everything else names the resolver.
fn resolver_name(ctx: &Ctx<'_>, ident: &Ident, done: &str) -> String {
    match ctx.bindings.alias(ident).map(|alias| &alias.origin) {
        Some(AliasOrigin::Parameter { .. }) => ident.sym.to_string(),
        _ => done.to_string(),
    }
}

/// `callback.bind(thisArg, error, user, context)` becomes `done.bind(thisArg, error)`: the
/// resolver takes only the error, and the objects Actions do not hand on are dropped (they
/// are checked to be the rule's own, as for a call; arguments that do something stay).
fn rewrite_bind(ctx: &mut Ctx<'_>, bind: &CallExpr, done: &str) {
    let after_this = CallExpr {
        args: bind.args.iter().skip(1).cloned().collect(),
        ..bind.clone()
    };
    let error = match outcome(ctx, &after_this) {
        Outcome::Deny(Message::Text(text)) => Some(Piece::Text(format!("new Error({})", quoted(ctx, text)))),
        _ => after_this.args.first().map(|arg| Piece::Source(ctx.range(arg.span()))),
    };
    let this = bind.args.first().map(|arg| Piece::Source(ctx.range(arg.span())));
    let effects = effects(&after_this).map(|arg| Piece::Source(ctx.range(arg.span())));
    let mut pieces = vec![Piece::Text(format!("{done}.bind("))];
    for (index, piece) in this.into_iter().chain(error).chain(effects).enumerate() {
        if index > 0 {
            pieces.push(Piece::Text(", ".into()));
        }
        pieces.push(piece);
    }
    pieces.push(Piece::Text(")".into()));
    check_passed_objects(ctx, &after_this);
    ctx.edits.replace_with(ctx.range(bind.span), pieces);
}
