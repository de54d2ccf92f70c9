//! Runs every `fixtures/<area>/<case>/` folder: `rule.js` must convert to `action.js` with the
//! findings of `diagnostics.txt` (one `line:column CODE message` per line). With
//! `UPDATE_FIXTURES=1` the expectations are rewritten instead; review every such change.

mod common;

use common::{diagnostics_text, read_to_string};
use rules2actions::{convert, Limits, Status};
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let mut cases = Vec::new();
    for area in std::fs::read_dir("fixtures").expect("fixtures folder").flatten() {
        for case in std::fs::read_dir(area.path()).into_iter().flatten().flatten() {
            if case.path().join("rule.js").exists() {
                cases.push(case.path());
            }
        }
    }
    cases.sort();
    cases
}

fn check_case(case: &Path, update: bool) -> Result<(), String> {
    let rule = read_to_string(&case.join("rule.js"));
    let conversion = convert(&rule, &Limits::default());
    let action = conversion.action.clone().unwrap_or_default();
    let diagnostics = diagnostics_text(&conversion);
    let (action_path, diagnostics_path) = (case.join("action.js"), case.join("diagnostics.txt"));
    if update {
        std::fs::write(&action_path, &action).unwrap();
        std::fs::write(&diagnostics_path, &diagnostics).unwrap();
        return Ok(());
    }
    let mut problems = Vec::new();
    if !action_path.exists() || read_to_string(&action_path) != action {
        problems.push(format!("action.js differs; got:\n{action}"));
    }
    if !diagnostics_path.exists() || read_to_string(&diagnostics_path) != diagnostics {
        problems.push(format!("diagnostics.txt differs; got:\n{diagnostics}"));
    }
    if conversion.status == Status::Converted {
        for line in common::unmarked_leftovers_of(&action, &rule) {
            problems.push(format!(
                "line {line} of the Action holds a Rules construct without a TODO"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}:\n{}", case.display(), problems.join("\n")))
    }
}

#[test]
fn every_fixture_converts_as_expected() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "expected at least 40 fixture cases, found {}",
        cases.len()
    );
    let failures: Vec<String> = cases.iter().filter_map(|case| check_case(case, update).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
