//! A small grammar of rule files, shared by the property tests (`tests/properties.rs`, which build
//! values with proptest strategies) and the fuzz target (`fuzz/fuzz_targets/convert.rs`, which
//! derives them from the fuzzer's bytes with `arbitrary`: the derive is only compiled under
//! `cfg(fuzzing)`, which `cargo fuzz` sets).
//!
//! Every choice among known spellings is an index taken modulo the list's length, so any value is a
//! valid rule description; rendering never fails.

#![allow(dead_code)]

/// Pick `list[index % len]`.
fn pick<T: Copy>(list: &[T], index: u8) -> T {
    list[index as usize % list.len()]
}

pub const USER_FIELDS: &[&str] = &[
    "email",
    "email_verified",
    "user_id",
    "app_metadata",
    "user_metadata",
    "app_metadata.roles",
    "user_metadata.use_mfa",
    "name",
    "nickname",
    "identities",
    "logins_count",
    "multifactor",
    "given_name",
    "picture",
];

pub const CONTEXT_FIELDS: &[&str] = &[
    "clientID",
    "clientName",
    "connection",
    "connectionStrategy",
    "protocol",
    "request.userAgent",
    "request.ip",
    "request.geoip.country_code",
    "request.query.prompt",
    "stats.loginsCount",
    "clientMetadata.tier",
    "authentication.methods",
    "sessionID",
    "tenant",
    "idToken",
    "accessToken.scope",
    "sso",
    "connectionOptions",
    "primaryUser",
    "redirect",
    "samlConfiguration",
];

pub const PROVIDERS: &[&str] = &["any", "guardian", "google-authenticator", "duo", "none", "sms"];

pub const KEYS: &[&str] = &["API_KEY", "DOMAIN", "CLIENT_SECRET", "ENV", "A", "x_1"];

pub const PACKAGES: &[&str] = &["request", "axios", "lodash", "@slack/client", "jsonwebtoken", "crypto"];

pub const VERSIONS: &[&str] = &["", "@2.88.0", "@0.21.1", "@4.17.21", "@latest", "@1.0.0-beta.1"];

pub const STRINGS: &[&str] = &[
    "Access denied",
    "",
    "it's \\\"quoted\\\"",
    "ünïcödé ✓ 𝕏",
    "line\\nbreak",
    "${not.a.template}",
    "/* not a comment */",
    "// neither",
    "@@ALMOST",
    "@@KEY@@",
    "##TEXT##",
];

/// Fragments that hostile or unusual rules contain; a few are not valid on purpose.
pub const SNIPPETS: &[&str] = &[
    "var x = user.email.split('@')[1];",
    "const { email, app_metadata: meta = {} } = user;",
    "let ctx = context; ctx.idToken['https://x/y'] = 1;",
    "delete context.idToken.name;",
    "context.idToken['https://example.com/roles'] = user.app_metadata.roles || [];",
    "context.accessToken.scope = ['openid', 'profile'];",
    "user.app_metadata = user.app_metadata || {};",
    "auth0.users.updateAppMetadata(user.user_id, user.app_metadata);",
    "global.cache = global.cache || {};",
    "context.redirect = { url: 'https://example.com/consent' };",
    "context.samlConfiguration.mappings = { 'http://x': 'email' };",
    "if (context.protocol === 'redirect-callback') { return callback(null, user, context); }",
    "switch (context.clientID) { case 'a': break; default: callback(null, user, context); }",
    "for (const id of user.identities || []) { console.log(id.provider); }",
    "try { JSON.parse(user.user_metadata.blob); } catch (e) { return callback(e); }",
    "const re = /[(\\[{]+/g; const t = `a${user.email}b${`c${context.clientID}`}`;",
    "label: { break label; }",
    "var a = b ? c : d ? e : f;",
    "var sum = 1 + 2 * 3 - 4 / 5 % 6 ** 7;",
    "var s = x?.y?.[z]?.(w) ?? null;",
    "new UnauthorizedError('no');",
    "return;",
    "callback;",
    "callback.call(null, null, user, context);",
    "const f = (user, context, callback) => callback(null, user, context);",
    "function (user, context, callback) { callback(null, user, context); }",
    "exports.onExecutePostLogin = async (event, api) => {};",
    "async function later() { await new Promise(r => setTimeout(r, 1)); }",
    "\u{feff}",
    "\u{2028}",
    "'unterminated",
    "}",
    "{{",
    "/*",
    "@@",
    "#!/usr/bin/env node",
    "let x: string = 'ts';",
    "<div>jsx</div>",
    "with (user) { email; }",
    "yield 1;",
];

