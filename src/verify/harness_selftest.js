'use strict';
/*
 * Self-test for harness.js: runs small rules / actions on scenarios, each in its own `node`
 * process with the flags runner.rs uses (permission model, no code generation from strings in the
 * harness's realm, frozen intrinsics), and checks the effects. The OS-level limits (namespaces,
 * rlimits, process group) are runner.rs's and are tested by tests/sandbox.rs.
 *
 *   node src/verify/harness_selftest.js        → prints "N passed, 0 failed", exit 0 on success
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const assert = require('assert');
const crypto = require('crypto');
const { spawnSync } = require('child_process');

const HARNESS = path.join(__dirname, 'harness.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'r2a-harness-selftest-'));
let n = 0;

const PERMISSION = ['--permission', '--experimental-permission'].find((f) => process.allowedNodeEnvironmentFlags.has(f));
const FLAGS = [...(PERMISSION ? [PERMISSION, `--allow-fs-read=${HARNESS}`] : []), '--disallow-code-generation-from-strings',
  '--frozen-intrinsics', '--no-warnings', '--max-old-space-size=256'];

/** Feeds the harness a token and a job; returns {status, signal, body|null, effects|null, stdout, stderr}. */
function send(input, token, timeout = 20000) {
  const r = spawnSync(process.execPath, [...FLAGS, HARNESS], { cwd: dir, input, encoding: 'utf8', timeout, env: {} });
  const line = r.stdout.split('\n').find((l) => l.startsWith(`${token} `));
  let body = null;
  try { body = JSON.parse(line.slice(token.length + 1)); } catch (_) { /* asserted by callers */ }
  return { status: r.status, signal: r.signal, body, effects: body && body.effects, stdout: r.stdout, stderr: r.stderr };
}
function run(mode, code, scenario = {}, timeout = 20000) {
  n++;
  const token = crypto.randomBytes(16).toString('hex');
  return send(`${token}\n${JSON.stringify({ mode, code, scenario })}`, token, timeout);
}
function effects(mode, code, scenario) {
  const r = run(mode, code, scenario);
  assert.strictEqual(r.status, 0, `exit ${r.status}, stdout=${r.stdout} stderr=${r.stderr}`);
  assert.ok(r.effects, `no JSON on stdout: ${r.stdout}`);
  return r.effects;
}
/** Run rule and action on the same scenario; the listed fields must be equal on both sides. */
function pair(rule, action, scenario, fields) {
  const r = effects('rule', rule, scenario);
  const a = effects('action', action, scenario);
  for (const f of fields) assert.deepStrictEqual(a[f], r[f], `field ${f}: rule=${JSON.stringify(r[f])} action=${JSON.stringify(a[f])}`);
  return { r, a };
}
const ALL = ['outcome', 'finished', 'error', 'mfa', 'id_token_claims', 'access_token_claims', 'scopes',
  'app_metadata', 'user_metadata', 'redirect', 'primary_user', 'saml', 'http_requests'];

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

// ---------------------------------------------------------------------------------------
test('faithful Rules user: no metadata is absent, app_metadata merged, IdP tokens on identities', () => {
  const rule = `function (user, context, callback) {
    context.idToken.seen = [typeof user.app_metadata, typeof user.user_metadata, typeof context.clientMetadata,
      user.groups || null, user.identities[0].access_token || null, user.upn || null];
    callback(null, user, context);
  }`;
  const claims = (scenario) => effects('rule', rule, scenario).id_token_claims.seen;
  assert.deepStrictEqual(claims({}), ['undefined', 'undefined', 'undefined', null, null, null]);
  assert.deepStrictEqual(claims({ event: { user: { app_metadata: { groups: ['a'] }, user_metadata: { x: 1 },
    identities: [{ provider: 'google-oauth2', connection: 'google-oauth2', user_id: 'g1', isSocial: true }] },
  client: { metadata: { tier: 'gold' } } }, rule_user: { upn: 'u@corp' } }),
  ['object', 'object', 'object', ['a'], 'idp-access_token-google-oauth2', 'u@corp']);
  // The Action sees {} and no token, whatever the Rules side had.
  const a = effects('action', `exports.onExecutePostLogin = async (event, api) => {
    api.idToken.setCustomClaim('seen', [event.user.app_metadata, event.client.metadata, event.user.groups || null]);
  };`);
  assert.deepStrictEqual(a.id_token_claims.seen, [{}, {}, null]);
});

