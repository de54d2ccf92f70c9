//! The default scenarios, derived from the rule's own text: one realistic login plus variants.
//!
//! The defaults are one realistic login plus variants that flip what the rule branches on, where
//! that is cheap to find in its syntax: string literals compared (`===`, `!==`, `==`, `!=`,
//! `switch`, `indexOf`, `includes`, `startsWith`, `endsWith`) against the client, the connection,
//! the protocol, the e-mail address, roles, request query parameters or metadata values, and the
//! metadata flags it reads (`user.app_metadata.X` → a variant with `X: true`). The value compared
//! may be a literal, a local bound to one, or a configuration value (its placeholder). Local
//! aliases (`const md = user.app_metadata || {}`, `const { clientID } = context`; a guard or a
//! fallback stands for the value it gives: `(md && md.roles) || []` is `md.roles`), string arrays
//! and the keys of object maps held in a variable (`allowed.indexOf(context.clientID)`,
//! `byClient[context.clientID]`, `clientID in byClient`), and the item of a list a callback tests
//! (`context.authentication.methods.find((m) => m.name === 'mfa')`) are followed one step at a
//! time. The result is deterministic: the first [`MAX_SCENARIOS`] are the defaults, the rest (at
//! most [`MAX_FURTHER`]) are left to the search for more (`verify::explore`), with a user who lacks
//! a profile attribute the rule tests for absence, each other response status the rule compares
//! with, a list for a body it goes through as one, and each failure per address called.
//!
//! The plain login's user has no metadata (the harness gives the Rules side none, the Action `{}`);
//! a rule that reads metadata also gets a user who has some, a rule that reads `user.X` for an `X`
//! that is no profile attribute gets `app_metadata.X` (Rules merged it into the user), a rule that
//! reads an identity's `access_token` gets a social login, and a rule that redirects gets the
//! redirect-callback leg. These come first, so that the bound never drops them.
//!
//! A rule that makes outbound HTTP calls gets answers on both sides: every call succeeds (status
//! 200, `{}`) in the plain login and its variants, and three more plain logins make every call
//! answer 500, fail like the network, or never answer, so that the error branches run.

use super::{placeholder_secrets, Scenario};
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// At most this many default scenarios per rule, the plain login included.
pub const MAX_SCENARIOS: usize = 8;

/// The default scenarios of a rule. `secrets` are the configuration keys the conversion found; the
/// keys read in the text are added, and each gets a placeholder value ([`placeholder_secrets`]).
pub fn default_scenarios(facts: RuleFacts, secrets: &[String], timeout_ms: u64) -> Vec<Scenario> {
    derived_scenarios(facts, secrets, timeout_ms).defaults
}

/// At most this many further scenarios per rule, for the exploration to try.
pub const MAX_FURTHER: usize = 48;

/// The scenarios derived from a rule: the defaults, and the further ones that the bound, or a
/// variant of the same field that came first, left out (in the order found, none twice).
#[derive(Debug, Default)]
pub struct Derived {
    pub defaults: Vec<Scenario>,
    pub further: Vec<Scenario>,
    /// The placeholder value of every configuration key of the rule, the same on both sides:
    /// the user's scenarios get them too.
    pub secrets: Value,
}

/// [`default_scenarios`] and the further scenarios.
pub fn derived_scenarios(facts: RuleFacts, secrets: &[String], timeout_ms: u64) -> Derived {
    let mut keys: BTreeSet<String> = secrets.iter().cloned().collect();
    keys.extend(facts.secrets.iter().cloned());
    let secrets = placeholder_secrets(&keys);
    let success = facts.outbound_http.then(|| http_success(&facts.response_keys));
    let base = |event: Value, http: Option<Value>| {
        let mut json = json!({ "event": event, "secrets": secrets.clone(), "timeout_ms": timeout_ms });
        if let Some(success) = &success {
            json["http"] = http.unwrap_or_else(|| success.clone());
        }
        json
    };
    let plain = base(json!({}), None);
    // What each scenario runs, without its name: a variant that runs the same is left out.
    let mut runs = BTreeSet::from([plain.to_string()]);
    let mut derived = Derived {
        defaults: vec![Scenario::new("default login".into(), plain)],
        further: Vec::new(),
        secrets: secrets.clone(),
    };
    let mut fields = BTreeSet::new();
    let per_call = success.as_ref().map(|success| {
        let mut answers = other_answers(&facts.statuses, facts.list_body, success);
        answers.extend(per_call_failures(&facts.call_urls, success));
        answers
    });
    let may_be_default = facts.variants.into_iter().map(|variant| (variant, true));
    let without = facts.absent.iter().map(|attribute| without_attribute(attribute));
    let further_only = without
        .chain(per_call.into_iter().flatten())
        .map(|variant| (variant, false));
    for (variant, may_be_default) in may_be_default.chain(further_only) {
        let mut json = base(variant.event, variant.http);
        if variant.resume {
            json["continue"] = Value::Bool(true);
        }
        if !runs.insert(json.to_string()) {
            continue;
        }
        let scenario = Scenario::new(variant.name, json);
        if may_be_default && derived.defaults.len() < MAX_SCENARIOS && fields.insert(variant.key) {
            derived.defaults.push(scenario);
        } else if derived.further.len() < MAX_FURTHER {
            derived.further.push(scenario);
        }
    }
    derived
}

/// What the scenario generator learnt from the rule's text.
#[derive(Debug, Default)]
pub struct RuleFacts {
    pub secrets: BTreeSet<String>,
    /// The rule makes outbound HTTP calls (`request`, `axios`, `got`, `node-fetch`, `fetch`).
    pub outbound_http: bool,
    /// The keys the rule reads from what looks like a response body (`body.token`, `res.data.plan`).
    pub response_keys: BTreeSet<String>,
    /// The addresses the outbound calls name, where the text says.
    pub call_urls: BTreeSet<String>,
    /// The response statuses the rule compares with (`response.statusCode === 404`).
    pub statuses: BTreeSet<u16>,
    /// The rule goes through a response body as a list (`JSON.parse(body).map(…)`).
    pub list_body: bool,
    /// Profile attributes the rule tests for absence (`!user.email`, `user.name || …`).
    pub absent: Vec<String>,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    /// What the variant changes (the first variant for a key wins).
    pub key: String,
    pub name: String,
    /// A partial event (merged over the defaults by the harness).
    pub event: Value,
    /// Run the redirect-callback leg (`onContinuePostLogin`).
    pub resume: bool,
    /// The stubbed HTTP answers (the scenario's `http`), when not the success answer.
    pub http: Option<Value>,
}

/// Analyses a rule's text, by converting it (a caller that converts the rule anyway gets the
/// facts from that conversion, with [`facts_of`]). A file that does not parse yields no facts.
pub fn rule_facts(text: &str) -> RuleFacts {
    let mut facts = RuleFacts::default();
    crate::convert::convert_inspecting(text, &crate::Limits::default(), &mut |parsed, masked, _| {
        facts = facts_of(parsed, masked);
    });
    facts
}

