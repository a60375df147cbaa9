/** The KeyStore implementations the contract suite runs over, each over fresh temp storage. */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { Pkcs11KeyStore, SoftKeyStore, type KeyHandle, type KeyPersistence, type KeyStore } from '../../../src/lib/keys/index.js';
import { createSoftHsmToken } from '../../support/softhsm.js';
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
  {
    name: 'Pkcs11KeyStore (SoftHSM2)',
    async create() {
      const token = await createSoftHsmToken();
      const opts = { modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin };
      return {
        open: () => Pkcs11KeyStore.open(opts),
        tryExtractPrivateKey: (_store, key) => pkcs11ReadPrivateValue(token.modulePath, token.tokenLabel, token.pin, key),
        cleanup: () => token.cleanup(),
      };
    },
  },
];

/**
 * Opens its own session on the token (the same application, so the store's session objects
 * are visible), finds the private key by CKA_ID and asks for its secret value (CKA_VALUE for EC,
 * CKA_PRIVATE_EXPONENT for RSA). The token must refuse with CKR_ATTRIBUTE_SENSITIVE, and the
 * key must be marked sensitive and never extractable.
 */
export async function pkcs11ReadPrivateValue(modulePath: string, tokenLabel: string, pin: string, key: KeyHandle): Promise<'refused' | Uint8Array> {
  const lib = new pkcs11js.PKCS11();
  lib.load(modulePath);
  try {
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
  }
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === tokenLabel)!;
  const s = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
  try {
    try {
      lib.C_Login(s, pkcs11js.CKU_USER, pin);
    } catch (e) {
      if ((e as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw e;
    }
    lib.C_FindObjectsInit(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(key.id, 'hex') }]);
    const [priv] = lib.C_FindObjects(s, 2);
    lib.C_FindObjectsFinal(s);
    if (!priv) throw new Error('the private key object is not on the token');
    const flags = lib.C_GetAttributeValue(s, priv, [
      { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_NEVER_EXTRACTABLE }, { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
    ]).map((a) => (a.value as Buffer)[0]);
    if (flags.join() !== '1,0,1,1') throw new Error(`key attributes sensitive/extractable/never/always = ${flags.join()}`);
    const secret = key.algorithm.startsWith('EC') ? pkcs11js.CKA_VALUE : pkcs11js.CKA_PRIVATE_EXPONENT;
    try {
      const [v] = lib.C_GetAttributeValue(s, priv, [{ type: secret }]);
      return new Uint8Array(v!.value as Buffer);
    } catch (e) {
      if ((e as { code?: number }).code === pkcs11js.CKR_ATTRIBUTE_SENSITIVE) return 'refused';
      throw e;
    }
  } finally {
    lib.C_CloseSession(s);
  }
}

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
