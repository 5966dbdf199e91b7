// audiences.test.mjs: /v1/systems/{id}/audiences (SPEC §5): explicit audiences (create with
// members, add, remove, size, list, get, delete), triggers to audiences as their members and
// others see them (GET /v1/me/notifications with end-user tokens), each person counted once in
// stats.targeted, and rule audiences: membership that follows attributes, preview, and 409 on
// explicit members.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, show, makeSystem, makeTemplate } from './lib/herald.mjs';

let h;
let token;
let sys;
let tpl;

before(async () => {
  h = await startHerald();
  token = await getToken(h);
  sys = await makeSystem(h, token, 'Intranet');
  tpl = await makeTemplate(h, token, sys.id, { name: 'News', title: 'Company news', notificationType: 'push' });
});
after(async () => { await h.stop(); });

const base = () => `/v1/systems/${sys.id}/audiences`;
const create = (json) => api(h, 'POST', base(), { token, json });
const get = (id) => api(h, 'GET', `${base()}/${id}`, { token });
const putUser = (id, json) =>
  api(h, 'PUT', `/v1/systems/${sys.id}/end-users/${encodeURIComponent(id)}`, { token, json });

async function trigger(target) {
  const r = await api(h, 'POST', '/v1/notifications', {
    token, json: { notification: { systemId: sys.id, templateId: tpl.id, ...target } },
  });
  assert.equal(r.status, 202, show(r));
  return r.json.id;
}

const userTokens = new Map();
/** The ids of the notifications in the end user's feed. */
async function feedOf(uid) {
  if (!userTokens.has(uid)) {
    const t = await api(h, 'POST', `/v1/systems/${sys.id}/end-users/${encodeURIComponent(uid)}/tokens`, { token });
    assert.equal(t.status, 201, show(t));
    userTokens.set(uid, t.json.token);
  }
  const r = await api(h, 'GET', '/v1/me/notifications', { token: userTokens.get(uid) });
  assert.equal(r.status, 200, show(r));
  return r.json.items.map((i) => i.id);
}

function assertInvalid(r, field, pattern) {
  assert.equal(r.status, 422, show(r));
  const d = r.json.error.details.find((x) => x.field === field);
  assert.ok(d, `details name ${field}: ${r.text}`);
  if (pattern) assert.match(d.message, pattern, r.text);
}

const rule = (attribute, operator, value) => ({ attribute, operator, value });

test('explicit audience: create with members, add, remove, size, get, list, delete', async () => {
  let r = await create({ name: 'Managers', endUsersIds: ['ada', 'bob', 'ada'] });
  assert.equal(r.status, 201, show(r));
  assert.equal(r.json.name, 'Managers');
  assert.equal(r.json.size, 2, 'duplicates fold');
  assert.equal(r.json.rules, null);
  assert.equal(r.headers.get('location'), `${base()}/${r.json.id}`);
  const id = r.json.id;
  r = await api(h, 'POST', `${base()}/${id}/members`, { token, json: { endUsersIds: ['bob', 'carol', 'dave'] } });
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(r.json, { added: 2, size: 4 });
  r = await api(h, 'DELETE', `${base()}/${id}/members/bob`, { token });
  assert.equal(r.status, 204, show(r));
  r = await api(h, 'DELETE', `${base()}/${id}/members/bob`, { token });
  assert.equal(r.status, 404, show(r));
  assert.equal((await get(id)).json.size, 3);

  const second = await create({ name: 'Empty' });
  assert.equal(second.status, 201, show(second));
  assert.equal(second.json.size, 0);
  r = await api(h, 'GET', `${base()}?limit=1`, { token });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.items.length, 1);
  assert.ok(r.json.nextCursor, show(r));
  const next = await api(h, 'GET', `${base()}?limit=1&cursor=${r.json.nextCursor}`, { token });
  assert.notEqual(next.json.items[0].id, r.json.items[0].id);
  assert.equal(typeof next.json.items[0].size, 'number');

  assert.equal((await api(h, 'DELETE', `${base()}/${second.json.id}`, { token })).status, 204);
  assert.equal((await get(second.json.id)).status, 404);
  assert.equal((await api(h, 'DELETE', `${base()}/${second.json.id}`, { token })).status, 404);
  r = await api(h, 'POST', '/v1/notifications', {
    token, json: { notification: { systemId: sys.id, templateId: tpl.id, audiencesIds: [second.json.id] } },
  });
  assert.equal(r.status, 422, `a deleted audience can no longer be targeted: ${show(r)}`);
  assert.equal((await get('not-a-uuid')).status, 404);
});

