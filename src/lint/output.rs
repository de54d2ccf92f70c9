//! Machine-readable renderings of a check run: a versioned JSON document, GitHub workflow
//! annotations and SARIF 2.1.0 for code scanning. Each renders the same findings, in the same
//! order (by path, then position), so two runs over the same files give the same bytes.
//!
//! Each is a `Printer`, fed the files one by one as they are linted: findings are written as they
//! come, and only what the end of a document needs (for JSON, one small entry per file) is kept.

use super::pretty::{Array, Object};
use super::{FileReport, Finding, Outcome, Run};
use crate::diagnostics::{CodeInfo, Severity, CODES};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};
use std::path::Path;

/// One output format of `check`, fed the files of a run in path order. Made by a constructor that
/// writes what comes before the first finding.
pub trait Printer {
    /// Writes one file's findings.
    fn file(&mut self, file: &FileReport) -> io::Result<()>;

    /// Writes what comes after the last finding.
    fn finish(self: Box<Self>, _run: &Run) -> io::Result<()> {
        Ok(())
    }
}

/// A path as the outputs show it: forward slashes, whatever the platform.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: &'a str,
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

/// The envelope (`crate::json`), then `findings`, `files`, `errors`, `summary`: the findings streamed, the rest known
/// only at the end. Each object inside is laid out as serde_json lays out a `Value`.
pub struct JsonPrinter<'a> {
    out: &'a mut dyn Write,
    include_info: bool,
    document: Object,
    findings: Array,
    /// The `files` part, one entry per file.
    files: Vec<JsonFile>,
}

impl<'a> JsonPrinter<'a> {
    /// Writes the document up to its first finding.
    pub fn start(out: &'a mut dyn Write, include_info: bool) -> io::Result<JsonPrinter<'a>> {
        let mut document = Object::open(out, 0)?;
        for (key, value) in crate::json::header("check") {
            document.entry(out, key, &value)?;
        }
        document.key(out, "findings")?;
        let findings = Array::open(out, 1)?;
        Ok(JsonPrinter {
            out,
            include_info,
            document,
            findings,
            files: Vec::new(),
        })
    }
}

impl Printer for JsonPrinter<'_> {
    fn file(&mut self, file: &FileReport) -> io::Result<()> {
        let path = display(&file.path);
        let mut shown = 0;
        for finding in file.shown(self.include_info) {
            self.findings
                .push(&mut *self.out, &JsonFinding { path: &path, finding })?;
            shown += 1;
        }
        let (status, reason) = match &file.outcome {
            Outcome::Linted => ("linted", None),
            Outcome::Skipped(reason) => ("skipped", Some(reason.to_string())),
        };
        self.files.push(JsonFile {
            path,
            status,
            reason,
            findings: shown,
            suppressed: file.suppressed,
        });
        Ok(())
    }

    fn finish(self: Box<Self>, run: &Run) -> io::Result<()> {
        let JsonPrinter {
            out,
            mut document,
            findings,
            files,
            ..
        } = *self;
        findings.close(out)?;
        document.key(out, "files")?;
        let mut entries = Array::open(out, 1)?;
        for file in &files {
            entries.push(out, file)?;
        }
        entries.close(out)?;
        let errors: Vec<JsonError> = run
            .errors
            .iter()
            .map(|error| JsonError {
                path: display(&error.path),
                message: error.message.clone(),
            })
            .collect();
        document.entry(out, "errors", &errors)?;
        document.entry(out, "summary", &run.summary)?;
        document.close(out)?;
        writeln!(out)
    }
}

/// `::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE::message`, one per finding.
pub struct GithubPrinter<'a> {
    out: &'a mut dyn Write,
    include_info: bool,
}

