//! The deploy-cli export format (mapping §8.1, §8.2), read one way for every command: `check`
//! learns from it which scripts are disabled or of another stage, `migrate` reads the whole
//! export, and the two cannot disagree about a rule.
//!
//! - A metadata file (`rules/<Name>.json`, `tenant.yaml`, …) is read only if it is a regular file
//!   within `MAX_METADATA_SIZE`, and parsed only if it nests within `MAX_METADATA_NESTING`.
//!   Keyword placeholders standing where a value goes (`"enabled": @@ENABLED@@`) read as strings.
//! - A rule's fields (`enabled`, `stage`, `order`, …) are interpreted by `rule_fields` alone.
//! - A rule's `script` is followed only to a regular file inside the export, once `..` and
//!   symlinks are resolved: metadata never makes a command read, or silence, a file elsewhere.
//!
//! An export is a folder: the one holding `tenant.yaml` (or the YAML file given to `migrate`), or
//! the one holding `rules/` for the directory layout.

use crate::cli::files::read_file;
pub use crate::limits::yaml_nesting::MAX_METADATA_NESTING;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The stage of a rule whose metadata names none, and the only one that becomes a post-login
/// Action.
pub const DEFAULT_STAGE: &str = "login_success";

/// Largest metadata file read, in bytes. A `rules/<Name>.json` is a few hundred bytes; a
/// `tenant.yaml` lists every rule, client and connection of a tenant, and one of 10,000 rules is
/// about 1.5 MB. Parsing YAML takes memory many times the text (a hostile file at this limit,
/// deeply nested within `MAX_METADATA_NESTING`, peaks at about 350 MB), so the limit is no larger.
pub const MAX_METADATA_SIZE: u64 = 2 * 1024 * 1024;

/// The YAML files `check` takes for a deploy-cli export: an export's own tenant file, and no other
/// YAML of the repository (notes, CI configuration) can mark a rule disabled.
pub fn is_tenant_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name == "tenant.yaml" || name == "tenant.yml")
}

/// The export a `rules/<Name>.json` belongs to: the folder holding `rules/`.
pub fn directory_export_root(json: &Path) -> &Path {
    let rules = json.parent().unwrap_or(Path::new(""));
    non_empty(rules.parent().unwrap_or(Path::new("")))
}

/// The export a tenant YAML file belongs to: its folder.
pub fn yaml_export_root(yaml: &Path) -> &Path {
    non_empty(yaml.parent().unwrap_or(Path::new("")))
}

/// The script a `rules/<Name>.json` describes: its `script`, relative to `rules/`, or else
/// `rules/<Name>.js`.
pub fn directory_rule_script(json: &Path, fields: &RuleFields) -> PathBuf {
    match &fields.script {
        Some(script) => non_empty(json.parent().unwrap_or(Path::new(""))).join(script),
        None => json.with_extension("js"),
    }
}

/// The script an entry of a tenant file's `rules:` describes: its `script`, relative to the
/// file's folder.
pub fn yaml_rule_script(yaml: &Path, fields: &RuleFields) -> Option<PathBuf> {
    Some(yaml_export_root(yaml).join(fields.script.as_deref()?))
}

/// The folder of `a.js` is "", which the file system does not take for the current folder.
fn non_empty(folder: &Path) -> &Path {
    if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    }
}

/// Reads and parses a metadata file: JSON for `.json`, YAML otherwise.
pub fn read_metadata(path: &Path) -> Result<Value, String> {
    let bytes = read_file(path, MAX_METADATA_SIZE).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))?;
    if let Some(offset) = crate::limits::yaml_nesting::too_deep(&text, MAX_METADATA_NESTING) {
        let line = text[..offset].matches('\n').count() + 1;
        return Err(format!(
            "{} nests deeper than {MAX_METADATA_NESTING} levels (line {line}): it was not parsed",
            path.display()
        ));
    }
    if path.extension().is_some_and(|e| e == "json") {
        parse_json(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
    } else {
        parse_yaml(&text).map_err(|e| format!("{} is not valid YAML: {e}", path.display()))
    }
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

/// JSON text, placeholders standing for values included.
pub fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text).or_else(|error| serde_json::from_str(&quote_placeholders(text)).map_err(|_| error))
}

/// YAML text, placeholders standing for values included.
pub fn parse_yaml(text: &str) -> Result<Value, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str(text).or_else(|error| serde_yaml_ng::from_str(&quote_placeholders(text)).map_err(|_| error))
}

/// A field that is a string, or a number or boolean written where a string was meant.
pub fn string_field(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What the metadata of one rule says, from its JSON object or its entry of `rules:`.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleFields {
    pub name: Option<String>,
    pub enabled: bool,
    pub order: Option<f64>,
    pub stage: String,
    pub id: Option<String>,
    pub script: Option<String>,
    /// Fields that could not be taken as written, and what was assumed instead.
    pub warnings: Vec<String>,
}

impl RuleFields {
    /// Whether the rule runs at login: enabled, of the login stage.
    pub fn runs_at_login(&self) -> bool {
        self.enabled && self.stage == DEFAULT_STAGE
    }
}

/// Interprets one rule's metadata. A value deploy-cli would replace (a placeholder) or any other
/// value that is not what the field takes is reported, and the rule taken as enabled, of the
/// default stage, unordered: the assumption that keeps a rule in view rather than silenced.
pub fn rule_fields(value: &Value) -> RuleFields {
    let mut warnings = Vec::new();
    let enabled = match value.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(other) => {
            warnings.push(format!(
                "`enabled` is {other}, not true or false: the rule is taken as enabled"
            ));
            true
        }
    };
    let order = match value.get("order") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.trim().parse::<f64>().is_ok() => s.trim().parse().ok(),
        Some(other) => {
            warnings.push(format!(
                "`order` is {other}, not a number: the rule is placed after the ordered ones"
            ));
            None
        }
    };
    RuleFields {
        name: string_field(value, "name").filter(|n| !n.trim().is_empty()),
        enabled,
        order,
        stage: string_field(value, "stage").unwrap_or_else(|| DEFAULT_STAGE.to_string()),
        id: string_field(value, "id").filter(|id| !id.is_empty()),
        script: string_field(value, "script"),
        warnings,
    }
}

