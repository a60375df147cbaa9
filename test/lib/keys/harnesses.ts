/** The KeyStore implementations the contract suite runs over, each over fresh temp storage. */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SoftKeyStore, type KeyHandle, type KeyPersistence, type KeyStore } from '../../../src/lib/keys/index.js';
import { tempDir } from '../../support/openssl.js';

export interface KeyStoreHarness {
  /** Opens a store over the harness's storage (a second open sees the persistent keys of the first). */
  open(): Promise<KeyStore>;
  /** Tries every way the implementation offers to read the private key: 'refused' or the bytes. */
  tryExtractPrivateKey(store: KeyStore, key: KeyHandle): Promise<'refused' | Uint8Array>;
  cleanup(): Promise<void>;
}

export const keyStoreHarnesses: { name: string; create(): Promise<KeyStoreHarness> }[] = [
  {
    name: 'SoftKeyStore',
    async create() {
      const t = await tempDir();
      return {
        open: async () => new SoftKeyStore({ persistence: fsPersistence(t.dir) }),
        async tryExtractPrivateKey(store, key) {
          // Private keys sit in an ECMAScript private field: nothing reachable from the public
          // surface of the store or the handle may be private key material.
          const { KeyObject } = await import('node:crypto');
          const seen = new Set<unknown>();
          const walk = (v: unknown): Uint8Array | null => {
            if (v === null || typeof v !== 'object' || seen.has(v)) return null;
            seen.add(v);
            if (v instanceof KeyObject && v.type === 'private') return new Uint8Array(v.export({ type: 'pkcs8', format: 'der' }));
            for (const k of Reflect.ownKeys(v)) {
              const r = walk((v as Record<string | symbol, unknown>)[k]);
              if (r) return r;
            }
            return null;
          };
          return walk(store) ?? walk(key) ?? 'refused';
        },
        cleanup: () => t.cleanup(),
      };
    },
  },
];

/** A file-per-label KeyPersistence, as the TSC keeps it in its data dir. */
export function fsPersistence(dir: string): KeyPersistence {
  return {
    async load(label) {
      try {
        return new Uint8Array(await readFile(join(dir, `${label}.p8`)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async save(label, der) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${label}.p8`), der, { flag: 'wx', mode: 0o600 });
    },
    async remove(label) {
      await rm(join(dir, `${label}.p8`), { force: true });
    },
  };
}
