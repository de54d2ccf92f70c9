//! Diagnostics and the one table of their codes. A code is never reused for another meaning:
//! `R2A0xx` input problems, `R2A1xx` rewrites applied (info), `R2A2xx` work left to a human
//! (warning), `R2A3xx` constructs with no Action equivalent (error).

use crate::source::{Position, SourceText};
use serde::Serialize;
use std::fmt;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One entry of the codes table.
pub struct CodeInfo {
    pub code: Code,
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    /// What the code means and what to do about it; `explain` prints it.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($( $variant:ident = $id:literal, $severity:ident, $title:literal, $explanation:literal; )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        pub const CODES: &[CodeInfo] = &[
            $(CodeInfo { code: Code::$variant, id: $id, severity: Severity::$severity, title: $title, explanation: $explanation },)*
        ];
    };
}

codes! {
    ParseError = "R2A001", Error, "the file is not valid JavaScript",
        "The rule could not be parsed, so nothing was converted. Fix the syntax error at the reported position. Deploy-cli keyword placeholders (@@KEY@@, ##KEY##) are understood and need no change.";
    NotARule = "R2A002", Error, "no rule function in the file",
        "A rule file holds one function taking (user, context, callback), either as the whole file, named, async, or assigned to module.exports. The file parsed but no such function was found, so it was left alone.";
    EmptyFile = "R2A003", Error, "the file is empty",
        "The file holds no code (only white space or comments). There is nothing to convert.";
    NotText = "R2A004", Error, "the file is not UTF-8 text",
        "The file holds bytes that are not UTF-8 text (a binary file, or another encoding). Re-save it as UTF-8 if it is a rule.";
    TooDeep = "R2A005", Error, "the code nests deeper than the limit",
        "The code nests deeper than --max-nesting allows: brackets, and chains that nest without brackets (a+a+…, a.b.c…, f()()…, else if chains, ()=>()=>…). Parsing such code could exhaust the stack, so the file was refused before parsing. Raise the limit (at most 10,000) if the file is genuine.";
    TooLarge = "R2A006", Error, "the file is larger than the limit",
        "The file is larger than --max-file-size allows. Rules are small (Auth0 recommends 100 kB for all rules together); raise the limit if the file is genuine.";
    Placeholders = "R2A007", Info, "deploy-cli keyword placeholders kept",
        "The rule holds deploy-cli keyword placeholders (@@KEY@@ inserts a JSON value, ##KEY## inserts text). They were kept unchanged in the Action, where deploy-cli substitutes them on import.";
    SeveralRules = "R2A008", Warning, "more than one rule function in the file",
        "The file holds more than one function shaped like a rule. Only the reported one was converted; split the file so that each rule converts on its own.";
    AlreadyAction = "R2A009", Info, "the file is already an Action",
        "The file already exports onExecutePostLogin, so it was left unchanged.";
    SuppressionWithoutReason = "R2A010", Warning, "suppression without a reason",
        "A `// rules2actions-ignore R2Axxx: reason` comment must say why the finding is acceptable. Add the reason after the colon.";
    UnusedSuppression = "R2A011", Warning, "suppression that silences nothing",
        "This `// rules2actions-ignore` comment matches no finding on its own line or, for a comment alone on its line, on the next line holding code. Remove it, or fix the code it names.";
    OtherStage = "R2A012", Warning, "enabled rule of a stage other than login",
        "The deploy-cli metadata gives this enabled rule a stage other than login_success (login_failure, pre_authorize, user_registration). Only login_success rules become post-login Actions, so the rule was not converted; decide by hand what replaces it, or disable it.";
    HandlerNames = "R2A013", Error, "the rule uses the names event or api",
        "The Action's handler receives event and api; the rule declares or reads identifiers of the same names, so its code would refer to the wrong objects. Rename them in the rule and convert again.";
    OutputTooLarge = "R2A014", Error, "the Action is larger than the limit",
        "The converted code would be larger than --max-output-size allows, so it was not written or printed. Raise the limit if the rule is genuine.";
    TypeScript = "R2A015", Error, "the rule is written in TypeScript",
        "Rules run plain JavaScript, and so do Actions. The file parses only as TypeScript: remove the type annotations and convert again.";
    NotAFile = "R2A016", Error, "the path is not a regular file",
        "A rule is read from a regular file or from standard input (-). A FIFO, a device such as /dev/zero, a socket or a folder named as a rule file is refused without being read: reading it could block forever or never end. Name the rule file itself, or pipe its text into standard input.";
    Prettier = "R2A017", Warning, "the Action could not be formatted with Prettier",
        "With --prettier, each Action is formatted by the project's own Prettier: node_modules/.bin/prettier in the rule's folder or a folder above it, else in the current directory or above, else prettier on PATH (rules2actions never bundles one). None was found, it failed, took longer than 30 seconds, or printed something that is not JavaScript, as the message says; the Action was kept as converted, unformatted. Install Prettier in the project (npm install --save-dev prettier) or fix what it reported, and convert again.";
    InternalError = "R2A090", Error, "internal error: the conversion failed or produced invalid code",
        "The converter failed on this file (a panic inside the parser or a rewrite), or the converted code did not parse; nothing was written or printed for it, and the other files were still converted. This is a bug in rules2actions; please report it with the rule that triggers it.";

    Signature = "R2A101", Info, "rule signature converted",
        "function (user, context, callback) became exports.onExecutePostLogin = async (event, api) => {…}. Attach the Action to the post-login trigger, in the rule's order.";
    CallbackReturn = "R2A102", Info, "callback converted to return / api.access.deny",
        "callback(null, user, context) became return; callback(error) became return api.access.deny(message). After api.access.deny the login fails once the Action finishes, as with a rule error.";
    CallbackAwaited = "R2A103", Info, "callback called asynchronously: the rule body is awaited",
        "The rule calls back from inside a nested function (a request callback, a promise chain, a timer). The body now runs inside an awaited Promise and callback(…) became ruleDone(…), so the Action does not finish before the rule would have called back; an error passed to ruleDone denies the login with its message.";
    Multifactor = "R2A104", Info, "context.multifactor converted to api.multifactor.enable",
        "context.multifactor = { provider, … } became api.multifactor.enable(provider, options). Duo's ikey, skey, host and username moved under options.providerOptions.";
    RememberBrowserDefault = "R2A105", Info, "allowRememberBrowser made explicit",
        "Rules default allowRememberBrowser to true, Actions to false. The rule did not set it, so the Action passes allowRememberBrowser: true to keep the same MFA frequency.";
    Secrets = "R2A106", Info, "configuration converted to event.secrets",
        "configuration.KEY became event.secrets.KEY. Secrets belong to each Action: add every listed secret to the Action (deploy-cli and Terraform never export the values).";
    Dependency = "R2A107", Info, "versioned require converted to a dependency",
        "require('name@1.2.3') became require('name'); add { name, version } to the Action's dependencies.";
    UnauthorizedErrorClass = "R2A108", Info, "UnauthorizedError replaced by Error",
        "Actions have no UnauthorizedError class. new UnauthorizedError(message) became new Error(message); the message still reaches api.access.deny.";
    TokenClaim = "R2A109", Info, "token claim converted",
        "context.idToken[name] = value became api.idToken.setCustomClaim(name, value) (and the same for the access token). Actions cannot read a claim back; keep the value in a variable if later code needs it.";
    Scopes = "R2A110", Info, "access token scopes converted",
        "context.accessToken.scope = … replaced the whole scope set; the Action removes each requested scope that is not wanted and adds each wanted one, starting from event.transaction.requested_scopes.";
    MetadataUpdate = "R2A111", Info, "metadata update converted",
        "auth0.users.updateAppMetadata / updateUserMetadata(user.user_id, object) became one api.user.setAppMetadata / setUserMetadata(key, value) call per top-level key, which merges like the Management API update did. The expression still yields a resolved promise, so .then / .catch chains keep working. Auth0 writes the metadata once, at the end of the login flow.";
    RedirectConverted = "R2A112", Info, "redirect converted",
        "context.redirect = { url } became api.redirect.sendUserTo(url). Rules ran the whole rule again after /continue with context.protocol === 'redirect-callback'; the Action's onContinuePostLogin runs the same handler with that protocol, so the rule's continue branch runs as before.";
    SamlConverted = "R2A113", Info, "SAML setting converted",
        "context.samlConfiguration.X = v became api.samlResponse.setX(v); mappings became api.samlResponse.setAttribute(uri, value) per attribute.";
    PrimaryUserConverted = "R2A114", Info, "primary user converted",
        "context.primaryUser = id became api.authentication.setPrimaryUser(id). The login identity must already be linked to that user, and user metadata set in the same Action is discarded.";

    SandboxModule = "R2A116", Info, "sandbox module required explicitly",
        "The Rules sandbox offered request, _ (lodash) and jwt (jsonwebtoken) as globals. The Action requires the package at module scope and lists it as a dependency, without a version: pin the version the rule was written against.";
    UnauthorizedDenied = "R2A115", Info, "the unauthorized error code becomes access_denied",
        "A rule's UnauthorizedError reached the application as error=unauthorized; api.access.deny always gives error=access_denied, with the same error_description. The Action denies the same logins with the same message; only applications that test the error code for 'unauthorized' need a change, once for all rules.";
    AlwaysPresent = "R2A117", Info, "test of an object Actions always provide converted",
        "Rules left user.app_metadata, user.user_metadata and context.clientMetadata undefined when there was nothing in them; Actions always give an object, empty then. A test of whether one is there (!user.app_metadata, typeof … === 'undefined', … == null) would always say it is, so it became a test of whether it is empty: Object.keys(event.user.app_metadata).length === 0. A test that only guards the read of one key (user.app_metadata && user.app_metadata.plan) gives the same result on an empty object and was left as it is.";

    ContextAsWhole = "R2A202", Warning, "context used as a whole",
        "The context object is passed on or read as a whole. Actions split it into event (read-only data) and api (side effects); rewrite the code that receives it.";
    UnknownContextProperty = "R2A203", Warning, "context property with no known Action equivalent",
        "This context property is not in the Rules to Actions mapping. Find its counterpart on event, or remove the read.";
    ManagementApi = "R2A204", Warning, "the auth0 Management API object is not available in Actions",
        "Actions have no global auth0 object. Metadata updates become api.user.setAppMetadata / setUserMetadata; any other Management API call needs a ManagementClient from the auth0 package, built with the domain, client id and client secret of a machine-to-machine application stored as Action secrets.";
    GlobalState = "R2A205", Warning, "global state is not shared the same way in Actions",
        "Rules keep global.X between executions and share it between rules. In Actions use api.cache for serialisable data across executions (strings, 4 kB each, 15 min by default), module scope for clients, and api.transaction.setMetadata to pass data to a later Action.";
    ProfileWrite = "R2A206", Warning, "profile change does not reach the tokens",
        "In Rules a change to the user profile (user.picture = …) changes the claims of the issued tokens. In Actions event.user is read-only data: set the claim with api.idToken.setCustomClaim, or persist metadata with api.user.setAppMetadata / setUserMetadata.";
    UnknownUserProperty = "R2A207", Warning, "user property that may be a merged app_metadata key",
        "Rules merge app_metadata keys into the user object, so user.foo may really be app_metadata.foo. Actions do not merge: read event.user.app_metadata.foo if that is what the rule meant.";
    MultifactorDynamic = "R2A208", Warning, "multifactor settings not known statically",
        "context.multifactor is assigned a value whose provider and options cannot be read from the code. Check the generated api.multifactor.enable call, especially Duo's providerOptions. Where the rule's final MFA settings cannot be worked out at all (changed in a nested function, for example), the Action denies the login at each change until api.multifactor.enable is written by hand.";
    MultifactorOption = "R2A209", Warning, "multifactor option with no Action equivalent",
        "api.multifactor.enable accepts only allowRememberBrowser and, for Duo, providerOptions. This option of the rule was dropped; check whether the MFA policy still matches.";
    ContextWrite = "R2A210", Warning, "write to context data that Actions cannot change",
        "event is read-only data in Actions and changes to it are not seen by other Actions. Use api.transaction.setMetadata to pass a value to a later Action.";
    ReadBack = "R2A211", Warning, "reading back a value set earlier",
        "Actions cannot read back claims, MFA or redirect settings made earlier (by this or another Action). Keep the value in a local variable, or pass it with api.transaction.setMetadata.";
    CallbackReplacesObjects = "R2A212", Warning, "callback given another user or context object",
        "The rule passes its own user or context object to the callback. Actions cannot replace event; apply the intended changes with api calls.";
    AuthenticationTimestamps = "R2A213", Warning, "authentication method timestamps changed type",
        "Rules give context.authentication.methods[].timestamp as a number; Actions give an ISO-8601 string. Convert with Date.parse() before doing arithmetic on it.";
    SecretsOutsideRule = "R2A214", Warning, "configuration used where event.secrets is out of reach",
        "configuration is read outside the rule function, or with a key computed at run time. Pass event.secrets to that code, and add the secret names it needs to the Action by hand.";
    UnauthorizedErrorUse = "R2A215", Warning, "UnauthorizedError used other than to construct an error",
        "Actions have no UnauthorizedError class. Replace this use (for example an instanceof test) by plain Error handling.";
    CodeAfterCallback = "R2A216", Warning, "code after the callback no longer runs",
        "The rule went on running after calling back; in the Action the callback became a return, so the statements after it are skipped. Move anything that must still happen before the return. Also reported for work the rule leaves running when it calls back (a request's callback or a promise handler that updates metadata or sets a claim): Rules still made those calls, but an Action's api calls made after its handler has returned are lost. Await the work before calling back (the login then waits for it).";
    SessionId = "R2A217", Warning, "session id has a different meaning",
        "context.sessionID became event.session?.id. The Rules value was only meaningful with prompt=none; check what the code relies on.";
    TokenClaims = "R2A220", Warning, "token change not converted",
        "Changes to context.idToken / context.accessToken become api.idToken.setCustomClaim(name, value), api.accessToken.setCustomClaim(name, value) and api.accessToken.addScope / removeScope. This one could not be converted automatically.";
    Redirect = "R2A221", Warning, "redirect not converted",
        "context.redirect = { url } becomes api.redirect.sendUserTo(url, { query }), and the context.protocol === 'redirect-callback' branch becomes exports.onContinuePostLogin in the same Action.";
    Saml = "R2A222", Warning, "SAML configuration not converted",
        "context.samlConfiguration.X = v becomes api.samlResponse.setX(v); mappings become api.samlResponse.setAttribute(uri, value).";
    ReturnWithoutCallback = "R2A218", Warning, "a path of the rule ends without calling back",
        "A path of the rule ended without calling the callback (a bare return, or the end of a branch or of a request's callback): Rules left the login waiting until it timed out and failed. The Action denies the login there at once, with api.access.deny (in the awaited form, by resolving with an error), instead of letting it go on or waiting for the time limit. If the rule meant to let the login go on, replace the denial with a return. Where no single place can deny (some paths through the statement have called back and others go on), the TODO marks the statement: deny on the paths that do not call back.";
    PrimaryUser = "R2A223", Warning, "primary user not converted",
        "context.primaryUser = id becomes api.authentication.setPrimaryUser(id).";
    DynamicRequire = "R2A224", Warning, "module name computed at run time",
        "require() is called with a name built at run time (often 'pkg@' + version). Actions install the dependencies listed on the Action: require the package by its literal name and list it, with its version, as a dependency.";
    RulesConstructInAction = "R2A225", Warning, "an Action still refers to a Rules construct",
        "The file is an Action, but it still refers to user, context, callback, configuration, auth0 or UnauthorizedError, none of which exists when an Action runs: the statement throws a ReferenceError. Finish the conversion by hand (see `rules2actions explain` for the code of the TODO above it), or convert the original rule again.";
    AlwaysPresentTest = "R2A226", Warning, "test of an object Actions always provide",
        "The tested local was declared as user.app_metadata, user.user_metadata or context.clientMetadata, but it is reassigned or its name is bound again elsewhere, so it was not rewritten. Rules left these objects undefined when there was nothing in them; Actions always give an object, so if the local still holds one, this test always says it is there: a branch meant for users (or applications) without metadata never runs. Test whether it is empty instead: Object.keys(metadata).length === 0.";

    ConnectionOptions = "R2A301", Error, "context.connectionOptions has no Action equivalent",
        "Actions expose no connection options (tenant_domain, domain_aliases). Keep the values the rule needs as Action secrets or in event.connection.metadata.";
    Sso = "R2A302", Error, "context.sso has no Action equivalent",
        "context.sso.with_auth0 and with_dbconn have no Action counterpart. For the clients of the session, event.session.clients is an array of objects (use .client_id).";
    JwtConfiguration = "R2A303", Error, "context.jwtConfiguration has no Action equivalent",
        "Token lifetime and signing settings cannot be changed from an Action. Configure them on the application or API instead.";
    UndocumentedUserField = "R2A304", Error, "user field with no Action equivalent",
        "user.persistent and user.permissions have no documented Action counterpart. Store the data in app_metadata with api.user.setAppMetadata, or read permissions from the access token.";
    DeleteClaim = "R2A305", Error, "deleting a claim is not possible in Actions",
        "Actions cannot delete standard claims from the ID or access token. Stop requesting the scope that adds the claim instead.";
    IdentityProviderToken = "R2A306", Error, "identity provider tokens are not in Actions",
        "Rules gave the identity provider's tokens in user.identities[].access_token, refresh_token and access_token_secret; Actions do not (event.user.identities has no tokens). Read them from the Management API instead: GET /api/v2/users/{id} with a machine-to-machine application granted read:users and read:user_idp_tokens, its credentials stored as Action secrets (and the token cached with api.cache). Until then the Action sends undefined where the rule sent the token.";
}

