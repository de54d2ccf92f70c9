//! File and folder names the way auth0-deploy-cli makes them (mapping §8.1): its `sanitize()` is
//! the `sanitize-filename` npm package with the replacement `-`, which runs its replacements once
//! with `-` and once more with the empty string, then truncates to 255 bytes. `Names` hands out
//! the Action names and file stems of a migration, unique, and short enough for every file.

use std::collections::{HashMap, HashSet};

/// The longest file stem: `<stem>.json` must fit the 255 bytes a file name can have.
pub const MAX_STEM: usize = 255 - ".json".len();

/// The Action names and file stems given out so far. No two rules (nor a rule and an Action the
/// export already has) share an Action name, or a file stem compared case-insensitively (macOS
/// and Windows). A stem stands for both `actions/<stem>/` and `actions/<stem>.json`, so the rule
/// `a.json` cannot take the folder of rule `a`'s file.
#[derive(Debug, Default)]
pub struct Names {
    actions: HashSet<String>,
    /// Lowercased stems and `<stem>.json`s.
    files: HashSet<String>,
    /// The suffix last given to each rule name.
    last_suffix: HashMap<String, usize>,
}

/// An Action name and the stem of its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub action_name: String,
    pub file_stem: String,
}

impl Names {
    /// Reserves the name of an Action the tenant already has, and a file stem for it, returned:
    /// its sanitised name, or the first free `<name>-2`, `<name>-3`, ….
    pub fn reserve(&mut self, action_name: &str) -> String {
        self.actions.insert(action_name.to_string());
        let base = sanitize(action_name);
        let suffix = |n: usize| if n == 1 { String::new() } else { format!("-{n}") };
        // Each stem taken blocks one candidate: a free one is among the first `files.len() + 1`.
        let stem = (1..)
            .map(|n| stem_of(&base, &suffix(n)))
            .find(|stem| !self.stem_taken(stem))
            .unwrap_or_default();
        self.take_stem(&stem);
        stem
    }

    /// A unique Action name and file stem for a rule named `name`: the name itself, or else the
    /// first of `name-2`, `name-3`, … whose suffixed stem (the sanitised name, cut to leave room
    /// for the suffix) is free too. `None` only if every candidate of the bound is taken, which
    /// the bound makes impossible: each name or stem given out blocks at most a few candidates.
    pub fn claim(&mut self, name: &str) -> Option<Claimed> {
        // What is taken stays taken: the candidates before the last one given for this name
        // are still taken, so the search resumes after it (10,000 rules of one name stay fast).
        let first = self.last_suffix.get(name).map_or(1, |n| n + 1);
        let bound = first + 4 * (self.actions.len() + self.files.len()) + 2;
        let base = sanitize(name);
        let (n, claimed) = (first..=bound).find_map(|n| {
            let suffix = if n == 1 { String::new() } else { format!("-{n}") };
            let action_name = format!("{name}{suffix}");
            let file_stem = stem_of(&base, &suffix);
            let free = !self.actions.contains(&action_name) && !self.stem_taken(&file_stem);
            free.then_some((n, Claimed { action_name, file_stem }))
        })?;
        self.actions.insert(claimed.action_name.clone());
        self.take_stem(&claimed.file_stem);
        self.last_suffix.insert(name.to_string(), n);
        Some(claimed)
    }

    fn keys(stem: &str) -> [String; 2] {
        let stem = stem.to_lowercase();
        let json = format!("{stem}.json");
        [stem, json]
    }

    fn stem_taken(&self, stem: &str) -> bool {
        Self::keys(stem).iter().any(|key| self.files.contains(key))
    }

    fn take_stem(&mut self, stem: &str) {
        self.files.extend(Self::keys(stem));
    }
}

/// The `sanitized` name, cut so that it and `suffix` fit `MAX_STEM`, then `suffix`. The suffix
/// goes after sanitising: `nul.txt-2` would sanitise to `-` again.
fn stem_of(sanitized: &str, suffix: &str) -> String {
    let stem = if sanitized.is_empty() { "action" } else { sanitized };
    let mut stem = truncate_utf8(stem.to_string(), MAX_STEM - suffix.len());
    stem.push_str(suffix);
    stem
}

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
    use super::*;

    fn claim_all(names: &mut Names, rules: &[&str]) -> Vec<(String, String)> {
        rules
            .iter()
            .map(|rule| {
                let claimed = names.claim(rule).expect("a name");
                (claimed.action_name, claimed.file_stem)
            })
            .collect()
    }

    #[test]
    fn reserved_device_names_get_distinct_stems() {
        let claimed = claim_all(&mut Names::default(), &["con", "CON", "nul.txt", "aux"]);
        let stems: Vec<&str> = claimed.iter().map(|(_, stem)| stem.as_str()).collect();
        assert_eq!(stems, ["-", "--2", "--3", "--4"]);
        assert_eq!(claimed[1].0, "CON-2");
    }

    #[test]
    fn a_file_and_a_folder_do_not_collide() {
        let claimed = claim_all(&mut Names::default(), &["a", "a.json", "A.JSON"]);
        assert_eq!(claimed[1].1, "a.json-2");
        assert_eq!(claimed[2].1, "A.JSON-3");
    }

    #[test]
    fn long_names_keep_their_suffix_within_the_limit() {
        let long = "x".repeat(300);
        let other = format!("{long}y");
        let claimed = claim_all(&mut Names::default(), &[&long, &other]);
        assert_eq!(claimed[0].1.len(), MAX_STEM);
        assert_eq!(claimed[1].1.len(), MAX_STEM);
        assert!(claimed[1].1.ends_with("-2"));
        assert_ne!(claimed[0].0, claimed[1].0);
    }

    #[test]
    fn many_rules_of_one_name_are_numbered_in_order() {
        let mut names = Names::default();
        let rules = vec!["Same"; 5000];
        let claimed = claim_all(&mut names, &rules);
        assert_eq!(claimed[0].0, "Same");
        assert_eq!(claimed[4999], ("Same-5000".to_string(), "Same-5000".to_string()));
        // A name that a suffix made is taken too.
        assert_eq!(claim_all(&mut names, &["Same-2"])[0].0, "Same-2-2");
    }

    #[test]
    fn existing_actions_are_avoided() {
        let mut names = Names::default();
        names.reserve("Enrich");
        assert_eq!(
            claim_all(&mut names, &["enrich"])[0],
            ("enrich-2".to_string(), "enrich-2".to_string())
        );
        assert_eq!(claim_all(&mut names, &[""])[0].1, "action");
    }

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
