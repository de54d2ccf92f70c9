'use strict';
/*
 * rules2actions verification harness (node >= 18, CommonJS, built-ins only, never the network).
 *
 *   node harness.js <rule|action> <code-file> [scenario-file]
 *   node harness.js batch <jobs-file>          (many runs, one line each; see batch())
 *
 * Runs ONE Auth0 Rule or ONE post-login Action on one login scenario and prints one line of
 * JSON ("effects") on stdout; the caller runs both sides in separate processes and compares.
 * Exit codes: 0 effects printed; 2 harness cannot run (usage, unreadable file, bad scenario
 * JSON, internal failure; message on stderr); 3 code does not compile / is not a rule / does
 * not export onExecutePostLogin ({"compile_error": "..."} on stdout).
 *
 * Besides the keys normaliseScenario reads, a scenario may give `now` (an ISO date or ms since
 * 1970): the sandbox's Date is frozen at it (default 2024-06-01T12:00:00Z) and Math.random is a
 * seeded generator, so both sides see the same clock and the same random numbers.
 *
 * The main thread validates input and starts a worker thread, which evaluates the user code in
 * a fresh vm context. Synchronous user code is bounded by the vm `timeout` option; the worker
 * ends the run itself at timeout_ms; if user code blocks the worker's event loop anyway (a busy
 * loop after an `await`), the main thread terminates the worker.
 */
const vm = require('vm');
const fs = require('fs');
const util = require('util');
const { builtinModules, createRequire } = require('module');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_NOW = Date.parse('2024-06-01T12:00:00.000Z');
const MAX_LIST = 500; // cap for http_requests / unsupported / logs
const NON_INTERACTIVE = ['oauth2-password', 'oauth2-refresh-token', 'oauth2-resource-owner'];
const DUO_KEYS = ['ikey', 'skey', 'host', 'username'];
const SAML_KEYS = ['audience', 'recipient', 'destination', 'issuer', 'lifetimeInSeconds', 'createUpnClaim',
  'passthroughClaimsWithNoMapping', 'mapUnknownClaimsAsIs', 'mapIdentities', 'signatureAlgorithm', 'digestAlgorithm',
  'signResponse', 'nameIdentifierFormat', 'nameIdentifierProbes', 'authnContextClassRef', 'typedAttributes',
  'includeAttributeNameFormat', 'signingCert', 'encryptionCert', 'encryptionPublicKey', 'cert', 'key', 'RelayState',
  'encryptionAlgorithm'];
const BLOCKED_BUILTINS = new Set(['http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns', 'child_process', 'cluster',
  'worker_threads', 'fs', 'vm', 'v8', 'inspector', 'module', 'process', 'repl', 'trace_events', 'wasi']);
const NETWORK_PACKAGES = /^(superagent|needle|undici|ky|mongodb|mongoose|pg|mysql2?|redis|ioredis|twilio|stripe|nodemailer|ldapjs|aws-sdk|firebase-admin|googleapis|@aws-sdk\/|@sendgrid\/|@slack\/|@google-cloud\/)/;

// ===== Plain-value helpers ==================================================================
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v) => (isObj(v) ? v : {});

