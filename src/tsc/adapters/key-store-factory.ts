/** Opens the configured QSCD key store: SoftKeyStore (embedded default) or PKCS#11. */
import { join } from 'node:path';
import { SoftKeyStore, type KeyPersistence } from '../../lib/keys/index.js';
import type { KeyStore } from '../../lib/keys/key-store.js';
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
  // Loaded on demand so the embedded default never needs the native PKCS#11 binding.
  const keys = (await import('../../lib/keys/index.js')) as Record<string, unknown>;
  const Pkcs11KeyStore = keys.Pkcs11KeyStore as
    | { open(opts: { module: string; tokenLabel: string; pin: string }): Promise<KeyStore> }
    | undefined;
  if (!Pkcs11KeyStore) throw new Error('TSC_KEYSTORE=pkcs11: this build has no Pkcs11KeyStore');
  const { module, tokenLabel, pin } = config.keyStore;
  return { keyStore: await Pkcs11KeyStore.open({ module, tokenLabel, pin }), persistence: null };
}