/// Where a rule's script leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Located {
    /// A regular file inside the export, by its canonical path.
    Inside(PathBuf),
    /// Outside the export once `..` and symlinks are resolved: never read.
    Outside,
    /// Inside the export but not a regular file (a FIFO, a folder): never read.
    NotAFile,
    /// Nothing there, or a symlink to nothing.
    Absent,
}

/// Canonical paths, cheaply: `canonicalize` costs a system call or two per path component, so
/// each folder is canonicalised once, and a file that is not a symlink is its canonical folder
/// and its name. An export of 10,000 rules has 10,000 scripts in one folder.
#[derive(Default)]
pub struct Identities {
    folders: HashMap<PathBuf, Option<PathBuf>>,
}

impl Identities {
    /// A key that names the same file whatever the spelling (`rules/../rules/a.js`), for a file
    /// that is not a symlink.
    pub fn of_file(&mut self, path: &Path) -> PathBuf {
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return identity(path);
        };
        let Some(canonical) = self.folder(non_empty(folder)) else {
            return path.to_path_buf();
        };
        // At its exact length (`join` would double the buffer): one is kept per described script.
        let mut identity = PathBuf::with_capacity(canonical.as_os_str().len() + 1 + name.len());
        identity.push(canonical);
        identity.push(name);
        identity
    }

    fn folder(&mut self, folder: &Path) -> Option<&PathBuf> {
        if !self.folders.contains_key(folder) {
            self.folders.insert(folder.to_path_buf(), folder.canonicalize().ok());
        }
        self.folders[folder].as_ref()
    }

    /// Where `script` (a path as the metadata spells it, joined to the folder it is relative to)
    /// leads, for the export in the folder `root`.
    pub fn locate(&mut self, root: &Path, script: &Path) -> Located {
        let Ok(link) = std::fs::symlink_metadata(script) else {
            return Located::Absent;
        };
        let (canonical, is_file) = if link.is_symlink() {
            match script.canonicalize() {
                Ok(target) => {
                    let is_file = std::fs::metadata(&target).is_ok_and(|m| m.is_file());
                    (target, is_file)
                }
                Err(_) => return Located::Absent,
            }
        } else {
            (self.of_file(script), link.is_file())
        };
        match self.folder(root) {
            Some(root) if canonical.starts_with(root) => {}
            _ => return Located::Outside,
        }
        if is_file {
            Located::Inside(canonical)
        } else {
            Located::NotAFile
        }
    }
}

/// The canonical path of a file, or the path itself if it has none (it does not exist).
pub fn identity(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
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

    #[test]
    fn fields_that_are_placeholders_keep_the_rule_in_view() {
        let value = parse_json(r#"{"enabled": @@A_ENABLED@@, "stage": "login_failure", "order": @@N@@}"#).unwrap();
        let fields = rule_fields(&value);
        assert!(fields.enabled);
        assert_eq!(fields.stage, "login_failure");
        assert!(!fields.runs_at_login());
        assert_eq!(fields.order, None);
        assert_eq!(fields.warnings.len(), 2, "{:?}", fields.warnings);
        let plain = rule_fields(&parse_json(r#"{"enabled": "false", "order": "3"}"#).unwrap());
        assert!(!plain.enabled && plain.order == Some(3.0) && plain.warnings.is_empty());
        assert_eq!(plain.stage, DEFAULT_STAGE);
    }

    #[test]
    fn export_roots() {
        assert_eq!(directory_export_root(Path::new("x/rules/a.json")), Path::new("x"));
        assert_eq!(directory_export_root(Path::new("rules/a.json")), Path::new("."));
        assert_eq!(yaml_export_root(Path::new("tenant.yaml")), Path::new("."));
        assert!(is_tenant_file(Path::new("e/tenant.yml")));
        assert!(!is_tenant_file(Path::new("docs/notes.yaml")));
    }

    #[test]
    fn scripts_are_followed_only_inside_the_export() {
        let dir = std::env::temp_dir().join(format!("r2a-deploy-cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let export = dir.join("export");
        std::fs::create_dir_all(export.join("rules")).unwrap();
        std::fs::write(export.join("rules/a.js"), "x").unwrap();
        std::fs::write(dir.join("outside.js"), "x").unwrap();
        let mut identities = Identities::default();
        let inside = identities.locate(&export, &export.join("rules/../rules/a.js"));
        assert_eq!(
            inside,
            Located::Inside(export.join("rules/a.js").canonicalize().unwrap())
        );
        assert_eq!(
            identities.locate(&export, &export.join("../outside.js")),
            Located::Outside
        );
        let absolute = dir.join("outside.js").canonicalize().unwrap();
        assert_eq!(identities.locate(&export, &export.join(&absolute)), Located::Outside);
        assert_eq!(identities.locate(&export, &export.join("rules")), Located::NotAFile);
        assert_eq!(
            identities.locate(&export, &export.join("rules/none.js")),
            Located::Absent
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&absolute, export.join("rules/link.js")).unwrap();
            assert_eq!(
                identities.locate(&export, &export.join("rules/link.js")),
                Located::Outside
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
