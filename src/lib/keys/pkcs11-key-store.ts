/**
 * Pkcs11KeyStore: the QSCD key store over a PKCS#11 token (SoftHSM2 in tests and CI, an HSM in
 * production), through pkcs11js (DESIGN.md §1, §5).
 *
 * - Private keys are CKA_SENSITIVE, non-extractable; single-use signer keys are session objects
 *   (CKA_TOKEN false) destroyed explicitly, persistent CA/TSA/OCSP keys are token objects.
 * - CKA_ALWAYS_AUTHENTICATE (PKCS#11 v2.40 §4.9) is set where the token accepts it; each signature
 *   is then preceded by a CKU_CONTEXT_SPECIFIC login, the per-signature authorisation of a QSCD.
 * - ECDSA is CKM_ECDSA over a hash computed here, its r||s converted to DER; RSA is
 *   CKM_SHA*_RSA_PKCS. Slow calls (key generation, signing) use the pkcs11js *Async variants.
 * - Key ids are the hex of CKA_ID, whose first octet records the key purpose.
 * - Sessions: a "key" pool creates, finds and destroys objects and is never recycled (session
 *   objects die with the session that created them); a "sign" pool runs signatures and replaces
 *   a session whose operation state is unknown after an error.
 */
import { createHash, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AppError } from '../../shared/errors.js';
import { ecdsaRawToDer, ecSpki, oidDer, rsaSpki, unwrapEcPoint } from './der-lite.js';
import type { CreateKeyRequest, KeyAlgorithm, KeyHandle, KeyPurpose, KeyStore, SignRequest } from './key-store.js';
import { checkCreateRequest, checkLabel, checkSignRequest, isPersistent, NODE_HASH } from './key-rules.js';
import { SessionPool } from './pkcs11-session-pool.js';

type Handle = pkcs11js.Handle;

export interface Pkcs11KeyStoreOptions {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  modulePath: string;
  /** Token label (CK_TOKEN_INFO.label); the first token with a matching label is used. */
  tokenLabel: string;
  /** User PIN (CKU_USER); also the context-specific PIN for always-authenticate keys. Never logged. */
  pin: string;
  /** Concurrent signing sessions (default 4). */
  signSessions?: number;
  /** Which keys get CKA_ALWAYS_AUTHENTICATE (default 'signer': the single-use keys). */
  alwaysAuthenticate?: 'signer' | 'all' | 'none';
}

const PURPOSE_BYTE: Record<KeyPurpose, number> = { ca: 1, tsa: 2, ocsp: 3, signer: 4 };
const PURPOSE_OF_BYTE = new Map(Object.entries(PURPOSE_BYTE).map(([k, v]) => [v, k as KeyPurpose]));

const CURVES: Record<'EC-P256' | 'EC-P384', { params: Uint8Array; size: number }> = {
  'EC-P256': { params: oidDer('1.2.840.10045.3.1.7'), size: 32 },
  'EC-P384': { params: oidDer('1.3.132.0.34'), size: 48 },
};

const RSA_MECH: Record<SignRequest['hash'], number> = {
  'SHA-256': pkcs11js.CKM_SHA256_RSA_PKCS,
  'SHA-384': pkcs11js.CKM_SHA384_RSA_PKCS,
  'SHA-512': pkcs11js.CKM_SHA512_RSA_PKCS,
};

interface KeyEntry {
  priv: Handle;
  handle: KeyHandle;
  alwaysAuth: boolean;
}

/** One C_Initialize per module per process, shared by every store on it (CKR_CRYPTOKI_ALREADY_INITIALIZED otherwise). */
const libraries = new Map<string, { lib: pkcs11js.PKCS11; refs: number }>();

