/** Signature checks with node:crypto, used to catch key/certificate mismatches before anything leaves the builders. */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import type { DigestAlgorithmName } from './signer.js';

/** Verifies an ECDSA (DER Ecdsa-Sig-Value) or RSA PKCS#1 v1.5 signature with a DER SubjectPublicKeyInfo. */
export function verifyRaw(spki: Uint8Array, data: Uint8Array, signature: Uint8Array, hash: DigestAlgorithmName): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return cryptoVerify(hash, data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key, signature);
  } catch {
    return false;
  }
}
