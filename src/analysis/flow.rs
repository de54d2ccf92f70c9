//! Control flow of the rule body, as far as the callback rewrite needs it: which statements are in
//! tail position, after which the rule runs nothing more.

use rustc_hash::FxHashSet;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// Where a statement's code continues inline: the success continuation of a folded metadata
/// update (`update(…).then(function () { … })` becomes the update followed by that body).
pub type InlinedBody<'f> = &'f dyn for<'s> Fn(&'s Stmt) -> Option<&'s [Stmt]>;

/// The statements after which the function runs nothing more: the last statement of a block in
/// tail position (recursively), and any statement followed by a bare `return;`. Inside a `switch`
/// in tail position, a statement followed by `break` counts too.
pub fn tail_statements(stmts: &[Stmt], inlined: InlinedBody<'_>) -> FxHashSet<BytePos> {
    let mut tails = FxHashSet::default();
    walk_block(stmts, true, inlined, &mut tails);
    tails
}

fn walk_block(stmts: &[Stmt], is_tail: bool, inlined: InlinedBody<'_>, tails: &mut FxHashSet<BytePos>) {
    let last = stmts.iter().rposition(does_something);
    for (index, stmt) in stmts.iter().enumerate() {
        let before_return = matches!(stmts.get(index + 1), Some(Stmt::Return(ReturnStmt { arg: None, .. })));
        walk_statement(stmt, (is_tail && Some(index) == last) || before_return, inlined, tails);
    }
}

fn walk_statement(stmt: &Stmt, is_tail: bool, inlined: InlinedBody<'_>, tails: &mut FxHashSet<BytePos>) {
    if is_tail {
        tails.insert(stmt.span().lo);
    }
    if let Some(body) = inlined(stmt) {
        walk_block(body, is_tail, inlined, tails);
    }
    match stmt {
        Stmt::Block(block) => walk_block(&block.stmts, is_tail, inlined, tails),
        Stmt::If(if_stmt) => {
            walk_statement(&if_stmt.cons, is_tail, inlined, tails);
            if let Some(alt) = &if_stmt.alt {
                walk_statement(alt, is_tail, inlined, tails);
            }
        }
        Stmt::Try(try_stmt) => {
            let is_tail = is_tail && try_stmt.finalizer.is_none();
            walk_block(&try_stmt.block.stmts, is_tail, inlined, tails);
            if let Some(handler) = &try_stmt.handler {
                walk_block(&handler.body.stmts, is_tail, inlined, tails);
            }
            if let Some(finalizer) = &try_stmt.finalizer {
                walk_block(&finalizer.stmts, false, inlined, tails);
            }
        }
        Stmt::Labeled(labeled) => walk_statement(&labeled.body, is_tail, inlined, tails),
        Stmt::Switch(switch) => {
            for case in &switch.cases {
                walk_block(&case.cons, is_tail, inlined, tails);
                for pair in case.cons.windows(2) {
                    if is_tail && matches!(pair[1], Stmt::Break(BreakStmt { label: None, .. })) {
                        walk_statement(&pair[0], true, inlined, tails);
                    }
                }
            }
        }
        Stmt::For(ForStmt { body, .. })
        | Stmt::ForIn(ForInStmt { body, .. })
        | Stmt::ForOf(ForOfStmt { body, .. })
        | Stmt::While(WhileStmt { body, .. })
        | Stmt::DoWhile(DoWhileStmt { body, .. }) => walk_statement(body, false, inlined, tails),
        _ => {}
    }
}

/// Whether a statement does anything at run time at the place it stands (function declarations
/// are hoisted; `break` and a bare `return` only leave).
pub fn does_something(stmt: &Stmt) -> bool {
    !matches!(
        stmt,
        Stmt::Break(_) | Stmt::Empty(_) | Stmt::Return(ReturnStmt { arg: None, .. }) | Stmt::Decl(Decl::Fn(_))
    )
}

