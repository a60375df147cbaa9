/**
 * The TSC on a PKCS#11 token (SoftHSM2, TSC_KEYSTORE=pkcs11): CA keys live in the token and survive
 * a restart; after 50 complete flows (EC P-256 and RSA from the pool) the token holds exactly as
 * many private key objects as before: every single-use key was destroyed (DESIGN.md §5).
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsmToken, type SoftHsmToken } from '../../support/softhsm.js';
import { opensslOk } from '../../support/openssl.js';
import { startTestTsc, createApprovedRequest, T0, type TestTsc } from '../support/tsc-harness.js';
import { attime, otpAndSign, sha } from '../support/flow.js';

describe('TSC with a SoftHSM2 key store', () => {
  let token: SoftHsmToken;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    token = await createSoftHsmToken();
    dir = await mkdtemp(join(tmpdir(), 'tsc-hsm-'));
    env = {
      TSC_KEYSTORE: 'pkcs11', PKCS11_MODULE: token.modulePath, PKCS11_TOKEN_LABEL: token.tokenLabel, PKCS11_PIN: token.pin,
      TSC_PROFILE_KEY_ALGORITHMS: 'PFnubeNC=RSA-2048', TSC_RSA_POOL_SIZE: '2',
    };
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    await token?.cleanup();
  });

  test('50 flows leave the token with its starting number of key objects; the CMS verify with openssl', async () => {
    const t: TestTsc = await startTestTsc({ env, dir });
    try {
      assert.equal(t.app.tsc.deps.keyStore.kind, 'pkcs11');
      await t.app.tsc.rsaPool!.ready();
      const before = await t.app.tsc.deps.keyStore.countKeys();
      assert.equal(before, 2 + 2 + 2, 'two CA keys + TSA unit + OCSP responder + two pooled RSA keys');
      await writeFile(join(dir, 'root.pem'), (await t.app.inject({ method: 'GET', url: '/pki/root.pem' })).body);
      for (let i = 0; i < 50; i++) {
        const rsa = i % 5 === 4; // 10 of the 50 flows use the RSA profile
        const content = Buffer.from(`document ${i}`);
        const pk = await createApprovedRequest(t, { profile: rsa ? 'PFnubeNC' : 'PFnubeQAFCiudadano' });
        const r = await otpAndSign(t, pk, [
          { id: 'pdf', digest_algorithm: 'sha256', digest: sha('sha256', content), format: 'pades' },
          { id: 'p7m', digest_algorithm: 'sha256', digest: sha('sha256', content), format: 'cades', signing_time: true },
        ]);
        assert.equal(r.key_algorithm, rsa ? 'RSA-2048' : 'EC-P256');
        if (i === 3 || i === 4) {
          for (const s of r.signatures) {
            await writeFile(join(dir, 'sig.p7s'), Buffer.from(s.cms, 'base64'));
            await writeFile(join(dir, 'content.bin'), content);
            const v = await opensslOk(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.p7s'), '-content', join(dir, 'content.bin'),
              '-CAfile', join(dir, 'root.pem'), '-purpose', 'any', '-attime', attime(new Date(t.clock.now().getTime() + 1000)), '-out', '/dev/null']);
            assert.match(v.stderr, /Verification successful/);
          }
        }
        t.clock.advance(1000);
      }
      await t.app.tsc.rsaPool!.ready();
      assert.equal(await t.app.tsc.deps.keyStore.countKeys(), before);
    } finally {
      await t.close();
    }
  });

  test('after a restart the CA, TSA and OCSP responder keys are found in the token and still sign', async () => {
    const t = await startTestTsc({ env: { ...env, TSC_PROFILE_KEY_ALGORITHMS: '', TSC_RSA_POOL_SIZE: '0' }, dir });
    try {
      // root + issuing CA, TSA unit, OCSP responder: found again, not re-issued.
      assert.equal(await t.app.tsc.deps.keyStore.countKeys(), 4);
      assert.equal((await t.app.tsc.deps.store.serviceCerts.list('tsa')).length, 1);
      assert.equal((await t.app.tsc.deps.store.serviceCerts.list('ocsp')).length, 1);
      const pk = await createApprovedRequest(t);
      const r = await otpAndSign(t, pk, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'x') }]);
      await writeFile(join(dir, 'ee.pem'), `-----BEGIN CERTIFICATE-----\n${r.certificate}\n-----END CERTIFICATE-----\n`);
      await writeFile(join(dir, 'issuing.pem'), `-----BEGIN CERTIFICATE-----\n${r.chain[0]}\n-----END CERTIFICATE-----\n`);
      await opensslOk(['verify', '-attime', attime(new Date(T0.getTime() + 1000)), '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem'), join(dir, 'ee.pem')]);
      assert.equal(await t.app.tsc.deps.keyStore.countKeys(), 4);
    } finally {
      await t.close();
    }
  });
});
