//! The migration report: MIGRATION.md for people, and the same facts as JSON (`--report-json`).
//! Totals first, then the bindings in order, the cross-rule concerns, the secrets to set, and each
//! rule with its status, findings, secrets, dependencies and binding position.

use super::global_helpers::Inlined;
use super::output::{code_path, kept_keywords, secret_placeholder, SECRET_KEYWORD_PREFIX};
use super::{Concern, Format, Layout, Migration, Note, RuleResult, RuleStatus};
use crate::diagnostics::{Diagnostic, Severity};
use crate::safe_text::printable;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Where the rule's Action lands, relative to the output folder.
pub fn action_files(rule: &RuleResult, format: Format) -> Vec<String> {
    if rule.code.is_none() {
        return Vec::new();
    }
    match format {
        Format::Terraform => vec![format!("actions/{}.js", rule.file_stem)],
        Format::DeployCli => vec![code_path(&rule.file_stem)],
    }
}

fn format_name(migration: &Migration, format: Format) -> String {
    match (format, &migration.layout) {
        (Format::Terraform, _) => "Terraform (auth0/auth0 provider)".to_string(),
        (Format::DeployCli, Layout::Directory) => "deploy-cli directory".to_string(),
        (Format::DeployCli, Layout::Yaml { file_name }) => format!("deploy-cli YAML ({})", printable(file_name)),
    }
}

fn order_text(order: Option<f64>) -> String {
    order.map_or_else(|| "none".to_string(), |o| o.to_string())
}

