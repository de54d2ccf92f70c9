//! Printing the few nodes the rewrites synthesise (string literals for claim and attribute names)
//! with swc's code generator, in the quote style the file already uses.

use swc_common::DUMMY_SP;
use swc_ecma_ast::{Expr, Lit, Str};

/// The quote character most string literals of `text` use.
pub fn preferred_quote(text: &str) -> char {
    let singles = text.matches('\'').count();
    let doubles = text.matches('"').count();
    if doubles > singles {
        '"'
    } else {
        '\''
    }
}

/// A JavaScript string literal holding `value`, escaped by swc and quoted with `quote` where the
/// value allows it.
pub fn string_literal(value: &str, quote: char) -> String {
    let node = Expr::Lit(Lit::Str(Str {
        span: DUMMY_SP,
        value: value.into(),
        raw: None,
    }));
    let printed = swc_ecma_codegen::to_code(&node);
    let (current, other) = match printed.chars().next() {
        Some('"') => ('"', '\''),
        _ => ('\'', '"'),
    };
    let inner = &printed[1..printed.len() - 1];
    let printed = if current != quote && !inner.contains(other) && !inner.contains(current) {
        format!("{quote}{inner}{quote}")
    } else {
        printed
    };
    escape_invisible(printed)
}

/// swc escapes controls and line terminators but prints bidirectional overrides raw, which would
/// make the literal read differently from what it holds; inside a literal, any character may be a
/// `\uHHHH` escape.
fn escape_invisible(printed: String) -> String {
    if !printed.chars().any(crate::safe_text::must_escape) {
        return printed;
    }
    let mut out = String::with_capacity(printed.len() + 8);
    for c in printed.chars() {
        if crate::safe_text::must_escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `name` can follow a `.` in a member expression.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_escaped_literals_in_the_files_style() {
        assert_eq!(string_literal("roles", '\''), "'roles'");
        assert_eq!(string_literal("roles", '"'), "\"roles\"");
        assert_eq!(string_literal("it's", '\''), "\"it's\"");
        assert_eq!(string_literal("a\nb", '\''), "'a\\nb'");
        assert_eq!(preferred_quote("a('x', 'y', \"z\")"), '\'');
        assert_eq!(
            string_literal("a\u{2028}\u{2029}\u{1b}\u{85}\u{202e}b\u{2066}", '\''),
            "'a\\u2028\\u2029\\x1b\\u0085\\u202eb\\u2066'"
        );
    }
}
