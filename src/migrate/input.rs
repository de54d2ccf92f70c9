//! Reading a deploy-cli tenant export (mapping §8.1, §8.2): the directory layout
//! (`rules/<Name>.json` + `rules/<Name>.js`, `rules-configs/`, `actions/`, `triggers/`) or the YAML
//! layout (`tenant.yaml` with `rules:`, `rulesConfigs:`, `actions:`, `triggers:`). Nothing here
//! writes. A problem with one rule is kept on that rule; only an export that cannot be read at all
//! is an error.

use super::{Note, Severity};
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

#[derive(Clone, Debug)]
pub struct Export {
    pub layout: Layout,
    /// The folder the export's paths are relative to.
    pub root: PathBuf,
    pub rules: Vec<RuleEntry>,
    /// `rules-configs` keys, when the export has any.
    pub known_secrets: Option<BTreeSet<String>>,
    /// Names of the Actions the export already holds.
    pub existing_actions: Vec<String>,
    /// The export's own post-login bindings, in order.
    pub existing_post_login: Vec<Binding>,
}

pub const DEFAULT_STAGE: &str = "login_success";

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

/// Files of `dir` with the extension, sorted by name; none when the folder does not exist.
fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, String> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == extension))
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

/// Quotes `@@KEY@@` placeholders that stand where a value is expected, so that a JSON or YAML file
/// written for keyword replacement (`"enabled": @@ENABLED@@`) can be read before replacement.
fn quote_placeholders(text: &str) -> String {
    let masked = crate::placeholders::mask(text);
    let mut out = String::with_capacity(text.len() + 16);
    let mut copied = 0;
    for placeholder in masked.placeholders.iter().filter(|p| p.original().starts_with("@@")) {
        let before = text[..placeholder.offset].trim_end();
        if before.ends_with([':', '-', '[', ',', '{']) || before.is_empty() {
            let end = placeholder.offset + placeholder.original().len();
            out.push_str(&text[copied..placeholder.offset]);
            out.push('"');
            out.push_str(&text[placeholder.offset..end]);
            out.push('"');
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text).or_else(|error| serde_json::from_str(&quote_placeholders(text)).map_err(|_| error))
}

fn parse_yaml(text: &str) -> Result<Value, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str(text).or_else(|error| serde_yaml_ng::from_str(&quote_placeholders(text)).map_err(|_| error))
}

fn note(severity: Severity, message: impl Into<String>) -> Note {
    Note {
        severity,
        message: message.into(),
    }
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The fields of one rule, from its JSON object or YAML entry.
fn rule_entry(value: &Value, default_name: Option<String>, source: String, script: Script) -> RuleEntry {
    let mut notes = Vec::new();
    let name = match string_field(value, "name")
        .filter(|n| !n.trim().is_empty())
        .or(default_name)
    {
        Some(name) => name,
        None => {
            notes.push(note(Severity::Error, "the rule has no name"));
            "(unnamed)".to_string()
        }
    };
    let enabled = match value.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(other) => {
            notes.push(note(
                Severity::Warning,
                format!("`enabled` is {other}, not true or false: the rule is taken as enabled"),
            ));
            true
        }
    };
    let order = match value.get("order") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.trim().parse::<f64>().is_ok() => s.trim().parse().ok(),
        Some(other) => {
            notes.push(note(
                Severity::Warning,
                format!("`order` is {other}, not a number: the rule is placed after the ordered ones"),
            ));
            None
        }
    };
    let stage = string_field(value, "stage").unwrap_or_else(|| DEFAULT_STAGE.to_string());
    let id = string_field(value, "id").filter(|id| !id.is_empty());
    RuleEntry {
        name,
        enabled,
        order,
        stage,
        id,
        source,
        script,
        notes,
    }
}

/// A `script` value: a file relative to `base`, or inline code.
fn script_at(base: &Path, script: Option<String>, default_file: Option<PathBuf>) -> Script {
    match script {
        Some(script) => {
            let path = base.join(&script);
            if path.is_file() {
                Script::File(path)
            } else if script.contains('{') {
                Script::Inline(script)
            } else {
                Script::Missing(format!("the script {script} does not exist"))
            }
        }
        None => match default_file {
            Some(path) if path.is_file() => Script::File(path),
            _ => Script::Missing("the rule has no script".to_string()),
        },
    }
}

fn load_directory(root: &Path) -> Result<Export, String> {
    let rules_dir = root.join("rules");
    let mut rules = Vec::new();
    for path in files_with_extension(&rules_dir, "json")? {
        let source = format!("rules/{}", file_name(&path));
        let name = stem(&path);
        let value = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| parse_json(&text).map_err(|e| e.to_string()));
        match value {
            Ok(value) if value.is_object() => {
                let script = script_at(
                    &rules_dir,
                    string_field(&value, "script"),
                    Some(rules_dir.join(format!("{name}.js"))),
                );
                let mut entry = rule_entry(&value, Some(name.clone()), source, script);
                if string_field(&value, "script").is_none() && matches!(entry.script, Script::File(_)) {
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
            Err(error) => rules.push(RuleEntry::unreadable(
                name,
                source,
                format!("the rule's JSON cannot be read: {error}"),
            )),
        }
    }

    let configs = files_with_extension(&root.join("rules-configs"), "json")?;
    let known_secrets = (!configs.is_empty()).then(|| configs.iter().map(|path| field_or_stem(path, "key")).collect());

    let existing_actions = files_with_extension(&root.join("actions"), "json")?
        .iter()
        .map(|path| field_or_stem(path, "name"))
        .collect();

    // deploy-cli reads only the first .json file of triggers/.
    let existing_post_login = match files_with_extension(&root.join("triggers"), "json")?.first() {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let value = parse_json(&text).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            post_login_bindings(&value)
        }
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

fn post_login_bindings(triggers: &Value) -> Vec<Binding> {
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
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let value = parse_yaml(&text).map_err(|e| format!("{} is not valid YAML: {e}", file.display()))?;
    if !(value.is_object() || value.is_null()) {
        return Err(format!("{} is not a deploy-cli tenant file", file.display()));
    }
    let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    };
    let yaml_name = file_name(file);

    let mut rules = Vec::new();
    let entries = value
        .get("rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, rule) in entries.iter().enumerate() {
        let source = format!("{yaml_name} (rules[{index}])");
        let script = script_at(&root, string_field(rule, "script"), None);
        rules.push(rule_entry(rule, None, source, script));
    }

    let known_secrets = value.get("rulesConfigs").and_then(Value::as_array).and_then(|configs| {
        let keys: BTreeSet<String> = configs.iter().filter_map(|c| string_field(c, "key")).collect();
        (!keys.is_empty()).then_some(keys)
    });
    let existing_actions = value
        .get("actions")
        .and_then(Value::as_array)
        .map(|actions| actions.iter().filter_map(|a| string_field(a, "name")).collect())
        .unwrap_or_default();
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
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| parse_json(&text).ok())
        .and_then(|value| string_field(&value, field))
        .unwrap_or_else(|| stem(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_value_position_are_quoted() {
        assert_eq!(
            quote_placeholders("{\"enabled\": @@ON@@, \"name\": \"x@@Y@@\"}"),
            "{\"enabled\": \"@@ON@@\", \"name\": \"x@@Y@@\"}"
        );
        let value = parse_yaml("rules:\n  - name: a\n    enabled: @@ON@@\n").unwrap();
        assert_eq!(value["rules"][0]["enabled"], Value::String("@@ON@@".into()));
    }
}
