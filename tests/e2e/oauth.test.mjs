// oauth.test.mjs: SPEC §2, the OAuth 2.0 client credentials grant (RFC 6749 §4.4, §2.3.1, §5.2),
// the RFC 8414 metadata with a real OAuth client (openid-client), throttling, bearer token checks
// (RFC 6750 §3), scopes, API keys and their revocation (through the API, and by the CLI
// beside the running server).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import {
  startHerald, getToken, api, tokenRequest, basic, runCli, decodeJwt, signJwt, b64urlEncode,
  b64urlDecode, show,
} from './lib/herald.mjs';

let h; // the server most tests talk to
let h120; // --token-ttl 120: another signing key, and the configurable lifetime
let hThrottle; // throttling gets its own server: it throttles the test's address too
const secrets = new Set(); // every client secret seen, checked against the logs at the end
const bearerTokens = new Set();

before(async () => {
  [h, h120, hThrottle] = await Promise.all([
    startHerald(),
    startHerald({ args: ['--token-ttl', '120'] }),
    startHerald(),
  ]);
  secrets.add(h.clientSecret);
});
after(async () => {
  await Promise.all([h, h120, hThrottle].filter(Boolean).map((x) => x.stop()));
});

const GRANT = { grant_type: 'client_credentials' };

async function cliKey(server, scopes, name = 'test key') {
  const r = await runCli(['keys', 'create', ...server.store, '--name', name, '--scopes', scopes]);
  assert.equal(r.code, 0, `keys create: ${r.stderr}`);
  assert.ok(r.json?.clientId && r.json?.clientSecret, `keys create printed ${r.stdout}`);
  secrets.add(r.json.clientSecret);
  return r.json;
}

function assertOAuthError(r, status, error) {
  assert.equal(r.status, status, show(r));
  assert.ok(r.json, `an OAuth error is JSON: ${r.text}`);
  assert.equal(r.json.error, error, show(r));
  assert.equal(typeof r.json.error_description, 'string');
  assert.ok(r.json.error_description.length > 10, `error_description says what is wrong: ${r.text}`);
  assert.match(r.headers.get('content-type') || '', /^application\/json/);
  if (status === 401) assert.equal(r.headers.get('www-authenticate'), 'Basic realm="herald"');
}

function assertInvalidToken(r) {
  assert.equal(r.status, 401, show(r));
  assert.match(r.headers.get('www-authenticate') || '', /^Bearer\b/);
  assert.match(r.headers.get('www-authenticate') || '', /error="invalid_token"/);
  assert.equal(r.json?.error?.code, 'unauthorized', show(r));
  assert.equal(typeof r.json.error.message, 'string');
}

// ---- the token endpoint ----

for (const path of ['/accounts/connect/token', '/oauth/token']) {
  test(`${path}: Basic credentials → 200 bearer token, no-store`, async () => {
    const r = await tokenRequest(h, { path, form: GRANT, headers: { authorization: basic(h.clientId, h.clientSecret) } });
    assert.equal(r.status, 200, show(r));
    assert.match(r.headers.get('cache-control') || '', /no-store/);
    assert.match(r.headers.get('content-type') || '', /^application\/json/);
    assert.equal(r.json.token_type, 'bearer');
    assert.equal(r.json.expires_in, 86400);
    assert.deepEqual(r.json.scope.split(' ').sort(),
      ['admin:read', 'admin:write', 'notifications:read', 'notifications:write'], 'default scope: all of the key');
    bearerTokens.add(r.json.access_token);
    const ok = await api(h, 'GET', '/v1/systems', { token: r.json.access_token });
    assert.equal(ok.status, 200, show(ok));
  });

  test(`${path}: client_id and client_secret in the body → 200`, async () => {
    const r = await tokenRequest(h, { path, form: { ...GRANT, client_id: h.clientId, client_secret: h.clientSecret } });
    assert.equal(r.status, 200, show(r));
    assert.match(r.headers.get('cache-control') || '', /no-store/);
    assert.equal(r.json.token_type, 'bearer');
    assert.equal(r.json.expires_in, 86400);
    bearerTokens.add(r.json.access_token);
  });
}