function acquireLibrary(modulePath: string): pkcs11js.PKCS11 {
  const known = libraries.get(modulePath);
  if (known) {
    known.refs++;
    return known.lib;
  }
  const lib = new pkcs11js.PKCS11();
  lib.load(modulePath);
  try {
    // CKF_OS_LOCKING_OK: the *Async calls reach the module from several threads.
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (e) {
    if (codeOf(e) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
  }
  libraries.set(modulePath, { lib, refs: 1 });
  return lib;
}

function releaseLibrary(modulePath: string): void {
  const known = libraries.get(modulePath);
  if (!known || --known.refs > 0) return;
  libraries.delete(modulePath);
  try {
    known.lib.C_Finalize();
  } catch {
    /* best effort */
  }
}

function codeOf(e: unknown): number | undefined {
  return typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : undefined;
}

function mapError(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e;
  const code = codeOf(e);
  if (code === pkcs11js.CKR_OBJECT_HANDLE_INVALID || code === pkcs11js.CKR_KEY_HANDLE_INVALID)
    return new AppError('KEY_ERR_NOT_FOUND', 'Unknown key', undefined, { cause: e });
  if (code === pkcs11js.CKR_PIN_INCORRECT || code === pkcs11js.CKR_PIN_LOCKED || code === pkcs11js.CKR_TOKEN_NOT_PRESENT || code === pkcs11js.CKR_DEVICE_REMOVED)
    return new AppError('KEY_ERR_UNAVAILABLE', `${what}: token unavailable`, undefined, { cause: e });
  return new AppError('KEY_ERR_OPERATION_FAILED', `${what} failed`, undefined, { cause: e });
}

export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11';
  readonly #lib: pkcs11js.PKCS11;
  readonly #opts: Required<Omit<Pkcs11KeyStoreOptions, 'tokenLabel' | 'modulePath'>> & Pkcs11KeyStoreOptions;
  readonly #keyPool: SessionPool;
  readonly #signPool: SessionPool;
  readonly #keys = new Map<string, KeyEntry>();
  readonly #inflight = new Set<Promise<unknown>>();
  #alwaysAuthSupported = true;
  #closed = false;

  private constructor(lib: pkcs11js.PKCS11, slot: Handle, opts: Pkcs11KeyStoreOptions) {
    this.#lib = lib;
    this.#opts = { signSessions: 4, alwaysAuthenticate: 'signer', ...opts };
    const flags = pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION;
    const open = () => lib.C_OpenSession(slot, flags);
    const close = (s: Handle) => lib.C_CloseSession(s);
    this.#keyPool = new SessionPool(open, close, 2);
    this.#signPool = new SessionPool(open, close, Math.max(1, this.#opts.signSessions));
  }

  /** Loads the module, finds the token by label, opens the sessions and logs the user in. */
  static async open(opts: Pkcs11KeyStoreOptions): Promise<Pkcs11KeyStore> {
    let lib: pkcs11js.PKCS11;
    try {
      lib = acquireLibrary(opts.modulePath);
    } catch (e) {
      throw new AppError('KEY_ERR_UNAVAILABLE', 'PKCS#11 module could not be loaded', undefined, { cause: e });
    }
    let store: Pkcs11KeyStore | undefined;
    try {
      const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === opts.tokenLabel);
      if (!slot) throw new AppError('KEY_ERR_UNAVAILABLE', `No PKCS#11 token labelled ${opts.tokenLabel}`);
      store = new Pkcs11KeyStore(lib, slot, opts);
      try {
        lib.C_Login(store.#keyPool.any, pkcs11js.CKU_USER, opts.pin);
      } catch (e) {
        // Login state is per application and token: another store in this process may have logged in.
        if (codeOf(e) !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw e;
      }
      return store;
    } catch (e) {
      if (store) store.#closePools();
      releaseLibrary(opts.modulePath);
      throw e instanceof AppError ? e : new AppError('KEY_ERR_UNAVAILABLE', 'PKCS#11 login failed', undefined, { cause: e });
    }
  }

  #track<T>(p: Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new AppError('KEY_ERR_UNAVAILABLE', 'Key store is closed'));
    this.#inflight.add(p);
    const done = () => this.#inflight.delete(p);
    p.then(done, done);
    return p;
  }

  createKey(req: CreateKeyRequest): Promise<KeyHandle> {
    return this.#track(this.#createKey(req));
  }

  async #createKey(req: CreateKeyRequest): Promise<KeyHandle> {
    checkCreateRequest(req);
    const persistent = isPersistent(req.purpose);
    const wantAlwaysAuth =
      this.#opts.alwaysAuthenticate === 'all' || (this.#opts.alwaysAuthenticate === 'signer' && req.purpose === 'signer');
    return this.#keyPool.use(async (s) => {
      if (persistent && this.#findObjects(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_LABEL, value: req.label }]).length)
        throw new AppError('KEY_ERR_ALREADY_EXISTS', `A persistent key labelled ${req.label} already exists`);
      const id = Buffer.concat([Buffer.of(PURPOSE_BYTE[req.purpose]), randomBytes(15)]);
      const common = [
        { type: pkcs11js.CKA_TOKEN, value: persistent },
        { type: pkcs11js.CKA_ID, value: id },
        { type: pkcs11js.CKA_LABEL, value: req.label },
      ];
      const ec = req.algorithm === 'EC-P256' || req.algorithm === 'EC-P384';
      const mechanism = { mechanism: ec ? pkcs11js.CKM_EC_KEY_PAIR_GEN : pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN };
      const pub = [
        ...common,
        { type: pkcs11js.CKA_VERIFY, value: true },
        ...(ec
          ? [{ type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(CURVES[req.algorithm as 'EC-P256'].params) }]
          : [
              { type: pkcs11js.CKA_MODULUS_BITS, value: req.algorithm === 'RSA-2048' ? 2048 : 3072 },
              { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
            ]),
      ];
      const priv = [
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
      ];
      let alwaysAuth = wantAlwaysAuth && this.#alwaysAuthSupported;
      let kp: pkcs11js.KeyPair;
      try {
        kp = await this.#lib.C_GenerateKeyPairAsync(s, mechanism, pub, alwaysAuth ? [...priv, { type: pkcs11js.CKA_ALWAYS_AUTHENTICATE, value: true }] : priv);
      } catch (e) {
        const c = codeOf(e);
        if (!alwaysAuth || (c !== pkcs11js.CKR_ATTRIBUTE_TYPE_INVALID && c !== pkcs11js.CKR_ATTRIBUTE_VALUE_INVALID && c !== pkcs11js.CKR_TEMPLATE_INCONSISTENT))
          throw mapError(e, 'Key generation');
        // The token does not support CKA_ALWAYS_AUTHENTICATE: generate without it, remember that.
        this.#alwaysAuthSupported = false;
        alwaysAuth = false;
        kp = await this.#lib.C_GenerateKeyPairAsync(s, mechanism, pub, priv).catch((e2: unknown) => {
          throw mapError(e2, 'Key generation');
        });
      }
      try {
        const spki = this.#publicSpki(s, req.algorithm, kp.publicKey);
        // Signer keys need no public object once the SPKI is known; persistent ones keep it for findKey.
        if (!persistent) this.#lib.C_DestroyObject(s, kp.publicKey);
        if (this.#closed) throw new AppError('KEY_ERR_UNAVAILABLE', 'Key store is closed');
        const handle: KeyHandle = Object.freeze({ id: id.toString('hex'), algorithm: req.algorithm, purpose: req.purpose, label: req.label, publicKeySpki: spki });
        this.#keys.set(handle.id, { priv: kp.privateKey, handle, alwaysAuth });
        return handle;
      } catch (e) {
        for (const o of [kp.privateKey, kp.publicKey]) {
          try {
            this.#lib.C_DestroyObject(s, o);
          } catch {
            /* already destroyed */
          }
        }
        throw mapError(e, 'Key generation');
      }
    });
  }

  #publicSpki(s: Handle, algorithm: KeyAlgorithm, pubOrPriv: Handle): Uint8Array {
    if (algorithm === 'EC-P256' || algorithm === 'EC-P384') {
      const [point] = this.#lib.C_GetAttributeValue(s, pubOrPriv, [{ type: pkcs11js.CKA_EC_POINT }]);
      return ecSpki(CURVES[algorithm].params, unwrapEcPoint(new Uint8Array(point!.value as Buffer)));
    }
    const [n, e] = this.#lib.C_GetAttributeValue(s, pubOrPriv, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
    return rsaSpki(new Uint8Array(n!.value as Buffer), new Uint8Array(e!.value as Buffer));
  }

  #findObjects(s: Handle, template: pkcs11js.Template): Handle[] {
    this.#lib.C_FindObjectsInit(s, template);
    try {
      const out: Handle[] = [];
      for (;;) {
        const batch = this.#lib.C_FindObjects(s, 64);
        if (!batch.length) return out;
        out.push(...batch);
      }
    } finally {
      this.#lib.C_FindObjectsFinal(s);
    }
  }

  /** Rebuilds the entry of a private key object found on the token. */
  #entryFor(s: Handle, priv: Handle): KeyEntry {
    const attrs = this.#lib.C_GetAttributeValue(s, priv, [
      { type: pkcs11js.CKA_ID },
      { type: pkcs11js.CKA_LABEL },
      { type: pkcs11js.CKA_KEY_TYPE },
      { type: pkcs11js.CKA_ALWAYS_AUTHENTICATE },
    ]);
    const id = attrs[0]!.value as Buffer;
    const label = (attrs[1]!.value as Buffer).toString('utf8');
    const keyType = (attrs[2]!.value as Buffer).readUInt32LE(0); // CK_ULONG, little-endian on the platforms we run on
    const alwaysAuth = (attrs[3]!.value as Buffer)[0] === 1;
    let algorithm: KeyAlgorithm;
    let spki: Uint8Array;
    if (keyType === pkcs11js.CKK_EC) {
      const [pub] = this.#findObjects(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_ID, value: id }]);
      if (!pub) throw new AppError('KEY_ERR_OPERATION_FAILED', `Public key of ${label} is missing from the token`);
      const [params] = this.#lib.C_GetAttributeValue(s, pub, [{ type: pkcs11js.CKA_EC_PARAMS }]);
      const p = Buffer.from(params!.value as Buffer).toString('hex');
      algorithm = p === Buffer.from(CURVES['EC-P256'].params).toString('hex') ? 'EC-P256' : p === Buffer.from(CURVES['EC-P384'].params).toString('hex') ? 'EC-P384' : (() => {
        throw new AppError('KEY_ERR_OPERATION_FAILED', `Key ${label} is on an unsupported curve`);
      })();
      spki = this.#publicSpki(s, algorithm, pub);
    } else if (keyType === pkcs11js.CKK_RSA) {
      const [bits] = this.#lib.C_GetAttributeValue(s, priv, [{ type: pkcs11js.CKA_MODULUS }]);
      const len = (bits!.value as Buffer).length * 8;
      if (len !== 2048 && len !== 3072) throw new AppError('KEY_ERR_OPERATION_FAILED', `Key ${label} has an unsupported size`);
      algorithm = len === 2048 ? 'RSA-2048' : 'RSA-3072';
      spki = this.#publicSpki(s, algorithm, priv);
    } else throw new AppError('KEY_ERR_OPERATION_FAILED', `Key ${label} has an unsupported type`);
    const purpose = PURPOSE_OF_BYTE.get(id[0]!) ?? 'ca';
    const handle: KeyHandle = Object.freeze({ id: id.toString('hex'), algorithm, purpose, label, publicKeySpki: spki });
    return { priv, handle, alwaysAuth };
  }

  /** Cached entry, or the private key with this CKA_ID found on the token (e.g. after a restart). */
  async #resolve(keyId: string): Promise<KeyEntry> {
    const hit = this.#keys.get(keyId);
    if (hit) return hit;
    // Our ids are 16 octets; keys imported into the token by other tools may use any CKA_ID.
    if (!/^([0-9a-f]{2}){1,64}$/.test(keyId)) throw new AppError('KEY_ERR_NOT_FOUND', 'Unknown key');
    return this.#keyPool.use((s) => {
      const [priv] = this.#findObjects(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(keyId, 'hex') }]);
      if (!priv) throw new AppError('KEY_ERR_NOT_FOUND', 'Unknown key');
      const entry = this.#entryFor(s, priv);
      this.#keys.set(keyId, entry);
      return entry;
    });
  }

  findKey(label: string): Promise<KeyHandle | null> {
    return this.#track(
      (async () => {
        checkLabel(label);
        for (const e of this.#keys.values()) if (isPersistent(e.handle.purpose) && e.handle.label === label) return e.handle;
        return this.#keyPool.use((s) => {
          const [priv] = this.#findObjects(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_LABEL, value: label }]);
          if (!priv) return null;
          const entry = this.#entryFor(s, priv);
          this.#keys.set(entry.handle.id, entry);
          return entry.handle;
        });
      })().catch((e: unknown) => {
        throw mapError(e, 'Key lookup');
      }),
    );
  }

  sign(req: SignRequest): Promise<Uint8Array> {
    return this.#track(this.#sign(req));
  }

  async #sign(req: SignRequest): Promise<Uint8Array> {
    checkSignRequest(req);
    const entry = await this.#resolve(req.keyId);
    const ec = entry.handle.algorithm === 'EC-P256' || entry.handle.algorithm === 'EC-P384';
    const input = ec ? createHash(NODE_HASH[req.hash]).update(req.data).digest() : Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
    const raw = await this.#signPool.use(async (s) => {
      try {
        this.#lib.C_SignInit(s, { mechanism: ec ? pkcs11js.CKM_ECDSA : RSA_MECH[req.hash] }, entry.priv);
        if (entry.alwaysAuth) this.#lib.C_Login(s, pkcs11js.CKU_CONTEXT_SPECIFIC, this.#opts.pin);
        return await this.#lib.C_SignAsync(s, input, Buffer.alloc(512));
      } catch (e) {
        // The session may be left with an active operation: have the pool replace it.
        const err = mapError(e, 'Signing');
        Object.assign(err, { brokenSession: true });
        throw err;
      }
    });
    return ec ? ecdsaRawToDer(new Uint8Array(raw)) : new Uint8Array(raw);
  }

  destroyKey(keyId: string): Promise<void> {
    return this.#track(
      (async () => {
        const entry = await this.#resolve(keyId);
        await this.#keyPool.use((s) => {
          const pubs = isPersistent(entry.handle.purpose)
            ? this.#findObjects(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(keyId, 'hex') }])
            : [];
          this.#keys.delete(keyId);
          this.#lib.C_DestroyObject(s, entry.priv);
          for (const p of pubs) this.#lib.C_DestroyObject(s, p);
        });
      })().catch((e: unknown) => {
        throw mapError(e, 'Key destruction');
      }),
    );
  }

  countKeys(): Promise<number> {
    return this.#track(this.#keyPool.use((s) => this.#findObjects(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]).length));
  }

  /** Whether signer keys carry CKA_ALWAYS_AUTHENTICATE on this token (false after a token refused it). */
  get alwaysAuthenticateSupported(): boolean {
    return this.#alwaysAuthSupported;
  }

  #closePools(): void {
    this.#signPool.close();
    this.#keyPool.close();
  }

  /** Waits for running operations, then closes the sessions: remaining session objects (signer keys) vanish with them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inflight]);
    this.#keys.clear();
    this.#closePools();
    releaseLibrary(this.#opts.modulePath);
  }
}
