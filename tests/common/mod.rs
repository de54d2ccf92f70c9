//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rules2actions::cli::{run_with, Io};
use rules2actions::Conversion;
use std::path::{Path, PathBuf};

pub fn read_to_string(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The findings of a conversion as the `diagnostics.txt` of a fixture lists them.
pub fn diagnostics_text(conversion: &Conversion) -> String {
    conversion
        .diagnostics
        .iter()
        .map(|d| format!("{}:{} {} {}\n", d.start.line, d.start.column, d.code, d.message))
        .collect()
}

/// The shared corpus of real rules, beside the project.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

/// Every `.js` file under `dir`, sorted.
pub fn js_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "js") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Whether `node` can be run.
pub fn node_available() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `node --check` of the file at `path`: `Err` with what node printed when it does not parse.
pub fn node_check_file(path: &Path) -> Result<(), String> {
    let output = std::process::Command::new("node")
        .arg("--check")
        .arg(path)
        .output()
        .expect("node runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Lines of an Action where a Rules construct (`user`, `context`, `callback`, `configuration`,
/// `auth0`, `UnauthorizedError`) is referred to in a statement that no `// TODO(R2A…)` marks.
pub fn unmarked_leftovers(action: &str) -> Vec<usize> {
    unmarked_leftovers_of(action, "")
}

/// [`unmarked_leftovers`] of the Action converted from `rule`, with the rule's parameter names.
pub fn unmarked_leftovers_of(action: &str, rule: &str) -> Vec<usize> {
    use rules2actions::analysis::leftovers::{leftovers, parameter_names};
    let params = parameter_names(rule);
    let text = action.strip_prefix('\u{feff}').unwrap_or(action);
    let masked = rules2actions::placeholders::mask(text);
    let parsed = rules2actions::parse::parse(&masked.text).expect("an Action parses");
    let source = rules2actions::source::SourceText::new(&masked.text);
    let mut lines: Vec<usize> = leftovers(&masked.text, &parsed, &params)
        .into_iter()
        .filter(|leftover| !leftover.marked)
        .map(|leftover| source.position(leftover.range.start).line as usize)
        .collect();
    lines.dedup();
    lines
}

/// What one in-process run of the CLI gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the CLI in-process with `args` (after the program name), no standard input and no
/// terminal.
pub fn run_cli(args: &[&str]) -> Run {
    let mut stdin: &[u8] = &[];
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut io = Io {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stdout_is_terminal: false,
        stderr_is_terminal: false,
    };
    let argv = std::iter::once("rules2actions").chain(args.iter().copied());
    let code = run_with(argv.map(Into::into), &mut io);
    Run {
        code,
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}