/// No statement is inlined.
pub fn nothing_inlined(_: &Stmt) -> Option<&[Stmt]> {
    None
}

/// Whether evaluating an expression may do something besides computing its value: call, construct,
/// assign, await. Functions written in it do nothing until they are called.
pub fn may_have_effects(expr: &Expr) -> bool {
    struct Effects(bool);
    impl Visit for Effects {
        fn visit_call_expr(&mut self, _: &CallExpr) {
            self.0 = true;
        }
        fn visit_new_expr(&mut self, _: &NewExpr) {
            self.0 = true;
        }
        fn visit_assign_expr(&mut self, _: &AssignExpr) {
            self.0 = true;
        }
        fn visit_update_expr(&mut self, _: &UpdateExpr) {
            self.0 = true;
        }
        fn visit_await_expr(&mut self, _: &AwaitExpr) {
            self.0 = true;
        }
        fn visit_yield_expr(&mut self, _: &YieldExpr) {
            self.0 = true;
        }
        fn visit_tagged_tpl(&mut self, _: &TaggedTpl) {
            self.0 = true;
        }
        fn visit_unary_expr(&mut self, unary: &UnaryExpr) {
            self.0 |= unary.op == UnaryOp::Delete;
            unary.visit_children_with(self);
        }
        fn visit_function(&mut self, _: &Function) {}
        fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
        fn visit_class(&mut self, _: &Class) {}
    }
    let mut effects = Effects(false);
    expr.visit_with(&mut effects);
    effects.0
}

/// What a simple statement does with the callback, for [`open_ends`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// Nothing: the path goes on without having called back.
    Plain,
    /// Calls back and leaves (a callback that becomes a `return`).
    CallsBack,
    /// Calls back, or hands the callback to code that will, and goes on.
    HandsOn,
}

/// How a rule reads for [`open_ends`]: what each simple statement does with the callback, whether a
/// statement mentions it anywhere, and where a statement's code continues inline.
pub struct PathRules<'f> {
    pub leaf: &'f dyn Fn(&Stmt) -> Leaf,
    pub mentions: &'f dyn Fn(&Stmt) -> bool,
    pub inlined: InlinedBody<'f>,
}

/// A place where a path of the rule ends without having called back, and where the Action can
/// deny the login.
#[derive(Debug, PartialEq, Eq)]
pub enum OpenEnd {
    /// A `return` reached before calling back, with its value; `in_block` when it stands directly
    /// in a block.
    Return {
        span: Span,
        value: Option<Span>,
        in_block: bool,
    },
    /// The end of a block (or of the rule body) reached only by paths that have not called back.
    BlockEnd { close: BytePos },
    /// An `if` with no `else` whose false test leaves the rule without calling back.
    MissingElse { end: BytePos },
    /// A statement that some paths finish without calling back, with no place for a denial in
    /// it (a loop, an unbraced `if`).
    Unplaced { span: Span },
    /// An end that paths which have called back reach too: no denial can go there.
    Shared(Box<OpenEnd>),
}

impl OpenEnd {
    /// Where the finding about it points.
    pub fn span(&self) -> Span {
        match self {
            OpenEnd::Return { span, .. } | OpenEnd::Unplaced { span } => *span,
            OpenEnd::BlockEnd { close } => Span::new(*close, *close + BytePos(1)),
            OpenEnd::MissingElse { end } => Span::new(*end - BytePos(1), *end),
            OpenEnd::Shared(end) => end.span(),
        }
    }
}

/// Whether the paths through a statement can finish it normally before / after calling back.
#[derive(Clone, Copy, Default)]
struct Paths {
    open: bool,
    called: bool,
}

impl Paths {
    const OPEN: Paths = Paths {
        open: true,
        called: false,
    };

    fn or(self, other: Paths) -> Paths {
        Paths {
            open: self.open || other.open,
            called: self.called || other.called,
        }
    }
}

