// herald.mjs: the end-to-end harness. It starts the real binary on a free port with a fresh data
// directory and talks to it only as an outsider would: HTTP (fetch), raw sockets, and the CLI.
//
// HERALD_BIN   the binary to test, relative to the repository root (default build/herald)
// HERALD_SANITIZED=1   the binary is an ASan+UBSan build: timeouts are stretched, and any
//                      sanitizer report on stderr fails the test that stops the server.
// HERALD_E2E_DATABASE  a PostgreSQL server URL: each server runs on a fresh database there
//                      instead of a SQLite data directory (make test runs the suites both ways)
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import crypto from 'node:crypto';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = resolve(ROOT, process.env.HERALD_BIN || 'build/herald');
export const SANITIZED = !!process.env.HERALD_SANITIZED && process.env.HERALD_SANITIZED !== '0';
/** Multiplier for every timeout: a sanitized build is several times slower. */
export const SLOW = SANITIZED ? 4 : 1;

const SANITIZER_REPORT = /Sanitizer|runtime error:/;

const tempDirs = new Set();
const children = new Set();
process.on('exit', () => {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'herald-e2e-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

export function removeDir(d) {
  rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** promise's value, or null if it takes longer than ms (the timer never outlives the race). */
export async function within(promise, ms) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((r) => { timer = setTimeout(() => r(null), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

function sanitizerCheck(what, stderr) {
  if (SANITIZER_REPORT.test(stderr)) {
    const at = stderr.search(SANITIZER_REPORT);
    throw new Error(`${what}: sanitizer report on stderr:\n${stderr.slice(Math.max(0, at - 200), at + 4000)}`);
  }
}

/** With HERALD_E2E_DATABASE (a PostgreSQL server URL), each server gets a database of its own. */
let databases = 0;
const psql = (sql) => new Promise((res, rej) => execFile('psql',
  [process.env.HERALD_E2E_DATABASE, '-XAtq', '-c', sql], (e) => (e ? rej(e) : res())));
async function freshDatabase() {
  const name = `herald_e2e_${process.pid}_${databases++}`;
  await psql(`CREATE DATABASE ${name}`);
  return process.env.HERALD_E2E_DATABASE.replace(/\/[^/]*$/, `/${name}`);
}

/**
 * Starts `herald serve` on 127.0.0.1:0 with a fresh data dir (or `dataDir`, which the caller
 * then owns), or on the PostgreSQL `database` URL. With HERALD_E2E_DATABASE set, a server
 * without either gets a fresh database there (unless `sqlite`). Resolves once it listens, with
 * the first-start owner credentials (when this node created the first account).
 */
export async function startHerald({ args = [], env = {}, dataDir, database, sqlite = false } = {}) {
  const ownDatabase = !dataDir && !database && !sqlite && !!process.env.HERALD_E2E_DATABASE;
  if (ownDatabase) database = await freshDatabase();
  const ownDir = !dataDir && !database;
  const dir = dataDir || (database ? null : tempDir());
  const store = database ? ['--database', database] : ['--data', dir];
  const child = spawn(
    BIN,
    ['serve', '--listen', '127.0.0.1:0', ...store, '--workers', '2', ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((res) => {
    child.on('exit', (code, signal) => { children.delete(child); res({ code, signal }); });
  });
  let exitInfo = null;
  exited.then((e) => { exitInfo = e; });

  const url = await new Promise((res, rej) => {
    const limit = 15000 * SLOW;
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      rej(new Error(`herald did not print "listening on" within ${limit} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, limit);
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) { cleanup(); res(m[1]); }
    };
    const onExit = (code, signal) => {
      cleanup();
      rej(new Error(`herald exited early (code ${code}, signal ${signal})\nstdout:\n${out}\nstderr:\n${err}`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    }
    child.stdout.on('data', onData);
    child.on('exit', onExit);
    onData();
  });
  const clientId = /Client ID:\s+(\S+)/.exec(out)?.[1];
  const clientSecret = /Client secret:\s+(\S+)/.exec(out)?.[1];

  let stopped = null;
  const h = {
    url,
    port: Number(new URL(url).port),
    dataDir: dir,
    /** The store arguments of this server, for CLI commands on the same data. */
    store,
    clientId,
    clientSecret,
    pid: child.pid,
    exited,
    stdout: () => out,
    stderr: () => err,
    /** Sends a signal; resolves with {code, signal} once the process is gone. */
    kill(signal = 'SIGKILL') {
      if (!exitInfo) child.kill(signal);
      return exited;
    },
    /** SIGTERM, wait, and fail on a non-zero exit or a sanitizer report. Idempotent. */
    stop() {
      if (!stopped) stopped = stopImpl();
      return stopped;
    },
  };

  async function stopImpl() {
    if (!exitInfo) child.kill('SIGTERM');
    const limit = 10000 * SLOW;
    const res = await within(exited, limit);
    if (ownDir) removeDir(dir);
    if (ownDatabase) await psql(`DROP DATABASE IF EXISTS ${new URL(database).pathname.slice(1)} WITH (FORCE)`);
    if (!res) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`herald did not exit within ${limit} ms of SIGTERM\nstderr:\n${err.slice(-4000)}`);
    }
    sanitizerCheck('herald serve', err);
    if (res.code !== 0)
      throw new Error(`herald exited with code ${res.code} (signal ${res.signal})\nstderr:\n${err.slice(-4000)}`);
    return res.code;
  }
  return h;
}

/** Raw token request; resolves with the api() result shape. */
export async function tokenRequest(h, { path = '/oauth/token', form, headers = {}, body } = {}) {
  const b = body ?? new URLSearchParams(form).toString();
  return api(h, 'POST', path, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: b,
  });
}

export function basic(id, secret) {
  return 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');
}

/** An access token for the key (default: the owner key); throws unless 200. */
export async function getToken(h, { clientId = h.clientId, clientSecret = h.clientSecret, scope } = {}) {
  const form = { grant_type: 'client_credentials' };
  if (scope !== undefined) form.scope = scope;
  const r = await tokenRequest(h, { form, headers: { authorization: basic(clientId, clientSecret) } });
  if (r.status !== 200 || !r.json?.access_token)
    throw new Error(`token request failed: ${r.status} ${r.text}`);
  return r.json.access_token;
}

/** One HTTP call with fetch. `json` sets the body and Content-Type; `body` is sent as is. */
export async function api(h, method, path, { token, json, headers = {}, body } = {}) {
  const hdrs = { ...headers };
  if (token) hdrs.authorization = `Bearer ${token}`;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    if (!Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-type'))
      hdrs['content-type'] = 'application/json';
  }
  const res = await fetch(h.url + path, { method, headers: hdrs, body: payload });
  const text = await res.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  return { status: res.status, headers: res.headers, json: parsed, text };
}

/**
 * A raw TCP connection to the server, for what fetch hides (pipelining, malformed requests,
 * 100-continue). data() is everything received so far (latin1, byte for byte).
 */
export function openSocket(h) {
  return new Promise((res, rej) => {
    const sock = net.connect({ host: '127.0.0.1', port: h.port });
    let data = '';
    let closed = false;
    const waiters = new Set();
    const wake = () => { for (const w of [...waiters]) w(); };
    sock.setEncoding('latin1');
    sock.on('data', (d) => { data += d; wake(); });
    sock.on('error', () => { /* a reset is an outcome the tests look at, via closed */ });
    const closedP = new Promise((r) => sock.on('close', () => { closed = true; wake(); r(); }));
    sock.once('connect', () => {
      res({
        sock,
        data: () => data,
        isClosed: () => closed,
        closed: closedP,
        write: (bytes) => new Promise((r) => { if (closed) r(); else sock.write(bytes, 'latin1', () => r()); }),
        end: () => sock.end(),
        destroy: () => sock.destroy(),
        /** Resolves true once pred(data, closed) holds, false after ms. */
        waitFor(pred, ms = 2000 * SLOW) {
          return new Promise((r) => {
            const check = () => {
              if (pred(data, closed)) { done(); r(true); return true; }
              if (closed) { done(); r(false); return true; }
              return false;
            };
            const timer = setTimeout(() => { done(); r(false); }, ms);
            const done = () => { clearTimeout(timer); waiters.delete(check); };
            waiters.add(check);
            check();
          });
        },
      });
    });
    sock.once('error', (e) => { if (!closed) rej(e); });
  });
}

/**
 * Sends bytes on a new connection and returns the raw response text. It waits for the server
 * to close the connection, for `responses` complete responses, or for waitMs, whichever first.
 */
export async function rawHttp(h, bytes, { waitMs = 2000 * SLOW, responses } = {}) {
  const s = await openSocket(h);
  await s.write(bytes);
  await s.waitFor((d, closed) => closed || (responses && parseResponses(d).length >= responses), waitMs);
  s.destroy();
  return s.data();
}

/**
 * Parses consecutive HTTP/1.1 responses out of raw text (Content-Length or chunked bodies, or
 * no body for 1xx/204/304). Returns the complete ones: [{status, reason, headers, body, raw}],
 * headers as [name(lowercase), value] pairs with a get(name) helper.
 */
export function parseResponses(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    const end = text.indexOf('\r\n\r\n', i);
    if (end < 0) break;
    const lines = text.slice(i, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!m) break;
    const status = Number(m[1]);
    const headers = lines.slice(1).map((l) => {
      const c = l.indexOf(':');
      return [l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()];
    });
    const get = (n) => headers.find(([k]) => k === n.toLowerCase())?.[1];
    const all = (n) => headers.filter(([k]) => k === n.toLowerCase()).map(([, v]) => v);
    let p = end + 4;
    let body = '';
    if (status >= 200 && status !== 204 && status !== 304) {
      if (/chunked/i.test(get('transfer-encoding') || '')) {
        let ok = false;
        for (;;) {
          const le = text.indexOf('\r\n', p);
          if (le < 0) break;
          const n = parseInt(text.slice(p, le), 16);
          if (Number.isNaN(n)) break;
          if (n === 0) {
            const te = text.indexOf('\r\n\r\n', le);
            if (te < 0) break;
            p = te + 4;
            ok = true;
            break;
          }
          if (text.length < le + 2 + n + 2) break;
          body += text.slice(le + 2, le + 2 + n);
          p = le + 2 + n + 2;
        }
        if (!ok) break;
      } else {
        const n = Number(get('content-length') || 0);
        if (text.length < p + n) break;
        body = text.slice(p, p + n);
        p += n;
      }
    }
    let json = null;
    try { json = body ? JSON.parse(Buffer.from(body, 'latin1').toString('utf8')) : null; } catch { json = null; }
    out.push({ status, reason: m[2], headers, get, all, body, json, raw: text.slice(i, p) });
    i = p;
  }
  return out;
}

/** Runs the herald CLI; resolves with {code, stdout, stderr, json}. */
export function runCli(args, { env = {} } = {}) {
  return new Promise((res, rej) => {
    execFile(BIN, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 20000 * SLOW },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') { rej(error); return; }
        try { sanitizerCheck(`herald ${args.join(' ')}`, stderr); } catch (e) { rej(e); return; }
        let json = null;
        try { json = JSON.parse(stdout); } catch { json = null; }
        res({ code: error ? error.code : 0, stdout, stderr, json });
      });
  });
}

// ---- JWT helpers (no library: the tests must see the bytes as they are) ----

export function b64urlDecode(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function b64urlEncode(buf) {
  return Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

export function decodeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a JWT: ${token}`);
  return {
    header: JSON.parse(b64urlDecode(parts[0]).toString('utf8')),
    claims: JSON.parse(b64urlDecode(parts[1]).toString('utf8')),
    signature: parts[2],
  };
}

/** An HS256 JWT of header and claims signed with key (Buffer or string). */
export function signJwt(claims, key, header = { alg: 'HS256', typ: 'JWT' }) {
  const h = b64urlEncode(JSON.stringify(header));
  const c = b64urlEncode(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', key).update(`${h}.${c}`).digest();
  return `${h}.${c}.${b64urlEncode(sig)}`;
}

// ---- shared fixtures ----

/** Creates a system, a template and end users; returns their ids. */
export async function makeSystem(h, token, name = 'CRM') {
  const r = await api(h, 'POST', '/v1/systems', { token, json: { name } });
  if (r.status !== 201) throw new Error(`POST /v1/systems: ${r.status} ${r.text}`);
  return r.json;
}

export async function makeTemplate(h, token, systemId, template) {
  const r = await api(h, 'POST', `/v1/systems/${systemId}/templates`, { token, json: template });
  if (r.status !== 201) throw new Error(`POST templates: ${r.status} ${r.text}`);
  return r.json;
}

/** An assertion message that shows the whole response when it fails. */
export function show(r) {
  return `got ${r.status} ${r.text}`;
}
