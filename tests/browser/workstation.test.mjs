// workstation.test.mjs: the end user's client (SPEC §8) in Chromium against the real binary:
// sign-in by #token= and by the form, the list newest first with the unread count, live push
// toasts and popups that must be acknowledged, the button opening its link and counting a click,
// dismiss, a cancel retracting live, notification text shown as text, and a 320 px layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, makeSystem, makeTemplate, tempDir, sleep, SLOW } from '../e2e/lib/herald.mjs';
import { launch, screenshot, watchErrors } from './lib/browser.mjs';

const XSS = '<img src=x onerror=alert(1)>';
let h, token, system, template, browser;
const dataDir = tempDir(); // owned here, so a test can restart the server on it

before(async () => {
  [h, browser] = await Promise.all([startHerald({ dataDir }), launch()]);
  token = await getToken(h);
  system = await makeSystem(h, token, 'Workstation');
  template = await makeTemplate(h, token, system.id, {
    name: 'Alert', title: '###T###', description: '###D###',
    button: { text: 'Open it', url: '###URL###' }, notificationType: 'push',
  });
});
after(async () => { await browser?.close(); await h?.stop(); });

async function userToken(user) {
  const r = await api(h, 'POST', `/v1/systems/${system.id}/end-users/${encodeURIComponent(user)}/tokens`, { token });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

/** Triggers one notification for user; resolves with its id. */
async function send(user, title, { type = 'push', description = `About ${title}`, url, ...extra } = {}) {
  const r = await api(h, 'POST', '/v1/notifications', {
    token,
    json: {
      notification: {
        templateId: template.id, endUsersIds: [user], notificationType: type,
        override: [
          { key: 'T', value: title }, { key: 'D', value: description },
          { key: 'URL', value: url || `${h.url}/healthz?n=${encodeURIComponent(title)}` },
        ],
        ...extra,
      },
    },
  });
  assert.equal(r.status, 202, r.text);
  return r.json.id;
}

const feed = async (tok) => (await api(h, 'GET', '/v1/me/notifications', { token: tok })).json;
const stats = async (id) => (await api(h, 'GET', `/v1/notifications/${id}`, { token })).json.stats;

/** Polls an async check until it returns truthy (server state has no event to wait on). */
async function eventually(check, what, ms = 5000 * SLOW) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A fresh browser context signed in as user through #token=; resolves once listed and live. */
async function open(user, { width = 1280, height = 800, clock = false } = {}) {
  const tok = await userToken(user);
  const context = await browser.newContext({ viewport: { width, height } });
  if (clock) await context.clock.install(); // timers run as usual until a test fast-forwards
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${h.url}/workstation#token=${encodeURIComponent(tok)}`);
  await ready(page);
  return { context, page, errors, tok };
}

const ready = (page) => page.waitForSelector('body[data-live="true"]', { state: 'attached', timeout: 10000 * SLOW });
const titles = (page) => page.locator('#list li .title').allTextContents();
const count = (page) => page.locator('#unread-count');

test('signs in from #token=, lists newest first with the unread count, shows text as text', async () => {
  const user = 'ada';
  const expiring = await send(user, 'Short lived', { endAt: new Date(Date.now() + 1000).toISOString() });
  await send(user, 'First');
  await send(user, 'Second', { description: 'Line one\nline two' });
  await send(user, XSS, { description: '<b>bold?</b> & <script>alert(2)</script>' });
  await send(user, 'Third');
  const tokForApi = await userToken(user);
  await eventually(async () => (await feed(tokForApi)).items.find((i) => i.id === expiring)?.expired, 'expiry');

  const { context, page, errors, tok } = await open(user);
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
  assert.equal(await page.evaluate(() => Object.values(sessionStorage).length), 1);
  await assert.doesNotReject(page.waitForSelector('#unread-count:visible'));
  assert.equal(await count(page).textContent(), '4', 'four unread; the expired one does not count');
  assert.deepEqual(await titles(page), ['Third', XSS, 'Second', 'First', 'Short lived']);
  await screenshot(page, 'workstation-1280-closed');

  await page.getByRole('button', { name: 'Notifications', exact: true }).click();
  await page.waitForSelector('#list:visible');
  const evil = page.locator('#list li', { hasText: XSS });
  assert.equal(await evil.locator('.title').textContent(), XSS);
  assert.match(await evil.locator('.description').textContent(), /<script>alert\(2\)<\/script>/);
  assert.equal(await page.locator('#list img, #list script, #list b').count(), 0, 'no markup was parsed');
  const expired = page.locator(`#list li[data-id="${expiring}"]`);
  assert.match(await expired.getAttribute('class'), /\bexpired\b/);
  assert.match(await expired.textContent(), /Expired/);
  const link = page.locator('#list li', { hasText: 'First' }).locator('a.action');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await link.getAttribute('href'), `${h.url}/healthz?n=First`);

  // the server only takes http(s) button URLs; the page also renders nothing else as a link
  const urls = await page.evaluate(async () => {
    const { safeUrl } = await import('/workstation/api.js');
    return ['javascript:alert(1)', 'data:text/html,x', 'https://example.com/a', 'ftp://x/'].map((url) => safeUrl({ url }));
  });
  assert.deepEqual(urls, [null, null, 'https://example.com/a', null]);

  // shown in the open list, they become seen: the badge goes and the server agrees
  await page.waitForSelector('#unread-count', { state: 'hidden' });
  await eventually(async () => (await feed(tok)).unreadCount === 0, 'unreadCount 0');
  await screenshot(page, 'workstation-1280-list');

  // the session survives a reload (sessionStorage), without the token in the URL
  await page.reload();
  await ready(page);
  assert.equal((await titles(page)).length, 5);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a push shows as a toast and joins the list live; a cancel takes it away live', async () => {
  const user = 'bob';
  await send(user, 'Older');
  const { context, page, errors } = await open(user, { clock: true });
  assert.equal(await count(page).textContent(), '1');

  const id = await send(user, 'Disk almost full', { description: 'Server db-1 is at 93 %.' });
  const toast = page.locator(`#toasts .toast[data-id="${id}"]`);
  await toast.waitFor();
  assert.equal(await toast.locator('.title').textContent(), 'Disk almost full');
  assert.equal(await toast.locator('.description').textContent(), 'Server db-1 is at 93 %.');
  assert.equal(await toast.locator('a.action').getAttribute('href'), `${h.url}/healthz?n=Disk%20almost%20full`);
  assert.deepEqual(await titles(page), ['Disk almost full', 'Older'], 'newest first, without a reload');
  assert.equal(await count(page).textContent(), '2');
  await screenshot(page, 'workstation-1280-toast');

  const del = await api(h, 'DELETE', `/v1/notifications/${id}`, { token });
  assert.ok(del.status >= 200 && del.status < 300, del.text);
  await page.locator(`#list li[data-id="${id}"]`).waitFor({ state: 'detached' });
  await toast.waitFor({ state: 'detached' });
  assert.equal(await count(page).textContent(), '1');

  // a toast hides by itself after 8 s; the item stays in the list
  const next = await send(user, 'Backup done');
  const toast2 = page.locator(`#toasts .toast[data-id="${next}"]`);
  await toast2.waitFor();
  await page.clock.fastForward(7000);
  assert.equal(await toast2.count(), 1, 'still there before 8 s');
  await page.clock.fastForward(1100);
  await toast2.waitFor({ state: 'detached' });
  assert.deepEqual(await titles(page), ['Backup done', 'Older']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a push that arrives while the list is still on its way is kept, and counted once', async () => {
  const user = 'hank';
  const tok = await userToken(user);
  await send(user, 'Already there');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  // the list is read from the server at once but handed to the page only after the push
  let release, fetched;
  const held = new Promise((r) => { release = r; });
  const read = new Promise((r) => { fetched = r; });
  await page.route('**/v1/me/notifications?*', async (route) => {
    const response = await route.fetch();
    fetched();
    await held;
    await route.fulfill({ response });
  });
  const streaming = page.waitForResponse((r) => r.url().includes('/v1/me/stream'));
  await page.goto(`${h.url}/workstation#token=${encodeURIComponent(tok)}`);
  await Promise.all([streaming, read]);
  const id = await send(user, 'Arrived early');
  await page.locator(`.toast[data-id="${id}"]`).waitFor();
  release();
  await ready(page);
  assert.deepEqual(await titles(page), ['Arrived early', 'Already there']);
  assert.equal(await count(page).textContent(), '2');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a popup stays until acknowledged (Escape does not close it); OK marks it seen', async () => {
  const user = 'carol';
  const { context, page, errors, tok } = await open(user);
  const id = await send(user, 'Fire drill at 14:00', { type: 'popup', description: 'Meet at the car park.' });
  const dialog = page.locator('dialog#popup');
  await dialog.waitFor({ state: 'visible' });
  assert.equal(await dialog.locator('.title').textContent(), 'Fire drill at 14:00');
  assert.equal(await dialog.locator('.description').textContent(), 'Meet at the car park.');
  assert.equal(await dialog.locator('a.action').getAttribute('href'), `${h.url}/healthz?n=Fire%20drill%20at%2014%3A00`);
  assert.equal(await page.locator('#toasts .toast').count(), 0, 'a popup is not a toast');
  assert.equal(await count(page).textContent(), '1');
  await screenshot(page, 'workstation-1280-popup');

  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await page.mouse.click(5, 5); // the backdrop
  assert.ok(await dialog.evaluate((d) => d.open), 'still open after Escape and a click outside');
  assert.equal((await feed(tok)).unreadCount, 1);
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'acknowledge primary');

  await page.keyboard.press('Enter'); // OK has the focus
  await dialog.waitFor({ state: 'hidden' });
  await page.waitForSelector('#unread-count', { state: 'hidden' });
  await eventually(async () => (await feed(tok)).items.find((i) => i.id === id)?.seenAt, 'seenAt');
  assert.equal((await stats(id)).seen, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the button opens its link in a new tab and counts a click; dismiss removes for good', async () => {
  const user = 'dave';
  const keep = await send(user, 'Keep me');
  const id = await send(user, 'Open the report');
  const { context, page, errors, tok } = await open(user);
  await page.locator('#bell').click();

  const [tab] = await Promise.all([
    context.waitForEvent('page'),
    page.locator(`#list li[data-id="${id}"] a.action`).click(),
  ]);
  await tab.waitForLoadState('domcontentloaded');
  assert.equal(tab.url(), `${h.url}/healthz?n=Open%20the%20report`);
  await eventually(async () => (await stats(id)).clicked === 1, 'stats.clicked = 1');
  await tab.close();

  await page.locator(`#list li[data-id="${id}"] button.dismiss`).click();
  await page.locator(`#list li[data-id="${id}"]`).waitFor({ state: 'detached' });
  assert.deepEqual((await feed(tok)).items.map((i) => i.id), [keep]);
  await page.reload();
  await ready(page);
  assert.deepEqual(await titles(page), ['Keep me'], 'still gone after a reload');
  assert.equal((await stats(id)).dismissed, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the sign-in form takes a token; a bad one is refused', async () => {
  const tok = await userToken('erin');
  await send('erin', 'Hello Erin');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${h.url}/workstation`);
  await page.getByLabel('End-user token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#signin-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#signin-error').textContent(), /not accepted/);
  await screenshot(page, 'workstation-1280-signin');

  const errors = watchErrors(page);
  await page.getByLabel('End-user token').fill(tok);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await ready(page);
  assert.deepEqual(await titles(page), ['Hello Erin']);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('End-user token').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('at 320 px wide nothing scrolls sideways', async () => {
  const user = 'frank';
  await send(user, 'A rather long title that has to wrap on a narrow phone screen without overflowing');
  await send(user, 'Unbroken', { description: 'x'.repeat(120) });
  const { context, page, errors } = await open(user, { width: 320, height: 640 });
  await screenshot(page, 'workstation-320-closed');
  await page.locator('#bell').click();
  await page.waitForSelector('#list:visible');
  const id = await send(user, 'Live on a phone');
  await page.locator(`.toast[data-id="${id}"]`).waitFor();
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= 320),
    `scrollWidth ${await page.evaluate(() => document.scrollingElement.scrollWidth)}`);
  await screenshot(page, 'workstation-320-list');
  await send(user, 'Popup on a phone', { type: 'popup' });
  await page.locator('dialog#popup').waitFor({ state: 'visible' });
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= 320));
  await screenshot(page, 'workstation-320-popup');
  assert.deepEqual(errors, []);
  await context.close();
});

test('while the server is away it says reconnecting…, and then catches up on what it missed', async () => {
  const user = 'gina';
  await send(user, 'Before the restart');
  const { context, page, errors } = await open(user);
  await h.stop(); // the same data and port again: the page's EventSource reconnects by itself
  await page.locator('#status', { hasText: 'reconnecting…' }).waitFor();
  h = await startHerald({ dataDir, args: ['--listen', `127.0.0.1:${h.port}`] });
  const id = await send(user, 'Sent while it was away');
  await ready(page);
  await page.locator(`#list li[data-id="${id}"]`).waitFor({ state: 'attached' });
  await page.locator('#status').waitFor({ state: 'hidden' });
  assert.deepEqual(await titles(page), ['Sent while it was away', 'Before the restart'], 'once each');
  assert.equal(await page.locator(`.toast[data-id="${id}"]`).count(), 1);
  // the refused connection attempts while it was down are the browser's own console lines
  assert.deepEqual(errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)), []);
  await context.close();
});
