//! File and folder names the way auth0-deploy-cli makes them (mapping §8.1): its `sanitize()` is
//! the `sanitize-filename` npm package with the replacement `-`, which runs its replacements once
//! with `-` and once more with the empty string, then truncates to 255 bytes.

/// `sanitize-filename(input, { replacement: '-' })`.
pub fn sanitize(input: &str) -> String {
    let once = sanitize_with(input, "-");
    sanitize_with(&once, "")
}

fn sanitize_with(input: &str, replacement: &str) -> String {
    // /[\/\?<>\\:\*\|"]/g and /[\x00-\x1f\x80-\x9f]/g: each character on its own.
    let mut out: String = String::with_capacity(input.len());
    for c in input.chars() {
        if matches!(c, '/' | '?' | '<' | '>' | '\\' | ':' | '*' | '|' | '"') || is_control(c) {
            out.push_str(replacement);
        } else {
            out.push(c);
        }
    }
    // /^\.+$/: a name made only of dots.
    if !out.is_empty() && out.chars().all(|c| c == '.') {
        out = replacement.to_string();
    }
    // /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i: Windows device names, with any extension.
    if is_windows_reserved(&out) {
        out = replacement.to_string();
    }
    // /[\. ]+$/: trailing dots and spaces, replaced as one run.
    let trimmed = out.trim_end_matches(['.', ' ']).len();
    if trimmed < out.len() {
        out.truncate(trimmed);
        out.push_str(replacement);
    }
    truncate_utf8(out, 255)
}

fn is_control(c: char) -> bool {
    matches!(c as u32, 0x00..=0x1f | 0x80..=0x9f)
}

fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split_once('.').map_or(name, |(stem, _)| stem).to_ascii_lowercase();
    match stem.as_str() {
        "con" | "prn" | "aux" | "nul" => true,
        _ => {
            let bytes = stem.as_bytes();
            bytes.len() == 4 && (stem.starts_with("com") || stem.starts_with("lpt")) && bytes[3].is_ascii_digit()
        }
    }
}

/// At most `max` bytes, never splitting a character (`truncate-utf8-bytes`).
fn truncate_utf8(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn deploy_cli_example() {
        assert_eq!(sanitize("someRule / test"), "someRule - test");
    }

    #[test]
    fn illegal_and_control_characters() {
        assert_eq!(sanitize("a?b<c>d\\e:f*g|h\"i"), "a-b-c-d-e-f-g-h-i");
        assert_eq!(sanitize("tab\there\u{85}"), "tab-here-");
        assert_eq!(sanitize("plain name-1"), "plain name-1");
        assert_eq!(sanitize("##ENV## rule"), "##ENV## rule");
    }

    #[test]
    fn reserved_names() {
        assert_eq!(sanitize("."), "-");
        assert_eq!(sanitize(".."), "-");
        assert_eq!(sanitize("CON"), "-");
        assert_eq!(sanitize("nul.txt"), "-");
        assert_eq!(sanitize("com1"), "-");
        assert_eq!(sanitize("LPT9.js"), "-");
        assert_eq!(sanitize("console"), "console");
        assert_eq!(sanitize("com10"), "com10");
    }

    #[test]
    fn trailing_dots_and_spaces() {
        assert_eq!(sanitize("rule. . "), "rule-");
        assert_eq!(sanitize("rule."), "rule-");
        assert_eq!(sanitize(".hidden"), ".hidden");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let name = "é".repeat(200);
        let out = sanitize(&name);
        assert_eq!(out.len(), 254);
        assert!(out.chars().all(|c| c == 'é'));
    }
}
