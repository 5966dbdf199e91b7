// feed.test.mjs: the end user's read state (SPEC §6): seen, clicked and dismissed are idempotent,
// shared by every device of the user, reflected in the notification's stats, and refused for a
// notification that does not target the user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, makeSystem, makeTemplate } from './lib/herald.mjs';

let h, token, system, template;
before(async () => {
  h = await startHerald();
  token = await getToken(h);
  system = await makeSystem(h, token, 'Feed');
  template = await makeTemplate(h, token, system.id, { name: 'n', title: 'Payroll ready' });
});
after(async () => { await h.stop(); });

async function device(user) {
  const r = await api(h, 'POST', `/v1/systems/${system.id}/end-users/${user}/tokens`, { token });
  assert.equal(r.status, 201);
  return r.json.token;
}

async function send(users) {
  const r = await api(h, 'POST', '/v1/notifications', { token, json: { notification: { templateId: template.id, endUsersIds: users } } });
  assert.equal(r.status, 202);
  return r.json.id;
}

const feed = (tok) => api(h, 'GET', '/v1/me/notifications', { token: tok });
const stats = async (id) => (await api(h, 'GET', `/v1/notifications/${id}`, { token })).json.stats;

test('seen, clicked and dismissed: idempotent, shared across devices, counted in stats', async () => {
  const id = await send(['ada', 'bob']);
  const [phone, laptop] = [await device('ada'), await device('ada')];
  assert.deepEqual(await stats(id), { targeted: 2, received: 0, seen: 0, clicked: 0, dismissed: 0 });

  let list = (await feed(phone)).json;
  assert.equal(list.unreadCount, 1);
  assert.ok(list.items[0].receivedAt, 'the list marks what it hands out as received');
  assert.equal((await stats(id)).received, 1);

  const seen = await api(h, 'POST', `/v1/me/notifications/${id}/seen`, { token: phone });
  assert.equal(seen.status, 204);
  list = (await feed(laptop)).json;
  assert.equal(list.unreadCount, 0, 'read state is shared by the devices');
  const seenAt = list.items[0].seenAt;
  assert.match(seenAt, /Z$/);
  assert.equal((await api(h, 'POST', `/v1/me/notifications/${id}/seen`, { token: laptop })).status, 204);
  assert.equal((await feed(phone)).json.items[0].seenAt, seenAt, 'a second seen changes nothing');

  assert.equal((await api(h, 'POST', `/v1/me/notifications/${id}/clicked`, { token: laptop })).status, 204);
  assert.ok((await feed(phone)).json.items[0].clickedAt);
  assert.equal((await api(h, 'POST', `/v1/me/notifications/${id}/dismissed`, { token: phone })).status, 204);
  assert.equal((await feed(laptop)).json.items.length, 0, 'dismissed ones leave every device\'s list');
  assert.deepEqual(await stats(id), { targeted: 2, received: 1, seen: 1, clicked: 1, dismissed: 1 });
});

test('a notification that does not target the user cannot be marked', async () => {
  const id = await send(['carol']);
  const other = await device('dave');
  const r = await api(h, 'POST', `/v1/me/notifications/${id}/seen`, { token: other });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'not_found');
  assert.equal((await api(h, 'POST', '/v1/me/notifications/not-a-uuid/clicked', { token: other })).status, 404);
  assert.equal((await api(h, 'POST', `/v1/me/notifications/${id}/seen`, { token })).status, 401,
    'an API token is not an end-user token');
  assert.equal((await stats(id)).seen, 0);
});
