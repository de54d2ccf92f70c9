'use strict';
/*
 * rules2actions verification harness (node >= 18, CommonJS, built-ins only, never the network).
 *
 *   printf '%s\n%s' TOKEN JOB | node [sandbox flags] harness.js
 *
 * Runs ONE Auth0 Rule or ONE post-login Action on one login scenario, in a fresh `vm` context of
 * this process (one process per run: a run that escapes the context can only spoil its own
 * answer), or one side's whole pipeline ("Pipelines" below: every rule, or every Action). Everything comes on stdin: a per-run token (32 hex characters and a newline), then the
 * job, one JSON object {"mode": "rule"|"action", "code", "scenario", "packages": dir|null}.
 * The answer is one line on stdout: the token, a space and {"effects"} | {"compile_error"} |
 * {"failure"}. The caller trusts only the line that starts with its token; the token is read
 * before user code runs, stdin is then at its end, and the token lives only in an unpooled
 * Uint8Array of this module's closure (see README, "Isolation", for what that does and does not
 * guarantee).
 *
 * Besides the keys normaliseScenario reads, a scenario may give `now` (an ISO date or ms since
 * 1970): the sandbox's Date is frozen at it (default 2024-06-01T12:00:00Z) and Math.random is a
 * seeded generator, so both sides see the same clock and the same random numbers.
 *
 * Synchronous user code is bounded by the vm `timeout` option and the run ends itself at
 * timeout_ms; user code that blocks the event loop (a busy loop after an `await`) is killed by
 * the caller, which owns the wall clock.
 */
const vm = require('vm');
const fs = require('fs');
const path = require('path');
const util = require('util');
const v8 = require('v8');
const crypto = require('crypto');
const { builtinModules, createRequire } = require('module');

// Captured before any user code runs: user code shares `util` (a real module it may require)
// and could replace them on their objects.
const { readSync, writeSync } = fs;
const { isProxy } = util.types;
const exitProcess = process.exit.bind(process);
/** Node's own classes, which have no twin in the sandbox: user code gets the harness's, frozen
 *  (with their prototypes) so that it cannot change how the harness computes its answer. The
 *  JavaScript built-ins of the harness's realm are frozen by --frozen-intrinsics. */
const SHARED_NODE_GLOBALS = { structuredClone, Buffer, URL, URLSearchParams, TextEncoder, TextDecoder, AbortController };

/** Node calls EventEmitter.prototype's methods on the real `process` (an unhandled rejection is
 *  `process.emit(...)`), and user code reaches that prototype through any stream (crypto's Hash).
 *  Its methods cannot be replaced, else a replaced `emit` would be handed `process`. Not frozen:
 *  emitters assign `_events` and friends, which the prototype also holds; and an assignment to a
 *  derived object (Node's own classes override methods) defines the property there, as it would
 *  have without the lock. */
function lockMethods(proto) {
  for (const key of Reflect.ownKeys(proto)) {
    const { value: method, enumerable } = Object.getOwnPropertyDescriptor(proto, key);
    if (typeof method !== 'function') { Object.defineProperty(proto, key, { configurable: false }); continue; }
    Object.defineProperty(proto, key, {
      enumerable, configurable: false,
      get() { return method; },
      set(v) { if (this !== proto) Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true }); },
    });
  }
}

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
  'worker_threads', 'fs', 'vm', 'v8', 'inspector', 'module', 'process', 'repl', 'trace_events', 'wasi', 'async_hooks',
  'diagnostics_channel', 'domain']);
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
    id_token_claims: {}, access_token_claims: {}, claims_changed_later: { id_token_claims: {}, access_token_claims: {} },
    scopes: null, app_metadata: {}, user_metadata: {},
    redirect: null, primary_user: null, saml: {}, unsupported: [], http_requests: [], coverage: null,
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
    ruleUser: obj(toPlain(raw.rule_user)), // root attributes the identity provider gave the Rules user only
  };
}

// ===== The run: sandbox, guarded calls, recording, ending ===================================
/**
 * Runs in the sandbox before user code. It keeps the harness's functions in closures of the
 * sandbox realm, so user code only ever holds functions of its own realm: their `constructor`
 * is the sandbox's Function, and the errors they throw are the sandbox's errors.
 * - `wrap(fn)`: a sandbox function calling the harness function `fn` through `host`.
 * - `setThunk(t)` and the read-only global `__r2a_call`: what `R.guarded` runs under the vm
 *   timeout, without ever putting a harness function on the sandbox's global object.
 */
const PRELUDE = `(function (host) {
  'use strict';
  let thunk = null;
  Object.defineProperty(globalThis, '__r2a_call', { value: function () { return thunk(); } });
  const wrap = (fn) => function (...args) {
    const out = [];
    if (host(fn, this, args, out)) return out[0];
    throw out[0];
  };
  const show = (v) => {
    if (typeof v === 'string') return v;
    try { const j = JSON.stringify(v); return j === undefined ? String(v) : j; } catch (e) { return '[unprintable]'; }
  };
  return { wrap, setThunk: (t) => { thunk = t; }, show: (args) => args.map(show).join(' '), blank: () => function () {} };
})`;

