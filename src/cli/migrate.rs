//! `rules2actions migrate` (being written).

use super::{Io, EXIT_FAILURE};
use clap::Args;
use std::io;

#[derive(Args, Debug)]
pub struct MigrateArgs {}

pub fn run(_args: &MigrateArgs, io: &mut Io<'_>) -> io::Result<i32> {
    writeln!(io.stderr, "rules2actions: migrate is not available yet")?;
    Ok(EXIT_FAILURE)
}