/// Where the paths of a body (`body` with its closing brace at `close`) end without calling back:
/// every `return` reached before the callback, and the end of the body or of a branch reached only
/// by such paths. Placing a denial there is exact: after it no code calls back.
pub fn open_ends(body: &[Stmt], close: BytePos, rules: &PathRules<'_>) -> Vec<OpenEnd> {
    let mut ends = Vec::new();
    place_list(body, Some(OpenEnd::BlockEnd { close }), rules, &mut ends);
    ends
}

fn paths_of_list(stmts: &[Stmt], rules: &PathRules<'_>) -> Paths {
    let mut state = Paths::OPEN;
    for stmt in stmts {
        if matches!(stmt, Stmt::Break(_) | Stmt::Continue(_)) {
            return state;
        }
        let through = paths_of(stmt, rules);
        state = Paths {
            open: state.open && through.open,
            called: state.called && completes(stmt, rules) || state.open && through.called,
        };
    }
    state
}

/// The paths through a statement entered before calling back.
fn paths_of(stmt: &Stmt, rules: &PathRules<'_>) -> Paths {
    if let Some(body) = (rules.inlined)(stmt) {
        return paths_of_list(body, rules);
    }
    match stmt {
        Stmt::Return(_) | Stmt::Throw(_) => Paths::default(),
        Stmt::Block(block) => paths_of_list(&block.stmts, rules),
        Stmt::If(if_stmt) => {
            let alt = if_stmt.alt.as_deref().map_or(Paths::OPEN, |alt| paths_of(alt, rules));
            paths_of(&if_stmt.cons, rules).or(alt)
        }
        Stmt::Labeled(labeled) => paths_of(&labeled.body, rules),
        Stmt::Try(try_stmt) => {
            let handler = try_stmt
                .handler
                .as_ref()
                .map_or(Paths::default(), |h| paths_of_list(&h.body.stmts, rules));
            paths_of_list(&try_stmt.block.stmts, rules).or(handler)
        }
        Stmt::Switch(switch) => {
            let no_default = Paths {
                open: !switch.cases.iter().any(|case| case.test.is_none()),
                called: false,
            };
            switch
                .cases
                .iter()
                .map(|case| paths_of_list(&case.cons, rules))
                .fold(no_default, Paths::or)
        }
        Stmt::For(ForStmt { body, .. })
        | Stmt::ForIn(ForInStmt { body, .. })
        | Stmt::ForOf(ForOfStmt { body, .. })
        | Stmt::While(WhileStmt { body, .. })
        | Stmt::DoWhile(DoWhileStmt { body, .. }) => Paths::OPEN.or(paths_of(body, rules)),
        _ => match (rules.leaf)(stmt) {
            Leaf::Plain => Paths::OPEN,
            Leaf::CallsBack => Paths::default(),
            Leaf::HandsOn => Paths {
                open: false,
                called: true,
            },
        },
    }
}

/// Whether a path that has called back can finish the statement normally (conservatively yes).
fn completes(stmt: &Stmt, rules: &PathRules<'_>) -> bool {
    !matches!(stmt, Stmt::Return(_) | Stmt::Throw(_)) && (rules.leaf)(stmt) != Leaf::CallsBack
}

/// Collects the open ends of a list entered before calling back; `end` is the place for the
/// paths that reach its end that way, `None` when the code after the list takes care of them.
fn place_list(stmts: &[Stmt], end: Option<OpenEnd>, rules: &PathRules<'_>, ends: &mut Vec<OpenEnd>) {
    for (index, stmt) in stmts.iter().enumerate() {
        if matches!(stmt, Stmt::Break(_) | Stmt::Continue(_)) {
            // Leaves the list for code this walk does not follow: conservatively, not an end.
            return;
        }
        let through = paths_of(stmt, rules);
        if !through.called {
            place_statement(stmt, true, false, rules, ends);
            if !through.open {
                return;
            }
            continue;
        }
        if !through.open {
            place_statement(stmt, true, false, rules, ends);
        } else if stmts[index + 1..].iter().any(|s| (rules.mentions)(s)) {
            // The paths that have called back go on too: no denial can go after this statement.
            // Only when the code after it may end without calling back is there work left.
            let mut after = Vec::new();
            place_list(&stmts[index + 1..], end, rules, &mut after);
            ends.extend(after.into_iter().map(|end| match end {
                OpenEnd::Unplaced { .. } | OpenEnd::Shared(_) => end,
                _ => OpenEnd::Shared(Box::new(end)),
            }));
        } else {
            // Some paths through it have called back: deny inside it, on the others.
            place_statement(stmt, true, true, rules, ends);
        }
        return;
    }
    ends.extend(end);
}

