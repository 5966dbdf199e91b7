// trigger.test.mjs: POST /v1/notifications (SPEC §3): the errors integrators really make, each
// answered with a message that says what to fix, in the SPEC §3 error format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, runCli, show } from './lib/herald.mjs';

let h;
let token;
let sys; // the account's only system (until the systemId test adds one)
let tpl; // title ###OPP###, button URL ###URL###

before(async () => {
  h = await startHerald();
  token = await getToken(h);
  const s = await api(h, 'POST', '/v1/systems', { token, json: { name: 'ServiceNow' } });
  assert.equal(s.status, 201, show(s));
  sys = s.json;
  const t = await api(h, 'POST', `/v1/systems/${sys.id}/templates`, {
    token,
    json: {
      name: 'Ticket',
      title: 'Ticket ###OPP###',
      description: 'Please look at ###OPP###',
      button: { text: 'Open', url: '###URL###' },
      notificationType: 'push',
    },
  });
  assert.equal(t.status, 201, show(t));
  tpl = t.json;
});
after(async () => { await h.stop(); });

const OVERRIDE = [{ key: 'OPP', value: 'INC0012' }, { key: 'URL', value: 'https://sn.example.com/INC0012' }];

/** A valid notification with some fields replaced (undefined removes a field). */
function payload(changes = {}) {
  const n = { systemId: sys.id, templateId: tpl.id, endUsersIds: ['ada@example.com'], override: OVERRIDE, ...changes };
  for (const k of Object.keys(n)) if (n[k] === undefined) delete n[k];
  return { notification: n };
}

const send = (json, extra = {}) => api(h, 'POST', '/v1/notifications', { token, json, ...extra });
const sendRaw = (body, contentType = 'application/json') =>
  api(h, 'POST', '/v1/notifications', { token, body, headers: contentType ? { 'content-type': contentType } : {} });

function assertError(r, status, code) {
  assert.equal(r.status, status, show(r));
  assert.match(r.headers.get('content-type') || '', /^application\/json/, show(r));
  assert.ok(r.json?.error, `SPEC §3 error format: ${r.text}`);
  assert.equal(r.json.error.code, code, show(r));
  assert.equal(typeof r.json.error.message, 'string', show(r));
  return r.json.error;
}

/** A 422 whose details have an entry for `field` whose message matches every regex given. */
function assertInvalid(r, field, ...patterns) {
  const e = assertError(r, 422, 'validation_failed');
  assert.ok(Array.isArray(e.details) && e.details.length > 0, `422 lists details: ${r.text}`);
  const d = e.details.find((x) => x.field === field);
  assert.ok(d, `details name the field ${field}: ${r.text}`);
  for (const p of patterns) assert.match(d.message, p, r.text);
  return e;
}

test('a valid trigger is accepted (the baseline every error case below departs from)', async () => {
  const r = await send(payload());
  assert.equal(r.status, 202, show(r));
  assert.equal(r.json.status, 'active');
});

// ---- the body is not JSON, or not sent as JSON ----

test('no Content-Type → 415 naming application/json', async () => {
  const r = await sendRaw(Buffer.from(JSON.stringify(payload())), null);
  const e = assertError(r, 415, 'unsupported_media_type');
  assert.match(e.message, /application\/json/);
});

test('form data → 415 naming application/json', async () => {
  const r = await sendRaw(`notification=${encodeURIComponent(JSON.stringify(payload().notification))}`,
    'application/x-www-form-urlencoded');
  const e = assertError(r, 415, 'unsupported_media_type');
  assert.match(e.message, /application\/json/);
  const t = await sendRaw(JSON.stringify(payload()), 'text/plain');
  assertError(t, 415, 'unsupported_media_type');
});

test('Content-Type: application/json; charset=utf-8 is JSON', async () => {
  const r = await sendRaw(JSON.stringify(payload()), 'application/json; charset=utf-8');
  assert.equal(r.status, 202, show(r));
});

