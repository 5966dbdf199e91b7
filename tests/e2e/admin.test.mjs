// admin.test.mjs: administration (SPEC §5): systems (cursor pages, delete refused while
// notifications are live, or cascading), templates (list, get with locked/archived, replace
// until used, duplicate, archive, preview), API key rotation (the old secret and the tokens it
// got stop at once), validation, and the CLI mirror of these routes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHerald, getToken, api, runCli, makeSystem, makeTemplate, tokenRequest, basic, sleep, show,
} from './lib/herald.mjs';

let h;
let token;

before(async () => {
  h = await startHerald();
  token = await getToken(h);
});
after(async () => { await h.stop(); });

const TEMPLATE = {
  name: 'Lead', title: 'New lead ###OPP###', description: 'Owner: ###OWNER###',
  button: { text: 'Open', url: 'https://crm.example.com/leads/###ID###' }, notificationType: 'push',
};

function assertError(r, status, code) {
  assert.equal(r.status, status, show(r));
  assert.equal(r.json?.error?.code, code, show(r));
  assert.equal(typeof r.json.error.message, 'string', show(r));
  return r.json.error;
}

async function trigger(systemId, templateId, override = []) {
  const notification = { systemId, templateId, endUsersIds: ['ada@example.com'], override };
  return api(h, 'POST', '/v1/notifications', { token, json: { notification } });
}

const fill = [{ key: 'OPP', value: 'Acme' }, { key: 'OWNER', value: 'Ada' }, { key: 'ID', value: '42' }];

