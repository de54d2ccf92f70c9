//! The conversion pipeline: checks, parse, analyse, rewrite, apply, validate. It does no I/O and
//! never prints: it takes the bytes of one rule and returns the Action with its findings.

use crate::analysis::layout::Layout;
use crate::analysis::leftovers::{leftovers, RULES_PARAMETERS};
use crate::analysis::model::Model;
use crate::analysis::rule::{find_rule, RuleSearch};
use crate::analysis::scope::{analyse, Bindings};
use crate::diagnostics::{Code, Diagnostic};
use crate::limits::{nesting, Limits, NESTING_CEILING};
use crate::parse::{first_code_after, parse, parses_as_typescript, validate_script, ParsedFile};
use crate::placeholders::{mask, unmask};
use crate::rewrite::{CallbackMode, Ctx, Finding};
use crate::source::SourceText;
use serde::Serialize;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The Action was produced.
    Converted,
    /// The file is already an Action and was left as it is.
    Unchanged,
    /// The input could not be converted (see the diagnostics).
    Failed,
    /// A rewrite produced invalid code: a bug in the tool.
    InternalError,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub name: String,
    pub version: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Conversion {
    pub status: Status,
    /// The Action's code, when one was produced (or the unchanged input for an Action).
    pub action: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// Names of the secrets the Action reads (`event.secrets.X`).
    pub secrets: Vec<String>,
    pub dependencies: Vec<Dependency>,
    /// Whether the callback is awaited through a Promise (the rule calls back asynchronously).
    pub awaits_callback: bool,
    /// Whether the Action exports `onContinuePostLogin` (the rule redirects).
    pub continues: bool,
}

impl Conversion {
    /// An input refused before it was read (too large, not a regular file): one finding at 1:1.
    pub fn refused(code: Code, message: impl Into<String>) -> Conversion {
        Conversion::failed("", code, 0..0, message)
    }

    fn failed(text: &str, code: Code, range: Range<usize>, message: impl Into<String>) -> Conversion {
        let findings = vec![Finding {
            code,
            range,
            message: message.into(),
        }];
        let status = if code == Code::InternalError {
            Status::InternalError
        } else {
            Status::Failed
        };
        Conversion {
            status,
            action: None,
            diagnostics: position(text, findings),
            secrets: Vec::new(),
            dependencies: Vec::new(),
            awaits_callback: false,
            continues: false,
        }
    }

    /// The most severe finding's severity, if any finding is at least a warning.
    pub fn worst_severity(&self) -> Option<crate::diagnostics::Severity> {
        self.diagnostics.iter().map(|d| d.severity).max()
    }
}

/// Something that reads the analysed rule while it is converted, so that a caller that needs more
/// than the Action (verify's scenarios, migrate's cross-rule facts) parses the rule once: its tree,
/// the masked text and the bindings (parameters, globals and aliases, shadowing-aware).
pub type Inspect<'i> = &'i mut dyn FnMut(&ParsedFile, &str, &Bindings);

/// Converts the bytes of one file.
pub fn convert_bytes(bytes: &[u8], limits: &Limits) -> Conversion {
    convert_bytes_inspecting(bytes, limits, &mut |_, _, _| {})
}

/// [`convert_bytes`], handing the parsed rule to `inspect` on the way (when the file parses as a
/// rule).
pub fn convert_bytes_inspecting(bytes: &[u8], limits: &Limits, inspect: Inspect<'_>) -> Conversion {
    // Before anything reads the bytes: a huge binary is refused without being scanned.
    if let Some(refusal) = refuse_if_too_large("", bytes.len(), limits) {
        return refusal;
    }
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        let text = String::from_utf8_lossy(&bytes[..nul]);
        return Conversion::failed(
            &text,
            Code::NotText,
            nul..nul,
            "the file holds a NUL byte: it is binary, not a rule",
        );
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => convert_inspecting(text, limits, inspect),
        Err(error) => {
            let valid = error.valid_up_to();
            let text = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            Conversion::failed(text, Code::NotText, valid..valid, "the file is not valid UTF-8")
        }
    }
}