test('the token is an HS256 JWT with sub, scope, iat, exp = iat + expires_in, jti', async () => {
  const before = Math.floor(Date.now() / 1000);
  const r = await tokenRequest(h, { form: GRANT, headers: { authorization: basic(h.clientId, h.clientSecret) } });
  const after = Math.ceil(Date.now() / 1000);
  assert.equal(r.status, 200, show(r));
  const { header, claims } = decodeJwt(r.json.access_token);
  assert.equal(header.alg, 'HS256');
  assert.equal(claims.sub, h.clientId);
  assert.equal(claims.scope, r.json.scope);
  assert.ok(Number.isInteger(claims.iat), `iat is NumericDate: ${claims.iat}`);
  assert.ok(claims.iat >= before - 1 && claims.iat <= after + 1, `iat ${claims.iat} is now (${before}..${after})`);
  assert.equal(claims.exp, claims.iat + r.json.expires_in);
  assert.equal(typeof claims.jti, 'string');
  assert.ok(claims.jti.length >= 8);
  const again = await getToken(h);
  bearerTokens.add(again);
  assert.notEqual(decodeJwt(again).claims.jti, claims.jti, 'every token has its own jti');
});

test('--token-ttl 120 → expires_in 120 and exp = iat + 120', async () => {
  const r = await tokenRequest(h120, { form: GRANT, headers: { authorization: basic(h120.clientId, h120.clientSecret) } });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.expires_in, 120);
  const { claims } = decodeJwt(r.json.access_token);
  assert.equal(claims.exp - claims.iat, 120);
});

test('Basic and body credentials at once → 400 invalid_request', async () => {
  const r = await tokenRequest(h, {
    form: { ...GRANT, client_id: h.clientId, client_secret: h.clientSecret },
    headers: { authorization: basic(h.clientId, h.clientSecret) },
  });
  assertOAuthError(r, 400, 'invalid_request');
});

test('no client credentials → 401 invalid_client with WWW-Authenticate: Basic realm="herald"', async () => {
  const r = await tokenRequest(h, { form: GRANT });
  assertOAuthError(r, 401, 'invalid_client');
  const onlyId = await tokenRequest(h, { form: { ...GRANT, client_id: h.clientId } });
  assertOAuthError(onlyId, 401, 'invalid_client');
});

test('wrong secret or unknown client id → 401 invalid_client', async () => {
  const wrong = await tokenRequest(h, { form: GRANT, headers: { authorization: basic(h.clientId, h.clientSecret + 'x') } });
  assertOAuthError(wrong, 401, 'invalid_client');
  const unknown = await tokenRequest(h, { form: { ...GRANT, client_id: 'hk_doesnotexist000000000000', client_secret: h.clientSecret } });
  assertOAuthError(unknown, 401, 'invalid_client');
});

test('grant_type missing → invalid_request; another grant → unsupported_grant_type', async () => {
  const auth = { authorization: basic(h.clientId, h.clientSecret) };
  const missing = await tokenRequest(h, { form: {}, headers: auth });
  assertOAuthError(missing, 400, 'invalid_request');
  assert.match(missing.json.error_description, /grant_type/);
  const password = await tokenRequest(h, { form: { grant_type: 'password', username: 'a', password: 'b' }, headers: auth });
  assertOAuthError(password, 400, 'unsupported_grant_type');
  const code = await tokenRequest(h, { form: { grant_type: 'authorization_code', code: 'x' }, headers: auth });
  assertOAuthError(code, 400, 'unsupported_grant_type');
});

test('a JSON body instead of a form → 400 invalid_request naming the form encoding', async () => {
  const r = await api(h, 'POST', '/oauth/token', {
    json: { grant_type: 'client_credentials', client_id: h.clientId, client_secret: h.clientSecret },
  });
  assertOAuthError(r, 400, 'invalid_request');
  assert.match(r.json.error_description, /x-www-form-urlencoded/);
});

