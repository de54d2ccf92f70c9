//! `--prettier`: an Action formatted by the project's own Prettier, for teams that format their
//! code. rules2actions never bundles one: the formatting, its version and its configuration are
//! the project's. Prettier gets the Action on stdin as `action.js`, run from the rule's folder so
//! that it finds the project's configuration (`.prettierrc`, `.editorconfig`), with a time limit
//! and an output limit. Whatever goes wrong, the caller keeps the Action as converted.

use crate::parse::validate_script;
use crate::placeholders::{mask, unmask};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// How long Prettier may take on one Action; a cold start takes about a second.
pub const TIME_LIMIT: Duration = Duration::from_secs(30);

/// How much of Prettier's stderr is kept for the message.
const MESSAGE_LIMIT: usize = 2048;

/// How long the pipes are still read once Prettier has ended: a process it started may hold
/// them open.
const PIPE_GRACE: Duration = Duration::from_secs(1);

/// The name Prettier is told the code has, relative to the folder it runs in: it picks the
/// parser (babel) and the configuration that applies.
const STDIN_NAME: &str = "action.js";

/// The Action formatted by the project's Prettier, found from `folder` (the rule's folder), or
/// why it could not be.
pub fn format_action(action: &str, folder: &Path, max_output: usize) -> Result<String, String> {
    let program = find(folder).ok_or_else(|| {
        format!(
            "no Prettier found: looked for node_modules/.bin/prettier in {} and the folders above it, in the current directory and above, and on PATH",
            folder.display()
        )
    })?;
    // Deploy-cli placeholders (`@@KEY@@`) are not JavaScript: Prettier sees their masks.
    let masked = mask(action);
    let formatted = run(&program, folder, &masked.text, max_output, TIME_LIMIT)?;
    validate_script(&formatted).map_err(|error| {
        format!(
            "{} printed code that does not parse: {}",
            program.display(),
            error.message
        )
    })?;
    Ok(unmask(formatted, &masked.placeholders))
}

/// The project's Prettier: `node_modules/.bin/prettier` in `folder` or the nearest folder above
/// it, else in the current directory or above, else `prettier` on PATH.
pub fn find(folder: &Path) -> Option<PathBuf> {
    let current = std::env::current_dir().ok();
    let starts = [std::path::absolute(folder).ok(), current.clone()];
    starts
        .iter()
        .flatten()
        .flat_map(|start| start.ancestors())
        .find_map(|dir| which::which_in("prettier", Some(dir.join("node_modules").join(".bin")), dir).ok())
        .or_else(|| which::which("prettier").ok())
}

/// Runs `program` on `code` from `folder`, for at most `limit`: the formatted code, or what went
/// wrong.
fn run(program: &Path, folder: &Path, code: &str, max_output: usize, limit: Duration) -> Result<String, String> {
    let name = program.display();
    let mut child = Command::new(program)
        .arg("--stdin-filepath")
        .arg(STDIN_NAME)
        .current_dir(folder)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run {name}: {error}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let input = code.to_string();
        // A thread: a Prettier that does not read its stdin must not block this one.
        std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    }
    let stdout = child.stdout.take().map(|pipe| read_bounded(pipe, max_output + 1));
    let stderr = child.stderr.take().map(|pipe| read_bounded(pipe, MESSAGE_LIMIT));
    let status = wait_or_kill(&mut child, limit).map_err(|error| format!("waiting for {name}: {error}"))?;
    let Some(status) = status else {
        return Err(format!(
            "{name} took longer than {} ms and was stopped",
            limit.as_millis()
        ));
    };
    let collect =
        |pipe: Option<Receiver<Vec<u8>>>| pipe.and_then(|p| p.recv_timeout(PIPE_GRACE).ok()).unwrap_or_default();
    let (stdout, stderr) = (collect(stdout), collect(stderr));
    if !status.success() {
        // Its first line says what failed; the code frame after it would quote the Action.
        let said = String::from_utf8_lossy(&stderr);
        let first = said.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("");
        return Err(format!(
            "{name} failed ({status}): {}",
            crate::safe_text::printable(first)
        ));
    }
    if stdout.len() > max_output {
        return Err(format!(
            "{name} printed more than {max_output} bytes (--max-output-size)"
        ));
    }
    String::from_utf8(stdout).map_err(|_| format!("{name} printed text that is not UTF-8"))
}

/// Reads `pipe` on its own thread: at most `limit` bytes are kept, the rest is read and dropped so
/// that the writer never blocks.
fn read_bounded(pipe: impl Read + Send + 'static, limit: usize) -> Receiver<Vec<u8>> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut bounded = pipe.take(limit as u64);
        let _ = bounded.read_to_end(&mut kept);
        let _ = io::copy(&mut bounded.into_inner(), &mut io::sink());
        let _ = send.send(kept);
    });
    receive
}

/// The exit status, or `None` when `limit` passed first (the process is then killed).
fn wait_or_kill(child: &mut Child, limit: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// An executable shell script named `prettier` in a fresh `node_modules/.bin` under a fresh
    /// folder, which is returned.
    fn fake_prettier(name: &str, script: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("r2a-prettier-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let bin = root.join("node_modules").join(".bin");
        std::fs::create_dir_all(&bin).unwrap();
        let program = bin.join("prettier");
        std::fs::write(&program, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        root
    }

    #[test]
    fn finds_the_nearest_project_prettier_above_the_rule() {
        let root = fake_prettier("find", "cat");
        let rules = root.join("tenant").join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        let found = find(&rules).unwrap();
        assert_eq!(found, root.join("node_modules/.bin/prettier"));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_prettier_that_hangs_is_stopped_at_the_time_limit() {
        let root = fake_prettier("hang", "exec sleep 10");
        let program = root.join("node_modules/.bin/prettier");
        let started = Instant::now();
        let error = run(&program, &root, "a;", 1000, Duration::from_millis(200)).unwrap_err();
        assert!(error.contains("took longer than 200 ms"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn output_beyond_the_limit_is_refused_without_blocking_prettier() {
        let root = fake_prettier("flood", "head -c 300000 /dev/zero | tr '\\0' x");
        let program = root.join("node_modules/.bin/prettier");
        let error = run(&program, &root, "a;", 1000, Duration::from_secs(20)).unwrap_err();
        assert!(error.contains("more than 1000 bytes"), "{error}");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_prettier_that_does_not_read_its_input_does_not_block() {
        let root = fake_prettier("deaf", "echo 'x;'");
        let program = root.join("node_modules/.bin/prettier");
        let big = "a;\n".repeat(1 << 20);
        assert_eq!(
            run(&program, &root, &big, 1000, Duration::from_secs(20)).unwrap(),
            "x;\n"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn output_that_is_not_javascript_keeps_the_action() {
        let root = fake_prettier("garbage", "cat >/dev/null; echo 'this is not ) code'");
        let error = format_action("a;\n", &root, 1000).unwrap_err();
        assert!(error.contains("does not parse"), "{error}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
