//! Helpers that one rule defines on `global` for the rules after it (a "global function
//! declarations" rule ordered first: `global.postError = function (…) {…}`, often guarded by
//! `if (!global.postError)`). Rules shared `global` across the pipeline; Actions share nothing. So
//! each Action that reads such a helper gets the converted definition at module scope, once,
//! before its handler, and works on its own.
//!
//! Only pure definitions are inlined: a function or a literal constant (non-empty arrays and
//! objects of them too), assigned once, at the top of the defining rule's body or under a guard
//! that only tests globals, set and changed in place by no other rule, that uses none of the
//! defining rule's variables but the modules it requires (whose declarations come along), and
//! that converts with nothing left to review and without needing the login (`event`, `api`).
//! Anything else (a counter, a cache, a client, a value computed when the rule runs) is shared
//! mutable state and stays a cross-rule finding, with the reason it was not inlined. Only rules
//! that run before the reader and are bound (enabled, login stage, converted) define anything.
//!
//! The inlined code assigns `global.NAME` itself rather than a local renamed at every use: the
//! Action's code that reads `global.NAME` stays byte for byte what the conversion made of it, and
//! behaves as it did under Rules, guards included.

mod definition;
mod scan;

pub use scan::{scan, Definition, RuleGlobals};

use super::crossrule::Facts;
use super::{note, RuleResult};
use crate::analysis::scope::pattern_names;
use crate::convert::Dependency;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::limits::Limits;
use crate::parse::{parse, ParsedProgram};
use crate::rewrite::signature::HANDLER_HEADER;
use crate::safe_text::printable;
use definition::{convert_definition, without_todos, Converted};
use rustc_hash::FxHashSet;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use swc_ecma_ast::*;

/// A global whose definition was inlined, for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inlined {
    /// `global.NAME`.
    pub path: String,
    /// The rule that defines it.
    pub from: String,
    /// The rules whose Actions now define it themselves.
    pub into: Vec<String>,
}

/// One global to inline into a reader, resolved.
struct Chosen {
    name: String,
    definer: usize,
    /// Where the definition is in the defining rule.
    at: usize,
}

/// The inlining of one migration: which rule defines what, converted once each.
struct Inliner<'a> {
    rules: &'a [RuleResult],
    facts: &'a [Option<Facts>],
    limits: &'a Limits,
    converted: HashMap<(usize, String), Result<Converted, String>>,
}

impl Inliner<'_> {
    /// The rule that defines `global.NAME` for `reader`: the only bound rule that sets it, and it
    /// runs before the reader.
    fn definer(&self, reader: usize, name: &str) -> Result<Option<usize>, String> {
        let path = format!("global.{name}");
        let writers: Vec<usize> = (0..self.facts.len())
            .filter(|&i| {
                self.facts[i]
                    .as_ref()
                    .is_some_and(|f| f.global_writes.contains(&path) || f.globals.changed.contains(name))
            })
            .collect();
        match writers.as_slice() {
            [] => Ok(None),
            [only] if *only == reader => Ok(None),
            [only] if *only > reader => Err(format!(
                "rule `{}` runs after this one",
                printable(&self.rules[*only].name)
            )),
            [only] => Ok(Some(*only)),
            _ => Err("several rules set or change it: it is shared mutable state".to_string()),
        }
    }

    fn definition(&self, definer: usize, name: &str) -> Result<&Definition, String> {
        let globals = &self.facts[definer].as_ref().expect("a definer has facts").globals;
        match globals.definitions.get(name) {
            Some(Ok(definition)) => Ok(definition),
            Some(Err(why)) => Err(why.clone()),
            None => Err("it is not set by a plain assignment".to_string()),
        }
    }

    /// The definitions to write for `global.NAME`, which `definer` sets: it and the globals it
    /// reads, or why it cannot be inlined into `reader`.
    fn closure(&mut self, reader: usize, name: &str, definer: usize) -> Result<Vec<Chosen>, String> {
        let mut chosen: Vec<Chosen> = Vec::new();
        let mut pending = vec![(name.to_string(), definer)];
        while let Some((next, definer)) = pending.pop() {
            if chosen.iter().any(|c| c.definer == definer && c.name == next) {
                continue;
            }
            let definition = self
                .definition(definer, &next)
                .map_err(|why| self.because(name, &next, &why))?
                .clone();
            for read in &definition.reads {
                match self.definer(reader, read) {
                    Ok(Some(definer)) => pending.push((read.clone(), definer)),
                    Ok(None) => return Err(format!("it reads global.{read}, which no earlier rule defines")),
                    Err(why) => return Err(format!("it reads global.{read}, and {why}")),
                }
            }
            let limits = self.limits;
            let converted = self
                .converted
                .entry((definer, next.clone()))
                .or_insert_with(|| convert_definition(&definition, limits));
            if let Err(why) = converted {
                let why = why.clone();
                return Err(self.because(name, &next, &why));
            }
            chosen.push(Chosen {
                name: next,
                definer,
                at: definition.at,
            });
        }
        Ok(chosen)
    }

    fn because(&self, name: &str, other: &str, why: &str) -> String {
        if name == other {
            why.to_string()
        } else {
            format!("it reads global.{other}, and {why}")
        }
    }
}

