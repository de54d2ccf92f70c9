//! What must hold for every input, whatever it is: shared by the property tests and the fuzz target.
//!
//! - the conversion does not panic (the caller runs it on a large stack, as the CLI does);
//! - the result is consistent: an Action exactly when the status says so, an error finding when the
//!   conversion failed, every finding inside the text;
//! - no internal error (R2A090): the tool never produces code that does not parse;
//! - the Action parses (placeholders masked, as the converter itself does);
//! - the Action refers to no Rules construct (`context`, `callback`, …) except in a statement marked
//!   `// TODO(R2A…)`, and converting it again leaves it as it is;
//! - the same bytes give the same result, byte for byte.

#![allow(dead_code)]

use rules2actions::diagnostics::Severity;
use rules2actions::{convert, convert_bytes, Conversion, Limits, Status};

/// Levels of nesting the conversion may add (`exports.onExecutePostLogin = async (…) => {` and
/// `const ruleError = await new Promise((ruleDone) => {` count about 12 where the rule's header
/// counted 1).
pub const ACTION_NESTING_MARGIN: usize = 16;

/// A result reduced to what must be identical between two runs.
pub fn fingerprint(conversion: &Conversion) -> String {
    let diagnostics: Vec<String> = conversion
        .diagnostics
        .iter()
        .map(|d| format!("{:?} {:?} {:?} {:?} {}", d.code, d.range, d.start, d.end, d.message))
        .collect();
    format!(
        "{:?}\n{:?}\n{}\n{:?}\n{:?}\n{} {}",
        conversion.status,
        conversion.action,
        diagnostics.join("\n"),
        conversion.secrets,
        conversion.dependencies,
        conversion.awaits_callback,
        conversion.continues
    )
}

/// Checks every invariant on one input; panics with a description on the first one broken.
pub fn check(bytes: &[u8], limits: &Limits) -> Conversion {
    let conversion = convert_bytes(bytes, limits);
    let text_len = bytes.len();
    for d in &conversion.diagnostics {
        assert!(
            d.range.start <= d.range.end && d.range.end <= text_len,
            "finding {:?} outside the text ({text_len} bytes): {d:?}",
            d.range
        );
        assert!(
            d.start.line >= 1 && d.start.column >= 1,
            "position {:?} is not 1-based",
            d.start
        );
        assert!(d.start <= d.end, "finding ends before it starts: {d:?}");
    }
    match conversion.status {
        Status::Converted => {
            let action = conversion.action.as_deref().expect("converted without an Action");
            assert_parses(action);
            assert!(
                action.contains("onExecutePostLogin"),
                "the Action exports no handler:\n{action}"
            );
            // The Action may nest a few levels deeper than the rule (the handler and the awaited
            // Promise around an asynchronous callback): a rule just under --max-nesting gives an
            // Action just over it (fuzzing found this; fixtures/hostile/action-nests-past-the-limit.js).
            let again_limits = Limits {
                max_nesting: limits.max_nesting + ACTION_NESTING_MARGIN,
                ..*limits
            };
            let again = convert(action, &again_limits);
            assert_eq!(
                again.status,
                Status::Unchanged,
                "converting the Action again did something: {:?}\n{action}",
                again.diagnostics
            );
            assert_eq!(
                again.action.as_deref(),
                Some(action),
                "converting the Action again changed it"
            );
            assert_no_unmarked_leftovers(action, &String::from_utf8_lossy(bytes));
        }
        Status::Unchanged => {
            let action = conversion.action.as_deref().expect("unchanged without text");
            assert_eq!(action.as_bytes(), bytes, "an unchanged file must be returned as it is");
        }
        Status::Failed => {
            assert!(conversion.action.is_none(), "a failed conversion produced an Action");
            assert!(
                conversion.diagnostics.iter().any(|d| d.severity == Severity::Error),
                "a failed conversion without an error finding: {:?}",
                conversion.diagnostics
            );
        }
        Status::InternalError => panic!(
            "internal error (R2A090) on this input: {:?}\n--- input ---\n{}",
            conversion.diagnostics,
            String::from_utf8_lossy(bytes)
        ),
    }
    let second = convert_bytes(bytes, limits);
    assert_eq!(
        fingerprint(&conversion),
        fingerprint(&second),
        "two runs on the same input differ"
    );
    conversion
}

/// Panics if `action` refers to a Rules construct (with the parameter names of `rule`) in a
/// statement no `// TODO(R2A…)` marks.
pub fn assert_no_unmarked_leftovers(action: &str, rule: &str) {
    use rules2actions::analysis::leftovers::{leftovers, parameter_names};
    let params = parameter_names(rule);
    let text = action.strip_prefix('\u{feff}').unwrap_or(action);
    let masked = rules2actions::placeholders::mask(text);
    let Ok(parsed) = rules2actions::parse::parse(&masked.text) else {
        return; // assert_parses reports it
    };
    let unmarked: Vec<_> = leftovers(&masked.text, &parsed, &params)
        .into_iter()
        .filter(|leftover| !leftover.marked)
        .map(|leftover| (leftover.name, leftover.range))
        .collect();
    assert!(
        unmarked.is_empty(),
        "Rules constructs without a TODO: {unmarked:?}\n--- action ---\n{action}"
    );
}

/// Panics unless `action` parses as a script (with deploy-cli placeholders masked).
pub fn assert_parses(action: &str) {
    let text = action.strip_prefix('\u{feff}').unwrap_or(action);
    let masked = rules2actions::placeholders::mask(text);
    if let Err(error) = rules2actions::parse::parse(&masked.text) {
        panic!("the Action does not parse: {error:?}\n--- action ---\n{action}");
    }
}
