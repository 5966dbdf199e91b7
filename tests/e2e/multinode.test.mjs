// multinode.test.mjs: several herald nodes on one PostgreSQL (SPEC §9), started at once on an
// empty database. A trigger accepted by any node reaches clients on every node; a scheduled
// notification fires once across the cluster, even when the node that accepted it is killed;
// idempotency keys, key revocation and the failed-authentication throttle hold across nodes; a
// node killed with SIGKILL loses nothing it acknowledged; while PostgreSQL is down requests get
// 503 with Retry-After, and after it comes back the nodes carry on, streams included. The CLI
// reaches the same database through HERALD_DATABASE_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, makeSystem, makeTemplate, tokenRequest, basic, runCli, sleep, SLOW } from './lib/herald.mjs';
import { listen } from './lib/sse.mjs';
import * as pg from './lib/postgres.mjs';

let db, nodes, owner, token, system, template;
const streams = [];

before(async () => {
  pg.requireServer();
  db = await pg.createDatabase('herald_multinode');
  // three nodes at once on an empty database: one migrates, one creates the first account
  nodes = await Promise.all([0, 1, 2].map(() => startHerald({ database: db })));
  const creators = nodes.filter((n) => n.clientId);
  assert.equal(creators.length, 1, 'exactly one node created the first account');
  owner = creators[0];
  for (const n of nodes) { n.clientId = owner.clientId; n.clientSecret = owner.clientSecret; }
  token = await getToken(nodes[0]);
  system = await makeSystem(nodes[1], token, 'Cluster');
  template = await makeTemplate(nodes[2], token, system.id, { name: 'Alert', title: 'Alert: ###WHAT###' });
});

after(async () => {
  for (const s of streams) s.close();
  await Promise.all((nodes || []).filter((n) => !n.killed).map((n) => n.stop()));
  if (db) await pg.dropDatabase(db);
});

async function userToken(node, user) {
  const r = await api(node, 'POST', `/v1/systems/${system.id}/end-users/${user}/tokens`, { token });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.token;
}

async function stream(node, user) {
  const s = listen(`${node.url}/v1/me/stream?access_token=${encodeURIComponent(await userToken(node, user))}`);
  streams.push(s);
  await s.opened;
  return s;
}

function trigger(node, users, what, { extra = {}, headers = {} } = {}) {
  return api(node, 'POST', '/v1/notifications', {
    token, headers,
    json: { notification: { templateId: template.id, endUsersIds: users, override: [{ key: 'WHAT', value: what }], ...extra } },
  });
}

test('a trigger accepted by one node reaches the clients of every node, with one event id', async () => {
  const [a, b, c] = await Promise.all(nodes.map((n) => stream(n, 'ada')));
  const bob = await stream(nodes[0], 'bob');
  const r = await trigger(nodes[1], ['ada'], 'disk full');
  assert.equal(r.status, 202, JSON.stringify(r.json));
  await Promise.all([a, b, c].map((s) => s.waitFor(1)));
  for (const s of [a, b, c]) {
    assert.equal(s.events[0].type, 'notification');
    assert.equal(s.events[0].data.id, r.json.id);
    assert.equal(s.events[0].data.title, 'Alert: disk full');
  }
  assert.equal(new Set([a, b, c].map((s) => s.events[0].id)).size, 1, 'the same event id on every node');
  await sleep(300);
  assert.equal(bob.events.length, 0, 'bob is not a target');
  for (const s of [a, b, c]) s.close();
});