/// What one reader gets: the definitions to write, and the globals it reads that cannot be
/// inlined, with why.
struct Plan {
    reader: usize,
    chosen: Vec<Chosen>,
    refused: Vec<(String, String)>,
}

impl Inliner<'_> {
    /// The plan of a bound rule with an Action; `None` for the others.
    fn plan(&mut self, reader: usize) -> Option<Plan> {
        let reader_facts = self.facts[reader].as_ref()?;
        self.rules[reader].code.as_ref()?;
        // A global the reader writes as well is its own state, or state it shares: not a helper.
        let wanted: Vec<String> = reader_facts
            .global_reads
            .difference(&reader_facts.global_writes)
            .filter_map(|path| path.strip_prefix("global.").map(str::to_string))
            .collect();
        let mut plan = Plan {
            reader,
            chosen: Vec::new(),
            refused: Vec::new(),
        };
        for name in wanted {
            let found = match self.definer(reader, &name) {
                Ok(None) => continue,
                Ok(Some(definer)) => self.closure(reader, &name, definer),
                Err(why) => Err(why),
            };
            match found {
                Ok(found) => plan.chosen.extend(found),
                Err(why) => plan.refused.push((name, why)),
            }
        }
        plan.chosen.sort_by_key(|c| (c.definer, c.at));
        plan.chosen.dedup_by(|a, b| a.definer == b.definer && a.name == b.name);
        Some(plan)
    }
}

/// Inlines into every bound reader the definitions it reads from earlier rules; drops the findings
/// about those reads and takes them out of the reader's cross-rule facts. Readers that cannot get
/// a definition get a note saying why (the cross-rule finding stays).
pub fn inline(rules: &mut [RuleResult], facts: &mut [Option<Facts>], limits: &Limits) -> Vec<Inlined> {
    let mut inliner = Inliner {
        rules,
        facts,
        limits,
        converted: HashMap::new(),
    };
    let plans: Vec<Plan> = (0..facts.len()).filter_map(|reader| inliner.plan(reader)).collect();
    let converted = inliner.converted;

    let mut inlined: BTreeMap<(usize, String), BTreeSet<usize>> = BTreeMap::new();
    for Plan {
        reader,
        chosen,
        refused,
    } in plans
    {
        for (name, why) in refused {
            rules[reader].notes.push(note(
                Severity::Info,
                format!("global.{name} was not inlined into this Action: {why}"),
            ));
        }
        if chosen.is_empty() {
            continue;
        }
        let definers: Vec<String> = chosen.iter().map(|c| rules[c.definer].name.clone()).collect();
        if apply(&mut rules[reader], facts, reader, &chosen, &converted, &definers) {
            for c in &chosen {
                inlined.entry((c.definer, c.name.clone())).or_default().insert(reader);
            }
        }
    }
    report_definers(rules, &inlined);
    inlined
        .into_iter()
        .map(|((definer, name), readers)| Inlined {
            path: format!("global.{name}"),
            from: rules[definer].name.clone(),
            into: readers.into_iter().map(|r| rules[r].name.clone()).collect(),
        })
        .collect()
}

