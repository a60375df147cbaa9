import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  OID, addUnsignedAttribute, buildTimeStampRejection, buildTimeStampReq, buildTimeStampResp, buildTimeStampToken, parseSignedData,
  parseSigningCertificateV2, parseTimeStampReq, parseTimeStampResp, parseTimeStampToken, signDigest, signatureValueOf, timeStampReqProblem,
} from '../../../src/lib/cms/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { openssl, tempDir, toPem } from '../../support/openssl.js';
import { createTestPki, type TestPki } from '../../support/pki-fixture.js';
import { pkijs, pkijsCertificate } from '../../support/pki-verify.js';

const POLICY = '1.3.6.1.4.1.99999.2.1';
let tmp: Awaited<ReturnType<typeof tempDir>>;
let pki: TestPki;
let pems: Awaited<ReturnType<TestPki['writePems']>>;
let dataPath: string;
const data = randomBytes(10_000);
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

before(async () => {
  tmp = await tempDir();
  pki = await createTestPki();
  pems = await pki.writePems(tmp.dir);
  dataPath = await tmp.write('data.bin', data);
});
after(async () => {
  await pki.close();
  await tmp.cleanup();
});

const tsaInput = (request: ReturnType<typeof parseTimeStampReq>, extra: Partial<Parameters<typeof buildTimeStampResp>[0]> = {}) => ({
  request, policy: POLICY, serialNumber: randomBytes(16), genTime: new Date(), tsaCertificate: pki.tsa.cert, certificates: [pki.issuing.cert], signer: pki.tsa.signer, ...extra,
});

test('an openssl ts -query is answered with a reply that openssl ts -verify accepts (request file, data and token_in)', async () => {
  const reqPath = tmp.path('q.tsq');
  const q = await openssl(['ts', '-query', '-data', dataPath, '-sha256', '-cert', '-out', reqPath]);
  assert.equal(q.code, 0, q.stderr);
  const req = parseTimeStampReq(new Uint8Array(await readFile(reqPath)));
  assert.equal(req.digestAlgorithm, 'sha256');
  assert.deepEqual(req.hashedMessage, sha256(data));
  assert.equal(req.certReq, true);
  assert.ok(req.nonce && req.nonce.length > 0, 'openssl sends a nonce by default');
  assert.equal(timeStampReqProblem(req, [POLICY]), null);

  const resp = await buildTimeStampResp(tsaInput(req, { accuracy: { seconds: 1, millis: 500 } }));
  const respPath = await tmp.write('r.tsr', resp);
  const v1 = await openssl(['ts', '-verify', '-queryfile', reqPath, '-in', respPath, '-CAfile', pems.root, '-untrusted', pems.issuing]);
  assert.equal(v1.code, 0, v1.stderr + v1.stdout);
  assert.match(v1.stdout, /Verification: OK/);
  const v2 = await openssl(['ts', '-verify', '-data', dataPath, '-in', respPath, '-CAfile', pems.root, '-untrusted', pems.issuing]);
  assert.equal(v2.code, 0, v2.stderr + v2.stdout);

  const parsed = parseTimeStampResp(resp);
  assert.equal(parsed.status, 0);
  assert.deepEqual(parsed.tstInfo!.nonce, req.nonce, 'nonce echoed');
  assert.equal(parsed.tstInfo!.policy, POLICY);
  assert.equal(parsed.tstInfo!.genTime.getUTCMilliseconds(), 0, 'whole-second genTime by default');
  assert.deepEqual(parsed.tstInfo!.accuracy, { seconds: 1, millis: 500 });
  const tokenPath = await tmp.write('t.der', parsed.token!);
  const v3 = await openssl(['ts', '-verify', '-token_in', '-in', tokenPath, '-data', dataPath, '-CAfile', pems.root, '-untrusted', pems.issuing]);
  assert.equal(v3.code, 0, v3.stderr + v3.stdout);

  const text = await openssl(['ts', '-reply', '-in', respPath, '-text']);
  assert.match(text.stdout, /Status: Granted/);
  assert.match(text.stdout, new RegExp(`Policy OID: ${POLICY.replace(/\./g, '\\.')}`));
  assert.match(text.stdout, /Accuracy: 0x01 seconds, 0x01F4 millis, unspecified micros/);
  assert.match(text.stdout, /TSA: DirName:.*CN ?= ?One-Shot Test TSA/);
  assert.doesNotMatch(text.stdout, /Time stamp: .*\.\d+ /, 'no fractional seconds');

  // Tampered data is refused: the oracle can fail.
  const other = await tmp.write('other.bin', randomBytes(100));
  assert.notEqual((await openssl(['ts', '-verify', '-data', other, '-in', respPath, '-CAfile', pems.root, '-untrusted', pems.issuing])).code, 0);
});

test('the token carries ESS signing-certificate-v2 for the TSA certificate, and pkijs verifies it', async () => {
  const req = parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: sha256(data), nonce: randomBytes(8) }));
  const token = await buildTimeStampToken(tsaInput(req));
  const { signedData, tstInfo } = parseTimeStampToken(token);
  assert.equal(signedData.version, 3);
  assert.equal(signedData.contentType, OID.tstInfo);
  const si = signedData.signerInfos[0]!;
  assert.equal(si.contentType, OID.tstInfo);
  assert.equal(si.signingTime, undefined);
  const ess = parseSigningCertificateV2(si.signedAttrs.find((a) => a.oid === OID.signingCertificateV2)!.values[0]!);
  assert.deepEqual(ess[0]!.certHash, sha256(pki.tsa.cert));
  assert.deepEqual(tstInfo.hashedMessage, sha256(data));
  const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(token.slice().buffer).content });
  const ok = await sd.verify({ signer: 0, data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), checkChain: true, trustedCerts: [pkijsCertificate(pki.root.cert)], extendedMode: true });
  assert.equal(ok.signatureVerified, true, ok.message);
});

