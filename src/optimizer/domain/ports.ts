/**
 * Ports of the Optimizer domain (DESIGN.md §2): the use cases talk to storage, the TSC, locks,
 * caches and jobs only through these interfaces; src/optimizer/adapters implements them and
 * app.ts wires them.
 */
import type { Readable } from 'node:stream';
import type { ByteSource } from '../../lib/pdf/byte-source.js';

export type RequestStatus =
  | 'CREATED'
  | 'VIDEOPENDING'
  | 'VIDEOINCOMPLETE'
  | 'VIDEOERROR'
  | 'VIDEOREVIEW'
  | 'ENROLLREADY'
  | 'ISSUED'
  | 'CANCELLED';

export type Environment = 'sandbox' | 'prod';

/** API generation of the route that was called: B = /api/v1, C = /oneshot/api/v1. */
export type ApiGen = 'B' | 'C';

// ---------------------------------------------------------------- tokens

export interface TokenRecord {
  uid: string;
  username: string;
  /** AES-256-GCM sealed secrets (SecretBox); null when the token does not hold them. */
  passwordSealed: string | null;
  pinSealed: string | null;
  env: Environment;
  /** HMAC of the credentials under the master key: finds duplicates without storing plaintext. */
  fingerprint: string;
  /** The sandbox demo token cannot be deleted. */
  protected: boolean;
  raoId: number | null;
  registrationAuthority: number | null;
  createdAt: Date;
}

export interface TokenStore {
  insert(t: TokenRecord): Promise<void>;
  get(uid: string): Promise<TokenRecord | null>;
  findByFingerprint(fp: string): Promise<TokenRecord | null>;
  list(): Promise<TokenRecord[]>;
  delete(uid: string): Promise<boolean>;
}

// ---------------------------------------------------------------- requests

export interface RequestRecord {
  pk: number;
  status: RequestStatus;
  env: Environment;
  profile: string;
  registrationAuthority: number | null;
  tokenUid: string | null;
  /** Sealed JSON {username,password,pin} of the RAO that created the request. */
  raoSealed: string;
  /** Sealed JSON of the signer identity used for the visible appearance (CN, e-mail, …). */
  signerSealed: string;
  useAsync: boolean;
  callback: string | null;
  /** Async-mode status shown by GET /async/status ("approved", "signing", "signed", "error"). */
  asyncStatus: string | null;
  createdAt: Date;
  updatedAt: Date;
  signedAt: Date | null;
}

export interface RequestStore {
  insert(r: RequestRecord): Promise<void>;
  get(pk: number): Promise<RequestRecord | null>;
  update(pk: number, patch: Partial<Omit<RequestRecord, 'pk' | 'createdAt'>>): Promise<void>;
  delete(pk: number): Promise<boolean>;
}

// ---------------------------------------------------------------- documents

/** Parsed `hashfile` (oneshot-api.md §3.4). */
export interface HashSpec {
  /** The bare SHA-256 of the content, base64. */
  digest: string;
  digestAlgorithm: 'sha256';
  addSigningTime: boolean;
  otherAttributes: { oid: string; values: string[] }[];
}

export interface DocumentRecord {
  uid: string;
  pk: number;
  kind: 'pdf' | 'hash';
  /** Multipart field name the file came in (`file`, `file2`, `hashfile`, …). */
  fieldName: string;
  filename: string;
  size: number;
  /** Hex SHA-256 of the uploaded bytes. */
  sha256: string;
  mime: string;
  ext: string;
  uploadedAt: Date;
  signedSize: number | null;
  hash: HashSpec | null;
}

export interface DocumentStore {
  insertMany(docs: DocumentRecord[]): Promise<void>;
  get(pk: number, uid: string): Promise<DocumentRecord | null>;
  list(pk: number): Promise<DocumentRecord[]>;
  count(pk: number): Promise<number>;
  setSignedSize(pk: number, uid: string, size: number | null): Promise<void>;
  delete(pk: number, uid: string): Promise<boolean>;
  deleteAll(pk: number): Promise<number>;
}

