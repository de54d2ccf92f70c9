//! `rules2actions check`: a CI gate for rule repositories. Lints every rule file under the given
//! paths (see `crate::lint` for how files are found and classified) and renders the findings in
//! one of five formats on stdout, from one printer, in path order; the summary goes to stderr.

use super::report::{write_diagnostic, Style};
use super::{use_color, ColorChoice, Io, LimitArgs, EXIT_CLEAN, EXIT_FAILURE, EXIT_FINDINGS};
use crate::diagnostics::Severity;
use crate::lint::{self, output, FileReport, Finding, Outcome, Run, Summary};
use clap::{Args, ValueEnum};
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(
    after_help = "Suppress one finding with a comment on the line before it (or at the end of its line):\n  // rules2actions-ignore R2A204: metadata is written by the provisioning job\n\nExamples:\n  rules2actions check .\n  rules2actions check rules/ --format github\n  rules2actions check rules/ --format sarif > r2a.sarif\n  rules2actions check rules/ --fail-on error\n\nExit codes: 0 nothing at or above the --fail-on level, 1 findings at or above it, 2 the tool failed (unreadable path, bad arguments)."
)]
pub struct CheckArgs {
    /// Files and folders to check; folders are walked respecting .gitignore
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format of the findings on stdout
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
    /// Lowest severity that makes the exit code 1
    #[arg(long, value_enum, default_value_t = FailOn::Warning, value_name = "LEVEL")]
    fail_on: FailOn,
    /// Also report the rewrites applied (info findings) and list the files skipped
    #[arg(short, long)]
    verbose: bool,
    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// path:line:col CODE severity: message, a code frame and help
    Human,
    /// One line per finding
    Concise,
    /// One versioned JSON document: findings, files, errors and a summary
    Json,
    /// GitHub workflow annotations (::warning file=…)
    Github,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only errors (constructs with no Action equivalent, files that cannot be converted)
    Error,
    /// Warnings and errors: anything a human must finish
    Warning,
    /// Never: the exit code is 0 unless the tool failed
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Never => None,
        }
    }
}

pub fn run(args: &CheckArgs, io: &mut Io<'_>) -> io::Result<i32> {
    let run = lint::check(&args.paths, &args.limits.limits());
    let out_style = Style {
        color: use_color(args.color, io.stdout_is_terminal)
            && matches!(args.format, CheckFormat::Human | CheckFormat::Concise),
    };
    let err_style = Style {
        color: use_color(args.color, io.stderr_is_terminal),
    };
    let verbose = args.verbose;
    match args.format {
        CheckFormat::Human => write_human(io.stdout, &out_style, &run, verbose)?,
        CheckFormat::Concise => write_concise(io.stdout, &out_style, &run, verbose)?,
        CheckFormat::Json => output::write_json(io.stdout, &run, verbose)?,
        CheckFormat::Github => output::write_github(io.stdout, &run, verbose)?,
        CheckFormat::Sarif => output::write_sarif(io.stdout, &run, verbose)?,
    }
    io.stdout.flush()?;
    if verbose {
        write_skipped(io.stderr, &run)?;
    }
    for error in &run.errors {
        writeln!(io.stderr, "rules2actions: error: {}", error.message)?;
    }
    let summary = run.summary();
    write_summary(io.stderr, &err_style, &summary)?;
    Ok(exit_code(&run, &summary, args.fail_on))
}

fn exit_code(run: &Run, summary: &Summary, fail_on: FailOn) -> i32 {
    if summary.failures > 0 {
        EXIT_FAILURE
    } else if fail_on
        .threshold()
        .is_some_and(|threshold| run.worst().is_some_and(|worst| worst >= threshold))
    {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

fn write_human(out: &mut dyn Write, style: &Style, run: &Run, verbose: bool) -> io::Result<()> {
    for (index, (file, finding)) in run.findings(verbose).enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        write_finding(out, style, file, finding)?;
    }
    Ok(())
}

/// One finding, through the same renderer as `convert`.
fn write_finding(out: &mut dyn Write, style: &Style, file: &FileReport, finding: &Finding) -> io::Result<()> {
    write_diagnostic(out, style, &output::display(&file.path), &file.text, finding)
}

fn write_concise(out: &mut dyn Write, style: &Style, run: &Run, verbose: bool) -> io::Result<()> {
    for (file, finding) in run.findings(verbose) {
        writeln!(
            out,
            "{}:{}:{} {} {}: {}",
            style.paint("1", &output::display(&file.path)),
            finding.start.line,
            finding.start.column,
            style.paint("1", finding.code.id()),
            finding.severity,
            finding.message
        )?;
    }
    Ok(())
}

fn write_skipped(out: &mut dyn Write, run: &Run) -> io::Result<()> {
    for file in &run.files {
        if let Outcome::Skipped(reason) = &file.outcome {
            writeln!(out, "skipped {}: {reason}", output::display(&file.path))?;
        }
    }
    Ok(())
}

fn write_summary(out: &mut dyn Write, style: &Style, summary: &Summary) -> io::Result<()> {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = vec![format!(
        "checked {} ({} ready, {} need work)",
        plural(summary.rules, "rule"),
        summary.ready,
        summary.rules - summary.ready
    )];
    if summary.skipped + summary.disabled > 0 {
        let mut skipped = format!("skipped {}", plural(summary.skipped + summary.disabled, "file"));
        if summary.disabled > 0 {
            skipped.push_str(&format!(" ({} disabled)", plural(summary.disabled, "rule")));
        }
        parts.push(skipped);
    }
    parts.push(format!(
        "{}, {}",
        plural(summary.warnings, "warning"),
        plural(summary.errors, "error")
    ));
    if summary.suppressed > 0 {
        parts.push(format!("{} suppressed", summary.suppressed));
    }
    if summary.failures > 0 {
        parts.push(format!("{} could not be checked", plural(summary.failures, "path")));
    }
    writeln!(out, "{}", style.paint("1", &parts.join("; ")))
}
