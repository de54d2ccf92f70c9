//! The text of one input file: line/column lookup and the file's own line ending, so that
//! inserted lines match what the author wrote (CRLF files stay CRLF).

/// A 1-based line and a 1-based column counted in UTF-16 code units, as editors and SARIF show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

pub struct SourceText<'a> {
    text: &'a str,
    /// Byte offset of the first character of every line.
    line_starts: Vec<usize>,
}

impl<'a> SourceText<'a> {
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        // `\r\n` ends a line at its `\n`; a `\r` alone (old Mac files) ends one too.
        for end in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[end] == b'\n' || bytes.get(end + 1) != Some(&b'\n') {
                line_starts.push(end + 1);
            }
        }
        SourceText { text, line_starts }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line];
        let column = self
            .text
            .get(line_start..offset)
            .map(|prefix| prefix.encode_utf16().count())
            .unwrap_or(offset - line_start);
        Position {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// Byte offset where the line holding `offset` begins.
    pub fn line_start(&self, offset: usize) -> usize {
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        self.line_starts[line]
    }

    /// The text of the line holding `offset`, without its line ending.
    pub fn line_text(&self, offset: usize) -> &'a str {
        let start = self.line_start(offset);
        let rest = &self.text[start..];
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        &rest[..end]
    }
}

/// The line ending a file mostly uses: inserted lines follow it.
pub fn line_ending(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else if text.contains('\r') && !text.contains('\n') {
        "\r"
    } else {
        "\n"
    }
}

/// The leading blanks of a line.
pub fn indentation(line: &str) -> &str {
    let end = line.find(|c: char| c != ' ' && c != '\t').unwrap_or(line.len());
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_utf16_columns() {
        let src = SourceText::new("ab\r\nc€d\re");
        assert_eq!(src.position(0), Position { line: 1, column: 1 });
        assert_eq!(src.position(4), Position { line: 2, column: 1 });
        // '€' is 3 bytes but one UTF-16 unit.
        assert_eq!(src.position(8), Position { line: 2, column: 3 });
        assert_eq!(src.position(10), Position { line: 3, column: 1 });
        assert_eq!(src.line_text(5), "c€d");
    }

    #[test]
    fn line_ending_follows_the_file() {
        assert_eq!(line_ending("a\r\nb\r\n"), "\r\n");
        assert_eq!(line_ending("a\nb"), "\n");
        assert_eq!(line_ending("a\rb"), "\r");
    }
}
