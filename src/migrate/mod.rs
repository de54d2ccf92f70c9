//! `rules2actions migrate`: a whole deploy-cli tenant export into post-login Actions and their
//! trigger bindings (mapping §7, §8). Loading reads the export (`input`); `migrate` converts every
//! rule in parallel on large-stack threads and works out the order, names, bindings and the
//! concerns that span rules (`crossrule`); `output` renders the files and `report` the
//! MIGRATION.md and JSON report, all in memory. Writing them is the CLI's job.

pub mod crossrule;
pub mod global_helpers;
pub mod input;
pub mod output;
pub mod report;
pub mod sanitize;

pub use crate::diagnostics::Severity;
pub use input::{load, Binding, ExistingAction, Export, Layout, RuleEntry, Script};

use crate::cli::files::read_file;
use crate::convert::{convert_bytes_inspecting, Conversion, Status};
use crate::limits::Limits;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use crate::rewrite::signature::HANDLER_HEADER;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The deploy-cli layout the export came in (directory or YAML).
    DeployCli,
    Terraform,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub format: Format,
    /// Start each Action with `if (api.rules.wasExecuted('<rule id>')) return;`.
    pub was_executed_guard: bool,
    pub limits: Limits,
}

/// A finding of the migration itself, about one rule (the conversion's own are diagnostics).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub severity: Severity,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    Converted,
    NeedsReview,
    Failed,
}

impl RuleStatus {
    pub fn label(self) -> &'static str {
        match self {
            RuleStatus::Converted => "converted",
            RuleStatus::NeedsReview => "needs review",
            RuleStatus::Failed => "failed",
        }
    }
}

/// One rule and what became of it.
#[derive(Clone, Debug)]
pub struct RuleResult {
    pub name: String,
    /// The Action's name: the rule's, made unique.
    pub action_name: String,
    /// The sanitised file name (deploy-cli `sanitize()`) of the Action's files.
    pub file_stem: String,
    pub order: Option<f64>,
    pub enabled: bool,
    pub stage: String,
    pub id: Option<String>,
    pub source: String,
    pub status: RuleStatus,
    /// `None` when there was no script to convert.
    pub conversion: Option<Conversion>,
    /// The Action's code as written (with the guard, when asked for).
    pub code: Option<String>,
    pub notes: Vec<Note>,
    /// 1-based position among the post-login bindings, when bound.
    pub binding: Option<usize>,
}

impl RuleResult {
    pub fn secrets(&self) -> &[String] {
        self.conversion.as_ref().map_or(&[], |c| &c.secrets)
    }

    pub fn dependencies(&self) -> &[crate::Dependency] {
        self.conversion.as_ref().map_or(&[], |c| &c.dependencies)
    }
}

/// An Action of the export, carried into the output under a file stem of its own.
#[derive(Clone, Debug)]
pub struct Carried {
    pub action: ExistingAction,
    pub file_stem: String,
}

/// Something shared between rules that Actions do not share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Concern {
    /// `global.X`, `user.X`, `user.app_metadata.X` or `context.X`.
    pub path: String,
    /// The rules that write it, in execution order.
    pub writers: Vec<String>,
    /// The rules that read what another (for `user`/`context`: an earlier) rule wrote.
    pub readers: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Migration {
    pub layout: Layout,
    /// Every rule, in execution order (`order`, then name; rules without an order last).
    pub rules: Vec<RuleResult>,
    pub concerns: Vec<Concern>,
    /// The `global` definitions inlined into the Actions of the rules that read them.
    pub inlined: Vec<global_helpers::Inlined>,
    /// The export's own post-login bindings, kept after the migrated ones (Rules ran first).
    pub existing_post_login: Vec<Binding>,
    /// The export's own Actions, in the export's order.
    pub existing_actions: Vec<Carried>,
    pub known_secrets: Option<BTreeSet<String>>,
}

impl Migration {
    /// The bound rules, in binding order.
    pub fn bound(&self) -> impl Iterator<Item = &RuleResult> {
        let mut bound: Vec<&RuleResult> = self.rules.iter().filter(|r| r.binding.is_some()).collect();
        bound.sort_by_key(|r| r.binding);
        bound.into_iter()
    }

    /// Every secret name with the Actions that read it.
    pub fn secrets(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut secrets: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for rule in self.rules.iter().filter(|r| r.code.is_some()) {
            for secret in rule.secrets() {
                secrets.entry(secret).or_default().push(&rule.action_name);
            }
        }
        secrets
    }

    /// The deploy-cli keyword of every secret, by secret name.
    pub fn secret_keywords(&self) -> BTreeMap<&str, String> {
        output::secret_keywords(self.secrets().into_keys())
    }

