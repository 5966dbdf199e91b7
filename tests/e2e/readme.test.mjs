// readme.test.mjs: the README's five-minute walkthrough, pasted into bash as a reader would, against
// a real server. Keeps the README honest: if a step breaks, so does this test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startHerald } from './lib/herald.mjs';

let h;
before(async () => { h = await startHerald({ sqlite: true }); }); // the README's --data DIR
after(async () => { await h.stop(); });

function walkthrough() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = readme.match(/<!-- walkthrough:start -->\n```sh\n([\s\S]*?)```\n<!-- walkthrough:end -->/);
  assert.ok(block, 'README.md has the walkthrough block');
  return block[1];
}

test('the README walkthrough runs as written and ends with the rendered notification', async () => {
  const script = walkthrough();
  const { stdout, stderr, code } = await new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: ROOT,
      env: { ...process.env, HERALD: h.url, DATA: h.dataDir },
      timeout: 60000,
    }, (err, out, errOut) => resolve({ stdout: out, stderr: errOut, code: err ? err.code : 0 }));
  });
  assert.equal(code, 0, `walkthrough failed:\n${stderr}\n${stdout}`);
  const [accepted, list] = stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.equal(accepted.status, 'active');
  assert.deepEqual(accepted.recipients, { endUsers: 1, audiences: 0, unknownEndUsers: 0 });
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0].id, accepted.id);
  assert.equal(list.items[0].title, 'New lead: Acme renewal');
  assert.equal(list.items[0].description, 'Opportunity Acme renewal needs more information.');
  assert.deepEqual(list.items[0].button,
    { text: 'Open in CRM', url: 'https://crm.example.com/opportunities/42' });
  assert.equal(list.unreadCount, 1);
});
