//! `rules2actions verify --pipeline EXPORT [--actions DIR]`: the export's whole Rules pipeline
//! against its Actions (`crate::verify::pipeline`), reported like per-rule verify: human text or
//! one JSON document on stdout, the summary on stderr, and the same exit codes (0 identical on
//! every scenario, 1 a difference or an inconclusive scenario, 2 something could not run).

use super::{
    fail, plural, read_user_scenarios, start_runtime, verdict_detail, write_scenario, Paint, VerdictCounts, VerifyArgs,
    VerifyFormat,
};
use crate::cli::{use_color, Io, EXIT_CLEAN, EXIT_FAILURE, EXIT_FINDINGS};
use crate::safe_text::printable;
use crate::verify::compare::Verdict;
use crate::verify::default_threads;
use crate::verify::pipeline::{verify, Options, PipelineReport};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Summary {
    scenarios: usize,
    #[serde(flatten)]
    counts: VerdictCounts,
}

#[derive(Serialize)]
struct Document<'a> {
    node: &'a str,
    pipeline: &'a PipelineReport,
    summary: &'a Summary,
}

pub fn run(args: &VerifyArgs, io: &mut Io<'_>) -> io::Result<i32> {
    let [export] = args.files.as_slice() else {
        return fail(
            io,
            "--pipeline verifies one deploy-cli export: give its folder (or its tenant YAML file)",
        );
    };
    if args.action.is_some() {
        return fail(io, "--pipeline takes the Actions with --actions DIR, not --action");
    }
    let user_scenarios = match read_user_scenarios(args, io)? {
        Ok(text) => text,
        Err(code) => return Ok(code),
    };
    let runtime = match start_runtime(args, io)? {
        Ok(runtime) => runtime,
        Err(code) => return Ok(code),
    };
    let options = Options {
        limits: args.limits.limits(),
        actions: args.actions.as_deref(),
        user_scenarios: user_scenarios.as_deref(),
        defaults: !args.no_defaults,
        timeout_ms: args.timeout_ms.max(1),
    };
    let threads = args.jobs.unwrap_or_else(default_threads).max(1);
    let report = verify(&runtime, export, &options, threads);
    let summary = Summary {
        scenarios: report.scenarios.len(),
        counts: VerdictCounts::of(report.scenarios.iter().map(|s| s.comparison.verdict)),
    };
    let counts = &summary.counts;
    match args.format {
        VerifyFormat::Json => {
            let document = Document {
                node: &runtime.node_version,
                pipeline: &report,
                summary: &summary,
            };
            crate::json::write(io.stdout, "verify", &document)?;
        }
        VerifyFormat::Human => {
            let paint = Paint(use_color(args.color, io.stdout_is_terminal));
            write_human(io.stdout, &paint, &report)?;
        }
    }
    let paint = Paint(use_color(args.color, io.stderr_is_terminal));
    writeln!(
        io.stderr,
        "verify: pipeline of {} rule{} vs {} Action{} ({} scenario{}): {} identical, {} different, {} inconclusive, {} could not run",
        report.rules.len(),
        plural(report.rules.len()),
        report.actions.len(),
        plural(report.actions.len()),
        summary.scenarios,
        plural(summary.scenarios),
        paint.verdict(Verdict::Identical, &counts.identical.to_string()),
        paint.verdict(Verdict::Different, &counts.different.to_string()),
        paint.verdict(Verdict::Inconclusive, &counts.inconclusive.to_string()),
        paint.verdict(Verdict::Error, &counts.error.to_string()),
    )?;
    Ok(match report.verdict {
        Verdict::Error => EXIT_FAILURE,
        Verdict::Different | Verdict::Inconclusive => EXIT_FINDINGS,
        Verdict::Identical => EXIT_CLEAN,
    })
}

fn write_human(out: &mut dyn Write, paint: &Paint, report: &PipelineReport) -> io::Result<()> {
    let against = if report.actions_from == "migrated" {
        "its migrated Actions".to_string()
    } else {
        format!("the Actions of {}", printable(&report.actions_from))
    };
    let n = report.scenarios.len();
    let detail = verdict_detail(report.verdict, report.error.is_some(), &report.scenarios, || {
        format!(" on {n} scenario{}", plural(n))
    });
    writeln!(
        out,
        "pipeline of {} vs {against}: {}{detail}",
        paint.paint("1", &printable(&report.export)),
        paint.verdict(report.verdict, report.verdict.as_str())
    )?;
    if let Some(error) = &report.error {
        writeln!(out, "  {}", printable(error))?;
    }
    if !report.rules.is_empty() {
        writeln!(out, "  rules, in order: {}", names(&report.rules))?;
        writeln!(out, "  actions, in trigger order: {}", names(&report.actions))?;
    }
    for note in &report.notes {
        writeln!(out, "  note: {}", printable(note))?;
    }
    for scenario in &report.scenarios {
        write_scenario(out, paint, scenario)?;
    }
    Ok(())
}

fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| printable(n).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
