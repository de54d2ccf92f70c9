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
    if current != quote && !inner.contains(other) && !inner.contains(current) {
        format!("{quote}{inner}{quote}")
    } else {
        printed
    }
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
    }
}
