// walkthrough.test.mjs: the path the README walks a new user through, end to end:
// API token → system → template → end user → end-user token → trigger → the user's list,
// then the CLI (keys and accounts created while the server runs) and tenant isolation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHerald, getToken, api, runCli, basic, tokenRequest, signJwt, decodeJwt, show,
} from './lib/herald.mjs';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HTML_OPP = '<img src=x onerror="alert(1)"> & <b>Acme</b> \'renewal\'';
const URL_VALUE = 'https://crm.example.com/o/42?tab=info&lang=en#top';

let h;
const s = {}; // state carried from step to step, as a reader of the README would

before(async () => { h = await startHerald(); });
after(async () => { await h.stop(); });

test('the owner key gets a token at the original service path', async () => {
  assert.match(h.clientId, /^\S+$/, 'first start prints a Client ID');
  assert.match(h.clientSecret, /^\S{16,}$/, 'first start prints a Client secret');
  const r = await tokenRequest(h, {
    path: '/accounts/connect/token',
    form: { grant_type: 'client_credentials' },
    headers: { authorization: basic(h.clientId, h.clientSecret) },
  });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.token_type, 'bearer');
  s.token = r.json.access_token;
});

test('create a system', async () => {
  const r = await api(h, 'POST', '/v1/systems', { token: s.token, json: { name: 'Salesforce' } });
  assert.equal(r.status, 201, show(r));
  assert.match(r.json.id, /^[0-9a-f]{32}$/, 'system id is 32 lowercase hex');
  assert.equal(r.json.name, 'Salesforce');
  assert.match(r.json.createdAt, RFC3339_UTC);
  assert.equal(typeof r.json.signingSecret, 'string');
  assert.ok(r.json.signingSecret.length >= 16, 'a signing secret is returned');
  s.system = r.json;

  const one = await api(h, 'GET', `/v1/systems/${s.system.id}`, { token: s.token });
  assert.equal(one.status, 200, show(one));
  assert.equal(one.json.id, s.system.id);
  assert.equal(one.json.name, 'Salesforce');

  const list = await api(h, 'GET', '/v1/systems', { token: s.token });
  assert.equal(list.status, 200, show(list));
  assert.ok(Array.isArray(list.json.items), 'a list is {items, nextCursor}');
  assert.ok('nextCursor' in list.json, 'a list has nextCursor');
  assert.deepEqual(list.json.items.map((x) => x.id), [s.system.id]);
});

test('create a template with ###OPP### and ###URL###', async () => {
  const template = {
    name: 'Lead assigned',
    title: 'New lead: ###OPP###',
    description: 'Opportunity ###OPP### needs you',
    button: { text: 'Open ###OPP###', url: '###URL###' },
    notificationType: 'push',
  };
  const r = await api(h, 'POST', `/v1/systems/${s.system.id}/templates`, { token: s.token, json: template });
  assert.equal(r.status, 201, show(r));
  assert.match(r.json.id, UUID);
  assert.deepEqual([...r.json.placeholders].sort(), ['OPP', 'URL']);
  s.template = r.json;

  const got = await api(h, 'GET', `/v1/systems/${s.system.id}/templates/${s.template.id}`, { token: s.token });
  assert.equal(got.status, 200, show(got));
  assert.equal(got.json.id, s.template.id);
  assert.equal(got.json.title, template.title);
  assert.equal(got.json.description, template.description);
  assert.deepEqual(got.json.button, template.button);
  assert.deepEqual([...got.json.placeholders].sort(), ['OPP', 'URL']);
});

