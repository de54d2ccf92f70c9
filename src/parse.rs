//! Parsing a rule file with swc. A stored rule is usually a bare anonymous function expression,
//! which is not a valid script, so we parse as a script first and fall back to an expression,
//! insisting that nothing but comments follows it (swc's expression parser ignores a tail).

use std::ops::Range;
use swc_common::comments::SingleThreadedComments;
use swc_common::sync::Lrc;
use swc_common::{BytePos, FileName, SourceFile, SourceMap};
use swc_ecma_ast::{EsVersion, Expr, Script};
use swc_ecma_parser::{parse_file_as_expr, parse_file_as_script, EsSyntax, Syntax, TsSyntax};

pub enum ParsedProgram {
    Script(Script),
    /// The whole file is one expression (a bare function expression).
    Expr(Box<Expr>),
}

pub struct ParsedFile {
    pub program: ParsedProgram,
    pub comments: SingleThreadedComments,
    /// swc positions start at this offset; subtract it to get a byte offset into the text.
    pub base: BytePos,
}

impl ParsedFile {
    /// Runs a visitor over the whole program.
    pub fn visit<V: swc_ecma_visit::Visit>(&self, visitor: &mut V) {
        use swc_ecma_visit::VisitWith;
        match &self.program {
            ParsedProgram::Script(script) => script.visit_with(visitor),
            ParsedProgram::Expr(expr) => expr.visit_with(visitor),
        }
    }

    pub fn range(&self, span: swc_common::Span) -> Range<usize> {
        (span.lo.0 - self.base.0) as usize..(span.hi.0 - self.base.0) as usize
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub range: Range<usize>,
}

fn syntax() -> Syntax {
    Syntax::Es(EsSyntax {
        allow_return_outside_function: false,
        ..Default::default()
    })
}

fn source_file(text: &str) -> (Lrc<SourceFile>, BytePos) {
    // One SourceMap per file: a shared one keeps every file alive and positions are 32-bit.
    let map = SourceMap::default();
    let file = map.new_source_file(FileName::Anon.into(), text.to_string());
    let base = file.start_pos;
    (file, base)
}

fn to_syntax_error(error: swc_ecma_parser::error::Error, base: BytePos, len: usize) -> SyntaxError {
    let span = swc_common::Spanned::span(&error);
    let start = (span.lo.0.saturating_sub(base.0) as usize).min(len);
    let end = (span.hi.0.saturating_sub(base.0) as usize).clamp(start, len);
    SyntaxError {
        message: error.kind().msg().to_string(),
        range: start..end,
    }
}

/// Parses `text` as a script, or else as a single function expression.
pub fn parse(text: &str) -> Result<ParsedFile, SyntaxError> {
    let (file, base) = source_file(text);
    let script_error = {
        // The failed attempt would leave its comments behind: give it a store of its own.
        let comments = SingleThreadedComments::default();
        let mut recovered = Vec::new();
        match parse_file_as_script(&file, syntax(), EsVersion::latest(), Some(&comments), &mut recovered) {
            Ok(script) if recovered.is_empty() => {
                return Ok(ParsedFile {
                    program: ParsedProgram::Script(script),
                    comments,
                    base,
                })
            }
            Ok(_) => to_syntax_error(recovered.remove(0), base, text.len()),
            Err(error) => to_syntax_error(error, base, text.len()),
        }
    };

    let comments = SingleThreadedComments::default();
    let mut recovered = Vec::new();
    let expr_error = match parse_file_as_expr(&file, syntax(), EsVersion::latest(), Some(&comments), &mut recovered) {
        Ok(expr) if recovered.is_empty() => {
            let end = (swc_common::Spanned::span(&*expr).hi.0 - base.0) as usize;
            match first_code_after(text, end) {
                None => {
                    return Ok(ParsedFile {
                        program: ParsedProgram::Expr(expr),
                        comments,
                        base,
                    })
                }
                Some(offset) => SyntaxError {
                    message: "unexpected code after the rule function".to_string(),
                    range: offset..offset + 1,
                },
            }
        }
        Ok(_) => to_syntax_error(recovered.remove(0), base, text.len()),
        Err(error) => to_syntax_error(error, base, text.len()),
    };
    // Report the attempt that got further: it is the one that understood the file's shape.
    Err(if expr_error.range.start > script_error.range.start {
        expr_error
    } else {
        script_error
    })
}

/// Checks that `text` is a valid script, without collecting comments: the cheap check made on
/// every converted Action (always a script).
pub fn validate_script(text: &str) -> Result<(), SyntaxError> {
    let (file, base) = source_file(text);
    let mut recovered = Vec::new();
    match parse_file_as_script(&file, syntax(), EsVersion::latest(), None, &mut recovered) {
        Ok(_) if recovered.is_empty() => Ok(()),
        Ok(_) => Err(to_syntax_error(recovered.remove(0), base, text.len())),
        Err(error) => Err(to_syntax_error(error, base, text.len())),
    }
}

/// Whether `text`, which is not JavaScript, parses as TypeScript (as a script or as a single
/// expression): a rule written with type annotations.
pub fn parses_as_typescript(text: &str) -> bool {
    let (file, _) = source_file(text);
    let typescript = Syntax::Typescript(TsSyntax::default());
    let mut recovered = Vec::new();
    let as_script = parse_file_as_script(&file, typescript, EsVersion::latest(), None, &mut recovered);
    if as_script.is_ok() && recovered.is_empty() {
        return true;
    }
    let mut recovered = Vec::new();
    let as_expr = parse_file_as_expr(&file, typescript, EsVersion::latest(), None, &mut recovered);
    matches!(as_expr, Ok(expr) if recovered.is_empty()
        && first_code_after(text, (swc_common::Spanned::span(&*expr).hi.0 - file.start_pos.0) as usize).is_none())
}

/// The offset of the first character after `from` that is neither white space, a `;` nor part of
/// a comment.
pub fn first_code_after(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b';' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                // Any line terminator ends the comment: a file may use lone CRs.
                let end = text[i..].find(['\n', '\r', '\u{2028}', '\u{2029}']);
                i = end.map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            _ if text[i..].starts_with(['\u{feff}', '\u{a0}', '\u{2028}', '\u{2029}']) => {
                i += text[i..].chars().next().map_or(1, char::len_utf8)
            }
            _ => return Some(i),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_function_expression_parses_as_expression() {
        let parsed = parse("// c\nfunction (user, context, callback) { callback(); }\n").unwrap();
        assert!(matches!(parsed.program, ParsedProgram::Expr(_)));
    }

    #[test]
    fn named_function_parses_as_script() {
        let parsed = parse("function rule(user, context, callback) {}").unwrap();
        assert!(matches!(parsed.program, ParsedProgram::Script(_)));
    }

    #[test]
    fn code_after_a_bare_function_is_an_error() {
        let Err(error) = parse("function (u, c, cb) {}\n garbage {{{") else {
            panic!("parsed")
        };
        assert!(error.message.contains("after the rule"), "{error:?}");
        assert_eq!(error.range.start, 24);
    }

    #[test]
    fn a_line_comment_ends_at_any_line_terminator() {
        assert_eq!(first_code_after("// c\rx", 0), Some(5));
        assert_eq!(first_code_after("// c\u{2028}x", 0), Some(7));
        assert_eq!(first_code_after("// c\r", 0), None);
    }

    #[test]
    fn unterminated_string_is_an_error() {
        assert!(parse("function r(u, c, cb) { var s = 'abc\n }").is_err());
    }
}