/// What the rule's tree (parsed by the conversion, placeholders masked in `source`) tells the
/// scenario generator.
pub fn facts_of(parsed: &crate::parse::ParsedFile, source: &str) -> RuleFacts {
    let mut aliases = Aliases {
        source,
        base: parsed.base.0,
        names: HashMap::new(),
        lists: HashMap::new(),
        strings: HashMap::new(),
    };
    parsed.visit(&mut aliases);
    let mut collector = Collector {
        aliases: &aliases,
        comparisons: Vec::new(),
        flags: Vec::new(),
        secrets: BTreeSet::new(),
        email_verified: false,
        logins_count: false,
        redirects: false,
        reads_metadata: false,
        reads_client_metadata: false,
        merged: Vec::new(),
        idp_tokens: false,
        outbound_http: false,
        response_names: BTreeSet::new(),
        response_keys: BTreeSet::new(),
        call_urls: BTreeSet::new(),
        statuses: BTreeSet::new(),
        list_body: false,
        absent: Vec::new(),
    };
    parsed.visit(&mut collector);
    let mut variants = Vec::new();
    if collector.reads_metadata {
        variants.push(with_metadata(&collector.flags, collector.reads_client_metadata));
    }
    if collector.redirects {
        variants.push(redirect_callback());
    }
    if collector.idp_tokens {
        variants.push(social_login());
    }
    if collector.outbound_http {
        variants.extend(http_failures());
    }
    for (subject, literal, how) in &collector.comparisons {
        if let Some(variant) = comparison_variant(subject, literal, *how) {
            if !variant.resume || collector.redirects {
                variants.push(variant);
            }
        }
    }
    let merged = collector
        .merged
        .iter()
        .map(|key| ("app_metadata".to_string(), key.clone()));
    for (kind, key) in merged.chain(collector.flags.iter().cloned()) {
        let (path, value) = flag(&kind, &key);
        let mut event = json!({});
        set_path(&mut event, &path, value);
        variants.push(Variant {
            key: path.join("."),
            name: format!("{kind}.{key}=true"),
            event,
            resume: false,
            http: None,
        });
    }
    if collector.email_verified {
        variants.push(Variant {
            key: "user.email_verified".into(),
            name: "email_verified=false".into(),
            event: json!({ "user": { "email_verified": false } }),
            resume: false,
            http: None,
        });
    }
    if collector.logins_count {
        variants.push(Variant {
            key: "stats.logins_count".into(),
            name: "logins_count=5".into(),
            event: json!({ "stats": { "logins_count": 5 } }),
            resume: false,
            http: None,
        });
    }
    RuleFacts {
        secrets: collector.secrets,
        outbound_http: collector.outbound_http,
        response_keys: collector.response_keys,
        call_urls: collector.call_urls,
        statuses: collector.statuses,
        list_body: collector.list_body,
        absent: collector.absent,
        variants,
    }
}

/// A user who has metadata, for a rule that reads it: every key it reads set to `true`, besides a
/// key of its own; likewise the application's metadata when the rule reads it (its values are
/// strings). The plain login is the user, and the application, who have none.
fn with_metadata(flags: &[(String, String)], client: bool) -> Variant {
    let mut event = json!({ "user": { "app_metadata": { "rules2actions_seen": true }, "user_metadata": { "rules2actions_seen": true } } });
    if client {
        set_path(&mut event, &["client", "metadata", "rules2actions_seen"], json!("true"));
    }
    for (kind, key) in flags {
        let (path, value) = flag(kind, key);
        set_path(&mut event, &path, value);
    }
    Variant {
        key: "user with metadata".into(),
        name: "user with metadata".into(),
        event,
        resume: false,
        http: None,
    }
}

/// Where a metadata flag the rule reads sits in the event, and its "set" value (the application's
/// metadata holds strings only).
fn flag<'a>(kind: &'a str, key: &'a str) -> ([&'a str; 3], Value) {
    match kind {
        "clientMetadata" => (["client", "metadata", key], json!("true")),
        _ => (["user", kind, key], json!(true)),
    }
}

/// The packages through which a rule reaches the network; the harness answers them (and the
/// global `fetch`) from the scenario's `http` stubs.
const HTTP_PACKAGES: &[&str] = &[
    "request",
    "axios",
    "got",
    "node-fetch",
    "cross-fetch",
    "isomorphic-fetch",
];

/// The names a rule calls them by: Rules offered `request` as a global, Node has `fetch`.
const HTTP_CALLEES: &[&str] = &["request", "fetch", "axios", "got"];

/// A call that reaches the network through a client the harness stubs: `require('axios')` (a
/// version suffix allowed, `request@2.56.0`), or a call of `request`, `fetch`, `axios`, `got` or
/// of one of their methods (`request.post(…)`).
fn is_outbound(call: &CallExpr) -> bool {
    let Callee::Expr(callee) = &call.callee else {
        return false;
    };
    let client = |expr: &Expr| matches!(expr, Expr::Ident(id) if HTTP_CALLEES.contains(&&*id.sym));
    match &**callee {
        Expr::Ident(id) if &*id.sym == "require" => call
            .args
            .first()
            .and_then(|arg| string_value(&arg.expr))
            .is_some_and(|spec| HTTP_PACKAGES.contains(&spec.split('@').next().unwrap_or_default())),
        Expr::Member(member) => client(&member.obj),
        other => client(other),
    }
}

/// The names a response body usually goes by (`function (err, res, body)`, axios' `res.data`).
const BODY_NAMES: &[&str] = &["body", "data"];

/// `JSON.parse(…)`.
fn is_json_parse(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else { return false };
    let Callee::Expr(callee) = &call.callee else {
        return false;
    };
    matches!(&**callee, Expr::Member(m) if matches!(&*m.obj, Expr::Ident(o) if &*o.sym == "JSON")
        && matches!(&m.prop, MemberProp::Ident(p) if &*p.sym == "parse"))
}

/// Every outbound call succeeds: status 200 with a JSON object that has each key the rule reads
/// from a response (an empty object as its value), so that the rule takes its path for an answer
/// that has what it needs.
fn http_success(keys: &BTreeSet<String>) -> Value {
    let body: Map<String, Value> = keys.iter().map(|k| (k.clone(), json!({}))).collect();
    json!([{ "status": 200, "body": body }])
}

