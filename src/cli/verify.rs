//! `rules2actions verify` (being written).

use super::{Io, EXIT_FAILURE};
use clap::Args;
use std::io;

#[derive(Args, Debug)]
pub struct VerifyArgs {}

pub fn run(_args: &VerifyArgs, io: &mut Io<'_>) -> io::Result<i32> {
    writeln!(io.stderr, "rules2actions: verify is not available yet")?;
    Ok(EXIT_FAILURE)
}
