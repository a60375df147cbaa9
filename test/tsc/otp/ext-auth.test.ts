/**
 * External authentication (issue 2 §4): the default verifier accepts only an HMAC-signed,
 * unexpired assertion for this request and type, once; without a configured key nothing passes.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { signExtAuthAssertion } from '../../../src/tsc/domain/otp/hmac-ext-auth-verifier.js';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';
import { sign, sha } from '../support/flow.js';

const KEY = randomBytes(32);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Sets an unused low bit of the MAC's last base64url character: same decoded bytes, different text. */
const nonCanonical = (a: string) => a.slice(0, -1) + B64URL[B64URL.indexOf(a.slice(-1)) | 1];

const DIGESTS = [{ id: 'd', digest_algorithm: 'sha256', digest: sha('sha256', 'doc') }];

describe('external authentication', () => {
  let t: TestTsc;
  before(async () => {
    t = await startTestTsc({ env: { TSC_EXT_AUTH_KEY: KEY.toString('hex') } });
  });
  after(async () => t?.close());

  const nowS = () => Math.floor(t.clock.now().getTime() / 1000);
  const assertion = (pk: number, over: Record<string, unknown> = {}, key: Uint8Array = KEY) =>
    signExtAuthAssertion(key, { request_pk: pk, type: 'biometric', exp: nowS() + 120, nonce: randomBytes(16).toString('base64url'), ...over } as any);
  const extSign = (pk: number, value: string, type = 'biometric') => sign(t, pk, { secret: 'customer-code', ext_unlock_type: type, ext_unlock_value: value, digests: DIGESTS });

  test('a valid assertion signs without any OTP; the same assertion again is refused (replay)', async () => {
    const pk = await createApprovedRequest(t);
    const a = assertion(pk);
    const ok = await extSign(pk, a);
    assert.equal(ok.statusCode, 200, ok.body);
    const pk2 = await createApprovedRequest(t);
    const replayOther = await extSign(pk2, a);
    assert.equal(replayOther.statusCode, 403);
    const actions = (await t.app.tsc.deps.store.audit.list(1, 10_000)).filter((e) => e.requestPk === pk).map((e) => e.action);
    assert.ok(actions.includes('ext_auth.accepted'));
  });

  test('refused: other request, other type, expired, too long-lived, bad MAC, other key, garbage, reused nonce', async () => {
    const pk = await createApprovedRequest(t);
    const nonce = randomBytes(16).toString('base64url');
    const bad = [
      assertion(pk + 1000),
      assertion(pk, { type: 'password' }),
      assertion(pk, { exp: nowS() }),
      assertion(pk, { exp: nowS() + 3600 }),
      assertion(pk).replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`), // first MAC character changed
      nonCanonical(assertion(pk)), // the right MAC bytes, but not the encoding that was issued
      assertion(pk, {}, randomBytes(32)),
      'not-an-assertion',
      `${Buffer.from('{}').toString('base64url')}.${'A'.repeat(43)}`,
      assertion(pk, { nonce: 'short' }),
    ];
    for (const v of bad) {
      const r = await extSign(pk, v);
      assert.equal(r.statusCode, 403, v);
      assert.equal(r.json().error.code, 'OTP_ERR_EXT_AUTH_INVALID');
      assert.equal(r.json().error.message, 'Confirmation Code invalid');
    }
    assert.equal((await extSign(pk, assertion(pk), 'password')).statusCode, 403); // type mismatch the other way
    assert.equal((await t.app.tsc.deps.store.requests.get(pk))!.status, 'ENROLLREADY');
    // A nonce is single use even across two different valid assertions.
    const first = await extSign(pk, assertion(pk, { nonce }));
    assert.equal(first.statusCode, 200);
    const pk2 = await createApprovedRequest(t);
    assert.equal((await extSign(pk2, assertion(pk2, { nonce }))).statusCode, 403);
  });

  test('without TSC_EXT_AUTH_KEY external authentication never passes', async () => {
    const plain = await startTestTsc();
    try {
      const pk = await createApprovedRequest(plain);
      const r = await sign(plain, pk, { secret: 'x', ext_unlock_type: 'biometric', ext_unlock_value: assertion(pk), digests: DIGESTS });
      assert.equal(r.statusCode, 403);
      assert.equal(r.json().error.code, 'OTP_ERR_EXT_AUTH_INVALID');
    } finally {
      await plain.close();
    }
  });
});