/// The ways an outbound call fails, each with its stubbed answer: a status 500, a network error,
/// and no answer at all (the run ends at its time limit, or earlier through the client's own
/// timeout).
fn failures() -> [(&'static str, Value); 3] {
    let network = json!({ "error": "connect ECONNREFUSED 203.0.113.80:443", "code": "ECONNREFUSED" });
    [
        ("HTTP calls answer 500", json!({ "status": 500, "body": {} })),
        ("HTTP calls fail (network error)", network),
        ("HTTP calls never answer (timeout)", json!({ "timeout": true })),
    ]
}

/// For a rule that makes outbound calls, the plain login once per way a call fails, so that its
/// error branches run. They come right after the variants above, so that the bound never drops
/// them.
fn http_failures() -> Vec<Variant> {
    failures()
        .into_iter()
        .map(|(name, answer)| Variant {
            key: name.into(),
            name: name.into(),
            event: json!({}),
            resume: false,
            http: Some(json!([answer])),
        })
        .collect()
}

/// For a rule that makes outbound calls, the other successful answers it tells apart: each status
/// it compares with (a 404, a 201), and a list for a body it goes through as one. Further
/// scenarios, never defaults.
fn other_answers(statuses: &BTreeSet<u16>, list_body: bool, success: &Value) -> Vec<Variant> {
    let success = success.get(0).cloned().unwrap_or_else(|| json!({ "status": 200 }));
    let answer = |name: String, answer: Value| Variant {
        key: name.clone(),
        name,
        event: json!({}),
        resume: false,
        http: Some(json!([answer])),
    };
    let mut variants: Vec<Variant> = statuses
        .iter()
        .filter(|&&status| status != 200 && status != 500)
        .map(|&status| {
            let mut with_status = success.clone();
            with_status["status"] = json!(status);
            answer(format!("HTTP calls answer {status}"), with_status)
        })
        .collect();
    if list_body {
        let mut list = success.clone();
        list["body"] = json!([success.get("body").cloned().unwrap_or_else(|| json!({}))]);
        variants.push(answer("HTTP calls answer a list".into(), list));
    }
    variants
}

/// The status a comparison tests a response's status with (`response.statusCode >= 400`,
/// `res.status !== 201`): a status the scenarios can answer with, that makes it true or false.
fn status_compared(bin: &BinExpr, aliases: &Aliases<'_>) -> Option<u16> {
    let number = |expr: &Expr| match expr.unwrap_parens() {
        Expr::Lit(Lit::Num(n)) if n.value.fract() == 0.0 && (100.0..600.0).contains(&n.value) => Some(n.value as u16),
        _ => None,
    };
    let is_status = |expr: &Expr| {
        let text = aliases.resolve(expr);
        let last = text.rsplit('.').next().unwrap_or_default();
        matches!(last, "statusCode" | "status")
    };
    let (status, flipped) = match (number(&bin.left), number(&bin.right)) {
        (None, Some(n)) if is_status(&bin.left) => (n, false),
        (Some(n), None) if is_status(&bin.right) => (n, true),
        _ => return None,
    };
    // `status > 299` is true for 300; `299 < status` likewise.
    let above = matches!((bin.op, flipped), (BinaryOp::Gt, false) | (BinaryOp::Lt, true));
    let below = matches!((bin.op, flipped), (BinaryOp::Lt, false) | (BinaryOp::Gt, true));
    let status = if above {
        status + 1
    } else if below {
        status - 1
    } else {
        status
    };
    (100..600).contains(&status).then_some(status)
}

/// `JSON.parse(body).map(…)`, `data.forEach(…)`: a call that goes through a response body's items.
fn is_list_walk(call: &CallExpr, response_names: &BTreeSet<String>) -> bool {
    let Callee::Expr(callee) = &call.callee else {
        return false;
    };
    let Expr::Member(member) = &**callee else { return false };
    let walks = matches!(&member.prop, MemberProp::Ident(m) if ITEM_METHODS.contains(&&*m.sym));
    let body = match member.obj.unwrap_parens() {
        Expr::Ident(id) => BODY_NAMES.contains(&&*id.sym) || response_names.contains(&*id.sym),
        Expr::Member(inner) => matches!(&inner.prop, MemberProp::Ident(p) if BODY_NAMES.contains(&&*p.sym)),
        other => is_json_parse(other),
    };
    walks && body
}

/// For a rule that calls more than one address, each way of failing for the calls to one address
/// while the others succeed (`success` is the list of the success answer): the error branch of
/// the second call runs only when the first succeeded. Further scenarios, never defaults.
fn per_call_failures(urls: &BTreeSet<String>, success: &Value) -> Vec<Variant> {
    if urls.len() < 2 {
        return Vec::new();
    }
    let success = success.get(0).cloned().unwrap_or_else(|| json!({ "status": 200 }));
    let mut variants = Vec::new();
    for url in urls {
        for (name, mut answer) in failures() {
            answer["url_prefix"] = json!(url);
            let name = format!("{name}: {url}");
            variants.push(Variant {
                key: name.clone(),
                name,
                event: json!({}),
                resume: false,
                http: Some(json!([answer, success])),
            });
        }
    }
    variants
}

/// The address an outbound call names in its text, up to the first part computed at run time:
/// `'https://a.example/x'`, `` `https://a.example/${id}` `` or `{ url: … }` / `{ uri: … }`. Only a
/// prefix that names a host tells calls apart.
fn call_url(call: &CallExpr) -> Option<String> {
    let first = call.args.first().filter(|a| a.spread.is_none())?;
    let literal_prefix = |expr: &Expr| match expr.unwrap_parens() {
        Expr::Tpl(t) => t
            .quasis
            .first()
            .and_then(|q| q.cooked.as_ref())
            .and_then(|c| c.as_atom())
            .map(|a| a.to_string()),
        other => string_value(other),
    };
    let url = match first.expr.unwrap_parens() {
        Expr::Object(object) => object.props.iter().find_map(|prop| {
            let PropOrSpread::Prop(prop) = prop else { return None };
            let Prop::KeyValue(kv) = &**prop else { return None };
            let PropName::Ident(key) = &kv.key else { return None };
            matches!(&*key.sym, "url" | "uri")
                .then(|| literal_prefix(&kv.value))
                .flatten()
        }),
        other => literal_prefix(other),
    }?;
    let host = url.split_once("://").map_or("", |(_, rest)| rest);
    (host.len() > 3 && url.len() <= 300).then_some(url)
}

/// Profile attributes a user may not have: a phone login has no e-mail address, a social one may
/// have no family name (https://auth0.com/docs/manage-users/user-accounts/user-profiles/user-profile-structure).
const OPTIONAL_ATTRIBUTES: &[&str] = &[
    "email",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "username",
    "phone_number",
    "picture",
];

/// A user without the attribute (`null` in the event: the harness gives both sides the user it
/// describes).
fn without_attribute(attribute: &str) -> Variant {
    Variant {
        key: format!("user.{attribute} absent"),
        name: format!("user without {attribute}"),
        event: json!({ "user": { attribute: null } }),
        resume: false,
        http: None,
    }
}

/// The second run after a redirect (`context.protocol === 'redirect-callback'`, the Action's
/// `onContinuePostLogin`).
fn redirect_callback() -> Variant {
    Variant {
        key: "continue".into(),
        name: "redirect callback (continue)".into(),
        event: json!({}),
        resume: true,
        http: None,
    }
}

/// A login through a social provider: in Rules, its identity carries the provider's access token.
fn social_login() -> Variant {
    let identity = json!({ "provider": "google-oauth2", "connection": "google-oauth2", "user_id": "google-user1", "isSocial": true });
    Variant {
        key: "connection.social".into(),
        name: "social login (google-oauth2)".into(),
        event: json!({
            "user": { "identities": [identity] },
            "connection": { "name": "google-oauth2", "strategy": "google-oauth2" }
        }),
        resume: false,
        http: None,
    }
}

/// The root attributes of a Rules `user` that are not `app_metadata` keys merged into it
/// (https://auth0.com/docs/customize/rules/user-object-in-rules), plus what every object has.
const USER_ATTRIBUTES: &[&str] = &[
    "app_metadata",
    "blocked",
    "created_at",
    "email",
    "email_verified",
    "family_name",
    "given_name",
    "hasOwnProperty",
    "identities",
    "last_ip",
    "last_login",
    "last_password_reset",
    "locale",
    "logins_count",
    "multifactor",
    "name",
    "nickname",
    "permissions",
    "phone_number",
    "phone_verified",
    "picture",
    "updated_at",
    "user_id",
    "user_metadata",
    "username",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    /// The subject equals the literal (`===`, `switch`, `list.indexOf(subject)`).
    Equals,
    /// The subject contains the literal (`subject.indexOf(lit)`, `subject.includes(lit)`).
    Contains,
    /// `subject.endsWith(lit)` / `startsWith`.
    Affix,
}

/// The event change that makes `subject <how> literal` true.
fn comparison_variant(subject: &str, literal: &str, how: How) -> Option<Variant> {
    let tokens = tokens(subject);
    let find = |name: &str| tokens.iter().position(|t| t == name);
    let next = |i: usize| tokens.get(i + 1).cloned();
    let lit = Value::String(literal.to_string());
    let variant = |key: String, name: String, event: Value| Variant {
        key,
        name,
        event,
        resume: false,
        http: None,
    };
    for kind in ["app_metadata", "user_metadata"] {
        let Some(at) = find(kind) else { continue };
        // The member path below the metadata object, up to the first method (`.toLowerCase()`).
        let keys: Vec<&str> = tokens[at + 1..]
            .iter()
            .map(String::as_str)
            .take_while(|t| !STOP_TOKENS.contains(t))
            .take(3)
            .collect();
        if keys.is_empty() {
            continue;
        }
        let value = if how == How::Contains {
            json!([literal])
        } else {
            lit.clone()
        };
        let path = keys.join(".");
        let name = format!("{kind}.{path}={}", short(&value));
        let mut event = json!({});
        let mut full = vec!["user", kind];
        full.extend(&keys);
        set_path(&mut event, &full, value);
        return Some(variant(format!("user.{kind}.{path}"), name, event));
    }
    if let Some(key) = merged_key(&tokens) {
        let value = if how == How::Contains {
            json!([literal])
        } else {
            lit.clone()
        };
        let name = format!("app_metadata.{key}={}", short(&value));
        let event = json!({ "user": { "app_metadata": { key: value } } });
        return Some(variant(format!("user.app_metadata.{key}"), name, event));
    }
    if let Some(at) = find("riskAssessment") {
        let keys: Vec<&str> = tokens[at + 1..]
            .iter()
            .map(String::as_str)
            .take_while(|t| !STOP_TOKENS.contains(t))
            .take(4)
            .collect();
        if !keys.is_empty() {
            let path = keys.join(".");
            let mut event = json!({});
            let mut full = vec!["authentication", "riskAssessment"];
            full.extend(&keys);
            set_path(&mut event, &full, lit.clone());
            return Some(variant(
                format!("authentication.riskAssessment.{path}"),
                format!("riskAssessment.{path}={literal}"),
                event,
            ));
        }
    }
    if let Some(key) = find("clientMetadata").and_then(next) {
        return Some(variant(
            format!("client.metadata.{key}"),
            format!("client.metadata.{key}={literal}"),
            json!({ "client": { "metadata": { key.as_str(): lit } } }),
        ));
    }
    if let Some(i) = find("query").filter(|&i| i > 0 && tokens[i - 1] == "request") {
        let key = next(i)?;
        return Some(variant(
            format!("request.query.{key}"),
            format!("query.{key}={literal}"),
            json!({ "request": { "query": { key.as_str(): lit } } }),
        ));
    }
    if let Some(key) = find("geoip").and_then(next) {
        let key = crate::mapping::geoip_key(&key).map_or(key, str::to_string);
        return Some(variant(
            format!("request.geoip.{key}"),
            format!("geoip.{key}={literal}"),
            json!({ "request": { "geoip": { key.as_str(): lit } } }),
        ));
    }
    let named = |token: &str, after: Option<&str>| {
        find(token).is_some_and(|i| after.is_none_or(|after| i > 0 && tokens[i - 1] == after))
    };
    if named("methods", Some("authentication")) {
        // `context.authentication.methods.find((m) => m.name === 'mfa')`: a login that also used it.
        let used = |name: &str| json!({ "name": name, "timestamp": "2024-06-01T12:00:05.000Z" });
        return Some(variant(
            format!("authentication.methods.{literal}"),
            format!("authentication methods=pwd,{literal}"),
            json!({ "authentication": { "methods": [used("pwd"), used(literal)] } }),
        ));
    }
    let plain = how != How::Contains || !literal.is_empty();
    for field in FIELDS {
        if named(field.token, field.after) && plain {
            let mut event = json!({});
            set_path(&mut event, field.event, lit);
            return Some(variant(
                field.event.join("."),
                format!("{}={literal}", field.label),
                event,
            ));
        }
    }
    if find("protocol").is_some() {
        if literal == "redirect-callback" {
            return Some(redirect_callback());
        }
        return Some(variant(
            "transaction.protocol".into(),
            format!("protocol={literal}"),
            json!({ "transaction": { "protocol": lit } }),
        ));
    }
    if find("roles").is_some() {
        return Some(variant(
            "authorization.roles".into(),
            format!("roles=[{literal}]"),
            json!({ "authorization": { "roles": [literal] } }),
        ));
    }
    if find("email").is_some() {
        let email = email_for(literal, how);
        return Some(variant(
            "user.email".into(),
            format!("email={email}"),
            json!({ "user": { "email": email } }),
        ));
    }
    None
}

/// A field of the login that a rule compares with a literal, and where the event sets it.
struct Field {
    /// The member name that reads it (`context.clientID`).
    token: &'static str,
    /// The member name before it, when the name alone is ambiguous (`request.ip`).
    after: Option<&'static str>,
    event: &'static [&'static str],
    /// How the scenario's name shows it.
    label: &'static str,
}

