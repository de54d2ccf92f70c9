//! Invariants over every rule of the shared corpus: no panic, every output parses (with swc, and
//! with `node --check` when node is installed), findings come out in a stable order, and no Rules
//! construct is left in an Action without a TODO.

mod common;

use common::{corpus_dir, js_files, node_available, read_to_string};
use rules2actions::{convert, Limits, Severity, Status};
use std::collections::BTreeMap;

#[test]
fn every_corpus_rule_converts_to_code_that_parses() {
    let files = js_files(&corpus_dir());
    assert!(files.len() >= 120, "corpus not found at {}", corpus_dir().display());
    let node = node_available();
    let scratch = std::env::temp_dir().join(format!("r2a-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut problems = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let text = read_to_string(file);
        let conversion = convert(&text, &Limits::default());
        let again = convert(&text, &Limits::default());
        if again.diagnostics != conversion.diagnostics || again.action != conversion.action {
            problems.push(format!("{}: two conversions differ", file.display()));
        }
        if conversion.status == Status::InternalError {
            problems.push(format!(
                "{}: internal error {:?}",
                file.display(),
                conversion.diagnostics
            ));
        }
        let Some(action) = conversion.action.filter(|_| conversion.status == Status::Converted) else {
            continue;
        };
        for line in common::unmarked_leftovers_of(&action, &text) {
            problems.push(format!("{}:{line}: Rules construct without a TODO", file.display()));
        }
        let has_placeholders = text.contains("@@") || text.contains("##");
        if node && !has_placeholders {
            let path = scratch.join(format!("{index}.js"));
            std::fs::write(&path, &action).unwrap();
            if let Err(error) = common::node_check_file(&path) {
                problems.push(format!("{}: node --check fails: {error}", file.display()));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Prints the figures the README reports: rules converting with no warning, and the count per code.
#[test]
fn corpus_figures() {
    let files = js_files(&corpus_dir());
    let mut clean = 0;
    let mut per_code: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let conversion = convert(&read_to_string(file), &Limits::default());
        if conversion.status == Status::Converted && conversion.worst_severity() < Some(Severity::Warning) {
            clean += 1;
        }
        for diagnostic in &conversion.diagnostics {
            *per_code.entry(diagnostic.code.to_string()).or_default() += 1;
        }
    }
    println!(
        "{clean} of {} corpus rules convert with no warning or error",
        files.len()
    );
    for (code, count) in &per_code {
        println!("{code} {count}");
    }
}

/// The share of the official templates (`auth0-rules`) that convert with nothing left for a
/// human. Raise the floor as the converter improves; never lower it for a false alarm. (Lowered
/// once, from 70, for real findings the converter had missed, in this session's work on issue 13:
/// the identity provider's tokens in `linkedin-original-picture` and `google-refresh-token`,
/// `delete user[key]` in `remove-attributes`, paths that never call back in `appery` and
/// `cumulio-add-metadata-to-tokens`, and metadata written after the rule has called back in the
/// HubSpot and Salesforce templates, which an Action loses.)
const CLEAN_FLOOR_PERCENT: usize = 65;

#[test]
fn most_official_templates_convert_with_nothing_left_to_do() {
    let files = js_files(&corpus_dir().join("auth0-rules"));
    assert!(files.len() >= 120, "expected the 120 official templates");
    let clean = files
        .iter()
        .filter(|file| {
            let conversion = convert(&read_to_string(file), &Limits::default());
            conversion.status == Status::Converted && conversion.worst_severity() < Some(Severity::Warning)
        })
        .count();
    let percent = clean * 100 / files.len();
    println!(
        "{clean} of {} official templates ({percent}%) convert with no warning or error",
        files.len()
    );
    assert!(
        percent >= CLEAN_FLOOR_PERCENT,
        "{percent}% is below the floor of {CLEAN_FLOOR_PERCENT}%"
    );
}

#[test]
fn the_leftover_check_sees_unmarked_constructs() {
    let unmarked = "exports.onExecutePostLogin = async (event, api) => {\n  context.x = 1;\n};\n";
    assert_eq!(common::unmarked_leftovers(unmarked), vec![2]);
    let marked = "exports.onExecutePostLogin = async (event, api) => {\n  // TODO(R2A203): x\n  context.x = 1;\n};\n";
    assert!(common::unmarked_leftovers(marked).is_empty());
    let shadowed = "exports.onExecutePostLogin = async (event, api) => {\n  [1].map(function (context) { return context; });\n};\n";
    assert!(common::unmarked_leftovers(shadowed).is_empty());
    // The rule's parameters lived only inside the rule function; the Rules globals everywhere.
    let module_level = "function helper() { return callback || configuration.KEY; }\nexports.onExecutePostLogin = async (event, api) => {};\n";
    assert_eq!(common::unmarked_leftovers(module_level), vec![1]);
    let outside = "function helper() { return callback; }\nexports.onExecutePostLogin = async (event, api) => {};\n";
    assert!(common::unmarked_leftovers(outside).is_empty());
    let declared = "const user = {};\nexports.onExecutePostLogin = async (event, api) => { user.x = 1; };\n";
    assert!(common::unmarked_leftovers(declared).is_empty());
}

/// The share of the real-world rules (`real-world/`, production rules from public repositories)
/// that convert with nothing left for a human, measured when the test was written. Raise it as
/// the converter improves; never lower it for a false alarm. (44% when it was written; 41% once
/// the converter found, in the same session, what it had missed: the identity provider's tokens
/// the GitHub rules read, which Actions do not have.)
const REAL_WORLD_CLEAN_FLOOR_PERCENT: usize = 41;

fn real_world_dir() -> std::path::PathBuf {
    corpus_dir().join("real-world")
}

/// The repository folder a real-world rule comes from.
fn repository_of(file: &std::path::Path) -> String {
    let relative = file.strip_prefix(real_world_dir()).unwrap_or(file);
    relative
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The share of real-world rules with nothing left for a human, per repository and overall. Their
/// invariants (no internal error, every Action parses and passes `node --check`, no unmarked Rules
/// construct) are checked with the rest of the corpus by `every_corpus_rule_converts_to_code_that_parses`.
#[test]
fn real_world_rules_mostly_convert_clean() {
    let files = js_files(&real_world_dir());
    assert!(
        files.len() >= 74,
        "real-world corpus not found at {}",
        real_world_dir().display()
    );
    // Per repository: (rules, rules with no warning).
    let mut shares: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for file in &files {
        let conversion = convert(&read_to_string(file), &Limits::default());
        let share = shares.entry(repository_of(file)).or_default();
        share.0 += 1;
        if conversion.status == Status::Converted && conversion.worst_severity() < Some(Severity::Warning) {
            share.1 += 1;
        }
    }
    let (total, clean) = shares
        .values()
        .fold((0, 0), |(total, clean), (t, c)| (total + t, clean + c));
    for (repository, (rules, clean)) in &shares {
        println!(
            "{repository}: {clean} of {rules} with no warning ({}%)",
            clean * 100 / rules
        );
    }
    let percent = clean * 100 / total;
    println!("real-world: {clean} of {total} rules ({percent}%) convert with no warning or error");
    assert!(
        percent >= REAL_WORLD_CLEAN_FLOOR_PERCENT,
        "{percent}% is below the floor of {REAL_WORLD_CLEAN_FLOOR_PERCENT}%"
    );
}

/// Real-world rules whose Action crashes or hangs under `verify` where the rule does not, with why.
/// Each is a conversion bug or limit to fix; the test fails on any file not listed here, and on a
/// listed file that no longer crashes (take it off the list).
const KNOWN_ACTION_CRASHES: &[(&str, &str)] = &[
    (
        "algorox-auth0-julianwilliam-tenant-files/rules/10-Yoti-Redirect-For-SPA.js",
        "R2A203: the rule's typo context.protocal (undefined under Rules) is left as is; `context` is undefined",
    ),
    (
        "algorox-auth0-julianwilliam-tenant-files/rules/11-redirect-progressive-profiling.js",
        "R2A203: the rule's typo context.protocal (undefined under Rules) is left as is; `context` is undefined",
    ),
    (
        "algorox-auth0-julianwilliam-tenant-files/rules/4-Add-custom-app-metadata-to-ID-Token.js",
        "R2A211: `if (context.idToken && …)` reads the ID token back, left as is; `context` is undefined",
    ),
    (
        "dancinnamon-okta-auth0-smartfhir-demo/_removed/deploy/auth0/rules/Add fhirUser Claim.js",
        "R2A202: console.log(context) uses context as a whole, left as is; `context` is undefined",
    ),
    (
        "zmarkan-chatkit-sample-auth0-rules/chatkit_add_user_to_room.js",
        "`callback(error, …)` without return: the rule's run ends there, the Action's code goes on to response.statusCode and throws",
    ),
    (
        "zmarkan-chatkit-sample-auth0-rules/chatkit_create_user.js",
        "`callback(error, …)` without return: the rule's run ends there, the Action's code goes on to response.statusCode and throws",
    ),
];

/// Whether the Action side of a scenario crashed (an uncaught error), did not finish, or could not
/// run, where the rule side did none of these.
fn action_crashed_alone(comparison: &rules2actions::verify::compare::Comparison) -> Option<String> {
    use rules2actions::verify::compare::Verdict;
    if comparison.verdict == Verdict::Error {
        let rule_ran = !comparison.reasons.iter().any(|r| r.starts_with("the rule "));
        return rule_ran.then(|| comparison.reasons.join("; "));
    }
    let flipped = |field: &str, rule: bool| {
        comparison.differences.iter().any(|d| {
            d.field == field
                && d.rule == Some(serde_json::Value::Bool(rule))
                && d.action == Some(serde_json::Value::Bool(!rule))
        })
    };
    let error = || {
        comparison
            .notes
            .iter()
            .find(|n| n.field == "error")
            .and_then(|n| n.action.as_ref())
            .map_or_else(String::new, |e| e.to_string())
    };
    if flipped("crashed", true) {
        // The rule crashed and the Action did not: whatever the Action did, it did not crash alone.
        return None;
    }
    if flipped("crashed", false) {
        return Some(format!("the Action crashed: {}", error()));
    }
    if flipped("finished", true) {
        return Some(format!("the Action did not finish: {}", error()));
    }
    None
}

/// The number of warning-free template conversions that must verify identical. Set from the first
/// measurement; raise it when the conversion improves, never lower it for a worse conversion.
/// (Lowered once from 64, when rules left the warning-free pool for real findings:
/// `remove-attributes` verified identical only because verify does not compare the profile, and
/// its `delete user[key]` is now an error; appery.js has a path that never calls back, and the
/// HubSpot template writes metadata after the rule has called back.)
const TEMPLATES_IDENTICAL_FLOOR: usize = 61;

/// The share of their rules' branches, in percent, that the scenarios must reach over the
/// templates and over the real-world rules that convert. Set from measurement (61% and 61%; 57%
/// and 48% before the search for more scenarios); raise as the scenarios improve.
const TEMPLATES_BRANCH_FLOOR_PERCENT: usize = 60;
const REAL_WORLD_BRANCH_FLOOR_PERCENT: usize = 59;

/// The time limit of one run: generous, since a run that only finishes late on a loaded machine
/// is no crash.
const CORPUS_TIMEOUT_MS: u64 = 3000;

/// What `verify` says of one set of the corpus.
#[derive(Default)]
struct VerifyTally {
    rules: usize,
    /// Rules that convert, and so are verified.
    verified: usize,
    identical: usize,
    inconclusive: usize,
    different: usize,
    could_not_run: usize,
    /// Identical, converted with no warning.
    identical_warning_free: usize,
    warning_free: usize,
    reached: usize,
    branches: usize,
    /// Rules whose scenarios reached every branch.
    every_branch: usize,
    scenarios: usize,
    /// Further scenarios tried on the rule side by the search.
    tried: usize,
}

impl VerifyTally {
    fn branch_percent(&self) -> usize {
        self.reached * 100 / self.branches.max(1)
    }

    fn line(&self, set: &str) -> String {
        format!(
            "{set}: {} rules, {} verified: {} identical ({} of {} warning-free), {} inconclusive, {} different, {} could not run; \
             branches reached {} of {} ({}%), every branch in {} rules; {} scenarios run, {} more tried on the rule",
            self.rules,
            self.verified,
            self.identical,
            self.identical_warning_free,
            self.warning_free,
            self.inconclusive,
            self.different,
            self.could_not_run,
            self.reached,
            self.branches,
            self.branch_percent(),
            self.every_branch,
            self.scenarios,
            self.tried,
        )
    }
}

/// `verify` over the templates and the real-world rules, on their derived scenarios and the
/// search for more: identical / inconclusive / different per set with the share of branches
/// reached (the lists are printed: `cargo test --test corpus verify -- --nocapture`), with floors;
/// and no real-world Action may crash where its rule does not, except the known ones.
#[test]
fn corpus_verify_report() {
    use rules2actions::verify::compare::Verdict;
    use rules2actions::verify::explore::{explore, plan, Exploration};
    use rules2actions::verify::runner::{Runtime, Side};
    use rules2actions::verify::{default_threads, Pair};
    if !node_available() {
        eprintln!("note: skipped: Node.js is not on PATH");
        return;
    }
    let started = std::time::Instant::now();
    let runtime = Runtime::new("node".as_ref()).expect("node");
    let sets = [
        ("templates", corpus_dir().join("auth0-rules")),
        ("real-world", real_world_dir()),
    ];
    let mut tallies: Vec<VerifyTally> = sets.iter().map(|_| VerifyTally::default()).collect();
    // (set, name, warning-free) of each rule verified, in the order of `explorations`.
    let mut names = Vec::new();
    let mut explorations = Vec::new();
    for (set, (_, dir)) in sets.iter().enumerate() {
        let files = js_files(dir);
        assert!(!files.is_empty(), "corpus not found at {}", dir.display());
        tallies[set].rules = files.len();
        for file in files {
            let text = read_to_string(&file);
            let plan = plan(&text, &Limits::default(), CORPUS_TIMEOUT_MS);
            let conversion = &plan.conversion;
            let Some(action) = conversion
                .action
                .as_deref()
                .filter(|_| conversion.status == Status::Converted)
            else {
                continue;
            };
            let warning_free = conversion.worst_severity() < Some(Severity::Warning);
            explorations.push(Exploration {
                pair: Pair {
                    rule: runtime.write_code(Side::Rule, &text).unwrap(),
                    action: runtime.write_code(Side::Action, action).unwrap(),
                    scenarios: plan.derived.defaults,
                },
                further: Some(plan.derived.further),
                branches: plan.branches,
            });
            let relative = file.strip_prefix(dir).unwrap_or(&file).display().to_string();
            names.push((set, relative, warning_free));
        }
    }
    // Twice the cores: a run waiting for an HTTP answer that never comes uses none.
    let results = explore(&runtime, explorations, default_threads() * 2);
    let mut lines: Vec<Vec<String>> = sets.iter().map(|_| Vec::new()).collect();
    let mut crashes: BTreeMap<&str, String> = BTreeMap::new();
    for ((set, name, warning_free), explored) in names.iter().zip(&results) {
        let tally = &mut tallies[*set];
        let verdict = explored
            .scenarios
            .iter()
            .map(|s| s.comparison.verdict)
            .max()
            .unwrap_or(Verdict::Identical);
        tally.verified += 1;
        tally.warning_free += usize::from(*warning_free);
        match verdict {
            Verdict::Identical => {
                tally.identical += 1;
                tally.identical_warning_free += usize::from(*warning_free);
            }
            Verdict::Inconclusive => tally.inconclusive += 1,
            Verdict::Different => tally.different += 1,
            Verdict::Error => tally.could_not_run += 1,
        }
        tally.scenarios += explored.scenarios.len();
        tally.tried += explored.tried;
        let coverage = explored.branches.as_ref();
        if let Some(coverage) = coverage {
            tally.reached += coverage.reached;
            tally.branches += coverage.total;
            tally.every_branch += usize::from(coverage.complete());
        }
        let share = coverage.map_or("not measured".to_string(), |c| {
            format!("{} of {} branches", c.reached, c.total)
        });
        lines[*set].push(format!("  {:<12} {share:<20} {name}", verdict.as_str()));
        if *set == 1 {
            let crash = explored
                .scenarios
                .iter()
                .find_map(|s| action_crashed_alone(&s.comparison).map(|why| format!("{}: {why}", s.name)));
            if let Some(crash) = crash {
                crashes.insert(name, crash);
            }
        }
    }
    for ((set, _), (tally, lines)) in sets.iter().zip(tallies.iter().zip(&lines)) {
        println!("{}\n{}", tally.line(set), lines.join("\n"));
    }
    let summary: Vec<String> = sets.iter().zip(&tallies).map(|((set, _), t)| t.line(set)).collect();
    eprintln!(
        "verify corpus ({:.1} s):\n{}",
        started.elapsed().as_secs_f64(),
        summary.join("\n")
    );
    let (templates, real_world) = (&tallies[0], &tallies[1]);
    assert!(
        templates.identical_warning_free >= TEMPLATES_IDENTICAL_FLOOR,
        "only {} warning-free templates verify identical; the floor is {TEMPLATES_IDENTICAL_FLOOR}\n{}",
        templates.identical_warning_free,
        lines[0].join("\n")
    );
    for (tally, floor, set) in [
        (templates, TEMPLATES_BRANCH_FLOOR_PERCENT, "templates"),
        (real_world, REAL_WORLD_BRANCH_FLOOR_PERCENT, "real-world"),
    ] {
        assert!(
            tally.branch_percent() >= floor,
            "{set}: the scenarios reach {}% of the branches; the floor is {floor}%",
            tally.branch_percent()
        );
    }
    let known: BTreeMap<&str, &str> = KNOWN_ACTION_CRASHES.iter().copied().collect();
    let new: Vec<String> = crashes
        .iter()
        .filter(|(name, _)| !known.contains_key(*name))
        .map(|(name, why)| format!("  {name}: {why}"))
        .collect();
    let fixed: Vec<&str> = known
        .keys()
        .copied()
        .filter(|name| !crashes.contains_key(name))
        .collect();
    assert!(
        new.is_empty(),
        "Actions that crash where their rule does not:\n{}",
        new.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "no longer crash, take them off KNOWN_ACTION_CRASHES: {fixed:?}"
    );
}
