//! Reading a deploy-cli tenant export (mapping §8.1, §8.2): the directory layout
//! (`rules/<Name>.json` + `rules/<Name>.js`, `rules-configs/`, `actions/`, `triggers/`) or the YAML
//! layout (`tenant.yaml` with `rules:`, `rulesConfigs:`, `actions:`, `triggers:`). Nothing here
//! writes. A problem with one rule is kept on that rule; only an export that cannot be read at all
//! is an error. Files are read, fields interpreted and scripts located by `crate::deploy_cli`, as
//! `check` does: a script outside the export (absolute, `../../x.js`, a symlink out) is not read.

use super::{Note, Severity};
use crate::cli::files::read_file;
use crate::deploy_cli::{
    directory_rule_script, read_metadata, rule_fields, string_field, yaml_rule_script, Identities, Located, RuleFields,
};
use crate::limits::Limits;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `rules/*.json` beside their scripts.
    Directory,
    /// A YAML file (its file name) with a `rules:` list.
    Yaml { file_name: String },
}

#[derive(Clone, Debug)]
pub enum Script {
    File(PathBuf),
    /// The script given inline (deploy-cli takes a `script` that is not a file as the code).
    Inline(String),
    /// Why there is no script.
    Missing(String),
}

#[derive(Clone, Debug)]
pub struct RuleEntry {
    pub name: String,
    pub enabled: bool,
    pub order: Option<f64>,
    pub stage: String,
    pub id: Option<String>,
    /// Where the rule is described, relative to the export (`rules/a.json`, `tenant.yaml`).
    pub source: String,
    pub script: Script,
    pub notes: Vec<Note>,
}

