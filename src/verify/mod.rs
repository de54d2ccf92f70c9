//! `verify`: run a rule and its Action side by side on login scenarios, in two simulated runtimes
//! (`harness.js`, run by Node.js), and compare what each does.
//!
//! - [`scenarios`] builds the default scenarios from the rule's text and reads a user's file.
//! - [`runner`] writes the harness (shipped in the binary) to a private temporary folder and runs
//!   one confined `node` process per side and scenario (README, "Isolation").
//! - [`compare`] turns two effects documents into a verdict and the differing fields.
//! - [`coverage`] measures which of the rule's branches the scenarios reached.
//! - [`explore`] adds derived scenarios while they reach branches no scenario reached.
//! - [`pipeline`] runs a deploy-cli export's enabled rules in order against its bound Actions.
//!
//! The CLI (`src/cli/verify.rs`) owns files, conversion, rendering and exit codes.

pub mod compare;
pub mod coverage;
pub mod explore;
pub mod pipeline;
pub mod runner;
pub mod scenarios;

use compare::{compare, Comparison, CoveredRange};
use runner::{RunOutput, Runtime, Side};
use scenarios::Scenario;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Default time limit of one run, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 2000;

/// A rule and an Action (already written to the runtime's folder) and the scenarios to run.
pub struct Pair {
    pub rule: PathBuf,
    pub action: PathBuf,
    pub scenarios: Vec<Scenario>,
}

/// The comparison of one scenario.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScenarioResult {
    pub name: String,
    #[serde(flatten)]
    pub comparison: Comparison,
    /// V8's block coverage of the rule's run, for [`coverage::measure`].
    #[serde(skip)]
    pub rule_coverage: Option<Vec<CoveredRange>>,
    /// Found by the search for more scenarios ([`explore`]): it reached a branch the scenarios
    /// before it did not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub found_by_search: bool,
}

fn timeout_of(scenario: &Scenario) -> u64 {
    scenario
        .json
        .get("timeout_ms")
        .and_then(Value::as_u64)
        .filter(|&t| t > 0)
        .unwrap_or(DEFAULT_TIMEOUT_MS)
        .min(600_000)
}

/// One run: a side of a pair on a scenario.
pub(crate) struct Job<'a> {
    pub side: Side,
    pub code: &'a Path,
    pub scenario: &'a Scenario,
}

/// Runs each job on at most `threads` parallel `node` processes; the outputs are in job order.
/// Each run has its own process: a run that escapes its sandbox must not reach another run.
pub(crate) fn run_jobs(runtime: &Runtime, jobs: &[Job<'_>], threads: usize) -> Vec<RunOutput> {
    in_parallel(jobs, threads, |job| {
        runtime.run(job.side, job.code, &job.scenario.json, timeout_of(job.scenario))
    })
    .into_iter()
    .map(|output| output.unwrap_or_else(|| RunOutput::Failed("the run did not happen".into())))
    .collect()
}

/// The comparison of a scenario's two runs, with the rule's coverage.
pub(crate) fn scenario_result(scenario: &Scenario, rule: RunOutput, action: &RunOutput) -> ScenarioResult {
    ScenarioResult {
        name: scenario.name.clone(),
        comparison: compare(&rule, action),
        rule_coverage: match rule {
            RunOutput::Effects(effects) => effects.coverage,
            _ => None,
        },
        found_by_search: false,
    }
}

/// Runs every (pair, scenario, side) on at most `threads` parallel `node` processes and compares
/// the two sides of each scenario. The result has one list per pair, in scenario order.
pub fn run_pairs(runtime: &Runtime, pairs: &[Pair], threads: usize) -> Vec<Vec<ScenarioResult>> {
    let jobs: Vec<Job<'_>> = pairs
        .iter()
        .flat_map(|pair| {
            pair.scenarios.iter().flat_map(move |scenario| {
                [(Side::Rule, &pair.rule), (Side::Action, &pair.action)].map(|(side, code)| Job {
                    side,
                    code,
                    scenario,
                })
            })
        })
        .collect();
    let mut outputs = run_jobs(runtime, &jobs, threads).into_iter();
    let missing = || RunOutput::Failed("the run did not happen".into());
    pairs
        .iter()
        .map(|pair| {
            pair.scenarios
                .iter()
                .map(|scenario| {
                    let rule = outputs.next().unwrap_or_else(missing);
                    let action = outputs.next().unwrap_or_else(missing);
                    scenario_result(scenario, rule, &action)
                })
                .collect()
        })
        .collect()
}

/// `work` on every job, on at most `threads` threads, in the jobs' order; `None` for a job whose
/// thread panicked.
pub fn in_parallel<J: Sync, T: Send>(jobs: &[J], threads: usize, work: impl Fn(&J) -> T + Sync) -> Vec<Option<T>> {
    let outputs: Vec<Mutex<Option<T>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let worker = || loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(index) else { break };
        let output = work(job);
        *outputs[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(output);
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(worker);
        }
    });
    outputs
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// The number of parallel runs to use by default: the machine's cores.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
