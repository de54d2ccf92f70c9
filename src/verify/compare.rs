//! Comparing the effects of a rule and of its Action on one scenario.
//!
//! The verdict fields are the behaviour a login sees: `outcome` (allow, or deny with its message),
//! `finished` (within the time limit), `crashed` (an uncaught error ended the run), `mfa`, each
//! ID-token and access-token claim, `scopes`, each app/user metadata key written, `redirect`,
//! `primary_user` and each SAML setting. `error` (the message), `unsupported` and `http_requests`
//! do not decide the verdict; they are listed as notes when they differ. A scenario where either
//! side used something the harness only stubs (`unsupported`), or where neither side finished, is
//! *inconclusive* when nothing else differs, unless both were waiting on an HTTP call the scenario
//! never answers (both would fail at the platform's limit). Two things the docs leave open are not guessed: the
//! message of a login failed by a rule that passed on no user (any deny matches it), and which
//! value an Action's claim takes when its object changes after `setCustomClaim` (the rule must
//! match one of the two readings; the scenario is then inconclusive).

use super::runner::RunOutput;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What one run did: the harness's answer (`emptyEffects` in harness.js), read strictly so that
/// a harness and a binary that disagree on its shape fail loudly instead of comparing `null`s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effects {
    pub outcome: Outcome,
    /// The code ended (called back, or its handler settled) within the time limit.
    pub finished: bool,
    pub error: Option<String>,
    pub mfa: Option<Mfa>,
    pub id_token_claims: Map<String, Value>,
    pub access_token_claims: Map<String, Value>,
    /// An Action's claims whose object changed after `setCustomClaim`: their value at the end.
    pub claims_changed_later: ChangedClaims,
    /// The final scopes, when they differ from the requested ones.
    pub scopes: Option<Vec<String>>,
    /// Metadata keys written whose value changed.
    pub app_metadata: Map<String, Value>,
    pub user_metadata: Map<String, Value>,
    pub redirect: Option<Redirect>,
    pub primary_user: Option<Value>,
    /// SAML settings, and `attributes` (URI → value).
    pub saml: Map<String, Value>,
    /// What the code used that the harness only stubs.
    pub unsupported: Vec<String>,
    pub http_requests: Vec<HttpRequest>,
    /// V8's block coverage of the rule's code (the rule side only; `None` for an Action, or when
    /// this Node cannot collect it). Not a verdict field: [`super::coverage`] measures with it.
    pub coverage: Option<Vec<CoveredRange>>,
}

/// A range of the rule's text (UTF-8 bytes) and how often it ran. Ranges nest: a block's count
/// overrides that of the function or block around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoveredRange {
    pub start: usize,
    pub end: usize,
    pub count: u64,
}

/// The docs do not say whether an Action's claim is the value at `setCustomClaim` or at the end
/// of the login; for an object changed in between, the harness reports both.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangedClaims {
    pub id_token_claims: Map<String, Value>,
    pub access_token_claims: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub decision: Decision,
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mfa {
    pub provider: Option<String>,
    /// `allowRememberBrowser` and `providerOptions`, compared as they are.
    pub options: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    pub url: String,
    pub query: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    /// The scenario never answered it (a stub with `timeout: true`, no client timeout).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unanswered: bool,
}

impl Effects {
    /// A run that ended without an answer: allowed, unfinished, with `error`.
    pub fn unfinished(error: &str) -> Effects {
        Effects {
            outcome: Outcome {
                decision: Decision::Allow,
                message: None,
            },
            finished: false,
            error: Some(error.to_string()),
            mfa: None,
            id_token_claims: Map::new(),
            access_token_claims: Map::new(),
            claims_changed_later: ChangedClaims::default(),
            scopes: None,
            app_metadata: Map::new(),
            user_metadata: Map::new(),
            redirect: None,
            primary_user: None,
            saml: Map::new(),
            unsupported: Vec::new(),
            http_requests: Vec::new(),
            coverage: None,
        }
    }
}

