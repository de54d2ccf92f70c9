//! Cheap checks made before parsing, so that hostile input is refused with a position instead of
//! exhausting the parser's stack or the machine's memory.

/// Limits a conversion runs under; the CLI exposes each as a flag.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_file_size: usize,
    /// Deepest nesting of brackets, parentheses and braces accepted.
    pub max_nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 5 * 1024 * 1024,
            max_nesting: 400,
        }
    }
}

/// The offset of the first bracket that nests deeper than `limit`, skipping strings and comments.
/// Regular expressions are not recognised; a bracket inside one only shifts the count by one.
pub fn too_deep(text: &str, limit: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Runs `work` on a thread with a stack large enough for deeply nested (but accepted) code:
/// swc recurses while parsing, visiting and dropping trees, and an overflow aborts the process.
pub fn with_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    const STACK: usize = 256 * 1024 * 1024;
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(scope, work)
            .expect("spawning a conversion thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_bracket_past_the_limit() {
        assert_eq!(too_deep("f(((())))", 3), Some(4));
        assert_eq!(too_deep("f(((())))", 4), None);
        assert_eq!(too_deep("'((((((' // ((((((\n /* [[[[[[ */ x", 2), None);
    }
}