impl RuleEntry {
    /// A rule whose metadata could not be read: enabled at the default stage, with no script.
    fn unreadable(name: String, source: String, reason: String) -> RuleEntry {
        RuleEntry {
            name,
            enabled: true,
            order: None,
            stage: DEFAULT_STAGE.to_string(),
            id: None,
            source,
            script: Script::Missing(reason),
            notes: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub action_name: String,
    pub display_name: String,
}

/// An Action the export already holds, carried into the output as it is: dropping it from the
/// output while a binding still names it would make deploy-cli delete it (`AUTH0_ALLOW_DELETE`),
/// then bind an Action that no longer exists.
#[derive(Clone, Debug)]
pub struct ExistingAction {
    pub name: String,
    /// Its metadata as the export has it (the JSON file, or its entry of `actions:`), or why it
    /// could not be read.
    pub metadata: Result<Value, String>,
    /// The text of the code file its `code` names, or why there is none.
    pub code: Result<String, String>,
}

#[derive(Clone, Debug)]
pub struct Export {
    pub layout: Layout,
    /// The folder the export's paths are relative to.
    pub root: PathBuf,
    pub rules: Vec<RuleEntry>,
    /// `rules-configs` keys, when the export has any.
    pub known_secrets: Option<BTreeSet<String>>,
    /// The Actions the export already holds.
    pub existing_actions: Vec<ExistingAction>,
    /// The export's own post-login bindings, in order.
    pub existing_post_login: Vec<Binding>,
}

pub use crate::deploy_cli::DEFAULT_STAGE;

/// Reads the export at `path`: a folder holding `tenant.yaml` / `tenant.yml` or `rules/`, or a
/// YAML file.
pub fn load(path: &Path) -> Result<Export, String> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if metadata.is_file() {
        return load_yaml(path);
    }
    for name in ["tenant.yaml", "tenant.yml"] {
        let candidate = path.join(name);
        if candidate.is_file() {
            return load_yaml(&candidate);
        }
    }
    if path.join("rules").is_dir() {
        return load_directory(path);
    }
    Err(format!(
        "{} is not a deploy-cli export: it has neither a tenant.yaml nor a rules/ folder",
        path.display()
    ))
}

/// The regular files of the export's folder `dir` with the extension, sorted by name; none when
/// the folder does not exist. A file that leads out of the export (a symlink) is left out.
pub(crate) fn files_with_extension(
    identities: &mut Identities,
    root: &Path,
    dir: &str,
    extension: &str,
) -> Result<Vec<PathBuf>, String> {
    let dir = root.join(dir);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .filter(|p| matches!(identities.locate(root, p), Located::Inside(_)))
        .collect();
    files.sort();
    Ok(files)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn note(severity: Severity, message: impl Into<String>) -> Note {
    Note {
        severity,
        message: message.into(),
    }
}

/// One rule, from the fields of its JSON object or YAML entry.
fn rule_entry(fields: RuleFields, default_name: Option<String>, source: String, script: Script) -> RuleEntry {
    let mut notes: Vec<Note> = fields
        .warnings
        .into_iter()
        .map(|warning| note(Severity::Warning, warning))
        .collect();
    let name = fields.name.or(default_name).unwrap_or_else(|| {
        notes.push(note(Severity::Error, "the rule has no name"));
        "(unnamed)".to_string()
    });
    RuleEntry {
        name,
        enabled: fields.enabled,
        order: fields.order,
        stage: fields.stage,
        id: fields.id,
        source,
        script,
        notes,
    }
}

/// The script of a rule: `path` (where its metadata leads, see `crate::deploy_cli`) if that is a
/// file inside the export of `root`, else the `script` field itself when it is code.
fn script_at(identities: &mut Identities, root: &Path, path: Option<PathBuf>, fields: &RuleFields) -> Script {
    let Some(path) = path else {
        return Script::Missing("the rule has no script".to_string());
    };
    let located = identities.locate(root, &path);
    let Some(script) = &fields.script else {
        return match located {
            Located::Inside(file) => Script::File(file),
            _ => Script::Missing("the rule has no script".to_string()),
        };
    };
    match located {
        Located::Inside(file) => Script::File(file),
        Located::Outside => Script::Missing(format!(
            "the script {script} is outside the export (after resolving .. and symlinks): it was not read"
        )),
        Located::NotAFile => Script::Missing(format!("the script {script} is not a regular file: it was not read")),
        // deploy-cli takes a `script` that names no file for the code itself.
        Located::Absent if script.contains('{') => Script::Inline(script.clone()),
        Located::Absent => Script::Missing(format!("the script {script} does not exist")),
    }
}

fn load_directory(root: &Path) -> Result<Export, String> {
    let identities = &mut Identities::default();
    let mut rules = Vec::new();
    for path in files_with_extension(identities, root, "rules", "json")? {
        let source = format!("rules/{}", file_name(&path));
        let name = stem(&path);
        match read_metadata(&path) {
            Ok(value) if value.is_object() => {
                let fields = rule_fields(&value);
                let no_script_field = fields.script.is_none();
                let path = directory_rule_script(&path, &fields);
                let script = script_at(identities, root, Some(path), &fields);
                let mut entry = rule_entry(fields, Some(name.clone()), source, script);
                if no_script_field && matches!(entry.script, Script::File(_)) {
                    entry.notes.push(note(
                        Severity::Info,
                        format!("no `script` field: the script is rules/{name}.js"),
                    ));
                }
                rules.push(entry);
            }
            Ok(_) => rules.push(RuleEntry::unreadable(
                name,
                source,
                "the rule's JSON is not an object".to_string(),
            )),
            Err(error) => rules.push(RuleEntry::unreadable(name, source, error)),
        }
    }

    let configs = files_with_extension(identities, root, "rules-configs", "json")?;
    let known_secrets = (!configs.is_empty()).then(|| configs.iter().map(|path| field_or_stem(path, "key")).collect());

    let existing_actions = files_with_extension(identities, root, "actions", "json")?
        .iter()
        .map(|path| {
            let metadata = read_metadata(path);
            let name = metadata
                .as_ref()
                .ok()
                .and_then(|value| string_field(value, "name"))
                .unwrap_or_else(|| stem(path));
            existing_action(identities, root, name, metadata)
        })
        .collect();

    // deploy-cli reads only the first .json file of triggers/.
    let existing_post_login = match files_with_extension(identities, root, "triggers", "json")?.first() {
        Some(path) => post_login_bindings(&read_metadata(path)?),
        None => Vec::new(),
    };

    Ok(Export {
        layout: Layout::Directory,
        root: root.to_path_buf(),
        rules,
        known_secrets,
        existing_actions,
        existing_post_login,
    })
}

pub(crate) fn post_login_bindings(triggers: &Value) -> Vec<Binding> {
    triggers
        .get("post-login")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|binding| {
                    let action_name = string_field(binding, "action_name")?;
                    let display_name = string_field(binding, "display_name").unwrap_or_else(|| action_name.clone());
                    Some(Binding {
                        action_name,
                        display_name,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn load_yaml(file: &Path) -> Result<Export, String> {
    let value = read_metadata(file)?;
    if !(value.is_object() || value.is_null()) {
        return Err(format!("{} is not a deploy-cli tenant file", file.display()));
    }
    let root = crate::deploy_cli::yaml_export_root(file).to_path_buf();
    let yaml_name = file_name(file);
    let identities = &mut Identities::default();

    let mut rules = Vec::new();
    let entries = value
        .get("rules")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (index, rule) in entries.iter().enumerate() {
        let source = format!("{yaml_name} (rules[{index}])");
        let fields = rule_fields(rule);
        let script = script_at(identities, &root, yaml_rule_script(file, &fields), &fields);
        rules.push(rule_entry(fields, None, source, script));
    }

    let known_secrets = value.get("rulesConfigs").and_then(Value::as_array).and_then(|configs| {
        let keys: BTreeSet<String> = configs.iter().filter_map(|c| string_field(c, "key")).collect();
        (!keys.is_empty()).then_some(keys)
    });
    let existing_actions = value
        .get("actions")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|action| {
            let name = string_field(action, "name")?;
            Some(existing_action(identities, &root, name, Ok(action.clone())))
        })
        .collect();
    let existing_post_login = value.get("triggers").map(post_login_bindings).unwrap_or_default();

    Ok(Export {
        layout: Layout::Yaml { file_name: yaml_name },
        root,
        rules,
        known_secrets,
        existing_actions,
        existing_post_login,
    })
}

/// A string field of a JSON file, or the file's stem when it has none (or is not JSON).
fn field_or_stem(path: &Path, field: &str) -> String {
    read_metadata(path)
        .ok()
        .and_then(|value| string_field(&value, field))
        .unwrap_or_else(|| stem(path))
}

/// An Action of the export with its code: the file its `code` names, relative to the export in
/// both layouts, read only when it is a regular file inside the export, within the size of a
/// rule script.
fn existing_action(
    identities: &mut Identities,
    root: &Path,
    name: String,
    metadata: Result<Value, String>,
) -> ExistingAction {
    let code = match metadata.as_ref().map(|m| string_field(m, "code")) {
        Err(_) => Err("its metadata could not be read".to_string()),
        Ok(None) => Err("it names no code file".to_string()),
        Ok(Some(file)) => match identities.locate(root, &root.join(&file)) {
            Located::Inside(path) => read_file(&path, Limits::default().max_file_size as u64)
                .map_err(|e| format!("cannot read {file}: {e}"))
                .and_then(|bytes| String::from_utf8(bytes).map_err(|_| format!("{file} is not UTF-8 text"))),
            Located::Outside => Err(format!("its code file {file} is outside the export: it was not read")),
            Located::NotAFile => Err(format!("its code file {file} is not a regular file")),
            Located::Absent => Err(format!("its code file {file} does not exist")),
        },
    };
    ExistingAction { name, metadata, code }
}
