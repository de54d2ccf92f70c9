//! Hostile input never crashes, hangs or loses data (issue 7). Every case is generated at test time
//! into the system's temporary folder (nothing large is committed) and run through the real binary;
//! each run must end by itself (no signal: a stack overflow aborts with SIGABRT), within a time
//! limit, with the expected exit code and diagnostic code. The crash reproductions the fuzzer found
//! are kept in `fixtures/hostile/*.js` and run here too.

#[path = "hostile/oracle.rs"]
mod oracle;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rules2actions");
/// Far more than any case needs in a debug build; a hang fails the test instead of blocking CI.
const DEADLINE: Duration = Duration::from_secs(60);
/// Levels of nesting in the deep cases: the issue's 100,000.
const DEEP: usize = 100_000;

const RULE: &str = "function (user, context, callback) {\n  if (user.email_verified) {\n    context.idToken['https://example.com/v'] = true;\n  }\n  callback(null, user, context);\n}\n";

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// What the binary reads on its standard input.
enum Input<'a> {
    Nothing,
    Bytes(&'a [u8]),
    /// An endless source (`/dev/zero`), or anything else opened by the test.
    From(Stdio),
}

/// Runs the binary; panics if it is killed by a signal or does not finish before the deadline.
fn run_with(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    run_fed(args, stdin.map_or(Input::Nothing, Input::Bytes), env)
}

fn run_fed(args: &[&str], input: Input<'_>, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(BIN);
    let (stdin, bytes) = match input {
        Input::Nothing => (Stdio::null(), None),
        Input::Bytes(bytes) => (Stdio::piped(), Some(bytes)),
        Input::From(stdio) => (stdio, None),
    };
    command
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("running rules2actions");
    let writer = bytes.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // The binary may stop reading early (a file over the size limit): ignore a broken pipe.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || read_all(stdout));
    let err_reader = std::thread::spawn(move || read_all(stderr));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rules2actions {args:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let stdout = out_reader.join().unwrap();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(
            status.signal().is_none(),
            "rules2actions {args:?} was killed by signal {:?}\n{stderr}",
            status.signal()
        );
    }
    let code = status.code().expect("an exit code");
    // 101 is the exit code of a Rust panic that reached `main`.
    assert!(
        code != 101 && !stderr.contains("overflowed its stack"),
        "rules2actions {args:?} panicked:\n{stderr}"
    );
    Run { code, stdout, stderr }
}

fn run(args: &[&str]) -> Run {
    run_with(args, None, &[])
}

fn read_all(mut reader: impl std::io::Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = reader.read_to_end(&mut bytes);
    bytes
}

/// A fresh folder under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("r2a-hostile-{}-{n}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
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

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Wraps an expression in a rule: `var x = EXPR;` on line 2.
fn rule_with(expression: &str) -> String {
    format!("function (user, context, callback) {{\n  var x = {expression};\n  callback(null, user, context);\n}}\n")
}

