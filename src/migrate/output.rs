//! The files a migration writes, rendered in memory, deterministically: the same migration gives
//! the same bytes. deploy-cli directory layout (mapping §8.1): `actions/<Name>.json`,
//! `actions/<Name>/code.js`, `triggers/triggers.json`; YAML layout (§8.2): `<tenant>.yaml` with
//! `actions:` and `triggers:`, code in `actions/<Name>/code.js`; Terraform (§8.3): `main.tf` with
//! one `auth0_action` per rule and one `auth0_trigger_actions` for post-login, `variables.tf` for
//! the secrets, code in `actions/<Name>.js`.

use super::{Carried, Format, Layout, Migration, RuleResult};
use crate::safe_text::{hcl_string, hcl_template_text, printable};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

pub const RUNTIME: &str = "node22";
pub const TRIGGER: &str = "post-login";
pub const TRIGGER_VERSION: &str = "v3";
/// The version written for a dependency the rule required without one.
pub const LATEST: &str = "latest";

/// A file to write, at a path relative to the output folder (`/`-separated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// The prefix of every secret's deploy-cli keyword. `a0deploy import` takes its whole environment
/// as keyword mappings by default (`--env`), and a variable wins over the config file: a secret
/// keyed by its bare name, such as `AUTH0_CLIENT_SECRET`, would receive deploy-cli's own credentials.
pub const SECRET_KEYWORD_PREFIX: &str = "R2A_SECRET_";

/// The deploy-cli keyword of each secret name: `R2A_SECRET_<NAME>`. deploy-cli builds a regular
/// expression from a keyword without escaping it, so in a name with other characters than ASCII
/// letters, digits and `_` they become `_`, with a number when that collides.
pub fn secret_keywords<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, String> {
    let names: BTreeSet<&str> = names.into_iter().collect();
    let plain = |name: &str| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let mut taken: HashSet<String> = names
        .iter()
        .filter(|name| plain(name))
        .map(|name| format!("{SECRET_KEYWORD_PREFIX}{name}"))
        .collect();
    names
        .iter()
        .map(|name| {
            let keyword = if plain(name) {
                format!("{SECRET_KEYWORD_PREFIX}{name}")
            } else {
                let safe: String = name
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
                    .collect();
                unique(format!("{SECRET_KEYWORD_PREFIX}{safe}"), &mut taken)
            };
            (*name, keyword)
        })
        .collect()
}

/// What a secret's value is written as: the keyword that deploy-cli replaces by the mapped value
/// as a JSON string, so quotes, backslashes and line breaks in the value survive.
pub fn secret_placeholder(keyword: &str) -> String {
    format!("@@{keyword}@@")
}

