/** loadOptimizerConfig: defaults of the embedded set-up, every variable, bad values refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadOptimizerConfig } from '../../src/optimizer/config.js';
import { loadMasterKey } from '../../src/optimizer/adapters/master-key.js';

test('defaults: loopback, port 8080, ./data/optimizer, SQLite, TSC on 8090', () => {
  const c = loadOptimizerConfig({});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, resolve('./data'));
  assert.equal(c.optimizerDir, join(resolve('./data'), 'optimizer'));
  assert.equal(c.databaseUrl, join(resolve('./data'), 'optimizer', 'optimizer.sqlite'));
  assert.equal(c.tscUrl, 'http://127.0.0.1:8090');
  assert.equal(c.apiKey, null);
  assert.equal(c.maxFilesPerCall, 10);
  assert.equal(c.masterKey, null);
});

test('every variable is read; the co-located TSC client key file is used when the env has none', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-cfg-'));
  try {
    await mkdir(join(dir, 'tsc'));
    await writeFile(join(dir, 'tsc', 'client-api-key'), 'from-file\n');
    const key = Buffer.alloc(32, 7);
    const c = loadOptimizerConfig({
      OPTIMIZER_HOST: '0.0.0.0', OPTIMIZER_PORT: '9999', ONESHOT_DATA_DIR: dir, DATABASE_URL: 'postgres://u@h/db', TSC_URL: 'http://tsc:1/',
      OPTIMIZER_API_KEY: 'k', OPTIMIZER_MAX_UPLOAD_BYTES: '1000', ONESHOT_MASTER_KEY: key.toString('hex'), ONESHOT_ENV: 'prod',
      OPTIMIZER_DEFAULT_PROFILE: 'PFnubeNC', OPTIMIZER_DEFAULT_RA: '139', OPTIMIZER_SIGNATURE_LEVEL: 'B-B', OPTIMIZER_SANDBOX_RAO_USERNAME: 'u',
    });
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.port, 9999);
    assert.equal(c.databaseUrl, 'postgres://u@h/db');
    assert.equal(c.tscUrl, 'http://tsc:1');
    assert.equal(c.tscClientApiKey, 'from-file');
    assert.equal(c.apiKey, 'k');
    assert.equal(c.maxUploadBytes, 1000);
    assert.ok(c.masterKey?.equals(key));
    assert.equal(c.environment, 'prod');
    assert.deepEqual(c.settingsOverrides, { default_profile: 'PFnubeNC', default_ra: '139', level: 'B-B' });
    assert.equal(c.sandboxToken?.username, 'u');
    assert.equal(loadOptimizerConfig({ ONESHOT_DATA_DIR: dir, TSC_CLIENT_API_KEY: 'env' }).tscClientApiKey, 'env');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad values are refused at start', () => {
  assert.throws(() => loadOptimizerConfig({ OPTIMIZER_PORT: 'x' }), /OPTIMIZER_PORT/);
  assert.throws(() => loadOptimizerConfig({ OPTIMIZER_MAX_UPLOAD_BYTES: '0' }), /OPTIMIZER_MAX_UPLOAD_BYTES/);
  assert.throws(() => loadOptimizerConfig({ ONESHOT_MASTER_KEY: 'c2hvcnQ=' }), /ONESHOT_MASTER_KEY/);
  assert.throws(() => loadOptimizerConfig({ ONESHOT_ENV: 'test' }), /ONESHOT_ENV/);
});

test('master key file: generated once with mode 0600, then reused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-mk-'));
  try {
    const f = join(dir, 'optimizer', 'master.key');
    const k1 = loadMasterKey(null, f);
    assert.equal(k1.length, 32);
    assert.equal((await stat(f)).mode & 0o777, 0o600);
    assert.ok(loadMasterKey(null, f).equals(k1));
    const env = Buffer.alloc(32, 1);
    assert.ok(loadMasterKey(env, f).equals(env));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('master key file: a second process starting while the first one writes it gets the same key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-mk-'));
  try {
    const f = join(dir, 'master.key');
    const theirs = Buffer.alloc(32, 9);
    // The first process has created the file (exclusively) and writes the key a moment later.
    await writeFile(f, '', { mode: 0o600 });
    const writer = spawn('sh', ['-c', `sleep 0.3; printf '%s\\n' "$KEY" > "$FILE"`], { env: { ...process.env, KEY: theirs.toString('base64'), FILE: f } });
    assert.ok(loadMasterKey(null, f).equals(theirs));
    await once(writer, 'exit');
    // A damaged key file is an operator problem: refused, never replaced by a new key.
    await writeFile(f, 'c2hvcnQ=\n');
    assert.throws(() => loadMasterKey(null, f), /does not hold a 32-byte base64 key/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
