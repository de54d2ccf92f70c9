//! `rules2actions check`: a CI gate for rule repositories. Lints every rule file under the given
//! paths (see `crate::lint` for how files are found and classified) and renders the findings in
//! one of five formats on stdout, in path order, as the files are linted; the summary goes to
//! stderr. The human formats print names and messages through `printable`.

use super::report::{write_diagnostic, Style};
use super::{use_color, ColorChoice, Io, LimitArgs, EXIT_CLEAN, EXIT_FAILURE, EXIT_FINDINGS};
use crate::diagnostics::Severity;
use crate::lint::output::{self, Printer};
use crate::lint::{self, FileReport, Outcome, Run, Summary};
use crate::safe_text::printable;
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
    let out_style = Style {
        color: use_color(args.color, io.stdout_is_terminal)
            && matches!(args.format, CheckFormat::Human | CheckFormat::Concise),
    };
    let err_style = Style {
        color: use_color(args.color, io.stderr_is_terminal),
    };
    let mut printer = start_printer(args.format, io.stdout, out_style, args.verbose)?;
    // Listed on stderr after the findings, with --verbose only.
    let mut skipped = Vec::new();
    let run = lint::check(&args.paths, &args.limits.limits(), &mut |file| {
        match &file.outcome {
            Outcome::Skipped(reason) if args.verbose => {
                let line = format!("skipped {}: {reason}", output::display(&file.path));
                skipped.push(printable(&line).into_owned());
            }
            _ => {}
        }
        printer.file(file)
    })?;
    printer.finish(&run)?;
    io.stdout.flush()?;
    for line in skipped {
        writeln!(io.stderr, "{line}")?;
    }
    for error in &run.errors {
        writeln!(io.stderr, "rules2actions: error: {}", printable(&error.message))?;
    }
    write_summary(io.stderr, &err_style, &run.summary)?;
    Ok(exit_code(&run, args.fail_on))
}

fn start_printer<'a>(
    format: CheckFormat,
    out: &'a mut dyn Write,
    style: Style,
    verbose: bool,
) -> io::Result<Box<dyn Printer + 'a>> {
    Ok(match format {
        CheckFormat::Human => Box::new(HumanPrinter {
            out,
            style,
            verbose,
            printed: false,
        }),
        CheckFormat::Concise => Box::new(ConcisePrinter { out, style, verbose }),
        CheckFormat::Json => Box::new(output::JsonPrinter::start(out, verbose)?),
        CheckFormat::Github => Box::new(output::GithubPrinter::new(out, verbose)),
        CheckFormat::Sarif => Box::new(output::SarifPrinter::start(out, verbose)?),
    })
}

fn exit_code(run: &Run, fail_on: FailOn) -> i32 {
    if run.summary.failures > 0 {
        EXIT_FAILURE
    } else if fail_on
        .threshold()
        .is_some_and(|threshold| run.worst.is_some_and(|worst| worst >= threshold))
    {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Each finding through the same renderer as `convert`, a blank line between two.
struct HumanPrinter<'a> {
    out: &'a mut dyn Write,
    style: Style,
    verbose: bool,
    /// A finding was printed: the next one comes after a blank line.
    printed: bool,
}

impl Printer for HumanPrinter<'_> {
    fn file(&mut self, file: &FileReport) -> io::Result<()> {
        let path = output::display(&file.path);
        for finding in file.shown(self.verbose) {
            if self.printed {
                writeln!(self.out)?;
            }
            write_diagnostic(self.out, &self.style, &path, &file.text, finding)?;
            self.printed = true;
        }
        Ok(())
    }
}

/// `path:line:col CODE severity: message`, one line per finding.
struct ConcisePrinter<'a> {
    out: &'a mut dyn Write,
    style: Style,
    verbose: bool,
}

impl Printer for ConcisePrinter<'_> {
    fn file(&mut self, file: &FileReport) -> io::Result<()> {
        let path = self.style.paint("1", &printable(&output::display(&file.path)));
        for finding in file.shown(self.verbose) {
            writeln!(
                self.out,
                "{path}:{}:{} {} {}: {}",
                finding.start.line,
                finding.start.column,
                self.style.paint("1", finding.code.id()),
                finding.severity,
                printable(&finding.message)
            )?;
        }
        Ok(())
    }
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