    pub fn count(&self, status: RuleStatus) -> usize {
        self.rules.iter().filter(|r| r.status == status).count()
    }

    /// Whether every rule converted with nothing left to review.
    pub fn clean(&self) -> bool {
        self.rules.iter().all(|r| r.status == RuleStatus::Converted)
    }
}

fn note(severity: Severity, message: impl Into<String>) -> Note {
    Note {
        severity,
        message: message.into(),
    }
}

/// Converts every rule of the export; `progress` is called once per rule done, from any thread.
pub fn migrate(export: &Export, options: &Options, progress: &(dyn Fn() + Sync)) -> Migration {
    let work = |entry: &RuleEntry| {
        let result = convert_entry(entry, &options.limits);
        progress();
        result
    };
    let converted: Vec<(Option<Conversion>, Option<crossrule::Facts>, Option<String>)> = on_large_stacks(|parallel| {
        if parallel {
            export.rules.par_iter().map(work).collect()
        } else {
            export.rules.iter().map(work).collect()
        }
    });

    let mut order: Vec<usize> = (0..export.rules.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&export.rules[a], &export.rules[b]);
        let key = |o: Option<f64>| (o.is_none(), o.unwrap_or(0.0));
        let (ka, kb) = (key(ra.order), key(rb.order));
        ka.0.cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then_with(|| ra.name.cmp(&rb.name))
            .then(a.cmp(&b))
    });

    let mut names = sanitize::Names::default();
    let existing_actions = export
        .existing_actions
        .iter()
        .map(|action| Carried {
            file_stem: names.reserve(&action.name),
            action: action.clone(),
        })
        .collect();
    let mut rules = Vec::with_capacity(order.len());
    let mut facts = Vec::with_capacity(order.len());
    let mut converted: Vec<Option<_>> = converted.into_iter().map(Some).collect();
    let mut next_binding = 1;
    for index in order {
        let entry = &export.rules[index];
        let (conversion, rule_facts, read_error) = converted[index].take().unwrap_or((None, None, None));
        let mut notes = entry.notes.clone();
        if let Some(error) = read_error {
            notes.push(note(Severity::Error, error));
        }

        let claimed = claim_names(&mut names, &entry.name, &mut notes);
        let (action_name, file_stem) = match &claimed {
            Some(claimed) => (claimed.action_name.clone(), claimed.file_stem.clone()),
            None => (entry.name.clone(), String::new()),
        };

        let mut code = conversion
            .as_ref()
            .filter(|c| claimed.is_some() && matches!(c.status, Status::Converted | Status::Unchanged))
            .and_then(|c| c.action.clone());
        if let Some(action) = &code {
            if options.was_executed_guard {
                match &entry.id {
                    Some(id) => match insert_guard(action, id) {
                        Some(guarded) => code = Some(guarded),
                        None => notes.push(note(
                            Severity::Warning,
                            format!("the Action has no `{HANDLER_HEADER}` line: the wasExecuted guard was not added"),
                        )),
                    },
                    None => notes.push(note(
                        Severity::Warning,
                        "the export has no rule id (export with AUTH0_EXPORT_IDENTIFIERS=true): the wasExecuted guard was not added",
                    )),
                }
            }
            if let (Some(known), Some(conversion)) = (&export.known_secrets, &conversion) {
                for secret in conversion.secrets.iter().filter(|s| !known.contains(*s)) {
                    notes.push(note(
                        Severity::Warning,
                        format!("the secret {secret} is not a key of the export's rules configuration"),
                    ));
                }
            }
        }

        let login = entry.stage == input::DEFAULT_STAGE;
        let binding = if code.is_none() {
            notes.push(note(Severity::Error, "no Action was produced: the rule is not bound"));
            None
        } else if !login {
            notes.push(note(
                Severity::Warning,
                format!(
                    "stage {} has no post-login equivalent: the Action is written but not bound; review what it should become",
                    entry.stage
                ),
            ));
            None
        } else if !entry.enabled {
            notes.push(note(
                Severity::Info,
                "the rule is disabled: its Action is written but not bound",
            ));
            None
        } else {
            next_binding += 1;
            Some(next_binding - 1)
        };

        let status = status_of(code.is_some(), conversion.as_ref(), &notes);
        facts.push(if binding.is_some() { rule_facts } else { None });
        rules.push(RuleResult {
            name: entry.name.clone(),
            action_name,
            file_stem,
            order: entry.order,
            enabled: entry.enabled,
            stage: entry.stage.clone(),
            id: entry.id.clone(),
            source: entry.source.clone(),
            status,
            conversion,
            code,
            notes,
            binding,
        });
    }

    // Inlining converts the definitions it writes: parsing deep code needs a large stack.
    let inlined = on_large_stacks(|_| global_helpers::inline(&mut rules, &mut facts, &options.limits));
    let concerns = cross_rule(&mut rules, &facts);
    Migration {
        layout: export.layout.clone(),
        rules,
        concerns,
        inlined,
        existing_post_login: export.existing_post_login.clone(),
        existing_actions,
        known_secrets: export.known_secrets.clone(),
    }
}

