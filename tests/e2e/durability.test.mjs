// durability.test.mjs: what a 202 promises. A notification acknowledged just before the server is
// killed with SIGKILL is there after a restart; concurrent retries with one Idempotency-Key make
// exactly one notification; a key reused with another body is refused; SQLite's index by user
// (a file derived from herald.db) never changes what a feed shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  startHerald, getToken, api, makeSystem, makeTemplate, tempDir,
} from './lib/herald.mjs';

async function setup(h) {
  const token = await getToken(h);
  const system = await makeSystem(h, token, 'Ops');
  const template = await makeTemplate(h, token, system.id, {
    name: 'Outage', title: 'Outage: ###SERVICE###', description: 'We are on it.',
  });
  return { token, system, template };
}

function trigger(template, user, service = 'Slack') {
  return {
    notification: {
      templateId: template.id,
      endUsersIds: [user],
      override: [{ key: 'SERVICE', value: service }],
    },
  };
}

async function userFeed(h, token, systemId, user) {
  const t = await api(h, 'POST', `/v1/systems/${systemId}/end-users/${encodeURIComponent(user)}/tokens`, { token });
  assert.equal(t.status, 201);
  const feed = await api(h, 'GET', '/v1/me/notifications', { token: t.json.token });
  assert.equal(feed.status, 200);
  return feed.json.items;
}

test('a notification acknowledged with 202 survives SIGKILL right after', async () => {
  const dir = tempDir();
  const h = await startHerald({ dataDir: dir });
  const { token, system, template } = await setup(h);
  const accepted = [];
  for (let i = 0; i < 20; i++) {
    const r = await api(h, 'POST', '/v1/notifications', { token, json: trigger(template, 'ada', `svc-${i}`) });
    assert.equal(r.status, 202);
    accepted.push(r.json.id);
  }
  const last = await api(h, 'POST', '/v1/notifications', { token, json: trigger(template, 'ada', 'last') });
  assert.equal(last.status, 202);
  accepted.push(last.json.id);
  await h.kill('SIGKILL'); // no drain, no shutdown: the 202s must already be on disk

  const again = await startHerald({ dataDir: dir });
  try {
    const again_token = await getToken(again, { clientId: h.clientId, clientSecret: h.clientSecret });
    const items = await userFeed(again, again_token, system.id, 'ada');
    const ids = new Set(items.map((n) => n.id));
    for (const id of accepted) assert.ok(ids.has(id), `notification ${id} was acknowledged but is gone`);
    assert.equal(items.find((n) => n.id === last.json.id).title, 'Outage: last');
  } finally {
    await again.stop();
  }
});

test('concurrent retries with one Idempotency-Key create exactly one notification', async () => {
  const h = await startHerald();
  try {
    const { token, system, template } = await setup(h);
    const key = randomUUID();
    const body = trigger(template, 'grace');
    const answers = await Promise.all(Array.from({ length: 16 }, () =>
      api(h, 'POST', '/v1/notifications', { token, json: body, headers: { 'Idempotency-Key': key } })));
    for (const a of answers) assert.equal(a.status, 202, JSON.stringify(a.json));
    const ids = new Set(answers.map((a) => a.json.id));
    assert.equal(ids.size, 1, `one notification expected, got ${[...ids].join(', ')}`);
    const replayed = answers.filter((a) => a.headers.get('idempotent-replayed') === 'true');
    assert.equal(replayed.length, 15, 'every answer but the first is a replay');
    for (const a of answers) assert.equal(a.headers.get('location'), `/v1/notifications/${[...ids][0]}`);
    const items = await userFeed(h, token, system.id, 'grace');
    assert.equal(items.length, 1);

    const later = await api(h, 'POST', '/v1/notifications', { token, json: body, headers: { 'Idempotency-Key': key } });
    assert.equal(later.status, 202);
    assert.equal(later.json.id, [...ids][0]);
    assert.equal(later.headers.get('idempotent-replayed'), 'true');
  } finally {
    await h.stop();
  }
});

