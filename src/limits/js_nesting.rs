//! The nesting scan of a rule, made before parsing, so that hostile input is refused with a
//! position instead of exhausting the parser's stack.
//!
//! swc recurses once per level of the syntax tree while parsing, visiting, printing and dropping
//! it, and a stack overflow aborts the whole process (it cannot be caught). Brackets are not the
//! only thing that makes the tree deep: `a+a+…` is a left-leaning chain of binary expressions,
//! `a.b.c…` and `f()()…` chains of member and call expressions, `if … else if …` a chain of nested
//! statements, `()=>()=>…`, `!!!…`, `a?b:c?…`, `a=b=…` and `l1: l2: …` nest too. The scan below
//! estimates the depth of the tree from the tokens, in one linear pass without parsing, and counts
//! each of those links as one level, on top of the brackets that enclose it.
//!
//! The estimate errs on the deep side (`a.b + c.d` counts three links where the tree has two
//! levels), so `max_nesting` is a budget, not an exact tree depth; real rules stay far below the
//! default of 400.

/// What made the code nest too deep, for the diagnostic's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Construct {
    /// Parentheses, brackets, braces or template substitutions.
    Brackets,
    /// An `if … else if …` chain.
    ElseIf,
    /// Binary, assignment, ternary or prefix operators (`a+a+…`, `a=b=…`, `!!!…`).
    Operators,
    /// Member accesses and calls (`a.b.c…`, `f()()…`, `a[0][0]…`, tagged templates).
    MemberChain,
    /// Arrow functions nested without brackets (`()=>()=>…`).
    Arrows,
    /// Statements nested without braces (`if (a) if (b) …`, `while (a) …`, labels).
    Statements,
}

const ALL_CONSTRUCTS: [Construct; CONSTRUCTS] = [
    Construct::Brackets,
    Construct::ElseIf,
    Construct::Operators,
    Construct::MemberChain,
    Construct::Arrows,
    Construct::Statements,
];

impl Construct {
    /// A short description: "the code nests deeper than N levels (…)".
    pub fn describe(self) -> &'static str {
        match self {
            Construct::Brackets => "brackets",
            Construct::ElseIf => "an `else if` chain",
            Construct::Operators => "a chain of operators",
            Construct::MemberChain => "a chain of member accesses or calls",
            Construct::Arrows => "nested arrow functions",
            Construct::Statements => "statements nested without braces",
        }
    }
}

/// Where a file went past the nesting limit, and through what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDeep {
    /// Byte offset of the token that went past the limit.
    pub offset: usize,
    pub construct: Construct,
}

/// The offset of the first token that nests deeper than `limit`, skipping strings and comments.
pub fn too_deep(text: &str, limit: usize) -> Option<usize> {
    nesting(text, limit).map(|deep| deep.offset)
}

/// Scans `text` and reports the first token past `limit` levels of estimated syntax-tree depth.
///
/// The depth is the number of open brackets (`(`, `[`, `{`, `${`) plus, for each of them and for
/// the top level, the links of the expression or statement chain currently open inside it. A
/// chain ends at `,`, `;`, `case`/`default`, and where a new statement visibly starts (a value
/// followed by an identifier, as automatic semicolon insertion does); `else` continues a chain.
///
/// `limit` is capped at [`NESTING_CEILING`], whatever the caller asks for.
pub fn nesting(text: &str, limit: usize) -> Option<TooDeep> {
    Scanner::new(text.as_bytes(), limit.min(NESTING_CEILING)).run()
}

/// The deepest nesting ever accepted, whatever `--max-nesting` says: with the 256 MiB stack of
/// `with_large_stack`, swc overflows at about 100,000 nested parentheses, functions or arrow
/// functions (measured: 60,000 pass), and some rewrites take time quadratic in the length of a
/// member chain. A stack overflow aborts the process, so the flag cannot be allowed past this.
pub const NESTING_CEILING: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prev {
    /// Nothing yet, an operator, an opening bracket or a keyword: an expression may start here
    /// (so `/` starts a regular expression, and `(` is not a call).
    Start,
    /// A value ended here (identifier, literal, closing bracket): `/` divides, `(` calls, and an
    /// identifier starts a new statement.
    Value,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Root,
    Paren,
    Bracket,
    Brace,
    /// `${` inside a template literal: its `}` resumes the template's text.
    Substitution,
}

