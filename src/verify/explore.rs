//! The coverage-guided search for scenarios: after the first scenarios (the defaults and the
//! user's), further derived scenarios are tried on the rule while its branches are not all
//! reached, and those that reach a branch no scenario reached before are kept and compared.
//!
//! The search goes in rounds of at most [`ROUND`] scenarios per rule, all rules' rounds run
//! together on the parallel runner. Only the rule side runs while trying: the Action side runs
//! once, for the scenarios kept. It has two stages:
//! 1. the further derived scenarios ([`Derived::further`]: values beyond the defaults' bound, a
//!    second value of a field the defaults already vary, each HTTP failure per address called);
//! 2. two scenarios at once ([`Scenario::combined_with`]), one of those that reached a branch no
//!    scenario before it did with any other variant, for a branch that needs two things true.
//!
//! A round that reaches nothing new ends its stage; the search ends with the second stage, when
//! every branch is reached, or after [`MAX_TRIED`] scenarios. Everything is in a fixed order, so
//! the same rule gets the same scenarios (as long as its runs behave the same).

use super::coverage::{self, Branch, BranchCoverage};
use super::runner::{RunOutput, Runtime, Side};
use super::scenarios::{derived_scenarios, facts_of, Derived, Scenario};
use super::{run_jobs, run_pairs, scenario_result, Job, Pair, ScenarioResult};
use crate::convert::{convert_bytes_inspecting, Conversion};
use crate::Limits;
use std::collections::{BTreeSet, VecDeque};

/// At most this many further scenarios are tried per rule.
pub const MAX_TRIED: usize = 24;

/// At most this many further scenarios per rule and round.
pub const ROUND: usize = 6;

/// A rule and its Action to verify: the scenarios always run (`pair.scenarios`, the first being
/// the plain login), the further ones to try (`None`: no search, as when only the user's
/// scenarios run), and the rule's branches (`None` when they are not known: no search either).
pub struct Exploration {
    pub pair: Pair,
    pub further: Option<Vec<Scenario>>,
    pub branches: Option<Vec<Branch>>,
}

/// What the scenarios of one rule found.
#[derive(Debug)]
pub struct Explored {
    /// The first scenarios' results, then those of the further scenarios kept.
    pub scenarios: Vec<ScenarioResult>,
    /// The branches reached by all of them; `None` when not measured.
    pub branches: Option<BranchCoverage>,
    /// How many further scenarios were tried on the rule.
    pub tried: usize,
}

/// A rule, read once: its conversion, its derived scenarios and its branches.
pub struct Plan {
    pub conversion: Conversion,
    pub derived: Derived,
    pub branches: Option<Vec<Branch>>,
}

impl Plan {
    /// The plan of a file refused unread (`conversion` says why): nothing to run.
    pub fn refused(conversion: Conversion) -> Plan {
        Plan {
            conversion,
            derived: Derived::default(),
            branches: None,
        }
    }
}

/// Converts a rule and derives its scenarios and branches from the tree the conversion parsed.
pub fn plan(text: &str, limits: &Limits, timeout_ms: u64) -> Plan {
    plan_bytes(text.as_bytes(), limits, timeout_ms)
}

/// [`plan`] of a rule file's bytes, refused as `convert` refuses them (binary, not UTF-8, too
/// large). Branch positions are in the file's text, byte-order mark included.
pub fn plan_bytes(bytes: &[u8], limits: &Limits, timeout_ms: u64) -> Plan {
    let mut facts = None;
    let mut branches = None;
    let conversion = convert_bytes_inspecting(bytes, limits, &mut |parsed, masked, _| {
        facts = Some(facts_of(parsed, masked));
        branches = Some(coverage::placed_in(
            coverage::branches(parsed, masked),
            masked.len(),
            bytes.len(),
        ));
    });
    let derived = derived_scenarios(facts.unwrap_or_default(), &conversion.secrets, timeout_ms);
    Plan {
        conversion,
        derived,
        branches,
    }
}

