/**
 * SoftKeyStore: the embedded-default QSCD stand-in over node:crypto KeyObjects (DESIGN.md §4).
 * Private keys live in a private field and are never returned; signer keys are memory-only and
 * gone once destroyed; persistent keys (ca/tsa/ocsp) go through an optional persistence port as
 * PKCS#8, so this library does no I/O itself. Key generation and signing use the async
 * node:crypto APIs, which run on the libuv pool, off the event loop (DESIGN.md §6).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { CreateKeyRequest, KeyAlgorithm, KeyHandle, KeyPurpose, KeyStore, SignRequest } from './key-store.js';
import { checkCreateRequest, checkLabel, checkSignRequest, isPersistent, NODE_HASH } from './key-rules.js';
import { purposeOf, withPurpose } from './pkcs8-purpose.js';

/** Where persistent keys are kept between restarts; implemented by the service (files, a vault...). */
export interface KeyPersistence {
  load(label: string): Promise<Uint8Array | null>;
  save(label: string, pkcs8Der: Uint8Array): Promise<void>;
  remove(label: string): Promise<void>;
}

export interface SoftKeyStoreOptions {
  /** Without it, persistent keys only live as long as the process. */
  persistence?: KeyPersistence;
}

interface Entry {
  key: KeyObject;
  handle: KeyHandle;
}

function generate(algorithm: KeyAlgorithm): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _pub: KeyObject, priv: KeyObject) => (err ? reject(err) : resolve(priv));
    if (algorithm === 'EC-P256' || algorithm === 'EC-P384')
      generateKeyPair('ec', { namedCurve: algorithm === 'EC-P256' ? 'P-256' : 'P-384' }, done);
    else generateKeyPair('rsa', { modulusLength: algorithm === 'RSA-2048' ? 2048 : 3072, publicExponent: 0x10001 }, done);
  });
}

function algorithmOf(key: KeyObject): KeyAlgorithm {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'prime256v1') return 'EC-P256';
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'secp384r1') return 'EC-P384';
  if (key.asymmetricKeyType === 'rsa' && d?.modulusLength === 2048) return 'RSA-2048';
  if (key.asymmetricKeyType === 'rsa' && d?.modulusLength === 3072) return 'RSA-3072';
  throw new AppError('KEY_ERR_OPERATION_FAILED', 'Stored key has an unsupported algorithm');
}

export class SoftKeyStore implements KeyStore {
  readonly kind = 'soft';
  readonly #keys = new Map<string, Entry>();
  readonly #persistence: KeyPersistence | undefined;
  #closed = false;

  constructor(options: SoftKeyStoreOptions = {}) {
    this.#persistence = options.persistence;
  }

  #open(): void {
    if (this.#closed) throw new AppError('KEY_ERR_UNAVAILABLE', 'Key store is closed');
  }

  #register(key: KeyObject, purpose: KeyPurpose, label: string): KeyHandle {
    const handle: KeyHandle = Object.freeze({
      id: randomBytes(16).toString('hex'),
      algorithm: algorithmOf(key),
      purpose,
      label,
      publicKeySpki: new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' })),
    });
    this.#keys.set(handle.id, { key, handle });
    return handle;
  }

  #byLabel(label: string): Entry | undefined {
    for (const e of this.#keys.values()) if (isPersistent(e.handle.purpose) && e.handle.label === label) return e;
    return undefined;
  }

  async createKey(req: CreateKeyRequest): Promise<KeyHandle> {
    this.#open();
    checkCreateRequest(req);
    const persistent = isPersistent(req.purpose);
    if (persistent && (this.#byLabel(req.label) || (await this.#persistence?.load(req.label))))
      throw new AppError('KEY_ERR_ALREADY_EXISTS', `A persistent key labelled ${req.label} already exists`);
    let key: KeyObject;
    try {
      key = await generate(req.algorithm);
    } catch (e) {
      throw new AppError('KEY_ERR_OPERATION_FAILED', 'Key generation failed', undefined, { cause: e });
    }
    if (persistent && this.#persistence) {
      const pkcs8 = new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
      await this.#persistence.save(req.label, withPurpose(pkcs8, req.purpose));
    }
    this.#open(); // closed while generating: do not leak a key into a closed store
    return this.#register(key, req.purpose, req.label);
  }

  async findKey(label: string): Promise<KeyHandle | null> {
    this.#open();
    checkLabel(label);
    const hit = this.#byLabel(label);
    if (hit) return hit.handle;
    const blob = await this.#persistence?.load(label);
    if (!blob) return null;
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: Buffer.from(blob), format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw new AppError('KEY_ERR_OPERATION_FAILED', `Persisted key ${label} is unreadable`, undefined, { cause: e });
    }
    // A blob saved without the purpose attribute (e.g. imported by hand) counts as a CA key.
    return this.#byLabel(label)?.handle ?? this.#register(key, purposeOf(blob) ?? 'ca', label);
  }

  async sign(req: SignRequest): Promise<Uint8Array> {
    this.#open();
    checkSignRequest(req);
    const e = this.#keys.get(req.keyId);
    if (!e) throw new AppError('KEY_ERR_NOT_FOUND', 'Unknown key');
    const ec = e.key.asymmetricKeyType === 'ec';
    return new Promise((resolve, reject) => {
      // RSA keys default to PKCS#1 v1.5 (RFC 8017 §8.2); ECDSA gives DER Ecdsa-Sig-Value (RFC 5480).
      cryptoSign(NODE_HASH[req.hash], req.data, ec ? { key: e.key, dsaEncoding: 'der' } : e.key, (err, sig) =>
        err ? reject(new AppError('KEY_ERR_OPERATION_FAILED', 'Signing failed', undefined, { cause: err })) : resolve(new Uint8Array(sig)),
      );
    });
  }

  async destroyKey(keyId: string): Promise<void> {
    this.#open();
    const e = this.#keys.get(keyId);
    if (!e) throw new AppError('KEY_ERR_NOT_FOUND', 'Unknown key');
    this.#keys.delete(keyId);
    if (isPersistent(e.handle.purpose)) await this.#persistence?.remove(e.handle.label);
  }

  async countKeys(): Promise<number> {
    this.#open();
    return this.#keys.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#keys.clear();
  }
}
