//! Comparing the effects of a rule and of its Action on one scenario.
//!
//! The verdict fields are the behaviour a login sees: `outcome` (allow, or deny with its message),
//! `finished` (within the time limit), `crashed` (an uncaught error ended the run), `mfa`, each
//! ID-token and access-token claim, `scopes`, each app/user metadata key written, `redirect`,
//! `primary_user` and each SAML setting. `error` (the message), `unsupported` and `http_requests`
//! do not decide the verdict; they are listed as notes when they differ. A scenario where either
//! side used something the harness only stubs (`unsupported`), or where neither side finished, is
//! *inconclusive* when nothing else differs.

use super::runner::RunOutput;
use serde::Serialize;
use serde_json::Value;

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

/// Fields compared per key (a claim, a metadata key, a SAML setting).
const KEYED: &[&str] = &[
    "id_token_claims",
    "access_token_claims",
    "app_metadata",
    "user_metadata",
];
const NOTES: &[&str] = &["error", "unsupported", "http_requests"];

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

pub fn compare_effects(r: &Value, a: &Value) -> Comparison {
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
    let get = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    for field in ["outcome", "finished"] {
        whole(field, get(r, field), get(a, field), &mut differences);
    }
    whole(
        "crashed",
        Value::Bool(crashed(r)),
        Value::Bool(crashed(a)),
        &mut differences,
    );
    whole("mfa", get(r, "mfa"), get(a, "mfa"), &mut differences);
    for field in &KEYED[..2] {
        keyed(field, &get(r, field), &get(a, field), &mut differences);
    }
    whole("scopes", get(r, "scopes"), get(a, "scopes"), &mut differences);
    for field in &KEYED[2..] {
        keyed(field, &get(r, field), &get(a, field), &mut differences);
    }
    for field in ["redirect", "primary_user"] {
        whole(field, get(r, field), get(a, field), &mut differences);
    }
    let (rs, as_) = (get(r, "saml"), get(a, "saml"));
    let without_attributes = |v: &Value| {
        let mut v = v.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("attributes");
        }
        v
    };
    keyed(
        "saml",
        &without_attributes(&rs),
        &without_attributes(&as_),
        &mut differences,
    );
    keyed(
        "saml.attributes",
        &get(&rs, "attributes"),
        &get(&as_, "attributes"),
        &mut differences,
    );

    let mut notes = Vec::new();
    for field in NOTES {
        whole(field, get(r, field), get(a, field), &mut notes);
    }

    let mut reasons = Vec::new();
    let unsupported = |effects: &Value| -> Vec<String> {
        effects
            .get("unsupported")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let (ru, au) = (unsupported(r), unsupported(a));
    if !ru.is_empty() && ru == au {
        reasons.push(format!("both sides used what verify only stubs: {}", ru.join(", ")));
    } else {
        for (side, list) in [("rule", &ru), ("action", &au)] {
            if !list.is_empty() {
                reasons.push(format!("the {side} used what verify only stubs: {}", list.join(", ")));
            }
        }
    }
    if get(r, "finished") == Value::Bool(false) && get(a, "finished") == Value::Bool(false) {
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

/// An uncaught error (not a timeout, not a stray rejection) ended the run: the login fails.
fn crashed(effects: &Value) -> bool {
    effects
        .get("error")
        .and_then(Value::as_str)
        .is_some_and(|error| !error.starts_with("Unhandled rejection") && !error.starts_with("rules2actions verify:"))
}

/// Compares two objects key by key: `field.key` (or `field["a key"]`) for each differing key.
fn keyed(field: &str, r: &Value, a: &Value, out: &mut Vec<FieldDiff>) {
    let empty = serde_json::Map::new();
    let (Some(rm), Some(am)) = (
        r.as_object().or(r.is_null().then_some(&empty)),
        a.as_object().or(a.is_null().then_some(&empty)),
    ) else {
        if r != a {
            out.push(FieldDiff {
                field: field.to_string(),
                rule: Some(r.clone()),
                action: Some(a.clone()),
            });
        }
        return;
    };
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
    use crate::verify::runner::failed_effects;
    use serde_json::json;

    fn effects(patch: Value) -> Value {
        let mut e = failed_effects("");
        e["error"] = Value::Null;
        e["finished"] = json!(true);
        for (k, v) in patch.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
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