/// Collects the open ends inside a statement entered before calling back. `own_end` asks for a
/// place for the paths that finish the statement without calling back.
fn place_statement(stmt: &Stmt, in_block: bool, own_end: bool, rules: &PathRules<'_>, ends: &mut Vec<OpenEnd>) {
    if (rules.inlined)(stmt).is_some() {
        // A folded continuation is rewritten as a whole by its own rewrite.
        if own_end && paths_of(stmt, rules).open {
            ends.push(OpenEnd::Unplaced { span: stmt.span() });
        }
        return;
    }
    match stmt {
        Stmt::Return(ret) if !(rules.mentions)(stmt) => ends.push(open_return(ret, in_block)),
        Stmt::Block(block) => {
            let end = own_end.then(|| OpenEnd::BlockEnd {
                close: block.span.hi - BytePos(1),
            });
            place_list(&block.stmts, end, rules, ends);
        }
        Stmt::If(if_stmt) => {
            place_statement(&if_stmt.cons, false, own_end, rules, ends);
            match &if_stmt.alt {
                Some(alt) => place_statement(alt, false, own_end, rules, ends),
                None if own_end && matches!(*if_stmt.cons, Stmt::Block(_)) => {
                    ends.push(OpenEnd::MissingElse { end: if_stmt.span.hi })
                }
                None if own_end => ends.push(OpenEnd::Unplaced { span: stmt.span() }),
                None => {}
            }
        }
        Stmt::Labeled(labeled) => place_statement(&labeled.body, false, own_end, rules, ends),
        Stmt::Try(try_stmt) => {
            let end = |block: &BlockStmt| {
                own_end.then(|| OpenEnd::BlockEnd {
                    close: block.span.hi - BytePos(1),
                })
            };
            place_list(&try_stmt.block.stmts, end(&try_stmt.block), rules, ends);
            if let Some(handler) = &try_stmt.handler {
                place_list(&handler.body.stmts, end(&handler.body), rules, ends);
            }
        }
        _ => {
            if !(rules.mentions)(stmt) {
                // No callback anywhere inside: every `return` in it ends a path before calling back.
                ends.extend(returns_in(stmt));
            }
            if own_end && paths_of(stmt, rules).open {
                ends.push(OpenEnd::Unplaced { span: stmt.span() });
            }
        }
    }
}

fn open_return(ret: &ReturnStmt, in_block: bool) -> OpenEnd {
    OpenEnd::Return {
        span: ret.span,
        value: ret.arg.as_ref().map(|arg| arg.span()),
        in_block,
    }
}

