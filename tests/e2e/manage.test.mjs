// manage.test.mjs: managing notifications (SPEC §4): the notification table (newest first,
// filters, cursor pages), one notification with its stats, cancel (gone from the user's list at
// once), the errors of each, tenancy and scopes. Audiences have no API yet: targeted through
// audiences is covered by the store's unit tests; here targeted counts direct ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, runCli, makeSystem, makeTemplate, sleep, show, SLOW } from './lib/herald.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const ITEM_KEYS = ['cancelledAt', 'createdAt', 'createdBy', 'endAt', 'id', 'notificationType',
  'runtimeTitle', 'startAt', 'status', 'systemId', 'templateId', 'title'];

let h;
let token;
let sys;
let sys2;
let tpl;
let tpl2;
const sent = {}; // name → 202 body

before(async () => {
  h = await startHerald();
  token = await getToken(h);
  sys = await makeSystem(h, token, 'Monitoring');
  sys2 = await makeSystem(h, token, 'CRM');
  const template = {
    name: 'Disk', title: 'Disk full', description: 'Server db1 is at 95%',
    button: { text: 'Open', url: 'https://status.example.com/db1' }, notificationType: 'push',
  };
  tpl = await makeTemplate(h, token, sys.id, template);
  tpl2 = await makeTemplate(h, token, sys2.id, { ...template, button: undefined, notificationType: 'popup' });
});
after(async () => { await h.stop(); });

/** Triggers a notification; distinct milliseconds keep UUIDv7 order equal to send order. */
async function send(name, changes = {}, { system = sys, template = tpl } = {}) {
  await sleep(3);
  const notification = { systemId: system.id, templateId: template.id, endUsersIds: ['ada@example.com'], ...changes };
  const r = await api(h, 'POST', '/v1/notifications', { token, json: { notification } });
  assert.equal(r.status, 202, show(r));
  sent[name] = r.json;
  return r.json;
}

const list = (query = '', tok = token) => api(h, 'GET', `/v1/notifications${query}`, { token: tok });

function assertError(r, status, code) {
  assert.equal(r.status, status, show(r));
  assert.equal(r.json?.error?.code, code, show(r));
  assert.equal(typeof r.json.error.message, 'string', show(r));
  return r.json.error;
}

async function keyToken(scopes) {
  const r = await runCli(['keys', 'create', ...h.store, '--name', scopes, '--scopes', scopes]);
  assert.equal(r.code, 0, `keys create: ${r.stderr}`);
  return getToken(h, { clientId: r.json.clientId, clientSecret: r.json.clientSecret });
}

async function userToken(systemId, who) {
  const r = await api(h, 'POST', `/v1/systems/${systemId}/end-users/${encodeURIComponent(who)}/tokens`, { token });
  assert.equal(r.status, 201, show(r));
  return r.json.token;
}

test('the table lists what was sent, newest first, with the console fields', async () => {
  // ends soon: completed by the time the cancel tests run
  await send('short', { title: 'Short one', endAt: new Date(Date.now() + 1500 * SLOW).toISOString() });
  await send('direct', { title: 'Disk alert', runtimeTitle: 'db1 disk', endUsersIds: ['ada@example.com', 'bob@example.com', 'ada@example.com'] });
  await send('later', { startAt: new Date(Date.now() + 86400_000).toISOString().slice(0, 16) });
  const r = await list();
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(r.json.items.map((i) => i.id), [sent.later.id, sent.direct.id, sent.short.id]);
  assert.equal(r.json.nextCursor, null);
  const item = r.json.items[1];
  assert.deepEqual(Object.keys(item).sort(), ITEM_KEYS, 'a row has no stats or description');
  assert.match(item.id, UUID);
  assert.equal(item.systemId, sys.id);
  assert.equal(item.templateId, tpl.id);
  assert.equal(item.title, 'Disk alert');
  assert.equal(item.runtimeTitle, 'db1 disk');
  assert.equal(item.notificationType, 'push');
  assert.equal(item.status, 'active');
  assert.equal(item.startAt, sent.direct.startAt);
  assert.equal(item.endAt, sent.direct.endAt);
  assert.match(item.createdAt, RFC3339_UTC);
  assert.equal(item.cancelledAt, null);
  assert.equal(item.createdBy, h.clientId, 'the client id of the key that sent it');
  assert.equal(r.json.items[0].status, 'scheduled', 'startAt in the future');
});