test('validation: unknown fields, names, ids, sizes', async () => {
  assertInvalid(await create({ name: 'X', endUserIds: ['a'] }), 'endUserIds', /did you mean `endUsersIds`/);
  assertInvalid(await create({ endUsersIds: ['a'] }), 'name', /required/);
  assertInvalid(await create({ name: 'X', endUsersIds: ['ok', ''] }), 'endUsersIds[1]');
  assertInvalid(await create({ name: 'X', endUsersIds: ['<end user id 1>'] }), 'endUsersIds[0]', /sample/);
  assertInvalid(await create({ name: 'n'.repeat(201) }), 'name', /at most 200/);
  const big = Array.from({ length: 100001 }, (_, i) => `u${i}`);
  assertInvalid(await create({ name: 'Too big', endUsersIds: big }), 'endUsersIds', /100000/);
});

test('an audience of 100,000 members in one call', async () => {
  const ids = Array.from({ length: 100000 }, (_, i) => `member${i}@example.com`);
  const r = await create({ name: 'Everyone', endUsersIds: ids });
  assert.equal(r.status, 201, show(r));
  assert.equal(r.json.size, 100000);
});

test('a trigger to an audience reaches its members and not others; each person counted once', async () => {
  const aud = await create({ name: 'Team', endUsersIds: ['tm1', 'tm2', 'tm3'] });
  assert.equal(aud.status, 201, show(aud));
  const nid = await trigger({ audiencesIds: [aud.json.id], endUsersIds: ['tm1', 'outsider-direct'] });
  assert.ok((await feedOf('tm2')).includes(nid), 'a member sees it');
  assert.ok((await feedOf('tm1')).includes(nid), 'a member also listed directly sees it');
  assert.equal((await feedOf('tm1')).filter((x) => x === nid).length, 1, 'once');
  assert.ok((await feedOf('outsider-direct')).includes(nid));
  assert.ok(!(await feedOf('stranger')).includes(nid), 'a non-member does not');
  const n = await api(h, 'GET', `/v1/notifications/${nid}`, { token });
  assert.equal(n.status, 200, show(n));
  assert.equal(n.json.stats.targeted, 4, `tm1..tm3 and outsider-direct: ${show(n)}`);
});

test('rule audience: members follow attributes; a trigger reaches exactly those matching', async () => {
  await putUser('r-ann', { name: 'Ann', attributes: { department: 'Sales', city: 'Paris' } });
  await putUser('r-ben', { name: 'Ben', attributes: { department: 'Sales', city: 'Lyon' } });
  await putUser('r-cat', { name: 'Cat', attributes: { department: 'R&D', city: 'Paris' } });
  const rules = { all: [rule('department', 'is', 'Sales'), { any: [rule('city', 'is', 'Paris'), rule('name', 'like', 'b%')] }] };
  let r = await create({ name: 'Sales FR', rules });
  assert.equal(r.status, 201, show(r));
  assert.deepEqual(r.json.rules, rules);
  assert.equal(r.json.size, 2, 'Ann and Ben');
  assert.ok(r.json.evaluatedAt, show(r));
  const aid = r.json.id;

  const first = await trigger({ audiencesIds: [aid] });
  assert.ok((await feedOf('r-ann')).includes(first));
  assert.ok((await feedOf('r-ben')).includes(first));
  assert.ok(!(await feedOf('r-cat')).includes(first));

  // Ben leaves Sales, Cat joins: a new trigger re-evaluates the audience
  await putUser('r-ben', { name: 'Ben', attributes: { department: 'Support', city: 'Lyon' } });
  await putUser('r-cat', { name: 'Cat', attributes: { department: 'Sales', city: 'Paris' } });
  assert.equal((await get(aid)).json.size, 2, 'an upsert re-evaluates that user');
  const second = await trigger({ audiencesIds: [aid] });
  const n = await api(h, 'GET', `/v1/notifications/${second}`, { token });
  assert.equal(n.json.stats.targeted, 2, show(n));
  assert.ok((await feedOf('r-ann')).includes(second));
  assert.ok((await feedOf('r-cat')).includes(second));
  assert.ok(!(await feedOf('r-ben')).includes(second), 'Ben no longer matches');

  // a user whose attributes changed by bulk import is re-evaluated too
  r = await api(h, 'POST', `/v1/systems/${sys.id}/end-users`, {
    token, json: { endUsers: [{ id: 'r-dan', name: 'Dan', attributes: { department: 'Sales', city: 'Paris' } }] },
  });
  assert.equal(r.json.created, 1, show(r));
  assert.equal((await get(aid)).json.size, 3);
});

