/**
 * External TSAs (issue 5 §4) against a real, independent TSA over HTTP (`openssl ts -reply` behind a
 * loopback server): failover through a refused port, a hanging TSA and a broken one; per-TSA hash;
 * TSC_TSA_URLS as the default; HTTP Basic credentials from the URL; and the failure policy with the
 * TSA unreachable — fail-closed refuses with TSA_ERR_UNAVAILABLE and the same OTP (or external
 * assertion) signs once the TSA is back; degrade signs at B-B and says so in the response and audit.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { OID, parseSignedData, parseTimeStampToken } from '../../../src/lib/cms/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { signExtAuthAssertion } from '../../../src/tsc/domain/otp/hmac-ext-auth-verifier.js';
import { opensslOk, tempDir } from '../../support/openssl.js';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';
import { otpAndSign, requestOtp, sign, sha } from '../support/flow.js';
import { closedPortUrl, startOpensslTsaServer, type OpensslTsaServer } from '../support/openssl-tsa-server.js';

type Dir = Awaited<ReturnType<typeof tempDir>>;
const DIGEST = (id: string) => ({ id, digest_algorithm: 'sha256', digest: sha('sha256', id), format: 'pades' });

/** The signature timestamp of a CMS (base64), checked by openssl ts -verify against `rootPem`. */
async function verifyTst(d: Dir, cmsB64: string, rootPem: string, hash: 'sha256' | 'sha384' | 'sha512'): Promise<ReturnType<typeof parseTimeStampToken>> {
  const si = parseSignedData(new Uint8Array(Buffer.from(cmsB64, 'base64'))).signerInfos[0]!;
  const tst = si.unsignedAttrs.find((a) => a.oid === OID.signatureTimeStampToken)!.values[0]!;
  const f = await d.write(`t${randomBytes(4).toString('hex')}.tst`, tst);
  const v = await opensslOk(['ts', '-verify', '-token_in', '-in', f, '-digest', createHash(hash).update(si.signature).digest('hex'), `-${hash}`, '-CAfile', rootPem]);
  assert.match(v.stdout, /Verification: OK/);
  return parseTimeStampToken(tst);
}

