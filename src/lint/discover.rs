//! Finding the files to lint: the paths named on the command line, and every `.js` file under the
//! named folders, respecting `.gitignore`, `.ignore` and hidden files as git and ripgrep do (the
//! `ignore` crate; `walk_files` is the one walk of every command that takes folders). Deploy-cli
//! exports are recognised too: `rules/<Name>.json` beside `rules/<Name>.js` (the directory format)
//! and the `rules:` list of a YAML export's own `tenant.yaml` / `tenant.yml`, so that disabled
//! rules and rules of other stages are known as such; both are read by `crate::deploy_cli`, as
//! `migrate` reads them, and describe only scripts inside their export. The walk lists them, and
//! they are read in parallel once it is done (an export of 10,000 rules has 10,000 of them).

use crate::deploy_cli::{self, identity, Identities, Located, RuleFields};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// What a deploy-cli export says about a rule script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleMeta {
    /// Enabled, of the stage `login_success` (also when the export names none): a rule.
    Login,
    Disabled,
    /// Enabled, of another stage. Boxed: rare, and every candidate has room for a `RuleMeta`.
    OtherStage(Box<OtherStage>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherStage {
    pub stage: String,
    /// The JSON or YAML file that gives the stage.
    pub source: PathBuf,
}

pub use crate::deploy_cli::DEFAULT_STAGE as LOGIN_STAGE;

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

impl DiscoveryError {
    pub fn unreadable(path: &Path, error: impl Display) -> DiscoveryError {
        let path = clean(path);
        let message = format!("cannot read {}: {error}", path.display());
        DiscoveryError { path, message }
    }
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

/// What the walk lists, before any metadata file is read.
#[derive(Default)]
struct Found {
    /// Scripts, and whether each was named on the command line.
    scripts: Vec<(PathBuf, bool)>,
    /// Deploy-cli metadata files (`rules/<Name>.json`, YAML exports), in walk order.
    descriptions: Vec<PathBuf>,
    errors: Vec<DiscoveryError>,
}

/// Walks the paths on one thread, then reads the metadata files on the current rayon pool.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut found = Found::default();
    for path in paths {
        match std::fs::metadata(path) {
            Err(error) => found.errors.push(DiscoveryError::unreadable(path, error)),
            Ok(metadata) if !metadata.is_dir() => found.scripts.push((clean(path), true)),
            Ok(_) => walk(path, &mut found),
        }
    }
    let (mut metas, unread) = read_descriptions(std::mem::take(&mut found.descriptions));
    found.errors.extend(unread);
    let mut identities = Identities::default();
    // One path never reaches a file twice (the walk follows no symlink); two may (`rules
    // rules/a.js`), and such a file is linted once.
    let mut seen: Option<HashMap<PathBuf, usize>> = (paths.len() > 1).then(HashMap::new);
    let mut discovery = Discovery {
        candidates: Vec::with_capacity(found.scripts.len()),
        errors: found.errors,
    };
    for (path, explicit) in found.scripts {
        let identity = if explicit {
            identity(&path)
        } else {
            identities.of_file(&path)
        };
        if let Some(seen) = &mut seen {
            if let Some(&index) = seen.get(&identity) {
                let earlier: &mut Candidate = &mut discovery.candidates[index];
                earlier.explicit |= explicit;
                continue;
            }
            seen.insert(identity.clone(), discovery.candidates.len());
        }
        let meta = metas.remove(&identity);
        discovery.candidates.push(Candidate { path, explicit, meta });
    }
    discovery.candidates.sort_by(|a, b| a.path.cmp(&b.path));
    discovery.errors.sort_by(|a, b| a.path.cmp(&b.path));
    discovery
}

/// Lists the scripts and metadata files under `root`. The walk is unsorted, so that no folder is
/// held in memory whole: the candidates are sorted at the end, and the metadata files here, into
/// the order of a sorted walk (a later one wins when two describe the same script).
fn walk(root: &Path, found: &mut Found) {
    let first_description = found.descriptions.len();
    walk_files(
        root,
        |path| match path.extension().and_then(|e| e.to_str()) {
            Some("js") => found.scripts.push((clean(path), false)),
            Some("json") if in_rules_folder(path) => found.descriptions.push(path.to_path_buf()),
            Some("yaml" | "yml") if deploy_cli::is_tenant_file(path) => found.descriptions.push(path.to_path_buf()),
            _ => {}
        },
        |error| found.errors.push(error),
    );
    found.descriptions[first_description..].sort();
}

/// Calls `on_file` for every regular file under `root` that git would not ignore (`.gitignore`,
/// `.ignore`, hidden files), in no particular order, and `on_error` for what cannot be read.
/// Symlinks are not followed, so the walk never leaves `root` nor loops.
pub fn walk_files(root: &Path, mut on_file: impl FnMut(&Path), mut on_error: impl FnMut(DiscoveryError)) {
    // Ignore files apply outside a git repository too: a rules folder is often checked alone.
    let walker = ignore::WalkBuilder::new(root).require_git(false).build();
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => on_file(entry.path()),
            Ok(_) => {}
            Err(error) => {
                let path = error_path(&error).unwrap_or_else(|| root.to_path_buf());
                on_error(DiscoveryError::unreadable(&path, error));
            }
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

/// What the metadata of a rule means to `check`.
fn meta(fields: &RuleFields, source: &Path) -> RuleMeta {
    if !fields.enabled {
        RuleMeta::Disabled
    } else if fields.stage != LOGIN_STAGE {
        RuleMeta::OtherStage(Box::new(OtherStage {
            stage: fields.stage.clone(),
            source: clean(source),
        }))
    } else {
        RuleMeta::Login
    }
}

/// Reads the metadata files in parallel (a deploy-cli directory export has one per rule) and
/// gives what they say, keyed by the identity of each script; a later file wins, as in walk order.
/// A metadata file that cannot be read is an error: whether its rules are disabled is unknown.
fn read_descriptions(descriptions: Vec<PathBuf>) -> (HashMap<PathBuf, RuleMeta>, Vec<DiscoveryError>) {
    let described: Vec<Result<Vec<(PathBuf, RuleMeta)>, DiscoveryError>> = descriptions
        .par_iter()
        // A cache of folders for each piece of the work: no lock, a few canonicalisations each.
        .map_init(Identities::default, |identities, path| {
            read_description(path, identities)
        })
        .collect();
    drop(descriptions);
    let mut metas = HashMap::new();
    let mut errors = Vec::new();
    for result in described {
        match result {
            Ok(described) => metas.extend(described),
            Err(error) => errors.push(error),
        }
    }
    (metas, errors)
}

/// What one metadata file says about the scripts it describes.
fn read_description(path: &Path, identities: &mut Identities) -> Result<Vec<(PathBuf, RuleMeta)>, DiscoveryError> {
    let shown = clean(path);
    let value = deploy_cli::read_metadata(&shown).map_err(|message| DiscoveryError { path: shown, message })?;
    if path.extension().is_some_and(|e| e == "json") {
        // Not an object: not a rule's metadata.
        if !value.is_object() {
            return Ok(Vec::new());
        }
        let fields = deploy_cli::rule_fields(&value);
        let script = deploy_cli::directory_rule_script(path, &fields);
        let root = deploy_cli::directory_export_root(path);
        return Ok(Vec::from_iter(describe(root, &script, &fields, path, identities)));
    }
    let root = deploy_cli::yaml_export_root(path);
    let rules = value
        .get("rules")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    Ok(rules
        .iter()
        .filter_map(|rule| {
            let fields = deploy_cli::rule_fields(rule);
            let script = deploy_cli::yaml_rule_script(path, &fields)?;
            describe(root, &script, &fields, path, identities)
        })
        .collect())
}

/// What a metadata file says about `script`, keyed by the script's identity; nothing if the
/// script is not a file inside the export of `root`.
fn describe(
    root: &Path,
    script: &Path,
    fields: &RuleFields,
    source: &Path,
    identities: &mut Identities,
) -> Option<(PathBuf, RuleMeta)> {
    match identities.locate(root, script) {
        Located::Inside(identity) => Some((identity, meta(fields, source))),
        Located::Outside | Located::NotAFile | Located::Absent => None,
    }
}
