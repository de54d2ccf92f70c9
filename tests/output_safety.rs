//! Text from a rule never escapes where it is written (issue 15): a data key holding U+2028 stays
//! inside its `// TODO` comment, control characters of file names, messages and source lines do
//! not reach a terminal, a rule name is literal in Terraform; and every command's JSON has the one
//! envelope (issue 12).

mod common;

use common::Run;
use rules2actions::Limits;
use std::path::{Path, PathBuf};
use swc_ecma_ast::{CallExpr, Callee, Expr};
use swc_ecma_visit::{Visit, VisitWith};

fn run(args: &[&str]) -> Run {
    common::run_cli(args)
}

/// A fresh folder for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("r2a-safety-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The names of the functions the code calls (`f(…)` and `….f(…)`).
fn called_names(code: &str) -> Vec<String> {
    struct Calls(Vec<String>);
    impl Visit for Calls {
        fn visit_call_expr(&mut self, call: &CallExpr) {
            if let Callee::Expr(callee) = &call.callee {
                match &**callee {
                    Expr::Ident(ident) => self.0.push(ident.sym.to_string()),
                    Expr::Member(member) => {
                        if let Some(name) = member.prop.as_ident() {
                            self.0.push(name.sym.to_string());
                        }
                    }
                    _ => {}
                }
            }
            call.visit_children_with(self);
        }
    }
    let parsed = rules2actions::parse::parse(code).unwrap_or_else(|e| panic!("{}: {code}", e.message));
    let mut calls = Calls(Vec::new());
    parsed.visit(&mut calls);
    calls.0
}

fn node_check(code: &str, scratch: &Scratch) {
    if !common::node_available() {
        eprintln!("node is not installed: skipping node --check");
        return;
    }
    let file = scratch.path().join("action.js");
    std::fs::write(&file, code).unwrap();
    if let Err(error) = common::node_check_file(&file) {
        panic!("node --check: {error}\n{code}");
    }
}

/// Line terminators and control characters a terminal obeys: none may reach human output.
const UNSAFE: &[char] = &[
    '\u{1b}', '\u{7}', '\u{9b}', '\u{2028}', '\u{2029}', '\u{202e}', '\u{85}', '\r',
];

#[test]
fn a_line_terminator_in_a_data_key_does_not_end_the_todo_comment() {
    let scratch = Scratch::new("todo");
    let payload = r#"require(\"child_process\").execSync(\"id\")//"#;
    for terminator in ["\u{2028}", "\u{2029}", "\\n", "\\r", "\\u2028"] {
        for statement in [
            format!("context.samlConfiguration[\"x{terminator}{payload}\"] = 1;"),
            format!("const geo = context.request.geoip[\"x{terminator}{payload}\"];"),
        ] {
            let rule =
                format!("function (user, context, callback) {{\n  {statement}\n  callback(null, user, context);\n}}\n");
            let conversion = rules2actions::convert(&rule, &Limits::default());
            let action = conversion.action.expect("an Action");
            let todo = action.lines().find(|l| l.contains("// TODO(")).expect("a TODO comment");
            assert!(
                todo.contains("child_process"),
                "the key is shown in the comment: {todo}"
            );
            assert!(!todo.contains(UNSAFE), "{todo:?}");
            let calls = called_names(&action);
            assert!(
                !calls.iter().any(|c| c == "require" || c == "execSync"),
                "the payload became code ({calls:?}):\n{action}"
            );
            node_check(&action, &scratch);
        }
    }
}

/// A rule file whose name and text hold terminal escapes: erase-line, OSC 52 (write the
/// clipboard), a C1 CSI, a right-to-left override and a line separator.
fn hostile_rule(scratch: &Scratch) -> PathBuf {
    let path = scratch.path().join("evil\u{1b}]52;c;aGk=\u{7}\u{202e}.js");
    let rule = "function (user, context, callback) {\n  const e = \"\u{1b}[2K\u{202e}\", x = context.request.geoip[\"k\u{1b}[2K\u{9b}31m\u{2028}\"]; // \u{1b}[2K\u{202e}\n  callback(null, user, context);\n}\n";
    std::fs::write(&path, rule).unwrap();
    path
}

#[test]
fn human_output_never_prints_control_characters() {
    let scratch = Scratch::new("human");
    let rule = hostile_rule(&scratch);
    let rule = rule.to_str().unwrap();
    for args in [
        vec!["check", "--color", "never", scratch.s()],
        vec!["check", "--color", "never", "--format", "concise", scratch.s()],
        vec!["check", "--color", "never", "--format", "github", scratch.s()],
        vec!["check", "--color", "never", "--verbose", rule],
        vec!["convert", "--color", "never", "--check", rule],
    ] {
        let out = run(&args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(!text.contains(UNSAFE), "{args:?} {stream}: {text:?}");
        }
        assert!(
            out.stdout.contains("evil\\x1b]52;c;aGk=\\x07\\u202e.js") || out.stderr.contains("evil\\x1b]52"),
            "{args:?}: the name is shown, escaped: {:?}",
            out.stdout
        );
    }
}

