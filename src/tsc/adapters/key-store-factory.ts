/** Opens the configured QSCD key store: SoftKeyStore (embedded default) or PKCS#11. */
import { join } from 'node:path';
import { KeyPool, Pkcs11KeyStore, SoftKeyStore, type KeyPersistence } from '../../lib/keys/index.js';
import type { KeyAlgorithm, KeyStore } from '../../lib/keys/key-store.js';
import type { TscConfig } from '../config.js';
import { FileKeyPersistence } from './file-key-persistence.js';

export interface OpenedKeyStore {
  keyStore: KeyStore;
  /** Where soft persistent keys live (null for PKCS#11: keys stay in the token). */
  persistence: KeyPersistence | null;
}

export async function openKeyStore(config: TscConfig): Promise<OpenedKeyStore> {
  if (config.keyStore.kind === 'soft') {
    const persistence = new FileKeyPersistence(join(config.tscDir, 'keys'));
    return { keyStore: new SoftKeyStore({ persistence }), persistence };
  }
  const { module, tokenLabel, pin } = config.keyStore;
  return { keyStore: await Pkcs11KeyStore.open({ modulePath: module, tokenLabel, pin }), persistence: null };
}

/**
 * A pool of pre-generated RSA signer keys for the profiles configured with RSA (DESIGN.md §6);
 * null when every profile uses EC keys, which are generated on demand.
 */
export function openRsaPool(config: TscConfig, keyStore: KeyStore): KeyPool | null {
  const sizes: Partial<Record<KeyAlgorithm, number>> = {};
  for (const alg of Object.values(config.profileKeyAlgorithms)) {
    if (alg?.startsWith('RSA') && config.rsaPoolSize > 0) sizes[alg] = config.rsaPoolSize;
  }
  return Object.keys(sizes).length ? new KeyPool({ store: keyStore, sizes, label: 'pooled-signer' }) : null;
}