test('a null user fails the login; a redirect on the redirect-callback leg is ignored', () => {
  const noUser = effects('rule', 'function (user, context, callback) { callback(null, null, context); }');
  assert.deepStrictEqual(noUser.outcome, { decision: 'deny', message: null });
  assert.strictEqual(noUser.error, null);
  const redirect = 'function (u, context, cb) { context.redirect = { url: "https://x.example/?a=1" }; cb(null, u, context); }';
  assert.deepStrictEqual(effects('rule', redirect).redirect, { url: 'https://x.example/', query: { a: '1' } });
  assert.strictEqual(effects('rule', redirect, { continue: true }).redirect, null);
  const again = `exports.onExecutePostLogin = async () => {};
    exports.onContinuePostLogin = async (event, api) => { api.redirect.sendUserTo('https://x.example/'); };`;
  assert.deepStrictEqual(effects('action', again, { continue: true }).redirect, { url: 'https://x.example/', query: {} });
});

test('a claim object changed after setCustomClaim is reported, not guessed', () => {
  const changed = effects('action', `exports.onExecutePostLogin = async (event, api) => {
    const roles = ['a']; api.idToken.setCustomClaim('roles', roles); roles.push('b');
    const same = { x: 1 }; api.accessToken.setCustomClaim('same', same);
  };`);
  assert.deepStrictEqual(changed.id_token_claims.roles, ['a']);
  assert.deepStrictEqual(changed.claims_changed_later, { id_token_claims: { roles: ['a', 'b'] }, access_token_claims: {} });
  const replaced = effects('action', `exports.onExecutePostLogin = async (event, api) => {
    const roles = ['a']; api.idToken.setCustomClaim('roles', roles); api.idToken.setCustomClaim('roles', 'b'); roles.push('c');
  };`);
  assert.deepStrictEqual(replaced.claims_changed_later, { id_token_claims: {}, access_token_claims: {} });
  const hostile = run('action', `exports.onExecutePostLogin = async (event, api) => {
    const v = { toJSON() { if (this.late) for (;;); return 1; } }; api.idToken.setCustomClaim('v', v); v.late = true;
  };`, { timeout_ms: 300 });
  assert.strictEqual(hostile.status, 0, hostile.stderr);
  assert.deepStrictEqual(hostile.effects.claims_changed_later.id_token_claims, { v: '[Unserializable]' });
});

test('allow rule vs action, full schema and key order', () => {
  const { r } = pair('function (user, context, callback) {\n  callback(null, user, context);\n}',
    'exports.onExecutePostLogin = async (event, api) => {};', {}, ALL);
  assert.deepStrictEqual(Object.keys(r), ['outcome', 'finished', 'error', 'mfa', 'id_token_claims', 'access_token_claims',
    'claims_changed_later', 'scopes', 'app_metadata', 'user_metadata', 'redirect', 'primary_user', 'saml', 'unsupported',
    'http_requests', 'coverage']);
  assert.deepStrictEqual(r.outcome, { decision: 'allow', message: null });
  assert.strictEqual(r.finished, true);
});

test("the rule's block coverage: reached and unreached ranges, in UTF-8 bytes; none for an Action", () => {
  const rule = `function (user, context, callback) {
  // é: two bytes
  if (context.clientName === 'x') { return callback('no'); }
  callback(null, user, context);
}`;
  const { r, a } = pair(rule, 'exports.onExecutePostLogin = async () => {};', {}, ['outcome']);
  const unreached = r.coverage.filter((c) => c.count === 0);
  const bytes = Buffer.from(rule);
  assert.deepStrictEqual(unreached.map((c) => bytes.subarray(c.start, c.end).toString()), ["{ return callback('no'); }"]);
  assert.ok(r.coverage.some((c) => c.start === 0 && c.count === 1), JSON.stringify(r.coverage));
  const taken = effects('rule', rule, { event: { client: { name: 'x' } } }).coverage;
  assert.ok(!taken.some((c) => c.count === 0 && bytes.subarray(c.start, c.end).toString().startsWith('{ return')));
  assert.strictEqual(a.coverage, null);
});

