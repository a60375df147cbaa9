export * from './key-store.js';
export { SoftKeyStore, type KeyPersistence, type SoftKeyStoreOptions } from './soft-key-store.js';
export { KEY_ALGORITHMS, HASH_ALGORITHMS } from './key-rules.js';
export { Pkcs11KeyStore, type Pkcs11KeyStoreOptions } from './pkcs11-key-store.js';
export { KeyPool, type KeyPoolOptions } from './key-pool.js';