/// Writes each secret's value `@@K@@` bare, where serialising quoted it (`"value": "@@K@@"` in
/// JSON, `value: '@@K@@'` in YAML). deploy-cli replaces the bare and the quoted forms alike, so
/// with a mapping nothing changes; without one, a bare keyword leaves the file invalid and the
/// import fails, where a quoted one would set the secret to the keyword's own text. The pattern
/// includes the key, which text from a rule cannot produce: in JSON its quotes would be escaped,
/// and in YAML it would at most unquote the keyword inside a multi-line string, which deploy-cli
/// replaces either way. One pass over the text, however many secrets.
fn bare_secret_values(text: &str, keywords: &HashSet<&str>, yaml: bool) -> String {
    let (key, quote) = if yaml { ("value: ", "'") } else { ("\"value\": ", "\"") };
    let opening = format!("{key}{quote}@@");
    let closing = format!("@@{quote}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&opening) {
        let after = &rest[at + opening.len()..];
        let keyword = after
            .find(&closing)
            .map(|end| &after[..end])
            .filter(|keyword| keywords.contains(keyword));
        match keyword {
            Some(keyword) => {
                out.push_str(&rest[..at]);
                out.push_str(key);
                out.push_str(&secret_placeholder(keyword));
                rest = &after[keyword.len() + closing.len()..];
            }
            None => {
                out.push_str(&rest[..at + opening.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The deploy-cli keywords the written code still holds (`@@ENV@@`, `##API_KEY##` of the rules),
/// and in deploy-cli output the carried Actions too, with the Actions holding each: mapped on
/// import, as they were for the Rules.
pub fn kept_keywords(migration: &Migration, format: Format) -> BTreeMap<String, Vec<&str>> {
    let mut texts: Vec<(&str, Cow<str>)> = written(migration)
        .map(|(rule, code)| (rule.action_name.as_str(), Cow::Borrowed(code)))
        .collect();
    let carried = match format {
        Format::DeployCli => &migration.existing_actions[..],
        Format::Terraform => &[],
    };
    for Carried { action, .. } in carried {
        if let Ok(code) = &action.code {
            texts.push((&action.name, Cow::Borrowed(code)));
        }
        if let Ok(metadata) = &action.metadata {
            texts.push((&action.name, Cow::Owned(metadata.to_string())));
        }
    }
    let mut kept: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (action, text) in texts {
        for placeholder in crate::placeholders::mask(&text).placeholders {
            let holders = kept.entry(placeholder.original()).or_default();
            // An Action's texts come one after the other.
            if holders.last() != Some(&action) {
                holders.push(action);
            }
        }
    }
    kept
}

pub fn render(migration: &Migration, format: Format) -> Vec<OutputFile> {
    match (format, &migration.layout) {
        (Format::Terraform, _) => terraform(migration),
        (Format::DeployCli, Layout::Directory) => directory(migration),
        (Format::DeployCli, Layout::Yaml { file_name }) => yaml(migration, file_name),
    }
}

/// The rules that got an Action, in execution order.
fn written(migration: &Migration) -> impl Iterator<Item = (&RuleResult, &str)> {
    migration
        .rules
        .iter()
        .filter_map(|r| r.code.as_deref().map(|code| (r, code)))
}

#[derive(Serialize)]
struct ActionDoc<'a> {
    name: &'a str,
    code: String,
    runtime: &'static str,
    dependencies: Vec<DependencyDoc<'a>>,
    secrets: Vec<SecretDoc<'a>>,
    supported_triggers: [TriggerDoc; 1],
    deployed: bool,
}

#[derive(Serialize)]
struct DependencyDoc<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct SecretDoc<'a> {
    name: &'a str,
    value: String,
}

#[derive(Serialize)]
struct TriggerDoc {
    id: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct BindingDoc<'a> {
    action_name: &'a str,
    display_name: &'a str,
}

fn action_doc<'a>(rule: &'a RuleResult, keywords: &BTreeMap<&str, String>) -> ActionDoc<'a> {
    ActionDoc {
        name: &rule.action_name,
        code: format!("./{}", code_path(&rule.file_stem)),
        runtime: RUNTIME,
        dependencies: rule
            .dependencies()
            .iter()
            .map(|d| DependencyDoc {
                name: &d.name,
                version: d.version.as_deref().unwrap_or(LATEST),
            })
            .collect(),
        secrets: rule
            .secrets()
            .iter()
            .map(|name| SecretDoc {
                name,
                value: secret_placeholder(&keywords[name.as_str()]),
            })
            .collect(),
        supported_triggers: [TriggerDoc {
            id: TRIGGER,
            version: TRIGGER_VERSION,
        }],
        deployed: true,
    }
}

fn triggers_doc(migration: &Migration) -> BTreeMap<&'static str, Vec<BindingDoc<'_>>> {
    let mut bindings: Vec<BindingDoc> = migration
        .bound()
        .map(|r| BindingDoc {
            action_name: &r.action_name,
            display_name: &r.action_name,
        })
        .collect();
    bindings.extend(migration.existing_post_login.iter().map(|b| BindingDoc {
        action_name: &b.action_name,
        display_name: &b.display_name,
    }));
    BTreeMap::from([(TRIGGER, bindings)])
}

fn json(value: &impl Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("serialising JSON");
    bytes.push(b'\n');
    bytes
}

fn code_file(path: String, code: &str) -> OutputFile {
    OutputFile {
        path,
        contents: code.as_bytes().to_vec(),
    }
}

/// The code file of an Action, by its file stem, as deploy-cli names it.
pub fn code_path(file_stem: &str) -> String {
    format!("actions/{file_stem}/code.js")
}

/// An Action of the export as carried over: its metadata as the export has it, with `code`
/// naming the copy of its code written beside the migrated Actions. When its code could not be
/// read, no copy is written and `code` names where it is expected (never a file outside the
/// output): deploy-cli then stops on the missing file rather than deploy the Action without code,
/// and MIGRATION.md says so. `None` when its metadata could not be read.
fn carried(carried: &Carried) -> Option<(Value, Option<OutputFile>)> {
    let mut metadata = carried.action.metadata.clone().ok()?;
    let path = code_path(&carried.file_stem);
    if let Some(object) = metadata.as_object_mut() {
        object.insert("code".to_string(), Value::String(format!("./{path}")));
    }
    let code = carried.action.code.as_ref().ok().map(|code| code_file(path, code));
    Some((metadata, code))
}

fn directory(migration: &Migration) -> Vec<OutputFile> {
    let keywords = migration.secret_keywords();
    let bare: HashSet<&str> = keywords.values().map(String::as_str).collect();
    let mut files = Vec::new();
    for (rule, code) in written(migration) {
        let text = String::from_utf8(json(&action_doc(rule, &keywords))).expect("JSON is UTF-8");
        files.push(OutputFile {
            path: format!("actions/{}.json", rule.file_stem),
            contents: bare_secret_values(&text, &bare, false).into_bytes(),
        });
        files.push(code_file(code_path(&rule.file_stem), code));
    }
    for existing in &migration.existing_actions {
        if let Some((metadata, code)) = carried(existing) {
            files.push(OutputFile {
                path: format!("actions/{}.json", existing.file_stem),
                contents: json(&metadata),
            });
            files.extend(code);
        }
    }
    files.push(OutputFile {
        path: "triggers/triggers.json".to_string(),
        contents: json(&triggers_doc(migration)),
    });
    files
}

#[derive(Serialize)]
#[serde(untagged)]
enum ActionEntry<'a> {
    Migrated(ActionDoc<'a>),
    Carried(Value),
}

#[derive(Serialize)]
struct TenantDoc<'a> {
    /// Never written empty: with `AUTH0_ALLOW_DELETE`, `actions: []` deletes every Action.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<ActionEntry<'a>>,
    triggers: BTreeMap<&'static str, Vec<BindingDoc<'a>>>,
}

fn yaml(migration: &Migration, file_name: &str) -> Vec<OutputFile> {
    let keywords = migration.secret_keywords();
    let bare: HashSet<&str> = keywords.values().map(String::as_str).collect();
    let mut files = Vec::new();
    let mut actions = Vec::new();
    for (rule, code) in written(migration) {
        actions.push(ActionEntry::Migrated(action_doc(rule, &keywords)));
        files.push(code_file(code_path(&rule.file_stem), code));
    }
    for existing in &migration.existing_actions {
        if let Some((metadata, code)) = carried(existing) {
            actions.push(ActionEntry::Carried(metadata));
            files.extend(code);
        }
    }
    let document = TenantDoc {
        actions,
        triggers: triggers_doc(migration),
    };
    let mut text = String::from(
        "# Post-login Actions migrated from Rules by rules2actions; see MIGRATION.md.\n\
         # Import with a0deploy; secret values are @@R2A_SECRET_NAME@@ keywords (AUTH0_KEYWORD_REPLACE_MAPPINGS).\n",
    );
    text.push_str(&serde_yaml_ng::to_string(&document).expect("serialising YAML"));
    files.push(OutputFile {
        path: file_name.to_string(),
        contents: bare_secret_values(&text, &bare, true).into_bytes(),
    });
    files
}

/// The problem of each rendered file that does not parse as what its name says: JavaScript,
/// JSON, YAML (Terraform is built from escaped pieces only, and tested with an HCL parser). Every
/// file is checked before any is written.
pub fn malformed(files: &[OutputFile]) -> Vec<String> {
    use rayon::prelude::*;
    let check = |file: &OutputFile| {
        let text = std::str::from_utf8(&file.contents).map_err(|e| e.to_string());
        let extension = file.path.rsplit_once('.').map_or("", |(_, extension)| extension);
        let problem = text.and_then(|text| match extension {
            // Deploy-cli placeholders stay: they are valid JavaScript once substituted.
            "js" => crate::parse::validate_script(&crate::placeholders::mask(text).text).map_err(|e| e.message),
            // Secret values are bare `@@K@@` keywords, valid once deploy-cli replaces them.
            "json" => crate::deploy_cli::parse_json(text).map(drop).map_err(|e| e.to_string()),
            "yaml" | "yml" => crate::deploy_cli::parse_yaml(text).map(drop).map_err(|e| e.to_string()),
            _ => Ok(()),
        });
        problem
            .err()
            .map(|problem| format!("{} would be malformed ({problem})", printable(&file.path)))
    };
    super::on_large_stacks(|parallel| {
        if parallel {
            files.par_iter().filter_map(check).collect()
        } else {
            files.iter().filter_map(check).collect()
        }
    })
}

/// A Terraform identifier from a name: letters, digits, `_`, starting with a letter or `_`.
fn identifier(name: &str, lowercase: bool) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = if lowercase { c.to_ascii_lowercase() } else { c };
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    let mut out = if trimmed.is_empty() {
        "action".to_string()
    } else {
        trimmed.to_string()
    };
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn unique(base: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = base.clone();
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{base}_{n}");
    }
    candidate
}

