//! `rules2actions verify --pipeline`: a deploy-cli export's enabled rules, in order and sharing
//! `user`, `context` and `global`, against its post-login Actions in trigger order. The exports of
//! `tests/data/pipeline/` hold what one rule at a time cannot show: a helper one rule puts on
//! `global` for the next, a deny that must stop the login before later rules, two rules setting
//! the same claim in order. Their migrations verify identical; the same migrations with the
//! Actions reordered, the deny lost, or the helper's copy missing are different. Corpus exports
//! whose migrations are correct verify identical, in both layouts. Skipped, with a note, when
//! Node.js is missing.

mod common;

use common::{corpus_dir, node_available, run_cli, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn skip_without_node(test: &str) -> bool {
    if node_available() {
        return false;
    }
    eprintln!("note: {test} skipped: Node.js is not on PATH");
    true
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pipeline")
        .join(name)
}

/// A fresh folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("r2a-verify-pipeline-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// `verify --pipeline EXPORT [--actions DIR] --format json`, with its document.
fn verify_json(export: &Path, actions: Option<&Path>) -> (Run, Value) {
    let mut args = vec!["verify", "--pipeline", text(export), "--format", "json"];
    if let Some(actions) = actions {
        args.extend(["--actions", text(actions)]);
    }
    let run = run_cli(&args);
    let document = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    (run, document)
}

/// `migrate EXPORT --out TEMP/out`: the Actions `verify --actions` reads.
fn migrated(export: &Path, temp: &TempDir) -> PathBuf {
    let out = temp.0.join("out");
    let run = run_cli(&["migrate", text(export), "--out", text(&out)]);
    assert_ne!(run.code, 2, "{}", run.stderr);
    out
}

/// Every differing field of every scenario, as `scenario: field`.
fn differences(document: &Value) -> Vec<String> {
    let scenarios = document["pipeline"]["scenarios"].as_array().expect("scenarios");
    scenarios
        .iter()
        .flat_map(|s| {
            let name = s["name"].as_str().unwrap_or_default().to_string();
            let fields = s["differences"].as_array().cloned().unwrap_or_default();
            fields
                .into_iter()
                .map(move |d| format!("{name}: {}", d["field"].as_str().unwrap_or_default()))
        })
        .collect()
}

/// The names of the pipeline's scenarios, in order.
fn scenario_names(document: &Value) -> Vec<&str> {
    let scenarios = document["pipeline"]["scenarios"].as_array().expect("scenarios");
    scenarios.iter().filter_map(|s| s["name"].as_str()).collect()
}

fn verdict(document: &Value) -> &str {
    document["pipeline"]["verdict"].as_str().unwrap_or_default()
}

#[test]
fn a_correct_migration_is_identical_and_disabled_rules_do_not_run() {
    if skip_without_node("a_correct_migration_is_identical_and_disabled_rules_do_not_run") {
        return;
    }
    let (run, document) = verify_json(&data("login"), None);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(document["command"], "verify");
    assert!(document["version"].is_number(), "{document}");
    let pipeline = &document["pipeline"];
    assert_eq!(verdict(&document), "identical");
    assert_eq!(pipeline["actions_from"], "migrated");
    // In order; the disabled rule (which denies every login) is on neither side.
    let order = ["Require verified email", "Default plan", "Plan from metadata"];
    assert_eq!(pipeline["rules"], serde_json::json!(order));
    assert_eq!(pipeline["actions"], serde_json::json!(order));
    let summary = &document["summary"];
    assert_eq!(summary["identical"], summary["scenarios"], "{summary}");
    // The union of the rules' scenarios reaches each rule's branch: the deny, and the plan.
    let names = scenario_names(&document);
    assert!(names.contains(&"email_verified=false"), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("app_metadata.plan")), "{names:?}");
}