/// The fields compared as plain values, in the order they are looked for in a comparison's subject.
const FIELDS: &[Field] = &[
    Field {
        token: "clientID",
        after: None,
        event: &["client", "client_id"],
        label: "client_id",
    },
    Field {
        token: "clientName",
        after: None,
        event: &["client", "name"],
        label: "client name",
    },
    Field {
        token: "connectionStrategy",
        after: None,
        event: &["connection", "strategy"],
        label: "strategy",
    },
    Field {
        token: "connection",
        after: None,
        event: &["connection", "name"],
        label: "connection",
    },
    Field {
        token: "ip",
        after: Some("request"),
        event: &["request", "ip"],
        label: "ip",
    },
    Field {
        token: "hostname",
        after: None,
        event: &["request", "hostname"],
        label: "hostname",
    },
];

/// `user.X`, where `X` is no profile attribute: in Rules, `app_metadata.X` merged into the user.
fn merged_key(tokens: &[String]) -> Option<&str> {
    let key = tokens.get(1).filter(|_| tokens[0] == "user")?;
    let known = USER_ATTRIBUTES.contains(&key.as_str()) || STOP_TOKENS.contains(&key.as_str());
    (!known && !key.chars().all(|c| c.is_ascii_digit())).then_some(key.as_str())
}

/// Member names that are methods or properties of the value, not keys below it.
const STOP_TOKENS: &[&str] = &[
    "toLowerCase",
    "toUpperCase",
    "trim",
    "split",
    "indexOf",
    "includes",
    "startsWith",
    "endsWith",
    "length",
    "toString",
    "substring",
    "substr",
    "slice",
    "match",
    "test",
    "some",
    "every",
    "find",
    "filter",
    "map",
    "join",
    "replace",
    "valueOf",
    "localeCompare",
];

