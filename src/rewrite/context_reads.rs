//! Reads of `context` (mapping §3): `context.clientID` → `event.client.client_id` and the rest of
//! the table, camelCase → snake_case, geoip keys the other way, `?.` where Actions may leave a
//! member out. Side-effect properties (tokens, MFA, redirect, SAML, primary user) belong to their
//! own rewrites; whatever reaches this pass unhandled is flagged, never dropped.

use super::user_reads::emptiness_test;
use super::Ctx;
use crate::analysis::accesses::{replay, ChainHandler, Role, Segment};
use crate::analysis::model::Model;
use crate::analysis::scope::Param;
use crate::diagnostics::Code;
use crate::mapping::{context_part, geoip_key, renamed_key, ContextPart, CONTEXT_ALWAYS_PRESENT};
use swc_ecma_ast::Ident;

/// What a prefix of a context chain becomes.
struct Mapping {
    /// How many segments of the chain the replacement covers.
    consumed: usize,
    /// The replacement, with `?.` where Actions may omit the member.
    to: String,
    /// A finding that goes with the rewrite.
    note: Option<(Code, &'static str)>,
}

/// Where a chain cannot simply be renamed.
enum Verdict {
    Map(Mapping),
    /// Left as it is, with a finding.
    Flag(Code, String),
}

fn map(consumed: usize, to: &str) -> Verdict {
    Verdict::Map(Mapping {
        consumed,
        to: to.to_string(),
        note: None,
    })
}

fn map_with(consumed: usize, to: &str, code: Code, note: &'static str) -> Verdict {
    Verdict::Map(Mapping {
        consumed,
        to: to.to_string(),
        note: Some((code, note)),
    })
}

fn verdict(names: &[Option<&str>], role: Role, reads_timestamps: bool) -> Verdict {
    let first = names.first().copied().flatten();
    let second = names.get(1).copied().flatten();
    let written = role.writes();
    let plain_data = first.and_then(context_part).and_then(|part| match part {
        // Below these, a few keys need their own mapping: the arms below.
        ContextPart::Data(_) if matches!(first, Some("authentication" | "authorization" | "sessionID")) => None,
        ContextPart::Data(to) => Some(to),
        _ => None,
    });
    if let Some(to) = plain_data {
        return map(1, to);
    }
    match (first, second) {
        (None, _) => Verdict::Flag(
            Code::ContextAsWhole,
            "context is indexed with a key computed at run time".into(),
        ),
        (Some("stats"), Some("loginsCount")) => map(2, "event.stats.logins_count"),
        // `context.stats && context.stats.loginsCount`: a test of presence is not a use as a whole.
        (Some("stats"), None) if role.tests() => map(1, "event.stats"),
        (Some("stats"), _) => Verdict::Flag(
            Code::ContextAsWhole,
            "context.stats is read as a whole; its loginsCount is event.stats.logins_count".into(),
        ),
        (Some("request"), Some(key)) if key != "geoip" && renamed_key("request", key).is_some() => {
            Verdict::Map(Mapping {
                consumed: 2,
                to: format!("event.request.{}", renamed_key("request", key).unwrap_or(key)),
                note: None,
            })
        }
        (Some("request"), Some("geoip")) => match names.get(2).copied().flatten().map(|k| (k, geoip_key(k))) {
            Some((_, Some(renamed))) => Verdict::Map(Mapping {
                consumed: 3,
                to: format!("event.request.geoip.{renamed}"),
                note: None,
            }),
            Some((key, None)) => Verdict::Flag(
                Code::UnknownContextProperty,
                format!("geoip has no `{key}` key in Actions"),
            ),
            None => map_with(
                2,
                "event.request.geoip",
                Code::ContextAsWhole,
                "geoip is used as a whole; its keys are camelCase in Actions (countryCode, cityName, …)",
            ),
        },
        (Some("request"), Some(other)) => Verdict::Flag(
            Code::UnknownContextProperty,
            format!("context.request.{other} has no known Action equivalent"),
        ),
        (Some("request"), None) => map_with(
            1,
            "event.request",
            Code::ContextAsWhole,
            "context.request is used as a whole; in Actions userAgent is user_agent and geoip keys are camelCase",
        ),
        (Some("authentication"), Some("methods")) if reads_timestamps => map_with(
            2,
            "event.authentication?.methods",
            Code::AuthenticationTimestamps,
            "the rule reads method timestamps, which are ISO-8601 strings in Actions",
        ),
        (Some("authentication"), Some("methods")) => map(2, "event.authentication?.methods"),
        (Some("authentication"), _) if reads_timestamps => map_with(
            1,
            "event.authentication",
            Code::AuthenticationTimestamps,
            "the rule reads method timestamps, which are ISO-8601 strings in Actions",
        ),
        (Some("authentication"), _) => map(1, "event.authentication"),
        (Some("authorization"), Some("roles")) => map(2, "event.authorization?.roles"),
        (Some("authorization"), _) => map(1, "event.authorization"),
        (Some("sessionID"), _) => map_with(
            1,
            "event.session?.id",
            Code::SessionId,
            "context.sessionID became event.session?.id, whose meaning differs",
        ),
        (Some("connectionOptions"), _) => Verdict::Flag(
            Code::ConnectionOptions,
            "context.connectionOptions has no Action equivalent".into(),
        ),
        (Some("sso"), _) => Verdict::Flag(
            Code::Sso,
            "context.sso has no Action equivalent; for the session's clients use event.session?.clients".into(),
        ),
        (Some("jwtConfiguration"), _) => Verdict::Flag(
            Code::JwtConfiguration,
            "context.jwtConfiguration has no Action equivalent".into(),
        ),
        (Some("idToken" | "accessToken"), _) if role == Role::Delete => {
            Verdict::Flag(Code::DeleteClaim, "Actions cannot delete claims".into())
        }
        (
            Some(
                side_effect @ ("idToken" | "accessToken" | "multifactor" | "redirect" | "samlConfiguration"
                | "primaryUser"),
            ),
            _,
        ) if !written => Verdict::Flag(
            Code::ReadBack,
            format!("context.{side_effect} is read back; Actions cannot read what was set earlier"),
        ),
        (Some("idToken" | "accessToken"), _) => {
            Verdict::Flag(Code::TokenClaims, "this token change could not be converted".into())
        }
        (Some("multifactor"), _) => Verdict::Flag(
            Code::MultifactorDynamic,
            "this context.multifactor change could not be converted".into(),
        ),
        (Some("redirect"), _) => Verdict::Flag(
            Code::Redirect,
            "context.redirect is not converted; use api.redirect.sendUserTo(url, { query })".into(),
        ),
        (Some("samlConfiguration"), _) => Verdict::Flag(
            Code::Saml,
            "context.samlConfiguration is not converted; use api.samlResponse setters".into(),
        ),
        (Some("primaryUser"), _) => Verdict::Flag(
            Code::PrimaryUser,
            "context.primaryUser is not converted; use api.authentication.setPrimaryUser(id)".into(),
        ),
        (Some(other), _) => Verdict::Flag(
            Code::UnknownContextProperty,
            format!("context.{other} has no known Action equivalent"),
        ),
    }
}

/// Carries the author's `?.` over to the mapped chain: position by position where the mapping
/// keeps the number of segments, else before the last one.
fn with_optional_segments(to: &str, consumed: &[Segment]) -> String {
    if !consumed.iter().any(|s| s.optional) {
        return to.to_string();
    }
    let mut parts: Vec<String> = to.split('.').map(str::to_string).collect();
    let optional_before: Vec<usize> = if parts.len() == consumed.len() + 1 {
        consumed
            .iter()
            .enumerate()
            .filter(|(_, s)| s.optional)
            .map(|(index, _)| index)
            .collect()
    } else {
        vec![parts.len() - 2]
    };
    for index in optional_before {
        if !parts[index].ends_with('?') {
            parts[index].push('?');
        }
    }
    parts.join(".")
}

struct ContextReads<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    reads_timestamps: bool,
}