#[test]
fn a_helper_on_global_is_seen_by_the_pipeline_and_not_by_one_rule() {
    if skip_without_node("a_helper_on_global_is_seen_by_the_pipeline_and_not_by_one_rule") {
        return;
    }
    let export = data("global-helper");
    // `migrate` gives the Action of the second rule its own copy of the helper: identical.
    let (run, document) = verify_json(&export, None);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(verdict(&document), "identical");

    // Converted alone, the second rule's Action calls a `global.isAdmin` nobody defines. One rule
    // at a time cannot tell: the rule alone crashes the same way.
    let rule = export.join("rules/Admin claim.js");
    let alone = run_cli(&["verify", text(&rule)]);
    assert_eq!(alone.code, 0, "{}{}", alone.stdout, alone.stderr);
    let converted = rules2actions::convert(&common::read_to_string(&rule), &rules2actions::Limits::default());
    let action = converted.action.expect("the rule converts");
    assert!(action.contains("global.isAdmin(event.user)"), "{action}");

    // The migration with that Action instead of the one with the helper's copy: different. The
    // first Action still assigns `global.isAdmin`, in its own sandbox: Actions share no `global`.
    let temp = TempDir::new("global");
    let out = migrated(&export, &temp);
    std::fs::write(out.join("actions/Admin claim/code.js"), action).unwrap();
    let (run, document) = verify_json(&export, Some(&out));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(verdict(&document), "different");
    let found = differences(&document);
    assert!(found.contains(&"default login: crashed".to_string()), "{found:?}");
}

