//! Global state (mapping §4.7). Rules kept `global.X` between executions of a container and shared
//! it between rules. Node's `global` still exists in an Action, so the code keeps running, but the
//! state is no longer shared with other rules and is only as durable as before. Each use is
//! flagged with what fits the value kept there: module scope for clients and functions,
//! `api.cache` for serialisable data.

use super::Ctx;
use crate::analysis::accesses::{replay, split_chain, ChainHandler, Role, Segment};
use crate::analysis::model::Model;
use crate::analysis::scope::Global;
use crate::diagnostics::Code;
use rustc_hash::FxHashMap;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// What a rule keeps on `global.X`, judged from the values it assigns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kept {
    /// A client, a module or a function: it belongs at module scope.
    Object,
    /// Data that `api.cache` can hold as a string.
    Data,
}

/// What a value is, looking one step through a local variable (`global.api = api` where
/// `api = new Client()`).
fn kept(value: &Expr, locals: &FxHashMap<String, Kept>) -> Kept {
    match value {
        Expr::New(_) | Expr::Fn(_) | Expr::Arrow(_) | Expr::Class(_) | Expr::Call(_) => Kept::Object,
        Expr::Paren(paren) => kept(&paren.expr, locals),
        // `global.x || new Client()`: whichever side is a client makes it one.
        Expr::Bin(BinExpr {
            op: BinaryOp::LogicalOr | BinaryOp::NullishCoalescing,
            left,
            right,
            ..
        }) => {
            if kept(left, locals) == Kept::Object || kept(right, locals) == Kept::Object {
                Kept::Object
            } else {
                Kept::Data
            }
        }
        Expr::Ident(name) => locals.get(name.sym.as_str()).copied().unwrap_or(Kept::Data),
        _ => Kept::Data,
    }
}

/// The values assigned to each `global.X`, and to local variables.
struct Assignments<'c, 'a> {
    ctx: &'c Ctx<'a>,
    globals: Vec<(String, Box<Expr>)>,
    locals: FxHashMap<String, Kept>,
}

impl Assignments<'_, '_> {
    fn note_local(&mut self, name: &str, value: &Expr) {
        let kind = kept(value, &FxHashMap::default());
        let entry = self.locals.entry(name.to_string()).or_insert(kind);
        if kind == Kept::Object {
            *entry = Kept::Object;
        }
    }

    /// What each `global.X` keeps: a client if any assignment stores one.
    fn kinds(&self) -> FxHashMap<String, Kept> {
        let mut kinds = FxHashMap::default();
        for (name, value) in &self.globals {
            let kind = kept(value, &self.locals);
            let entry = kinds.entry(name.clone()).or_insert(kind);
            if kind == Kept::Object {
                *entry = Kept::Object;
            }
        }
        kinds
    }
}

impl Visit for Assignments<'_, '_> {
    fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
        if let (Pat::Ident(name), Some(init)) = (&decl.name, &decl.init) {
            self.note_local(&name.id.sym, init);
        }
        decl.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        match &assign.left {
            AssignTarget::Simple(SimpleAssignTarget::Member(member)) => {
                if let Some((root, segments)) = split_chain(member) {
                    let name = segments[0].name.clone();
                    if let (Some(Global::Global), Some(name)) = (self.ctx.bindings.global(root), name) {
                        self.globals.push((name, assign.right.clone()));
                    }
                }
            }
            AssignTarget::Simple(SimpleAssignTarget::Ident(local)) => self.note_local(&local.id.sym, &assign.right),
            _ => {}
        }
        assign.visit_children_with(self);
    }
}

struct Uses<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    kinds: FxHashMap<String, Kept>,
}

impl ChainHandler for Uses<'_, '_> {
    fn wants(&self, ident: &Ident) -> bool {
        self.ctx.bindings.global(ident) == Some(Global::Global) && !self.ctx.is_claimed(ident)
    }

    fn chain(&mut self, root: &Ident, segments: &[Segment], _role: Role) {
        self.ctx.claim(root);
        let name = segments[0].name.as_deref().unwrap_or("…");
        let message = match self.kinds.get(name) {
            Some(Kept::Object) => format!(
                "global.{name} keeps a client between logins; in an Action keep it in a module-scope variable, outside the handler"
            ),
            _ => format!(
                "global.{name} caches data between logins; in an Action use api.cache.set / api.cache.get (string values, up to 4 kB)"
            ),
        };
        let span = segments[0].span;
        self.ctx.flag(Code::GlobalState, &span, message);
    }

    fn bare(&mut self, ident: &Ident, _shorthand: bool, _role: Role) {
        self.ctx.claim(ident);
        self.ctx.flag(
            Code::GlobalState,
            ident,
            "the global object is used as a whole; Actions do not share it between rules",
        );
    }
}

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let chain_uses = &model.accesses;
    if !ctx.bindings.uses(Global::Global) {
        return;
    }
    let parsed = ctx.parsed;
    let mut assignments = Assignments {
        ctx,
        globals: Vec::new(),
        locals: FxHashMap::default(),
    };
    parsed.visit(&mut assignments);
    let kinds = assignments.kinds();
    let mut handler = Uses { ctx, kinds };
    replay(chain_uses, &mut handler);
}