impl Code {
    pub fn info(self) -> &'static CodeInfo {
        &CODES[self as usize]
    }

    pub fn id(self) -> &'static str {
        self.info().id
    }

    pub fn severity(self) -> Severity {
        self.info().severity
    }

    pub fn from_id(id: &str) -> Option<Code> {
        CODES
            .iter()
            .find(|info| info.id.eq_ignore_ascii_case(id))
            .map(|info| info.code)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// A finding about one place of the input, positioned in the original text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Byte range in the original file.
    #[serde(skip)]
    pub range: Range<usize>,
    pub start: Position,
    pub end: Position,
    pub help: &'static str,
}

impl Diagnostic {
    /// A diagnostic of `code` over `range` of `source`.
    pub fn new(source: &SourceText<'_>, code: Code, range: Range<usize>, message: String) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            help: code.info().explanation,
            start: source.position(range.start),
            end: source.position(range.end),
            range,
            message,
        }
    }

    /// Sort key that gives a stable order: by position, then code, then message.
    pub fn order_key(&self) -> (Position, Code, &str) {
        (self.start, self.code, self.message.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_table_is_indexed_by_variant_and_ids_are_unique() {
        let mut seen = HashSet::new();
        for (index, info) in CODES.iter().enumerate() {
            assert_eq!(info.code as usize, index);
            assert!(seen.insert(info.id), "duplicate id {}", info.id);
            let class = &info.id[3..4];
            let expected = match class {
                "0" => None,
                "1" => Some(Severity::Info),
                "2" => Some(Severity::Warning),
                "3" => Some(Severity::Error),
                _ => panic!("unexpected class in {}", info.id),
            };
            if let Some(expected) = expected {
                assert_eq!(info.severity, expected, "{}", info.id);
            }
        }
        assert_eq!(Code::from_id("r2a104"), Some(Code::Multifactor));
    }
}