describe('external TSAs named by the sign call', () => {
  let t: TestTsc;
  let ext: OpensslTsaServer;
  let broken: OpensslTsaServer;
  let hang: OpensslTsaServer;
  let d: Dir;
  before(async () => {
    [ext, broken, hang] = await Promise.all([startOpensslTsaServer(), startOpensslTsaServer(), startOpensslTsaServer()]);
    broken.mode = 'garbage';
    hang.mode = 'hang';
    // The machine's clock: the openssl TSA stamps with it, and genTime must be close to ours.
    t = await startTestTsc({ env: { TSC_TSA_TIMEOUT_MS: '700' }, deps: { clock: new ManualClock(Date.now()) } });
    d = await tempDir('tsc-ext-tsa-');
  });
  after(async () => {
    await t?.close();
    await Promise.all([ext, broken, hang].map((s) => s?.close()));
    await d?.cleanup();
  });

  test('failover: refused port, hanging TSA, garbage reply, then openssl TSA with sha384: B-T, openssl ts -verify OK', async () => {
    const before = ext.requests;
    const pk = await createApprovedRequest(t);
    const r = await otpAndSign(t, pk, [DIGEST('a'), DIGEST('b')], {
      tsa: { servers: [await closedPortUrl(), hang.url, broken.url, { url: ext.url, hash_algorithm: 'sha384', policy: '1.2.3.4.1' }] },
    });
    assert.equal(r.level, 'B-T');
    assert.equal(r.degraded, false);
    for (const s of r.signatures) {
      const tok = await verifyTst(d, s.cms, ext.rootPemPath, 'sha384');
      assert.equal(tok.tstInfo.policy, '1.2.3.4.1');
      assert.equal(tok.tstInfo.digestAlgorithm, 'sha384');
    }
    assert.equal(ext.requests - before, 2);
    const audit = (await t.app.tsc.deps.store.audit.list(1, 10_000)).find((e) => e.requestPk === pk && e.action === 'digests.signed');
    assert.equal(audit?.details.tsa, 'caller');
    // The TSAs that just failed are tried last for a while: the next call goes straight to the good one.
    const [h, b] = [hang.requests, broken.requests];
    const pk2 = await createApprovedRequest(t);
    const r2 = await otpAndSign(t, pk2, [DIGEST('c')], { tsa: { servers: [hang.url, broken.url, ext.url] } });
    assert.equal(r2.level, 'B-T');
    assert.deepEqual([hang.requests, broken.requests], [h, b]);
  });

  test('a token for another imprint or another policy is refused (checkTimeStampResp), never embedded', async () => {
    ext.mode = 'other-imprint';
    try {
      const pk = await createApprovedRequest(t);
      await requestOtp(t, pk);
      const res = await sign(t, pk, { secret: await t.lastOtp(pk), digests: [DIGEST('x')], tsa: { servers: [ext.url] } });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error.code, 'TSA_ERR_UNAVAILABLE');
      assert.match(res.json().error.message, /message imprint differs/);
    } finally {
      ext.mode = 'up';
    }
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    const res = await sign(t, pk, { secret: await t.lastOtp(pk), digests: [DIGEST('x')], tsa: { servers: [{ url: ext.url, policy: '1.2.3.9' }] } });
    assert.equal(res.statusCode, 503);
    assert.match(res.json().error.message, /rejection|policy/i);
  });

  test('user:password in the URL is sent as HTTP Basic and appears nowhere else', async () => {
    const u = new URL(ext.url);
    u.username = 'tsa-user';
    u.password = 's3cr3t-pass';
    const pk = await createApprovedRequest(t);
    const r = await otpAndSign(t, pk, [DIGEST('c')], { tsa: { servers: [u.toString()] } });
    assert.equal(r.level, 'B-T');
    assert.equal(ext.authorizations.at(-1), `Basic ${Buffer.from('tsa-user:s3cr3t-pass').toString('base64')}`);
    // A failing call's error text and audit name the TSA without its credentials.
    const dead = new URL(await closedPortUrl());
    dead.username = 'tsa-user';
    dead.password = 's3cr3t-pass';
    const pk2 = await createApprovedRequest(t);
    await requestOtp(t, pk2);
    const res = await sign(t, pk2, { secret: await t.lastOtp(pk2), digests: [DIGEST('c')], tsa: { servers: [dead.toString()] } });
    assert.equal(res.statusCode, 503);
    assert.doesNotMatch(res.body, /s3cr3t/);
    assert.doesNotMatch(JSON.stringify(await t.app.tsc.deps.store.audit.list(1, 10_000)), /s3cr3t/);
  });

  test('fail-closed with the TSA unreachable: 503 TSA_ERR_UNAVAILABLE, nothing consumed; the same OTP signs once it is back', async () => {
    ext.mode = 'down';
    const keys = await t.app.tsc.deps.keyStore.countKeys();
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    const otp = await t.lastOtp(pk);
    const body = { secret: otp, digests: [DIGEST('p'), DIGEST('q')], tsa: { servers: [ext.url], failure_policy: 'fail-closed' } };
    try {
      const res = await sign(t, pk, body);
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error.code, 'TSA_ERR_UNAVAILABLE');
      assert.match(res.json().error.message, /nothing was signed and the confirmation code is still valid/);
    } finally {
      ext.mode = 'up';
    }
    assert.equal(await t.app.tsc.deps.keyStore.countKeys(), keys);
    assert.equal((await t.app.tsc.deps.store.requests.get(pk))!.status, 'ENROLLREADY');
    assert.equal((await t.app.tsc.deps.store.certificates.listByRequest(pk)).length, 0);
    const otpRec = (await t.app.tsc.deps.store.otps.get(pk))!;
    assert.equal(otpRec.usedAt, null);
    assert.equal(otpRec.attempts, 0);
    const ok = await sign(t, pk, body);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().level, 'B-T');
    for (const s of ok.json().signatures) await verifyTst(d, s.cms, ext.rootPemPath, 'sha256');
    const actions = (await t.app.tsc.deps.store.audit.list(1, 10_000)).filter((e) => e.requestPk === pk).map((e) => e.action);
    assert.deepEqual(actions.slice(actions.indexOf('otp.verified')),
      ['otp.verified', 'sign.failed', 'otp.verified', 'certificate.issued', 'digests.signed', 'key.destroyed', 'request.issued']);
  });

  test('degrade with the TSA unreachable: B-B, "degraded" in the response and a level.degraded audit entry', async () => {
    const pk = await createApprovedRequest(t);
    const r = await otpAndSign(t, pk, [DIGEST('z')], { tsa: { servers: [await closedPortUrl()], failure_policy: 'degrade' } });
    assert.equal(r.level, 'B-B');
    assert.equal(r.requested_level, 'B-T');
    assert.equal(r.degraded, true);
    assert.match(r.degradation_reason, /^TSA_ERR_UNAVAILABLE: No time-stamping authority answered/);
    const si = parseSignedData(new Uint8Array(Buffer.from(r.signatures[0].cms, 'base64'))).signerInfos[0]!;
    assert.equal(si.unsignedAttrs.length, 0);
    const e = (await t.app.tsc.deps.store.audit.list(1, 10_000)).find((x) => x.requestPk === pk && x.action === 'level.degraded');
    assert.equal(e?.details.from, 'B-T');
    assert.equal(e?.details.to, 'B-B');
    assert.equal(e?.details.tsa, 'caller');
  });

  test('external authentication + fail-closed: the assertion is released and works once the TSA is back', async () => {
    const key = randomBytes(32);
    const t2 = await startTestTsc({ env: { TSC_EXT_AUTH_KEY: key.toString('hex') }, deps: { clock: new ManualClock(Date.now()) } });
    try {
      const pk = await createApprovedRequest(t2);
      const value = signExtAuthAssertion(key, { request_pk: pk, type: 'biometric', exp: Math.floor(t2.clock.now().getTime() / 1000) + 300, nonce: randomBytes(16).toString('hex') });
      const body = { secret: 'customer', ext_unlock_type: 'biometric', ext_unlock_value: value, digests: [DIGEST('e')], tsa: { servers: [await closedPortUrl()] } };
      const res = await sign(t2, pk, body);
      assert.equal(res.statusCode, 503);
      assert.match(res.json().error.message, /still valid/);
      const ok = await sign(t2, pk, { ...body, tsa: { servers: [ext.url] } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().level, 'B-T');
      // Single use still holds once it has produced a signature.
      const pk2 = await createApprovedRequest(t2);
      assert.equal((await sign(t2, pk2, { ...body, tsa: { servers: [ext.url] } })).statusCode, 403);
    } finally {
      await t2.close();
    }
  });

  test('bad TSA choices are 400 before anything changes; signing-info sizes for external TSAs', async () => {
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    const otp = await t.lastOtp(pk);
    for (const tsa of [{ servers: ['ftp://x/tsa'] }, { servers: [] }, { servers: [{ url: ext.url, hash_algorithm: 'md5' }] }, { failure_policy: 'maybe' }, { other: 1 }]) {
      const res = await sign(t, pk, { secret: otp, digests: [DIGEST('v')], tsa });
      assert.equal(res.statusCode, 400, `${JSON.stringify(tsa)}: ${res.body}`);
    }
    assert.equal((await t.app.tsc.deps.store.otps.get(pk))!.usedAt, null);
    const bb = (await t.app.inject({ method: 'GET', url: '/tsc/v1/signing-info?profile=PFnubeNC&level=B-B', headers: t.client })).json();
    const ext1 = (await t.app.inject({ method: 'GET', url: '/tsc/v1/signing-info?profile=PFnubeNC&level=B-T&external_tsa=true', headers: t.client })).json();
    assert.equal(ext1.level, 'B-T');
    assert.equal(ext1.cms_max_bytes, bb.cms_max_bytes + 12_288 + 32);
  });
});