// ---------------------------------------------------------------- images and metadata

export interface ImageRecord {
  uid: string;
  filename: string;
  bytes: number;
  width: number;
  height: number;
  uploadedAt: Date;
}

export interface ImageStore {
  insert(i: ImageRecord): Promise<void>;
  get(uid: string): Promise<ImageRecord | null>;
  list(): Promise<ImageRecord[]>;
  delete(uid: string): Promise<boolean>;
  deleteAll(): Promise<number>;
}

export interface MetadataRecord {
  uid: string;
  oid: string;
  /** base64 */
  metadata: string;
  createdAt: Date;
}

export interface MetadataStore {
  insert(m: MetadataRecord): Promise<void>;
  get(uid: string): Promise<MetadataRecord | null>;
  list(): Promise<MetadataRecord[]>;
  delete(uid: string): Promise<boolean>;
  deleteAll(): Promise<number>;
}

// ---------------------------------------------------------------- blobs

/** An upload streamed to a temporary blob; commit() moves it to its key, discard() removes it. */
export interface StagedBlob {
  size: number;
  /** Hex SHA-256 computed while streaming. */
  sha256: string;
  /** The first bytes (up to 1024), for type sniffing. */
  head: Uint8Array;
  /** True when the input was longer than maxBytes (the blob is then incomplete). */
  truncated: boolean;
  commit(key: string): Promise<void>;
  discard(): Promise<void>;
  /** Random access to the staged bytes (e.g. PDF inspection before commit). */
  openSource(): Promise<ClosableByteSource>;
}

export interface ClosableByteSource extends ByteSource {
  close(): Promise<void>;
}

/**
 * Blob keys are relative paths built by the domain from validated ids only
 * (`<pk>/<uid>.original`, `_images/<uid>.png`), never from client strings.
 */
