/**
 * Idempotent sign call (docs/async.md "The one lost window"): on an ISSUED request, the same
 * Idempotency-Key with the same input and the same authorisation within TSC_SIGN_REPLAY_SECONDS
 * gets the stored answer byte for byte (`replayed: true`), nothing new is issued and no OTP counter
 * moves; everything else — a call without the key above all — gets the 412 of any issued request.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { verifyAuditChain } from '../../../src/tsc/domain/audit/audit-chain.js';
import { signExtAuthAssertion } from '../../../src/tsc/domain/otp/hmac-ext-auth-verifier.js';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';
import { requestOtp, sign as signCall, sha } from '../support/flow.js';

const KEY = 'oneshot-sign-job:test-0001';
/** Every call here carries KEY unless told otherwise (null: no header). */
const sign = (t: TestTsc, pk: number, body: Record<string, unknown>, key: string | null = KEY) =>
  signCall(t, pk, body, key === null ? {} : { 'idempotency-key': key });

const EXT_KEY = randomBytes(32);
const DIGESTS: Array<Record<string, unknown>> = [
  { id: 'doc-a', digest_algorithm: 'sha256', digest: sha('sha256', 'byte ranges of A'), format: 'pades' },
  { id: 'hash-b', digest_algorithm: 'sha384', digest: sha('sha384', 'file B'), format: 'cades', signing_time: true },
];

function assertIssuedRefusal(r: { statusCode: number; json(): any }, what: string): void {
  assert.equal(r.statusCode, 412, what);
  assert.equal(r.json().error.code, 'REQ_ERR_ALREADY_ISSUED', what);
  assert.equal(r.json().error.message, 'Request already in ISSUED status', what);
}

const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

async function signOnce(t: TestTsc, body: Record<string, unknown> = {}): Promise<{ pk: number; code: string; first: any }> {
  const pk = await createApprovedRequest(t);
  assert.equal((await requestOtp(t, pk)).statusCode, 200);
  const code = await t.lastOtp(pk);
  const first = await sign(t, pk, { secret: code, digests: DIGESTS, ...body });
  assert.equal(first.statusCode, 200, first.body);
  return { pk, code, first: first.json() };
}

async function actionsOf(t: TestTsc, pk: number): Promise<string[]> {
  return (await t.app.tsc.deps.store.audit.list(1, 100_000)).filter((e) => e.requestPk === pk).map((e) => e.action);
}

const count = (list: string[], a: string) => list.filter((x) => x === a).length;

