import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import {
  OID, addUnsignedAttribute, assembleSignedData, compareDerForTest, encodeSignedAttributes, keyStoreSigner, parseSignedData,
  parseSigningCertificateV2, signDigest, signatureValueOf, type CmsKeyAlgorithm,
} from './imports.js';
import { SoftKeyStore } from '../../../src/lib/keys/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { openssl, tempDir, toPem } from '../../support/openssl.js';
import { opensslIssue, opensslRootCa, type OpensslCa } from '../../support/pki-openssl.js';
import { pkijsVerifyDetached } from '../../support/pki-verify.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let ca: OpensslCa;
const store = new SoftKeyStore();
const signers: Record<string, { cert: Uint8Array; signer: ReturnType<typeof keyStoreSigner> }> = {};
const content = randomBytes(200_000);
let contentPath: string;
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

before(async () => {
  tmp = await tempDir();
  ca = await opensslRootCa(tmp.dir);
  contentPath = await tmp.write('content.bin', content);
  for (const alg of ['EC-P256', 'RSA-2048', 'EC-P384'] as CmsKeyAlgorithm[]) {
    const key = await store.createKey({ algorithm: alg, purpose: 'signer', label: `t-${alg}` });
    signers[alg] = { cert: await opensslIssue(ca, key.publicKeySpki, `signer-${alg}`), signer: keyStoreSigner(store, key) };
  }
});
after(async () => {
  await store.close();
  await tmp.cleanup();
});

async function opensslVerify(cms: Uint8Array, contentFile = contentPath) {
  const p = await tmp.write(`cms-${randomBytes(4).toString('hex')}.der`, cms);
  return openssl(['cms', '-verify', '-binary', '-content', contentFile, '-CAfile', ca.rootCertPath, '-purpose', 'any', '-inform', 'DER', '-in', p, '-out', '/dev/null']);
}

for (const alg of ['EC-P256', 'RSA-2048'] as const) {
  for (const profile of ['pades', 'cades'] as const) {
    test(`${alg} ${profile}: openssl cms -verify and pkijs accept the detached CMS over sha256(file)`, async () => {
      const { cert, signer } = signers[alg]!;
      const cms = await signDigest({
        profile, digestAlgorithm: 'sha256', messageDigest: sha256(content), signerCertificate: cert, signer,
        certificates: [ca.rootDer], signingTime: profile === 'cades' ? new Date(Math.floor(Date.now() / 1000) * 1000 + 123) : undefined,
      });
      const r = await opensslVerify(cms);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Verification successful/);
      const pk = await pkijsVerifyDetached(cms, content, [ca.rootDer]);
      assert.ok(pk.ok, pk.message);

      const sd = parseSignedData(cms);
      assert.equal(sd.version, 1);
      assert.equal(sd.contentType, OID.data);
      assert.equal(sd.content, undefined, 'detached');
      assert.equal(sd.certificates.length, 2);
      const si = sd.signerInfos[0]!;
      assert.equal(si.version, 1);
      assert.deepEqual(si.messageDigest, sha256(content));
      const oids = si.signedAttrs.map((a) => a.oid);
      assert.ok(oids.includes(OID.contentType) && oids.includes(OID.messageDigest) && oids.includes(OID.signingCertificateV2));
      assert.equal(oids.includes(OID.signingTime), profile === 'cades', 'signing-time only in CAdES');
      if (profile === 'cades') assert.equal(si.signingTime!.getUTCMilliseconds(), 0);
      const ess = parseSigningCertificateV2(si.signedAttrs.find((a) => a.oid === OID.signingCertificateV2)!.values[0]!);
      assert.deepEqual(ess[0]!.certHash, sha256(cert));
      assert.ok(ess[0]!.serialNumberHex && ess[0]!.issuer);

      // Tampered content must fail: the oracle is live.
      const bad = Buffer.from(content);
      bad[1000]! ^= 1;
      const badPath = await tmp.write(`bad-${alg}-${profile}.bin`, bad);
      assert.notEqual((await opensslVerify(cms, badPath)).code, 0);
      assert.equal((await pkijsVerifyDetached(cms, bad, [ca.rootDer])).ok, false);
    });
  }
}

test('signed attributes are a DER SET OF in ascending order of their encodings (X.690 §11.6)', async () => {
  const { cert } = signers['EC-P256']!;
  const attrs = encodeSignedAttributes({
    profile: 'cades', digestAlgorithm: 'sha256', messageDigest: sha256(content), signerCertificate: cert, signingTime: new Date(),
    otherAttributes: [{ oid: '1.2.3.4.5', values: [Uint8Array.of(0x0c, 1, 0x42), Uint8Array.of(0x02, 1, 0x01)] }],
  });
  assert.equal(attrs[0], 0x31);
  const { decodeAttributes, encodeAttribute } = await import('../../../src/lib/cms/index.js');
  const decoded = decodeAttributes(attrs);
  assert.equal(decoded.length, 5);
  const encs = decoded.map(encodeAttribute);
  for (let i = 1; i < encs.length; i++) assert.ok(compareDerForTest(encs[i - 1]!, encs[i]!) < 0, `attribute ${i} out of order`);
  const other = decoded.find((a) => a.oid === '1.2.3.4.5')!;
  assert.deepEqual(other.values.map((v) => v[0]), [0x02, 0x0c], 'values inside the attribute are sorted too');
});