test('the CLI works on the cluster\'s database, named by HERALD_DATABASE_URL', async () => {
  const r = await runCli(['systems', 'list'], { env: { HERALD_DATABASE_URL: db } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.items.map((s) => s.id), [system.id]);
});

test('an idempotent retry sent to two nodes at once creates one notification', async () => {
  const headers = { 'Idempotency-Key': `mn-${Date.now()}` };
  const [x, y] = await Promise.all([trigger(nodes[0], ['cy'], 'once', { headers }), trigger(nodes[2], ['cy'], 'once', { headers })]);
  assert.ok([x.status, y.status].every((s) => s === 202), `${x.status} ${y.status}`);
  assert.equal(x.json.id, y.json.id, 'both answers name the same notification');
  const feed = await api(nodes[1], 'GET', '/v1/me/notifications', { token: await userToken(nodes[1], 'cy') });
  assert.equal(feed.status, 200);
  assert.deepEqual(feed.json.items.map((n) => n.id), [x.json.id], 'cy got it once');
});

test('a key revoked through one node is refused at once by the others', async () => {
  const k = await api(nodes[0], 'POST', '/v1/api-keys', { token, json: { name: 'short-lived', scopes: ['notifications:write'] } });
  assert.equal(k.status, 201, JSON.stringify(k.json));
  const t = await getToken(nodes[1], { clientId: k.json.clientId, clientSecret: k.json.clientSecret });
  assert.equal((await trigger2(nodes[2], t)).status, 202, 'the token works on a third node');
  const del = await api(nodes[1], 'DELETE', `/v1/api-keys/${k.json.clientId}`, { token });
  assert.equal(del.status, 204);
  for (const n of nodes) assert.equal((await trigger2(n, t)).status, 401, `refused on ${n.url}`);
});

function trigger2(node, tok) {
  return api(node, 'POST', '/v1/notifications', {
    token: tok, json: { notification: { templateId: template.id, endUsersIds: ['dan'], override: [{ key: 'WHAT', value: 'x' }] } },
  });
}

test('failed authentications of a key count once across nodes', async () => {
  const k = await api(nodes[0], 'POST', '/v1/api-keys', { token, json: { name: 'guessed', scopes: ['notifications:read'] } });
  assert.equal(k.status, 201);
  const statuses = [];
  for (let i = 0; i < 12; i++) {
    const r = await tokenRequest(nodes[i % 3], {
      form: { grant_type: 'client_credentials' }, headers: { authorization: basic(k.json.clientId, 'wrong') },
    });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401), statuses.join(' '));
  assert.deepEqual(statuses.slice(10), [429, 429], `the 11th failure, on any node, is throttled: ${statuses.join(' ')}`);
});

test('a scheduled notification fires once across the cluster, though the node that accepted it was killed', async () => {
  const [a, b] = await Promise.all([stream(nodes[0], 'eve'), stream(nodes[1], 'eve')]);
  const startAt = new Date(Date.now() + 2500 * SLOW).toISOString();
  const r = await trigger(nodes[2], ['eve'], 'later', { extra: { startAt } });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  await nodes[2].kill('SIGKILL');
  nodes[2].killed = true;
  await Promise.all([a.waitFor(1, 15000 * SLOW), b.waitFor(1, 15000 * SLOW)]);
  await sleep(2500 * SLOW); // more than a sweep: a second firing would have shown by now
  for (const s of [a, b]) {
    assert.equal(s.events.length, 1, JSON.stringify(s.events));
    assert.equal(s.events[0].data.id, r.json.id);
    assert.ok(s.events[0].at >= Date.parse(startAt), 'not before its startAt');
  }
  assert.equal(await pg.sql(db, `SELECT count(*) FROM events WHERE notification_id = '${r.json.id}'`), '1');
  a.close();
  b.close();
  nodes[2] = await startHerald({ database: db }); // a replacement joins the cluster
});

test('a notification acknowledged by a node killed right after is kept', async () => {
  const victim = await startHerald({ database: db });
  victim.clientId = owner.clientId;
  const r = await trigger(victim, ['fay'], 'kept');
  assert.equal(r.status, 202);
  await victim.kill('SIGKILL');
  victim.killed = true;
  const got = await api(nodes[0], 'GET', `/v1/notifications/${r.json.id}`, { token });
  assert.equal(got.status, 200);
  assert.equal(got.json.id, r.json.id);
});

test('PostgreSQL down: 503 with Retry-After; back up: the nodes and their open streams carry on', async () => {
  const [a, b, c] = await Promise.all(nodes.map((n) => stream(n, 'gus')));
  await pg.stopServer();
  try {
    const r = await trigger(nodes[0], ['gus'], 'during');
    assert.equal(r.status, 503, JSON.stringify(r.json));
    assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After says when to retry');
  } finally {
    await pg.startServer();
  }
  let r;
  for (let i = 0; i < 20 * SLOW; i++) { // each node reconnects on its next call
    r = await trigger(nodes[1], ['gus'], 'after');
    if (r.status === 202) break;
    assert.equal(r.status, 503);
    await sleep(250);
  }
  assert.equal(r.status, 202, JSON.stringify(r.json));
  await Promise.all([a, b, c].map((s) => s.waitFor(1, 15000 * SLOW)));
  for (const s of [a, b, c]) {
    assert.equal(s.events.length, 1, 'the trigger refused during the outage sent nothing');
    assert.equal(s.events[0].data.id, r.json.id);
  }
});
