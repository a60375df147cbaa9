import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  OID, buildCertificate, certificateInfo, decodeExtensions, encodeName, etsiPersonIdentifier, keyStoreSigner, parseName, randomSerialNumber,
  basicConstraints, encodeExtension, keyUsage, subjectKeyIdentifier,
} from '../../../src/lib/cms/index.js';
import { SoftKeyStore } from '../../../src/lib/keys/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { openssl, tempDir, toPem } from '../../support/openssl.js';
import { createTestPki, type TestPki } from '../../support/pki-fixture.js';
import { pkijs, pkijsCertificate } from '../../support/pki-verify.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let pki: TestPki;
let pems: Awaited<ReturnType<TestPki['writePems']>>;

before(async () => {
  tmp = await tempDir();
  pki = await createTestPki({
    caAlgorithm: 'EC-P384',
    urls: { ocsp: 'http://127.0.0.1:9/ocsp', caIssuers: 'http://127.0.0.1:9/pki/issuing.crt', crl: 'http://127.0.0.1:9/pki/crl/root.crl', issuingCrl: 'http://127.0.0.1:9/pki/crl/issuing.crl' },
  });
  pems = await pki.writePems(tmp.dir);
});
after(async () => {
  await pki.close();
  await tmp.cleanup();
});

async function verifyChain(leaf: Uint8Array, purpose?: string) {
  const p = await tmp.write(`leaf-${Math.random()}.pem`, toPem(leaf, 'CERTIFICATE'));
  return openssl(['verify', '-CAfile', pems.root, '-untrusted', pems.issuing, ...(purpose ? ['-purpose', purpose] : []), p]);
}

async function text(cert: Uint8Array) {
  const p = await tmp.write(`t-${Math.random()}.pem`, toPem(cert, 'CERTIFICATE'));
  const r = await openssl(['x509', '-in', p, '-noout', '-text', '-nameopt', 'RFC2253,-esc_msb']);
  assert.equal(r.code, 0, r.stderr);
  return Buffer.from(r.stdoutBytes).toString('utf8');
}

for (const alg of ['EC-P256', 'RSA-2048'] as const) {
  test(`3-level chain: openssl verify accepts a qualified ${alg} signer certificate and shows its extensions`, async () => {
    const s = await pki.issueSigner({ algorithm: alg, qualified: true });
    const r = await verifyChain(s.cert);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /: OK/);
    const t = await text(s.cert);
    assert.match(t, /Version: 3/);
    assert.match(t, /serialNumber=IDCES-12345678Z/);
    assert.match(t, /GN=JUAN/);
    assert.match(t, /SN=ESPAÑOL ESPAÑOL/);
    assert.match(t, /CN=JUAN ESPAÑOL ESPAÑOL/);
    assert.match(t, /X509v3 Key Usage: critical\s+Non Repudiation\n/);
    assert.match(t, /X509v3 Certificate Policies:\s+Policy: 1\.3\.6\.1\.4\.1\.99999\.1\.1\s+CPS: https:\/\/pki\.example\.test\/cps\s+User Notice:\s+Explicit Text: Test single-use certificate/);
    assert.match(t, /email:juan@example\.test/);
    assert.match(t, /OCSP - URI:http:\/\/127\.0\.0\.1:9\/ocsp/);
    assert.match(t, /CA Issuers - URI:http:\/\/127\.0\.0\.1:9\/pki\/issuing\.crt/);
    assert.match(t, /CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/127\.0\.0\.1:9\/pki\/crl\/issuing\.crl/);
    assert.match(t, /qcStatements/);
    assert.match(t, /X509v3 Subject Key Identifier/);
    assert.match(t, /X509v3 Authority Key Identifier/);
    // Times are whole seconds: UTCTime YYMMDDHHMMSSZ has no fraction.
    assert.equal(s.info.notBefore.getUTCMilliseconds(), 0);
    const utc = Buffer.from(s.info.tbs).toString('latin1').match(/\x17\x0d(\d{12}Z)/g);
    assert.equal(utc?.length, 2);
  });
}