test('P-384 with SHA-384 and hash-flow otherAttributes verifies with openssl', async () => {
  const { cert, signer } = signers['EC-P384']!;
  const md = new Uint8Array(createHash('sha384').update(content).digest());
  const cms = await signDigest({
    profile: 'cades', digestAlgorithm: 'sha384', messageDigest: md, signerCertificate: cert, signer, certificates: [ca.rootDer],
    signingTime: new Date(), otherAttributes: [{ oid: '1.2.840.113549.1.9.16.2.16', values: [Uint8Array.of(0x30, 0)] }],
  });
  const r = await openssl(['cms', '-verify', '-binary', '-content', contentPath, '-CAfile', ca.rootCertPath, '-purpose', 'any', '-inform', 'DER',
    '-in', await tmp.write('p384.der', cms), '-out', '/dev/null', '-md', 'sha384']);
  assert.equal(r.code, 0, r.stderr);
  const ess = parseSigningCertificateV2(parseSignedData(cms).signerInfos[0]!.signedAttrs.find((a) => a.oid === OID.signingCertificateV2)!.values[0]!);
  assert.equal(ess[0]!.hashAlgorithm, 'sha384');
});

test('addUnsignedAttribute keeps the signature valid and signatureValueOf returns the SignerInfo signature', async () => {
  const { cert, signer } = signers['EC-P256']!;
  const cms = await signDigest({ profile: 'pades', digestAlgorithm: 'sha256', messageDigest: sha256(content), signerCertificate: cert, signer, certificates: [ca.rootDer] });
  const sig = signatureValueOf(cms);
  assert.deepEqual(sig, parseSignedData(cms).signerInfos[0]!.signature);
  const fakeToken = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05);
  const once = addUnsignedAttribute(cms, OID.signatureTimeStampToken, fakeToken);
  const twice = addUnsignedAttribute(once, '1.2.3.4', Uint8Array.of(0x05, 0x00));
  const si = parseSignedData(twice).signerInfos[0]!;
  assert.deepEqual(si.unsignedAttrs.map((a) => a.oid).sort(), ['1.2.3.4', OID.signatureTimeStampToken].sort());
  assert.deepEqual(signatureValueOf(twice), sig);
  assert.deepEqual(si.signedAttributes, parseSignedData(cms).signerInfos[0]!.signedAttributes);
  const r = await opensslVerify(twice);
  assert.equal(r.code, 0, r.stderr);
});

test('bad input: wrong digest length, signing-time in PAdES, reserved attributes, key/cert mismatch', async () => {
  const { cert, signer } = signers['EC-P256']!;
  const base = { profile: 'pades' as const, digestAlgorithm: 'sha256' as const, messageDigest: sha256(content), signerCertificate: cert };
  const code = (c: string) => (e: unknown) => e instanceof AppError && e.code === c;
  assert.throws(() => encodeSignedAttributes({ ...base, messageDigest: new Uint8Array(20) }), code('CMS_ERR_INVALID_DIGEST'));
  assert.throws(() => encodeSignedAttributes({ ...base, digestAlgorithm: 'md5' as never }), code('CMS_ERR_UNSUPPORTED_ALGORITHM'));
  assert.throws(() => encodeSignedAttributes({ ...base, signingTime: new Date() }), code('CMS_ERR_INVALID_ATTRIBUTE'));
  assert.throws(() => encodeSignedAttributes({ ...base, otherAttributes: [{ oid: OID.messageDigest, values: [Uint8Array.of(4, 0)] }] }), code('CMS_ERR_INVALID_ATTRIBUTE'));
  assert.throws(() => encodeSignedAttributes({ ...base, otherAttributes: [{ oid: '1.2.3', values: [Uint8Array.of(4, 5)] }] }), code('CMS_ERR_MALFORMED'));
  assert.throws(() => encodeSignedAttributes({ ...base, signerCertificate: new Uint8Array([1, 2, 3]) }), code('CMS_ERR_MALFORMED'));
  const attrs = encodeSignedAttributes(base);
  const otherSig = await signers['RSA-2048']!.signer.sign(attrs, 'sha256');
  assert.throws(
    () => assembleSignedData({ signedAttributes: attrs, signature: otherSig, signerCertificate: cert, certificates: [], digestAlgorithm: 'sha256', keyAlgorithm: signer.keyAlgorithm }),
    code('CMS_ERR_SIGNATURE_MISMATCH'),
  );
  assert.throws(() => parseSignedData(new Uint8Array([0x30, 0x80, 0, 0])), code('CMS_ERR_MALFORMED'));
});

test('CMS DER written as PEM is accepted by openssl too (sanity of the envelope)', async () => {
  const { cert, signer } = signers['RSA-2048']!;
  const cms = await signDigest({ profile: 'pades', digestAlgorithm: 'sha256', messageDigest: sha256(content), signerCertificate: cert, signer, certificates: [] });
  const p = tmp.path('cms.pem');
  await writeFile(p, toPem(cms, 'CMS'));
  const r = await openssl(['cms', '-verify', '-binary', '-content', contentPath, '-CAfile', ca.rootCertPath, '-purpose', 'any', '-inform', 'PEM', '-in', p, '-out', '/dev/null']);
  assert.equal(r.code, 0, r.stderr);
});
