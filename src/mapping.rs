//! The one table of what the Rules `context` and `user` objects hold and where each part went in
//! Actions (`../shared/docs/auth0-mapping.md` §2–§3). The rewrites, the alias analysis,
//! `migrate`'s cross-rule report and `verify`'s scenario derivation read it here. (The Node harness
//! of `verify` keeps its own copy on purpose: it is the independent oracle.)

/// A property of the Rules `context` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextPart {
    /// Read-only data, the same value (and, below it, the same keys) in the Action's `event`.
    Data(&'static str),
    /// Data whose keys Actions renamed: each must be mapped on its own (see [`renamed_key`]).
    RenamedKeys(&'static str),
    /// An object the rule writes to produce an effect (tokens, MFA, redirect, SAML, primary user);
    /// Actions have `api` methods instead, and nothing to read back.
    Effect,
    /// No Action equivalent.
    Missing,
}

/// Every property of the Rules `context` object, with its Action counterpart. The `?.` marks
/// members an Action's event may omit.
pub const CONTEXT: &[(&str, ContextPart)] = &[
    ("tenant", ContextPart::Data("event.tenant.id")),
    ("clientID", ContextPart::Data("event.client.client_id")),
    ("clientName", ContextPart::Data("event.client.name")),
    ("clientMetadata", ContextPart::Data("event.client.metadata")),
    ("connectionID", ContextPart::Data("event.connection.id")),
    ("connection", ContextPart::Data("event.connection.name")),
    ("connectionStrategy", ContextPart::Data("event.connection.strategy")),
    ("connectionMetadata", ContextPart::Data("event.connection.metadata")),
    ("protocol", ContextPart::Data("event.transaction?.protocol")),
    (
        "riskAssessment",
        ContextPart::Data("event.authentication?.riskAssessment"),
    ),
    ("organization", ContextPart::Data("event.organization")),
    ("authentication", ContextPart::Data("event.authentication")),
    ("authorization", ContextPart::Data("event.authorization")),
    ("sessionID", ContextPart::Data("event.session?.id")),
    ("request", ContextPart::RenamedKeys("event.request")),
    ("stats", ContextPart::RenamedKeys("event.stats")),
    ("idToken", ContextPart::Effect),
    ("accessToken", ContextPart::Effect),
    ("multifactor", ContextPart::Effect),
    ("redirect", ContextPart::Effect),
    ("samlConfiguration", ContextPart::Effect),
    ("primaryUser", ContextPart::Effect),
    ("connectionOptions", ContextPart::Missing),
    ("sso", ContextPart::Missing),
    ("jwtConfiguration", ContextPart::Missing),
    ("locale", ContextPart::Missing),
];

/// Keys Actions renamed below `context.request`, `context.request.geoip` and `context.stats`
/// (Rules name → Actions name; a key kept as it is maps to itself).
const RENAMED_KEYS: &[(&str, &[(&str, &str)])] = &[
    (
        "request",
        &[
            ("userAgent", "user_agent"),
            ("ip", "ip"),
            ("hostname", "hostname"),
            ("query", "query"),
            ("body", "body"),
            ("geoip", "geoip"),
        ],
    ),
    (
        "geoip",
        &[
            ("country_code", "countryCode"),
            ("country_code3", "countryCode3"),
            ("country_name", "countryName"),
            ("city_name", "cityName"),
            ("latitude", "latitude"),
            ("longitude", "longitude"),
            ("time_zone", "timeZone"),
            ("continent_code", "continentCode"),
            ("subdivision_code", "subdivisionCode"),
            ("subdivision_name", "subdivisionName"),
        ],
    ),
    ("stats", &[("loginsCount", "logins_count")]),
];

/// What a property of `context` is, if Rules had it.
pub fn context_part(name: &str) -> Option<ContextPart> {
    CONTEXT.iter().find(|(rules, _)| *rules == name).map(|(_, part)| *part)
}

/// The Actions name of `key` below the object `parent` (`request`, `geoip`, `stats`), if it has one.
pub fn renamed_key(parent: &str, key: &str) -> Option<&'static str> {
    RENAMED_KEYS
        .iter()
        .find(|(object, _)| *object == parent)?
        .1
        .iter()
        .find(|(rules, _)| *rules == key)
        .map(|(_, action)| *action)
}

/// The Actions geoip key of a Rules geoip key (`country_code` → `countryCode`).
pub fn geoip_key(key: &str) -> Option<&'static str> {
    renamed_key("geoip", key)
}

/// Whether a local holding this part of `context` stands for it everywhere (an alias) rather than
/// holding its Action value: `context` itself (Actions split it into `event` and `api`), the
/// objects written for effects, and the objects whose keys Actions renamed, whose uses must be
/// mapped key by key. A part with the same keys in Actions (`context.organization`) is data: the
/// local keeps its name and holds `event.organization`.
pub fn context_path_needs_alias(path: &[&str]) -> bool {
    match path {
        [] => true,
        [first, rest @ ..] => match context_part(first) {
            Some(ContextPart::Effect) => true,
            Some(ContextPart::RenamedKeys(_)) => matches!(rest, [] | ["geoip"]),
            _ => false,
        },
    }
}

/// The fields of both the Rules user object and the Actions `event.user`.
pub const USER_PROFILE_FIELDS: &[&str] = &[
    "user_id",
    "email",
    "email_verified",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "picture",
    "username",
    "phone_number",
    "phone_verified",
    "created_at",
    "updated_at",
    "last_password_reset",
    "identities",
    "multifactor",
    "app_metadata",
    "user_metadata",
    "blocked",
    "enrolledFactors",
];

/// The user's metadata objects: in Rules, `app_metadata` keys were also merged into `user`. Rules
/// left them undefined when empty; Actions always provide them.
pub const USER_METADATA: &[&str] = &["app_metadata", "user_metadata"];

/// The properties of `context` that Rules left undefined when empty and Actions always provide
/// (an empty object then).
pub const CONTEXT_ALWAYS_PRESENT: &[&str] = &["clientMetadata"];

/// The identity provider's tokens that Rules kept in each entry of `user.identities`; Actions
/// give the identities without them.
pub const IDENTITY_TOKENS: &[&str] = &["access_token", "refresh_token", "access_token_secret"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_context_property_is_listed_once() {
        let mut names: Vec<&str> = CONTEXT.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn renamed_keys_and_aliases() {
        assert_eq!(geoip_key("country_code"), Some("countryCode"));
        assert_eq!(renamed_key("request", "userAgent"), Some("user_agent"));
        assert_eq!(renamed_key("stats", "loginsCount"), Some("logins_count"));
        assert_eq!(geoip_key("postal_code"), None);
        assert!(context_path_needs_alias(&[]));
        assert!(context_path_needs_alias(&["idToken"]));
        assert!(context_path_needs_alias(&["request", "geoip"]));
        assert!(!context_path_needs_alias(&["request", "query"]));
        assert!(!context_path_needs_alias(&["organization"]));
    }
}
