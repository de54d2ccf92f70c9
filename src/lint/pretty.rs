//! A pretty-printed JSON document written piece by piece, so that `check` can stream its findings
//! instead of holding the whole document. The layout is exactly `serde_json::to_writer_pretty`'s:
//! two spaces per level, `"key": value`, a line per element, `[]` and `{}` when empty.
//!
//! Each value inside the frame goes through a `serde_json::Value`, whose keys are sorted: the
//! objects `check` printed before it streamed had sorted keys, and they keep them.

use serde::Serialize;
use std::io::{self, Write};

/// An array opened at `depth` levels of nesting, its elements written one at a time.
pub struct Array {
    depth: usize,
    empty: bool,
}

/// An object opened at `depth` levels of nesting, its entries written one at a time.
pub struct Object {
    depth: usize,
    empty: bool,
}

impl Array {
    pub fn open(out: &mut dyn Write, depth: usize) -> io::Result<Array> {
        out.write_all(b"[")?;
        Ok(Array { depth, empty: true })
    }

    /// Starts the next element; the caller writes it, at `depth + 1`.
    pub fn next(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(if self.empty { b"\n" } else { b",\n" })?;
        self.empty = false;
        indent(out, self.depth + 1)
    }

    pub fn push(&mut self, out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
        self.next(out)?;
        write_value(out, self.depth + 1, value)
    }

    pub fn close(self, out: &mut dyn Write) -> io::Result<()> {
        close(out, self.depth, self.empty, b"]")
    }
}

impl Object {
    pub fn open(out: &mut dyn Write, depth: usize) -> io::Result<Object> {
        out.write_all(b"{")?;
        Ok(Object { depth, empty: true })
    }

    /// Starts the entry `name`; the caller writes its value, at `depth + 1`.
    pub fn key(&mut self, out: &mut dyn Write, name: &str) -> io::Result<()> {
        out.write_all(if self.empty { b"\n" } else { b",\n" })?;
        self.empty = false;
        indent(out, self.depth + 1)?;
        serde_json::to_writer(&mut *out, name)?;
        out.write_all(b": ")
    }

    pub fn entry(&mut self, out: &mut dyn Write, name: &str, value: &impl Serialize) -> io::Result<()> {
        self.key(out, name)?;
        write_value(out, self.depth + 1, value)
    }

    pub fn close(self, out: &mut dyn Write) -> io::Result<()> {
        close(out, self.depth, self.empty, b"}")
    }
}

fn close(out: &mut dyn Write, depth: usize, empty: bool, bracket: &[u8]) -> io::Result<()> {
    if !empty {
        out.write_all(b"\n")?;
        indent(out, depth)?;
    }
    out.write_all(bracket)
}

fn indent(out: &mut dyn Write, depth: usize) -> io::Result<()> {
    (0..depth).try_for_each(|_| out.write_all(b"  "))
}

/// `value` as serde_json pretty-prints it, every line after the first indented to `depth`.
pub fn write_value(out: &mut dyn Write, depth: usize, value: &impl Serialize) -> io::Result<()> {
    let value = serde_json::to_value(value)?;
    serde_json::to_writer_pretty(Indented { out, depth }, &value)?;
    Ok(())
}

/// Indents every line after the first. JSON escapes the line breaks inside strings, so every
/// `\n` the printer writes is layout.
struct Indented<'a> {
    out: &'a mut dyn Write,
    depth: usize,
}

impl Write for Indented<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut lines = bytes.split(|&b| b == b'\n');
        if let Some(first) = lines.next() {
            self.out.write_all(first)?;
        }
        for line in lines {
            self.out.write_all(b"\n")?;
            indent(self.out, self.depth)?;
            self.out.write_all(line)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_streamed_document_has_the_bytes_of_a_whole_one() {
        // Keys in sorted order, as a `Value` prints them.
        let finding = json!({ "path": "a.js", "start": { "column": 2, "line": 1 }, "tags": [], "text": "a\nb" });
        let tool = json!({ "name": "x" });
        let whole = json!({
            "empty": [],
            "findings": [finding, finding],
            "nothing": {},
            "runs": [{ "results": [finding], "tool": tool }],
            "version": 1,
        });

        let mut bytes = Vec::new();
        let out: &mut dyn Write = &mut bytes;
        let mut document = Object::open(out, 0).unwrap();
        document.key(out, "empty").unwrap();
        Array::open(out, 1).unwrap().close(out).unwrap();
        document.key(out, "findings").unwrap();
        let mut findings = Array::open(out, 1).unwrap();
        findings.push(out, &finding).unwrap();
        findings.push(out, &finding).unwrap();
        findings.close(out).unwrap();
        document.entry(out, "nothing", &json!({})).unwrap();
        document.key(out, "runs").unwrap();
        let mut runs = Array::open(out, 1).unwrap();
        runs.next(out).unwrap();
        let mut run = Object::open(out, 2).unwrap();
        run.key(out, "results").unwrap();
        let mut results = Array::open(out, 3).unwrap();
        results.push(out, &finding).unwrap();
        results.close(out).unwrap();
        run.entry(out, "tool", &tool).unwrap();
        run.close(out).unwrap();
        runs.close(out).unwrap();
        document.entry(out, "version", &1).unwrap();
        document.close(out).unwrap();

        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            serde_json::to_string_pretty(&whole).unwrap()
        );
    }
}
