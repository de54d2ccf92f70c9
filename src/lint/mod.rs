//! The engine of `rules2actions check`: find the rule files of a repository, convert each one (in
//! parallel, on large-stack threads) to learn what still needs a human, and apply in-source
//! suppressions. It reads files but prints nothing; `cli::check` renders the result.
//!
//! How a file is classified:
//! - a file named on the command line is always linted, whatever it holds;
//! - a walked `.js` file with no rule function (R2A002), an empty one (R2A003), an Action (R2A009)
//!   or an ES module that does not parse as a script is other JavaScript: skipped and counted;
//! - a walked `.js` file that does not parse (R2A001) is a finding: it may be a broken rule;
//! - a script a deploy-cli export describes is a rule: a disabled one is skipped as disabled, an
//!   enabled one of another stage than `login_success` is reported (R2A012) but not linted, and
//!   one with no rule function is a finding.

pub mod discover;
pub mod output;
pub mod suppress;

use crate::convert::{convert_bytes, Status};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::limits::{with_large_stack, Limits};
use crate::source::SourceText;
use discover::{Candidate, DiscoveryError, LOGIN_STAGE};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;

/// One finding of `check`: a diagnostic of the conversion, or of the check itself.
pub type Finding = Diagnostic;

/// Why a file was not linted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    NotARule,
    Empty,
    AlreadyAction,
    EsModule,
    Disabled,
    OtherStage(String),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::NotARule => f.write_str("JavaScript with no rule function"),
            SkipReason::Empty => f.write_str("an empty file"),
            SkipReason::AlreadyAction => f.write_str("already an Action"),
            SkipReason::EsModule => f.write_str("an ES module, not a rule"),
            SkipReason::Disabled => f.write_str("a disabled rule"),
            SkipReason::OtherStage(stage) => write!(f, "a rule of stage {stage}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A rule (or a file that may be one): its findings are the conversion's.
    Linted,
    Skipped(SkipReason),
}

#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub outcome: Outcome,
    /// Sorted by position, suppressed findings removed.
    pub findings: Vec<Finding>,
    /// How many findings suppression comments silenced.
    pub suppressed: usize,
    /// The file's text (lossy for non-UTF-8 bytes), for code frames.
    pub text: String,
    /// The converter failed on this file (R2A090): a bug in the tool.
    pub internal_error: bool,
}

/// What one run of `check` found.
#[derive(Debug, Default)]
pub struct Run {
    /// Sorted by path.
    pub files: Vec<FileReport>,
    /// Paths that could not be read, sorted by path.
    pub errors: Vec<DiscoveryError>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Files looked at (linted or skipped).
    pub files: usize,
    /// Files linted as rules.
    pub rules: usize,
    /// Rules with no warning or error left.
    pub ready: usize,
    pub skipped: usize,
    pub disabled: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub suppressed: usize,
    /// Paths that could not be read and internal errors: the tool failed on them.
    pub failures: usize,
}

impl Run {
    /// The findings to report, in order: by path, then position. Info findings only on request.
    pub fn findings(&self, include_info: bool) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files.iter().flat_map(move |file| {
            file.findings
                .iter()
                .filter(move |f| include_info || f.severity > Severity::Info)
                .map(move |finding| (file, finding))
        })
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            files: self.files.len(),
            failures: self.errors.len(),
            ..Summary::default()
        };
        for file in &self.files {
            match &file.outcome {
                Outcome::Linted => {
                    summary.rules += 1;
                    if file.findings.iter().all(|f| f.severity == Severity::Info) {
                        summary.ready += 1;
                    }
                }
                Outcome::Skipped(SkipReason::Disabled) => summary.disabled += 1,
                Outcome::Skipped(_) => summary.skipped += 1,
            }
            summary.suppressed += file.suppressed;
            summary.failures += usize::from(file.internal_error);
            for finding in &file.findings {
                match finding.severity {
                    Severity::Error => summary.errors += 1,
                    Severity::Warning => summary.warnings += 1,
                    Severity::Info => summary.infos += 1,
                }
            }
        }
        summary
    }

    /// The most severe finding left.
    pub fn worst(&self) -> Option<Severity> {
        self.files.iter().flat_map(|f| &f.findings).map(|f| f.severity).max()
    }
}