/// Runs each exploration's scenarios, then searches for scenarios that reach more of its rule's
/// branches (see the module's documentation). The results are in the order of `explorations`.
pub fn explore(runtime: &Runtime, explorations: Vec<Exploration>, threads: usize) -> Vec<Explored> {
    let (pairs, searched): (Vec<Pair>, Vec<_>) = explorations
        .into_iter()
        .map(|e| (e.pair, (e.further, e.branches)))
        .unzip();
    let first = run_pairs(runtime, &pairs, threads);
    let mut searches: Vec<Search<'_>> = pairs
        .iter()
        .zip(&searched)
        .zip(&first)
        .map(|((pair, (further, branches)), results)| {
            Search::new(pair, further.as_deref(), branches.as_deref(), results)
        })
        .collect();
    loop {
        let rounds: Vec<(usize, Vec<Scenario>)> = searches
            .iter_mut()
            .enumerate()
            .filter_map(|(index, search)| search.next_round().map(|round| (index, round)))
            .collect();
        if rounds.is_empty() {
            break;
        }
        let jobs = rounds.iter().flat_map(|(index, round)| {
            round.iter().map(|scenario| Job {
                side: Side::Rule,
                code: &pairs[*index].rule,
                scenario,
            })
        });
        let mut outputs = run_jobs(runtime, &jobs.collect::<Vec<_>>(), threads).into_iter();
        for (index, round) in rounds {
            let outputs: Vec<RunOutput> = outputs.by_ref().take(round.len()).collect();
            searches[index].learn(round, outputs);
        }
    }
    compare_kept(runtime, &pairs, searches, first, threads)
}

