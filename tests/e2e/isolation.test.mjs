// isolation.test.mjs: tenants and scopes (SPEC §1, §2, §5). Every route of src/api/routes.c is
// tried with another account's ids (404, and nothing changes) and with a key lacking its scope
// (403, and nothing changes); lists never show another account's data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startHerald, getToken, api, runCli, makeSystem, makeTemplate } from './lib/herald.mjs';

/** The API-token routes of the route table: {method, path, scope}. */
function apiRoutes() {
  const src = readFileSync(join(ROOT, 'src/api/routes.c'), 'utf8');
  const rows = [...src.matchAll(/\{HTTP_(\w+),\s*"([^"]+)",\s*\w+,\s*HD_AUTH_(\w+),\s*(\w+)/g)];
  return rows.filter((r) => r[3] === 'API').map((r) => ({ method: r[1], path: r[2], scope: r[4] }));
}

let h, a, b, ids;
before(async () => {
  h = await startHerald();
  a = await getToken(h);
  const acc = await runCli(['accounts', 'create', ...h.store, '--name', 'Other company']);
  assert.equal(acc.code, 0);
  b = await getToken(h, { clientId: acc.json.clientId, clientSecret: acc.json.clientSecret });
  const system = await makeSystem(h, a, 'A');
  const template = await makeTemplate(h, a, system.id, { name: 't', title: 'Hi' });
  assert.equal((await api(h, 'PUT', `/v1/systems/${system.id}/end-users/ada.lovelace`, { token: a, json: { name: 'Ada' } })).status, 201);
  const audience = await api(h, 'POST', `/v1/systems/${system.id}/audiences`, { token: a, json: { name: 'aud', endUsersIds: ['ada.lovelace'] } });
  assert.equal(audience.status, 201);
  const n = await api(h, 'POST', '/v1/notifications', { token: a, json: { notification: { templateId: template.id, endUsersIds: ['ada.lovelace'] } } });
  assert.equal(n.status, 202);
  const key = await api(h, 'POST', '/v1/api-keys', { token: a, json: { name: 'k', scopes: ['notifications:write'] } });
  assert.equal(key.status, 201);
  ids = { system: system.id, template: template.id, user: 'ada.lovelace', /* no id, key or date can contain it by chance, as they could 'ada' */ audience: audience.json.id, notification: n.json.id, key: key.json.clientId };
});
after(async () => { await h.stop(); });

/** The path with A's ids, and a body that would be valid in A's account. */
function request(route) {
  const segs = route.path.split('/');
  const fill = { systems: ids.system, templates: ids.template, 'end-users': ids.user, audiences: ids.audience, members: ids.user, notifications: ids.notification, 'api-keys': ids.key };
  const path = segs.map((s, i) => (s === '{}' ? fill[segs[i - 1]] : s)).join('/');
  const bodies = {
    'POST /v1/systems/{}/templates': { name: 'x', title: 'y' },
    'PUT /v1/systems/{}/templates/{}': { name: 'x', title: 'y' },
    'POST /v1/systems/{}/templates/{}/preview': { override: [] },
    'PUT /v1/systems/{}/end-users/{}': { name: 'x' },
    'POST /v1/systems/{}/end-users': { endUsers: [{ id: 'z' }] },
    'POST /v1/systems/{}/audiences': { name: 'x', endUsersIds: ['z'] },
    'POST /v1/systems/{}/audiences/preview': { rules: { all: [{ attribute: 'id', operator: 'is', value: 'z' }] } },
    'POST /v1/systems/{}/audiences/{}/members': { endUsersIds: ['z'] },
    'POST /v1/notifications': { notification: { systemId: ids.system, templateId: ids.template, endUsersIds: ['z'] } },
    'POST /v1/systems': { name: 'x' },
    'POST /v1/api-keys': { name: 'x', scopes: ['admin:read'] },
  };
  return { path, json: bodies[`${route.method} ${route.path}`] };
}

async function unchanged() {
  const sys = await api(h, 'GET', `/v1/systems/${ids.system}`, { token: a });
  assert.equal(sys.status, 200, 'A\'s system is still there');
  const tpl = await api(h, 'GET', `/v1/systems/${ids.system}/templates/${ids.template}`, { token: a });
  assert.equal(tpl.json.name, 't');
  assert.notEqual(tpl.json.archived, true);
  const aud = await api(h, 'GET', `/v1/systems/${ids.system}/audiences/${ids.audience}`, { token: a });
  assert.equal(aud.json.size, 1);
  const user = await api(h, 'GET', `/v1/systems/${ids.system}/end-users/ada.lovelace`, { token: a });
  assert.equal(user.json.name, 'Ada');
  const n = await api(h, 'GET', `/v1/notifications/${ids.notification}`, { token: a });
  assert.equal(n.json.status, 'active');
  const keys = await api(h, 'GET', '/v1/api-keys', { token: a });
  assert.equal(keys.json.items.find((k) => k.clientId === ids.key).revokedAt, null);
}

test('another account gets 404 for every id of this one, and changes nothing', async () => {
  const tried = [];
  for (const route of apiRoutes()) {
    if (!route.path.includes('{}') && route.path !== '/v1/notifications') continue;
    if (route.method === 'GET' && route.path === '/v1/notifications') continue;
    const { path, json } = request(route);
    const r = await api(h, route.method, path, { token: b, json });
    assert.equal(r.status, 404, `${route.method} ${path} as the other account: ${r.status} ${r.text}`);
    assert.equal(r.json.error.code, 'not_found');
    assert.ok(!r.text.includes('"Hi"') && !r.text.includes('Ada'), `${route.method} ${path} leaks data`);
    tried.push(`${route.method} ${route.path}`);
  }
  assert.ok(tried.length >= 25, `tried ${tried.length} routes`);
  await unchanged();
});

test('lists never show another account\'s data', async () => {
  for (const path of ['/v1/systems', '/v1/notifications', '/v1/api-keys', `/v1/notifications?systemId=${ids.system}`]) {
    const r = await api(h, 'GET', path, { token: b });
    assert.equal(r.status, 200, path);
    for (const id of Object.values(ids)) assert.ok(!r.text.includes(id), `${path} shows ${id}`);
  }
});

test('a key without the route\'s scope gets 403 everywhere, and changes nothing', async () => {
  const lacking = {
    NOTIF_W: ['admin:write'], NOTIF_R: ['admin:write'],
    ADMIN_W: ['notifications:write', 'admin:read'], ADMIN_R: ['notifications:write'],
  };
  const tokens = {};
  for (const [scope, scopes] of Object.entries(lacking)) {
    const k = await api(h, 'POST', '/v1/api-keys', { token: a, json: { name: scope, scopes } });
    assert.equal(k.status, 201);
    tokens[scope] = await getToken(h, { clientId: k.json.clientId, clientSecret: k.json.clientSecret });
  }
  let tried = 0;
  for (const route of apiRoutes()) {
    const { path, json } = request(route);
    const r = await api(h, route.method, path, { token: tokens[route.scope], json });
    assert.equal(r.status, 403, `${route.method} ${path} without ${route.scope}: ${r.status} ${r.text}`);
    assert.equal(r.json.error.code, 'forbidden');
    tried++;
  }
  assert.ok(tried >= 30);
  await unchanged();
});

test('end users of one system reach nothing of another', async () => {
  const bsys = await makeSystem(h, b, 'B');
  const bt = await api(h, 'POST', `/v1/systems/${bsys.id}/end-users/ada.lovelace/tokens`, { token: b });
  assert.equal(bt.status, 201);
  const feed = await api(h, 'GET', '/v1/me/notifications', { token: bt.json.token });
  assert.equal(feed.status, 200);
  assert.equal(feed.json.items.length, 0, 'the same user id in another account sees nothing');
  const seen = await api(h, 'POST', `/v1/me/notifications/${ids.notification}/seen`, { token: bt.json.token });
  assert.equal(seen.status, 404);
  // a token for A's system signed with B's system secret is refused
  const forged = bt.json.token.split('.');
  const claims = JSON.parse(Buffer.from(forged[1], 'base64url'));
  claims.sys = ids.system;
  forged[1] = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const r = await api(h, 'GET', '/v1/me/notifications', { token: forged.join('.') });
  assert.equal(r.status, 401);
});