test('upsert end users: 201 the first time, 200 after', async () => {
  const path = `/v1/systems/${s.system.id}/end-users/${encodeURIComponent('ada@example.com')}`;
  const body = { name: 'Ada Lovelace', email: 'ada@example.com', attributes: { team: 'sales' } };
  const first = await api(h, 'PUT', path, { token: s.token, json: body });
  assert.equal(first.status, 201, show(first));
  assert.equal(first.json.id, 'ada@example.com');
  assert.equal(first.json.name, 'Ada Lovelace');
  const again = await api(h, 'PUT', path, { token: s.token, json: { ...body, name: 'Ada King' } });
  assert.equal(again.status, 200, show(again));
  assert.equal(again.json.name, 'Ada King');

  const bob = await api(h, 'PUT', `/v1/systems/${s.system.id}/end-users/bob`, {
    token: s.token, json: { name: 'Bob', email: 'bob@example.com', attributes: {} },
  });
  assert.equal(bob.status, 201, show(bob));
});

test('mint end-user tokens', async () => {
  for (const who of ['ada@example.com', 'bob']) {
    const r = await api(h, 'POST', `/v1/systems/${s.system.id}/end-users/${encodeURIComponent(who)}/tokens`, { token: s.token });
    assert.equal(r.status, 201, show(r));
    assert.equal(typeof r.json.token, 'string');
    assert.match(r.json.expiresAt, RFC3339_UTC);
    assert.ok(Date.parse(r.json.expiresAt) > Date.now(), 'expiresAt is in the future');
    const { claims } = decodeJwt(r.json.token);
    assert.equal(claims.sub, who);
    assert.equal(claims.sys, s.system.id);
    s[who] = r.json.token;
  }
});

test('trigger with overrides (key with and without ###) and type "Push" → 202', async () => {
  const r = await api(h, 'POST', '/v1/notifications', {
    token: s.token,
    json: {
      notification: {
        systemId: s.system.id,
        templateId: s.template.id,
        endUsersIds: ['ada@example.com', 'carol@example.com', 'ada@example.com'],
        notificationType: 'Push',
        title: 'Lead assigned (Salesforce)',
        override: [
          { key: 'OPP', value: HTML_OPP },
          { key: '###URL###', value: URL_VALUE },
        ],
      },
    },
  });
  assert.equal(r.status, 202, show(r));
  assert.match(r.json.id, UUID);
  assert.equal(r.headers.get('location'), `/v1/notifications/${r.json.id}`);
  assert.equal(r.json.status, 'active');
  assert.equal(r.json.systemId, s.system.id);
  assert.equal(r.json.templateId, s.template.id);
  assert.equal(r.json.notificationType, 'push');
  assert.match(r.json.startAt, RFC3339_UTC);
  assert.match(r.json.endAt, RFC3339_UTC);
  const start = Date.parse(r.json.startAt);
  assert.ok(Math.abs(start - Date.now()) < 60_000, `startAt defaults to now, got ${r.json.startAt}`);
  assert.equal(Date.parse(r.json.endAt) - start, 30 * 86400_000, 'endAt defaults to startAt + 30 days');
  // ada twice is folded; carol is not known yet but accepted and counted
  assert.deepEqual(r.json.recipients, { endUsers: 2, audiences: 0, unknownEndUsers: 1 });
  s.notification = r.json;
});

test("the user's list shows the rendered notification, text verbatim", async () => {
  const r = await api(h, 'GET', '/v1/me/notifications', { token: s['ada@example.com'] });
  assert.equal(r.status, 200, show(r));
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.json.items.length, 1, show(r));
  const item = r.json.items[0];
  assert.equal(item.id, s.notification.id);
  assert.equal(item.type, 'push');
  // values are text: returned as given, neither escaped nor stripped (clients render as text)
  assert.equal(item.title, `New lead: ${HTML_OPP}`);
  assert.equal(item.description, `Opportunity ${HTML_OPP} needs you`);
  assert.deepEqual(item.button, { text: `Open ${HTML_OPP}`, url: URL_VALUE });
  assert.equal(item.startAt, s.notification.startAt);
  assert.equal(item.endAt, s.notification.endAt);
  assert.equal(item.seenAt, null);
  assert.equal(item.clickedAt, null);
  assert.equal(item.dismissedAt, null);
  assert.equal(item.expired, false);
  assert.equal(r.json.unreadCount, 1);
  assert.ok('nextCursor' in r.json);
});