test('user code cannot use the runtime functions coverage is collected with', () => {
  for (const mode of ['rule', 'action']) {
    const code = mode === 'rule' ? 'function (u, c, cb) { cb(null, u, %DebugCollectCoverage()); }'
      : 'exports.onExecutePostLogin = async () => { %DebugToggleBlockCoverage(false); };';
    const r = run(mode, code);
    assert.ok(r.body && /Unexpected token '%'/.test(r.body.compile_error), r.stdout);
  }
});

test('deny: UnauthorizedError vs api.access.deny', () => {
  const { r } = pair(`function (user, context, callback) {
      if (!user.email_verified) return callback(new UnauthorizedError('Please verify your email'));
      callback(null, user, context);
    }`,
  `exports.onExecutePostLogin = async (event, api) => {
      if (!event.user.email_verified) return api.access.deny('Please verify your email');
    };`, { event: { user: { email_verified: false } } }, ALL);
  assert.deepStrictEqual(r.outcome, { decision: 'deny', message: 'Please verify your email' });
});

test('deny with plain Error / string, first callback wins', () => {
  assert.deepStrictEqual(effects('rule', 'function (u, c, cb) { cb("nope"); cb(null, u, c); }').outcome,
    { decision: 'deny', message: 'nope' });
  assert.deepStrictEqual(effects('rule', 'function (u, c, cb) { cb(new Error("boom")); }').outcome,
    { decision: 'deny', message: 'boom' });
});

test('MFA any with allowRememberBrowser false', () => {
  const { r } = pair(`function (user, context, callback) {
      context.multifactor = { provider: 'any', allowRememberBrowser: false };
      callback(null, user, context);
    }`,
  `exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable('any', { allowRememberBrowser: false }); };`, {}, ALL);
  assert.deepStrictEqual(r.mfa, { provider: 'any', options: { allowRememberBrowser: false } });
});

test('rule MFA without allowRememberBrowser normalises to true; duo keys → providerOptions', () => {
  const { r } = pair(`function (user, context, callback) {
      context.multifactor = { provider: 'duo', ikey: 'I', skey: 'S', host: 'h.duo' };
      callback(null, user, context);
    }`,
  `exports.onExecutePostLogin = async (event, api) => {
      api.multifactor.enable('duo', { allowRememberBrowser: true, providerOptions: { ikey: 'I', skey: 'S', host: 'h.duo' } });
    };`, {}, ['mfa']);
  assert.deepStrictEqual(r.mfa, { provider: 'duo', options: { allowRememberBrowser: true, providerOptions: { ikey: 'I', skey: 'S', host: 'h.duo' } } });
  assert.deepStrictEqual(effects('rule', 'function (u, c, cb) { c.multifactor = { provider: "guardian" }; cb(null, u, c); }').mfa,
    { provider: 'guardian', options: { allowRememberBrowser: true } });
});

test('claims on both sides; scopes replaced vs add/removeScope', () => {
  const { r } = pair(`function (user, context, callback) {
      const ns = 'https://example.com/';
      context.idToken[ns + 'roles'] = context.authorization.roles;
      context.idToken[ns + 'country'] = context.request.geoip.country_code;
      context.accessToken[ns + 'email'] = user.email;
      context.accessToken.scope = 'openid email read:stuff';
      callback(null, user, context);
    }`,
  `exports.onExecutePostLogin = async (event, api) => {
      const ns = 'https://example.com/';
      api.idToken.setCustomClaim(ns + 'roles', event.authorization.roles)
        .idToken.setCustomClaim(ns + 'country', event.request.geoip.countryCode);
      api.accessToken.setCustomClaim(ns + 'email', event.user.email);
      api.accessToken.removeScope('profile');
      api.accessToken.addScope('read:stuff');
    };`, { event: { authorization: { roles: ['admin'] } } }, ALL);
  assert.deepStrictEqual(r.id_token_claims, { 'https://example.com/roles': ['admin'], 'https://example.com/country': 'US' });
  assert.deepStrictEqual(r.access_token_claims, { 'https://example.com/email': 'user1@example.com' });
  assert.deepStrictEqual(r.scopes, ['email', 'openid', 'read:stuff']);
});

