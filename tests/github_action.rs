//! The shell steps of `action.yml`, run the way a GitHub runner runs them (`bash --noprofile
//! --norc -eo pipefail`, the `${{ }}` expressions of their `env:` filled in, `$GITHUB_OUTPUT` a
//! file): the install step asks npm for this version, the check step writes SARIF or annotations
//! and keeps the exit code for the last step, which fails the job on findings. The upload step is
//! GitHub's own action, linted (not run) by .ci/run.

use serde_yaml_ng::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_rules2actions");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn step(id_or_name: &str) -> Value {
    let action: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap())
        .expect("action.yml is YAML");
    let steps = action["runs"]["steps"].as_sequence().expect("runs.steps");
    steps
        .iter()
        .find(|step| step["id"].as_str() == Some(id_or_name) || step["name"].as_str() == Some(id_or_name))
        .unwrap_or_else(|| panic!("no step {id_or_name} in action.yml"))
        .clone()
}

/// A fresh folder of this test binary's, under target/tmp.
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("github-action-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `text` with every `${{ expression }}` replaced from `context`; an expression the test does
/// not know fails it, so that a new one in action.yml gets a value here.
fn fill(text: &str, context: &HashMap<&str, String>) -> String {
    let mut filled = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let end = rest[start..].find("}}").expect("a closed expression") + start;
        let expression = rest[start + 3..end].trim();
        let value = context
            .get(expression)
            .unwrap_or_else(|| panic!("the test has no value for ${{{{ {expression} }}}}"));
        filled.push_str(&rest[..start]);
        filled.push_str(value);
        rest = &rest[end + 2..];
    }
    filled + rest
}

struct StepRun {
    output: Output,
    /// What the step wrote to `$GITHUB_OUTPUT`, as name → value.
    outputs: HashMap<String, String>,
}

/// Runs one `run:` step of action.yml as a runner would, with `path` prepended to PATH.
fn run_step(name: &str, context: &HashMap<&str, String>, dir: &Path, path: Option<&Path>) -> StepRun {
    let step = step(name);
    assert_eq!(
        step["shell"].as_str(),
        Some("bash"),
        "{name}: composite steps name their shell"
    );
    let script = dir.join(format!("{name}.sh"));
    std::fs::write(&script, step["run"].as_str().expect("a run: step")).unwrap();
    let github_output = dir.join(format!("{name}.output"));
    std::fs::write(&github_output, "").unwrap();

    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .env("GITHUB_OUTPUT", &github_output)
        .current_dir(match step["working-directory"].as_str() {
            Some(directory) => PathBuf::from(fill(directory, context)),
            None => dir.to_path_buf(),
        });
    if let Some(env) = step["env"].as_mapping() {
        for (key, value) in env {
            command.env(key.as_str().unwrap(), fill(value.as_str().unwrap(), context));
        }
    }
    if let Some(path) = path {
        let system = std::env::var("PATH").unwrap_or_default();
        command.env("PATH", format!("{}:{system}", path.display()));
    }
    let output = command.output().expect("running bash");
    let outputs = std::fs::read_to_string(&github_output)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    StepRun { output, outputs }
}

