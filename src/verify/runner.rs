//! Running the harness: one confined `node` process per (side, scenario).
//!
//! The code under test comes from pull requests and runs next to CI secrets, so every run is
//! confined in layers (see README, "Isolation", for what each one does and does not hold):
//! - the environment is emptied (a minimal `PATH` only) and the working directory is the runtime's
//!   private folder;
//! - Node's permission model: reads only of the harness and the packages folder, no writes, no
//!   child processes, no workers, no addons; no code generation from strings and frozen
//!   intrinsics in the harness's realm;
//! - where `unshare` can: new network and PID namespaces (no network; every process of the run
//!   dies with it) and, when started as root, the unprivileged user `nobody`;
//! - an address-space limit, no core files, and a process-count limit when the run is `nobody`;
//! - its own process group, killed whole at the time limit; pipes are no longer read once the
//!   run has ended;
//! - the answer counts only on the line that starts with a per-run token, given on stdin.

use super::compare::Effects;
use serde_json::Value;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The harness, shipped inside the binary and written to a temporary folder at run time.
pub const HARNESS_JS: &str = include_str!("harness.js");
/// The oldest Node.js major version the harness supports.
pub const MIN_NODE_MAJOR: u32 = 18;
/// The V8 heap limit of every run, in MiB.
pub const MEMORY_LIMIT_MB: u32 = 256;
/// The address-space limit of every run. V8 reserves far more virtual memory than it uses; 2 GiB
/// lets Node start with its 256 MiB heap and refuses a second 1 GiB buffer.
pub const ADDRESS_SPACE_LIMIT: u64 = 2 << 30;
/// Tasks (processes and threads) the user `nobody` may have, machine-wide, when runs are switched
/// to it. Not set otherwise: root ignores the limit, and any other user's count includes all of
/// that user's processes, so no value would both let Node start and stop a fork bomb. Node uses
/// about a dozen threads per run.
const TASK_LIMIT: u64 = 1024;
/// What a run may take beyond its `timeout_ms` (Node's start-up, the harness's own stop) before
/// it is killed.
const KILL_MARGIN_MS: u64 = 2500;
/// How long to wait for a run's pipes once it has ended: a process outside the run's group and
/// namespaces that still holds them must not hang verify.
const PIPE_GRACE: Duration = Duration::from_millis(300);
/// The only environment a run gets.
const SAFE_PATH: &str = "/usr/bin:/bin";
/// The user runs are switched to when verify runs as root.
const NOBODY: &str = "65534";

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
    Effects(Box<Effects>),
    /// The code does not compile, is not a rule, or does not export `onExecutePostLogin`.
    CompileError(String),
    /// The harness could not run (bad scenario, internal failure, no answer).
    Failed(String),
}

/// How runs are put in namespaces, found once by trying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Namespaces {
    /// Root: new network and PID namespaces, the run as `nobody`.
    AsNobody,
    /// Not root: a user namespace makes the network and PID namespaces possible.
    InUserNamespace,
    /// `unshare` is missing or not allowed here.
    Unavailable,
}

impl Namespaces {
    fn unshare_args(self) -> &'static [&'static str] {
        match self {
            Namespaces::AsNobody => &[
                "--net",
                "--pid",
                "--fork",
                "--kill-child",
                "--setgid",
                NOBODY,
                "--setuid",
                NOBODY,
            ],
            Namespaces::InUserNamespace => &["--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child"],
            Namespaces::Unavailable => &[],
        }
    }
}

