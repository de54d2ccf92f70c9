//! `rules2actions explain CODE`: what a diagnostic means and what to do about it.

use super::{ExplainArgs, Io, EXIT_CLEAN, EXIT_FAILURE};
use crate::diagnostics::{Code, CODES};

pub fn run(args: &ExplainArgs, io: &mut Io<'_>) -> std::io::Result<i32> {
    let Some(id) = &args.code else {
        for info in CODES {
            writeln!(io.stdout, "{}  {:<7}  {}", info.id, info.severity, info.title)?;
        }
        return Ok(EXIT_CLEAN);
    };
    match Code::from_id(id) {
        Some(code) => {
            let info = code.info();
            writeln!(io.stdout, "{} ({}): {}\n", info.id, info.severity, info.title)?;
            writeln!(io.stdout, "{}", info.explanation)?;
            Ok(EXIT_CLEAN)
        }
        None => {
            writeln!(
                io.stderr,
                "rules2actions: unknown code `{id}`; `rules2actions explain` lists them all"
            )?;
            Ok(EXIT_FAILURE)
        }
    }
}