/** Deep, cycle-safe, realm-independent copy to JSON-compatible values (undefined = drop). */
function toPlain(v, seen = new Set(), depth = 0) {
  if (v === null) return null;
  switch (typeof v) {
    case 'string': case 'boolean': return v;
    case 'number': return Number.isFinite(v) ? v : null;
    case 'bigint': return String(v);
    case 'undefined': case 'function': case 'symbol': return undefined;
  }
  try {
    if (typeof v.toJSON === 'function') return toPlain(v.toJSON(), seen, depth + 1);
    if (seen.has(v) || depth > 64) return '[Circular]';
    seen.add(v);
    let out;
    if (Array.isArray(v)) out = v.map((x) => { const p = toPlain(x, seen, depth + 1); return p === undefined ? null : p; });
    else {
      out = {};
      for (const k of Object.keys(v)) { const p = toPlain(v[k], seen, depth + 1); if (p !== undefined) out[k] = p; }
    }
    seen.delete(v);
    return out;
  } catch (e) { return '[Unserializable]'; }
}
const sortKeys = (v) => (Array.isArray(v) ? v.map(sortKeys)
  : isObj(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v);
const deepEqual = (a, b) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

/** Objects merge recursively; anything else in `over` (arrays, null, scalars) replaces. */
function deepMerge(base, over) {
  if (over === undefined) return toPlain(base);
  if (!isObj(base) || !isObj(over)) return toPlain(over);
  const out = toPlain(base);
  for (const k of Object.keys(over)) out[k] = deepMerge(base[k], over[k]);
  return out;
}

function fmtError(e) {
  try {
    if (e && typeof e === 'object' && typeof e.message === 'string') return (e.name ? e.name + ': ' : '') + e.message;
    return String(e);
  } catch (_) { return 'non-printable error value'; }
}

/** Move query parameters out of the URL into `query` (merged with the explicit query). */
function normRedirect(url, query) {
  let u = String(url); let hash = '';
  const out = {};
  const h = u.indexOf('#'); if (h >= 0) { hash = u.slice(h); u = u.slice(0, h); }
  const q = u.indexOf('?');
  if (q >= 0) { for (const [k, v] of new URLSearchParams(u.slice(q + 1))) out[k] = v; u = u.slice(0, q); }
  for (const [k, v] of Object.entries(obj(query))) {
    if (v !== undefined) out[k] = v !== null && typeof v === 'object' ? JSON.stringify(toPlain(v)) : String(v);
  }
  return { url: u + hash, query: out };
}

/** null when the final scope set equals the requested one, else the sorted, de-duplicated list. */
function scopeResult(initial, final) {
  if (final === undefined) return null;
  let list = final === null ? [] : typeof final === 'string' ? final.split(/\s+/)
    : Array.isArray(final) ? final.map(String) : [String(final)];
  list = [...new Set(list.filter(Boolean))].sort();
  return deepEqual(list, [...new Set(initial)].sort()) ? null : list;
}

/** Written metadata keys whose final value differs from the user's value before the login. */
function netChanges(written, original) {
  const out = {};
  for (const [k, v] of Object.entries(written)) {
    const orig = toPlain(obj(original)[k]);
    if (!(v === null ? orig == null : deepEqual(v, orig))) out[k] = v;
  }
  return out;
}

function emptyEffects() {
  return {
    outcome: { decision: 'allow', message: null }, finished: false, error: null, mfa: null,
    id_token_claims: {}, access_token_claims: {}, scopes: null, app_metadata: {}, user_metadata: {},
    redirect: null, primary_user: null, saml: {}, unsupported: [], http_requests: [],
  };
}

// ===== Scenario: defaults for a realistic interactive login (event in Actions shape) ========
const DEFAULT_EVENT = {
  user: {
    user_id: 'auth0|user1', email: 'user1@example.com', email_verified: true, name: 'User One', nickname: 'user1',
    picture: 'https://example.com/avatar/user1.png', created_at: '2024-01-01T00:00:00.000Z',
    updated_at: '2024-06-01T00:00:00.000Z', app_metadata: {}, user_metadata: {},
    identities: [{ provider: 'auth0', connection: 'Username-Password-Authentication', user_id: 'user1', isSocial: false }],
  },
  client: { client_id: 'client-1', name: 'My App', metadata: {} },
  connection: { id: 'con_1', name: 'Username-Password-Authentication', strategy: 'auth0', metadata: {} },
  request: {
    ip: '203.0.113.10', method: 'GET', language: 'en', hostname: 'example-tenant.auth0.com', query: {}, body: {},
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    geoip: { countryCode: 'US', countryCode3: 'USA', countryName: 'United States', cityName: 'Seattle', latitude: 47.6062,
      longitude: -122.3321, timeZone: 'America/Los_Angeles', continentCode: 'NA', subdivisionCode: 'WA', subdivisionName: 'Washington' },
  },
  transaction: { id: 'txn_1', protocol: 'oidc-basic-profile', requested_scopes: ['openid', 'profile', 'email'], metadata: {}, locale: 'en' },
  authentication: { methods: [{ name: 'pwd', timestamp: '2024-06-01T12:00:00.000Z' }], riskAssessment: { confidence: 'high', version: '1', assessments: {
    ImpossibleTravel: { confidence: 'high', code: 'minimal_travel_from_last_login' },
    NewDevice: { confidence: 'high', code: 'match' },
    UntrustedIP: { confidence: 'high', code: 'not_found_on_deny_list' } } } },
  authorization: { roles: [] },
  stats: { logins_count: 1 },
  tenant: { id: 'example-tenant' },
  session: { id: 'session-1', clients: [] },
};

function normaliseScenario(raw) {
  if (!isObj(raw)) throw new Error('scenario must be a JSON object');
  const event = deepMerge(DEFAULT_EVENT, obj(raw.event));
  const tx = obj(event.transaction);
  const scopes = (Array.isArray(tx.requested_scopes) ? tx.requested_scopes : []).map(String);
  const q = obj(event.request).query;
  if (isObj(q)) { // keep request.query consistent with client, requested scopes and audience
    if (q.client_id === undefined && isObj(event.client)) q.client_id = event.client.client_id;
    if (q.scope === undefined && scopes.length) q.scope = scopes.join(' ');
    const rs = obj(event.resource_server);
    if (q.audience === undefined && rs.identifier) q.audience = rs.identifier;
    if (q.audience !== undefined && !rs.identifier) event.resource_server = { identifier: q.audience };
  }
  const t = Number(raw.timeout_ms);
  const now = typeof raw.now === 'string' ? Date.parse(raw.now) : Number(raw.now);
  return {
    name: typeof raw.name === 'string' ? raw.name : 'default',
    event, requestedScopes: scopes,
    secrets: obj(toPlain(raw.secrets)),
    http: Array.isArray(raw.http) ? raw.http.filter(isObj) : [],
    timeoutMs: Number.isFinite(t) && t > 0 ? Math.min(t, 600000) : DEFAULT_TIMEOUT_MS,
    now: Number.isFinite(now) ? now : DEFAULT_NOW,   // the sandbox clock (frozen), ms since 1970
    isContinue: raw.continue === true,           // onContinuePostLogin / context.protocol 'redirect-callback'
    ruleContext: obj(toPlain(raw.rule_context)), // extra rule-only context fields (e.g. connectionOptions)
  };
}

// ===== The run: sandbox, guarded calls, recording, ending ===================================
/** Creates the per-run state `R` shared by all the functions below (worker thread only). */
function createRun({ mode, code, sc }) {
  const R = {
    mode, code, sc, deadline: Date.now() + sc.timeoutMs, done: false, settled: false, timer: null,
    rec: { error: null, unsupported: [], http: [], logs: [], app: {}, usr: {}, outcome: { decision: 'allow', message: null },
      mfa: null, idClaims: {}, atClaims: {}, redirect: null, primaryUser: null, saml: {} },
  };
  R.note = (s) => { if (!R.rec.unsupported.includes(s) && R.rec.unsupported.length < MAX_LIST) R.rec.unsupported.push(s); };
  R.setError = (msg) => { if (R.rec.error === null) R.rec.error = msg; };
  R.sandbox = {};
  R.ctx = vm.createContext(R.sandbox, { name: mode });
  // Values handed to user code are made in the sandbox realm (instanceof / constructor checks work).
  const S = R.S = vm.runInContext('({ JSON, Promise, Error, TypeError })', R.ctx);
  R.toSandbox = (v) => { const p = toPlain(v); return p === undefined ? undefined : S.JSON.parse(JSON.stringify(p)); };
  R.sPromise = (p) => new S.Promise((ok, no) => p.then(ok, no));
  R.sErr = (msg, props) => Object.assign(new S.Error(msg), props || {});
  const CALL = new vm.Script('globalThis.__r2a_thunk()');
  /** Run user code (a thunk) under the vm timeout, bounded by the run's deadline. */
  R.guarded = (thunk) => {
    const prev = R.sandbox.__r2a_thunk;
    R.sandbox.__r2a_thunk = thunk;
    try { return CALL.runInContext(R.ctx, { timeout: Math.max(1, R.deadline - Date.now()) }); }
    finally { R.sandbox.__r2a_thunk = prev; }
  };
  R.isTimeout = (e) => !!e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
  /** An uncaught error ends the run, like the crash it would be in production. A crash is an end
   *  within the time limit (finished: true, error set), as when an Action's handler rejects; only a
   *  timeout leaves finished false. */
  R.fail = (e) => {
    const timeout = R.isTimeout(e);
    R.setError(timeout ? `rules2actions verify: timed out after ${sc.timeoutMs} ms (code did not yield)` : fmtError(e));
    finishRun(R, !timeout);
  };
  /** Invoke a user callback from harness code (timers, HTTP and auth0 stubs). */
  R.later = (fn, ...args) => {
    if (typeof fn !== 'function' || R.done) return;
    try { R.guarded(() => fn(...args)); } catch (e) { R.fail(e); }
  };
  return R;
}

function installGlobals(R) {
  const log = (level) => (...args) => {
    if (R.rec.logs.length >= MAX_LIST) return;
    const line = `[${level}] ` + util.format(...args).slice(0, 2000);
    R.rec.logs.push(line); // kept bounded; shown on stderr only with R2A_HARNESS_DEBUG=1
    if (process.env.R2A_HARNESS_DEBUG) process.stderr.write(line + '\n');
  };
  const timer = (real) => (fn, ms, ...a) => real(() => R.later(fn, ...a), ms);
  const http = httpStubs(R);
  R.http = http;
  Object.assign(R.sandbox, {
    console: Object.fromEntries(['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'].map((l) => [l, log(l)])),
    require: makeRequire(R), fetch: http.fetch,
    setTimeout: timer(setTimeout), setInterval: timer(setInterval), setImmediate: (fn, ...a) => setImmediate(() => R.later(fn, ...a)),
    clearTimeout, clearInterval, clearImmediate, queueMicrotask, structuredClone,
    Buffer, URL, URLSearchParams, TextEncoder, TextDecoder, AbortController, atob, btoa,
    process: { env: {}, version: process.version, versions: { ...process.versions }, platform: process.platform,
      nextTick: (fn, ...a) => queueMicrotask(() => fn(...a)) },
  });
  vm.runInContext('globalThis.global = globalThis;', R.ctx);
  // The same clock and random numbers on both sides: Date is frozen at the scenario's `now`, and
  // Math.random is a seeded generator, so timestamps and random picks compare equal.
  vm.runInContext(`(() => {
    const RealDate = globalThis.Date; const NOW = ${R.sc.now};
    const Frozen = function Date(...a) {
      if (!new.target) return new RealDate(NOW).toString();
      return a.length ? new RealDate(...a) : new RealDate(NOW);
    };
    Frozen.prototype = RealDate.prototype; Frozen.now = () => NOW; Frozen.parse = RealDate.parse; Frozen.UTC = RealDate.UTC;
    Object.defineProperty(RealDate.prototype, 'constructor', { value: Frozen, writable: true, configurable: true });
    globalThis.Date = Frozen;
    let seed = 0x2545f491;
    Math.random = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
  })();`, R.ctx);
}

/** Evaluate the code file as a CommonJS module; returns module.exports. */
function evalModule(R, filename) {
  const wrapper = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${R.code}\n})`, { filename });
  const fn = wrapper.runInContext(R.ctx);
  const mod = { exports: R.toSandbox({}) };
  R.guarded(() => fn.call(mod.exports, mod.exports, R.sandbox.require, mod, '/' + filename, '/'));
  return mod.exports;
}

/** Build the effects (once) and hand them to the main thread. */
function finishRun(R, finished) {
  if (R.done) return;
  R.done = true;
  clearTimeout(R.timer);
  const e = emptyEffects();
  if (R.mode === 'rule') ruleEffects(R, e); else actionEffects(R, e);
  const user = obj(R.sc.event.user);
  Object.assign(e, {
    finished, error: R.rec.error,
    app_metadata: netChanges(R.rec.app, user.app_metadata), user_metadata: netChanges(R.rec.usr, user.user_metadata),
    unsupported: R.rec.unsupported.slice(), http_requests: R.rec.http.slice(),
  });
  parentPort.postMessage({ type: 'result', effects: e });
}
function compileError(R, message) {
  R.done = true;
  clearTimeout(R.timer);
  parentPort.postMessage({ type: 'compile_error', message });
}

// ===== require(): HTTP clients answered from scenario.http, other stubs =====================
function httpStubs(R) {
  const { sc, rec, S, sErr, sPromise, toSandbox } = R;
  /** The single network "transport": first matching scenario.http entry, asynchronously. */
  function respond(method, url) {
    const m = String(method || 'GET').toUpperCase(); const u = String(url);
    if (rec.http.length < MAX_LIST) rec.http.push({ method: m, url: u });
    const entry = sc.http.find((e) => (!e.method || String(e.method).toUpperCase() === m)
      && (typeof e.url_prefix !== 'string' || u.startsWith(e.url_prefix)));
    return new Promise((resolve, reject) => setTimeout(() => {
      if (!entry) reject(new Error(`rules2actions verify: no stubbed HTTP response for ${m} ${u}`));
      else if (entry.error) reject(new Error(String(entry.error)));
      else resolve({ status: Number(entry.status) || 200, body: entry.body === undefined ? null : entry.body, headers: obj(entry.headers) });
    }, (entry && Number(entry.delay_ms)) || 0));
  }
  const text = (b) => (typeof b === 'string' ? b : JSON.stringify(b));
  const parsed = (b) => { if (typeof b !== 'string') return toSandbox(b); try { return S.JSON.parse(b); } catch (_) { return b; } };
  const withQuery = (url, q) => {
    const e = Object.entries(obj(q)).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]);
    return e.length ? `${url}${String(url).includes('?') ? '&' : '?'}${new URLSearchParams(e)}` : String(url);
  };
  const join = (base, p) => (base && !/^[a-z]+:\/\//i.test(p) ? `${String(base).replace(/\/+$/, '')}/${String(p).replace(/^\/+/, '')}` : String(p));
  const rethrow = (name) => (e) => { throw sErr(e.message, { name }); };

  /** `request`: request(opts|url, [opts], cb) plus .get/.post/...; `json` parses the body. */
  function makeRequest(defaults) {
    function call(a, b, c, forced) {
      let opts = typeof a === 'string' ? { uri: a } : { ...obj(a) }; let cb = c;
      if (typeof b === 'function') cb = b; else if (isObj(b)) opts = { ...opts, ...b };
      opts = { ...defaults, ...opts };
      respond(forced || opts.method, withQuery(join(opts.baseUrl, opts.uri || opts.url), opts.qs)).then((r) => {
        const res = toSandbox({ statusCode: r.status, headers: r.headers });
        res.body = opts.json ? parsed(r.body) : text(r.body);
        R.later(cb, null, res, res.body);
      }, (e) => R.later(cb, sErr(e.message)));
      const handle = { abort() {}, on: () => handle, pipe: () => handle };
      return handle;
    }
    const request = (a, b, c) => call(a, b, c);
    for (const m of ['get', 'post', 'put', 'patch', 'head', 'del', 'delete']) request[m] = (a, b, c) => call(a, b, c, m === 'del' ? 'DELETE' : m);
    request.defaults = (d) => makeRequest({ ...defaults, ...obj(d) });
    return request;
  }

  /** `axios`: promise of {status, data}; rejects outside 2xx like axios does. */
  function makeAxios(defaults) {
    const call = (config) => {
      const c = { ...defaults, ...obj(config) };
      return sPromise(respond(c.method, withQuery(join(c.baseURL, c.url), c.params)).then((r) => {
        const res = toSandbox({ status: r.status, statusText: '', headers: r.headers });
        res.data = parsed(r.body);
        if (r.status < 200 || r.status >= 300) throw sErr(`Request failed with status code ${r.status}`, { response: res, isAxiosError: true });
        return res;
      }, (e) => { throw sErr(e.message, { isAxiosError: true }); }));
    };
    const ax = (a, b) => (typeof a === 'string' ? call({ ...obj(b), url: a }) : call(a));
    ax.request = call;
    for (const m of ['get', 'delete', 'head', 'options']) ax[m] = (url, c) => call({ ...obj(c), url, method: m });
    for (const m of ['post', 'put', 'patch']) ax[m] = (url, data, c) => call({ ...obj(c), url, data, method: m });
    ax.create = (d) => makeAxios({ ...defaults, ...obj(d) });
    ax.isAxiosError = (e) => !!(e && e.isAxiosError);
    ax.defaults = { headers: { common: {} } };
    ax.interceptors = { request: { use() {}, eject() {} }, response: { use() {}, eject() {} } };
    ax.default = ax;
    return ax;
  }

  /** global `fetch` / `node-fetch`: promise of {ok, status, json(), text()}. */
  function fetch(input, init) {
    const url = typeof input === 'string' ? input : (input && (input.url || input.href)) || String(input);
    return sPromise(respond(obj(init).method, url).then((r) => {
      const header = (k) => { const h = Object.keys(r.headers).find((x) => x.toLowerCase() === String(k).toLowerCase()); return h ? String(r.headers[h]) : null; };
      const res = {
        ok: r.status >= 200 && r.status < 300, status: r.status, statusText: '', url,
        headers: { get: header, has: (k) => header(k) !== null },
        text: () => S.Promise.resolve(text(r.body)),
        json: () => sPromise(new Promise((ok) => ok(typeof r.body === 'string' ? S.JSON.parse(r.body) : toSandbox(r.body)))),
      };
      res.clone = () => res;
      return res;
    }, rethrow('FetchError')));
  }
  fetch.default = fetch;

  /** `got`: promise of {statusCode, body} with .json() / .text(); rejects on status >= 400. */
  function makeGot(defaults) {
    function call(a, b) {
      const o = { ...defaults, ...(isObj(a) ? a : { ...obj(b), url: a }) };
      const raw = respond(o.method, withQuery(join(o.prefixUrl, o.url), o.searchParams)).then((r) => {
        if (r.status >= 400 && o.throwHttpErrors !== false) throw new Error(`Response code ${r.status}`);
        return r;
      });
      const p = sPromise(raw.then((r) => {
        const res = toSandbox({ statusCode: r.status, headers: r.headers });
        res.body = o.responseType === 'json' ? parsed(r.body) : text(r.body);
        return res;
      }, rethrow('HTTPError')));
      p.json = () => sPromise(raw.then((r) => parsed(r.body), rethrow('HTTPError')));
      p.text = () => sPromise(raw.then((r) => text(r.body), rethrow('HTTPError')));
      return p;
    }
    const got = (a, b) => call(a, b);
    for (const m of ['get', 'post', 'put', 'patch', 'head', 'delete']) got[m] = (a, b) => call(a, { ...obj(b), method: m });
    got.extend = (d) => makeGot({ ...defaults, ...obj(d) });
    got.default = got;
    return got;
  }
  return { request: makeRequest({}), axios: makeAxios({}), fetch, got: makeGot({}) };
}

/** Anything-goes stand-in for an unavailable module; records itself as unsupported. */
function stubModule(R, name) {
  R.note(`require(${name})`);
  const str = () => `[rules2actions stub ${name}]`;
  const p = new Proxy(function () {}, {
    get(t, k) {
      if (k === Symbol.toPrimitive || k === 'toString' || k === 'valueOf') return str;
      return typeof k === 'symbol' || k === 'then' || k === 'toJSON' || k === 'prototype' ? undefined : p;
    },
    apply: () => p,
    construct: () => p,
  });
  return p;
}

/** Management API look-alike: every call records `<label>.<path>` and resolves to {}. */
function mgmtProxy(R, label, path) {
  return new Proxy(function () {}, {
    get: (t, k) => (typeof k === 'symbol' || k === 'then' || k === 'toJSON' ? undefined : mgmtProxy(R, label, path ? `${path}.${k}` : String(k))),
    apply(t, self, args) {
      R.note(`${label}.${path}`);
      const cb = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : null;
      if (cb) setTimeout(() => R.later(cb, null, R.toSandbox({})));
      return R.S.Promise.resolve(R.toSandbox({}));
    },
  });
}

function makeRequire(R) {
  const cache = new Map();
  let cwdRequire = null;
  function resolve(name) {
    const bare = name.replace(/^node:/, '');
    switch (bare) {
      case 'request': return R.http.request;
      case 'axios': return R.http.axios;
      case 'node-fetch': case 'cross-fetch': case 'isomorphic-fetch': return R.http.fetch;
      case 'got': return R.http.got;
      case 'auth0': return {
        ManagementClient: function ManagementClient() { return mgmtProxy(R, 'auth0 ManagementClient', ''); },
        AuthenticationClient: function AuthenticationClient() { return mgmtProxy(R, 'auth0 AuthenticationClient', ''); },
      };
    }
    if (builtinModules.includes(bare)) return BLOCKED_BUILTINS.has(bare.split('/')[0]) ? stubModule(R, name) : require(bare);
    if (NETWORK_PACKAGES.test(bare)) return stubModule(R, name);
    try {
      cwdRequire = cwdRequire || createRequire(process.cwd() + '/');
      return cwdRequire(bare);
    } catch (_) { return stubModule(R, name); }
  }
  return function require(spec) {
    if (typeof spec !== 'string') throw new R.S.TypeError('The "id" argument must be of type string');
    const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0); // 'pkg@1.2.3' → 'pkg', '@s/p@1' → '@s/p'
    const name = at > 0 ? spec.slice(0, at) : spec;
    if (!cache.has(name)) cache.set(name, resolve(name));
    return cache.get(name);
  };
}

// ===== Rule mode ============================================================================
/** Rules' `context`, rebuilt from the Actions-shaped event (reverse of mapping §3). */
function buildRuleContext(sc) {
  const ev = sc.event; const req = obj(ev.request); const authn = obj(ev.authentication);
  const GEO = { countryCode: 'country_code', countryCode3: 'country_code3', countryName: 'country_name', cityName: 'city_name',
    timeZone: 'time_zone', continentCode: 'continent_code', subdivisionCode: 'subdivision_code', subdivisionName: 'subdivision_name' };
  const geoip = Object.fromEntries(Object.entries(obj(req.geoip)).map(([k, v]) => [GEO[k] || k, v]));
  const toMs = (t) => (typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? Date.parse(t) : t);
  const list = (v) => (Array.isArray(v) ? v : []);
  const context = {
    tenant: obj(ev.tenant).id,
    clientID: obj(ev.client).client_id, clientName: obj(ev.client).name, clientMetadata: obj(ev.client).metadata,
    connection: obj(ev.connection).name, connectionID: obj(ev.connection).id,
    connectionStrategy: obj(ev.connection).strategy, connectionMetadata: obj(ev.connection).metadata,
    protocol: sc.isContinue ? 'redirect-callback' : obj(ev.transaction).protocol,
    request: { ip: req.ip, userAgent: req.user_agent, hostname: req.hostname, query: req.query, body: req.body, geoip },
    stats: { loginsCount: obj(ev.stats).logins_count },
    authentication: { methods: list(authn.methods).map((m) => ({ ...obj(m), timestamp: toMs(obj(m).timestamp) })) },
    authorization: { roles: list(obj(ev.authorization).roles) },
    riskAssessment: authn.riskAssessment,
    organization: ev.organization,
    sessionID: obj(ev.session).id,
    idToken: {}, accessToken: { scope: sc.requestedScopes.slice() }, samlConfiguration: {},
    sso: { with_auth0: false, with_dbconn: false, current_clients: list(obj(ev.session).clients).map((c) => obj(c).client_id) },
  };
  return deepMerge(context, sc.ruleContext);
}

/** Rules' global `auth0`: metadata writes are effects, everything else is unsupported. */
function buildAuth0Global(R) {
  const write = (target, label) => (userId, data, cb) => {
    if (userId !== obj(R.sc.event.user).user_id) R.note(`auth0.users.${label} for another user`);
    else if (!isObj(data)) R.note(`auth0.users.${label} with a non-object`);
    else if (!R.done) Object.assign(target, toPlain(data));
    const p = R.sPromise(new Promise((ok) => setTimeout(ok)));
    if (typeof cb === 'function') p.then(() => R.later(cb, null));
    return p;
  };
  const users = { updateAppMetadata: write(R.rec.app, 'updateAppMetadata'), updateUserMetadata: write(R.rec.usr, 'updateUserMetadata') };
  const a0 = {
    users: new Proxy(users, { get: (t, k) => (k in t || typeof k === 'symbol' ? t[k] : mgmtProxy(R, 'auth0.users', String(k))) }),
    domain: 'example-tenant.auth0.com', baseUrl: 'https://example-tenant.auth0.com/api/v2',
  };
  Object.defineProperty(a0, 'accessToken', { enumerable: true, get() { R.note('auth0.accessToken'); return 'rules2actions-fake-token'; } });
  return a0;
}

/** Modules the Rules sandbox offered as globals, without a require (auth0/rules' own tests pass
 *  them as globals). Resolved on first use, like a require: installed, HTTP stub, or stubbed. */
const RULE_GLOBALS = { request: 'request', _: 'lodash', jwt: 'jsonwebtoken' };

function runRule(R) {
  for (const [name, module] of Object.entries(RULE_GLOBALS)) {
    let value; let resolved = false;
    Object.defineProperty(R.sandbox, name, {
      configurable: true, enumerable: false,
      get() { if (!resolved) { value = R.sandbox.require(module); resolved = true; } return value; },
      set(v) { value = v; resolved = true; },
    });
  }
  R.sandbox.configuration = R.toSandbox(R.sc.secrets);
  R.sandbox.auth0 = buildAuth0Global(R);
  vm.runInContext(`globalThis.UnauthorizedError = class UnauthorizedError extends Error {
    constructor(message) { super(message); this.name = 'UnauthorizedError'; this.code = 'unauthorized'; } };`, R.ctx);
  // 1) as a module (module.exports = function ...); 2) as an expression: ( <text> )
  let fn = null; let moduleErr = null;
  try { const exp = evalModule(R, 'rule.js'); if (typeof exp === 'function') fn = exp; } catch (e) {
    if (R.isTimeout(e)) return R.fail(e);
    moduleErr = e;
  }
  if (!fn) {
    try {
      const expr = new vm.Script('(' + R.code.replace(/[\s;]+$/, '') + '\n)', { filename: 'rule.js' });
      fn = expr.runInContext(R.ctx, { timeout: Math.max(1, R.deadline - Date.now()) });
    } catch (e) {
      if (R.isTimeout(e)) return R.fail(e);
      return compileError(R, fmtError(moduleErr && moduleErr.name !== 'SyntaxError' ? moduleErr : e));
    }
    if (typeof fn !== 'function') return compileError(R, 'rule file does not evaluate to a function');
  }
  R.user = R.toSandbox(R.sc.event.user);
  R.context = R.toSandbox(buildRuleContext(R.sc));
  const callback = (err, u, c) => {
    if (R.snap || R.done) return; // only the first call counts
    // Snapshot now, like the Rules runtime serialising the result at callback time.
    R.snap = {
      denied: !!err, message: err ? (typeof err.message === 'string' ? err.message : String(err)) : null,
      user: toPlain(u && typeof u === 'object' ? u : R.user), context: toPlain(c && typeof c === 'object' ? c : R.context),
    };
    finishRun(R, true);
  };
  let ret;
  try { ret = R.guarded(() => fn(R.user, R.context, callback)); } catch (e) { return R.fail(e); }
  if (ret && typeof ret.then === 'function') ret.then(null, (e) => { if (!R.done) R.fail(e); });
}

function ruleEffects(R, e) {
  const snap = R.snap || { denied: false, user: toPlain(R.user), context: toPlain(R.context) };
  const c = obj(snap.context);
  if (snap.denied) e.outcome = { decision: 'deny', message: snap.message };
  const m = c.multifactor;
  if (isObj(m)) { // Rules default allowRememberBrowser to true; Duo keys sit at the top level
    const options = { allowRememberBrowser: m.allowRememberBrowser === undefined ? true : !!m.allowRememberBrowser };
    const po = {};
    for (const k of Object.keys(m)) {
      if (DUO_KEYS.includes(k)) po[k] = m[k];
      else if (k !== 'provider' && k !== 'allowRememberBrowser') R.note(`context.multifactor.${k}`);
    }
    if (Object.keys(po).length) options.providerOptions = po;
    e.mfa = { provider: m.provider == null ? null : String(m.provider), options };
  }
  e.id_token_claims = obj(c.idToken);
  const at = obj(c.accessToken);
  for (const k of Object.keys(at)) if (k !== 'scope') e.access_token_claims[k] = at[k];
  e.scopes = scopeResult(R.sc.requestedScopes, at.scope);
  if (isObj(c.redirect) && c.redirect.url != null) e.redirect = normRedirect(c.redirect.url, {});
  if (c.primaryUser != null) e.primary_user = c.primaryUser;
  const lookup = (o, p) => (p in o ? o[p] : p.split('.').reduce((acc, k) => (isObj(acc) ? acc[k] : undefined), o));
  for (const [k, v] of Object.entries(obj(c.samlConfiguration))) {
    if (k !== 'mappings') { e.saml[k] = v; continue; }
    e.saml.attributes = e.saml.attributes || {};
    for (const [uri, field] of Object.entries(obj(v))) {
      const val = typeof field === 'string' ? lookup(obj(snap.user), field) : field;
      e.saml.attributes[uri] = val === undefined ? null : val;
    }
  }
}

// ===== Action mode ==========================================================================
function buildApi(R) {
  const { rec, sc } = R;
  const api = {};
  /** A chainable api method; calls after the handler settled are ignored. */
  const m = (fn) => (...args) => { if (!R.settled && !R.done) fn(...args); return api; };
  const unsupported = (label) => m(() => R.note(label));
  const deny = (reason) => { if (rec.outcome.decision !== 'deny') rec.outcome = { decision: 'deny', message: reason == null ? null : String(reason) }; };
  const setMeta = (target) => (k, v) => { target[String(k)] = v === undefined ? null : toPlain(v); };
  const claim = (target) => (k, v) => { const p = toPlain(v); if (p === undefined) delete target[String(k)]; else target[String(k)] = p; };
  R.scopes = new Set(sc.requestedScopes);
  const cache = new Map();
  const query = obj(obj(sc.event.request).query);

  api.access = { deny: m(deny) };
  api.validation = { error: m((code, msg) => deny(msg === undefined ? code : msg)) };
  api.multifactor = {
    enable: m((provider, options) => {
      const o = obj(options);
      const opts = { allowRememberBrowser: !!o.allowRememberBrowser };
      if (o.providerOptions !== undefined) opts.providerOptions = toPlain(o.providerOptions);
      for (const k of Object.keys(o)) if (k !== 'allowRememberBrowser' && k !== 'providerOptions') R.note(`api.multifactor.enable option ${k}`);
      rec.mfa = { provider: provider == null ? null : String(provider), options: opts };
    }),
  };
  api.idToken = { setCustomClaim: m(claim(rec.idClaims)) };
  api.accessToken = {
    setCustomClaim: m(claim(rec.atClaims)),
    addScope: m((s) => { R.scopesTouched = true; R.scopes.add(String(s)); }),
    removeScope: m((s) => { R.scopesTouched = true; R.scopes.delete(String(s)); }),
  };
  api.user = { setAppMetadata: m(setMeta(rec.app)), setUserMetadata: m(setMeta(rec.usr)) };
  api.redirect = {
    sendUserTo: m((url, options) => { rec.redirect = normRedirect(url, obj(options).query); }),
    canRedirect: () => !NON_INTERACTIVE.includes(obj(sc.event.transaction).protocol) && query.prompt !== 'none',
    encodeToken: () => { R.note('api.redirect.encodeToken'); return 'rules2actions.unsupported.token'; },
    validateToken: () => { R.note('api.redirect.validateToken'); return R.toSandbox({}); },
  };
  api.authentication = { setPrimaryUser: m((id) => { rec.primaryUser = toPlain(id) ?? null; }) };
  for (const k of ['recordMethod', 'challengeWith', 'challengeWithAny', 'enrollWith', 'enrollWithAny']) api.authentication[k] = unsupported(`api.authentication.${k}`);
  api.samlResponse = {
    setAttribute: m((uri, v) => { rec.saml.attributes = rec.saml.attributes || {}; rec.saml.attributes[String(uri)] = toPlain(v) ?? null; }),
  };
  for (const k of SAML_KEYS) api.samlResponse['set' + k[0].toUpperCase() + k.slice(1)] = m((v) => { rec.saml[k] = toPlain(v); });
  api.cache = { // in-memory, per run
    get: (k) => R.toSandbox(cache.get(String(k))),
    set: (k, v, o) => {
      const record = { value: String(v), expires_at: Number(obj(o).expires_at) || Date.now() + (Number(obj(o).ttl) || 900000) };
      cache.set(String(k), record);
      return R.toSandbox({ type: 'success', record });
    },
    delete: (k) => { const record = cache.get(String(k)); cache.delete(String(k)); return R.toSandbox({ type: 'success', record }); },
  };
  api.transaction = { setMetadata: m(() => {}) };
  api.rules = { wasExecuted: () => false };
  api.session = {}; api.refreshToken = {};
  for (const k of ['revoke', 'setExpiresAt', 'setIdleExpiresAt', 'setMetadata', 'deleteMetadata']) {
    api.session[k] = unsupported(`api.session.${k}`);
    api.refreshToken[k] = unsupported(`api.refreshToken.${k}`);
  }
  api.prompt = { render: unsupported('api.prompt.render') };
  return api;
}

function runAction(R) {
  let exp;
  try { exp = evalModule(R, 'action.js'); } catch (e) {
    if (R.isTimeout(e)) return R.fail(e);
    if (e && e.name === 'SyntaxError') return compileError(R, fmtError(e));
    R.setError('module evaluation failed: ' + fmtError(e));
    return finishRun(R, false);
  }
  exp = exp || {};
  if (typeof exp.onExecutePostLogin !== 'function') return compileError(R, 'action does not export onExecutePostLogin');
  const handler = R.sc.isContinue ? 'onContinuePostLogin' : 'onExecutePostLogin';
  if (typeof exp[handler] !== 'function') { R.setError(`action does not export ${handler}`); return finishRun(R, true); }
  const event = R.toSandbox(R.sc.event);
  event.secrets = R.toSandbox(R.sc.secrets);
  const api = buildApi(R);
  // Effects are those recorded when the handler's promise settles; later api calls do not count.
  const settle = (err) => {
    if (R.done) return;
    if (err !== undefined) R.setError(fmtError(err));
    R.settled = true;
    finishRun(R, true);
  };
  let ret;
  try { ret = R.guarded(() => exp[handler](event, api)); } catch (e) { return R.isTimeout(e) ? R.fail(e) : settle(e); }
  R.S.Promise.resolve(ret).then(() => settle(), (e) => settle(e === undefined ? 'undefined' : e));
}

function actionEffects(R, e) {
  const { rec } = R;
  Object.assign(e, {
    outcome: { ...rec.outcome }, mfa: rec.mfa, id_token_claims: { ...rec.idClaims }, access_token_claims: { ...rec.atClaims },
    scopes: R.scopesTouched ? scopeResult(R.sc.requestedScopes, [...R.scopes]) : null,
    redirect: rec.redirect, primary_user: rec.primaryUser, saml: toPlain(rec.saml),
  });
}

function workerMain(data) {
  const R = createRun(data);
  installGlobals(R);
  process.on('uncaughtException', R.fail);
  process.on('unhandledRejection', (r) => R.setError('Unhandled rejection: ' + fmtError(r)));
  R.timer = setTimeout(() => finishRun(R, false), Math.max(0, R.deadline - Date.now()));
  if (R.mode === 'rule') runRule(R); else runAction(R);
}

// ===== Main thread: CLI, input validation, supervision of the worker ========================
function die(msg) { process.stderr.write(`rules2actions harness: ${msg}\n`); process.exit(2); }
function emit(json, code) { process.stdout.write(JSON.stringify(json) + '\n', () => process.exit(code)); }
class JobError extends Error {}

/** Reads the code and the scenario of one run; throws JobError (exit 2) on bad input. */
function prepareJob(mode, codeFile, scenarioFile) {
  if (mode !== 'rule' && mode !== 'action') throw new JobError('usage: node harness.js <rule|action> <code-file> [scenario-file]');
  if (!codeFile) throw new JobError('missing <code-file>');
  let code; let raw = {};
  try { code = fs.readFileSync(codeFile, 'utf8'); } catch (e) { throw new JobError(`cannot read code file: ${e.message}`); }
  if (scenarioFile) {
    let text;
    try { text = fs.readFileSync(scenarioFile, 'utf8'); } catch (e) { throw new JobError(`cannot read scenario file: ${e.message}`); }
    try { raw = JSON.parse(text); } catch (e) { throw new JobError(`scenario file is not valid JSON: ${e.message}`); }
  }
  try { return { mode, code, sc: normaliseScenario(raw) }; } catch (e) { throw new JobError(`bad scenario: ${e.message}`); }
}

/** Runs one job in a fresh worker; resolves {exit: 0, json: effects} | {exit: 3, json} | {exit: 2, message}. */
function runJob({ mode, code, sc }) {
  return new Promise((resolve) => {
    let done = false;
    const failed = (error) => Object.assign(emptyEffects(), { error });
    const heapMb = Number(process.env.R2A_HARNESS_HEAP_MB) || 256; // the worker's own heap limit
    const worker = new Worker(__filename, { workerData: { mode, code, sc }, stdout: true, stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32 } });
    const once = (fn) => (...a) => {
      if (done) return;
      done = true; clearTimeout(hard);
      const result = fn(...a);
      worker.terminate().then(() => resolve(result), () => resolve(result));
    };
    // The worker ends the run itself at timeout_ms; this fires only if user code blocks its event loop.
    const hard = setTimeout(once(() => ({ exit: 0,
      json: failed(`rules2actions verify: timed out after ${sc.timeoutMs} ms (code blocked the event loop)`) })),
    sc.timeoutMs + 1500);
    worker.on('message', once((msg) => {
      if (msg.type === 'result') return { exit: 0, json: msg.effects };
      if (msg.type === 'compile_error') return { exit: 3, json: { compile_error: msg.message } };
      return { exit: 2, message: `internal error: ${msg.message}` };
    }));
    worker.on('error', once((err) => {
      if (err && err.code === 'ERR_WORKER_OUT_OF_MEMORY') return { exit: 0, json: failed('rules2actions verify: out of memory') };
      return { exit: 2, message: `internal error: ${err && err.stack ? err.stack : err}` };
    }));
    worker.on('exit', once((c) => ({ exit: 2, message: `worker exited unexpectedly (code ${c})` })));
  });
}

/**
 * `node harness.js batch <jobs-file>`: the jobs file is a JSON list of
 * {"mode", "code_file", "scenario_file"}; each job runs in a fresh worker (a fresh vm context),
 * one after the other, and prints one line: {"exit": 0|2|3, "result": <effects or
 * {"compile_error"}>} or {"exit": 2, "message"}. Saves a Node.js start-up per run.
 */
async function batch(jobsFile) {
  let jobs;
  try { jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8')); } catch (e) { die(`cannot read jobs file: ${e.message}`); }
  if (!Array.isArray(jobs)) die('jobs file must hold a JSON list');
  for (const job of jobs) {
    let line;
    try {
      const r = await runJob(prepareJob(obj(job).mode, obj(job).code_file, obj(job).scenario_file));
      line = r.exit === 2 ? { exit: 2, message: r.message } : { exit: r.exit, result: r.json };
    } catch (e) {
      line = { exit: 2, message: e instanceof JobError ? e.message : `internal error: ${fmtError(e)}` };
    }
    await new Promise((ok) => process.stdout.write(JSON.stringify(line) + '\n', ok));
  }
  process.exit(0);
}

function main() {
  const [mode, codeFile, scenarioFile] = process.argv.slice(2);
  if (mode === 'batch') { batch(codeFile); return; }
  let job;
  try { job = prepareJob(mode, codeFile, scenarioFile); } catch (e) { die(e.message); }
  runJob(job).then((r) => (r.exit === 2 ? die(r.message) : emit(r.json, r.exit)));
}

if (isMainThread) main();
else {
  try { workerMain(workerData); } catch (e) { parentPort.postMessage({ type: 'fatal', message: e && e.stack ? e.stack : String(e) }); }
}
