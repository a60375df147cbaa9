/**
 * Test-only CMS signer and TSA for the PDF engine tests, built on the openssl CLI (independent
 * of lib/cms): a test PKI (root CA, signer without AIA so pdfsig does not try OCSP — ecosystem
 * notes §8 — and a TSA), detached CMS over the ByteRange bytes, RFC 3161 tokens, and an NSS db
 * trusting the root for pdfsig.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshTempDir, runOk } from './pdf-tools.js';

export interface TestPki {
  dir: string;
  rootPem: string;
  eePem: string;
  eeKey: string;
  /** A second signer: pdfsig 22.12 reports "Unknown issue with Certificate" when the same
   * certificate is validated twice in one run (ecosystem notes §8 c), so consecutive
   * signatures in one file alternate signers. */
  ee2Pem: string;
  ee2Key: string;
  tsaPem: string;
  tsaKey: string;
  tsaConfig: string;
  nssDir: string;
  /** DER of the signer and root certificates (for DSS tests). */
  eeDer: Buffer;
  rootDer: Buffer;
}

let cached: TestPki | undefined;

export function testPki(): TestPki {
  if (cached) return cached;
  const dir = freshTempDir('pdf-pki');
  const p = (n: string) => join(dir, n);
  writeFileSync(
    p('ext.cnf'),
    [
      '[root]',
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      '[ee]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,nonRepudiation',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '[tsa]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=critical,timeStamping',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  const key = (name: string) => runOk('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p(name)]);
  key('root.key');
  key('ee.key');
  key('ee2.key');
  key('tsa.key');
  runOk('openssl', ['req', '-x509', '-new', '-key', p('root.key'), '-subj', '/CN=OneShot PDF Test Root/O=OneShot Tests', '-days', '3650', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', p('root.pem')]);
  const issue = (name: string, subj: string, ext: string) => {
    runOk('openssl', ['req', '-new', '-key', p(`${name}.key`), '-subj', subj, '-out', p(`${name}.csr`)]);
    runOk('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('root.pem'), '-CAkey', p('root.key'), '-set_serial', String(Date.now() % 1e9 + name.length), '-days', '365', '-sha256', '-extfile', p('ext.cnf'), '-extensions', ext, '-out', p(`${name}.pem`)]);
  };
  issue('ee', '/CN=Jane Test Signer/O=OneShot Tests/C=ES', 'ee');
  issue('ee2', '/CN=John Second Signer/O=OneShot Tests/C=ES', 'ee');
  issue('tsa', '/CN=OneShot Test TSA/O=OneShot Tests', 'tsa');
  writeFileSync(p('tsaserial'), '01\n');
  writeFileSync(
    p('ts.cnf'),
    [
      '[tsa]',
      'default_tsa = tsa_config',
      '[tsa_config]',
      `dir = ${dir}`,
      'serial = $dir/tsaserial',
      'crypto_device = builtin',
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'ordering = yes',
      'tsa_name = no',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  const nssDir = join(dir, 'nss');
  runOk('mkdir', ['-p', nssDir]);
  runOk('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
  runOk('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'oneshot-test-root', '-t', 'CT,C,C', '-i', p('root.pem')]);
  const der = (pem: string) => Buffer.from(readFileSync(pem, 'latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  cached = {
    dir,
    rootPem: p('root.pem'),
    eePem: p('ee.pem'),
    eeKey: p('ee.key'),
    ee2Pem: p('ee2.pem'),
    ee2Key: p('ee2.key'),
    tsaPem: p('tsa.pem'),
    tsaKey: p('tsa.key'),
    tsaConfig: p('ts.cnf'),
    nssDir,
    eeDer: der(p('ee.pem')),
    rootDer: der(p('root.pem')),
  };
  return cached;
}

let counter = 0;

/**
 * Detached CAdES CMS (openssl `cms -sign -cades`: signing-certificate-v2) over the bytes in
 * `contentPath` (the ByteRange bytes), DER. Includes the signer and root certificates.
 */
export function opensslCmsSign(contentPath: string, md: 'sha256' | 'sha384' | 'sha512' = 'sha256', signer: 0 | 1 = 0): Buffer {
  const pki = testPki();
  const out = join(pki.dir, `sig-${process.pid}-${counter++}.der`);
  const [cert, key] = signer === 0 ? [pki.eePem, pki.eeKey] : [pki.ee2Pem, pki.ee2Key];
  runOk('openssl', ['cms', '-sign', '-binary', '-cades', '-nosmimecap', '-md', md, '-outform', 'DER', '-in', contentPath, '-signer', cert, '-inkey', key, '-certfile', pki.rootPem, '-out', out]);
  return readFileSync(out);
}

/** An RFC 3161 TimeStampToken (DER ContentInfo) over the bytes in `contentPath`. */
export function opensslTimestampToken(contentPath: string): Buffer {
  const pki = testPki();
  const n = counter++;
  const q = join(pki.dir, `ts-${process.pid}-${n}.tsq`);
  const t = join(pki.dir, `ts-${process.pid}-${n}.tst`);
  runOk('openssl', ['ts', '-query', '-data', contentPath, '-sha256', '-cert', '-no_nonce', '-out', q]);
  runOk('openssl', ['ts', '-reply', '-config', pki.tsaConfig, '-queryfile', q, '-signer', pki.tsaPem, '-inkey', pki.tsaKey, '-chain', pki.rootPem, '-token_out', '-out', t]);
  return readFileSync(t);
}

/** `openssl ts -verify` of a token over the bytes in `contentPath`. */
export function opensslTsVerify(token: Uint8Array, contentPath: string): boolean {
  const pki = testPki();
  const t = join(pki.dir, `verify-${process.pid}-${counter++}.tst`);
  writeFileSync(t, token);
  try {
    const out = runOk('openssl', ['ts', '-verify', '-token_in', '-in', t, '-data', contentPath, '-CAfile', pki.rootPem, '-untrusted', pki.tsaPem]);
    return /Verification: OK/.test(out);
  } catch {
    return false;
  }
}

/** A DER CRL issued by the test root (empty: nothing revoked). */
export function opensslCrl(): Buffer {
  const pki = testPki();
  const d = pki.dir;
  writeFileSync(join(d, 'crlnumber'), '01\n');
  writeFileSync(join(d, 'crl-index.txt'), '');
  writeFileSync(
    join(d, 'ca.cnf'),
    ['[ca]', 'default_ca = CA_default', '[CA_default]', `database = ${d}/crl-index.txt`, `crlnumber = ${d}/crlnumber`, 'default_md = sha256', 'default_crl_days = 30', `certificate = ${pki.rootPem}`, `private_key = ${d}/root.key`, ''].join('\n'),
  );
  const pem = join(d, `crl-${counter++}.pem`);
  runOk('openssl', ['ca', '-gencrl', '-config', join(d, 'ca.cnf'), '-out', pem]);
  const der = `${pem}.der`;
  runOk('openssl', ['crl', '-in', pem, '-outform', 'DER', '-out', der]);
  return readFileSync(der);
}

/** A DER OCSPResponse from the test root saying the first signer certificate is good. */
export function opensslOcspResponse(): Buffer {
  const pki = testPki();
  const d = pki.dir;
  const serial = runOk('openssl', ['x509', '-in', pki.eePem, '-noout', '-serial']).trim().split('=')[1]!;
  const subject = '/C=ES/O=OneShot Tests/CN=Jane Test Signer';
  writeFileSync(join(d, 'ocsp-index.txt'), `V\t351231235959Z\t\t${serial}\tunknown\t${subject}\n`);
  const n = counter++;
  const req = join(d, `ocsp-${n}.req`);
  const resp = join(d, `ocsp-${n}.resp`);
  runOk('openssl', ['ocsp', '-issuer', pki.rootPem, '-cert', pki.eePem, '-no_nonce', '-reqout', req]);
  runOk('openssl', ['ocsp', '-index', join(d, 'ocsp-index.txt'), '-rsigner', pki.rootPem, '-rkey', join(d, 'root.key'), '-CA', pki.rootPem, '-reqin', req, '-respout', resp, '-ndays', '7']);
  return readFileSync(resp);
}