/// A field's value as a difference shows it.
fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Per scenario and per file, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every verdict field is equal.
    Identical,
    /// Equal as far as the harness can tell, but something was only stubbed or nothing finished.
    Inconclusive,
    /// A verdict field differs.
    Different,
    /// One side could not be run (does not compile, harness failure, conversion failed).
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Different => "different",
            Verdict::Error => "could not run",
        }
    }
}

/// One field that differs. A side's value is `None` when it did not set that key at all.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldDiff {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub verdict: Verdict,
    /// The verdict fields that differ.
    pub differences: Vec<FieldDiff>,
    /// Fields outside the verdict that differ (`error`, `unsupported`, `http_requests`).
    pub notes: Vec<FieldDiff>,
    /// Why the scenario is inconclusive or could not run.
    pub reasons: Vec<String>,
}

pub fn compare(rule: &RunOutput, action: &RunOutput) -> Comparison {
    let mut reasons = Vec::new();
    for (side, output) in [("rule", rule), ("action", action)] {
        match output {
            RunOutput::Effects(_) => {}
            RunOutput::CompileError(message) => reasons.push(format!("the {side} cannot run: {message}")),
            RunOutput::Failed(message) => reasons.push(format!("the {side} could not be run: {message}")),
        }
    }
    let (RunOutput::Effects(r), RunOutput::Effects(a)) = (rule, action) else {
        return Comparison {
            verdict: Verdict::Error,
            differences: Vec::new(),
            notes: Vec::new(),
            reasons,
        };
    };
    compare_effects(r, a)
}

pub fn compare_effects(r: &Effects, a: &Effects) -> Comparison {
    let mut differences = Vec::new();
    let whole = |field: &str, rv: Value, av: Value, out: &mut Vec<FieldDiff>| {
        if rv != av {
            out.push(FieldDiff {
                field: field.to_string(),
                rule: Some(rv),
                action: Some(av),
            });
        }
    };
    if !same_outcome(&r.outcome, &a.outcome) {
        whole("outcome", json(&r.outcome), json(&a.outcome), &mut differences);
    }
    whole("finished", json(&r.finished), json(&a.finished), &mut differences);
    whole("crashed", json(&crashed(r)), json(&crashed(a)), &mut differences);
    whole("mfa", json(&r.mfa), json(&a.mfa), &mut differences);
    let mut reasons = Vec::new();
    let changed = &a.claims_changed_later;
    for (field, rule, action, later) in [
        (
            "id_token_claims",
            &r.id_token_claims,
            &a.id_token_claims,
            &changed.id_token_claims,
        ),
        (
            "access_token_claims",
            &r.access_token_claims,
            &a.access_token_claims,
            &changed.access_token_claims,
        ),
    ] {
        claims(field, rule, action, later, &mut differences, &mut reasons);
    }
    whole("scopes", json(&r.scopes), json(&a.scopes), &mut differences);
    keyed("app_metadata", &r.app_metadata, &a.app_metadata, &mut differences);
    keyed("user_metadata", &r.user_metadata, &a.user_metadata, &mut differences);
    whole("redirect", json(&r.redirect), json(&a.redirect), &mut differences);
    whole(
        "primary_user",
        json(&r.primary_user),
        json(&a.primary_user),
        &mut differences,
    );
    let settings = |saml: &Map<String, Value>| {
        let mut saml = saml.clone();
        saml.remove("attributes");
        saml
    };
    keyed("saml", &settings(&r.saml), &settings(&a.saml), &mut differences);
    let (ra, aa) = (r.saml.get("attributes"), a.saml.get("attributes"));
    let empty = Map::new();
    match (
        ra.map_or(Some(&empty), Value::as_object),
        aa.map_or(Some(&empty), Value::as_object),
    ) {
        (Some(ra), Some(aa)) => keyed("saml.attributes", ra, aa, &mut differences),
        _ => whole("saml.attributes", json(&ra), json(&aa), &mut differences),
    }

    let mut notes = Vec::new();
    whole("error", json(&r.error), json(&a.error), &mut notes);
    whole("unsupported", json(&r.unsupported), json(&a.unsupported), &mut notes);
    whole(
        "http_requests",
        json(&r.http_requests),
        json(&a.http_requests),
        &mut notes,
    );

    let (ru, au) = (&r.unsupported, &a.unsupported);
    if !ru.is_empty() && ru == au {
        reasons.push(format!("both sides used what verify only stubs: {}", ru.join(", ")));
    } else {
        for (side, list) in [("rule", ru), ("action", au)] {
            if !list.is_empty() {
                reasons.push(format!("the {side} used what verify only stubs: {}", list.join(", ")));
            }
        }
    }
    // Both sides waiting on an answer that never comes would both fail at the platform's limit:
    // more time would not change what they did.
    let waits = |e: &Effects| e.http_requests.iter().any(|h| h.unanswered);
    let both_wait = waits(r) && waits(a);
    if !r.finished && !a.finished && !both_wait {
        reasons.push("neither side finished within the time limit".to_string());
    }
    let verdict = if !differences.is_empty() {
        Verdict::Different
    } else if !reasons.is_empty() {
        Verdict::Inconclusive
    } else {
        Verdict::Identical
    };
    Comparison {
        verdict,
        differences,
        notes,
        reasons,
    }
}