test('rule audience: no explicit members (409), rules validated with paths', async () => {
  const r = await create({ name: 'Rules', rules: { any: [rule('email', 'like', '%@example.com')] } });
  assert.equal(r.status, 201, show(r));
  let x = await api(h, 'POST', `${base()}/${r.json.id}/members`, { token, json: { endUsersIds: ['ada'] } });
  assert.equal(x.status, 409, show(x));
  assert.match(x.json.error.message, /rules/);
  x = await api(h, 'DELETE', `${base()}/${r.json.id}/members/ada`, { token });
  assert.equal(x.status, 409, show(x));
  assertInvalid(await create({ name: 'Both', endUsersIds: ['a'], rules: { all: [rule('id', 'is', 'a')] } }), 'endUsersIds', /not both/);
  assertInvalid(await create({ name: 'Bad', rules: { all: [rule('id', 'equals', 'a')] } }), 'rules.all[0].operator', /is, is not or like|"is"/);
  assertInvalid(await create({ name: 'Bad', rules: { all: [rule('id', 'isnot', 'a')] } }), 'rules.all[0].operator', /did you mean "is not"/);
  assertInvalid(await create({ name: 'Bad', rules: { all: [{ attribute: 'id', operater: 'is', value: 'a' }] } }), 'rules.all[0].operater', /did you mean `operator`/);
  assertInvalid(await create({ name: 'Bad', rules: rule('id', 'is', 'a') }), 'rules', /must be a group/);
  assertInvalid(await create({ name: 'Bad', rules: { all: [] } }), 'rules.all', /non-empty/);
  assertInvalid(await create({ name: 'Bad', rules: { all: [{ any: [{ all: [{ any: [rule('id', 'is', 'a')] }] }] }] } }), 'rules.all[0].any[0].all[0]', /3 deep/);
  const many = { any: Array.from({ length: 21 }, () => rule('id', 'is', 'a')) };
  assertInvalid(await create({ name: 'Bad', rules: many }), 'rules', /at most 20/);
  assertInvalid(await create({ name: 'Bad', rules: { all: [rule('a"b', 'is', 'x')] } }), 'rules.all[0].attribute');
  const ok = await create({ name: 'Case', rules: { all: [rule('id', 'IS', 'a'), rule('level', 'is', 3)] } });
  assert.equal(ok.status, 201, show(ok));
  assert.deepEqual(ok.json.rules, { all: [rule('id', 'is', 'a'), rule('level', 'is', '3')] });
});

test('preview: count and a sample of the first 10, nothing saved', async () => {
  for (let i = 0; i < 12; i++)
    await putUser(`pv${String(i).padStart(2, '0')}`, { attributes: { office: i < 11 ? 'Oslo' : 'Bergen' } });
  const before = (await api(h, 'GET', `${base()}?limit=200`, { token })).json.items.length;
  let r = await api(h, 'POST', `${base()}/preview`, { token, json: { rules: { all: [rule('office', 'like', 'os%')] } } });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.count, 11);
  assert.equal(r.json.sample.length, 10);
  assert.equal(r.json.sample[0].id, 'pv00');
  assert.deepEqual(r.json.sample[0].attributes, { office: 'Oslo' });
  r = await api(h, 'POST', `${base()}/preview`, { token, json: { rules: { any: [rule('office', 'is not', 'Oslo'), rule('id', 'is', "x' OR 1=1 --")] } } });
  assert.equal(r.status, 200, show(r));
  assert.ok(r.json.sample.every((u) => u.attributes.office !== 'Oslo'), show(r));
  assert.equal((await api(h, 'GET', `${base()}?limit=200`, { token })).json.items.length, before);
  assertInvalid(await api(h, 'POST', `${base()}/preview`, { token, json: {} }), 'rules', /required/);
});
