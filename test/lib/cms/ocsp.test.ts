import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import {
  buildOcspErrorResponse, buildOcspRequest, buildOcspResponse, certIdFor, certIdMatchesIssuer, certificateInfo, checkOcspResponse,
  parseOcspRequest, parseOcspResponse, type CheckOcspExpectation, type OcspCertStatus,
} from '../../../src/lib/cms/index.js';
import { SoftKeyStore } from '../../../src/lib/keys/index.js';
import { opensslIssue, opensslRootCa } from '../../support/pki-openssl.js';
import { AppError } from '../../../src/shared/errors.js';
import { openssl, tempDir, toPem } from '../../support/openssl.js';
import { createTestPki, type SignerEntity, type TestPki } from '../../support/pki-fixture.js';
import { pkijs, pkijsCertificate } from '../../support/pki-verify.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let pki: TestPki;
let pems: Awaited<ReturnType<TestPki['writePems']>>;
let ee: SignerEntity;
let eePath: string;

before(async () => {
  tmp = await tempDir();
  pki = await createTestPki();
  pems = await pki.writePems(tmp.dir);
  ee = await pki.issueSigner();
  eePath = await tmp.write('ee.pem', toPem(ee.cert, 'CERTIFICATE'));
});
after(async () => {
  await pki.close();
  await tmp.cleanup();
});

