import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { buildTimeStampReq, checkTimeStampResp, signDigest, verifySignedData } from '../../../src/lib/cms/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { openssl, tempDir } from '../../support/openssl.js';
import { opensslRootCa, opensslTsa, type OpensslCa, type OpensslTsa } from '../../support/pki-openssl.js';
import { createTestPki, type TestPki } from '../../support/pki-fixture.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let pki: TestPki;
let ca: OpensslCa;
let tsa: OpensslTsa;
const content = randomBytes(4096);
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const code = (c: string) => (e: unknown) => e instanceof AppError && e.code === c;

before(async () => {
  tmp = await tempDir();
  pki = await createTestPki();
  ca = await opensslRootCa(tmp.dir);
  tsa = await opensslTsa(ca);
});
after(async () => {
  await pki.close();
  await tmp.cleanup();
});

test('verifySignedData accepts our CMS over the content or its digest, and refuses tampering', async () => {
  const s = await pki.issueSigner({ algorithm: 'RSA-2048' });
  const cms = await signDigest({ profile: 'cades', digestAlgorithm: 'sha256', messageDigest: sha256(content), signerCertificate: s.cert, signer: s.signer, certificates: s.chain, signingTime: new Date() });
  assert.deepEqual(verifySignedData(cms, { content }).signerCertificate, s.cert);
  assert.equal(verifySignedData(cms, { contentDigest: sha256(content) }).digestAlgorithm, 'sha256');
  assert.throws(() => verifySignedData(cms, { content: randomBytes(10) }), code('CMS_ERR_SIGNATURE_MISMATCH'));
  const tampered = cms.slice();
  tampered[tampered.length - 10]! ^= 0x01; // inside the RSA signature value
  assert.throws(() => verifySignedData(tampered, { content }), code('CMS_ERR_SIGNATURE_MISMATCH'));
  assert.throws(() => verifySignedData(cms), code('CMS_ERR_SIGNATURE_MISMATCH'), 'nothing to check the digest against');
});

test('verifySignedData accepts a detached CMS made by openssl cms -sign (independent producer)', async () => {
  const key = tmp.path('ee.key');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', key, '-out', tmp.path('ee.pem'), '-days', '1', '-subj', '/CN=openssl signer']);
  const dataPath = await tmp.write('data.bin', content);
  const out = tmp.path('ossl.p7s');
  const r = await openssl(['cms', '-sign', '-binary', '-in', dataPath, '-signer', tmp.path('ee.pem'), '-inkey', key, '-outform', 'DER', '-out', out, '-md', 'sha384']);
  assert.equal(r.code, 0, r.stderr);
  const v = verifySignedData(new Uint8Array(await readFile(out)), { content });
  assert.equal(v.digestAlgorithm, 'sha384');
});

test('checkTimeStampResp accepts a reply from openssl ts -reply and refuses wrong imprint, nonce, policy or status', async () => {
  const imprint = sha256(content);
  const nonce = Uint8Array.from([0x80, ...randomBytes(7)]); // high bit set: the INTEGER gains a sign octet
  const q = await tmp.write('q.tsq', buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: imprint, nonce }));
  const rPath = tmp.path('r.tsr');
  const r = await openssl(['ts', '-reply', '-config', tsa.configPath, '-queryfile', q, '-out', rPath]);
  assert.equal(r.code, 0, r.stderr);
  const resp = new Uint8Array(await readFile(rPath));
  const ok = checkTimeStampResp(resp, { digestAlgorithm: 'sha256', messageImprint: imprint, nonce, policies: [tsa.policy] });
  assert.deepEqual(ok.tsaCertificate, tsa.certDer);
  assert.equal(ok.tstInfo.policy, tsa.policy);
  const bad = (e: Parameters<typeof checkTimeStampResp>[1]) => assert.throws(() => checkTimeStampResp(resp, e), code('TSA_ERR_BAD_RESPONSE'));
  bad({ digestAlgorithm: 'sha256', messageImprint: sha256(randomBytes(3)), nonce });
  bad({ digestAlgorithm: 'sha256', messageImprint: imprint, nonce: randomBytes(8) });
  bad({ digestAlgorithm: 'sha256', messageImprint: imprint, nonce, policies: ['1.9.9'] });
  const tampered = resp.slice();
  tampered[tampered.length - 5]! ^= 0x10;
  assert.throws(() => checkTimeStampResp(tampered, { digestAlgorithm: 'sha256', messageImprint: imprint }), code('TSA_ERR_BAD_RESPONSE'));
  // A SHA-1 request is refused by this TSA's configuration: a rejection, not a token.
  const q1 = tmp.path('q1.tsq');
  await openssl(['ts', '-query', '-data', await tmp.write('c.bin', content), '-sha1', '-out', q1]);
  const r1 = tmp.path('r1.tsr');
  await openssl(['ts', '-reply', '-config', tsa.configPath, '-queryfile', q1, '-out', r1]);
  const rejection = new Uint8Array(await readFile(r1));
  assert.throws(() => checkTimeStampResp(rejection, { digestAlgorithm: 'sha256', messageImprint: imprint }), (e: unknown) =>
    e instanceof AppError && e.code === 'TSA_ERR_BAD_RESPONSE' && /status 2/.test(e.message));
});

test('checkTimeStampResp refuses a token whose signer certificate is not a TSA certificate (RFC 3161 §2.3)', async () => {
  const { buildTimeStampResp, parseTimeStampReq } = await import('../../../src/lib/cms/index.js');
  const s = await pki.issueSigner({ algorithm: 'EC-P256' }); // nonRepudiation signer: no timeStamping EKU
  const imprint = sha256(content);
  const resp = await buildTimeStampResp({
    request: parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: imprint })),
    policy: '1.2.3.4.1', serialNumber: randomBytes(8), genTime: new Date(), tsaCertificate: s.cert, signer: s.signer,
  });
  assert.throws(() => checkTimeStampResp(resp, { digestAlgorithm: 'sha256', messageImprint: imprint }), (e: unknown) =>
    e instanceof AppError && e.code === 'TSA_ERR_BAD_RESPONSE' && /extended key usage/.test(e.message));
  // The cryptography itself is fine: without the certificate rule the token is accepted.
  assert.deepEqual(checkTimeStampResp(resp, { digestAlgorithm: 'sha256', messageImprint: imprint, checkTsaCertificate: false }).tsaCertificate, s.cert);
});
