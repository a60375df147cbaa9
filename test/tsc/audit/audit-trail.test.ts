/**
 * Audit coverage (issue 2 §8): every event the issue lists is in the hash-chained log, attributed
 * to its request, in the order it happened — request created/approved/cancelled, OTP sent, failed
 * and locked, certificate issued, digests signed, key destroyed — and the chain verifies.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAuditChain } from '../../../src/tsc/domain/audit/audit-chain.js';
import { startTestTsc, IDENTITY, type TestTsc } from '../support/tsc-harness.js';
import { requestOtp, sign, sha } from '../support/flow.js';

describe('audit trail of a request', () => {
  let t: TestTsc;
  before(async () => {
    t = await startTestTsc();
  });
  after(async () => t?.close());

  const actionsOf = async (pk: number) =>
    (await t.app.tsc.deps.store.audit.list(1, 100_000)).filter((e) => e.requestPk === pk);
  const post = (url: string, payload: Record<string, unknown> = {}) =>
    t.app.inject({ method: 'POST', url, headers: t.raoHeaders(), payload });

  test('create, approve, OTP sent, wrong codes up to the lock, new OTP, sign: each step has its entry', async () => {
    const created = await post('/tsc/v1/requests', { ...IDENTITY });
    assert.equal(created.statusCode, 201, created.body);
    const pk = created.json().pk as number;
    assert.equal((await post(`/tsc/v1/requests/${pk}/approve`)).statusCode, 200);
    assert.equal((await requestOtp(t, pk)).statusCode, 200);
    const code = await t.lastOtp(pk);
    const wrong = code === '000000' ? '000001' : '000000';
    const digests = [{ id: 'd', digest_algorithm: 'sha256', digest: sha('sha256', 'doc') }];
    for (let i = 0; i < 5; i++) assert.equal((await sign(t, pk, { secret: wrong, digests })).statusCode, 403);
    t.clock.advance(60_000);
    assert.equal((await requestOtp(t, pk)).statusCode, 200);
    const ok = await sign(t, pk, { secret: await t.lastOtp(pk), digests });
    assert.equal(ok.statusCode, 200, ok.body);

    const entries = await actionsOf(pk);
    assert.deepEqual(entries.map((e) => e.action), [
      'request.created', 'request.approved',
      'otp.generated', 'otp.sent',
      'otp.failed', 'otp.failed', 'otp.failed', 'otp.failed', 'otp.locked',
      'otp.generated', 'otp.sent', 'otp.verified',
      'certificate.issued', 'digests.signed', 'key.destroyed', 'request.issued',
    ]);
    const by = (a: string) => entries.find((e) => e.action === a)!;
    assert.equal(by('certificate.issued').details.serial, ok.json().serial_number);
    assert.deepEqual(by('digests.signed').details, { count: 1, formats: ['pades'], level: 'B-T', tsa: 'own' });
    assert.equal(by('key.destroyed').details.key_algorithm, 'EC-P256');
    assert.equal(by('request.approved').actor, by('request.created').actor);
    // Entries are whole-second times and carry no identity data.
    for (const e of entries) {
      assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const text = JSON.stringify(e);
      for (const v of [IDENTITY.email, IDENTITY.mobile_phone_number, IDENTITY.serial_number, IDENTITY.given_name, code]) assert.ok(!text.includes(v), `${e.action} holds ${v}`);
    }
    assert.deepEqual(await verifyAuditChain(t.app.tsc.deps.store.audit), { ok: true, entries: (await t.app.tsc.deps.store.audit.head()).seq });
  });

  test('a cancelled request has its created and cancelled entries', async () => {
    const pk = (await post('/tsc/v1/requests', { ...IDENTITY })).json().pk as number;
    assert.equal((await post(`/tsc/v1/requests/${pk}/cancel`, { reason: 'signer withdrew' })).statusCode, 200);
    const entries = await actionsOf(pk);
    assert.deepEqual(entries.map((e) => e.action), ['request.created', 'request.cancelled']);
    assert.deepEqual(entries[1]!.details, { from: 'CREATED', to: 'CANCELLED', with_reason: true });
  });
});