describe('sign replay (default window, 900 s)', () => {
  let t: TestTsc;
  before(async () => {
    t = await startTestTsc({ env: { TSC_EXT_AUTH_KEY: EXT_KEY.toString('hex') } });
  });
  after(async () => t?.close());

  test('the same digests with the same OTP get the stored answer byte for byte; nothing new is issued', async () => {
    const { pk, code, first } = await signOnce(t);
    assert.equal(first.replayed, false);
    const otp = await t.app.tsc.deps.store.otps.get(pk);
    for (let i = 0; i < 2; i++) {
      const again = await sign(t, pk, { secret: code, digests: DIGESTS });
      assert.equal(again.statusCode, 200, again.body);
      const body = again.json();
      assert.equal(body.replayed, true);
      // Same certificate, chain, CMS (signature values and B-T timestamps included), level, serial.
      assert.deepEqual({ ...body, replayed: false }, first);
    }
    assert.equal((await t.app.tsc.deps.store.certificates.listByRequest(pk)).length, 1);
    const g = (await t.app.inject({ method: 'GET', url: `/tsc/v1/requests/${pk}`, headers: t.raoHeaders() })).json();
    assert.equal(g.certificate_set.length, 1);
    assert.deepEqual(await t.app.tsc.deps.store.otps.get(pk), otp, 'the OTP record is untouched');
    const actions = await actionsOf(t, pk);
    assert.equal(count(actions, 'sign.replayed'), 2);
    for (const a of ['certificate.issued', 'key.destroyed', 'otp.verified', 'request.issued']) assert.equal(count(actions, a), 1, a);
    const replayed = (await t.app.tsc.deps.store.audit.list(1, 100_000)).find((e) => e.requestPk === pk && e.action === 'sign.replayed')!;
    assert.equal(replayed.details.serial, first.serial_number);
    assert.equal(replayed.details.count, 2);
    assert.equal((await verifyAuditChain(t.app.tsc.deps.store.audit)).ok, true);
  });

  test('any other input gets the 412 of an issued request (and does not use up the replay)', async () => {
    const { pk, code, first } = await signOnce(t);
    const [a, b] = [DIGESTS[0]!, DIGESTS[1]!];
    const others: Array<[string, Record<string, unknown>]> = [
      ['another digest', { digests: [{ ...a, digest: sha('sha256', 'other') }, b] }],
      ['another id', { digests: [{ ...a, id: 'doc-x' }, b] }],
      ['another order', { digests: [b, a] }],
      ['one digest fewer', { digests: [a] }],
      ['signing_time off', { digests: [a, { ...b, signing_time: false }] }],
      ['another attribute', { digests: [a, { ...b, other_attributes: [{ oid: '1.2.3.4', values: [Buffer.from([0x05, 0x00]).toString('base64')] }] }] }],
      ['another level', { digests: DIGESTS, level: 'B-B' }],
      ['another TSA policy', { digests: DIGESTS, tsa: { failure_policy: 'degrade' } }],
    ];
    for (const [what, body] of others) assertIssuedRefusal(await sign(t, pk, { secret: code, ...body }), what);
    assert.equal((await t.app.tsc.deps.store.signResults.get(pk))?.failures, 0, 'input mismatches are not counted');
    const again = await sign(t, pk, { secret: code, digests: DIGESTS });
    assert.equal(again.statusCode, 200);
    assert.deepEqual({ ...(again.json() as object), replayed: false }, first);
  });

  test('a wrong code gets the same 412, moves no OTP counter and writes no audit entry; wrong codes end the replay at the OTP attempt limit', async () => {
    const { pk, code } = await signOnce(t);
    const otp = await t.app.tsc.deps.store.otps.get(pk);
    const head = await t.app.tsc.deps.store.audit.head();
    assertIssuedRefusal(await sign(t, pk, { secret: otherCode(code), digests: DIGESTS }), 'wrong code');
    assertIssuedRefusal(await sign(t, pk, { secret: 'not-digits', digests: DIGESTS }), 'malformed code');
    assert.deepEqual(await t.app.tsc.deps.store.otps.get(pk), otp, 'OTP attempts unchanged');
    assert.deepEqual(await t.app.tsc.deps.store.audit.head(), head);
    assert.equal((await sign(t, pk, { secret: code, digests: DIGESTS })).statusCode, 200, 'still replayed below the limit');
    const max = t.config.otp.maxAttempts;
    for (let i = 2; i < max; i++) assertIssuedRefusal(await sign(t, pk, { secret: otherCode(code), digests: DIGESTS }), `wrong code ${i + 1}`);
    // Guessing the code against the stored answer is bounded like guessing an OTP.
    assertIssuedRefusal(await sign(t, pk, { secret: code, digests: DIGESTS }), 'right code after the limit');
    assert.deepEqual(await t.app.tsc.deps.store.otps.get(pk), otp);
  });

  test('the answer is replayed up to TSC_SIGN_REPLAY_SECONDS after the signature, then 412; later sign calls purge it', async () => {
    const { pk, code, first } = await signOnce(t, { level: 'B-B' });
    const body = { secret: code, digests: DIGESTS, level: 'B-B' };
    t.clock.advance(900_000);
    const last = await sign(t, pk, body);
    assert.equal(last.statusCode, 200);
    assert.deepEqual({ ...(last.json() as object), replayed: false }, first);
    t.clock.advance(1);
    assertIssuedRefusal(await sign(t, pk, body), 'window over');
    assert.ok(await t.app.tsc.deps.store.signResults.get(pk));
    await signOnce(t, { level: 'B-B' }); // its record transaction purges the expired answer
    assert.equal(await t.app.tsc.deps.store.signResults.get(pk), null);
  });

  test('external authentication: the same assertion and secret replay; another assertion or secret does not', async () => {
    const pk = await createApprovedRequest(t);
    const assertion = () => signExtAuthAssertion(EXT_KEY, {
      request_pk: pk, type: 'biometric', exp: Math.floor(t.clock.now().getTime() / 1000) + 120, nonce: randomBytes(16).toString('base64url'),
    });
    const value = assertion();
    const body = { secret: 'customer-code', ext_unlock_type: 'biometric', ext_unlock_value: value, digests: DIGESTS, level: 'B-B' };
    const first = await sign(t, pk, body);
    assert.equal(first.statusCode, 200, first.body);
    const again = await sign(t, pk, body);
    assert.equal(again.statusCode, 200);
    assert.deepEqual({ ...(again.json() as object), replayed: false }, first.json());
    assertIssuedRefusal(await sign(t, pk, { ...body, secret: 'other-code' }), 'other secret');
    assertIssuedRefusal(await sign(t, pk, { ...body, ext_unlock_value: assertion() }), 'another valid assertion');
    assertIssuedRefusal(await sign(t, pk, { ...body, ext_unlock_type: 'password' }), 'other type');
    assertIssuedRefusal(await sign(t, pk, { secret: '123456', digests: DIGESTS, level: 'B-B' }), 'an OTP instead');
    assert.equal((await t.app.tsc.deps.store.certificates.listByRequest(pk)).length, 1);
  });
});

