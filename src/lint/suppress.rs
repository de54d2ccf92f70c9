//! In-source suppressions: `// rules2actions-ignore R2Axxx: reason`.
//!
//! A comment alone on its line applies to the next line holding code (blank lines and further
//! suppression comments in between are skipped, so several can be stacked); a comment after code
//! applies to its own line. It silences every finding with its code that starts on that line.
//! A suppression without a reason still silences, and is reported; one that silences nothing is
//! reported too.

use super::Finding;
use crate::diagnostics::Code;
use crate::source::SourceText;
use std::ops::Range;

const DIRECTIVE: &str = "rules2actions-ignore";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The comment, from `//` to the end of its line.
    pub range: Range<usize>,
    /// 1-based line of the comment.
    pub line: u32,
    /// The line it applies to besides its own: the next line with code, for a comment alone on its line.
    pub target: Option<u32>,
    /// The code as written (empty when none was given).
    pub code_text: String,
    pub code: Option<Code>,
    pub reason: Option<String>,
}

struct Line<'a> {
    start: usize,
    text: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' || bytes[i] == b'\r' {
            lines.push(Line {
                start,
                text: &text[start..i],
            });
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    lines.push(Line {
        start,
        text: &text[start..],
    });
    lines
}

/// The directive on a line: the byte offset of its `//` within the line, and what follows the keyword.
fn directive(line: &str) -> Option<(usize, &str)> {
    let at = line.find(DIRECTIVE)?;
    let before = line[..at].trim_end_matches([' ', '\t']);
    let slashes = before.strip_suffix("//")?;
    Some((slashes.len(), &line[at + DIRECTIVE.len()..]))
}

/// Every suppression comment of a file, in order.
pub fn find(text: &str) -> Vec<Suppression> {
    let lines = lines(text);
    let standalone = |line: &Line<'_>| directive(line.text).is_some_and(|(at, _)| line.text[..at].trim().is_empty());
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some((at, rest)) = directive(line.text) else {
            continue;
        };
        // `rules2actions-ignore-file` or `rules2actions-ignored` are other words.
        if rest.starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_') {
            continue;
        }
        let rest = rest.trim();
        let code_len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        let code_text = &rest[..code_len];
        let reason = rest[code_len..].trim_start().trim_start_matches(':').trim();
        let target = if standalone(line) {
            lines[index + 1..]
                .iter()
                .position(|next| !next.text.trim().is_empty() && !standalone(next))
                .map(|offset| (index + 1 + offset + 1) as u32)
        } else {
            None
        };
        found.push(Suppression {
            range: line.start + at..line.start + line.text.len(),
            line: index as u32 + 1,
            target,
            code_text: code_text.to_string(),
            code: Code::from_id(code_text),
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        });
    }
    found
}

/// Removes the findings the file's suppressions silence and adds the findings about the
/// suppressions themselves. Returns the number of findings silenced.
pub fn apply(text: &str, findings: &mut Vec<Finding>) -> usize {
    let suppressions = find(text);
    if suppressions.is_empty() {
        return 0;
    }
    let mut used = vec![false; suppressions.len()];
    let before = findings.len();
    findings.retain(|finding| {
        let line = finding.start.line;
        let mut silenced = false;
        for (index, suppression) in suppressions.iter().enumerate() {
            if suppression.code == Some(finding.code) && (suppression.line == line || suppression.target == Some(line))
            {
                used[index] = true;
                silenced = true;
            }
        }
        !silenced
    });
    let silenced = before - findings.len();

    let source = SourceText::new(text);
    for (suppression, used) in suppressions.iter().zip(used) {
        let at = |code: Code, message: String| Finding::new(&source, code, suppression.range.clone(), message);
        if suppression.reason.is_none() && suppression.code.is_some() {
            findings.push(at(
                Code::SuppressionWithoutReason,
                format!(
                    "the suppression of {} gives no reason; write `// {DIRECTIVE} {}: why it does not apply`",
                    suppression.code_text, suppression.code_text
                ),
            ));
        }
        if !used {
            let message = match suppression.code {
                _ if suppression.code_text.is_empty() => {
                    format!("the suppression names no code; write `// {DIRECTIVE} R2Axxx: reason`")
                }
                None => format!("{} is not a rules2actions code", suppression.code_text),
                Some(code) => {
                    let line = suppression.target.unwrap_or(suppression.line);
                    format!("no {code} finding on line {line} to silence")
                }
            };
            findings.push(at(Code::UnusedSuppression, message));
        }
    }
    silenced
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;

    #[test]
    fn reads_the_directive_and_its_target() {
        let text = "function (user, context, callback) {\n  // rules2actions-ignore R2A204: metadata is written elsewhere\n\n  // rules2actions-ignore r2a207\n  auth0.users.x(); // rules2actions-ignore R2A205 -- kept\n  var s = '// rules2actions-ignored';\n}\n";
        let found = find(text);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].line, 2);
        assert_eq!(found[0].target, Some(5));
        assert_eq!(found[0].code, Some(Code::ManagementApi));
        assert_eq!(found[0].reason.as_deref(), Some("metadata is written elsewhere"));
        assert_eq!(found[1].target, Some(5));
        assert_eq!(found[1].code, Some(Code::UnknownUserProperty));
        assert_eq!(found[1].reason, None);
        assert_eq!(found[2].line, 5);
        assert_eq!(found[2].target, None);
        assert_eq!(found[2].reason.as_deref(), Some("-- kept"));
        assert_eq!(&text[found[2].range.clone()], "// rules2actions-ignore R2A205 -- kept");
    }

    #[test]
    fn a_comment_at_the_end_of_the_file_targets_nothing() {
        let found = find("x();\n// rules2actions-ignore R2A204: because\n");
        assert_eq!(found[0].target, None);
    }
}
