//! Human rendering of findings: `path:line:col CODE severity: message`, a code frame with the span
//! underlined, and `help:`.

use crate::diagnostics::{Diagnostic, Severity};
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
        style.paint("1", path),
        start.line,
        start.column,
        style.paint("1", diagnostic.code.id()),
        style.severity(diagnostic.severity),
        diagnostic.message
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
        (diagnostic.end.column.saturating_sub(diagnostic.start.column) as usize).max(1)
    } else {
        line.encode_utf16().count().saturating_sub(column).max(1)
    };
    // Columns count UTF-16 units; the line is shown as it is, with tabs kept so carets align.
    let pad: String = line
        .encode_utf16()
        .take(column)
        .map(|u| if u == u16::from(b'\t') { '\t' } else { ' ' })
        .collect();
    writeln!(out, "{gutter} {}", style.paint("34", "|"))?;
    writeln!(
        out,
        "{} {} {}",
        style.paint("34", &number),
        style.paint("34", "|"),
        truncate(line)
    )?;
    writeln!(
        out,
        "{gutter} {} {pad}{}",
        style.paint("34", "|"),
        style.paint("1;33", &"^".repeat(width.min(200)))
    )?;
    Ok(())
}

fn truncate(line: &str) -> &str {
    match line.char_indices().nth(200) {
        Some((at, _)) => &line[..at],
        None => line,
    }
}