/// The issue's deep cases: 100,000 levels of every construct swc recurses on.
fn deep_cases() -> Vec<(&'static str, String)> {
    let n = DEEP;
    vec![
        ("parens", rule_with(&format!("{}1{}", "(".repeat(n), ")".repeat(n)))),
        ("arrays", rule_with(&format!("{}{}", "[".repeat(n), "]".repeat(n)))),
        ("objects", rule_with(&format!("{}1{}", "{a:".repeat(n), "}".repeat(n)))),
        (
            "functions",
            rule_with(&format!("{}1{}", "function(){return ".repeat(n), ";}".repeat(n))),
        ),
        (
            "else-if",
            format!(
                "function (user, context, callback) {{\n  if (a) {{}} {}\n  callback(null, user, context);\n}}\n",
                "else if (a) {} ".repeat(n)
            ),
        ),
        (
            "else-if-unbraced",
            format!(
                "function (user, context, callback) {{\n  if (a) x; {}\n  callback(null, user, context);\n}}\n",
                "else if (a) x; ".repeat(n)
            ),
        ),
        ("binary-chain", rule_with(&vec!["a"; n].join("+"))),
        ("string-concatenation", rule_with(&vec!["'a'"; n].join(" + "))),
        ("member-chain", rule_with(&format!("a{}", ".b".repeat(n)))),
        ("call-chain", rule_with(&format!("a{}", "()".repeat(n)))),
        ("index-chain", rule_with(&format!("a{}", "[0]".repeat(n)))),
        ("optional-chain", rule_with(&format!("a{}", "?.b".repeat(n)))),
        ("arrows", rule_with(&format!("{}1", "()=>".repeat(n)))),
        ("unary", rule_with(&format!("{}a", "!".repeat(n)))),
        ("new", rule_with(&format!("{}a", "new ".repeat(n)))),
        ("conditional", rule_with(&format!("{}c", "a?b:".repeat(n)))),
        ("assignment", rule_with(&format!("{}1", "a=".repeat(n)))),
        (
            "templates",
            rule_with(&format!("{}1{}", "`${".repeat(n), "}`".repeat(n))),
        ),
        (
            "labels",
            format!(
                "function (user, context, callback) {{\n  {}x;\n  callback(null, user, context);\n}}\n",
                (0..n).map(|i| format!("l{i}: ")).collect::<String>()
            ),
        ),
        (
            "unbraced-ifs",
            format!(
                "function (user, context, callback) {{\n  {}x;\n  callback(null, user, context);\n}}\n",
                "if (a) ".repeat(n)
            ),
        ),
    ]
}

/// The `path:line:column CODE` lines of a findings report.
fn has_finding(stderr: &str, path: &Path, code: &str) -> bool {
    let name = s(path);
    stderr
        .lines()
        .any(|line| line.starts_with(name) && line.contains(code) && line[name.len()..].starts_with(':'))
}

#[test]
fn deep_nesting_is_refused_with_a_position_single_file_and_batch() {
    let dir = TempDir::new("deep");
    let good = dir.file("good.js", RULE);
    let mut paths = Vec::new();
    for (name, text) in deep_cases() {
        let path = dir.file(&format!("{name}.js"), &text);
        // One file: R2A005 on line 2, where the nesting starts, and nothing on stdout.
        let single = run(&["convert", "--stdout", s(&path)]);
        assert_eq!(single.code, 1, "{name}: {}", single.stderr);
        let location = format!("{}:2:", s(&path));
        assert!(
            single
                .stderr
                .lines()
                .any(|l| l.starts_with(&location) && l.contains("R2A005")),
            "{name}: no R2A005 at line 2:\n{}",
            single.stderr
        );
        assert!(single.stdout.is_empty(), "{name}: printed an Action");
        paths.push(path);
    }
    // A batch: every deep file refused, the good rule still converted.
    let mut args = vec!["convert", "--check"];
    args.extend(paths.iter().map(|p| s(p)));
    args.push(s(&good));
    let batch = run(&args);
    assert_eq!(batch.code, 1, "{}", batch.stderr);
    for path in &paths {
        assert!(
            has_finding(&batch.stderr, path, "R2A005"),
            "{}:\n{}",
            path.display(),
            batch.stderr
        );
    }
    assert!(batch.stderr.contains("1 rule converted"), "{}", batch.stderr);
    assert!(
        batch
            .stderr
            .contains(&format!("{} files could not be converted", paths.len())),
        "{}",
        batch.stderr
    );
}

