//! Login scenarios for `verify`: the user's scenarios file (here) and the defaults derived from the
//! rule's own text (`derived`).
//!
//! A scenario is the JSON object the harness reads (`harness.js` documents it): `name`, a partial
//! post-login `event` in the Actions shape (merged over the harness's realistic defaults),
//! `secrets`, stubbed `http` answers, `timeout_ms`, `continue`, `rule_context` and `rule_user` (root
//! attributes the identity provider sent, which only the Rules user gets).

mod derived;

pub use derived::{
    default_scenarios, derived_scenarios, facts_of, rule_facts, set_path, Derived, RuleFacts, Variant, MAX_FURTHER,
    MAX_SCENARIOS,
};
use serde_json::{json, Value};

/// One scenario, as the harness reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// The whole scenario object (with `name`), passed to the harness as it is.
    pub json: Value,
}

impl Scenario {
    fn new(name: String, mut json: Value) -> Scenario {
        if let Value::Object(map) = &mut json {
            map.insert("name".into(), Value::String(name.clone()));
        }
        Scenario { name, json }
    }

    /// Both variants at once, for a branch that needs two things true (`if (client === 'a' &&
    /// md.beta)`): this scenario's event with `other`'s merged in, either's redirect-callback leg,
    /// and the HTTP answers of the one that does not answer as `plain` does. `None` when they set
    /// one field to different values, or both change the HTTP answers: that is neither.
    pub fn combined_with(&self, other: &Scenario, plain: &Scenario) -> Option<Scenario> {
        let mut json = self.json.clone();
        merge(json.get_mut("event")?, other.json.get("event")?)?;
        let plain_http = plain.json.get("http");
        match (self.json.get("http"), other.json.get("http")) {
            (mine, theirs) if mine == theirs || theirs == plain_http => {}
            (mine, Some(theirs)) if mine == plain_http => json["http"] = theirs.clone(),
            _ => return None,
        }
        if other.json.get("continue") == Some(&Value::Bool(true)) {
            json["continue"] = Value::Bool(true);
        }
        Some(Scenario::new(format!("{} + {}", self.name, other.name), json))
    }
}

/// Merges `other` into `target`, objects key by key; `None` when a value of `other` would replace
/// a different one.
fn merge(target: &mut Value, other: &Value) -> Option<()> {
    match (target, other) {
        (Value::Object(mine), Value::Object(theirs)) => {
            for (key, value) in theirs {
                match mine.get_mut(key) {
                    Some(existing) => merge(existing, value)?,
                    None => {
                        mine.insert(key.clone(), value.clone());
                    }
                }
            }
            Some(())
        }
        (mine, theirs) => (mine == theirs).then_some(()),
    }
}

/// Placeholder values for secrets, the same on both sides: `secret-KEY`, except where the name says
/// what shape the value has (a rule that parses a URL or a domain would crash on `secret-KEY`):
/// `AUTH0_DOMAIN` is the tenant domain the rule's `auth0.domain` holds, `…DOMAIN` / `…HOST` a host
/// name, `…URL` / `…URI` / `…ENDPOINT` an https URL.
pub fn placeholder_secrets<'a>(keys: impl IntoIterator<Item = &'a String>) -> Value {
    Value::Object(
        keys.into_iter()
            .map(|k| (k.clone(), Value::String(placeholder(k))))
            .collect(),
    )
}

fn placeholder(key: &str) -> String {
    let upper = key.to_ascii_uppercase();
    let host = key.to_ascii_lowercase().replace('_', "-");
    if upper == "AUTH0_DOMAIN" {
        "example-tenant.auth0.com".to_string()
    } else if upper.ends_with("URL") || upper.ends_with("URI") || upper.ends_with("ENDPOINT") {
        format!("https://{host}.example.com/")
    } else if upper.ends_with("DOMAIN") || upper.ends_with("HOST") || upper.ends_with("HOSTNAME") {
        format!("{host}.example.com")
    } else {
        format!("secret-{key}")
    }
}

