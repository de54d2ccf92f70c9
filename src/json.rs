//! The one JSON envelope of every command's machine-readable output (`convert --format json`,
//! `check --format json`, `verify --format json`, `migrate --report-json`): `version` and
//! `command` first, then the command's own fields. Findings inside are `Diagnostic`s everywhere
//! (`code`, `severity`, `message`, `start`, `end`, `help`), never preformatted strings.

use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};

/// Version of every JSON document the tool prints; bumped on any incompatible change of any of
/// them. 2: one envelope with `command`; `verify`'s `conversion_findings` are findings, not text.
pub const VERSION: u32 = 2;

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    version: u32,
    command: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

/// The document of `command` holding `body`'s fields, pretty-printed, with a final newline.
pub fn to_string<T: Serialize>(command: &str, body: &T) -> String {
    let envelope = Envelope {
        version: VERSION,
        command,
        body,
    };
    let mut text = serde_json::to_string_pretty(&envelope).expect("serialising JSON");
    text.push('\n');
    text
}

/// Writes the document of `command` holding `body`'s fields, with a final newline.
pub fn write<T: Serialize>(out: &mut dyn Write, command: &str, body: &T) -> io::Result<()> {
    out.write_all(to_string(command, body).as_bytes())
}

/// The envelope's fields, in order, for a document streamed piece by piece (`check`).
pub fn header(command: &str) -> [(&'static str, Value); 2] {
    [("version", Value::from(VERSION)), ("command", Value::from(command))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Body {
        files: Vec<u32>,
    }

    #[test]
    fn the_envelope_comes_first_and_streams_alike() {
        let text = to_string("convert", &Body { files: vec![1] });
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["version"], VERSION);
        assert_eq!(value["command"], "convert");
        assert_eq!(value["files"][0], 1);
        assert!(text.starts_with("{\n  \"version\": "));

        let mut streamed = serde_json::Map::new();
        for (key, value) in header("convert") {
            streamed.insert(key.to_string(), value);
        }
        assert_eq!(streamed["version"], value["version"]);
        assert_eq!(streamed["command"], value["command"]);
    }
}
