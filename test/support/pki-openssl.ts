/**
 * A test PKI built with the openssl CLI, independent of our own X.509 builder: a root CA and
 * end-entity certificates for public keys held in a KeyStore. Used to test the CMS code against
 * certificates we did not produce.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fromPem, opensslOk, toPem } from './openssl.js';

export interface OpensslCa {
  dir: string;
  rootPem: string;
  rootDer: Uint8Array;
  rootKeyPath: string;
  rootCertPath: string;
}

export async function opensslRootCa(dir: string, keyAlg: 'ec' | 'rsa' = 'ec'): Promise<OpensslCa> {
  const keyPath = `${dir}/root.key`;
  const certPath = `${dir}/root.pem`;
  const keyOpts = keyAlg === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  await opensslOk([
    'req', '-x509', ...keyOpts, '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '3', '-subj', '/C=ES/O=One-Shot Test/CN=OpenSSL Test Root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const rootPem = await readFile(certPath, 'utf8');
  return { dir, rootPem, rootDer: fromPem(rootPem), rootKeyPath: keyPath, rootCertPath: certPath };
}

/** Certifies `spki` (DER) under the root; nonRepudiation signer certificate. Returns the DER. */
export async function opensslIssue(ca: OpensslCa, spki: Uint8Array, name: string): Promise<Uint8Array> {
  const d = ca.dir;
  await opensslOk(['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${d}/${name}.dummy.key`]);
  await opensslOk(['req', '-new', '-key', `${d}/${name}.dummy.key`, '-subj', `/C=ES/CN=${name}`, '-out', `${d}/${name}.csr`]);
  await writeFile(`${d}/${name}.pub.pem`, toPem(spki, 'PUBLIC KEY'));
  await writeFile(`${d}/${name}.ext`, 'basicConstraints=CA:FALSE\nkeyUsage=critical,nonRepudiation,digitalSignature\n');
  await opensslOk([
    'x509', '-req', '-in', `${d}/${name}.csr`, '-CA', ca.rootCertPath, '-CAkey', ca.rootKeyPath, '-force_pubkey', `${d}/${name}.pub.pem`,
    '-set_serial', `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(9))).toString('hex').replace(/^./, '1')}`,
    '-days', '2', '-extfile', `${d}/${name}.ext`, '-out', `${d}/${name}.pem`,
  ]);
  return fromPem(await readFile(`${d}/${name}.pem`, 'utf8'));
}

export interface OpensslTsa {
  configPath: string;
  certPath: string;
  certDer: Uint8Array;
  policy: string;
}

/**
 * An RFC 3161 TSA run by `openssl ts -reply` (an independent implementation), with a TSA
 * certificate (critical EKU timeStamping) issued by `ca`.
 */
export async function opensslTsa(ca: OpensslCa, policy = '1.2.3.4.1'): Promise<OpensslTsa> {
  const d = ca.dir;
  await opensslOk(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${d}/ossl-tsa.key`, '-subj', '/C=ES/CN=OpenSSL Test TSA', '-out', `${d}/ossl-tsa.csr`]);
  await writeFile(`${d}/ossl-tsa.ext`, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n');
  await opensslOk(['x509', '-req', '-in', `${d}/ossl-tsa.csr`, '-CA', ca.rootCertPath, '-CAkey', ca.rootKeyPath, '-set_serial', '0x1234567890abcdef01', '-days', '2', '-extfile', `${d}/ossl-tsa.ext`, '-out', `${d}/ossl-tsa.pem`]);
  await writeFile(`${d}/tsaserial`, '01\n');
  const configPath = `${d}/ossl-tsa.cnf`;
  await writeFile(configPath, [
    '[ tsa ]', 'default_tsa = tsa1', '[ tsa1 ]', `serial = ${d}/tsaserial`, 'crypto_device = builtin', `signer_cert = ${d}/ossl-tsa.pem`,
    `signer_key = ${d}/ossl-tsa.key`, 'signer_digest = sha256', `default_policy = ${policy}`, 'digests = sha256, sha384, sha512',
    'accuracy = secs:1, millisecs:500', 'clock_precision_digits = 0', 'ordering = no', 'tsa_name = yes', 'ess_cert_id_alg = sha256', '',
  ].join('\n'));
  return { configPath, certPath: `${d}/ossl-tsa.pem`, certDer: fromPem(await readFile(`${d}/ossl-tsa.pem`, 'utf8')), policy };
}
