/**
 * Issued certificates checked by OpenSSL (issue 2 "What the tests must show"): the chain verifies,
 * the qualified profile carries qcStatements and PFnubeNC none, subject/extension content, whole
 * seconds, random serials ≥ 64 bits; the CA survives a restart; an imported CA is used as is.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslOk, openssl } from '../../support/openssl.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { startTestTsc, createApprovedRequest, T0, type TestTsc } from '../support/tsc-harness.js';
import { attime, otpAndSign, pemOf, sha } from '../support/flow.js';

describe('single-use certificates', () => {
  let t: TestTsc;
  let work: string;
  const issued: Record<string, { cert: string; chain: string[]; serial: string }> = {};

  before(async () => {
    t = await startTestTsc();
    work = await mkdtemp(join(tmpdir(), 'tsc-certs-'));
    for (const profile of ['PFnubeQAFCiudadano', 'PFnubeNC']) {
      const pk = await createApprovedRequest(t, { profile });
      const r = await otpAndSign(t, pk, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', profile), format: 'pades' }]);
      issued[profile] = { cert: r.certificate, chain: r.chain, serial: r.serial_number };
    }
    const root = await t.app.inject({ method: 'GET', url: '/pki/root.pem' });
    const issuing = await t.app.inject({ method: 'GET', url: '/pki/issuing.pem' });
    assert.equal(root.statusCode, 200);
    await writeFile(join(work, 'root.pem'), root.body);
    await writeFile(join(work, 'issuing.pem'), issuing.body);
    for (const [p, v] of Object.entries(issued)) await writeFile(join(work, `${p}.pem`), pemOf(v.cert));
  });
  after(async () => {
    await t?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('openssl verify -CAfile root -untrusted issuing accepts every issued certificate', async () => {
    for (const p of Object.keys(issued)) {
      const r = await opensslOk(['verify', '-attime', attime(new Date(T0.getTime() + 1000)), '-CAfile', join(work, 'root.pem'),
        '-untrusted', join(work, 'issuing.pem'), join(work, `${p}.pem`)]);
      assert.match(r.stdout, /: OK/);
    }
    // And the chain the sign call returned is the one /pki serves.
    const served = (await t.app.inject({ method: 'GET', url: '/pki/issuing.crt' })).rawPayload.toString('base64');
    assert.equal(issued.PFnubeNC!.chain[0], served);
  });

  test('a certificate is refused once its short validity is over (openssl, -attime after notAfter)', async () => {
    const r = await openssl(['verify', '-attime', attime(new Date(T0.getTime() + 3600_000 + 1000)), '-CAfile', join(work, 'root.pem'),
      '-untrusted', join(work, 'issuing.pem'), join(work, 'PFnubeNC.pem')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /expired/);
  });

  test('openssl x509 -text: qcStatements for PFnubeQAFCiudadano, none for PFnubeNC', async () => {
    const q = (await opensslOk(['x509', '-in', join(work, 'PFnubeQAFCiudadano.pem'), '-noout', '-text'])).stdout;
    const nc = (await opensslOk(['x509', '-in', join(work, 'PFnubeNC.pem'), '-noout', '-text'])).stdout;
    assert.match(q, /qcStatements/);
    assert.doesNotMatch(nc, /qcStatements/);
    assert.doesNotMatch(nc, /1\.3\.6\.1\.5\.5\.7\.1\.3/);
    assert.match(q, /Policy: 0\.4\.0\.194112\.1\.2/); // QCP-n-qscd
    assert.match(nc, /Policy: 0\.4\.0\.2042\.1\.1/); // NCP
  });

  test('qcStatements hold QcCompliance, QcSSCD, QcType=esign, QcPDS and the natural-person semantics (asn1parse)', async () => {
    const der = Buffer.from(issued.PFnubeQAFCiudadano!.cert, 'base64');
    const lines = (await opensslOk(['asn1parse', '-inform', 'DER'], { input: der })).stdout.split('\n');
    const at = lines.findIndex((l) => /:qcStatements|:1\.3\.6\.1\.5\.5\.7\.1\.3/.test(l));
    assert.ok(at > 0, 'qcStatements extension present');
    const octet = lines.slice(at + 1).find((l) => /OCTET STRING/.test(l))!;
    const offset = /^\s*(\d+):/.exec(octet)![1]!;
    const inner = (await opensslOk(['asn1parse', '-inform', 'DER', '-strparse', offset], { input: der })).stdout;
    for (const oid of ['0.4.0.1862.1.1', '0.4.0.1862.1.4', '0.4.0.1862.1.6', '0.4.0.1862.1.6.1', '0.4.0.1862.1.5', '0.4.0.194121.1.1']) {
      assert.ok(inner.includes(`:${oid}`), `missing ${oid} in\n${inner}`);
    }
    assert.match(inner, /https:\/\/127\.0\.0\.1:8090\/pki\/pds\/en/);
  });

  test('subject, key usage, AIA, CRL DP and SAN come from the request and TSC_PUBLIC_URL', async () => {
    const r = await opensslOk(['x509', '-in', join(work, 'PFnubeNC.pem'), '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space']);
    const txt = r.stdoutBytes.toString('utf8');
    assert.match(txt, /Subject: C=ES, serialNumber=IDCES-12345678Z, SN=Núñez Łopuszańska, GN=María José, CN=MARÍA JOSÉ NÚÑEZ ŁOPUSZAŃSKA\n/);
    assert.match(txt, /X509v3 Key Usage: critical\s+Non Repudiation\s*\n/);
    assert.match(txt, /OCSP - URI:http:\/\/127\.0\.0\.1:8090\/ocsp/);
    assert.match(txt, /CA Issuers - URI:http:\/\/127\.0\.0\.1:8090\/pki\/issuing\.crt/);
    assert.match(txt, /URI:http:\/\/127\.0\.0\.1:8090\/pki\/crl\/issuing\.crl/);
    assert.match(txt, /email:maria\.nunez@example\.com/);
    assert.match(txt, /CA:FALSE/);
  });

  test('times are whole seconds, validity is TSC_CERT_VALIDITY_SECONDS, serials are random and ≥ 64 bits', async () => {
    const a = new X509Certificate(Buffer.from(issued.PFnubeNC!.cert, 'base64'));
    const b = new X509Certificate(Buffer.from(issued.PFnubeQAFCiudadano!.cert, 'base64'));
    const from = new Date(a.validFrom).getTime();
    const to = new Date(a.validTo).getTime();
    assert.equal(from % 1000, 0);
    assert.equal(to - from, 3600 * 1000);
    assert.equal(from, T0.getTime());
    // The DER times themselves carry no fraction (UTCTime YYMMDDHHMMSSZ).
    const dump = (await opensslOk(['asn1parse', '-inform', 'DER'], { input: Buffer.from(issued.PFnubeNC!.cert, 'base64') })).stdout;
    assert.match(dump, /UTCTIME\s+:260301100000Z/);
    assert.ok(a.serialNumber.length >= 16, 'serial carries at least 64 bits');
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.equal(a.serialNumber.toLowerCase().replace(/^0+/, ''), issued.PFnubeNC!.serial.replace(/^0+/, ''));
  });

  test('root and issuing CA: a two-level chain with CA constraints (openssl verify)', async () => {
    const r = await opensslOk(['verify', '-CAfile', join(work, 'root.pem'), join(work, 'issuing.pem')]);
    assert.match(r.stdout, /OK/);
    const txt = (await opensslOk(['x509', '-in', join(work, 'issuing.pem'), '-noout', '-text'])).stdout;
    assert.match(txt, /CA:TRUE, pathlen:0/);
    assert.match(txt, /Certificate Sign, CRL Sign/);
  });

  test('the CA persists across a restart on the same data dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsc-restart-'));
    try {
      const a = await startTestTsc({ dir });
      const rootA = (await a.app.inject({ method: 'GET', url: '/pki/root.pem' })).body;
      await a.close();
      const b = await startTestTsc({ dir });
      const rootB = (await b.app.inject({ method: 'GET', url: '/pki/root.pem' })).body;
      // The same key signs after the restart: a new certificate still chains to the old root.
      const pk = await createApprovedRequest(b);
      const r = await otpAndSign(b, pk, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'x') }]);
      await b.close();
      assert.equal(rootA, rootB);
      await writeFile(join(dir, 'root.pem'), rootA);
      await writeFile(join(dir, 'chain.pem'), pemOf(r.chain[0]));
      await writeFile(join(dir, 'ee.pem'), pemOf(r.certificate));
      await opensslOk(['verify', '-attime', attime(new Date(T0.getTime() + 1000)), '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'chain.pem'), join(dir, 'ee.pem')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CA import from files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsc-import-'));
    const o = (args: string[]) => opensslOk(args, { cwd: dir });
    await o(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root.key']);
    await o(['req', '-x509', '-new', '-key', 'root.key', '-subj', '/C=PL/O=Imported/CN=Imported Root', '-days', '3650', '-out', 'root.pem',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await o(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'issuing.key']);
    await o(['req', '-new', '-key', 'issuing.key', '-subj', '/C=PL/O=Imported/CN=Imported Issuing', '-out', 'issuing.csr']);
    await writeFile(join(dir, 'ext.cnf'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    await o(['x509', '-req', '-in', 'issuing.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '3000', '-extfile', 'ext.cnf', '-out', 'issuing.pem']);
    await o(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('an imported root + issuing CA (PKCS#8 key file) issues certificates that chain to it', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const t = await startTestTsc({
      deps: { clock: new ManualClock(now) },
      env: { TSC_CA_ROOT_CERT: join(dir, 'root.pem'), TSC_CA_ISSUING_CERT: join(dir, 'issuing.pem'), TSC_CA_ISSUING_KEY: join(dir, 'issuing.key') },
    });
    try {
      const served = new X509Certificate((await t.app.inject({ method: 'GET', url: '/pki/root.pem' })).body);
      assert.equal(served.subject, 'C=PL\nO=Imported\nCN=Imported Root');
      const pk = await createApprovedRequest(t, { profile: 'PFnubeNC' });
      const r = await otpAndSign(t, pk, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', 'x') }]);
      await writeFile(join(dir, 'ee.pem'), pemOf(r.certificate));
      await opensslOk(['verify', '-attime', attime(new Date(now.getTime() + 1000)), '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem'), join(dir, 'ee.pem')]);
    } finally {
      await t.close();
    }
  });

  test('an issuing key that does not match the issuing certificate stops the start-up', async () => {
    await assert.rejects(
      startTestTsc({ env: { TSC_CA_ROOT_CERT: join(dir, 'root.pem'), TSC_CA_ISSUING_CERT: join(dir, 'issuing.pem'), TSC_CA_ISSUING_KEY: join(dir, 'other.key') } }),
      (e: any) => e.code === 'CA_ERR_NOT_READY',
    );
  });

  test('an "issuing" certificate that is not a CA certificate (cA FALSE) stops the start-up', async () => {
    const o = (args: string[]) => opensslOk(args, { cwd: dir });
    await writeFile(join(dir, 'ee-ext.cnf'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
    await o(['x509', '-req', '-in', 'issuing.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '30', '-extfile', 'ee-ext.cnf', '-out', 'not-ca.pem']);
    await assert.rejects(
      startTestTsc({ env: { TSC_CA_ROOT_CERT: join(dir, 'root.pem'), TSC_CA_ISSUING_CERT: join(dir, 'not-ca.pem'), TSC_CA_ISSUING_KEY: join(dir, 'issuing.key') } }),
      (e: any) => e.code === 'CA_ERR_NOT_READY' && /not a CA certificate/.test(e.message),
    );
  });

  test('an issuing certificate not signed by the root stops the start-up', async () => {
    await assert.rejects(
      startTestTsc({ env: { TSC_CA_ROOT_CERT: join(dir, 'issuing.pem'), TSC_CA_ISSUING_CERT: join(dir, 'issuing.pem'), TSC_CA_ISSUING_KEY: join(dir, 'issuing.key') } }),
      (e: any) => e.code === 'CA_ERR_NOT_READY' && /not signed/.test(e.message),
    );
  });
});