/// The module-scope code defining the chosen globals, each under a comment naming its rule, after
/// the declarations they need that the Action does not have yet, with the dependencies that code
/// needs; or why it cannot be written (a name the Action already declares otherwise).
fn module_block(
    code: &str,
    chosen: &[Chosen],
    definers: &[String],
    converted: &HashMap<(usize, String), Result<Converted, String>>,
) -> Result<(String, Vec<Dependency>), String> {
    let newline = crate::source::line_ending(code);
    let definitions: Vec<(&Chosen, &String, &Converted)> = chosen
        .iter()
        .zip(definers)
        .filter_map(|(c, definer)| Some((c, definer, converted.get(&(c.definer, c.name.clone()))?.as_ref().ok()?)))
        .collect();
    let mut declared = module_declarations(code);
    let mut block = String::new();
    for prelude in definitions.iter().flat_map(|(_, _, d)| &d.prelude) {
        if prelude.names.iter().all(|n| declared.get(n) == Some(&prelude.text)) {
            continue;
        }
        if let Some(name) = prelude.names.iter().find(|n| declared.contains_key(*n)) {
            return Err(format!("`{name}` is declared otherwise at the top of this Action"));
        }
        declared.extend(prelude.names.iter().map(|n| (n.clone(), prelude.text.clone())));
        if block.is_empty() {
            block.push_str(&format!("// Modules that the globals inlined below use.{newline}"));
        }
        block.push_str(&format!("{}{newline}", prelude.text));
    }
    let mut dependencies = Vec::new();
    for (c, definer, converted) in definitions {
        block.push_str(&format!(
            "// global.{}: defined by rule `{}`. Actions share no globals, so this Action defines it itself.{newline}",
            c.name,
            printable(definer)
        ));
        block.push_str(&format!("global.{} = {};{newline}", c.name, converted.code));
        dependencies.extend(converted.dependencies.iter().cloned());
    }
    block.push_str(newline);
    Ok((block, dependencies))
}

/// The names an Action declares at module level, with the text of the statement that does (the
/// text is empty for functions and classes, which no module-scope declaration equals).
fn module_declarations(code: &str) -> BTreeMap<String, String> {
    let masked = crate::placeholders::mask(code);
    let Ok(parsed) = parse(&masked.text) else {
        return BTreeMap::new();
    };
    let ParsedProgram::Script(script) = &parsed.program else {
        return BTreeMap::new();
    };
    let mut declared = BTreeMap::new();
    for stmt in &script.body {
        let Stmt::Decl(decl) = stmt else { continue };
        let mut names = FxHashSet::default();
        let text = match decl {
            Decl::Var(var) => {
                var.decls.iter().for_each(|d| pattern_names(&d.name, &mut names));
                code.get(parsed.range(var.span)).unwrap_or_default()
            }
            Decl::Fn(function) => {
                names.insert(function.ident.sym.clone());
                ""
            }
            Decl::Class(class) => {
                names.insert(class.ident.sym.clone());
                ""
            }
            _ => continue,
        };
        declared.extend(names.iter().map(|n| (n.to_string(), text.to_string())));
    }
    declared
}