/// Reads a user's scenarios file: a JSON list of scenario objects, or `{"scenarios": [...]}`.
/// Unnamed scenarios are called `scenario N`; `secrets` missing from a scenario get the
/// placeholders of `defaults_secrets` (the scenario's own values win), `timeout_ms` the default.
pub fn parse_scenarios(text: &str, default_secrets: &Value, timeout_ms: u64) -> Result<Vec<Scenario>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let list = match value {
        Value::Array(list) => list,
        Value::Object(mut map) => match map.remove("scenarios") {
            Some(Value::Array(list)) => list,
            _ => return Err("expected a list of scenarios, or an object with a \"scenarios\" list".into()),
        },
        _ => return Err("expected a list of scenarios".into()),
    };
    let mut out = Vec::new();
    for (index, item) in list.into_iter().enumerate() {
        let Value::Object(mut map) = item else {
            return Err(format!("scenario {} is not a JSON object", index + 1));
        };
        if let Some(event) = map.get("event") {
            if !event.is_object() {
                return Err(format!("scenario {}: \"event\" must be an object", index + 1));
            }
        }
        let name = match map.get("name") {
            Some(Value::String(name)) => name.clone(),
            None => format!("scenario {}", index + 1),
            Some(_) => return Err(format!("scenario {}: \"name\" must be a string", index + 1)),
        };
        let mut secrets = default_secrets.as_object().cloned().unwrap_or_default();
        match map.remove("secrets") {
            Some(Value::Object(own)) => secrets.extend(own),
            None | Some(Value::Null) => {}
            Some(_) => return Err(format!("scenario {}: \"secrets\" must be an object", index + 1)),
        }
        map.insert("secrets".into(), Value::Object(secrets));
        map.entry("timeout_ms").or_insert_with(|| json!(timeout_ms));
        out.push(Scenario::new(name, Value::Object(map)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_scenarios_keep_their_secrets_over_placeholders() {
        let defaults = json!({ "A": "secret-A", "B": "secret-B" });
        let list = parse_scenarios(
            r#"[{"event":{}, "secrets": {"A": "mine"}}, {"name": "x"}]"#,
            &defaults,
            100,
        )
        .unwrap();
        assert_eq!(list[0].name, "scenario 1");
        assert_eq!(list[0].json["secrets"], json!({ "A": "mine", "B": "secret-B" }));
        assert_eq!(list[1].json["timeout_ms"], json!(100));
        assert!(parse_scenarios("{", &defaults, 1).is_err());
        assert!(parse_scenarios(r#"[{"event": 3}]"#, &defaults, 1).is_err());
    }

    #[test]
    fn two_variants_combine_unless_they_contradict() {
        let scenario = |name: &str, json: Value| Scenario::new(name.into(), json);
        let success = json!([{ "status": 200 }]);
        let plain = scenario("plain", json!({ "event": {}, "http": success }));
        let client = scenario(
            "client",
            json!({ "event": { "client": { "client_id": "a" } }, "http": success }),
        );
        let beta =
            json!({ "event": { "user": { "app_metadata": { "beta": true } } }, "http": success, "continue": true });
        let beta = scenario("beta", beta);
        let both = client.combined_with(&beta, &plain).unwrap();
        assert_eq!(both.name, "client + beta");
        assert_eq!(
            both.json,
            json!({ "name": "client + beta", "http": success, "continue": true,
                    "event": { "client": { "client_id": "a" }, "user": { "app_metadata": { "beta": true } } } })
        );
        // One client or the other, not both.
        let other = scenario(
            "other",
            json!({ "event": { "client": { "client_id": "b" } }, "http": success }),
        );
        assert_eq!(client.combined_with(&other, &plain), None);
        // A failing call combines with a variant that answers as the plain login does, once.
        let failing = scenario("500", json!({ "event": {}, "http": [{ "status": 500 }] }));
        let timeout = scenario("timeout", json!({ "event": {}, "http": [{ "timeout": true }] }));
        assert_eq!(
            client.combined_with(&failing, &plain).unwrap().json["http"],
            json!([{ "status": 500 }])
        );
        assert_eq!(
            failing.combined_with(&client, &plain).unwrap().json["http"],
            json!([{ "status": 500 }])
        );
        assert_eq!(failing.combined_with(&timeout, &plain), None);
    }
}
