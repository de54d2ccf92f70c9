//! `rules2actions migrate`: a deploy-cli tenant export (directory or YAML) into post-login Actions,
//! their trigger bindings and a MIGRATION.md report, in the export's own format or as Terraform.
//! The input is only read. Every file is checked to parse before any is written. The output folder
//! must be new or empty unless `--force`; a new one is filled under a temporary sibling, synced,
//! and renamed into place whole; into an existing one every file is written through a temporary
//! sibling and a rename, never through a symbolic link. An interrupted run leaves no half-written
//! file, and the summary counts only the files in place.

use super::files::write_atomically;
use super::{use_color, ColorChoice, Io, LimitArgs, EXIT_CLEAN, EXIT_FAILURE, EXIT_FINDINGS};
use crate::diagnostics::{Code, Diagnostic};
use crate::migrate::output::{malformed, render, OutputFile};
use crate::migrate::report::{json, markdown, worst};
use crate::migrate::{load, migrate, Format, Migration, Options, RuleStatus};
use crate::safe_text::printable;
use crate::source::SourceText;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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
    /// Format each Action with the project's own Prettier (node_modules/.bin/prettier in the export's folder or above, else on PATH); if it cannot, the Action is kept unformatted (R2A017)
    #[arg(long)]
    prettier: bool,
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
            print_error(io, &message)?;
            return Ok(EXIT_FAILURE);
        }
    };
    if args.report_json.as_deref() == Some(Path::new("-")) && args.dry_run {
        print_error(io, "--report-json - and --dry-run both print on stdout; give a file")?;
        return Ok(EXIT_FAILURE);
    }
    let out = match (&args.out, args.dry_run) {
        (Some(out), false) => match check_output(out, &export.root, args.force) {
            Ok(fresh) => Some((out.clone(), fresh)),
            Err(message) => {
                print_error(io, &message)?;
                return Ok(EXIT_FAILURE);
            }
        },
        _ => None,
    };
    if let Some(report) = args.report_json.as_deref().filter(|p| *p != Path::new("-")) {
        if inside(&absolute(report), &absolute(&export.root)) {
            let message = format!("{} is inside the export, which is never modified", report.display());
            print_error(io, &message)?;
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
    let mut migration = with_progress(show_progress, export.rules.len(), |tick| {
        migrate(&export, &options, tick)
    });
    if args.prettier {
        format_actions(&mut migration, &export.root, options.limits.max_output_size);
    }

    let report = markdown(&migration, format);
    let mut tool_failed = false;
    let mut written = None;
    match &out {
        None => io.stdout.write_all(report.as_bytes())?,
        Some((out, fresh)) => {
            let mut files = render(&migration, format);
            files.push(OutputFile {
                path: REPORT_FILE.to_string(),
                contents: report.into_bytes(),
            });
            let outcome = write_output(out, *fresh, &files);
            if let Err(message) = &outcome.result {
                print_error(io, message)?;
                tool_failed = true;
            }
            written = Some(outcome);
        }
    }
    if let Some(path) = &args.report_json {
        let text = json(&migration, format);
        if path == Path::new("-") {
            io.stdout.write_all(text.as_bytes())?;
        } else if let Err(error) = write_atomically(path, text.as_bytes(), true) {
            print_error(io, &error.to_string())?;
            tool_failed = true;
        }
    }

    let written = out
        .as_ref()
        .zip(written.as_ref())
        .map(|((out, _), w)| (out.as_path(), w));
    summary(io, args, &migration, written)?;
    Ok(if tool_failed {
        EXIT_FAILURE
    } else if migration.clean() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

/// With `--prettier`, every Action formatted by the project's own Prettier, run from the export's
/// folder, several at a time. An Action it cannot format keeps its code, and its rule is marked
/// for review with an `R2A017` finding.
fn format_actions(migration: &mut Migration, root: &Path, max_output: usize) {
    migration.rules.par_iter_mut().for_each(|rule| {
        let Some(code) = &rule.code else {
            return;
        };
        match crate::prettier::format_action(code, root, max_output) {
            Ok(formatted) => rule.code = Some(formatted),
            Err(message) => {
                let message = format!("the Action was kept unformatted: {message}");
                let finding = Diagnostic::new(&SourceText::new(""), Code::Prettier, 0..0, message);
                if let Some(conversion) = &mut rule.conversion {
                    conversion.diagnostics.push(finding);
                }
                if rule.status == RuleStatus::Converted {
                    rule.status = RuleStatus::NeedsReview;
                }
            }
        }
    });
}

/// Runs `work` with a progress bar on stderr when asked; `work` gets the per-rule tick, which any
/// thread may call. indicatif draws the bar at most a few times a second, taking stderr only
/// while it draws, so the run's own messages are never held up.
fn with_progress<T>(show: bool, total: usize, work: impl FnOnce(&(dyn Fn() + Sync)) -> T) -> T {
    if !show {
        return work(&|| {});
    }
    let style = ProgressStyle::with_template("  converting [{bar:30}] {pos}/{len} rules")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("## ");
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr()).with_style(style);
    let result = work(&|| bar.inc(1));
    bar.finish_and_clear();
    result
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

/// What writing the output did: how many of the files are in place, and the first error.
struct Written {
    files: usize,
    of: usize,
    result: Result<(), String>,
}

/// Checks that every file parses as what it is, then writes them all, or none when a check fails.
fn write_output(out: &Path, fresh: bool, files: &[OutputFile]) -> Written {
    let malformed = malformed(files);
    let (files_written, result) = if let Some(problem) = malformed.first() {
        let more = malformed.len() - 1;
        let more = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        (
            0,
            Err(format!("{problem}{more}: nothing was written (please report this)")),
        )
    } else if fresh {
        match write_new_tree(out, files) {
            Ok(()) => (files.len(), Ok(())),
            Err(message) => (0, Err(message)),
        }
    } else {
        write_into_tree(out, files)
    };
    Written {
        files: files_written,
        of: files.len(),
        result,
    }
}

/// Writes each file into an existing folder (with --force) through a temporary sibling and a
/// rename. Never through a symbolic link: a folder of the tree that is one (`actions ->
/// ../export/rules`) stops the file, which would land outside the output. Returns how many files
/// are in place.
fn write_into_tree(root: &Path, files: &[OutputFile]) -> (usize, Result<(), String>) {
    let done = AtomicUsize::new(0);
    let result = files.par_iter().try_for_each(|file| {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            make_folders(root, parent)?;
        }
        write_atomically(&path, &file.contents, true).map_err(|e| e.to_string())?;
        done.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    (done.into_inner(), result)
}

/// Creates the folders from `root` down to `folder`, refusing any that is a symbolic link.
fn make_folders(root: &Path, folder: &Path) -> Result<(), String> {
    let relative = folder.strip_prefix(root).unwrap_or(folder);
    let mut path = root.to_path_buf();
    for part in relative.components() {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symbolic link: migrate never writes through one; remove it or choose another folder",
                    path.display()
                ))
            }
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => return Err(format!("{} exists and is not a folder", path.display())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => match std::fs::create_dir(&path) {
                Ok(()) => {}
                // Another file of this run made it first.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(format!("cannot create {}: {error}", path.display())),
            },
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        }
    }
    Ok(())
}

/// Writes the files into a staging folder nobody else sees, each synced to the disk: the rename
/// of the whole folder is what makes them appear, and after a power loss it must not show files
/// whose contents never reached the disk.
fn write_staged(staging: &Path, files: &[OutputFile]) -> Result<(), String> {
    let folders: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|file| staging.join(&file.path).parent().map(Path::to_path_buf))
        .collect();
    for folder in &folders {
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    files.par_iter().try_for_each(|file| {
        let path = staging.join(&file.path);
        let write = || -> io::Result<()> {
            let mut handle = std::fs::File::create(&path)?;
            handle.write_all(&file.contents)?;
            handle.sync_all()
        };
        write().map_err(|e| format!("cannot write {}: {e}", path.display()))
    })?;
    folders
        .iter()
        .chain([staging.to_path_buf()].iter())
        .for_each(|f| sync_folder(f));
    Ok(())
}

/// Makes a folder's entries durable. Best effort: not every platform can open a folder to sync.
fn sync_folder(folder: &Path) {
    if let Ok(handle) = std::fs::File::open(folder) {
        let _ = handle.sync_all();
    }
}

/// Writes a new output folder: filled under a temporary sibling and renamed into place, so it
/// appears whole or not at all.
fn write_new_tree(out: &Path, files: &[OutputFile]) -> Result<(), String> {
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
    match &result {
        Ok(()) => sync_folder(
            out.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        ),
        Err(_) => {
            let _ = std::fs::remove_dir_all(&staging);
        }
    }
    result
}

/// An error on stderr; its text may hold names from the export, made printable.
fn print_error(io: &mut Io<'_>, message: &str) -> io::Result<()> {
    writeln!(io.stderr, "rules2actions: error: {}", printable(message))
}

fn summary(
    io: &mut Io<'_>,
    args: &MigrateArgs,
    migration: &Migration,
    written: Option<(&Path, &Written)>,
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
        writeln!(
            io.stderr,
            "{}: {} ({})",
            printable(&rule.name),
            paint(label, code),
            printable(&first)
        )?;
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
    if !migration.inlined.is_empty() {
        let count = migration.inlined.len();
        let plural = if count == 1 { "" } else { "s" };
        write!(io.stderr, "; {count} global definition{plural} inlined")?;
    }
    let out = |path: &Path| printable(&path.display().to_string()).into_owned();
    match written {
        Some((
            path,
            Written {
                files, result: Ok(()), ..
            },
        )) => {
            writeln!(io.stderr, "; wrote {files} files to {}", out(path))
        }
        Some((path, Written { files: 0, .. })) => writeln!(io.stderr, "; wrote nothing to {}", out(path)),
        Some((path, Written { files, of, .. })) => {
            writeln!(io.stderr, "; wrote only {files} of {of} files to {}", out(path))
        }
        None => writeln!(io.stderr, " (dry run: nothing written)"),
    }
}
