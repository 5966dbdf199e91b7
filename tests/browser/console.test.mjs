// console.test.mjs: the Communication Center (/console) in Chromium, from the binary: sign-in,
// systems, templates with the live preview, audiences, API keys (secret shown once), the send
// form (JSON and curl), the notification table with stats, cancel, and a 320 px layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, getToken, api, SLOW } from '../e2e/lib/herald.mjs';
import { launch, screenshot, watchErrors } from './lib/browser.mjs';

const T = 10000 * SLOW;
let h, browser, context, page, errors;

before(async () => {
  h = await startHerald();
  browser = await launch();
  // a zone with an offset, so datetime-local → ISO 8601 with offset is checked for real
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Paris' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.url });
  page = await context.newPage();
  page.setDefaultTimeout(T);
  errors = watchErrors(page);
});
after(async () => { await browser?.close(); await h?.stop(); });

async function shot(name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, name);
}
const section = (name) => page.locator(`#sec-${name}`);
async function go(name) {
  await page.locator(`#nav button[data-section="${name}"]`).click();
  await section(name).waitFor({ state: 'visible' });
}

test('a wrong secret shows the OAuth error; the right one signs in', async () => {
  await page.goto(`${h.url}/console`);
  await page.getByLabel('Client ID', { exact: true }).fill(h.clientId);
  await page.getByLabel('Client secret', { exact: true }).fill('not-the-secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#signin-error').filter({ hasText: /\S/ }).waitFor();
  const msg = await page.locator('#signin-error').textContent();
  assert.match(msg, /client|secret|credential/i, msg);
  await shot('console-signin-error');

  await page.getByLabel('Client secret', { exact: true }).fill(h.clientSecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#app').waitFor({ state: 'visible' });
  assert.ok(await page.evaluate(() => sessionStorage.getItem('herald.console')), 'the token is kept in sessionStorage');
  // a reload keeps the session
  await page.reload();
  await page.locator('#app').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#signin').isVisible(), false);
});

test('create a system', async () => {
  await go('systems');
  await section('systems').getByLabel('Name').fill('Sales <b>CRM</b>');
  await section('systems').getByRole('button', { name: 'Create system' }).click();
  const row = section('systems').locator('tbody tr', { hasText: 'Sales <b>CRM</b>' });
  await row.waitFor();
  assert.equal(await row.locator('b').count(), 0, 'names are text, not HTML');
  assert.equal(await page.locator('#system-select option:checked').textContent(), 'Sales <b>CRM</b>');
});

test('a template with ###NAME### and a live preview', async () => {
  await go('templates');
  await section('templates').getByRole('button', { name: 'New template' }).click();
  const s = section('templates');
  await s.getByLabel('Name', { exact: true }).fill('Welcome');
  await s.getByLabel('Title', { exact: true }).fill('Hello ###NAME###');
  await s.getByLabel('Description', { exact: true }).fill('Dear ###NAME###, <i>welcome</i> aboard.');
  await s.getByLabel('Button text').fill('Open');
  await s.getByLabel('Button link').fill('https://example.com/welcome');
  const preview = page.locator('#template-preview');
  await preview.locator('mark.missing', { hasText: '###NAME###' }).first().waitFor();
  const sample = s.getByLabel('Sample NAME');
  await sample.pressSequentially('Ada');
  await page.waitForFunction(() => document.querySelector('#template-preview .p-title')?.textContent === 'Hello Ada');
  assert.equal(await preview.locator('.p-desc').textContent(), 'Dear Ada, <i>welcome</i> aboard.');
  assert.equal(await preview.locator('i').count(), 0, 'the preview renders text only');
  await sample.fill('Grace');
  await page.waitForFunction(() => document.querySelector('#template-preview .p-title')?.textContent === 'Hello Grace');
  await shot('console-template-1280');
  await s.getByRole('button', { name: 'Create template' }).click();
  const row = s.locator('tbody tr', { hasText: 'Welcome' });
  await row.waitFor();
  assert.match(await row.textContent(), /NAME/);
});

test('an audience with two members', async () => {
  await go('audiences');
  const s = section('audiences');
  await s.getByRole('button', { name: 'New audience' }).click();
  await s.getByLabel('Name', { exact: true }).fill('Pilots');
  await s.getByLabel('End-user ids, one per line').fill('ada@example.com\ngrace@example.com\nada@example.com\n');
  await s.getByText('2 distinct ids').waitFor();
  await s.getByRole('button', { name: 'Create audience' }).click();
  const row = s.locator('tbody tr', { hasText: 'Pilots' });
  await row.waitFor();
  assert.equal(await row.locator('[data-size]').textContent(), '2');
});

test('end users from a CSV file, search, and an audience by rules with a live count', async () => {
  await go('end-users');
  const s = section('end-users');
  const csv = 'id,name,email,department\nada@example.com,Ada Lovelace,ada@example.com,Sales\n"grace@example.com","Hopper, Grace",grace@example.com,Engineering\n';
  await s.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await s.getByRole('button', { name: 'Import' }).click();
  await s.locator('.import-result').waitFor();
  assert.match(await s.locator('.import-result').textContent(), /2 created, 0 updated, 0 errors/);
  await s.locator('tbody tr[data-id="grace@example.com"]', { hasText: 'Hopper, Grace' }).waitFor();
  await s.getByLabel('Search').fill('hopper');
  await page.waitForFunction(() => document.querySelectorAll('#sec-end-users tbody tr').length === 1);
  assert.match(await s.locator('tbody tr').textContent(), /Engineering/);

  await go('audiences');
  const a = section('audiences');
  await a.getByRole('button', { name: 'New audience' }).click();
  await a.getByLabel('Name', { exact: true }).fill('Sales team');
  await a.getByRole('radio', { name: /Rules/ }).check();
  await a.getByLabel('Attribute', { exact: true }).fill('department');
  await a.getByLabel('Value', { exact: true }).fill('Sales');
  await page.waitForFunction(() => document.querySelector('#sec-audiences .match-count')?.textContent === '1');
  assert.match(await a.locator('.rule-preview').textContent(), /ada@example.com/);
  await a.getByLabel('Value', { exact: true }).fill('%');
  await a.getByLabel('Operator', { exact: true }).selectOption('like');
  await page.waitForFunction(() => document.querySelector('#sec-audiences .match-count')?.textContent === '2');
  await a.getByLabel('Value', { exact: true }).fill('Sales');
  await a.getByLabel('Operator', { exact: true }).selectOption('is');
  await page.waitForFunction(() => document.querySelector('#sec-audiences .match-count')?.textContent === '1');
  await shot('console-audience-rules-1280');
  await a.getByRole('button', { name: 'Create audience' }).click();
  const row = a.locator('tbody tr', { hasText: 'Sales team' });
  await row.waitFor();
  assert.equal(await row.locator('[data-size]').textContent(), '1');
});

test('an API key: the secret is shown once with a copy button', async () => {
  await go('api-keys');
  const s = section('api-keys');
  await s.getByLabel('Name', { exact: true }).fill('zapier');
  await s.getByLabel(/admin:read/).check();
  await s.getByRole('button', { name: 'Create key' }).click();
  const secret = (await page.locator('#new-secret').textContent()).trim();
  assert.ok(secret.length > 10);
  const copy = s.getByRole('button', { name: 'Copy secret' });
  assert.ok(await copy.isVisible());
  await copy.click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await s.getByText(/shown only this once/).waitFor();
  await shot('console-apikey-1280');
  await s.getByRole('button', { name: 'I have stored it' }).click();
  const row = s.locator('tbody tr', { hasText: 'zapier' });
  await row.waitFor();
  assert.ok(!(await s.textContent()).includes(secret), 'the list never shows the secret');
  // the key works
  const clientId = await row.getAttribute('data-id');
  assert.ok(await getToken(h, { clientId, clientSecret: secret }));
});

test('the send form shows JSON and curl, and sends', async () => {
  await go('send');
  const s = section('send');
  await s.getByLabel('Template').selectOption({ label: 'Welcome' });
  await s.getByLabel('###NAME###').fill('Ada');
  await s.getByLabel('Pilots').check();
  await s.getByLabel('Console title').fill('Welcome wave');
  await page.waitForFunction(() => document.querySelector('#send-json').textContent.includes('"value": "Ada"'));
  const json = JSON.parse(await page.locator('#send-json').textContent());
  assert.equal(json.notification.override[0].key, 'NAME');
  assert.equal(json.notification.audiencesIds.length, 1);
  assert.equal(json.notification.title, 'Welcome wave');
  const curl = await page.locator('#send-curl').textContent();
  assert.match(curl, /Authorization: Bearer \$TOKEN/);
  assert.ok(!curl.includes(await page.evaluate(() => JSON.parse(sessionStorage.getItem('herald.console')).token)), 'never the real token');

  // a start in the browser's zone is sent with its offset
  await s.getByLabel('Start', { exact: true }).fill('2030-01-02T09:30');
  await page.waitForFunction(() => /"startAt": "2030-01-02T09:30:00\+01:00"/.test(document.querySelector('#send-json').textContent));
  // an end before the start: the error shows next to the field
  await s.getByLabel('End', { exact: true }).fill('2030-01-01T09:30');
  await s.getByRole('button', { name: 'Send notification' }).click();
  await s.locator('[data-field="endAt"] .field-error').filter({ hasText: /\S/ }).waitFor();
  await shot('console-send-error-1280');
  await s.getByLabel('Start', { exact: true }).fill('');
  await s.getByLabel('End', { exact: true }).fill('');
  await s.getByRole('button', { name: 'Send notification' }).click();
  await s.locator('.sent').waitFor();
  assert.match(await s.locator('.sent').textContent(), /Sent/);
  await shot('console-send-1280');
});

test('the table shows it under Active with stats; cancel moves it to Cancelled', async () => {
  await go('notifications');
  const s = section('notifications');
  await s.getByRole('tab', { name: 'Active' }).click();
  const row = s.locator('tbody tr', { hasText: 'Welcome wave' });
  await row.waitFor();
  await page.waitForFunction(() => document.querySelector('#sec-notifications tbody tr [data-stat=targeted]')?.textContent === '2');
  assert.equal(await row.locator('[data-stat=received]').textContent(), '0');

  // stats refresh live: a member sees it
  const admin = await getToken(h);
  const id = await row.getAttribute('data-id');
  const systemId = await page.locator('#system-select').inputValue();
  const t = await api(h, 'POST', `/v1/systems/${systemId}/end-users/ada@example.com/tokens`, { token: admin });
  assert.equal(t.status, 201);
  assert.equal((await api(h, 'POST', `/v1/me/notifications/${id}/seen`, { token: t.json.token })).status, 204);
  await page.waitForFunction(() => document.querySelector('#sec-notifications tbody tr [data-stat=seen]')?.textContent === '1');
  await shot('console-notifications-1280');

  await row.getByRole('button', { name: /^Cancel/ }).click();
  await page.locator('#confirm-ok').click();
  await row.waitFor({ state: 'detached' });
  await s.getByRole('tab', { name: 'Cancelled' }).click();
  await s.locator('tbody tr', { hasText: 'Welcome wave' }).waitFor();
});

test('320 px: no horizontal scroll, every section', async () => {
  await page.setViewportSize({ width: 320, height: 700 });
  for (const name of ['systems', 'templates', 'audiences', 'end-users', 'api-keys', 'send', 'notifications']) {
    await go(name);
    await page.waitForLoadState('networkidle');
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(over <= 0, `${name}: ${over}px of horizontal scroll at 320 px`);
  }
  await go('send');
  await shot('console-send-320');
  await go('notifications');
  await shot('console-notifications-320');
  await go('templates');
  await section('templates').getByRole('button', { name: 'New template' }).click();
  await shot('console-templates-320');
});

test('keyboard: the nav moves with arrows and Enter', async () => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.locator('#nav button[data-section="systems"]').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await section('templates').waitFor({ state: 'visible' });
});

test('sign out, and no console errors', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#signin').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('herald.console')), null);
  // Chromium logs the two refusals the test provoked (the wrong secret, the end before the start)
  const expected = [/status of 401 \(Unauthorized\)/, /status of 422/];
  assert.deepEqual(errors.filter((e) => !expected.some((re) => re.test(e))), []);
  assert.ok(errors.length <= expected.length, errors.join('\n'));
});