fn terraform(migration: &Migration) -> Vec<OutputFile> {
    let mut files = Vec::new();
    let mut taken_resources = HashSet::new();
    let mut taken_variables = HashSet::new();
    let variables: BTreeMap<&str, String> = migration
        .secrets()
        .keys()
        .map(|name| (*name, unique(identifier(name, false), &mut taken_variables)))
        .collect();

    let mut main = String::from(
        "# Post-login Actions migrated from Rules by rules2actions; see MIGRATION.md.\n\
         # Needs the auth0/auth0 provider. Secret values come from the variables in variables.tf.\n",
    );
    let mut resources: BTreeMap<&str, String> = BTreeMap::new();
    for (rule, code) in written(migration) {
        let resource = unique(identifier(&rule.action_name, true), &mut taken_resources);
        resources.insert(&rule.action_name, resource.clone());
        let code_path = format!("actions/{}.js", rule.file_stem);
        files.push(code_file(code_path.clone(), code));

        let _ = write!(
            main,
            "\nresource \"auth0_action\" {} {{\n  name    = {}\n  runtime = \"{RUNTIME}\"\n  deploy  = true\n  code    = file(\"${{path.module}}/{}\")\n\n  supported_triggers {{\n    id      = \"{TRIGGER}\"\n    version = \"{TRIGGER_VERSION}\"\n  }}\n",
            hcl_string(&resource),
            hcl_string(&rule.action_name),
            // `${path.module}` is the one template sequence of the file; the rest is literal.
            hcl_template_text(&code_path),
        );
        for dependency in rule.dependencies() {
            let _ = write!(
                main,
                "\n  dependencies {{\n    name    = {}\n    version = {}\n  }}\n",
                hcl_string(&dependency.name),
                hcl_string(dependency.version.as_deref().unwrap_or(LATEST)),
            );
        }
        for secret in rule.secrets() {
            let _ = write!(
                main,
                "\n  secrets {{\n    name  = {}\n    value = var.{}\n  }}\n",
                hcl_string(secret),
                variables[secret.as_str()],
            );
        }
        main.push_str("}\n");
    }

    let bound: Vec<&RuleResult> = migration.bound().collect();
    if !bound.is_empty() || !migration.existing_post_login.is_empty() {
        main.push_str("\n# The list order is the execution order. This resource manages every post-login binding.\n");
        main.push_str("resource \"auth0_trigger_actions\" \"post_login\" {\n  trigger = \"post-login\"\n");
        for rule in bound {
            let resource = &resources[rule.action_name.as_str()];
            let _ = write!(
                main,
                "\n  actions {{\n    id           = auth0_action.{resource}.id\n    display_name = auth0_action.{resource}.name\n  }}\n"
            );
        }
        if !migration.existing_post_login.is_empty() {
            main.push_str("\n  # The tenant's existing post-login Actions ran after the Rules; add them here to keep them bound:\n");
            for binding in &migration.existing_post_login {
                let _ = writeln!(main, "  #   {}", printable(&binding.action_name));
            }
        }
        main.push_str("}\n");
    }
    files.push(OutputFile {
        path: "main.tf".to_string(),
        contents: main.into_bytes(),
    });

    if !variables.is_empty() {
        let secrets = migration.secrets();
        let mut text =
            String::from("# The secrets of the migrated Actions: the values of the Rules configuration keys.\n");
        for (name, variable) in &variables {
            let users = secrets[name].join(", ");
            let _ = write!(
                text,
                "\nvariable {} {{\n  description = {}\n  type        = string\n  sensitive   = true\n}}\n",
                hcl_string(variable),
                hcl_string(&format!("Rules configuration value {name}, used by: {users}")),
            );
        }
        files.push(OutputFile {
            path: "variables.tf".to_string(),
            contents: text.into_bytes(),
        });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_files_are_found_before_writing() {
        let file = |path: &str, text: &str| OutputFile {
            path: path.to_string(),
            contents: text.as_bytes().to_vec(),
        };
        let files = [
            file(
                "actions/ok/code.js",
                "const key = '##API_KEY##'; const n = @@COUNT@@;\n",
            ),
            file("actions/bad/code.js", "if (api.rules.wasExecuted('a\n')) return;\n"),
            file("actions/ok.json", "{\"name\": \"ok\"}\n"),
            file("actions/bad.json", "{\"name\": }\n"),
            file("tenant.yaml", "actions: [\n"),
            file("MIGRATION.md", "# anything\n"),
        ];
        let problems = malformed(&files);
        assert_eq!(problems.len(), 3, "{problems:?}");
        for (problem, path) in problems
            .iter()
            .zip(["actions/bad/code.js", "actions/bad.json", "tenant.yaml"])
        {
            assert!(problem.starts_with(path), "{problem}");
        }
    }

    #[test]
    fn secret_keywords_are_prefixed_distinct_and_plain() {
        let names = ["API_KEY", "a_b", "a.b", "a-b", "$x", "AUTH0_DOMAIN"];
        let keywords = secret_keywords(names);
        assert_eq!(keywords["API_KEY"], "R2A_SECRET_API_KEY");
        assert_eq!(keywords["AUTH0_DOMAIN"], "R2A_SECRET_AUTH0_DOMAIN");
        assert_eq!(keywords["a_b"], "R2A_SECRET_a_b");
        let distinct: HashSet<&String> = keywords.values().collect();
        assert_eq!(distinct.len(), names.len(), "{keywords:?}");
        // deploy-cli puts the keyword into a regular expression as it is.
        for keyword in keywords.values() {
            assert!(
                keyword.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{keyword}"
            );
        }
    }

    #[test]
    fn secret_values_are_bare_keywords_and_nothing_else_changes() {
        let keyword = "R2A_SECRET_X".to_string();
        let lookalike = "value: '@@R2A_SECRET_X@@' \"value\": \"@@R2A_SECRET_X@@\"";
        let document = serde_json::json!({
            "name": lookalike,
            "secrets": [
                { "name": "X", "value": secret_placeholder(&keyword) },
                { "name": "Y", "value": "@@NOT_A_SECRET_KEYWORD@@" },
            ],
        });
        for yaml in [false, true] {
            let text = if yaml {
                serde_yaml_ng::to_string(&document).unwrap()
            } else {
                serde_json::to_string_pretty(&document).unwrap()
            };
            let bare = bare_secret_values(&text, &HashSet::from([keyword.as_str()]), yaml);
            let expected = if yaml {
                "value: @@R2A_SECRET_X@@"
            } else {
                "\"value\": @@R2A_SECRET_X@@"
            };
            assert!(bare.contains(expected), "{bare}");
            // Unmapped, the file does not parse: deploy-cli stops.
            let strict = if yaml {
                serde_yaml_ng::from_str::<Value>(&bare).is_ok()
            } else {
                serde_json::from_str::<Value>(&bare).is_ok()
            };
            assert!(!strict, "{bare}");
            let read = if yaml {
                crate::deploy_cli::parse_yaml(&bare).unwrap()
            } else {
                crate::deploy_cli::parse_json(&bare).unwrap()
            };
            assert_eq!(read["name"], lookalike);
            assert_eq!(read["secrets"][0]["value"], "@@R2A_SECRET_X@@");
            // Only the secrets' own keywords are made bare.
            assert!(bare.contains("@@NOT_A_SECRET_KEYWORD@@'") || bare.contains("@@NOT_A_SECRET_KEYWORD@@\""));
        }
    }

    #[test]
    fn identifiers() {
        assert_eq!(identifier("Enrich-Identity-Token", true), "enrich_identity_token");
        assert_eq!(identifier("someRule / test", true), "somerule_test");
        assert_eq!(identifier("1st rule", true), "_1st_rule");
        assert_eq!(identifier("API_KEY", false), "API_KEY");
        assert_eq!(identifier("//", true), "action");
    }
}
