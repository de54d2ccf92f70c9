//! `verify --pipeline`: a deploy-cli export's enabled login rules, run in order with Rules' sharing,
//! against its bound post-login Actions in trigger order, on the same logins; the final effects
//! are compared as one rule's are with its Action's (`compare`).
//!
//! What per-rule verification cannot see and this can: a helper one rule puts on `global` for the
//! others, a `user`/`context` property one rule sets and a later one reads, the order of the
//! Actions, a deny that a later rule relied on to stop the login.
//!
//! - [`plan`] reads the export (`crate::migrate::load`, as `migrate` does), orders its rules as
//!   `migrate` binds them, and takes the Actions from `migrate` run in memory, or from the output
//!   of an earlier `migrate` ([`output`]). The scenarios are the union of each rule's defaults
//!   ([`union`]).
//! - [`run`] runs each side's whole pipeline on each scenario in one confined `node` (the
//!   harness's pipeline modes, same confinement and limits as a single run) and compares.

mod output;
mod union;

use super::compare::{compare, compare_effects, Comparison, Effects, Verdict};
use super::runner::{RunOutput, Runtime, Side};
use super::scenarios::{default_scenarios, facts_of, parse_scenarios, placeholder_secrets, Scenario};
use super::{in_parallel, timeout_of, ScenarioResult};
use crate::cli::files::read_file;
use crate::convert::convert_bytes_inspecting;
use crate::limits::{with_large_stack, Limits};
use crate::migrate::{self, RuleEntry, RuleResult, Script};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// At most this many scenarios per pipeline: each is two runs of every step.
pub const MAX_PIPELINE_SCENARIOS: usize = 24;

/// What to verify the export's rules against, and on which scenarios.
pub struct Options<'a> {
    pub limits: Limits,
    /// The output of `migrate` for this export; `None`: migrate it in memory.
    pub actions: Option<&'a Path>,
    /// The text of a scenarios file (already validated).
    pub user_scenarios: Option<&'a str>,
    /// Run the defaults derived from the rules (else only `user_scenarios`).
    pub defaults: bool,
    pub timeout_ms: u64,
}

/// One rule or Action of a pipeline.
#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    pub code: String,
}

/// A pipeline ready to run.
pub struct Plan {
    /// The enabled login rules, in execution order.
    pub rules: Vec<Step>,
    /// The post-login Actions, in trigger order.
    pub actions: Vec<Step>,
    pub scenarios: Vec<Scenario>,
    /// What was left out of the comparison, and why.
    pub notes: Vec<String>,
}

/// The result of verifying one pipeline.
#[derive(Debug, Serialize)]
pub struct PipelineReport {
    pub export: String,
    /// `migrated` (in memory), or the folder given with `--actions`.
    pub actions_from: String,
    /// The rules run, in order.
    pub rules: Vec<String>,
    /// The Actions run, in trigger order.
    pub actions: Vec<String>,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub scenarios: Vec<ScenarioResult>,
}

/// Plans, runs and compares the pipeline of the export at `export`.
pub fn verify(runtime: &Runtime, export: &Path, options: &Options<'_>, threads: usize) -> PipelineReport {
    let mut report = PipelineReport {
        export: export.display().to_string(),
        actions_from: options
            .actions
            .map_or_else(|| "migrated".to_string(), |p| p.display().to_string()),
        rules: Vec::new(),
        actions: Vec::new(),
        verdict: Verdict::Error,
        notes: Vec::new(),
        error: None,
        scenarios: Vec::new(),
    };
    let plan = match plan(export, options) {
        Ok(plan) => plan,
        Err(error) => {
            report.error = Some(error);
            return report;
        }
    };
    report.rules = plan.rules.iter().map(|s| s.name.clone()).collect();
    report.actions = plan.actions.iter().map(|s| s.name.clone()).collect();
    report.notes.clone_from(&plan.notes);
    report.scenarios = run(runtime, &plan, threads);
    report.verdict = report
        .scenarios
        .iter()
        .map(|s| s.comparison.verdict)
        .max()
        .unwrap_or(Verdict::Error);
    report
}