async function opensslRequest(name: string, extra: string[] = []) {
  const p = tmp.path(`${name}.req`);
  const r = await openssl(['ocsp', '-issuer', pems.issuing, '-cert', eePath, '-reqout', p, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return { path: p, der: new Uint8Array(await readFile(p)) };
}

async function respond(reqDer: Uint8Array, certStatus: OcspCertStatus, opts: { byName?: boolean; caSigned?: boolean } = {}) {
  const req = parseOcspRequest(reqDer);
  const now = new Date(Date.now() - 1000); // carries milliseconds: the builder must drop them
  const responder = opts.caSigned ? pki.issuing : pki.ocsp;
  return buildOcspResponse({
    responses: req.certIds.map((c) => ({ certId: c.der, certStatus, thisUpdate: now, nextUpdate: new Date(now.getTime() + 3600_000) })),
    responderCertificate: responder.cert, signer: responder.signer, responderId: opts.byName ? 'byName' : 'byKey',
    producedAt: new Date(), nonce: req.nonce,
  });
}

/**
 * Two openssl runs: with the original request (-reqin: signature, chain and nonce are checked)
 * and with -issuer/-cert (prints the per-certificate status line; its own request has no nonce).
 */
async function check(reqPath: string, resp: Uint8Array, name: string) {
  const respPath = await tmp.write(`${name}.resp`, resp);
  const verify = ['-CAfile', pems.root, '-verify_other', pems.issuing];
  const withReq = await openssl(['ocsp', '-reqin', reqPath, '-respin', respPath, ...verify, '-resp_text']);
  const status = await openssl(['ocsp', '-issuer', pems.issuing, '-cert', eePath, '-no_nonce', '-respin', respPath, ...verify]);
  return { code: withReq.code || status.code, stdout: withReq.stdout + status.stdout, stderr: withReq.stderr + status.stderr };
}

test('openssl ocsp request is parsed: CertID of the issuer, the serial and the nonce', async () => {
  const { der } = await opensslRequest('parse');
  const req = parseOcspRequest(der);
  assert.equal(req.certIds.length, 1);
  const id = req.certIds[0]!;
  assert.equal(id.hash, 'sha1');
  assert.equal(id.serialNumberHex, ee.info.serialNumberHex);
  assert.ok(certIdMatchesIssuer(id, pki.issuing.cert));
  assert.equal(certIdMatchesIssuer(id, pki.root.cert), false);
  assert.ok(req.nonce && req.nonce.length > 2);
  assert.equal(req.signed, false);
  assert.deepEqual(id.der, certIdFor(pki.issuing.cert, ee.info.serialNumberHex), 'our CertID builder gives the same bytes as openssl');
});

test('good: openssl ocsp verifies the delegated responder signature, the nonce and reports good', async () => {
  const { path, der } = await opensslRequest('good');
  const resp = await respond(der, { status: 'good' });
  const r = await check(path, resp, 'good');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stderr + r.stdout, /Response verify OK/);
  assert.match(r.stdout, /ee\.pem: good/);
  assert.doesNotMatch(r.stderr + r.stdout, /WARNING: no nonce|nonce verify error/i);
  const text = Buffer.from(resp).toString('latin1');
  assert.equal(/\x18\x0f\d{14}Z/.test(text) && !/\x18\x13\d{14}\.\d{3}Z/.test(text), true, 'GeneralizedTime without fractions');
  const parsed = parseOcspResponse(resp);
  assert.equal(parsed.status, 'successful');
  assert.equal(parsed.basic!.responses[0]!.status, 'good');
  assert.equal(parsed.basic!.producedAt.getUTCMilliseconds(), 0);
  assert.deepEqual(parsed.basic!.nonce, parseOcspRequest(der).nonce);
  assert.ok('byKey' in parsed.basic!.responderId);
  assert.deepEqual(parsed.basic!.certificates, [pki.ocsp.cert]);
});

test('pkijs verifies the BasicOCSPResponse signature against the chain', async () => {
  const { der } = await opensslRequest('pkijs');
  const resp = await respond(der, { status: 'good' });
  const ocspResp = pkijs.OCSPResponse.fromBER(resp.slice().buffer);
  const basic = pkijs.BasicOCSPResponse.fromBER(ocspResp.responseBytes!.response.valueBlock.valueHexView.slice().buffer);
  const ok = await basic.verify({ trustedCerts: [pkijsCertificate(pki.root.cert), pkijsCertificate(pki.issuing.cert)] });
  assert.equal(ok, true);
});

test('revoked with reason and time; unknown; CA-signed byName responses', async () => {
  const revokedAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  const { path, der } = await opensslRequest('revoked');
  const r1 = await check(path, await respond(der, { status: 'revoked', revocationTime: revokedAt, reason: 'keyCompromise' }), 'revoked');
  assert.equal(r1.code, 0, r1.stderr + r1.stdout);
  assert.match(r1.stdout, /ee\.pem: revoked/);
  assert.match(r1.stdout, /Reason: keyCompromise/);
  assert.match(r1.stdout, /Revocation Time: Jan  2 03:04:05 2026 GMT/);
  const parsed = parseOcspResponse(await respond(der, { status: 'revoked', revocationTime: revokedAt, reason: 'superseded' }));
  assert.equal(parsed.basic!.responses[0]!.revocationReason, 'superseded');
  assert.equal(parsed.basic!.responses[0]!.revocationTime!.getTime(), Math.floor(revokedAt.getTime() / 1000) * 1000);

  const r2 = await check(path, await respond(der, { status: 'unknown' }), 'unknown');
  assert.match(r2.stdout, /ee\.pem: unknown/);

  const r3 = await check(path, await respond(der, { status: 'good' }, { byName: true, caSigned: true }), 'byname');
  assert.equal(r3.code, 0, r3.stderr + r3.stdout);
  assert.match(r3.stderr + r3.stdout, /Response verify OK/);
  assert.match(r3.stdout, /Responder Id: C ?= ?ES, O ?= ?One-Shot Test, CN ?= ?One-Shot Test Issuing CA/);
});

test('a response signed by an unrelated key does not verify (the oracle can fail)', async () => {
  const { path, der } = await opensslRequest('forged');
  const other = await createTestPki();
  try {
    const req = parseOcspRequest(der);
    const forged = await buildOcspResponse({
      responses: [{ certId: req.certIds[0]!.der, certStatus: { status: 'good' }, thisUpdate: new Date() }],
      responderCertificate: other.ocsp.cert, signer: other.ocsp.signer, producedAt: new Date(), nonce: req.nonce,
    });
    const r = await check(path, forged, 'forged');
    assert.doesNotMatch(r.stderr + r.stdout, /Response verify OK/);
    assert.match(r.stderr + r.stdout, /Verify error|verify failure|signer certificate not found|unable to get local issuer/i);
  } finally {
    await other.close();
  }
});

test('client side: our request is read by openssl; errors; malformed input', async () => {
  const nonce = randomBytes(16);
  const req = buildOcspRequest({ certIds: [certIdFor(pki.issuing.cert, ee.info.serialNumberHex)], nonce });
  const t = await openssl(['ocsp', '-reqin', await tmp.write('ours.req', req), '-req_text']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`Serial Number: ${ee.info.serialNumberHex.replace(/^00/, '').toUpperCase()}`));
  assert.match(t.stdout, /OCSP Nonce/);
  assert.deepEqual(parseOcspRequest(req).nonce!.subarray(2), new Uint8Array(nonce));
  const err = buildOcspErrorResponse('malformedRequest');
  assert.equal(parseOcspResponse(err).status, 'malformedRequest');
  const e = await openssl(['ocsp', '-respin', await tmp.write('err.resp', err), '-resp_text', '-noverify']);
  assert.match(e.stdout + e.stderr, /malformedrequest/i);
  for (const junk of [new Uint8Array([0x30, 0x00]), randomBytes(40), new Uint8Array([0x30, 0x02, 0x30, 0x00])])
    assert.throws(() => parseOcspRequest(junk), (x: unknown) => x instanceof AppError && x.code === 'CMS_ERR_MALFORMED');
  await assert.rejects(
    buildOcspResponse({ responses: [{ certId: certIdFor(pki.issuing.cert, '01'), certStatus: { status: 'good' }, thisUpdate: new Date() }], responderCertificate: pki.ocsp.cert, signer: pki.root.signer, producedAt: new Date() }),
    (x: unknown) => x instanceof AppError && x.code === 'CMS_ERR_SIGNATURE_MISMATCH',
  );
});

