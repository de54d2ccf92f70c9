//! Drives the `rules2actions` binary: exit codes, standard input, `--check`, `--stdout`,
//! `--write` (and its refusal to overwrite), `--format json` and `explain`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const MFA_RULE: &str = "fixtures/multifactor/auth0-example/rule.js";
const MFA_ACTION: &str = "fixtures/multifactor/auth0-example/action.js";

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rules2actions"));
    command.env_remove("NO_COLOR");
    command
}

fn run(args: &[&str]) -> Output {
    binary().args(args).output().expect("running rules2actions")
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = binary()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running rules2actions");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("r2a-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn convert_prints_a_unified_diff_and_a_summary() {
    let output = run(&["convert", MFA_RULE]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let diff = stdout(&output);
    assert!(
        diff.starts_with(&format!("--- a/{MFA_RULE}\n+++ b/{MFA_RULE}\n")),
        "{diff}"
    );
    assert!(
        diff.contains("-function (user, context, callback) {\n+exports.onExecutePostLogin = async (event, api) => {")
    );
    assert!(diff.contains("+api.multifactor.enable('any', {allowRememberBrowser: false});"));
    // The comment line did not change, so it is context, not a change.
    assert!(diff.contains("\n // uncomment the following"));
    assert!(!diff.contains('\x1b'), "no colour when stdout is not a terminal");
    assert!(stderr(&output).contains("1 rule converted (1 ready, 0 need review)"));
}

#[test]
fn stdout_prints_exactly_the_action() {
    let output = run(&["convert", "--stdout", MFA_RULE]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), std::fs::read_to_string(MFA_ACTION).unwrap());
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let rule = std::fs::read_to_string(MFA_RULE).unwrap();
    let output = run_with_stdin(&["convert", "--stdout", "-"], &rule);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), std::fs::read_to_string(MFA_ACTION).unwrap());
    let diff = run_with_stdin(&["convert", "-"], &rule);
    assert!(stdout(&diff).starts_with("--- a/<stdin>\n"));
}

