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

test('checkTimeStampResp requires the ESS signing-certificate binding of the TSA certificate (RFC 3161 §2.4.1, RFC 5816)', async () => {
  const { OID, encodeAttribute, encodeTstInfo, parseTimeStampReq, signingCertificateV2 } = await import('../../../src/lib/cms/index.js');
  const { assembleSignedDataWith } = await import('../../../src/lib/cms/signed-data.js');
  const { octetString, oid, seq, setOf, smallInteger } = await import('../../../src/lib/cms/der.js');
  const imprint = sha256(content);

  // openssl ts -reply with ess_cert_id_alg = sha1 writes the v1 attribute (SHA-1 certHash): accepted.
  const v1Config = tmp.path('ossl-tsa-v1.cnf');
  await (await import('node:fs/promises')).writeFile(v1Config, (await readFile(tsa.configPath, 'utf8')).replace('ess_cert_id_alg = sha256', 'ess_cert_id_alg = sha1'));
  const q = await tmp.write('q-ess.tsq', buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: imprint }));
  const rPath = tmp.path('r-ess-v1.tsr');
  const r = await openssl(['ts', '-reply', '-config', v1Config, '-queryfile', q, '-out', rPath]);
  assert.equal(r.code, 0, r.stderr);
  const v1Resp = new Uint8Array(await readFile(rPath));
  const v1Attrs = (await import('../../../src/lib/cms/index.js')).parseTimeStampResp(v1Resp).token!;
  assert.ok(Buffer.from(v1Attrs).includes(Buffer.from(oid(OID.signingCertificate))), 'openssl wrote signing-certificate v1');
  assert.deepEqual(checkTimeStampResp(v1Resp, { digestAlgorithm: 'sha256', messageImprint: imprint }).tsaCertificate, tsa.certDer);

  // Tokens we sign ourselves with a correct TSA certificate, differing only in the ESS attribute.
  const req = parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: imprint }));
  const tstInfo = encodeTstInfo({ request: req, policy: '1.2.3.4.1', serialNumber: randomBytes(8), genTime: new Date(), tsaCertificate: pki.tsa.cert });
  const respWith = async (ess: Uint8Array[]) => {
    const signedAttributes = setOf([
      encodeAttribute({ oid: OID.contentType, values: [oid(OID.tstInfo)] }),
      encodeAttribute({ oid: OID.messageDigest, values: [octetString(sha256(tstInfo))] }),
      ...ess,
    ]);
    const signature = await pki.tsa.signer.sign(signedAttributes, 'sha256');
    const token = assembleSignedDataWith(
      { signedAttributes, signature, signerCertificate: pki.tsa.cert, certificates: [], digestAlgorithm: 'sha256', keyAlgorithm: pki.tsa.signer.keyAlgorithm },
      { contentType: OID.tstInfo, content: tstInfo },
    );
    return seq(seq(smallInteger(0)), token);
  };
  const noEss = await respWith([]);
  const refused = (why: RegExp) => (e: unknown) => e instanceof AppError && e.code === 'TSA_ERR_BAD_RESPONSE' && why.test(e.message);
  const expect = { digestAlgorithm: 'sha256' as const, messageImprint: imprint };
  const good = await respWith([encodeAttribute({ oid: OID.signingCertificateV2, values: [signingCertificateV2(pki.tsa.cert)] })]);
  assert.ok(checkTimeStampResp(good, expect));
  assert.throws(() => checkTimeStampResp(noEss, expect), refused(/no ESS signing-certificate/));
  const other = await pki.issueSigner({ algorithm: 'EC-P256' });
  const wrong = await respWith([encodeAttribute({ oid: OID.signingCertificateV2, values: [signingCertificateV2(other.cert)] })]);
  assert.throws(() => checkTimeStampResp(wrong, expect), refused(/does not name the signer certificate/));
  // An independent verifier agrees: the well-bound token passes, the other two do not.
  const pems = await pki.writePems(tmp.dir);
  const untrusted = await tmp.write('ess-untrusted.pem', (await readFile(pems.issuing, 'utf8')) + (await readFile(pems.tsa, 'utf8')));
  for (const [name, resp, ok] of [['good-ess', good, true], ['no-ess', noEss, false], ['wrong-ess', wrong, false]] as const) {
    const tokenPath = await tmp.write(`${name}.tst`, (await import('../../../src/lib/cms/index.js')).parseTimeStampResp(resp).token!);
    const v = await openssl(['ts', '-verify', '-token_in', '-in', tokenPath, '-digest', Buffer.from(imprint).toString('hex'), '-CAfile', pems.root, '-untrusted', untrusted]);
    assert.equal(v.code === 0, ok, `${name}: openssl ts -verify ${v.stdout}${v.stderr}`);
  }
});
