//! Helpers shared by the integration tests.
#![allow(dead_code)]

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