test('systems: create, get, list in cursor pages', async () => {
  const made = [];
  for (let i = 0; i < 7; i++) made.push((await makeSystem(h, token, `page ${i}`)).id);
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const r = await api(h, 'GET', `/v1/systems?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token });
    assert.equal(r.status, 200, show(r));
    assert.ok(r.json.items.length <= 3, show(r));
    seen.push(...r.json.items.map((s) => s.id));
    cursor = r.json.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  for (const id of made) assert.ok(seen.includes(id), `system ${id} listed`);
  assert.equal(new Set(seen).size, seen.length, 'no system twice');
  assert.ok(pages >= 3);
  const one = await api(h, 'GET', `/v1/systems/${made[0]}`, { token });
  assert.equal(one.status, 200, show(one));
  assert.equal(one.json.name, 'page 0');

  for (const q of ['limit=0', 'limit=201', 'limit=x', 'cursor=nope']) {
    const bad = await api(h, 'GET', `/v1/systems?${q}`, { token });
    const e = assertError(bad, 422, 'validation_failed');
    assert.equal(e.details[0].field, q.split('=')[0], show(bad));
  }
});

test('systems: create validates fields with a did-you-mean', async () => {
  const r = await api(h, 'POST', '/v1/systems', { token, json: { nmae: 'x' } });
  const e = assertError(r, 422, 'validation_failed');
  assert.ok(e.details.some((d) => d.field === 'nmae' && /name/.test(d.message)), show(r));
  const long = await api(h, 'POST', '/v1/systems', { token, json: { name: 'x'.repeat(201) } });
  assertError(long, 422, 'validation_failed');
});

test('systems: delete is refused while notifications are live, then cascades', async () => {
  const sys = await makeSystem(h, token, 'Doomed');
  const tpl = await makeTemplate(h, token, sys.id, TEMPLATE);
  const t = await trigger(sys.id, tpl.id, fill);
  assert.equal(t.status, 202, show(t));

  const refused = await api(h, 'DELETE', `/v1/systems/${sys.id}`, { token });
  const e = assertError(refused, 409, 'conflict');
  assert.match(e.message, /1 scheduled or active/);
  assert.match(e.message, /cascade=true/);
  assert.equal((await api(h, 'GET', `/v1/systems/${sys.id}`, { token })).status, 200);

  const badFlag = await api(h, 'DELETE', `/v1/systems/${sys.id}?cascade=yes`, { token });
  assertError(badFlag, 422, 'validation_failed');

  const gone = await api(h, 'DELETE', `/v1/systems/${sys.id}?cascade=true`, { token });
  assert.equal(gone.status, 204, show(gone));
  const n = await api(h, 'GET', `/v1/notifications/${t.json.id}`, { token });
  assert.equal(n.json.status, 'cancelled', show(n));
  for (const [m, p] of [['GET', ''], ['GET', '/templates'], ['DELETE', '']]) {
    const r = await api(h, m, `/v1/systems/${sys.id}${p}`, { token });
    assertError(r, 404, 'not_found');
  }
  const list = await api(h, 'GET', '/v1/systems?limit=200', { token });
  assert.ok(!list.json.items.some((s) => s.id === sys.id));
  assertError(await trigger(sys.id, tpl.id, fill), 404, 'not_found');

  const empty = await makeSystem(h, token, 'Empty');
  assert.equal((await api(h, 'DELETE', `/v1/systems/${empty.id}`, { token })).status, 204);
});

test('templates: list, get, replace until used, then 409 and duplicate', async () => {
  const sys = await makeSystem(h, token, 'Templates');
  const a = await makeTemplate(h, token, sys.id, TEMPLATE);
  assert.deepEqual(a.placeholders, ['OPP', 'OWNER', 'ID']);
  assert.equal(a.locked, false);
  await sleep(3);
  const b = await makeTemplate(h, token, sys.id, { ...TEMPLATE, name: 'Second', button: undefined });

  const list = await api(h, 'GET', `/v1/systems/${sys.id}/templates`, { token });
  assert.equal(list.status, 200, show(list));
  assert.deepEqual(list.json.items.map((t) => t.id), [b.id, a.id]);
  assert.equal(list.json.nextCursor, null);
  const p1 = await api(h, 'GET', `/v1/systems/${sys.id}/templates?limit=1`, { token });
  assert.deepEqual(p1.json.items.map((t) => t.id), [b.id]);
  const p2 = await api(h, 'GET', `/v1/systems/${sys.id}/templates?limit=1&cursor=${p1.json.nextCursor}`, { token });
  assert.deepEqual(p2.json.items.map((t) => t.id), [a.id]);

  const path = `/v1/systems/${sys.id}/templates/${a.id}`;
  const put = await api(h, 'PUT', path, { token, json: { ...TEMPLATE, title: 'Lead ###OPP### ###NEW###' } });
  assert.equal(put.status, 200, show(put));
  assert.deepEqual(put.json.placeholders, ['OPP', 'NEW', 'OWNER', 'ID']);
  assert.equal(put.json.createdAt, a.createdAt);

  const bad = await api(h, 'PUT', path, { token, json: { ...TEMPLATE, titel: 'x', button: { text: 'a', url: 'ftp://x' } } });
  const e = assertError(bad, 422, 'validation_failed');
  assert.ok(e.details.some((d) => d.field === 'titel' && /title/.test(d.message)), show(bad));
  assert.ok(e.details.some((d) => d.field === 'button.url'), show(bad));

  const t = await trigger(sys.id, a.id, [...fill, { key: 'NEW', value: 'n' }]);
  assert.equal(t.status, 202, show(t));
  const got = await api(h, 'GET', path, { token });
  assert.equal(got.json.locked, true, show(got));
  assert.equal(got.json.archived, false);

  const locked = await api(h, 'PUT', path, { token, json: TEMPLATE });
  const le = assertError(locked, 409, 'conflict');
  assert.match(le.message, /used by 1 notification/);
  assert.match(le.message, /duplicate/);

  const dup = await api(h, 'POST', `${path}/duplicate`, { token });
  assert.equal(dup.status, 201, show(dup));
  assert.notEqual(dup.json.id, a.id);
  assert.equal(dup.json.name, 'Lead (copy)');
  assert.equal(dup.json.locked, false);
  assert.equal(dup.json.title, 'Lead ###OPP### ###NEW###');
  const named = await api(h, 'POST', `${path}/duplicate`, { token, json: { name: 'Lead v2' } });
  assert.equal(named.json.name, 'Lead v2', show(named));
  const badDup = await api(h, 'POST', `${path}/duplicate`, { token, json: { nam: 'x' } });
  assertError(badDup, 422, 'validation_failed');

  const edit = await api(h, 'PUT', `/v1/systems/${sys.id}/templates/${dup.json.id}`, { token, json: TEMPLATE });
  assert.equal(edit.status, 200, show(edit));
  assert.equal(edit.json.title, TEMPLATE.title);
});

test('templates: archive hides from triggers and from the default list', async () => {
  const sys = await makeSystem(h, token, 'Archive');
  const tpl = await makeTemplate(h, token, sys.id, TEMPLATE);
  const path = `/v1/systems/${sys.id}/templates/${tpl.id}`;
  assert.equal((await api(h, 'DELETE', path, { token })).status, 204);
  assert.equal((await api(h, 'DELETE', path, { token })).status, 204, 'archiving again is fine');
  const got = await api(h, 'GET', path, { token });
  assert.equal(got.json.archived, true, show(got));
  assertError(await trigger(sys.id, tpl.id, fill), 404, 'not_found');
  const list = await api(h, 'GET', `/v1/systems/${sys.id}/templates`, { token });
  assert.equal(list.json.items.length, 0, show(list));
  const all = await api(h, 'GET', `/v1/systems/${sys.id}/templates?archived=true`, { token });
  assert.deepEqual(all.json.items.map((t) => t.id), [tpl.id]);
  assertError(await api(h, 'PUT', path, { token, json: TEMPLATE }), 409, 'conflict');
  assertError(await api(h, 'GET', `/v1/systems/${sys.id}/templates/nope`, { token }), 404, 'not_found');
});

test('templates: preview renders with overrides and lists the missing ones', async () => {
  const sys = await makeSystem(h, token, 'Preview');
  const tpl = await makeTemplate(h, token, sys.id, TEMPLATE);
  const path = `/v1/systems/${sys.id}/templates/${tpl.id}/preview`;
  const part = await api(h, 'POST', path, { token, json: { override: [{ key: '###OPP###', value: 'Acme' }] } });
  assert.equal(part.status, 200, show(part));
  assert.equal(part.json.title, 'New lead Acme');
  assert.equal(part.json.description, 'Owner: ###OWNER###');
  assert.equal(part.json.button.url, 'https://crm.example.com/leads/###ID###');
  assert.deepEqual(part.json.missing, ['OWNER', 'ID']);

  const full = await api(h, 'POST', path, { token, json: { override: fill } });
  assert.equal(full.json.button.url, 'https://crm.example.com/leads/42', show(full));
  assert.deepEqual(full.json.missing, []);
  const none = await api(h, 'POST', path, { token });
  assert.equal(none.status, 200, show(none));
  assert.equal(none.json.missing.length, 3);

  const unknown = await api(h, 'POST', path, { token, json: { override: [{ key: 'NOPE', value: 'x' }] } });
  const e = assertError(unknown, 422, 'validation_failed');
  assert.equal(e.details[0].field, 'override[0].key', show(unknown));
  assert.match(e.details[0].message, /OPP/);

  const urlTpl = await makeTemplate(h, token, sys.id, { name: 'U', title: 'T', button: { text: 'Go', url: '###URL###' } });
  const upath = `/v1/systems/${sys.id}/templates/${urlTpl.id}/preview`;
  const missingUrl = await api(h, 'POST', upath, { token, json: {} });
  assert.equal(missingUrl.status, 200, show(missingUrl));
  assert.deepEqual(missingUrl.json.missing, ['URL']);
  const badUrl = await api(h, 'POST', upath, { token, json: { override: [{ key: 'URL', value: 'javascript:alert(1)' }] } });
  assertError(badUrl, 422, 'validation_failed');
  const extra = await api(h, 'POST', upath, { token, json: { overide: [] } });
  assertError(extra, 422, 'validation_failed');
});

test('api keys: rotate kills the old secret and its tokens at once', async () => {
  const made = await api(h, 'POST', '/v1/api-keys', { token, json: { name: 'ci', scopes: ['notifications:read'] } });
  assert.equal(made.status, 201, show(made));
  const { clientId, clientSecret } = made.json;
  const old = await getToken(h, { clientId, clientSecret });
  assert.equal((await api(h, 'GET', '/v1/notifications', { token: old })).status, 200);
  await sleep(1100); // the token's iat has a resolution of one second

  const rot = await api(h, 'POST', `/v1/api-keys/${clientId}/rotate`, { token });
  assert.equal(rot.status, 200, show(rot));
  assert.equal(rot.json.clientId, clientId);
  assert.notEqual(rot.json.clientSecret, clientSecret);
  assert.deepEqual(rot.json.scopes, ['notifications:read']);

  const oldSecret = await tokenRequest(h, { form: { grant_type: 'client_credentials' }, headers: { authorization: basic(clientId, clientSecret) } });
  assert.equal(oldSecret.status, 401, show(oldSecret));
  assert.equal(oldSecret.json.error, 'invalid_client');
  assertError(await api(h, 'GET', '/v1/notifications', { token: old }), 401, 'unauthorized');
  const fresh = await getToken(h, { clientId, clientSecret: rot.json.clientSecret });
  assert.equal((await api(h, 'GET', '/v1/notifications', { token: fresh })).status, 200);

  const list = await api(h, 'GET', '/v1/api-keys', { token });
  assert.ok(!list.text.includes(rot.json.clientSecret), 'no secret in the list');
  assertError(await api(h, 'POST', '/v1/api-keys/nope/rotate', { token }), 404, 'not_found');

  // a key cannot rotate a key with more scopes than itself (the owner key)
  const adm = await api(h, 'POST', '/v1/api-keys', { token, json: { name: 'adm', scopes: ['admin:write'] } });
  const admTok = await getToken(h, { clientId: adm.json.clientId, clientSecret: adm.json.clientSecret });
  assertError(await api(h, 'POST', `/v1/api-keys/${h.clientId}/rotate`, { token: admTok }), 403, 'forbidden');

  assert.equal((await api(h, 'DELETE', `/v1/api-keys/${clientId}`, { token })).status, 204);
  assertError(await api(h, 'POST', `/v1/api-keys/${clientId}/rotate`, { token }), 404, 'not_found');
});

test('CLI mirrors these routes', async () => {
  const list = await runCli(['systems', 'list', ...h.store]);
  assert.equal(list.code, 0, list.stderr);
  assert.ok(Array.isArray(list.json.items), list.stdout);
  const sys = await makeSystem(h, token, 'CLI');
  const tpl = await makeTemplate(h, token, sys.id, TEMPLATE);
  const dup = await runCli(['templates', 'duplicate', ...h.store, '--system', sys.id,
    '--template', tpl.id, '--name', 'From CLI']);
  assert.equal(dup.code, 0, dup.stderr);
  assert.equal(dup.json.name, 'From CLI');
  assert.notEqual(dup.json.id, tpl.id);
  const tl = await runCli(['templates', 'list', ...h.store, '--system', sys.id, '--limit', '1']);
  assert.equal(tl.code, 0, tl.stderr);
  assert.equal(tl.json.items.length, 1);
  const usage = await runCli(['templates', 'duplicate', ...h.store, '--system', sys.id]);
  assert.equal(usage.code, 2, usage.stderr);
  const missing = await runCli(['systems', 'get', ...h.store, '--system', 'f'.repeat(32)]);
  assert.equal(missing.code, 1, missing.stderr);
});
