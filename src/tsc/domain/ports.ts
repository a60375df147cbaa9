/**
 * Ports of the TSC domain. Adapters (src/tsc/adapters) implement them; app.ts wires them.
 * The relational ones are implemented once with Kysely over SQLite and PostgreSQL, and one
 * contract suite (test/tsc/contracts/store.contract.test.ts) runs over both.
 */
import type { KeyAlgorithm, KeyHandle } from '../../lib/keys/key-store.js';
import type { ContractContent } from './contract/contract-content.js';
import type {
  AuditEntry, CaRecord, CertificateRecord, NewRequest, OtpRecord, RaoRecord, RequestRecord, RequestStatus, ServiceCertRecord, ServicePurpose,
} from './model.js';

export interface RaoStore {
  /** Throws AppError RAO_ERR_ALREADY_EXISTS when the username is taken. */
  insert(r: Omit<RaoRecord, 'id'>): Promise<RaoRecord>;
  findByUsername(username: string): Promise<RaoRecord | null>;
  findById(id: number): Promise<RaoRecord | null>;
  list(): Promise<RaoRecord[]>;
  /** Returns false when there was no such RAO. */
  remove(username: string): Promise<boolean>;
}

export type RequestPatch = Partial<Omit<RequestRecord, 'pk' | 'createdAt'>>;

export interface UpdateCondition {
  /** The request must be in one of these statuses. */
  statuses: readonly RequestStatus[];
  /** The request must hold exactly this signing claim (the sign call that owns it). */
  signingSince?: number;
  /** The request must hold no signing claim newer than this (ms): nobody is signing it right now. */
  noClaimNewerThan?: number;
}

export interface RequestStore {
  insert(r: NewRequest): Promise<RequestRecord>;
  get(pk: number): Promise<RequestRecord | null>;
  /**
   * Compare-and-set: applies `patch` (updated_at included) only if the request matches `cond`.
   * Returns the updated record, or null when the condition did not hold.
   */
  update(pk: number, patch: RequestPatch, cond: UpdateCondition): Promise<RequestRecord | null>;
  /**
   * Claims the request for one sign call: sets signing_since=now if it is ENROLLREADY and has no
   * claim newer than `staleBefore`. Exactly one of several concurrent callers gets true.
   */
  claimForSigning(pk: number, now: number, staleBefore: number): Promise<boolean>;
  /** Drops a claim taken at `since` (no-op if another call has taken over a stale claim). */
  releaseClaim(pk: number, since: number): Promise<void>;
}

export interface OtpStore {
  get(requestPk: number): Promise<OtpRecord | null>;
  /**
   * Stores a new OTP for the request, replacing the previous one, only if no OTP was created after
   * `notCreatedAfter` (the resend throttle). Returns false when throttled. Atomic.
   */
  replace(rec: OtpRecord, notCreatedAfter: number): Promise<boolean>;
  /**
   * Single use by one compare-and-set: marks the OTP used iff the HMAC matches, it is unused,
   * unexpired at `now` and has fewer than `maxAttempts` failures. True for exactly one caller.
   */
  consume(requestPk: number, codeHmac: string, now: number, maxAttempts: number): Promise<boolean>;
  /** Counts one wrong code on the unused OTP; returns the new attempt count (null if none). */
  recordFailure(requestPk: number): Promise<number | null>;
  /** Deletes the OTP if it still has this HMAC (undelivered code). */
  discard(requestPk: number, codeHmac: string): Promise<void>;
  /**
   * Undoes one consume: marks the OTP unused again iff it still has this HMAC and was used at
   * exactly `usedAt` (the consume of the call that rolls back). Returns false otherwise.
   */
  restore(requestPk: number, codeHmac: string, usedAt: number): Promise<boolean>;
}

export interface CertificateStore {
  insert(c: CertificateRecord): Promise<void>;
  get(serial: string): Promise<CertificateRecord | null>;
  listByRequest(requestPk: number): Promise<CertificateRecord[]>;
  /** Marks a VALID certificate REVOKED; returns false if it was not VALID. */
  revoke(serial: string, at: Date, reason: string): Promise<boolean>;
  listRevoked(): Promise<CertificateRecord[]>;
}

export interface CaStore {
  get(name: CaRecord['name']): Promise<CaRecord | null>;
  /** Inserts; returns false if a record of that name exists (first start races). */
  insert(r: CaRecord): Promise<boolean>;
}

export interface NonceStore {
  /** Records a one-time value; false if it was seen before (replay). */
  claim(nonce: string, requestPk: number, expiresAt: number): Promise<boolean>;
  /** Forgets a value claimed for this request (a sign call that rolls back its authorisation). */
  release(nonce: string, requestPk: number): Promise<void>;
}

/**
 * What one successful sign call returned, kept for a short window so the same call (same input,
 * same authorisation) can be answered again after the caller lost the answer (docs/async.md
 * "The one lost window"). Holds no OTP and no secret: only hashes of the input and the proof.
 */
