//! The command line. `run` takes the arguments and the three standard streams as parameters, so
//! tests drive it in-process; `main` only passes the real ones. Exit codes follow ruff and Biome:
//! 0 nothing to report, 1 findings, 2 the tool failed or was misused.

mod check;
mod convert;
mod explain;
pub mod files;
mod migrate;
pub mod report;
mod verify;

use crate::safe_text::{must_escape, printable_lines};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;

pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_FAILURE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "rules2actions",
    version,
    about = "Convert legacy Auth0 Rules into post-login Actions",
    long_about = "Convert legacy Auth0 Rules (function (user, context, callback) {…}) into post-login Actions \
(exports.onExecutePostLogin = async (event, api) => {…}).\n\nEvery change that needs a human is reported with a \
stable code (see `rules2actions explain`) and marked in the output with a // TODO(R2Axxx) comment.",
    after_help = "Exit codes: 0 nothing to report, 1 findings (a rule needs work, or --check found a change), 2 the tool failed or was misused."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Convert rule files into Actions and show the change as a unified diff
    Convert(ConvertArgs),
    /// Lint every rule of a repository: what converts automatically and what needs a human
    Check(check::CheckArgs),
    /// Convert a whole deploy-cli tenant export into deployable Actions and trigger bindings
    Migrate(migrate::MigrateArgs),
    /// Run a rule and its Action side by side on login scenarios and compare what they do
    Verify(verify::VerifyArgs),
    /// Explain a diagnostic code, or list every code
    Explain(ExplainArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct LimitArgs {
    /// Largest file accepted, in bytes
    #[arg(long, default_value_t = crate::Limits::default().max_file_size, value_name = "BYTES")]
    max_file_size: usize,
    /// Deepest nesting accepted: brackets, plus the links of operator, member, call and else-if chains (at most 10000)
    #[arg(long, default_value_t = crate::Limits::default().max_nesting, value_name = "LEVELS")]
    max_nesting: usize,
    /// Largest Action produced, in bytes; a larger one is reported, not printed or written
    #[arg(long, default_value_t = crate::Limits::default().max_output_size, value_name = "BYTES")]
    max_output_size: usize,
}

impl LimitArgs {
    fn limits(&self) -> crate::Limits {
        crate::Limits {
            max_file_size: self.max_file_size,
            max_nesting: self.max_nesting,
            max_output_size: self.max_output_size,
        }
    }
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  rules2actions convert rules/require-mfa.js\n  rules2actions convert --stdout rules/require-mfa.js > action.js\n  rules2actions convert --write --out-dir actions rules/*.js\n  cat rule.js | rules2actions convert -\n  rules2actions convert --check rules/*.js"
)]
pub struct ConvertArgs {
    /// Rule files to convert; `-` reads standard input
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print only the Action's code (one file)
    #[arg(long, conflicts_with_all = ["write", "check"])]
    stdout: bool,
    /// Write each Action to a file: <out-dir>/<rule name>.js, or <rule name>.action.js beside the rule
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Folder for the written Actions (with --write)
    #[arg(long, value_name = "DIR", requires = "write")]
    out_dir: Option<PathBuf>,
    /// Replace Action files that already exist (with --write)
    #[arg(long, requires = "write")]
    force: bool,
    /// Print nothing but the findings; exit 1 if a file would change or needs work
    #[arg(long)]
    check: bool,
    /// Output format of the results on stdout
    #[arg(long, value_enum, default_value_t = OutputFormat::Diff)]
    format: OutputFormat,
    /// Also list the rewrites applied (info-level findings)
    #[arg(short, long)]
    verbose: bool,
    /// In the diff, ignore whitespace when comparing lines, like `git diff -w`: re-indented lines show as context, with the Action's indentation (for reading; such a diff no longer applies)
    #[arg(short = 'w', long)]
    ignore_all_space: bool,
    /// Format each Action with the project's own Prettier (node_modules/.bin/prettier in the rule's folder or above, else on PATH); if it cannot, the Action is kept unformatted (R2A017)
    #[arg(long)]
    prettier: bool,
    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A unified diff from the rule to the Action
    Diff,
    /// One JSON document with the Action, findings, secrets and dependencies of every file
    Json,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The code to explain (R2A204); without one, every code is listed
    code: Option<String>,
}

/// The streams a command talks to, and whether each goes to a terminal.
pub struct Io<'a> {
    pub stdin: &'a mut dyn Read,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
}

/// Runs the CLI on the process's own streams.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let (stdin, stdout, mut stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let stdout_is_terminal = stdout.is_terminal();
    // On a terminal each line shows as soon as it is written. Into a pipe or a file, a system call
    // per line would cost more than the rendering (`check` over 10,000 rules writes 200,000 lines).
    let mut stdout: Box<dyn Write> = if stdout_is_terminal {
        Box::new(stdout.lock())
    } else {
        Box::new(BufWriter::with_capacity(64 * 1024, stdout.lock()))
    };
    let mut io = Io {
        stdout_is_terminal,
        stderr_is_terminal: stderr.is_terminal(),
        stdin: &mut stdin.lock(),
        stdout: &mut *stdout,
        // Not locked for the whole run: a progress bar writes to stderr from its own thread.
        stderr: &mut stderr,
    };
    let code = run_with(args, &mut io);
    match stdout.flush() {
        Ok(()) => code,
        Err(error) => {
            report_io_error(&mut stderr, &error);
            EXIT_FAILURE
        }
    }
}

/// A reader that closes the pipe early (`check | head`) chose to stop reading: that ends the run
/// with a failing code but is not worth a message.
fn report_io_error(stderr: &mut dyn Write, error: &std::io::Error) {
    if error.kind() != std::io::ErrorKind::BrokenPipe {
        let _ = writeln!(stderr, "rules2actions: error: {error}");
    }
}

pub fn run_with(args: impl IntoIterator<Item = OsString>, io: &mut Io<'_>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { EXIT_FAILURE } else { EXIT_CLEAN };
            let plain = error.render().to_string();
            // clap quotes the offending argument, and a file name from a hostile repository
            // (`check *`) may hold terminal controls: such a message is shown escaped, uncoloured.
            let text = if plain.chars().any(|c| c != '\n' && must_escape(c)) {
                printable_lines(&plain)
            } else if io.stderr_is_terminal && std::env::var_os("NO_COLOR").is_none() {
                error.render().ansi().to_string()
            } else {
                plain
            };
            let stream: &mut dyn Write = if error.use_stderr() { io.stderr } else { io.stdout };
            let _ = stream.write_all(text.as_bytes());
            return code;
        }
    };
    let result = match cli.command {
        Command::Convert(args) => convert::run(&args, io),
        Command::Check(args) => check::run(&args, io),
        Command::Migrate(args) => migrate::run(&args, io),
        Command::Verify(args) => verify::run(&args, io),
        Command::Explain(args) => explain::run(&args, io),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            report_io_error(io.stderr, &error);
            EXIT_FAILURE
        }
    }
}

/// Whether to colour a stream.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}