/// The refusal of a file of `len` bytes past `--max-file-size`, if it is past it.
fn refuse_if_too_large(text: &str, len: usize, limits: &Limits) -> Option<Conversion> {
    (len > limits.max_file_size).then(|| {
        let message = too_large_message(Some(len as u64), limits.max_file_size as u64);
        Conversion::failed(text, Code::TooLarge, 0..0, message)
    })
}

/// The message of R2A006. The size is unknown for a stream, which is not read past the limit.
pub fn too_large_message(size: Option<u64>, limit: u64) -> String {
    match size {
        Some(size) => format!("the file is {size} bytes; the limit is {limit} (--max-file-size)"),
        None => format!("the input is larger than the limit of {limit} bytes (--max-file-size)"),
    }
}

/// Converts the text of one rule into a post-login Action. A panic inside swc or a rewrite (a
/// bug) is reported as an internal error for this file; the caller's run goes on.
pub fn convert(text: &str, limits: &Limits) -> Conversion {
    convert_inspecting(text, limits, &mut |_, _, _| {})
}

/// [`convert`], handing the parsed rule to `inspect` on the way (when the text parses as a rule).
pub fn convert_inspecting(text: &str, limits: &Limits, inspect: Inspect<'_>) -> Conversion {
    let guarded = || convert_unguarded(text, limits, inspect);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(guarded)).unwrap_or_else(|panic| {
        let message = format!(
            "the converter panicked on this file: {}",
            crate::limits::panic_message(&*panic)
        );
        Conversion::failed(text, Code::InternalError, 0..0, message)
    })
}

fn convert_unguarded(text: &str, limits: &Limits, inspect: Inspect<'_>) -> Conversion {
    // A byte-order mark is kept in the output; positions, like editors, do not count it.
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        let mut conversion = convert_text(rest, limits, inspect);
        let bom = '\u{feff}'.len_utf8();
        conversion.action = conversion.action.map(|action| format!("\u{feff}{action}"));
        for diagnostic in &mut conversion.diagnostics {
            diagnostic.range = diagnostic.range.start + bom..diagnostic.range.end + bom;
        }
        return conversion;
    }
    convert_text(text, limits, inspect)
}

