// openapi.test.mjs: docs/openapi.yaml stays true. The route table of src/api/routes.c and the
// document list the same operations with the same auth and scopes; every documented operation is
// called on the real server with a success and its errors, and every response is checked against
// the schema, headers and media type documented for its status (an undocumented status fails).
// The last test fails when a documented operation or status was never seen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHerald, getToken, api, basic, runCli, makeSystem, makeTemplate, openSocket, parseResponses,
  show,
} from './lib/herald.mjs';
import {
  checkResponse, checkRequest, operations, routesFromC, anonymousPath, loadDocument, lintDocument,
} from './lib/openapi.mjs';

/** Documented statuses no test can provoke without breaking the server (storage down). */
const UNREACHABLE = new Set(['503']);
const FORM = 'application/x-www-form-urlencoded';
const NO_UUID = '00000000-0000-4000-8000-000000000000';
const NO_SYSTEM = '0123456789abcdef0123456789abcdef';

let h;
let token; // the owner key: every scope
let notifRead; // notifications:read only
let adminWrite; // admin:write only
let adminRead; // admin:read only
let sys;
let tpl;
let tplPlain; // no placeholders, no button
const seen = new Map(); // "METHOD /path/{x}" → Set of statuses answered

before(async () => {
  h = await startHerald();
  token = await getToken(h);
  notifRead = await keyToken('notifications:read');
  adminWrite = await keyToken('admin:write');
  adminRead = await keyToken('admin:read');
  sys = await makeSystem(h, token, 'Sales');
  tpl = await makeTemplate(h, token, sys.id, {
    name: 'Lead assigned', title: 'New lead: ###OPP###', description: 'Opportunity ###OPP### needs you',
    button: { text: 'Open in CRM', url: '###URL###' }, notificationType: 'push',
  });
  tplPlain = await makeTemplate(h, token, sys.id, { name: 'Plain', title: 'Disk full', description: 'db1 is at 95%' });
});
after(async () => { await h?.stop(); });

async function keyToken(scopes) {
  const r = await runCli(['keys', 'create', ...h.store, '--name', scopes, '--scopes', scopes]);
  assert.equal(r.code, 0, `keys create: ${r.stderr}`);
  return getToken(h, { clientId: r.json.clientId, clientSecret: r.json.clientSecret });
}

function record(method, template, status) {
  const key = `${method} ${template}`;
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key).add(String(status));
}

function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (_, k) => {
    if (!(k in params)) throw new Error(`no value for {${k}} in ${template}`);
    return encodeURIComponent(params[k]);
  });
}

/**
 * Calls a documented operation and checks the answer against the document; `expect` is the
 * status the test wants. Options: params (path), query, token, json, body, headers.
 */
async function call(method, template, expect, { params = {}, query, ...opts } = {}) {
  let path = fill(template, params);
  if (query) path += `?${new URLSearchParams(query)}`;
  const r = await api(h, method, path, opts);
  record(method, template, r.status);
  checkResponse(method, template, r.status, r.text, r.headers);
  assert.equal(r.status, expect, `${method} ${path}: ${show(r)}`);
  return r;
}