fn short(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An e-mail address that satisfies the comparison with `literal`.
fn email_for(literal: &str, how: How) -> String {
    if let Some(domain) = literal.strip_prefix('@') {
        return format!("user1@{domain}");
    }
    if literal.contains('@') {
        return match how {
            How::Affix if literal.ends_with('@') => format!("{literal}example.com"),
            _ => literal.to_string(),
        };
    }
    if literal.contains('.') {
        return format!("user1@{}", literal.trim_start_matches('.'));
    }
    format!("{literal}@example.com")
}

/// The identifier-like tokens of a normalised expression text (`a.b['c-d'][0]` → a, b, c-d, 0).
fn tokens(text: &str) -> Vec<String> {
    let text = text
        .replace("['", ".")
        .replace("[\"", ".")
        .replace("']", "")
        .replace("\"]", "");
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$' || c == '-'))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The source of an expression with what does not change its meaning for us removed: spaces,
/// `?.`, `|| {}` fallbacks, parentheses.
fn normalise(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    out = out.replace("?.", ".");
    for fallback in ["||{}", "||[]", "||''", "||\"\"", "??{}", "??[]"] {
        out = out.replace(fallback, "");
    }
    out.chars().filter(|c| *c != '(' && *c != ')').collect()
}

fn string_value(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(Lit::Str(s)) => s.value.as_atom().map(|a| a.to_string()),
        Expr::Tpl(t) if t.exprs.is_empty() && t.quasis.len() == 1 => t.quasis[0]
            .cooked
            .as_ref()
            .and_then(|c| c.as_atom())
            .map(|a| a.to_string()),
        Expr::Paren(p) => string_value(&p.expr),
        _ => None,
    }
}

/// The operand whose value a guard or a fallback stands for: `a || b` and `a ?? b` for `a` (`b`
/// is the fallback), `a && b` for `b` (`a` is the guard), in parentheses or not. So
/// `(user.app_metadata && user.app_metadata.roles) || []` stands for `user.app_metadata.roles`.
fn chosen(expr: &Expr) -> &Expr {
    match expr.unwrap_parens() {
        Expr::Bin(bin) if matches!(bin.op, BinaryOp::LogicalOr | BinaryOp::NullishCoalescing) => chosen(&bin.left),
        Expr::Bin(bin) if bin.op == BinaryOp::LogicalAnd => chosen(&bin.right),
        other => other,
    }
}

/// The literal strings an expression holds: the items of an array of strings, or the keys of an
/// object (`{ 'client-a': …, b: … }`, a map the rule looks a value up in).
fn string_list(expr: &Expr) -> Option<Vec<String>> {
    if let Expr::Object(object) = expr {
        let keys: Vec<String> = object
            .props
            .iter()
            .filter_map(|prop| match prop {
                PropOrSpread::Prop(prop) => match &**prop {
                    Prop::KeyValue(kv) => match &kv.key {
                        PropName::Ident(key) => Some(key.sym.to_string()),
                        PropName::Str(key) => key.value.as_atom().map(|a| a.to_string()),
                        _ => None,
                    },
                    _ => None,
                },
                PropOrSpread::Spread(_) => None,
            })
            .collect();
        return (!keys.is_empty()).then_some(keys);
    }
    let Expr::Array(array) = expr else { return None };
    let items: Vec<String> = array
        .elems
        .iter()
        .filter_map(|e| {
            e.as_ref()
                .filter(|e| e.spread.is_none())
                .and_then(|e| string_value(&e.expr))
        })
        .collect();
    (!items.is_empty()).then_some(items)
}

/// Local names bound to an expression (`const md = user.app_metadata || {}`), and to string lists.
struct Aliases<'a> {
    source: &'a str,
    base: u32,
    names: HashMap<String, String>,
    lists: HashMap<String, Vec<String>>,
    /// Locals bound to a string literal.
    strings: HashMap<String, String>,
}

impl Aliases<'_> {
    fn text(&self, span: swc_common::Span) -> String {
        let start = (span.lo.0.saturating_sub(self.base)) as usize;
        let end = (span.hi.0.saturating_sub(self.base)) as usize;
        self.source.get(start..end).map(normalise).unwrap_or_default()
    }

    /// The expression's text with local aliases at its root replaced by what they stand for.
    fn resolve(&self, expr: &Expr) -> String {
        let mut text = self.text(swc_common::Spanned::span(chosen(expr)));
        for _ in 0..4 {
            let root_end = text.find(['.', '[']).unwrap_or(text.len());
            let Some(alias) = self.names.get(&text[..root_end]) else {
                break;
            };
            if alias.len() + text.len() > 2000 {
                break;
            }
            text = format!("{alias}{}", &text[root_end..]);
        }
        text
    }
}

/// The array methods that call a function on each item, the item first.
const ITEM_METHODS: &[&str] = &["find", "findIndex", "some", "every", "filter", "forEach", "map"];

/// The path token that stands for any item of an array (`roles.some((r) => r === 'admin')` compares
/// `roles.$item`); [`set_path`] makes it a one-item array.
const ITEM: &str = "$item";

impl Visit for Aliases<'_> {
    /// `list.some((item) => …)`: `item` stands for `list.$item`.
    fn visit_call_expr(&mut self, call: &CallExpr) {
        call.visit_children_with(self);
        let Callee::Expr(callee) = &call.callee else { return };
        let Expr::Member(member) = &**callee else { return };
        let is_item_method = matches!(&member.prop, MemberProp::Ident(m) if ITEM_METHODS.contains(&&*m.sym));
        let Some(function) = call.args.first().filter(|_| is_item_method) else {
            return;
        };
        let item = match &*function.expr {
            Expr::Arrow(arrow) => arrow.params.first(),
            Expr::Fn(f) => f.function.params.first().map(|p| &p.pat),
            _ => None,
        };
        if let Some(Pat::Ident(item)) = item {
            let list = self.text(swc_common::Spanned::span(chosen(&member.obj)));
            self.names
                .entry(item.id.sym.to_string())
                .or_insert(format!("{list}.{ITEM}"));
        }
    }

    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        declarator.visit_children_with(self);
        let Some(init) = &declarator.init else { return };
        let value = chosen(init);
        let init_text = self.text(swc_common::Spanned::span(value));
        match &declarator.name {
            Pat::Ident(id) => {
                let name = id.id.sym.to_string();
                if let Some(text) = string_value(value) {
                    self.strings.entry(name.clone()).or_insert(text);
                }
                if let Some(list) = string_list(value) {
                    self.lists.entry(name).or_insert(list);
                } else if !matches!(value, Expr::Fn(_) | Expr::Arrow(_) | Expr::Call(_) | Expr::New(_)) {
                    self.names.entry(name).or_insert(init_text);
                }
            }
            Pat::Object(object) => {
                for prop in &object.props {
                    match prop {
                        ObjectPatProp::Assign(assign) => {
                            let key = assign.key.sym.to_string();
                            self.names.entry(key.clone()).or_insert(format!("{init_text}.{key}"));
                        }
                        ObjectPatProp::KeyValue(kv) => {
                            let (PropName::Ident(key), Pat::Ident(value)) = (&kv.key, &*kv.value) else {
                                continue;
                            };
                            self.names
                                .entry(value.id.sym.to_string())
                                .or_insert(format!("{init_text}.{}", key.sym));
                        }
                        ObjectPatProp::Rest(_) => {}
                    }
                }
            }
            _ => {}
        }
    }
}

struct Collector<'a, 'b> {
    aliases: &'a Aliases<'b>,
    comparisons: Vec<(String, String, How)>,
    flags: Vec<(String, String)>,
    secrets: BTreeSet<String>,
    email_verified: bool,
    logins_count: bool,
    /// The rule writes `context.redirect`: only then does a redirect-callback leg exist.
    redirects: bool,
    /// The rule reads user or application metadata.
    reads_metadata: bool,
    /// The rule reads the application's metadata.
    reads_client_metadata: bool,
    /// Keys read as `user.X` that are no profile attribute (merged `app_metadata` in Rules).
    merged: Vec<String>,
    /// The rule reads an identity provider's token (`identities[i].access_token`).
    idp_tokens: bool,
    /// The rule makes outbound HTTP calls.
    outbound_http: bool,
    /// Locals bound to `JSON.parse(…)`: in a rule that makes calls, usually a response body.
    response_names: BTreeSet<String>,
    /// Keys read from what looks like a response body: a `JSON.parse` result, a `body` or `data`
    /// (`body.token`, `res.data.plan`, `response.body.id`).
    response_keys: BTreeSet<String>,
    /// The addresses the outbound calls name ([`call_url`]).
    call_urls: BTreeSet<String>,
    /// The response statuses the rule compares with.
    statuses: BTreeSet<u16>,
    /// The rule goes through a response body as a list.
    list_body: bool,
    /// Profile attributes tested for absence.
    absent: Vec<String>,
}