#[derive(Clone, Copy, Debug)]
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
pub enum Shape {
    Bare,
    Named,
    Async,
    ModuleExports,
    Exports,
}

#[derive(Clone, Copy, Debug)]
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
pub enum Ending {
    Lf,
    Crlf,
    Cr,
}

#[derive(Clone, Copy, Debug)]
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
pub enum ErrorKind {
    Unauthorized,
    Error,
    Variable,
    StringLiteral,
}

#[derive(Clone, Debug)]
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
pub enum Stmt {
    CallbackOk,
    ReturnCallbackOk,
    CallbackError(ErrorKind, u8),
    ReadUser(u8),
    ReadContext(u8),
    WriteUser(u8, u8),
    ShorthandUser,
    Mfa {
        provider: u8,
        remember: Option<bool>,
        duo: bool,
    },
    MfaThroughObject(u8),
    Secret(u8),
    DestructureSecrets(u8, u8),
    Require(u8, u8),
    IdTokenClaim(u8, u8),
    Placeholder {
        key: u8,
        text: bool,
        in_string: bool,
    },
    Comment(u8),
    Log(u8),
    If {
        user_field: u8,
        then: Vec<Stmt>,
        otherwise: Option<Vec<Stmt>>,
    },
    Request(Vec<Stmt>),
    Promise(Vec<Stmt>),
    Timer(Vec<Stmt>),
    /// A nested function whose parameters shadow the rule's.
    Shadow(Vec<Stmt>),
    Snippet(u8),
}

#[derive(Clone, Debug)]
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
pub struct Rule {
    pub shape: Shape,
    /// The rule's parameters are renamed (`u, ctx, cb`).
    pub renamed: bool,
    pub body: Vec<Stmt>,
    /// A final `callback(null, user, context);`.
    pub final_callback: bool,
    pub ending: Ending,
    pub bom: bool,
    /// Indent with tabs instead of two spaces.
    pub tabs: bool,
    /// Text after the rule (index into `SNIPPETS`), e.g. code after the function.
    pub trailer: Option<u8>,
    pub leading_comment: bool,
}

struct Names {
    user: &'static str,
    context: &'static str,
    callback: &'static str,
}

struct Out {
    text: String,
    indent: usize,
    tab: &'static str,
    ending: &'static str,
    names: Names,
}

impl Out {
    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.text.push_str(self.tab);
        }
        self.text.push_str(text);
        self.text.push_str(self.ending);
    }

    fn block(&mut self, open: &str, body: &[Stmt], close: &str) {
        self.line(open);
        self.indent += 1;
        for stmt in body {
            render_stmt(self, stmt);
        }
        self.indent -= 1;
        self.line(close);
    }
}

fn quoted(index: u8) -> String {
    format!("'{}'", pick(STRINGS, index).replace('\'', "\\'"))
}

