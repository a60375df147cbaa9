/**
 * Webhooks (oneshot-api.md §3.5; docs/async.md): every status change of a request is written to
 * an outbox (one row per target: the request's `callback` and the RA-level `settings.webhook.url`)
 * in the same transaction that numbers it, then delivered by a job per (request, target) stream
 * in sequence order: POST of the exact stored body, HMAC-SHA256 signed, no redirects, retried
 * with exponential backoff on non-2xx/timeouts up to a bound, each attempt logged.
 *
 * Payload: the fields of both documented shapes. Gen C/RA: `event_type`, `sent_at`
 * (YYYYMMDDHHMMSS, UTC), `request{status, profile, registration_authority, scratchcard, pk}`,
 * `certificates[]`; Gen B: `status`, `previous_status`, `date`, `request` (the pk),
 * `registration_authority`. The only clash is `request`: a target gets the pk (format B) or the
 * object (format C) — the callback in the generation of the route that created the request, the
 * RA-level webhook per `settings.webhook.format` (default C). `event_id` is in every body.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { certificateInfo } from '../../lib/cms/index.js';
import { isAppError } from '../../shared/errors.js';
import { ACTIVE_SIGN_JOB_STATES, type NewWebhookDelivery, type WebhookFormat } from './async-ports.js';
import type { OptimizerContext } from './context.js';
import type { RequestStatus } from './ports.js';

export interface IssuedCertificate {
  status: 'VALID' | 'REVOKED' | 'SUSPENDED';
  serial_number: string;
  /** "YYYYMMDD HH:MM:SS", UTC (the RA webhook format). */
  valid_from: string;
  valid_to: string;
}

export type WebhookEventType =
  | 'REQUEST_CREATED' | 'REQUEST_APPROVED' | 'REQUEST_ENROLLED' | 'REQUEST_CANCELED'
  | 'CERTIFICATE_SUSPENDED' | 'CERTIFICATE_REVOKED' | 'VIDEOID_UPDATED' | 'VIDEOID_FAILED' | 'VIDEOID_REFUSED';

export const SIGNATURE_HEADER = 'x-oneshot-signature';
/** HMAC over `<X-OneShot-Timestamp>.<body>`: binds the attempt's time, so a receiver can refuse old replays. */
export const TIMED_SIGNATURE_HEADER = 'x-oneshot-signature-v2';
export const TIMESTAMP_HEADER = 'x-oneshot-timestamp';
export const EVENT_ID_HEADER = 'x-oneshot-event-id';
export const EVENT_TYPE_HEADER = 'x-oneshot-event-type';
export const ATTEMPT_HEADER = 'x-oneshot-delivery-attempt';