/// Markdown-safe inline code, on one line and printable (`--dry-run` prints it on a terminal).
fn code(text: &str) -> String {
    let text = printable(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn cell(text: &str) -> String {
    printable(text).replace('|', "\\|")
}

fn list(names: &[String], limit: usize) -> String {
    let mut shown: Vec<String> = names.iter().take(limit).map(|n| code(n)).collect();
    if names.len() > limit {
        shown.push(format!("and {} more", names.len() - limit));
    }
    shown.join(", ")
}

pub fn markdown(migration: &Migration, format: Format) -> String {
    let mut out = String::new();
    let total = migration.rules.len();
    let bound: Vec<&RuleResult> = migration.bound().collect();
    let secrets = migration.secrets();
    let _ = writeln!(out, "# Migration report: Rules → post-login Actions\n");
    let _ = writeln!(out, "Output format: {}.\n", format_name(migration, format));
    let _ = writeln!(out, "| | |\n|---|---:|");
    let _ = writeln!(out, "| rules | {total} |");
    let _ = writeln!(out, "| converted | {} |", migration.count(RuleStatus::Converted));
    let _ = writeln!(out, "| needs review | {} |", migration.count(RuleStatus::NeedsReview));
    let _ = writeln!(out, "| failed | {} |", migration.count(RuleStatus::Failed));
    let _ = writeln!(out, "| bound to post-login | {} |", bound.len());
    let _ = writeln!(out, "| cross-rule concerns | {} |", migration.concerns.len());
    let _ = writeln!(out, "| secrets to set | {} |", secrets.len());
    out.push('\n');

    let _ = writeln!(out, "## Post-login bindings\n");
    if bound.is_empty() {
        let _ = writeln!(out, "No rule is bound.\n");
    } else {
        let _ = writeln!(
            out,
            "In rule order (lower `order` first). Actions run after any Rule still enabled; deploy them while the Rules are\n\
             enabled only with `--was-executed-guard`, or disable each Rule as its Action is bound.\n"
        );
        for rule in &bound {
            let _ = writeln!(
                out,
                "{}. {} (rule order {})",
                rule.binding.unwrap_or_default(),
                code(&rule.action_name),
                order_text(rule.order)
            );
        }
        out.push('\n');
    }
    if !migration.existing_post_login.is_empty() {
        let names: Vec<String> = migration
            .existing_post_login
            .iter()
            .map(|b| b.action_name.clone())
            .collect();
        let kept = match format {
            Format::DeployCli => "are kept after them in the trigger bindings",
            Format::Terraform => "are listed in a comment of `auth0_trigger_actions`: add them to keep them bound",
        };
        let _ = writeln!(
            out,
            "The export's own post-login Actions ({}) ran after the Rules and {kept}.\n",
            list(&names, 20)
        );
    }

    let _ = writeln!(out, "## Cross-rule concerns\n");
    if migration.concerns.is_empty() {
        let _ = writeln!(out, "None found.\n");
    } else {
        let _ = writeln!(
            out,
            "Rules share `global` values and see each other's changes to `user` and `context`; Actions do neither.\n"
        );
        for Concern { path, writers, readers } in &migration.concerns {
            let _ = writeln!(
                out,
                "- {}: set by {}; read by {}",
                code(path),
                list(writers, 10),
                list(readers, 10)
            );
        }
        out.push('\n');
    }

    inlined_section(&mut out, migration);

    secrets_section(&mut out, migration, format);
    keywords_section(&mut out, migration, format);
    existing_actions_section(&mut out, migration, format);

    let _ = writeln!(out, "## Rules\n");
    let _ = writeln!(
        out,
        "| # | rule | status | enabled | stage | order | binding |\n|---:|---|---|---|---|---:|---:|"
    );
    for (index, rule) in migration.rules.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            index + 1,
            cell(&code(&rule.name)),
            rule.status.label(),
            if rule.enabled { "yes" } else { "no" },
            cell(&rule.stage),
            order_text(rule.order),
            rule.binding.map_or_else(|| "—".to_string(), |b| b.to_string()),
        );
    }
    out.push('\n');

    for (index, rule) in migration.rules.iter().enumerate() {
        let _ = writeln!(
            out,
            "### {}. {} — {}\n",
            index + 1,
            code(&rule.name),
            rule.status.label()
        );
        let _ = writeln!(out, "- source: {}", code(&rule.source));
        if let Some(id) = &rule.id {
            let _ = writeln!(out, "- rule id: {}", code(id));
        }
        match action_files(rule, format).first() {
            Some(file) => {
                let _ = writeln!(out, "- Action: {} in {}", code(&rule.action_name), code(file));
            }
            None => {
                let _ = writeln!(out, "- Action: none");
            }
        }
        let _ = writeln!(
            out,
            "- binding: {}",
            rule.binding
                .map_or_else(|| "not bound".to_string(), |b| format!("post-login, position {b}"))
        );
        if !rule.secrets().is_empty() {
            let names: Vec<String> = rule.secrets().iter().map(|s| code(s)).collect();
            let _ = writeln!(out, "- secrets: {}", names.join(", "));
        }
        if !rule.dependencies().is_empty() {
            let deps: Vec<String> = rule
                .dependencies()
                .iter()
                .map(|d| {
                    code(&format!(
                        "{}@{}",
                        d.name,
                        d.version.as_deref().unwrap_or(super::output::LATEST)
                    ))
                })
                .collect();
            let _ = writeln!(out, "- dependencies: {}", deps.join(", "));
        }
        let diagnostics = rule.conversion.as_ref().map_or(&[][..], |c| &c.diagnostics[..]);
        if !rule.notes.is_empty() || !diagnostics.is_empty() {
            let _ = writeln!(out, "- findings:");
            for Note { severity, message } in &rule.notes {
                let _ = writeln!(out, "  - {severity}: {}", printable(message));
            }
            for d in diagnostics {
                let _ = writeln!(
                    out,
                    "  - {}:{} {} {}: {}",
                    d.start.line,
                    d.start.column,
                    d.code,
                    d.severity,
                    printable(&d.message)
                );
            }
        }
        out.push('\n');
    }
    out
}

/// The secrets to set, and for deploy-cli how their values are passed on import.
fn secrets_section(out: &mut String, migration: &Migration, format: Format) {
    let secrets = migration.secrets();
    let keywords = migration.secret_keywords();
    let _ = writeln!(out, "## Secrets to set\n");
    if secrets.is_empty() {
        let _ = writeln!(out, "None.\n");
        return;
    }
    match format {
        Format::DeployCli => {
            let _ = writeln!(
                out,
                "Each secret's value is written as the keyword `@@{SECRET_KEYWORD_PREFIX}<NAME>@@`, which `a0deploy import` replaces by the\n\
                 value mapped to `{SECRET_KEYWORD_PREFIX}<NAME>`, as a JSON string: quotes, backslashes and line breaks are kept. Give\n\
                 every value on every import, in `AUTH0_KEYWORD_REPLACE_MAPPINGS` of the config file\n\
                 (`{{\"AUTH0_KEYWORD_REPLACE_MAPPINGS\": {{\"{SECRET_KEYWORD_PREFIX}API_KEY\": \"…\"}}}}`) or as an environment variable of\n\
                 that name (a0deploy reads its environment unless given `--env=false`, and a variable wins over the config\n\
                 file). The prefix keeps deploy-cli's own variables (`AUTH0_DOMAIN`, `AUTH0_CLIENT_SECRET`, …) out of the\n\
                 secrets. A keyword with no value leaves the file invalid and the import stops. Do not set the values in\n\
                 the Dashboard instead: the next import would overwrite them.\n"
            );
        }
        Format::Terraform => {
            let _ = writeln!(out, "Each secret is a sensitive variable of `variables.tf`.\n");
        }
    }
    for (name, users) in &secrets {
        let unknown = migration
            .known_secrets
            .as_ref()
            .is_some_and(|known| !known.contains(*name));
        let users: Vec<String> = users.iter().map(|u| u.to_string()).collect();
        let mut remarks = Vec::new();
        if format == Format::DeployCli {
            remarks.push(format!("keyword {}", code(&keywords[name])));
        }
        if unknown {
            remarks.push("not in the export's rules configuration".to_string());
        }
        let remarks = if remarks.is_empty() {
            String::new()
        } else {
            format!(" ({})", remarks.join("; "))
        };
        let _ = writeln!(out, "- {}{remarks}: {}", code(name), list(&users, 10));
    }
    out.push('\n');
}