test('metadata: updateAppMetadata promise + callback forms vs setAppMetadata', () => {
  const scenario = { event: { user: { app_metadata: { plan: 'free', keep: 1 }, user_metadata: { lang: 'en' } } } };
  const { r } = pair(`function (user, context, callback) {
      user.app_metadata.plan = 'pro';
      auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
        .then(function () {
          auth0.users.updateUserMetadata(user.user_id, { theme: 'dark' }, function (err) {
            if (err) return callback(err);
            callback(null, user, context);
          });
        })
        .catch(function (err) { callback(err); });
    }`,
  `exports.onExecutePostLogin = async (event, api) => {
      api.user.setAppMetadata('plan', 'pro');
      api.user.setUserMetadata('theme', 'dark');
    };`, scenario, ALL);
  assert.deepStrictEqual(r.app_metadata, { plan: 'pro' });
  assert.deepStrictEqual(r.user_metadata, { theme: 'dark' });
  // removal: null on both sides
  pair('function (u, c, cb) { auth0.users.updateAppMetadata(u.user_id, { plan: null }).then(() => cb(null, u, c)); }',
    'exports.onExecutePostLogin = async (e, api) => { api.user.setAppMetadata("plan", null); };', scenario, ['app_metadata']);
});

test('request() stub answers from scenario.http; http_requests recorded', () => {
  const scenario = { http: [{ method: 'GET', url_prefix: 'https://api.example.com/', status: 200, body: { allowed: false } }] };
  const { r } = pair(`function (user, context, callback) {
      const request = require('request@2.56.0');
      request.get({ url: 'https://api.example.com/check', qs: { id: user.user_id }, json: true }, function (err, res, body) {
        if (err) return callback(err);
        if (res.statusCode !== 200 || !body.allowed) return callback(new UnauthorizedError('blocked'));
        callback(null, user, context);
      });
    }`,
  `const axios = require('axios');
    exports.onExecutePostLogin = async (event, api) => {
      const res = await axios.get('https://api.example.com/check', { params: { id: event.user.user_id } });
      if (!res.data.allowed) return api.access.deny('blocked');
    };`, scenario, ALL);
  assert.deepStrictEqual(r.outcome, { decision: 'deny', message: 'blocked' });
  assert.deepStrictEqual(r.http_requests, [{ method: 'GET', url: 'https://api.example.com/check?id=auth0%7Cuser1' }]);
  // unmatched request → error surfaced to the code
  const e = effects('rule', `function (u, c, cb) { require('request').post('https://other.example.com/x', (err) => cb(err)); }`, scenario);
  assert.deepStrictEqual(e.outcome, { decision: 'deny', message: 'rules2actions verify: no stubbed HTTP response for POST https://other.example.com/x' });
});

test('fetch and got stubs', () => {
  const scenario = { http: [{ url_prefix: 'https://api.example.com/', body: { n: 41 } }] };
  const a = effects('action', `exports.onExecutePostLogin = async (event, api) => {
      const r = await fetch('https://api.example.com/n');
      const j = await r.json();
      const g = await require('got')('https://api.example.com/m').json();
      api.idToken.setCustomClaim('n', j.n + 1).idToken.setCustomClaim('ok', r.ok && g.n === 41);
    };`, scenario);
  assert.deepStrictEqual(a.id_token_claims, { n: 42, ok: true });
  assert.strictEqual(a.http_requests.length, 2);
});

test('action returns before its async work denies → allow + finished; the rule denies', () => {
  const scenario = { http: [{ url_prefix: 'https://api.example.com/', body: { blocked: true } }] };
  const r = effects('rule', `function (user, context, callback) {
      require('request')({ url: 'https://api.example.com/u', json: true }, function (err, res, body) {
        if (body.blocked) return callback(new UnauthorizedError('blocked'));
        callback(null, user, context);
      });
    }`, scenario);
  const a = effects('action', `const request = require('request');
    exports.onExecutePostLogin = async (event, api) => {
      request({ url: 'https://api.example.com/u', json: true }, function (err, res, body) {
        if (body.blocked) return api.access.deny('blocked');
      });
    };`, scenario);
  assert.deepStrictEqual(r.outcome, { decision: 'deny', message: 'blocked' });
  assert.deepStrictEqual(a.outcome, { decision: 'allow', message: null });
  assert.strictEqual(a.finished, true);
});