#[test]
fn the_nesting_limit_is_adjustable() {
    let dir = TempDir::new("nesting-flag");
    let path = dir.file(
        "nested.js",
        rule_with(&format!("{}1{}", "(".repeat(50), ")".repeat(50))),
    );
    let refused = run(&["convert", "--stdout", "--max-nesting", "20", s(&path)]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("R2A005"), "{}", refused.stderr);
    let accepted = run(&["convert", "--stdout", s(&path)]);
    assert_eq!(accepted.code, 0, "{}", accepted.stderr);
    oracle::assert_parses(&accepted.stdout());
    // Raising the limit past what the stack holds does not let 100,000 levels through: the
    // ceiling (limits::NESTING_CEILING) still refuses them instead of aborting.
    for (name, text) in deep_cases()
        .into_iter()
        .filter(|(name, _)| ["parens", "functions", "arrows"].contains(name))
    {
        let deep = dir.file(&format!("{name}.js"), text);
        let raised = run(&["convert", "--stdout", "--max-nesting", "100000000", s(&deep)]);
        assert_eq!(raised.code, 1, "{name}: {}", raised.stderr);
        assert!(raised.stderr.contains("R2A005"), "{name}: {}", raised.stderr);
    }
}

#[test]
fn deep_nesting_under_check() {
    let dir = TempDir::new("deep-check");
    dir.file("rules/good.js", RULE);
    let cases = deep_cases();
    for (name, text) in &cases {
        dir.file(&format!("rules/{name}.js"), text);
    }
    let root = dir.path().join("rules");
    let check = run(&["check", s(&root), "--format", "concise"]);
    assert_eq!(check.code, 1, "{}\n{}", check.stdout(), check.stderr);
    let report = check.stdout() + &check.stderr;
    assert_eq!(report.matches("R2A005").count(), cases.len(), "{report}");
}

#[test]
fn deep_nesting_under_migrate() {
    let dir = TempDir::new("deep-migrate");
    let export = dir.path().join("export");
    let mut names = vec![("good".to_string(), RULE.to_string())];
    names.extend(
        deep_cases()
            .into_iter()
            .take(6)
            .map(|(name, text)| (name.to_string(), text)),
    );
    for (order, (name, text)) in names.iter().enumerate() {
        dir.file(&format!("export/rules/{name}.js"), text);
        let meta = format!(
            "{{\"name\": \"{name}\", \"enabled\": true, \"order\": {}, \"stage\": \"login_success\", \"script\": \"./{name}.js\"}}",
            order + 1
        );
        dir.file(&format!("export/rules/{name}.json"), meta);
    }
    let out = dir.path().join("out");
    let migrate = run(&["migrate", s(&export), "--out", s(&out)]);
    assert!(migrate.code == 1 || migrate.code == 2, "{}", migrate.stderr);
    let report = migrate.stdout() + &migrate.stderr;
    assert!(report.contains("R2A005"), "{report}");
    // The good rule became an Action; no half-written or temporary file is left behind.
    let written: Vec<String> = walk(&out).iter().map(|p| p.display().to_string()).collect();
    assert!(written.iter().any(|p| p.contains("good")), "{written:?}");
    assert!(!written.iter().any(|p| p.ends_with(".tmp")), "{written:?}");
}

#[test]
fn deep_nesting_under_verify() {
    // verify runs the rule under Node.js and checks for it first.
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("skipped: Node.js is not installed");
        return;
    }
    let dir = TempDir::new("deep-verify");
    let (name, text) = &deep_cases()[0];
    let path = dir.file(&format!("{name}.js"), text);
    let verify = run(&["verify", s(&path)]);
    assert!(verify.code == 1 || verify.code == 2, "{}", verify.stderr);
    let report = verify.stdout() + &verify.stderr;
    assert!(report.contains("R2A005"), "{report}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn a_50_mb_file_is_refused_by_the_size_limit_before_parsing() {
    let dir = TempDir::new("large");
    let mut text = String::from("function (user, context, callback) {\n");
    let line = "  var x = 'padding padding padding padding padding padding padding';\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    text.push_str("  callback(null, user, context);\n}\n");
    let path = dir.file("large.js", &text);
    let started = Instant::now();
    let file = run(&["convert", "--stdout", s(&path)]);
    assert_eq!(file.code, 1, "{}", file.stderr);
    assert!(has_finding(&file.stderr, &path, "R2A006"), "{}", file.stderr);
    assert!(file.stdout.is_empty());
    // From standard input too.
    let stdin = run_with(&["convert", "--stdout", "-"], Some(text.as_bytes()), &[]);
    assert_eq!(stdin.code, 1, "{}", stdin.stderr);
    assert!(stdin.stderr.contains("R2A006"), "{}", stdin.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refusing a large file took {:?}",
        started.elapsed()
    );
    // The limit is a flag: a small rule over a tiny limit is refused, under a large one converted.
    let small = dir.file("small.js", RULE);
    let refused = run(&["convert", "--stdout", "--max-file-size", "10", s(&small)]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("R2A006"), "{}", refused.stderr);
    let accepted = run(&["convert", "--stdout", "--max-file-size", "100000", s(&small)]);
    assert_eq!(accepted.code, 0, "{}", accepted.stderr);
}