export interface SignResultRecord {
  requestPk: number;
  /** SHA-256 (hex) of the canonical sign input without the secret. */
  inputHash: string;
  /** HMAC (hex) only the same authorisation reproduces (the OTP HMAC, or one over the ext proof). */
  authHash: string;
  /** The SignResult as JSON (certificate, chain, CMS list, level…). */
  resultJson: string;
  /** When it was recorded (ms). */
  createdAt: number;
  /** Replay attempts with the same input but another authorisation. */
  failures: number;
}

export interface SignResultStore {
  /** One per request (a request is signed once); inserting a second one for a request throws. */
  insert(r: Omit<SignResultRecord, 'failures'>): Promise<void>;
  get(requestPk: number): Promise<SignResultRecord | null>;
  /** Counts one wrong authorisation; returns the new count (null if there is no record). */
  recordFailure(requestPk: number): Promise<number | null>;
  /** Deletes the records created before `createdBefore` (ms); returns how many. */
  purge(createdBefore: number): Promise<number>;
}

export interface ServiceCertStore {
  insert(r: ServiceCertRecord): Promise<void>;
  /** The certificate of `purpose` with the latest notAfter, or null. */
  latest(purpose: ServicePurpose): Promise<ServiceCertRecord | null>;
  getBySerial(serial: string): Promise<ServiceCertRecord | null>;
  list(purpose: ServicePurpose): Promise<ServiceCertRecord[]>;
}

export interface AuditStore {
  /**
   * Reserves the next sequence number and returns it with the hash of the previous entry. Must be
   * called inside a transaction: it locks the chain head until commit, so appends are serialised.
   */
  reserveNext(): Promise<{ seq: number; prevHash: string }>;
  /** Inserts the entry and moves the chain head to it (same transaction as reserveNext). */
  insert(e: AuditEntry): Promise<void>;
  /** Entries with seq ≥ fromSeq in order, at most `limit`. */
  list(fromSeq: number, limit: number): Promise<AuditEntry[]>;
  head(): Promise<{ seq: number; hash: string }>;
}

export interface TscRepositories {
  raos: RaoStore;
  requests: RequestStore;
  otps: OtpStore;
  certificates: CertificateStore;
  ca: CaStore;
  nonces: NonceStore;
  serviceCerts: ServiceCertStore;
  signResults: SignResultStore;
  audit: AuditStore;
}

export interface TscPersistence extends TscRepositories {
  /** Runs `fn` in one database transaction; keep it short (no network or slow crypto inside). */
  transaction<T>(fn: (tx: TscRepositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** One OTP to deliver. The code exists in clear only here, in memory, on its way to the user. */
export interface OtpMessage {
  requestPk: number;
  channel: 'sms' | 'whatsapp' | 'email';
  to: string;
  code: string;
  language: string;
  at: Date;
}

export interface OtpSender {
  readonly kind: string;
  send(msg: OtpMessage): Promise<void>;
}

/** Checks an external-authentication proof presented at sign time (`ext_unlock_*`). */
export interface ExtAuthVerifier {
  /** Resolves when accepted; throws AppError OTP_ERR_EXT_AUTH_INVALID otherwise. Never a bypass. */
  verify(req: { requestPk: number; type: string; value: string; secret: string }): Promise<void>;
  /**
   * Makes an accepted proof usable again after a sign call that produced nothing (fail-closed
   * timestamping, issue 5). Optional: without it the proof stays spent.
   */
  release?(req: { requestPk: number; type: string; value: string; secret: string }): Promise<void>;
}

/** Renders the service-contract PDF for given content (deterministic for the same content). */
export interface ContractRenderer {
  render(content: ContractContent): Promise<Uint8Array>;
}

/**
 * Where single-use signer keys come from: EC keys are generated in the key store on demand,
 * RSA keys come from a pre-generated pool so key generation stays off the request path (DESIGN.md §6).
 */
export interface SignerKeySource {
  acquire(algorithm: KeyAlgorithm): Promise<KeyHandle>;
  /** Destroys the key in the store (DESIGN.md §5: single-use keys are destroyed after use). */
  destroy(key: KeyHandle): Promise<void>;
}

/**
 * Level B-T (issue 5): returns an RFC 3161 TimeStampToken (DER ContentInfo) over `data` (the CMS
 * SignatureValue), added as the id-aa-signatureTimeStampToken unsigned attribute (RFC 3161 App. A,
 * ETSI EN 319 122-1 §5.3). The imprint's hash algorithm is the timestamper's own (per TSA).
 * Failures are AppError TSA_ERR_UNAVAILABLE (nothing usable answered) or TSA_ERR_BAD_RESPONSE.
 */
export interface SignatureTimestamper {
  /** Upper bound of the token size, for GET /signing-info (a larger token is refused). */
  readonly maxTokenBytes: number;
  timestamp(data: Uint8Array): Promise<Uint8Array>;
}

/** Posts an RFC 3161 request over HTTP (RFC 3161 §3.4) and returns the reply body. */
export interface TsaTransport {
  /**
   * Throws AppError TSA_ERR_UNAVAILABLE on connection failure, timeout, a non-200 status, a wrong
   * content type or a body over `maxBytes`. Never follows redirects.
   */
  post(url: string, body: Uint8Array, opts: { timeoutMs: number; maxBytes: number }): Promise<Uint8Array>;
}