/// A private temporary folder holding the harness, and the confined `node` to run it with.
pub struct Runtime {
    node: PathBuf,
    dir: PathBuf,
    harness: PathBuf,
    counter: AtomicUsize,
    pub node_version: String,
    /// `--permission` (Node >= 22.13) or `--experimental-permission` (Node 20), if Node has one.
    permission_flag: Option<&'static str>,
    unshare: Option<PathBuf>,
    namespaces: Namespaces,
    packages: Option<PathBuf>,
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
    /// Checks the Node.js version, writes the harness to a fresh private folder and finds which
    /// confinement this machine allows.
    pub fn new(node: &OsStr) -> Result<Runtime, RuntimeError> {
        // Runs get a minimal PATH, so `node` is found here, once.
        let node = which::which(node)
            .map_err(|e| RuntimeError::NodeMissing(format!("cannot find {}: {e}", node.to_string_lossy())))?;
        let output = Command::new(&node)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| RuntimeError::NodeMissing(format!("cannot run {}: {e}", node.display())))?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !output.status.success() {
            return Err(RuntimeError::NodeMissing(format!(
                "{} --version failed",
                node.display()
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
        let dir = confine::private_dir().map_err(RuntimeError::Io)?;
        let harness = dir.join("harness.js");
        let mut runtime = Runtime {
            node,
            dir,
            harness,
            counter: AtomicUsize::new(0),
            node_version: version,
            permission_flag: None,
            unshare: None,
            namespaces: Namespaces::Unavailable,
            packages: None,
        };
        confine::write_harness(&runtime.harness, HARNESS_JS).map_err(RuntimeError::Io)?;
        runtime.permission_flag = ["--permission", "--experimental-permission"]
            .into_iter()
            .find(|flag| runtime.succeeds(Command::new(&runtime.node).args([flag, "-e", "0"])));
        runtime.find_namespaces();
        Ok(runtime)
    }

    /// Lets `require` load packages by bare name from `dir` (resolved like a project folder:
    /// `dir/node_modules/<name>`), and nothing else. Without it, packages other than the
    /// harness's stubs and Node's safe built-ins are stubbed.
    pub fn with_packages(mut self, dir: Option<PathBuf>) -> io::Result<Runtime> {
        self.packages = dir.map(|d| d.canonicalize()).transpose()?;
        Ok(self)
    }

    /// Whether each run has its own network namespace (else [`Runtime::network_isolation`] says
    /// so, and the CLI should print it).
    pub fn network_isolated(&self) -> bool {
        self.namespaces != Namespaces::Unavailable
    }

    /// How the network is cut from the code under test, for the CLI to print.
    pub fn network_isolation(&self) -> &'static str {
        match self.namespaces {
            Namespaces::Unavailable => {
                "NOT isolated: unshare is unavailable here, so the code under test could reach the network if it \
                 escaped the harness's stubs"
            }
            _ => "isolated: each run has its own network namespace, with no interface up",
        }
    }

    /// One line per confinement layer, what holds on this machine (for `--verbose` output).
    pub fn isolation(&self) -> Vec<String> {
        let permission = match self.permission_flag {
            Some(flag) => format!("Node permission model ({flag}): reads of the harness and the packages folder only, no writes, child processes, workers or addons"),
            None => format!("NO Node permission model ({} has none; Node 20 or newer has one)", self.node_version),
        };
        let processes = match self.namespaces {
            Namespaces::AsNobody => "PID namespace: every process of a run dies with it; runs as user nobody",
            Namespaces::InUserNamespace => {
                "PID namespace (inside a user namespace): every process of a run dies with it"
            }
            Namespaces::Unavailable => {
                "NO PID namespace: a run's process group is killed, a process that leaves the group is not"
            }
        };
        vec![
            permission,
            format!("network: {}", self.network_isolation()),
            processes.to_string(),
            format!(
                "empty environment, private working folder, {} MiB heap, {} GiB address space, no core files",
                MEMORY_LIMIT_MB,
                ADDRESS_SPACE_LIMIT >> 30
            ),
        ]
    }

    /// Writes code to a file of the runtime's folder, for [`Runtime::run`]. Runs never read it:
    /// the code goes to the harness on stdin.
    pub fn write_code(&self, side: Side, code: &str) -> io::Result<PathBuf> {
        let id = self.counter.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{id}.{}.js", side.as_str()));
        confine::write_private(&path, code)?;
        Ok(path)
    }

    /// Runs one side on one scenario. `timeout_ms` is the scenario's own limit.
    pub fn run(&self, side: Side, code: &Path, scenario: &Value, timeout_ms: u64) -> RunOutput {
        let code = match std::fs::read_to_string(code) {
            Ok(code) => code,
            Err(error) => return RunOutput::Failed(format!("cannot read {}: {error}", code.display())),
        };
        let job = serde_json::json!({
            "mode": side.as_str(), "code": code, "scenario": scenario, "packages": self.packages,
        });
        self.run_job(&job, timeout_ms)
    }

    /// Runs a whole pipeline of one side (every rule in order, or every Action in trigger order)
    /// on one scenario, in one confined run: `steps` are `(name, code)`; `timeout_ms` covers them
    /// all.
    pub fn run_pipeline(&self, side: Side, steps: &[(String, String)], scenario: &Value, timeout_ms: u64) -> RunOutput {
        let steps: Vec<Value> = steps
            .iter()
            .map(|(name, code)| serde_json::json!({ "name": name, "code": code }))
            .collect();
        let job = serde_json::json!({
            "mode": format!("{}_pipeline", side.as_str()), "steps": steps, "scenario": scenario,
            "packages": self.packages,
        });
        self.run_job(&job, timeout_ms)
    }

    /// One confined run of the harness on `job`.
    fn run_job(&self, job: &Value, timeout_ms: u64) -> RunOutput {
        let token = match new_token() {
            Ok(token) => token,
            Err(error) => return RunOutput::Failed(format!("cannot make the run's token: {error}")),
        };
        let input = format!("{token}\n{job}").into_bytes();
        match self.run_node(input, timeout_ms + KILL_MARGIN_MS) {
            Ok(Ended::Exited(stdout, stderr)) => interpret(&token, &stdout, &stderr),
            Ok(Ended::Killed) => RunOutput::Effects(Box::new(Effects::unfinished(&format!(
                "rules2actions verify: timed out after {timeout_ms} ms (code blocked the event loop; node was killed)"
            )))),
            Err(message) => RunOutput::Failed(message),
        }
    }

    /// The confined command that runs the harness.
    fn command(&self) -> Command {
        let mut command = self.confined_node();
        if let Some(flag) = self.permission_flag {
            command.arg(flag).arg(allow_read(&self.harness));
            if let Some(packages) = &self.packages {
                // A folder grants what is under it (Node >= 20.20); also naming `folder/*`
                // trips an assertion in Node 20's permission tree.
                command.arg(allow_read(packages));
            }
        }
        command
            .arg("--disallow-code-generation-from-strings")
            .arg("--frozen-intrinsics")
            .arg("--no-warnings")
            .arg(format!("--max-old-space-size={MEMORY_LIMIT_MB}"))
            .arg(&self.harness);
        command
    }

    /// `node` under the operating system's confinement alone: namespaces, user, limits, process
    /// group, empty environment, private working folder.
    fn confined_node(&self) -> Command {
        let mut command = match (&self.unshare, self.namespaces) {
            (Some(unshare), namespaces) if namespaces != Namespaces::Unavailable => {
                let mut command = Command::new(unshare);
                command.args(namespaces.unshare_args()).arg("--").arg(&self.node);
                command
            }
            _ => Command::new(&self.node),
        };
        command.env_clear().env("PATH", SAFE_PATH).current_dir(&self.dir);
        // The harness's own debug switch, nothing else, crosses over.
        if let Some(debug) = std::env::var_os("R2A_HARNESS_DEBUG") {
            command.env("R2A_HARNESS_DEBUG", debug);
        }
        confine::limits(&mut command, self.namespaces == Namespaces::AsNobody);
        command
    }

    /// Runs the harness with `input` on stdin, killing its whole group after `kill_after_ms`.
    fn run_node(&self, input: Vec<u8>, kill_after_ms: u64) -> Result<Ended, String> {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot start node: {error}"))?;
        // A thread: a run that never reads its stdin must not block this one.
        if let Some(mut stdin) = child.stdin.take() {
            std::thread::spawn(move || stdin.write_all(&input));
        }
        let stdout = child.stdout.take().map(drain);
        let stderr = child.stderr.take().map(drain);
        let killed = confine::wait_or_kill(&mut child, Duration::from_millis(kill_after_ms))
            .map_err(|error| format!("waiting for node: {error}"))?;
        let stdout = stdout.map(Drained::collect).unwrap_or_default();
        let stderr = stderr.map(Drained::collect).unwrap_or_default();
        Ok(if killed {
            Ended::Killed
        } else {
            Ended::Exited(stdout, stderr)
        })
    }

    fn succeeds(&self, command: &mut Command) -> bool {
        command
            .env_clear()
            .env("PATH", SAFE_PATH)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The first of the namespace setups that works here, by checking the harness's syntax in it:
    /// `nobody` must be able to reach the harness (a private TMPDIR would stop it).
    fn find_namespaces(&mut self) {
        let Some(unshare) = ["/usr/bin/unshare", "/bin/unshare"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
        else {
            return;
        };
        let candidates: &[Namespaces] = if confine::is_root() {
            &[Namespaces::AsNobody, Namespaces::InUserNamespace]
        } else {
            &[Namespaces::InUserNamespace]
        };
        for &namespaces in candidates {
            let mut probe = Command::new(&unshare);
            probe
                .args(namespaces.unshare_args())
                .arg("--")
                .arg(&self.node)
                .arg("--check")
                .arg(&self.harness)
                .current_dir(&self.dir);
            if self.succeeds(&mut probe) {
                self.unshare = Some(unshare);
                self.namespaces = namespaces;
                return;
            }
        }
    }
}

fn allow_read(path: &Path) -> OsString {
    let mut flag = OsString::from("--allow-fs-read=");
    flag.push(path);
    flag
}

/// 128 random bits, hex: what the harness's answer line must start with.
fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

enum Ended {
    Exited(String, String),
    Killed,
}

/// The answer of a run: the one stdout line that starts with the run's token. Whatever else the
/// run printed is ignored: only the harness knows the token.
fn interpret(token: &str, stdout: &str, stderr: &str) -> RunOutput {
    let answer = stdout
        .lines()
        .find_map(|line| line.strip_prefix(token)?.strip_prefix(' '))
        .and_then(|body| serde_json::from_str::<Value>(body).ok());
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    match answer {
        Some(mut body) if body.get("effects").is_some() => match serde_json::from_value(body["effects"].take()) {
            Ok(effects) => RunOutput::Effects(Box::new(effects)),
            Err(error) => RunOutput::Failed(format!("the harness answered effects of another shape: {error}")),
        },
        Some(body) if text(&body, "compile_error").is_some() => {
            RunOutput::CompileError(text(&body, "compile_error").unwrap_or_default())
        }
        Some(body) if text(&body, "failure").is_some() => RunOutput::Failed(format!(
            "the harness failed: {}",
            clip(&text(&body, "failure").unwrap_or_default())
        )),
        _ if stderr.contains("heap out of memory") || stderr.contains("Allocation failed") => {
            RunOutput::Effects(Box::new(Effects::unfinished("rules2actions verify: out of memory")))
        }
        _ => RunOutput::Failed(format!("the harness gave no answer: {}", clip(stderr.trim()))),
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A pipe read on its own thread into a shared buffer (at most 16 MiB are kept).
struct Drained {
    bytes: Arc<Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

fn drain(mut stream: impl Read + Send + 'static) -> Drained {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let (tell, done) = std::sync::mpsc::channel();
    let shared = Arc::clone(&bytes);
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n @ 1..) = stream.read(&mut chunk) {
            let mut kept = shared.lock().unwrap_or_else(|e| e.into_inner());
            let room = (16usize << 20).saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..n.min(room)]);
        }
        let _ = tell.send(());
    });
    Drained { bytes, done }
}

impl Drained {
    /// What was read, once the pipe closed or [`PIPE_GRACE`] after the run ended.
    fn collect(self) -> String {
        let _ = self.done.recv_timeout(PIPE_GRACE);
        let bytes = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(600).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// What the operating system confines: folder modes, limits, the process group.
#[cfg(unix)]
mod confine {
    use std::fs::{DirBuilder, OpenOptions};
    use std::io::{self, Write};
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    use std::os::unix::process::CommandExt;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command};
    use std::time::{Duration, Instant};

    pub fn is_root() -> bool {
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() == 0 }
    }

    /// A fresh folder only its owner can list or write. Root runs `node` as nobody, which must
    /// reach the harness by name: 0711 then, else 0700.
    pub fn private_dir() -> io::Result<PathBuf> {
        super::fresh_dir(private_dir_at)
    }

    pub fn private_dir_at(dir: &Path) -> io::Result<()> {
        DirBuilder::new()
            .mode(if is_root() { 0o711 } else { 0o700 })
            .create(dir)
    }

    /// The harness: readable by the run (nobody, when root), writable by no run.
    pub fn write_harness(path: &Path, text: &str) -> io::Result<()> {
        write(path, text, if is_root() { 0o444 } else { 0o400 })
    }

    /// A file only its owner reads (code, which runs receive on stdin).
    pub fn write_private(path: &Path, text: &str) -> io::Result<()> {
        write(path, text, 0o600)
    }

    fn write(path: &Path, text: &str, mode: u32) -> io::Result<()> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)?
            .write_all(text.as_bytes())
    }

