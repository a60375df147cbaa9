/**
 * Single-use signer keys (DESIGN.md §5, §6): EC keys are generated in the key store per request
 * (microseconds in an HSM); RSA keys are taken from a pre-generated pool when one is wired, so RSA
 * key generation stays off the request path. Every key is destroyed after its request's digests.
 */
import { randomBytes } from 'node:crypto';
import type { KeyAlgorithm, KeyHandle, KeyStore } from '../../lib/keys/key-store.js';
import type { SignerKeySource } from '../domain/ports.js';

/** The part of lib/keys' KeyPool this adapter uses. */
export interface RsaKeyPool {
  take(algorithm: KeyAlgorithm): Promise<KeyHandle>;
}

export class KeyStoreSignerKeys implements SignerKeySource {
  constructor(private readonly store: KeyStore, private readonly rsaPool: RsaKeyPool | null = null) {}

  acquire(algorithm: KeyAlgorithm): Promise<KeyHandle> {
    if (algorithm.startsWith('RSA') && this.rsaPool) return this.rsaPool.take(algorithm);
    // The label is not identity data: just a random tag to tell keys apart in a token dump.
    return this.store.createKey({ algorithm, purpose: 'signer', label: `single-use-${randomBytes(6).toString('hex')}` });
  }

  destroy(key: KeyHandle): Promise<void> {
    return this.store.destroyKey(key.id);
  }
}
