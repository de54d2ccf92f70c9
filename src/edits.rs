//! Edits on the original text. Rewrites never reprint the file: each one replaces a byte range
//! with new text, so every line the conversion did not need to touch stays byte-identical.
//!
//! A replacement may embed ranges of the original (`Piece::Source`): such a range is rendered with
//! the edits that fall inside it, so a rewrite that rebuilds a statement keeps the inner rewrites
//! of other passes (a `user.x` inside an MFA object becomes `event.user.x`).

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
}

impl Edits {
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

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Applies every edit to `source`.
    pub fn apply(mut self, source: &str) -> Result<String, EditConflict> {
        // Insertions first at a shared start, then outer ranges before the ranges they contain;
        // the stable sort keeps the order in which rewrites emitted edits at the same place.
        self.edits.sort_by_key(|edit| {
            (
                edit.range.start,
                !edit.is_insertion(),
                std::cmp::Reverse(edit.range.end),
            )
        });
        render(source, 0..source.len(), &self.edits)
    }
}

fn render(source: &str, range: Range<usize>, edits: &[Edit]) -> Result<String, EditConflict> {
    render_within(source, range, edits, edits)
}

/// Renders `range` with `edits` (sorted, all inside it). A `Source` piece is rendered with every
/// edit of `all` that lies inside its range, wherever the piece is placed, so a moved statement
/// (a hoisted `require`) keeps the rewrites made inside it.
fn render_within(source: &str, range: Range<usize>, edits: &[Edit], all: &[Edit]) -> Result<String, EditConflict> {
    let mut out = String::with_capacity(range.len());
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
        out.push_str(&source[cursor..edit.range.start]);
        for piece in &edit.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Source(source_range) => out.push_str(&render_moved(source, source_range, edit, all)?),
                Piece::Lines {
                    range,
                    from,
                    to,
                    newline,
                } => {
                    let lines = render_moved(source, range, edit, all)?;
                    if !lines.trim().is_empty() {
                        out.push_str(newline);
                        out.push_str(&reindent(lines.trim_end_matches(['\n', '\r']), from, to));
                    }
                }
            }
        }
        cursor = cursor.max(edit.range.end);
        index = inner_end;
    }
    out.push_str(&source[cursor..range.end]);
    Ok(out)
}

/// Renders `range`, which `edit` places somewhere, with the edits of `all` that lie inside it.
fn render_moved(source: &str, range: &Range<usize>, edit: &Edit, all: &[Edit]) -> Result<String, EditConflict> {
    let nested: Vec<Edit> = all
        .iter()
        .filter(|other| other.range != edit.range && covers(range, other))
        .cloned()
        .collect();
    render_within(source, range.clone(), &nested, all)
}

fn reindent(lines: &str, from: &str, to: &str) -> String {
    lines
        .split_inclusive('\n')
        .map(|line| match line.strip_prefix(from) {
            Some(rest) => format!("{to}{rest}"),
            None => line.to_string(),
        })
        .collect()
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
