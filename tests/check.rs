//! `rules2actions check`: every output format (SARIF validated against the SARIF 2.1.0 schema),
//! every exit code and --fail-on level, suppressions, .gitignore, deploy-cli layouts, a mixed
//! folder and determinism. Runs the binary in `fixtures/check`, so paths in the output are short
//! and relative.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/check")
}

fn check_in(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_rules2actions"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("running rules2actions");
    Output {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

fn check(args: &[&str]) -> Output {
    check_in(&fixtures(), args)
}

/// Concise lines cut after `severity:`: the converter's messages belong to its own tests.
fn without_messages(concise: &str) -> String {
    concise
        .lines()
        .map(|line| match line.find(": ") {
            Some(at) => format!("{}\n", &line[..at + 1]),
            None => format!("{line}\n"),
        })
        .collect()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// A fresh folder under the system's temporary folder (not under target/, which the repository's
/// .gitignore ignores).
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("r2a-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn write(path: &Path, contents: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

#[test]
fn human_format_shows_position_code_frame_and_help() {
    let out = check(&["levels/warning.js"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("levels/warning.js:2:3 R2A205 warning: "),
        "{}",
        out.stdout
    );
    assert_eq!(
        lines[1..4],
        [
            "  |",
            "2 |   global.visits = (global.visits || 0) + 1;",
            "  |   ^^^^^^^^^^^^^",
        ]
    );
    assert!(lines[4].starts_with("  help: "), "{}", out.stdout);
    assert_eq!(lines[5], "", "a blank line between findings");
    assert!(out.stdout.contains("\nlevels/warning.js:3:12 R2A202 warning: "));
    assert!(!out.stdout.contains("R2A101"), "info findings only with --verbose");
    assert_eq!(
        out.stderr,
        "checked 1 rule (0 ready, 1 need work); 3 warnings, 0 errors\n"
    );
    let verbose = check(&["--verbose", "levels/warning.js"]);
    assert!(verbose.stdout.contains("levels/warning.js:1:1 R2A101 info:"));
}

#[test]
fn human_format_renders_the_check_commands_own_codes_the_same_way() {
    let out = check(&["suppressions"]);
    let expected = "\
suppressions/rules/suppressed.js:4:22 R2A010 warning: the suppression of R2A202 gives no reason; write `// rules2actions-ignore R2A202: why it does not apply`
  |
4 |   logLogin(context); // rules2actions-ignore R2A202
  |                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  help: ";
    assert!(out.stdout.starts_with(expected), "{}", out.stdout);

    // R2A012 is not in the library's table yet: the same layout all the same.
    let out = check(&["deploy/directory"]);
    let stage = out
        .stdout
        .split("\n\n")
        .find(|finding| finding.contains(" R2A012 "))
        .unwrap_or_else(|| panic!("no R2A012 finding:\n{}", out.stdout));
    let lines: Vec<&str> = stage.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "deploy/directory/rules/password-policy.js:1:1 R2A012 warning: deploy/directory/rules/password-policy.json \
gives this rule the stage user_registration; only login_success rules become post-login Actions",
            "  |",
            "1 | function (ctx, cb) {",
            "  | ^",
        ]
    );
    assert!(lines[4].starts_with("  help: The deploy-cli metadata gives this enabled rule a stage"));
}

#[test]
fn concise_format_prints_one_line_per_finding_in_path_order() {
    let out = check(&["--format", "concise", "mixed", "levels"]);
    assert_eq!(
        without_messages(&out.stdout),
        "\
levels/error.js:2:7 R2A302 error:
levels/warning.js:2:3 R2A205 warning:
levels/warning.js:2:20 R2A205 warning:
levels/warning.js:3:12 R2A202 warning:
mixed/rules/broken.js:2:27 R2A001 error:
mixed/rules/count-visits.js:2:3 R2A205 warning:
mixed/rules/count-visits.js:2:20 R2A205 warning:
mixed/rules/count-visits.js:3:12 R2A202 warning:
"
    );
    let messages: Vec<&str> = out.stdout.lines().map(|l| l.split_once(": ").unwrap().1).collect();
    assert!(messages.iter().all(|m| !m.is_empty() && !m.contains('\n')));
    assert_eq!(out.code, 1);
}

#[test]
fn json_format_is_one_versioned_sorted_document() {
    let out = check(&["--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = json(&out.stdout);
    assert_eq!(doc["version"], rules2actions::json::VERSION);
    assert_eq!(doc["command"], "check");
    let findings = doc["findings"].as_array().unwrap();
    let keys: Vec<(String, u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
                f["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "findings sorted by path, then position");
    let first = &findings[0];
    for field in ["path", "code", "severity", "message", "start", "end", "help"] {
        assert!(first.get(field).is_some(), "finding without {field}: {first}");
    }
    assert!(findings.iter().all(|f| f["severity"] != "info"));

    let summary = &doc["summary"];
    assert_eq!(summary["rules"], 10);
    assert_eq!(summary["ready"], 3);
    assert_eq!(summary["skipped"], 4);
    assert_eq!(summary["disabled"], 2);
    assert_eq!(summary["suppressed"], 3);
    assert_eq!(summary["failures"], 0);
    assert_eq!(summary["errors"].as_u64().unwrap(), 3);
    assert_eq!(summary["warnings"].as_u64().unwrap(), 10);

    let files = doc["files"].as_array().unwrap();
    let status = |path: &str| {
        let file = files
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path} listed"));
        (file["status"].as_str().unwrap().to_string(), file["reason"].clone())
    };
    assert_eq!(status("mixed/rules/require-mfa.js").0, "linted");
    assert_eq!(
        status("mixed/lib/format-name.js"),
        ("skipped".into(), "JavaScript with no rule function".into())
    );
    assert_eq!(status("mixed/lib/esm-helper.js").0, "skipped");
    assert_eq!(status("mixed/actions/already-an-action.js").1, "already an Action");
    assert_eq!(status("deploy/yaml/rules/old-rule.js").1, "a disabled rule");
    assert!(doc["errors"].as_array().unwrap().is_empty());
}

#[test]
fn github_format_prints_workflow_annotations() {
    let out = check(&["--format", "github", "levels/warning.js", "levels/error.js"]);
    let commands: Vec<&str> = out.stdout.lines().map(|l| l.rsplit_once("::").unwrap().0).collect();
    assert_eq!(
        commands,
        [
            "::error file=levels/error.js,line=2,col=7,endLine=2,endColumn=18,title=R2A302",
            "::warning file=levels/warning.js,line=2,col=3,endLine=2,endColumn=16,title=R2A205",
            "::warning file=levels/warning.js,line=2,col=20,endLine=2,endColumn=33,title=R2A205",
            "::warning file=levels/warning.js,line=3,col=12,endLine=3,endColumn=19,title=R2A202",
        ]
    );
    assert!(out.stdout.lines().all(|l| !l.rsplit_once("::").unwrap().1.is_empty()));

    // Workflow command values are escaped: a file name with a comma or colon stays one property.
    let dir = temp_dir("github");
    std::fs::copy(fixtures().join("levels/error.js"), dir.join("a,b:c.js")).unwrap();
    let out = check_in(&dir, &["--format", "github", "."]);
    assert!(
        out.stdout.starts_with("::error file=a%2Cb%3Ac.js,line=2,col=7,"),
        "{}",
        out.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The OASIS schema's pattern for BCP 47 language tags has a stray `]` and is not a valid
/// ECMA-262 regular expression, so no validator compiles it. It only constrains `language`
/// properties, which `check` never writes; every other keyword is checked.
fn drop_broken_language_pattern(value: &mut Value) {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match value {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str) == Some(BROKEN) {
                map.remove("pattern");
            }
            map.values_mut().for_each(drop_broken_language_pattern);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_broken_language_pattern),
        _ => {}
    }
}

#[test]
fn sarif_format_validates_against_the_sarif_schema() {
    let out = check(&["--format", "sarif", "--verbose", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let sarif = json(&out.stdout);
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let mut schema = json(&std::fs::read_to_string(schema_path).unwrap());
    drop_broken_language_pattern(&mut schema);
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF does not validate:\n{}", errors.join("\n"));
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(
        !validator.is_valid(&broken),
        "the validator rejects what the schema forbids"
    );

    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for info in rules2actions::diagnostics::CODES {
        assert!(ids.contains(&info.id), "{} missing from tool.driver.rules", info.id);
    }
    for local in ["R2A010", "R2A011", "R2A012"] {
        assert!(ids.contains(&local), "{local} missing from tool.driver.rules");
    }
    for rule in rules {
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        assert!(!rule["shortDescription"]["text"].as_str().unwrap().is_empty());
    }
    let results = run["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["level"] == "note"),
        "--verbose includes info findings as notes"
    );
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            Path::new(&fixtures()).join(uri).is_file(),
            "{uri} is a path relative to the working folder"
        );
    }
}

#[test]
fn exit_codes_follow_the_fail_on_level() {
    let cases: &[(&str, &str, i32)] = &[
        ("levels/clean.js", "warning", 0),
        ("levels/clean.js", "error", 0),
        ("levels/warning.js", "warning", 1),
        ("levels/warning.js", "error", 0),
        ("levels/warning.js", "never", 0),
        ("levels/error.js", "warning", 1),
        ("levels/error.js", "error", 1),
        ("levels/error.js", "never", 0),
    ];
    for &(file, level, expected) in cases {
        let out = check(&["--fail-on", level, file]);
        assert_eq!(out.code, expected, "{file} with --fail-on {level}: {}", out.stderr);
    }
    assert_eq!(check(&["levels/warning.js"]).code, 1, "--fail-on defaults to warning");
}

#[test]
fn an_unreadable_path_is_a_tool_failure_but_the_others_are_still_checked() {
    let out = check(&["--format", "concise", "does-not-exist", "levels/error.js"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.contains("levels/error.js:2:7 R2A302"), "{}", out.stdout);
    assert!(
        out.stderr.contains("rules2actions: error: cannot read does-not-exist:"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("1 path could not be checked"), "{}", out.stderr);
    assert_eq!(check(&["--fail-on", "never", "does-not-exist"]).code, 2);
}

#[test]
fn bad_arguments_exit_2() {
    let out = check(&["--fail-on", "sometimes", "."]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--fail-on"), "{}", out.stderr);
    assert_eq!(check(&["--format", "xml", "."]).code, 2);
}

#[test]
fn suppressions_silence_findings_and_report_missing_reasons_and_unused_ones() {
    let out = check(&["--format", "concise", "suppressions"]);
    assert_eq!(
        out.stdout,
        "\
suppressions/rules/suppressed.js:4:22 R2A010 warning: the suppression of R2A202 gives no reason; write `// rules2actions-ignore R2A202: why it does not apply`
suppressions/rules/suppressed.js:5:3 R2A011 warning: no R2A204 finding on line 6 to silence
"
    );
    assert!(out.stderr.contains("; 3 suppressed"), "{}", out.stderr);
    assert_eq!(out.code, 1);

    let dir = temp_dir("suppress");
    write(
        &dir.join("rule.js"),
        b"function (user, context, callback) {\n  // rules2actions-ignore R2A205: a per-instance counter is fine here\n  // rules2actions-ignore R2A202: logLogin only reads the client id\n  logLogin(context, global.visits);\n  callback(null, user, context);\n}\n",
    );
    let out = check_in(&dir, &["--format", "concise", "."]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
    assert!(out.stderr.contains("2 suppressed"), "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gitignored_and_hidden_files_are_not_walked_but_named_files_are_checked() {
    let dir = temp_dir("gitignore");
    let warning = std::fs::read(fixtures().join("levels/warning.js")).unwrap();
    write(&dir.join(".gitignore"), b"build/\n/generated.js\n");
    write(&dir.join("rules/kept.js"), &warning);
    write(&dir.join("build/copy.js"), &warning);
    write(&dir.join("generated.js"), &warning);
    write(&dir.join(".hidden/rule.js"), &warning);
    let out = check_in(&dir, &["--format", "concise", "."]);
    let paths: Vec<&str> = out.stdout.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(paths, ["rules/kept.js"; 3], "{}", out.stdout);

    let named = check_in(&dir, &["--format", "concise", "generated.js"]);
    assert!(named.stdout.starts_with("generated.js:2:3 R2A205"), "{}", named.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_mixed_folder_lints_rules_and_skips_other_files() {
    let dir = temp_dir("mixed");
    copy_dir(&fixtures().join("mixed"), &dir);
    write(&dir.join("rules/logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01");
    write(&dir.join("rules/compiled.js"), b"\0asm\x01\0\0\0 binary\xff\xfe");
    let out = check_in(&dir, &["--format", "concise", "--verbose", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let codes: Vec<String> = out
        .stdout
        .lines()
        .filter(|l| !l.contains(" info: "))
        .map(|l| {
            let mut parts = l.split(' ');
            format!("{} {}", parts.next().unwrap(), parts.next().unwrap())
        })
        .collect();
    assert_eq!(
        codes,
        [
            "rules/broken.js:2:27 R2A001",
            "rules/compiled.js:1:1 R2A004",
            "rules/count-visits.js:2:3 R2A205",
            "rules/count-visits.js:2:20 R2A205",
            "rules/count-visits.js:3:12 R2A202",
        ]
    );
    assert!(!out.stdout.contains("logo.png"));
    for skipped in [
        "skipped actions/already-an-action.js: already an Action",
        "skipped lib/esm-helper.js: an ES module, not a rule",
        "skipped lib/format-name.js: JavaScript with no rule function",
    ] {
        assert!(out.stderr.contains(skipped), "{skipped}\n{}", out.stderr);
    }
    assert!(
        out.stderr
            .ends_with("checked 4 rules (1 ready, 3 need work); skipped 3 files; 3 warnings, 2 errors\n"),
        "{}",
        out.stderr
    );
    let quiet = check_in(&dir, &["."]);
    assert!(
        !quiet.stderr.contains("skipped lib"),
        "the skipped files are listed only with --verbose"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_named_file_is_always_linted() {
    let out = check(&["--format", "concise", "mixed/lib/format-name.js"]);
    assert_eq!(
        without_messages(&out.stdout),
        "mixed/lib/format-name.js:1:1 R2A002 error:\n"
    );
    assert_eq!(out.code, 1);
}

#[test]
fn deploy_cli_exports_mark_disabled_rules_and_other_stages() {
    let out = check(&["--format", "concise", "--verbose", "deploy"]);
    let findings: Vec<&str> = out.stdout.lines().filter(|l| !l.contains(" info: ")).collect();
    assert_eq!(
        without_messages(&findings.join("\n")),
        "\
deploy/directory/rules/config-helper.js:1:1 R2A002 error:
deploy/directory/rules/enabled-rule.js:3:12 R2A202 warning:
deploy/directory/rules/password-policy.js:1:1 R2A012 warning:
"
    );
    assert!(out.stdout.contains(
        "deploy/directory/rules/password-policy.js:1:1 R2A012 warning: deploy/directory/rules/password-policy.json \
gives this rule the stage user_registration; only login_success rules become post-login Actions\n"
    ));
    assert!(out
        .stdout
        .contains("deploy/yaml/rules/add-env-claim.js:2:48 R2A007 info"));
    for skipped in [
        "skipped deploy/directory/rules/disabled-rule.js: a disabled rule",
        "skipped deploy/directory/rules/password-policy.js: a rule of stage user_registration",
        "skipped deploy/yaml/rules/old-rule.js: a disabled rule",
    ] {
        assert!(out.stderr.contains(skipped), "{skipped}\n{}", out.stderr);
    }
}

#[test]
fn two_runs_give_byte_identical_output() {
    for format in ["human", "concise", "json", "github", "sarif"] {
        let first = check(&["--format", format, "--verbose", "."]);
        let second = check(&["--format", format, "--verbose", "."]);
        assert_eq!(first.stdout, second.stdout, "--format {format} differs between runs");
        assert_eq!(
            first.stderr, second.stderr,
            "--format {format} summary differs between runs"
        );
        assert!(!first.stdout.is_empty());
    }
}

#[test]
fn a_run_of_many_files_keeps_path_order_across_batches() {
    // More files than one batch of the engine (128), with a deploy-cli file for each rule.
    let dir = temp_dir("many");
    let warning = std::fs::read(fixtures().join("levels/warning.js")).unwrap();
    let mut expected = String::new();
    for i in 0..300 {
        let name = format!("r{i:03}");
        write(&dir.join(format!("rules/{name}.js")), &warning);
        let enabled = i % 3 != 0;
        write(
            &dir.join(format!("rules/{name}.json")),
            format!(r#"{{"name":"{name}","enabled":{enabled}}}"#).as_bytes(),
        );
        if enabled {
            for position in ["2:3 R2A205", "2:20 R2A205", "3:12 R2A202"] {
                expected.push_str(&format!("rules/{name}.js:{position} warning:\n"));
            }
        }
    }
    let out = check_in(&dir, &["--format", "concise", "."]);
    assert_eq!(without_messages(&out.stdout), expected);
    assert_eq!(
        out.stderr,
        "checked 200 rules (0 ready, 200 need work); skipped 100 files (100 rules disabled); 600 warnings, 0 errors\n"
    );
    let doc = json(&check_in(&dir, &["--format", "json", "."]).stdout);
    assert_eq!(doc["files"].as_array().unwrap().len(), 300);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 600);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deploy_cli_metadata_finds_its_script_however_it_is_spelled() {
    let dir = temp_dir("spelling");
    let warning = std::fs::read(fixtures().join("levels/warning.js")).unwrap();
    write(&dir.join("rules/a.js"), &warning);
    write(
        &dir.join("rules/a.json"),
        br#"{"enabled":false,"script":"./../rules/./a.js"}"#,
    );
    write(&dir.join("other/b.js"), &warning);
    write(
        &dir.join("rules/b.json"),
        br#"{"stage":"pre_user_registration","script":"../other/b.js"}"#,
    );
    #[cfg(unix)]
    {
        write(&dir.join("other/c.js"), &warning);
        std::os::unix::fs::symlink("../other/c.js", dir.join("rules/link.js")).unwrap();
        write(&dir.join("rules/link.json"), br#"{"enabled":false}"#);
    }
    let out = check_in(&dir, &["--format", "concise", "--verbose", "."]);
    assert!(
        out.stderr.contains("skipped rules/a.js: a disabled rule"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("skipped other/b.js: a rule of stage pre_user_registration"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("other/b.js:1:1 R2A012 warning: rules/b.json gives"));
    #[cfg(unix)]
    assert!(
        out.stderr.contains("skipped other/c.js: a disabled rule"),
        "{}",
        out.stderr
    );

    // The same file reached by two paths is linted once.
    let twice = check_in(
        &dir,
        &["--format", "concise", "other", "rules/../other/b.js", "other/b.js"],
    );
    assert_eq!(
        twice.stdout.matches("R2A202").count(),
        1 + usize::from(cfg!(unix)),
        "{}",
        twice.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_an_exports_own_tenant_yaml_marks_rules_disabled() {
    let dir = temp_dir("tenant-only");
    let warning = std::fs::read(fixtures().join("levels/warning.js")).unwrap();
    write(&dir.join("rules/bad.js"), &warning);
    // The issue's case: any YAML with a `rules:` list silenced bad.js.
    write(
        &dir.join("docs/notes.yaml"),
        b"rules: [{script: ../rules/bad.js, enabled: false}]\n",
    );
    let notes = check_in(&dir, &["--format", "concise", "."]);
    assert_eq!(notes.code, 1, "{}", notes.stderr);
    assert!(notes.stdout.contains("rules/bad.js:"), "{}", notes.stdout);

    // A tenant.yaml may not reach out of its own folder either.
    write(
        &dir.join("export/tenant.yaml"),
        b"rules:\n  - name: bad\n    script: ../rules/bad.js\n    enabled: false\n",
    );
    let outside = check_in(&dir, &["--format", "concise", "."]);
    assert_eq!(outside.code, 1, "{}", outside.stderr);
    assert!(outside.stdout.contains("rules/bad.js:"), "{}", outside.stdout);

    // Its own scripts it does describe: tenant.yml is the other spelling deploy-cli reads.
    std::fs::rename(dir.join("rules"), dir.join("export/rules")).unwrap();
    std::fs::remove_file(dir.join("export/tenant.yaml")).unwrap();
    write(
        &dir.join("export/tenant.yml"),
        b"rules:\n  - name: bad\n    script: ./rules/bad.js\n    enabled: false\n",
    );
    let own = check_in(&dir, &["--format", "concise", "--verbose", "."]);
    assert_eq!(own.code, 0, "{}\n{}", own.stdout, own.stderr);
    assert!(
        own.stderr.contains("skipped export/rules/bad.js: a disabled rule"),
        "{}",
        own.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn placeholders_in_metadata_are_read_as_migrate_reads_them() {
    // The issue's case: "1 ready", exit 0, where migrate saw a login_failure rule.
    let dir = temp_dir("placeholders");
    write(
        &dir.join("rules/a.js"),
        &std::fs::read(fixtures().join("levels/clean.js")).unwrap(),
    );
    write(
        &dir.join("rules/a.json"),
        br#"{"enabled": @@A_ENABLED@@, "stage": "login_failure"}"#,
    );
    let out = check_in(&dir, &["--format", "concise", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("rules/a.js:1:1 R2A012 warning: rules/a.json gives this rule the stage login_failure"),
        "{}",
        out.stdout
    );
    assert!(!out.stderr.contains("1 ready"), "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_metadata_is_an_error_and_the_rules_are_still_checked() {
    let dir = temp_dir("bad-metadata");
    let warning = std::fs::read(fixtures().join("levels/warning.js")).unwrap();
    write(&dir.join("rules/a.js"), &warning);
    write(&dir.join("rules/a.json"), b"{\"enabled\": false,");
    let out = check_in(&dir, &["--format", "concise", "."]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("rules/a.json is not valid JSON"), "{}", out.stderr);
    // Whether it is disabled is unknown: it is linted.
    assert!(out.stdout.contains("rules/a.js:"), "{}", out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}
