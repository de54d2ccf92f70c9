//! `rules2actions verify`: fixture pairs under `fixtures/verify/<case>/` (`rule.rule.js`, an
//! optional `action.js` — else the converted Action —, optional `scenarios.json`, and
//! `expect.json` with the file's verdict and every differing field), the exit codes, the test sets
//! of wrong and correct Actions, branch coverage and the search for more scenarios. (The figures
//! over the shared corpus are in `tests/corpus.rs`.) Skipped, with a note, when Node.js is missing.

mod common;

use common::{node_available, read_to_string};
use rules2actions::verify::compare::Verdict;
use rules2actions::verify::explore::{explore, plan, Exploration};
use rules2actions::verify::runner::{Runtime, Side};
use rules2actions::verify::{default_threads, Pair};
use rules2actions::Limits;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

fn skip_without_node(test: &str) -> bool {
    if node_available() {
        return false;
    }
    eprintln!("note: {test} skipped: Node.js is not on PATH");
    true
}

/// Runs the CLI in-process; returns (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut stdin = std::io::empty();
    let mut io = rules2actions::cli::Io {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stdout_is_terminal: false,
        stderr_is_terminal: false,
    };
    let argv: Vec<OsString> = std::iter::once("rules2actions")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect();
    let code = rules2actions::cli::run_with(argv, &mut io);
    (
        code,
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn fixture_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/verify");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/verify")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("rule.rule.js").exists())
        .collect();
    cases.sort();
    cases
}

