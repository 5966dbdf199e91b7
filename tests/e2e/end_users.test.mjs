// end_users.test.mjs: /v1/systems/{id}/end-users (SPEC §5): upsert one, bulk upsert (10,000 in
// one call, timed; per-item errors), list with cursor pagination and search, get, delete (which
// erases the user's targets and state: their feed is empty if they come back).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, show, makeSystem, makeTemplate, SANITIZED } from './lib/herald.mjs';

let h;
let token;
let sys;

before(async () => {
  h = await startHerald();
  token = await getToken(h);
  sys = await makeSystem(h, token, 'HR');
});
after(async () => { await h.stop(); });

const base = () => `/v1/systems/${sys.id}/end-users`;
const put = (id, json, system = sys) =>
  api(h, 'PUT', `/v1/systems/${system.id}/end-users/${encodeURIComponent(id)}`, { token, json });
const bulk = (endUsers, system = sys) =>
  api(h, 'POST', `/v1/systems/${system.id}/end-users`, { token, json: { endUsers } });

function assertInvalid(r, field, pattern) {
  assert.equal(r.status, 422, show(r));
  assert.equal(r.json.error.code, 'validation_failed', show(r));
  const d = r.json.error.details.find((x) => x.field === field);
  assert.ok(d, `details name ${field}: ${r.text}`);
  if (pattern) assert.match(d.message, pattern, r.text);
}

test('upsert, get, update, delete one end user', async () => {
  let r = await put('ada@example.com', { name: 'Ada', email: 'ada@example.com', attributes: { department: 'Sales' } });
  assert.equal(r.status, 201, show(r));
  assert.equal(r.json.id, 'ada@example.com');
  assert.deepEqual(r.json.attributes, { department: 'Sales' });
  assert.ok(r.json.createdAt && r.json.updatedAt, show(r));
  r = await put('ada@example.com', { name: 'Ada L.' });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.name, 'Ada L.');
  r = await api(h, 'GET', `${base()}/ada%40example.com`, { token });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.name, 'Ada L.');
  assert.equal(r.json.systemId, sys.id);
  r = await api(h, 'DELETE', `${base()}/ada@example.com`, { token });
  assert.equal(r.status, 204, show(r));
  r = await api(h, 'GET', `${base()}/ada@example.com`, { token });
  assert.equal(r.status, 404, show(r));
  r = await api(h, 'DELETE', `${base()}/ada@example.com`, { token });
  assert.equal(r.status, 404, show(r));
});

test('upsert validation: unknown fields with a suggestion, lengths, ids', async () => {
  assertInvalid(await put('bob', { nmae: 'Bob' }), 'nmae', /did you mean `name`/);
  assertInvalid(await put('bob', { email: 'x'.repeat(400) }), 'email', /at most 320/);
  assertInvalid(await put('bob', { attributes: ['a'] }), 'attributes', /object/);
  const r = await bulk([{ id: 'bob\nsmith', name: 'Bob' }]);
  assert.equal(r.status, 200, show(r));
  assert.match(r.json.errors[0].message, /control characters/);
  assert.equal((await put('x'.repeat(257), {})).status, 422);
  assert.equal((await put('<end user id>', {})).status, 422);
});

test('a deleted end user comes back with nothing: no targets, no memberships', async () => {
  const tpl = await makeTemplate(h, token, sys.id, { name: 'T', title: 'Hello', notificationType: 'push' });
  assert.equal((await put('gone', { name: 'Gone' })).status, 201);
  const aud = await api(h, 'POST', `/v1/systems/${sys.id}/audiences`, { token, json: { name: 'A', endUsersIds: ['gone', 'stays'] } });
  assert.equal(aud.status, 201, show(aud));
  const n = await api(h, 'POST', '/v1/notifications', {
    token, json: { notification: { systemId: sys.id, templateId: tpl.id, endUsersIds: ['gone'] } },
  });
  assert.equal(n.status, 202, show(n));
  const tok = await api(h, 'POST', `${base()}/gone/tokens`, { token });
  assert.equal(tok.status, 201, show(tok));
  let feed = await api(h, 'GET', '/v1/me/notifications', { token: tok.json.token });
  assert.equal(feed.json.items.length, 1, show(feed));
  assert.equal((await api(h, 'DELETE', `${base()}/gone`, { token })).status, 204);
  feed = await api(h, 'GET', '/v1/me/notifications', { token: tok.json.token });
  assert.equal(feed.json.items.length, 0, show(feed));
  const a = await api(h, 'GET', `/v1/systems/${sys.id}/audiences/${aud.json.id}`, { token });
  assert.equal(a.json.size, 1, show(a));
});

