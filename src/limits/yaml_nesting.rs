//! The nesting scan of a deploy-cli metadata file (YAML, or JSON, which YAML reads as its flow
//! style), made before the parser sees it. The YAML scanner keeps state for every open level and
//! revisits it at every token, so `x: [[[…]]]` parses in time quadratic in its depth (80 KB took
//! 6.8 s, 200 KB over a minute); with the depth bounded, parsing stays linear.
//!
//! The scan is one pass over the lines. A level is an open flow bracket (`[`, `{`), a block level
//! (a deeper indentation than the enclosing lines') or a compact entry (each `- ` of `- - x`).
//! Brackets count only where a value starts (after `: `, `- `, `[`, `{`, `,`), not inside quoted
//! strings, comments, plain text (`url: http://x/[a]`) or block scalars (`script: |`).

/// Deepest nesting accepted in a metadata file: a deploy-cli `tenant.yaml` nests about ten levels
/// (connections → options → attributes → …), a `rules/<Name>.json` one.
pub const MAX_METADATA_NESTING: usize = 64;

/// The byte offset of the first place where `text` nests deeper than `limit` levels.
pub fn too_deep(text: &str, limit: usize) -> Option<usize> {
    let mut scan = Scan {
        limit,
        ..Scan::default()
    };
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(at) = scan.line(line.as_bytes()) {
            return Some(offset + at);
        }
        offset += line.len();
    }
    None
}

#[derive(Default)]
struct Scan {
    limit: usize,
    /// Indentations of the open block levels, innermost last.
    indents: Vec<usize>,
    /// Block levels of the last line that started outside flow brackets.
    block: usize,
    /// Open flow brackets.
    flow: usize,
    /// The column of the node that holds a block scalar (`key: |`): deeper lines, and blank ones,
    /// are its text.
    scalar_parent: Option<usize>,
}

impl Scan {
    /// Scans one line; the offset in it of a level past the limit.
    ///
    /// Where the scan and the parser could see a line differently, the scan errs on counting
    /// more: a quoted string is taken to end with its line, so the later lines of a multi-line
    /// string are scanned as structure; what the scan skips (a comment, a string, a block
    /// scalar's text) the parser reads as text too.
    fn line(&mut self, line: &[u8]) -> Option<usize> {
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let blank = line[indent..].iter().all(u8::is_ascii_whitespace);
        if let Some(parent) = self.scalar_parent {
            if blank || indent > parent {
                return None;
            }
            self.scalar_parent = None;
        }
        let in_block = self.flow == 0;
        let mut content = 0;
        if in_block {
            if blank || line[indent] == b'#' {
                return None;
            }
            while self.indents.last().is_some_and(|&top| top > indent) {
                self.indents.pop();
            }
            if self.indents.last() != Some(&indent) {
                self.indents.push(indent);
            }
            let (entries, after) = compact_entries(line, indent);
            self.block = self.indents.len() + entries;
            if self.block > self.limit {
                return Some(indent);
            }
            content = after;
        }
        let end = match self.flow_and_strings(line, content) {
            Ok(end) => end,
            Err(too_deep) => return Some(too_deep),
        };
        if in_block && self.flow == 0 && opens_block_scalar(&line[content..end]) {
            // The text of `key: |` is indented past the key (`- key: |` too); that of `- |`
            // past the `-`, so this takes a little of it for structure, never the reverse.
            self.scalar_parent = Some(content);
        }
        None
    }

    /// Follows brackets and strings from `at`; returns where the line's content ends (before a
    /// comment), or the offset of a bracket past the limit as an error.
    fn flow_and_strings(&mut self, line: &[u8], mut at: usize) -> Result<usize, usize> {
        // Whether a value may start here: a quote here opens a string, a bracket a flow level.
        let mut value_starts = true;
        // Inside a tag or an anchor (`!!str`, `&a`): the value starts after it.
        let mut in_property = false;
        while at < line.len() {
            let byte = line[at];
            match byte {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    if std::mem::take(&mut in_property) {
                        value_starts = true;
                    }
                }
                b'#' if at == 0 || line[at - 1].is_ascii_whitespace() => return Ok(at),
                b'\'' | b'"' if value_starts => {
                    at = close_string(line, at + 1, byte).unwrap_or(line.len());
                    value_starts = false;
                    continue;
                }
                b'!' | b'&' if value_starts => {
                    in_property = true;
                    value_starts = false;
                }
                // Inside brackets, `[` and `{` always open a level, as for the parser.
                b'[' | b'{' if value_starts || self.flow > 0 => {
                    self.flow += 1;
                    value_starts = true;
                    if self.block + self.flow > self.limit {
                        return Err(at);
                    }
                }
                b']' | b'}' if self.flow > 0 => {
                    self.flow -= 1;
                    value_starts = false;
                }
                b',' if self.flow > 0 => value_starts = true,
                // `key: value`; inside brackets also `"key":value`, as JSON writes it.
                b':' if self.flow > 0 || line.get(at + 1).is_none_or(u8::is_ascii_whitespace) => value_starts = true,
                _ => value_starts = false,
            }
            at += 1;
        }
        Ok(line.len())
    }
}