test('GET one: the notification with its description, button and stats', async () => {
  const r = await api(h, 'GET', `/v1/notifications/${sent.direct.id}`, { token });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.id, sent.direct.id);
  assert.equal(r.json.status, 'active');
  assert.equal(r.json.title, 'Disk alert');
  assert.equal(r.json.description, 'Server db1 is at 95%');
  assert.deepEqual(r.json.button, { text: 'Open', url: 'https://status.example.com/db1' });
  assert.deepEqual(r.json.stats, { targeted: 2, received: 0, seen: 0, clicked: 0, dismissed: 0 },
    'ada, given twice, counts once');
  const later = await api(h, 'GET', `/v1/notifications/${sent.later.id}`, { token });
  assert.equal(later.json.status, 'scheduled', show(later));
  assert.equal(later.json.stats.targeted, 1);
});

test('filters: status and systemId', async () => {
  const popup = await send('popup', {}, { system: sys2, template: tpl2 });
  const bySystem = await list(`?systemId=${sys2.id}`);
  assert.equal(bySystem.status, 200, show(bySystem));
  assert.deepEqual(bySystem.json.items.map((i) => i.id), [popup.id]);
  assert.equal(bySystem.json.items[0].notificationType, 'popup');
  const scheduled = await list('?status=scheduled');
  assert.deepEqual(scheduled.json.items.map((i) => i.id), [sent.later.id], show(scheduled));
  const active = await list(`?status=active&systemId=${sys.id}`);
  assert.ok(active.json.items.every((i) => i.status === 'active' && i.systemId === sys.id), show(active));
  assert.ok(active.json.items.some((i) => i.id === sent.direct.id), show(active));
  const none = await list('?status=cancelled');
  assert.deepEqual(none.json.items, []);
  const elsewhere = await list(`?systemId=${'0'.repeat(32)}`);
  assert.deepEqual(elsewhere.json.items, [], 'a system the account lacks lists nothing');
});