/// The rule's Action name and file stem, with a note when they are not the rule's own name;
/// `None` (and an error note) when no free one was found: the rule gets no Action.
fn claim_names(names: &mut sanitize::Names, name: &str, notes: &mut Vec<Note>) -> Option<sanitize::Claimed> {
    let Some(claimed) = names.claim(name) else {
        notes.push(note(
            Severity::Error,
            "no free Action name or file name was found for this rule",
        ));
        return None;
    };
    if claimed.action_name != name {
        notes.push(note(
            Severity::Warning,
            format!(
                "another rule or Action already has this name or file name: the Action is named `{}`",
                claimed.action_name
            ),
        ));
    }
    Some(claimed)
}

/// Runs `work` on large-stack threads, as parsing deep code needs: in a pool of them (`work` gets
/// `true` and may use rayon), or else, when threads are refused, on one (`false`).
pub fn on_large_stacks<T: Send>(work: impl FnOnce(bool) -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new()
        .stack_size(crate::limits::LARGE_STACK)
        .build()
    {
        Ok(pool) => pool.install(|| work(true)),
        Err(_) => crate::limits::with_large_stack(|| work(false)),
    }
}

fn status_of(has_code: bool, conversion: Option<&Conversion>, notes: &[Note]) -> RuleStatus {
    if !has_code {
        return RuleStatus::Failed;
    }
    let diagnostics = conversion
        .map(|c| c.diagnostics.iter().map(|d| d.severity))
        .into_iter()
        .flatten();
    let worst = diagnostics.chain(notes.iter().map(|n| n.severity)).max();
    if worst.is_some_and(|s| s >= Severity::Warning) {
        RuleStatus::NeedsReview
    } else {
        RuleStatus::Converted
    }
}

/// Reads and converts one rule, and analyses what it shares with the others.
fn convert_entry(entry: &RuleEntry, limits: &Limits) -> (Option<Conversion>, Option<crossrule::Facts>, Option<String>) {
    let bytes = match &entry.script {
        Script::File(path) => match read_file(path, limits.max_file_size as u64) {
            Ok(bytes) => bytes,
            Err(error) => match error.refusal() {
                Some(refusal) => return (Some(refusal), None, None),
                None => return (None, None, Some(format!("cannot read {}: {error}", path.display()))),
            },
        },
        Script::Inline(text) => text.clone().into_bytes(),
        Script::Missing(why) => return (None, None, Some(why.clone())),
    };
    // What the rule shares with the others comes from the tree its conversion parses.
    let text = String::from_utf8_lossy(&bytes);
    // The conversion parses the text after its byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut facts = None;
    let conversion = convert_bytes_inspecting(&bytes, limits, &mut |parsed, _, bindings| {
        facts = Some(crossrule::facts_of(parsed, text, bindings));
    });
    let facts = facts.filter(|_| conversion.action.is_some());
    (Some(conversion), facts, None)
}

/// Puts `if (api.rules.wasExecuted('<id>')) return;` first in the handler, indented like the
/// handler's next line.
pub fn insert_guard(code: &str, rule_id: &str) -> Option<String> {
    let at = code.find(HANDLER_HEADER)? + HANDLER_HEADER.len();
    let rest = &code[at..];
    let next_line = rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n'))?;
    let indent: String = next_line.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let indent = if indent.is_empty() || next_line[indent.len()..].starts_with('}') {
        // An empty body: the closing brace's indentation plus two spaces.
        format!("{indent}  ")
    } else {
        indent
    };
    let newline = if rest.starts_with("\r\n") { "\r\n" } else { "\n" };
    // An id is the export's data: a JavaScript literal, whatever it holds (quotes, line breaks).
    let quoted = crate::rewrite::print::string_literal(rule_id, '\'');
    let mut out = String::with_capacity(code.len() + 64);
    out.push_str(&code[..at]);
    out.push_str(newline);
    out.push_str(&format!("{indent}if (api.rules.wasExecuted({quoted})) return;"));
    out.push_str(rest);
    Some(out)
}