    /// Its own process group, and the limits, set between fork and exec. `limit_tasks`: the run
    /// is switched to `nobody` (see [`super::TASK_LIMIT`]).
    pub fn limits(command: &mut Command, limit_tasks: bool) {
        command.process_group(0);
        let limits = [
            (libc::RLIMIT_AS, super::ADDRESS_SPACE_LIMIT),
            (libc::RLIMIT_CORE, 0),
            (
                libc::RLIMIT_NPROC,
                if limit_tasks {
                    super::TASK_LIMIT
                } else {
                    libc::RLIM_INFINITY
                },
            ),
        ];
        // SAFETY: the closure only makes system calls (setrlimit, close_range), which are
        // async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                close_inherited_at_exec();
                for (resource, value) in limits {
                    if value == libc::RLIM_INFINITY {
                        continue;
                    }
                    let limit = libc::rlimit {
                        rlim_cur: value,
                        rlim_max: value,
                    };
                    if libc::setrlimit(resource, &limit) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }

    /// Descriptors verify inherited without close-on-exec (a CI runner's pipes, say) must not
    /// reach the run: the permission model does not check reads and writes through a descriptor.
    /// Best effort: Linux 5.11 or newer.
    fn close_inherited_at_exec() {
        #[cfg(target_os = "linux")]
        // SAFETY: close_range only changes descriptor flags.
        unsafe {
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC);
        }
    }

