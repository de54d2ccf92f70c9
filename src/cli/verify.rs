//! `rules2actions verify`: converts each rule (or takes the Action given with `--action`), runs
//! both on login scenarios in the simulated runtimes of `crate::verify`, and reports, per file and
//! per scenario, whether they behave the same and which fields differ.
//!
//! Exit codes: 0 identical on every scenario of every file; 1 a difference, or a scenario that is
//! only inconclusive (something was stubbed, nothing finished); 2 something could not run (no
//! Node.js, unreadable file, a rule that does not convert, code that does not compile).

use super::files::read_file;
use super::{use_color, ColorChoice, Io, LimitArgs, EXIT_CLEAN, EXIT_FAILURE, EXIT_FINDINGS};
use crate::convert::Status;
use crate::diagnostics::{Diagnostic, Severity};
use crate::limits::with_large_stack;
use crate::safe_text::printable;
use crate::verify::compare::{FieldDiff, Verdict};
use crate::verify::coverage::BranchCoverage;
use crate::verify::explore::{explore, plan_bytes, Exploration, Plan};
use crate::verify::runner::{Runtime, Side};
use crate::verify::scenarios::parse_scenarios;
use crate::verify::{default_threads, Pair, ScenarioResult, DEFAULT_TIMEOUT_MS};
use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::Value;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

mod pipeline;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  rules2actions verify rules/require-mfa.js\n  rules2actions verify rules/require-mfa.js --action actions/require-mfa.js\n  rules2actions verify rules/ --scenarios scenarios.json --format json\n  rules2actions verify --pipeline ./tenant-export --actions ./tenant-actions\n\nExit codes: 0 identical on every scenario, 1 a difference (or a scenario that could not be verified fully), 2 something could not run."
)]
pub struct VerifyArgs {
    /// Rule files, or folders of rules (every .js file inside, except *.action.js); with
    /// --pipeline, one deploy-cli export
    #[arg(required = true, value_name = "RULE")]
    files: Vec<PathBuf>,
    /// Verify the export's whole pipeline: its enabled rules in order, sharing `user`, `context`
    /// and `global`, against its post-login Actions in trigger order
    #[arg(long)]
    pipeline: bool,
    /// With --pipeline: the output of `migrate` for the export (else it is migrated in memory)
    #[arg(long, value_name = "DIR", requires = "pipeline", conflicts_with = "action")]
    actions: Option<PathBuf>,
    /// Compare against this Action instead of the converted rule (one rule file only)
    #[arg(long, value_name = "FILE")]
    action: Option<PathBuf>,
    /// A JSON list of login scenarios, run in addition to the default ones
    #[arg(long, value_name = "FILE")]
    scenarios: Option<PathBuf>,
    /// Run only the scenarios of --scenarios, not the defaults derived from each rule
    #[arg(long, requires = "scenarios")]
    no_defaults: bool,
    /// Output format of the results on stdout
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    format: VerifyFormat,
    /// Time limit of one run, in milliseconds (a scenario's own timeout_ms wins)
    #[arg(long, default_value_t = DEFAULT_TIMEOUT_MS, value_name = "MS")]
    timeout_ms: u64,
    /// Runs in parallel (default: the number of cores)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    /// The Node.js executable (18 or newer; 20 or newer for Node's permission model)
    #[arg(long, default_value = "node", value_name = "PATH")]
    node: OsString,
    /// A folder whose node_modules the code under test may require packages from, by bare name
    /// (`DIR/node_modules/<name>`); without it, packages other than the HTTP clients are stubbed.
    /// Only name packages you trust: they run with Node's API within the sandbox's limits
    #[arg(long, value_name = "DIR")]
    packages: Option<PathBuf>,
    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// Per file, per scenario: identical, or the differing fields with both values
    Human,
    /// One versioned JSON document
    Json,
}

#[derive(Serialize)]
struct FileReport {
    path: String,
    verdict: Verdict,
    /// `converted`, or the path of the Action given with --action.
    action: String,
    /// Warning- and error-level findings of the conversion.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    conversion_findings: Vec<Diagnostic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    scenarios: Vec<ScenarioResult>,
    /// How many of the rule's branches the scenarios reached; absent when not measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    branches: Option<BranchCoverage>,
    /// Identical on every scenario, and every branch of the rule reached.
    fully_verified: bool,
    /// How many further derived scenarios the search ran on the rule while branches were
    /// unreached; those that reached one are in `scenarios`.
    searched: usize,
}

