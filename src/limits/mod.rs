//! What a run accepts, and the means of holding input to it: the limits themselves, the cheap
//! nesting scans made before a parser sees the input (`js_nesting` for rules, `yaml_nesting` for
//! deploy-cli metadata), and the large-stack threads conversions run on (`stack`).

mod js_nesting;
mod stack;
pub mod yaml_nesting;

pub use js_nesting::{nesting, too_deep, Construct, TooDeep, NESTING_CEILING};
pub use stack::{panic_message, with_large_stack, with_large_stack_guarded, LARGE_STACK};

/// Limits a conversion runs under; the CLI exposes each as a flag.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_file_size: usize,
    /// Deepest nesting accepted: brackets, parentheses and braces, plus the links of operator,
    /// member, call, `else if`, arrow and other chains that nest the syntax tree (see `nesting`).
    pub max_nesting: usize,
    /// Largest Action produced, in bytes: a conversion never prints or writes more.
    pub max_output_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 5 * 1024 * 1024,
            max_nesting: 400,
            max_output_size: 16 * 1024 * 1024,
        }
    }
}