/// The deploy-cli keywords the rules' code (or the export's Actions) still holds. They are kept
/// rather than turned into secrets: a keyword is a value of the deployment, often no secret (an
/// environment name, a URL), and `@@K@@` may stand for a number, a list or an object, where a
/// secret is a string.
fn keywords_section(out: &mut String, migration: &Migration, format: Format) {
    let kept = kept_keywords(migration, format);
    if kept.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Keywords kept in the code\n");
    let how = match format {
        Format::DeployCli => {
            "`a0deploy import` replaces them in the Actions as it did in the Rules (`@@K@@` by a JSON value, `##K##` by\n\
             text): keep giving their values in `AUTH0_KEYWORD_REPLACE_MAPPINGS`."
        }
        Format::Terraform => {
            "Terraform does not replace deploy-cli keywords: replace each by its value in the code (or read it from a\n\
             secret) before applying."
        }
    };
    let _ = writeln!(out, "{how}\n");
    for (keyword, holders) in &kept {
        let holders: Vec<String> = holders.iter().map(|h| h.to_string()).collect();
        let _ = writeln!(out, "- {}: {}", code(keyword), list(&holders, 10));
    }
    out.push('\n');
}

/// The export's own Actions, carried into the deploy-cli output, and those that could not be.
fn existing_actions_section(out: &mut String, migration: &Migration, format: Format) {
    if migration.existing_actions.is_empty() || format != Format::DeployCli {
        return;
    }
    let _ = writeln!(out, "## The export's own Actions\n");
    let _ = writeln!(
        out,
        "Carried into the output as the export has them, their code copied beside the migrated Actions: an\n\
         Action left out would be deleted by an import with `AUTH0_ALLOW_DELETE` while still bound.\n"
    );
    for carried in &migration.existing_actions {
        let action = &carried.action;
        let state = match (&action.metadata, &action.code) {
            (Err(why), _) => format!(
                "not carried over: {}. An import with `AUTH0_ALLOW_DELETE` deletes it from the tenant",
                printable(why)
            ),
            (Ok(_), Err(why)) => format!(
                "carried over, but {}: the import stops until its code is in {}",
                printable(why),
                code(&code_path(&carried.file_stem))
            ),
            (Ok(_), Ok(_)) => format!("carried over, code in {}", code(&code_path(&carried.file_stem))),
        };
        let _ = writeln!(out, "- {}: {state}", code(&action.name));
        let hidden = hidden_secrets(action);
        if !hidden.is_empty() {
            let _ = writeln!(
                out,
                "  - its secrets {} hold `{OBFUSCATED_SECRET_VALUE}`, what deploy-cli exports in place of a value: an import\n    \
                 sets them to that text. Replace each by a keyword (`@@{SECRET_KEYWORD_PREFIX}<NAME>@@`) and map it to the value.",
                list(&hidden, 10)
            );
        }
    }
    out.push('\n');
}

/// What deploy-cli's export writes as the value of every Action secret.
const OBFUSCATED_SECRET_VALUE: &str = "_VALUE_NOT_SHOWN_";

