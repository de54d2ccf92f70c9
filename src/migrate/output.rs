//! The files a migration writes, rendered in memory, deterministically: the same migration gives
//! the same bytes. deploy-cli directory layout (mapping §8.1): `actions/<Name>.json`,
//! `actions/<Name>/code.js`, `triggers/triggers.json`; YAML layout (§8.2): `<tenant>.yaml` with
//! `actions:` and `triggers:`, code in `actions/<Name>/code.js`; Terraform (§8.3): `main.tf` with
//! one `auth0_action` per rule and one `auth0_trigger_actions` for post-login, `variables.tf` for
//! the secrets, code in `actions/<Name>.js`.

use super::{Format, Layout, Migration, RuleResult};
use crate::safe_text::{hcl_string, hcl_template_text, printable};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
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

/// The placeholder written as a secret's value: a deploy-cli keyword, so that
/// `AUTH0_KEYWORD_REPLACE_MAPPINGS` can supply the real value on import.
pub fn secret_placeholder(name: &str) -> String {
    format!("##{name}##")
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

fn action_doc(rule: &RuleResult) -> ActionDoc<'_> {
    ActionDoc {
        name: &rule.action_name,
        code: format!("./actions/{}/code.js", rule.file_stem),
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
                value: secret_placeholder(name),
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

fn directory(migration: &Migration) -> Vec<OutputFile> {
    let mut files = Vec::new();
    for (rule, code) in written(migration) {
        files.push(OutputFile {
            path: format!("actions/{}.json", rule.file_stem),
            contents: json(&action_doc(rule)),
        });
        files.push(code_file(format!("actions/{}/code.js", rule.file_stem), code));
    }
    files.push(OutputFile {
        path: "triggers/triggers.json".to_string(),
        contents: json(&triggers_doc(migration)),
    });
    files
}

#[derive(Serialize)]
struct TenantDoc<'a> {
    actions: Vec<ActionDoc<'a>>,
    triggers: BTreeMap<&'static str, Vec<BindingDoc<'a>>>,
}

fn yaml(migration: &Migration, file_name: &str) -> Vec<OutputFile> {
    let mut files = Vec::new();
    let mut actions = Vec::new();
    for (rule, code) in written(migration) {
        actions.push(action_doc(rule));
        files.push(code_file(format!("actions/{}/code.js", rule.file_stem), code));
    }
    let document = TenantDoc {
        actions,
        triggers: triggers_doc(migration),
    };
    let mut text = String::from(
        "# Post-login Actions migrated from Rules by rules2actions; see MIGRATION.md.\n\
         # Import with a0deploy; secret values are ##NAME## keywords (AUTH0_KEYWORD_REPLACE_MAPPINGS).\n",
    );
    text.push_str(&serde_yaml_ng::to_string(&document).expect("serialising YAML"));
    files.push(OutputFile {
        path: file_name.to_string(),
        contents: text.into_bytes(),
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
            "json" => serde_json::from_str::<serde_json::Value>(text)
                .map(drop)
                .map_err(|e| e.to_string()),
            "yaml" | "yml" => serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text)
                .map(drop)
                .map_err(|e| e.to_string()),
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
    fn identifiers() {
        assert_eq!(identifier("Enrich-Identity-Token", true), "enrich_identity_token");
        assert_eq!(identifier("someRule / test", true), "somerule_test");
        assert_eq!(identifier("1st rule", true), "_1st_rule");
        assert_eq!(identifier("API_KEY", false), "API_KEY");
        assert_eq!(identifier("//", true), "action");
    }
}
