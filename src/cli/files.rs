//! Reading inputs and writing outputs safely.
//!
//! An input is read only if it is a regular file (or standard input), and never past its size
//! limit: a FIFO or a device named as a file (`/dev/zero`) would block or never end, and a huge or
//! sparse file would fill the memory. The kind is checked on the opened file, not on its name, so
//! swapping the path between the check and the read changes nothing, and the file is opened
//! without blocking, since opening a FIFO waits for a writer.
//!
//! An output is written to a temporary sibling and then moved into place, so an interrupted run
//! never leaves a half-written file; unless the user said to replace it, the move fails when the
//! output exists, even if another run created it a moment ago.

use crate::convert::{too_large_message, Conversion};
use crate::diagnostics::Code;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Why an input was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file; what it is instead ("a FIFO", "a device", …).
    NotAFile(&'static str),
    /// Past the limit. The size when known: standard input is not read past the limit.
    TooLarge {
        size: Option<u64>,
        limit: u64,
    },
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> Self {
        ReadError::Io(error)
    }
}

impl ReadError {
    /// The finding of a rule refused unread (R2A006, R2A016), reported like any other; `None` for
    /// an I/O error, which is a failure of the run, not a property of the rule.
    pub fn refusal(&self) -> Option<Conversion> {
        match self {
            ReadError::NotAFile(kind) => Some(Conversion::refused(
                Code::NotAFile,
                format!("the path is {kind}, not a regular file: it was not read"),
            )),
            ReadError::TooLarge { size, limit } => {
                Some(Conversion::refused(Code::TooLarge, too_large_message(*size, *limit)))
            }
            ReadError::Io(_) => None,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotAFile(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge {
                size: Some(size),
                limit,
            } => {
                write!(f, "it is {size} bytes; the limit is {limit}")
            }
            ReadError::TooLarge { size: None, limit } => write!(f, "it is larger than the limit of {limit} bytes"),
            ReadError::Io(error) => error.fmt(f),
        }
    }
}

/// Reads a path, or standard input for `-`, within `limit` bytes.
pub fn read_input(path: &Path, stdin: &mut dyn Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    if path == Path::new("-") {
        read_at_most(stdin, limit, 0)
    } else {
        read_file(path, limit)
    }
}

/// Reads a regular file of at most `limit` bytes. Its size is checked before it is read, so a
/// 4 GiB sparse file is refused at once.
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_without_blocking(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(ReadError::NotAFile(kind_of(&metadata.file_type())));
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(metadata.len()),
            limit,
        });
    }
    read_at_most(file, limit, metadata.len())
}

/// Reads up to one byte past `limit`, which tells a stream (or a file that grew since its size
/// was read) past the limit from one at it.
fn read_at_most(reader: impl Read, limit: u64, expected: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(expected.min(limit) as usize);
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // Without O_NONBLOCK, opening a FIFO for reading waits until something opens it for writing.
    OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

#[derive(Debug)]
pub enum WriteError {
    Exists(PathBuf),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Exists(path) => write!(f, "{} already exists; pass --force to replace it", path.display()),
            WriteError::Io(path, error) => write!(f, "cannot write {}: {error}", path.display()),
        }
    }
}

/// Writes `contents` to `path` through a temporary sibling. Without `replace`, an existing `path`
/// is kept, whoever created it and however recently.
pub fn write_atomically(path: &Path, contents: &[u8], replace: bool) -> Result<(), WriteError> {
    let io_error = |error| WriteError::Io(path.to_path_buf(), error);
    // Checked first only to spare the work: the move below is what guarantees it.
    if !replace && path.symlink_metadata().is_ok() {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_error)?;
    }
    let (temporary, mut file) = create_temporary(path).map_err(io_error)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    drop(file);
    let result = match written {
        Err(error) => Err(io_error(error)),
        Ok(()) if replace => std::fs::rename(&temporary, path).map_err(io_error),
        Ok(()) => move_without_replacing(&temporary, path, contents),
    };
    // After a rename there is nothing left to remove; after a link, the temporary name goes.
    let _ = std::fs::remove_file(&temporary);
    result
}

/// A new file beside `path`, under a name no other file has (`create_new` refuses an existing one).
fn create_temporary(path: &Path) -> io::Result<(PathBuf, File)> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0;
    loop {
        let temporary = path.with_file_name(format!(".{file_name}.{}.{attempt}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temporary) {
            Ok(file) => return Ok((temporary, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(error) => return Err(error),
        }
    }
}

/// Puts the finished temporary file at `path` unless something is there: a hard link is created
/// or refused in one step, where checking first and renaming after would let a concurrent run
/// slip in between. On a file system without hard links, the output is created with `create_new`
/// (also one step) and written; only that fallback could leave a partial file if interrupted.
fn move_without_replacing(temporary: &Path, path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let exists = || WriteError::Exists(path.to_path_buf());
    match std::fs::hard_link(temporary, path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(exists()),
        Err(_) => {
            let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(file) => file,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => return Err(exists()),
                Err(error) => return Err(WriteError::Io(path.to_path_buf(), error)),
            };
            let written = file.write_all(contents).and_then(|()| file.sync_all());
            if written.is_err() {
                // Created by this call a moment ago: nothing of the user's is lost.
                let _ = std::fs::remove_file(path);
            }
            written.map_err(|error| WriteError::Io(path.to_path_buf(), error))
        }
    }
}

/// The same file, by identity, not by spelling (`rules/../rules/a.js`).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("r2a-files-{}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_is_read_within_its_limit_and_refused_past_it() {
        let dir = scratch("limit");
        let path = dir.join("a.js");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_file(&path, 5).unwrap(), b"12345");
        match read_file(&path, 4) {
            Err(ReadError::TooLarge {
                size: Some(5),
                limit: 4,
            }) => {}
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_stream_is_read_one_byte_past_the_limit_at_most() {
        let endless = io::repeat(b'x');
        match read_at_most(endless, 1000, 0) {
            Err(ReadError::TooLarge {
                size: None,
                limit: 1000,
            }) => {}
            other => panic!("{other:?}"),
        }
        let mut stdin: &[u8] = b"abc";
        assert_eq!(read_input(Path::new("-"), &mut stdin, 3).unwrap(), b"abc");
    }

    #[test]
    fn folders_and_devices_are_not_files() {
        let dir = scratch("kinds");
        assert!(matches!(read_file(&dir, 10), Err(ReadError::NotAFile("a folder"))));
        #[cfg(unix)]
        assert!(matches!(
            read_file(Path::new("/dev/zero"), 10),
            Err(ReadError::NotAFile("a device"))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_existing_output_is_kept_unless_replacing_and_no_temporary_is_left() {
        let dir = scratch("write");
        let path = dir.join("out/a.js");
        write_atomically(&path, b"first", false).unwrap();
        assert!(matches!(
            write_atomically(&path, b"second", false),
            Err(WriteError::Exists(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write_atomically(&path, b"third", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
        let names: Vec<_> = std::fs::read_dir(dir.join("out"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["a.js"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_move_refuses_an_output_created_after_the_check() {
        // What a concurrent run does between our check and our move: the file appears.
        let dir = scratch("race");
        let temporary = dir.join(".a.js.tmp");
        let path = dir.join("a.js");
        std::fs::write(&temporary, b"ours").unwrap();
        std::fs::write(&path, b"theirs").unwrap();
        assert!(matches!(
            move_without_replacing(&temporary, &path, b"ours"),
            Err(WriteError::Exists(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"theirs");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