/// The secrets of an export's Action whose value is deploy-cli's stand-in for a hidden one.
fn hidden_secrets(action: &super::ExistingAction) -> Vec<String> {
    let Ok(metadata) = &action.metadata else {
        return Vec::new();
    };
    let secrets = metadata.get("secrets").and_then(|s| s.as_array());
    secrets
        .into_iter()
        .flatten()
        .filter(|secret| secret.get("value").and_then(|v| v.as_str()) == Some(OBFUSCATED_SECRET_VALUE))
        .filter_map(|secret| secret.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .collect()
}

/// The `global` definitions inlined into readers' Actions; nothing when there are none.
fn inlined_section(out: &mut String, migration: &Migration) {
    if migration.inlined.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Globals inlined\n");
    let _ = writeln!(
        out,
        "Helpers and constants that an earlier rule set on `global` for the rules after it: each Action that reads\n\
         one defines it itself, before its handler, converted from the defining rule.\n"
    );
    for Inlined { path, from, into } in &migration.inlined {
        let _ = writeln!(out, "- {}: from {} into {}", code(path), code(from), list(into, 10));
    }
    out.push('\n');
}

#[derive(Serialize)]
struct JsonReport<'a> {
    format: String,
    totals: Totals,
    bindings: Vec<&'a str>,
    existing_post_login: Vec<&'a str>,
    concerns: &'a [Concern],
    inlined: &'a [Inlined],
    secrets: Vec<JsonSecret<'a>>,
    /// The deploy-cli keywords kept in the code, with the Actions holding each.
    kept_keywords: BTreeMap<String, Vec<&'a str>>,
    existing_actions: Vec<JsonExisting<'a>>,
    rules: Vec<JsonRule<'a>>,
}

#[derive(Serialize)]
struct Totals {
    rules: usize,
    converted: usize,
    needs_review: usize,
    failed: usize,
    bound: usize,
}

#[derive(Serialize)]
struct JsonSecret<'a> {
    name: &'a str,
    /// The deploy-cli keyword to map (deploy-cli output).
    keyword: String,
    placeholder: String,
    actions: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonExisting<'a> {
    name: &'a str,
    /// Where its code was copied, when it was.
    code: Option<String>,
    problem: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonRule<'a> {
    name: &'a str,
    action_name: &'a str,
    source: &'a str,
    id: Option<&'a str>,
    order: Option<f64>,
    enabled: bool,
    stage: &'a str,
    status: RuleStatus,
    files: Vec<String>,
    binding: Option<usize>,
    secrets: &'a [String],
    dependencies: &'a [crate::Dependency],
    notes: &'a [Note],
    diagnostics: &'a [Diagnostic],
}

pub fn json(migration: &Migration, format: Format) -> String {
    let keywords = migration.secret_keywords();
    let report = JsonReport {
        format: format_name(migration, format),
        totals: Totals {
            rules: migration.rules.len(),
            converted: migration.count(RuleStatus::Converted),
            needs_review: migration.count(RuleStatus::NeedsReview),
            failed: migration.count(RuleStatus::Failed),
            bound: migration.bound().count(),
        },
        bindings: migration.bound().map(|r| r.action_name.as_str()).collect(),
        existing_post_login: migration
            .existing_post_login
            .iter()
            .map(|b| b.action_name.as_str())
            .collect(),
        concerns: &migration.concerns,
        inlined: &migration.inlined,
        secrets: migration
            .secrets()
            .into_iter()
            .map(|(name, actions)| {
                let keyword = keywords[name].clone();
                JsonSecret {
                    name,
                    placeholder: secret_placeholder(&keyword),
                    keyword,
                    actions,
                }
            })
            .collect(),
        kept_keywords: kept_keywords(migration, format),
        existing_actions: migration
            .existing_actions
            .iter()
            .map(|carried| {
                let action = &carried.action;
                let problem = action.metadata.as_ref().err().or(action.code.as_ref().err());
                JsonExisting {
                    name: &action.name,
                    code: problem.is_none().then(|| code_path(&carried.file_stem)),
                    problem: problem.map(String::as_str),
                }
            })
            .collect(),
        rules: migration
            .rules
            .iter()
            .map(|rule| JsonRule {
                name: &rule.name,
                action_name: &rule.action_name,
                source: &rule.source,
                id: rule.id.as_deref(),
                order: rule.order,
                enabled: rule.enabled,
                stage: &rule.stage,
                status: rule.status,
                files: action_files(rule, format),
                binding: rule.binding,
                secrets: rule.secrets(),
                dependencies: rule.dependencies(),
                notes: &rule.notes,
                diagnostics: rule.conversion.as_ref().map_or(&[][..], |c| &c.diagnostics[..]),
            })
            .collect(),
    };
    crate::json::to_string("migrate", &report)
}

/// The worst severity among a rule's findings, for summaries.
pub fn worst(rule: &RuleResult) -> Option<Severity> {
    let diagnostics = rule
        .conversion
        .iter()
        .flat_map(|c| c.diagnostics.iter().map(|d| d.severity));
    diagnostics.chain(rule.notes.iter().map(|n| n.severity)).max()
}
