//! Machine-readable renderings of a check run: a versioned JSON document, GitHub workflow
//! annotations and SARIF 2.1.0 for code scanning. Each renders the same findings, in the same
//! order (by path, then position), so two runs over the same files give the same bytes.

use super::{Finding, Outcome, Run};
use crate::diagnostics::{CodeInfo, Severity, CODES};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};
use std::path::Path;

/// Version of the `--format json` document; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 1;

/// A path as the outputs show it: forward slashes, whatever the platform.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: String,
    #[serde(flatten)]
    finding: &'a Finding,
}

#[derive(Serialize)]
struct JsonFile {
    path: String,
    /// `linted` or `skipped`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    findings: usize,
    suppressed: usize,
}

#[derive(Serialize)]
struct JsonError {
    path: String,
    message: String,
}

pub fn write_json(out: &mut dyn Write, run: &Run, include_info: bool) -> io::Result<()> {
    let findings: Vec<JsonFinding<'_>> = run
        .findings(include_info)
        .map(|(file, finding)| JsonFinding {
            path: display(&file.path),
            finding,
        })
        .collect();
    let files: Vec<JsonFile> = run
        .files
        .iter()
        .map(|file| {
            let (status, reason) = match &file.outcome {
                Outcome::Linted => ("linted", None),
                Outcome::Skipped(reason) => ("skipped", Some(reason.to_string())),
            };
            JsonFile {
                path: display(&file.path),
                status,
                reason,
                findings: file
                    .findings
                    .iter()
                    .filter(|f| include_info || f.severity > Severity::Info)
                    .count(),
                suppressed: file.suppressed,
            }
        })
        .collect();
    let errors: Vec<JsonError> = run
        .errors
        .iter()
        .map(|error| JsonError {
            path: display(&error.path),
            message: error.message.clone(),
        })
        .collect();
    let document = json!({
        "version": JSON_VERSION,
        "findings": findings,
        "files": files,
        "errors": errors,
        "summary": run.summary(),
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// `::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE::message`, one per finding.
pub fn write_github(out: &mut dyn Write, run: &Run, include_info: bool) -> io::Result<()> {
    for (file, finding) in run.findings(include_info) {
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut properties = format!(
            "file={},line={},col={}",
            escape_property(&display(&file.path)),
            finding.start.line,
            finding.start.column
        );
        if finding.range.end > finding.range.start {
            properties.push_str(&format!(
                ",endLine={},endColumn={}",
                finding.end.line, finding.end.column
            ));
        }
        let title = finding.code.id();
        writeln!(
            out,
            "::{command} {properties},title={}::{}",
            escape_property(title),
            escape_data(&finding.message)
        )?;
    }
    for error in &run.errors {
        writeln!(out, "::error title=rules2actions::{}", escape_data(&error.message))?;
    }
    Ok(())
}

/// Workflow command data: `%`, CR and LF are escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Workflow command properties: also `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative path as a URI reference: every byte outside the unreserved set and `/` is
/// percent-encoded. An absolute path becomes a `file://` URI.
fn uri(path: &Path) -> String {
    let text = display(path);
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    if path.is_absolute() {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

fn sarif_rule(entry: &CodeInfo) -> Value {
    json!({
        "id": entry.id,
        "name": entry.title,
        "shortDescription": { "text": entry.title },
        "fullDescription": { "text": entry.explanation },
        "help": {
            "text": format!("{}\n\nRun `rules2actions explain {}` for more.", entry.explanation, entry.id),
            "markdown": format!("**{}** ({})\n\n{}", entry.title, entry.id, entry.explanation),
        },
        "defaultConfiguration": { "level": sarif_level(entry.severity) },
    })
}

/// SARIF 2.1.0: one run, every code in `tool.driver.rules`, one result per finding.
pub fn write_sarif(out: &mut dyn Write, run: &Run, include_info: bool) -> io::Result<()> {
    let mut entries: Vec<&CodeInfo> = CODES.iter().collect();
    entries.sort_by_key(|entry| entry.id);
    let rules: Vec<Value> = entries.iter().map(|entry| sarif_rule(entry)).collect();
    let results: Vec<Value> = run
        .findings(include_info)
        .map(|(file, finding)| {
            let index = entries.iter().position(|e| e.code == finding.code).unwrap_or(0);
            let mut region = json!({
                "startLine": finding.start.line,
                "startColumn": finding.start.column,
            });
            if finding.range.end > finding.range.start {
                region["endLine"] = json!(finding.end.line);
                region["endColumn"] = json!(finding.end.column);
            }
            json!({
                "ruleId": finding.code.id(),
                "ruleIndex": index,
                "level": sarif_level(finding.severity),
                "message": { "text": finding.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&file.path) },
                        "region": region,
                    }
                }],
            })
        })
        .collect();
    let notifications: Vec<Value> = run
        .errors
        .iter()
        .map(|error| json!({ "level": "error", "message": { "text": error.message } }))
        .collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "rules2actions",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