test('rule that never calls back → finished false within 300 ms', () => {
  const t0 = Date.now();
  const r = effects('rule', 'function (user, context, callback) { context.idToken.x = 1; }', { timeout_ms: 300 });
  assert.strictEqual(r.finished, false);
  assert.deepStrictEqual(r.outcome, { decision: 'allow', message: null });
  assert.ok(Date.now() - t0 < 3000, 'took too long');
  const a = effects('action', 'exports.onExecutePostLogin = (e, api) => new Promise(() => {});', { timeout_ms: 300 });
  assert.strictEqual(a.finished, false);
});

test('infinite loops: synchronous and after an await', () => {
  const r = effects('rule', 'function (u, c, cb) { while (true) {} }', { timeout_ms: 300 });
  assert.strictEqual(r.finished, false);
  assert.match(r.error, /timed out/);
  // Blocking the event loop after an await: the harness cannot answer; the caller kills it.
  const a = run('action', 'exports.onExecutePostLogin = async () => { await null; for (;;) {} };', { timeout_ms: 300 }, 3000);
  assert.strictEqual(a.body, null);
  assert.strictEqual(a.signal, 'SIGTERM');
});

test('configuration vs event.secrets', () => {
  const { r } = pair('function (user, context, callback) { context.idToken.k = configuration.API_KEY; callback(null, user, context); }',
    'exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("k", event.secrets.API_KEY); };',
    { secrets: { API_KEY: 's3cret' } }, ALL);
  assert.deepStrictEqual(r.id_token_claims, { k: 's3cret' });
});

test('rule forms: module.exports, named, async, leading comments, trailing semicolon', () => {
  const forms = [
    'module.exports = function (user, context, callback) { context.idToken.f = 1; callback(null, user, context); };',
    '// a comment\n/* another */\nfunction addClaim(user, context, callback) { context.idToken.f = 1; callback(null, user, context); }',
    'async function (user, context, callback) { await null; context.idToken.f = 1; return callback(null, user, context); };\n',
  ];
  for (const f of forms) assert.deepStrictEqual(effects('rule', f).id_token_claims, { f: 1 }, f);
});

test('redirect normalisation: query in url vs query option', () => {
  const { r } = pair(`function (user, context, callback) {
      if (context.protocol !== 'redirect-callback') context.redirect = { url: 'https://idp.example.com/consent?state=abc&u=' + encodeURIComponent(user.user_id) };
      callback(null, user, context);
    }`,
  `exports.onExecutePostLogin = async (event, api) => {
      if (api.redirect.canRedirect()) api.redirect.sendUserTo('https://idp.example.com/consent', { query: { state: 'abc', u: event.user.user_id } });
    };`, {}, ALL);
  assert.deepStrictEqual(r.redirect, { url: 'https://idp.example.com/consent', query: { state: 'abc', u: 'auth0|user1' } });
  const a = effects('action', 'exports.onExecutePostLogin = async (e, api) => { if (api.redirect.canRedirect()) api.redirect.sendUserTo("https://x"); };',
    { event: { request: { query: { prompt: 'none' } } } });
  assert.strictEqual(a.redirect, null);
});

test('rule context built from the event; primary user; SAML', () => {
  const scenario = { event: { user: { department: 'R&D' }, stats: { logins_count: 7 }, transaction: { protocol: 'samlp' } } };
  const { r } = pair(`function (user, context, callback) {
      if (context.stats.loginsCount !== 7 || context.request.userAgent.indexOf('Mozilla') !== 0) return callback(new Error('bad context'));
      if (typeof context.authentication.methods[0].timestamp !== 'number' || context.clientID !== 'client-1') return callback(new Error('bad context 2'));
      context.primaryUser = 'auth0|primary';
      context.samlConfiguration.lifetimeInSeconds = 3600;
      context.samlConfiguration.mappings = { 'http://schemas.example.com/dept': 'department' };
      callback(null, user, context);
    }`,
  `exports.onExecutePostLogin = async (event, api) => {
      api.authentication.setPrimaryUser('auth0|primary');
      api.samlResponse.setLifetimeInSeconds(3600);
      api.samlResponse.setAttribute('http://schemas.example.com/dept', event.user.department);
    };`, scenario, ALL);
  assert.deepStrictEqual(r.outcome.decision, 'allow');
  assert.strictEqual(r.primary_user, 'auth0|primary');
  assert.deepStrictEqual(r.saml, { lifetimeInSeconds: 3600, attributes: { 'http://schemas.example.com/dept': 'R&D' } });
});