test('another user of the system sees nothing', async () => {
  const r = await api(h, 'GET', '/v1/me/notifications', { token: s.bob });
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(r.json.items, []);
  assert.equal(r.json.unreadCount, 0);
});

test('?access_token= works where a browser cannot set headers, and is not logged', async () => {
  const tok = s['ada@example.com'];
  const r = await api(h, 'GET', `/v1/me/notifications?access_token=${encodeURIComponent(tok)}`);
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(r.json.items.map((x) => x.id), [s.notification.id]);
  const bad = await api(h, 'GET', `/v1/me/notifications?access_token=${encodeURIComponent(tok.slice(0, -3) + 'AAA')}`);
  assert.equal(bad.status, 401, show(bad));
  assert.equal(bad.json.error.code, 'unauthorized');
  assert.ok(!h.stdout().includes(tok), 'an end-user token from the query string must not reach the access log');
});

test("a token minted by the customer's backend with the system's signing secret works", async () => {
  const now = Math.floor(Date.now() / 1000);
  const tok = signJwt({ sub: 'ada@example.com', sys: s.system.id, iat: now, exp: now + 600 }, s.system.signingSecret);
  const r = await api(h, 'GET', '/v1/me/notifications', { token: tok });
  // jsonwebtoken, jose, PyJWT and jwt.io all take the secret string as given as the HMAC key
  assert.equal(r.status, 200, `HS256 keyed with the signingSecret string as returned: ${show(r)}`);
  assert.deepEqual(r.json.items.map((x) => x.id), [s.notification.id]);
});

test('API tokens and end-user tokens are not interchangeable', async () => {
  const a = await api(h, 'GET', '/v1/systems', { token: s['ada@example.com'] });
  assert.equal(a.status, 401, show(a));
  assert.match(a.headers.get('www-authenticate') || '', /error="invalid_token"/);
  const b = await api(h, 'GET', '/v1/me/notifications', { token: s.token });
  assert.equal(b.status, 401, show(b));
  assert.match(b.headers.get('www-authenticate') || '', /error="invalid_token"/);
});

test('a scheduled notification (startAt in the future) is not listed yet', async () => {
  const year = new Date().getUTCFullYear() + 1;
  const r = await api(h, 'POST', '/v1/notifications', {
    token: s.token,
    json: {
      notification: {
        systemId: s.system.id,
        templateId: s.template.id,
        endUsersIds: ['ada@example.com'],
        startAt: `${year}-01-15 09:30`,
        override: [{ key: 'OPP', value: 'Later' }, { key: 'URL', value: 'https://example.com/' }],
      },
    },
  });
  assert.equal(r.status, 202, show(r));
  assert.equal(r.json.status, 'scheduled');
  assert.equal(r.json.startAt, `${year}-01-15T09:30:00Z`);
  assert.equal(r.json.endAt, `${year}-02-14T09:30:00Z`);
  assert.deepEqual(r.json.recipients, { endUsers: 1, audiences: 0, unknownEndUsers: 0 });
  const list = await api(h, 'GET', '/v1/me/notifications', { token: s['ada@example.com'] });
  assert.equal(list.status, 200, show(list));
  assert.deepEqual(list.json.items.map((x) => x.id), [s.notification.id]);
  assert.equal(list.json.unreadCount, 1);
});