#[test]
fn code_frames_keep_their_carets_under_the_span_when_the_line_is_escaped() {
    let scratch = Scratch::new("frame");
    let rule = hostile_rule(&scratch);
    let out = run(&["convert", "--color", "never", "--check", rule.to_str().unwrap()]);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let source = lines.iter().position(|l| l.starts_with("2 | ")).expect("a frame");
    let (code, carets) = (&lines[source][4..], &lines[source + 1][4..]);
    let start = carets.find('^').unwrap();
    let width = carets.trim_end().len() - start;
    assert!(
        code[..start].contains("\\x1b[2K\\u202e"),
        "escapes before the span: {code}"
    );
    assert_eq!(&code[start..start + width], "context.request", "{code}\n{carets}");
}

#[test]
fn diffs_are_exact_into_a_pipe() {
    let scratch = Scratch::new("diff");
    let rule = hostile_rule(&scratch);
    let out = run(&["convert", "--color", "never", rule.to_str().unwrap()]);
    assert!(
        out.stdout.contains("\u{1b}[2K\u{202e}"),
        "a patch keeps the rule's bytes"
    );
    assert!(!out.stderr.contains(UNSAFE), "{:?}", out.stderr);
}

#[test]
fn verify_prints_names_and_errors_escaped() {
    if !common::node_available() {
        eprintln!("node is not installed: skipping");
        return;
    }
    let scratch = Scratch::new("verify");
    let rule = hostile_rule(&scratch);
    let missing = scratch.path().join("missing\u{1b}[2K.js");
    for file in [&rule, &missing] {
        let out = run(&["verify", "--color", "never", "--jobs", "1", file.to_str().unwrap()]);
        assert!(out.code >= 1, "{}", out.stderr);
        for text in [&out.stdout, &out.stderr] {
            assert!(!text.contains(UNSAFE), "{text:?}");
        }
        assert!(out.stdout.contains("\\x1b"), "{}", out.stdout);
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn every_json_document_has_the_one_envelope_and_structured_findings() {
    let scratch = Scratch::new("json");
    let rule = hostile_rule(&scratch);
    let rule = rule.to_str().unwrap();
    let convert = json(&run(&["convert", "--format", "json", rule]).stdout);
    let check = json(&run(&["check", "--format", "json", rule]).stdout);
    let mut documents = vec![("convert", convert.clone()), ("check", check.clone())];
    let mut findings = vec![
        convert["files"][0]["diagnostics"][0].clone(),
        check["findings"][0].clone(),
    ];
    if common::node_available() {
        let verify = json(&run(&["verify", "--format", "json", "--jobs", "1", rule]).stdout);
        findings.push(verify["files"][0]["conversion_findings"][0].clone());
        documents.push(("verify", verify));
    }
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/exports/directory/input");
    let report = scratch.path().join("report.json");
    let migrated = run(&[
        "migrate",
        export.to_str().unwrap(),
        "--dry-run",
        "--report-json",
        report.to_str().unwrap(),
    ]);
    assert_eq!(migrated.code, 1, "{}", migrated.stderr);
    let migrate = json(&std::fs::read_to_string(&report).unwrap());
    findings.push(
        migrate["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|r| r["diagnostics"].as_array().and_then(|d| d.first()).cloned())
            .unwrap(),
    );
    documents.push(("migrate", migrate));

    for (command, document) in &documents {
        let keys: Vec<&String> = document.as_object().unwrap().keys().collect();
        assert_eq!(document["version"], rules2actions::json::VERSION, "{command}");
        assert_eq!(document["command"], *command);
        assert!(keys.len() > 2, "{command}: {keys:?}");
    }
    for finding in &findings {
        assert!(finding["code"].as_str().unwrap().starts_with("R2A"), "{finding}");
        for field in ["severity", "message", "help"] {
            assert!(finding[field].is_string(), "{field} in {finding}");
        }
        assert!(
            finding["start"]["line"].is_u64() && finding["end"]["column"].is_u64(),
            "{finding}"
        );
    }
}

/// clap's own errors quote the argument they refuse; a hostile file name passed by a shell glob
/// (`check *`) is shown escaped there too.
#[test]
fn argument_errors_show_hostile_arguments_escaped() {
    for args in [
        &["explain", "R2A001", "b\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}.js"][..],
        &["check", "--format", "x\u{1b}[2K"][..],
        &["--\u{9b}2K"][..],
    ] {
        let out = run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains(UNSAFE), "{args:?}: {:?}", out.stderr);
        assert!(!out.stderr.contains('\u{9b}'), "{args:?}: {:?}", out.stderr);
    }
    // clap itself strips terminal escapes from what it quotes, but not a bidirectional override.
    let out = run(&["explain", "R2A001", "evil\u{202e}sj.js"]);
    assert!(out.stderr.contains("'evil\\u202esj.js'"), "{:?}", out.stderr);
}
