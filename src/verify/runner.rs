//! Running the harness: one `node` process per (side, scenario), under a memory limit and a
//! wall-clock limit enforced here as well as inside the harness, so a stuck process never hangs
//! the tool.

use serde_json::Value;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The harness, shipped inside the binary and written to a temporary folder at run time.
pub const HARNESS_JS: &str = include_str!("harness.js");
/// The oldest Node.js major version the harness supports.
pub const MIN_NODE_MAJOR: u32 = 18;
/// The V8 heap limit of every run, in MiB.
pub const MEMORY_LIMIT_MB: u32 = 256;
/// What the harness itself may take beyond a run's `timeout_ms` (its own hard stop).
const HARNESS_MARGIN_MS: u64 = 1500;
/// What a `node` process may take beyond its runs' limits (start-up) before it is killed.
const KILL_MARGIN_MS: u64 = 5000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Rule,
    Action,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Rule => "rule",
            Side::Action => "action",
        }
    }
}

/// What one run produced.
#[derive(Clone, Debug, PartialEq)]
pub enum RunOutput {
    /// The effects document (also for code that hung, crashed or ran out of memory).
    Effects(Value),
    /// The code does not compile, is not a rule, or does not export `onExecutePostLogin`.
    CompileError(String),
    /// The harness could not run (bad scenario, internal failure).
    Failed(String),
}

/// A temporary folder holding the harness, and the `node` to run it with.
pub struct Runtime {
    node: OsString,
    dir: PathBuf,
    harness: PathBuf,
    counter: AtomicUsize,
    pub node_version: String,
}

/// Why the runtime cannot start.
#[derive(Debug)]
pub enum RuntimeError {
    NodeMissing(String),
    NodeTooOld(String),
    Io(io::Error),
}

impl std::fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuntimeError::NodeMissing(detail) => write!(
                f,
                "verify needs Node.js {MIN_NODE_MAJOR} or newer on PATH (or --node PATH): {detail}"
            ),
            RuntimeError::NodeTooOld(version) => {
                write!(f, "verify needs Node.js {MIN_NODE_MAJOR} or newer; found {version}")
            }
            RuntimeError::Io(error) => write!(f, "cannot prepare the verification runtime: {error}"),
        }
    }
}

