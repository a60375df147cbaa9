/** loadTscConfig: defaults, generated secrets (mode 0600, stable across loads), validation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileMode } from '../../src/infra/secret-file.js';
import { loadTscConfig } from '../../src/tsc/config.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tsc-config-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('defaults: host, port, data dir layout, sandbox outbox, SQLite under <dir>/tsc, public URL', () =>
  withDir(async (dir) => {
    const c = loadTscConfig({ ONESHOT_DATA_DIR: dir });
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8090);
    assert.equal(c.tscDir, join(dir, 'tsc'));
    assert.equal(c.databaseUrl, join(dir, 'tsc', 'tsc.db'));
    assert.equal(c.publicUrl, 'http://127.0.0.1:8090');
    assert.equal(c.env, 'sandbox');
    assert.equal(c.outboxPath, join(dir, 'outbox.jsonl'));
    assert.deepEqual(c.keyStore, { kind: 'soft' });
    assert.equal(c.certValiditySeconds, 3600);
    assert.deepEqual([c.otp.ttlSeconds, c.otp.resendSeconds, c.otp.maxAttempts], [300, 60, 5]);
    assert.deepEqual(c.otp.senders, { sms: 'outbox', whatsapp: 'outbox', email: 'outbox' });
    assert.equal(c.pdsUrl, 'https://127.0.0.1:8090/pki/pds/en');
    assert.equal(c.sandboxRao, true);
    assert.equal(c.signReplaySeconds, 900);
    assert.equal(loadTscConfig({ ONESHOT_DATA_DIR: dir, TSC_SIGN_REPLAY_SECONDS: '0' }).signReplaySeconds, 0);
  }));

test('generated API keys and OTP key: files with mode 0600, the same value on the next load', () =>
  withDir(async (dir) => {
    const a = loadTscConfig({ ONESHOT_DATA_DIR: dir });
    const b = loadTscConfig({ ONESHOT_DATA_DIR: dir });
    assert.equal(a.clientApiKey, b.clientApiKey);
    assert.equal(a.adminApiKey, b.adminApiKey);
    assert.notEqual(a.clientApiKey, a.adminApiKey);
    assert.ok(a.otp.hmacKey.equals(b.otp.hmacKey));
    for (const f of ['client-api-key', 'admin-api-key', 'otp-hmac-key']) {
      assert.equal(fileMode(join(dir, 'tsc', f)), 0o600, f);
    }
    assert.equal((await readFile(join(dir, 'tsc', 'client-api-key'), 'utf8')).trim(), a.clientApiKey);
    assert.ok(a.clientApiKey.length >= 40);
  }));

test('environment overrides and prod rules', () =>
  withDir(async (dir) => {
    const c = loadTscConfig({
      ONESHOT_DATA_DIR: dir, ONESHOT_ENV: 'prod', TSC_CLIENT_API_KEY: 'client-key-from-env', TSC_ADMIN_API_KEY: 'admin-key-from-env',
      TSC_PUBLIC_URL: 'https://tsc.example.com/', DATABASE_URL: 'postgres://u@db/tsc', SMTP_URL: 'smtp://mail:25', SMS_GATEWAY_URL: 'https://gw/send',
      TSC_CERT_VALIDITY_SECONDS: '600', TSC_PROFILE_KEY_ALGORITHMS: 'PFnubeNC=RSA-3072',
    });
    assert.equal(c.clientApiKey, 'client-key-from-env');
    assert.equal(c.outboxPath, null);
    assert.equal(c.sandboxRao, false);
    assert.equal(c.publicUrl, 'https://tsc.example.com');
    assert.equal(c.pdsUrl, 'https://tsc.example.com/pki/pds/en');
    assert.deepEqual(c.otp.senders, { sms: 'http', whatsapp: 'http', email: 'smtp' });
    assert.deepEqual(c.profileKeyAlgorithms, { PFnubeNC: 'RSA-3072' });
    assert.equal(c.certValiditySeconds, 600);
  }));

test('invalid settings fail loudly at start-up', () =>
  withDir(async (dir) => {
    const bad: Array<Record<string, string>> = [
      { TSC_PORT: 'x' }, { ONESHOT_ENV: 'staging' }, { TSC_KEYSTORE: 'pkcs11' }, { TSC_CERT_VALIDITY_SECONDS: '5' },
      { TSC_EXT_AUTH_KEY: 'short' }, { TSC_CA_ROOT_CERT: '/x.pem' }, { TSC_PROFILE_KEY_ALGORITHMS: 'PFnubeNC=DSA' }, { TSC_CA_COUNTRY: 'Spain' },
      { TSC_SIGN_REPLAY_SECONDS: '-1' }, { TSC_SIGN_REPLAY_SECONDS: '1.5' }, { TSC_SIGN_REPLAY_SECONDS: '86401' },
    ];
    for (const env of bad) assert.throws(() => loadTscConfig({ ONESHOT_DATA_DIR: dir, ...env }), Error, JSON.stringify(env));
  }));
