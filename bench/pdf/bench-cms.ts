/**
 * A real PAdES CMS for the benchmark's finish step, built from the prepared digest only with
 * lib/cms and a key/certificate made by the openssl CLI. Signing is the TSC's job; it is timed
 * separately and is tiny next to the PDF work.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { assembleSignedData, encodeSignedAttributes } from '../../src/lib/cms/index.js';

const derOfPem = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');

export function benchCms(digest: Uint8Array, certPath: string, keyPath: string): Uint8Array {
  const cert = derOfPem(readFileSync(certPath, 'latin1'));
  const signedAttributes = encodeSignedAttributes({ profile: 'pades', digestAlgorithm: 'sha256', messageDigest: digest, signerCertificate: cert });
  const signature = sign('sha256', signedAttributes, { key: createPrivateKey(readFileSync(keyPath)), dsaEncoding: 'der' });
  return assembleSignedData({ signedAttributes, signature, signerCertificate: cert, certificates: [], digestAlgorithm: 'sha256', keyAlgorithm: 'EC-P256' });
}
