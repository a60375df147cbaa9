/**
 * The signing port the CMS, X.509, TSP, OCSP and CRL builders sign through, so that a key held
 * in an HSM (lib/keys Pkcs11KeyStore) signs without ever leaving it.
 */
import type { HashAlgorithm, KeyHandle, KeyStore } from '../keys/key-store.js';

export type DigestAlgorithmName = 'sha256' | 'sha384' | 'sha512';
export type CmsKeyAlgorithm = 'EC-P256' | 'EC-P384' | 'RSA-2048' | 'RSA-3072';

export interface CmsSigner {
  readonly keyAlgorithm: CmsKeyAlgorithm;
  /**
   * Signs `data` (the signer hashes it with `hash`). ECDSA results are DER Ecdsa-Sig-Value
   * (RFC 5480 / X9.62); RSA results are PKCS#1 v1.5 (RFC 8017 §8.2).
   */
  sign(data: Uint8Array, hash: DigestAlgorithmName): Promise<Uint8Array>;
}

const KEYSTORE_HASH: Record<DigestAlgorithmName, HashAlgorithm> = {
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
};

/** A CmsSigner that signs with a key held in a KeyStore. */
export function keyStoreSigner(store: KeyStore, key: Pick<KeyHandle, 'id' | 'algorithm'>): CmsSigner {
  return {
    keyAlgorithm: key.algorithm,
    sign: (data, hash) => store.sign({ keyId: key.id, data, hash: KEYSTORE_HASH[hash] }),
  };
}
