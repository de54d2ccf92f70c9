// A fake Auth0 Management API for `a0deploy import`: the Actions and trigger-binding endpoints
// only, over HTTPS on 127.0.0.1, stateful (deploy-cli lists the Actions again after creating them
// to find their ids). Every request is appended, as one JSON line, to the log file before it is
// answered, with the answer, so the log is complete when a0deploy exits.
//
// node fake-management-api.js CERT KEY STATE LOG
//   STATE: JSON `{ "actions": [...], "bindings": { "post-login": [{ "action_name", "display_name" }] } }`,
//   the tenant before the import. Prints the port it listens on, then serves until killed.
'use strict';

const fs = require('fs');
const https = require('https');

const [certFile, keyFile, stateFile, logFile] = process.argv.slice(2);
const initial = JSON.parse(fs.readFileSync(stateFile, 'utf8'));

let nextId = 1;
const newId = (prefix) => `${prefix}_${String(nextId++).padStart(4, '0')}`;

// The tenant's Actions, as the API describes them.
const actions = (initial.actions || []).map((action) => ({
  id: newId('act'),
  status: 'built',
  ...action,
}));
const bindings = {};
for (const [trigger, list] of Object.entries(initial.bindings || {})) {
  bindings[trigger] = list.map((binding) => bindingTo(findAction('action_name', binding.action_name), binding.display_name));
}

function findAction(type, value) {
  return actions.find((action) => (type === 'action_id' ? action.id : action.name) === value);
}

function bindingTo(action, displayName) {
  return { id: newId('bnd'), display_name: displayName, action: { id: action.id, name: action.name } };
}

// What the API answers for an Action: secrets without their values.
function described(action) {
  const secrets = (action.secrets || []).map(({ name }) => ({ name, updated_at: '2026-01-01T00:00:00Z' }));
  return { ...action, secrets };
}

function reply(response, status, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(text);
}

const routes = [
  ['GET', /^\/api\/v2\/actions\/actions$/, (_, __, query) => {
    const page = Number(query.get('page') || 0);
    const perPage = Number(query.get('per_page') || 50);
    const list = actions.slice(page * perPage, (page + 1) * perPage).map(described);
    return [200, { actions: list, total: actions.length, page, per_page: perPage }];
  }],
  // `--dry-run` reads the applications and connections to show names for ids.
  ['GET', /^\/api\/v2\/clients$/, () => [200, { clients: [], total: 0, start: 0, limit: 50 }]],
  ['GET', /^\/api\/v2\/connections$/, () => [200, { connections: [], total: 0, start: 0, limit: 50 }]],
  ['GET', /^\/api\/v2\/actions\/modules$/, () => [200, { modules: [], total: 0, page: 0, per_page: 50 }]],
  ['POST', /^\/api\/v2\/actions\/actions$/, (_, body) => {
    const action = { ...body, id: newId('act'), status: 'built', all_changes_deployed: false };
    actions.push(action);
    return [201, described(action)];
  }],
  ['PATCH', /^\/api\/v2\/actions\/actions\/([^/]+)$/, ([id], body) => {
    const action = findAction('action_id', id);
    if (!action) return [404, { statusCode: 404, message: 'no such action' }];
    Object.assign(action, body, { all_changes_deployed: false });
    return [200, described(action)];
  }],
  ['DELETE', /^\/api\/v2\/actions\/actions\/([^/]+)$/, ([id]) => {
    const index = actions.findIndex((action) => action.id === id);
    if (index < 0) return [404, { statusCode: 404, message: 'no such action' }];
    actions.splice(index, 1);
    return [204, undefined];
  }],
  ['POST', /^\/api\/v2\/actions\/actions\/([^/]+)\/deploy$/, ([id]) => {
    const action = findAction('action_id', id);
    if (!action) return [404, { statusCode: 404, message: 'no such action' }];
    action.all_changes_deployed = true;
    return [200, { id: newId('ver'), action_id: id, deployed: true, status: 'built' }];
  }],
  ['GET', /^\/api\/v2\/actions\/triggers$/, () => [200, {
    triggers: [{ id: 'post-login', version: 'v3', status: 'CURRENT', runtimes: ['node22'], default_runtime: 'node22' }],
  }]],
  ['GET', /^\/api\/v2\/actions\/triggers\/([^/]+)\/bindings$/, ([trigger]) => {
    const list = bindings[trigger] || [];
    return [200, { bindings: list, total: list.length, page: 0, per_page: 50 }];
  }],
  ['PATCH', /^\/api\/v2\/actions\/triggers\/([^/]+)\/bindings$/, ([trigger], body) => {
    const resolved = [];
    for (const { ref, display_name: displayName } of body.bindings || []) {
      const action = findAction(ref.type, ref.value);
      if (!action) return [400, { statusCode: 400, message: `no Action ${ref.type} ${ref.value} to bind` }];
      resolved.push(bindingTo(action, displayName));
    }
    bindings[trigger] = resolved;
    return [200, { bindings: resolved }];
  }],
];

// The status and body of the answer to a request.
function route(method, { pathname, searchParams }, body) {
  for (const [routeMethod, pattern, answer] of routes) {
    const match = method === routeMethod && pattern.exec(pathname);
    if (match) return answer(match.slice(1).map(decodeURIComponent), body, searchParams);
  }
  return [404, { statusCode: 404, error: 'Not Found', message: `the fake has no ${method} ${pathname}` }];
}

function handle(request, response, text) {
  const url = new URL(request.url, 'https://127.0.0.1');
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { unparsed: text };
  }
  const [status, answer] = route(request.method, url, body);
  const entry = { method: request.method, path: url.pathname, query: url.search, body, status, answer };
  fs.appendFileSync(logFile, JSON.stringify(entry) + '\n');
  reply(response, status, answer);
}

const server = https.createServer(
  { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) },
  (request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks).toString('utf8')));
  }
);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
