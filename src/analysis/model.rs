//! The model of a rule: what it does with the Rules objects, built once and read by every rewrite
//! (and by `convert`'s callers) instead of each walking the tree again. The bindings (scopes,
//! parameters, globals, aliases) stay in the rewrite context, which also needs them to invent
//! names; the facts here are read-only.

use super::accesses::{self, ChainUse};
use super::context_writes::{self, ContextDelete, ContextMerge, ContextWrite};
use super::scope::Bindings;
use crate::parse::ParsedFile;

pub struct Model {
    /// Every access to a Rules object, in source order.
    pub accesses: Vec<ChainUse>,
    /// Every assignment to a property of `context` (or of an alias of it).
    pub context_writes: Vec<ContextWrite>,
    /// Every merge into a property of `context`: `Object.assign(context.idToken, {…})`.
    pub context_merges: Vec<ContextMerge>,
    /// Every `delete` of a property of `context`.
    pub context_deletes: Vec<ContextDelete>,
}

impl Model {
    pub fn build(parsed: &ParsedFile, bindings: &Bindings) -> Model {
        let changes = context_writes::find(parsed, bindings);
        Model {
            accesses: accesses::collect(parsed, bindings),
            context_writes: changes.writes,
            context_merges: changes.merges,
            context_deletes: changes.deletes,
        }
    }
}