test('typographic quotes → 400 naming line, column and the quotes', async () => {
  const body = `{"notification": {\n  "systemId": "${sys.id}",\n  "templateId": "${tpl.id}",\n  \u201Coverride\u201D: []\n}}`;
  const e = assertError(await sendRaw(body), 400, 'malformed_json');
  assert.match(e.message, /line 4/);
  assert.match(e.message, /column \d+/);
  assert.match(e.message, /typographic|curly|smart/i);
  assert.match(e.message, /straight/i, 'says what to use instead');
});

test("the seed's own sample (no outer braces) → 400 telling to wrap it in { }", async () => {
  // pasted from the original documentation, as integrators do
  const seed = [
    '"notification": {',
    `"systemId": "${sys.id}",`,
    `"templateId": "${tpl.id}",`,
    '"endUsersIds": [""],',
    '"runtimeTitle": "API Test 3",',
    '"notificationType": "Push",',
    '\u201Coverride\u201D: [',
    '{\u201Ckey\u201D: \u201CURL\u201D,',
    '\u201Cvalue\u201D: \u201C\u201D}',
  ].join('\n');
  const e = assertError(await sendRaw(seed), 400, 'malformed_json');
  assert.match(e.message, /line 1/);
  assert.match(e.message, /wrap/i);
  assert.match(e.message, /\{ and \}|\{ \}|\{\s*\.\.\.\s*\}/);
  // the same without the other mistakes
  const plain = JSON.stringify(payload()).replace(/^\{/, '').replace(/\}$/, '');
  const e2 = assertError(await sendRaw(plain), 400, 'malformed_json');
  assert.match(e2.message, /wrap/i);
});

test('a trailing comma → 400 naming line, column and the comma', async () => {
  const body = `{\n"notification": {\n"systemId": "${sys.id}",\n"templateId": "${tpl.id}",\n}\n}`;
  const e = assertError(await sendRaw(body), 400, 'malformed_json');
  assert.match(e.message, /line 5/);
  assert.match(e.message, /column \d+/);
  assert.match(e.message, /trailing comma/i);
});

test('// comments left in → 400 naming line, column and the comments', async () => {
  const body = `{"notification": {\n"systemId": "${sys.id}", //Required if you have more than one workstation system\n"templateId": "${tpl.id}" //Required\n}}`;
  const e = assertError(await sendRaw(body), 400, 'malformed_json');
  assert.match(e.message, /line 2/);
  assert.match(e.message, /column \d+/);
  assert.match(e.message, /comment/i);
});

