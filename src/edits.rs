//! Edits on the original text. Rewrites never reprint the file: each one replaces a byte range
//! with new text, so every line the conversion did not need to touch stays byte-identical.
//!
//! A replacement may embed ranges of the original (`Piece::Source`): such a range is rendered with
//! the edits that fall inside it, so a rewrite that rebuilds a statement keeps the inner rewrites
//! of other passes (a `user.x` inside an MFA object becomes `event.user.x`).
//!
//! Re-indenting (`Piece::Lines`, `Piece::Indented`) never touches a line that starts inside a
//! literal of the original (a template literal, a string continued with `\`): its leading
//! whitespace is part of the value. The renderer knows which lines those are because it tracks
//! where each copied slice of the original lands in the output.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Source(Range<usize>),
    /// Whole lines of the original, moved to another indentation: rendered with their inner
    /// edits, each line's leading `from` replaced by `to`, and put after a line break; nothing at
    /// all when no code is left in them.
    Lines {
        range: Range<usize>,
        from: String,
        to: String,
        newline: String,
    },
    /// The original `range` where it stands, rendered with its inner edits (insertions at its
    /// start included), every line that starts in it gaining `by`: a block the conversion wraps
    /// in new braces. Blank lines stay blank.
    Indented {
        range: Range<usize>,
        by: String,
    },
}

#[derive(Clone, Debug)]
pub struct Edit {
    pub range: Range<usize>,
    pub pieces: Vec<Piece>,
}

impl Edit {
    fn is_insertion(&self) -> bool {
        self.range.is_empty()
    }

    /// Whether `other` lies inside this edit's range. An insertion at either end lies outside: it
    /// goes before or after the replacement.
    fn contains(&self, other: &Edit) -> bool {
        covers(&self.range, other) && !self.is_insertion()
    }

    /// Whether this edit renders its own range in place from its start, so that the insertions
    /// at its start belong inside it (they are indented with the block).
    fn holds_insertions_at_start(&self) -> bool {
        matches!(self.pieces.first(), Some(Piece::Indented { range, .. }) if range.start == self.range.start)
    }
}

fn covers(range: &Range<usize>, edit: &Edit) -> bool {
    if edit.is_insertion() {
        range.start < edit.range.start && edit.range.start < range.end
            || (range.start == edit.range.start && !range.is_empty())
    } else {
        range.start <= edit.range.start && edit.range.end <= range.end
    }
}

/// Two rewrites claimed overlapping text: a bug in a rewrite, reported as an internal error.
#[derive(Debug, PartialEq, Eq)]
pub struct EditConflict {
    pub first: Range<usize>,
    pub second: Range<usize>,
}

#[derive(Default, Debug)]
pub struct Edits {
    edits: Vec<Edit>,
    /// Offsets of the original where a line starts inside a literal (sorted).
    literal_lines: Vec<usize>,
}

impl Edits {
    /// Edits on a text whose lines starting at `literal_lines` (sorted offsets) lie inside a
    /// literal: re-indenting leaves them alone.
    pub fn keeping_literal_lines(literal_lines: Vec<usize>) -> Edits {
        debug_assert!(literal_lines.is_sorted());
        Edits {
            edits: Vec::new(),
            literal_lines,
        }
    }

    pub fn replace(&mut self, range: Range<usize>, text: impl Into<String>) {
        self.replace_with(range, vec![Piece::Text(text.into())]);
    }

    pub fn replace_with(&mut self, range: Range<usize>, pieces: Vec<Piece>) {
        self.edits.push(Edit { range, pieces });
    }

    pub fn insert(&mut self, at: usize, text: impl Into<String>) {
        self.replace(at..at, text);
    }

    pub fn delete(&mut self, range: Range<usize>) {
        self.replace_with(range, Vec::new());
    }

    /// Indents every line that starts in `range` by `by`, with whatever other rewrites put there.
    pub fn indent(&mut self, range: Range<usize>, by: impl Into<String>) {
        let by = by.into();
        self.replace_with(range.clone(), vec![Piece::Indented { range, by }]);
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Applies every edit to `source`.
    pub fn apply(mut self, source: &str) -> Result<String, EditConflict> {
        // At a shared start: an indented block first (it holds the insertions there), then
        // insertions, then outer ranges before the ranges they contain. The stable sort keeps the
        // order in which rewrites emitted edits at the same place.
        self.edits.sort_by_key(|edit| {
            let rank = if edit.holds_insertions_at_start() {
                0
            } else if edit.is_insertion() {
                1
            } else {
                2
            };
            (edit.range.start, rank, std::cmp::Reverse(edit.range.end))
        });
        let renderer = Renderer {
            source,
            all: &self.edits,
            literal_lines: &self.literal_lines,
        };
        Ok(renderer.render(0..source.len(), &self.edits)?.text)
    }
}

/// Output being built, with the offsets in it where a line inside a literal of the original
/// starts.
#[derive(Default)]
struct Rendered {
    text: String,
    literal_lines: Vec<usize>,
}

impl Rendered {
    fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Copies `range` of the original, noting where its literal lines land. A line starting at
    /// `range.start` was begun by whatever came before; one at `range.end`, by this slice.
    fn push_original(&mut self, source: &str, range: Range<usize>, literal_lines: &[usize]) {
        let first = literal_lines.partition_point(|&at| at <= range.start);
        let last = literal_lines.partition_point(|&at| at <= range.end);
        let shift = self.text.len();
        self.literal_lines
            .extend(literal_lines[first..last].iter().map(|&at| at - range.start + shift));
        self.text.push_str(&source[range]);
    }

