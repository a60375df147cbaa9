/**
 * CERTIFICATE_REVOKED webhooks (oneshot-api.md §3.5): the TSC revokes certificates (admin API,
 * CLI); the Optimizer learns of it by reading the TSC's certificate status feed (GET
 * /tsc/v1/events) from its cursor, during the recovery sweep. Several Optimizers may read the
 * same page: each event has a fixed id derived from the certificate (the outbox keeps one
 * delivery per event and target), and the shared cursor moves by compare-and-set.
 */
import { createHash } from 'node:crypto';
import type { OptimizerContext } from './context.js';
import { emitStatusChange, type IssuedCertificate } from './webhooks.js';

export const CERT_FEED = 'tsc-certificate-events';

/** RFC 3339 → the RA webhook form "YYYYMMDD HH:MM:SS" (UTC). */
function spaced(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** A UUID-shaped id fixed by the event (type + serial). */
function fixedEventId(type: string, serial: string): string {
  const h = createHash('sha256').update(`${type}:${serial.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Reads one page of the feed and records its events; returns how many it recorded. */
export async function pollCertificateEvents(ctx: OptimizerContext, pageSize = 500): Promise<number> {
  const feed = ctx.async.certEvents;
  if (!feed) return 0;
  const from = await ctx.async.cursors.get(CERT_FEED);
  const page = await feed.certificateEvents(from, pageSize);
  let recorded = 0;
  for (const e of page.events) {
    if (e.request_pk === null || !(await ctx.requests.get(e.request_pk))) continue; // not a request of this Optimizer
    const cert: IssuedCertificate = { status: 'REVOKED', serial_number: e.serial_number, valid_from: spaced(e.valid_from), valid_to: spaced(e.valid_to) };
    await emitStatusChange(ctx, e.request_pk, 'ISSUED', { eventType: 'CERTIFICATE_REVOKED', certificates: [cert], eventId: fixedEventId(e.type, e.serial_number) });
    recorded++;
  }
  if (page.next > from) await ctx.async.cursors.advance(CERT_FEED, from, page.next);
  return recorded;
}
