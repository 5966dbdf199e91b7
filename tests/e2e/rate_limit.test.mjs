// rate_limit.test.mjs: the per-key trigger rate limit (SPEC §3): every trigger's answer says where
// its API key stands (RateLimit-Limit, -Remaining, -Reset); past the limit the answer is 429 with
// Retry-After, in the SPEC §3 error format, and nothing is stored; other keys are not affected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, runCli, makeSystem, makeTemplate, show } from './lib/herald.mjs';

const LIMIT = 3;
let h;
let token;
let tpl;

before(async () => {
  h = await startHerald({ args: ['--rate-limit', String(LIMIT)] });
  token = await getToken(h);
  const sys = await makeSystem(h, token, 'Monitoring');
  tpl = await makeTemplate(h, token, sys.id, { name: 'Disk', title: 'Disk almost full' });
});
after(async () => { await h.stop(); });

function trigger(tok, user, body) {
  return api(h, 'POST', '/v1/notifications', {
    token: tok,
    json: body ?? { notification: { templateId: tpl.id, endUsersIds: [user] } },
  });
}

async function keyToken(name) {
  const r = await runCli(['keys', 'create', ...h.store, '--name', name, '--scopes', 'notifications:write notifications:read']);
  assert.equal(r.code, 0, `keys create: ${r.stderr}`);
  return getToken(h, { clientId: r.json.clientId, clientSecret: r.json.clientSecret });
}

test('each trigger counts against its key; past the limit: 429, Retry-After, nothing stored', async () => {
  const tok = await keyToken('integration');
  for (let i = 0; i < LIMIT; i++) {
    const r = await trigger(tok, `ada${i}@example.com`);
    assert.equal(r.status, 202, show(r));
    assert.equal(r.headers.get('ratelimit-limit'), String(LIMIT));
    assert.equal(r.headers.get('ratelimit-remaining'), String(LIMIT - 1 - i));
    const reset = Number(r.headers.get('ratelimit-reset'));
    assert.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset}`);
  }
  const over = await trigger(tok, 'bob@example.com');
  assert.equal(over.status, 429, show(over));
  assert.equal(over.json.error.code, 'rate_limited');
  assert.match(over.json.error.message, new RegExp(`its ${LIMIT} triggers for this minute; retry in \\d+ s`));
  const wait = Number(over.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
  assert.equal(over.headers.get('ratelimit-remaining'), '0');

  // a payload that would fail validation is refused for the rate first: nothing is read
  const bad = await trigger(tok, null, { notification: { templateId: 'nope' } });
  assert.equal(bad.status, 429, show(bad));

  const list = await api(h, 'GET', '/v1/notifications', { token: tok });
  assert.equal(list.status, 200, show(list));
  assert.equal(list.json.items.length, LIMIT, 'the accepted ones are stored, the refused ones not');
});

test('another key of the same account has a limit of its own', async () => {
  const a = await keyToken('first');
  const b = await keyToken('second');
  for (let i = 0; i < LIMIT; i++) assert.equal((await trigger(a, `c${i}@example.com`)).status, 202);
  assert.equal((await trigger(a, 'c9@example.com')).status, 429);
  const r = await trigger(b, 'dan@example.com');
  assert.equal(r.status, 202, show(r));
  assert.equal(r.headers.get('ratelimit-remaining'), String(LIMIT - 1));
});

test('other calls of a limited key still work', async () => {
  const tok = await keyToken('reader');
  for (let i = 0; i <= LIMIT; i++) await trigger(tok, `e${i}@example.com`);
  assert.equal((await trigger(tok, 'e9@example.com')).status, 429);
  const r = await api(h, 'GET', '/v1/notifications', { token: tok });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.headers.get('ratelimit-limit'), null, 'only triggers are limited');
});