describe('sign replay needs the Idempotency-Key of the first call', () => {
  let t: TestTsc;
  before(async () => {
    t = await startTestTsc();
  });
  after(async () => t?.close());

  test('signed without a key: nothing is stored, the identical repeat is 412 with or without a key', async () => {
    const pk = await createApprovedRequest(t);
    assert.equal((await requestOtp(t, pk)).statusCode, 200);
    const code = await t.lastOtp(pk);
    assert.equal((await sign(t, pk, { secret: code, digests: DIGESTS }, null)).statusCode, 200);
    assert.equal(await t.app.tsc.deps.store.signResults.get(pk), null);
    assertIssuedRefusal(await sign(t, pk, { secret: code, digests: DIGESTS }, null), 'no key');
    assertIssuedRefusal(await sign(t, pk, { secret: code, digests: DIGESTS }), 'a key now');
  });

  test('signed with a key: the repeat without it or with another key is 412, with it the stored answer', async () => {
    const { pk, code, first } = await signOnce(t);
    assertIssuedRefusal(await sign(t, pk, { secret: code, digests: DIGESTS }, null), 'no key');
    assertIssuedRefusal(await sign(t, pk, { secret: code, digests: DIGESTS }, `${KEY}-other`), 'another key');
    const again = await sign(t, pk, { secret: code, digests: DIGESTS });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual({ ...(again.json() as object), replayed: false }, first);
  });

  test('a malformed key is a 400 before anything happens', async () => {
    const pk = await createApprovedRequest(t);
    assert.equal((await requestOtp(t, pk)).statusCode, 200);
    const code = await t.lastOtp(pk);
    for (const bad of ['short', 'x'.repeat(129), 'has space in it']) {
      const r = await sign(t, pk, { secret: code, digests: DIGESTS }, bad);
      assert.equal(r.statusCode, 400, bad);
      assert.equal(r.json().error.code, 'API_ERR_INVALID_PARAMETER');
    }
    assert.equal((await t.app.tsc.deps.store.otps.get(pk))!.usedAt, null, 'the OTP is still usable');
    assert.equal((await sign(t, pk, { secret: code, digests: DIGESTS })).statusCode, 200);
  });
});

describe('TSC_SIGN_REPLAY_SECONDS=0', () => {
  let t: TestTsc;
  before(async () => {
    t = await startTestTsc({ env: { TSC_SIGN_REPLAY_SECONDS: '0' } });
  });
  after(async () => t?.close());

  test('no answer is stored and the same call gets 412', async () => {
    const { pk, code } = await signOnce(t, { level: 'B-B' });
    assert.equal(await t.app.tsc.deps.store.signResults.get(pk), null);
    assertIssuedRefusal(await sign(t, pk, { secret: code, digests: DIGESTS, level: 'B-B' }), 'replay disabled');
    assert.ok(!(await actionsOf(t, pk)).includes('sign.replayed'));
  });
});