fn check_context(dir: &Path, inputs: &[(&'static str, &str)]) -> HashMap<&'static str, String> {
    let mut context = HashMap::from([
        ("steps.install.outputs.binary", BINARY.to_string()),
        ("inputs.path", ".".to_string()),
        ("inputs.fail-on", "warning".to_string()),
        ("inputs.upload", "true".to_string()),
        ("runner.temp", dir.display().to_string()),
        ("github.workspace", root().join("fixtures/check").display().to_string()),
    ]);
    for (name, value) in inputs {
        context.insert(name, value.to_string());
    }
    context
}

fn stdout(run: &StepRun) -> String {
    String::from_utf8(run.output.stdout.clone()).unwrap()
}

#[test]
fn the_check_step_writes_sarif_and_keeps_the_exit_code_for_later() {
    let dir = temp_dir("sarif");
    let context = check_context(&dir, &[("inputs.path", "levels mixed/rules")]);
    let run = run_step("check", &context, &dir, None);
    assert!(run.output.status.success(), "{:?}", run.output);
    assert_eq!(run.outputs["exit-code"], "1", "warnings and errors, at fail-on warning");
    let sarif_file = PathBuf::from(&run.outputs["sarif-file"]);
    assert_eq!(sarif_file, dir.join("rules2actions.sarif"));

    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_file).unwrap()).expect("SARIF JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let files: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|result| {
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    // Both paths of the input were checked, relative to the workspace.
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        [
            "levels/error.js",
            "levels/warning.js",
            "mixed/rules/broken.js",
            "mixed/rules/count-visits.js"
        ]
    );
}

#[test]
fn the_check_step_annotates_without_upload_and_follows_fail_on() {
    let dir = temp_dir("annotations");
    let context = check_context(
        &dir,
        &[
            ("inputs.path", "levels"),
            ("inputs.upload", "false"),
            ("inputs.fail-on", "error"),
        ],
    );
    let run = run_step("check", &context, &dir, None);
    assert!(run.output.status.success(), "{:?}", run.output);
    assert_eq!(run.outputs["exit-code"], "1", "levels/error.js has an error");
    assert!(!run.outputs.contains_key("sarif-file"));
    let annotations = stdout(&run);
    assert!(
        annotations.contains("::error file=levels/error.js,line=2"),
        "{annotations}"
    );
    assert!(!dir.join("rules2actions.sarif").exists());

    let context = check_context(
        &dir,
        &[("inputs.path", "levels/warning.js"), ("inputs.fail-on", "error")],
    );
    let run = run_step("check", &context, &dir, None);
    assert_eq!(run.outputs["exit-code"], "0", "only warnings, at fail-on error");
}

#[test]
fn the_last_step_fails_with_the_exit_code_of_check() {
    let dir = temp_dir("fail");
    let step = step("Fail on findings");
    assert_eq!(step["if"].as_str(), Some("steps.check.outputs.exit-code != '0'"));
    for code in ["1", "2"] {
        let context = HashMap::from([("steps.check.outputs.exit-code", code.to_string())]);
        let run = run_step("Fail on findings", &context, &dir, None);
        assert_eq!(run.output.status.code(), Some(code.parse().unwrap()));
        assert!(stdout(&run).starts_with("::error::rules2actions check exited with"));
    }
}

/// The install step asks npm for the version of the action's own Cargo.toml (or the `version`
/// input) and runs what npm installed; npm is a stand-in here that links the test binary.
#[cfg(unix)]
#[test]
fn the_install_step_installs_the_actions_own_version_from_npm() {
    use std::os::unix::fs::PermissionsExt;

    let dir = temp_dir("install");
    let fake_bin = dir.join("fake-bin");
    std::fs::create_dir_all(&fake_bin).unwrap();
    let npm = fake_bin.join("npm");
    std::fs::write(
        &npm,
        format!(
            "#!/bin/sh\n\
             printf '%s\\n' \"$@\" >\"{log}\"\n\
             while [ \"$1\" != --prefix ]; do shift; done\n\
             mkdir -p \"$2/node_modules/.bin\" && ln -sf \"{BINARY}\" \"$2/node_modules/.bin/rules2actions\"\n",
            log = dir.join("npm-args").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();

    for (input, expected) in [("", env!("CARGO_PKG_VERSION")), ("9.8.7", "9.8.7")] {
        let context = HashMap::from([
            ("inputs.version", input.to_string()),
            ("github.action_path", root().display().to_string()),
            ("runner.temp", dir.display().to_string()),
        ]);
        let run = run_step("install", &context, &dir, Some(&fake_bin));
        assert!(run.output.status.success(), "{:?}", run.output);
        let args = std::fs::read_to_string(dir.join("npm-args")).unwrap();
        assert_eq!(args.lines().next(), Some("install"));
        assert!(
            args.lines().any(|arg| arg == format!("rules2actions@{expected}")),
            "{args}"
        );
        let binary = dir.join("rules2actions/node_modules/.bin/rules2actions");
        assert_eq!(run.outputs["binary"], binary.display().to_string());
        assert_eq!(stdout(&run), format!("rules2actions {}\n", env!("CARGO_PKG_VERSION")));
    }
}