test('an Idempotency-Key reused with a different body is 409, and sends nothing', async () => {
  const h = await startHerald();
  try {
    const { token, system, template } = await setup(h);
    const key = randomUUID();
    const first = await api(h, 'POST', '/v1/notifications',
      { token, json: trigger(template, 'linus', 'A'), headers: { 'Idempotency-Key': key } });
    assert.equal(first.status, 202);
    const other = await api(h, 'POST', '/v1/notifications',
      { token, json: trigger(template, 'linus', 'B'), headers: { 'Idempotency-Key': key } });
    assert.equal(other.status, 409);
    assert.equal(other.json.error.code, 'conflict');
    assert.match(other.json.error.message, /different body/);
    const bad = await api(h, 'POST', '/v1/notifications',
      { token, json: trigger(template, 'linus', 'C'), headers: { 'Idempotency-Key': 'x'.repeat(256) } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /Idempotency-Key/);
    const items = await userFeed(h, token, system.id, 'linus');
    assert.deepEqual(items.map((n) => n.title), ['Outage: A']);
  } finally {
    await h.stop();
  }
});

test('keys are per account: the same Idempotency-Key in two accounts makes two notifications', async () => {
  const h = await startHerald();
  try {
    const a = await setup(h);
    const key = randomUUID();
    const r1 = await api(h, 'POST', '/v1/notifications',
      { token: a.token, json: trigger(a.template, 'u'), headers: { 'Idempotency-Key': key } });
    assert.equal(r1.status, 202);
    const { runCli } = await import('./lib/herald.mjs');
    const acc = await runCli(['accounts', 'create', ...h.store, '--name', 'Other']);
    assert.equal(acc.code, 0);
    const bToken = await getToken(h, { clientId: acc.json.clientId, clientSecret: acc.json.clientSecret });
    const b = await makeSystem(h, bToken, 'B');
    const bt = await makeTemplate(h, bToken, b.id, { name: 'n', title: 'Outage: ###SERVICE###' });
    const r2 = await api(h, 'POST', '/v1/notifications',
      { token: bToken, json: trigger(bt, 'u'), headers: { 'Idempotency-Key': key } });
    assert.equal(r2.status, 202);
    assert.notEqual(r2.json.id, r1.json.id);
    assert.equal(r2.headers.get('idempotent-replayed'), null);
  } finally {
    await h.stop();
  }
});

// SQLite keeps each user's direct notifications in an index file of its own, herald-by-user.db,
// which a background thread fills from herald.db every 250 ms. It is derived data: whatever
// happens to it, feeds show exactly what was sent, and an erased user leaves it.
test('the index by user: feeds stay exact through moves, a crash, its loss and an erasure', async () => {
  const dir = tempDir();
  const index = join(dir, 'herald-by-user.db');
  let h = await startHerald({ dataDir: dir });
  const { clientId, clientSecret } = h; // printed on the first start only
  const sent = { ada: [], bob: [] };
  let token;
  let system;
  let template;
  async function send(user, service) {
    const r = await api(h, 'POST', '/v1/notifications', { token, json: trigger(template, user, service) });
    assert.equal(r.status, 202);
    sent[user].push(r.json.id);
  }
  async function feedIds(user) {
    return (await userFeed(h, token, system.id, user)).map((n) => n.id).sort();
  }
  try {
    ({ token, system, template } = await setup(h));
    for (let i = 0; i < 8; i++) await send(i % 2 ? 'bob' : 'ada', `moved-${i}`);
    await new Promise((r) => setTimeout(r, 800)); // a few moves into the index file
    for (let i = 0; i < 4; i++) await send(i % 2 ? 'bob' : 'ada', `logged-${i}`);
    assert.ok(existsSync(index), 'the index file exists');
    assert.deepEqual(await feedIds('ada'), [...sent.ada].sort());
  } finally {
    await h.kill('SIGKILL');
  }

  h = await startHerald({ dataDir: dir });
  try {
    token = await getToken(h, { clientId, clientSecret });
    assert.deepEqual(await feedIds('ada'), [...sent.ada].sort(), 'after a crash');
    assert.deepEqual(await feedIds('bob'), [...sent.bob].sort());
  } finally {
    await h.stop();
  }

  for (const f of ['', '-wal', '-shm']) rmSync(index + f, { force: true });
  h = await startHerald({ dataDir: dir });
  try {
    token = await getToken(h, { clientId, clientSecret });
    assert.deepEqual(await feedIds('ada'), [...sent.ada].sort(), 'built again from herald.db');
    assert.deepEqual(await feedIds('bob'), [...sent.bob].sort());

    const erased = await api(h, 'DELETE', `/v1/systems/${system.id}/end-users/ada`, { token });
    assert.equal(erased.status, 204);
    assert.deepEqual(await feedIds('ada'), [], 'erased at once');
    sent.ada = [];
    await send('ada', 'after the erasure');
    await new Promise((r) => setTimeout(r, 800)); // the erasure and the new target move
    assert.deepEqual(await feedIds('ada'), sent.ada, 'a new ada sees only what came after');
    assert.deepEqual(await feedIds('bob'), [...sent.bob].sort());
  } finally {
    await h.stop();
  }
});