impl<'a> GithubPrinter<'a> {
    pub fn new(out: &'a mut dyn Write, include_info: bool) -> GithubPrinter<'a> {
        GithubPrinter { out, include_info }
    }
}

impl Printer for GithubPrinter<'_> {
    fn file(&mut self, file: &FileReport) -> io::Result<()> {
        let path = escape_property(&display(&file.path));
        for finding in file.shown(self.include_info) {
            write_annotation(&mut *self.out, &path, finding)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, run: &Run) -> io::Result<()> {
        for error in &run.errors {
            writeln!(self.out, "::error title=rules2actions::{}", escape_data(&error.message))?;
        }
        Ok(())
    }
}

fn write_annotation(out: &mut dyn Write, path: &str, finding: &Finding) -> io::Result<()> {
    let command = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties = format!("file={path},line={},col={}", finding.start.line, finding.start.column);
    if finding.range.end > finding.range.start {
        properties.push_str(&format!(
            ",endLine={},endColumn={}",
            finding.end.line, finding.end.column
        ));
    }
    writeln!(
        out,
        "::{command} {properties},title={}::{}",
        escape_property(finding.code.id()),
        escape_data(&finding.message)
    )
}

/// Workflow command data: `%`, CR and LF are escaped, as the runner expects; other controls would
/// reach the log viewer, which obeys ANSI sequences, and are made printable.
fn escape_data(text: &str) -> String {
    let text = text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    crate::safe_text::printable(&text).into_owned()
}

/// Workflow command properties: also `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// SARIF 2.1.0: one run, every code in `tool.driver.rules`, one result per finding, streamed; the
/// invocation, which says whether every path could be read, comes after the results.
pub struct SarifPrinter<'a> {
    out: &'a mut dyn Write,
    include_info: bool,
    /// Every code, sorted by id: a result's `ruleIndex` is its code's place here.
    rules: Vec<&'static CodeInfo>,
    // Open around the results, outermost first: the document, its `runs`, the one run.
    document: Object,
    runs: Array,
    run: Object,
    results: Array,
}

impl<'a> SarifPrinter<'a> {
    /// Writes the document up to its first result.
    pub fn start(out: &'a mut dyn Write, include_info: bool) -> io::Result<SarifPrinter<'a>> {
        let mut rules: Vec<&CodeInfo> = CODES.iter().collect();
        rules.sort_by_key(|entry| entry.id);
        let tool = json!({
            "driver": {
                "name": "rules2actions",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|entry| sarif_rule(entry)).collect::<Vec<Value>>(),
            }
        });
        let mut document = Object::open(out, 0)?;
        document.entry(out, "$schema", &"https://json.schemastore.org/sarif-2.1.0.json")?;
        document.entry(out, "version", &"2.1.0")?;
        document.key(out, "runs")?;
        let mut runs = Array::open(out, 1)?;
        runs.next(out)?;
        let mut run = Object::open(out, 2)?;
        run.entry(out, "tool", &tool)?;
        run.entry(out, "columnKind", &"utf16CodeUnits")?;
        run.key(out, "results")?;
        let results = Array::open(out, 3)?;
        Ok(SarifPrinter {
            out,
            include_info,
            rules,
            document,
            runs,
            run,
            results,
        })
    }
}

impl Printer for SarifPrinter<'_> {
    fn file(&mut self, file: &FileReport) -> io::Result<()> {
        let uri = uri(&file.path);
        for finding in file.shown(self.include_info) {
            let index = self.rules.iter().position(|e| e.code == finding.code).unwrap_or(0);
            self.results.push(&mut *self.out, &sarif_result(finding, index, &uri))?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, totals: &Run) -> io::Result<()> {
        let SarifPrinter {
            out,
            document,
            runs,
            mut run,
            results,
            ..
        } = *self;
        results.close(out)?;
        let notifications: Vec<Value> = totals
            .errors
            .iter()
            .map(|error| json!({ "level": "error", "message": { "text": error.message } }))
            .collect();
        let invocations = json!([{
            "executionSuccessful": notifications.is_empty(),
            "toolExecutionNotifications": notifications,
        }]);
        run.entry(out, "invocations", &invocations)?;
        run.close(out)?;
        runs.close(out)?;
        document.close(out)?;
        writeln!(out)
    }
}

fn sarif_result(finding: &Finding, rule_index: usize, uri: &str) -> Value {
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
        "ruleIndex": rule_index,
        "level": sarif_level(finding.severity),
        "message": { "text": finding.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": region,
            }
        }],
    })
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
