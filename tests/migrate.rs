//! `rules2actions migrate` over fixture exports (`fixtures/exports/<case>/input`) and the deploy-cli
//! examples of the shared corpus. Each fixture's output tree must equal its expected tree
//! (`UPDATE_FIXTURES=1 cargo test --test migrate` rewrites them; read every change), every Action
//! must pass `node --check` (placeholders substituted, as deploy-cli does on import), Terraform
//! output must parse as HCL, the input must be byte-identical after a run, a second run without
//! --force must refuse and change nothing, and a second run with --force must change nothing.

mod common;

use common::Run;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `rules2actions migrate ARGS`, in-process.
fn run(args: &[&str]) -> Run {
    let mut argv = vec!["migrate"];
    argv.extend_from_slice(args);
    common::run_cli(&argv)
}

/// A fresh folder under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("r2a-migrate-{}-{n}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `root` by its `/`-separated relative path, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                let key = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.insert(key, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/exports")
        .join(path)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Deploy-cli keyword replacement, with stand-in values, so the code can be checked by Node.
fn substitute_placeholders(code: &str) -> String {
    let masked = rules2actions::placeholders::mask(code);
    let mut out = String::new();
    let mut copied = 0;
    for placeholder in &masked.placeholders {
        let original = placeholder.original();
        out.push_str(&code[copied..placeholder.offset]);
        out.push_str(if original.starts_with("@@") {
            "\"value\""
        } else {
            "value"
        });
        copied = placeholder.offset + original.len();
    }
    out.push_str(&code[copied..]);
    out
}

/// Every `.js` of the output passes `node --check` (when Node.js is installed).
fn node_check_actions(out: &Path) {
    if !common::node_available() {
        eprintln!("node is not installed: skipping node --check");
        return;
    }
    let scratch = TempDir::new("node");
    for (index, (name, bytes)) in tree(out).iter().filter(|(n, _)| n.ends_with(".js")).enumerate() {
        let code = substitute_placeholders(std::str::from_utf8(bytes).unwrap());
        let file = scratch.path().join(format!("{index}.js"));
        std::fs::write(&file, code).unwrap();
        if let Err(error) = common::node_check_file(&file) {
            panic!("{name} does not pass node --check:\n{error}");
        }
    }
}

/// Every `.tf` of the output parses as HCL.
fn hcl_check(out: &Path) -> usize {
    let mut resources = 0;
    for (name, bytes) in tree(out).iter().filter(|(n, _)| n.ends_with(".tf")) {
        let body: hcl::Body = hcl::parse(std::str::from_utf8(bytes).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        resources += body.blocks().filter(|b| b.identifier() == "resource").count();
    }
    resources
}

fn compare_or_update(out: &Path, expected: &Path) {
    let actual = tree(out);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let _ = std::fs::remove_dir_all(expected);
        for (name, bytes) in &actual {
            let path = expected.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        return;
    }
    let wanted = tree(expected);
    let (a, w): (Vec<_>, Vec<_>) = (actual.keys().collect(), wanted.keys().collect());
    assert_eq!(
        a,
        w,
        "the files of {} differ from {}",
        out.display(),
        expected.display()
    );
    for (name, bytes) in &wanted {
        assert!(
            &actual[name] == bytes,
            "{name} differs from {}:\n--- expected\n{}\n--- actual\n{}",
            expected.display(),
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&actual[name])
        );
    }
}

/// Runs one fixture: expected tree, node --check, input unchanged, refusal, --force idempotence.
fn check_fixture(case: &str, expected: &str, extra: &[&str]) -> (TempDir, PathBuf) {
    let input = fixture(&format!("{case}/input"));
    let before = tree(&input);
    let temp = TempDir::new(case);
    let out = temp.path().join("out");
    let mut args = vec![s(&input), "--out", s(&out)];
    args.extend_from_slice(extra);

    let first = run(&args);
    assert_eq!(first.code, 1, "{case}: exit code; stderr:\n{}", first.stderr);
    compare_or_update(&out, &fixture(&format!("{case}/{expected}")));
    node_check_actions(&out);
    assert_eq!(tree(&input), before, "{case}: the input changed");

    // A second run without --force refuses and changes nothing.
    let written = tree(&out);
    let refused = run(&args);
    assert_eq!(refused.code, 2, "{case}: {}", refused.stderr);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(tree(&out), written);

    // With --force: the same bytes.
    args.push("--force");
    let again = run(&args);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(
        tree(&out),
        written,
        "{case}: a second run with --force changed the output"
    );
    assert_eq!(tree(&input), before);
    assert!(
        !tree(temp.path()).keys().any(|k| k.contains(".tmp")),
        "temporary files were left behind"
    );
    (temp, out)
}

#[test]
fn directory_export_with_guards() {
    let (_temp, out) = check_fixture("directory", "expected", &["--was-executed-guard"]);
    let code = std::fs::read_to_string(out.join("actions/Add roles/code.js")).unwrap();
    assert!(code.contains("exports.onExecutePostLogin = async (event, api) => {\n  if (api.rules.wasExecuted('rul_AddRoles0001')) return;\n"));
    let triggers: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("triggers/triggers.json")).unwrap()).unwrap();
    let names: Vec<&str> = triggers["post-login"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["action_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Add roles", "Use roles", "someRule / test", "existing-action"]);
    assert!(out.join("actions/someRule - test.json").exists());
    assert!(!out.join("actions/Broken.json").exists());
    let report = std::fs::read_to_string(out.join("MIGRATION.md")).unwrap();
    assert!(
        report.contains("- `global.apiClient`: set by `Add roles`; read by `Use roles`"),
        "{report}"
    );
    assert!(report.contains("| failed | 1 |"));
}

