import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildCrl, parseCrl } from '../../../src/lib/cms/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { openssl, tempDir, toPem } from '../../support/openssl.js';
import { createTestPki, type SignerEntity, type TestPki } from '../../support/pki-fixture.js';
import { pkijs, pkijsCertificate } from '../../support/pki-verify.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let pki: TestPki;
let pems: Awaited<ReturnType<TestPki['writePems']>>;
let revoked: SignerEntity;
let valid: SignerEntity;

before(async () => {
  tmp = await tempDir();
  pki = await createTestPki();
  pems = await pki.writePems(tmp.dir);
  revoked = await pki.issueSigner();
  valid = await pki.issueSigner();
});
after(async () => {
  await pki.close();
  await tmp.cleanup();
});

const now = () => new Date(Date.now() - 5000);

test('issuing-CA CRL: openssl crl -verify accepts it, -text shows number, AKI, entries and reasons', async () => {
  const thisUpdate = now();
  const crl = await buildCrl({
    issuerCertificate: pki.issuing.cert, signer: pki.issuing.signer, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 86400_000), crlNumber: 42n,
    entries: [
      { serialNumberHex: revoked.info.serialNumberHex, revocationDate: new Date(Date.UTC(2026, 1, 3, 4, 5, 6, 789)), reason: 'keyCompromise' },
      { serialNumberHex: '0a0b0c0d0e0f1011', revocationDate: thisUpdate, reason: 'unspecified' },
    ],
  });
  const pem = await tmp.write('issuing.crl.pem', toPem(crl, 'X509 CRL'));
  const v = await openssl(['crl', '-in', pem, '-CAfile', pems.chain, '-verify', '-noout']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stderr + v.stdout, /verify OK/);
  const der = await tmp.write('issuing.crl', crl);
  const t = await openssl(['crl', '-inform', 'DER', '-in', der, '-noout', '-text']);
  assert.match(t.stdout, /Version 2/);
  assert.match(t.stdout, /X509v3 CRL Number:\s+42/);
  assert.match(t.stdout, /X509v3 Authority Key Identifier/);
  assert.match(t.stdout, new RegExp(`Serial Number: ${revoked.info.serialNumberHex.replace(/^00/, '').toUpperCase()}\\s+Revocation Date: Feb  3 04:05:06 2026 GMT\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Key Compromise`));
  assert.match(t.stdout, /Serial Number: 0A0B0C0D0E0F1011\s+Revocation Date: [^\n]+\n(?!\s+CRL entry extensions)/, 'unspecified is left out');
  const p = parseCrl(crl);
  assert.equal(p.crlNumber, 42n);
  assert.equal(p.entries.length, 2);
  assert.equal(p.entries[0]!.reason, 'keyCompromise');
  assert.equal(p.entries[0]!.revocationDate.getUTCMilliseconds(), 0);
  assert.equal(p.entries[1]!.reason, undefined);
  assert.equal(p.thisUpdate.getTime(), Math.floor(thisUpdate.getTime() / 1000) * 1000);
});

test('openssl verify -crl_check: the revoked certificate is refused, the other accepted', async () => {
  const crl = await buildCrl({
    issuerCertificate: pki.issuing.cert, signer: pki.issuing.signer, thisUpdate: now(), nextUpdate: new Date(Date.now() + 3600_000), crlNumber: 1,
    entries: [{ serialNumberHex: revoked.info.serialNumberHex, revocationDate: now(), reason: 'superseded' }],
  });
  const crlPem = await tmp.write('check.crl.pem', toPem(crl, 'X509 CRL'));
  const verify = async (c: SignerEntity) =>
    openssl(['verify', '-crl_check', '-CRLfile', crlPem, '-CAfile', pems.root, '-untrusted', pems.issuing, await tmp.write(`c-${c.info.serialNumberHex}.pem`, toPem(c.cert, 'CERTIFICATE'))]);
  const bad = await verify(revoked);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /certificate revoked/);
  const good = await verify(valid);
  assert.equal(good.code, 0, good.stdout + good.stderr);
});

test('an empty root CRL verifies with openssl and pkijs; a CRL signed by the wrong key is refused at build time', async () => {
  const crl = await buildCrl({ issuerCertificate: pki.root.cert, signer: pki.root.signer, thisUpdate: now(), nextUpdate: new Date(Date.now() + 7 * 86400_000), crlNumber: 7, entries: [] });
  const pem = await tmp.write('root.crl.pem', toPem(crl, 'X509 CRL'));
  const v = await openssl(['crl', '-in', pem, '-CAfile', pems.root, '-verify', '-noout', '-text']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /No Revoked Certificates/);
  const pk = pkijs.CertificateRevocationList.fromBER(crl.slice().buffer);
  assert.equal(await pk.verify({ issuerCertificate: pkijsCertificate(pki.root.cert) }), true);
  assert.equal(await pk.verify({ issuerCertificate: pkijsCertificate(pki.issuing.cert) }), false, 'and not with another key');
  await assert.rejects(
    buildCrl({ issuerCertificate: pki.root.cert, signer: pki.issuing.signer, thisUpdate: now(), nextUpdate: new Date(Date.now() + 1000_000), crlNumber: 8, entries: [] }),
    (e: unknown) => e instanceof AppError && e.code === 'CMS_ERR_SIGNATURE_MISMATCH',
  );
  await assert.rejects(
    buildCrl({ issuerCertificate: pki.root.cert, signer: pki.root.signer, thisUpdate: now(), nextUpdate: now(), crlNumber: 9, entries: [] }),
    (e: unknown) => e instanceof AppError && e.code === 'CMS_ERR_INVALID_ATTRIBUTE',
  );
  await assert.rejects(
    buildCrl({ issuerCertificate: pki.root.cert, signer: pki.root.signer, thisUpdate: now(), nextUpdate: new Date(Date.now() + 1000_000), crlNumber: 9, entries: [{ serialNumberHex: 'xyz', revocationDate: now() }] }),
    (e: unknown) => e instanceof AppError && e.code === 'CMS_ERR_INVALID_ATTRIBUTE',
  );
});
