//! `migrate`'s output imported by the real auth0-deploy-cli: `a0deploy import` (pinned, installed
//! with npm once into `target/npm/deploy-cli` and reused, so the test runs offline afterwards)
//! against a fake Management API on 127.0.0.1 (`tests/data/deploy-cli/fake-management-api.js`,
//! HTTPS with a certificate openssl makes for each fake). The fake records every request; the
//! tests assert what deploy-cli sent: the Actions with their code, runtime, dependencies and
//! secrets (values exact, deploy-cli's own variables kept out), the deploy calls, the post-login
//! bindings in rule order, the export's own Action kept, and nothing written on `--dry-run` or
//! when a secret's value is missing. Node.js, npm and openssl are required: without them the
//! tests fail, saying so.

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

const DEPLOY_CLI_VERSION: &str = "8.44.0";

/// A value with every character that text substitution would break: both quotes, a backslash, a
/// line break, a tab and a `$` sequence of `String.replace`.
const TRICKY: &str = "it's \"quoted\" \\ back\\slash\nsecond line\t$& end";

/// deploy-cli's own credentials, in its environment: they must reach no secret.
const DEPLOY_CLI_ENV: [(&str, &str); 2] = [
    ("AUTH0_CLIENT_ID", "deploy-cli-own-client-id"),
    ("AUTH0_CLIENT_SECRET", "deploy-cli-own-client-secret"),
];

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/deploy-cli")
        .join(path)
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf()
}

/// Runs a tool the test needs, failing the test (never skipping it) when it is not installed.
fn run_tool(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what} could not be run ({e}): this test needs Node.js, npm and openssl"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `a0deploy`, installed once with npm under `target/npm/deploy-cli` and reused while it is the
/// pinned version. It is installed into a fresh folder, then renamed into place: an install
/// stopped halfway is never taken for a complete one.
fn a0deploy() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let home = target_dir().join("npm/deploy-cli");
        let bin = home.join("node_modules/.bin/a0deploy");
        let manifest = home.join("node_modules/auth0-deploy-cli/package.json");
        let installed_version = || {
            let text = std::fs::read_to_string(&manifest).ok()?;
            let value: Value = serde_json::from_str(&text).ok()?;
            value["version"].as_str().map(str::to_string)
        };
        if bin.is_file() && installed_version().as_deref() == Some(DEPLOY_CLI_VERSION) {
            return bin;
        }
        let partial = target_dir().join(format!("npm/deploy-cli.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&partial);
        std::fs::create_dir_all(&partial).unwrap();
        run_tool(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
                .arg(&partial)
                .arg(format!("auth0-deploy-cli@{DEPLOY_CLI_VERSION}")),
            "npm install auth0-deploy-cli",
        );
        let _ = std::fs::remove_dir_all(&home);
        std::fs::rename(&partial, &home).unwrap();
        assert_eq!(installed_version().as_deref(), Some(DEPLOY_CLI_VERSION));
        bin
    })
}

/// A fresh folder under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("r2a-deploy-cli-{}-{n}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A self-signed certificate for 127.0.0.1 and its key, made in `dir`.
fn make_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    run_tool(
        Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
        "openssl req",
    );
    (cert, key)
}

/// One request deploy-cli made.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    body: Value,
    /// What the fake answered.
    answer: Value,
}

/// The fake Management API, serving a tenant that has `state` (see the script), until dropped.
struct FakeApi {
    child: Child,
    port: u16,
    log: PathBuf,
    /// The certificate it serves, for the client to trust.
    certificate: PathBuf,
}