#[test]
fn directory_export_as_terraform() {
    let (_temp, out) = check_fixture("directory", "expected-terraform", &["--format", "terraform"]);
    // Five Actions (the broken rule has none) and the trigger bindings.
    assert_eq!(hcl_check(&out), 6);
    let main = std::fs::read_to_string(out.join("main.tf")).unwrap();
    let body: hcl::Body = hcl::parse(&main).unwrap();
    let trigger = body
        .blocks()
        .find(|b| {
            b.labels()
                .first()
                .is_some_and(|l| l.as_str() == "auth0_trigger_actions")
        })
        .expect("auth0_trigger_actions");
    assert_eq!(
        trigger.body().blocks().filter(|b| b.identifier() == "actions").count(),
        3
    );
}

#[test]
fn yaml_export() {
    let (_temp, out) = check_fixture("yaml", "expected", &[]);
    // Secret values are bare `@@R2A_SECRET_<NAME>@@` keywords: read as deploy-cli's files are.
    let tenant =
        rules2actions::deploy_cli::parse_yaml(&std::fs::read_to_string(out.join("tenant.yaml")).unwrap()).unwrap();
    let bound: Vec<&str> = tenant["triggers"]["post-login"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["action_name"].as_str().unwrap())
        .collect();
    assert_eq!(bound, ["Check: country", "Enrich token"]);
    assert!(out.join("actions/Check- country/code.js").exists());
    let report = std::fs::read_to_string(out.join("MIGRATION.md")).unwrap();
    assert!(
        report.contains("`context.country`: set by `Check: country`; read by `Enrich token`"),
        "{report}"
    );
}

