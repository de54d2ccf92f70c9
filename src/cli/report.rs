//! Human rendering of findings: `path:line:col CODE severity: message`, a code frame with the span
//! underlined, and `help:`. File names, messages and source lines can hold anything a rule file
//! holds: they are printed through `printable`, so no control character reaches the terminal.

use crate::diagnostics::{Diagnostic, Severity};
use crate::safe_text::{printable, push_printable};
use crate::source::SourceText;
use std::io::{self, Write};

pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn paint(&self, ansi: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{ansi}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let ansi = match severity {
            Severity::Info => "36",
            Severity::Warning => "33",
            Severity::Error => "31",
        };
        self.paint(&format!("1;{ansi}"), &severity.to_string())
    }
}

pub fn write_diagnostic(
    out: &mut dyn Write,
    style: &Style,
    path: &str,
    text: &str,
    diagnostic: &Diagnostic,
) -> io::Result<()> {
    let start = diagnostic.start;
    writeln!(
        out,
        "{}:{}:{} {} {}: {}",
        style.paint("1", &printable(path)),
        start.line,
        start.column,
        style.paint("1", diagnostic.code.id()),
        style.severity(diagnostic.severity),
        printable(&diagnostic.message)
    )?;
    write_frame(out, style, text, diagnostic)?;
    writeln!(out, "  {} {}", style.paint("1;36", "help:"), diagnostic.help)?;
    Ok(())
}

fn write_frame(out: &mut dyn Write, style: &Style, text: &str, diagnostic: &Diagnostic) -> io::Result<()> {
    if text.is_empty() || diagnostic.range.start > text.len() {
        return Ok(());
    }
    let source = SourceText::new(text);
    let line = source.line_text(diagnostic.range.start);
    let number = diagnostic.start.line.to_string();
    let gutter = " ".repeat(number.len());
    let column = (diagnostic.start.column as usize).saturating_sub(1);
    let width = if diagnostic.end.line == diagnostic.start.line {
        diagnostic.end.column.saturating_sub(diagnostic.start.column) as usize
    } else {
        usize::MAX
    };
    let (shown, pad, width) = frame_line(line, column, width);
    writeln!(out, "{gutter} {}", style.paint("34", "|"))?;
    writeln!(
        out,
        "{} {} {}",
        style.paint("34", &number),
        style.paint("34", "|"),
        shown
    )?;
    writeln!(
        out,
        "{gutter} {} {pad}{}",
        style.paint("34", "|"),
        style.paint("1;33", &"^".repeat(width.min(200)))
    )?;
    Ok(())
}

/// The longest part of a source line a frame shows, in characters.
const FRAME_WIDTH: usize = 200;

/// A source line as the frame shows it (printable, cut to `FRAME_WIDTH`), the padding that puts
/// the carets under the span (tabs kept, so that they line up), and the carets' count. `column`
/// and `width` count UTF-16 units of the line, as positions do; escapes widen what they stand for.
fn frame_line(line: &str, column: usize, width: usize) -> (String, String, usize) {
    let (mut shown, mut pad, mut carets) = (String::new(), String::new(), 0);
    let mut unit = 0;
    for c in line.chars() {
        let before = shown.chars().count();
        if before >= FRAME_WIDTH {
            break;
        }
        push_printable(&mut shown, c);
        let drawn = shown.chars().count() - before;
        if unit < column {
            pad.extend(std::iter::repeat_n(if c == '\t' { '\t' } else { ' ' }, drawn));
        } else if unit - column < width {
            carets += drawn;
        }
        unit += c.len_utf16();
    }
    (shown, pad, carets.max(1))
}

#[cfg(test)]
mod tests {
    use super::frame_line;

    #[test]
    fn frames_escape_the_line_and_keep_the_carets_under_the_span() {
        // `b` is at UTF-16 column 4 (the emoji takes two units), after a tab and an escape.
        let (shown, pad, carets) = frame_line("\t\u{1b}😀bc", 4, 2);
        assert_eq!(shown, "\t\\x1b😀bc");
        assert_eq!(pad, "\t     ");
        assert_eq!(carets, 2);
        assert_eq!(&shown[shown.len() - 2..], "bc");
        // A span of escapes is underlined whole; an empty span gets one caret.
        assert_eq!(frame_line("a\u{2028}b", 1, 1).2, "\\u2028".len());
        assert_eq!(frame_line("abc", 1, 0).2, 1);
    }

    #[test]
    fn long_lines_are_cut() {
        let (shown, _, _) = frame_line(&"\u{7}".repeat(300), 0, usize::MAX);
        assert!(shown.chars().count() <= super::FRAME_WIDTH + 4);
    }
}
