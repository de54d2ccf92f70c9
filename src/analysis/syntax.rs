//! Shapes of the syntax tree that several analyses and rewrites recognise, said once.

use swc_ecma_ast::*;

/// `object.method(args)`: the object, the method's name and the arguments.
pub fn method_call(call: &CallExpr) -> Option<(&Expr, &str, &[ExprOrSpread])> {
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    let Expr::Member(MemberExpr {
        obj,
        prop: MemberProp::Ident(method),
        ..
    }) = &**callee
    else {
        return None;
    };
    Some((obj, method.sym.as_str(), call.args.as_slice()))
}

/// [`method_call`] of an expression that is a call.
pub fn method_call_expr(expr: &Expr) -> Option<(&Expr, &str, &[ExprOrSpread])> {
    match expr {
        Expr::Call(call) => method_call(call),
        _ => None,
    }
}

/// The arguments of `Object.assign(…)` (the global `Object` by name; a rule that shadows it is
/// rare enough not to track).
pub fn object_assign_args(call: &CallExpr) -> Option<&[ExprOrSpread]> {
    match method_call(call)? {
        (Expr::Ident(object), "assign", args) if &*object.sym == "Object" => Some(args),
        _ => None,
    }
}