/// Lints the named files and every rule file under the named folders.
pub fn check(paths: &[PathBuf], limits: &Limits) -> Run {
    let discovery = discover::discover(paths);
    let lint = |candidate: &Candidate| lint_file(candidate, limits);
    let results: Vec<Result<FileReport, DiscoveryError>> = match rayon::ThreadPoolBuilder::new()
        .stack_size(crate::limits::LARGE_STACK)
        .build()
    {
        Ok(pool) => pool.install(|| discovery.candidates.par_iter().map(lint).collect()),
        Err(_) => discovery
            .candidates
            .iter()
            .map(|candidate| with_large_stack(|| lint(candidate)))
            .collect(),
    };
    let mut run = Run {
        files: Vec::with_capacity(results.len()),
        errors: discovery.errors,
    };
    for result in results {
        match result {
            Ok(file) => run.files.push(file),
            Err(error) => run.errors.push(error),
        }
    }
    run.errors.sort_by(|a, b| a.path.cmp(&b.path));
    run
}

fn lint_file(candidate: &Candidate, limits: &Limits) -> Result<FileReport, DiscoveryError> {
    let path = &candidate.path;
    let bytes = std::fs::read(path).map_err(|error| DiscoveryError {
        path: path.clone(),
        message: format!("cannot read {}: {error}", path.display()),
    })?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut report = FileReport {
        path: path.clone(),
        outcome: Outcome::Linted,
        findings: Vec::new(),
        suppressed: 0,
        text,
        internal_error: false,
    };

    let meta = candidate.meta.as_ref().filter(|_| !candidate.explicit);
    if let Some(meta) = meta {
        if !meta.enabled {
            report.outcome = Outcome::Skipped(SkipReason::Disabled);
            return Ok(report);
        }
        if meta.stage != LOGIN_STAGE {
            let source = SourceText::new(&report.text);
            let message = format!(
                "{} gives this rule the stage {}; only {LOGIN_STAGE} rules become post-login Actions",
                meta.source.display(),
                meta.stage
            );
            report
                .findings
                .push(Finding::new(&source, Code::OtherStage, 0..0, message));
            report.outcome = Outcome::Skipped(SkipReason::OtherStage(meta.stage.clone()));
            return Ok(report);
        }
    }

    // The converter reports a panic on this file as an internal error (R2A090) itself.
    let conversion = convert_bytes(&bytes, limits);
    let first = conversion.diagnostics.first().map(|d| d.code);
    let known_rule = candidate.explicit || meta.is_some();
    let skip = match (conversion.status, first) {
        (Status::Unchanged, _) if !candidate.explicit => Some(SkipReason::AlreadyAction),
        (Status::Failed, Some(Code::NotARule)) if !known_rule => Some(SkipReason::NotARule),
        (Status::Failed, Some(Code::EmptyFile)) if !known_rule => Some(SkipReason::Empty),
        (Status::Failed, Some(Code::ParseError)) if !known_rule && is_es_module(&report.text) => {
            Some(SkipReason::EsModule)
        }
        _ => None,
    };
    if let Some(reason) = skip {
        report.outcome = Outcome::Skipped(reason);
        return Ok(report);
    }
    report.internal_error = conversion.status == Status::InternalError;
    report.findings = conversion.diagnostics;
    report.suppressed = suppress::apply(&report.text, &mut report.findings);
    report.findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    Ok(report)
}

/// Whether a file that does not parse as a script is an ES module: rules are scripts, so a file
/// with a top-level `import` or `export` statement is other JavaScript, not a broken rule.
fn is_es_module(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        ["import ", "import{", "export ", "export{"]
            .iter()
            .any(|keyword| line.starts_with(keyword))
    })
}