/// One file, one expected exit code and diagnostic code (`None`: none at warning level or above).
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    code: i32,
    diagnostic: Option<&'static str>,
}

fn content_cases() -> Vec<Case> {
    let case = |name, bytes: &[u8], code, diagnostic| Case {
        name,
        bytes: bytes.to_vec(),
        code,
        diagnostic,
    };
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..=255u8).cycle().take(4096));
    let latin1 =
        b"function (user, context, callback) {\n  var name = 'Jos\xe9';\n  callback(null, user, context);\n}\n";
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(RULE.as_bytes());
    vec![
        case("empty", b"", 1, Some("R2A003")),
        case("whitespace", b"  \n\t\r\n  ", 1, Some("R2A003")),
        case(
            "only-comments",
            b"// a rule used to be here\n/* and\n   here */\n",
            1,
            Some("R2A003"),
        ),
        case("binary", &png, 1, Some("R2A004")),
        case("nul-byte", b"function (user, context, callback) {\0}", 1, Some("R2A004")),
        case("latin-1", latin1, 1, Some("R2A004")),
        case("utf-16", b"\xff\xfef\0u\0n\0c\0", 1, Some("R2A004")),
        case("bom", &bom, 0, None),
        case("crlf", RULE.replace('\n', "\r\n").as_bytes(), 0, None),
        case("lone-cr", RULE.replace('\n', "\r").as_bytes(), 0, None),
        case(
            "placeholders",
            b"function (user, context, callback) {\n  const domain = '##DOMAIN##';\n  const ids = @@CLIENT_IDS@@;\n  if (ids.indexOf(context.clientID) === -1 && domain) {\n    return callback(null, user, context);\n  }\n  callback(null, user, context);\n}\n",
            0,
            None,
        ),
        case(
            "code-after-the-rule",
            b"function (user, context, callback) {\n  callback(null, user, context);\n}\nconsole.log('after');\n",
            1,
            Some("R2A001"),
        ),
        case(
            "two-rules",
            b"function first(user, context, callback) {\n  callback(null, user, context);\n}\nfunction second(user, context, callback) {\n  callback(null, user, context);\n}\n",
            1,
            Some("R2A008"),
        ),
        case(
            "typescript",
            b"function (user: any, context: any, callback: (e: Error | null) => void): void {\n  callback(null, user, context);\n}\n",
            1,
            Some("R2A015"),
        ),
        case(
            "already-an-action",
            b"exports.onExecutePostLogin = async (event, api) => {\n};\n",
            0,
            None,
        ),
        case("not-a-rule", b"var x = 1;\n", 1, Some("R2A002")),
        case("unbalanced", b"function (user, context, callback) {\n  if (x) {\n", 1, Some("R2A001")),
        case("unterminated-string", b"function (user, context, callback) {\n  var s = 'abc\n}\n", 1, Some("R2A001")),
        case("lone-surrogate-escape", b"function (user, context, callback) {\n  var s = '\\ud800';\n  callback(null, user, context);\n}\n", 0, None),
        case("nbsp-and-line-separators", "function (user, context, callback) {\u{a0}\u{2028}\n  callback(null, user, context);\u{2029}\n}\n".as_bytes(), 0, None),
    ]
}