fn convert_text(text: &str, limits: &Limits, inspect: Inspect<'_>) -> Conversion {
    if let Some(refusal) = refuse_if_too_large(text, text.len(), limits) {
        return refusal;
    }
    if first_code_after(text, 0).is_none() {
        return Conversion::failed(text, Code::EmptyFile, 0..0, "the file holds no code");
    }
    if let Some(deep) = nesting(text, limits.max_nesting) {
        let message = format!(
            "{} nests deeper than {} levels (--max-nesting, at most {NESTING_CEILING})",
            deep.construct.describe(),
            limits.max_nesting.min(NESTING_CEILING)
        );
        return Conversion::failed(text, Code::TooDeep, deep.offset..deep.offset + 1, message);
    }
    let masked = mask(text);
    let parsed = match parse(&masked.text) {
        Ok(parsed) => parsed,
        Err(error) if parses_as_typescript(&masked.text) => {
            let message = format!("the rule is written in TypeScript ({})", error.message);
            return Conversion::failed(text, Code::TypeScript, error.range, message);
        }
        Err(error) => return Conversion::failed(text, Code::ParseError, error.range, error.message),
    };
    let (rule, others) = match find_rule(&parsed) {
        RuleSearch::Found { rule, others } => (rule, others),
        RuleSearch::AlreadyAction => return already_an_action(text, &masked.text, &parsed),
        RuleSearch::NotFound(message) => return Conversion::failed(text, Code::NotARule, 0..0, message),
    };

    let bindings = analyse(&parsed, rule.function_lo, &rule.params);
    inspect(&parsed, &masked.text, &bindings);
    if let Some(name) = ["event", "api"]
        .into_iter()
        .find(|name| bindings.names.contains(&swc_atoms::Atom::from(*name)))
    {
        let at = first_identifier(&masked.text, name).unwrap_or(0);
        let message = format!("the rule has its own `{name}`, which the Action's handler parameter would shadow");
        return Conversion::failed(text, Code::HandlerNames, at..at + name.len(), message);
    }
    let layout = Layout::build(&parsed);
    let mut ctx = Ctx::new(&masked.text, &parsed, &rule, bindings, layout);
    for other in others {
        ctx.findings.push(Finding {
            code: Code::SeveralRules,
            range: other,
            message: "another rule-shaped function; only one function per file is converted".into(),
        });
    }
    if let Some(first) = masked.placeholders.first() {
        let keys: Vec<String> = masked.placeholders.iter().map(|p| p.original()).collect();
        ctx.findings.push(Finding {
            code: Code::Placeholders,
            range: first.offset..first.offset + first.original().len(),
            message: format!("kept deploy-cli placeholders: {}", keys.join(", ")),
        });
    }
    let model = Model::build(&parsed, &ctx.bindings);
    ctx.run_rewrites(&model);
    ctx.insert_todos();
    if let Some(&(at, first, second)) = ctx.double_claims.first() {
        let message = format!("two rewrites, {first} and {second}, both rewrote the same identifier");
        return Conversion::failed(text, Code::InternalError, at..at, message);
    }

    let Ctx {
        source,
        edits,
        findings,
        secrets,
        dependencies,
        callback_mode,
        continues,
        ..
    } = ctx;
    let converted = match edits.apply(&masked.text) {
        Ok(converted) => converted,
        Err(conflict) => {
            let message = format!(
                "two rewrites changed overlapping text ({:?} and {:?})",
                conflict.first, conflict.second
            );
            return Conversion::failed(text, Code::InternalError, conflict.second, message);
        }
    };
    if converted.len() > limits.max_output_size {
        let message = format!(
            "the Action would be {} bytes; the limit is {} (--max-output-size)",
            converted.len(),
            limits.max_output_size
        );
        return Conversion::failed(text, Code::OutputTooLarge, 0..0, message);
    }
    if let Err(error) = validate_script(&converted) {
        let message = format!("the converted code does not parse: {}", error.message);
        return Conversion::failed(text, Code::InternalError, 0..0, message);
    }
    Conversion {
        status: Status::Converted,
        action: Some(unmask(converted, &masked.placeholders)),
        // Masks have the length of their placeholders: the masked text's lines and columns are
        // the original's.
        diagnostics: position_in(&source, findings),
        secrets: secrets.into_iter().collect(),
        dependencies: dependencies
            .into_iter()
            .map(|(name, version)| Dependency { name, version })
            .collect(),
        awaits_callback: matches!(callback_mode, CallbackMode::Awaited { .. }),
        continues,
    }
}

/// A file that is already an Action is left as it is; every Rules construct it still refers to
/// is reported, since each would throw when the Action runs.
fn already_an_action(text: &str, masked: &str, parsed: &crate::parse::ParsedFile) -> Conversion {
    let mut findings = vec![Finding {
        code: Code::AlreadyAction,
        range: 0..0,
        message: "the file already exports onExecutePostLogin".into(),
    }];
    let params = RULES_PARAMETERS.map(swc_atoms::Atom::from);
    findings.extend(leftovers(masked, parsed, &params).into_iter().map(|leftover| {
        let message = format!(
            "`{}` is a Rules construct: it does not exist when the Action runs",
            leftover.name
        );
        Finding {
            code: Code::RulesConstructInAction,
            range: leftover.range,
            message,
        }
    }));
    Conversion {
        status: Status::Unchanged,
        action: Some(text.to_string()),
        diagnostics: position(text, findings),
        secrets: Vec::new(),
        dependencies: Vec::new(),
        awaits_callback: false,
        continues: false,
    }
}

/// The offset of the first whole-word occurrence of `name`, for positioning a finding.
fn first_identifier(text: &str, name: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(name).map(|(at, _)| at).find(|&at| {
        !text[..at].chars().next_back().is_some_and(is_word)
            && !text[at + name.len()..].chars().next().is_some_and(is_word)
    })
}

/// Gives each finding its line and column in the original text, in a stable order.
fn position(text: &str, findings: Vec<Finding>) -> Vec<Diagnostic> {
    position_in(&SourceText::new(text), findings)
}

fn position_in(source: &SourceText<'_>, findings: Vec<Finding>) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = findings
        .into_iter()
        .map(|finding| Diagnostic::new(source, finding.code, finding.range, finding.message))
        .collect();
    diagnostics.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    diagnostics.dedup_by(|a, b| a.order_key() == b.order_key());
    diagnostics
}
