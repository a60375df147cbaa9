/**
 * The level B-T seam (DESIGN.md §3 step 3) with an injected timestamper (an openssl-made TSA): each
 * CMS carries an id-aa-signatureTimeStampToken over its signature value (RFC 3161 App. A) that
 * `openssl ts -verify` accepts, /signing-info grows by the token bound; a TSA failure (fail-closed,
 * the default) destroys the key, leaves the request ENROLLREADY and gives the OTP back.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OID, parseSignedData } from '../../../src/lib/cms/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { opensslOk } from '../../support/openssl.js';
import { startTestTsc, createApprovedRequest, T0, type TestTsc } from '../support/tsc-harness.js';
import { attime, otpAndSign, requestOtp, sign, sha } from '../support/flow.js';
import { createTestTsa, type TestTsa } from '../support/test-timestamper.js';

describe('level B-T through the SignatureTimestamper port', () => {
  let t: TestTsc;
  let tsa: TestTsa;
  let work: string;
  let failTsa = false;
  before(async () => {
    const clock = new ManualClock(T0);
    tsa = await createTestTsa(() => clock.now(), { fail: () => failTsa });
    t = await startTestTsc({ deps: { clock, timestamper: tsa.timestamper } });
    work = await mkdtemp(join(tmpdir(), 'tsc-bt-'));
    await writeFile(join(work, 'root.pem'), (await t.app.inject({ method: 'GET', url: '/pki/root.pem' })).body);
    await writeFile(join(work, 'tsa-ca.pem'), tsa.caPem);
  });
  after(async () => {
    await t?.close();
    await tsa?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('B-T: every CMS carries a signature timestamp that openssl ts -verify accepts; the CMS still verifies', async () => {
    const pdf = Buffer.from('ranges of a pdf');
    const pk = await createApprovedRequest(t);
    const r = await otpAndSign(t, pk, [
      { id: 'pdf', digest_algorithm: 'sha256', digest: sha('sha256', pdf), format: 'pades' },
      { id: 'p7m', digest_algorithm: 'sha384', digest: sha('sha384', pdf), format: 'cades', signing_time: true },
    ], { level: 'B-T' });
    assert.equal(r.level, 'B-T');
    for (const s of r.signatures) {
      const cms = Buffer.from(s.cms, 'base64');
      const si = parseSignedData(cms).signerInfos[0]!;
      const tst = si.unsignedAttrs.find((a) => a.oid === OID.signatureTimeStampToken)!.values[0]!;
      await writeFile(join(work, `${s.id}.tst`), tst);
      const v = await opensslOk(['ts', '-verify', '-token_in', '-in', join(work, `${s.id}.tst`), '-digest', createHash('sha256').update(si.signature).digest('hex'),
        '-sha256', '-CAfile', join(work, 'tsa-ca.pem')]);
      assert.match(v.stdout, /Verification: OK/);
      await writeFile(join(work, `${s.id}.p7s`), cms);
      await writeFile(join(work, 'content.bin'), pdf);
      const c = await opensslOk(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(work, `${s.id}.p7s`), '-content', join(work, 'content.bin'),
        '-CAfile', join(work, 'root.pem'), '-purpose', 'any', '-attime', attime(new Date(t.clock.now().getTime() + 1000)), '-out', '/dev/null']);
      assert.match(c.stderr, /Verification successful/);
    }
    const info = (await t.app.inject({ method: 'GET', url: '/tsc/v1/signing-info?profile=PFnubeNC&level=B-T', headers: t.client })).json();
    const infoBB = (await t.app.inject({ method: 'GET', url: '/tsc/v1/signing-info?profile=PFnubeNC&level=B-B', headers: t.client })).json();
    assert.equal(info.level, 'B-T');
    assert.equal(infoBB.level, 'B-B');
    assert.equal(info.cms_max_bytes, infoBB.cms_max_bytes + 2048 + 32);
    for (const s of r.signatures) assert.ok(Buffer.from(s.cms, 'base64').length <= info.cms_max_bytes);
    // B-B asked: no timestamp at all.
    const pk2 = await createApprovedRequest(t);
    const calls = tsa.calls;
    const bb = await otpAndSign(t, pk2, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'x') }], { level: 'B-B' });
    assert.equal(bb.level, 'B-B');
    assert.equal(tsa.calls, calls);
  });

  test('a TSA failure (fail-closed): 503 TSA_ERR_UNAVAILABLE, key destroyed, nothing issued, the same OTP signs once the TSA is back', async () => {
    const keys = await t.app.tsc.deps.keyStore.countKeys();
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    const otp = await t.lastOtp(pk);
    const body = { secret: otp, level: 'B-T', digests: [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'x') }] };
    failTsa = true;
    try {
      const r = await sign(t, pk, body);
      assert.equal(r.statusCode, 503);
      assert.equal(r.json().error.code, 'TSA_ERR_UNAVAILABLE');
      assert.match(r.json().error.message, /confirmation code is still valid/);
    } finally {
      failTsa = false;
    }
    assert.equal(await t.app.tsc.deps.keyStore.countKeys(), keys);
    assert.equal((await t.app.tsc.deps.store.requests.get(pk))!.status, 'ENROLLREADY');
    assert.equal((await t.app.tsc.deps.store.certificates.listByRequest(pk)).length, 0);
    assert.equal((await t.app.tsc.deps.store.otps.get(pk))!.usedAt, null);
    const e = (await t.app.tsc.deps.store.audit.list(1, 10_000)).find((x) => x.requestPk === pk && x.action === 'sign.failed');
    assert.deepEqual(e?.details, { stage: 'timestamp', error: 'TSA_ERR_UNAVAILABLE', reason: 'TSA_ERR_UNAVAILABLE', tsa: 'injected', key_destroyed: true, authorisation_restored: true });
    // The TSA is back: the same code signs, once.
    const ok = await sign(t, pk, body);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().level, 'B-T');
    // Signed once: a second sign call is 412 "Request already in ISSUED status" (issue 2 §6; the
    // replay of sign-replay.test.ts needs an Idempotency-Key, which this call has not).
    const again = await sign(t, pk, body);
    assert.equal(again.statusCode, 412);
    assert.equal(again.json().error.message, 'Request already in ISSUED status');
    assert.equal((await t.app.tsc.deps.store.certificates.listByRequest(pk)).length, 1);
  });
});
