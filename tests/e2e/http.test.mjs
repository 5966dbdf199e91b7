// http.test.mjs: HTTP/1.1 on raw sockets (RFC 9112): keep-alive, pipelining, chunked bodies,
// 100-continue, limits, malformed requests, timeouts, the connection cap, graceful shutdown.
// fetch hides all of this, so these tests write bytes and read bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHerald, getToken, api, rawHttp, openSocket, parseResponses, sleep, within, SLOW, SANITIZED, show,
} from './lib/herald.mjs';

let h; // defaults
let hSlow; // --request-timeout-ms 500
let hCap; // --max-connections 16
let hStop; // stopped by the shutdown test (grace 6 s: an idle socket must not make it wait that long)
let token;

before(async () => {
  [h, hSlow, hCap, hStop] = await Promise.all([
    startHerald(),
    startHerald({ args: ['--request-timeout-ms', '500'] }),
    startHerald({ args: ['--max-connections', '16'] }),
    startHerald({ args: ['--shutdown-grace-ms', '6000'] }),
  ]);
  token = await getToken(h);
});
after(async () => {
  await Promise.all([h, hSlow, hCap, hStop].filter(Boolean).map((x) => x.stop()));
});

const get = (path, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;

/** A new connection can still be served: the server survived whatever came before. */
async function assertHealthy(server = h) {
  const text = await rawHttp(server, get('/healthz', 'Connection: close\r\n'), { responses: 1 });
  const [res] = parseResponses(text);
  assert.ok(res, `no response to GET /healthz on a new connection: ${JSON.stringify(text)}`);
  assert.equal(res.status, 200, res.raw);
}

/** The first response to bytes must be `status` with a JSON error body; then /healthz works. */
async function assertRejected(bytes, status, { code, server = h } = {}) {
  const text = await rawHttp(server, bytes, { responses: 1 });
  const [res] = parseResponses(text);
  assert.ok(res, `no complete response: ${JSON.stringify(text.slice(0, 500))}`);
  assert.equal(res.status, status, res.raw);
  assert.match(res.get('content-type') || '', /^application\/json/, res.raw);
  assert.ok(res.json?.error?.code, `error body has error.code: ${res.raw}`);
  assert.equal(typeof res.json.error.message, 'string', res.raw);
  if (code) assert.equal(res.json.error.code, code, res.raw);
  await assertHealthy(server);
  return res;
}

test('keep-alive: two requests, one after the other, on one socket', async () => {
  const s = await openSocket(h);
  await s.write(get('/healthz'));
  assert.ok(await s.waitFor((d) => parseResponses(d).length === 1), `first response: ${s.data()}`);
  await s.write(get('/.well-known/oauth-authorization-server'));
  assert.ok(await s.waitFor((d) => parseResponses(d).length === 2), `second response: ${s.data()}`);
  const [a, b] = parseResponses(s.data());
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.ok(b.json?.token_endpoint, b.raw);
  assert.equal(s.isClosed(), false, 'the connection stays open');
  s.destroy();
});

test('pipelining: three requests in one write → three responses in order', async () => {
  const text = await rawHttp(h,
    get('/healthz') + get('/no/such/route') + get('/.well-known/oauth-authorization-server', 'Connection: close\r\n'),
    { responses: 3 });
  const rs = parseResponses(text);
  assert.deepEqual(rs.map((r) => r.status), [200, 404, 200], text);
  assert.equal(rs[1].json.error.code, 'not_found');
  assert.ok(rs[2].json.issuer, rs[2].raw);
});

test('a chunked request body is read', async () => {
  const s = await openSocket(h);
  await s.write(
    'POST /v1/systems HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
    `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
    '8\r\n{"name":\r\n');
  await sleep(50);
  await s.write('b\r\n"Chunked!"}\r\n0\r\n\r\n');
  assert.ok(await s.waitFor((d) => parseResponses(d).length === 1), `response: ${s.data()}`);
  s.destroy();
  const [res] = parseResponses(s.data());
  assert.equal(res.status, 201, res.raw);
  assert.equal(res.json.name, 'Chunked!');
});

test('Expect: 100-continue → "100 Continue" before the body, then 201', async () => {
  const body = JSON.stringify({ name: 'After continue' });
  const s = await openSocket(h);
  await s.write(
    'POST /v1/systems HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
    `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
  assert.ok(await s.waitFor((d) => d.includes('\r\n\r\n')), 'an interim response before the body is sent');
  assert.match(s.data(), /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  await s.write(body);
  assert.ok(await s.waitFor((d) => parseResponses(d).some((r) => r.status !== 100)), s.data());
  s.destroy();
  const final = parseResponses(s.data()).find((r) => r.status !== 100);
  assert.equal(final.status, 201, final.raw);
  assert.equal(final.json.name, 'After continue');
});

test('a header block over 16 KiB → 431', async () => {
  await assertRejected(
    `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 431);
});

test('Content-Length 70000 on POST /v1/notifications → 413 before the body is sent', async () => {
  const s = await openSocket(h);
  await s.write(
    'POST /v1/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
    `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n`);
  assert.ok(await s.waitFor((d) => parseResponses(d).length >= 1), `a response without the body: ${s.data()}`);
  s.destroy();
  const [res] = parseResponses(s.data());
  assert.equal(res.status, 413, res.raw);
  assert.ok(res.json?.error?.code, res.raw);
  assert.match(res.json.error.message, /64 KiB|65536|too large/i, res.raw);
  await assertHealthy();
});

test('conflicting Content-Length headers → 400', async () => {
  await assertRejected(
    'POST /v1/systems HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    'Content-Length: 5\r\nContent-Length: 6\r\n\r\n{"a":1}', 400);
});

test('duplicate Content-Length headers → 400', async () => {
  await assertRejected(
    'POST /v1/systems HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    'Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}', 400);
});

test('duplicate Host → 400 (RFC 9112 §3.2)', async () => {
  await assertRejected('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.com\r\n\r\n', 400);
});

test('missing Host on HTTP/1.1 → 400', async () => {
  await assertRejected('GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n', 400);
});

test('a folded header line (obs-fold) → 400', async () => {
  await assertRejected('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Folded: a\r\n  b\r\n\r\n', 400);
});

test('garbage → 400', async () => {
  await assertRejected('HELLO THERE\r\n\r\n', 400);
  await assertRejected('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400);
});

test('Transfer-Encoding and Content-Length together cannot smuggle a request', async () => {
  const smuggled = get('/no/such/smuggled');
  const bytes =
    'POST /v1/systems HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${5 + smuggled.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`;
  const text = await rawHttp(h, bytes, { waitMs: 1000 * SLOW });
  const rs = parseResponses(text);
  assert.ok(rs.length >= 1, text);
  assert.equal(rs[0].status, 400, `TE + CL is rejected (RFC 9112 §6.1): ${rs[0].raw}`);
  assert.equal(rs.length, 1, `only one response, the connection closed after it: ${text}`);
  await assertHealthy();
});

test('unknown route → 404 JSON; wrong method → 405 with Allow', async () => {
  const nf = await api(h, 'GET', '/v1/nothing-here');
  assert.equal(nf.status, 404, show(nf));
  assert.match(nf.headers.get('content-type'), /^application\/json/);
  assert.equal(nf.json.error.code, 'not_found');
  const m = await api(h, 'DELETE', '/healthz');
  assert.equal(m.status, 405, show(m));
  assert.equal(m.json.error.code, 'method_not_allowed');
  assert.match(m.headers.get('allow') || '', /\bGET\b/);
  const t = await api(h, 'GET', '/oauth/token');
  assert.equal(t.status, 405, show(t));
  assert.match(t.headers.get('allow') || '', /\bPOST\b/);
  const sys = await api(h, 'PATCH', '/v1/systems', { token });
  assert.equal(sys.status, 405, show(sys));
  assert.deepEqual((sys.headers.get('allow') || '').split(/\s*,\s*/).sort(), ['GET', 'POST']);
});

test('slow client: half a request line → 408 (or closed) soon after --request-timeout-ms 500', async () => {
  const s = await openSocket(hSlow);
  const t0 = Date.now();
  await s.write('GET /healthz HT');
  const done = await s.waitFor((d, closed) => closed || parseResponses(d).length > 0, 2500 * SLOW);
  const took = Date.now() - t0;
  s.destroy();
  assert.ok(done, `no 408 and no close within ${2500 * SLOW} ms`);
  assert.ok(took >= 400, `not before the timeout: ${took} ms`);
  const rs = parseResponses(s.data());
  if (rs.length) {
    assert.equal(rs[0].status, 408, rs[0].raw);
    assert.ok(rs[0].json?.error?.code, rs[0].raw);
  }
  // headers that never finish time out too
  const s2 = await openSocket(hSlow);
  await s2.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n');
  assert.ok(await s2.waitFor((d, closed) => closed || parseResponses(d).length > 0, 2500 * SLOW), 'slow headers time out');
  s2.destroy();
  await assertHealthy(hSlow);
});

test('connection cap: 16 open, the 17th → 503 (or closed); after closing some a new one works', async () => {
  const open = [];
  for (let i = 0; i < 16; i++) open.push(await openSocket(hCap));
  // make sure every one of them is accepted and counted: each is served a request
  for (const s of open) await s.write(get('/healthz'));
  for (const s of open) assert.ok(await s.waitFor((d) => parseResponses(d).length === 1), `held connection served: ${s.data()}`);

  const extra = await openSocket(hCap);
  await extra.write(get('/healthz'));
  await extra.waitFor((d, closed) => closed || parseResponses(d).length > 0, 2000 * SLOW);
  const rs = parseResponses(extra.data());
  if (rs.length) {
    assert.equal(rs[0].status, 503, rs[0].raw);
    assert.ok(rs[0].json?.error?.code, rs[0].raw);
    assert.match(rs[0].get('retry-after') || '', /^\d+$/, '503 says when to retry');
  } else {
    assert.ok(extra.isClosed(), 'the 17th connection is refused');
  }
  extra.destroy();

  for (const s of open.splice(0, 4)) s.destroy();
  await sleep(200);
  // the held sockets are still served
  await open[0].write(get('/healthz'));
  assert.ok(await open[0].waitFor((d) => parseResponses(d).length === 2), open[0].data());
  let ok = false;
  for (let i = 0; i < 20 && !ok; i++) {
    const text = await rawHttp(hCap, get('/healthz', 'Connection: close\r\n'), { responses: 1, waitMs: 1000 * SLOW });
    ok = parseResponses(text)[0]?.status === 200;
    if (!ok) await sleep(100);
  }
  assert.ok(ok, 'a new connection works once others closed');
  for (const s of open) s.destroy();
});

test('graceful shutdown: an idle keep-alive socket does not hold SIGTERM up; exit 0 within 3 s', async () => {
  const s = await openSocket(hStop);
  await s.write(get('/healthz'));
  assert.ok(await s.waitFor((d) => parseResponses(d).length === 1), s.data());
  const t0 = Date.now();
  const exited = hStop.kill('SIGTERM');
  const res = await within(exited, 9000 * SLOW);
  const took = Date.now() - t0;
  assert.ok(res, `herald did not exit within ${took} ms of SIGTERM`);
  assert.equal(res.code, 0, `exit code ${res.code} signal ${res.signal}: ${hStop.stderr().slice(-2000)}`);
  assert.ok(took < 3000 * (SANITIZED ? 2 : 1), `exit took ${took} ms`);
  assert.ok(await s.waitFor((d, closed) => closed, 1000), 'the idle socket was closed');
  s.destroy();
  await hStop.stop(); // sanitizer report check
});

test('graceful shutdown: a request in flight is finished before exit', async () => {
  const x = await startHerald({ args: ['--shutdown-grace-ms', '5000'] });
  try {
    const tok = await getToken(x);
    const body = JSON.stringify({ name: 'in flight' });
    const s = await openSocket(x);
    await s.write(
      'POST /v1/systems HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Authorization: Bearer ${tok}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n` +
      body.slice(0, 5));
    await sleep(100);
    const exited = x.kill('SIGTERM');
    await sleep(200);
    await s.write(body.slice(5));
    assert.ok(await s.waitFor((d) => parseResponses(d).length === 1, 3000 * SLOW), `response: ${s.data()}`);
    const [res] = parseResponses(s.data());
    assert.equal(res.status, 201, res.raw);
    assert.match(res.get('connection') || '', /close/i, 'the last response says Connection: close');
    const e = await within(exited, 5000 * SLOW);
    assert.ok(e, 'exits once the request is done');
    assert.equal(e.code, 0);
    s.destroy();
  } finally {
    await x.stop();
  }
});