struct Frame {
    kind: Kind,
    /// The parentheses after `if`, `while`, `for`, `with`, `switch` or `catch`: what follows them
    /// is the statement's body, not a new statement.
    header: bool,
    /// Links of the chain open at this level, by construct.
    links: [usize; CONSTRUCTS],
}

const CONSTRUCTS: usize = 6;

struct Scanner<'a> {
    bytes: &'a [u8],
    limit: usize,
    i: usize,
    frames: Vec<Frame>,
    /// Open brackets plus every frame's links.
    depth: usize,
    /// The same, by construct: the largest is what a refusal is blamed on.
    by_construct: [usize; CONSTRUCTS],
    prev: Prev,
    /// The previous token was `else` (so `else if` counts once).
    after_else: bool,
    /// The previous token was `;`: the statement chain ends unless `else` follows.
    statement_ended: bool,
    /// The next `(` opens a statement's header.
    header_next: bool,
}

/// Whether `word` is a keyword after which an expression (not an operator) comes. Dispatched on
/// the first byte: the scan meets every identifier of the file, and most are not keywords.
fn is_keyword_before_expression(word: &[u8]) -> bool {
    let candidates: &[&[u8]] = match word.first() {
        Some(b'a') => &[b"await"],
        Some(b'c') => &[b"case", b"catch", b"class", b"const"],
        Some(b'd') => &[b"default", b"do", b"delete"],
        Some(b'e') => &[b"else", b"extends", b"export"],
        Some(b'f') => &[b"for", b"finally", b"function"],
        Some(b'i') => &[b"in", b"instanceof", b"if", b"import"],
        Some(b'l') => &[b"let"],
        Some(b'n') => &[b"new"],
        Some(b'o') => &[b"of"],
        Some(b'r') => &[b"return"],
        Some(b's') => &[b"switch"],
        Some(b't') => &[b"throw", b"typeof", b"try"],
        Some(b'v') => &[b"void", b"var"],
        Some(b'w') => &[b"while", b"with"],
        Some(b'y') => &[b"yield"],
        _ => &[],
    };
    candidates.contains(&word)
}

/// Length of the punctuator `rest` starts with (the longest one), or 1 for a single byte.
fn punctuator_len(rest: &[u8]) -> usize {
    let byte = |i: usize| rest.get(i).copied().unwrap_or(0);
    let then_equals = |len: usize| if byte(len) == b'=' { len + 1 } else { len };
    match (byte(0), byte(1)) {
        (b'>', b'>') if byte(2) == b'>' => then_equals(3),
        (b'>', b'>') | (b'<', b'<') | (b'*', b'*') => then_equals(2),
        (b'&', b'&') | (b'|', b'|') | (b'?', b'?') => then_equals(2),
        (b'=' | b'!', b'=') => then_equals(2),
        (b'.', b'.') if byte(2) == b'.' => 3,
        (b'=', b'>') | (b'<' | b'>', b'=') | (b'?', b'.') | (b'+', b'+') | (b'-', b'-') => 2,
        (b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^', b'=') => 2,
        _ => 1,
    }
}

/// Bytes that may continue an identifier (or a masked placeholder), as a table: the scan looks up
/// every byte of every name.
const IDENTIFIER_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'$' | b'\\' | b'@' | b'#') || byte >= 0x80;
        b += 1;
    }
    table
};

fn is_identifier_byte(b: u8) -> bool {
    IDENTIFIER_BYTES[b as usize]
}