#[test]
fn findings_make_exit_code_one_and_name_the_code() {
    let dir = scratch("findings");
    let rule = dir.join("rule.js");
    write(&rule, "function (user, context, callback) {\n  auth0.users.getUsersByEmail(user.email);\n  callback(null, user, context);\n}\n");
    let output = run(&["convert", rule.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let report = stderr(&output);
    assert!(report.contains("rule.js:2:3 R2A204 warning:"), "{report}");
    assert!(report.contains("help:"), "{report}");
    assert!(stdout(&output).contains("+  // TODO(R2A204):"));
}

#[test]
fn check_mode_prints_no_diff_and_fails_when_a_file_would_change() {
    let output = run(&["convert", "--check", MFA_RULE]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    let output = run(&["convert", "--check", MFA_ACTION]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "an Action is already converted: {}",
        stderr(&output)
    );
}

#[test]
fn a_bad_file_is_reported_and_the_others_still_convert() {
    let dir = scratch("bad-file");
    let broken = dir.join("broken.js");
    write(&broken, "function (user, context, callback) {\n  if (\n}\n");
    let output = run(&["convert", broken.to_str().unwrap(), MFA_RULE]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("broken.js:3:1 R2A001 error:"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("+api.multifactor.enable"));
}

#[test]
fn an_unreadable_file_is_a_tool_failure() {
    let output = run(&["convert", "does/not/exist.js", MFA_RULE]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read does/not/exist.js"));
    assert!(
        stdout(&output).contains("+api.multifactor.enable"),
        "the other file is still converted"
    );
}

#[test]
fn bad_arguments_exit_with_two() {
    assert_eq!(run(&["convert"]).status.code(), Some(2));
    assert_eq!(run(&["convert", "--frobnicate", MFA_RULE]).status.code(), Some(2));
    let two_files = run(&["convert", "--stdout", MFA_RULE, MFA_RULE]);
    assert_eq!(two_files.status.code(), Some(2));
    assert!(stderr(&two_files).contains("--stdout takes exactly one file"));
}

#[test]
fn write_puts_actions_in_the_out_dir_and_refuses_to_overwrite() {
    let dir = scratch("write");
    let out = dir.join("actions");
    let args = ["convert", "--write", "--out-dir", out.to_str().unwrap(), MFA_RULE];
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written = out.join("rule.js");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        std::fs::read_to_string(MFA_ACTION).unwrap()
    );

    write(&written, "// edited by hand\n");
    let again = run(&args);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists; pass --force"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        "// edited by hand\n",
        "nothing was overwritten"
    );

    let forced = run(&[
        "convert",
        "--write",
        "--force",
        "--out-dir",
        out.to_str().unwrap(),
        MFA_RULE,
    ]);
    assert_eq!(forced.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        std::fs::read_to_string(MFA_ACTION).unwrap()
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind: {leftovers:?}");
}

#[test]
fn write_without_out_dir_goes_beside_the_rule_and_never_over_it() {
    let dir = scratch("beside");
    let rule = dir.join("mfa.js");
    std::fs::copy(MFA_RULE, &rule).unwrap();
    let output = run(&["convert", "--write", rule.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(dir.join("mfa.action.js").exists());
    assert_eq!(
        std::fs::read_to_string(&rule).unwrap(),
        std::fs::read_to_string(MFA_RULE).unwrap()
    );

    let out_is_rule = run(&[
        "convert",
        "--write",
        "--force",
        "--out-dir",
        dir.to_str().unwrap(),
        rule.to_str().unwrap(),
    ]);
    assert_eq!(out_is_rule.status.code(), Some(2));
    assert!(
        stderr(&out_is_rule).contains("never overwritten"),
        "{}",
        stderr(&out_is_rule)
    );
    assert_eq!(
        std::fs::read_to_string(&rule).unwrap(),
        std::fs::read_to_string(MFA_RULE).unwrap()
    );
}

#[test]
fn json_format_is_one_versioned_document() {
    let dir = scratch("json");
    let rule = dir.join("rule.js");
    write(&rule, "function (user, context, callback) {\n  const _ = require('lodash@4.17.21');\n  if (!configuration.API_KEY) return callback(new Error('no key'));\n  callback(null, user, context);\n}\n");
    let output = run(&["convert", "--format", "json", rule.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["version"], rules2actions::json::VERSION);
    assert_eq!(document["command"], "convert");
    let file = &document["files"][0];
    assert_eq!(file["status"], "converted");
    assert_eq!(file["secrets"], serde_json::json!(["API_KEY"]));
    assert_eq!(
        file["dependencies"],
        serde_json::json!([{"name": "lodash", "version": "4.17.21"}])
    );
    assert!(file["action"]
        .as_str()
        .unwrap()
        .contains("return api.access.deny('no key');"));
    assert_eq!(file["diagnostics"][0]["code"], "R2A101");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let coloured = run(&["convert", "--color", "always", MFA_RULE]);
    assert!(stdout(&coloured).contains("\x1b[32m+"), "additions are green");
    let plain = binary()
        .args(["convert", MFA_RULE])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&plain).contains('\x1b'));
}

#[test]
fn explain_prints_a_code_or_lists_them_all() {
    let output = run(&["explain", "R2A204"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).starts_with("R2A204 (warning): the auth0 Management API object is not available in Actions")
    );
    assert!(stdout(&output).contains("ManagementClient"));
    let lower = run(&["explain", "r2a204"]);
    assert_eq!(stdout(&lower), stdout(&output));
    let all = run(&["explain"]);
    assert!(stdout(&all).lines().count() >= 40);
    let unknown = run(&["explain", "R2A999"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown code"));
}

#[test]
fn help_explains_the_commands() {
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    for command in ["convert", "check", "migrate", "verify", "explain"] {
        assert!(stdout(&output).contains(command), "{command} missing from --help");
    }
    let convert_help = stdout(&run(&["convert", "--help"]));
    assert!(convert_help.contains("--write") && convert_help.contains("Examples:"));
}

/// The README's table of codes is the code's table: same ids, severities and titles.
#[test]
fn the_readme_lists_every_code() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    for info in rules2actions::diagnostics::CODES {
        let row = format!("| {} | {} | {} |", info.id, info.severity, info.title);
        assert!(readme.contains(&row), "README.md lacks the row `{row}`");
    }
    let severities = ["| info |", "| warning |", "| error |"];
    let rows = readme
        .lines()
        .filter(|l| l.starts_with("| R2A") && severities.iter().any(|s| l.contains(s)))
        .count();
    assert_eq!(
        rows,
        rules2actions::diagnostics::CODES.len(),
        "README.md lists codes that no longer exist"
    );
}

#[test]
fn an_action_over_the_output_limit_is_reported_not_printed() {
    let output = run(&["convert", "--stdout", "--max-output-size", "40", MFA_RULE]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains("R2A014 error: the Action would be"),
        "{}",
        stderr(&output)
    );
}

const REINDENTED_RULE: &str = "fixtures/callback/awaited-body-reindented/rule.js";

/// By default the diff is exact (it applies with `git apply`) and a note counts the lines that
/// only moved in indentation; `-w` shows those as context, with the Action's indentation.
#[test]
fn whitespace_only_changes_are_counted_and_hidden_by_w() {
    let exact = run(&["convert", REINDENTED_RULE]);
    assert_eq!(exact.status.code(), Some(0), "{}", stderr(&exact));
    let exact_diff = stdout(&exact);
    assert!(exact_diff.contains("\n-    if (err) {\n"), "{exact_diff}");
    assert!(exact_diff.contains("\n+        if (err) {\n"), "{exact_diff}");
    assert!(
        stderr(&exact).contains("note: 12 changed lines differ only in whitespace (re-indented); -w leaves them out"),
        "{}",
        stderr(&exact)
    );

    let loose = run(&["convert", "-w", REINDENTED_RULE]);
    assert_eq!(loose.status.code(), Some(0), "{}", stderr(&loose));
    let loose_diff = stdout(&loose);
    assert!(!loose_diff.contains("if (err) {\n+"), "{loose_diff}");
    assert!(loose_diff.contains("\n         if (err) {\n"), "{loose_diff}");
    // What really changed is still there.
    assert!(
        loose_diff.contains("\n-      return callback(err);\n+          return ruleDone(err);\n"),
        "{loose_diff}"
    );
    assert!(!stderr(&loose).contains("note:"), "{}", stderr(&loose));
    // No change left in the -w diff is a line re-indented; far fewer lines are marked.
    let changes = |diff: &str, sign: char| -> Vec<String> {
        diff.lines()
            .filter(|l| l.starts_with(sign) && !l.starts_with("+++") && !l.starts_with("---"))
            .map(|l| l[1..].split_whitespace().collect())
            .collect()
    };
    let removed = changes(&loose_diff, '-');
    assert!(
        changes(&loose_diff, '+').iter().all(|added| !removed.contains(added)),
        "{loose_diff}"
    );
    let count = |diff: &str| changes(diff, '+').len() + changes(diff, '-').len();
    assert!(count(&loose_diff) + 12 < count(&exact_diff));
}

/// A project folder holding a rule and, when `script` is given, a stand-in for Prettier in its
/// `node_modules/.bin` (no network, no real Prettier needed).
#[cfg(unix)]
fn prettier_project(name: &str, rule: &str, script: Option<&str>) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let root = scratch(name);
    let rules = root.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let rule_path = rules.join("rule.js");
    write(&rule_path, rule);
    if let Some(script) = script {
        let bin = root.join("node_modules").join(".bin");
        std::fs::create_dir_all(&bin).unwrap();
        let program = bin.join("prettier");
        write(&program, &format!("#!/bin/sh\n{script}\n"));
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (root, rule_path)
}

/// Runs `convert --stdout` on `rule` from `root`, with `extra` arguments and a PATH holding no
/// Prettier.
#[cfg(unix)]
fn convert_in(root: &Path, rule: &Path, extra: &[&str]) -> Output {
    let empty = root.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    binary()
        .args(["convert", "--stdout"])
        .args(extra)
        .arg(rule)
        .current_dir(root)
        .env("PATH", &empty)
        .output()
        .unwrap()
}

/// The stand-in checks how it is called and that it never sees a deploy-cli placeholder (not
/// JavaScript), says which folder it ran in, and "formats" by turning single quotes into double.
#[cfg(unix)]
const FAKE_PRETTIER: &str = r#"PATH=/usr/bin:/bin
[ "$1" = --stdin-filepath ] && [ "$2" = action.js ] || { echo "[error] called with $*" >&2; exit 2; }
input=$(cat)
case "$input" in *@@*|*'##'*) echo "[error] action.js: SyntaxError: a placeholder" >&2; exit 2;; esac
echo "// formatted in $(basename "$PWD")"
printf '%s\n' "$input" | tr "'" '"'"#;

#[cfg(unix)]
#[test]
fn prettier_formats_the_action_with_the_projects_own_prettier() {
    let rule = std::fs::read_to_string(MFA_RULE).unwrap();
    let (root, rule_path) = prettier_project("prettier-found", &rule, Some(FAKE_PRETTIER));
    let output = convert_in(&root, &rule_path, &["--prettier"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let action = std::fs::read_to_string(MFA_ACTION).unwrap();
    let expected = format!("// formatted in rules\n{}", action.replace('\'', "\""));
    assert_eq!(stdout(&output), expected);

    // Written files and JSON carry the formatted Action too.
    let empty_path = root.join("empty-path");
    let json = binary()
        .args(["convert", "--prettier", "--format", "json"])
        .arg(&rule_path)
        .env("PATH", &empty_path)
        .output()
        .unwrap();
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(document["files"][0]["action"], expected.as_str());
    let written = binary()
        .args(["convert", "--write", "--prettier"])
        .arg(&rule_path)
        .env("PATH", &empty_path)
        .output()
        .unwrap();
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let file = std::fs::read_to_string(root.join("rules/rule.action.js")).unwrap();
    assert_eq!(file, expected);
    std::fs::remove_dir_all(root).unwrap();
}

#[cfg(unix)]
#[test]
fn prettier_sees_masks_and_the_action_keeps_its_placeholders() {
    let rule = "function (user, context, callback) {\n  const env = @@ENV@@;\n  context.idToken['https://x/env'] = env + '##DOMAIN##';\n  callback(null, user, context);\n}\n";
    let (root, rule_path) = prettier_project("prettier-placeholders", rule, Some(FAKE_PRETTIER));
    let plain = stdout(&convert_in(&root, &rule_path, &[]));
    let output = convert_in(&root, &rule_path, &["--prettier"]);
    let formatted = stdout(&output);
    assert!(!stderr(&output).contains("R2A017"), "{}", stderr(&output));
    assert!(
        formatted.contains("const env = @@ENV@@;") && formatted.contains("\"##DOMAIN##\""),
        "{formatted}"
    );
    assert_eq!(
        formatted,
        format!("// formatted in rules\n{}", plain.replace('\'', "\""))
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[cfg(unix)]
#[test]
fn without_prettier_the_action_is_kept_unformatted_with_r2a017() {
    let rule = std::fs::read_to_string(MFA_RULE).unwrap();
    let (root, rule_path) = prettier_project("prettier-missing", &rule, None);
    let output = convert_in(&root, &rule_path, &["--prettier"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stdout(&output), std::fs::read_to_string(MFA_ACTION).unwrap());
    let message = stderr(&output);
    assert!(
        message.contains("R2A017 warning: the Action was kept unformatted: no Prettier found"),
        "{message}"
    );
    assert!(message.contains("rule.js:1:1"), "{message}");

    // On PATH, when no folder above the rule or the current one has a project Prettier.
    use std::os::unix::fs::PermissionsExt;
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    write(&bin.join("prettier"), &format!("#!/bin/sh\n{FAKE_PRETTIER}\n"));
    std::fs::set_permissions(bin.join("prettier"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let on_path = binary()
        .args(["convert", "--stdout", "--prettier"])
        .arg(&rule_path)
        .current_dir(&root)
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_eq!(on_path.status.code(), Some(0), "{}", stderr(&on_path));
    assert!(
        stdout(&on_path).starts_with("// formatted in rules\n"),
        "{}",
        stdout(&on_path)
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[cfg(unix)]
#[test]
fn a_failing_prettier_keeps_the_action_and_says_why() {
    let rule = std::fs::read_to_string(MFA_RULE).unwrap();
    let script = "PATH=/usr/bin:/bin; cat >/dev/null; echo '[error] action.js: SyntaxError: Unexpected token (3:5)' >&2; echo '[error] > 3 | code frame' >&2; exit 2";
    let (root, rule_path) = prettier_project("prettier-fails", &rule, Some(script));
    let output = convert_in(&root, &rule_path, &["--prettier"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stdout(&output), std::fs::read_to_string(MFA_ACTION).unwrap());
    let message = stderr(&output);
    assert!(
        message.contains("R2A017 warning: the Action was kept unformatted:"),
        "{message}"
    );
    assert!(
        message.contains("failed (exit status: 2): [error] action.js: SyntaxError: Unexpected token (3:5)"),
        "{message}"
    );
    assert!(!message.contains("code frame"), "{message}");
    std::fs::remove_dir_all(root).unwrap();
}

/// On a terminal, a line that only moved in indentation is faint, a real change is not.
#[test]
fn re_indented_lines_are_faint_in_a_coloured_diff() {
    let output = run(&["convert", "--color", "always", REINDENTED_RULE]);
    let diff = stdout(&output);
    assert!(diff.contains("\x1b[2;31m-    if (err) {\x1b[0m\n"), "{diff}");
    assert!(diff.contains("\x1b[2;32m+        if (err) {\x1b[0m\n"), "{diff}");
    assert!(diff.contains("\x1b[31m-      return callback(err);\x1b[0m\n"), "{diff}");
    assert!(
        diff.contains("\x1b[32m+          return ruleDone(err);\x1b[0m\n"),
        "{diff}"
    );
    assert!(diff.contains("\x1b[32m+    try {\x1b[0m\n"), "{diff}");
}

/// `migrate --prettier` formats every Action it writes with the project's Prettier, run from the
/// export's folder; one it cannot format is kept and its rule is marked for review (R2A017).
#[cfg(unix)]
#[test]
fn migrate_formats_every_action_with_prettier_or_says_why_not() {
    let (root, _) = prettier_project("prettier-migrate", "", Some(FAKE_PRETTIER));
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/exports/directory/input");
    let migrate = |out: &str| {
        binary()
            .args(["migrate", "--prettier", "--was-executed-guard", "--out", out])
            .arg(&export)
            .current_dir(&root)
            .env("PATH", root.join("empty-path"))
            .output()
            .unwrap()
    };
    std::fs::create_dir_all(root.join("empty-path")).unwrap();
    let output = migrate("formatted");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let expected = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/exports/directory/expected/actions");
    for name in ["Add roles", "Use roles", "someRule - test"] {
        let code = std::fs::read_to_string(root.join("formatted/actions").join(name).join("code.js")).unwrap();
        let plain = std::fs::read_to_string(expected.join(name).join("code.js")).unwrap();
        assert_eq!(
            code,
            format!("// formatted in input\n{}", plain.replace('\'', "\"")),
            "{name}"
        );
    }
    assert!(!stderr(&output).contains("R2A017"), "{}", stderr(&output));

    write(
        &root.join("node_modules/.bin/prettier"),
        "#!/bin/sh\necho '[error] cannot format' >&2\nexit 1\n",
    );
    let output = migrate("kept");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let code = std::fs::read_to_string(root.join("kept/actions/Add roles/code.js")).unwrap();
    assert_eq!(
        code,
        std::fs::read_to_string(expected.join("Add roles/code.js")).unwrap()
    );
    let report = std::fs::read_to_string(root.join("kept/MIGRATION.md")).unwrap();
    assert!(
        report.contains("R2A017 warning: the Action was kept unformatted:"),
        "{report}"
    );
    assert!(
        report.contains("failed (exit status: 1): [error] cannot format"),
        "{report}"
    );
    std::fs::remove_dir_all(root).unwrap();
}
