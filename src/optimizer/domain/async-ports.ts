/**
 * Ports of async mode and webhooks (issue 6, docs/async.md): the durable sign-job record, the
 * webhook outbox, the HTTP sender of webhooks and the policy they follow. Adapters live in
 * src/optimizer/adapters (Kysely tables on SQLite/PostgreSQL, node:http sender); app.ts wires them.
 */
import type { ApiGen, RequestStatus } from './ports.js';

// ---------------------------------------------------------------- sign jobs

/**
 * Steps of one async signature, persisted before each irreversible move so a restarted process
 * resumes where the dead one stopped:
 *  queued → preparing (work files being built) → submitting (the TSC call may be in flight)
 *  → tsc_signed (the TSC's answer is stored; the OTP is gone) → done | failed.
 */
export type SignJobState = 'queued' | 'preparing' | 'submitting' | 'tsc_signed' | 'done' | 'failed';

export const ACTIVE_SIGN_JOB_STATES: readonly SignJobState[] = ['queued', 'preparing', 'submitting', 'tsc_signed'];

export interface SignJobRecord {
  pk: number;
  state: SignJobState;
  /** Sealed JSON of the sign plan (it holds the OTP); cleared as soon as the TSC has answered. */
  planSealed: string | null;
  /** Random tag naming this attempt's work files (`<pk>/<id>.signing-<tag>`). */
  attemptTag: string;
  /** JSON of the prepared targets (blob keys, engine state, digest): no secret, no document bytes. */
  prepared: string | null;
  /** Sealed JSON of the TSC's sign answer (CMS per digest, certificate). */
  resultSealed: string | null;
  /** How many times the TSC call was started (a second start after a crash may find the request ISSUED). */
  submissions: number;
  /** How many times a worker picked the job up. */
  runs: number;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SignJobStore {
  /**
   * Inserts the job, or resets a finished (done/failed) one for the same request; returns false
   * (and changes nothing) while an active job exists.
   */
  start(job: SignJobRecord): Promise<boolean>;
  get(pk: number): Promise<SignJobRecord | null>;
  /** Applies `patch` when the job is in `expect` (compare-and-set); returns whether it did. */
  update(pk: number, patch: Partial<Omit<SignJobRecord, 'pk' | 'createdAt'>>, expect: SignJobState): Promise<boolean>;
  /**
   * Takes (or renews) the job's run lease for `owner`: true when the job was free, its lease had
   * run out, or `owner` already held it. One run per job at a time, across processes.
   */
  claim(pk: number, owner: string, leaseMs: number): Promise<boolean>;
  release(pk: number, owner: string): Promise<void>;
  /** Active jobs whose last update is older than `before` (crash recovery). */
  listStale(before: Date, limit: number): Promise<number[]>;
  delete(pk: number): Promise<void>;
}

// ---------------------------------------------------------------- webhooks

/** Payload shape a target receives: `request` is the pk (Gen B) or an object (Gen C). */
export type WebhookFormat = ApiGen;

/** What the Optimizer remembers per request to number its events and find the previous status. */
export interface WebhookStreamState {
  pk: number;
  lastStatus: RequestStatus | null;
  seq: number;
  /** Payload format of the request's own callback (the API generation that created it). */
  callbackFormat: WebhookFormat;
  /** From the TSC's request object; part of the Gen C `request` object. */
  scratchcard: string | null;
}

export interface WebhookDelivery {
  id: string;
  /** Same for every target of one event; receivers de-duplicate on it. */
  eventId: string;
  pk: number;
  /** Order of the event within its request. */
  seq: number;
  target: string;
  eventType: string;
  /** The exact JSON body that is signed and sent. */
  body: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export type NewWebhookDelivery = Omit<WebhookDelivery, 'state' | 'attempts' | 'lastStatus' | 'lastError' | 'deliveredAt'>;

export interface WebhookOutbox {
  /** Creates the stream state of a new request (no-op when it exists). */
  initStream(s: Omit<WebhookStreamState, 'seq' | 'lastStatus'>): Promise<void>;
  getStream(pk: number): Promise<WebhookStreamState | null>;
  /**
   * In one transaction: compare-and-set the request's last status (`expected` → `status`; equal
   * values bump the sequence only), take the next sequence number and insert the deliveries of
   * that event (`build(seq)`, one per target). Returns the sequence number, or null when the
   * stored status is not `expected` (another process recorded a change first): so two processes
   * observing the same change emit it once, and a request's events are numbered in order.
   */
  append(pk: number, expected: RequestStatus | null, status: RequestStatus, build: (seq: number) => NewWebhookDelivery[]): Promise<number | null>;
  /** The oldest undelivered event of a (request, target) stream, due or not. */
  head(pk: number, target: string): Promise<WebhookDelivery | null>;
  markDelivered(id: string, attempts: number, status: number, at: Date): Promise<void>;
  markRetry(id: string, attempts: number, next: Date, status: number | null, error: string): Promise<void>;
  markFailed(id: string, attempts: number, status: number | null, error: string): Promise<void>;
  /** The targets (URLs) of a request's streams: jobs name a target by its hash, never by its URL. */
  targets(pk: number): Promise<string[]>;
  /** Streams whose head delivery is pending and due at `now` (recovery of lost jobs). */
  dueStreams(now: Date, limit: number): Promise<Array<{ pk: number; target: string }>>;
  list(pk: number): Promise<WebhookDelivery[]>;
}

export interface WebhookPost {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export type WebhookPostResult =
  | { ok: true; status: number }
  /** permanent: retrying cannot help (target refused by policy, invalid URL). */
  | { ok: false; status: number | null; error: string; permanent?: boolean };

/** POSTs one webhook: no redirects followed, timeout, refused private targets (by policy). */
export interface WebhookSender {
  post(req: WebhookPost): Promise<WebhookPostResult>;
}

export interface WebhookPolicy {
  /** HMAC-SHA256 key of the X-OneShot-Signature header. */
  secret: Buffer;
  /** Whether loopback/private/link-local targets are allowed (tests, closed networks). */
  allowPrivate: boolean;
  /** Attempts per delivery before it is marked failed. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

// ---------------------------------------------------------------- certificate events

/** One entry of the TSC's certificate status feed (docs/tsc-api.md GET /tsc/v1/events). */
export interface TscCertificateEvent {
  seq: number;
  type: 'CERTIFICATE_REVOKED';
  at: string;
  request_pk: number | null;
  serial_number: string;
  reason: string | null;
  valid_from: string;
  valid_to: string;
}

export interface CertificateEventFeed {
  certificateEvents(after: number, limit: number): Promise<{ events: TscCertificateEvent[]; next: number }>;
}

/** Positions in feeds read by every Optimizer (compare-and-set, so they agree). */
export interface FeedCursorStore {
  get(name: string): Promise<number>;
  /** Moves `name` from `from` to `to`; false when another process moved it first. */
  advance(name: string, from: number, to: number): Promise<boolean>;
}

/** Structured log lines (pino-compatible); never document bytes, OTPs, secrets or identity data. */
export interface Logger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface AsyncDeps {
  signJobs: SignJobStore;
  outbox: WebhookOutbox;
  sender: WebhookSender;
  webhook: WebhookPolicy;
  log: Logger;
  /** Lease of a sign job run (renewed while it lives). */
  leaseMs: number;
  /** A job without progress for this long is re-queued by recovery (another process died holding it). */
  staleMs: number;
  /** Attempts of a sign job on transient failures (TSC unreachable, request busy). */
  signAttempts: number;
  /** The TSC's certificate status feed (CERTIFICATE_REVOKED webhooks); null: not followed. */
  certEvents: CertificateEventFeed | null;
  cursors: FeedCursorStore;
}
