//! Deploy-cli keyword placeholders (`@@KEY@@` inserts a JSON value, `##KEY##` inserts text) make a
//! rule invalid JavaScript until the tenant's values are substituted (mapping §8.2). We mask each
//! one with an identifier of the same length, so byte offsets do not move, convert, and restore the
//! placeholders in the output: they survive the conversion unchanged.

use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlaceholderKind {
    /// `@@KEY@@`, masked as `$$KEY$$`.
    Json,
    /// `##KEY##`, masked as `_$KEY$_`.
    Text,
}

impl PlaceholderKind {
    fn delimiters(self) -> (&'static str, &'static str) {
        match self {
            PlaceholderKind::Json => ("@@", "@@"),
            PlaceholderKind::Text => ("##", "##"),
        }
    }

    fn mask_delimiters(self) -> (&'static str, &'static str) {
        match self {
            PlaceholderKind::Json => ("$$", "$$"),
            PlaceholderKind::Text => ("_$", "$_"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub kind: PlaceholderKind,
    pub key: String,
    /// Byte offset of the placeholder in the original text.
    pub offset: usize,
}

impl Placeholder {
    pub fn original(&self) -> String {
        let (open, close) = self.kind.delimiters();
        format!("{open}{}{close}", self.key)
    }

    fn masked(&self) -> String {
        let (open, close) = self.kind.mask_delimiters();
        format!("{open}{}{close}", self.key)
    }
}

pub struct Masked {
    pub text: String,
    pub placeholders: Vec<Placeholder>,
}

/// Finds every placeholder and replaces it by its same-length mask.
pub fn mask(text: &str) -> Masked {
    let mut placeholders = Vec::new();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    // Most rules hold no `@` or `#` at all: jump from one to the next.
    while let Some(found) = memchr::memchr2(b'@', b'#', &bytes[i..]) {
        i += found;
        let kind = match (bytes[i], bytes.get(i + 1)) {
            (b'@', Some(b'@')) => PlaceholderKind::Json,
            (b'#', Some(b'#')) => PlaceholderKind::Text,
            _ => {
                i += 1;
                continue;
            }
        };
        let key_start = i + 2;
        let key_len = bytes[key_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let close = key_start + key_len;
        if key_len > 0 && bytes.get(close) == Some(&bytes[i]) && bytes.get(close + 1) == Some(&bytes[i]) {
            let placeholder = Placeholder {
                kind,
                key: text[key_start..close].to_string(),
                offset: i,
            };
            out.push_str(&text[copied..i]);
            out.push_str(&placeholder.masked());
            placeholders.push(placeholder);
            i = close + 2;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    Masked {
        text: out,
        placeholders,
    }
}

/// Puts the placeholders back into converted text. Rewrites may copy masked identifiers around, so
/// every occurrence of a mask this file produced is restored, wherever it now stands.
pub fn unmask(text: String, placeholders: &[Placeholder]) -> String {
    let distinct: BTreeSet<(PlaceholderKind, &str)> = placeholders.iter().map(|p| (p.kind, p.key.as_str())).collect();
    let mut out = text;
    for (kind, key) in distinct {
        let placeholder = Placeholder {
            kind,
            key: key.to_string(),
            offset: 0,
        };
        out = out.replace(&placeholder.masked(), &placeholder.original());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_offsets_and_round_trip() {
        let text = "const env = @@ENV@@; const d = '##DOMAIN##'; a @@ b";
        let masked = mask(text);
        assert_eq!(masked.text.len(), text.len());
        assert_eq!(masked.text, "const env = $$ENV$$; const d = '_$DOMAIN$_'; a @@ b");
        assert_eq!(masked.placeholders.len(), 2);
        assert_eq!(masked.placeholders[1].offset, 32);
        assert_eq!(unmask(masked.text.clone(), &masked.placeholders), text);
    }
}