/** Creates the per-run state `R` shared by all the functions below. */
function createRun({ mode, code, sc, packages }) {
  const R = {
    mode, code, sc, packages, deadline: Date.now() + sc.timeoutMs, done: false, settled: false, timer: null,
    rec: { error: null, unsupported: [], http: [], logs: [], app: {}, usr: {}, outcome: { decision: 'allow', message: null },
      mfa: null, id_token_claims: {}, access_token_claims: {}, redirect: null, primaryUser: null, saml: {} },
  };
  R.note = (s) => { if (!R.rec.unsupported.includes(s) && R.rec.unsupported.length < MAX_LIST) R.rec.unsupported.push(s); };
  R.setError = (msg) => { if (R.rec.error === null) R.rec.error = msg; };
  // The context's global is an ordinary object of its own realm where this Node can make one
  // (vm.constants.DONT_CONTEXTIFY): a contextified harness object would hand user code
  // `this.constructor`, the harness's Object. Older Nodes get a null-prototype object.
  const plainGlobal = vm.constants && vm.constants.DONT_CONTEXTIFY;
  R.ctx = vm.createContext(plainGlobal || Object.create(null), { name: mode });
  R.sandbox = R.ctx;
  // Values handed to user code are made in the sandbox realm (instanceof / constructor checks work).
  const S = R.S = vm.runInContext('({ JSON, Promise, Error, TypeError, Object, Function, Array })', R.ctx);
  R.toSandbox = (v) => { const p = toPlain(v); return p === undefined ? undefined : S.JSON.parse(JSON.stringify(p)); };
  R.sPromise = (p) => new S.Promise((ok, no) => p.then(ok, no));
  R.sErr = (msg, props) => Object.assign(new S.Error(msg), props || {});
  const host = (fn, self, args, out) => {
    try { out[0] = R.expose(fn.apply(self, args)); return true; } catch (e) {
      out[0] = e instanceof S.Error ? e : R.sErr(fmtError(e).replace(/^\w*Error: /, ''), { name: (e && e.name) || 'Error' });
      return false;
    }
  };
  const prelude = vm.runInContext(PRELUDE, R.ctx)(host);
  R.wrap = prelude.wrap;
  R.show = prelude.show;
  R.blank = prelude.blank; // a sandbox function: the target of the stubs' proxies
  R.exposed = new WeakMap(); // harness value → its sandbox twin, so that `api` stays one object
  R.raw = new WeakSet(); // real modules, handed over as they are
  R.expose = (v) => expose(R, v);
  const CALL = new vm.Script('__r2a_call()');
  /** Run user code (a thunk) under the vm timeout, bounded by the run's deadline. */
  let current = null; // the thunk running now (guarded calls may nest)
  R.guarded = (thunk) => {
    const previous = current;
    current = thunk;
    prelude.setThunk(thunk);
    try { return CALL.runInContext(R.ctx, { timeout: Math.max(1, R.deadline - Date.now()) }); }
    finally { current = previous; prelude.setThunk(previous); }
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

/**
 * A harness value as user code may hold it: functions become sandbox functions (`R.wrap`) and
 * plain objects and arrays sandbox copies, recursively, getters included. Sandbox values,
 * proxies (their targets are sandbox functions) and real modules pass unchanged.
 */
function expose(R, v) {
  const { S, exposed } = R;
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
  if (v instanceof S.Object || isProxy(v) || R.raw.has(v)) return v;
  if (exposed.has(v)) return exposed.get(v);
  const proto = Object.getPrototypeOf(v);
  let out;
  if (typeof v === 'function') out = R.wrap(v);
  else if (Array.isArray(v)) out = new S.Array();
  else if (proto === Object.prototype || proto === null) out = new S.Object();
  else return v; // a real module's object (crypto's Hash, a Buffer): see README, "Isolation"
  exposed.set(v, out);
  for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(v))) {
    if (typeof v === 'function' && (k === 'length' || k === 'name' || k === 'prototype')) continue;
    const copy = 'value' in d ? { ...d, value: expose(R, d.value) }
      : { ...d, get: d.get && R.wrap(d.get), set: d.set && R.wrap(d.set) };
    Object.defineProperty(out, k, copy);
  }
  return out;
}

/** Timers for user code: callbacks run under the vm timeout; handles are plain numbers. */
function timers(R) {
  const live = new Map(); let next = 1;
  const start = (real, clear, repeat) => (fn, ms, ...a) => {
    const id = next++;
    const handle = real(() => { if (!repeat) live.delete(id); R.later(fn, ...a); }, ms);
    live.set(id, () => clear(handle));
    return id;
  };
  const stop = (id) => { const clear = live.get(Number(id)); live.delete(Number(id)); if (clear) clear(); };
  return {
    setTimeout: start(setTimeout, clearTimeout, false), setInterval: start(setInterval, clearInterval, true),
    setImmediate: start((f) => setImmediate(f), clearImmediate, false),
    clearTimeout: stop, clearInterval: stop, clearImmediate: stop,
    queueMicrotask: (fn) => queueMicrotask(() => R.later(fn)),
  };
}