/// The `return` statements of a statement, outside the functions written in it.
fn returns_in(stmt: &Stmt) -> Vec<OpenEnd> {
    struct Returns {
        found: Vec<OpenEnd>,
        in_block: bool,
    }
    impl Visit for Returns {
        fn visit_stmts(&mut self, stmts: &[Stmt]) {
            for stmt in stmts {
                self.in_block = true;
                stmt.visit_with(self);
            }
        }
        fn visit_stmt(&mut self, stmt: &Stmt) {
            if let Stmt::Return(ret) = stmt {
                self.found.push(open_return(ret, self.in_block));
            }
            self.in_block = false;
            stmt.visit_children_with(self);
        }
        fn visit_function(&mut self, _: &Function) {}
        fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
        fn visit_class(&mut self, _: &Class) {}
    }
    let mut returns = Returns {
        found: Vec::new(),
        in_block: false,
    };
    stmt.visit_children_with(&mut returns);
    returns.found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rule::{find_rule, RuleSearch};
    use crate::parse::{parse, ParsedProgram};

    /// Names `cb` anywhere: here, the callback.
    fn names_cb(stmt: &Stmt) -> bool {
        struct Finder(bool);
        impl Visit for Finder {
            fn visit_ident(&mut self, ident: &Ident) {
                self.0 |= &*ident.sym == "cb";
            }
        }
        let mut finder = Finder(false);
        stmt.visit_with(&mut finder);
        finder.0
    }

    /// The open ends of a rule body, each as its kind and the text it points at.
    fn open_ends_of(body: &str) -> Vec<(&'static str, String)> {
        let text = format!("function (user, context, cb) {{\n{body}\n}}");
        let parsed = parse(&text).expect("the rule parses");
        let RuleSearch::Found { rule, .. } = find_rule(&parsed) else {
            panic!("no rule function");
        };
        let leaf = |stmt: &Stmt| if names_cb(stmt) { Leaf::HandsOn } else { Leaf::Plain };
        let rules = PathRules {
            leaf: &leaf,
            mentions: &names_cb,
            inlined: &nothing_inlined,
        };
        let close = rule.body.span.hi - BytePos(1);
        open_ends(&rule.body.stmts, close, &rules)
            .into_iter()
            .map(|end| {
                let kind = match end {
                    OpenEnd::Return { .. } => "return",
                    OpenEnd::BlockEnd { .. } => "block end",
                    OpenEnd::MissingElse { .. } => "missing else",
                    OpenEnd::Unplaced { .. } => "unplaced",
                    OpenEnd::Shared(_) => "shared",
                };
                (kind, text[parsed.range(end.span())].to_string())
            })
            .collect()
    }

    #[test]
    fn a_path_that_never_calls_back_ends_where_it_leaves() {
        assert_eq!(
            open_ends_of("if (a) return; cb();"),
            [("return", "return;".to_string())]
        );
        assert_eq!(open_ends_of("if (a) { cb(); }"), [("missing else", "}".to_string())]);
        assert_eq!(
            open_ends_of("if (a) { cb(); } else { log(); }"),
            [("block end", "}".to_string())]
        );
        assert_eq!(open_ends_of("log();"), [("block end", "}".to_string())]);
    }

    #[test]
    fn paths_that_all_call_back_have_no_open_end() {
        assert!(open_ends_of("if (a) { cb(); } else { cb(); }").is_empty());
        assert!(open_ends_of("if (a) return cb(1); cb();").is_empty());
        assert!(open_ends_of("if (a) { cb(); } cb();").is_empty());
        assert!(open_ends_of("function f() { return; } cb();").is_empty());
    }

    #[test]
    fn an_end_reached_after_calling_back_too_is_not_denied() {
        assert_eq!(
            open_ends_of("if (a) { cb(); }\nif (b) return;\ncb();"),
            [("shared", "return;".to_string())]
        );
    }

    #[test]
    fn effects_are_calls_assignments_and_updates_but_not_functions() {
        let effects = |source: &str| {
            let parsed = parse(&format!("({source});")).expect("parses");
            let ParsedProgram::Script(script) = &parsed.program else {
                panic!("a script");
            };
            let Stmt::Expr(ExprStmt { expr, .. }) = &script.body[0] else {
                panic!("an expression");
            };
            may_have_effects(expr)
        };
        assert!(effects("global.postError('x', context)"));
        assert!(effects("{ id: make() }"));
        assert!(effects("n++"));
        assert!(effects("x = 1"));
        assert!(!effects("user"));
        assert!(!effects("a.b[c]"));
        assert!(!effects("function () { return f(); }"));
        assert!(!effects("cond ? user : null"));
    }
}
