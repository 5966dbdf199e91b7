// smoke.test.mjs: the pages load in Chromium, from the binary, under their Content-Security-Policy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald } from '../e2e/lib/herald.mjs';
import { launch, screenshot, watchErrors } from './lib/browser.mjs';

let h, browser;
before(async () => { h = await startHerald(); browser = await launch(); });
after(async () => { await browser?.close(); await h?.stop(); });

for (const page of ['console', 'workstation']) {
  test(`/${page} loads without errors`, async () => {
    const p = await browser.newPage();
    const errors = watchErrors(p);
    const res = await p.goto(`${h.url}/${page}`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
    await p.waitForLoadState('networkidle');
    await screenshot(p, `smoke-${page}`);
    assert.deepEqual(errors, []);
    await p.close();
  });
}