/// How many files, or scenarios, took each verdict.
#[derive(Serialize, Default)]
struct VerdictCounts {
    identical: usize,
    inconclusive: usize,
    different: usize,
    error: usize,
}

impl VerdictCounts {
    fn of(verdicts: impl IntoIterator<Item = Verdict>) -> VerdictCounts {
        let mut counts = VerdictCounts::default();
        for verdict in verdicts {
            *match verdict {
                Verdict::Identical => &mut counts.identical,
                Verdict::Inconclusive => &mut counts.inconclusive,
                Verdict::Different => &mut counts.different,
                Verdict::Error => &mut counts.error,
            } += 1;
        }
        counts
    }
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    #[serde(flatten)]
    counts: VerdictCounts,
    /// Identical files whose scenarios reached every branch of the rule.
    fully_verified: usize,
}

#[derive(Serialize)]
struct Document<'a> {
    node: &'a str,
    files: &'a [FileReport],
    summary: &'a Summary,
}

/// A file prepared for running, or the reason it cannot be.
struct Prepared {
    report: FileReport,
    /// The pair to run, the further scenarios to try and the rule's branches, when it parses
    /// (offsets in the text the runs get).
    exploration: Option<Exploration>,
    /// Found in a folder and already an Action: left out of the report.
    skip: bool,
}