/// Counts the `- ` (and `? `) indicators that start the content at `indent`: `- - x` opens two
/// levels. Returns the count and where the content after them starts.
fn compact_entries(line: &[u8], indent: usize) -> (usize, usize) {
    let mut at = indent;
    let mut entries = 0;
    while matches!(line.get(at), Some(b'-' | b'?')) && line.get(at + 1).is_none_or(u8::is_ascii_whitespace) {
        entries += 1;
        at += 1;
        while line.get(at) == Some(&b' ') {
            at += 1;
        }
    }
    (entries, at)
}

/// The offset just past the closing `quote` of a string whose text starts at `at`, if it closes
/// on this line (`\"` escapes in double quotes, `''` in single ones).
fn close_string(line: &[u8], mut at: usize, quote: u8) -> Option<usize> {
    while at < line.len() {
        match line[at] {
            b'\\' if quote == b'"' => at += 2,
            b'\'' if quote == b'\'' && line.get(at + 1) == Some(&b'\'') => at += 2,
            byte if byte == quote => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// Whether a line's content (without its comment) ends with a block scalar indicator that starts
/// its value: `key: |`, `- >-`, `key: !!str |2`.
fn opens_block_scalar(content: &[u8]) -> bool {
    let text = String::from_utf8_lossy(content);
    let mut tokens = text.split_whitespace().rev();
    let Some(last) = tokens.next() else {
        return false;
    };
    let indicator = last.starts_with(['|', '>']) && last[1..].bytes().all(|b| matches!(b, b'+' | b'-' | b'0'..=b'9'));
    // Before it, the key's colon or, when the value is tagged or anchored, the tag or anchor.
    let starts_value = tokens
        .next()
        .is_none_or(|before| before.ends_with(':') || before.starts_with(['!', '&']) || before == "-" || before == "?");
    indicator && starts_value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_of(text: &str) -> usize {
        (0..200).find(|&limit| too_deep(text, limit).is_none()).unwrap()
    }

    #[test]
    fn a_tenant_export_is_shallow() {
        let tenant = "rules:\n  - name: a\n    script: ./rules/a.js\n    enabled: true\n    order: 1\n\
            triggers:\n  post-login:\n    - action_name: x\n      display_name: x\n\
            connections:\n  - name: db\n    options:\n      passwordPolicy: good\n      attributes: {email: {identifier: {active: true}}}\n";
        assert_eq!(depth_of(tenant), 7);
        assert_eq!(depth_of("{\"enabled\": true, \"order\": [1, {\"a\": [2]}]}"), 5);
    }

    #[test]
    fn deep_brackets_are_refused_where_they_pass_the_limit() {
        let hostile = format!("x: {}1{}", "[".repeat(40_000), "]".repeat(40_000));
        // "x: " is one block level; the 64th bracket makes the 65th level.
        assert_eq!(too_deep(&hostile, 64), Some(3 + 63));
        let json = format!("{{\"a\":{}1{}}}", "[".repeat(1000), "]".repeat(1000));
        assert_eq!(too_deep(&json, 64), Some(5 + 62));
        let spread = "x:\n".to_string() + &" [\n".repeat(100);
        assert!(too_deep(&spread, 64).is_some());
    }

    #[test]
    fn deep_blocks_and_compact_entries_are_refused() {
        let indented: String = (0..100)
            .map(|level| format!("{}k{level}:\n", " ".repeat(level)))
            .collect();
        assert!(too_deep(&indented, 64).is_some());
        assert_eq!(depth_of(&indented), 100);
        let compact = format!("{}x\n", "- ".repeat(100));
        assert_eq!(depth_of(&compact), 101);
    }

    #[test]
    fn brackets_in_text_do_not_count() {
        assert_eq!(depth_of("a: '[[[[' # {{{{\nb: \"[[\\\"[[\"\n"), 1);
        assert_eq!(depth_of("url: http://x/[a]/{b}\n"), 1);
        assert_eq!(
            depth_of("script: |\n  function () { if (a) { [[[ ]]] } }\n    [[[[\nnext: 1\n"),
            1
        );
        assert_eq!(depth_of("a: 'it''s [[[ '\n"), 1);
        // The later lines of a multi-line string are scanned as structure: more, never fewer.
        assert_eq!(depth_of("b: \"open\n  [[[[ still text\"\n"), 6);
        // After the block scalar, brackets count again.
        assert_eq!(depth_of("s: >-\n  [[[[\nt: [[1]]\n"), 3);
    }

    #[test]
    fn nothing_the_parser_reads_as_structure_is_skipped() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let cases = [
            format!("x: !!seq {deep}\n"),
            format!("x: &anchor {deep}\n"),
            // A quote inside plain text opens no string.
            format!("x: [a'b, {deep}]\n"),
            format!("a: text\n  'continued\nx: {deep}\n"),
            // The empty block scalar of `key` ends where the mapping goes on.
            format!("- key: |\n  other: {deep}\n"),
        ];
        for text in cases {
            assert!(too_deep(&text, 64).is_some(), "not refused: {text:.40}");
        }
    }
}