test('qcStatements: QcCompliance and QcSSCD carry no statementInfo; QcType esign, QcPDS and pkixQCSyntax-v2 Natural are there', async () => {
  const s = await pki.issueSigner({ qualified: true });
  const ext = s.info.extensions.get(OID.qcStatements)!;
  assert.ok(ext);
  assert.equal(ext.critical, false);
  const p = await tmp.write('qc.der', ext.value);
  const r = await openssl(['asn1parse', '-inform', 'DER', '-in', p]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /OBJECT\s+:1\.3\.6\.1\.5\.5\.7\.11\.2\s+\d+:d=\d+\s+hl=\d+ l=\s*\d+ cons: SEQUENCE\s+\d+:d=\d+\s+hl=\d+ l=\s*\d+ prim: OBJECT\s+:0\.4\.0\.194121\.1\.1/);
  // A statement without statementInfo is a SEQUENCE holding only its OID, then the next statement starts (d=1).
  assert.match(r.stdout, /d=1\s+hl=2 l=\s*8 cons: SEQUENCE\s*\n\s*\d+:d=2\s+hl=2 l=\s*6 prim: OBJECT\s+:0\.4\.0\.1862\.1\.1\s*\n\s*\d+:d=1 /);
  assert.match(r.stdout, /d=1\s+hl=2 l=\s*8 cons: SEQUENCE\s*\n\s*\d+:d=2\s+hl=2 l=\s*6 prim: OBJECT\s+:0\.4\.0\.1862\.1\.4\s*\n\s*\d+:d=1 /);
  assert.match(r.stdout, /:0\.4\.0\.1862\.1\.6\n[^\n]*SEQUENCE *\n[^\n]*:0\.4\.0\.1862\.1\.6\.1/);
  assert.match(r.stdout, /:0\.4\.0\.1862\.1\.5\n[\s\S]*IA5STRING\s+:https:\/\/pki\.example\.test\/pds_en\.pdf[\s\S]*PRINTABLESTRING\s+:en/);
  // pkijs parses it as QCStatements (a third implementation reading our bytes).
  const c = pkijsCertificate(s.cert);
  const qc = c.extensions!.find((e) => e.extnID === OID.qcStatements)!;
  assert.equal((qc.parsedValue as { values: unknown[] }).values.length, 5);
  const nc = await pki.issueSigner({ qualified: false });
  assert.equal(nc.info.extensions.has(OID.qcStatements), false);
  assert.doesNotMatch(await text(nc.cert), /qcStatements/);
});

test('TSA and OCSP certificates verify for their purposes; pkijs validates the chain too', async () => {
  assert.equal((await verifyChain(pki.tsa.cert, 'timestampsign')).code, 0);
  assert.equal((await verifyChain(pki.ocsp.cert, 'ocsphelper')).code, 0);
  const tsaText = await text(pki.tsa.cert);
  assert.match(tsaText, /X509v3 Extended Key Usage: critical\s+Time Stamping/);
  assert.match(await text(pki.ocsp.cert), /OCSP No Check/);
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: [pkijsCertificate(pki.root.cert)],
    certs: [pkijsCertificate(pki.issuing.cert), pkijsCertificate(pki.tsa.cert)],
  });
  const res = await engine.verify();
  assert.equal(res.result, true, res.resultMessage);
});

test('a certificate from an unrelated root does not verify (the oracle can fail)', async () => {
  const other = await createTestPki();
  try {
    const s = await other.issueSigner();
    assert.notEqual((await verifyChain(s.cert)).code, 0);
  } finally {
    await other.close();
  }
});