/// Reads the export and the Actions to compare it with, and builds the scenarios.
pub fn plan(export: &Path, options: &Options<'_>) -> Result<Plan, String> {
    let loaded = migrate::load(export)?;
    let migration = migrate::migrate(
        &loaded,
        &migrate::Options {
            format: migrate::Format::DeployCli,
            was_executed_guard: false,
            limits: options.limits,
        },
        &|| {},
    );
    // In execution order, as `migrate` binds them.
    let running: Vec<&RuleResult> = migration
        .rules
        .iter()
        .filter(|r| r.enabled && r.stage == migrate::input::DEFAULT_STAGE)
        .collect();
    if running.is_empty() {
        return Err("the export has no enabled rule of the login stage: there is no pipeline to verify".into());
    }
    let rules = running
        .iter()
        .map(|rule| {
            let entry = loaded.rules.iter().find(|e| e.source == rule.source);
            Ok(Step {
                name: rule.name.clone(),
                code: rule_text(
                    entry.ok_or_else(|| format!("rule {}: not in the export", rule.name))?,
                    &options.limits,
                )?,
            })
        })
        .collect::<Result<Vec<Step>, String>>()?;
    let own: Vec<&str> = loaded
        .existing_post_login
        .iter()
        .map(|b| b.action_name.as_str())
        .collect();
    let actions = match options.actions {
        None => migrated_actions(&migration, &running)?,
        Some(dir) => output::bound_actions(dir, &own, &options.limits)?,
    };
    if actions.is_empty() {
        return Err("no Action is bound to post-login: there is no pipeline to compare with".into());
    }
    let notes = (!own.is_empty())
        .then(|| {
            format!(
                "the export's own post-login Actions ({}) run after the migrated ones in production; they are run on neither side",
                own.join(", ")
            )
        })
        .into_iter()
        .collect();
    Ok(Plan {
        scenarios: scenarios(&rules, options)?,
        rules,
        actions,
        notes,
    })
}

