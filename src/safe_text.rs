//! Text that comes from a rule or an export (names, data keys, messages built from them, file
//! names, source lines) made safe for where it is shown. One rule decides which characters are
//! never written raw (`must_escape`), and each output format escapes them its own way:
//!
//! - `printable`: human output and `//` comments. A terminal obeys C0 and C1 controls (erase the
//!   line, OSC 52 writes the clipboard); `\n`, `\r`, U+2028 and U+2029 end a JavaScript `//`
//!   comment, so a rule's text there could become code; bidirectional overrides reorder what a
//!   reader sees (Trojan Source). They become JavaScript-style escapes (`\n`, `\x1b`, `\u2028`).
//! - `hcl_string`: a Terraform string literal, where `${` and `%{` would be live templates.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is never written raw: control characters (C0, DEL, C1) except the tab, the two
/// Unicode line terminators, the bidirectional embeddings, overrides, isolates and marks, and the
/// byte order mark (invisible, and a zero-width joiner of words to some tools).
pub fn must_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202a}'..='\u{202e}' // embeddings and overrides
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{200e}' | '\u{200f}' | '\u{061c}' // marks
            | '\u{feff}'
        )
}

/// `text` with every character of `must_escape` written as a JavaScript escape; borrowed when
/// nothing needed escaping, which is nearly always.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(must_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_printable(&mut out, c);
    }
    Cow::Owned(out)
}

/// `text` made printable line by line: its line feeds stay, every other character of
/// `must_escape` is escaped.
pub fn printable_lines(text: &str) -> String {
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(printable).collect();
    lines.join("\n")
}

/// Appends `c`, escaped when `must_escape` says so.
pub fn push_printable(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if must_escape(c) && (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if must_escape(c) => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => out.push(c),
    }
}

/// An HCL (Terraform) quoted string holding `text` literally.
pub fn hcl_string(text: &str) -> String {
    format!("\"{}\"", hcl_template_text(text))
}

/// `text` as the literal part of an HCL quoted template: quotes, backslashes and unsafe characters
/// escaped, `${` and `%{` doubled (`$${`) so that they are not template sequences.
pub fn hcl_template_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if must_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(printable("a\tb é ✓ `x`"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_terminators_and_bidi_are_escaped() {
        assert_eq!(printable("a\nb\rc"), "a\\nb\\rc");
        assert_eq!(printable("\x1b[2K\x07\x7f\u{9b}"), "\\x1b[2K\\x07\\x7f\\x9b");
        assert_eq!(printable("x\u{2028}y\u{2029}"), "x\\u2028y\\u2029");
        assert_eq!(printable("\u{202e}abc\u{2066}"), "\\u202eabc\\u2066");
        assert_eq!(printable("\u{85}"), "\\x85");
    }

    #[test]
    fn nothing_escaped_can_end_a_line() {
        let all: String = (0..=0x3000u32).filter_map(char::from_u32).collect();
        let out = printable(&all);
        assert!(!out.contains(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}', '\u{1b}', '\u{202e}']));
    }

    #[test]
    fn hcl_strings_escape_templates() {
        assert_eq!(hcl_string("a\"b\\c\n${x}%{y}$z"), "\"a\\\"b\\\\c\\n$${x}%%{y}$z\"");
        assert_eq!(hcl_string("\u{1b}\u{2028}"), "\"\\u001b\\u2028\"");
    }
}