test('CLI: keys create while the server runs; the new key works with its scopes', async () => {
  const r = await runCli(['keys', 'create', ...h.store, '--name', 'ci', '--scopes', 'notifications:write,admin:read']);
  assert.equal(r.code, 0, `keys create: ${r.stderr}`);
  assert.ok(r.json, `stdout is JSON: ${r.stdout}`);
  assert.equal(typeof r.json.clientId, 'string');
  assert.equal(typeof r.json.clientSecret, 'string');
  const scopes = Array.isArray(r.json.scopes) ? r.json.scopes : String(r.json.scopes).split(/[ ,]+/);
  assert.deepEqual([...scopes].sort(), ['admin:read', 'notifications:write']);

  const tok = await getToken(h, { clientId: r.json.clientId, clientSecret: r.json.clientSecret });
  const list = await api(h, 'GET', '/v1/systems', { token: tok });
  assert.equal(list.status, 200, show(list));
  assert.deepEqual(list.json.items.map((x) => x.id), [s.system.id], 'keys create defaults to the first account');
  const send = await api(h, 'POST', '/v1/notifications', {
    token: tok,
    json: {
      notification: {
        systemId: s.system.id,
        templateId: s.template.id,
        endUsersIds: ['bob'],
        override: [{ key: 'OPP', value: 'From CI' }, { key: 'URL', value: 'https://ci.example.com/' }],
      },
    },
  });
  assert.equal(send.status, 202, show(send));
  const create = await api(h, 'POST', '/v1/systems', { token: tok, json: { name: 'nope' } });
  assert.equal(create.status, 403, show(create));
  assert.equal(create.json.error.code, 'forbidden');

  const bobList = await api(h, 'GET', '/v1/me/notifications', { token: s.bob });
  assert.equal(bobList.status, 200, show(bobList));
  assert.deepEqual(bobList.json.items.map((x) => x.title), ['New lead: From CI']);
});

test('CLI: accounts create makes an isolated tenant', async () => {
  const r = await runCli(['accounts', 'create', ...h.store, '--name', 'Other Corp']);
  assert.equal(r.code, 0, `accounts create: ${r.stderr}`);
  assert.ok(r.json, `stdout is JSON: ${r.stdout}`);
  assert.match(r.json.accountId, UUID);
  assert.equal(typeof r.json.clientId, 'string');
  assert.equal(typeof r.json.clientSecret, 'string');
  assert.ok(r.json.scopes, 'scopes are printed');
  const other = await getToken(h, { clientId: r.json.clientId, clientSecret: r.json.clientSecret });

  const list = await api(h, 'GET', '/v1/systems', { token: other });
  assert.equal(list.status, 200, show(list));
  assert.deepEqual(list.json.items, [], "the new account's systems list is empty");

  const sys = await api(h, 'GET', `/v1/systems/${s.system.id}`, { token: other });
  assert.equal(sys.status, 404, `another account's system is not found, never forbidden: ${show(sys)}`);
  assert.equal(sys.json.error.code, 'not_found');

  const tpl = await api(h, 'GET', `/v1/systems/${s.system.id}/templates/${s.template.id}`, { token: other });
  assert.equal(tpl.status, 404, show(tpl));
  assert.equal(tpl.json.error.code, 'not_found');

  const eu = await api(h, 'PUT', `/v1/systems/${s.system.id}/end-users/mallory`, { token: other, json: { name: 'M', email: 'm@example.com', attributes: {} } });
  assert.equal(eu.status, 404, show(eu));
  assert.equal(eu.json.error.code, 'not_found');

  const tokr = await api(h, 'POST', `/v1/systems/${s.system.id}/end-users/${encodeURIComponent('ada@example.com')}/tokens`, { token: other });
  assert.equal(tokr.status, 404, `another account must not mint tokens for my users: ${show(tokr)}`);
  assert.equal(tokr.json.error.code, 'not_found');

  const send = await api(h, 'POST', '/v1/notifications', {
    token: other,
    json: {
      notification: {
        systemId: s.system.id,
        templateId: s.template.id,
        endUsersIds: ['ada@example.com'],
        override: [{ key: 'OPP', value: 'x' }, { key: 'URL', value: 'https://example.com/' }],
      },
    },
  });
  assert.equal(send.status, 404, show(send));
  assert.equal(send.json.error.code, 'not_found');

  // and the first account still sees only its own
  const mine = await api(h, 'GET', '/v1/systems', { token: s.token });
  assert.deepEqual(mine.json.items.map((x) => x.id), [s.system.id]);
  // ada's list did not change
  const ada = await api(h, 'GET', '/v1/me/notifications', { token: s['ada@example.com'] });
  assert.deepEqual(ada.json.items.map((x) => x.id), [s.notification.id]);
});