fn render_stmt(out: &mut Out, stmt: &Stmt) {
    let (u, c, cb) = (out.names.user, out.names.context, out.names.callback);
    match stmt {
        Stmt::CallbackOk => out.line(&format!("{cb}(null, {u}, {c});")),
        Stmt::ReturnCallbackOk => out.line(&format!("return {cb}(null, {u}, {c});")),
        Stmt::CallbackError(kind, message) => {
            let error = match kind {
                ErrorKind::Unauthorized => format!("new UnauthorizedError({})", quoted(*message)),
                ErrorKind::Error => format!("new Error({})", quoted(*message)),
                ErrorKind::Variable => "err".to_string(),
                ErrorKind::StringLiteral => quoted(*message),
            };
            out.line(&format!("return {cb}({error});"));
        }
        Stmt::ReadUser(field) => out.line(&format!("var v = {u}.{};", pick(USER_FIELDS, *field))),
        Stmt::ReadContext(field) => out.line(&format!("var w = {c}.{};", pick(CONTEXT_FIELDS, *field))),
        Stmt::WriteUser(field, value) => out.line(&format!("{u}.{} = {};", pick(USER_FIELDS, *field), quoted(*value))),
        Stmt::ShorthandUser => out.line(&format!("var pair = {{ {u}, {c} }};")),
        Stmt::Mfa {
            provider,
            remember,
            duo,
        } => {
            out.line(&format!("{c}.multifactor = {{"));
            out.indent += 1;
            out.line(&format!("provider: '{}',", pick(PROVIDERS, *provider)));
            if *duo {
                out.line("ikey: configuration.DUO_IKEY, skey: configuration.DUO_SKEY, host: 'api-x.duosecurity.com',");
            }
            if let Some(remember) = remember {
                out.line(&format!("allowRememberBrowser: {remember}"));
            }
            out.indent -= 1;
            out.line("};");
        }
        Stmt::MfaThroughObject(provider) => {
            out.line(&format!(
                "const mfa = {{ provider: '{}' }};",
                pick(PROVIDERS, *provider)
            ));
            out.line(&format!("{c}.multifactor = mfa;"));
        }
        Stmt::Secret(key) => out.line(&format!("var s = configuration.{};", pick(KEYS, *key))),
        Stmt::DestructureSecrets(a, b) => out.line(&format!(
            "const {{ {}, {} }} = configuration;",
            pick(KEYS, *a),
            pick(KEYS, b.wrapping_add(1))
        )),
        Stmt::Require(package, version) => out.line(&format!(
            "const lib = require('{}{}');",
            pick(PACKAGES, *package),
            pick(VERSIONS, *version)
        )),
        Stmt::IdTokenClaim(key, value) => out.line(&format!(
            "{c}.idToken['https://example.com/{}'] = {u}.{};",
            pick(KEYS, *key),
            pick(USER_FIELDS, *value)
        )),
        Stmt::Placeholder { key, text, in_string } => {
            let key = pick(KEYS, *key);
            let placeholder = if *text {
                format!("##{key}##")
            } else {
                format!("@@{key}@@")
            };
            if *in_string {
                out.line(&format!("var p = '{placeholder}';"));
            } else {
                out.line(&format!("var p = {placeholder};"));
            }
        }
        Stmt::Comment(index) => out.line(&format!("// {}", pick(STRINGS, *index))),
        Stmt::Log(field) => out.line(&format!("console.log('seen', {u}.{});", pick(USER_FIELDS, *field))),
        Stmt::If {
            user_field,
            then,
            otherwise,
        } => {
            let condition = format!("{u}.{}", pick(USER_FIELDS, *user_field));
            match otherwise {
                None => out.block(&format!("if ({condition}) {{"), then, "}"),
                Some(otherwise) => {
                    out.block(&format!("if ({condition}) {{"), then, "} else {");
                    out.indent += 1;
                    for stmt in otherwise {
                        render_stmt(out, stmt);
                    }
                    out.indent -= 1;
                    out.line("}");
                }
            }
        }
        Stmt::Request(body) => out.block(
            "request.get({ url: 'https://example.com/api', json: true }, function (err, response, data) {",
            body,
            "});",
        ),
        Stmt::Promise(body) => out.block(
            "fetchSomething().then(function (result) {",
            body,
            &format!("}}).catch(function (err) {{ {cb}(err); }});"),
        ),
        Stmt::Timer(body) => out.block("setTimeout(() => {", body, "}, 10);"),
        Stmt::Shadow(body) => out.block(&format!("[1, 2].forEach(function ({u}, {c}) {{"), body, "});"),
        Stmt::Snippet(index) => out.line(pick(SNIPPETS, *index)),
    }
}

impl Rule {
    /// The text of the rule file.
    pub fn render(&self) -> String {
        let names = if self.renamed {
            Names {
                user: "u",
                context: "ctx",
                callback: "done",
            }
        } else {
            Names {
                user: "user",
                context: "context",
                callback: "callback",
            }
        };
        let ending = match self.ending {
            Ending::Lf => "\n",
            Ending::Crlf => "\r\n",
            Ending::Cr => "\r",
        };
        let mut out = Out {
            text: String::new(),
            indent: 0,
            tab: if self.tabs { "\t" } else { "  " },
            ending,
            names,
        };
        if self.bom {
            out.text.push('\u{feff}');
        }
        if self.leading_comment {
            out.line("/* A rule. @@NOT_A_KEY */");
        }
        let params = format!("{}, {}, {}", out.names.user, out.names.context, out.names.callback);
        let (open, close) = match self.shape {
            Shape::Bare => (format!("function ({params}) {{"), "}"),
            Shape::Named => (format!("function myRule({params}) {{"), "}"),
            Shape::Async => (format!("async function myRule({params}) {{"), "}"),
            Shape::ModuleExports => (format!("module.exports = function ({params}) {{"), "};"),
            Shape::Exports => (format!("exports = function ({params}) {{"), "};"),
        };
        let mut body = self.body.clone();
        if self.final_callback {
            body.push(Stmt::CallbackOk);
        }
        out.block(&open, &body, close);
        if let Some(trailer) = self.trailer {
            out.line(pick(SNIPPETS, trailer));
        }
        out.text
    }
}
