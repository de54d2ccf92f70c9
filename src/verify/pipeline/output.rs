//! The Actions of an earlier `migrate` (or any deploy-cli export holding Actions): the ones bound
//! to post-login, in trigger order, with their code. Both layouts: `triggers/*.json` (the first,
//! as deploy-cli reads) and `actions/<Name>.json`, or a tenant YAML file with `actions:` and
//! `triggers:`. Files are read as every export is (`crate::deploy_cli`): bounded, and code only
//! from a regular file inside the folder, after resolving `..` and symlinks.

use super::Step;
use crate::cli::files::read_file;
use crate::deploy_cli::{read_metadata, string_field, Identities, Located};
use crate::limits::Limits;
use crate::migrate::input::{files_with_extension, post_login_bindings};
use serde_json::Value;
use std::path::Path;

/// The post-login Actions bound in `path` (a folder, or a tenant YAML file), in order, leaving
/// out those named in `skip` (the export's own Actions, run on neither side).
pub fn bound_actions(path: &Path, skip: &[&str], limits: &Limits) -> Result<Vec<Step>, String> {
    let identities = &mut Identities::default();
    let tenant = if path.is_file() {
        Some(path.to_path_buf())
    } else {
        ["tenant.yaml", "tenant.yml"]
            .map(|name| path.join(name))
            .into_iter()
            .find(|p| p.is_file())
    };
    let (root, actions, bindings) = match tenant {
        Some(file) => {
            let root = crate::deploy_cli::yaml_export_root(&file).to_path_buf();
            let tenant = read_metadata(&file)?;
            let actions = tenant
                .get("actions")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(described).collect())
                .unwrap_or_default();
            let bindings = tenant.get("triggers").map(post_login_bindings).unwrap_or_default();
            (root, actions, bindings)
        }
        None => {
            let root = path.to_path_buf();
            let mut actions = Vec::new();
            for file in files_with_extension(identities, &root, "actions", "json")? {
                let metadata = read_metadata(&file)?;
                let stem = file.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                let name = string_field(&metadata, "name").unwrap_or_else(|| stem.clone());
                let code = string_field(&metadata, "code").unwrap_or_else(|| format!("./actions/{stem}/code.js"));
                actions.push((name, code));
            }
            let bindings = match files_with_extension(identities, &root, "triggers", "json")?.first() {
                Some(file) => post_login_bindings(&read_metadata(file)?),
                None => Vec::new(),
            };
            (root, actions, bindings)
        }
    };
    bindings
        .iter()
        .filter(|b| !skip.contains(&b.action_name.as_str()))
        .map(|binding| {
            let name = &binding.action_name;
            let (_, code) = actions.iter().find(|(n, _)| n == name).ok_or_else(|| {
                format!(
                    "the Action {name} is bound to post-login but {} does not describe it",
                    path.display()
                )
            })?;
            Ok(Step {
                name: name.clone(),
                code: code_of(identities, &root, name, code, limits)?,
            })
        })
        .collect()
}

/// `(name, code path)` of an entry of a tenant file's `actions:`.
fn described(action: &Value) -> Option<(String, String)> {
    Some((string_field(action, "name")?, string_field(action, "code")?))
}

/// An Action's code: a regular file inside the export, within the size limit.
fn code_of(
    identities: &mut Identities,
    root: &Path,
    name: &str,
    code: &str,
    limits: &Limits,
) -> Result<String, String> {
    let path = match identities.locate(root, &root.join(code)) {
        Located::Inside(path) => path,
        Located::Outside => {
            return Err(format!(
                "the code of the Action {name} ({code}) is outside the folder: it was not read"
            ))
        }
        Located::NotAFile => return Err(format!("the code of the Action {name} ({code}) is not a regular file")),
        Located::Absent => return Err(format!("the code of the Action {name} ({code}) does not exist")),
    };
    let bytes = read_file(&path, limits.max_file_size as u64)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
