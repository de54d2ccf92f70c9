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

/// Lines of an Action where a Rules global (`context`, `callback`, `configuration`, `auth0`,
/// `global`) is used as a free identifier in a statement that no `// TODO(R2A…)` comment precedes.
pub fn unmarked_leftovers(action: &str) -> Vec<usize> {
    use swc_ecma_ast::{Ident, Stmt};
    use swc_ecma_visit::{Visit, VisitWith};

    const RULES_NAMES: &[&str] = &["context", "callback", "configuration", "auth0", "global"];
    let parsed = rules2actions::parse::parse(action).expect("an Action parses");
    let source = rules2actions::source::SourceText::new(action);

    /// Names the Action declares itself (a nested `function (context)`): not leftovers.
    #[derive(Default)]
    struct Declared(Vec<String>);
    impl Visit for Declared {
        fn visit_binding_ident(&mut self, binding: &swc_ecma_ast::BindingIdent) {
            self.0.push(binding.id.sym.to_string());
        }
    }
    let mut declared = Declared::default();
    parsed.visit(&mut declared);

    struct Finder<'a> {
        action: &'a str,
        base: u32,
        declared: Vec<String>,
        statement_starts: Vec<usize>,
        unmarked: Vec<usize>,
    }
    impl Visit for Finder<'_> {
        fn visit_stmt(&mut self, stmt: &Stmt) {
            self.statement_starts
                .push((swc_common::Spanned::span(stmt).lo.0 - self.base) as usize);
            stmt.visit_children_with(self);
            self.statement_starts.pop();
        }
        fn visit_ident(&mut self, ident: &Ident) {
            let name = ident.sym.as_str();
            if !RULES_NAMES.contains(&name) || self.declared.iter().any(|d| d == name) {
                return;
            }
            let start = *self.statement_starts.last().unwrap_or(&0);
            let before = &self.action[..start];
            let previous_line = before.trim_end().lines().last().unwrap_or("");
            if !previous_line.trim_start().starts_with("// TODO(R2A") {
                self.unmarked.push(start);
            }
        }
    }
    let mut finder = Finder {
        action,
        base: parsed.base.0,
        declared: declared.0,
        statement_starts: Vec::new(),
        unmarked: Vec::new(),
    };
    parsed.visit(&mut finder);
    finder
        .unmarked
        .into_iter()
        .map(|offset| source.position(offset).line as usize)
        .collect()
}