test('errors: thrown in callback, rejected handler, unhandled rejection', () => {
  const r = effects('rule', 'function (u, c, cb) { setTimeout(() => { null.x; }, 1); }', { timeout_ms: 1000 });
  assert.strictEqual(r.finished, true); // a crash ends the run; only a timeout leaves finished false
  assert.match(r.error, /TypeError/);
  const a = effects('action', 'exports.onExecutePostLogin = async (e, api) => { api.access.deny("x"); throw new Error("later"); };');
  assert.strictEqual(a.finished, true);
  assert.strictEqual(a.error, 'Error: later');
  assert.deepStrictEqual(a.outcome, { decision: 'deny', message: 'x' });
  const u = effects('action', 'exports.onExecutePostLogin = async (e, api) => { Promise.reject(new Error("lost")); await new Promise(r => setTimeout(r, 5)); };');
  assert.strictEqual(u.finished, true);
  assert.match(u.error, /lost/);
});

test('require stubs: unknown package, auth0 ManagementClient, blocked built-in, real built-in', () => {
  const a = effects('action', `const x = require('some-unknown-pkg@1.0.0');
    const { ManagementClient } = require('auth0');
    const https = require('https');
    const crypto = require('crypto');
    exports.onExecutePostLogin = async (event, api) => {
      x.foo().bar;
      const m = new ManagementClient({ domain: 'd', clientId: 'c', clientSecret: 's' });
      await m.users.update({ id: '1' }, {});
      api.idToken.setCustomClaim('h', crypto.createHash('sha256').update('a').digest('hex').slice(0, 8));
    };`);
  assert.deepStrictEqual(a.unsupported, ['require(some-unknown-pkg)', 'require(https)', 'auth0 ManagementClient.users.update']);
  assert.deepStrictEqual(a.id_token_claims, { h: 'ca978112' });
  assert.strictEqual(a.error, null);
});

test('api.cache, api.rules.wasExecuted, onContinuePostLogin', () => {
  const a = effects('action', `exports.onExecutePostLogin = async (event, api) => {
      api.cache.set('k', 'v');
      api.idToken.setCustomClaim('c', api.cache.get('k').value).idToken.setCustomClaim('w', api.rules.wasExecuted('rul_1'));
    };`);
  assert.deepStrictEqual(a.id_token_claims, { c: 'v', w: false });
  const { r } = pair(`function (user, context, callback) {
      if (context.protocol === 'redirect-callback') context.idToken.back = true;
      callback(null, user, context);
    }`,
  `exports.onExecutePostLogin = async () => {};
    exports.onContinuePostLogin = async (event, api) => { api.idToken.setCustomClaim('back', true); };`, { continue: true }, ALL);
  assert.deepStrictEqual(r.id_token_claims, { back: true });
});

test('frozen clock and seeded Math.random: the same on both sides', () => {
  const { r, a } = pair(`function (user, context, callback) {
      context.idToken.t = Date.now(); context.idToken.d = new Date().toISOString(); context.idToken.r = Math.random();
      callback(null, user, context);
    }`,
  `exports.onExecutePostLogin = async (event, api) => {
      await new Promise((ok) => setTimeout(ok, 30));
      api.idToken.setCustomClaim('t', Date.now()).idToken.setCustomClaim('d', new Date().toISOString());
      api.idToken.setCustomClaim('r', Math.random());
    };`, { now: '2030-01-01T00:00:00Z' }, ['id_token_claims']);
  assert.strictEqual(r.id_token_claims.d, '2030-01-01T00:00:00.000Z');
  assert.ok(a.id_token_claims.r >= 0 && a.id_token_claims.r < 1);
});

test('Rules globals request / _ / jwt: available to a rule, not to an Action', () => {
  const scenario = { http: [{ url_prefix: 'https://x/', body: { v: 1 } }] };
  const r = effects('rule', `function (user, context, callback) {
      request.get({ url: 'https://x/a', json: true }, (err, res, body) => {
        context.idToken.v = body.v; callback(null, user, context);
      });
    }`, scenario);
  assert.deepStrictEqual(r.id_token_claims, { v: 1 });
  assert.strictEqual(r.error, null);
  const a = effects('action', 'exports.onExecutePostLogin = async () => { request.get("https://x/a"); };', scenario);
  assert.match(a.error, /ReferenceError: request is not defined/);
  const l = effects('rule', 'function (user, context, callback) { var request = 1; context.idToken.t = typeof _; callback(null, user, context); }');
  assert.ok(l.unsupported.length <= 1);
});

