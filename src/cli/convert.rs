//! `rules2actions convert`: one rule file at a time, a unified diff (or the Action itself, or
//! JSON) on stdout, findings and a summary on stderr.

use super::files::{read_input, same_file, write_atomically};
use super::report::{write_diagnostic, Style};
use super::{use_color, ConvertArgs, Io, OutputFormat, EXIT_CLEAN, EXIT_FAILURE, EXIT_FINDINGS};
use crate::convert::{convert_bytes, Conversion, Status};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::limits::with_large_stack;
use crate::safe_text::printable;
use crate::source::SourceText;
use serde::Serialize;
use similar::{DiffTag, TextDiff, WhitespaceMode};
use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

struct FileResult {
    display: String,
    text: String,
    conversion: Conversion,
}

#[derive(Default)]
struct Tally {
    converted: usize,
    ready: usize,
    unchanged: usize,
    failed: usize,
    warnings: usize,
    errors: usize,
    tool_failures: usize,
    /// Lines of the printed diffs that changed only in whitespace.
    whitespace_only: usize,
}

pub fn run(args: &ConvertArgs, io: &mut Io<'_>) -> io::Result<i32> {
    if args.stdout && args.files.len() != 1 {
        writeln!(
            io.stderr,
            "rules2actions: error: --stdout takes exactly one file; use --write --out-dir for several"
        )?;
        return Ok(EXIT_FAILURE);
    }
    let limits = args.limits.limits();
    let out_style = Style {
        color: use_color(args.color, io.stdout_is_terminal) && args.format == OutputFormat::Diff,
    };
    let err_style = Style {
        color: use_color(args.color, io.stderr_is_terminal),
    };
    let mut tally = Tally::default();
    let mut written = HashSet::new();
    let mut json_files = Vec::new();

    for path in &args.files {
        let display = display_name(path);
        let (bytes, conversion) = match read_input(path, io.stdin, limits.max_file_size as u64) {
            Ok(bytes) => {
                let conversion = with_large_stack(|| convert_bytes(&bytes, &limits));
                (bytes, conversion)
            }
            Err(error) => match error.refusal() {
                Some(refusal) => (Vec::new(), refusal),
                None => {
                    let message = format!("cannot read {display}: {error}");
                    writeln!(io.stderr, "rules2actions: error: {}", printable(&message))?;
                    tally.tool_failures += 1;
                    continue;
                }
            },
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut conversion = conversion;
        if args.prettier {
            format_with_prettier(&mut conversion, path, &text, limits.max_output_size);
        }
        let result = FileResult {
            display,
            text,
            conversion,
        };
        count(&mut tally, &result.conversion);
        report_findings(io.stderr, &err_style, &result, args.verbose)?;

        match (&result.conversion.action, result.conversion.status) {
            (Some(action), Status::Converted) => {
                if args.write {
                    if let Err(message) = write_action(args, path, action, &mut written) {
                        writeln!(io.stderr, "rules2actions: error: {}", printable(&message))?;
                        tally.tool_failures += 1;
                    }
                } else if args.stdout {
                    io.stdout.write_all(action.as_bytes())?;
                } else if args.format == OutputFormat::Diff && !args.check {
                    let escape = io.stdout_is_terminal;
                    let reindented = Reindented::between(&result.text, action);
                    let whitespace = if args.ignore_all_space {
                        WhitespaceMode::IgnoreAll
                    } else {
                        tally.whitespace_only += reindented.new.len();
                        WhitespaceMode::Exact
                    };
                    let diff = Diff {
                        name: &result.display,
                        rule: &result.text,
                        action,
                        whitespace,
                        reindented,
                    };
                    write_diff(io.stdout, &out_style, escape, &diff)?;
                }
            }
            (_, Status::InternalError) => tally.tool_failures += 1,
            _ => {}
        }
        if args.format == OutputFormat::Json {
            json_files.push(JsonFile {
                path: result.display.clone(),
                conversion: result.conversion,
            });
        }
    }

    if args.format == OutputFormat::Json {
        crate::json::write(io.stdout, "convert", &JsonDocument { files: json_files })?;
    }
    write_summary(io.stderr, &err_style, &tally)?;
    if tally.whitespace_only > 0 {
        let lines = if tally.whitespace_only == 1 {
            "line differs"
        } else {
            "lines differ"
        };
        writeln!(
            io.stderr,
            "note: {} changed {lines} only in whitespace (re-indented); -w leaves them out of the diff",
            tally.whitespace_only
        )?;
    }
    Ok(exit_code(args, &tally))
}

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

fn count(tally: &mut Tally, conversion: &Conversion) {
    match conversion.status {
        Status::Converted => tally.converted += 1,
        Status::Unchanged => tally.unchanged += 1,
        Status::Failed | Status::InternalError => tally.failed += 1,
    }
    let warnings = conversion
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let errors = conversion
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if conversion.status == Status::Converted && warnings + errors == 0 {
        tally.ready += 1;
    }
    tally.warnings += warnings;
    tally.errors += errors;
}

fn report_findings(out: &mut dyn Write, style: &Style, result: &FileResult, verbose: bool) -> io::Result<()> {
    for diagnostic in &result.conversion.diagnostics {
        if verbose || diagnostic.severity > Severity::Info {
            write_diagnostic(out, style, &result.display, &result.text, diagnostic)?;
        }
    }
    Ok(())
}

/// With `--prettier`, the Action formatted by the project's own Prettier. When it cannot be, the
/// Action stays as converted and an `R2A017` finding says why.
fn format_with_prettier(conversion: &mut Conversion, rule: &Path, text: &str, max_output: usize) {
    let Some(action) = conversion.action.as_ref() else {
        return;
    };
    if conversion.status != Status::Converted {
        return;
    }
    // Prettier runs where the rule is, to find the project's configuration; stdin has no folder.
    let folder = match rule.parent() {
        Some(parent) if rule != Path::new("-") && !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match crate::prettier::format_action(action, folder, max_output) {
        Ok(formatted) => conversion.action = Some(formatted),
        Err(message) => {
            let message = format!("the Action was kept unformatted: {message}");
            let source = SourceText::new(text);
            conversion
                .diagnostics
                .push(Diagnostic::new(&source, Code::Prettier, 0..0, message));
            conversion.diagnostics.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        }
    }
}

/// A diff to print: from the rule to its Action, comparing whitespace as `whitespace` says.
struct Diff<'a> {
    name: &'a str,
    rule: &'a str,
    action: &'a str,
    whitespace: WhitespaceMode,
    reindented: Reindented,
}

/// The lines (0-based) of the rule and of the Action that differ only in whitespace, pair by
/// pair: lines the conversion re-indented.
#[derive(Default)]
struct Reindented {
    old: HashSet<usize>,
    new: HashSet<usize>,
}

impl Reindented {
    fn between(rule: &str, action: &str) -> Reindented {
        let diff = TextDiff::configure()
            .whitespace_mode(WhitespaceMode::IgnoreAll)
            .diff_lines(rule, action);
        let (old, new) = diff
            .ops()
            .iter()
            .filter(|op| op.tag() == DiffTag::Equal)
            .flat_map(|op| op.old_range().zip(op.new_range()))
            .filter(|&(old, new)| diff.old_slice(old) != diff.new_slice(new))
            .unzip();
        Reindented { old, new }
    }
}

/// Where a unified diff's lines come from: the next line of each side, read from the hunk
/// headers (`@@ -12,7 +15,9 @@`) and advanced by each line.
#[derive(Default)]
struct DiffCursor {
    old: usize,
    new: usize,
}

impl DiffCursor {
    /// Reads a hunk header.
    fn start_hunk(&mut self, header: &str) {
        let start = |sign: char| {
            header
                .split_whitespace()
                .find_map(|part| part.strip_prefix(sign))
                .and_then(|range| range.split(',').next()?.parse::<usize>().ok())
                .map_or(0, |line| line.saturating_sub(1))
        };
        self.old = start('-');
        self.new = start('+');
    }

    /// The line of the rule a `-` line shows.
    fn take_old(&mut self) -> usize {
        self.old += 1;
        self.old - 1
    }

    /// The line of the Action a `+` line shows.
    fn take_new(&mut self) -> usize {
        self.new += 1;
        self.new - 1
    }
}

/// The unified diff from the rule to the Action. On a terminal (`escape`) its lines are made
/// printable; into a pipe or a file it stays byte-exact, for `git apply` and `patch` (unless
/// whitespace is ignored: its context lines are then the Action's, as with `git diff -w`).
fn write_diff(out: &mut dyn Write, style: &Style, escape: bool, diff: &Diff<'_>) -> io::Result<()> {
    let name = diff.name;
    let text = TextDiff::configure()
        .whitespace_mode(diff.whitespace)
        .diff_lines(diff.rule, diff.action)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    let mut cursor = DiffCursor::default();
    for line in text.split_inclusive('\n') {
        let escaped;
        let line = if escape {
            // The line's own ending (`\r\n` in a CRLF file) is layout, not content.
            let content = line.trim_end_matches(['\r', '\n']);
            escaped = format!("{}{}", printable(content), &line[content.len()..]);
            escaped.as_str()
        } else {
            line
        };
        // On a terminal, a line that only moved in indentation is faint: the eye goes to what
        // really changed. (Piped, the diff carries no marks: `git apply` and `patch` read it.)
        let headers = line.starts_with("+++") || line.starts_with("---");
        let colour = match line.as_bytes().first() {
            Some(b'+') if !headers => match diff.reindented.new.contains(&cursor.take_new()) {
                true => "2;32",
                false => "32",
            },
            Some(b'-') if !headers => match diff.reindented.old.contains(&cursor.take_old()) {
                true => "2;31",
                false => "31",
            },
            Some(b'@') => {
                cursor.start_hunk(line);
                "36"
            }
            Some(b' ') => {
                cursor.take_old();
                cursor.take_new();
                "1"
            }
            _ => "1",
        };
        let painted = match style.color {
            true => style.paint(colour, line.trim_end_matches('\n')) + "\n",
            false => line.to_string(),
        };
        out.write_all(painted.as_bytes())?;
    }
    Ok(())
}

/// Where `--write` puts the Action of `rule`.
fn output_path(args: &ConvertArgs, rule: &Path) -> Option<PathBuf> {
    let stem = rule.file_stem()?.to_string_lossy().into_owned();
    Some(match &args.out_dir {
        Some(dir) => dir.join(format!("{stem}.js")),
        None => rule.with_file_name(format!("{stem}.action.js")),
    })
}

fn write_action(args: &ConvertArgs, rule: &Path, action: &str, written: &mut HashSet<PathBuf>) -> Result<(), String> {
    if rule == Path::new("-") {
        return Err("--write needs a file name; standard input has none (use --stdout)".to_string());
    }
    let target = output_path(args, rule).ok_or_else(|| format!("cannot name an output for {}", rule.display()))?;
    if same_file(&target, rule) {
        return Err(format!(
            "{} is the rule itself; it is never overwritten",
            target.display()
        ));
    }
    if !written.insert(target.clone()) {
        return Err(format!(
            "{} was already written by another rule of this run",
            target.display()
        ));
    }
    write_atomically(&target, action.as_bytes(), args.force).map_err(|e| e.to_string())
}

fn write_summary(out: &mut dyn Write, style: &Style, tally: &Tally) -> io::Result<()> {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = vec![format!("{} converted", plural(tally.converted, "rule"))];
    if tally.converted > 0 {
        parts[0].push_str(&format!(
            " ({} ready, {} need review)",
            tally.ready,
            tally.converted - tally.ready
        ));
    }
    if tally.unchanged > 0 {
        parts.push(format!("{} already Actions", tally.unchanged));
    }
    if tally.failed > 0 {
        parts.push(format!("{} could not be converted", plural(tally.failed, "file")));
    }
    parts.push(format!(
        "{}, {}",
        plural(tally.warnings, "warning"),
        plural(tally.errors, "error")
    ));
    writeln!(out, "{}", style.paint("1", &parts.join("; ")))
}

fn exit_code(args: &ConvertArgs, tally: &Tally) -> i32 {
    if tally.tool_failures > 0 {
        EXIT_FAILURE
    } else if tally.failed > 0 || tally.warnings + tally.errors > 0 || (args.check && tally.converted > 0) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

#[derive(Serialize)]
struct JsonDocument {
    files: Vec<JsonFile>,
}

#[derive(Serialize)]
struct JsonFile {
    path: String,
    #[serde(flatten)]
    conversion: Conversion,
}