/// Compares claims key by key. For a claim the Action changed after setting it, the rule's value
/// may match either reading (at the call, at the end): that is inconclusive, not a guess; a value
/// that matches neither is a difference whichever the platform does.
fn claims(
    field: &str,
    rule: &Map<String, Value>,
    action: &Map<String, Value>,
    later: &Map<String, Value>,
    differences: &mut Vec<FieldDiff>,
    reasons: &mut Vec<String>,
) {
    let mut found = Vec::new();
    keyed(field, rule, action, &mut found);
    for (key, at_end) in later {
        let path = key_path(field, key);
        let at_call = action.get(key);
        if rule.get(key) == Some(at_end) || rule.get(key) == at_call {
            found.retain(|d| d.field != path);
            reasons.push(format!(
                "the action changed {path} after setCustomClaim; the docs do not say whether the value \
                 at the call or at the end is issued, and the rule's value is one of them"
            ));
        }
    }
    differences.extend(found);
}

/// The same decision and message; a rule's deny without a message (a rule that passed on no user:
/// the login fails with a message the docs do not give) matches any deny.
fn same_outcome(rule: &Outcome, action: &Outcome) -> bool {
    let unknown_message = rule.decision == Decision::Deny && rule.message.is_none();
    rule.decision == action.decision && (unknown_message || rule.message == action.message)
}

/// An uncaught error (not a timeout, not a stray rejection) ended the run: the login fails.
fn crashed(effects: &Effects) -> bool {
    effects
        .error
        .as_deref()
        .is_some_and(|error| !error.starts_with("Unhandled rejection") && !error.starts_with("rules2actions verify:"))
}

/// Compares two objects key by key: `field.key` (or `field["a key"]`) for each differing key.
fn keyed(field: &str, rm: &Map<String, Value>, am: &Map<String, Value>, out: &mut Vec<FieldDiff>) {
    let mut keys: Vec<&String> = rm.keys().chain(am.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (rv, av) = (rm.get(key), am.get(key));
        if rv != av {
            out.push(FieldDiff {
                field: key_path(field, key),
                rule: rv.cloned(),
                action: av.cloned(),
            });
        }
    }
}

