//! `rules2actions check` (being written).

use super::{Io, EXIT_FAILURE};
use clap::Args;
use std::io;

#[derive(Args, Debug)]
pub struct CheckArgs {}

pub fn run(_args: &CheckArgs, io: &mut Io<'_>) -> io::Result<i32> {
    writeln!(io.stderr, "rules2actions: check is not available yet")?;
    Ok(EXIT_FAILURE)
}