impl FakeApi {
    fn start(dir: &Path, state: &Value) -> FakeApi {
        let (cert, key) = make_certificate(dir);
        let state_file = dir.join("state.json");
        std::fs::write(&state_file, state.to_string()).unwrap();
        let log = dir.join("requests.jsonl");
        std::fs::write(&log, "").unwrap();
        let mut child = Command::new("node")
            .arg(data("fake-management-api.js"))
            .args([&cert, &key, &state_file, &log])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("node could not be run ({e}): this test needs Node.js"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the fake API did not start: {line:?}"));
        FakeApi {
            child,
            port,
            log,
            certificate: cert,
        }
    }

    /// Forgets the requests so far.
    fn clear_log(&self) {
        std::fs::write(&self.log, "").unwrap();
    }

    fn requests(&self) -> Vec<Request> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(|line| {
                let value: Value = serde_json::from_str(line).unwrap();
                Request {
                    method: value["method"].as_str().unwrap().to_string(),
                    path: value["path"].as_str().unwrap().to_string(),
                    body: value["body"].clone(),
                    answer: value["answer"].clone(),
                }
            })
            .collect()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `a0deploy import` of `input` with a config file holding `mappings`, against `api`, with
/// deploy-cli's own credentials in its environment beside `env`.
fn import(api: &FakeApi, dir: &Path, input: &Path, mappings: Value, env: &[(&str, &str)], dry_run: bool) -> Output {
    let config = dir.join("config.json");
    let settings = json!({
        "AUTH0_ACCESS_TOKEN": "a-test-token",
        "AUTH0_INCLUDED_ONLY": ["actions", "triggers"],
        "AUTH0_ALLOW_DELETE": true,
        "AUTH0_KEYWORD_REPLACE_MAPPINGS": mappings,
    });
    std::fs::write(&config, settings.to_string()).unwrap();
    let mut command = Command::new(a0deploy());
    command
        .arg("import")
        .arg("--config_file")
        .arg(&config)
        .arg("--input_file")
        .arg(input)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NODE_EXTRA_CA_CERTS", &api.certificate)
        .env("AUTH0_DOMAIN", format!("127.0.0.1:{}", api.port))
        .envs(DEPLOY_CLI_ENV)
        .envs(env.iter().copied());
    if dry_run {
        command.arg("--dry-run");
    }
    command.output().unwrap()
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `rules2actions migrate INPUT --out OUT --report-json`, in-process; the report.
fn migrate(input: &Path, out: &Path) -> Value {
    let report = out.with_extension("report.json");
    let run = common::run_cli(&[
        "migrate",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--report-json",
        report.to_str().unwrap(),
    ]);
    assert_ne!(run.code, 2, "{}", run.stderr);
    serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The tenant before the import: the export's own Action, deployed and bound to post-login.
fn tenant_with_existing_action() -> Value {
    json!({
        "actions": [{
            "name": "Existing Action",
            "code": std::fs::read_to_string(data("existing/code.js")).unwrap(),
            "runtime": "node22",
            "dependencies": [],
            "secrets": [{ "name": "EXISTING_KEY" }],
            "supported_triggers": [{ "id": "post-login", "version": "v3" }],
            "all_changes_deployed": true
        }],
        "bindings": { "post-login": [{ "action_name": "Existing Action", "display_name": "Existing Action" }] }
    })
}

/// A copy of the corpus export `case` holding, as well, the Action the tenant already has.
fn export_with_existing_action(case: &str, dir: &Path) -> PathBuf {
    let input = dir.join("input");
    copy_tree(&common::corpus_dir().join(case), &input);
    let code = input.join("actions/Existing Action/code.js");
    std::fs::create_dir_all(code.parent().unwrap()).unwrap();
    std::fs::copy(data("existing/code.js"), code).unwrap();
    let tenant = input.join("tenant.yaml");
    if tenant.is_file() {
        let mut text = std::fs::read_to_string(&tenant).unwrap();
        text.push_str(&std::fs::read_to_string(data("existing/tenant-tail.yaml")).unwrap());
        std::fs::write(&tenant, text).unwrap();
    } else {
        std::fs::copy(data("existing/action.json"), input.join("actions/Existing Action.json")).unwrap();
        std::fs::create_dir_all(input.join("triggers")).unwrap();
        std::fs::copy(data("existing/triggers.json"), input.join("triggers/triggers.json")).unwrap();
    }
    input
}

fn writes(requests: &[Request]) -> Vec<&Request> {
    requests.iter().filter(|r| r.method != "GET").collect()
}

/// The Actions created, by name.
fn created(requests: &[Request]) -> Vec<&Value> {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v2/actions/actions")
        .map(|r| &r.body)
        .collect()
}

/// The post-login bindings of the last update, by Action name.
fn bound(requests: &[Request]) -> Vec<String> {
    let update = requests
        .iter()
        .rev()
        .find(|r| r.method == "PATCH" && r.path == "/api/v2/actions/triggers/post-login/bindings")
        .expect("the post-login bindings were updated");
    update.body["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|binding| {
            assert_eq!(binding["ref"]["type"], "action_name");
            binding["ref"]["value"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Each migrated Action of the report was created as the output has it (code, node22, the
/// rule's dependencies, its secrets by name), and deployed under the id the fake gave it.
fn assert_actions_created(requests: &[Request], report: &Value, out: &Path) {
    let rules: Vec<&Value> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rule| !rule["files"].as_array().unwrap().is_empty())
        .collect();
    let created = created(requests);
    assert_eq!(
        created.len(),
        rules.len(),
        "one Action per converted rule: {created:#?}"
    );
    let listed_after_create = requests
        .iter()
        .rposition(|r| r.method == "GET" && r.path == "/api/v2/actions/actions")
        .unwrap();
    for rule in rules {
        let name = rule["action_name"].as_str().unwrap();
        let action = created
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no Action {name} was created"));
        let file = out.join(rule["files"][0].as_str().unwrap());
        assert_eq!(action["code"], std::fs::read_to_string(file).unwrap(), "{name}");
        assert_eq!(action["runtime"], "node22", "{name}");
        assert_eq!(
            action["supported_triggers"],
            json!([{ "id": "post-login", "version": "v3" }])
        );
        let dependencies: Vec<Value> = rule["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| json!({ "name": d["name"], "version": d["version"].as_str().unwrap_or("latest") }))
            .collect();
        assert_eq!(action["dependencies"], json!(dependencies), "{name}");
        let secrets: Vec<&Value> = action["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["name"])
            .collect();
        let expected: Vec<&Value> = rule["secrets"].as_array().unwrap().iter().collect();
        assert_eq!(secrets, expected, "{name}");
        let id = created_id(requests, name);
        let deploy = requests
            .iter()
            .position(|r| r.method == "POST" && r.path == format!("/api/v2/actions/actions/{id}/deploy"))
            .unwrap_or_else(|| panic!("{name} was not deployed"));
        assert!(
            deploy > listed_after_create,
            "{name} was deployed before its id was listed"
        );
    }
}

/// The id the fake gave the Action `name` when deploy-cli created it.
fn created_id(requests: &[Request], name: &str) -> String {
    let creation = requests
        .iter()
        .find(|r| r.method == "POST" && r.path == "/api/v2/actions/actions" && r.body["name"] == name)
        .unwrap_or_else(|| panic!("no Action {name} was created"));
    creation.answer["id"].as_str().unwrap().to_string()
}

/// The secrets sent for the Action `name`, by secret name.
fn secrets_of(requests: &[Request], name: &str) -> Vec<(String, String)> {
    let action = created(requests).into_iter().find(|a| a["name"] == name).unwrap();
    action["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn log_of(requests: &[Request]) -> String {
    requests.iter().map(|r| format!("{} {}\n", r.method, r.path)).collect()
}

const YAML_EXPORT: &str = "infaspublications-auth0-deploy";
const DIRECTORY_EXPORT: &str = "auth0-samples-github-source-control-integration";

/// The values of the YAML export's secrets: the Management API ones share their names with
/// deploy-cli's own variables.
fn yaml_export_mappings() -> Value {
    json!({
        "R2A_SECRET_DEFAULT_ROLE": TRICKY,
        "R2A_SECRET_AUTH0_DOMAIN": "tenant.example.com",
        "R2A_SECRET_AUTH0_CLIENT_ID": "m2m-client-id",
        "R2A_SECRET_AUTH0_CLIENT_SECRET": "m2m 'client' \"secret\" \\",
        "EXISTING_KEY": "kept",
    })
}

/// The YAML export, imported after a `--dry-run` that reads the tenant and writes nothing.
#[test]
fn yaml_export_is_imported_after_a_dry_run() {
    let temp = TempDir::new("yaml");
    let input = export_with_existing_action(YAML_EXPORT, &temp.0);
    let out = temp.0.join("out");
    let report = migrate(&input, &out);
    let api = FakeApi::start(&temp.0, &tenant_with_existing_action());

    let output = import(
        &api,
        &temp.0,
        &out.join("tenant.yaml"),
        yaml_export_mappings(),
        &[],
        true,
    );
    assert_success(&output, "a0deploy import --dry-run");
    let requests = api.requests();
    eprintln!("requests of the YAML --dry-run:\n{}", log_of(&requests));
    assert!(
        requests.iter().any(|r| r.path == "/api/v2/actions/actions"),
        "{}",
        log_of(&requests)
    );
    assert!(writes(&requests).is_empty(), "{}", log_of(&requests));
    api.clear_log();

    // One value comes from the environment, as MIGRATION.md says it may.
    let mut mappings = yaml_export_mappings();
    let domain = mappings
        .as_object_mut()
        .unwrap()
        .remove("R2A_SECRET_AUTH0_DOMAIN")
        .unwrap();
    let env = [("R2A_SECRET_AUTH0_DOMAIN", domain.as_str().unwrap())];
    let output = import(&api, &temp.0, &out.join("tenant.yaml"), mappings, &env, false);
    assert_success(&output, "a0deploy import");
    let requests = api.requests();
    eprintln!("requests of the YAML import:\n{}", log_of(&requests));

    assert_actions_created(&requests, &report, &out);
    // Rule order (`order: 1` first), then the tenant's own Action, kept and bound.
    assert_eq!(
        bound(&requests),
        [
            "add usermeta to profile",
            "add default role when initial signup",
            "Existing Action"
        ]
    );
    assert!(
        !writes(&requests).iter().any(|r| r.method == "DELETE"),
        "{}",
        log_of(&requests)
    );
    let secrets = secrets_of(&requests, "add default role when initial signup");
    let expected = [
        ("AUTH0_CLIENT_ID", "m2m-client-id"),
        ("AUTH0_CLIENT_SECRET", "m2m 'client' \"secret\" \\"),
        ("AUTH0_DOMAIN", "tenant.example.com"),
        ("DEFAULT_ROLE", TRICKY),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    assert_eq!(secrets, expected);
    // The carried Action, when deploy-cli updates it, keeps its code and its own secret.
    for update in writes(&requests)
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.contains("/actions/actions/"))
    {
        assert_eq!(
            update.body["code"],
            std::fs::read_to_string(data("existing/code.js")).unwrap()
        );
        assert_eq!(
            update.body["secrets"],
            json!([{ "name": "EXISTING_KEY", "value": "kept" }])
        );
    }
}

/// The directory export, with a rule of its own keeping a deploy-cli keyword (`@@ENV@@`) in its
/// code, which deploy-cli replaces on import by a JSON value, as it did for the rule.
#[test]
fn directory_export_is_imported_with_disabled_rules_unbound() {
    let temp = TempDir::new("directory");
    let input = export_with_existing_action(DIRECTORY_EXPORT, &temp.0);
    let example = common::corpus_dir().join("auth0-auth0-deploy-cli/examples/directory/rules");
    for file in ["Enrich-Identity-Token.js", "Enrich-Identity-Token.json"] {
        std::fs::copy(example.join(file), input.join("rules").join(file)).unwrap();
    }
    let out = temp.0.join("out");
    let report = migrate(&input, &out);
    assert_eq!(report["kept_keywords"]["@@ENV@@"], json!(["Enrich-Identity-Token"]));
    let api = FakeApi::start(&temp.0, &tenant_with_existing_action());
    let mappings = json!({ "EXISTING_KEY": "kept", "ENV": TRICKY });
    let output = import(&api, &temp.0, &out, mappings, &[], false);
    assert_success(&output, "a0deploy import");
    let requests = api.requests();
    eprintln!("requests of the directory import:\n{}", log_of(&requests));

    // The code as written, but for the keyword deploy-cli replaces.
    let written = |name: &str| std::fs::read_to_string(out.join(format!("actions/{name}/code.js"))).unwrap();
    let replaced = json!(written("Enrich-Identity-Token").replace("@@ENV@@", &serde_json::to_string(TRICKY).unwrap()));
    let enrich = created(&requests)
        .into_iter()
        .find(|a| a["name"] == "Enrich-Identity-Token")
        .unwrap();
    assert_eq!(enrich["code"], replaced);
    std::fs::write(
        out.join("actions/Enrich-Identity-Token/code.js"),
        replaced.as_str().unwrap(),
    )
    .unwrap();
    assert_actions_created(&requests, &report, &out);
    // `set-country` is disabled: its Action is created, not bound. Rule order: 1, then 5.
    assert!(created(&requests).iter().any(|a| a["name"] == "set-country"));
    assert_eq!(
        bound(&requests),
        ["Enrich-Identity-Token", "log-to-console", "Existing Action"]
    );
    assert!(!writes(&requests).iter().any(|r| r.method == "DELETE"));
}

/// A secret without a value stops the import before any request, in both layouts: the bare
/// `@@R2A_SECRET_X@@` keyword leaves the file invalid, where a quoted one would have been sent as
/// the secret's value. deploy-cli's own `AUTH0_CLIENT_SECRET` in the environment is no value for
/// the secret `AUTH0_CLIENT_SECRET`.
#[test]
fn a_missing_secret_value_stops_the_import() {
    for (label, case) in [("yaml", YAML_EXPORT), ("directory", "")] {
        let temp = TempDir::new(label);
        let (input, secret) = if case.is_empty() {
            let input = temp.0.join("input");
            std::fs::create_dir_all(input.join("rules")).unwrap();
            let rule = "function (user, context, callback) {\n  context.idToken['https://example.com/k'] = configuration.AUTH0_CLIENT_SECRET;\n  callback(null, user, context);\n}\n";
            std::fs::write(input.join("rules/uses-secret.js"), rule).unwrap();
            std::fs::write(input.join("rules/uses-secret.json"), r#"{"enabled": true, "order": 1}"#).unwrap();
            (input, "R2A_SECRET_AUTH0_CLIENT_SECRET")
        } else {
            (common::corpus_dir().join(case), "R2A_SECRET_DEFAULT_ROLE")
        };
        let out = temp.0.join("out");
        migrate(&input, &out);
        let target = if case.is_empty() {
            out.clone()
        } else {
            out.join("tenant.yaml")
        };
        let mut mappings = yaml_export_mappings();
        mappings.as_object_mut().unwrap().remove(secret);
        mappings
            .as_object_mut()
            .unwrap()
            .remove("R2A_SECRET_AUTH0_CLIENT_SECRET");
        let api = FakeApi::start(&temp.0, &json!({}));
        let output = import(&api, &temp.0, &target, mappings, &[], false);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !output.status.success(),
            "{label}: the import went through without the secret's value"
        );
        // deploy-cli names the file and shows the bare keyword it could not parse.
        assert!(said.contains("@@R2A_SECR"), "{label}: {said}");
        let requests = api.requests();
        assert!(writes(&requests).is_empty(), "{label}: {}", log_of(&requests));
    }
}