test('override written as ["key": "URL", "value": ""] → 400 showing the object form', async () => {
  const body = `{"notification": {\n"systemId": "${sys.id}",\n"templateId": "${tpl.id}",\n"override": [\n"key" : "URL",\n"value" : ""\n]}}`;
  const e = assertError(await sendRaw(body), 400, 'malformed_json');
  assert.match(e.message, /line 5/);
  assert.match(e.message, /\{"key"/, 'shows how to write it');
});

test('an empty body and a truncated body → 400', async () => {
  assertError(await sendRaw(''), 400, 'malformed_json');
  const e = assertError(await sendRaw(`{"notification": {"systemId": "${sys.id}"}`), 400, 'malformed_json');
  assert.match(e.message, /line 1/);
});

test('the body is not an object with "notification" → 422', async () => {
  assertInvalid(await send({ systemId: sys.id, templateId: tpl.id }), 'notification');
  const arr = await sendRaw('[]');
  assert.ok(arr.status === 400 || arr.status === 422, show(arr));
  assert.ok(['malformed_json', 'validation_failed'].includes(arr.json.error.code), show(arr));
});

// ---- valid JSON, invalid notification ----

test('unknown field "tittle" → 422 "did you mean `title`"', async () => {
  assertInvalid(await send(payload({ tittle: 'x' })), 'notification.tittle', /unknown field/i, /did you mean `title`/);
  assertInvalid(await send({ ...payload(), notifcation: {} }), 'notifcation', /did you mean `notification`/);
});

test('a sample value left in ("<template id>", "<end user id 1>") → 422', async () => {
  assertInvalid(await send(payload({ templateId: '<template id>' })), 'notification.templateId', /sample value/i, /<template id>/);
  assertInvalid(await send(payload({ endUsersIds: ['<end user id 1>'] })), 'notification.endUsersIds[0]', /sample value/i);
});

test('endUsersIds [""] → 422 on notification.endUsersIds[0]', async () => {
  assertInvalid(await send(payload({ endUsersIds: [''] })), 'notification.endUsersIds[0]', /empty/i);
  assertInvalid(await send(payload({ endUsersIds: ['ok', 42] })), 'notification.endUsersIds[1]', /string/i);
});

test('no recipients at all → 422', async () => {
  assertInvalid(await send(payload({ endUsersIds: [] })), 'notification.endUsersIds', /audiencesIds/);
  assertInvalid(await send(payload({ endUsersIds: undefined })), 'notification.endUsersIds', /audiencesIds/);
});

test('notificationType "banner" → 422 naming push and popup; "Push"/"POPUP" are fine', async () => {
  assertInvalid(await send(payload({ notificationType: 'banner' })), 'notification.notificationType', /banner/, /push/, /popup/);
  const popup = await send(payload({ notificationType: 'POPUP' }));
  assert.equal(popup.status, 202, show(popup));
  assert.equal(popup.json.notificationType, 'popup');
  const push = await send(payload({ notificationType: 'Push' }));
  assert.equal(push.status, 202, show(push));
  assert.equal(push.json.notificationType, 'push');
});

test('startAt "05/10/2023" → 422 explaining the date format', async () => {
  assertInvalid(await send(payload({ startAt: '05/10/2023' })), 'notification.startAt', /05\/10\/2023/, /YYYY-MM-DD/);
});

test('impossible dates → 422', async () => {
  const y = new Date().getUTCFullYear() + 2;
  for (const bad of [`${y}-02-30`, `${y}-01-01 24:00`, `${y}-01-01 10:60`, `${y}-13-01`, 'tomorrow'])
    assertInvalid(await send(payload({ startAt: bad })), 'notification.startAt');
});

test('every documented date form is accepted and answered in UTC with Z', async () => {
  const y = new Date().getUTCFullYear() + 2;
  const cases = [
    [`${y}-05-10`, `${y}-05-10T00:00:00Z`],
    [`${y}-05-10 11:30`, `${y}-05-10T11:30:00Z`],
    [`${y}-05-10 11:30:15`, `${y}-05-10T11:30:15Z`],
    [`${y}-05-10T11:30`, `${y}-05-10T11:30:00Z`],
    [`${y}-05-10T11:30:00+03:00`, `${y}-05-10T08:30:00Z`],
    [`${y}-05-10T11:30:00-0130`, `${y}-05-10T13:00:00Z`],
    [`${y}-05-10T11:30:00Z`, `${y}-05-10T11:30:00Z`],
  ];
  for (const [input, want] of cases) {
    const r = await send(payload({ startAt: input }));
    assert.equal(r.status, 202, `${input}: ${show(r)}`);
    assert.equal(r.json.startAt, want, input);
    assert.equal(r.json.status, 'scheduled');
  }
  const frac = await send(payload({ startAt: `${y}-05-10T11:30:00.250Z` }));
  assert.equal(frac.status, 202, show(frac));
  assert.equal(Date.parse(frac.json.startAt), Date.parse(`${y}-05-10T11:30:00.250Z`));
});

test('endAt before startAt → 422; endAt in the past → 422', async () => {
  const y = new Date().getUTCFullYear() + 2;
  assertInvalid(await send(payload({ startAt: `${y}-03-01`, endAt: `${y}-02-01` })), 'notification.endAt', /startAt/, /after|later/i);
  assertInvalid(await send(payload({ startAt: `${y}-03-01 10:00`, endAt: `${y}-03-01 10:00` })), 'notification.endAt', /startAt/);
  assertInvalid(await send(payload({ endAt: '2001-01-01' })), 'notification.endAt');
});

test('several problems → all listed in details at once', async () => {
  const r = await send(payload({ tittle: 'x', endUsersIds: [''], notificationType: 'banner', startAt: '05/10/2023' }));
  const e = assertError(r, 422, 'validation_failed');
  const fields = e.details.map((d) => d.field).sort();
  for (const f of ['notification.endUsersIds[0]', 'notification.notificationType', 'notification.startAt', 'notification.tittle'])
    assert.ok(fields.includes(f), `${f} is listed: ${r.text}`);
  assert.match(e.message, /4/, 'the message counts the problems');
});

test('a missing override → 422 listing the missing name and the template placeholders', async () => {
  const r = await send(payload({ override: [{ key: 'URL', value: 'https://e.example.com/' }] }));
  const e = assertInvalid(r, 'notification.override', /OPP/, /placeholders/i);
  const d = e.details.find((x) => x.field === 'notification.override');
  assert.match(d.message, /OPP.*URL|URL.*OPP/, 'all the template placeholders are named');
  assertInvalid(await send(payload({ override: undefined })), 'notification.override', /OPP/, /URL/);
});

test('an unknown override key → 422 naming it and the placeholders', async () => {
  const r = await send(payload({ override: [...OVERRIDE, { key: '###NOPE###', value: '1' }] }));
  const e = assertError(r, 422, 'validation_failed');
  const d = e.details.find((x) => /NOPE/.test(x.message));
  assert.ok(d, `an entry names NOPE: ${r.text}`);
  assert.match(d.field, /^notification\.override/);
  assert.match(d.message, /OPP/);
  assert.match(d.message, /URL/);
});

test('an override making the button URL "not a url" → 422', async () => {
  const r = await send(payload({ override: [OVERRIDE[0], { key: 'URL', value: 'not a url' }] }));
  const e = assertError(r, 422, 'validation_failed');
  const d = e.details.find((x) => /not a url/.test(x.message));
  assert.ok(d, `an entry quotes the bad URL: ${r.text}`);
  assert.match(d.field, /^notification\.override/);
  assert.match(d.message, /https?:\/\//);
  const js = await send(payload({ override: [OVERRIDE[0], { key: 'URL', value: 'javascript:alert(1)' }] }));
  assertError(js, 422, 'validation_failed');
});

test('an unknown templateId (a random UUID) → 404', async () => {
  const id = crypto.randomUUID();
  const e = assertError(await send(payload({ templateId: id })), 404, 'not_found');
  assert.match(e.message, new RegExp(id));
});

test('a templateId that is not a UUID → 422', async () => {
  assertInvalid(await send(payload({ templateId: 'ticket' })), 'notification.templateId');
});

test('a systemId of another account → 404, never 403', async () => {
  const acc = await runCli(['accounts', 'create', ...h.store, '--name', 'Elsewhere']);
  assert.equal(acc.code, 0, acc.stderr);
  const otherToken = await getToken(h, acc.json);
  const otherSys = await api(h, 'POST', '/v1/systems', { token: otherToken, json: { name: 'theirs' } });
  assert.equal(otherSys.status, 201, show(otherSys));
  const e = assertError(await send(payload({ systemId: otherSys.json.id })), 404, 'not_found');
  assert.match(e.message, /system/i);
  // and a system id that exists nowhere
  assertError(await send(payload({ systemId: '0123456789abcdef0123456789abcdef' })), 404, 'not_found');
  // the other account cannot reach this account's system either
  const theirs = await api(h, 'POST', '/v1/notifications', { token: otherToken, json: payload() });
  assertError(theirs, 404, 'not_found');
});

test('more than 100 endUsersIds → 422; exactly 100 is fine, duplicates folded', async () => {
  const ids = Array.from({ length: 101 }, (_, i) => `user${i}@example.com`);
  assertInvalid(await send(payload({ endUsersIds: ids })), 'notification.endUsersIds', /100/);
  const full = await send(payload({ endUsersIds: ids.slice(0, 100) }));
  assert.equal(full.status, 202, show(full));
  assert.equal(full.json.recipients.endUsers, 100);
  const r = await send(payload({ endUsersIds: [...ids.slice(0, 98), ids[0], ids[1]] }));
  assert.equal(r.status, 202, show(r));
  assert.equal(r.json.recipients.endUsers, 98);
});

test('wrong JSON types → 422 naming the field', async () => {
  assertInvalid(await send(payload({ runtimeTitle: 42 })), 'notification.runtimeTitle', /string/);
  assertInvalid(await send(payload({ endUsersIds: 'ada@example.com' })), 'notification.endUsersIds', /array/);
  assertInvalid(await send(payload({ override: [['key', 'URL']] })), 'notification.override[0]', /key/);
});

test('systemId defaults to the only system; with two systems it is required', async () => {
  const one = await send(payload({ systemId: undefined }));
  assert.equal(one.status, 202, show(one));
  assert.equal(one.json.systemId, sys.id);
  const second = await api(h, 'POST', '/v1/systems', { token, json: { name: 'Okta' } });
  assert.equal(second.status, 201, show(second));
  assertInvalid(await send(payload({ systemId: undefined })), 'notification.systemId', /system/i);
  const two = await send(payload());
  assert.equal(two.status, 202, show(two));
  // the template lives in the first system, not the second
  const wrong = await send(payload({ systemId: second.json.id }));
  assertError(wrong, 404, 'not_found');
});

/** The samples of GET /metrics, by name (with labels). */
async function metrics() {
  const r = await api(h, 'GET', '/metrics');
  assert.equal(r.status, 200, show(r));
  const samples = new Map();
  for (const line of r.text.split('\n')) {
    const hit = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (hit) samples.set(hit[1], Number(hit[2]));
  }
  return samples;
}

test('GET /metrics says where triggers spent their time and how the writer grouped them', async () => {
  const before = await metrics();
  const started = performance.now();
  const sent = await Promise.all(Array.from({ length: 8 }, () => send(payload())));
  const elapsed = (performance.now() - started) / 1000;
  for (const r of sent) assert.equal(r.status, 202, show(r));
  const after = await metrics();
  const delta = (name) => {
    assert.ok(after.has(name) && before.has(name), `/metrics has ${name}`);
    return after.get(name) - before.get(name);
  };
  let trip = 0;
  for (const stage of ['queue', 'commit', 'sync', 'answer']) {
    assert.equal(delta(`herald_trigger_stage_seconds_count{stage="${stage}"}`), 8, stage);
    const spent = delta(`herald_trigger_stage_seconds_sum{stage="${stage}"}`);
    assert.ok(spent >= 0, `${stage}: ${spent} s`);
    trip += spent;
  }
  assert.ok(delta('herald_trigger_stage_seconds_sum{stage="commit"}') > 0, 'a commit takes time');
  // in seconds, not milliseconds nor microseconds: 8 trips fit in 8 times the time they all took
  assert.ok(trip > 0 && trip <= 8 * elapsed, `${trip} s for 8 triggers sent within ${elapsed} s`);
  assert.equal(delta('herald_store_group_commit_writes_total'), 8);
  const commits = delta('herald_store_group_commits_total');
  assert.ok(commits >= 1 && commits <= 8, `${commits} group commits for 8 triggers`);
  const syncs = delta('herald_store_log_syncs_total');
  if (process.env.HERALD_E2E_DATABASE) {
    assert.equal(syncs, 0, 'PostgreSQL syncs each commit itself');
  } else {
    assert.ok(syncs >= 1 && syncs <= commits, `${syncs} syncs for ${commits} commits`);
    assert.ok(delta('herald_store_log_sync_seconds_total') > 0);
  }
});