#[test]
fn size_and_content_cases_get_their_code_and_never_a_panic() {
    let dir = TempDir::new("content");
    let cases = content_cases();
    let mut paths = Vec::new();
    for case in &cases {
        let path = dir.file(&format!("{}.js", case.name), &case.bytes);
        let single = run(&["convert", "--stdout", "--verbose", s(&path)]);
        assert_eq!(single.code, case.code, "{}: {}", case.name, single.stderr);
        if let Some(code) = case.diagnostic {
            assert!(
                has_finding(&single.stderr, &path, code),
                "{}: no {code}:\n{}",
                case.name,
                single.stderr
            );
        }
        if !single.stdout.is_empty() {
            // Whatever is printed is an Action that parses.
            let action = String::from_utf8(single.stdout.clone()).expect("UTF-8 output");
            oracle::assert_parses(&action);
        }
        paths.push(path);
    }
    // All of them in one run: each reported, none stopping the others.
    let mut args = vec!["convert", "--check"];
    args.extend(paths.iter().map(|p| s(p)));
    let batch = run(&args);
    assert_eq!(batch.code, 1, "{}", batch.stderr);
    for (case, path) in cases.iter().zip(&paths) {
        if let Some(code) = case.diagnostic {
            assert!(
                has_finding(&batch.stderr, path, code),
                "{}: {}",
                case.name,
                batch.stderr
            );
        }
    }
}

