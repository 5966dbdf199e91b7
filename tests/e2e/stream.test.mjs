// stream.test.mjs: the live feed (SPEC §6) through a strict third-party SSE client (eventsource@4):
// immediate delivery, delivery at startAt and not before, retract on cancel and on expiry,
// Last-Event-ID replay without gaps or repeats, several devices, users outside the targets, a
// slow consumer that is dropped while others go on, and a restart that fires what became due.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { listen } from './lib/sse.mjs';
import {
  startHerald, getToken, api, makeSystem, makeTemplate, tempDir, sleep, SLOW,
} from './lib/herald.mjs';

let h, token, system, template;
before(async () => {
  h = await startHerald();
  token = await getToken(h);
  system = await makeSystem(h, token, 'Live');
  template = await makeTemplate(h, token, system.id, {
    name: 'Alert', title: 'Alert: ###WHAT###', description: '###DETAIL###',
  });
});
after(async () => { await h.stop(); });

async function userToken(user, server = h, sys = system, tok = token) {
  const r = await api(server, 'POST', `/v1/systems/${sys.id}/end-users/${encodeURIComponent(user)}/tokens`, { token: tok });
  assert.equal(r.status, 201);
  return r.json.token;
}

function trigger(users, what, extra = {}, detail = 'details') {
  return api(h, 'POST', '/v1/notifications', {
    token,
    json: {
      notification: {
        templateId: template.id, endUsersIds: users,
        override: [{ key: 'WHAT', value: what }, { key: 'DETAIL', value: detail }], ...extra,
      },
    },
  });
}

const streamUrl = (tok) => `${h.url}/v1/me/stream?access_token=${encodeURIComponent(tok)}`;

test('a triggered notification reaches every open device of its user at once, and nobody else', async () => {
  const [ada1, ada2, bob] = [listen(streamUrl(await userToken('ada'))),
    listen(streamUrl(await userToken('ada'))), listen(streamUrl(await userToken('bob')))];
  await Promise.all([ada1.opened, ada2.opened, bob.opened]);
  const sent = Date.now();
  const r = await trigger(['ada'], 'disk full');
  assert.equal(r.status, 202);
  await Promise.all([ada1.waitFor(1), ada2.waitFor(1)]);
  for (const dev of [ada1, ada2]) {
    const [e] = dev.events;
    assert.equal(e.type, 'notification');
    assert.equal(e.data.id, r.json.id);
    assert.equal(e.data.title, 'Alert: disk full');
    assert.match(e.id, /^\d+$/);
    assert.ok(e.at - sent < 1000 * SLOW, `delivered after ${e.at - sent} ms`);
  }
  assert.equal(ada1.events[0].id, ada2.events[0].id);
  await sleep(300);
  assert.equal(bob.events.length, 0, 'bob is not a target');
  for (const c of [ada1, ada2, bob]) c.close();
});

test('a scheduled notification arrives at startAt, not before', async () => {
  const dev = listen(streamUrl(await userToken('carol')));
  await dev.opened;
  const startAt = new Date(Date.now() + 1500).toISOString();
  const r = await trigger(['carol'], 'maintenance', { startAt });
  assert.equal(r.status, 202);
  assert.equal(r.json.status, 'scheduled');
  await sleep(900);
  assert.equal(dev.events.length, 0, 'nothing before startAt');
  await dev.waitFor(1);
  const late = dev.events[0].at - Date.parse(r.json.startAt);
  assert.ok(late >= -50 && late < 1000 * SLOW, `arrived ${late} ms after startAt`);
  assert.equal(dev.events[0].data.id, r.json.id);
  dev.close();
});

test('cancel retracts at once; expiry retracts at endAt', async () => {
  const dev = listen(streamUrl(await userToken('dave')));
  await dev.opened;
  const a = await trigger(['dave'], 'to cancel');
  const b = await trigger(['dave'], 'short lived', { endAt: new Date(Date.now() + 1500).toISOString() });
  await dev.waitFor(2);
  const cancelled = await api(h, 'DELETE', `/v1/notifications/${a.json.id}`, { token });
  assert.equal(cancelled.status, 204);
  await dev.waitFor(3);
  assert.deepEqual(dev.events[2], { ...dev.events[2], type: 'retract', data: { id: a.json.id } });
  await dev.waitFor(4);
  assert.equal(dev.events[3].type, 'retract');
  assert.equal(dev.events[3].data.id, b.json.id);
  const ids = dev.events.map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'event ids increase');
  dev.close();
});