fn verify_case(case: &Path) -> (i32, Value, String) {
    let rule = case.join("rule.rule.js");
    let action = case.join("action.js");
    let scenarios = case.join("scenarios.json");
    let mut args = vec![
        "verify".to_string(),
        rule.display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(["--timeout-ms".to_string(), "700".to_string()]);
    if action.exists() {
        args.extend(["--action".to_string(), action.display().to_string()]);
    }
    if scenarios.exists() {
        args.extend(["--scenarios".to_string(), scenarios.display().to_string()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = cli(&refs);
    let document: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{}: {e}\n{stdout}\n{stderr}", case.display()));
    (code, document, stderr)
}

#[test]
fn fixture_pairs_report_each_difference_with_its_field() {
    if skip_without_node("fixture_pairs_report_each_difference_with_its_field") {
        return;
    }
    let cases = fixture_cases();
    assert!(cases.len() >= 8, "fixtures/verify holds {} cases", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        let expect: Value = serde_json::from_str(&read_to_string(&case.join("expect.json"))).unwrap();
        let (code, document, stderr) = verify_case(case);
        assert_eq!(document["version"], rules2actions::json::VERSION);
        assert_eq!(document["command"], "verify");
        let file = &document["files"][0];
        let verdict = file["verdict"].as_str().unwrap_or_default();
        let fields: BTreeSet<String> = file["scenarios"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["differences"].as_array().cloned().unwrap_or_default())
            .filter_map(|d| d["field"].as_str().map(str::to_string))
            .collect();
        let want_fields: BTreeSet<String> = expect["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        let want_code = match expect["verdict"].as_str().unwrap() {
            "identical" => 0,
            "different" | "inconclusive" => 1,
            _ => 2,
        };
        if verdict != expect["verdict"] || fields != want_fields || code != want_code {
            problems.push(format!(
                "{}: got {verdict} {fields:?} exit {code}, want {} {want_fields:?} exit {want_code}\n{}\n{stderr}",
                case.display(),
                expect["verdict"],
                serde_json::to_string_pretty(file).unwrap()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_difference_is_shown_with_both_values() {
    if skip_without_node("a_difference_is_shown_with_both_values") {
        return;
    }
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/verify/deny-other-message");
    let rule = case.join("rule.rule.js");
    let action = case.join("action.js");
    let (code, stdout, stderr) = cli(&["verify", rule.to_str().unwrap(), "--action", action.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("email_verified=false: different"), "{stdout}");
    assert!(stdout.contains("    outcome\n"), "{stdout}");
    assert!(
        stdout.contains(r#"rule:   {"decision":"deny","message":"Please verify your email before logging in."}"#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"action: {"decision":"deny","message":"Access denied."}"#),
        "{stdout}"
    );
    assert!(stderr.contains("1 different"), "{stderr}");
}

#[test]
fn exit_codes() {
    let rule = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/verify/mfa-equal/rule.rule.js");
    let rule = rule.to_str().unwrap();
    // Node.js missing: a clear message and exit 2.
    let (code, _, stderr) = cli(&["verify", rule, "--node", "/nonexistent/node-r2a"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("Node.js 18 or newer"), "{stderr}");
    if skip_without_node("exit_codes (the part that runs node)") {
        return;
    }
    let (code, stdout, stderr) = cli(&["verify", rule]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("identical on "), "{stdout}");
    // An Action that does not compile cannot be compared.
    let scratch = std::env::temp_dir().join(format!("r2a-verify-test-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let broken = scratch.join("broken.js");
    std::fs::write(&broken, "exports.onExecutePostLogin = async (event, api) => {").unwrap();
    let (code, stdout, _) = cli(&["verify", rule, "--action", broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("could not run"), "{stdout}");
    // A bad scenarios file is refused before anything runs.
    let bad = scratch.join("bad.json");
    std::fs::write(&bad, "{\"scenarios\": 3}").unwrap();
    let (code, _, stderr) = cli(&["verify", rule, "--scenarios", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("bad.json"), "{stderr}");
    // --action with several rules is a usage error.
    let (code, _, _) = cli(&["verify", rule, rule, "--action", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn harness_self_test_passes() {
    if skip_without_node("harness_self_test_passes") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/verify/harness_selftest.js");
    let output = std::process::Command::new("node")
        .arg(&script)
        .output()
        .expect("running node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// One pair of a test set of rule/Action pairs (`fixtures/verify/faithful/{wrong,correct}/<case>/`,
/// `fixtures/verify/http/<case>/`): its name, its expectation, and what the default scenarios found.
struct FaithfulResult {
    name: String,
    expect: Value,
    verdict: Verdict,
    fields: BTreeSet<String>,
    /// The scenarios reported different, each with its differing fields.
    different: BTreeMap<String, BTreeSet<String>>,
    report: String,
}

/// Runs every pair under `fixtures/verify/faithful/<kind>` on its rule's default scenarios only.
fn faithful_pairs(kind: &str) -> Vec<FaithfulResult> {
    default_scenario_pairs(&Path::new("fixtures/verify/faithful").join(kind))
}

/// Runs every pair under `dir` (relative to the crate) on its rule's default scenarios and the
/// search for more, as `verify` does without a scenarios file.
fn default_scenario_pairs(dir: &Path) -> Vec<FaithfulResult> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    let runtime = Runtime::new("node".as_ref()).expect("node");
    let explorations: Vec<Exploration> = cases
        .iter()
        .map(|case| {
            let rule = read_to_string(&case.join("rule.rule.js"));
            let plan = plan(&rule, &Limits::default(), 1000);
            Exploration {
                pair: Pair {
                    rule: runtime.write_code(Side::Rule, &rule).unwrap(),
                    action: runtime
                        .write_code(Side::Action, &read_to_string(&case.join("action.js")))
                        .unwrap(),
                    scenarios: plan.derived.defaults,
                },
                further: Some(plan.derived.further),
                branches: plan.branches,
            }
        })
        .collect();
    let results = explore(&runtime, explorations, default_threads())
        .into_iter()
        .map(|explored| explored.scenarios);
    cases
        .iter()
        .zip(results)
        .map(|(case, scenarios)| {
            let verdict = scenarios
                .iter()
                .map(|s| s.comparison.verdict)
                .max()
                .unwrap_or(Verdict::Identical);
            let differences = scenarios.iter().flat_map(|s| &s.comparison.differences);
            let fields = differences.map(|d| d.field.clone()).collect();
            let different = scenarios
                .iter()
                .filter(|s| s.comparison.verdict == Verdict::Different)
                .map(|s| {
                    let fields = s.comparison.differences.iter().map(|d| d.field.clone());
                    (s.name.clone(), fields.collect())
                })
                .collect();
            let report = scenarios
                .iter()
                .map(|s| format!("    {}: {} {:?}", s.name, s.comparison.verdict.as_str(), s.comparison))
                .collect::<Vec<_>>()
                .join("\n");
            FaithfulResult {
                name: case.file_name().unwrap().to_string_lossy().into_owned(),
                expect: serde_json::from_str(&read_to_string(&case.join("expect.json"))).unwrap(),
                verdict,
                fields,
                different,
                report,
            }
        })
        .collect()
}

/// Issue 14: a verifier that models Rules as the converter does proves nothing. Each wrong Action
/// is a mistake a converter could make; the default scenarios must report at least 90% of them
/// different, each on the field its `expect.json` names.
#[test]
fn default_scenarios_catch_wrong_actions() {
    if skip_without_node("default_scenarios_catch_wrong_actions") {
        return;
    }
    let results = faithful_pairs("wrong");
    assert!(results.len() >= 15, "only {} wrong Actions", results.len());
    let mut missed = Vec::new();
    for r in &results {
        let want: BTreeSet<String> = r.expect["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        if r.verdict != Verdict::Different || !want.is_subset(&r.fields) {
            missed.push(format!(
                "  {}: {} {:?}, want different {want:?}\n{}",
                r.name,
                r.verdict.as_str(),
                r.fields,
                r.report
            ));
        }
    }
    let caught = results.len() - missed.len();
    eprintln!("verify: {caught} of {} wrong Actions reported different", results.len());
    assert!(
        caught * 10 >= results.len() * 9,
        "only {caught} of {} wrong Actions reported different:\n{}",
        results.len(),
        missed.join("\n")
    );
}

/// The other half: a correct Action is never reported different (no false alarm).
#[test]
fn default_scenarios_raise_no_false_alarm() {
    if skip_without_node("default_scenarios_raise_no_false_alarm") {
        return;
    }
    let results = faithful_pairs("correct");
    assert!(results.len() >= 10, "only {} correct Actions", results.len());
    let alarms: Vec<String> = results
        .iter()
        .filter(|r| r.verdict.as_str() != r.expect["verdict"])
        .map(|r| format!("  {}: {} {:?}\n{}", r.name, r.verdict.as_str(), r.fields, r.report))
        .collect();
    assert!(
        alarms.is_empty(),
        "correct Actions not identical:\n{}",
        alarms.join("\n")
    );
}

/// `fixtures/verify/coverage/<name>`.
fn coverage_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/verify/coverage")
        .join(name)
        .display()
        .to_string()
}

/// `verify --format json` of one rule: its exit code and its file report.
fn file_report(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["verify", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = cli(&all);
    let document: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (code, document["files"][0].clone())
}

/// The unreached branches of a report, as `line kind`.
fn unreached(report: &Value) -> Vec<String> {
    report["branches"]["unreached"]
        .as_array()
        .unwrap_or_else(|| panic!("no branches in {report}"))
        .iter()
        .map(|b| format!("{} {}", b["line"], b["kind"].as_str().unwrap_or_default()))
        .collect()
}

/// Every kind of branch the rule's syntax has is mapped onto V8's coverage of real runs: each is
/// unreached on a plain login exactly where the rule does not go, and the scenarios' union counts.
#[test]
fn branch_coverage_names_what_never_ran_and_is_the_union_over_scenarios() {
    if skip_without_node("branch_coverage_names_what_never_ran_and_is_the_union_over_scenarios") {
        return;
    }
    let rule = coverage_fixture("every-kind.js");
    let run = |scenarios: &str| {
        let scenarios = coverage_fixture(scenarios);
        file_report(&[&rule, "--no-defaults", "--scenarios", &scenarios]).1
    };
    let plain = run("plain.scenarios.json");
    assert_eq!(
        unreached(&plain),
        [
            "2 &&",
            "3 ||",
            "4 ??",
            "5 :",
            "8 case",
            "15 catch",
            "18 function",
            "21 if"
        ],
        "{plain}"
    );
    assert_eq!(
        (
            plain["branches"]["reached"].as_u64(),
            plain["branches"]["total"].as_u64()
        ),
        (Some(4), Some(12))
    );
    assert_eq!(plain["fully_verified"], false);
    // An admin takes the `&&` and the `if`; the plain login still reaches the `else`.
    let both = run("admin.scenarios.json");
    assert_eq!(
        unreached(&both),
        ["3 ||", "4 ??", "5 :", "8 case", "15 catch", "18 function"],
        "{both}"
    );
}

/// Identical with a branch never run is identical on the scenarios run, not fully verified; the
/// exit code stays that of the verdict. A byte-order mark does not shift the branches.
#[test]
fn identical_with_unreached_branches_is_not_fully_verified() {
    if skip_without_node("identical_with_unreached_branches_is_not_fully_verified") {
        return;
    }
    let (every, partly) = (coverage_fixture("every-branch.js"), coverage_fixture("unreached.js"));
    let (code, report) = file_report(&[&every]);
    assert_eq!((code, report["verdict"].as_str()), (0, Some("identical")), "{report}");
    assert_eq!(report["fully_verified"], true, "{report}");
    let (code, report) = file_report(&[&partly]);
    assert_eq!((code, report["verdict"].as_str()), (0, Some("identical")), "{report}");
    assert_eq!(report["fully_verified"], false, "{report}");
    assert_eq!(unreached(&report), ["5 &&", "5 if"]);

    let (code, stdout, stderr) = cli(&["verify", &every, &partly]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "every-branch.js vs its converted Action: identical on 2 scenarios, every branch of the rule reached"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("unreached.js vs its converted Action: identical on the 2 scenarios run; not fully verified: 2 branches of the rule never ran\n  branches reached: 3 of 5 (60%)\n  never ran: line 5 (&&), line 5 (if)\n"), "{stdout}");
    assert!(stderr.contains("2 identical (1 with every branch reached)"), "{stderr}");

    let dir = std::env::temp_dir().join(format!("r2a-verify-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bom = dir.join("unreached.js");
    std::fs::write(&bom, format!("\u{feff}{}", read_to_string(Path::new(&partly)))).unwrap();
    let (_, report) = file_report(&[&bom.display().to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(unreached(&report), ["5 &&", "5 if"], "{report}");
}

/// Issue 14: a rule that makes outbound calls gets HTTP answers that reach its error branches. Each
/// wrong Action under `fixtures/verify/http` mishandles one failure (a 500, a network error, a call
/// that never answers) and behaves like the rule when every call succeeds: the default scenarios
/// must report it different on that failure's scenario only, on the fields `expect.json` names. A
/// correct Action is identical on all of them, the call that never answers included.
#[test]
fn default_http_failures_reach_the_error_branches() {
    if skip_without_node("default_http_failures_reach_the_error_branches") {
        return;
    }
    let results = default_scenario_pairs(Path::new("fixtures/verify/http"));
    assert!(results.len() >= 4, "only {} HTTP pairs", results.len());
    let mut problems = Vec::new();
    for r in &results {
        let fields = |v: &Value| -> BTreeSet<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        };
        let want: BTreeMap<String, BTreeSet<String>> = r.expect["scenario"]
            .as_str()
            .map(|name| (name.to_string(), fields(&r.expect["fields"])))
            .into_iter()
            .collect();
        if r.verdict.as_str() != r.expect["verdict"] || r.different != want {
            problems.push(format!(
                "  {}: {} {:?}, want {} {want:?}\n{}",
                r.name,
                r.verdict.as_str(),
                r.different,
                r.expect["verdict"],
                r.report
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Each client fails as it would: its own error name, code and message for a status 500, a network
/// error and its own timeout (which fires though the call never answers); a call with no client
/// timeout never answers, and the run ends at its time limit with the call recorded unanswered.
#[test]
fn http_clients_fail_each_in_their_own_way() {
    if skip_without_node("http_clients_fail_each_in_their_own_way") {
        return;
    }
    let action = r#"
        const axios = require('axios'); const got = require('got');
        const request = require('request'); const nodeFetch = require('node-fetch');
        const seen = async (p) => { try { await p; return 'ok'; } catch (e) { return `${e.name} ${e.code} ${e.message}`; } };
        exports.onExecutePostLogin = async (event, api) => {
          const claims = {
            axios_500: await seen(axios.get('https://bad.example/x')),
            axios_network: await seen(axios.get('https://net.example/x')),
            axios_timeout: await seen(axios.get('https://slow.example/x', { timeout: 500 })),
            got_500: await seen(got('https://bad.example/x')),
            got_timeout: await seen(got('https://slow.example/x', { timeout: { request: 500 } })),
            fetch_network: await seen(fetch('https://net.example/x')),
            fetch_timeout: await seen(nodeFetch('https://slow.example/x', { timeout: 500 })),
            fetch_500: (await fetch('https://bad.example/x')).status,
            request_timeout: await new Promise((done) =>
              request({ url: 'https://slow.example/x', timeout: 500 }, (e) => done(`${e.code} ${e.message}`))),
          };
          for (const [k, v] of Object.entries(claims)) api.idToken.setCustomClaim(k, v);
          await fetch('https://slow.example/never', { timeout: 60000 }); // past the platform's limit
        };"#;
    let scenario = serde_json::json!({
        "timeout_ms": 1000,
        "http": [
            { "url_prefix": "https://bad.example/", "status": 500, "body": {} },
            { "url_prefix": "https://net.example/", "error": "connect ECONNREFUSED", "code": "ECONNREFUSED" },
            { "url_prefix": "https://slow.example/", "timeout": true }
        ]
    });
    let runtime = Runtime::new("node".as_ref()).expect("node");
    let code = runtime.write_code(Side::Action, action).unwrap();
    let output = runtime.run(Side::Action, &code, &scenario, 1000);
    let rules2actions::verify::runner::RunOutput::Effects(effects) = output else {
        panic!("{output:?}");
    };
    assert_eq!(
        Value::Object(effects.id_token_claims.clone()),
        serde_json::json!({
            "axios_500": "AxiosError ERR_BAD_RESPONSE Request failed with status code 500",
            "axios_network": "AxiosError ECONNREFUSED connect ECONNREFUSED",
            "axios_timeout": "AxiosError ECONNABORTED timeout of 500ms exceeded",
            "got_500": "HTTPError ERR_NON_2XX_3XX_RESPONSE Response code 500",
            "got_timeout": "TimeoutError ETIMEDOUT Timeout awaiting 'request' for 500ms",
            "fetch_network": "FetchError ECONNREFUSED connect ECONNREFUSED",
            "fetch_timeout": "FetchError ETIMEDOUT network timeout at: https://slow.example/x",
            "fetch_500": 500,
            "request_timeout": "ETIMEDOUT ETIMEDOUT"
        })
    );
    assert!(!effects.finished, "{effects:?}");
    let last = effects.http_requests.last().unwrap();
    assert_eq!(
        (last.url.as_str(), last.unanswered),
        ("https://slow.example/never", true)
    );
    assert_eq!(effects.http_requests.iter().filter(|h| h.unanswered).count(), 1);
}

/// The search for more scenarios: a second value of a field the defaults already vary, and two
/// variants at once, are tried while a branch of the rule is unreached, and compared when they
/// reach one. Each mistake of `wrong.action.js` is on such a branch.
#[test]
fn the_search_reaches_the_branches_the_defaults_do_not() {
    if skip_without_node("the_search_reaches_the_branches_the_defaults_do_not") {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/verify/explore");
    let rule = dir.join("two-clients-and-beta.js").display().to_string();
    let wrong = dir.join("wrong.action.js").display().to_string();
    let names = |report: &Value, verdict: &str| -> Vec<String> {
        let scenarios = report["scenarios"].as_array().unwrap_or_else(|| panic!("{report}"));
        let matching = scenarios.iter().filter(|s| s["verdict"] == verdict);
        matching
            .map(|s| s["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let (code, report) = file_report(&[&rule]);
    assert_eq!((code, report["verdict"].as_str()), (0, Some("identical")), "{report}");
    assert_eq!(report["fully_verified"], true, "{report}");
    let found = ["client_id=support-app", "connection=corp-ad + user with metadata"];
    assert_eq!(names(&report, "identical")[5..], found, "{report}");
    let scenarios = report["scenarios"].as_array().unwrap();
    let flagged: Vec<&Value> = scenarios.iter().filter(|s| s["found_by_search"] == true).collect();
    assert_eq!(
        flagged.iter().map(|s| &s["name"]).collect::<Vec<_>>(),
        found,
        "{report}"
    );
    let searched = report["searched"].as_u64().unwrap_or_default();
    assert!(searched >= 2, "{report}");
    let (_, stdout, _) = cli(&["verify", &rule]);
    let line = format!("  the search for more scenarios ran {searched} on the rule and kept 2\n");
    assert!(stdout.contains(&line), "{stdout}");

    let (code, report) = file_report(&[&rule, "--action", &wrong]);
    assert_eq!((code, report["verdict"].as_str()), (1, Some("different")), "{report}");
    assert_eq!(names(&report, "different"), found, "{report}");

    // The user's scenarios alone: no search.
    let plain = coverage_fixture("plain.scenarios.json");
    let (_, report) = file_report(&[&rule, "--action", &wrong, "--no-defaults", "--scenarios", &plain]);
    assert_eq!(report["verdict"], "identical", "{report}");
    assert_eq!(report["scenarios"].as_array().map(Vec::len), Some(1), "{report}");
}
