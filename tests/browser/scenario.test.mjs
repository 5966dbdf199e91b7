// scenario.test.mjs: the story end to end, in one browser with two pages. An admin in the
// console (/console) creates a system, a template, an audience and an API key and sends to the
// audience; a member's Workstation (/workstation#token=…) shows the push toast live,
// acknowledges a popup, clicks the action (a new tab opens) which the console's table counts,
// and loses the notification the admin cancels.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, SLOW } from '../e2e/lib/herald.mjs';
import { launch, screenshot, watchErrors } from './lib/browser.mjs';

const T = 10000 * SLOW;
let h, browser, context, admin, ws, errors = [];
let systemId, pushId, popupId;

before(async () => {
  h = await startHerald();
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  admin = await context.newPage();
  admin.setDefaultTimeout(T);
  errors = watchErrors(admin);
});
after(async () => { await browser?.close(); await h?.stop(); });

const sec = (name) => admin.locator(`#sec-${name}`);
// Two tabs of one window: the one acted on is brought to the front, as a person would (Chromium
// throttles timers and animation frames of a background tab).
async function go(name) {
  await admin.bringToFront();
  await admin.locator(`#nav button[data-section="${name}"]`).click();
  await sec(name).waitFor({ state: 'visible' });
}
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, name);
}

/** Sends the Welcome template to the Pilots audience from the console; returns the row's id. */
async function sendFromConsole({ title, type, name }) {
  await go('send');
  const s = sec('send');
  await s.getByLabel('Template').selectOption({ label: 'Welcome' });
  await s.getByLabel('###NAME###').fill(name);
  await s.getByLabel('Pilots').check();
  await s.getByRole('radio', { name: type === 'popup' ? /popup/ : /push/ }).check();
  await s.getByLabel('Console title').fill(title);
  await s.getByRole('button', { name: 'Send notification' }).click();
  await s.locator('.sent').waitFor();
  const id = (await s.locator('.sent code').textContent()).trim();
  await s.getByRole('button', { name: 'See it in Notifications' }).click();
  await sec('notifications').locator(`tbody tr[data-id="${id}"]`).waitFor();
  return id;
}

test('the admin sets up a system, a template, an audience and a key in the console', async () => {
  await admin.goto(`${h.url}/console`);
  await admin.getByLabel('Client ID', { exact: true }).fill(h.clientId);
  await admin.getByLabel('Client secret', { exact: true }).fill(h.clientSecret);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.locator('#app').waitFor({ state: 'visible' });

  await go('systems');
  await sec('systems').getByLabel('Name').fill('Operations');
  await sec('systems').getByRole('button', { name: 'Create system' }).click();
  await sec('systems').locator('tbody tr', { hasText: 'Operations' }).waitFor();
  systemId = await admin.locator('#system-select').inputValue();
  assert.match(systemId, /^[0-9a-f]{32}$/);

  await go('templates');
  await sec('templates').getByRole('button', { name: 'New template' }).click();
  const t = sec('templates');
  await t.getByLabel('Name', { exact: true }).fill('Welcome');
  await t.getByLabel('Title', { exact: true }).fill('Hello ###NAME###');
  await t.getByLabel('Description', { exact: true }).fill('Your workstation is ready.');
  await t.getByLabel('Button text').fill('Open the guide');
  // a page of herald itself, so the new tab loads without a network
  await t.getByLabel('Button link').fill(`${h.url}/healthz`);
  await t.getByLabel('Sample NAME').fill('Ada');
  await t.getByRole('button', { name: 'Create template' }).click();
  await t.locator('tbody tr', { hasText: 'Welcome' }).waitFor();

  await go('audiences');
  await sec('audiences').getByRole('button', { name: 'New audience' }).click();
  await sec('audiences').getByLabel('Name', { exact: true }).fill('Pilots');
  await sec('audiences').getByLabel('End-user ids, one per line').fill('ada@example.com\ngrace@example.com');
  await sec('audiences').getByRole('button', { name: 'Create audience' }).click();
  await sec('audiences').locator('tbody tr', { hasText: 'Pilots' }).waitFor();

  await go('api-keys');
  await sec('api-keys').getByLabel('Name', { exact: true }).fill('monitoring');
  await sec('api-keys').getByRole('button', { name: 'Create key' }).click();
  await admin.locator('#new-secret').waitFor();
  await sec('api-keys').getByRole('button', { name: 'I have stored it' }).click();
});