test('answers: compile error, failure, no token', () => {
  const c = run('rule', 'function (user, context, callback) { callback(null, user, context) ');
  assert.ok(c.body.compile_error);
  assert.ok(run('action', 'exports.somethingElse = 1;').body.compile_error);
  assert.match(run('rule', 'x', 3).body.failure, /bad scenario/);
  assert.match(run('bogus', 'x').body.failure, /mode/);
  const token = 'a'.repeat(32);
  const bad = send(`${token}\n{not json`, token);
  assert.strictEqual(bad.status, 2);
  assert.strictEqual(bad.stdout, '');
  const none = send('{"mode": "rule", "code": "x"}', token);
  assert.strictEqual(none.status, 2);
  assert.match(none.stderr, /token/);
});

test('require loads no file: relative and absolute paths are stubs', () => {
  fs.writeFileSync(path.join(dir, 'x.js'), 'module.exports = 42;');
  const a = effects('action', `const x = require('./x'); const y = require('${path.join(dir, 'x.js')}');
    exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('x', typeof x === 'number' || typeof y === 'number'); };`);
  assert.deepStrictEqual(a.id_token_claims, { x: false });
  assert.deepStrictEqual(a.unsupported, ['require(./x)', `require(${path.join(dir, 'x.js')})`]);
});

test('the answer survives any text; Node classes shared with the harness are frozen', () => {
  const a = effects('action', `exports.onExecutePostLogin = async (event, api) => {
      const replacement = () => null;
      try { Buffer.from = replacement; } catch (e) { /* strict code would throw */ }
      api.idToken.setCustomClaim('text', 'é 😀 \\u2028 "q"').idToken.setCustomClaim('patched', Buffer.from === replacement);
    };`);
  assert.deepStrictEqual(a.id_token_claims, { text: 'é 😀 \u2028 "q"', patched: false });
});

// What the token's secrecy rests on, should a run ever reach the real process: bytes read into a
// Uint8Array, as the harness reads its token, do not show in a heap snapshot (strings do).
test('a token held as bytes is not in a heap snapshot', () => {
  const file = path.join(dir, 'run.heapsnapshot');
  const script = `const fs = require('fs'); const line = new Uint8Array(33); let got = 0;
    while (got < 33) { const n = fs.readSync(0, line, got, 33 - got, null); if (!n) break; got += n; }
    globalThis.rest = fs.readFileSync(0, 'utf8');
    require('v8').writeHeapSnapshot(process.argv[1]);`;
  const token = crypto.randomBytes(16).toString('hex');
  const rest = `rest-${crypto.randomBytes(8).toString('hex')}`;
  const r = spawnSync(process.execPath, ['-e', script, file], { input: `${token}\n${rest}`, encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  const snapshot = fs.readFileSync(file, 'utf8');
  assert.ok(snapshot.includes(rest), 'the control string is in the snapshot');
  assert.ok(!snapshot.includes(token), 'the token is in the snapshot');
});

test('what user code holds is of its own realm', () => {
  const a = effects('action', `exports.onExecutePostLogin = async (event, api) => {
      const F = (function () { return this; })().constructor.constructor;
      const held = [require, console.log, setTimeout, api.access.deny, api, event, process.nextTick, module];
      api.idToken.setCustomClaim('own', held.every((v) => v.constructor.constructor === F || v.constructor === F));
      api.idToken.setCustomClaim('env', Object.keys(F('return process')().env).length);
    };`);
  assert.deepStrictEqual(a.id_token_claims, { own: true, env: 0 });
});

// ---------------------------------------------------------------------------------------
let passed = 0; let failed = 0;
for (const t of tests) {
  try { t.fn(); passed++; console.log(`ok   ${t.name}`); } catch (e) { failed++; console.log(`FAIL ${t.name}\n     ${e.message.split('\n').join('\n     ')}`); }
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