test('checkOcspResponse accepts delegated and CA-signed responses, refuses the unauthorised, stale or mismatched', async () => {
  const { der } = await opensslRequest('check');
  const req = parseOcspRequest(der);
  const expect = { issuerCertificate: pki.issuing.cert, serialNumberHex: ee.info.serialNumberHex, nonce: req.nonce };
  assert.equal(checkOcspResponse(await respond(der, { status: 'good' }), expect).single.status, 'good');
  const byCa = checkOcspResponse(await respond(der, { status: 'revoked', revocationTime: new Date(), reason: 'keyCompromise' }, { byName: true, caSigned: true }), expect);
  assert.equal(byCa.single.status, 'revoked');
  assert.deepEqual(byCa.responderCertificate, pki.issuing.cert);
  const rejected = (resp: Uint8Array, e: CheckOcspExpectation = expect) => assert.throws(() => checkOcspResponse(resp, e), (x: unknown) => x instanceof AppError && x.code === 'CMS_ERR_BAD_OCSP_RESPONSE');
  rejected(await respond(der, { status: 'good' }), { ...expect, nonce: Uint8Array.of(4, 2, 1, 2) });
  rejected(await respond(der, { status: 'good' }), { ...expect, serialNumberHex: '0102030405060708' });
  rejected(await respond(der, { status: 'good' }), { ...expect, at: new Date(Date.now() + 7200_000) });
  rejected(buildOcspErrorResponse('tryLater'));
  // Signed by a certificate of the right CA that lacks id-kp-OCSPSigning (the TSA's).
  rejected(await buildOcspResponse({ responses: [{ certId: req.certIds[0]!.der, certStatus: { status: 'good' }, thisUpdate: new Date() }], responderCertificate: pki.tsa.cert, signer: pki.tsa.signer, producedAt: new Date(), nonce: req.nonce }));
  const other = await createTestPki();
  try {
    rejected(await buildOcspResponse({ responses: [{ certId: req.certIds[0]!.der, certStatus: { status: 'good' }, thisUpdate: new Date() }], responderCertificate: other.ocsp.cert, signer: other.ocsp.signer, producedAt: new Date(), nonce: req.nonce }));
  } finally {
    await other.close();
  }
  // A fresh answer from a delegated responder whose certificate has expired (RFC 6960 §3.2 item 4).
  const old = await createTestPki({ now: new Date(Date.now() - 2 * 365 * 86400_000) }); // its responder certificate lived one year
  try {
    const oldEe = await old.issueSigner({ notBefore: new Date(Date.now() - 60_000) });
    const certId = certIdFor(old.issuing.cert, oldEe.info.serialNumberHex);
    const fresh = await buildOcspResponse({
      responses: [{ certId, certStatus: { status: 'good' }, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 3600_000) }],
      responderCertificate: old.ocsp.cert, signer: old.ocsp.signer, producedAt: new Date(),
    });
    const oldExpect = { issuerCertificate: old.issuing.cert, serialNumberHex: oldEe.info.serialNumberHex };
    assert.throws(() => checkOcspResponse(fresh, oldExpect), (x: unknown) => x instanceof AppError && /responder certificate is not valid/.test(x.message));
    // The same answer checked at a time inside the responder's validity passes: only the expiry was wrong.
    const inside = new Date(old.ocsp.info.notAfter.getTime() - 86400_000);
    assert.throws(() => checkOcspResponse(fresh, { ...oldExpect, at: inside }), (x: unknown) => x instanceof AppError && /thisUpdate is in the future/.test(x.message));
  } finally {
    await old.close();
  }
});

test('checkOcspResponse accepts what the openssl OCSP responder (openssl ocsp -index) answers', async () => {
  const sub = tmp.path('openssl-ca');
  await mkdir(sub);
  const ca = await opensslRootCa(sub); // its own dir: root.pem must not replace the fixture's
  const store = new SoftKeyStore();
  try {
    const k = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'ossl-ee' });
    const eeDer = await opensslIssue(ca, k.publicKeySpki, 'ossl-ee');
    const serial = certificateInfo(eeDer).serialNumberHex;
    const exp = '301231235959Z';
    const index = await tmp.write('index.txt', `R\t${exp}\t260101000000Z,keyCompromise\t${serial.toUpperCase()}\tunknown\t/C=ES/CN=ossl-ee\n`);
    const nonce = randomBytes(16);
    const reqPath = await tmp.write('ossl-q.der', buildOcspRequest({ certIds: [certIdFor(ca.rootDer, serial)], nonce }));
    const respPath = tmp.path('ossl-r.der');
    const r = await openssl(['ocsp', '-index', index, '-CA', ca.rootCertPath, '-rsigner', ca.rootCertPath, '-rkey', ca.rootKeyPath, '-reqin', reqPath, '-respout', respPath, '-ndays', '1']);
    assert.equal(r.code, 0, r.stderr);
    const checked = checkOcspResponse(new Uint8Array(await readFile(respPath)), {
      issuerCertificate: ca.rootDer, serialNumberHex: serial, nonce: parseOcspRequest(new Uint8Array(await readFile(reqPath))).nonce,
    });
    assert.equal(checked.single.status, 'revoked');
    assert.equal(checked.single.revocationReason, 'keyCompromise');
    assert.equal(checked.single.revocationTime!.toISOString(), '2026-01-01T00:00:00.000Z');
  } finally {
    await store.close();
  }
});