impl Collector<'_, '_> {
    fn compare(&mut self, subject: &Expr, literal: String, how: How) {
        if self.comparisons.len() < 200 {
            let subject = self.aliases.resolve(subject);
            self.comparisons.push((subject, literal, how));
        }
    }

    /// Notes `user.X`, for a profile attribute `X` a user may lack, as tested for absence.
    fn tested_for_absence(&mut self, expr: &Expr) {
        let text = self.aliases.resolve(expr);
        let Some(attribute) = text.strip_prefix("user.") else {
            return;
        };
        if OPTIONAL_ATTRIBUTES.contains(&attribute) && !self.absent.iter().any(|a| a == attribute) {
            self.absent.push(attribute.to_string());
        }
    }

    /// The string an expression stands for: a literal, a local bound to one (`const spa =
    /// 'abc'`), or a configuration value (`configuration.SPA_ID`, through a local or not), whose
    /// placeholder the scenarios give.
    fn literal(&self, expr: &Expr) -> Option<String> {
        if let Some(value) = string_value(expr) {
            return Some(value);
        }
        if let Expr::Ident(id) = expr.unwrap_parens() {
            if let Some(value) = self.aliases.strings.get(&*id.sym) {
                return Some(value.clone());
            }
        }
        let resolved = self.aliases.resolve(expr);
        let key = resolved.strip_prefix("configuration.")?;
        let simple = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
        simple.then(|| super::placeholder(key))
    }

    /// The string list an expression stands for: a literal array, or a local bound to one.
    fn list(&self, expr: &Expr) -> Option<Vec<String>> {
        if let Expr::Ident(id) = expr {
            return self.aliases.lists.get(&*id.sym).cloned();
        }
        string_list(expr)
    }
}

impl Visit for Collector<'_, '_> {
    fn visit_unary_expr(&mut self, unary: &UnaryExpr) {
        unary.visit_children_with(self);
        if unary.op == UnaryOp::Bang {
            self.tested_for_absence(&unary.arg); // `if (!user.email)`
        }
    }

    fn visit_bin_expr(&mut self, bin: &BinExpr) {
        bin.visit_children_with(self);
        let is_typeof = |e: &Expr| matches!(e, Expr::Unary(u) if u.op == UnaryOp::TypeOf);
        if is_typeof(&bin.left) || is_typeof(&bin.right) {
            return; // `typeof x === 'undefined'` says nothing about x's value
        }
        if bin.op == BinaryOp::In {
            // `context.clientID in byClient`
            if let Some(keys) = self.list(&bin.right) {
                self.compare(&bin.left, keys[0].clone(), How::Equals);
            }
            return;
        }
        if matches!(bin.op, BinaryOp::LogicalOr | BinaryOp::NullishCoalescing) {
            self.tested_for_absence(&bin.left); // `user.name || user.email`
        }
        if let Some(status) = status_compared(bin, self.aliases) {
            if self.statuses.len() < 8 {
                self.statuses.insert(status);
            }
        }
        if matches!(
            bin.op,
            BinaryOp::EqEqEq | BinaryOp::NotEqEq | BinaryOp::EqEq | BinaryOp::NotEq
        ) {
            if let Some(lit) = self.literal(&bin.right) {
                self.compare(&bin.left, lit, How::Equals);
            } else if let Some(lit) = self.literal(&bin.left) {
                self.compare(&bin.right, lit, How::Equals);
            }
        }
    }

    fn visit_switch_stmt(&mut self, switch: &SwitchStmt) {
        switch.visit_children_with(self);
        for case in &switch.cases {
            if let Some(lit) = case.test.as_deref().and_then(string_value) {
                self.compare(&switch.discriminant, lit, How::Equals);
            }
        }
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        call.visit_children_with(self);
        if is_list_walk(call, &self.response_names) {
            self.list_body = true;
        }
        if is_outbound(call) {
            self.outbound_http = true;
            if let Some(url) = call_url(call).filter(|_| self.call_urls.len() < 8) {
                self.call_urls.insert(url);
            }
        }
        let Callee::Expr(callee) = &call.callee else { return };
        let Expr::Member(member) = &**callee else { return };
        let MemberProp::Ident(method) = &member.prop else {
            return;
        };
        let Some(arg) = call.args.first().filter(|a| a.spread.is_none()) else {
            return;
        };
        if &*method.sym == "hasOwnProperty" {
            // `byClient.hasOwnProperty(context.clientID)`
            if let Some(keys) = self.list(&member.obj) {
                self.compare(&arg.expr, keys[0].clone(), How::Equals);
            }
            return;
        }
        let how = match &*method.sym {
            "indexOf" | "includes" => How::Contains,
            "startsWith" | "endsWith" => How::Affix,
            _ => return,
        };
        if let Some(lit) = string_value(&arg.expr) {
            self.compare(&member.obj, lit, how);
        } else if let Some(list) = self.list(&member.obj).filter(|_| how == How::Contains) {
            self.compare(&arg.expr, list[0].clone(), How::Equals);
        }
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        member.visit_children_with(self);
        // `byClient[context.clientID]`: a lookup in a map of literal keys.
        if let MemberProp::Computed(computed) = &member.prop {
            if let Some(keys) = self
                .list(&member.obj)
                .filter(|_| string_value(&computed.expr).is_none())
            {
                self.compare(&computed.expr, keys[0].clone(), How::Equals);
            }
        }
        let prop = match &member.prop {
            MemberProp::Ident(id) => Some(id.sym.to_string()),
            MemberProp::Computed(c) => string_value(&c.expr),
            MemberProp::PrivateName(_) => None,
        };
        let Some(prop) = prop else { return };
        let from_body = match &*member.obj {
            Expr::Ident(id) => BODY_NAMES.contains(&&*id.sym) || self.response_names.contains(&*id.sym),
            Expr::Member(inner) => matches!(&inner.prop, MemberProp::Ident(p) if BODY_NAMES.contains(&&*p.sym)),
            _ => false,
        };
        if from_body && self.response_keys.len() < 50 && !STOP_TOKENS.contains(&prop.as_str()) {
            self.response_keys.insert(prop.clone());
        }
        if let Expr::Ident(obj) = &*member.obj {
            if &*obj.sym == "configuration" {
                self.secrets.insert(prop.clone());
            }
        }
        match prop.as_str() {
            "email_verified" => self.email_verified = true,
            "loginsCount" => self.logins_count = true,
            "app_metadata" | "user_metadata" => self.reads_metadata = true,
            "clientMetadata" => (self.reads_metadata, self.reads_client_metadata) = (true, true),
            "access_token" => self.idp_tokens = true,
            _ => {}
        }
        if matches!(&*member.obj, Expr::Ident(obj) if &*obj.sym == "user") {
            let tokens = ["user".to_string(), prop.clone()];
            if let Some(key) = merged_key(&tokens).map(str::to_string) {
                if !self.merged.contains(&key) && self.merged.len() < 50 {
                    self.merged.push(key);
                }
            }
        }
        if !matches!(&*member.obj, Expr::Member(_) | Expr::Ident(_) | Expr::Paren(_)) {
            return; // `updateUserMetadata(…, user.user_metadata).then`
        }
        let object = self.aliases.resolve(&member.obj);
        let tokens = tokens(&object);
        let metadata = ["app_metadata", "user_metadata", "clientMetadata"];
        if let Some(kind) = tokens.last().filter(|t| metadata.contains(&t.as_str())) {
            let flag = (kind.clone(), prop);
            if !self.flags.contains(&flag) && self.flags.len() < 50 {
                self.flags.push(flag);
            }
        }
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        assign.visit_children_with(self);
        if let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left {
            if matches!(&member.prop, MemberProp::Ident(p) if &*p.sym == "redirect") {
                self.redirects = true;
            }
        }
    }

    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        declarator.visit_children_with(self);
        if let (Pat::Ident(name), Some(init)) = (&declarator.name, &declarator.init) {
            if is_json_parse(init) && self.response_names.len() < 50 {
                self.response_names.insert(name.id.sym.to_string());
            }
        }
        // `const { A, B } = configuration`
        if let (Pat::Object(object), Some(init)) = (&declarator.name, &declarator.init) {
            if matches!(&**init, Expr::Ident(id) if &*id.sym == "configuration") {
                for prop in &object.props {
                    match prop {
                        ObjectPatProp::Assign(a) => {
                            self.secrets.insert(a.key.sym.to_string());
                        }
                        ObjectPatProp::KeyValue(kv) => {
                            if let PropName::Ident(key) = &kv.key {
                                self.secrets.insert(key.sym.to_string());
                            }
                        }
                        ObjectPatProp::Rest(_) => {}
                    }
                }
            }
        }
    }
}

