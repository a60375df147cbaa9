/**
 * The OCSP responder's issue-5 parts, checked with `openssl ocsp -url` against a listening TSC: the
 * delegated responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck, issued by the issuing
 * CA) or the CA itself (TSC_OCSP_RESPONDER=ca), nonce echo, the response cache (nonce-less answers
 * reused until a revocation), the TSA unit certificate answered "good", and responder renewal.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import {
  buildOcspRequest, certIdFor, certificateInfo, checkOcspResponse, OID, parseOcspResponse,
} from '../../../src/lib/cms/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { openssl, opensslOk, tempDir } from '../../support/openssl.js';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';
import { otpAndSign, pemOf, sha } from '../support/flow.js';

type Dir = Awaited<ReturnType<typeof tempDir>>;

async function listening(env: Record<string, string> = {}): Promise<{ t: TestTsc; url: string; d: Dir; ee: { pem: string; serial: string } }> {
  const t = await startTestTsc({ env, deps: { clock: new ManualClock(Math.floor(Date.now() / 1000) * 1000) } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const d = await tempDir('tsc-ocsp-');
  for (const n of ['root', 'issuing', 'tsa']) await d.write(`${n}.pem`, (await t.app.inject({ method: 'GET', url: `/pki/${n}.pem` })).body);
  const pk = await createApprovedRequest(t);
  const r = await otpAndSign(t, pk, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'x') }]);
  return { t, url, d, ee: { pem: await d.write('ee.pem', pemOf(r.certificate)), serial: r.serial_number } };
}

describe('OCSP responder: delegated (default)', () => {
  let s: Awaited<ReturnType<typeof listening>>;
  before(async () => {
    s = await listening();
  });
  after(async () => {
    await s?.t.close();
    await s?.d.cleanup();
  });

  const ask = (cert: string, extra: string[] = []) =>
    openssl(['ocsp', '-issuer', s.d.path('issuing.pem'), '-cert', cert, '-url', `${s.url}/ocsp`, '-CAfile', s.d.path('root.pem'), '-resp_text', ...extra]);

  test('openssl ocsp -url: verify OK, good, nonce echoed; the signer is the delegated responder (OCSPSigning, ocsp-nocheck)', async () => {
    const r = await ask(s.ee.pem);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Response verify OK/);
    assert.match(r.stdout, /ee\.pem: good/);
    assert.doesNotMatch(r.stdout + r.stderr, /WARNING: no nonce/);
    assert.match(r.stdout, /OCSP Nonce:/);
    assert.match(r.stdout, /Subject: C=ES, O=One-Shot Sandbox TSP, CN=One-Shot Sandbox TSP OCSP Responder/);
    assert.match(r.stdout, /X509v3 Extended Key Usage:\s+OCSP Signing/);
    assert.match(r.stdout, /OCSP No Check/);
    const rec = await s.t.app.tsc.deps.store.serviceCerts.latest('ocsp');
    assert.ok(rec);
    assert.equal(certificateInfo(rec.certDer).extensions.get(OID.ocspNoCheck)?.critical, false);
  });

  test('the TSA unit certificate is answered good; a revoked single-use certificate revoked (keyCompromise) and listed in the CRL', async () => {
    assert.match((await ask(s.d.path('tsa.pem'))).stdout, /tsa\.pem: good/);
    const res = await s.t.app.inject({ method: 'POST', url: `/tsc/v1/admin/certificates/${s.ee.serial}/revoke`, headers: s.t.admin, payload: { reason: 'keyCompromise' } });
    assert.equal(res.statusCode, 200, res.body);
    s.t.clock.advance(1000);
    const r = await ask(s.ee.pem);
    assert.match(r.stderr, /Response verify OK/);
    assert.match(r.stdout, /ee\.pem: revoked/);
    assert.match(r.stdout, /Reason: keyCompromise/);
    const crl = await s.d.write('issuing.crl', (await s.t.app.inject({ method: 'GET', url: '/pki/crl/issuing.crl' })).rawPayload);
    const chain = await s.d.write('chain.pem', (await readFile(s.d.path('issuing.pem'), 'utf8')) + (await readFile(s.d.path('root.pem'), 'utf8')));
    const v = await opensslOk(['crl', '-inform', 'DER', '-in', crl, '-CAfile', chain, '-noout', '-text']);
    assert.match(v.stderr + v.stdout, /verify OK/);
    assert.match(v.stdout, new RegExp(`Serial Number: ${s.ee.serial.toUpperCase()}`));
    assert.match(v.stdout, /Key Compromise/);
  });

  test('cache: nonce-less answers are reused byte for byte until the status changes; nonce requests are always fresh', async () => {
    const pk = await createApprovedRequest(s.t);
    const r = await otpAndSign(s.t, pk, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'y') }]);
    const issuing = s.t.app.tsc.deps.ca.issuing.der;
    const reqDer = buildOcspRequest({ certIds: [certIdFor(issuing, r.serial_number)] });
    const post = async (body: Uint8Array) =>
      new Uint8Array(await (await fetch(`${s.url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body })).arrayBuffer());
    const a = await post(reqDer);
    s.t.clock.advance(2000);
    const b = await post(reqDer);
    assert.deepEqual(Buffer.from(b), Buffer.from(a), 'a nonce-less answer is reused');
    assert.equal(checkOcspResponse(a, { issuerCertificate: issuing, serialNumberHex: r.serial_number, at: s.t.clock.now() }).single.status, 'good');
    const withNonce = (n: number) => buildOcspRequest({ certIds: [certIdFor(issuing, r.serial_number)], nonce: Uint8Array.of(1, 2, 3, n) });
    const n1 = await post(withNonce(1));
    const n2 = await post(withNonce(2));
    assert.notDeepEqual(Buffer.from(n1), Buffer.from(n2));
    assert.deepEqual(Buffer.from(checkOcspResponse(n2, { issuerCertificate: issuing, serialNumberHex: r.serial_number, nonce: new Uint8Array(Buffer.from('040401020302', 'hex')) }).response.basic!.nonce!), Buffer.from('040401020302', 'hex'));
    // Revocation: the very next nonce-less answer says revoked.
    await s.t.app.inject({ method: 'POST', url: `/tsc/v1/admin/certificates/${r.serial_number}/revoke`, headers: s.t.admin, payload: { reason: 'superseded' } });
    const c = await post(reqDer);
    assert.notDeepEqual(Buffer.from(c), Buffer.from(a));
    const checked = checkOcspResponse(c, { issuerCertificate: issuing, serialNumberHex: r.serial_number, at: s.t.clock.now() });
    assert.equal(checked.single.status, 'revoked');
    assert.equal(checked.single.revocationReason, 'superseded');
  });

  test('renewal: past three quarters of its validity a new responder certificate is issued; the old one is still answered good', async () => {
    const first = (await s.t.app.tsc.deps.store.serviceCerts.latest('ocsp'))!;
    s.t.clock.advance(23 * 86_400_000); // default validity 30 days
    const issuing = s.t.app.tsc.deps.ca.issuing.der;
    const reqDer = buildOcspRequest({ certIds: [certIdFor(issuing, first.serial)], nonce: Uint8Array.of(9, 9) });
    const res = await s.t.app.inject({ method: 'POST', url: '/ocsp', headers: { 'content-type': 'application/ocsp-request' }, payload: Buffer.from(reqDer) });
    const checked = checkOcspResponse(new Uint8Array(res.rawPayload), { issuerCertificate: issuing, serialNumberHex: first.serial, at: s.t.clock.now() });
    assert.equal(checked.single.status, 'good');
    const list = await s.t.app.tsc.deps.store.serviceCerts.list('ocsp');
    assert.equal(list.length, 2);
    assert.notDeepEqual(Buffer.from(checked.responderCertificate), Buffer.from(first.certDer));
    assert.deepEqual(Buffer.from(checked.responderCertificate), Buffer.from(list[1]!.certDer));
  });
});

describe('OCSP responder: TSC_OCSP_RESPONDER=ca', () => {
  test('answers are signed by the issuing CA itself; openssl ocsp -url accepts them', async () => {
    const s = await listening({ TSC_OCSP_RESPONDER: 'ca' });
    try {
      const r = await openssl(['ocsp', '-issuer', s.d.path('issuing.pem'), '-cert', s.ee.pem, '-url', `${s.url}/ocsp`, '-CAfile', s.d.path('root.pem'), '-respout', s.d.path('resp.der')]);
      assert.match(r.stderr, /Response verify OK/);
      assert.match(r.stdout, /ee\.pem: good/);
      const parsed = parseOcspResponse(new Uint8Array(await readFile(s.d.path('resp.der'))));
      assert.deepEqual(Buffer.from(parsed.basic!.certificates[0]!), Buffer.from(s.t.app.tsc.deps.ca.issuing.der));
      assert.equal((await s.t.app.tsc.deps.store.serviceCerts.list('ocsp')).length, 0, 'no responder certificate is issued in this mode');
    } finally {
      await s.t.close();
      await s.d.cleanup();
    }
  });
});