test('cursor pages: limit=2 over 5, newest first, then nextCursor null', async () => {
  const crm = await makeSystem(h, token, 'Paged');
  const t = await makeTemplate(h, token, crm.id, { name: 'P', title: 'Paged', notificationType: 'push' });
  const ids = [];
  for (let i = 0; i < 5; i++) ids.unshift((await send(`page${i}`, {}, { system: crm, template: t })).id);
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const r = await list(`?systemId=${crm.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, show(r));
    assert.ok(r.json.items.length <= 2, show(r));
    seen.push(...r.json.items.map((i) => i.id));
    cursor = r.json.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(seen, ids);
});

test('bad query parameters → 422 naming each one and the values it takes', async () => {
  const one = async (query, field, ...patterns) => {
    const e = assertError(await list(query), 422, 'validation_failed');
    const d = e.details.find((x) => x.field === field);
    assert.ok(d, `details name ${field}: ${JSON.stringify(e)}`);
    for (const p of patterns) assert.match(d.message, p);
  };
  await one('?status=banana', 'status', /scheduled, active, completed or cancelled/);
  await one('?status=canceled', 'status', /did you mean cancelled/);
  await one('?limit=0', 'limit', /1 to 200/);
  await one('?limit=201', 'limit', /1 to 200/);
  await one('?limit=ten', 'limit', /whole number/);
  await one('?systemId=CRM', 'systemId', /32 hexadecimal/);
  await one('?cursor=page-2', 'cursor', /nextCursor/);
  const all = assertError(await list('?status=x&limit=-1&cursor=x&systemId=x'), 422, 'validation_failed');
  assert.deepEqual(all.details.map((d) => d.field).sort(), ['cursor', 'limit', 'status', 'systemId']);
  const ok = await list('?status=ACTIVE&limit=200');
  assert.equal(ok.status, 200, `status in any case: ${show(ok)}`);
});

test('DELETE cancels: 204, gone from the user list at once; again → 409', async () => {
  const ada = await userToken(sys.id, 'ada@example.com');
  const before = await api(h, 'GET', '/v1/me/notifications', { token: ada });
  assert.ok(before.json.items.some((i) => i.id === sent.direct.id), show(before));
  const del = await api(h, 'DELETE', `/v1/notifications/${sent.direct.id}`, { token });
  assert.equal(del.status, 204, show(del));
  assert.equal(del.text, '');
  const after = await api(h, 'GET', '/v1/me/notifications', { token: ada });
  assert.equal(after.status, 200, show(after));
  assert.ok(!after.json.items.some((i) => i.id === sent.direct.id), `still listed: ${after.text}`);
  const got = await api(h, 'GET', `/v1/notifications/${sent.direct.id}`, { token });
  assert.equal(got.json.status, 'cancelled', show(got));
  assert.match(got.json.cancelledAt, RFC3339_UTC);
  const cancelled = await list('?status=cancelled');
  assert.deepEqual(cancelled.json.items.map((i) => i.id), [sent.direct.id]);
  const again = await api(h, 'DELETE', `/v1/notifications/${sent.direct.id}`, { token });
  assert.match(assertError(again, 409, 'conflict').message, /already cancelled/);
});

test('a scheduled one can be cancelled; a completed one cannot (409 saying so)', async () => {
  const del = await api(h, 'DELETE', `/v1/notifications/${sent.later.id}`, { token });
  assert.equal(del.status, 204, show(del));
  const wait = Date.parse(sent.short.endAt) - Date.now();
  if (wait > 0) await sleep(wait + 50);
  const done = await list('?status=completed');
  assert.deepEqual(done.json.items.map((i) => i.id), [sent.short.id], show(done));
  const r = await api(h, 'DELETE', `/v1/notifications/${sent.short.id}`, { token });
  assert.match(assertError(r, 409, 'conflict').message, /completed/);
});

test('unknown ids → 404 in the error format', async () => {
  for (const id of ['0190a8f0-0000-7000-8000-000000000000', 'nope', sys.id]) {
    assertError(await api(h, 'GET', `/v1/notifications/${id}`, { token }), 404, 'not_found');
    assertError(await api(h, 'DELETE', `/v1/notifications/${id}`, { token }), 404, 'not_found');
  }
});

test("another account's key: 404 on get and delete, and an empty table", async () => {
  const acc = await runCli(['accounts', 'create', ...h.store, '--name', 'Elsewhere']);
  assert.equal(acc.code, 0, acc.stderr);
  const theirs = await getToken(h, { clientId: acc.json.clientId, clientSecret: acc.json.clientSecret });
  const id = sent.popup.id;
  assertError(await api(h, 'GET', `/v1/notifications/${id}`, { token: theirs }), 404, 'not_found');
  assertError(await api(h, 'DELETE', `/v1/notifications/${id}`, { token: theirs }), 404, 'not_found');
  const r = await list('', theirs);
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(r.json.items, []);
  const still = await api(h, 'GET', `/v1/notifications/${id}`, { token });
  assert.equal(still.json.status, 'active', 'their DELETE changed nothing');
});

test('scopes: write implies read; read cannot cancel; admin alone cannot list', async () => {
  const writer = await keyToken('notifications:write');
  assert.equal((await list('', writer)).status, 200);
  assert.equal((await api(h, 'GET', `/v1/notifications/${sent.popup.id}`, { token: writer })).status, 200);
  const reader = await keyToken('notifications:read');
  assert.equal((await list('', reader)).status, 200);
  assertError(await api(h, 'DELETE', `/v1/notifications/${sent.popup.id}`, { token: reader }), 403, 'forbidden');
  const admin = await keyToken('admin:read,admin:write');
  assertError(await list('', admin), 403, 'forbidden');
  assertError(await api(h, 'GET', `/v1/notifications/${sent.popup.id}`, { token: admin }), 403, 'forbidden');
  assertError(await api(h, 'GET', '/v1/notifications'), 401, 'unauthorized');
});