pub fn run(args: &VerifyArgs, io: &mut Io<'_>) -> io::Result<i32> {
    if args.pipeline {
        return pipeline::run(args, io);
    }
    let paths = match rule_paths(&args.files) {
        Ok(paths) => paths,
        Err(message) => return fail(io, &message),
    };
    if paths.is_empty() {
        return fail(io, "no .js rule files found");
    }
    if args.action.is_some() && (paths.len() != 1 || paths[0].1) {
        return fail(
            io,
            "--action compares one rule with one Action: give a single rule file",
        );
    }
    let action_text = match &args.action {
        Some(path) => match read_text(path, &args.limits) {
            Ok(text) => Some(text),
            Err(message) => return fail(io, &message),
        },
        None => None,
    };
    let user_scenarios = match read_user_scenarios(args, io)? {
        Ok(text) => text,
        Err(code) => return Ok(code),
    };
    let runtime = match start_runtime(args, io)? {
        Ok(runtime) => runtime,
        Err(code) => return Ok(code),
    };

    let mut prepared = Vec::new();
    for (path, in_folder) in &paths {
        prepared.push(prepare(
            *in_folder,
            args,
            &runtime,
            path,
            action_text.as_deref(),
            user_scenarios.as_deref(),
        ));
    }
    let skipped = prepared.iter().filter(|p| p.skip).count();
    prepared.retain(|p| !p.skip);
    if skipped > 0 {
        writeln!(
            io.stderr,
            "verify: skipped {skipped} file{} that {} already Actions",
            plural(skipped),
            if skipped == 1 { "is" } else { "are" }
        )?;
    }
    if prepared.is_empty() {
        return fail(io, "no rule files to verify (every file found is already an Action)");
    }
    let runs: Vec<bool> = prepared.iter().map(|p| p.exploration.is_some()).collect();
    let explorations: Vec<Exploration> = prepared.iter_mut().filter_map(|p| p.exploration.take()).collect();
    let threads = args.jobs.unwrap_or_else(default_threads).max(1);
    let mut results = explore(&runtime, explorations, threads).into_iter();
    let mut reports = Vec::new();
    for (prepared, runs) in prepared.into_iter().zip(runs) {
        let mut report = prepared.report;
        if let Some(explored) = runs.then(|| results.next()).flatten() {
            report.scenarios = explored.scenarios;
            report.branches = explored.branches;
            report.searched = explored.tried;
            report.verdict = report
                .scenarios
                .iter()
                .map(|s| s.comparison.verdict)
                .max()
                .unwrap_or(Verdict::Identical);
            report.fully_verified =
                report.verdict == Verdict::Identical && report.branches.as_ref().is_some_and(BranchCoverage::complete);
        }
        reports.push(report);
    }

    let summary = Summary {
        files: reports.len(),
        counts: VerdictCounts::of(reports.iter().map(|r| r.verdict)),
        fully_verified: reports.iter().filter(|r| r.fully_verified).count(),
    };
    let counts = &summary.counts;
    match args.format {
        VerifyFormat::Json => {
            let document = Document {
                node: &runtime.node_version,
                files: &reports,
                summary: &summary,
            };
            crate::json::write(io.stdout, "verify", &document)?;
        }
        VerifyFormat::Human => {
            let paint = Paint(use_color(args.color, io.stdout_is_terminal));
            for report in &reports {
                write_human(io.stdout, &paint, report)?;
            }
        }
    }
    let paint = Paint(use_color(args.color, io.stderr_is_terminal));
    let scenarios: usize = reports.iter().map(|r| r.scenarios.len()).sum();
    writeln!(
        io.stderr,
        "verify: {} file{} ({scenarios} scenario{}): {} identical ({} with every branch reached), {} different, {} inconclusive, {} could not run",
        summary.files,
        plural(summary.files),
        plural(scenarios),
        paint.verdict(Verdict::Identical, &counts.identical.to_string()),
        summary.fully_verified,
        paint.verdict(Verdict::Different, &counts.different.to_string()),
        paint.verdict(Verdict::Inconclusive, &counts.inconclusive.to_string()),
        paint.verdict(Verdict::Error, &counts.error.to_string()),
    )?;
    Ok(if counts.error > 0 {
        EXIT_FAILURE
    } else if counts.different + counts.inconclusive > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// The text of `--scenarios`, validated; else the exit code, the reason printed.
fn read_user_scenarios(args: &VerifyArgs, io: &mut Io<'_>) -> io::Result<Result<Option<String>, i32>> {
    Ok(Ok(match &args.scenarios {
        Some(path) => match read_text(path, &args.limits) {
            Ok(text) => {
                // Validated once here; parsed again per rule with that rule's secret placeholders.
                if let Err(message) = parse_scenarios(&text, &Value::Null, args.timeout_ms) {
                    return fail(io, &format!("{}: {message}", path.display())).map(Err);
                }
                Some(text)
            }
            Err(message) => return fail(io, &message).map(Err),
        },
        None => None,
    }))
}

/// The UTF-8 text of a file given as an option (`--action`, `--scenarios`), refused unread when
/// it is no regular file (a FIFO would block) or larger than `--max-file-size`, as rules are.
fn read_text(path: &Path, limits: &LimitArgs) -> Result<String, String> {
    let unreadable = |reason: &dyn std::fmt::Display| format!("cannot read {}: {reason}", path.display());
    let bytes = read_file(path, limits.limits().max_file_size as u64).map_err(|e| unreadable(&e))?;
    String::from_utf8(bytes).map_err(|_| unreadable(&"it is not UTF-8 text"))
}

/// The runtime of `--node` and `--packages`, with the network warning printed where it applies;
/// else the exit code, the reason printed.
fn start_runtime(args: &VerifyArgs, io: &mut Io<'_>) -> io::Result<Result<Runtime, i32>> {
    let runtime = match Runtime::new(&args.node) {
        Ok(runtime) => runtime,
        Err(error) => return fail(io, &error.to_string()).map(Err),
    };
    let runtime = match runtime.with_packages(args.packages.clone()) {
        Ok(runtime) => runtime,
        Err(error) => {
            let folder = args.packages.as_deref().unwrap_or(Path::new("")).display().to_string();
            return fail(
                io,
                &format!("cannot use the packages folder {}: {error}", printable(&folder)),
            )
            .map(Err);
        }
    };
    if !runtime.network_isolated() {
        writeln!(
            io.stderr,
            "rules2actions: warning: network {}",
            runtime.network_isolation()
        )?;
    }
    Ok(Ok(runtime))
}

fn fail(io: &mut Io<'_>, message: &str) -> io::Result<i32> {
    writeln!(io.stderr, "rules2actions: verify: {}", printable(message))?;
    Ok(EXIT_FAILURE)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The rule files named, with folders expanded to their `.js` files (sorted, `*.action.js` left
/// out: those are what `convert --write` puts beside a rule), each with whether it was found in a
/// folder.
fn rule_paths(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, String> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            let mut errors = Vec::new();
            // The walk of `check`: .gitignore, .ignore and hidden files are honoured. The Actions
            // `convert --write` puts beside the rules are not rules.
            crate::lint::discover::walk_files(
                input,
                |path| {
                    let name = path.file_name().unwrap_or_default().to_string_lossy();
                    if name.ends_with(".js") && !name.ends_with(".action.js") {
                        found.push(path.to_path_buf());
                    }
                },
                |error| errors.push(error.message),
            );
            if let Some(error) = errors.into_iter().next() {
                return Err(error);
            }
            found.sort();
            out.extend(found.into_iter().map(|p| (p, true)));
        } else {
            out.push((input.clone(), false));
        }
    }
    Ok(out)
}

/// Reads and converts one rule and builds its scenarios.
fn prepare(
    in_folder: bool,
    args: &VerifyArgs,
    runtime: &Runtime,
    path: &Path,
    given_action: Option<&str>,
    user_scenarios: Option<&str>,
) -> Prepared {
    let mut report = FileReport {
        path: path.display().to_string(),
        verdict: Verdict::Error,
        action: args
            .action
            .as_ref()
            .map_or_else(|| "converted".to_string(), |p| p.display().to_string()),
        conversion_findings: Vec::new(),
        error: None,
        scenarios: Vec::new(),
        branches: None,
        fully_verified: false,
        searched: 0,
    };
    fn failed(mut report: FileReport, message: String) -> Prepared {
        report.error = Some(message);
        Prepared {
            report,
            exploration: None,
            skip: false,
        }
    }
    let limits = args.limits.limits();
    let timeout = args.timeout_ms.max(1);
    // A FIFO or a huge file is refused unread, as by `convert` and `check`.
    let (bytes, plan) = match read_file(path, limits.max_file_size as u64) {
        Ok(bytes) => {
            let plan = with_large_stack(|| plan_bytes(&bytes, &limits, timeout));
            (bytes, plan)
        }
        Err(error) => match error.refusal() {
            Some(conversion) => (Vec::new(), Plan::refused(conversion)),
            None => return failed(report, format!("cannot read the rule: {error}")),
        },
    };
    let Plan {
        conversion,
        derived,
        branches,
    } = plan;
    report.conversion_findings = conversion
        .diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .cloned()
        .collect();
    let rule_text = String::from_utf8_lossy(&bytes).into_owned();
    let action = match (given_action, conversion.status) {
        (Some(text), _) => text.to_string(),
        (None, Status::Converted) => conversion.action.clone().unwrap_or_default(),
        (None, Status::Unchanged) => {
            let mut prepared = failed(
                report,
                "the file is already an Action, not a rule: give the rule, and this file with --action".into(),
            );
            prepared.skip = in_folder;
            return prepared;
        }
        (None, Status::Failed | Status::InternalError) => {
            let first = conversion
                .diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error)
                .map(|d| format!(": {} {}", d.code.id(), d.message))
                .unwrap_or_default();
            return failed(report, format!("the rule does not convert{first}"));
        }
    };
    let (mut scenarios, further) = if args.no_defaults {
        (Vec::new(), None)
    } else {
        (derived.defaults, Some(derived.further))
    };
    if let Some(text) = user_scenarios {
        match parse_scenarios(text, &derived.secrets, timeout) {
            Ok(list) => scenarios.extend(list),
            Err(message) => return failed(report, format!("scenarios: {message}")),
        }
    }
    if scenarios.is_empty() {
        return failed(report, "no scenarios to run".into());
    }
    let written = runtime
        .write_code(Side::Rule, &rule_text)
        .and_then(|rule| Ok((rule, runtime.write_code(Side::Action, &action)?)));
    match written {
        Ok((rule, action)) => Prepared {
            report,
            exploration: Some(Exploration {
                pair: Pair {
                    rule,
                    action,
                    scenarios,
                },
                further,
                branches,
            }),
            skip: false,
        },
        Err(error) => failed(report, format!("cannot write the code to run: {error}")),
    }
}

struct Paint(bool);

impl Paint {
    fn paint(&self, ansi: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{ansi}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn verdict(&self, verdict: Verdict, text: &str) -> String {
        let ansi = match verdict {
            Verdict::Identical => "32",
            Verdict::Inconclusive => "33",
            Verdict::Different => "1;31",
            Verdict::Error => "1;35",
        };
        self.paint(ansi, text)
    }
}

fn write_human(out: &mut dyn Write, paint: &Paint, report: &FileReport) -> io::Result<()> {
    let against = if report.action == "converted" {
        "its converted Action".to_string()
    } else {
        printable(&report.action).into_owned()
    };
    let detail = verdict_detail(report.verdict, report.error.is_some(), &report.scenarios, || {
        identical_detail(report)
    });
    writeln!(
        out,
        "{} vs {against}: {}{detail}",
        paint.paint("1", &printable(&report.path)),
        paint.verdict(report.verdict, report.verdict.as_str())
    )?;
    if let Some(error) = &report.error {
        writeln!(out, "  {}", printable(error))?;
    }
    if let Some(branches) = &report.branches {
        write_branches(out, branches)?;
    }
    if report.searched > 0 {
        let kept = report.scenarios.iter().filter(|s| s.found_by_search).count();
        writeln!(
            out,
            "  the search for more scenarios ran {} on the rule and kept {kept}",
            report.searched
        )?;
    }
    if !report.conversion_findings.is_empty() {
        writeln!(
            out,
            "  the conversion left {} finding{} for a human (see `rules2actions convert`)",
            report.conversion_findings.len(),
            plural(report.conversion_findings.len())
        )?;
    }
    for scenario in &report.scenarios {
        write_scenario(out, paint, scenario)?;
    }
    Ok(())
}

/// A scenario's verdict, and what differs.
fn write_scenario(out: &mut dyn Write, paint: &Paint, scenario: &ScenarioResult) -> io::Result<()> {
    let c = &scenario.comparison;
    writeln!(
        out,
        "  {}: {}",
        printable(&scenario.name),
        paint.verdict(c.verdict, c.verdict.as_str())
    )?;
    for diff in &c.differences {
        write_diff(out, paint, diff, "")?;
    }
    for reason in &c.reasons {
        writeln!(out, "      {}", printable(reason))?;
    }
    if c.verdict != Verdict::Identical {
        for note in &c.notes {
            write_diff(out, paint, note, "note: ")?;
        }
    }
    Ok(())
}

/// After "identical": how far the scenarios went. Identical with a branch never run is identical
/// on the scenarios run, not fully verified.
/// What follows a file's or a pipeline's verdict: `identical` says what ran (`on_identical`),
/// another verdict how many scenarios were identical, an error nothing (its message follows).
fn verdict_detail(
    verdict: Verdict,
    has_error: bool,
    scenarios: &[ScenarioResult],
    on_identical: impl FnOnce() -> String,
) -> String {
    match verdict {
        Verdict::Error if has_error => String::new(),
        Verdict::Identical => on_identical(),
        _ => {
            let identical = scenarios
                .iter()
                .filter(|s| s.comparison.verdict == Verdict::Identical)
                .count();
            format!(" ({identical} of {} scenarios identical)", scenarios.len())
        }
    }
}

fn identical_detail(report: &FileReport) -> String {
    let n = report.scenarios.len();
    match &report.branches {
        Some(b) if b.complete() => format!(" on {n} scenario{}, every branch of the rule reached", plural(n)),
        Some(b) => {
            let missed = b.total - b.reached;
            format!(
                " on the {n} scenario{} run; not fully verified: {missed} branch{} of the rule never ran",
                plural(n),
                if missed == 1 { "" } else { "es" }
            )
        }
        None => format!(" on {n} scenario{} (branches not measured)", plural(n)),
    }
}

/// The share of branches reached and where the first unreached ones are.
fn write_branches(out: &mut dyn Write, branches: &BranchCoverage) -> io::Result<()> {
    const SHOWN: usize = 8;
    writeln!(
        out,
        "  branches reached: {} of {} ({}%)",
        branches.reached,
        branches.total,
        branches.percent()
    )?;
    if branches.unreached.is_empty() {
        return Ok(());
    }
    let mut places: Vec<String> = branches
        .unreached
        .iter()
        .take(SHOWN)
        .map(|b| format!("line {} ({})", b.position.line, b.kind))
        .collect();
    if branches.unreached.len() > SHOWN {
        places.push(format!("{} more", branches.unreached.len() - SHOWN));
    }
    writeln!(out, "  never ran: {}", places.join(", "))
}

fn write_diff(out: &mut dyn Write, paint: &Paint, diff: &FieldDiff, prefix: &str) -> io::Result<()> {
    writeln!(out, "    {prefix}{}", paint.paint("1", &printable(&diff.field)))?;
    writeln!(out, "      rule:   {}", show(diff.rule.as_ref()))?;
    writeln!(out, "      action: {}", show(diff.action.as_ref()))
}

/// A value as JSON, clipped. JSON escapes C0 controls but not DEL, C1 or bidirectional controls.
fn show(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "(not set)".to_string();
    };
    let text = value.to_string();
    let text = printable(&text);
    if text.chars().count() > 300 {
        let clipped: String = text.chars().take(300).collect();
        format!("{clipped}…")
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_as_check_walks_them() {
        let dir = std::env::temp_dir().join(format!("r2a-verify-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for name in [
            "a.js",
            "a.action.js",
            "ignored.js",
            ".hidden/b.js",
            "sub/c.js",
            "notes.txt",
        ] {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        std::fs::write(dir.join(".gitignore"), "ignored.js\n").unwrap();
        let named = dir.join("ignored.js");
        let paths = rule_paths(&[dir.clone(), named.clone()]).unwrap();
        let expected = vec![(dir.join("a.js"), true), (dir.join("sub/c.js"), true), (named, false)];
        assert_eq!(paths, expected);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