/// A rule's script, read as `migrate` reads it (inside the export, within the size limit).
fn rule_text(entry: &RuleEntry, limits: &Limits) -> Result<String, String> {
    let bytes = match &entry.script {
        Script::File(path) => read_file(path, limits.max_file_size as u64)
            .map_err(|error| format!("rule {}: cannot read {}: {error}", entry.name, path.display()))?,
        Script::Inline(text) => text.clone().into_bytes(),
        Script::Missing(why) => return Err(format!("rule {}: {why}", entry.name)),
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The Actions `migrate` binds, in binding order. A rule that runs but got no Action makes the
/// pipeline impossible to compare, as a rule that does not convert does for one rule.
fn migrated_actions(migration: &migrate::Migration, running: &[&RuleResult]) -> Result<Vec<Step>, String> {
    if let Some(failed) = running.iter().find(|r| r.binding.is_none()) {
        let why = failed
            .notes
            .iter()
            .find(|n| n.severity == migrate::Severity::Error)
            .map_or("it did not convert", |n| n.message.as_str());
        return Err(format!("rule {} got no Action: {why}", failed.name));
    }
    Ok(migration
        .bound()
        .filter_map(|r| {
            Some(Step {
                name: r.action_name.clone(),
                code: r.code.clone()?,
            })
        })
        .collect())
}

/// The union of every rule's default scenarios (bounded), then the user's, every one with a
/// placeholder for every secret any rule reads.
fn scenarios(rules: &[Step], options: &Options<'_>) -> Result<Vec<Scenario>, String> {
    let mut per_rule = Vec::new();
    let mut keys = BTreeSet::new();
    for rule in rules {
        let mut facts = None;
        let conversion = with_large_stack(|| {
            convert_bytes_inspecting(rule.code.as_bytes(), &options.limits, &mut |parsed, text, _| {
                facts = Some(facts_of(parsed, text));
            })
        });
        keys.extend(conversion.secrets.iter().cloned());
        if let Some(facts) = facts {
            keys.extend(facts.secrets.iter().cloned());
            if options.defaults {
                let defaults = default_scenarios(facts, &conversion.secrets, options.timeout_ms);
                per_rule.push((rule.name.clone(), defaults));
            }
        }
    }
    let secrets = placeholder_secrets(&keys);
    let mut list = union::union(&per_rule, MAX_PIPELINE_SCENARIOS);
    if let Some(text) = options.user_scenarios {
        list.extend(parse_scenarios(text, &secrets, options.timeout_ms).map_err(|e| format!("scenarios: {e}"))?);
    }
    union::fill_secrets(&mut list, &secrets);
    if list.is_empty() {
        return Err("no scenarios to run".into());
    }
    Ok(list)
}

/// Runs both pipelines on every scenario, in parallel, one confined run per side and scenario.
pub fn run(runtime: &Runtime, plan: &Plan, threads: usize) -> Vec<ScenarioResult> {
    let steps =
        |list: &[Step]| -> Vec<(String, String)> { list.iter().map(|s| (s.name.clone(), s.code.clone())).collect() };
    let (rules, actions) = (steps(&plan.rules), steps(&plan.actions));
    let jobs: Vec<(Side, &Scenario)> = plan
        .scenarios
        .iter()
        .flat_map(|s| [(Side::Rule, s), (Side::Action, s)])
        .collect();
    let mut outputs = in_parallel(&jobs, threads, |(side, scenario)| {
        let steps = if *side == Side::Rule { &rules } else { &actions };
        runtime.run_pipeline(*side, steps, &scenario.json, timeout_of(scenario))
    })
    .into_iter()
    .map(|output| output.unwrap_or_else(|| RunOutput::Failed("the run did not happen".into())));
    plan.scenarios
        .iter()
        .map(|scenario| {
            let missing = || RunOutput::Failed("the run did not happen".into());
            let rule = outputs.next().unwrap_or_else(missing);
            let action = outputs.next().unwrap_or_else(missing);
            ScenarioResult {
                name: scenario.name.clone(),
                comparison: compare_leg(rule, action),
                rule_coverage: None,
                found_by_search: false,
            }
        })
        .collect()
}

/// Compares the two pipelines' effects. When both redirect, this leg issues no tokens and
/// challenges no MFA (that happens after `/continue`, in the scenarios that continue the login):
/// claims, scopes, MFA and SAML are not compared then; the outcome, metadata and the redirect
/// itself are.
fn compare_leg(rule: RunOutput, action: RunOutput) -> Comparison {
    match (rule, action) {
        (RunOutput::Effects(mut r), RunOutput::Effects(mut a)) if r.redirect.is_some() && a.redirect.is_some() => {
            without_tokens(&mut r);
            without_tokens(&mut a);
            compare_effects(&r, &a)
        }
        (rule, action) => compare(&rule, &action),
    }
}

fn without_tokens(effects: &mut Effects) {
    effects.id_token_claims.clear();
    effects.access_token_claims.clear();
    effects.claims_changed_later = Default::default();
    effects.scopes = None;
    effects.mfa = None;
    effects.saml.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn effects(patch: serde_json::Value) -> RunOutput {
        let mut e = serde_json::to_value(Effects::unfinished("")).unwrap();
        e["error"] = serde_json::Value::Null;
        e["finished"] = json!(true);
        for (k, v) in patch.as_object().unwrap() {
            e[k] = v.clone();
        }
        RunOutput::Effects(Box::new(serde_json::from_value(e).unwrap()))
    }

    #[test]
    fn tokens_are_not_compared_on_a_leg_where_both_redirect() {
        let redirect = json!({ "url": "https://x.example.com/", "query": {} });
        let rule = effects(json!({ "redirect": redirect, "id_token_claims": { "a": 1 } }));
        let action = effects(json!({ "redirect": redirect }));
        assert_eq!(compare_leg(rule, action).verdict, Verdict::Identical);
        // Without a redirect on both sides, the same claims differ.
        let rule = effects(json!({ "id_token_claims": { "a": 1 } }));
        let action = effects(json!({ "redirect": redirect }));
        let fields: Vec<String> = compare_leg(rule, action)
            .differences
            .into_iter()
            .map(|d| d.field)
            .collect();
        assert_eq!(fields, ["id_token_claims.a", "redirect"]);
    }
}