    fn push(&mut self, other: Rendered) {
        let shift = self.text.len();
        self.literal_lines
            .extend(other.literal_lines.into_iter().map(|at| at + shift));
        self.text.push_str(&other.text);
    }

    /// Rewrites each line (with its break) through `change`, given the line's offset; lines that
    /// start inside a literal are kept as they are.
    fn map_lines(self, mut change: impl FnMut(usize, &str) -> String) -> Rendered {
        let mut out = Rendered::default();
        let mut offset = 0;
        let is_literal = |offset: usize| self.literal_lines.binary_search(&offset).is_ok();
        for line in self.text.split_inclusive('\n') {
            if is_literal(offset) {
                out.literal_lines.push(out.text.len());
                out.text.push_str(line);
            } else {
                out.text.push_str(&change(offset, line));
            }
            offset += line.len();
        }
        // A literal line may start right after the last break: what follows is its text.
        if is_literal(offset) {
            out.literal_lines.push(out.text.len());
        }
        out
    }
}

struct Renderer<'a> {
    source: &'a str,
    /// Every edit, sorted.
    all: &'a [Edit],
    literal_lines: &'a [usize],
}

impl Renderer<'_> {
    /// Renders `range` with `edits` (sorted, all inside it). A `Source` piece is rendered with
    /// every edit that lies inside its range, wherever the piece is placed, so a moved statement
    /// (a hoisted `require`) keeps the rewrites made inside it.
    fn render(&self, range: Range<usize>, edits: &[Edit]) -> Result<Rendered, EditConflict> {
        let mut out = Rendered::default();
        let mut cursor = range.start;
        let mut index = 0;
        while index < edits.len() {
            let edit = &edits[index];
            let inner_end = index
                + 1
                + edits[index + 1..]
                    .iter()
                    .take_while(|other| edit.contains(other))
                    .count();
            if let Some(next) = edits.get(inner_end) {
                if next.range.start < edit.range.end {
                    return Err(EditConflict {
                        first: edit.range.clone(),
                        second: next.range.clone(),
                    });
                }
            }
            out.push_original(self.source, cursor..edit.range.start, self.literal_lines);
            for piece in &edit.pieces {
                out.push(self.render_piece(piece, edit)?);
            }
            cursor = cursor.max(edit.range.end);
            index = inner_end;
        }
        out.push_original(self.source, cursor..range.end, self.literal_lines);
        Ok(out)
    }

    fn render_piece(&self, piece: &Piece, edit: &Edit) -> Result<Rendered, EditConflict> {
        let mut out = Rendered::default();
        match piece {
            Piece::Text(text) => out.push_text(text),
            Piece::Source(range) => out = self.render_moved(range, edit)?,
            Piece::Lines {
                range,
                from,
                to,
                newline,
            } => {
                let mut lines = self.render_moved(range, edit)?;
                if !lines.text.trim().is_empty() {
                    let kept = lines.text.trim_end_matches(['\n', '\r']).len();
                    lines.text.truncate(kept);
                    lines.literal_lines.retain(|&at| at <= kept);
                    out.push_text(newline);
                    out.push(lines.map_lines(|_, line| match line.strip_prefix(from.as_str()) {
                        Some(rest) => format!("{to}{rest}"),
                        None => line.to_string(),
                    }));
                }
            }
            Piece::Indented { range, by } => {
                let block = self.render_moved(range, edit)?;
                out = block.map_lines(|offset, line| {
                    if offset == 0 || line.trim().is_empty() {
                        line.to_string()
                    } else {
                        format!("{by}{line}")
                    }
                });
            }
        }
        Ok(out)
    }

    /// Renders `range`, which `edit` places somewhere, with the edits that lie inside it.
    fn render_moved(&self, range: &Range<usize>, edit: &Edit) -> Result<Rendered, EditConflict> {
        let nested: Vec<Edit> = self
            .all
            .iter()
            .filter(|other| other.range != edit.range && covers(range, other))
            .cloned()
            .collect();
        self.render(range.clone(), &nested)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_edits_in_order_and_keeps_the_rest() {
        let mut edits = Edits::default();
        edits.replace(4..8, "event.user");
        edits.insert(0, "// note\n");
        edits.delete(12..13);
        assert_eq!(edits.apply("let user; x;y").unwrap(), "// note\nlet event.user; x;");
    }

    #[test]
    fn source_pieces_keep_inner_edits() {
        let source = "f(user.a, user.b)";
        let mut edits = Edits::default();
        edits.replace(2..6, "event.user");
        edits.replace(10..14, "event.user");
        // Swap the two arguments, keeping what other rewrites did inside them.
        edits.replace_with(
            0..source.len(),
            vec![
                Piece::Text("g(".into()),
                Piece::Source(10..16),
                Piece::Text(", ".into()),
                Piece::Source(2..8),
                Piece::Text(")".into()),
            ],
        );
        assert_eq!(edits.apply(source).unwrap(), "g(event.user.b, event.user.a)");
    }

    #[test]
    fn insertion_at_the_start_of_a_replacement_goes_before_it() {
        let mut edits = Edits::default();
        edits.replace(0..3, "xyz");
        edits.insert(0, "> ");
        edits.insert(3, " <");
        assert_eq!(edits.apply("abc").unwrap(), "> xyz <");
    }

    #[test]
    fn a_moved_range_keeps_its_inner_edits() {
        let source = "a; b(x@1);";
        let mut edits = Edits::default();
        edits.replace(5..8, "x");
        edits.delete(2..10);
        edits.replace_with(0..0, vec![Piece::Source(3..10), Piece::Text(" ".into())]);
        assert_eq!(edits.apply(source).unwrap(), "b(x); a;");
    }

    #[test]
    fn moved_lines_are_reindented_and_vanish_when_empty() {
        let source = "a(function () {\n    b();\n    c();\n});\n";
        let lines = |range| Piece::Lines {
            range,
            from: "    ".into(),
            to: "".into(),
            newline: "\n".into(),
        };
        let mut edits = Edits::default();
        edits.replace_with(0..37, vec![Piece::Text("x;".into()), lines(16..33)]);
        edits.delete(25..33);
        assert_eq!(edits.apply(source).unwrap(), "x;\nb();\n");

        let mut edits = Edits::default();
        edits.replace_with(0..37, vec![Piece::Text("x;".into()), lines(16..33)]);
        edits.delete(16..33);
        assert_eq!(edits.apply(source).unwrap(), "x;\n");
    }

    #[test]
    fn an_indented_block_indents_its_lines_and_what_was_inserted_in_them() {
        let source = "f() {\n  a();\n\n  b(x);\n}\n";
        let mut edits = Edits::default();
        edits.indent(5..22, "    ");
        edits.insert(5, "\n  // first");
        edits.replace(18..19, "y\n  // after y");
        edits.insert(22, "  // end\n");
        assert_eq!(
            edits.apply(source).unwrap(),
            "f() {\n      // first\n      a();\n\n      b(y\n      // after y);\n  // end\n}\n"
        );
    }

    #[test]
    fn lines_inside_a_literal_keep_their_whitespace() {
        let source = "{\n  t = `a\n  b\n${c}`;\n  s = 'x \\\n  y';\n}";
        let literal_lines = vec![
            source.find("  b").unwrap(),
            source.find("${c}").unwrap(),
            source.find("  y").unwrap(),
        ];
        let mut edits = Edits::keeping_literal_lines(literal_lines.clone());
        edits.indent(1..source.len() - 1, "  ");
        edits.replace(source.find('c').unwrap()..source.find('c').unwrap() + 1, "d");
        assert_eq!(
            edits.apply(source).unwrap(),
            "{\n    t = `a\n  b\n${d}`;\n    s = 'x \\\n  y';\n}"
        );

        // Moved lines are re-indented around them too.
        let mut edits = Edits::keeping_literal_lines(literal_lines);
        let lines = Piece::Lines {
            range: 2..source.len() - 1,
            from: "  ".into(),
            to: "".into(),
            newline: "\n".into(),
        };
        edits.replace_with(0..source.len(), vec![Piece::Text("x;".into()), lines]);
        assert_eq!(
            edits.apply(source).unwrap(),
            "x;\nt = `a\n  b\n${c}`;\ns = 'x \\\n  y';"
        );
    }

    #[test]
    fn re_indenting_keeps_track_of_literal_lines_at_either_end() {
        let rendered = Rendered {
            text: "  a\n  b\n".into(),
            literal_lines: vec![0, 8],
        };
        let indented = rendered.map_lines(|_, line| format!("> {line}"));
        assert_eq!(indented.text, "  a\n>   b\n");
        assert_eq!(indented.literal_lines, vec![0, 10]);
    }

    #[test]
    fn overlapping_edits_are_a_conflict() {
        let mut edits = Edits::default();
        edits.replace(0..3, "x");
        edits.replace(2..5, "y");
        assert_eq!(
            edits.apply("abcdef").unwrap_err(),
            EditConflict {
                first: 0..3,
                second: 2..5
            }
        );
    }
}
