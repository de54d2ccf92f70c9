//! `verify`: run a rule and its Action side by side on login scenarios, in two simulated runtimes
//! (`harness.js`, run by Node.js), and compare what each does.
//!
//! - [`scenarios`] builds the default scenarios from the rule's text and reads a user's file.
//! - [`runner`] writes the harness (shipped in the binary) to a private temporary folder and runs
//!   one confined `node` process per side and scenario (README, "Isolation").
//! - [`compare`] turns two effects documents into a verdict and the differing fields.
//! - [`coverage`] measures which of the rule's branches the scenarios reached.
//! - [`pipeline`] runs a deploy-cli export's enabled rules in order against its bound Actions.
//!
//! The CLI (`src/cli/verify.rs`) owns files, conversion, rendering and exit codes.

pub mod compare;
pub mod coverage;
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
struct Job<'a> {
    side: Side,
    code: &'a Path,
    scenario: &'a Value,
    timeout_ms: u64,
}

/// Runs every (pair, scenario, side) on at most `threads` parallel `node` processes and compares
/// the two sides of each scenario. The result has one list per pair, in scenario order. Each run
/// has its own process: a run that escapes its sandbox must not reach another run.
pub fn run_pairs(runtime: &Runtime, pairs: &[Pair], threads: usize) -> Vec<Vec<ScenarioResult>> {
    let jobs: Vec<Job<'_>> = pairs
        .iter()
        .flat_map(|pair| {
            pair.scenarios.iter().flat_map(move |scenario| {
                [(Side::Rule, &pair.rule), (Side::Action, &pair.action)].map(|(side, code)| Job {
                    side,
                    code,
                    scenario: &scenario.json,
                    timeout_ms: timeout_of(scenario),
                })
            })
        })
        .collect();
    let mut outputs = in_parallel(&jobs, threads, |job| {
        runtime.run(job.side, job.code, job.scenario, job.timeout_ms)
    })
    .into_iter()
    .map(|output| output.unwrap_or_else(|| RunOutput::Failed("the run did not happen".into())));
    pairs
        .iter()
        .map(|pair| {
            pair.scenarios
                .iter()
                .map(|scenario| {
                    let (rule, action) = (outputs.next(), outputs.next());
                    let missing = || RunOutput::Failed("the run did not happen".into());
                    let rule = rule.unwrap_or_else(missing);
                    ScenarioResult {
                        name: scenario.name.clone(),
                        comparison: compare(&rule, &action.unwrap_or_else(missing)),
                        rule_coverage: match rule {
                            RunOutput::Effects(effects) => effects.coverage,
                            _ => None,
                        },
                    }
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
