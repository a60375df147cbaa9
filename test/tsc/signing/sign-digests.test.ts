/**
 * POST …/sign end to end, checked with `openssl cms -verify` over the digested content, for P-256
 * and RSA single-use keys; PAdES without signing-time, CAdES with it; signing-certificate-v2
 * always; the size bound of /signing-info holds for the largest accepted input.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslOk } from '../../support/openssl.js';
import { startTestTsc, createApprovedRequest, T0, type TestTsc } from '../support/tsc-harness.js';
import { attime, otpAndSign, requestOtp, sign, sha } from '../support/flow.js';

async function cmsVerify(work: string, name: string, cmsB64: string, content: Buffer): Promise<string> {
  const cms = join(work, `${name}.p7s`);
  const data = join(work, `${name}.bin`);
  await writeFile(cms, Buffer.from(cmsB64, 'base64'));
  await writeFile(data, content);
  // -purpose any: the single-use certificate has nonRepudiation only (ecosystem-notes §8).
  const r = await opensslOk(['cms', '-verify', '-binary', '-inform', 'DER', '-in', cms, '-content', data, '-CAfile', join(work, 'root.pem'),
    '-purpose', 'any', '-attime', attime(new Date(T0.getTime() + 1000)), '-out', '/dev/null']);
  assert.match(r.stderr, /Verification successful/);
  return (await opensslOk(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cms])).stdout;
}

for (const [label, env] of [
  ['EC P-256', {}],
  ['RSA-2048', { TSC_PROFILE_KEY_ALGORITHMS: 'PFnubeQAFCiudadano=RSA-2048,PFnubeNC=RSA-2048', TSC_RSA_POOL_SIZE: '1' }],
] as const) {
  describe(`digest signing with ${label} single-use keys`, () => {
    let t: TestTsc;
    let work: string;
    before(async () => {
      t = await startTestTsc({ env });
      work = await mkdtemp(join(tmpdir(), 'tsc-sign-'));
      await writeFile(join(work, 'root.pem'), (await t.app.inject({ method: 'GET', url: '/pki/root.pem' })).body);
    });
    after(async () => {
      await t?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('one CMS per digest; openssl cms -verify accepts each over its content', async () => {
      const docs = { a: Buffer.from('%PDF-1.7 byte ranges of document A'), b: Buffer.from('the original file of a hash-flow document'), c: Buffer.from('sha512 content') };
      const pk = await createApprovedRequest(t);
      const r = await otpAndSign(t, pk, [
        { id: 'doc-a', digest_algorithm: 'sha256', digest: sha('sha256', docs.a), format: 'pades' },
        { id: 'hash-b', digest_algorithm: 'sha256', digest: sha('sha256', docs.b), format: 'cades', signing_time: true },
        { id: 'doc-c', digest_algorithm: 'sha512', digest: sha('sha512', docs.c), format: 'cades', signing_time: false },
      ]);
      assert.equal(r.signatures.length, 3);
      assert.equal(r.key_algorithm, label === 'EC P-256' ? 'EC-P256' : 'RSA-2048');
      assert.deepEqual(r.signatures.map((s: any) => s.id), ['doc-a', 'hash-b', 'doc-c']);
      const pa = await cmsVerify(work, `${label}-a`, r.signatures[0].cms, docs.a);
      const cb = await cmsVerify(work, `${label}-b`, r.signatures[1].cms, docs.b);
      const cc = await cmsVerify(work, `${label}-c`, r.signatures[2].cms, docs.c);
      // PAdES: no signing-time (ETSI EN 319 142-1 §5.2.1); CAdES: signing-time when asked.
      assert.doesNotMatch(pa, /signingTime/);
      assert.match(cb, /signingTime/);
      assert.doesNotMatch(cc, /signingTime/);
      for (const p of [pa, cb, cc]) {
        assert.match(p, /id-smime-aa-signingCertificateV2/);
        assert.match(p, /contentType/);
        assert.match(p, /messageDigest/);
        assert.match(p, label === 'EC P-256' ? /ecdsa-with-SHA/ : /sha\d+WithRSAEncryption|rsaEncryption/);
      }
      // The default level is B-T, stamped by the TSC's own TSA (issue 5).
      assert.equal(r.level, 'B-T');
      assert.equal(r.requested_level, 'B-T');
      assert.equal(r.degraded, false);
    });

    test('a second sign is refused with 412 "Request already in ISSUED status" and changes nothing', async () => {
      const pk = await createApprovedRequest(t);
      await otpAndSign(t, pk, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'x') }]);
      const head = await t.app.tsc.deps.store.audit.head();
      const again = await sign(t, pk, { secret: '000000', digests: [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'x') }] });
      assert.equal(again.statusCode, 412);
      assert.deepEqual(again.json().error.code, 'REQ_ERR_ALREADY_ISSUED');
      assert.equal(again.json().error.message, 'Request already in ISSUED status');
      assert.deepEqual(await t.app.tsc.deps.store.audit.head(), head);
      const otp = await requestOtp(t, pk);
      assert.equal(otp.statusCode, 412);
      assert.equal(otp.json().error.message, 'Invalid request status');
    });

    test('the request object lists the issued certificate; the CMS signer is that certificate', async () => {
      const pk = await createApprovedRequest(t, { profile: 'PFnubeNC' });
      const r = await otpAndSign(t, pk, [{ id: 'x', digest_algorithm: 'sha384', digest: sha('sha384', 'x'), format: 'cades', signing_time: true }]);
      const g = (await t.app.inject({ method: 'GET', url: `/tsc/v1/requests/${pk}`, headers: t.raoHeaders() })).json();
      assert.equal(g.status, 'ISSUED');
      assert.equal(g.certificate_set.length, 1);
      assert.equal(g.certificate_set[0].data, r.certificate);
      assert.equal(g.certificate_set[0].serial_number, r.serial_number);
      assert.equal(g.certificate_set[0].status, 'VALID');
      await cmsVerify(work, `${label}-signer`, r.signatures[0].cms, Buffer.from('x'));
      // openssl names the certificate that produced the signature: it is the one returned.
      const signerPem = join(work, `${label}-signer.pem`);
      await opensslOk(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(work, `${label}-signer.p7s`), '-content', join(work, `${label}-signer.bin`),
        '-noverify', '-signer', signerPem, '-out', '/dev/null']);
      const signerDer = (await opensslOk(['x509', '-in', signerPem, '-outform', 'DER'])).stdoutBytes;
      assert.equal(signerDer.toString('base64'), r.certificate);
    });

    test('signing-info bounds the CMS of the largest accepted request and attributes, at B-B and B-T', async () => {
      const name = '中'.repeat(64);
      for (const level of ['B-B', 'B-T']) {
        const pk = await createApprovedRequest(t, {
          given_name: name, surname_1: name, surname_2: name, email: `${'a'.repeat(116)}@example.com`, serial_number: 'A'.repeat(32), profile: 'PFnubeQAFCiudadano',
        });
        const info = (await t.app.inject({ method: 'GET', url: `/tsc/v1/signing-info?profile=PFnubeQAFCiudadano&level=${level}`, headers: t.client })).json();
        assert.equal(info.level, level);
        const value = Buffer.concat([Buffer.from([0x04, 0x7e]), Buffer.alloc(126, 0x5a)]).toString('base64');
        const other = Array.from({ length: 8 }, (_, i) => ({ oid: `1.3.6.1.4.1.99999.${i}.4294967295.4294967295`, values: [value, value, value, value] }));
        const r = await otpAndSign(t, pk, [{ id: 'max', digest_algorithm: 'sha512', digest: sha('sha512', 'm'), format: 'cades', signing_time: true, other_attributes: other }], { level });
        assert.equal(r.level, level);
        const size = Buffer.from(r.signatures[0].cms, 'base64').length;
        assert.ok(size <= info.cms_max_bytes, `${level}: CMS ${size} > bound ${info.cms_max_bytes}`);
        assert.ok(info.cms_max_bytes - size < 2048, `${level}: bound ${info.cms_max_bytes} is needlessly loose for ${size}`);
        assert.equal(info.key_algorithm, label === 'EC P-256' ? 'EC-P256' : 'RSA-2048');
        assert.equal(info.chain.length, 2);
        await cmsVerify(work, `${label}-max-${level}`, r.signatures[0].cms, Buffer.from('m'));
      }
    });
  });
}