#[test]
fn yaml_export_as_terraform_parses() {
    let temp = TempDir::new("yaml-tf");
    let out = temp.path().join("tf");
    let result = run(&[s(&fixture("yaml/input")), "--out", s(&out), "--format", "terraform"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert_eq!(hcl_check(&out), 5);
    node_check_actions(&out);
}

#[test]
fn dry_run_writes_nothing_and_json_report() {
    let temp = TempDir::new("dry");
    let out = temp.path().join("out");
    let report = temp.path().join("report.json");
    let result = run(&[
        s(&fixture("directory/input")),
        "--out",
        s(&out),
        "--dry-run",
        "--report-json",
        s(&report),
    ]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(!out.exists());
    assert!(result.stdout.starts_with("# Migration report"), "{}", result.stdout);
    assert!(result.stderr.contains("dry run"), "{}", result.stderr);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["version"], rules2actions::json::VERSION);
    assert_eq!(json["command"], "migrate");
    assert_eq!(json["totals"]["rules"], 6);
    assert_eq!(json["totals"]["failed"], 1);
    assert_eq!(
        json["bindings"],
        serde_json::json!(["Add roles", "Use roles", "someRule / test"])
    );
    let broken = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Broken")
        .unwrap();
    assert_eq!(broken["status"], "failed");
    assert_eq!(broken["diagnostics"][0]["code"], "R2A001");
}

#[test]
fn output_overlapping_the_input_is_refused() {
    let input = fixture("directory/input");
    let before = tree(&input);
    let inside = input.join("actions-out");
    let result = run(&[s(&input), "--out", s(&inside), "--force"]);
    assert_eq!(result.code, 2);
    assert!(result.stderr.contains("overlap"), "{}", result.stderr);
    assert!(!inside.exists());
    assert_eq!(tree(&input), before);
}

#[test]
fn an_unreadable_export_is_a_tool_failure() {
    let temp = TempDir::new("missing");
    let result = run(&[s(&temp.path().join("nope")), "--out", s(&temp.path().join("out"))]);
    assert_eq!(result.code, 2);
    let empty = run(&[s(temp.path()), "--out", s(&temp.path().join("out"))]);
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("not a deploy-cli export"), "{}", empty.stderr);
}

#[test]
fn an_empty_output_folder_is_accepted() {
    let temp = TempDir::new("empty-out");
    let out = temp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let result = run(&[s(&fixture("yaml/input")), "--out", s(&out)]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(out.join("tenant.yaml").is_file());
}

/// The deploy-cli examples of the shared corpus, read in place.
#[test]
fn corpus_exports_migrate() {
    let corpus = common::corpus_dir();
    let cases = [
        ("auth0-auth0-deploy-cli/examples/directory", 1usize),
        ("auth0-auth0-deploy-cli/examples/yaml", 0),
        ("auth0-samples-github-source-control-integration", 3),
        ("infaspublications-auth0-deploy", 2),
    ];
    for (case, rules) in cases {
        let input = corpus.join(case);
        if !input.exists() {
            eprintln!("{} is missing: skipped", input.display());
            continue;
        }
        let before = tree(&input);
        for format in ["deploy-cli", "terraform"] {
            let temp = TempDir::new("corpus");
            let out = temp.path().join("out");
            let report = temp.path().join("report.json");
            let result = run(&[
                s(&input),
                "--out",
                s(&out),
                "--format",
                format,
                "--report-json",
                s(&report),
            ]);
            assert_ne!(result.code, 2, "{case}: {}", result.stderr);
            let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
            assert_eq!(json["totals"]["rules"], rules, "{case}");
            assert!(out.join("MIGRATION.md").is_file());
            node_check_actions(&out);
            if format == "terraform" {
                hcl_check(&out);
            }
            assert_eq!(tree(&input), before, "{case}: the corpus changed");
        }
    }
}

#[test]
fn corpus_yaml_example_keeps_existing_bindings() {
    let input = common::corpus_dir().join("auth0-auth0-deploy-cli/examples/yaml");
    if !input.exists() {
        return;
    }
    let temp = TempDir::new("corpus-yaml");
    let out = temp.path().join("out");
    let result = run(&[s(&input), "--out", s(&out)]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let tenant = std::fs::read_to_string(out.join("tenant.yaml")).unwrap();
    assert!(tenant.contains("action_name: action-example"), "{tenant}");
    // The export's Action is carried over; its code file is missing from the corpus, so the import
    // would stop on it, as it would for the export itself, and the report says so.
    let tenant = rules2actions::deploy_cli::parse_yaml(&tenant).unwrap();
    let actions = tenant["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["name"], "action-example");
    assert_eq!(actions[0]["code"], "./actions/action-example/code.js");
    assert_eq!(actions[0]["secrets"][0]["value"], "_VALUE_NOT_SHOWN_");
    assert!(!out.join("actions").exists());
    let report = std::fs::read_to_string(out.join("MIGRATION.md")).unwrap();
    assert!(
        report.contains("- `action-example`: carried over, but its code file ./actions/action-example/code.js does not exist: the import stops until its code is in `actions/action-example/code.js`"),
        "{report}"
    );
    assert!(
        report.contains(
            "  - its secrets `MY_SECRET` hold `_VALUE_NOT_SHOWN_`, what deploy-cli exports in place of a value"
        ),
        "{report}"
    );
}

/// The export's own Actions are carried into the output with their code, under file names no
/// rule takes, and stay bound after the migrated ones; `actions:` is never written empty.
#[test]
fn existing_actions_are_carried_over() {
    let temp = TempDir::new("existing");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/deploy-cli/existing");
    let code = std::fs::read_to_string(data.join("code.js")).unwrap();
    let export = temp.path().join("export");
    // A rule whose files would be the Action's on a case-insensitive file system takes others.
    write(&export.join("rules/existing action.js"), RULE);
    write(&export.join("rules/existing action.json"), r#"{"order": 1}"#);
    write(&export.join("actions/Existing Action/code.js"), &code);
    write(
        &export.join("actions/Existing Action.json"),
        &std::fs::read_to_string(data.join("action.json")).unwrap(),
    );
    write(
        &export.join("triggers/triggers.json"),
        &std::fs::read_to_string(data.join("triggers.json")).unwrap(),
    );
    // An Action whose code is outside the export: never read, and never named by the output.
    write(&temp.path().join("outside.js"), "// leaked\n");
    write(
        &export.join("actions/Outside.json"),
        r#"{"name": "Outside", "code": "../outside.js"}"#,
    );
    let out = temp.path().join("out");
    let result = run(&[s(&export), "--out", s(&out)]);
    // The renamed rule is to review.
    assert_eq!(result.code, 1, "{}", result.stderr);
    let files = tree(&out);
    let carried: serde_json::Value = serde_json::from_slice(&files["actions/Existing Action.json"]).unwrap();
    assert_eq!(carried["name"], "Existing Action");
    assert_eq!(carried["code"], "./actions/Existing Action/code.js");
    assert_eq!(carried["secrets"][0]["value"], "##EXISTING_KEY##");
    assert_eq!(files["actions/Existing Action/code.js"], code.as_bytes());
    assert!(
        files.contains_key("actions/existing action-2/code.js"),
        "{:?}",
        files.keys()
    );
    let triggers: serde_json::Value = serde_json::from_slice(&files["triggers/triggers.json"]).unwrap();
    let bound: Vec<&str> = triggers["post-login"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["action_name"].as_str().unwrap())
        .collect();
    assert_eq!(bound, ["existing action-2", "Existing Action"]);
    let report = String::from_utf8_lossy(&files["MIGRATION.md"]).into_owned();
    assert!(report.contains("- `##EXISTING_KEY##`: `Existing Action`"), "{report}");
    let outside: serde_json::Value = serde_json::from_slice(&files["actions/Outside.json"]).unwrap();
    assert_eq!(outside["code"], "./actions/Outside/code.js");
    assert!(!files.contains_key("actions/Outside/code.js"));
    assert!(!files
        .values()
        .any(|bytes| String::from_utf8_lossy(bytes).contains("leaked")));
    assert!(
        report.contains(
            "- `Outside`: carried over, but its code file ../outside.js is outside the export: it was not read"
        ),
        "{report}"
    );

    // A YAML export with neither a rule to convert nor an Action writes no `actions:`.
    let yaml = temp.path().join("yaml");
    write(&yaml.join("tenant.yaml"), "rules: []\ntriggers:\n  post-login: []\n");
    let out = temp.path().join("yaml-out");
    let result = run(&[s(&yaml), "--out", s(&out)]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let tenant = std::fs::read_to_string(out.join("tenant.yaml")).unwrap();
    assert!(!tenant.contains("actions:"), "{tenant}");
}

const RULE: &str = "function (user, context, callback) {\n  context.idToken['https://example.com/v'] = true;\n  callback(null, user, context);\n}\n";

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

#[test]
fn scripts_outside_the_export_are_never_read() {
    let temp = TempDir::new("outside");
    let export = temp.path().join("export");
    // A rule whose text would show in the output if it were read.
    let secret = temp.path().join("secret.js");
    write(&secret, &RULE.replace("/v'", "/leaked'"));
    write(&export.join("rules/inside.js"), RULE);
    write(&export.join("rules/inside.json"), r#"{"script": "./inside.js"}"#);
    write(&export.join("rules/climbs.json"), r#"{"script": "../../secret.js"}"#);
    let absolute = serde_json::json!({ "script": s(&secret) }).to_string();
    write(&export.join("rules/absolute.json"), &absolute);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, export.join("rules/linked.js")).unwrap();
        write(&export.join("rules/linked.json"), "{}");
    }
    let out = temp.path().join("out");
    let report = temp.path().join("report.json");
    let result = run(&[s(&export), "--out", s(&out), "--report-json", s(&report)]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let rules = json["rules"].as_array().unwrap();
    let rule = |name: &str| rules.iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(rule("inside")["status"], "converted");
    let refused = if cfg!(unix) {
        vec!["climbs", "absolute", "linked"]
    } else {
        vec!["climbs", "absolute"]
    };
    for name in refused {
        let rule = rule(name);
        assert_eq!(rule["status"], "failed", "{name}: {rule}");
        assert!(rule["binding"].is_null(), "{name}");
        let notes = rule["notes"].to_string();
        assert!(
            notes.contains("outside the export") || notes.contains("no script"),
            "{name}: {notes}"
        );
    }
    for (name, bytes) in tree(&out) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("leaked"),
            "{name} holds the text of a file outside the export"
        );
    }
}

/// What a command makes of one rule script: the facts both readers must agree on.
#[derive(Debug, PartialEq)]
enum Runs {
    AtLogin,
    Disabled,
    OtherStage(String),
}

/// `migrate`'s reading of every script of the export at `root`, by canonical path.
fn as_migrate_reads(root: &Path) -> BTreeMap<PathBuf, Runs> {
    let export = rules2actions::migrate::load(root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let mut scripts = BTreeMap::new();
    for rule in export.rules {
        if let rules2actions::migrate::Script::File(path) = rule.script {
            let runs = if !rule.enabled {
                Runs::Disabled
            } else if rule.stage != rules2actions::migrate::input::DEFAULT_STAGE {
                Runs::OtherStage(rule.stage)
            } else {
                Runs::AtLogin
            };
            scripts.insert(path.canonicalize().unwrap(), runs);
        }
    }
    scripts
}

/// `check`'s reading of the same scripts.
fn as_check_reads(root: &Path) -> BTreeMap<PathBuf, Runs> {
    use rules2actions::lint::discover::{discover, RuleMeta};
    discover(&[root.to_path_buf()])
        .candidates
        .into_iter()
        .map(|candidate| {
            let runs = match candidate.meta {
                Some(RuleMeta::Disabled) => Runs::Disabled,
                Some(RuleMeta::OtherStage(other)) => Runs::OtherStage(other.stage),
                Some(RuleMeta::Login) | None => Runs::AtLogin,
            };
            (candidate.path.canonicalize().unwrap(), runs)
        })
        .collect()
}

/// Every folder of the corpus that holds a deploy-cli export: a tenant YAML file, or `rules/*.json`.
fn corpus_exports() -> Vec<PathBuf> {
    let mut roots = std::collections::BTreeSet::new();
    let mut pending = vec![common::corpus_dir()];
    while let Some(dir) = pending.pop() {
        for path in std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
        {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                pending.push(path);
            } else if name == "tenant.yaml" || name == "tenant.yml" {
                roots.insert(dir.clone());
            } else if name.ends_with(".json") && dir.file_name().is_some_and(|d| d == "rules") {
                roots.insert(dir.parent().unwrap().to_path_buf());
            }
        }
    }
    roots.into_iter().collect()
}

/// Exports whose metadata holds placeholders in every field, quoted and not.
fn placeholder_exports(temp: &TempDir) -> Vec<PathBuf> {
    let directory = temp.path().join("directory");
    let fields = [
        ("a", r#"{"enabled": @@A_ENABLED@@, "stage": "login_failure"}"#),
        (
            "b",
            r#"{"name": @@NAME@@, "enabled": "@@B_ENABLED@@", "order": @@ORDER@@}"#,
        ),
        ("c", r#"{"enabled": false, "stage": @@STAGE@@, "id": @@ID@@}"#),
        (
            "d",
            r###"{"stage": "##STAGE##", "script": "./d.js", "order": "##ORDER##"}"###,
        ),
        ("e", r#"{"script": @@SCRIPT@@}"#),
        (
            "f",
            r#"{"enabled": @@F_ENABLED@@, "stage": @@F_STAGE@@, "script": "@@F_SCRIPT@@"}"#,
        ),
    ];
    for (name, json) in fields {
        write(&directory.join(format!("rules/{name}.js")), RULE);
        write(&directory.join(format!("rules/{name}.json")), json);
    }
    let yaml = temp.path().join("yaml");
    for name in ["a", "b", "c", "d"] {
        write(&yaml.join(format!("rules/{name}.js")), RULE);
    }
    write(
        &yaml.join("tenant.yaml"),
        "rules:\n  - name: a\n    script: ./rules/a.js\n    enabled: @@A_ENABLED@@\n    stage: login_failure\n\
         \x20 - name: '@@B@@'\n    script: ./rules/b.js\n    enabled: '@@B_ENABLED@@'\n    order: @@ORDER@@\n\
         \x20 - name: c\n    script: ./rules/c.js\n    enabled: false\n    stage: @@STAGE@@\n\
         \x20 - name: d\n    script: ./rules/d.js\n    stage: '##STAGE##'\n",
    );
    vec![directory, yaml]
}

#[test]
fn check_and_migrate_read_every_export_alike() {
    let temp = TempDir::new("agree");
    let mut exports = corpus_exports();
    assert!(exports.len() >= 8, "corpus exports: {exports:?}");
    exports.extend(placeholder_exports(&temp));
    let mut compared = 0;
    for root in exports {
        let check = as_check_reads(&root);
        for (script, migrate) in as_migrate_reads(&root) {
            let check = check.get(&script).unwrap_or(&Runs::AtLogin);
            assert_eq!(check, &migrate, "{}", script.display());
            compared += 1;
        }
    }
    assert!(compared >= 30, "only {compared} scripts compared");
}

#[test]
fn a_placeholder_stage_is_not_bound_and_check_reports_it() {
    let temp = TempDir::new("issue-12");
    let export = temp.path().join("export");
    write(&export.join("rules/a.js"), RULE);
    write(
        &export.join("rules/a.json"),
        r#"{"enabled": @@A_ENABLED@@, "stage": "login_failure"}"#,
    );
    let report = temp.path().join("report.json");
    let out = temp.path().join("out");
    let result = run(&[s(&export), "--out", s(&out), "--dry-run", "--report-json", s(&report)]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert!(json["rules"][0]["binding"].is_null(), "{json}");
    assert_eq!(json["rules"][0]["stage"], "login_failure");
    let check = common::run_cli(&["check", "--format", "concise", s(&export)]);
    let stdout = check.stdout;
    assert_eq!(check.code, 1, "{stdout}");
    assert!(stdout.contains("R2A012"), "{stdout}");
}

const PLAIN_RULE: &str =
    "function (user, context, callback) {\n  user.app_metadata.seen = true;\n  callback(null, user, context);\n}\n";

/// A directory export of one plain rule per (name, id), in `rules/r<N>.json` and `.js`.
fn export_of(temp: &TempDir, rules: &[(&str, Option<&str>)]) -> PathBuf {
    let root = temp.path().join("export");
    std::fs::create_dir_all(root.join("rules")).unwrap();
    for (index, (name, id)) in rules.iter().enumerate() {
        let mut json =
            serde_json::json!({ "name": name, "enabled": true, "order": index, "script": format!("./r{index}.js") });
        if let Some(id) = id {
            json["id"] = serde_json::json!(id);
        }
        std::fs::write(root.join(format!("rules/r{index}.json")), json.to_string()).unwrap();
        std::fs::write(root.join(format!("rules/r{index}.js")), PLAIN_RULE).unwrap();
    }
    root
}

/// Runs migrate on another thread, failing (not hanging) after a minute.
fn run_bounded(args: Vec<String>) -> Run {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = sender.send(run(&args));
    });
    receiver
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("migrate did not finish in a minute")
}

#[test]
fn names_that_sanitise_alike_get_their_own_files_and_the_run_ends() {
    let temp = TempDir::new("names");
    let long = "x".repeat(300);
    let longer = format!("{long}y");
    let names = [
        "con",
        "CON",
        "nul.txt",
        "a",
        "a.json",
        "A.JSON",
        long.as_str(),
        longer.as_str(),
    ];
    let rules: Vec<(&str, Option<&str>)> = names.iter().map(|n| (*n, None)).collect();
    let export = export_of(&temp, &rules);
    let out = temp.path().join("out");
    for format in ["deploy-cli", "terraform"] {
        let _ = std::fs::remove_dir_all(&out);
        let dry = run_bounded(vec![
            s(&export).into(),
            "--dry-run".into(),
            "--format".into(),
            format.into(),
        ]);
        assert_eq!(dry.code, 1, "{}", dry.stderr);
        let result = run_bounded(vec![
            s(&export).into(),
            "--out".into(),
            s(&out).into(),
            "--format".into(),
            format.into(),
        ]);
        assert_eq!(result.code, 1, "{}", result.stderr);
        let files = tree(&out);
        let code_files = files.keys().filter(|k| k.ends_with(".js")).count();
        assert_eq!(
            code_files,
            names.len(),
            "{format}: one Action file per rule: {:?}",
            files.keys()
        );
        for path in files.keys() {
            assert!(path.split('/').all(|part| part.len() <= 255), "{path}");
        }
    }
    // Every Action name is distinct.
    let json = run_bounded(vec![
        s(&export).into(),
        "--dry-run".into(),
        "--report-json".into(),
        s(&temp.path().join("r.json")).into(),
    ]);
    assert_eq!(json.code, 1);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(temp.path().join("r.json")).unwrap()).unwrap();
    let mut action_names: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action_name"].as_str().unwrap())
        .collect();
    action_names.sort();
    action_names.dedup();
    assert_eq!(action_names.len(), names.len());
}

#[test]
fn force_never_writes_through_a_symbolic_link_in_the_output() {
    let temp = TempDir::new("symlink");
    let export = export_of(&temp, &[("Plain", None)]);
    let victim = temp.path().join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    std::fs::write(victim.join("keep.txt"), "mine").unwrap();
    let out = temp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink("../victim", out.join("actions")).unwrap();

    let result = run(&[s(&export), "--out", s(&out), "--force"]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.contains("symbolic link"), "{}", result.stderr);
    assert_eq!(tree(&victim).keys().collect::<Vec<_>>(), ["keep.txt"]);
    assert!(!result.stderr.contains("; wrote 4 files"), "{}", result.stderr);
}

#[test]
fn a_failed_write_is_not_reported_as_written() {
    let temp = TempDir::new("failed-write");
    let export = export_of(&temp, &[("Plain", None), ("Other", None)]);
    let out = temp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // A file where the folder of the Actions goes.
    std::fs::write(out.join("actions"), "not a folder").unwrap();

    let result = run(&[s(&export), "--out", s(&out), "--force"]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    let summary = result.stderr.lines().last().unwrap();
    assert!(
        summary.contains("; wrote only ") || summary.contains("; wrote nothing"),
        "{summary}"
    );
    assert!(!summary.contains("; wrote 6 files"), "{summary}");
}

#[test]
fn rule_ids_with_line_breaks_make_guards_that_parse() {
    let temp = TempDir::new("guard-ids");
    let ids = [
        "rul_1\n}); require('child_process').execSync('id'); ({",
        "rul_2\u{2028}require('child_process')//",
        "rul_3'\"\\",
    ];
    let rules: Vec<(&str, Option<&str>)> = [("One", 0), ("Two", 1), ("Three", 2)]
        .iter()
        .map(|(name, i)| (*name, Some(ids[*i])))
        .collect();
    let export = export_of(&temp, &rules);
    let out = temp.path().join("out");
    let result = run(&[s(&export), "--out", s(&out), "--was-executed-guard"]);
    assert!(result.code <= 1, "{}", result.stderr);
    let unguarded = rules2actions::convert(PLAIN_RULE, &rules2actions::Limits::default())
        .action
        .unwrap();
    let files = tree(&out);
    let actions: Vec<&Vec<u8>> = files
        .iter()
        .filter(|(k, _)| k.ends_with(".js"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(actions.len(), 3);
    for code in actions {
        let code = std::str::from_utf8(code).unwrap();
        assert_eq!(
            code.lines().count(),
            unguarded.lines().count() + 1,
            "one guard line:\n{code}"
        );
        rules2actions::parse::validate_script(code).unwrap_or_else(|e| panic!("{}:\n{code}", e.message));
    }
    node_check_actions(&out);
}

#[test]
fn rule_names_are_literal_in_terraform() {
    let temp = TempDir::new("hcl-names");
    let names = [
        "${file(\"/etc/passwd\")}",
        "%{ if true }x%{ endif }",
        "a\"b\\c$${d}",
        "line\nbreak\u{2028}\u{1b}[2K",
    ];
    let rules: Vec<(&str, Option<&str>)> = names.iter().map(|n| (*n, None)).collect();
    let export = export_of(&temp, &rules);
    std::fs::create_dir_all(export.join("triggers")).unwrap();
    let bindings = serde_json::json!({ "post-login": [{ "action_name": "kept\n}\nresource \"x\" \"y\" {", "display_name": "kept" }] });
    std::fs::write(export.join("triggers/triggers.json"), bindings.to_string()).unwrap();
    let out = temp.path().join("out");
    let result = run(&[s(&export), "--out", s(&out), "--format", "terraform"]);
    assert!(result.code <= 1, "{}", result.stderr);

    let main = std::fs::read_to_string(out.join("main.tf")).unwrap();
    let body: hcl::Body = hcl::parse(&main).unwrap_or_else(|e| panic!("{e}\n{main}"));
    let resources: Vec<&hcl::Block> = body.blocks().filter(|b| b.identifier() == "resource").collect();
    assert_eq!(
        resources.len(),
        names.len() + 1,
        "no resource comes from a name:\n{main}"
    );
    let mut found: Vec<String> = Vec::new();
    for block in resources.iter().filter(|b| b.labels()[0].as_str() == "auth0_action") {
        let name = block.body().attributes().find(|a| a.key() == "name").unwrap();
        let value = hcl::eval::Evaluate::evaluate(name.expr(), &hcl::eval::Context::new())
            .unwrap_or_else(|e| panic!("the name is not a literal: {e}"));
        found.push(value.as_str().unwrap().to_string());
        let code = block.body().attributes().find(|a| a.key() == "code").unwrap();
        let mut context = hcl::eval::Context::new();
        context.declare_var("path", hcl::value::Value::from_iter([("module", "/m")]));
        context.declare_func(
            "file",
            hcl::eval::FuncDef::builder()
                .variadic_param(hcl::eval::ParamType::Any)
                .build(|args| Ok(args[0].clone())),
        );
        let path = hcl::eval::Evaluate::evaluate(code.expr(), &context).unwrap();
        assert!(path.as_str().unwrap().starts_with("/m/actions/"), "{path}");
    }
    found.sort();
    let mut wanted: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    wanted.sort();
    assert_eq!(found, wanted);
}

/// On a terminal a large export shows a progress bar, and the run ends (an earlier bar held
/// stderr locked for the whole run). `script` gives the binary a terminal.
#[test]
fn the_progress_bar_shows_on_a_terminal_and_the_run_ends() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("script is not installed: skipping");
        return;
    }
    let temp = TempDir::new("progress");
    let names: Vec<String> = (0..250).map(|i| format!("Rule {i}")).collect();
    let rules: Vec<(&str, Option<&str>)> = names.iter().map(|n| (n.as_str(), None)).collect();
    let export = export_of(&temp, &rules);
    let out = temp.path().join("out");
    let command = format!(
        "'{}' migrate '{}' --out '{}' --color never",
        env!("CARGO_BIN_EXE_rules2actions"),
        s(&export),
        s(&out)
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("migrate on a terminal did not finish in two minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut screen = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut screen).unwrap();
    assert!(status.code().is_some_and(|c| c <= 1), "{status}: {screen}");
    assert!(screen.contains("250 rules: 250 converted"), "{screen}");
    assert!(screen.contains("converting ["), "no progress bar: {screen}");
    assert_eq!(tree(&out).keys().filter(|k| k.ends_with("code.js")).count(), 250);
}

/// Names with YAML and JSON syntax in them come back unchanged from the files written.
#[test]
fn rule_names_round_trip_through_yaml_and_json() {
    let temp = TempDir::new("yaml-names");
    let names = ["a: b", "- [c]\n# d", "e\u{2028}f\u{1b}", "'g\" & *h"];
    let export = temp.path().join("export");
    std::fs::create_dir_all(export.join("rules")).unwrap();
    let rules: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            std::fs::write(export.join(format!("rules/r{i}.js")), PLAIN_RULE).unwrap();
            serde_json::json!({ "name": name, "script": format!("./rules/r{i}.js"), "enabled": true, "order": i })
        })
        .collect();
    // JSON is YAML: the export is written with serde_json.
    let tenant = serde_json::json!({ "rules": rules }).to_string();
    std::fs::write(export.join("tenant.yaml"), tenant).unwrap();
    let out = temp.path().join("out");
    let result = run(&[s(&export.join("tenant.yaml")), "--out", s(&out)]);
    assert!(result.code <= 1, "{}", result.stderr);

    let yaml: serde_json::Value = serde_yaml_ng::from_slice(&std::fs::read(out.join("tenant.yaml")).unwrap()).unwrap();
    let written: Vec<&str> = yaml["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    let bound: Vec<&str> = yaml["triggers"]["post-login"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["action_name"].as_str().unwrap())
        .collect();
    assert_eq!(written, names);
    assert_eq!(bound, names);
}

#[test]
fn the_report_and_summary_print_names_escaped() {
    let temp = TempDir::new("report-escapes");
    let name = "Evil\u{1b}]52;c;aGk=\u{7}\u{202e}\nname";
    let export = export_of(&temp, &[(name, None), (name, None)]);
    let result = run(&[s(&export), "--dry-run"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    for text in [&result.stdout, &result.stderr] {
        assert!(!text.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{text:?}");
    }
    assert!(
        result.stdout.contains("Evil\\x1b]52;c;aGk=\\x07\\u202e\\nname"),
        "{}",
        result.stdout
    );
    assert!(result.stderr.contains("Evil\\x1b]52"), "{}", result.stderr);
}

/// Runs an Action's handler under Node with a user and prints what `api.access.deny` was given.
fn denial_under_node(code: &str, user: &str) -> String {
    let scratch = TempDir::new("run");
    let action = scratch.path().join("action.js");
    std::fs::write(&action, code).unwrap();
    let script = format!(
        "const a = require({action:?});\n\
         let denied = 'allowed';\n\
         const api = {{ access: {{ deny: (m) => {{ denied = 'denied: ' + m; }} }} }};\n\
         a.onExecutePostLogin({{ user: {user} }}, api).then(() => console.log(denied));\n",
        action = action.to_str().unwrap()
    );
    let output = std::process::Command::new("node")
        .arg("-e")
        .arg(script)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[test]
fn global_helpers_are_inlined_into_the_actions_that_read_them() {
    let (temp, out) = check_fixture("global-helpers", "expected", &[]);
    let action = |name: &str| std::fs::read_to_string(out.join(format!("actions/{name}/code.js"))).unwrap();
    let rule = |name: &str| common::read_to_string(&fixture(&format!("global-helpers/input/rules/{name}.js")));

    // The reader defines the helper itself, once, before its handler, saying where it came from.
    let verified = action("Require verified email");
    let definition = verified
        .find("global.postError = function (code, cb) {")
        .expect(&verified);
    assert!(definition < verified.find("exports.onExecutePostLogin").unwrap());
    assert_eq!(verified.matches("global.postError = ").count(), 1);
    assert!(verified.contains("// global.postError: defined by rule `Global functions`."));
    assert!(
        !verified.contains("UnauthorizedError") && !verified.contains("TODO"),
        "{verified}"
    );
    let claims = action("Add role claims");
    let header = claims.find("exports.onExecutePostLogin").unwrap();
    for inlined in [
        "CLAIM_NAMESPACE",
        "claimName",
        "rolesOf",
        "ENVIRONMENT",
        "uniqueRoles",
        "audit",
    ] {
        let at = claims.find(&format!("\nglobal.{inlined} = ")).expect(inlined);
        assert!(at < header, "{inlined}");
    }
    // The module a helper uses comes along, declared once before the definitions.
    assert!(claims.starts_with(
        "// Modules that the globals inlined below use.\nconst request = require('request');\n// global.CLAIM_NAMESPACE: "
    ));
    // Shared mutable state, closures over the rule, and the login's data stay findings.
    for kept in ["loginCount", "withPrefix"] {
        assert!(!claims.contains(&format!("\nglobal.{kept} = ")), "{kept}");
        assert!(claims.contains(&format!("// TODO(R2A205): global.{kept} ")), "{kept}");
    }
    assert!(!action("Use secret header").contains("\nglobal.secretHeader = "));
    // Definitions count only from enabled rules that run before the reader.
    assert!(!action("Use secret header").contains("\nglobal.greeting = "));
    assert!(!action("Early rule").contains("\nglobal.tierOf = "));

    // What the helper needs is declared; every Action holds no unmarked Rules construct.
    let claims_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("actions/Add role claims.json")).unwrap()).unwrap();
    let dependencies: Vec<&str> = claims_json["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(dependencies, ["lodash", "request"]);
    for name in [
        "Require verified email",
        "Add role claims",
        "Use secret header",
        "Early rule",
    ] {
        let code = substitute_placeholders(&action(name));
        assert_eq!(
            common::unmarked_leftovers_of(&code, &rule(name)),
            Vec::<usize>::new(),
            "{name}"
        );
    }

    let report = std::fs::read_to_string(out.join("MIGRATION.md")).unwrap();
    assert!(report.contains("- `global.postError`: from `Global functions` into `Require verified email`"));
    assert!(report.contains("- `global.loginCount`: set by `Global functions`; read by `Add role claims`"));
    assert!(report.contains("global.withPrefix was not inlined into this Action: it uses `prefix`, a variable"));
    assert!(report.contains("- `global.tierOf`: set by `Late definitions`; read by `Early rule`"));
    assert!(!report.contains("- `global.postError`: set by"), "{report}");
    assert!(
        report.contains("| 4 | `Require verified email` | converted |"),
        "{report}"
    );

    let (input, dry) = (fixture("global-helpers/input"), temp.path().join("dry"));
    let json_report = temp.path().join("report.json");
    let dry_run = [
        s(&input),
        "--out",
        s(&dry),
        "--dry-run",
        "--report-json",
        s(&json_report),
    ];
    let summary = run(&dry_run).stderr;
    assert!(
        summary.contains("; 6 bound to post-login; 7 global definitions inlined"),
        "{summary}"
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_report).unwrap()).unwrap();
    let post_error = json["inlined"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "global.postError");
    assert_eq!(
        post_error,
        Some(
            &serde_json::json!({ "path": "global.postError", "from": "Global functions", "into": ["Require verified email"] })
        )
    );

    // The same Actions as Terraform: the HCL parses and the code passes node --check.
    let terraform = temp.path().join("terraform");
    let result = run(&[
        s(&fixture("global-helpers/input")),
        "--out",
        s(&terraform),
        "--format",
        "terraform",
    ]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(hcl_check(&terraform) > 0);
    node_check_actions(&terraform);
    let tf_reader = std::fs::read_to_string(terraform.join("actions/Require verified email.js")).unwrap();
    assert_eq!(tf_reader, verified);

    // The inlined helper works on its own: the Action denies as the rule pipeline did.
    if common::node_available() {
        assert_eq!(
            denial_under_node(&verified, "{ email_verified: false }"),
            "denied: login refused: unverified"
        );
        assert_eq!(denial_under_node(&verified, "{ email_verified: true }"), "allowed");
    }
}

/// A directory export of the given (name, rule text), enabled, in this order.
fn export_with_texts(temp: &TempDir, rules: &[(&str, &str)]) -> PathBuf {
    let root = temp.path().join("export");
    std::fs::create_dir_all(root.join("rules")).unwrap();
    for (index, (name, text)) in rules.iter().enumerate() {
        let json = serde_json::json!({ "name": name, "enabled": true, "order": index + 1, "script": format!("./r{index}.js") });
        std::fs::write(root.join(format!("rules/r{index}.json")), json.to_string()).unwrap();
        std::fs::write(root.join(format!("rules/r{index}.js")), text).unwrap();
    }
    root
}

#[test]
fn inlined_globals_name_any_rule_safely_and_shared_state_is_not_inlined() {
    let temp = TempDir::new("inline-names");
    let hostile = "x\n}); require('child_process'); ({\u{2028}y";
    let export = export_with_texts(
        &temp,
        &[
            (
                hostile,
                "function (user, context, callback) {\n  global.tag = function (s) { return '[' + s + ']'; };\n  global.shared = 'a';\n  global.tags = ['a'];\n  callback(null, user, context);\n}\n",
            ),
            (
                "Also sets shared",
                "function (user, context, callback) {\n  global.shared = 'b';\n  callback(null, user, context);\n}\n",
            ),
            (
                "Changes tags",
                "function (user, context, callback) {\n  global.tags.push(user.email);\n  callback(null, user, context);\n}\n",
            ),
            (
                "Reader",
                "function (user, context, callback) {\n  context.idToken['https://x/t'] = global.tag(global.shared) + global.tags.length;\n  callback(null, user, context);\n}\n",
            ),
        ],
    );
    let out = temp.path().join("out");
    let result = run(&[s(&export), "--out", s(&out)]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    node_check_actions(&out);
    let reader = std::fs::read_to_string(out.join("actions/Reader/code.js")).unwrap();
    assert!(
        reader.starts_with(
            "// global.tag: defined by rule `x\\n}); require('child_process'); ({\\u2028y`. Actions share no globals"
        ),
        "{reader}"
    );
    assert!(reader.contains("\nglobal.tag = function (s) { return '[' + s + ']'; };\n"));
    assert!(!reader.contains("child_process'); ({\n"), "{reader}");
    // Two rules set global.shared: it stays a finding, with the reason.
    assert!(!reader.contains("\nglobal.shared = "), "{reader}");
    // Another rule changes global.tags in place: it is shared state too.
    assert!(!reader.contains("\nglobal.tags = "), "{reader}");
    let report = std::fs::read_to_string(out.join("MIGRATION.md")).unwrap();
    for shared in ["shared", "tags"] {
        let why = format!("global.{shared} was not inlined into this Action: several rules set or change it");
        assert!(report.contains(&why), "{report}");
    }
}

#[test]
fn real_world_exports_migrate() {
    let real_world = common::corpus_dir().join("real-world");
    // whisthq's tenant.yaml names ./rules/X.js, which the repository keeps under src/rules (and one
    // rule only under _removed/): its three rules fail as missing scripts, and the run goes on.
    let cases = [
        ("algorox-auth0-julianwilliam-tenant-files", 15usize),
        ("Techbikers-auth0", 3),
        ("ThreatResponse-auth0-rules", 1),
        ("KleeUT-Auth0-rules-cicd-example-2020/src", 1),
        ("tylernix-Auth0-Rules-Testing-Best-Practices/src", 1),
        ("whisthq-whist/backend/auth0", 3),
    ];
    for (case, rules) in cases {
        let input = real_world.join(case);
        if !input.exists() {
            eprintln!("{} is missing: skipped", input.display());
            continue;
        }
        let before = tree(&input);
        let temp = TempDir::new("real-world");
        let out = temp.path().join("out");
        let report = temp.path().join("report.json");
        let result = run(&[s(&input), "--out", s(&out), "--report-json", s(&report)]);
        assert_ne!(result.code, 2, "{case}: {}", result.stderr);
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert_eq!(json["totals"]["rules"], rules, "{case}");
        node_check_actions(&out);
        assert_eq!(tree(&input), before, "{case}: the corpus changed");
    }
}

#[test]
fn an_inlined_helper_brings_its_require_once_and_never_a_clash() {
    let temp = TempDir::new("inline-requires");
    let export = export_with_texts(
        &temp,
        &[
            (
                "Helpers",
                "function (user, context, callback) {\n  const request = require('request@2.88.0');\n  global.fetch = function (url, done) {\n    request.get(url, done);\n  };\n  callback(null, user, context);\n}\n",
            ),
            (
                "Same module",
                "function (user, context, callback) {\n  const request = require('request@2.88.0');\n  request.post('https://a.example.com');\n  global.fetch('https://b.example.com', function () {\n    callback(null, user, context);\n  });\n}\n",
            ),
            (
                "Other module",
                "function (user, context, callback) {\n  const request = require('got');\n  request('https://a.example.com');\n  global.fetch('https://b.example.com', function () {\n    callback(null, user, context);\n  });\n}\n",
            ),
        ],
    );
    let out = temp.path().join("out");
    let result = run(&[s(&export), "--out", s(&out)]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    node_check_actions(&out);
    let same = std::fs::read_to_string(out.join("actions/Same module/code.js")).unwrap();
    assert_eq!(same.matches("const request = require('request');").count(), 1, "{same}");
    assert!(
        same.contains("\nglobal.fetch = function (url, done) {\n  request.get(url, done);\n};\n"),
        "{same}"
    );
    let other = std::fs::read_to_string(out.join("actions/Other module/code.js")).unwrap();
    assert!(!other.contains("global.fetch = "), "{other}");
    let report = std::fs::read_to_string(out.join("MIGRATION.md")).unwrap();
    assert!(
        report.contains(
            "global.fetch not inlined into this Action: `request` is declared otherwise at the top of this Action"
        ),
        "{report}"
    );
}
