/**
 * The QSCD key store port (DESIGN.md §1, §5). Implementations: SoftKeyStore (node:crypto,
 * the embedded default) and Pkcs11KeyStore (PKCS#11: SoftHSM2 in tests, a real HSM in production).
 *
 * Keys never leave the store: callers get a handle (id + public key) and ask the store to sign.
 * Single-use signer keys are created per request and destroyed right after its digests are signed.
 */

export type KeyAlgorithm = 'EC-P256' | 'EC-P384' | 'RSA-2048' | 'RSA-3072';
export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** What a key is for; CA keys are long-lived and persistent, signer keys are single-use. */
export type KeyPurpose = 'ca' | 'tsa' | 'ocsp' | 'signer';

export interface KeyHandle {
  /** Opaque, store-specific id (e.g. a CKA_ID in hex). */
  readonly id: string;
  readonly algorithm: KeyAlgorithm;
  readonly purpose: KeyPurpose;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeySpki: Uint8Array;
  readonly label: string;
}

export interface CreateKeyRequest {
  algorithm: KeyAlgorithm;
  purpose: KeyPurpose;
  /** Human-readable label stored with the key (CKA_LABEL); never identity data. */
  label: string;
}

export interface SignRequest {
  keyId: string;
  /**
   * The bytes to sign (e.g. the DER of the CMS signed attributes); the store hashes them with `hash`.
   * For ECDSA the result is DER-encoded (RFC 5480 / X9.62 Ecdsa-Sig-Value); for RSA it is PKCS#1 v1.5.
   */
  data: Uint8Array;
  hash: HashAlgorithm;
}

export interface KeyStore {
  /** Human-readable kind for logs and /health ("soft", "pkcs11"). */
  readonly kind: string;
  createKey(req: CreateKeyRequest): Promise<KeyHandle>;
  /** Finds a previously created persistent key (CA/TSA/OCSP keys survive restarts). */
  findKey(label: string): Promise<KeyHandle | null>;
  sign(req: SignRequest): Promise<Uint8Array>;
  /** Destroys a key; destroying an unknown id is an error (KEY_ERR_NOT_FOUND). */
  destroyKey(keyId: string): Promise<void>;
  /** Number of private key objects the store holds (tests count these before/after flows). */
  countKeys(): Promise<number>;
  close(): Promise<void>;
}