test('a member\'s open workstation shows the push toast live', async () => {
  const token = await getToken(h);
  const r = await api(h, 'POST', `/v1/systems/${systemId}/end-users/ada@example.com/tokens`, { token });
  assert.equal(r.status, 201, r.text);
  ws = await context.newPage();
  ws.setDefaultTimeout(T);
  ws.errorsList = watchErrors(ws);
  // event-based: the stream's response headers mean the page listens
  const streaming = ws.waitForResponse((res) => res.url().includes('/v1/me/stream'), { timeout: T });
  await ws.goto(`${h.url}/workstation#token=${r.json.token}`);
  await streaming;

  pushId = await sendFromConsole({ title: 'Push one', type: 'push', name: 'Ada' });
  await ws.bringToFront();
  const toast = ws.locator(`#toasts .toast[data-id="${pushId}"]`);
  await toast.waitFor();
  assert.match(await toast.textContent(), /Hello Ada/);
  await ws.locator(`#list li[data-id="${pushId}"]`).waitFor({ state: 'attached' });
  await shot(ws, 'scenario-workstation-toast');
});

test('a popup sent the same way is acknowledged on the workstation', async () => {
  popupId = await sendFromConsole({ title: 'Popup two', type: 'popup', name: 'Ada' });
  await ws.bringToFront();
  const popup = ws.locator('dialog#popup');
  await popup.waitFor({ state: 'visible' });
  assert.match(await popup.textContent(), /Hello Ada/);
  await shot(ws, 'scenario-workstation-popup');
  await popup.locator('button.acknowledge').click();
  await popup.waitFor({ state: 'hidden' });
  // the console counts it as seen
  await admin.bringToFront();
  await sec('notifications').getByRole('tab', { name: 'Active' }).click();
  await admin.waitForFunction((id) => document.querySelector(`#sec-notifications tr[data-id="${id}"] [data-stat=seen]`)?.textContent === '1', popupId, { timeout: T });
});

test('a click on the action opens a new tab and is counted in the console', async () => {
  // the toast may be gone by now: the list item has the same link
  await ws.bringToFront();
  let link = ws.locator(`#toasts .toast[data-id="${pushId}"] a.action`);
  if (!await link.isVisible()) {
    link = ws.locator(`#list li[data-id="${pushId}"] a.action`);
    if (!await link.isVisible()) await ws.locator('#bell').click();
  }
  const [tab] = await Promise.all([context.waitForEvent('page', { timeout: T }), link.click()]);
  await tab.waitForLoadState();
  assert.match(tab.url(), /\/healthz$/);
  await tab.close();
  await admin.bringToFront();
  await admin.waitForFunction((id) => document.querySelector(`#sec-notifications tr[data-id="${id}"] [data-stat=clicked]`)?.textContent === '1', pushId, { timeout: T });
  await shot(admin, 'scenario-console-clicked');
});

test('a notification cancelled in the console disappears from the open workstation', async () => {
  await ws.locator(`#list li[data-id="${pushId}"]`).waitFor({ state: 'attached' });
  await admin.bringToFront();
  const row = sec('notifications').locator(`tbody tr[data-id="${pushId}"]`);
  await row.getByRole('button', { name: /^Cancel/ }).click();
  await admin.locator('#confirm-ok').click();
  await row.waitFor({ state: 'detached' });
  await ws.bringToFront();
  await ws.locator(`#list li[data-id="${pushId}"]`).waitFor({ state: 'detached' });
  assert.equal(await ws.locator(`#toasts .toast[data-id="${pushId}"]`).count(), 0);
  await shot(ws, 'scenario-workstation-after-cancel');
  assert.deepEqual([...errors, ...ws.errorsList], []);
});
