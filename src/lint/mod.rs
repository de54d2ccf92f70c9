//! The engine of `rules2actions check`: find the rule files of a repository, convert each one (in
//! parallel, on large-stack threads) to learn what still needs a human, and apply in-source
//! suppressions. It reads files but prints nothing: it hands each file, in path order, to the
//! caller (`cli::check`), which renders it at once, and keeps only the totals.
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
mod pretty;
pub mod suppress;

use crate::cli::files::{read_file, ReadError};
use crate::convert::{convert_bytes, Status};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::limits::{with_large_stack, Limits, LARGE_STACK};
use crate::source::SourceText;
use discover::{Candidate, DiscoveryError, RuleMeta, LOGIN_STAGE};
use rayon::prelude::*;
use serde::Serialize;
use std::io;
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

impl FileReport {
    /// The findings to report, by position. Info findings only on request.
    pub fn shown(&self, include_info: bool) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |f| include_info || f.severity > Severity::Info)
    }
}

/// What is left of a run of `check` once every file has been handed out: totals, not files.
#[derive(Debug, Default)]
pub struct Run {
    pub summary: Summary,
    /// The most severe finding, info findings included.
    pub worst: Option<Severity>,
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
    fn count(&mut self, file: &FileReport) {
        let summary = &mut self.summary;
        summary.files += 1;
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
            self.worst = self.worst.max(Some(finding.severity));
        }
    }

    fn fail(&mut self, error: DiscoveryError) {
        self.summary.failures += 1;
        self.errors.push(error);
    }
}

/// Files linted together: enough to keep every thread busy, few enough that the texts and
/// findings of the files in flight stay a small, fixed amount of memory.
const BATCH: usize = 128;

/// Lints the named files and every rule file under the named folders, and hands each file to
/// `on_file` in path order as soon as its batch is linted; nothing of it is kept, so memory does
/// not grow with the number of files. Stops at the first error of `on_file` (stdout closed).
pub fn check(
    paths: &[PathBuf],
    limits: &Limits,
    on_file: &mut dyn FnMut(&FileReport) -> io::Result<()>,
) -> io::Result<Run> {
    let linter = Linter::new(limits);
    let discovery = linter.run(|| discover::discover(paths));
    let mut run = Run::default();
    discovery.errors.into_iter().for_each(|error| run.fail(error));
    linter.stream(&discovery.candidates, |result| match result {
        Ok(file) => {
            run.count(&file);
            on_file(&file)
        }
        Err(error) => {
            run.fail(error);
            Ok(())
        }
    })?;
    run.errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(run)
}

/// Lints on a pool of large-stack threads (swc recurses deeply on nested code), or one file at a
/// time on a large-stack thread of its own if the pool cannot be built.
struct Linter<'a> {
    pool: Option<rayon::ThreadPool>,
    limits: &'a Limits,
}

impl<'a> Linter<'a> {
    fn new(limits: &'a Limits) -> Linter<'a> {
        let pool = rayon::ThreadPoolBuilder::new().stack_size(LARGE_STACK).build().ok();
        Linter { pool, limits }
    }

    /// Runs `work` on the pool, so that its parallel iterators use the pool's threads.
    fn run<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        match &self.pool {
            Some(pool) => pool.install(work),
            None => work(),
        }
    }

    /// Lints `candidates` batch by batch and hands every result to `take`, in order. Batches are
    /// linted on a thread of their own, a batch ahead: the pool need not wait while `take` renders
    /// (a verbose SARIF document of 10,000 rules is 40 MB), and at most three batches are held.
    fn stream(
        &self,
        candidates: &[Candidate],
        mut take: impl FnMut(Result<FileReport, DiscoveryError>) -> io::Result<()>,
    ) -> io::Result<()> {
        std::thread::scope(|scope| {
            let (sender, batches) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for batch in candidates.chunks(BATCH) {
                    // A failed send means `take` failed and the receiver is gone: stop linting.
                    if sender.send(self.lint_batch(batch)).is_err() {
                        return;
                    }
                }
            });
            batches.into_iter().flatten().try_for_each(&mut take)
        })
    }

    fn lint_batch(&self, batch: &[Candidate]) -> Vec<Result<FileReport, DiscoveryError>> {
        let lint = |candidate: &Candidate| lint_file(candidate, self.limits);
        match &self.pool {
            Some(pool) => pool.install(|| batch.par_iter().map(lint).collect()),
            None => batch.iter().map(|c| with_large_stack(|| lint(c))).collect(),
        }
    }
}

fn lint_file(candidate: &Candidate, limits: &Limits) -> Result<FileReport, DiscoveryError> {
    let path = &candidate.path;
    let bytes = match read_file(path, limits.max_file_size as u64) {
        Ok(bytes) => bytes,
        Err(error) => return refused(path, error),
    };
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
    match meta {
        Some(RuleMeta::Disabled) => {
            report.outcome = Outcome::Skipped(SkipReason::Disabled);
            return Ok(report);
        }
        Some(RuleMeta::OtherStage(other)) => {
            let source = SourceText::new(&report.text);
            let message = format!(
                "{} gives this rule the stage {}; only {LOGIN_STAGE} rules become post-login Actions",
                other.source.display(),
                other.stage
            );
            report
                .findings
                .push(Finding::new(&source, Code::OtherStage, 0..0, message));
            report.outcome = Outcome::Skipped(SkipReason::OtherStage(other.stage.clone()));
            return Ok(report);
        }
        Some(RuleMeta::Login) | None => {}
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

/// A file refused unread (too large, not a regular file) is linted as a rule with that one finding;
/// a file that cannot be read at all is a failure of the run.
fn refused(path: &std::path::Path, error: ReadError) -> Result<FileReport, DiscoveryError> {
    let refusal = error
        .refusal()
        .ok_or_else(|| DiscoveryError::unreadable(path, &error))?;
    Ok(FileReport {
        path: path.to_path_buf(),
        outcome: Outcome::Linted,
        findings: refusal.diagnostics,
        suppressed: 0,
        text: String::new(),
        internal_error: false,
    })
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