describe('TSC_TSA_URLS, TSC_TSA_FAILURE_POLICY and TSC_TSA_CALLER_URLS', () => {
  test('configured external TSAs stamp by default; degrade from configuration; callers may be forbidden to name TSAs', async () => {
    const ext = await startOpensslTsaServer('1.2.3.4.7');
    const d = await tempDir('tsc-ext-cfg-');
    const dead = await closedPortUrl();
    const t = await startTestTsc({
      env: { TSC_TSA_URLS: `${dead}, ${ext.url};hash=sha512;policy=1.2.3.4.7`, TSC_TSA_FAILURE_POLICY: 'degrade', TSC_TSA_CALLER_URLS: '0' },
      deps: { clock: new ManualClock(Date.now()) },
    });
    try {
      const health = (await t.app.inject({ method: 'GET', url: '/health' })).json();
      assert.equal(health.tsa, 'external');
      assert.equal(health.tsa_failure_policy, 'degrade');
      const pk = await createApprovedRequest(t);
      const r = await otpAndSign(t, pk, [DIGEST('cfg')]);
      assert.equal(r.level, 'B-T');
      assert.equal((await verifyTst(d, r.signatures[0].cms, ext.rootPemPath, 'sha512')).tstInfo.policy, '1.2.3.4.7');
      ext.mode = 'down';
      const pk2 = await createApprovedRequest(t);
      const r2 = await otpAndSign(t, pk2, [DIGEST('cfg')]);
      assert.equal(r2.level, 'B-B');
      assert.equal(r2.degraded, true);
      const pk3 = await createApprovedRequest(t);
      await requestOtp(t, pk3);
      const named = await sign(t, pk3, { secret: await t.lastOtp(pk3), digests: [DIGEST('n')], tsa: { servers: [ext.url] } });
      assert.equal(named.statusCode, 400);
      assert.match(named.json().error.message, /does not accept TSAs named by the caller/);
      assert.equal((await t.app.tsc.deps.store.otps.get(pk3))!.usedAt, null);
    } finally {
      await t.close();
      await ext.close();
      await d.cleanup();
    }
  });

  test('a malformed TSC_TSA_URLS stops the start with a message naming the variable', async () => {
    await assert.rejects(startTestTsc({ env: { TSC_TSA_URLS: 'http://a/tsa;hash=md5' } }), /TSC_TSA_URLS: entry 1.*hash_algorithm/);
    await assert.rejects(startTestTsc({ env: { TSC_TSA_URLS: 'gopher://a/tsa' } }), /TSC_TSA_URLS/);
  });
});
