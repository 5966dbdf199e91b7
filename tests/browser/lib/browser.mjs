// browser.mjs: Debian's Chromium driven by playwright-core, headless and kept off the network
// (no background services, no QUIC, no component updates), for the page tests. Screenshots go to
// tests/artifacts/ (ignored by git, kept by CI as artifacts to look at).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../e2e/lib/herald.mjs';

export const ARTIFACTS = join(ROOT, 'tests/artifacts');

const FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--disable-extensions', '--metrics-recording-only',
  '--no-default-browser-check', '--disable-features=Translate,OptimizationHints,MediaRouter',
];

/** A fresh browser (playwright gives it an empty temporary profile); close it when done. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: FLAGS,
    headless: true,
    timeout: 30000,
  });
}

/** Saves a screenshot of page as tests/artifacts/NAME.png and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects console errors and failed requests of a page, to assert a clean run. */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return errors;
}