/** A request whose Content-Length is over the route's limit, on a raw socket: 413 before the body. */
async function tooLarge(method, template, { params = {}, token: tok, contentType = 'application/json', length = 70000 } = {}) {
  const s = await openSocket(h);
  await s.write(`${method} ${fill(template, params)} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    (tok ? `Authorization: Bearer ${tok}\r\n` : '') +
    `Content-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n`);
  const got = await s.waitFor((d) => parseResponses(d).length >= 1);
  s.destroy();
  assert.ok(got, `${method} ${template}: no answer to an oversized body: ${s.data()}`);
  const [res] = parseResponses(s.data());
  record(method, template, res.status);
  checkResponse(method, template, res.status, res.body, Object.fromEntries(res.headers));
  assert.equal(res.status, 413, res.raw);
  assert.match(JSON.parse(res.body).error.message, /at most \d+ KiB/, res.raw);
}

const BULK_TOO_LARGE = 8 * 1024 * 1024 + 1; // over the 8 MiB of the bulk routes

/** The common errors of a JSON-body route: 400 (bad JSON), 401, 403, 413, 415. */
async function bodyErrors(method, template, { params = {}, forbidden = notifRead, length } = {}) {
  const r400 = await call(method, template, 400, { params, token, body: '{"name": "x",}', headers: { 'content-type': 'application/json' } });
  assert.equal(r400.json.error.code, 'malformed_json');
  await call(method, template, 401, { params, json: {} });
  await call(method, template, 403, { params, token: forbidden, json: {} });
  await call(method, template, 415, { params, token, body: 'name=x', headers: { 'content-type': FORM } });
  await tooLarge(method, template, { params, token, length });
}

/** A token for an end user of sys (checked against the document like any call). */
async function endUserToken(endUserId, systemId = sys.id) {
  const r = await call('POST', '/v1/systems/{systemId}/end-users/{endUserId}/tokens', 201, { params: { systemId, endUserId }, token });
  return r.json.token;
}

// ---- the document and the route table ----

test('docs/openapi.yaml passes the lint of make test', async () => {
  let problems = '';
  const ok = await lintDocument({ out: () => {}, err: (m) => { problems += m; } });
  assert.ok(ok, problems);
});

test('every route of src/api/routes.c is documented, and every documented operation is a route', () => {
  const routes = routesFromC();
  assert.ok(routes.length >= 10, `the route table was parsed: ${JSON.stringify(routes)}`);
  const inC = new Set(routes.map((r) => `${r.method} ${r.path}`));
  const inDoc = new Map(operations().map((o) => [`${o.method} ${anonymousPath(o.path)}`, `${o.method} ${o.path}`]));
  const undocumented = [...inC].filter((k) => !inDoc.has(k));
  const unrouted = [...inDoc.keys()].filter((k) => !inC.has(k)).map((k) => inDoc.get(k));
  assert.deepEqual(undocumented, [], `routes of src/api/routes.c missing from docs/openapi.yaml: ${undocumented.join(', ')}`);
  assert.deepEqual(unrouted, [], `operations of docs/openapi.yaml that src/api/routes.c does not route: ${unrouted.join(', ')}`);
});

test('each operation documents the auth and scope of its row in src/api/routes.c', () => {
  const doc = loadDocument();
  const schemes = doc.components.securitySchemes;
  const ops = new Map(operations().map((o) => [`${o.method} ${anonymousPath(o.path)}`, o]));
  for (const r of routesFromC()) {
    const o = ops.get(`${r.method} ${r.path}`);
    if (!o) continue; // the test above names it
    const where = `${o.method} ${o.path} (${r.auth}${r.scope ? `, ${r.scope}` : ''})`;
    const security = o.op.security ?? doc.security ?? [];
    const statuses = Object.keys(o.op.responses);
    if (r.auth === 'HD_AUTH_API') {
      assert.deepEqual(security, [{ oauth2: [r.scope] }], `${where}: security`);
      assert.ok(statuses.includes('401') && statuses.includes('403'), `${where}: documents 401 and 403`);
    } else if (r.auth === 'HD_AUTH_END_USER') {
      assert.ok(security.length > 0, `${where}: needs an end-user token`);
      for (const req of security) {
        for (const name of Object.keys(req)) {
          assert.ok(['http', 'apiKey'].includes(schemes[name]?.type), `${where}: ${name} is an end-user token scheme`);
        }
      }
      assert.ok(statuses.includes('401'), `${where}: documents 401`);
    } else {
      assert.equal(r.auth, 'HD_AUTH_NONE', where);
      for (const req of security) {
        for (const name of Object.keys(req)) {
          assert.notEqual(schemes[name]?.type, 'oauth2', `${where}: no bearer token is needed`);
        }
      }
      assert.ok(!statuses.includes('403'), `${where}: no scope, no 403`);
    }
  }
});

// ---- operations: public ----

test('GET /healthz, GET /metrics, GET /.well-known/oauth-authorization-server', async () => {
  await call('GET', '/healthz', 200);
  const m = await call('GET', '/metrics', 200);
  assert.match(m.text, /herald_api_requests_total \d+/);
  const meta = await call('GET', '/.well-known/oauth-authorization-server', 200);
  assert.equal(meta.json.token_endpoint, `${meta.json.issuer}/oauth/token`);
});

test('POST /oauth/token and POST /accounts/connect/token', async () => {
  for (const path of ['/oauth/token', '/accounts/connect/token']) {
    const form = (f) => ({ body: new URLSearchParams(f).toString(), headers: { 'content-type': FORM } });
    const withBasic = (f, secret = h.clientSecret) => {
      const o = form(f);
      o.headers.authorization = basic(h.clientId, secret);
      return o;
    };
    const grant = { grant_type: 'client_credentials', scope: 'notifications:write' };
    checkRequest('POST', path, grant, FORM);
    const ok = await call('POST', path, 200, withBasic(grant));
    assert.equal(ok.json.scope, 'notifications:write');
    const inBody = { grant_type: 'client_credentials', client_id: h.clientId, client_secret: h.clientSecret };
    checkRequest('POST', path, inBody, FORM);
    await call('POST', path, 200, form(inBody));

    const r1 = await call('POST', path, 400, withBasic({ grant_type: 'password' }));
    assert.equal(r1.json.error, 'unsupported_grant_type');
    const r2 = await call('POST', path, 400, withBasic({ grant_type: 'client_credentials', scope: 'root' }));
    assert.equal(r2.json.error, 'invalid_scope');
    const r3 = await call('POST', path, 400, { body: '{"grant_type":"client_credentials"}', headers: { 'content-type': 'application/json', authorization: basic(h.clientId, h.clientSecret) } });
    assert.equal(r3.json.error, 'invalid_request');
    const r4 = await call('POST', path, 401, withBasic({ grant_type: 'client_credentials' }, 'wrong secret'));
    assert.equal(r4.json.error, 'invalid_client');
    await tooLarge('POST', path, { contentType: FORM, length: 17 * 1024 });
  }
  // last: failed client authentications are throttled per client id and per address (this one)
  let r;
  for (let i = 0; i < 15; i++) {
    r = await api(h, 'POST', '/oauth/token', { body: 'grant_type=client_credentials', headers: { 'content-type': FORM, authorization: basic('nobody', 'nothing') } });
    if (r.status === 429) break;
  }
  record('POST', '/oauth/token', r.status);
  checkResponse('POST', '/oauth/token', r.status, r.text, r.headers);
  assert.equal(r.status, 429, show(r));
  const other = await call('POST', '/accounts/connect/token', 429, { body: 'grant_type=client_credentials', headers: { 'content-type': FORM, authorization: basic('nobody2', 'x') } });
  assert.match(other.headers.get('retry-after'), /^\d+$/);
});

test('GET /, the console and the Workstation client', async () => {
  const r = await fetch(`${h.url}/`, { redirect: 'manual' });
  const text = await r.text();
  record('GET', '/', r.status);
  checkResponse('GET', '/', r.status, text, r.headers);
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/console');
  for (const page of ['/console', '/workstation']) {
    const p = await call('GET', page, 200);
    assert.match(p.headers.get('content-type'), /^text\/html/);
    assert.match(p.text, /<!doctype html>/i);
    await call('GET', page, 304, { headers: { 'if-none-match': p.headers.get('etag') } });
    const file = `${page}/{file}`;
    const f = await call('GET', file, 200, { params: { file: 'index.html' } });
    assert.equal(f.headers.get('etag'), p.headers.get('etag'));
    await call('GET', file, 304, { params: { file: 'index.html' }, headers: { 'if-none-match': f.headers.get('etag') } });
    await call('GET', file, 404, { params: { file: 'no-such-file.js' } });
  }
});

// ---- operations: systems, templates, end users, API keys ----

test('POST /v1/systems', async () => {
  const body = { name: 'Support' };
  checkRequest('POST', '/v1/systems', body);
  const r = await call('POST', '/v1/systems', 201, { token, json: body });
  assert.equal(r.headers.get('location'), `/v1/systems/${r.json.id}`);
  await bodyErrors('POST', '/v1/systems');
  const bad = await call('POST', '/v1/systems', 422, { token, json: { nmae: 'x' } });
  assert.ok(bad.json.error.details.some((d) => d.field === 'nmae'), show(bad));
});

test('GET /v1/systems', async () => {
  const r = await call('GET', '/v1/systems', 200, { token });
  assert.ok(r.json.items.some((s) => s.id === sys.id));
  const page = await call('GET', '/v1/systems', 200, { token, query: { limit: '1' } });
  assert.equal(page.json.items.length, 1, show(page));
  assert.ok(page.json.nextCursor, show(page));
  await call('GET', '/v1/systems', 200, { token, query: { limit: '1', cursor: page.json.nextCursor } });
  await call('GET', '/v1/systems', 401, {});
  await call('GET', '/v1/systems', 403, { token: notifRead });
  await call('GET', '/v1/systems', 422, { token, query: { limit: '0' } });
});

test('GET /v1/systems/{systemId}', async () => {
  await call('GET', '/v1/systems/{systemId}', 200, { params: { systemId: sys.id }, token });
  await call('GET', '/v1/systems/{systemId}', 401, { params: { systemId: sys.id } });
  await call('GET', '/v1/systems/{systemId}', 403, { params: { systemId: sys.id }, token: notifRead });
  await call('GET', '/v1/systems/{systemId}', 404, { params: { systemId: NO_SYSTEM }, token });
  await call('GET', '/v1/systems/{systemId}', 404, { params: { systemId: 'not-a-system' }, token });
});

test('POST /v1/systems/{systemId}/templates', async () => {
  const path = '/v1/systems/{systemId}/templates';
  const params = { systemId: sys.id };
  const body = { name: 'Popup', title: 'Enrollment ends ###DATE###', notificationType: 'Popup', button: { text: 'Enroll', url: 'https://hr.example.com/enroll' } };
  checkRequest('POST', path, body);
  const r = await call('POST', path, 201, { params, token, json: body });
  assert.deepEqual(r.json.placeholders, ['DATE']);
  assert.equal(r.headers.get('location'), `/v1/systems/${sys.id}/templates/${r.json.id}`);
  await bodyErrors('POST', path, { params });
  await call('POST', path, 404, { params: { systemId: NO_SYSTEM }, token, json: body });
  await call('POST', path, 422, { params, token, json: { name: 'x', title: 'y', notificationType: 'banner' } });
});

test('GET /v1/systems/{systemId}/templates/{templateId}', async () => {
  const path = '/v1/systems/{systemId}/templates/{templateId}';
  const r = await call('GET', path, 200, { params: { systemId: sys.id, templateId: tpl.id }, token });
  assert.deepEqual(r.json.placeholders, ['OPP', 'URL']);
  await call('GET', path, 200, { params: { systemId: sys.id, templateId: tplPlain.id }, token });
  await call('GET', path, 401, { params: { systemId: sys.id, templateId: tpl.id } });
  await call('GET', path, 403, { params: { systemId: sys.id, templateId: tpl.id }, token: notifRead });
  await call('GET', path, 404, { params: { systemId: sys.id, templateId: NO_UUID }, token });
  await call('GET', path, 404, { params: { systemId: NO_SYSTEM, templateId: tpl.id }, token });
});

test('PUT /v1/systems/{systemId}/end-users/{endUserId}', async () => {
  const path = '/v1/systems/{systemId}/end-users/{endUserId}';
  const params = { systemId: sys.id, endUserId: 'grace@example.com' };
  const body = { name: 'Grace Hopper', email: 'grace@example.com', attributes: { department: 'Engineering' } };
  checkRequest('PUT', path, body);
  const created = await call('PUT', path, 201, { params, token, json: body });
  assert.equal(created.json.createdAt, created.json.updatedAt, show(created));
  const updated = await call('PUT', path, 200, { params, token, json: { name: 'Grace B. Hopper' } });
  assert.equal(updated.json.createdAt, created.json.createdAt, show(updated));
  await bodyErrors('PUT', path, { params });
  await call('PUT', path, 404, { params: { ...params, systemId: NO_SYSTEM }, token, json: body });
  await call('PUT', path, 422, { params, token, json: { attributes: 'admin' } });
});

test('POST /v1/systems/{systemId}/end-users/{endUserId}/tokens', async () => {
  const path = '/v1/systems/{systemId}/end-users/{endUserId}/tokens';
  const params = { systemId: sys.id, endUserId: 'ada@example.com' };
  await call('POST', path, 201, { params, token });
  checkRequest('POST', path, { expiresIn: 3600 });
  await call('POST', path, 201, { params, token, json: { expiresIn: 3600 } });
  await bodyErrors('POST', path, { params });
  await call('POST', path, 404, { params: { ...params, systemId: NO_SYSTEM }, token });
  await call('POST', path, 422, { params, token, json: { expiresIn: 5 } });
});

test('POST /v1/api-keys', async () => {
  const body = { name: 'zapier', scopes: ['notifications:write'] };
  checkRequest('POST', '/v1/api-keys', body);
  const r = await call('POST', '/v1/api-keys', 201, { token, json: body });
  assert.equal(r.headers.get('location'), `/v1/api-keys/${r.json.clientId}`);
  await bodyErrors('POST', '/v1/api-keys');
  // a key cannot grant a scope its caller lacks
  await call('POST', '/v1/api-keys', 403, { token: adminWrite, json: body });
  await call('POST', '/v1/api-keys', 422, { token, json: { name: 'x', scopes: ['root'] } });
});

test('GET /v1/api-keys', async () => {
  const r = await call('GET', '/v1/api-keys', 200, { token });
  assert.ok(r.json.items.every((k) => !('clientSecret' in k)));
  await call('GET', '/v1/api-keys', 401, {});
  await call('GET', '/v1/api-keys', 403, { token: notifRead });
});

test('DELETE /v1/api-keys/{clientId}', async () => {
  const path = '/v1/api-keys/{clientId}';
  const key = await call('POST', '/v1/api-keys', 201, { token, json: { name: 'short-lived', scopes: ['admin:read'] } });
  const params = { clientId: key.json.clientId };
  await call('DELETE', path, 401, { params });
  await call('DELETE', path, 403, { params, token: notifRead });
  await call('DELETE', path, 204, { params, token });
  await call('DELETE', path, 404, { params, token });
  const listed = await call('GET', '/v1/api-keys', 200, { token });
  assert.ok(listed.json.items.find((k) => k.clientId === params.clientId)?.revokedAt, 'a revoked key is listed with revokedAt');
});

// ---- operations: systems, templates, end users, audiences, API keys (administration) ----

test('DELETE /v1/systems/{systemId}', async () => {
  const path = '/v1/systems/{systemId}';
  const other = await makeSystem(h, token, 'To delete');
  const t = await makeTemplate(h, token, other.id, { name: 'x', title: 'Going away' });
  const sent2 = await call('POST', '/v1/notifications', 202, { token, json: { notification: { systemId: other.id, templateId: t.id, endUsersIds: ['ada@example.com'] } } });
  const params = { systemId: other.id };
  await call('DELETE', path, 401, { params });
  await call('DELETE', path, 403, { params, token: notifRead });
  const busy = await call('DELETE', path, 409, { params, token });
  assert.match(busy.json.error.message, /cascade=true/);
  await call('DELETE', path, 422, { params, token, query: { cascade: 'yes' } });
  await call('DELETE', path, 204, { params, token, query: { cascade: 'true' } });
  await call('DELETE', path, 404, { params, token });
  await call('GET', path, 404, { params, token });
  const n = await call('GET', '/v1/notifications/{notificationId}', 200, { params: { notificationId: sent2.json.id }, token });
  assert.equal(n.json.status, 'cancelled', show(n));
  const empty = await makeSystem(h, token, 'Empty');
  await call('DELETE', path, 204, { params: { systemId: empty.id }, token });
  await call('DELETE', path, 404, { params: { systemId: 'not-a-system' }, token });
});

test('GET /v1/systems/{systemId}/templates', async () => {
  const path = '/v1/systems/{systemId}/templates';
  const params = { systemId: sys.id };
  const r = await call('GET', path, 200, { params, token });
  assert.ok(r.json.items.some((t) => t.id === tpl.id), show(r));
  const page = await call('GET', path, 200, { params, token, query: { archived: 'true', limit: '1' } });
  assert.equal(page.json.items.length, 1, show(page));
  await call('GET', path, 200, { params, token, query: { cursor: page.json.nextCursor } });
  await call('GET', path, 401, { params });
  await call('GET', path, 403, { params, token: notifRead });
  await call('GET', path, 404, { params: { systemId: NO_SYSTEM }, token });
  await call('GET', path, 422, { params, token, query: { archived: 'yes', limit: '500' } });
});

test('PUT /v1/systems/{systemId}/templates/{templateId}', async () => {
  const path = '/v1/systems/{systemId}/templates/{templateId}';
  const t = await makeTemplate(h, token, sys.id, { name: 'Draft', title: 'Draft ###X###' });
  const params = { systemId: sys.id, templateId: t.id };
  const body = { name: 'Final', title: 'Final ###X### ###Y###', description: 'about ###Y###', button: { text: 'Go', url: 'https://example.com/###X###' }, notificationType: 'popup' };
  checkRequest('PUT', path, body);
  const r = await call('PUT', path, 200, { params, token, json: body });
  assert.deepEqual(r.json.placeholders, ['X', 'Y']);
  assert.equal(r.json.locked, false);
  await bodyErrors('PUT', path, { params });
  await call('PUT', path, 404, { params: { ...params, templateId: NO_UUID }, token, json: body });
  await call('PUT', path, 404, { params: { ...params, systemId: NO_SYSTEM }, token, json: body });
  await call('PUT', path, 422, { params, token, json: { name: 'x', title: 'y', button: { text: 'Go', url: 'ftp://x' } } });
  // used by a notification: locked
  await call('POST', '/v1/notifications', 202, { token, json: { notification: { systemId: sys.id, templateId: t.id, endUsersIds: ['nobody@example.com'], override: [{ key: 'X', value: 'x' }, { key: 'Y', value: 'y' }] } } });
  const locked = await call('PUT', path, 409, { params, token, json: body });
  assert.match(locked.json.error.message, /duplicate/);
  const got = await call('GET', path, 200, { params, token });
  assert.equal(got.json.locked, true, show(got));
});

test('DELETE /v1/systems/{systemId}/templates/{templateId}', async () => {
  const path = '/v1/systems/{systemId}/templates/{templateId}';
  const t = await makeTemplate(h, token, sys.id, { name: 'Old', title: 'Old' });
  const params = { systemId: sys.id, templateId: t.id };
  await call('DELETE', path, 401, { params });
  await call('DELETE', path, 403, { params, token: notifRead });
  await call('DELETE', path, 204, { params, token });
  await call('DELETE', path, 204, { params, token });
  await call('DELETE', path, 404, { params: { ...params, templateId: NO_UUID }, token });
  const got = await call('GET', path, 200, { params, token });
  assert.equal(got.json.archived, true, show(got));
  await call('PUT', path, 409, { params, token, json: { name: 'Old', title: 'New' } });
  await call('POST', '/v1/notifications', 404, { token, json: { notification: { systemId: sys.id, templateId: t.id, endUsersIds: ['ada@example.com'] } } });
});

test('POST /v1/systems/{systemId}/templates/{templateId}/duplicate', async () => {
  const path = '/v1/systems/{systemId}/templates/{templateId}/duplicate';
  const params = { systemId: sys.id, templateId: tpl.id };
  const r = await call('POST', path, 201, { params, token });
  assert.equal(r.json.name, 'Lead assigned (copy)');
  assert.equal(r.headers.get('location'), `/v1/systems/${sys.id}/templates/${r.json.id}`);
  checkRequest('POST', path, { name: 'Lead assigned v2' });
  const named = await call('POST', path, 201, { params, token, json: { name: 'Lead assigned v2' } });
  assert.equal(named.json.name, 'Lead assigned v2');
  assert.deepEqual(named.json.placeholders, ['OPP', 'URL']);
  await bodyErrors('POST', path, { params });
  await call('POST', path, 404, { params: { ...params, templateId: NO_UUID }, token });
  await call('POST', path, 422, { params, token, json: { nmae: 'x' } });
});

test('POST /v1/systems/{systemId}/templates/{templateId}/preview', async () => {
  const path = '/v1/systems/{systemId}/templates/{templateId}/preview';
  const params = { systemId: sys.id, templateId: tpl.id };
  const none = await call('POST', path, 200, { params, token });
  assert.deepEqual(none.json.missing, ['OPP', 'URL']);
  const body = { override: [{ key: 'OPP', value: 'Acme renewal' }] };
  checkRequest('POST', path, body);
  const r = await call('POST', path, 200, { params, token: adminRead, json: body });
  assert.equal(r.json.title, 'New lead: Acme renewal');
  assert.deepEqual(r.json.missing, ['URL']);
  await call('POST', path, 200, { params: { ...params, templateId: tplPlain.id }, token, json: {} });
  await bodyErrors('POST', path, { params });
  await call('POST', path, 404, { params: { ...params, templateId: NO_UUID }, token });
  await call('POST', path, 422, { params, token, json: { override: [{ key: 'NOPE', value: 'x' }] } });
});

test('POST /v1/systems/{systemId}/end-users', async () => {
  const path = '/v1/systems/{systemId}/end-users';
  const params = { systemId: sys.id };
  const body = { endUsers: [
    { id: 'ada@example.com', name: 'Ada Lovelace', email: 'ada@example.com', attributes: { department: 'Sales', title: 'Sales manager' } },
    { id: 'linus@example.com', attributes: { department: 'Engineering', level: 3 } },
    { id: 'margaret@example.com', name: 'Margaret Hamilton', attributes: { department: 'Sales' } },
  ] };
  checkRequest('POST', path, body);
  const r = await call('POST', path, 200, { params, token, json: body });
  assert.deepEqual(r.json.errors, [], show(r));
  const mixed = await call('POST', path, 200, { params, token, json: { endUsers: [{ id: 'ada@example.com', name: 'Ada', attributes: { department: 'Sales' } }, { id: '' }, 'x', { id: 'ada@example.com' }, { id: 'z@example.com', emial: 'z' }] } });
  assert.equal(mixed.json.updated, 1, show(mixed));
  assert.deepEqual(mixed.json.errors.map((e) => e.index), [1, 2, 3, 4], show(mixed));
  await bodyErrors('POST', path, { params, length: BULK_TOO_LARGE });
  await call('POST', path, 404, { params: { systemId: NO_SYSTEM }, token, json: body });
  await call('POST', path, 422, { params, token, json: { endUsers: { id: 'ada@example.com' } } });
});

test('GET /v1/systems/{systemId}/end-users', async () => {
  const path = '/v1/systems/{systemId}/end-users';
  const params = { systemId: sys.id };
  const r = await call('GET', path, 200, { params, token });
  assert.ok(r.json.items.some((u) => u.id === 'ada@example.com'), show(r));
  const page = await call('GET', path, 200, { params, token, query: { search: 'EXAMPLE', limit: '1' } });
  assert.equal(page.json.items.length, 1, show(page));
  await call('GET', path, 200, { params, token, query: { search: 'example', cursor: page.json.nextCursor } });
  await call('GET', path, 401, { params });
  await call('GET', path, 403, { params, token: notifRead });
  await call('GET', path, 404, { params: { systemId: NO_SYSTEM }, token });
  await call('GET', path, 422, { params, token, query: { limit: '0', cursor: '!' } });
});

test('GET /v1/systems/{systemId}/end-users/{endUserId}', async () => {
  const path = '/v1/systems/{systemId}/end-users/{endUserId}';
  const params = { systemId: sys.id, endUserId: 'ada@example.com' };
  const r = await call('GET', path, 200, { params, token });
  assert.equal(r.json.attributes.department, 'Sales', show(r));
  await call('GET', path, 401, { params });
  await call('GET', path, 403, { params, token: notifRead });
  await call('GET', path, 404, { params: { ...params, endUserId: 'nobody@example.com' }, token });
  await call('GET', path, 404, { params: { ...params, systemId: NO_SYSTEM }, token });
  await call('GET', path, 422, { params: { ...params, endUserId: '<end user id>' }, token });
});

test('DELETE /v1/systems/{systemId}/end-users/{endUserId}', async () => {
  const path = '/v1/systems/{systemId}/end-users/{endUserId}';
  const params = { systemId: sys.id, endUserId: 'leaving@example.com' };
  await call('PUT', path, 201, { params, token, json: { name: 'Leaving' } });
  await call('DELETE', path, 401, { params });
  await call('DELETE', path, 403, { params, token: notifRead });
  await call('DELETE', path, 204, { params, token });
  await call('DELETE', path, 404, { params, token });
  await call('DELETE', path, 422, { params: { ...params, endUserId: '<end user id>' }, token });
});

const salesRules = { all: [{ attribute: 'department', operator: 'IS', value: 'Sales' }] };
let audience; // an explicit member list
let ruleAudience;

test('POST /v1/systems/{systemId}/audiences', async () => {
  const path = '/v1/systems/{systemId}/audiences';
  const params = { systemId: sys.id };
  const body = { name: 'Sales EMEA', endUsersIds: ['ada@example.com', 'grace@example.com', 'ada@example.com'] };
  checkRequest('POST', path, body);
  const r = await call('POST', path, 201, { params, token, json: body });
  audience = r.json;
  assert.equal(r.json.size, 2, show(r));
  assert.equal(r.headers.get('location'), `/v1/systems/${sys.id}/audiences/${r.json.id}`);
  const rules = { name: 'Sales', rules: { all: [salesRules.all[0], { any: [{ attribute: 'title', operator: 'like', value: '%manager%' }, { attribute: 'level', operator: 'is not', value: 1 }] }] } };
  checkRequest('POST', path, rules);
  const rr = await call('POST', path, 201, { params, token, json: { name: 'Sales', rules: salesRules } });
  ruleAudience = rr.json;
  assert.equal(rr.json.rules.all[0].operator, 'is', show(rr));
  assert.equal(rr.json.size, 2, show(rr));
  await call('POST', path, 201, { params, token, json: rules });
  await bodyErrors('POST', path, { params, length: BULK_TOO_LARGE });
  await call('POST', path, 404, { params: { systemId: NO_SYSTEM }, token, json: body });
  const bad = await call('POST', path, 422, { params, token, json: { name: 'x', endUsersIds: ['a'], rules: { all: [{ attribute: 'department', operator: 'equals', value: 'x' }] } } });
  assert.ok(bad.json.error.details.length >= 2, show(bad));
});

test('GET /v1/systems/{systemId}/audiences', async () => {
  const path = '/v1/systems/{systemId}/audiences';
  const params = { systemId: sys.id };
  const r = await call('GET', path, 200, { params, token });
  assert.ok(r.json.items.some((a) => a.id === audience.id), show(r));
  const page = await call('GET', path, 200, { params, token, query: { limit: '1' } });
  assert.ok(page.json.nextCursor, show(page));
  await call('GET', path, 200, { params, token, query: { cursor: page.json.nextCursor } });
  await call('GET', path, 401, { params });
  await call('GET', path, 403, { params, token: notifRead });
  await call('GET', path, 404, { params: { systemId: NO_SYSTEM }, token });
  await call('GET', path, 422, { params, token, query: { cursor: 'x' } });
});

test('POST /v1/systems/{systemId}/audiences/preview', async () => {
  const path = '/v1/systems/{systemId}/audiences/preview';
  const params = { systemId: sys.id };
  const body = { rules: salesRules };
  checkRequest('POST', path, body);
  const r = await call('POST', path, 200, { params, token: adminRead, json: body });
  assert.equal(r.json.count, 2, show(r));
  await bodyErrors('POST', path, { params });
  await call('POST', path, 404, { params: { systemId: NO_SYSTEM }, token, json: body });
  await call('POST', path, 422, { params, token, json: {} });
});

test('GET /v1/systems/{systemId}/audiences/{audienceId}', async () => {
  const path = '/v1/systems/{systemId}/audiences/{audienceId}';
  const params = { systemId: sys.id, audienceId: audience.id };
  await call('GET', path, 200, { params, token });
  await call('GET', path, 200, { params: { ...params, audienceId: ruleAudience.id }, token });
  await call('GET', path, 401, { params });
  await call('GET', path, 403, { params, token: notifRead });
  await call('GET', path, 404, { params: { ...params, audienceId: NO_UUID }, token });
  await call('GET', path, 404, { params: { ...params, audienceId: 'nope' }, token });
});

test('POST /v1/systems/{systemId}/audiences/{audienceId}/members', async () => {
  const path = '/v1/systems/{systemId}/audiences/{audienceId}/members';
  const params = { systemId: sys.id, audienceId: audience.id };
  const body = { endUsersIds: ['linus@example.com', 'ada@example.com'] };
  checkRequest('POST', path, body);
  const r = await call('POST', path, 200, { params, token, json: body });
  assert.deepEqual(r.json, { added: 1, size: 3 });
  await bodyErrors('POST', path, { params, length: BULK_TOO_LARGE });
  await call('POST', path, 404, { params: { ...params, audienceId: NO_UUID }, token, json: body });
  await call('POST', path, 409, { params: { ...params, audienceId: ruleAudience.id }, token, json: body });
  await call('POST', path, 422, { params, token, json: { endUsersIds: [''] } });
});

test('DELETE /v1/systems/{systemId}/audiences/{audienceId}/members/{endUserId}', async () => {
  const path = '/v1/systems/{systemId}/audiences/{audienceId}/members/{endUserId}';
  const params = { systemId: sys.id, audienceId: audience.id, endUserId: 'linus@example.com' };
  await call('DELETE', path, 401, { params });
  await call('DELETE', path, 403, { params, token: notifRead });
  await call('DELETE', path, 204, { params, token });
  await call('DELETE', path, 404, { params, token });
  await call('DELETE', path, 409, { params: { ...params, audienceId: ruleAudience.id, endUserId: 'ada@example.com' }, token });
});

test('DELETE /v1/systems/{systemId}/audiences/{audienceId}', async () => {
  const path = '/v1/systems/{systemId}/audiences/{audienceId}';
  const a = await call('POST', '/v1/systems/{systemId}/audiences', 201, { params: { systemId: sys.id }, token, json: { name: 'Temp' } });
  const params = { systemId: sys.id, audienceId: a.json.id };
  await call('DELETE', path, 401, { params });
  await call('DELETE', path, 403, { params, token: notifRead });
  await call('DELETE', path, 204, { params, token });
  await call('DELETE', path, 404, { params, token });
  await call('GET', path, 404, { params, token });
  await call('POST', '/v1/systems/{systemId}/audiences/{audienceId}/members', 404, { params, token, json: { endUsersIds: ['ada@example.com'] } });
});

test('POST /v1/systems/{systemId}/signing-secret', async () => {
  const path = '/v1/systems/{systemId}/signing-secret';
  const own = await call('POST', '/v1/systems', 201, { token, json: { name: 'Rotating' } });
  const params = { systemId: own.json.id };
  const user = await call('POST', '/v1/systems/{systemId}/end-users/{endUserId}/tokens', 201,
    { params: { ...params, endUserId: 'ada' }, token });
  await call('GET', '/v1/me/notifications', 200, { token: user.json.token });
  await call('POST', path, 401, { params });
  await call('POST', path, 403, { params, token: notifRead });
  const r = await call('POST', path, 200, { params, token });
  assert.notEqual(r.json.signingSecret, own.json.signingSecret);
  await call('GET', '/v1/me/notifications', 401, { token: user.json.token });
  await call('POST', path, 404, { params: { systemId: 'f'.repeat(32) }, token });
});

test('POST /v1/api-keys/{clientId}/rotate', async () => {
  const path = '/v1/api-keys/{clientId}/rotate';
  const key = await call('POST', '/v1/api-keys', 201, { token, json: { name: 'rotating', scopes: ['notifications:write'] } });
  const params = { clientId: key.json.clientId };
  const old = await getToken(h, { clientId: key.json.clientId, clientSecret: key.json.clientSecret });
  await call('POST', path, 401, { params });
  await call('POST', path, 403, { params, token: notifRead });
  await call('POST', path, 403, { params, token: adminWrite }); // the key has a scope adminWrite lacks
  const r = await call('POST', path, 200, { params, token });
  assert.equal(r.json.clientId, key.json.clientId);
  assert.notEqual(r.json.clientSecret, key.json.clientSecret);
  await getToken(h, { clientId: key.json.clientId, clientSecret: r.json.clientSecret });
  await call('GET', '/v1/notifications', 401, { token: old });
  await call('POST', path, 404, { params: { clientId: 'hk_nobody' }, token });
  await call('DELETE', '/v1/api-keys/{clientId}', 204, { params, token });
  await call('POST', path, 404, { params, token });
});

// ---- operations: notifications ----

const trigger = (changes = {}) => ({
  notification: {
    systemId: sys.id, templateId: tpl.id, endUsersIds: ['ada@example.com'], title: 'Lead assigned (Salesforce)',
    override: [{ key: 'OPP', value: 'Acme renewal' }, { key: '###URL###', value: 'https://crm.example.com/o/42' }],
    ...changes,
  },
});
let sent; // a 202 body

test('POST /v1/notifications', async () => {
  const path = '/v1/notifications';
  const body = trigger();
  checkRequest('POST', path, body);
  const key = `openapi-${Date.now()}`;
  const r = await call('POST', path, 202, { token, json: body, headers: { 'idempotency-key': key } });
  sent = r.json;
  assert.equal(r.headers.get('location'), `/v1/notifications/${r.json.id}`);
  assert.equal(r.headers.get('idempotent-replayed'), null);
  const again = await call('POST', path, 202, { token, json: body, headers: { 'idempotency-key': key } });
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.json.id, sent.id);
  await call('POST', path, 409, { token, json: trigger({ title: 'Another' }), headers: { 'idempotency-key': key } });

  const later = trigger({ startAt: '2030-01-01 09:00', endAt: '2030-01-31', notificationType: 'Popup', templateId: tplPlain.id, override: [] });
  checkRequest('POST', path, later);
  const s = await call('POST', path, 202, { token, json: later });
  assert.equal(s.json.status, 'scheduled');

  const dry = await call('POST', path, 200, { query: { dryRun: 'true' }, token, json: body });
  assert.equal(dry.json.runtimeTitle, 'New lead: Acme renewal');
  await call('POST', path, 200, { query: { dryRun: 'true' }, token, json: later });

  await bodyErrors('POST', path);
  await call('POST', path, 400, { token, json: body, headers: { 'idempotency-key': 'not a key' } });
  await call('POST', path, 404, { token, json: trigger({ templateId: NO_UUID }) });
  await call('POST', path, 404, { token, json: trigger({ systemId: NO_SYSTEM }) });
  const bad = await call('POST', path, 422, { token, json: trigger({ notificationType: 'banner', tittle: 'x' }) });
  assert.ok(bad.json.error.details.length >= 2, show(bad));
});

test('GET /v1/notifications', async () => {
  const path = '/v1/notifications';
  const r = await call('GET', path, 200, { token });
  assert.ok(r.json.items.some((n) => n.id === sent?.id), show(r));
  const page = await call('GET', path, 200, { token: notifRead, query: { systemId: sys.id, status: 'active', limit: '1' } });
  assert.equal(page.json.items.length, 1, show(page));
  if (page.json.nextCursor) await call('GET', path, 200, { token, query: { cursor: page.json.nextCursor } });
  await call('GET', path, 401, {});
  await call('GET', path, 403, { token: adminWrite });
  await call('GET', path, 422, { token, query: { status: 'activ' } });
  await call('GET', path, 422, { token, query: { limit: '0', cursor: 'x' } });
});

test('GET /v1/notifications/{notificationId}', async () => {
  const path = '/v1/notifications/{notificationId}';
  const r = await call('GET', path, 200, { params: { notificationId: sent?.id ?? NO_UUID }, token });
  assert.equal(r.json.stats.targeted, 1, show(r));
  await call('GET', path, 401, { params: { notificationId: NO_UUID } });
  await call('GET', path, 403, { params: { notificationId: NO_UUID }, token: adminWrite });
  await call('GET', path, 404, { params: { notificationId: NO_UUID }, token });
  await call('GET', path, 404, { params: { notificationId: 'nope' }, token });
});

test('GET /v1/me/notifications', async () => {
  const path = '/v1/me/notifications';
  const t = await call('POST', '/v1/systems/{systemId}/end-users/{endUserId}/tokens', 201,
    { params: { systemId: sys.id, endUserId: 'ada@example.com' }, token });
  const userToken = t.json.token;
  const r = await call('GET', path, 200, { token: userToken });
  assert.ok(r.json.items.some((i) => i.id === sent?.id), show(r));
  await call('GET', path, 200, { query: { access_token: userToken, unread: 'true', limit: '1' } });
  await call('GET', path, 401, {});
  await call('GET', path, 401, { token }); // an API token is not an end-user token
  await call('GET', path, 422, { token: userToken, query: { limit: '0' } });
});

test('DELETE /v1/notifications/{notificationId}', async () => {
  const path = '/v1/notifications/{notificationId}';
  const r = await call('POST', '/v1/notifications', 202, { token, json: trigger() });
  const params = { notificationId: r.json.id };
  await call('DELETE', path, 401, { params });
  await call('DELETE', path, 403, { params, token: notifRead });
  await call('DELETE', path, 204, { params, token });
  await call('DELETE', path, 409, { params, token });
  await call('DELETE', path, 404, { params: { notificationId: NO_UUID }, token });
  const after = await call('GET', '/v1/notifications/{notificationId}', 200, { params, token });
  assert.equal(after.json.status, 'cancelled');
});

// ---- operations: the end user's client ----

/** GET /v1/me/stream: reads the first bytes of the stream (or the whole error), then aborts. */
async function stream(expect, { query, headers = {} } = {}) {
  const path = `/v1/me/stream${query ? `?${new URLSearchParams(query)}` : ''}`;
  const ac = new AbortController();
  const res = await fetch(h.url + path, { headers, signal: ac.signal });
  let text;
  if (res.status === 200) {
    const reader = res.body.getReader();
    const { value } = await reader.read();
    text = new TextDecoder().decode(value);
    ac.abort();
    await reader.cancel().catch(() => {});
  } else {
    text = await res.text();
  }
  record('GET', '/v1/me/stream', res.status);
  checkResponse('GET', '/v1/me/stream', res.status, text, res.headers);
  assert.equal(res.status, expect, `GET ${path}: ${res.status} ${text}`);
  return { status: res.status, headers: res.headers, text };
}

test('GET /v1/me/stream', async () => {
  const userToken = await endUserToken('ada@example.com');
  const r = await stream(200, { headers: { authorization: `Bearer ${userToken}` } });
  assert.match(r.headers.get('content-type'), /^text\/event-stream/);
  assert.match(r.text, /^retry: 3000\n/);
  const replay = await stream(200, { query: { access_token: userToken, lastEventId: '0' } });
  assert.match(replay.headers.get('content-type'), /^text\/event-stream/);
  await stream(200, { query: { access_token: userToken }, headers: { 'last-event-id': '0' } });
  await stream(401);
  await stream(401, { headers: { authorization: `Bearer ${token}` } }); // an API token is not an end-user token
});

for (const what of ['seen', 'clicked', 'dismissed']) {
  test(`POST /v1/me/notifications/{notificationId}/${what}`, async () => {
    const path = `/v1/me/notifications/{notificationId}/${what}`;
    const userToken = await endUserToken('ada@example.com');
    const params = { notificationId: sent?.id ?? NO_UUID };
    await call('POST', path, 204, { params, token: userToken });
    await call('POST', path, 204, { params, query: { access_token: userToken } });
    await call('POST', path, 401, { params });
    await call('POST', path, 401, { params, token });
    await call('POST', path, 404, { params: { notificationId: NO_UUID }, token: userToken });
    await call('POST', path, 404, { params: { notificationId: 'nope' }, token: userToken });
    const other = await endUserToken('nobody-else@example.com');
    await call('POST', path, 404, { params, token: other });
  });
}

test('read state shows in the list and the stats', async () => {
  const userToken = await endUserToken('ada@example.com');
  const list = await call('GET', '/v1/me/notifications', 200, { token: userToken });
  assert.ok(!list.json.items.some((i) => i.id === sent?.id), `a dismissed notification leaves the list: ${show(list)}`);
  const n = await call('GET', '/v1/notifications/{notificationId}', 200, { params: { notificationId: sent?.id ?? NO_UUID }, token });
  const { seen: s1, clicked, dismissed } = n.json.stats;
  assert.deepEqual({ seen: s1, clicked, dismissed }, { seen: 1, clicked: 1, dismissed: 1 }, show(n));
});

test('POST /v1/notifications past the key\'s rate limit', async () => {
  const limited = await startHerald({ args: ['--rate-limit', '1'] });
  try {
    const tok = await getToken(limited);
    const lsys = await makeSystem(limited, tok, 'Limited');
    const ltpl = await makeTemplate(limited, tok, lsys.id, { name: 'Ping', title: 'Ping' });
    const json = { notification: { templateId: ltpl.id, endUsersIds: ['ada@example.com'] } };
    for (const expect of [202, 429]) {
      const r = await api(limited, 'POST', '/v1/notifications', { token: tok, json });
      record('POST', '/v1/notifications', r.status);
      checkResponse('POST', '/v1/notifications', r.status, r.text, r.headers);
      assert.equal(r.status, expect, show(r));
    }
  } finally {
    await limited.stop();
  }
});

// ---- coverage ----

test('every documented operation was called, with a success and each documented error', (t) => {
  const missing = [];
  for (const { method, path, op } of operations()) {
    const key = `${method} ${path}`;
    const got = seen.get(key) ?? new Set();
    const success = Object.keys(op.responses).some((s) => s.startsWith('2')) ? '2' : '3'; // 3: a redirect
    if (![...got].some((s) => s.startsWith(success))) missing.push(`${key}: no success seen`);
    for (const s of Object.keys(op.responses)) {
      if (!got.has(s) && !UNREACHABLE.has(s)) missing.push(`${key}: documented ${s} never seen`);
    }
    t.diagnostic(`${key}: ${[...got].sort().join(' ')}`);
  }
  assert.deepEqual(missing, [], `not exercised:\n  ${missing.join('\n  ')}`);
});
