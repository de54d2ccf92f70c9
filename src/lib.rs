//! rules2actions: converts legacy Auth0 Rules into post-login Actions.
//!
//! The conversion core (`convert`) takes the text of a rule and returns the Action's code with
//! diagnostics; it does no I/O. The `cli` module owns files, output and exit codes.

pub mod analysis;
pub mod cli;
pub mod convert;
pub mod deploy_cli;
pub mod diagnostics;
pub mod edits;
pub mod json;
pub mod limits;
pub mod lint;
pub mod mapping;
pub mod migrate;
pub mod parse;
pub mod placeholders;
pub mod prettier;
pub mod rewrite;
pub mod safe_text;
pub mod source;
pub mod verify;

pub use convert::{convert, convert_bytes, Conversion, Dependency, Status};
pub use diagnostics::{Code, Diagnostic, Severity};
pub use limits::Limits;