/// Runs the Action side of the scenarios kept and puts their comparisons after the first ones.
fn compare_kept(
    runtime: &Runtime,
    pairs: &[Pair],
    searches: Vec<Search<'_>>,
    first: Vec<Vec<ScenarioResult>>,
    threads: usize,
) -> Vec<Explored> {
    let jobs = pairs.iter().zip(&searches).flat_map(|(pair, search)| {
        search.kept.iter().map(|(scenario, _)| Job {
            side: Side::Action,
            code: &pair.action,
            scenario,
        })
    });
    let mut actions = run_jobs(runtime, &jobs.collect::<Vec<_>>(), threads).into_iter();
    searches
        .into_iter()
        .zip(first)
        .map(|(search, mut scenarios)| {
            for (scenario, rule) in search.kept {
                let action = actions
                    .next()
                    .unwrap_or_else(|| RunOutput::Failed("the run did not happen".into()));
                let result = scenario_result(&scenario, rule, &action);
                scenarios.push(ScenarioResult {
                    found_by_search: true,
                    ..result
                });
            }
            let runs = scenarios.iter().filter_map(|s| s.rule_coverage.as_deref());
            let branches = search.branches.and_then(|branches| coverage::measure(branches, runs));
            Explored {
                scenarios,
                branches,
                tried: search.tried,
            }
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Further,
    Pairs,
    Done,
}

/// The search state of one rule.
struct Search<'a> {
    branches: Option<&'a [Branch]>,
    reached: Vec<bool>,
    plain: Option<&'a Scenario>,
    /// Scenarios that reached a branch the scenarios before them did not: the first half of each
    /// pair.
    productive: Vec<Scenario>,
    /// Every variant run (all but the plain login): the second half of each pair. A variant that
    /// reached nothing alone may be what a productive one lacks (`client === 'a' && md.beta`).
    variants: Vec<Scenario>,
    queue: VecDeque<Scenario>,
    /// What every scenario seen so far runs (its JSON without the name), so none runs twice.
    seen: BTreeSet<String>,
    stage: Stage,
    tried: usize,
    /// The further scenarios kept, with their rule run.
    kept: Vec<(Scenario, RunOutput)>,
}

/// What a scenario runs, whatever its name.
fn run_key(scenario: &Scenario) -> String {
    let mut json = scenario.json.clone();
    if let Some(map) = json.as_object_mut() {
        map.remove("name");
    }
    json.to_string()
}

impl<'a> Search<'a> {
    fn new(
        pair: &'a Pair,
        further: Option<&[Scenario]>,
        branches: Option<&'a [Branch]>,
        first: &[ScenarioResult],
    ) -> Search<'a> {
        let mut search = Search {
            branches,
            reached: vec![false; branches.map_or(0, <[Branch]>::len)],
            plain: pair.scenarios.first(),
            productive: Vec::new(),
            variants: pair.scenarios.iter().skip(1).cloned().collect(),
            queue: further.unwrap_or_default().iter().cloned().collect(),
            seen: pair.scenarios.iter().map(run_key).collect(),
            stage: Stage::Further,
            tried: 0,
            kept: Vec::new(),
        };
        let measured = first.iter().any(|r| r.rule_coverage.is_some());
        if branches.is_none() || !measured || further.is_none() {
            search.stage = Stage::Done;
        }
        for (index, (scenario, result)) in pair.scenarios.iter().zip(first).enumerate() {
            let new = search.reach(result.rule_coverage.as_deref());
            if new && index > 0 {
                search.productive.push(scenario.clone());
            }
        }
        search
    }

    /// Marks the branches a run reached; whether one of them was not reached before.
    fn reach(&mut self, ranges: Option<&[super::compare::CoveredRange]>) -> bool {
        let (Some(branches), Some(ranges)) = (self.branches, ranges) else {
            return false;
        };
        let mut new = false;
        for (hit, ran) in self.reached.iter_mut().zip(coverage::reached_by(branches, ranges)) {
            new |= ran && !*hit;
            *hit |= ran;
        }
        new
    }

    /// The scenarios of the next round, or `None` when the search is over.
    fn next_round(&mut self) -> Option<Vec<Scenario>> {
        if self.reached.iter().all(|&hit| hit) || self.tried >= MAX_TRIED {
            self.stage = Stage::Done;
        }
        let mut round = Vec::new();
        while self.stage != Stage::Done && round.is_empty() {
            while round.len() < ROUND.min(MAX_TRIED - self.tried) {
                let Some(scenario) = self.queue.pop_front() else { break };
                if self.seen.insert(run_key(&scenario)) {
                    round.push(scenario);
                }
            }
            if round.is_empty() {
                self.next_stage();
            }
        }
        (!round.is_empty()).then_some(round)
    }

    /// Ends the current stage: from the further scenarios to pairs of the productive ones.
    fn next_stage(&mut self) {
        self.queue.clear();
        if self.stage == Stage::Further {
            self.stage = Stage::Pairs;
            let (plain, variants) = (self.plain, &self.variants);
            let pairs = self.productive.iter().flat_map(|a| {
                let others = variants.iter().filter(move |b| b.name != a.name);
                others.filter_map(move |b| plain.and_then(|plain| a.combined_with(b, plain)))
            });
            self.queue.extend(pairs.take(MAX_TRIED));
        } else {
            self.stage = Stage::Done;
        }
    }

    /// Keeps the scenarios of a round that reached a new branch; a round that reached nothing new
    /// ends its stage.
    fn learn(&mut self, round: Vec<Scenario>, outputs: Vec<RunOutput>) {
        self.tried += round.len();
        let mut any = false;
        for (scenario, output) in round.into_iter().zip(outputs) {
            if self.stage == Stage::Further {
                self.variants.push(scenario.clone());
            }
            let ranges = match &output {
                RunOutput::Effects(effects) => effects.coverage.as_deref(),
                _ => None,
            };
            if self.reach(ranges) {
                any = true;
                if self.stage == Stage::Further {
                    self.productive.push(scenario.clone());
                }
                self.kept.push((scenario, output));
            }
        }
        if !any {
            self.next_stage();
        }
    }
}