/// Writes the definitions into the reader's Action, before its handler, and drops the findings
/// (and their TODO lines) about reading them. `false`, with a note, when the result would not parse.
fn apply(
    rule: &mut RuleResult,
    facts: &mut [Option<Facts>],
    reader: usize,
    chosen: &[Chosen],
    converted: &HashMap<(usize, String), Result<Converted, String>>,
    definers: &[String],
) -> bool {
    let Some(code) = rule.code.as_deref() else { return false };
    let Some(header) = code.find(HANDLER_HEADER) else {
        return false;
    };
    // The line of the handler; after a byte order mark, which stays first.
    let bom = if code.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let at = code[..header].rfind('\n').map_or(bom, |i| i + 1);
    let (block, dependencies) = match module_block(code, chosen, definers, converted) {
        Ok(block) => block,
        Err(why) => {
            let names: Vec<String> = chosen.iter().map(|c| format!("global.{}", c.name)).collect();
            rule.notes.push(note(
                Severity::Info,
                format!("{} not inlined into this Action: {why}", names.join(", ")),
            ));
            return false;
        }
    };

    let names: BTreeSet<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
    let reader_facts = facts[reader].as_mut().expect("a reader has facts");
    let sites = &reader_facts.globals.read_sites;
    let about_inlined = |d: &Diagnostic| {
        d.code == Code::GlobalState
            && sites
                .get(&d.range.start)
                .is_some_and(|name| names.contains(name.as_str()))
    };
    let (dropped, kept): (Vec<Diagnostic>, Vec<Diagnostic>) = rule
        .conversion
        .as_ref()
        .map(|c| c.diagnostics.iter().cloned().partition(about_inlined))
        .unwrap_or_default();
    let code = format!("{}{block}{}", &code[..at], &code[at..]);
    let code = without_todos(&code, &dropped.iter().collect::<Vec<_>>());
    if parse(&crate::placeholders::mask(&code).text).is_err() {
        rule.notes.push(note(
            Severity::Warning,
            "the Action with the inlined globals does not parse: they were not inlined",
        ));
        return false;
    }
    rule.code = Some(code);
    if let Some(conversion) = rule.conversion.as_mut() {
        conversion.diagnostics = kept;
    }
    merge_dependencies(rule, &dependencies);
    for name in &names {
        reader_facts.global_reads.remove(&format!("global.{name}"));
    }
    note_inlined(rule, chosen, definers);
    rule.status = super::status_of(rule.code.is_some(), rule.conversion.as_ref(), &rule.notes);
    true
}

/// Tells the reader which globals it now defines, per rule they came from.
fn note_inlined(rule: &mut RuleResult, chosen: &[Chosen], definers: &[String]) {
    let mut per_definer: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (c, definer) in chosen.iter().zip(definers) {
        per_definer
            .entry(definer)
            .or_default()
            .push(format!("global.{}", c.name));
    }
    for (definer, names) in per_definer {
        rule.notes.push(note(
            Severity::Info,
            format!(
                "{} inlined from rule `{definer}`: Actions share no globals, so this Action defines {} itself",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
}

fn merge_dependencies(rule: &mut RuleResult, dependencies: &[Dependency]) {
    let Some(conversion) = rule.conversion.as_mut() else {
        return;
    };
    for dependency in dependencies {
        if !conversion.dependencies.iter().any(|d| d.name == dependency.name) {
            conversion.dependencies.push(dependency.clone());
        }
    }
}

/// Tells each defining rule which Actions got its definitions.
fn report_definers(rules: &mut [RuleResult], inlined: &BTreeMap<(usize, String), BTreeSet<usize>>) {
    let mut per_definer: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for (definer, name) in inlined.keys() {
        per_definer.entry(*definer).or_default().insert(name);
    }
    for (definer, names) in per_definer {
        let list: Vec<String> = names.iter().map(|n| format!("global.{n}")).collect();
        rules[definer].notes.push(note(
            Severity::Info,
            format!(
                "its definitions of {} are inlined into the Actions of the later rules that read them (Actions share no globals)",
                list.join(", ")
            ),
        ));
    }
}