impl ChainHandler for ContextReads<'_, '_> {
    fn wants(&self, ident: &Ident) -> bool {
        self.ctx.bindings.param(ident) == Some(Param::Context) && !self.ctx.is_claimed(ident)
    }

    fn chain(&mut self, root: &Ident, segments: &[Segment], role: Role) {
        self.ctx.claim(root);
        let names: Vec<Option<&str>> = segments.iter().map(|s| s.name.as_deref()).collect();
        match verdict(&names, role, self.reads_timestamps) {
            Verdict::Map(mapping) => {
                let covered = segments[mapping.consumed - 1].span;
                if let (Role::Test(existence), [Some(name)]) = (role, names.as_slice()) {
                    if CONTEXT_ALWAYS_PRESENT.contains(name) && !existence.guard {
                        // Before the rename: the test's replacement holds the renamed chain.
                        emptiness_test(self.ctx, existence, covered, &format!("context.{name}"));
                    }
                }
                let mut to = with_optional_segments(&mapping.to, &segments[..mapping.consumed]);
                if role.writes() {
                    // `a?.b = v` is not valid JavaScript; a write needs the plain member.
                    to = to.replace("?.", ".");
                    self.ctx.flag(
                        Code::ContextWrite,
                        &covered,
                        format!(
                            "`{}` is written, but event is read-only data in Actions",
                            self.ctx.text_of(&covered)
                        ),
                    );
                }
                // Testing whether geoip or request is there does not depend on their keys.
                let only_tested = role.tests() && mapping.note.is_some_and(|(code, _)| code == Code::ContextAsWhole);
                if let Some((code, note)) = mapping.note.filter(|_| !only_tested) {
                    self.ctx.flag(code, &covered, note);
                }
                let range = self.ctx.range(covered);
                self.ctx.edits.replace(range, to);
            }
            Verdict::Flag(code, message) => {
                let span = segments[0].span;
                self.ctx.flag(code, &span, message);
            }
        }
    }

    fn bare(&mut self, ident: &Ident, _shorthand: bool, _role: Role) {
        self.ctx.claim(ident);
        self.ctx.flag(
            Code::ContextAsWhole,
            ident,
            "context is used as a whole; Actions split it into event (data) and api (effects)",
        );
    }
}

pub fn run(ctx: &mut Ctx<'_>, model: &Model) {
    let chain_uses = &model.accesses;
    let reads_timestamps = ctx.text.contains(".timestamp");
    let mut handler = ContextReads { ctx, reads_timestamps };
    replay(chain_uses, &mut handler);
}