/// Finds the shared state and turns it into concerns and notes on the readers. Only bound rules
/// take part (`facts[i]` is `None` for the others).
fn cross_rule(rules: &mut [RuleResult], facts: &[Option<crossrule::Facts>]) -> Vec<Concern> {
    // Globals survive between logins: any other rule's write counts, earlier or later.
    let mut global_writers: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, facts) in facts.iter().enumerate() {
        for path in facts.iter().flat_map(|f| &f.global_writes) {
            global_writers.entry(path).or_default().push(index);
        }
    }
    let mut found: BTreeMap<String, (BTreeSet<usize>, BTreeSet<usize>)> = BTreeMap::new();
    let mut reader_notes: Vec<(usize, String)> = Vec::new();
    for (reader, facts) in facts.iter().enumerate() {
        let Some(facts) = facts else { continue };
        for path in &facts.global_reads {
            let Some(writers) = global_writers.get(path.as_str()) else {
                continue;
            };
            let others: Vec<usize> = writers.iter().copied().filter(|&w| w != reader).collect();
            if others.is_empty() {
                continue;
            }
            // The nearest earlier writer, or else the first later one.
            let writer = others
                .iter()
                .rev()
                .find(|&&w| w < reader)
                .or(others.first())
                .copied()
                .unwrap_or(reader);
            let more = others.len() - 1;
            reader_notes.push((
                reader,
                format!(
                    "reads {path}, which rule `{}`{} sets: Actions do not share global state; use api.cache, or compute it in this Action",
                    rules[writer].name,
                    if more > 0 { format!(" (and {more} other rules)") } else { String::new() }
                ),
            ));
            let entry = found.entry(path.clone()).or_default();
            entry.0.extend(others);
            entry.1.insert(reader);
        }
    }
    // user / context: a later rule, in the same login.
    let mut last_writer: HashMap<&str, usize> = HashMap::new();
    for (reader, facts) in facts.iter().enumerate() {
        let Some(facts) = facts else { continue };
        for path in &facts.state_reads {
            if let Some(&writer) = last_writer.get(path.as_str()) {
                reader_notes.push((
                    reader,
                    format!(
                        "reads {path}, which the earlier rule `{}` sets: an Action does not see another Action's changes to event; pass the value with api.transaction.setMetadata / event.transaction.metadata, or persist it",
                        rules[writer].name
                    ),
                ));
                let entry = found.entry(path.clone()).or_default();
                entry.0.insert(writer);
                entry.1.insert(reader);
            }
        }
        for path in &facts.state_writes {
            last_writer.insert(path, reader);
        }
    }
    for (reader, message) in reader_notes {
        rules[reader].notes.push(note(Severity::Warning, message));
        if rules[reader].status == RuleStatus::Converted {
            rules[reader].status = RuleStatus::NeedsReview;
        }
    }
    found
        .into_iter()
        .map(|(path, (writers, readers))| Concern {
            path,
            writers: writers.into_iter().map(|i| rules[i].name.clone()).collect(),
            readers: readers.into_iter().map(|i| rules[i].name.clone()).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_goes_first_in_the_handler() {
        let code = "const x = require('x');\nexports.onExecutePostLogin = async (event, api) => {\n    api.access.deny('no');\n};\n";
        assert_eq!(
            insert_guard(code, "rul_1").unwrap(),
            "const x = require('x');\nexports.onExecutePostLogin = async (event, api) => {\n    if (api.rules.wasExecuted('rul_1')) return;\n    api.access.deny('no');\n};\n"
        );
        assert_eq!(
            insert_guard("exports.onExecutePostLogin = async (event, api) => {\n};\n", "r").unwrap(),
            "exports.onExecutePostLogin = async (event, api) => {\n  if (api.rules.wasExecuted('r')) return;\n};\n"
        );
        assert!(insert_guard("module.exports = 1;", "r").is_none());
    }

    #[test]
    fn any_rule_id_makes_a_guard_that_parses_and_holds_it() {
        use swc_ecma_visit::Visit;
        #[derive(Default)]
        struct Strings(Vec<String>);
        impl Visit for Strings {
            fn visit_str(&mut self, literal: &swc_ecma_ast::Str) {
                self.0.extend(literal.value.as_atom().map(|a| a.to_string()));
            }
        }

        let code = "exports.onExecutePostLogin = async (event, api) => {\n  api.access.deny();\n};\n";
        for id in [
            "rul_1'a",
            "a\"b",
            "x\n}); require('child_process'); ({",
            "x\u{2028}y\u{2029}",
            "\\",
            "\u{1b}\u{7f}\u{202e}",
        ] {
            let guarded = insert_guard(code, id).unwrap();
            assert_eq!(guarded.lines().count(), code.lines().count() + 1, "{guarded}");
            let parsed = crate::parse::parse(&guarded).unwrap_or_else(|e| panic!("{id:?}: {} in {guarded}", e.message));
            let mut strings = Strings::default();
            parsed.visit(&mut strings);
            assert_eq!(strings.0, [id], "{guarded}");
        }
    }
}