export interface BlobStore {
  stage(input: AsyncIterable<Uint8Array>, opts: { maxBytes: number }): Promise<StagedBlob>;
  putBytes(key: string, bytes: Uint8Array): Promise<void>;
  getBytes(key: string): Promise<Uint8Array | null>;
  /** A stream of the blob, or null when absent. */
  openRead(key: string): Promise<{ stream: Readable; size: number } | null>;
  openSource(key: string): Promise<ClosableByteSource | null>;
  exists(key: string): Promise<boolean>;
  /** Atomic rename within the store (same volume). */
  move(from: string, to: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Removes every blob under `prefix/`. */
  deletePrefix(prefix: string): Promise<void>;
  /** Filesystem path of a key (the PDF engine works on files for positional writes). */
  pathOf(key: string): string;
}

// ---------------------------------------------------------------- settings

export interface Settings {
  /** tsa_url + tsa_failover_urls: external RFC 3161 TSAs in failover order (empty: the TSC's own); per-URL imprint hash (issue 5). */
  tsa: { tsa_url: string; tsa_failover_urls: string[]; tsa_hash_algorithms?: Record<string, string> };
  request: { default_profile: string; default_ra: string };
  billing: { billing_username: string; billing_password: string };
  proxy: {
    useproxy: string;
    proxy_host: string;
    proxy_port: string;
    proxy_protocol: string;
    proxy_username: string;
    proxy_password: string;
    useproxycredentials: string;
  };
  general: { environment: Environment; rootstore: string; configuration: string; usepdfclean: boolean };
  /** Our own: PAdES level (B-B, B-T, B-LT, B-LTA; docs/levels.md) and what a TSA/validation-data failure does; the async webhook target. */
  signature: { level: string; failure_policy?: string };
  webhook: { url: string; format?: 'B' | 'C' };
  [section: string]: unknown;
}

export interface SettingsStore {
  /** The effective settings (file merged over defaults, then environment overrides). */
  read(): Promise<Settings>;
  /** Deep-merges `patch` into the file and returns the new effective settings. */
  update(patch: Record<string, unknown>): Promise<Settings>;
}

// ---------------------------------------------------------------- TSC

export interface RaoCredentials {
  username: string;
  password?: string;
  pin?: string;
}

export interface RaoInfo {
  raoId: number;
  username: string;
  registrationAuthority: number;
}

/** The Gen B request object as the TSC returns it (docs/tsc-api.md). */
export type TscRequestObject = Record<string, unknown> & { pk: number; status: RequestStatus };

export interface TscSigningInfo {
  keyAlgorithm: string;
  cmsMaxBytes: number;
  chain: string[];
  /** B-T: bound of one timestamp token (also sizes document timestamps). */
  tstMaxBytes?: number;
  /** AIA OCSP and CRL DP URLs the single-use certificate will carry (B-LT preflight). */
  revocation?: { ocsp: string[]; crl: string[] };
}

export interface TscDigest {
  id: string;
  digest_algorithm: 'sha256';
  digest: string;
  format: 'pades' | 'cades';
  signing_time?: boolean;
  other_attributes?: { oid: string; values: string[] }[];
}

export interface TscSignRequest {
  secret: string;
  ext_unlock_type?: string;
  ext_unlock_value?: string;
  level: string;
  /** Issue 5: external TSAs (failover order, per-TSA hash) and the failure policy; absent = the TSC's defaults. */
  tsa?: { servers?: { url: string; hash_algorithm: string }[]; failure_policy?: string };
  digests: TscDigest[];
}

export interface TscSignResult {
  certificate: string;
  chain: string[];
  signatures: { id: string; cms: string }[];
  serialNumber: string;
  level: string;
  /** True when the TSC signed at B-B because the TSA failed under policy degrade. */
  degraded?: boolean;
  degradationReason?: string;
  /**
   * True when the TSC answered from the stored result of an earlier identical call (its answer was
   * lost on the way, docs/async.md "The one lost window"). Older TSCs do not send it.
   */
  replayed?: boolean;
}

export interface TscClient {
  verifyRao(creds: RaoCredentials): Promise<RaoInfo>;
  createRequest(creds: RaoCredentials, body: Record<string, unknown>): Promise<TscRequestObject>;
  getRequest(creds: RaoCredentials, pk: number): Promise<TscRequestObject>;
  updateRequest(creds: RaoCredentials, pk: number, patch: Record<string, unknown>): Promise<TscRequestObject>;
  cancelRequest(creds: RaoCredentials, pk: number, reason?: string): Promise<TscRequestObject>;
  sendOtp(pk: number, deliveryMethod?: string): Promise<void>;
  getContract(pk: number): Promise<Uint8Array>;
  signingInfo(profile: string, level: string, opts?: { externalTsa?: boolean }): Promise<TscSigningInfo>;
  /**
   * One sign call. With `idempotencyKey` (sent as the Idempotency-Key header) the TSC keeps its
   * answer for a while, and the same call with the same key gets it again (`replayed`) instead of
   * 412 — how an async job recovers an answer lost with a crashed process (docs/async.md).
   */
  sign(pk: number, body: TscSignRequest, opts?: { idempotencyKey?: string }): Promise<TscSignResult>;
}

// ---------------------------------------------------------------- operational ports

/** Mutual exclusion per key (in-process now; Redis for several Optimizers later). */
export interface Lock {
  /** Returns a release function, or null when the key is held by someone else. */
  tryAcquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | null>;
}

/** Cache of heavy, non-sensitive data only (DESIGN.md §4). */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
}

export interface EnqueueOptions {
  /** Run no earlier than this many ms from now (retry backoff). */
  delayMs?: number;
  /** De-duplication key: a job with the same id still waiting or running is not added twice. */
  jobId?: string;
}

/**
 * Jobs run at least once: a durable queue (SQL table, BullMQ) re-runs a job whose process died,
 * so handlers must be idempotent. A handler that throws is retried a few times with backoff.
 */
export interface JobQueue {
  register(name: string, handler: (payload: unknown) => Promise<void>): void;
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<void>;
  /** Waits until no job is running or due (tests, shutdown). */
  drain(): Promise<void>;
}
