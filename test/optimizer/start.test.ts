/**
 * startOptimizer: listens (port 0 here), seeds the protected sandbox token once (verified by the
 * real TSC), keeps it across restarts, and serves the API over real HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptimizerConfig } from '../../src/optimizer/config.js';
import { startOptimizer } from '../../src/optimizer/app.js';
import { startRealTsc } from '../support/optimizer-tsc.js';

test('sandbox token seeded once, protected, listed; real HTTP on a free port', async () => {
  const tsc = await startRealTsc();
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-start-'));
  try {
    const config = loadOptimizerConfig({
      ONESHOT_DATA_DIR: dir, OPTIMIZER_PORT: '0', TSC_URL: tsc.url, TSC_CLIENT_API_KEY: tsc.apiKey,
      OPTIMIZER_SANDBOX_RAO_USERNAME: tsc.rao.username, OPTIMIZER_SANDBOX_RAO_PASSWORD: tsc.rao.password, OPTIMIZER_SANDBOX_RAO_PIN: tsc.rao.pin,
    });
    const a = await startOptimizer(config, { logger: false });
    let uid: string;
    try {
      assert.match(a.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      uid = a.sandboxTokenUid!;
      assert.match(uid, /^[0-9a-f]{32}$/);
      const list = (await (await fetch(`${a.url}/api/v1/tokens`)).json()) as { details: Record<string, unknown> };
      assert.deepEqual(list.details, { [uid]: { username: tsc.rao.username, password: true, pin: true } });
      const del = await fetch(`${a.url}/api/v1/token/${uid}`, { method: 'DELETE' });
      assert.equal(del.status, 403);
      assert.deepEqual(await del.json(), { status: '403 Forbidden', details: 'The sandbox demo token cannot be deleted' });
      // DELETE /tokens (Gen A) removes the others and keeps the demo token.
      const other = await fetch(`${a.url}/api/v1/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: tsc.rao.username, password: tsc.rao.password, env: 'sandbox' }) });
      assert.equal(other.status, 200);
      assert.equal((await fetch(`${a.url}/api/v1/tokens`, { method: 'DELETE' })).status, 200);
    } finally {
      await a.close();
    }
    const b = await startOptimizer(config, { logger: false });
    try {
      assert.equal(b.sandboxTokenUid, uid);
      const list = (await (await fetch(`${b.url}/oneshot/api/v1/tokens/`)).json()) as { details: Record<string, unknown> };
      assert.deepEqual(Object.keys(list.details), [uid]);
    } finally {
      await b.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await tsc.close();
  }
});
