//! Invariants over every rule of the shared corpus: no panic, every output parses (with swc, and
//! with `node --check` when node is installed), findings come out in a stable order, and no Rules
//! construct is left in an Action without a TODO.

mod common;

use common::{corpus_dir, js_files, node_available, read_to_string};
use rules2actions::{convert, Limits, Severity, Status};
use std::collections::BTreeMap;

#[test]
fn every_corpus_rule_converts_to_code_that_parses() {
    let files = js_files(&corpus_dir());
    assert!(files.len() >= 120, "corpus not found at {}", corpus_dir().display());
    let node = node_available();
    let scratch = std::env::temp_dir().join(format!("r2a-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut problems = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let text = read_to_string(file);
        let conversion = convert(&text, &Limits::default());
        let again = convert(&text, &Limits::default());
        if again.diagnostics != conversion.diagnostics || again.action != conversion.action {
            problems.push(format!("{}: two conversions differ", file.display()));
        }
        if conversion.status == Status::InternalError {
            problems.push(format!(
                "{}: internal error {:?}",
                file.display(),
                conversion.diagnostics
            ));
        }
        let Some(action) = conversion.action.filter(|_| conversion.status == Status::Converted) else {
            continue;
        };
        for line in common::unmarked_leftovers_of(&action, &text) {
            problems.push(format!("{}:{line}: Rules construct without a TODO", file.display()));
        }
        let has_placeholders = text.contains("@@") || text.contains("##");
        if node && !has_placeholders {
            let path = scratch.join(format!("{index}.js"));
            std::fs::write(&path, &action).unwrap();
            let check = std::process::Command::new("node")
                .arg("--check")
                .arg(&path)
                .output()
                .unwrap();
            if !check.status.success() {
                problems.push(format!(
                    "{}: node --check fails: {}",
                    file.display(),
                    String::from_utf8_lossy(&check.stderr)
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Prints the figures the README reports: rules converting with no warning, and the count per code.
#[test]
fn corpus_figures() {
    let files = js_files(&corpus_dir());
    let mut clean = 0;
    let mut per_code: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let conversion = convert(&read_to_string(file), &Limits::default());
        if conversion.status == Status::Converted && conversion.worst_severity() < Some(Severity::Warning) {
            clean += 1;
        }
        for diagnostic in &conversion.diagnostics {
            *per_code.entry(diagnostic.code.to_string()).or_default() += 1;
        }
    }
    println!(
        "{clean} of {} corpus rules convert with no warning or error",
        files.len()
    );
    for (code, count) in &per_code {
        println!("{code} {count}");
    }
}

/// The share of the official templates (`auth0-rules`) that convert with nothing left for a
/// human. Raise the floor as the converter improves; never lower it. (It went from 70 to 68 once,
/// for real findings the converter had missed: appery.js and cumulio-add-metadata-to-tokens.js
/// have paths that never call back, and the HubSpot and Salesforce templates write metadata after
/// the rule has called back, which an Action loses.)
const CLEAN_FLOOR_PERCENT: usize = 68;

#[test]
fn most_official_templates_convert_with_nothing_left_to_do() {
    let files = js_files(&corpus_dir().join("auth0-rules"));
    assert!(files.len() >= 120, "expected the 120 official templates");
    let clean = files
        .iter()
        .filter(|file| {
            let conversion = convert(&read_to_string(file), &Limits::default());
            conversion.status == Status::Converted && conversion.worst_severity() < Some(Severity::Warning)
        })
        .count();
    let percent = clean * 100 / files.len();
    println!(
        "{clean} of {} official templates ({percent}%) convert with no warning or error",
        files.len()
    );
    assert!(
        percent >= CLEAN_FLOOR_PERCENT,
        "{percent}% is below the floor of {CLEAN_FLOOR_PERCENT}%"
    );
}

#[test]
fn the_leftover_check_sees_unmarked_constructs() {
    let unmarked = "exports.onExecutePostLogin = async (event, api) => {\n  context.x = 1;\n};\n";
    assert_eq!(common::unmarked_leftovers(unmarked), vec![2]);
    let marked = "exports.onExecutePostLogin = async (event, api) => {\n  // TODO(R2A203): x\n  context.x = 1;\n};\n";
    assert!(common::unmarked_leftovers(marked).is_empty());
    let shadowed = "exports.onExecutePostLogin = async (event, api) => {\n  [1].map(function (context) { return context; });\n};\n";
    assert!(common::unmarked_leftovers(shadowed).is_empty());
    // The rule's parameters lived only inside the rule function; the Rules globals everywhere.
    let module_level = "function helper() { return callback || configuration.KEY; }\nexports.onExecutePostLogin = async (event, api) => {};\n";
    assert_eq!(common::unmarked_leftovers(module_level), vec![1]);
    let outside = "function helper() { return callback; }\nexports.onExecutePostLogin = async (event, api) => {};\n";
    assert!(common::unmarked_leftovers(outside).is_empty());
    let declared = "const user = {};\nexports.onExecutePostLogin = async (event, api) => { user.x = 1; };\n";
    assert!(common::unmarked_leftovers(declared).is_empty());
}