test('signature time-stamp: a TST over the SignatureValue added as unsigned attribute keeps the CMS valid (CAdES/PAdES B-T)', async () => {
  const s = await pki.issueSigner();
  const cms = await signDigest({ profile: 'pades', digestAlgorithm: 'sha256', messageDigest: sha256(data), signerCertificate: s.cert, signer: s.signer, certificates: s.chain });
  const sigValue = signatureValueOf(cms);
  const req = parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: sha256(sigValue), nonce: randomBytes(8) }));
  const token = await buildTimeStampToken(tsaInput(req));
  const withTs = addUnsignedAttribute(cms, OID.signatureTimeStampToken, token);
  const cmsPath = await tmp.write('bt.der', withTs);
  const v = await openssl(['cms', '-verify', '-binary', '-content', dataPath, '-CAfile', pems.root, '-purpose', 'any', '-inform', 'DER', '-in', cmsPath, '-out', '/dev/null']);
  assert.equal(v.code, 0, v.stderr);
  const embedded = parseSignedData(withTs).signerInfos[0]!.unsignedAttrs.find((a) => a.oid === OID.signatureTimeStampToken)!.values[0]!;
  const tokPath = await tmp.write('bt-token.der', embedded);
  const sigPath = await tmp.write('sigvalue.bin', sigValue);
  const t = await openssl(['ts', '-verify', '-token_in', '-in', tokPath, '-data', sigPath, '-CAfile', pems.root, '-untrusted', pems.issuing]);
  assert.equal(t.code, 0, t.stderr + t.stdout);
});

test('without certReq the token has no certificates; genTimeMillis keeps milliseconds', async () => {
  const req = parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: 'sha384', messageImprint: new Uint8Array(createHash('sha384').update(data).digest()), certReq: false }));
  assert.equal(req.certReq, false);
  assert.equal(req.nonce, undefined);
  const genTime = new Date(Date.UTC(2030, 5, 1, 12, 0, 0, 250));
  const resp = await buildTimeStampResp(tsaInput(req, { genTime, genTimeMillis: true, accuracy: { seconds: 0, millis: 0 } }));
  const p = parseTimeStampResp(resp);
  assert.equal(parseSignedData(p.token!).certificates.length, 0);
  assert.equal(p.tstInfo!.genTime.getTime(), genTime.getTime());
  assert.equal(p.tstInfo!.accuracy, undefined);
  const respPath = await tmp.write('nocert.tsr', resp);
  const chain = await tmp.write('tsa-chain.pem', toPem(pki.tsa.cert, 'CERTIFICATE') + toPem(pki.issuing.cert, 'CERTIFICATE'));
  const v = await openssl(['ts', '-verify', '-data', dataPath, '-in', respPath, '-CAfile', pems.root, '-untrusted', chain]);
  assert.equal(v.code, 0, v.stderr + v.stdout);
  assert.match(v.stdout, /Verification: OK/);
  // Without the TSA certificate at hand, the verifier cannot find the signer: the certificates really are absent.
  assert.notEqual((await openssl(['ts', '-verify', '-data', dataPath, '-in', respPath, '-CAfile', pems.root, '-untrusted', pems.issuing])).code, 0);
  const text = await openssl(['ts', '-reply', '-in', respPath, '-text']);
  assert.match(text.stdout, /Time stamp: Jun  1 12:00:00\.25 2030 GMT/);
});

test('refusals: badAlg for SHA-1, unacceptedPolicy, malformed requests; rejection replies read back', async () => {
  const reqPath = tmp.path('sha1.tsq');
  await openssl(['ts', '-query', '-data', dataPath, '-sha1', '-out', reqPath]);
  const req = parseTimeStampReq(new Uint8Array(await readFile(reqPath)));
  assert.equal(timeStampReqProblem(req, [POLICY]), 'badAlg');
  const pol = parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: sha256(data), policy: '1.2.3.4' }));
  assert.equal(timeStampReqProblem(pol, [POLICY]), 'unacceptedPolicy');
  const rej = buildTimeStampRejection('badAlg', 'unsupported algorithm');
  const r = parseTimeStampResp(rej);
  assert.equal(r.status, 2);
  assert.deepEqual(r.failureBits, [0]);
  assert.deepEqual(r.statusText, ['unsupported algorithm']);
  const text = await openssl(['ts', '-reply', '-in', await tmp.write('rej.tsr', rej), '-text']);
  assert.match(text.stdout, /Status: Rejected/);
  assert.match(text.stdout, /unrecognized or unsupported algorithm/);
  for (const junk of [new Uint8Array([1, 2, 3]), new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x02]), randomBytes(64)])
    assert.throws(() => parseTimeStampReq(junk), (e: unknown) => e instanceof AppError && e.code === 'TSA_ERR_BAD_REQUEST');
  assert.throws(() => parseTimeStampResp(new Uint8Array([0x30, 0x00])), (e: unknown) => e instanceof AppError && e.code === 'TSA_ERR_BAD_RESPONSE');
});