/// Sets `value` at a dotted `path` of an object, creating the objects on the way; a `$item` in
/// the path is the one item of an array.
pub fn set_path(target: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = target;
    for key in parents {
        current = child(current, key);
    }
    if *last == ITEM {
        *current = Value::Array(vec![value]);
    } else {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        if let Some(map) = current.as_object_mut() {
            map.insert(last.to_string(), value);
        }
    }
}

/// The value at `key` below `current`, made an object (or, for [`ITEM`], a one-item array) if it
/// is not one.
fn child<'v>(current: &'v mut Value, key: &str) -> &'v mut Value {
    if key == ITEM {
        if !matches!(current, Value::Array(items) if !items.is_empty()) {
            *current = json!([{}]);
        }
        return &mut current.as_array_mut().expect("just made an array")[0];
    }
    if !current.is_object() {
        *current = Value::Object(Map::new());
    }
    current
        .as_object_mut()
        .expect("just made an object")
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        default_scenarios(rule_facts(text), &[], 2000)
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    #[test]
    fn variants_follow_what_the_rule_compares() {
        let rule = r#"function (user, context, callback) {
            const allowed = ['app-a', 'app-b'];
            const md = user.app_metadata || {};
            if (allowed.indexOf(context.clientID) === -1) return callback(null, user, context);
            if (md.use_mfa || context.connection === 'corp-ad') { context.multifactor = { provider: 'any' }; }
            if (user.email.endsWith('@corp.example')) context.idToken.x = configuration.KEY;
            if ((context.authorization.roles || []).includes('admin')) context.idToken.admin = true;
            callback(null, user, context);
        }"#;
        assert_eq!(
            names(rule),
            [
                "default login",
                "user with metadata",
                "client_id=app-a",
                "connection=corp-ad",
                "email=user1@corp.example",
                "roles=[admin]",
                "app_metadata.use_mfa=true"
            ]
        );
        let scenarios = default_scenarios(rule_facts(rule), &[], 2000);
        assert_eq!(scenarios[0].json["secrets"], json!({ "KEY": "secret-KEY" }));
        let keys = ["AUTH0_DOMAIN", "API_URL", "LDAP_HOST", "TOKEN"].map(String::from);
        assert_eq!(
            placeholder_secrets(&keys),
            json!({ "AUTH0_DOMAIN": "example-tenant.auth0.com", "API_URL": "https://api-url.example.com/",
                    "LDAP_HOST": "ldap-host.example.com", "TOKEN": "secret-TOKEN" })
        );
        assert_eq!(
            scenarios[1].json["event"],
            json!({ "user": { "app_metadata": { "rules2actions_seen": true, "use_mfa": true },
                              "user_metadata": { "rules2actions_seen": true } } })
        );
        assert_eq!(
            scenarios[2].json["event"],
            json!({ "client": { "client_id": "app-a" } })
        );
    }

    #[test]
    fn nested_metadata_and_typeof() {
        let rule = r#"function (user, context, callback) {
            if (typeof user.user_metadata.source_ip === 'undefined') {}
            if (user.user_metadata.geoip.country_code.toLowerCase() === 'us') {}
            callback(null, user, context);
        }"#;
        let scenarios = default_scenarios(rule_facts(rule), &[], 2000);
        let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names[..3],
            [
                "default login",
                "user with metadata",
                "user_metadata.geoip.country_code=us"
            ]
        );
        assert_eq!(
            scenarios[2].json["event"],
            json!({ "user": { "user_metadata": { "geoip": { "country_code": "us" } } } })
        );
    }

    #[test]
    fn bounded_and_deterministic() {
        let mut rule = String::from("function (user, context, callback) {\n");
        for i in 0..30 {
            rule.push_str(&format!("if (context.request.query.k{i} === 'v') {{}}\n"));
        }
        rule.push_str("callback(null, user, context); }");
        let a = names(&rule);
        assert_eq!(a.len(), MAX_SCENARIOS);
        assert_eq!(a, names(&rule));
    }

    #[test]
    fn merged_app_metadata_idp_tokens_and_the_redirect_leg() {
        let rule = r#"function (user, context, callback) {
            if (user.groups.indexOf('admins') >= 0) context.idToken.admin = true;
            context.idToken.tier = user.tier;
            context.idToken.name = user.name;
            const token = user.identities[0].access_token;
            if (context.clientMetadata.beta) context.redirect = { url: 'https://x.example/' + token };
            callback(null, user, context);
        }"#;
        let scenarios = default_scenarios(rule_facts(rule), &[], 2000);
        let got: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            got,
            [
                "default login",
                "user with metadata",
                "redirect callback (continue)",
                "social login (google-oauth2)",
                "app_metadata.groups=[\"admins\"]",
                "app_metadata.tier=true",
                "clientMetadata.beta=true"
            ]
        );
        assert_eq!(
            scenarios[1].json["event"]["client"],
            json!({ "metadata": { "beta": "true", "rules2actions_seen": "true" } })
        );
        assert_eq!(scenarios[2].json["continue"], json!(true));
        assert_eq!(
            scenarios[4].json["event"],
            json!({ "user": { "app_metadata": { "groups": ["admins"] } } })
        );
        // No metadata read, no redirect, no token: only the plain login.
        assert_eq!(
            names("function (user, context, callback) { callback(null, user, context); }"),
            ["default login"]
        );
    }

    #[test]
    fn outbound_calls_get_a_success_answer_and_each_failure() {
        let rule = r#"function (user, context, callback) {
            if (context.request.query.x === 'y') {}
            request.get('https://api.example.com/', function (err, res) { callback(null, user, context); });
        }"#;
        let scenarios = default_scenarios(rule_facts(rule), &[], 2000);
        let got: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            got,
            [
                "default login",
                "HTTP calls answer 500",
                "HTTP calls fail (network error)",
                "HTTP calls never answer (timeout)",
                "query.x=y"
            ]
        );
        let success = json!([{ "status": 200, "body": {} }]);
        assert_eq!(scenarios[0].json["http"], success);
        assert_eq!(scenarios[4].json["http"], success);
        assert_eq!(scenarios[1].json["http"], json!([{ "status": 500, "body": {} }]));
        assert_eq!(scenarios[2].json["http"][0]["code"], json!("ECONNREFUSED"));
        assert_eq!(scenarios[3].json["http"], json!([{ "timeout": true }]));
        for call in [
            "const r = require('request@2.56.0'); r('https://x.example/', cb);",
            "fetch('https://x.example/');",
            "axios.post('https://x.example/', {});",
            "got('https://x.example/');",
        ] {
            let facts = rule_facts(&format!("function (user, context, cb) {{ {call} }}"));
            assert!(facts.outbound_http, "{call}");
        }
        // The success answer has the keys the rule reads from a response body.
        let reads = r#"function (user, context, callback) {
            request.get('https://api.example.com/', function (err, res, body) {
                const parsed = JSON.parse(body);
                axios.get('https://api.example.com/').then((r) => { context.idToken.t = r.data.tier + parsed.plan.length; });
            });
        }"#;
        let scenarios = default_scenarios(rule_facts(reads), &[], 2000);
        assert_eq!(
            scenarios[0].json["http"],
            json!([{ "status": 200, "body": { "plan": {}, "tier": {} } }])
        );
        // `context.request` is no client, and a rule without calls gets no stubs.
        let quiet = "function (user, context, callback) { callback(null, user, context.request.query); }";
        let scenarios = default_scenarios(rule_facts(quiet), &[], 2000);
        assert_eq!(scenarios.len(), 1);
        assert_eq!(scenarios[0].json.get("http"), None);
    }

    /// The variants' names and events, the plain login left out.
    fn variants(text: &str) -> Vec<(String, Value)> {
        let derived = derived_scenarios(rule_facts(text), &[], 2000);
        let all = derived.defaults.into_iter().skip(1).chain(derived.further);
        all.map(|s| (s.name, s.json["event"].clone())).collect()
    }

    fn rule(body: &str) -> String {
        format!("function (user, context, callback) {{ {body} callback(null, user, context); }}")
    }

    #[test]
    fn maps_keyed_by_client_and_literal_lists() {
        for body in [
            "const byClient = { 'abc': 'x', def: 'y' }; const v = byClient[context.clientID]; if (v) {}",
            "if (context.clientID in { abc: 1 }) {}",
            "const byClient = { abc: 1 }; if (byClient.hasOwnProperty(context.clientID)) {}",
            "const APPS = ['abc', 'def']; if (APPS.indexOf(context.clientID) >= 0) {}",
            "if (['abc'].includes(context.clientID)) {}",
        ] {
            assert_eq!(
                variants(&rule(body)),
                [("client_id=abc".to_string(), json!({ "client": { "client_id": "abc" } }))],
                "{body}"
            );
        }
    }

    #[test]
    fn guards_and_fallbacks_stand_for_the_value_they_give() {
        let body = "const roles = (user.app_metadata && user.app_metadata.roles) || [];
            if (roles.indexOf('admin') >= 0) {}
            var country = context.request.geoip && context.request.geoip.country_code;
            if (country === 'AT') {}";
        let got = variants(&rule(body));
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "user with metadata",
                "app_metadata.roles=[\"admin\"]",
                "geoip.countryCode=AT",
                "app_metadata.roles=true"
            ]
        );
        assert_eq!(got[1].1, json!({ "user": { "app_metadata": { "roles": ["admin"] } } }));
        assert_eq!(got[2].1, json!({ "request": { "geoip": { "countryCode": "AT" } } }));
    }

    #[test]
    fn items_of_lists_tested_in_callbacks() {
        let body = "const used = context.authentication.methods.find((m) => m.name === 'mfa');
            if (!used) {}
            if ((context.authorization.roles || []).some(function (r) { return r === 'admin'; })) {}
            if ((user.app_metadata.groups || []).some((g) => g === 'ops')) {}";
        let got = variants(&rule(body));
        let pwd = json!({ "name": "pwd", "timestamp": "2024-06-01T12:00:05.000Z" });
        let mfa = json!({ "name": "mfa", "timestamp": "2024-06-01T12:00:05.000Z" });
        assert_eq!(
            got[1],
            (
                "authentication methods=pwd,mfa".to_string(),
                json!({ "authentication": { "methods": [pwd, mfa] } })
            )
        );
        assert_eq!(
            got[2],
            (
                "roles=[admin]".to_string(),
                json!({ "authorization": { "roles": ["admin"] } })
            )
        );
        assert_eq!(got[3].1, json!({ "user": { "app_metadata": { "groups": ["ops"] } } }));
    }

    #[test]
    fn each_failure_per_address_called_is_a_further_scenario() {
        let body = "request.get('https://a.example/x', function () {});
            request.post({ url: `https://b.example/${user.user_id}` }, function () {});";
        let derived = derived_scenarios(rule_facts(&rule(body)), &[], 2000);
        assert_eq!(derived.defaults.len(), 4);
        let further: Vec<&str> = derived.further.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(further.len(), 6, "{further:?}");
        assert_eq!(further[0], "HTTP calls answer 500: https://a.example/x");
        assert_eq!(further[5], "HTTP calls never answer (timeout): https://b.example/");
        assert_eq!(
            derived.further[0].json["http"],
            json!([{ "status": 500, "body": {}, "url_prefix": "https://a.example/x" }, { "status": 200, "body": {} }])
        );
    }

    #[test]
    fn values_held_by_locals_and_configuration_and_the_answers_compared() {
        let body = "const spa = 'spa-client'; const uri = 'https://app.example/cb';
            if (context.clientID === spa && context.request.query.redirect_uri === uri) {}
            if (configuration.NATIVE_APP_ID === context.connection) {}
            request.get('https://api.example/teams', function (err, response, body) {
              if (response.statusCode === 404) {}
              if (response.statusCode > 399) {}
              const teams = JSON.parse(body).map((t) => t.name);
            });";
        let got = variants(&rule(body));
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names[3..],
            [
                "client_id=spa-client",
                "query.redirect_uri=https://app.example/cb",
                "connection=secret-NATIVE_APP_ID",
                "HTTP calls answer 400",
                "HTTP calls answer 404",
                "HTTP calls answer a list"
            ]
        );
        let derived = derived_scenarios(rule_facts(&rule(body)), &[], 2000);
        let http = |name: &str| {
            let mut all = derived.defaults.iter().chain(&derived.further);
            all.find(|s| s.name == name).map(|s| s.json["http"].clone())
        };
        assert_eq!(
            http("HTTP calls answer 404"),
            Some(json!([{ "status": 404, "body": {} }]))
        );
        assert_eq!(
            http("HTTP calls answer a list"),
            Some(json!([{ "status": 200, "body": [{}] }]))
        );
        let absent = rule("if (!user.email) {} const who = user.name || user.nickname; if (!user.blocked) {}");
        assert_eq!(
            variants(&absent),
            [
                ("user without email".to_string(), json!({ "user": { "email": null } })),
                ("user without name".to_string(), json!({ "user": { "name": null } }))
            ]
        );
    }

    #[test]
    fn unparsable_rule_gets_the_plain_login() {
        assert_eq!(names("function ("), ["default login"]);
    }
}