test('bulk import of 10,000 end users in one call, then the same call updates them', async () => {
  const other = await makeSystem(h, token, 'Directory');
  const users = Array.from({ length: 10000 }, (_, i) => ({
    id: `user${String(i).padStart(5, '0')}@example.com`,
    name: `User ${i}`,
    email: `user${i}@example.com`,
    attributes: { department: i % 3 ? 'Sales' : 'R&D', office: `Office ${i % 7}` },
  }));
  const t0 = performance.now();
  let r = await bulk(users, other);
  const ms = performance.now() - t0;
  console.log(`bulk import of 10,000 end users: ${ms.toFixed(0)} ms${SANITIZED ? ' (sanitized build)' : ''}`);
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(r.json, { created: 10000, updated: 0, errors: [] });
  if (!SANITIZED) assert.ok(ms < 1000, `10,000 end users took ${ms.toFixed(0)} ms (limit 1000)`);
  r = await bulk(users.slice(0, 100), other);
  assert.deepEqual(r.json, { created: 0, updated: 100, errors: [] });
  r = await api(h, 'GET', `/v1/systems/${other.id}/end-users/user09999@example.com`, { token });
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(r.json.attributes, { department: 'R&D', office: 'Office 3' });
  const many = Array.from({ length: 10001 }, (_, i) => ({ id: `u${i}` }));
  assertInvalid(await bulk(many, other), 'endUsers', /at most 10000/);
});

test('bulk: invalid items are reported one by one, valid ones are stored', async () => {
  const r = await bulk([
    { id: 'carol', name: 'Carol' },
    { id: '', name: 'No id' },
    { id: 'dave', nmae: 'Dave' },
    'erin',
    { id: 'carol', name: 'Carol again' },
    { name: 'missing id' },
    { id: 'frank', email: 'f'.repeat(321) },
    { id: 'grace', attributes: { team: 'blue' } },
  ]);
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.created, 2, show(r));
  assert.equal(r.json.updated, 0);
  const byIndex = Object.fromEntries(r.json.errors.map((e) => [e.index, e]));
  assert.deepEqual(Object.keys(byIndex).map(Number), [1, 2, 3, 4, 5, 6], show(r));
  assert.match(byIndex[1].message, /endUsers\[1\]\.id/);
  assert.equal(byIndex[2].id, 'dave');
  assert.match(byIndex[2].message, /did you mean `name`/);
  assert.match(byIndex[3].message, /must be an object/);
  assert.match(byIndex[4].message, /first at index 0/);
  assert.match(byIndex[5].message, /id: is required/);
  assert.match(byIndex[6].message, /email/);
  assert.equal((await api(h, 'GET', `${base()}/carol`, { token })).json.name, 'Carol');
  assert.equal((await api(h, 'GET', `${base()}/dave`, { token })).status, 404);
  assertInvalid(await api(h, 'POST', base(), { token, json: { endUser: [] } }), 'endUser', /did you mean `endUsers`/);
});

test('list: cursor pagination past one page, and search by id, name or email', async () => {
  const dir = await makeSystem(h, token, 'Paged');
  const users = Array.from({ length: 120 }, (_, i) => ({
    id: `p${String(i).padStart(3, '0')}`,
    name: i === 42 ? 'Grace HOPPER' : `Person ${i}`,
    email: i === 7 ? 'seven@Navy.example' : undefined,
  }));
  assert.equal((await bulk(users, dir)).json.created, 120);
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const q = new URLSearchParams({ limit: '50', ...(cursor ? { cursor } : {}) });
    const r = await api(h, 'GET', `/v1/systems/${dir.id}/end-users?${q}`, { token });
    assert.equal(r.status, 200, show(r));
    seen.push(...r.json.items.map((u) => u.id));
    cursor = r.json.nextCursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, users.map((u) => u.id));

  const search = async (s) => {
    const r = await api(h, 'GET', `/v1/systems/${dir.id}/end-users?search=${encodeURIComponent(s)}`, { token });
    assert.equal(r.status, 200, show(r));
    return r.json.items.map((u) => u.id);
  };
  assert.deepEqual(await search('hopper'), ['p042']);
  assert.deepEqual(await search('NAVY'), ['p007']);
  assert.deepEqual(await search('p11'), Array.from({ length: 10 }, (_, i) => `p11${i}`));
  assert.deepEqual(await search('nobody'), []);
  let r = await api(h, 'GET', `/v1/systems/${dir.id}/end-users?limit=0`, { token });
  assertInvalid(r, 'limit');
  r = await api(h, 'GET', `/v1/systems/${dir.id}/end-users?cursor=!!`, { token });
  assertInvalid(r, 'cursor');
  r = await api(h, 'GET', `/v1/systems/${'0'.repeat(32)}/end-users`, { token });
  assert.equal(r.status, 404, show(r));
});