test('reconnecting with Last-Event-ID replays what was missed, without gaps or repeats', async () => {
  const tok = await userToken('erin');
  const first = listen(streamUrl(tok));
  await first.opened;
  await trigger(['erin'], 'one');
  await first.waitFor(1);
  const lastId = first.events[0].id;
  first.close();
  const missed = [await trigger(['erin'], 'two'), await trigger(['erin'], 'three')];
  const res = await fetch(streamUrl(tok), { headers: { 'Last-Event-ID': lastId } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  const reader = res.body.getReader();
  let text = '';
  while ((text.match(/\nevent: /g) || []).length < 2) {
    const { value } = await reader.read();
    text += new TextDecoder().decode(value);
  }
  reader.cancel();
  const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  const data = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]));
  assert.deepEqual(data.map((d) => d.id), missed.map((m) => m.json.id));
  assert.ok(ids.every((id) => id > Number(lastId)));
  const again = listen(`${streamUrl(tok)}&lastEventId=${ids[1]}`);
  await again.opened;
  await trigger(['erin'], 'four');
  await again.waitFor(1);
  await sleep(200);
  assert.deepEqual(again.events.map((e) => e.data.title), ['Alert: four'], 'no repeats');
  again.close();
});

test('a stream needs an end-user token', async () => {
  const none = await fetch(`${h.url}/v1/me/stream`);
  assert.equal(none.status, 401);
  const api_token = await fetch(`${h.url}/v1/me/stream?access_token=${token}`);
  assert.equal(api_token.status, 401);
  assert.match(api_token.headers.get('www-authenticate'), /invalid_token/);
});

test('a client that never reads is dropped, and the others keep receiving', async () => {
  const tok = await userToken('slow');
  const slow = net.connect(h.port, '127.0.0.1');
  slow.write(`GET /v1/me/stream?access_token=${tok} HTTP/1.1\r\nHost: x\r\n\r\n`);
  slow.pause(); // never reads
  const fast = listen(streamUrl(tok));
  await fast.opened;
  await sleep(100);
  const t0 = Date.now();
  const detail = "x".repeat(2000); // the longest override value
  const count = 3000; // about 6 MB: more than the socket buffers and the server's queue hold
  for (let i = 0; i < count; i += 50) {
    const sent = await Promise.all(Array.from({ length: 50 }, (_, k) => trigger(['slow'], `n${i + k}`, {}, detail)));
    for (const r of sent) assert.equal(r.status, 202, JSON.stringify(r.json));
  }
  await fast.waitFor(count, 30000 * SLOW);
  let got = 0;
  const ended = new Promise((resolve) => { slow.on('end', resolve); slow.on('close', resolve); });
  slow.on('data', (d) => { got += d.length; });
  slow.resume();
  await ended;
  console.log(`the slow client got ${got} bytes before it was dropped, in ${Date.now() - t0} ms`);
  assert.ok(got < count * 2000, `the slow client was dropped (it got ${got} bytes)`);
  assert.equal(fast.events.length, count);
  fast.close();
});

test('a notification due while the server was down fires once on restart', async () => {
  const dir = tempDir();
  const a = await startHerald({ dataDir: dir });
  const atoken = await getToken(a);
  const sys = await makeSystem(a, atoken, 'R');
  const tpl = await makeTemplate(a, atoken, sys.id, { name: 't', title: 'Due while down' });
  const utok = await userToken('frank', a, sys, atoken);
  const r = await api(a, 'POST', '/v1/notifications', {
    token: atoken,
    json: { notification: { templateId: tpl.id, endUsersIds: ['frank'], startAt: new Date(Date.now() + 1000).toISOString() } },
  });
  assert.equal(r.status, 202);
  await a.stop();
  await sleep(1500);
  const b = await startHerald({ dataDir: dir });
  try {
    const url = `${b.url}/v1/me/stream?access_token=${encodeURIComponent(utok)}&lastEventId=0`;
    const dev = listen(url);
    await dev.opened;
    await dev.waitFor(1);
    await sleep(500);
    assert.equal(dev.events.length, 1, 'fired once');
    assert.equal(dev.events[0].data.id, r.json.id);
    dev.close();
  } finally {
    await b.stop();
  }
});
