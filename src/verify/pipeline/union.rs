//! The scenarios of a pipeline: the union of its rules' default scenarios.

use crate::verify::scenarios::Scenario;
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// The scenarios of every rule (`(rule name, its scenarios)`), taken in turns (every rule's
/// first, then every rule's second, …) so that each rule's most telling ones come first when the
/// bound cuts the list, without repeats: two scenarios are the same when they differ only in name
/// and secrets (the secrets are made the same for all, [`fill_secrets`]). A scenario whose name
/// another already has is named after its rule too. Every rule of the pipeline runs in every
/// login, so a scenario where HTTP calls succeed answers every rule's calls ([`success_answer`]).
pub fn union(per_rule: &[(String, Vec<Scenario>)], bound: usize) -> Vec<Scenario> {
    let success = success_answer(per_rule.iter().flat_map(|(_, list)| list));
    let mut out: Vec<Scenario> = Vec::new();
    let mut seen = HashSet::new();
    let longest = per_rule.iter().map(|(_, list)| list.len()).max().unwrap_or(0);
    for turn in 0..longest {
        for (rule, list) in per_rule {
            let Some(scenario) = list.get(turn) else { continue };
            if out.len() >= bound {
                return out;
            }
            let mut scenario = scenario.clone();
            if let (Some(success), Value::Object(map)) = (&success, &mut scenario.json) {
                let succeeds = map.get("http").is_none_or(|http| succeeding(http).is_some());
                if succeeds {
                    map.insert("http".into(), success.clone());
                }
            }
            if !seen.insert(identity(&scenario.json)) {
                continue;
            }
            if out.iter().any(|s| s.name == scenario.name) {
                scenario.name = format!("{} (from {rule})", scenario.name);
                scenario.json["name"] = Value::String(scenario.name.clone());
            }
            out.push(scenario);
        }
    }
    out
}

/// The answers of the default scenarios where every call succeeds (one answer, status 200, whose
/// body has the keys the rule reads), merged into one whose body has every rule's keys; `None`
/// when no rule makes calls.
fn success_answer<'a>(scenarios: impl Iterator<Item = &'a Scenario>) -> Option<Value> {
    let mut body: Option<Map<String, Value>> = None;
    for scenario in scenarios {
        if let Some(keys) = scenario.json.get("http").and_then(succeeding) {
            body.get_or_insert_with(Map::new).extend(keys.clone());
        }
    }
    body.map(|body| json!([{ "status": 200, "body": body }]))
}

/// The body of a list of HTTP answers that is one success for every call.
fn succeeding(http: &Value) -> Option<&Map<String, Value>> {
    let [answer] = http.as_array()?.as_slice() else {
        return None;
    };
    let answer = answer.as_object()?;
    (answer.len() == 2 && answer.get("status") == Some(&json!(200)))
        .then(|| answer.get("body")?.as_object())
        .flatten()
}

/// What makes a scenario: everything but its name and secrets, as text.
fn identity(json: &Value) -> String {
    let mut json = json.clone();
    if let Value::Object(map) = &mut json {
        map.remove("name");
        map.remove("secrets");
    }
    json.to_string()
}

/// Gives every scenario a value for every secret of `secrets` it has none for.
pub fn fill_secrets(scenarios: &mut [Scenario], secrets: &Value) {
    let Value::Object(all) = secrets else { return };
    for scenario in scenarios {
        let Value::Object(map) = &mut scenario.json else {
            continue;
        };
        let own = map
            .entry("secrets")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(own) = own {
            for (key, value) in all {
                own.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scenario(name: &str, email_verified: bool) -> Scenario {
        Scenario {
            name: name.into(),
            json: json!({ "name": name, "event": { "user": { "email_verified": email_verified } }, "secrets": { name: 1 } }),
        }
    }

    #[test]
    fn rules_take_turns_and_repeats_are_dropped() {
        let per_rule = vec![
            (
                "a".to_string(),
                vec![scenario("default login", true), scenario("a1", false)],
            ),
            (
                "b".to_string(),
                vec![
                    scenario("default login", true),
                    scenario("b1", false),
                    scenario("b2", true),
                ],
            ),
        ];
        let names: Vec<String> = union(&per_rule, 10).into_iter().map(|s| s.name).collect();
        // b's default and b1 repeat a scenario already taken; b2 repeats the default login.
        assert_eq!(names, ["default login", "a1"]);
        let per_rule = vec![
            ("a".to_string(), vec![scenario("x", true)]),
            ("b".to_string(), vec![scenario("x", false), scenario("y", true)]),
        ];
        let union = union(&per_rule, 10);
        let names: Vec<&str> = union.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["x", "x (from b)"]);
        assert_eq!(union[1].json["name"], "x (from b)");
    }

    #[test]
    fn calls_that_succeed_answer_every_rule() {
        let with_http = |name: &str, http: Value| Scenario {
            name: name.into(),
            json: json!({ "event": {}, "http": http }),
        };
        let per_rule = vec![
            (
                "plain".to_string(),
                vec![Scenario {
                    name: "default login".into(),
                    json: json!({ "event": {} }),
                }],
            ),
            (
                "a".to_string(),
                vec![with_http(
                    "default login",
                    json!([{ "status": 200, "body": { "token": {} } }]),
                )],
            ),
            (
                "b".to_string(),
                vec![
                    with_http("default login", json!([{ "status": 200, "body": { "plan": {} } }])),
                    with_http("HTTP calls answer 500", json!([{ "status": 500, "body": {} }])),
                ],
            ),
        ];
        let union = union(&per_rule, 10);
        // The three default logins are one login, whose calls answer both a's and b's keys.
        let names: Vec<&str> = union.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["default login", "HTTP calls answer 500"]);
        assert_eq!(
            union[0].json["http"],
            json!([{ "status": 200, "body": { "token": {}, "plan": {} } }])
        );
        assert_eq!(union[1].json["http"], json!([{ "status": 500, "body": {} }]));
    }

    #[test]
    fn the_bound_holds() {
        let many: Vec<Scenario> = (0..10)
            .map(|i| Scenario {
                name: format!("s{i}"),
                json: json!({ "event": { "stats": { "logins_count": i } } }),
            })
            .collect();
        let per_rule = vec![("a".to_string(), many.clone()), ("b".to_string(), many)];
        assert_eq!(union(&per_rule, 4).len(), 4);
    }

    #[test]
    fn every_scenario_gets_every_secret() {
        let mut list = vec![scenario("x", true)];
        fill_secrets(&mut list, &json!({ "x": 2, "K": "secret-K" }));
        assert_eq!(list[0].json["secrets"], json!({ "x": 1, "K": "secret-K" }));
    }
}