    /// Waits for the run to end or for `limit`; returns whether it was killed. Either way its
    /// whole process group is killed while the leader is not yet reaped, so the group id cannot
    /// have been reused by then.
    pub fn wait_or_kill(child: &mut Child, limit: Duration) -> io::Result<bool> {
        let deadline = Instant::now() + limit;
        let pid = child.id() as libc::pid_t;
        let mut pause = Duration::from_millis(1);
        let killed = loop {
            if ended(pid)? {
                break false;
            }
            if Instant::now() >= deadline {
                break true;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(5));
        };
        // SAFETY: kill has no memory preconditions; -pid names the run's own group.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        child.wait()?;
        Ok(killed)
    }

    /// Whether the process has exited, without reaping it.
    fn ended(pid: libc::pid_t) -> io::Result<bool> {
        // SAFETY: a zeroed siginfo_t is a valid out-parameter for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        // SAFETY: `info` is valid for writes; `pid` is our unreaped child.
        if unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: waitid filled `info` (or left it zeroed: pid 0, still running).
        Ok(unsafe { info.si_pid() } != 0)
    }
}

/// Elsewhere: no namespaces, no limits; the run is killed at its limit.
#[cfg(not(unix))]
mod confine {
    use std::io;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command};
    use std::time::{Duration, Instant};

    pub fn is_root() -> bool {
        false
    }
    pub fn private_dir() -> io::Result<PathBuf> {
        super::fresh_dir(|dir| std::fs::create_dir(dir))
    }
    pub fn write_harness(path: &Path, text: &str) -> io::Result<()> {
        std::fs::write(path, text)
    }
    pub fn write_private(path: &Path, text: &str) -> io::Result<()> {
        std::fs::write(path, text)
    }
    pub fn limits(_: &mut Command, _: bool) {}
    pub fn wait_or_kill(child: &mut Child, limit: Duration) -> io::Result<bool> {
        let deadline = Instant::now() + limit;
        loop {
            if child.try_wait()?.is_some() {
                return Ok(false);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                child.wait()?;
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A fresh folder under the system's temporary folder, made by `create`.
fn fresh_dir(create: impl Fn(&Path) -> io::Result<()>) -> io::Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir();
    for _ in 0..100 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("rules2actions-verify-{}-{n}-{nanos}", std::process::id()));
        match create(&dir) {
            Ok(()) => return Ok(dir),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::other("cannot create a temporary folder"))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Instant;

    #[test]
    fn only_the_line_that_starts_with_the_token_is_the_answer() {
        let token = "0123456789abcdef0123456789abcdef";
        let forged = format!("{} {{\"effects\": {{\"forged\": true}}}}\n", "f".repeat(32));
        let effects = Effects::unfinished("the real one");
        let real = format!("{token} {}\n", serde_json::json!({ "effects": effects }));
        let output = interpret(token, &format!("{forged}{real}{forged}"), "");
        assert_eq!(output, RunOutput::Effects(Box::new(effects)));
        assert!(matches!(interpret(token, &forged, ""), RunOutput::Failed(_)));
        let glued = format!("junk{real}");
        assert!(matches!(interpret(token, &glued, ""), RunOutput::Failed(_)));
        let compile = format!("{token} {{\"compile_error\": \"x\"}}\n");
        assert_eq!(interpret(token, &compile, ""), RunOutput::CompileError("x".into()));
    }

    #[test]
    fn tokens_are_fresh_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert!(a.len() == 32 && a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    /// A run whose process leaves its group (setsid) and keeps the pipes open: the run still ends
    /// at its limit and its pipes are given up after the grace.
    #[test]
    fn a_process_that_leaves_the_group_does_not_hang_the_run() {
        let mut command = Command::new("/bin/sh");
        command
            .args(["-c", "setsid sleep 37 & echo $!; sleep 37"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        confine::limits(&mut command, false);
        let mut child = command.spawn().unwrap();
        let stdout = drain(child.stdout.take().unwrap());
        let started = Instant::now();
        assert!(confine::wait_or_kill(&mut child, Duration::from_millis(300)).unwrap());
        let printed = stdout.collect();
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        if let Ok(pid) = printed.trim().parse::<i32>() {
            // SAFETY: kill has no memory preconditions; the pid is the sleep this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }

    /// Below the permission model: a plain `node -e` under the operating system's confinement.
    #[test]
    fn the_operating_system_confines_a_run_without_the_permission_model() {
        let Ok(runtime) = Runtime::new("node".as_ref()) else {
            eprintln!("note: skipped: Node.js is not on PATH");
            return;
        };
        let canary_dir = std::env::temp_dir().join(format!("r2a-os-canary-{}", std::process::id()));
        confine::private_dir_at(&canary_dir).unwrap();
        let canary = canary_dir.join("canary.txt");
        confine::write_private(&canary, "secret").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let script = format!(
            "const out = {{ env: Object.keys(process.env) }};
            try {{ require('fs').readFileSync({canary:?}); out.file = 'read'; }} catch (e) {{ out.file = e.code; }}
            const held = [];
            try {{ for (let i = 0; i < 6; i++) held.push(Buffer.alloc(1 << 30)); }} catch (e) {{}}
            out.gib = held.length;
            require('child_process').spawn('/bin/sleep', ['41.5'], {{ detached: true, stdio: 'inherit' }}).unref();
            const s = require('net').connect({port}, '127.0.0.1');
            const done = (net) => {{ out.net = net; console.log(JSON.stringify(out)); process.exit(0); }};
            s.on('connect', () => done('connected')); s.on('error', (e) => done(e.code));",
            canary = canary.display().to_string(),
            port = listener.local_addr().unwrap().port(),
        );
        // A descriptor of the canary without close-on-exec, as a careless parent would leave it; a
        // high number, which Node does not reuse for its own descriptors.
        let path = std::ffi::CString::new(canary.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; both descriptors are closed below.
        let leaked = unsafe {
            let fd = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            let leaked = libc::dup2(fd, 900); // dup2 clears close-on-exec
            libc::close(fd);
            leaked
        };
        assert_eq!(leaked, 900);
        let script = format!(
            "{script}\ntry {{ out.fd = require('fs').readFileSync({leaked}, 'utf8'); }} catch (e) {{ out.fd = e.code; }}"
        );
        let mut command = runtime.confined_node();
        command
            .args(["-e", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        // SAFETY: `leaked` is this test's own descriptor.
        unsafe { libc::close(leaked) };
        let (stdout, stderr) = (drain(child.stdout.take().unwrap()), drain(child.stderr.take().unwrap()));
        let started = Instant::now();
        let killed = confine::wait_or_kill(&mut child, Duration::from_secs(20)).unwrap();
        let (stdout, stderr) = (stdout.collect(), stderr.collect());
        assert!(
            !killed && started.elapsed() < Duration::from_secs(10),
            "{stdout}{stderr}"
        );
        let out: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
        eprintln!("confined node: {out}");
        assert_eq!(out["env"], serde_json::json!(["PATH"]));
        assert!(out["gib"].as_u64().is_some_and(|n| n <= 1), "{out}");
        assert_eq!(out["fd"], "EBADF", "{out}");
        if runtime.network_isolated() {
            assert_ne!(out["net"], "connected", "{out}");
            assert!(listener.accept().is_err());
            // The detached sleep died with the run's PID namespace.
            std::thread::sleep(Duration::from_millis(200));
            assert!(!running("41.5"), "a process outlived the run");
        }
        if runtime.namespaces == Namespaces::AsNobody {
            assert_eq!(out["file"], "EACCES", "{out}");
        }
        let _ = std::fs::remove_dir_all(&canary_dir);
    }

    /// Whether a live process has `arg` among its arguments.
    fn running(arg: &str) -> bool {
        std::fs::read_dir("/proc").into_iter().flatten().flatten().any(|entry| {
            let status = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let zombie = status.rsplit(") ").next().is_some_and(|rest| rest.starts_with('Z'));
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            !zombie && cmdline.split(|&b| b == 0).any(|part| part == arg.as_bytes())
        })
    }
}
