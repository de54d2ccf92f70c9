//! `rules2actions migrate`: a deploy-cli tenant export (directory or YAML) into post-login Actions,
//! their trigger bindings and a MIGRATION.md report, in the export's own format or as Terraform.
//! The input is only read. The output folder must be new or empty unless `--force`; a new one is
//! filled under a temporary sibling and renamed into place whole, and every file is written through
//! a temporary sibling and a rename, so an interrupted run leaves no half-written file.

use super::files::write_atomically;
use super::{use_color, ColorChoice, Io, LimitArgs, EXIT_CLEAN, EXIT_FAILURE, EXIT_FINDINGS};
use crate::migrate::output::{render, OutputFile};
use crate::migrate::report::{json, markdown, worst};
use crate::migrate::{load, migrate, Format, Migration, Options, RuleStatus};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// The report written into the output folder.
pub const REPORT_FILE: &str = "MIGRATION.md";
/// Exports at least this large get a progress bar (on a terminal).
const PROGRESS_THRESHOLD: usize = 200;
/// At most this many rules are named in the summary on stderr.
const SUMMARY_LINES: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MigrateFormat {
    /// The deploy-cli layout of the input: directory (JSON) or YAML
    DeployCli,
    /// Terraform (auth0/auth0 provider): auth0_action and auth0_trigger_actions resources
    Terraform,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  rules2actions migrate ./tenant-export --out ./tenant-actions\n  rules2actions migrate ./tenant-export --out ./tf --format terraform\n  rules2actions migrate ./tenant-export --dry-run\n\nExit codes: 0 every rule converted with nothing to review, 1 a rule needs review or failed, 2 the tool failed (unreadable export, output refused)."
)]
pub struct MigrateArgs {
    /// The export: a folder with rules/*.json (directory format) or tenant.yaml, or a YAML file
    #[arg(value_name = "EXPORT")]
    input: PathBuf,
    /// Output folder; it must not exist or be empty, unless --force
    #[arg(long, value_name = "DIR", required_unless_present = "dry_run")]
    out: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = MigrateFormat::DeployCli)]
    format: MigrateFormat,
    /// Write nothing: print the report (MIGRATION.md) on stdout
    #[arg(long)]
    dry_run: bool,
    /// Write into an output folder that is not empty, replacing files of the same names
    #[arg(long)]
    force: bool,
    /// Start each Action with `if (api.rules.wasExecuted('<rule id>')) return;` (needs rule ids in the export)
    #[arg(long)]
    was_executed_guard: bool,
    /// Also write the report as JSON to this file (`-` for stdout)
    #[arg(long, value_name = "FILE")]
    report_json: Option<PathBuf>,
    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: &MigrateArgs, io: &mut Io<'_>) -> io::Result<i32> {
    let export = match load(&args.input) {
        Ok(export) => export,
        Err(message) => {
            writeln!(io.stderr, "rules2actions: error: {message}")?;
            return Ok(EXIT_FAILURE);
        }
    };
    if args.report_json.as_deref() == Some(Path::new("-")) && args.dry_run {
        writeln!(
            io.stderr,
            "rules2actions: error: --report-json - and --dry-run both print on stdout; give a file"
        )?;
        return Ok(EXIT_FAILURE);
    }
    let out = match (&args.out, args.dry_run) {
        (Some(out), false) => match check_output(out, &export.root, args.force) {
            Ok(fresh) => Some((out.clone(), fresh)),
            Err(message) => {
                writeln!(io.stderr, "rules2actions: error: {message}")?;
                return Ok(EXIT_FAILURE);
            }
        },
        _ => None,
    };
    if let Some(report) = args.report_json.as_deref().filter(|p| *p != Path::new("-")) {
        if inside(&absolute(report), &absolute(&export.root)) {
            writeln!(
                io.stderr,
                "rules2actions: error: {} is inside the export, which is never modified",
                report.display()
            )?;
            return Ok(EXIT_FAILURE);
        }
    }

    let format = match args.format {
        MigrateFormat::DeployCli => Format::DeployCli,
        MigrateFormat::Terraform => Format::Terraform,
    };
    let options = Options {
        format,
        was_executed_guard: args.was_executed_guard,
        limits: args.limits.limits(),
    };
    let show_progress = io.stderr_is_terminal && export.rules.len() >= PROGRESS_THRESHOLD;
    let migration = with_progress(show_progress, export.rules.len(), |tick| {
        migrate(&export, &options, tick)
    });

    let report = markdown(&migration, format);
    let mut tool_failed = false;
    let mut written = 0;
    match &out {
        None => io.stdout.write_all(report.as_bytes())?,
        Some((out, fresh)) => {
            let mut files = render(&migration, format);
            files.push(OutputFile {
                path: REPORT_FILE.to_string(),
                contents: report.into_bytes(),
            });
            written = files.len();
            if let Err(message) = write_tree(out, *fresh, &files) {
                writeln!(io.stderr, "rules2actions: error: {message}")?;
                tool_failed = true;
            }
        }
    }
    if let Some(path) = &args.report_json {
        let text = json(&migration, format);
        if path == Path::new("-") {
            io.stdout.write_all(text.as_bytes())?;
        } else if let Err(error) = write_atomically(path, text.as_bytes(), true) {
            writeln!(io.stderr, "rules2actions: error: {error}")?;
            tool_failed = true;
        }
    }

    summary(io, args, &migration, out.as_ref().map(|(o, _)| o.as_path()), written)?;
    Ok(if tool_failed {
        EXIT_FAILURE
    } else if migration.clean() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

/// Runs `work` with a progress bar on stderr when asked; `work` gets the per-rule tick.
fn with_progress<T: Send>(show: bool, total: usize, work: impl FnOnce(&(dyn Fn() + Sync)) -> T + Send) -> T {
    let done = AtomicUsize::new(0);
    let finished = AtomicBool::new(false);
    let tick = || {
        done.fetch_add(1, Ordering::Relaxed);
    };
    if !show {
        return work(&tick);
    }
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // The Io's stderr is the terminal here (that is when a bar is shown).
            let mut stderr = std::io::stderr();
            while !finished.load(Ordering::Relaxed) {
                let count = done.load(Ordering::Relaxed).min(total);
                let filled = count * 30 / total.max(1);
                let _ = write!(
                    stderr,
                    "\r  converting [{}{}] {count}/{total} rules",
                    "#".repeat(filled),
                    " ".repeat(30 - filled)
                );
                let _ = stderr.flush();
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        });
        let result = work(&tick);
        finished.store(true, Ordering::Relaxed);
        result
    })
}