#[test]
fn bom_and_line_endings_are_kept() {
    let dir = TempDir::new("endings");
    let bom = dir.file("bom.js", format!("\u{feff}{RULE}"));
    let out = run(&["convert", "--stdout", s(&bom)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout().starts_with('\u{feff}'), "the BOM was dropped");
    assert_eq!(out.stdout().matches('\u{feff}').count(), 1);

    let crlf = dir.file("crlf.js", RULE.replace('\n', "\r\n"));
    let out = run(&["convert", "--stdout", s(&crlf)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.stdout();
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "a bare LF in a CRLF file:\n{text:?}"
    );

    let cr = dir.file("cr.js", RULE.replace('\n', "\r"));
    let out = run(&["convert", "--stdout", s(&cr)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout().contains('\n'), "a LF in a CR file:\n{:?}", out.stdout());
}

#[test]
fn placeholders_survive_in_and_outside_strings() {
    let dir = TempDir::new("placeholders");
    let text = "function (user, context, callback) {\n  const domain = '##DOMAIN##';\n  const ids = @@CLIENT_IDS@@;\n  context.idToken['https://##DOMAIN##/ids'] = ids;\n  callback(null, user, context);\n}\n";
    let path = dir.file("placeholders.js", text);
    let out = run(&["convert", "--stdout", "--verbose", s(&path)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(has_finding(&out.stderr, &path, "R2A007"), "{}", out.stderr);
    let action = out.stdout();
    for placeholder in ["'##DOMAIN##'", "@@CLIENT_IDS@@", "https://##DOMAIN##/ids"] {
        assert!(action.contains(placeholder), "{placeholder} lost:\n{action}");
    }
    oracle::assert_parses(&action);
}

#[test]
fn write_never_overwrites_and_never_leaves_a_partial_file() {
    let dir = TempDir::new("write");
    let rules = dir.path().join("rules");
    let a = dir.file("rules/a.js", RULE);
    let other = dir.file("other/a.js", RULE);
    let broken = dir.file("rules/broken.js", "function (user, context, callback) {\n  if (\n}\n");
    let out = dir.path().join("actions");

    // The rule itself is never the output, whatever --out-dir says.
    let onto_itself = run(&["convert", "--write", "--force", "--out-dir", s(&rules), s(&a)]);
    assert_eq!(onto_itself.code, 2, "{}", onto_itself.stderr);
    assert_eq!(std::fs::read_to_string(&a).unwrap(), RULE, "the rule was overwritten");

    // Two rules with the same name in one run: the second is refused, not written over the first.
    let both = run(&["convert", "--write", "--out-dir", s(&out), s(&a), s(&other)]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert!(both.stderr.contains("already written"), "{}", both.stderr);
    let written = out.join("a.js");
    let first = std::fs::read_to_string(&written).unwrap();
    oracle::assert_parses(&first);

    // An existing output is kept without --force, even when the new one would differ.
    std::fs::write(&written, "// mine\n").unwrap();
    let again = run(&["convert", "--write", "--out-dir", s(&out), s(&a)]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "// mine\n");
    let forced = run(&["convert", "--write", "--force", "--out-dir", s(&out), s(&a)]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(std::fs::read_to_string(&written).unwrap(), first);

    // A rule that does not convert writes nothing; no temporary file is ever left behind.
    let failed = run(&["convert", "--write", "--out-dir", s(&out), s(&broken)]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(!out.join("broken.js").exists());
    let files = walk(dir.path());
    assert!(
        !files
            .iter()
            .any(|p| p.file_name().unwrap().to_string_lossy().ends_with(".tmp")),
        "{files:?}"
    );
    // Deep or huge input with --write: refused, nothing written.
    let deep = dir.file("rules/deep.js", &deep_cases()[0].1);
    let refused = run(&["convert", "--write", "--out-dir", s(&out), s(&deep)]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(!out.join("deep.js").exists());
}

#[test]
fn the_crash_reproductions_never_crash() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile");
    let files: Vec<PathBuf> = walk(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    for file in &files {
        // 0 or 1 for a rule; 2 with R2A090 when swc itself panics on it and the panic is caught.
        let single = run(&["convert", "--stdout", s(file)]);
        assert!(single.code <= 2, "{}: {}", file.display(), single.stderr);
        if single.code == 2 {
            assert!(
                single.stderr.contains("R2A090"),
                "{}: {}",
                file.display(),
                single.stderr
            );
            continue;
        }
        if !single.stdout.is_empty() {
            oracle::assert_parses(&String::from_utf8_lossy(&single.stdout));
        }
        // And the invariants of the fuzz target, in-process.
        let bytes = std::fs::read(file).unwrap();
        rules2actions::limits::with_large_stack(|| {
            oracle::check(&bytes, &rules2actions::Limits::default());
        });
    }
}

#[test]
fn output_is_the_same_whatever_the_number_of_threads() {
    let dir = TempDir::new("determinism");
    let mut paths = Vec::new();
    for i in 0..24 {
        let text = match i % 4 {
            0 => RULE.to_string(),
            1 => RULE.replace("email_verified", &format!("app_metadata.f{i}")),
            2 => format!("function (user, context, callback) {{\n  context.multifactor = {{ provider: 'any' }};\n  auth0.users.updateAppMetadata(user.user_id, {{ n: {i} }});\n  callback(null, user, context);\n}}\n"),
            _ => deep_cases()[i % 5].1.clone(),
        };
        paths.push(dir.file(&format!("rules/r{i:02}.js"), text));
    }
    let mut args = vec!["convert", "--format", "json"];
    args.extend(paths.iter().map(|p| s(p)));
    let first = run(&args);
    let second = run(&args);
    assert_eq!(first.stdout, second.stdout, "convert differs between two runs");
    assert_eq!(first.stderr, second.stderr);

    let root = dir.path().join("rules");
    let one = run_with(
        &["check", s(&root), "--format", "json"],
        None,
        &[("RAYON_NUM_THREADS", "1")],
    );
    let many = run_with(
        &["check", s(&root), "--format", "json"],
        None,
        &[("RAYON_NUM_THREADS", "8")],
    );
    assert_eq!(one.code, many.code);
    assert_eq!(one.stdout(), many.stdout(), "check differs between 1 and 8 threads");
}

/// Makes a FIFO that nothing ever writes to: reading it would wait forever.
#[cfg(unix)]
fn fifo(path: &Path) {
    let name = std::ffi::CString::new(s(path)).unwrap();
    // SAFETY: `name` is a valid C string that outlives the call; mkfifo only creates a file.
    let made = unsafe { libc::mkfifo(name.as_ptr(), 0o600) };
    assert_eq!(made, 0, "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_named_as_a_rule_is_refused_unread() {
    let dir = TempDir::new("fifo");
    let pipe = dir.path().join("pipe.js");
    fifo(&pipe);
    let rule = dir.file("ok.js", RULE);
    for input in [pipe.as_path(), Path::new("/dev/zero")] {
        // The run goes on to the next file.
        let convert = run(&["convert", s(input), s(&rule)]);
        assert_eq!(convert.code, 1, "{}", convert.stderr);
        assert!(has_finding(&convert.stderr, input, "R2A016"), "{}", convert.stderr);
        assert!(
            convert.stdout().contains("+exports.onExecutePostLogin"),
            "{}",
            convert.stdout()
        );
        let check = run(&["check", "--format", "concise", s(input), s(&rule)]);
        assert_eq!(check.code, 1, "{}", check.stderr);
        assert!(
            check.stdout().contains(&format!("{}:1:1 R2A016 error", s(input))),
            "{}",
            check.stdout()
        );
    }
    // A walked folder lists regular files only: the FIFO is not even looked at.
    let walked = run(&["check", s(dir.path())]);
    assert_eq!(walked.code, 0, "{}", walked.stderr);

    // An export whose script or metadata is a FIFO.
    let export = dir.path().join("export");
    dir.file("export/rules/a.json", "{}");
    fifo(&export.join("rules/a.js"));
    fifo(&export.join("rules/b.json"));
    let out = dir.path().join("out");
    let migrate = run(&["migrate", s(&export), "--out", s(&out), "--dry-run"]);
    assert_eq!(migrate.code, 1, "{}", migrate.stderr);
    let check = run(&["check", s(&export)]);
    assert_eq!(check.code, 0, "{}", check.stderr);

    // The files verify takes as options are refused unread too (no Node.js needed: refused first).
    for option in ["--action", "--scenarios"] {
        for input in [pipe.as_path(), Path::new("/dev/zero")] {
            let verify = run(&["verify", s(&rule), option, s(input)]);
            assert_eq!(verify.code, 2, "{}", verify.stderr);
            assert!(verify.stderr.contains("not a regular file"), "{}", verify.stderr);
        }
    }
}

#[test]
fn a_sparse_4_gib_file_is_refused_from_its_size() {
    let dir = TempDir::new("sparse");
    let big = dir.path().join("rules/big.js");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    std::fs::File::create(&big).unwrap().set_len(4 << 30).unwrap();
    let started = Instant::now();
    let convert = run(&["convert", s(&big)]);
    assert_eq!(convert.code, 1, "{}", convert.stderr);
    assert!(has_finding(&convert.stderr, &big, "R2A006"), "{}", convert.stderr);
    assert!(convert.stderr.contains("4294967296 bytes"), "{}", convert.stderr);
    let check = run(&["check", "--format", "concise", s(dir.path())]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(
        check.stdout().contains(&format!("{}:1:1 R2A006", s(&big))),
        "{}",
        check.stdout()
    );

    // Metadata has its own, smaller limit: a 1 GiB rules/a.json is not read.
    std::fs::remove_file(&big).unwrap();
    dir.file("rules/a.js", RULE);
    let json = dir.path().join("rules/a.json");
    std::fs::File::create(&json).unwrap().set_len(1 << 30).unwrap();
    let check = run(&["check", s(dir.path())]);
    assert_eq!(check.code, 2, "{}", check.stderr);
    assert!(
        check.stderr.contains("a.json: it is 1073741824 bytes"),
        "{}",
        check.stderr
    );
    let out = dir.path().join("out");
    let migrate = run(&["migrate", s(dir.path()), "--out", s(&out), "--dry-run"]);
    assert_eq!(migrate.code, 1, "{}", migrate.stderr);
    assert!(migrate.stdout().contains("1073741824 bytes"), "{}", migrate.stdout());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refusing sparse files took {:?}",
        started.elapsed()
    );
}

#[cfg(unix)]
#[test]
fn endless_standard_input_is_read_only_to_the_limit() {
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let endless = run_fed(&["convert", "--stdout", "-"], Input::From(Stdio::from(zero)), &[]);
    assert_eq!(endless.code, 1, "{}", endless.stderr);
    assert!(endless.stderr.contains("R2A006"), "{}", endless.stderr);
    assert!(endless.stderr.contains("larger than the limit"), "{}", endless.stderr);
}

#[test]
fn deeply_nested_metadata_is_refused_before_parsing() {
    // 200 KB of brackets: over a minute inside the YAML parser before the nesting scan.
    let n = 100_000;
    let brackets = format!("{}1{}", "[".repeat(n), "]".repeat(n));
    let dir = TempDir::new("yaml-deep");
    dir.file("yaml/rules/a.js", RULE);
    dir.file(
        "yaml/tenant.yaml",
        format!("rules:\n  - name: a\n    script: ./rules/a.js\n    enabled: false\nx: {brackets}\n"),
    );
    dir.file("directory/rules/a.js", RULE);
    dir.file(
        "directory/rules/a.json",
        format!("{{\"enabled\": false, \"x\": {brackets}}}"),
    );
    let started = Instant::now();
    for export in ["yaml", "directory"] {
        let root = dir.path().join(export);
        let check = run(&["check", s(&root)]);
        assert_eq!(check.code, 2, "{export}: {}", check.stderr);
        assert!(check.stderr.contains("nests deeper than 64 levels"), "{}", check.stderr);
        let out = dir.path().join("out");
        let migrate = run(&["migrate", s(&root), "--out", s(&out), "--dry-run"]);
        let report = migrate.stdout() + &migrate.stderr;
        assert!(report.contains("nests deeper than 64 levels"), "{export}: {report}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refusing deep metadata took {:?}",
        started.elapsed()
    );
}

#[test]
fn concurrent_writes_into_one_folder_never_replace_each_other() {
    let dir = TempDir::new("concurrent");
    let out = dir.path().join("actions");
    // Six different rules, all named a.js: each run wants actions/a.js.
    let rules: Vec<PathBuf> = (0..6)
        .map(|i| dir.file(&format!("r{i}/a.js"), RULE.replace("/v'", &format!("/v{i}'"))))
        .collect();
    let actions: Vec<Vec<u8>> = rules
        .iter()
        .map(|rule| run(&["convert", "--stdout", s(rule)]).stdout)
        .collect();
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let started: Vec<_> = rules
            .iter()
            .map(|rule| scope.spawn(|| run(&["convert", "--write", "--out-dir", s(&out), s(rule)])))
            .collect();
        started.into_iter().map(|run| run.join().unwrap()).collect()
    });
    let written: Vec<&Run> = runs.iter().filter(|run| run.code == 0).collect();
    assert_eq!(
        written.len(),
        1,
        "{:?}",
        runs.iter().map(|r| &r.stderr).collect::<Vec<_>>()
    );
    for refused in runs.iter().filter(|run| run.code != 0) {
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(refused.stderr.contains("already exists"), "{}", refused.stderr);
    }
    let kept = std::fs::read(out.join("a.js")).unwrap();
    assert!(actions.contains(&kept), "actions/a.js is none of the Actions whole");
    assert_eq!(walk(&out), vec![out.join("a.js")], "a temporary file was left");
}
