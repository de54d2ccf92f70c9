//! Finding the files to lint: the paths named on the command line, and every `.js` file under the
//! named folders, respecting `.gitignore`, `.ignore` and hidden files as git and ripgrep do (the
//! `ignore` crate). Deploy-cli exports are recognised too: `rules/<Name>.json` beside
//! `rules/<Name>.js` (the directory format) and the `rules:` list of a YAML export (`tenant.yaml`),
//! so that disabled rules and rules of other stages are known as such. The walk lists them, and
//! they are read in parallel once it is done (an export of 10,000 rules has 10,000 of them).

use rayon::prelude::*;
use serde::Deserialize;
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
    let mut metas = read_descriptions(std::mem::take(&mut found.descriptions));
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

/// A key that names the same file whatever the spelling (`rules/../rules/a.js`, a symlinked
/// folder): its canonical path.
fn identity(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Identities of files that are not symlinks, cheaply: `canonicalize` costs a system call or two
/// per path component, so each folder is canonicalised once, and such a file is its canonical
/// folder and its name.
#[derive(Default)]
struct Identities {
    folders: HashMap<PathBuf, Option<PathBuf>>,
}

impl Identities {
    fn of_file(&mut self, path: &Path) -> PathBuf {
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return identity(path);
        };
        // The folder of `a.js` is "", which `canonicalize` refuses.
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        if !self.folders.contains_key(folder) {
            self.folders.insert(folder.to_path_buf(), folder.canonicalize().ok());
        }
        let Some(canonical) = &self.folders[folder] else {
            return path.to_path_buf();
        };
        // At its exact length (`join` would double the buffer): one is kept per described script.
        let mut identity = PathBuf::with_capacity(canonical.as_os_str().len() + 1 + name.len());
        identity.push(canonical);
        identity.push(name);
        identity
    }
}

/// Lists the scripts and metadata files under `root`. The walk is unsorted, so that no folder is
/// held in memory whole: the candidates are sorted at the end, and the metadata files here, into
/// the order of a sorted walk (a later one wins when two describe the same script).
fn walk(root: &Path, found: &mut Found) {
    // Ignore files apply outside a git repository too: a rules folder is often checked alone.
    let walker = ignore::WalkBuilder::new(root).require_git(false).build();
    let first_description = found.descriptions.len();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error_path(&error).unwrap_or_else(|| root.to_path_buf());
                found.errors.push(DiscoveryError::unreadable(&path, error));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("js") => found.scripts.push((clean(path), false)),
            Some("json") if in_rules_folder(path) => found.descriptions.push(path.to_path_buf()),
            Some("yaml" | "yml") => found.descriptions.push(path.to_path_buf()),
            _ => {}
        }
    }
    found.descriptions[first_description..].sort();
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
    fn meta(self, source: &Path) -> RuleMeta {
        match (self.enabled.unwrap_or(true), self.stage) {
            (false, _) => RuleMeta::Disabled,
            (true, Some(stage)) if stage != LOGIN_STAGE => RuleMeta::OtherStage(Box::new(OtherStage {
                stage,
                source: clean(source),
            })),
            (true, _) => RuleMeta::Login,
        }
    }
}

/// Reads the metadata files in parallel (a deploy-cli directory export has one per rule) and
/// gives what they say, keyed by the identity of each script; a later file wins, as in walk order.
fn read_descriptions(descriptions: Vec<PathBuf>) -> HashMap<PathBuf, RuleMeta> {
    let described: Vec<(PathBuf, RuleMeta)> = descriptions
        .par_iter()
        // A cache of folders for each piece of the work: no lock, a few canonicalisations each.
        .map_init(Identities::default, |identities, path| match path.extension() {
            Some(extension) if extension == "json" => Vec::from_iter(read_json_meta(path, identities)),
            _ => read_yaml_meta(path, identities),
        })
        .flatten_iter()
        .collect();
    drop(descriptions);
    described.into_iter().collect()
}

/// What a metadata file says about `script`, keyed by the script's identity; nothing if the
/// script is not there.
fn describe(
    script: &Path,
    fields: MetaFields,
    source: &Path,
    identities: &mut Identities,
) -> Option<(PathBuf, RuleMeta)> {
    let identity = if std::fs::symlink_metadata(script).ok()?.is_symlink() {
        // Fails for a link to nothing, which describes no script.
        script.canonicalize().ok()?
    } else {
        identities.of_file(script)
    };
    Some((identity, fields.meta(source)))
}

/// `rules/<Name>.json`: its `script` is relative to the `rules/` folder; without one, the script
/// is the `.js` file of the same name.
fn read_json_meta(path: &Path, identities: &mut Identities) -> Option<(PathBuf, RuleMeta)> {
    let bytes = std::fs::read(path).ok()?;
    let fields = serde_json::from_slice::<MetaFields>(&bytes).ok()?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let script = match &fields.script {
        Some(script) => folder.join(script),
        None => path.with_extension("js"),
    };
    describe(&script, fields, path, identities)
}

#[derive(Deserialize)]
struct YamlExport {
    rules: Option<Vec<MetaFields>>,
}

/// A deploy-cli YAML export: each `rules:` entry's `script` is relative to the YAML file's folder.
fn read_yaml_meta(path: &Path, identities: &mut Identities) -> Vec<(PathBuf, RuleMeta)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    if !text.starts_with("rules:") && !text.contains("\nrules:") {
        return Vec::new();
    }
    let Ok(export) = serde_yaml_ng::from_str::<YamlExport>(&text) else {
        return Vec::new();
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    let rules = export.rules.unwrap_or_default().into_iter();
    rules
        .filter_map(|fields| {
            let script = folder.join(fields.script.as_deref()?);
            describe(&script, fields, path, identities)
        })
        .collect()
}
