//! Finding the files to lint: the paths named on the command line, and every `.js` file under the
//! named folders, respecting `.gitignore`, `.ignore` and hidden files as git and ripgrep do (the
//! `ignore` crate). Deploy-cli exports are recognised on the way: `rules/<Name>.json` beside
//! `rules/<Name>.js` (the directory format) and the `rules:` list of a YAML export (`tenant.yaml`),
//! so that disabled rules and rules of other stages are known as such.

use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a deploy-cli export says about a rule script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// The JSON or YAML file that describes the rule.
    pub source: PathBuf,
    pub enabled: bool,
    /// `login_success` when the export gives none.
    pub stage: String,
}

pub const LOGIN_STAGE: &str = "login_success";

#[derive(Clone, Debug)]
pub struct Candidate {
    pub path: PathBuf,
    /// Named on the command line: always linted.
    pub explicit: bool,
    /// Described by a deploy-cli export.
    pub meta: Option<RuleMeta>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryError {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovery {
    /// Sorted by path, each file once.
    pub candidates: Vec<Candidate>,
    pub errors: Vec<DiscoveryError>,
}

/// The path as it should be shown: without a leading `./`.
pub fn clean(path: &Path) -> PathBuf {
    match path.strip_prefix(".") {
        Ok(rest) if !rest.as_os_str().is_empty() => rest.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut discovery = Discovery::default();
    let mut scripts = Vec::new();
    let mut metas: HashMap<PathBuf, RuleMeta> = HashMap::new();
    for path in paths {
        match std::fs::metadata(path) {
            Err(error) => discovery.errors.push(DiscoveryError {
                path: clean(path),
                message: format!("cannot read {}: {error}", clean(path).display()),
            }),
            Ok(metadata) if !metadata.is_dir() => scripts.push((clean(path), true)),
            Ok(_) => walk(path, &mut scripts, &mut metas, &mut discovery.errors),
        }
    }

    let mut seen = HashMap::new();
    for (path, explicit) in scripts {
        let key = identity(&path);
        if let Some(&index) = seen.get(&key) {
            let earlier: &mut Candidate = &mut discovery.candidates[index];
            earlier.explicit |= explicit;
            continue;
        }
        let meta = if metas.is_empty() {
            None
        } else {
            metas.get(&key).cloned()
        };
        seen.insert(key, discovery.candidates.len());
        discovery.candidates.push(Candidate { path, explicit, meta });
    }
    discovery.candidates.sort_by(|a, b| a.path.cmp(&b.path));
    discovery.errors.sort_by(|a, b| a.path.cmp(&b.path));
    discovery
}

/// A key that names the same file whatever the spelling (`rules/../rules/a.js`).
fn identity(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn walk(
    root: &Path,
    scripts: &mut Vec<(PathBuf, bool)>,
    metas: &mut HashMap<PathBuf, RuleMeta>,
    errors: &mut Vec<DiscoveryError>,
) {
    // Ignore files apply outside a git repository too: a rules folder is often checked alone.
    let walker = ignore::WalkBuilder::new(root)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error_path(&error).unwrap_or_else(|| root.to_path_buf());
                errors.push(DiscoveryError {
                    path: clean(&path),
                    message: format!("cannot read {}: {}", clean(&path).display(), error),
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("js") => scripts.push((clean(path), false)),
            Some("json") if in_rules_folder(path) => read_json_meta(path, metas),
            Some("yaml" | "yml") => read_yaml_meta(path, metas),
            _ => {}
        }
    }
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        _ => None,
    }
}

fn in_rules_folder(path: &Path) -> bool {
    path.parent()
        .and_then(|p| p.file_name())
        .is_some_and(|name| name == "rules")
}

#[derive(Deserialize)]
struct MetaFields {
    script: Option<String>,
    enabled: Option<bool>,
    stage: Option<String>,
}

impl MetaFields {
    fn meta(&self, source: &Path) -> RuleMeta {
        RuleMeta {
            source: clean(source),
            enabled: self.enabled.unwrap_or(true),
            stage: self.stage.clone().unwrap_or_else(|| LOGIN_STAGE.to_string()),
        }
    }
}

/// `rules/<Name>.json`: its `script` is relative to the `rules/` folder; without one, the script
/// is the `.js` file of the same name.
fn read_json_meta(path: &Path, metas: &mut HashMap<PathBuf, RuleMeta>) {
    let Ok(bytes) = std::fs::read(path) else { return };
    let Ok(fields) = serde_json::from_slice::<MetaFields>(&bytes) else {
        return;
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    let script = match &fields.script {
        Some(script) => folder.join(script),
        None => path.with_extension("js"),
    };
    if script.exists() {
        metas.insert(identity(&script), fields.meta(path));
    }
}

#[derive(Deserialize)]
struct YamlExport {
    rules: Option<Vec<MetaFields>>,
}

/// A deploy-cli YAML export: each `rules:` entry's `script` is relative to the YAML file's folder.
fn read_yaml_meta(path: &Path, metas: &mut HashMap<PathBuf, RuleMeta>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    if !text.starts_with("rules:") && !text.contains("\nrules:") {
        return;
    }
    let Ok(export) = serde_yaml_ng::from_str::<YamlExport>(&text) else {
        return;
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    for fields in export.rules.unwrap_or_default() {
        let Some(script) = &fields.script else { continue };
        let script = folder.join(script);
        if script.exists() {
            metas.insert(identity(&script), fields.meta(path));
        }
    }
}