function installGlobals(R) {
  const log = (level) => (...args) => {
    if (R.rec.logs.length >= MAX_LIST) return;
    const line = `[${level}] ` + R.show(args).slice(0, 2000); // formatted in the sandbox: no util.inspect hooks
    R.rec.logs.push(line); // kept bounded; shown on stderr only with R2A_HARNESS_DEBUG=1
    if (process.env.R2A_HARNESS_DEBUG) process.stderr.write(line + '\n');
  };
  const http = httpStubs(R);
  R.http = http;
  Object.assign(R.sandbox, R.expose({
    console: Object.fromEntries(['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'].map((l) => [l, log(l)])),
    require: makeRequire(R), fetch: http.fetch, ...timers(R), atob, btoa,
    process: { env: {}, version: process.version, versions: { ...process.versions }, platform: process.platform,
      nextTick: (fn, ...a) => queueMicrotask(() => R.later(fn, ...a)) },
  }));
  for (const shared of Object.values(SHARED_NODE_GLOBALS)) {
    Object.freeze(shared);
    if (shared.prototype) Object.freeze(shared.prototype);
  }
  lockMethods(require('events').prototype);
  Object.assign(R.sandbox, SHARED_NODE_GLOBALS);
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

/** The script text that evaluates user code as a CommonJS module, and the code's offset in it. */
const MODULE_PREFIX = '(function (exports, require, module, __filename, __dirname) {';
const moduleSource = (code) => `${MODULE_PREFIX}${code}\n})`;

/** Evaluate the code file as a CommonJS module; returns module.exports. */
function evalModule(R, filename) {
  const wrapper = new vm.Script(moduleSource(R.code), { filename });
  const fn = wrapper.runInContext(R.ctx);
  const mod = R.toSandbox({ exports: {} });
  R.guarded(() => fn.call(mod.exports, mod.exports, R.sandbox.require, mod, '/' + filename, '/'));
  return mod.exports;
}

/** Build the effects (once) and hand them to the main thread. */
function finishRun(R, finished) {
  if (R.done) return;
  if (R.onStepEnd && R.onStepEnd(finished)) return; // a pipeline went on to its next step
  R.done = true;
  clearTimeout(R.timer);
  const e = emptyEffects();
  if (R.mode === 'rule') ruleEffects(R, e); else actionEffects(R, e);
  if (R.coverage) e.coverage = R.coverage.of(R.ruleScript);
  const user = obj(R.sc.event.user);
  Object.assign(e, {
    finished, error: R.rec.error,
    app_metadata: netChanges(R.rec.app, user.app_metadata), user_metadata: netChanges(R.rec.usr, user.user_metadata),
    unsupported: R.rec.unsupported.slice(), http_requests: R.rec.http.slice(),
  });
  answer({ effects: e });
}
function compileError(R, message) {
  R.done = true;
  clearTimeout(R.timer);
  answer({ compile_error: R.step ? `${R.step}: ${message}` : message });
}

// ===== require(): HTTP clients answered from scenario.http, other stubs =====================
/** Auth0 ends a login flow that runs longer than 20 s, Rules and Actions alike
 *  (https://auth0.com/docs/customize/actions/limitations): a client's own timeout below that fires
 *  before the login fails. */
const PLATFORM_LIMIT_MS = 20000;

function httpStubs(R) {
  const { sc, rec, S, sErr, sPromise, toSandbox } = R;
  /**
   * The single network "transport": the first matching scenario.http entry, asynchronously.
   * An entry answers with `status`/`body`/`headers`, fails like the network with `error` (the
   * message, and `code`), or, with `timeout: true`, never answers. A call that never answers ends
   * only through the client's own timeout (`clientTimeoutMs`), when it is below the platform's
   * limit; the sandbox clock is frozen, so that timeout fires at once. Otherwise the call stays
   * pending, is recorded as `unanswered`, and the run ends at its time limit.
   * Rejects with a harness Error whose `code` names the failure; each client dresses it up as its
   * own error (`timedOutAfter` set for a client timeout).
   */
  function respond(method, url, clientTimeoutMs) {
    const m = String(method || 'GET').toUpperCase(); const u = String(url);
    const record = { method: m, url: u };
    if (rec.http.length < MAX_LIST) rec.http.push(record);
    const entry = sc.http.find((e) => (!e.method || String(e.method).toUpperCase() === m)
      && (typeof e.url_prefix !== 'string' || u.startsWith(e.url_prefix)));
    const limit = Number(clientTimeoutMs);
    if (entry && entry.timeout === true && !(limit > 0 && limit < PLATFORM_LIMIT_MS)) {
      record.unanswered = true;
      return new Promise(() => {});
    }
    return new Promise((resolve, reject) => setTimeout(() => {
      const fail = (message, code, props) => reject(Object.assign(new Error(message), { code, ...props }));
      if (!entry) fail(`rules2actions verify: no stubbed HTTP response for ${m} ${u}`, 'ENOTFOUND');
      else if (entry.timeout === true) fail('ETIMEDOUT', 'ETIMEDOUT', { timedOutAfter: limit });
      else if (entry.error) fail(String(entry.error), entry.code == null ? undefined : String(entry.code));
      else resolve({ status: Number(entry.status) || 200, body: entry.body === undefined ? null : entry.body, headers: obj(entry.headers) });
    }, (entry && Number(entry.delay_ms)) || 0));
  }
  /** A client's error in the sandbox realm: its message and name, the transport's `code`. */
  const clientError = (e, message, props) => sErr(message, { code: e.code, ...props });
  const text = (b) => (typeof b === 'string' ? b : JSON.stringify(b));
  const parsed = (b) => { if (typeof b !== 'string') return toSandbox(b); try { return S.JSON.parse(b); } catch (_) { return b; } };
  const withQuery = (url, q) => {
    const e = Object.entries(obj(q)).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]);
    return e.length ? `${url}${String(url).includes('?') ? '&' : '?'}${new URLSearchParams(e)}` : String(url);
  };
  const join = (base, p) => (base && !/^[a-z]+:\/\//i.test(p) ? `${String(base).replace(/\/+$/, '')}/${String(p).replace(/^\/+/, '')}` : String(p));

  /** `request`: request(opts|url, [opts], cb) plus .get/.post/...; `json` parses the body. */
  function makeRequest(defaults) {
    function call(a, b, c, forced) {
      let opts = typeof a === 'string' ? { uri: a } : { ...obj(a) }; let cb = c;
      if (typeof b === 'function') cb = b; else if (isObj(b)) opts = { ...opts, ...b };
      opts = { ...defaults, ...opts };
      const url = withQuery(join(opts.baseUrl, opts.uri || opts.url), opts.qs);
      respond(forced || opts.method, url, opts.timeout).then((r) => {
        const res = toSandbox({ statusCode: r.status, headers: r.headers });
        res.body = opts.json ? parsed(r.body) : text(r.body);
        R.later(cb, null, res, res.body);
      }, (e) => R.later(cb, clientError(e, e.message, e.timedOutAfter ? { connect: true } : {})));
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
      return sPromise(respond(c.method, withQuery(join(c.baseURL, c.url), c.params), c.timeout).then((r) => {
        const res = toSandbox({ status: r.status, statusText: '', headers: r.headers });
        res.data = parsed(r.body);
        if (r.status < 200 || r.status >= 300) {
          const code = r.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST';
          throw sErr(`Request failed with status code ${r.status}`, { name: 'AxiosError', code, response: res, isAxiosError: true });
        }
        return res;
      }, (e) => {
        if (!e.timedOutAfter) throw clientError(e, e.message, { name: 'AxiosError', isAxiosError: true });
        throw clientError(e, `timeout of ${e.timedOutAfter}ms exceeded`, { name: 'AxiosError', code: 'ECONNABORTED', isAxiosError: true });
      }));
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

  /** global `fetch` / `node-fetch`: promise of {ok, status, json(), text()}. node-fetch 2's
   *  `timeout` option is its only timeout modelled (an AbortSignal's timer is real time). */
  function fetch(input, init) {
    const url = typeof input === 'string' ? input : (input && (input.url || input.href)) || String(input);
    const failed = (e) => {
      if (!e.timedOutAfter) throw clientError(e, e.message, { name: 'FetchError', type: 'system' });
      throw clientError(e, `network timeout at: ${url}`, { name: 'FetchError', type: 'request-timeout' });
    };
    return sPromise(respond(obj(init).method, url, obj(init).timeout).then((r) => {
      const header = (k) => { const h = Object.keys(r.headers).find((x) => x.toLowerCase() === String(k).toLowerCase()); return h ? String(r.headers[h]) : null; };
      const res = {
        ok: r.status >= 200 && r.status < 300, status: r.status, statusText: '', url,
        headers: { get: header, has: (k) => header(k) !== null },
        text: () => S.Promise.resolve(text(r.body)),
        json: () => sPromise(new Promise((ok) => ok(typeof r.body === 'string' ? S.JSON.parse(r.body) : toSandbox(r.body)))),
      };
      res.clone = () => res;
      return R.expose(res); // resolved later, not through a wrapped call: exposed here
    }, failed));
  }
  fetch.default = fetch;

  /** got's errors: HTTPError (with `response`) for a status >= 400, TimeoutError, RequestError. */
  const gotError = (e) => {
    if (e.response) {
      const response = toSandbox({ statusCode: e.response.status, headers: e.response.headers, body: text(e.response.body) });
      throw clientError(e, e.message, { name: 'HTTPError', code: 'ERR_NON_2XX_3XX_RESPONSE', response });
    }
    if (e.timedOutAfter) throw clientError(e, `Timeout awaiting 'request' for ${e.timedOutAfter}ms`, { name: 'TimeoutError' });
    throw clientError(e, e.message, { name: 'RequestError' });
  };
  /** got's `timeout`: ms, or an object of per-phase limits (the shortest counts). */
  const gotTimeout = (t) => (isObj(t) ? Math.min(...Object.values(t).map(Number).filter((n) => n > 0)) : t);

  /** `got`: promise of {statusCode, body} with .json() / .text(); rejects on status >= 400. */
  function makeGot(defaults) {
    function call(a, b) {
      const o = { ...defaults, ...(isObj(a) ? a : { ...obj(b), url: a }) };
      const url = withQuery(join(o.prefixUrl, o.url), o.searchParams);
      const raw = respond(o.method, url, gotTimeout(o.timeout)).then((r) => {
        if (r.status >= 400 && o.throwHttpErrors !== false) throw Object.assign(new Error(`Response code ${r.status}`), { response: r });
        return r;
      });
      const p = sPromise(raw.then((r) => {
        const res = toSandbox({ statusCode: r.status, headers: r.headers });
        res.body = o.responseType === 'json' ? parsed(r.body) : text(r.body);
        return res;
      }, gotError));
      p.json = R.wrap(() => sPromise(raw.then((r) => parsed(r.body), gotError)));
      p.text = R.wrap(() => sPromise(raw.then((r) => text(r.body), gotError)));
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
  const str = R.wrap(() => `[rules2actions stub ${name}]`);
  const p = new Proxy(R.blank(), {
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
  return new Proxy(R.blank(), {
    get: (t, k) => (typeof k === 'symbol' || k === 'then' || k === 'toJSON' ? undefined : mgmtProxy(R, label, path ? `${path}.${k}` : String(k))),
    apply(t, self, args) {
      R.note(`${label}.${path}`);
      const cb = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : null;
      if (cb) setTimeout(() => R.later(cb, null, R.toSandbox({})));
      return R.S.Promise.resolve(R.toSandbox({}));
    },
  });
}

/** A package name (`pkg`, `@scope/pkg`, with or without a sub-path), never a file path. */
function isBareName(name) {
  return /^(?:@[\w~-][\w.~-]*\/)?[\w~-][\w.~-]*(?:\/[\w.~-]+)*$/.test(name)
    && !name.split('/').some((part) => part === '.' || part === '..');
}

/** A real module handed to user code as it is (README, "Isolation"). */
function realModule(R, module) {
  if (module !== null && (typeof module === 'object' || typeof module === 'function')) R.raw.add(module);
  return module;
}

function makeRequire(R) {
  const cache = new Map();
  // Packages load by bare name from the packages folder the caller named, nowhere else.
  const packageRequire = R.packages ? createRequire(path.join(R.packages, 'rules2actions-verify.js')) : null;
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
    if (builtinModules.includes(bare)) {
      return BLOCKED_BUILTINS.has(bare.split('/')[0]) ? stubModule(R, name) : realModule(R, require(bare));
    }
    if (!packageRequire || !isBareName(bare) || NETWORK_PACKAGES.test(bare)) return stubModule(R, name);
    try { return realModule(R, packageRequire(bare)); } catch (_) { return stubModule(R, name); }
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
// What Rules really did, from Auth0's documentation; the converter's assumptions play no part.

/** An empty object stands for "none": the Actions event always shows `{}` where Rules had nothing.
 *  https://auth0.com/docs/customize/actions/reference/post-login/post-login-event-object
 *  (`event.user.app_metadata`, `event.client.metadata` are always objects). */
const absentIfEmpty = (v) => (isObj(v) && Object.keys(v).length === 0 ? undefined : v);

/** The identity provider's tokens a Rules identity carried (placeholder values on this side). */
const IDP_TOKENS = ['access_token'];

/**
 * Rules' `user`, rebuilt from the Actions-shaped event user.
 * https://auth0.com/docs/customize/rules/user-object-in-rules
 * - `user.app_metadata` is undefined by default, and so is `user.user_metadata`: a user with none
 *   has none (the event's `{}`).
 * - the properties of `app_metadata` are merged into the user object (a root property of the same
 *   name may be overwritten), so `user.groups` can be `app_metadata.groups`.
 * - `user.identities[i]` may include the identity provider's access token; Actions offer none
 *   (https://auth0.com/docs/customize/actions/migrate/migrate-from-rules-to-actions, limitations).
 * - root attributes the identity provider sent (scenario `rule_user`) exist on the Rules side only.
 */
function buildRuleUser(sc) {
  const user = toPlain(obj(sc.event.user));
  for (const kind of ['app_metadata', 'user_metadata']) if (absentIfEmpty(user[kind]) === undefined) delete user[kind];
  for (const [k, v] of Object.entries(obj(user.app_metadata))) {
    if (k !== 'app_metadata' && k !== 'user_metadata') user[k] = toPlain(v);
  }
  if (Array.isArray(user.identities)) {
    user.identities = user.identities.map((id) => {
      if (!isObj(id) || id.provider === 'auth0') return id;
      const tokens = Object.fromEntries(IDP_TOKENS.map((t) => [t, `idp-${t}-${id.provider}`]));
      return { ...tokens, ...id };
    });
  }
  return deepMerge(user, sc.ruleUser);
}

/** Rules' `context`, rebuilt from the Actions-shaped event (reverse of mapping §3).
 *  https://auth0.com/docs/customize/rules/context-object; `clientMetadata` is undefined for an
 *  application without metadata (the docs' own rules guard it with `|| {}`). */
function buildRuleContext(sc) {
  const ev = sc.event; const req = obj(ev.request); const authn = obj(ev.authentication);
  const GEO = { countryCode: 'country_code', countryCode3: 'country_code3', countryName: 'country_name', cityName: 'city_name',
    timeZone: 'time_zone', continentCode: 'continent_code', subdivisionCode: 'subdivision_code', subdivisionName: 'subdivision_name' };
  const geoip = Object.fromEntries(Object.entries(obj(req.geoip)).map(([k, v]) => [GEO[k] || k, v]));
  const toMs = (t) => (typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? Date.parse(t) : t);
  const list = (v) => (Array.isArray(v) ? v : []);
  const context = {
    tenant: obj(ev.tenant).id,
    clientID: obj(ev.client).client_id, clientName: obj(ev.client).name,
    clientMetadata: absentIfEmpty(obj(ev.client).metadata),
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
    if (typeof cb === 'function') p.then(R.wrap(() => R.later(cb, null))); // `then` may be user code
    return p;
  };
  const users = { updateAppMetadata: write(R.rec.app, 'updateAppMetadata'), updateUserMetadata: write(R.rec.usr, 'updateUserMetadata') };
  const a0 = {
    users: new Proxy(R.expose(users), { get: (t, k) => (k in t || typeof k === 'symbol' ? t[k] : mgmtProxy(R, 'auth0.users', String(k))) }),
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
      get: R.wrap(() => { if (!resolved) { value = R.sandbox.require(module); resolved = true; } return value; }),
      set: R.wrap((v) => { value = v; resolved = true; }),
    });
  }
  R.sandbox.configuration = R.toSandbox(R.sc.secrets);
  R.sandbox.auth0 = R.expose(buildAuth0Global(R));
  vm.runInContext(`globalThis.UnauthorizedError = class UnauthorizedError extends Error {
    constructor(message) { super(message); this.name = 'UnauthorizedError'; this.code = 'unauthorized'; } };`, R.ctx);
  // 1) as a module (module.exports = function ...); 2) as an expression: ( <text> )
  let fn = null; let moduleErr = null;
  R.ruleScript = { source: moduleSource(R.code), offset: MODULE_PREFIX.length };
  try { const exp = evalModule(R, 'rule.js'); if (typeof exp === 'function') fn = exp; } catch (e) {
    if (R.isTimeout(e)) return R.fail(e);
    moduleErr = e;
  }
  if (!fn) {
    try {
      R.ruleScript = { source: '(' + R.code.replace(/[\s;]+$/, '') + '\n)', offset: 1 };
      const expr = new vm.Script(R.ruleScript.source, { filename: 'rule.js' });
      fn = expr.runInContext(R.ctx, { timeout: Math.max(1, R.deadline - Date.now()) });
    } catch (e) {
      if (R.isTimeout(e)) return R.fail(e);
      return compileError(R, fmtError(moduleErr && moduleErr.name !== 'SyntaxError' ? moduleErr : e));
    }
    if (typeof fn !== 'function') return compileError(R, 'rule file does not evaluate to a function');
  }
  // In a pipeline, what the previous rule passed on (`R.carry`, see runRuleLeg).
  R.user = R.carry ? R.carry.user : R.toSandbox(buildRuleUser(R.sc));
  R.context = R.carry ? R.carry.context : R.toSandbox(buildRuleContext(R.sc));
  /* https://auth0.com/docs/rules-best-practices/rules-execution-best-practices: a rule ends when it
   * calls its callback, once; a rule that never calls back stops the pipeline at the time limit
   * (the run stays unfinished). An error, an Error or a string, fails the login with its message
   * (https://auth0.com/docs/customize/rules/raise-errors-from-rules). A user passed on as null or
   * undefined leaves the next rules and the end of the pipeline with no user: the login fails
   * (mapping §1; the usual guard `if (!user) return callback(null, null, context)`). */
  let called = false;
  const callback = (...args) => {
    if (called || R.done) return; // only the first call counts
    called = true;
    const [err, u, c] = args;
    // No user: the login fails with a message the docs do not give (null: any deny matches it).
    const noUser = !err && args.length >= 2 && u == null;
    // Snapshot now, like the Rules runtime serialising the result at callback time.
    R.snap = {
      denied: !!err || noUser, message: err ? (typeof err.message === 'string' ? err.message : String(err)) : null,
      user: toPlain(u && typeof u === 'object' ? u : R.user), context: toPlain(c && typeof c === 'object' ? c : R.context),
    };
    finishRun(R, true);
  };
  let ret;
  try { ret = R.guarded(() => fn(R.user, R.context, R.wrap(callback))); } catch (e) { return R.fail(e); }
  // User code may have replaced `then`: it gets sandbox functions only.
  if (ret && typeof ret.then === 'function') ret.then(null, R.wrap((e) => { if (!R.done) R.fail(e); }));
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
  // One redirect per login: on the redirect-callback leg (the re-run after /continue) a redirect
  // set again is ignored (https://auth0.com/docs/customize/rules/redirect-users).
  if (isObj(c.redirect) && c.redirect.url != null && !R.sc.isContinue) e.redirect = normRedirect(c.redirect.url, {});
  if (c.primaryUser != null) e.primary_user = c.primaryUser;
  // SAML mappings are resolved when the pipeline ends, from the final user object (the one passed
  // to the callback): https://auth0.com/docs/authenticate/protocols/saml/saml-configuration/customize-saml-assertions
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
  const m = (fn) => (...args) => { if (!R.settled && !R.done) fn(...args); return R.expose(api); };
  const unsupported = (label) => m(() => R.note(label));
  const deny = (reason) => { if (rec.outcome.decision !== 'deny') rec.outcome = { decision: 'deny', message: reason == null ? null : String(reason) }; };
  const setMeta = (target) => (k, v) => { target[String(k)] = v === undefined ? null : toPlain(v); };
  /* A claim "will be issued upon completion of the login flow"
   * (https://auth0.com/docs/customize/actions/reference/post-login/post-login-api-object), but the
   * docs do not say whether the value is copied at setCustomClaim or read at the end. The value at
   * the call is recorded; for an object changed afterwards, its value at the end is reported too
   * (`claims_changed_later`), and the comparison does not guess between the two. */
  const claim = (field) => (k, v) => {
    const key = String(k); const p = toPlain(v);
    if (p === undefined) delete rec[field][key]; else rec[field][key] = p;
    if (v !== null && typeof v === 'object') R.liveClaims.set(`${field} ${key}`, { field, key, live: v, taken: p });
    else R.liveClaims.delete(`${field} ${key}`);
  };
  R.liveClaims = R.liveClaims || new Map(); // the object last set per claim (a pipeline's shared one)
  R.scopes = R.scopes || new Set(sc.requestedScopes);
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
  api.idToken = { setCustomClaim: m(claim('id_token_claims')) };
  api.accessToken = {
    setCustomClaim: m(claim('access_token_claims')),
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
  const api = R.expose(buildApi(R));
  // Effects are those recorded when the handler's promise settles; later api calls do not count.
  const settle = (err) => {
    if (R.done) return;
    if (err !== undefined) R.setError(fmtError(err));
    R.settled = true;
    finishRun(R, true);
  };
  let ret;
  try { ret = R.guarded(() => exp[handler](event, api)); } catch (e) { return R.isTimeout(e) ? R.fail(e) : settle(e); }
  R.S.Promise.resolve(ret).then(R.wrap(() => settle()), R.wrap((e) => settle(e === undefined ? 'undefined' : e)));
}

function actionEffects(R, e) {
  const { rec } = R;
  for (const { field, key, live, taken } of R.liveClaims.values()) {
    let atEnd; // read under the time limit: the object may have a `toJSON` of its own
    try { atEnd = R.guarded(() => toPlain(live)); } catch (_) { atEnd = '[Unserializable]'; }
    if (!deepEqual(atEnd, taken)) e.claims_changed_later[field][key] = atEnd;
  }
  Object.assign(e, {
    outcome: { ...rec.outcome }, mfa: rec.mfa,
    id_token_claims: { ...rec.id_token_claims }, access_token_claims: { ...rec.access_token_claims },
    scopes: R.scopesTouched ? scopeResult(R.sc.requestedScopes, [...R.scopes]) : null,
    redirect: rec.redirect, primary_user: rec.primaryUser, saml: toPlain(rec.saml),
  });
}

// ===== What of the rule ran: V8's block coverage =============================================
/**
 * Starts V8's block coverage (execution counts per function and per block: branches, loop
 * bodies, code after a return), before the rule is compiled; returns `{ of(script) }`, the ranges
 * of that script: `{start, end, count}` in UTF-8 bytes of the rule's own text, nested (a block's
 * count overrides its function's), or null when this Node cannot collect them.
 *
 * Node's route, the inspector's Profiler.startPreciseCoverage, is refused by the permission
 * model (`Session#connect` throws ERR_ACCESS_DENIED), and NODE_V8_COVERAGE writes nothing under
 * it. V8's own runtime functions give the same data: natives syntax (`%Name()`) is switched on
 * only while two harness functions compile, and off again before any user code is parsed. Their
 * text carries a fresh nonce, so no later compile can be served them from V8's compilation cache.
 */
function startBlockCoverage() {
  const nonce = crypto.randomBytes(16).toString('hex');
  const compile = (call) => new vm.Script(`(function () { /* ${nonce} */ return %${call}; })`).runInThisContext();
  /** Runs `fn` with natives syntax on; null if it throws. Also around the collection at the end,
   *  when no user code runs any more: should V8 have flushed the collector's bytecode meanwhile,
   *  compiling it again needs the flag. */
  const withNatives = (fn) => {
    try { v8.setFlagsFromString('--allow-natives-syntax'); return fn(); } catch (_) { return null; } finally {
      v8.setFlagsFromString('--no-allow-natives-syntax');
    }
  };
  const collectors = withNatives(() => ({ start: compile('DebugToggleBlockCoverage(true)'), collect: compile('DebugCollectCoverage()') }));
  if (!collectors) return null;
  collectors.start();
  return { of: (script) => { const scripts = script && withNatives(collectors.collect); return scripts ? scriptCoverage(scripts, script) : null; } };
}

/** The ranges of `script` ({source, offset}: where the rule's text starts in it), clipped to the
 *  rule's text and converted from UTF-16 code units to UTF-8 bytes. */
function scriptCoverage(scripts, { source, offset }) {
  const ranges = scripts.find((s) => s.script === source);
  if (!ranges) return null;
  const text = source.slice(offset);
  const bytes = utf8Offsets(text);
  const at = (i) => bytes(Math.min(Math.max(i - offset, 0), text.length));
  return ranges.map((r) => ({ start: at(r.start), end: at(r.end), count: r.count }))
    .filter((r) => r.end > r.start);
}

/** UTF-16 index → UTF-8 byte offset in `text`. */
function utf8Offsets(text) {
  if (!/[^\x00-\x7f]/.test(text)) return (i) => i;
  const at = new Uint32Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is 4 bytes: counted on its high half.
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 4 : c >= 0xdc00 && c < 0xe000 ? 0 : 3;
    at[i + 1] = at[i] + size;
  }
  return (i) => at[i];
}

// ===== Pipelines: every enabled rule in order, or every bound Action in trigger order =========
/*
 * Job {"mode": "rule_pipeline"|"action_pipeline", "steps": [{"name", "code"}], "scenario",
 * "packages"}: the steps run one after the other on one login, in this one process, and the
 * answer is the effects of the whole pipeline (the same document as one run's). One time limit
 * (the scenario's timeout_ms) covers the whole pipeline, as Auth0's covers a whole login.
 * A scenario with `continue` is the whole login: the first leg, and when it redirects, the leg
 * after /continue.
 */
const PIPELINE_MODES = ['rule_pipeline', 'action_pipeline'];

function runPipelineJob(job) {
  const steps = Array.isArray(job.steps) ? job.steps.filter(isObj) : [];
  if (!steps.length || !steps.every((s) => typeof s.code === 'string')) {
    return answer({ failure: 'steps must be a non-empty list of {name, code}' });
  }
  let sc;
  try { sc = normaliseScenario(job.scenario === undefined ? {} : job.scenario); } catch (e) {
    return answer({ failure: `bad scenario: ${e.message}` });
  }
  const packages = typeof job.packages === 'string' ? job.packages : null;
  const label = (i) => `${job.mode === 'rule_pipeline' ? 'rule' : 'action'} ${i + 1} (${String(steps[i].name || '')})`;
  const run = { steps, sc, packages, label, deadline: Date.now() + sc.timeoutMs, current: null };
  process.on('uncaughtException', (e) => run.current.fail(e));
  process.on('unhandledRejection', (r) => run.current.setError('Unhandled rejection: ' + fmtError(r)));
  run.timer = setTimeout(() => finishRun(run.current, false), Math.max(0, run.deadline - Date.now()));
  try {
    if (job.mode === 'rule_pipeline') runRuleLeg(run, 0); else runActionStep(run, 0, false);
  } catch (e) {
    answer({ failure: `internal error: ${e && e.stack ? e.stack : e}` });
  }
}

/** Records whether the current step failed: an error other than a stray rejection ends the
 *  login, so the pipeline stops there. */
function watchStepErrors(R) {
  const record = R.setError;
  R.stepFailed = false;
  R.setError = (msg) => { if (!String(msg).startsWith('Unhandled rejection')) R.stepFailed = true; record(msg); };
}

/** Starts a run of `mode` for the pipeline: its clock, the login's record so far, the sandbox. */
function startStep(run, mode, code, sc) {
  const R = createRun({ mode, code, sc, packages: run.packages });
  if (run.rec) R.rec = run.rec; else run.rec = R.rec;
  Object.assign(R, { deadline: run.deadline, timer: run.timer });
  run.current = R;
  installGlobals(R);
  watchStepErrors(R);
  return R;
}

/** The scenario with the metadata written so far, for a later step or leg; the effects compare
 *  metadata with the user's before the login, so a run ends with the scenario's own event. */
const laterScenario = (run, over) => ({ ...run.sc, ...over, event: run.rec ? withMetadataSet(run.sc.event, run.rec) : run.sc.event });
const endWithLoginEvent = (run, R) => { R.sc = { ...R.sc, event: run.sc.event }; return false; };

/**
 * Rules, one leg: one sandbox (one `global`, shared by every rule), one `configuration` and
 * `auth0`. Each rule receives the `user` and `context` the previous one passed to its callback,
 * as the callback had them (the harness snapshots a rule's result when it calls back: see
 * runRule). An error, or no user, ends the pipeline: the login fails
 * (https://auth0.com/docs/customize/rules/raise-errors-from-rules). A redirect does not: the user
 * is redirected once every rule has run, and the redirect to /continue runs every rule again, in
 * a new container (https://auth0.com/docs/rules-best-practices/rules-execution-best-practices):
 * a second leg with a fresh `global`, its context's protocol `redirect-callback`, and the
 * metadata written on the first.
 */
function runRuleLeg(run, leg) {
  const continues = run.sc.isContinue && leg === 0;
  const R = startStep(run, 'rule', run.steps[0].code, leg === 0 ? { ...run.sc, isContinue: false } : laterScenario(run, {}));
  let index = 0;
  const start = () => {
    Object.assign(R, { code: run.steps[index].code, step: run.label(index), snap: null, stepFailed: false });
    runRule(R);
  };
  R.onStepEnd = (finished) => {
    const passed = finished && R.snap && !R.snap.denied && !R.stepFailed;
    if (passed && index + 1 < run.steps.length) {
      R.carry = { user: R.toSandbox(R.snap.user), context: R.toSandbox(R.snap.context) };
      index += 1;
      setImmediate(start); // not inside the previous rule's callback
      return true;
    }
    const redirect = passed ? obj(obj(R.snap.context).redirect).url : undefined;
    if (continues && redirect != null) { setImmediate(() => runRuleLeg(run, 1)); return true; }
    return endWithLoginEvent(run, R);
  };
  start();
}

/**
 * Actions, one step: each Action in a sandbox of its own (Actions share no `global`), with its
 * own event built from the same login. What they do accumulates: claims, scopes, MFA, metadata,
 * SAML. Metadata set by an earlier Action shows in a later one's `event.user` (observed
 * behaviour, reported at
 * https://community.auth0.com/t/when-is-event-user-updated-in-the-actions-lifecycle-and-how/84051;
 * the docs say only that the changes are applied together at the end of the flow). The flow stops
 * after an Action that denies ("no further Actions will be executed",
 * https://auth0.com/docs/customize/actions/explore-triggers/signup-and-login-triggers/login-trigger/post-login-api-object),
 * that fails, or that redirects; after /continue it resumes with that Action's
 * onContinuePostLogin, then the Actions after it
 * (https://auth0.com/docs/customize/actions/explore-triggers/signup-and-login-triggers/login-trigger/redirect-with-actions).
 */
function runActionStep(run, index, resuming) {
  const R = startStep(run, 'action', run.steps[index].code, laterScenario(run, { isContinue: resuming }));
  Object.assign(R, { step: run.label(index), liveClaims: run.liveClaims || (run.liveClaims = new Map()),
    scopes: run.scopes || (run.scopes = new Set(run.sc.requestedScopes)), scopesTouched: !!run.scopesTouched });
  R.onStepEnd = (finished) => {
    run.scopesTouched = R.scopesTouched;
    const failed = !finished || R.stepFailed || R.rec.outcome.decision === 'deny';
    const redirected = !failed && R.rec.redirect !== null;
    if (redirected && run.sc.isContinue && !run.resumed) {
      run.resumed = true;
      R.rec.redirect = null; // done: the login comes back through /continue
      setImmediate(() => runActionStep(run, index, true));
      return true;
    }
    if (failed || redirected || index + 1 >= run.steps.length) return endWithLoginEvent(run, R);
    setImmediate(() => runActionStep(run, index + 1, false));
    return true;
  };
  runAction(R);
}

/** The login's event with the metadata set so far applied to its user (null removes a key). */
function withMetadataSet(event, rec) {
  const out = toPlain(event);
  const user = out.user = obj(out.user);
  for (const [field, set] of [['app_metadata', rec.app], ['user_metadata', rec.usr]]) {
    const merged = { ...obj(user[field]) };
    for (const [k, v] of Object.entries(set)) { if (v === null) delete merged[k]; else merged[k] = v; }
    user[field] = merged;
  }
  return out;
}

// ===== The process: one run, its input on stdin, its answer on stdout =====================
const TOKEN_LENGTH = 32;
/** The per-run token, as bytes (never a string: strings show in heap snapshots). */
let token = null;

/** Reads the token line into an unpooled Uint8Array (a pooled Buffer shares memory with every
 *  later `Buffer.allocUnsafe`), then the job. stdin is at its end before user code runs. */
function readInput() {
  const line = new Uint8Array(TOKEN_LENGTH + 1);
  let got = 0;
  while (got < line.length) {
    const n = readSync(0, line, got, line.length - got, null);
    if (n === 0) break;
    got += n;
  }
  const hex = (b) => (b >= 48 && b <= 57) || (b >= 97 && b <= 102);
  if (got < line.length || line[TOKEN_LENGTH] !== 10 || !line.subarray(0, TOKEN_LENGTH).every(hex)) {
    throw new Error('stdin must start with a token line (32 hex digits)');
  }
  token = line.subarray(0, TOKEN_LENGTH);
  const chunks = []; const chunk = Buffer.alloc(1 << 16);
  for (let n; (n = readSync(0, chunk, 0, chunk.length, null)) > 0;) chunks.push(Buffer.from(chunk.subarray(0, n)));
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Writes the one answer line (token, space, JSON) and ends the process. Only frozen built-ins
 *  and captured functions: the JSON is made ASCII, so its length in bytes is its length. */
function answer(body) {
  for (let at = 0; at < token.length;) at += writeSync(1, token, at, token.length - at);
  const ascii = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  const line = ` ${JSON.stringify(body).replace(/[\u007f-\uffff]/g, ascii)}\n`;
  for (let at = 0; at < line.length;) at += writeSync(1, line.slice(at));
  exitProcess(0);
}

function die(msg) { process.stderr.write(`rules2actions harness: ${msg}\n`); exitProcess(2); }

function main() {
  let job;
  try { job = obj(readInput()); } catch (e) { return die(`bad input: ${e.message}`); }
  const { mode, code, packages } = job;
  if (PIPELINE_MODES.includes(mode)) return runPipelineJob(job);
  if (mode !== 'rule' && mode !== 'action') return answer({ failure: 'mode must be "rule" or "action"' });
  if (typeof code !== 'string') return answer({ failure: 'code must be a string' });
  let sc;
  try { sc = normaliseScenario(job.scenario === undefined ? {} : job.scenario); } catch (e) {
    return answer({ failure: `bad scenario: ${e.message}` });
  }
  try {
    const R = createRun({ mode, code, sc, packages: typeof packages === 'string' ? packages : null });
    if (mode === 'rule') R.coverage = startBlockCoverage();
    installGlobals(R);
    process.on('uncaughtException', R.fail);
    process.on('unhandledRejection', (r) => R.setError('Unhandled rejection: ' + fmtError(r)));
    R.timer = setTimeout(() => finishRun(R, false), Math.max(0, R.deadline - Date.now()));
    if (R.mode === 'rule') runRule(R); else runAction(R);
  } catch (e) {
    answer({ failure: `internal error: ${e && e.stack ? e.stack : e}` });
  }
}

main();