impl Runtime {
    /// Checks the Node.js version and writes the harness to a fresh temporary folder.
    pub fn new(node: &OsStr) -> Result<Runtime, RuntimeError> {
        let output = Command::new(node)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| RuntimeError::NodeMissing(format!("cannot run {}: {e}", node.to_string_lossy())))?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !output.status.success() {
            return Err(RuntimeError::NodeMissing(format!(
                "{} --version failed",
                node.to_string_lossy()
            )));
        }
        let major = version
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        match major {
            Some(major) if major >= MIN_NODE_MAJOR => {}
            _ => return Err(RuntimeError::NodeTooOld(version)),
        }
        let dir = temp_dir().map_err(RuntimeError::Io)?;
        let harness = dir.join("harness.js");
        let runtime = Runtime {
            node: node.to_os_string(),
            dir,
            harness,
            counter: AtomicUsize::new(0),
            node_version: version,
        };
        std::fs::write(&runtime.harness, HARNESS_JS).map_err(RuntimeError::Io)?;
        Ok(runtime)
    }

    /// Writes code to a file of the runtime's folder, for [`Runtime::run`].
    pub fn write_code(&self, side: Side, code: &str) -> io::Result<PathBuf> {
        let id = self.counter.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{id}.{}.js", side.as_str()));
        std::fs::write(&path, code)?;
        Ok(path)
    }

    /// Runs one side on one scenario. `timeout_ms` is the scenario's own limit.
    pub fn run(&self, side: Side, code: &Path, scenario: &Value, timeout_ms: u64) -> RunOutput {
        let id = self.counter.fetch_add(1, Ordering::Relaxed);
        let scenario_path = self.dir.join(format!("{id}.scenario.json"));
        if let Err(error) = std::fs::write(&scenario_path, scenario.to_string()) {
            return RunOutput::Failed(format!("cannot write the scenario: {error}"));
        }
        let output = self.spawn(
            side,
            code,
            &scenario_path,
            timeout_ms + HARNESS_MARGIN_MS + KILL_MARGIN_MS,
        );
        let _ = std::fs::remove_file(&scenario_path);
        output
    }

    /// Runs several jobs in one `node` process (`harness.js batch`), each in a fresh worker and
    /// vm context, one after the other: the same isolation, without a Node.js start-up per run.
    /// Jobs the batch did not answer (it was killed) are run again one by one.
    pub fn run_batch(&self, jobs: &[Job<'_>]) -> Vec<RunOutput> {
        if jobs.len() <= 1 {
            return jobs
                .iter()
                .map(|j| self.run(j.side, j.code, j.scenario, j.timeout_ms))
                .collect();
        }
        let id = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut files = Vec::new();
        let mut list = Vec::new();
        for (n, job) in jobs.iter().enumerate() {
            let scenario_path = self.dir.join(format!("{id}.{n}.scenario.json"));
            if let Err(error) = std::fs::write(&scenario_path, job.scenario.to_string()) {
                return vec![RunOutput::Failed(format!("cannot write the scenario: {error}")); jobs.len()];
            }
            list.push(serde_json::json!({
                "mode": job.side.as_str(),
                "code_file": job.code.to_string_lossy(),
                "scenario_file": scenario_path.to_string_lossy(),
            }));
            files.push(scenario_path);
        }
        let jobs_path = self.dir.join(format!("{id}.jobs.json"));
        files.push(jobs_path.clone());
        let mut outputs: Vec<Option<RunOutput>> = vec![None; jobs.len()];
        if std::fs::write(&jobs_path, Value::Array(list).to_string()).is_ok() {
            let budget: u64 = jobs.iter().map(|j| j.timeout_ms + HARNESS_MARGIN_MS).sum::<u64>() + KILL_MARGIN_MS;
            let args = [OsStr::new("batch"), jobs_path.as_os_str()];
            if let Ok(Ended::Exited(0, stdout, _)) = self.node(&args, budget) {
                for (slot, line) in outputs.iter_mut().zip(stdout.lines()) {
                    let Ok(line) = serde_json::from_str::<Value>(line) else {
                        break;
                    };
                    let exit = line.get("exit").and_then(Value::as_i64);
                    let result = line.get("result").cloned().unwrap_or(Value::Null);
                    let message = line.get("message").and_then(Value::as_str).unwrap_or("").to_string();
                    *slot = Some(interpret(exit.map(|e| e as i32), &result, &message));
                }
            }
        }
        for file in files {
            let _ = std::fs::remove_file(file);
        }
        outputs
            .into_iter()
            .zip(jobs)
            .map(|(output, job)| output.unwrap_or_else(|| self.run(job.side, job.code, job.scenario, job.timeout_ms)))
            .collect()
    }

    fn spawn(&self, side: Side, code: &Path, scenario: &Path, kill_after_ms: u64) -> RunOutput {
        let args = [OsStr::new(side.as_str()), code.as_os_str(), scenario.as_os_str()];
        let (code, stdout, stderr) = match self.node(&args, kill_after_ms) {
            Ok(Ended::Exited(code, stdout, stderr)) => (code, stdout, stderr),
            Ok(Ended::Killed) => return RunOutput::Effects(killed_effects(kill_after_ms)),
            Err(message) => return RunOutput::Failed(message),
        };
        let first_line = stdout.lines().next().unwrap_or("").trim();
        if code == 0 || code == 3 {
            let value = serde_json::from_str::<Value>(first_line).unwrap_or(Value::Null);
            return interpret(Some(code), &value, &clip(&stdout));
        }
        if stderr.contains("heap out of memory") || stderr.contains("Allocation failed") {
            return RunOutput::Effects(failed_effects("rules2actions verify: out of memory"));
        }
        interpret(Some(code), &Value::Null, stderr.trim())
    }

    /// Runs the harness with `args`, killing it after `kill_after_ms`.
    fn node(&self, args: &[&OsStr], kill_after_ms: u64) -> Result<Ended, String> {
        let mut child = Command::new(&self.node)
            .arg(format!("--max-old-space-size={MEMORY_LIMIT_MB}"))
            .arg(&self.harness)
            .args(args)
            .env_remove("NODE_OPTIONS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot start node: {error}"))?;
        let stdout = child.stdout.take().map(drain);
        let stderr = child.stderr.take().map(drain);
        let deadline = Instant::now() + Duration::from_millis(kill_after_ms);
        let mut pause = Duration::from_millis(1);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(5));
                }
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("waiting for node: {error}"));
                }
            }
        };
        let stdout = stdout.map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        let stderr = stderr.map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        Ok(match status {
            Some(status) => Ended::Exited(status.code().unwrap_or(-1), stdout, stderr),
            None => Ended::Killed,
        })
    }
}

/// One run of a batch.
pub struct Job<'a> {
    pub side: Side,
    pub code: &'a Path,
    pub scenario: &'a Value,
    pub timeout_ms: u64,
}

enum Ended {
    Exited(i32, String, String),
    Killed,
}

/// A run's answer: exit 0 and the effects, exit 3 and `{"compile_error"}`, else a failure.
fn interpret(exit: Option<i32>, result: &Value, message: &str) -> RunOutput {
    match exit {
        Some(0) if result.is_object() => RunOutput::Effects(result.clone()),
        Some(0) => RunOutput::Failed(format!("the harness printed no effects: {}", clip(message))),
        Some(3) => RunOutput::CompileError(
            result
                .get("compile_error")
                .and_then(Value::as_str)
                .map_or_else(|| clip(message), str::to_string),
        ),
        code => RunOutput::Failed(format!(
            "the harness failed (exit {}): {}",
            code.map_or("unknown".to_string(), |c| c.to_string()),
            clip(message)
        )),
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn drain(mut stream: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        // Bounded: the harness prints one line per run, but a broken harness could print more.
        let _ = (&mut stream).take(16 * 1024 * 1024).read_to_end(&mut bytes);
        let _ = io::copy(&mut stream, &mut io::sink());
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(600).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// The effects of a run that ended without an answer: allowed, unfinished, with `error`.
pub fn failed_effects(error: &str) -> Value {
    serde_json::json!({
        "outcome": { "decision": "allow", "message": null }, "finished": false, "error": error, "mfa": null,
        "id_token_claims": {}, "access_token_claims": {}, "scopes": null, "app_metadata": {}, "user_metadata": {},
        "redirect": null, "primary_user": null, "saml": {}, "unsupported": [], "http_requests": [],
    })
}

fn killed_effects(after_ms: u64) -> Value {
    failed_effects(&format!("rules2actions verify: node killed after {after_ms} ms"))
}

/// A fresh, private temporary folder.
fn temp_dir() -> io::Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir();
    for _ in 0..100 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("rules2actions-verify-{}-{n}-{nanos}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::other("cannot create a temporary folder"))
}