fn is_line_break(bytes: &[u8], i: usize) -> bool {
    match bytes[i] {
        b'\n' | b'\r' => true,
        // U+2028 and U+2029 end lines in JavaScript.
        0xe2 => bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)),
        _ => false,
    }
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8], limit: usize) -> Self {
        Scanner {
            bytes,
            limit,
            i: 0,
            frames: vec![Frame {
                kind: Kind::Root,
                header: false,
                links: [0; CONSTRUCTS],
            }],
            depth: 0,
            by_construct: [0; CONSTRUCTS],
            prev: Prev::Start,
            after_else: false,
            statement_ended: false,
            header_next: false,
        }
    }

    fn top(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("the root frame is never popped")
    }

    /// One more link in the chain open at this level.
    fn link(&mut self, at: usize, construct: Construct) -> Option<TooDeep> {
        self.top().links[construct as usize] += 1;
        self.by_construct[construct as usize] += 1;
        self.depth += 1;
        self.check(at)
    }

    /// The chain open at this level ends.
    fn end_chain(&mut self) {
        let links = std::mem::take(&mut self.top().links);
        self.forget(&links);
    }

    /// The expression open at this level ends; the statements around it (`if`, `else`, …) go on.
    fn end_expression(&mut self) {
        let top = self.top();
        let mut links = [0; CONSTRUCTS];
        for construct in [Construct::Operators, Construct::MemberChain, Construct::Arrows] {
            links[construct as usize] = std::mem::take(&mut top.links[construct as usize]);
        }
        self.forget(&links);
    }

    fn word_at(&self, at: usize, word: &[u8]) -> bool {
        self.bytes[at..].starts_with(word) && !self.bytes.get(at + word.len()).is_some_and(|&b| is_identifier_byte(b))
    }

    fn forget(&mut self, links: &[usize; CONSTRUCTS]) {
        for (total, links) in self.by_construct.iter_mut().zip(links) {
            *total -= links;
            self.depth -= links;
        }
    }

    fn check(&self, at: usize) -> Option<TooDeep> {
        if self.depth <= self.limit {
            return None;
        }
        let brackets = self.frames.len() - 1;
        let (most, count) = self
            .by_construct
            .iter()
            .enumerate()
            .max_by_key(|&(index, count)| (*count, std::cmp::Reverse(index)))
            .expect("constructs");
        let construct = if *count > brackets {
            ALL_CONSTRUCTS[most]
        } else {
            Construct::Brackets
        };
        Some(TooDeep { offset: at, construct })
    }

    fn open(&mut self, at: usize, kind: Kind) -> Option<TooDeep> {
        let header = kind == Kind::Paren && std::mem::take(&mut self.header_next);
        self.frames.push(Frame {
            kind,
            header,
            links: [0; CONSTRUCTS],
        });
        self.depth += 1;
        self.prev = Prev::Start;
        self.check(at)
    }

    /// Closes the innermost bracket; returns its kind (Root when nothing was open).
    fn close(&mut self) -> Kind {
        if self.frames.len() == 1 {
            // An unbalanced closing bracket: the parser will report it.
            self.end_chain();
            self.prev = Prev::Value;
            return Kind::Root;
        }
        let frame = self.frames.pop().expect("more than the root frame");
        self.depth -= 1;
        self.forget(&frame.links);
        self.prev = if frame.header { Prev::Start } else { Prev::Value };
        frame.kind
    }

    fn run(mut self) -> Option<TooDeep> {
        let bytes = self.bytes;
        // A hashbang line is a comment.
        if bytes.starts_with(b"#!") {
            self.skip_line();
        }
        while self.i < bytes.len() {
            let at = self.i;
            let b = bytes[at];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                    self.i += 1;
                    continue;
                }
                b'/' if bytes.get(at + 1) == Some(&b'/') => {
                    self.skip_line();
                    continue;
                }
                b'/' if bytes.get(at + 1) == Some(&b'*') => {
                    self.i = find(bytes, at + 2, b"*/").map_or(bytes.len(), |end| end + 2);
                    continue;
                }
                _ => {}
            }
            let after_else = std::mem::take(&mut self.after_else);
            if std::mem::take(&mut self.statement_ended) && !self.word_at(at, b"else") {
                // `if (a) x; else …` goes on; anything else after a `;` is a new statement.
                self.end_chain();
            }
            match b {
                b'\'' | b'"' => {
                    self.statement_may_start();
                    self.skip_string(b);
                    self.prev = Prev::Value;
                }
                b'`' => {
                    if self.prev == Prev::Value {
                        // A tagged template: one more link of a call chain.
                        if let Some(deep) = self.link(at, Construct::MemberChain) {
                            return Some(deep);
                        }
                    }
                    self.i += 1;
                    if let Some(deep) = self.template_text() {
                        return Some(deep);
                    }
                }
                b'(' | b'[' => {
                    if self.prev == Prev::Value {
                        // A call or an index: one more link of a member chain.
                        if let Some(deep) = self.link(at, Construct::MemberChain) {
                            return Some(deep);
                        }
                    }
                    self.i += 1;
                    let kind = if b == b'(' { Kind::Paren } else { Kind::Bracket };
                    if let Some(deep) = self.open(at, kind) {
                        return Some(deep);
                    }
                }
                b'{' => {
                    self.i += 1;
                    if let Some(deep) = self.open(at, Kind::Brace) {
                        return Some(deep);
                    }
                }
                b')' | b']' | b'}' => {
                    self.i += 1;
                    if self.close() == Kind::Substitution {
                        if let Some(deep) = self.template_text() {
                            return Some(deep);
                        }
                    }
                }
                b',' | b';' => {
                    self.i += 1;
                    // An expression ends here; the statement it belongs to may go on with `else`.
                    self.end_expression();
                    self.statement_ended = b == b';';
                    self.prev = Prev::Start;
                }
                b'.' if bytes.get(at + 1).is_some_and(u8::is_ascii_digit) => {
                    self.statement_may_start();
                    self.skip_number();
                }
                b'0'..=b'9' => {
                    self.statement_may_start();
                    self.skip_number();
                }
                b'/' if self.prev == Prev::Start => {
                    self.statement_may_start();
                    self.skip_regex();
                    self.prev = Prev::Value;
                }
                _ if is_identifier_byte(b) => {
                    let end = self.identifier_end(at);
                    self.i = end;
                    if let Some(deep) = self.word(at, &bytes[at..end], after_else) {
                        return Some(deep);
                    }
                }
                _ => {
                    if let Some(deep) = self.punctuator(at) {
                        return Some(deep);
                    }
                }
            }
        }
        None
    }

    /// A value followed by the start of another value: a new statement began (automatic
    /// semicolon insertion), so the chain open at this level ends.
    fn statement_may_start(&mut self) {
        if self.prev == Prev::Value {
            self.end_chain();
        }
    }

    fn word(&mut self, at: usize, word: &[u8], after_else: bool) -> Option<TooDeep> {
        if !is_keyword_before_expression(word) {
            // A name: a value, which may start a new statement.
            self.statement_may_start();
            self.prev = Prev::Value;
            self.header_next = false;
            return None;
        }
        if !matches!(word, b"else" | b"in" | b"of" | b"instanceof" | b"catch" | b"finally") {
            self.statement_may_start();
        }
        self.prev = Prev::Start;
        self.header_next = matches!(word, b"if" | b"while" | b"for" | b"with" | b"switch" | b"catch");
        match word {
            b"case" | b"default" => {
                self.end_chain();
                None
            }
            b"else" => {
                self.after_else = true;
                self.link(at, Construct::ElseIf)
            }
            b"if" if after_else => None,
            b"if" | b"while" | b"for" | b"with" | b"do" => self.link(at, Construct::Statements),
            b"in" | b"instanceof" => self.link(at, Construct::Operators),
            b"typeof" | b"void" | b"delete" | b"await" | b"new" | b"yield" => self.link(at, Construct::Operators),
            _ => None,
        }
    }

    fn punctuator(&mut self, at: usize) -> Option<TooDeep> {
        let rest = &self.bytes[at..];
        let token = &rest[..punctuator_len(rest)];
        // `?.` followed by a digit is a conditional: `a?.5:1`.
        let token = if token == b"?." && rest.get(2).is_some_and(u8::is_ascii_digit) {
            &rest[..1]
        } else {
            token
        };
        self.i += token.len();
        let was_value = self.prev == Prev::Value;
        match token {
            b"++" | b"--" if was_value => None,
            b"." | b"?." => {
                self.prev = Prev::Start;
                self.link(at, Construct::MemberChain)
            }
            b"=>" => {
                self.prev = Prev::Start;
                self.link(at, Construct::Arrows)
            }
            b":" => {
                // A conditional's else part, an object key or a label: each nests what follows
                // until the next `,` or `;`.
                self.prev = Prev::Start;
                self.link(at, Construct::Operators)
            }
            _ if token[0].is_ascii_punctuation() => {
                self.prev = Prev::Start;
                self.link(at, Construct::Operators)
            }
            // Any other byte (a control character, stray text): not a token we count.
            _ => None,
        }
    }

    fn identifier_end(&self, from: usize) -> usize {
        let mut end = from;
        while end < self.bytes.len() && is_identifier_byte(self.bytes[end]) {
            // U+2028/U+2029 are line terminators, not identifier characters.
            if self.bytes[end] >= 0x80 && is_line_break(self.bytes, end) {
                break;
            }
            end += 1;
        }
        end.max(from + 1)
    }

    fn skip_line(&mut self) {
        // A line ends at `\n`, `\r`, or U+2028/U+2029 (which start with the byte 0xe2).
        while let Some(found) = memchr::memchr3(b'\n', b'\r', 0xe2, &self.bytes[self.i..]) {
            self.i += found;
            if is_line_break(self.bytes, self.i) {
                return;
            }
            self.i += 1;
        }
        self.i = self.bytes.len();
    }

    fn skip_string(&mut self, quote: u8) {
        self.i += 1;
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                b'\\' => self.i += 2,
                c if c == quote => {
                    self.i += 1;
                    return;
                }
                b'\n' | b'\r' => return,
                _ => self.i += 1,
            }
        }
    }

    fn skip_number(&mut self) {
        while self.i < self.bytes.len()
            && (self.bytes[self.i].is_ascii_alphanumeric() || matches!(self.bytes[self.i], b'.' | b'_'))
        {
            self.i += 1;
        }
        self.prev = Prev::Value;
    }

    fn skip_regex(&mut self) {
        self.i += 1;
        let mut in_class = false;
        while self.i < self.bytes.len() && !is_line_break(self.bytes, self.i) {
            match self.bytes[self.i] {
                b'\\' => self.i += 1,
                b'[' => in_class = true,
                b']' => in_class = false,
                b'/' if !in_class => {
                    self.i += 1;
                    break;
                }
                _ => {}
            }
            self.i += 1;
        }
        // Flags.
        while self.i < self.bytes.len() && self.bytes[self.i].is_ascii_alphanumeric() {
            self.i += 1;
        }
    }

    /// Skips template text from `self.i` up to the closing backquote or a `${`, which opens a
    /// substitution frame (its `}` comes back here).
    fn template_text(&mut self) -> Option<TooDeep> {
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                b'\\' => self.i += 2,
                b'`' => {
                    self.i += 1;
                    self.prev = Prev::Value;
                    return None;
                }
                b'$' if self.bytes.get(self.i + 1) == Some(&b'{') => {
                    let at = self.i;
                    self.i += 2;
                    return self.open(at, Kind::Substitution);
                }
                _ => self.i += 1,
            }
        }
        self.prev = Prev::Value;
        None
    }
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_of(text: &str) -> usize {
        // The smallest limit the text passes.
        (0..10_000).find(|&limit| too_deep(text, limit).is_none()).unwrap()
    }

    #[test]
    fn finds_the_first_bracket_past_the_limit() {
        assert_eq!(too_deep("f(((())))", 4), Some(4));
        assert_eq!(too_deep("f(((())))", 5), None);
        assert_eq!(too_deep("'((((((' // ((((((\n /* [[[[[[ */ x", 1), None);
    }

    #[test]
    fn skips_strings_comments_regexes_and_template_text() {
        assert_eq!(depth_of("x = /[(((((]/"), 1);
        assert_eq!(depth_of("x = /\\(\\(\\(/g"), 1);
        assert_eq!(depth_of("x = `((((( ${ a } [[[[[ `"), 2);
        assert_eq!(depth_of("x = \"((((( \\\" [[[[ \""), 1);
        // A lone CR ends a line comment.
        assert_eq!(depth_of("// c\r((((x))))"), 4);
        assert_eq!(depth_of("#!/usr/bin/env node\nx"), 0);
    }

    #[test]
    fn division_is_not_a_regex() {
        // `a / b / c`: two operators, not a regex hiding the brackets.
        assert_eq!(depth_of("a / (((b))) / c"), 4);
    }

    #[test]
    fn chains_count_their_links() {
        assert_eq!(depth_of("a + b + c + d"), 3);
        assert_eq!(depth_of("a.b.c.d"), 3);
        assert_eq!(depth_of("f()()()"), 4);
        assert_eq!(depth_of("!!!!a"), 4);
        assert_eq!(depth_of("()=>()=>()=>1"), 3);
        assert_eq!(depth_of("a ? b : c ? d : e"), 4);
        assert_eq!(depth_of("if (a) {} else if (b) {} else if (c) {} else {}"), 5);
        assert_eq!(depth_of("if (a) x; else if (b) y; else z;"), 3);
        assert_eq!(depth_of("l1: l2: l3: x;"), 3);
    }

    #[test]
    fn chains_end_at_statement_boundaries() {
        // Separate statements, with or without semicolons, do not add up.
        assert_eq!(depth_of("a.b;\nc.d;\ne.f;"), 1);
        assert_eq!(depth_of("a.b\nc.d\ne.f"), 1);
        assert_eq!(depth_of("if (a) { x }\nif (b) { y }\nif (c) { z }"), 2);
        assert_eq!(depth_of("f(a.b, c.d, e.f)"), 3);
        assert_eq!(depth_of("switch (x) { case 1: case 2: case 3: case 4: y(); }"), 4);
        assert_eq!(depth_of("if (a) b; c; if (d) e; f;"), 2);
        assert_eq!(depth_of("x = { a: 1, b: 2, c: 3, d: 4 };"), 3);
        // But a chain that goes on over lines is one chain.
        assert_eq!(depth_of("a\n+ b\n+ c\n+ d"), 3);
        assert_eq!(depth_of("a.\nb.\nc.\nd"), 3);
    }

    #[test]
    fn hostile_chains_are_refused_where_they_go_past_the_limit() {
        let n = 100_000;
        let chains = [
            (format!("x = {}1{}", "(".repeat(n), ")".repeat(n)), Construct::Brackets),
            (format!("x = a{}", ".b".repeat(n)), Construct::MemberChain),
            (format!("x = a{}", "()".repeat(n)), Construct::MemberChain),
            (format!("x = a{}", "?.b".repeat(n)), Construct::MemberChain),
            (format!("x = {}", vec!["a"; n].join("+")), Construct::Operators),
            (format!("x = {}a", "!".repeat(n)), Construct::Operators),
            (format!("x = {}a", "- ".repeat(n)), Construct::Operators),
            (format!("x = {}a", "new ".repeat(n)), Construct::Operators),
            (format!("x = {}1", "()=>".repeat(n)), Construct::Arrows),
            (
                format!("if (a) {{}} {}", "else if (a) {} ".repeat(n)),
                Construct::ElseIf,
            ),
            (format!("if (a) x; {}", "else if (a) x; ".repeat(n)), Construct::ElseIf),
            (format!("{}x;", "if (a) ".repeat(n)), Construct::Statements),
            (format!("{}x;", "while (a) ".repeat(n)), Construct::Statements),
            (
                (0..n).map(|i| format!("l{i}: ")).collect::<String>() + "x;",
                Construct::Operators,
            ),
            (
                format!("x = {}1{}", "`${".repeat(n), "}`".repeat(n)),
                Construct::Brackets,
            ),
        ];
        for (text, construct) in chains {
            let deep = nesting(&text, 400).unwrap_or_else(|| panic!("not refused: {}", &text[..60]));
            assert_eq!(deep.construct, construct, "{}", &text[..60]);
            assert!(
                deep.offset < 10_000,
                "refused late, at {}: {}",
                deep.offset,
                &text[..60]
            );
        }
    }

    #[test]
    fn punctuators_are_matched_whole() {
        let punctuators = [
            ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=", "=>", "==", "!=", "<=", ">=",
            "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "**", "<<", ">>", "=",
            ".", ":", "?", "!", "~", "+", "-", "*", "/", "%", "<", ">", "&", "|", "^",
        ];
        for punctuator in punctuators {
            let followed = format!("{punctuator}x");
            assert_eq!(punctuator_len(followed.as_bytes()), punctuator.len(), "{punctuator}");
            assert_eq!(
                punctuator_len(punctuator.as_bytes()),
                punctuator.len(),
                "{punctuator} at the end"
            );
        }
        assert_eq!(punctuator_len(b".."), 1);
    }

    #[test]
    fn keywords_are_told_from_names() {
        for keyword in ["return", "typeof", "instanceof", "else", "await", "yield", "const"] {
            assert!(is_keyword_before_expression(keyword.as_bytes()), "{keyword}");
        }
        for name in ["user", "context", "callback", "returned", "i", "", "elsewhere"] {
            assert!(!is_keyword_before_expression(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn the_limit_is_capped() {
        // The paren at offset N is the (N+1)th level.
        let text = format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000));
        assert_eq!(too_deep(&text, usize::MAX), Some(NESTING_CEILING));
        assert_eq!(too_deep(&text, 30_000), Some(NESTING_CEILING));
        assert_eq!(too_deep(&text, 5_000), Some(5_000));
    }

    #[test]
    fn a_realistic_rule_is_shallow() {
        let rule = r#"function (user, context, callback) {
  const request = require('request@2.88.0');
  if (context.clientID === 'abc' && user.app_metadata && user.app_metadata.roles.indexOf('admin') !== -1) {
    context.multifactor = { provider: 'any', allowRememberBrowser: false };
  } else if (user.email.endsWith('@example.com')) {
    return callback(new UnauthorizedError('no'));
  }
  request.get({ url: `https://x/${user.user_id}`, json: true }, function (err, res, body) {
    if (err) return callback(err);
    context.idToken['https://example.com/roles'] = body.roles || [];
    callback(null, user, context);
  });
}
"#;
        assert!(depth_of(rule) < 20, "{}", depth_of(rule));
    }
}