test('scope: a subset is granted and reflected; unknown or exceeding → invalid_scope', async () => {
  const auth = { authorization: basic(h.clientId, h.clientSecret) };
  const sub = await tokenRequest(h, { form: { ...GRANT, scope: 'admin:read' }, headers: auth });
  assert.equal(sub.status, 200, show(sub));
  assert.equal(sub.json.scope, 'admin:read');
  assert.equal(decodeJwt(sub.json.access_token).claims.scope, 'admin:read');
  // the token carries the granted subset, not the key's scopes
  const read = await api(h, 'GET', '/v1/systems', { token: sub.json.access_token });
  assert.equal(read.status, 200, show(read));
  const write = await api(h, 'POST', '/v1/systems', { token: sub.json.access_token, json: { name: 'x' } });
  assert.equal(write.status, 403, show(write));
  assert.equal(write.json.error.code, 'forbidden');
  assert.match(write.json.error.message, /admin:write/);

  const two = await tokenRequest(h, { form: { ...GRANT, scope: 'notifications:write admin:read' }, headers: auth });
  assert.equal(two.status, 200, show(two));
  assert.deepEqual(two.json.scope.split(' ').sort(), ['admin:read', 'notifications:write']);

  const unknown = await tokenRequest(h, { form: { ...GRANT, scope: 'admin:read admin:delete' }, headers: auth });
  assertOAuthError(unknown, 400, 'invalid_scope');
  assert.match(unknown.json.error_description, /admin:delete/);

  const narrow = await cliKey(h, 'notifications:write', 'narrow');
  const exceed = await tokenRequest(h, {
    form: { ...GRANT, scope: 'notifications:write admin:write' },
    headers: { authorization: basic(narrow.clientId, narrow.clientSecret) },
  });
  assertOAuthError(exceed, 400, 'invalid_scope');
});

// ---- RFC 8414 and a real OAuth client ----

test('GET /.well-known/oauth-authorization-server names the issuer and the token endpoint', async () => {
  const r = await api(h, 'GET', '/.well-known/oauth-authorization-server');
  assert.equal(r.status, 200, show(r));
  assert.match(r.headers.get('content-type') || '', /^application\/json/);
  assert.equal(r.json.issuer.replace(/\/$/, ''), h.url);
  assert.ok([`${h.url}/oauth/token`, `${h.url}/accounts/connect/token`].includes(r.json.token_endpoint), r.text);
  assert.ok(r.json.grant_types_supported.includes('client_credentials'));
  for (const m of ['client_secret_basic', 'client_secret_post'])
    assert.ok(r.json.token_endpoint_auth_methods_supported.includes(m), `${m} is advertised`);
  assert.deepEqual([...r.json.scopes_supported].sort(),
    ['admin:read', 'admin:write', 'notifications:read', 'notifications:write']);
  // the issuer in the metadata is the one in the tokens
  const { claims } = decodeJwt(await getToken(h));
  if ('iss' in claims) assert.equal(claims.iss, r.json.issuer);
});