const pad = (n: number) => String(n).padStart(2, '0');
const compact = (d: Date) =>
  `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
const spaced = (d: Date) => `${compact(d).slice(0, 8)} ${compact(d).slice(8, 10)}:${compact(d).slice(10, 12)}:${compact(d).slice(12)}`;

export function issuedCertificate(certB64: string, status: IssuedCertificate['status'] = 'VALID'): IssuedCertificate {
  const info = certificateInfo(Buffer.from(certB64, 'base64'));
  return { status, serial_number: info.serialNumberHex, valid_from: spaced(info.notBefore), valid_to: spaced(info.notAfter) };
}

const VIDEO: RequestStatus[] = ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOERROR', 'VIDEOREVIEW'];

/** The RA event of a transition (oneshot-api.md §3.5 `event_type` list). */
export function eventTypeOf(previous: RequestStatus | null, status: RequestStatus): WebhookEventType {
  switch (status) {
    case 'ENROLLREADY': return 'REQUEST_APPROVED';
    case 'ISSUED': return 'REQUEST_ENROLLED';
    case 'CANCELLED': return previous === 'VIDEOREVIEW' ? 'VIDEOID_REFUSED' : 'REQUEST_CANCELED';
    case 'VIDEOERROR': return 'VIDEOID_FAILED';
    case 'VIDEOINCOMPLETE':
    case 'VIDEOREVIEW': return 'VIDEOID_UPDATED';
    case 'VIDEOPENDING':
    case 'CREATED': return previous !== null && VIDEO.includes(previous) ? 'VIDEOID_UPDATED' : 'REQUEST_CREATED';
  }
}

export interface WebhookEvent {
  eventId: string;
  eventType: WebhookEventType;
  status: RequestStatus;
  previous: RequestStatus | null;
  at: Date;
  pk: number;
  registrationAuthority: number | null;
  profile: string;
  scratchcard: string | null;
  certificates: IssuedCertificate[];
}

/** The JSON body for one target (key order fixed: the body is signed as sent). */
export function webhookBody(e: WebhookEvent, format: WebhookFormat): string {
  const request = format === 'B'
    ? e.pk
    : { status: e.status, profile: e.profile, registration_authority: e.registrationAuthority, scratchcard: e.scratchcard, pk: e.pk };
  return JSON.stringify({
    event_id: e.eventId,
    event_type: e.eventType,
    sent_at: compact(e.at),
    status: e.status,
    previous_status: e.previous,
    // Gen B `date`: ISO 8601 in UTC without zone suffix, as the documented sample.
    date: e.at.toISOString().replace(/Z$/, ''),
    request,
    registration_authority: e.registrationAuthority,
    certificates: e.certificates,
  });
}

/** HMAC-SHA256 of `<timestamp>.<body>` (the v2 signature). */
const timedHmac = (secret: Buffer | string, timestamp: string, body: Buffer | string) =>
  createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest();

/**
 * Headers of one delivery. `X-OneShot-Signature: sha256=<hex>` is HMAC-SHA256 over the exact body
 * bytes; the body carries `event_id` and `sent_at`, so a replayed body is recognised by its event
 * id (receivers de-duplicate on it). `X-OneShot-Timestamp` alone is not covered by that signature
 * (anyone replaying a captured delivery can set it), so `X-OneShot-Signature-V2: sha256=<hex>`
 * signs `<timestamp>.<body>`: a receiver that checks it can refuse deliveries older than a few
 * minutes and keep event ids only for that long.
 */
export function webhookHeaders(secret: Buffer, body: string, eventId: string, eventType: string, attempt: number, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    'content-type': 'application/json',
    [SIGNATURE_HEADER]: `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`,
    [TIMED_SIGNATURE_HEADER]: `sha256=${timedHmac(secret, timestamp, Buffer.from(body, 'utf8')).toString('hex')}`,
    [TIMESTAMP_HEADER]: timestamp,
    [EVENT_ID_HEADER]: eventId,
    [EVENT_TYPE_HEADER]: eventType,
    [ATTEMPT_HEADER]: String(attempt),
  };
}

/** Receiver side (docs/async.md): constant-time check of the signature header against the raw body. */
export function verifyWebhookSignature(secret: Buffer | string, rawBody: Buffer | string, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const want = createHmac('sha256', secret).update(rawBody).digest();
  const got = Buffer.from(header.slice(7), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Receiver side, replay-bounded (docs/async.md): the v2 signature over `<timestamp>.<raw body>`,
 * in constant time, and the timestamp within `toleranceSeconds` of `now`.
 */
export function verifyTimedWebhookSignature(
  secret: Buffer | string,
  rawBody: Buffer | string,
  timestampHeader: string | undefined,
  header: string | undefined,
  opts: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  if (!timestampHeader || !/^\d{1,15}$/.test(timestampHeader)) return false;
  if (!header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const age = Math.floor((opts.now ?? new Date()).getTime() / 1000) - Number(timestampHeader);
  if (Math.abs(age) > (opts.toleranceSeconds ?? 300)) return false;
  const want = timedHmac(secret, timestampHeader, rawBody);
  const got = Buffer.from(header.slice(7), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Short, stable name of a target for job ids, lock keys and logs (never the whole URL: it may hold a token). */
export const targetId = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 16);

function targetOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '?';
  }
}

export interface StatusChangeExtra {
  certificates?: IssuedCertificate[];
  /** Send even when the status did not change (certificate events on an ISSUED request). */
  eventType?: WebhookEventType;
  /** Initialises the stream when the request is new. */
  init?: { callbackFormat: WebhookFormat; scratchcard: string | null };
  /** A fixed event id (events several processes may record, e.g. from the TSC's feed). */
  eventId?: string;
}

/**
 * Whether a signature of `pk` is under way: an async sign job is active, or someone holds the
 * request lock (a synchronous /sign). That signer records ISSUED itself, with the certificate.
 */
async function signing(ctx: OptimizerContext, pk: number): Promise<boolean> {
  const job = await ctx.async.signJobs.get(pk);
  if (job && ACTIVE_SIGN_JOB_STATES.includes(job.state)) return true;
  const release = await ctx.lock.tryAcquire(`request:${pk}`, 5000);
  if (!release) return true;
  await release();
  return false;
}

/**
 * Records a status change of request `pk` and queues its webhooks. Never throws: a failure to
 * queue is logged (the change itself already happened and is visible through the API).
 *
 * ISSUED without `certificates` (an observer: GET /request saw the TSC ahead of the local record)
 * is left to the signer while a signature is under way: recorded first, it would be the one
 * REQUEST_ENROLLED and carry no certificate. A signer that died leaves no active job and no lock
 * after its lease; the next observation records it then.
 */
export async function emitStatusChange(ctx: OptimizerContext, pk: number, status: RequestStatus, extra: StatusChangeExtra = {}): Promise<void> {
  const { outbox, log } = ctx.async;
  try {
    if (status === 'ISSUED' && extra.certificates === undefined && !extra.eventType && (await signing(ctx, pk))) return;
    if (extra.init) await outbox.initStream({ pk, callbackFormat: extra.init.callbackFormat, scratchcard: extra.init.scratchcard });
    const r = await ctx.requests.get(pk);
    if (!r) return;
    let stream = await outbox.getStream(pk);
    if (!stream) {
      // A request created before webhooks existed: its callback gets the Gen C shape.
      await outbox.initStream({ pk, callbackFormat: 'C', scratchcard: null });
      stream = await outbox.getStream(pk);
      if (!stream) return;
    }
    const settings = await ctx.settings.read();
    const raTarget = typeof settings.webhook?.url === 'string' ? settings.webhook.url : '';
    const raFormat: WebhookFormat = settings.webhook?.format === 'B' ? 'B' : 'C';
    const targets = new Map<string, WebhookFormat>();
    if (raTarget) targets.set(raTarget, raFormat);
    if (r.callback) targets.set(r.callback, stream.callbackFormat);

    for (let tries = 0; tries < 5; tries++) {
      if (stream.lastStatus === status && !extra.eventType) return; // already recorded (another process, a mirror)
      const previous = stream.lastStatus;
      const eventId = extra.eventId ?? randomUUID();
      const at = ctx.clock.now();
      const eventType = extra.eventType ?? eventTypeOf(previous, status);
      const seq = await outbox.append(pk, previous, status, (n): NewWebhookDelivery[] =>
        [...targets].map(([target, format]) => ({
          id: randomUUID(), eventId, pk, seq: n, target, eventType,
          body: webhookBody({
            eventId, eventType, status, previous: extra.eventType ? status : previous, at, pk,
            registrationAuthority: r.registrationAuthority, profile: r.profile, scratchcard: stream!.scratchcard,
            certificates: extra.certificates ?? [],
          }, format),
          nextAttemptAt: at, createdAt: at,
        })),
      );
      if (seq !== null) {
        log.info({ pk, event_id: eventId, event_type: eventType, seq, targets: [...targets.keys()].map(targetOrigin) }, 'webhook event recorded');
        for (const target of targets.keys()) await queueDelivery(ctx, pk, target);
        return;
      }
      stream = await outbox.getStream(pk);
      if (!stream) return;
    }
    log.warn({ pk, status }, 'webhook event not recorded: the request status kept changing');
  } catch (e) {
    log.error({ pk, status, err: isAppError(e) ? e.code : (e as Error)?.name }, 'webhook event could not be queued');
  }
}

/**
 * Queues the delivery job of one (request, target) stream. The job names the target by its hash
 * only: a callback URL may carry the receiver's token, and job payloads live in Redis (BullMQ),
 * which holds no secrets (DESIGN.md §4); the worker reads the URL back from the outbox.
 */
async function queueDelivery(ctx: OptimizerContext, pk: number, target: string, delayMs = 0, jobId?: string): Promise<void> {
  await ctx.jobs.enqueue('webhook', { pk, tid: targetId(target) }, { ...(delayMs > 0 ? { delayMs } : {}), ...(jobId ? { jobId } : {}) });
}

/** The target URL a job names: `{pk, tid}`, or `{pk, target}` as queued by earlier versions. */
async function jobTarget(ctx: OptimizerContext, payload: unknown): Promise<{ pk: number; target: string } | null> {
  const p = (payload ?? {}) as { pk?: unknown; tid?: unknown; target?: unknown };
  const pk = Number(p.pk);
  if (!Number.isSafeInteger(pk)) return null;
  if (typeof p.target === 'string') return { pk, target: p.target };
  if (typeof p.tid !== 'string') return null;
  const target = (await ctx.async.outbox.targets(pk)).find((t) => targetId(t) === p.tid);
  return target === undefined ? null : { pk, target };
}

/** Next retry delay: backoff · 2^(attempt−1), capped (attempt = failed attempts so far). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Job 'webhook' {pk, tid}: delivers the stream's pending events in order. One worker at a time
 * per stream (lock); the head event blocks the ones behind it until delivered or given up.
 */
export async function deliverWebhooks(ctx: OptimizerContext, payload: unknown): Promise<void> {
  const job = await jobTarget(ctx, payload);
  if (!job) return; // the request's deliveries are gone (request deleted)
  const { pk, target } = job;
  const { outbox, sender, webhook, log } = ctx.async;
  const tid = targetId(target);
  const release = await ctx.lock.tryAcquire(`webhook:${pk}:${tid}`, 10 * 60_000);
  if (!release) {
    // Another worker drains this stream; it re-reads the head after each delivery. If it has just
    // finished, this retry (or recovery) picks up what it missed.
    await queueDelivery(ctx, pk, target, 500, `webhook-${pk}-${tid}-busy`);
    return;
  }
  try {
    for (;;) {
      const d = await outbox.head(pk, target);
      if (!d) return;
      const now = ctx.clock.now();
      const wait = d.nextAttemptAt.getTime() - now.getTime();
      if (wait > 0) {
        await queueDelivery(ctx, pk, target, wait, `webhook-${pk}-${tid}-${d.id}-${d.attempts}`);
        return;
      }
      const attempt = d.attempts + 1;
      const res = await sender.post({ url: target, body: d.body, headers: webhookHeaders(webhook.secret, d.body, d.eventId, d.eventType, attempt, now) });
      const fields = { pk, event_id: d.eventId, event_type: d.eventType, seq: d.seq, target: targetOrigin(target), attempt };
      if (res.ok) {
        await outbox.markDelivered(d.id, attempt, res.status, ctx.clock.now());
        log.info({ ...fields, status: res.status }, 'webhook delivered');
        continue;
      }
      if (attempt >= webhook.maxAttempts || res.permanent) {
        await outbox.markFailed(d.id, attempt, res.status, res.error);
        log.error({ ...fields, status: res.status, error: res.error }, 'webhook delivery failed, giving up');
        continue;
      }
      const delay = backoffDelay(attempt, webhook.backoffMs, webhook.maxBackoffMs);
      await outbox.markRetry(d.id, attempt, new Date(now.getTime() + delay), res.status, res.error);
      log.warn({ ...fields, status: res.status, error: res.error, retry_in_ms: delay }, 'webhook delivery failed, will retry');
      await queueDelivery(ctx, pk, target, delay, `webhook-${pk}-${tid}-${d.id}-${attempt}`);
      return;
    }
  } finally {
    await release();
  }
}

/** Recovery: queue the streams whose head is due (a lost job, a crash between two deliveries). */
export async function recoverWebhooks(ctx: OptimizerContext, graceMs: number): Promise<number> {
  const due = await ctx.async.outbox.dueStreams(new Date(ctx.clock.now().getTime() - graceMs), 100);
  for (const s of due) await queueDelivery(ctx, s.pk, s.target, 0, `webhook-${s.pk}-${targetId(s.target)}-recover`);
  return due.length;
}
