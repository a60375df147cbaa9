/**
 * OTP rules (issue 2 §4, DESIGN.md §5) through the HTTP API with a ManualClock: expiry, the 60 s
 * resend throttle and its One-Shot text, lock after 5 wrong codes, single use under concurrency
 * (on SQLite and on PostgreSQL), HMAC-only storage, and the failure policy after the OTP is used.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyAlgorithm, KeyHandle } from '../../../src/lib/keys/key-store.js';
import { KeyStoreSignerKeys } from '../../../src/tsc/adapters/key-store-signer-keys.js';
import type { SignerKeySource } from '../../../src/tsc/domain/ports.js';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';
import { requestOtp, sign, sha } from '../support/flow.js';
import { TEST_DBS } from '../support/databases.js';

const DIGESTS = [{ id: 'd', digest_algorithm: 'sha256', digest: sha('sha256', 'doc') }];

describe('OTP', () => {
  let t: TestTsc;
  before(async () => {
    t = await startTestTsc();
  });
  after(async () => t?.close());

  test('a 6-digit code goes to the outbox as one JSON line; the database holds only an HMAC of it', async () => {
    const pk = await createApprovedRequest(t);
    const res = await requestOtp(t, pk, { delivery_method: 'sms' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.sent, true);
    assert.equal(body.channel, 'sms');
    assert.equal(body.expires_at, new Date(t.clock.now().getTime() + 300_000).toISOString().replace('.000Z', 'Z'));
    const lines = (await readFile(t.config.outboxPath!, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const line = lines.find((l) => l.request_pk === pk)!;
    assert.deepEqual(Object.keys(line).sort(), ['at', 'channel', 'code', 'request_pk', 'to']);
    assert.match(line.code, /^\d{6}$/);
    assert.equal(line.to, '+34600123123');
    assert.equal(line.channel, 'sms');
    const rec = await t.app.tsc.deps.store.otps.get(pk);
    assert.match(rec!.codeHmac, /^[0-9a-f]{64}$/);
    assert.ok(!rec!.codeHmac.includes(line.code));
    // Nothing in the SQLite file holds the code in clear.
    const db = await readFile(join(t.config.tscDir, 'tsc.db')).catch(() => Buffer.alloc(0));
    const wal = await readFile(join(t.config.tscDir, 'tsc.db-wal')).catch(() => Buffer.alloc(0));
    assert.ok(!Buffer.concat([db, wal]).includes(Buffer.from(`"${line.code}"`)));
    // e-mail channel goes to the request's e-mail address.
    t.clock.advance(61_000);
    await requestOtp(t, pk, { delivery_method: 'email' });
    const last = (await readFile(t.config.outboxPath!, 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).pop();
    assert.equal(last.to, 'maria.nunez@example.com');
  });

  test('resend throttle: a second OTP within 60 s is 412 "Otp generated less than a minute ago"; after 60 s it works', async () => {
    const pk = await createApprovedRequest(t);
    assert.equal((await requestOtp(t, pk)).statusCode, 200);
    const first = await t.lastOtp(pk);
    t.clock.advance(59_000);
    const again = await requestOtp(t, pk);
    assert.equal(again.statusCode, 412);
    assert.equal(again.json().error.code, 'OTP_ERR_THROTTLED');
    assert.equal(again.json().error.message, 'Otp generated less than a minute ago');
    assert.equal(await t.lastOtp(pk), first);
    t.clock.advance(1_000);
    assert.equal((await requestOtp(t, pk)).statusCode, 200);
    // The old code is gone: only the newest OTP signs.
    const old = await sign(t, pk, { secret: first, digests: DIGESTS });
    assert.equal(old.statusCode, 403);
  });

  test('expiry: a code older than 5 minutes is refused (403 "Confirmation Code invalid") and the request stays ENROLLREADY', async () => {
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    const code = await t.lastOtp(pk);
    t.clock.advance(300_000);
    const res = await sign(t, pk, { secret: code, digests: DIGESTS });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'OTP_ERR_EXPIRED');
    assert.equal(res.json().error.message, 'Confirmation Code invalid');
    assert.equal((await t.app.tsc.deps.store.requests.get(pk))!.status, 'ENROLLREADY');
  });

  test('a code is valid until just before its expiry', async () => {
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    t.clock.advance(299_000);
    assert.equal((await sign(t, pk, { secret: await t.lastOtp(pk), digests: DIGESTS })).statusCode, 200);
  });

  test('lockout: after 5 wrong codes even the right one is refused, until a new OTP is issued', async () => {
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    const code = await t.lastOtp(pk);
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 1; i <= 5; i++) {
      const r = await sign(t, pk, { secret: wrong, digests: DIGESTS });
      assert.equal(r.statusCode, 403);
      assert.equal(r.json().error.code, i < 5 ? 'OTP_ERR_INVALID' : 'OTP_ERR_LOCKED');
    }
    const locked = await sign(t, pk, { secret: code, digests: DIGESTS });
    assert.equal(locked.statusCode, 403);
    assert.equal(locked.json().error.code, 'OTP_ERR_LOCKED');
    assert.deepEqual(locked.json().error.details, { locked: true });
    assert.equal((await t.app.tsc.deps.store.requests.get(pk))!.status, 'ENROLLREADY');
    t.clock.advance(60_000);
    await requestOtp(t, pk);
    assert.equal((await sign(t, pk, { secret: await t.lastOtp(pk), digests: DIGESTS })).statusCode, 200);
    const actions = (await t.app.tsc.deps.store.audit.list(1, 10_000)).filter((e) => e.requestPk === pk).map((e) => e.action);
    assert.equal(actions.filter((a) => a === 'otp.failed').length, 4);
    assert.equal(actions.filter((a) => a === 'otp.locked').length, 1);
  });

  test('no OTP asked: sign is 403; OTP for a request that is not ENROLLREADY is 412 "Invalid request status"', async () => {
    const pk = await createApprovedRequest(t);
    const r = await sign(t, pk, { secret: '123456', digests: DIGESTS });
    assert.equal(r.statusCode, 403);
    assert.equal(r.json().error.code, 'OTP_ERR_NOT_REQUESTED');
    const created = await createApprovedRequest(t, { approve: false });
    const o = await requestOtp(t, created);
    assert.equal(o.statusCode, 412);
    assert.equal(o.json().error.code, 'OTP_ERR_INVALID_STATUS');
    assert.equal(o.json().error.message, 'Invalid request status');
    const missing = await requestOtp(t, 987654);
    assert.equal(missing.statusCode, 404);
  });

  test('an undelivered code is discarded: 502, and a new OTP can be asked for at once', async () => {
    const pk = await createApprovedRequest(t);
    const failing = await startTestTsc({
      deps: { otpSenders: { sms: { kind: 'broken', send: async () => { throw new Error('gateway down'); } } } },
    });
    try {
      const p2 = await createApprovedRequest(failing);
      const r = await requestOtp(failing, p2);
      assert.equal(r.statusCode, 502);
      assert.equal(r.json().error.code, 'OTP_ERR_DELIVERY_FAILED');
      assert.equal(await failing.app.tsc.deps.store.otps.get(p2), null);
      const again = await requestOtp(failing, p2, { delivery_method: 'email' });
      assert.equal(again.statusCode, 200);
    } finally {
      await failing.close();
    }
    assert.ok(pk > 0);
  });
});

for (const [dbName, makeDb] of TEST_DBS) {
  describe(`single use under concurrency (${dbName})`, () => {
    test('two, then eight, concurrent sign calls with one OTP: exactly one wins', async () => {
      const db = await makeDb();
      const t = await startTestTsc({ env: { DATABASE_URL: db.url } });
      try {
        for (const n of [2, 8]) {
          const pk = await createApprovedRequest(t);
          await requestOtp(t, pk);
          const code = await t.lastOtp(pk);
          const results = await Promise.all(Array.from({ length: n }, () => sign(t, pk, { secret: code, digests: DIGESTS })));
          const ok = results.filter((r) => r.statusCode === 200);
          assert.equal(ok.length, 1, results.map((r) => `${r.statusCode} ${r.body.slice(0, 80)}`).join('\n'));
          for (const r of results.filter((x) => x.statusCode !== 200)) {
            assert.ok([403, 409, 412].includes(r.statusCode), `${r.statusCode} ${r.body}`);
          }
          assert.equal((await t.app.tsc.deps.store.certificates.listByRequest(pk)).length, 1);
          assert.equal((await t.app.tsc.deps.store.requests.get(pk))!.status, 'ISSUED');
        }
        assert.equal(await t.app.tsc.deps.keyStore.countKeys(), 4); // only the CA (root, issuing), TSA unit and OCSP responder keys remain
      } finally {
        await t.close();
        await db.drop();
      }
    });
  });
}

describe('failure after the OTP is consumed', () => {
  test('the key is destroyed, nothing is issued, the request stays ENROLLREADY, a new OTP signs', async () => {
    let failNext = true;
    let inner: KeyStoreSignerKeys | null = null;
    const flaky: SignerKeySource = {
      async acquire(alg: KeyAlgorithm): Promise<KeyHandle> {
        const k = await inner!.acquire(alg);
        if (failNext) {
          failNext = false;
          // A key that cannot sign: the store refuses the handle's id once destroyed, simulating an HSM failure mid-way.
          await inner!.destroy(k);
          return k;
        }
        return k;
      },
      destroy: (k) => inner!.destroy(k).catch(() => undefined),
    };
    const t = await startTestTsc({ deps: { signerKeys: flaky } });
    inner = new KeyStoreSignerKeys(t.app.tsc.deps.keyStore);
    try {
      const keysBefore = await t.app.tsc.deps.keyStore.countKeys();
      const pk = await createApprovedRequest(t);
      await requestOtp(t, pk);
      const code = await t.lastOtp(pk);
      const r = await sign(t, pk, { secret: code, digests: DIGESTS });
      assert.equal(r.statusCode, 500);
      assert.equal(r.json().error.code, 'KEY_ERR_NOT_FOUND');
      const req = await t.app.tsc.deps.store.requests.get(pk);
      assert.equal(req!.status, 'ENROLLREADY');
      assert.equal(req!.signingSince, null);
      assert.equal((await t.app.tsc.deps.store.certificates.listByRequest(pk)).length, 0);
      assert.equal(await t.app.tsc.deps.keyStore.countKeys(), keysBefore);
      // The OTP is spent.
      assert.equal((await sign(t, pk, { secret: code, digests: DIGESTS })).statusCode, 403);
      const failed = (await t.app.tsc.deps.store.audit.list(1, 10_000)).find((e) => e.requestPk === pk && e.action === 'sign.failed');
      assert.equal(failed?.details.stage, 'cms'); // the certificate was built, its CMS signature failed
      // A new OTP (after the throttle) signs.
      t.clock.advance(60_000);
      await requestOtp(t, pk);
      const ok = await sign(t, pk, { secret: await t.lastOtp(pk), digests: DIGESTS });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(await t.app.tsc.deps.keyStore.countKeys(), keysBefore);
    } finally {
      await t.close();
    }
  });
});