for (const [name, auth] of [['client_secret_basic', () => oidc.ClientSecretBasic(h.clientSecret)],
  ['client_secret_post', () => oidc.ClientSecretPost(h.clientSecret)]]) {
  test(`openid-client discovers herald and gets a token (${name})`, async () => {
    const config = await oidc.discovery(new URL(h.url), h.clientId, undefined, auth(), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    });
    assert.equal(config.serverMetadata().token_endpoint.startsWith(h.url), true);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'admin:read notifications:read' });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.expires_in, 86400);
    assert.equal(typeof tokens.access_token, 'string');
    bearerTokens.add(tokens.access_token);
    const res = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${h.url}/v1/systems`), 'GET');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.ok(Array.isArray(body.items));
  });
}

// ---- bearer tokens on /v1 (RFC 6750 §3) ----

test('no token, malformed, tampered, foreign-key and alg:none tokens → 401 invalid_token', async () => {
  assertInvalidToken(await api(h, 'GET', '/v1/systems'));
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { headers: { authorization: 'Bearer' } }));
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: 'not-a-jwt' }));
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: 'a.b.c' }));
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { headers: { authorization: basic(h.clientId, h.clientSecret) } }));

  const good = await getToken(h);
  bearerTokens.add(good);
  const [hd, pl, sig] = good.split('.');
  // a flipped bit in the middle of the signature
  const sigBytes = b64urlDecode(sig);
  sigBytes[10] ^= 0x01;
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: `${hd}.${pl}.${b64urlEncode(sigBytes)}` }));
  // claims changed (scope widened, sub changed), signature kept
  const claims = decodeJwt(good).claims;
  const forged = b64urlEncode(JSON.stringify({ ...claims, exp: claims.exp + 86400 * 365 }));
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: `${hd}.${forged}.${sig}` }));
  // alg none
  const none = `${b64urlEncode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${pl}.`;
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: none }));
  // well-formed, signed by another herald (another server secret)
  const foreign = await getToken(h120);
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: foreign }));
  // same claims as a valid token, signed with a key that is not herald's
  assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: signJwt(claims, 'not the server secret') }));
});

test('scopes: notifications:write only → 403 naming admin:write; admin:write can read', async () => {
  const nw = await cliKey(h, 'notifications:write', 'sender');
  const nwTok = await getToken(h, nw);
  const create = await api(h, 'POST', '/v1/systems', { token: nwTok, json: { name: 'nope' } });
  assert.equal(create.status, 403, show(create));
  assert.equal(create.json.error.code, 'forbidden');
  assert.match(create.json.error.message, /admin:write/);
  const list = await api(h, 'GET', '/v1/systems', { token: nwTok });
  assert.equal(list.status, 403, show(list));
  assert.equal(list.json.error.code, 'forbidden');
  assert.match(list.json.error.message, /admin:read/);

  const aw = await cliKey(h, 'admin:write', 'admin');
  const awTok = await getToken(h, aw);
  const made = await api(h, 'POST', '/v1/systems', { token: awTok, json: { name: 'by admin' } });
  assert.equal(made.status, 201, show(made));
  const read = await api(h, 'GET', '/v1/systems', { token: awTok });
  assert.equal(read.status, 200, `admin:write implies admin:read: ${show(read)}`);
  assert.ok(read.json.items.some((x) => x.id === made.json.id));
  const one = await api(h, 'GET', `/v1/systems/${made.json.id}`, { token: awTok });
  assert.equal(one.status, 200, show(one));
  const send = await api(h, 'POST', '/v1/notifications', { token: awTok, json: { notification: {} } });
  assert.equal(send.status, 403, show(send));
  assert.equal(send.json.error.code, 'forbidden');
  assert.match(send.json.error.message, /notifications:write/);
});

// ---- API keys (SPEC §5) and revocation (SPEC §2) ----

test('POST /v1/api-keys → 201 with the secret once; GET lists keys without secrets', async () => {
  const owner = await getToken(h);
  const r = await api(h, 'POST', '/v1/api-keys', { token: owner, json: { name: 'Zapier', scopes: ['notifications:write', 'admin:read'] } });
  assert.equal(r.status, 201, show(r));
  assert.equal(typeof r.json.clientId, 'string');
  assert.equal(typeof r.json.clientSecret, 'string');
  assert.ok(r.json.clientSecret.length >= 16);
  assert.equal(r.json.name, 'Zapier');
  assert.deepEqual([...r.json.scopes].sort(), ['admin:read', 'notifications:write']);
  secrets.add(r.json.clientSecret);

  const tok = await getToken(h, r.json);
  const use = await api(h, 'GET', '/v1/systems', { token: tok });
  assert.equal(use.status, 200, show(use));

  const list = await api(h, 'GET', '/v1/api-keys', { token: owner });
  assert.equal(list.status, 200, show(list));
  assert.ok(Array.isArray(list.json.items), show(list));
  const mine = list.json.items.find((k) => k.clientId === r.json.clientId);
  assert.ok(mine, 'the new key is listed');
  assert.equal(mine.name, 'Zapier');
  assert.deepEqual([...mine.scopes].sort(), ['admin:read', 'notifications:write']);
  assert.ok(list.json.items.some((k) => k.clientId === h.clientId), 'the owner key is listed');
  for (const secret of secrets) assert.ok(!list.text.includes(secret), 'no secret in the key list');
  for (const k of list.json.items) assert.ok(!('clientSecret' in k), `no clientSecret field: ${JSON.stringify(k)}`);

  const listWithReadKey = await api(h, 'GET', '/v1/api-keys', { token: tok });
  assert.equal(listWithReadKey.status, 200, `admin:read may list keys: ${show(listWithReadKey)}`);
  const createWithReadKey = await api(h, 'POST', '/v1/api-keys', { token: tok, json: { name: 'x', scopes: ['admin:read'] } });
  assert.equal(createWithReadKey.status, 403, show(createWithReadKey));
  assert.equal(createWithReadKey.json.error.code, 'forbidden');
  assert.match(createWithReadKey.json.error.message, /admin:write/);
});

test('POST /v1/api-keys validates name and scopes (422)', async () => {
  const owner = await getToken(h);
  const bad = await api(h, 'POST', '/v1/api-keys', { token: owner, json: { name: 'x', scopes: ['notifications:delete'] } });
  assert.equal(bad.status, 422, show(bad));
  assert.equal(bad.json.error.code, 'validation_failed');
  assert.ok(bad.json.error.details.some((d) => /^scopes/.test(d.field) && /notifications:delete/.test(d.message)), show(bad));
  const noScopes = await api(h, 'POST', '/v1/api-keys', { token: owner, json: { name: 'x', scopes: [] } });
  assert.equal(noScopes.status, 422, show(noScopes));
  assert.equal(noScopes.json.error.code, 'validation_failed');
  const noName = await api(h, 'POST', '/v1/api-keys', { token: owner, json: { scopes: ['admin:read'] } });
  assert.equal(noName.status, 422, show(noName));
  assert.ok(noName.json.error.details.some((d) => d.field === 'name'), show(noName));
});

test('DELETE /v1/api-keys/{clientId}: its tokens stop working at once, its credentials too', async () => {
  const owner = await getToken(h);
  const made = await api(h, 'POST', '/v1/api-keys', { token: owner, json: { name: 'to revoke', scopes: ['admin:read'] } });
  assert.equal(made.status, 201, show(made));
  secrets.add(made.json.clientSecret);
  const tok = await getToken(h, made.json);
  const before = await api(h, 'GET', '/v1/systems', { token: tok });
  assert.equal(before.status, 200, show(before));

  const del = await api(h, 'DELETE', `/v1/api-keys/${encodeURIComponent(made.json.clientId)}`, { token: owner });
  assert.ok(del.status === 204 || del.status === 200, `revoke → 200/204: ${show(del)}`);

  assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: tok }));
  const again = await tokenRequest(h, { form: GRANT, headers: { authorization: basic(made.json.clientId, made.json.clientSecret) } });
  assertOAuthError(again, 401, 'invalid_client');

  const unknown = await api(h, 'DELETE', '/v1/api-keys/hk_doesnotexist000000000000', { token: owner });
  assert.equal(unknown.status, 404, show(unknown));
  assert.equal(unknown.json.error.code, 'not_found');
  // the owner's own token is unaffected
  const still = await api(h, 'GET', '/v1/systems', { token: owner });
  assert.equal(still.status, 200, show(still));
});

test('a key revoked by the CLI beside the running server: its tokens stop working at once', async () => {
  const made = await cliKey(h, 'admin:read', 'revoked by the CLI');
  const tok = await getToken(h, made);
  // both loops hold the key in memory: every one of these calls is answered from it
  for (let i = 0; i < 4; i++) assert.equal((await api(h, 'GET', '/v1/systems', { token: tok })).status, 200);
  const r = await runCli(['keys', 'revoke', ...h.store, '--client', made.clientId]);
  assert.equal(r.code, 0, `keys revoke: ${r.stderr}`);
  for (let i = 0; i < 4; i++) assertInvalidToken(await api(h, 'GET', '/v1/systems', { token: tok }));
});

test("another account can neither see nor revoke this account's keys", async () => {
  const acc = await runCli(['accounts', 'create', ...h.store, '--name', 'Other']);
  assert.equal(acc.code, 0, acc.stderr);
  secrets.add(acc.json.clientSecret);
  const other = await getToken(h, acc.json);
  const list = await api(h, 'GET', '/v1/api-keys', { token: other });
  assert.equal(list.status, 200, show(list));
  assert.deepEqual(list.json.items.map((k) => k.clientId), [acc.json.clientId]);
  const del = await api(h, 'DELETE', `/v1/api-keys/${encodeURIComponent(h.clientId)}`, { token: other });
  assert.equal(del.status, 404, `a key of another account is not found: ${show(del)}`);
  assert.equal(del.json.error.code, 'not_found');
  assert.equal((await api(h, 'GET', '/v1/systems', { token: await getToken(h) })).status, 200);
});

// ---- throttling (own server: it also throttles this address) ----

test('repeated failures → 429 with Retry-After; correct credentials are never slowed down', async () => {
  const x = hThrottle;
  const other = await cliKey(x, 'admin:read', 'other');
  const statuses = [];
  let limited = null;
  for (let i = 0; i < 14; i++) {
    const r = await tokenRequest(x, { form: GRANT, headers: { authorization: basic(x.clientId, `wrong-${i}`) } });
    statuses.push(r.status);
    if (r.status === 429 && !limited) limited = r;
  }
  assert.ok(limited, `a 429 after repeated failures; got ${statuses.join(' ')}`);
  assert.ok(statuses.slice(0, 3).every((s) => s === 401), `the first failures are plain 401s: ${statuses.join(' ')}`);
  const first429 = statuses.indexOf(429);
  assert.ok(statuses.slice(first429).every((s) => s === 429), `once throttled, stays throttled: ${statuses.join(' ')}`);
  const retry = limited.headers.get('retry-after');
  assert.match(retry || '', /^\d+$/, 'Retry-After is delta-seconds');
  assert.ok(Number(retry) >= 1 && Number(retry) <= 3600, `Retry-After ${retry}`);
  assert.equal(typeof limited.json?.error, 'string', `an OAuth-style error body: ${limited.text}`);

  // the right secret of the throttled client id, right after the 429s
  const ok = await tokenRequest(x, { form: GRANT, headers: { authorization: basic(x.clientId, x.clientSecret) } });
  assert.equal(ok.status, 200, `a successful authentication is never slowed down: ${show(ok)}`);
  // another valid key from the same (throttled) address
  const ok2 = await tokenRequest(x, { form: { ...GRANT, client_id: other.clientId, client_secret: other.clientSecret } });
  assert.equal(ok2.status, 200, show(ok2));
  // failures for a fresh client id from this address: the address is throttled too
  const fresh = await tokenRequest(x, { form: GRANT, headers: { authorization: basic('hk_someoneelse00000000000', 'nope') } });
  assert.equal(fresh.status, 429, `per-address throttling: ${show(fresh)}`);
  assert.match(fresh.headers.get('retry-after') || '', /^\d+$/);
});

// ---- no secrets in logs (last: after every call above) ----

test('no client secret, Basic credential or token ever reaches stdout/stderr', async () => {
  // the first-start banner shows the owner secret once, by design; everything after it must not
  const out = h.stdout();
  const banner = out.indexOf('listening on');
  assert.ok(banner > 0);
  const after = out.slice(out.indexOf('\n', banner)) + h.stderr();
  assert.match(after, /\/oauth\/token/, 'the access log has the token requests (else this test proves nothing)');
  for (const secret of secrets) {
    assert.ok(!after.includes(secret), `secret ${secret.slice(0, 4)}… appears in the log`);
    assert.ok(!after.includes(encodeURIComponent(secret)), 'url-encoded secret appears in the log');
  }
  assert.ok(!after.includes(basic(h.clientId, h.clientSecret).slice(6)), 'the Basic credential appears in the log');
  for (const t of bearerTokens) assert.ok(!after.includes(t.split('.')[2]), 'a bearer token appears in the log');
  const thr = hThrottle.stdout();
  assert.ok(!thr.slice(thr.indexOf('\n', thr.indexOf('listening on'))).includes(hThrottle.clientSecret));
});