/// The path made absolute and free of `.`/`..`, through the part of it that exists.
fn absolute(path: &Path) -> PathBuf {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut existing = path.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut result = canonical;
            for part in rest.iter().rev() {
                result.push(part);
            }
            return normalise(&result);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return normalise(&path),
        }
    }
}

fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn inside(path: &Path, folder: &Path) -> bool {
    path.starts_with(folder)
}

/// Checks the output folder; returns whether it is new (absent or empty).
fn check_output(out: &Path, input_root: &Path, force: bool) -> Result<bool, String> {
    let (out_abs, input_abs) = (absolute(out), absolute(input_root));
    if inside(&out_abs, &input_abs) || inside(&input_abs, &out_abs) {
        return Err(format!(
            "the output folder {} and the export {} overlap; the export is never modified: choose another folder",
            out.display(),
            input_root.display()
        ));
    }
    match std::fs::metadata(out) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(error) => Err(format!("cannot read {}: {error}", out.display())),
        Ok(metadata) if !metadata.is_dir() => Err(format!("{} exists and is not a folder", out.display())),
        Ok(_) => {
            let empty = std::fs::read_dir(out)
                .map_err(|e| format!("cannot read {}: {e}", out.display()))?
                .next()
                .is_none();
            if empty {
                Ok(true)
            } else if force {
                Ok(false)
            } else {
                Err(format!(
                    "the output folder {} is not empty; pass --force to write into it",
                    out.display()
                ))
            }
        }
    }
}

/// Writes each file through a temporary sibling and a rename (into an existing folder).
fn write_files(root: &Path, files: &[OutputFile]) -> Result<(), String> {
    files.par_iter().try_for_each(|file| {
        let path = root.join(&file.path);
        write_atomically(&path, &file.contents, true).map_err(|e| e.to_string())
    })
}

/// Writes the files into a staging folder nobody else sees: the rename of the whole folder is
/// what makes them appear, so each file needs no rename (nor a sync) of its own.
fn write_staged(staging: &Path, files: &[OutputFile]) -> Result<(), String> {
    let folders: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|file| staging.join(&file.path).parent().map(Path::to_path_buf))
        .collect();
    for folder in &folders {
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    files.iter().try_for_each(|file| {
        let path = staging.join(&file.path);
        std::fs::write(&path, &file.contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
    })
}

/// Writes the files. A new folder is filled under a temporary sibling and renamed into place, so
/// it appears whole or not at all; an existing one (with --force) is written file by file.
fn write_tree(out: &Path, fresh: bool, files: &[OutputFile]) -> Result<(), String> {
    if !fresh {
        return write_files(out, files);
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    let staging = out.with_file_name(format!(".{name}.rules2actions-{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))
        .and_then(|()| write_staged(&staging, files))
        .and_then(|()| {
            if out.is_dir() {
                // Empty (checked before): make room for the rename.
                std::fs::remove_dir(out).map_err(|e| format!("cannot replace {}: {e}", out.display()))?;
            }
            std::fs::rename(&staging, out).map_err(|e| format!("cannot create {}: {e}", out.display()))
        });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn summary(
    io: &mut Io<'_>,
    args: &MigrateArgs,
    migration: &Migration,
    out: Option<&Path>,
    written: usize,
) -> io::Result<()> {
    let color = use_color(args.color, io.stderr_is_terminal);
    let paint = |text: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let needing_work = migration.rules.iter().filter(|r| r.status != RuleStatus::Converted);
    for (named, rule) in needing_work.enumerate() {
        if named == SUMMARY_LINES {
            writeln!(io.stderr, "  … see {REPORT_FILE} for the others")?;
            break;
        }
        let (label, code) = match rule.status {
            RuleStatus::Failed => ("failed", "31"),
            _ => ("needs review", "33"),
        };
        let first = rule
            .conversion
            .iter()
            .flat_map(|c| {
                c.diagnostics
                    .iter()
                    .map(|d| (d.severity, format!("{} {}", d.code, d.message)))
            })
            .chain(rule.notes.iter().map(|n| (n.severity, n.message.clone())))
            .filter(|(severity, _)| Some(*severity) == worst(rule))
            .map(|(_, message)| message)
            .next()
            .unwrap_or_default();
        writeln!(io.stderr, "{}: {} ({first})", rule.name, paint(label, code))?;
    }
    let total = migration.rules.len();
    write!(
        io.stderr,
        "{total} rule{}: {} converted, {} need review, {} failed; {} bound to post-login",
        if total == 1 { "" } else { "s" },
        migration.count(RuleStatus::Converted),
        migration.count(RuleStatus::NeedsReview),
        migration.count(RuleStatus::Failed),
        migration.bound().count(),
    )?;
    match out {
        Some(out) => writeln!(io.stderr, "; wrote {written} files to {}", out.display()),
        None => writeln!(io.stderr, " (dry run: nothing written)"),
    }
}
