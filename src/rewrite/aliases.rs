//! Alias declarations (see `analysis::aliases`). Every use of an alias (`self.idToken[k] = v`,
//! `req.geoip.country_code`, `cb(null, user, context)`) is rewritten by the rewrite of what it
//! stands for, as if the rule had named the parameter. What is left is the declaration,
//! `var self = context;`, which now serves nothing and names `context`, which the Action does not
//! have: it is removed (its initialiser is a plain member chain, so nothing with an effect goes).
//! An argument handed to a local function for a parameter that is an alias becomes what the
//! Action has in its place: `event.user` for `user`, `event` for `context`, `undefined` for a part
//! of `context` (the function's uses of its parameter now reach `event` and `api` directly, so the
//! value only matters where a use is flagged); a callback is left to the callback rewrite.

use super::Ctx;
use crate::analysis::aliases::AliasOrigin;
use crate::analysis::model::Model;
use crate::analysis::scope::Param;
use rustc_hash::FxHashSet;

pub fn run(ctx: &mut Ctx<'_>, _model: &Model) {
    if ctx.bindings.aliases.is_empty() {
        return;
    }
    let aliases = std::mem::take(&mut ctx.bindings.aliases);
    let mut removed = FxHashSet::default();
    for alias in &aliases {
        match &alias.origin {
            AliasOrigin::Declaration { statement, root } => {
                ctx.claim_at(*root);
                if removed.insert(statement.lo) {
                    let range = ctx.range(*statement);
                    ctx.delete_statement(range);
                }
            }
            AliasOrigin::Parameter { arguments } => {
                let replacement = match alias.param {
                    Param::User => "event.user",
                    Param::Context if alias.path.is_empty() => "event",
                    Param::Context => "undefined",
                    Param::Callback => continue,
                };
                for (span, root) in arguments {
                    ctx.claim_at(*root);
                    let range = ctx.range(*span);
                    ctx.edits.replace(range, replacement);
                }
            }
        }
    }
    ctx.bindings.aliases = aliases;
}