pub fn key_path(field: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{field}.{key}")
    } else {
        format!("{field}[{}]", Value::String(key.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn effects(patch: Value) -> Effects {
        let mut e = json(&Effects::unfinished(""));
        e["error"] = Value::Null;
        e["finished"] = json!(true);
        for (k, v) in patch.as_object().unwrap() {
            e[k] = v.clone();
        }
        serde_json::from_value(e).unwrap()
    }

    #[test]
    fn an_effects_document_of_another_shape_is_refused() {
        let mut e = json(&Effects::unfinished(""));
        e["surprise"] = json!(1);
        assert!(serde_json::from_value::<Effects>(e).is_err());
        let mut e = json(&Effects::unfinished(""));
        e["outcome"] = json!({ "decision": "maybe", "message": null });
        assert!(serde_json::from_value::<Effects>(e).is_err());
        let mut e = json(&Effects::unfinished(""));
        e["coverage"] = json!([{ "start": 0, "end": 9, "count": 1 }]);
        let read = serde_json::from_value::<Effects>(e.clone()).unwrap();
        assert_eq!(
            read.coverage,
            Some(vec![CoveredRange {
                start: 0,
                end: 9,
                count: 1
            }])
        );
        e["coverage"][0]["line"] = json!(1);
        assert!(serde_json::from_value::<Effects>(e).is_err());
    }

    #[test]
    fn equal_effects_are_identical() {
        let c = compare_effects(&effects(json!({})), &effects(json!({})));
        assert_eq!(c.verdict, Verdict::Identical);
    }

    #[test]
    fn claims_and_metadata_compare_per_key() {
        let r = effects(json!({ "id_token_claims": { "https://x/roles": ["a"], "k": 1 }, "app_metadata": { "m": 1 } }));
        let a = effects(json!({ "id_token_claims": { "https://x/roles": ["b"], "k": 1 } }));
        let c = compare_effects(&r, &a);
        assert_eq!(c.verdict, Verdict::Different);
        let fields: Vec<&str> = c.differences.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["id_token_claims[\"https://x/roles\"]", "app_metadata.m"]);
        assert_eq!(c.differences[1].action, None);
    }

    #[test]
    fn notes_do_not_decide_but_stubs_make_it_inconclusive() {
        let r = effects(json!({ "http_requests": [{ "method": "GET", "url": "u" }], "unsupported": ["require(x)"] }));
        let a = effects(json!({}));
        let c = compare_effects(&r, &a);
        assert_eq!(c.verdict, Verdict::Inconclusive);
        assert_eq!(c.notes.len(), 2);
    }

    #[test]
    fn neither_finished_is_inconclusive_unless_both_wait_on_an_unanswered_call() {
        let waiting =
            json!({ "finished": false, "http_requests": [{ "method": "GET", "url": "u", "unanswered": true }] });
        let stuck = effects(json!({ "finished": false }));
        assert_eq!(
            compare_effects(&effects(waiting.clone()), &effects(waiting.clone())).verdict,
            Verdict::Identical
        );
        assert_eq!(
            compare_effects(&effects(waiting), &stuck).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn a_claim_changed_after_set_custom_claim_is_inconclusive_unless_neither_reading_matches() {
        let rule = |v: Value| effects(json!({ "id_token_claims": { "roles": v } }));
        let action = effects(json!({ "id_token_claims": { "roles": ["a"] },
            "claims_changed_later": { "id_token_claims": { "roles": ["a", "b"] }, "access_token_claims": {} } }));
        for reading in [json!(["a", "b"]), json!(["a"])] {
            let c = compare_effects(&rule(reading), &action);
            assert_eq!(c.verdict, Verdict::Inconclusive, "{c:?}");
            assert!(c.reasons[0].contains("id_token_claims.roles"), "{:?}", c.reasons);
        }
        let c = compare_effects(&rule(json!(["c"])), &action);
        assert_eq!(c.verdict, Verdict::Different);
        assert_eq!(c.differences[0].field, "id_token_claims.roles");
    }

    #[test]
    fn a_rule_deny_without_a_message_matches_any_deny_only() {
        let no_user = effects(json!({ "outcome": { "decision": "deny", "message": null } }));
        let deny = effects(json!({ "outcome": { "decision": "deny", "message": "No user" } }));
        assert_eq!(compare_effects(&no_user, &deny).verdict, Verdict::Identical);
        let c = compare_effects(&no_user, &effects(json!({})));
        assert_eq!(c.differences[0].field, "outcome");
        // A message on the rule's side must be matched exactly, both ways round.
        assert_eq!(compare_effects(&deny, &no_user).verdict, Verdict::Different);
    }

    #[test]
    fn a_crash_is_not_an_allow() {
        let r = effects(json!({ "error": "TypeError: x" }));
        let a = effects(json!({}));
        let c = compare_effects(&r, &a);
        assert_eq!(c.differences[0].field, "crashed");
        let timeout = effects(json!({ "error": "rules2actions verify: timed out", "finished": false }));
        let c = compare_effects(&timeout, &timeout);
        assert_eq!(c.verdict, Verdict::Inconclusive);
    }
}