#[test]
fn actions_in_the_wrong_order_are_different() {
    if skip_without_node("actions_in_the_wrong_order_are_different") {
        return;
    }
    let export = data("login");
    let temp = TempDir::new("order");
    let out = migrated(&export, &temp);
    // Read back from migrate's output as it was written: identical.
    let (run, document) = verify_json(&export, Some(&out));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(document["pipeline"]["actions_from"], text(&out));

    let triggers = out.join("triggers/triggers.json");
    let mut bindings: Value = serde_json::from_str(&common::read_to_string(&triggers)).unwrap();
    bindings["post-login"].as_array_mut().unwrap().swap(1, 2);
    std::fs::write(&triggers, bindings.to_string()).unwrap();
    let (run, document) = verify_json(&export, Some(&out));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        document["pipeline"]["actions"],
        serde_json::json!(["Require verified email", "Plan from metadata", "Default plan"])
    );
    // The plan from the metadata must win over the default; in this order the default wins.
    let found = differences(&document);
    let claim = "id_token_claims[\"https://example.com/plan\"]";
    assert!(
        found
            .iter()
            .any(|d| d.starts_with("app_metadata.plan") && d.ends_with(claim)),
        "{found:?}"
    );
    // Where the metadata has no plan, the order does not matter.
    assert!(!found.iter().any(|d| d.starts_with("default login")), "{found:?}");

    // The same in human text: both orders, then each scenario and what differs.
    let run = run_cli(&["verify", "--pipeline", text(&export), "--actions", text(&out)]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    for line in [
        "rules, in order: Require verified email, Default plan, Plan from metadata",
        "actions, in trigger order: Require verified email, Plan from metadata, Default plan",
        "  default login: identical",
        "    id_token_claims[\"https://example.com/plan\"]",
        "      action: \"free\"",
    ] {
        assert!(run.stdout.contains(line), "{line:?} in:\n{}", run.stdout);
    }
    assert!(run.stdout.starts_with("pipeline of "), "{}", run.stdout);
    assert!(
        run.stderr.contains("verify: pipeline of 3 rules vs 3 Actions"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_lost_deny_is_different_and_a_deny_stops_both_pipelines() {
    if skip_without_node("a_lost_deny_is_different_and_a_deny_stops_both_pipelines") {
        return;
    }
    let export = data("login");
    let temp = TempDir::new("deny");
    let out = migrated(&export, &temp);
    let code = out.join("actions/Require verified email/code.js");
    let correct = common::read_to_string(&code);
    assert!(correct.contains("api.access.deny("), "{correct}");
    std::fs::write(&code, correct.replace("api.access.deny(", "console.log(")).unwrap();
    let (run, document) = verify_json(&export, Some(&out));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let found = differences(&document);
    // The login is allowed, and the Actions after it ran: the rules after a deny never do.
    assert!(
        found.contains(&"email_verified=false: outcome".to_string()),
        "{found:?}"
    );
    let claim = "email_verified=false: id_token_claims[\"https://example.com/plan\"]";
    assert!(found.contains(&claim.to_string()), "{found:?}");
    assert_eq!(found.len(), 2, "{found:?}");
}

/// Corpus exports whose migrations are correct, read in place: directory and YAML layouts, in
/// memory and from `migrate`'s output.
#[test]
fn correct_corpus_migrations_are_not_different() {
    if skip_without_node("correct_corpus_migrations_are_not_different") {
        return;
    }
    let corpus = corpus_dir();
    for case in [
        "real-world/ThreatResponse-auth0-rules",
        "real-world/tylernix-Auth0-Rules-Testing-Best-Practices/src",
    ] {
        let export = corpus.join(case);
        let (run, document) = verify_json(&export, None);
        assert_eq!(run.code, 0, "{case}: {}{}", run.stdout, run.stderr);
        assert_eq!(verdict(&document), "identical", "{case}");
        let temp = TempDir::new("corpus");
        let out = migrated(&export, &temp);
        let (run, _) = verify_json(&export, Some(&out));
        assert_eq!(run.code, 0, "{case} from its migration: {}{}", run.stdout, run.stderr);
    }

    // A pipeline of four of Auth0's own templates, in an export made around them.
    let temp = TempDir::new("templates");
    let rules = temp.0.join("export/rules");
    std::fs::create_dir_all(&rules).unwrap();
    let templates = [
        "email-verified",
        "add-country",
        "add-attributes",
        "add-email-to-access-token",
    ];
    for (order, name) in templates.iter().enumerate() {
        let script = common::read_to_string(&corpus.join(format!("auth0-rules/{name}.js")));
        std::fs::write(rules.join(format!("{name}.js")), script).unwrap();
        let metadata = serde_json::json!({ "name": name, "enabled": true, "order": order + 1 });
        std::fs::write(rules.join(format!("{name}.json")), metadata.to_string()).unwrap();
    }
    let (run, document) = verify_json(&temp.0.join("export"), None);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(document["pipeline"]["rules"], serde_json::json!(templates));
    assert!(document["summary"]["scenarios"].as_u64() > Some(1), "{document}");
}

#[test]
fn what_cannot_be_verified_is_reported_with_exit_code_2() {
    if skip_without_node("what_cannot_be_verified_is_reported_with_exit_code_2") {
        return;
    }
    let temp = TempDir::new("errors");
    // Not an export.
    let run = run_cli(&["verify", "--pipeline", text(&temp.0)]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("not a deploy-cli export"), "{}", run.stdout);
    // An export whose rules are all disabled has no pipeline.
    let export = temp.0.join("export");
    std::fs::create_dir_all(export.join("rules")).unwrap();
    std::fs::write(
        export.join("rules/a.js"),
        "function (user, context, callback) { callback(null, user, context); }",
    )
    .unwrap();
    std::fs::write(export.join("rules/a.json"), r#"{"enabled": false}"#).unwrap();
    let run = run_cli(&["verify", "--pipeline", text(&export)]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no enabled rule"), "{}", run.stdout);

    // An Action whose code is outside the folder given is not read.
    std::fs::write(export.join("rules/a.json"), r#"{"enabled": true}"#).unwrap();
    let outside = temp.0.join("outside.js");
    std::fs::write(&outside, "exports.onExecutePostLogin = async () => {};").unwrap();
    let actions = temp.0.join("actions-out");
    std::fs::create_dir_all(actions.join("actions")).unwrap();
    std::fs::create_dir_all(actions.join("triggers")).unwrap();
    std::fs::write(
        actions.join("actions/a.json"),
        r#"{"name": "a", "code": "../outside.js"}"#,
    )
    .unwrap();
    std::fs::write(
        actions.join("triggers/triggers.json"),
        r#"{"post-login": [{"action_name": "a"}]}"#,
    )
    .unwrap();
    let (run, document) = verify_json(&export, Some(&actions));
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let error = document["pipeline"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("outside the folder"), "{document}");
    // With the code inside, the same pipeline runs.
    std::fs::write(actions.join("actions/a.json"), r#"{"name": "a", "code": "./a.js"}"#).unwrap();
    std::fs::copy(&outside, actions.join("a.js")).unwrap();
    let (run, _) = verify_json(&export, Some(&actions));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // --actions belongs to --pipeline.
    let run = run_cli(&["verify", text(&export.join("rules/a.js")), "--actions", text(&actions)]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
}

/// Every step of a pipeline runs under the confinement of a single run: the routes out of the
/// `vm` context that `tests/sandbox.rs` tries on one rule or Action find only stubs from the second
/// step of a pipeline too. Each side's probe sets a claim the other side sets to the contained
/// result, so the pipelines are identical only if the probe found nothing.
#[test]
fn a_later_step_is_confined_like_a_single_run() {
    if skip_without_node("a_later_step_is_confined_like_a_single_run") {
        return;
    }
    const PROBE: &str = "function probe() {
  const routes = [
    () => (function () { return this; })().constructor.constructor('return process')(),
    () => setTimeout.constructor('return process')(),
    () => console.log.constructor('return process')(),
    () => process,
  ];
  return routes.map((route) => {
    try { const p = route(); return typeof p.getBuiltinModule === 'function' || typeof p.pid === 'number' ? 'ESCAPED' : 'contained'; }
    catch (e) { return 'contained'; }
  }).join(',');
}\n";
    const CONTAINED: &str = "contained,contained,contained,contained";
    let temp = TempDir::new("confined");
    let export = temp.0.join("export");
    let rules = export.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let write_rule = |name: &str, order: usize, body: &str| {
        std::fs::write(rules.join(format!("{name}.js")), body).unwrap();
        let metadata = serde_json::json!({ "name": name, "enabled": true, "order": order });
        std::fs::write(rules.join(format!("{name}.json")), metadata.to_string()).unwrap();
    };
    write_rule(
        "first",
        1,
        "function (user, context, callback) { callback(null, user, context); }\n",
    );
    write_rule(
        "second",
        2,
        &format!(
            "function (user, context, callback) {{\n{PROBE}  context.idToken['https://example.com/probe'] = probe();\n  callback(null, user, context);\n}}\n"
        ),
    );
    let out = migrated(&export, &temp);
    // The rule side probes; the Action side states what a confined probe finds.
    let expected = format!(
        "exports.onExecutePostLogin = async (event, api) => {{ api.idToken.setCustomClaim('https://example.com/probe', {CONTAINED:?}); }};\n"
    );
    std::fs::write(out.join("actions/second/code.js"), &expected).unwrap();
    let (run, document) = verify_json(&export, Some(&out));
    assert_eq!(run.code, 0, "the rule pipeline's probe: {}{}", run.stdout, run.stderr);
    assert_eq!(verdict(&document), "identical");
    // And the other way round: the Action side probes, from its second Action.
    let probing = format!(
        "{PROBE}exports.onExecutePostLogin = async (event, api) => {{ api.idToken.setCustomClaim('https://example.com/probe', probe()); }};\n"
    );
    std::fs::write(out.join("actions/second/code.js"), probing).unwrap();
    write_rule(
        "second",
        2,
        &format!(
            "function (user, context, callback) {{ context.idToken['https://example.com/probe'] = {CONTAINED:?}; callback(null, user, context); }}\n"
        ),
    );
    let (run, document) = verify_json(&export, Some(&out));
    assert_eq!(run.code, 0, "the Action pipeline's probe: {}{}", run.stdout, run.stderr);
    assert_eq!(verdict(&document), "identical");
    // The probe can tell: the claim it sets differs from any other value.
    write_rule(
        "second",
        2,
        "function (user, context, callback) { context.idToken['https://example.com/probe'] = 'ESCAPED'; callback(null, user, context); }\n",
    );
    let (run, _) = verify_json(&export, Some(&out));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
}

/// One time limit covers the whole pipeline: a later step that never ends is stopped there, on
/// both sides.
#[test]
fn a_later_step_that_never_ends_stops_at_the_time_limit() {
    if skip_without_node("a_later_step_that_never_ends_stops_at_the_time_limit") {
        return;
    }
    let temp = TempDir::new("hang");
    let export = temp.0.join("export");
    let rules = export.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let steps = [
        ("first", "function (user, context, callback) { context.idToken['https://example.com/a'] = 1; callback(null, user, context); }\n"),
        ("second", "function (user, context, callback) { while (true) {} }\n"),
    ];
    for (order, (name, body)) in steps.iter().enumerate() {
        std::fs::write(rules.join(format!("{name}.js")), body).unwrap();
        let metadata = serde_json::json!({ "name": name, "enabled": true, "order": order + 1 });
        std::fs::write(rules.join(format!("{name}.json")), metadata.to_string()).unwrap();
    }
    let started = std::time::Instant::now();
    let run = run_cli(&[
        "verify",
        "--pipeline",
        text(&export),
        "--timeout-ms",
        "500",
        "--format",
        "json",
    ]);
    let document: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    // Neither side finished: inconclusive, as for one rule.
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(verdict(&document), "inconclusive", "{document}");
    let reasons = document["pipeline"]["scenarios"][0]["reasons"].to_string();
    assert!(reasons.contains("neither side finished"), "{reasons}");
}

/// A redirect: the rules all run and redirect once, then all run again after /continue; the
/// Actions stop at the one that redirects and resume with its `onContinuePostLogin`, then the
/// Actions after it. The claim that depends on the consent given on the way back is right only
/// when the consent's Action comes first: in the wrong order, the first leg looks the same (no
/// token is issued there), and only the leg after /continue differs.
#[test]
fn the_leg_after_continue_runs_the_actions_after_the_redirect() {
    if skip_without_node("the_leg_after_continue_runs_the_actions_after_the_redirect") {
        return;
    }
    let export = data("redirect");
    let (run, document) = verify_json(&export, None);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let names = scenario_names(&document);
    assert!(names.contains(&"redirect callback (continue)"), "{names:?}");

    let temp = TempDir::new("redirect");
    let out = migrated(&export, &temp);
    let triggers = out.join("triggers/triggers.json");
    let mut bindings: Value = serde_json::from_str(&common::read_to_string(&triggers)).unwrap();
    bindings["post-login"].as_array_mut().unwrap().swap(0, 1);
    std::fs::write(&triggers, bindings.to_string()).unwrap();
    let (run, document) = verify_json(&export, Some(&out));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let found = differences(&document);
    let claim = "redirect callback (continue): id_token_claims[\"https://example.com/consented\"]";
    assert_eq!(found, [claim], "{document:#}");
}

/// A scenarios file runs on the pipeline as on one rule, alone with `--no-defaults`.
#[test]
fn user_scenarios_run_on_the_whole_pipeline() {
    if skip_without_node("user_scenarios_run_on_the_whole_pipeline") {
        return;
    }
    let temp = TempDir::new("scenarios");
    let scenarios = temp.0.join("scenarios.json");
    let admin = r#"[{ "name": "an admin", "event": { "user": { "app_metadata": { "roles": ["admin"] } } } }]"#;
    std::fs::write(&scenarios, admin).unwrap();
    let export = data("global-helper");
    let args = ["verify", "--pipeline", text(&export), "--format", "json"];
    let run = run_cli(&[&args[..], &["--scenarios", text(&scenarios), "--no-defaults"]].concat());
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    let names = scenario_names(&document);
    assert_eq!(names, ["an admin"]);
    // The admin's claim comes from the helper the first rule defined: with the Action converted
    // alone, the admin is not recognised.
    let out = migrated(&export, &temp);
    let rule = common::read_to_string(&export.join("rules/Admin claim.js"));
    let alone = rules2actions::convert(&rule, &rules2actions::Limits::default());
    std::fs::write(out.join("actions/Admin claim/code.js"), alone.action.unwrap()).unwrap();
    let run = run_cli(
        &[
            &args[..],
            &[
                "--scenarios",
                text(&scenarios),
                "--no-defaults",
                "--actions",
                text(&out),
            ],
        ]
        .concat(),
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    let claim = "an admin: id_token_claims[\"https://example.com/admin\"]";
    assert_eq!(differences(&document), ["an admin: crashed", claim], "{document:#}");
}