test('builder rules: whole-second times, positive serials of 64+ bits, no duplicate extensions, key mismatch detected', async () => {
  const store = new SoftKeyStore();
  try {
    const k = await store.createKey({ algorithm: 'EC-P256', purpose: 'ca', label: 'self' });
    const signer = keyStoreSigner(store, k);
    const name = { C: 'ES', CN: 'Self' };
    const nb = new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 999));
    const base = { issuer: name, subject: name, notBefore: nb, notAfter: new Date(Date.UTC(2060, 0, 1, 0, 0, 0, 500)), publicKeySpki: k.publicKeySpki, signer, extensions: [basicConstraints({ ca: true })] };
    const serial = Uint8Array.from([0xff, 1, 2, 3, 4, 5, 6, 7, 8]);
    const cert = await buildCertificate({ ...base, serialNumber: serial });
    const info = certificateInfo(cert);
    assert.equal(info.serialNumberHex, '00ff0102030405060708', 'a sign octet keeps the serial positive');
    assert.equal(info.notBefore.getTime(), Date.UTC(2030, 0, 1));
    assert.equal(info.notAfter.getTime(), Date.UTC(2060, 0, 1), 'GeneralizedTime after 2049, still whole seconds');
    assert.match(Buffer.from(info.tbs).toString('latin1'), /\x18\x0f20600101000000Z/);
    const p = await tmp.write('self.pem', toPem(cert, 'CERTIFICATE'));
    const r = await openssl(['verify', '-CAfile', p, '-attime', String(Date.UTC(2031, 0, 1) / 1000), p]);
    assert.equal(r.code, 0, r.stderr);
    const code = (c: string) => (e: unknown) => e instanceof AppError && e.code === c;
    await assert.rejects(buildCertificate({ ...base, serialNumber: Uint8Array.of(0, 0, 1, 2, 3, 4, 5, 6, 7) }), code('CMS_ERR_INVALID_ATTRIBUTE'));
    await assert.rejects(buildCertificate({ ...base, serialNumber: new Uint8Array(21).fill(1) }), code('CMS_ERR_INVALID_ATTRIBUTE'));
    await assert.rejects(buildCertificate({ ...base, serialNumber: randomSerialNumber(), extensions: [keyUsage(['keyCertSign']), keyUsage(['cRLSign'])] }), code('CMS_ERR_INVALID_ATTRIBUTE'));
    await assert.rejects(buildCertificate({ ...base, serialNumber: randomSerialNumber(), notAfter: nb }), code('CMS_ERR_INVALID_ATTRIBUTE'));
    const other = await store.createKey({ algorithm: 'EC-P256', purpose: 'signer', label: 'other' });
    await assert.rejects(
      buildCertificate({ ...base, serialNumber: randomSerialNumber(), publicKeySpki: other.publicKeySpki, issuerPublicKeySpki: other.publicKeySpki, extensions: [subjectKeyIdentifier(other.publicKeySpki)] }),
      code('CMS_ERR_SIGNATURE_MISMATCH'),
    );
  } finally {
    await store.close();
  }
});

test('names: PrintableString C and serialNumber, UTF8String elsewhere; ETSI identifiers; decodeExtensions round trip', () => {
  const der = encodeName({ C: 'ES', serialNumber: etsiPersonIdentifier('IDC', 'ES', '12345678Z'), givenName: 'JOSÉ', CN: 'JOSÉ' });
  const attrs = parseName(der);
  assert.deepEqual(attrs.map((a) => a.value), ['ES', 'IDCES-12345678Z', 'JOSÉ', 'JOSÉ']);
  assert.ok(Buffer.from(der).includes(Buffer.from([0x13, 0x02, 0x45, 0x53])), 'C is a PrintableString');
  assert.ok(Buffer.from(der).includes(Buffer.from('0c05', 'hex')), 'givenName is a UTF8String');
  const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof AppError && e.code === 'CMS_ERR_INVALID_ATTRIBUTE');
  bad(() => encodeName({ C: 'Spain' }));
  bad(() => encodeName({ serialNumber: 'IDCES_1234*' }));
  bad(() => encodeName({}));
  bad(() => etsiPersonIdentifier('ID', 'ES', '1'));
  const ku = keyUsage(['keyCertSign', 'cRLSign']);
  assert.deepEqual([...ku.value], [0x03, 0x02, 0x01, 0x06], 'named bit list without trailing zero bits');
  assert.deepEqual([...keyUsage(['nonRepudiation']).value], [0x03, 0x02, 0x06, 0x40]);
  const exts = [basicConstraints({ ca: true }), keyUsage(['nonRepudiation'], false)];
  const decoded = decodeExtensions(Uint8Array.from([0x30, ...encodeLen(exts)]));
  assert.deepEqual(decoded.map((e) => [e.oid, e.critical, Buffer.from(e.value).toString('hex')]), exts.map((e) => [e.oid, e.critical, Buffer.from(e.value).toString('hex')]));
});

function encodeLen(exts: Parameters<typeof encodeExtension>[0][]): number[] {
  const body = exts.flatMap((e) => [...encodeExtension(e)]);
  return [body.length, ...body];
}
