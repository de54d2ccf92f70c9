//! What the rewrites need to know about a rule before changing it: where the rule function is,
//! which identifiers refer to its parameters and the Rules globals, where statements start.

pub mod accesses;
pub mod aliases;
pub mod context_writes;
pub mod flow;
pub mod layout;
pub mod leftovers;
pub mod model;
pub mod rule;
pub mod scope;
pub mod syntax;
