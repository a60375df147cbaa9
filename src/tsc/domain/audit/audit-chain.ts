/**
 * Append-only, hash-chained audit log (issue 2 §8, DESIGN.md §5): every entry holds the hash of the
 * previous one, so altering, removing or reordering an entry breaks the chain from that point on.
 *
 * hash = SHA-256 over a canonical JSON of {seq, at, actor, action, request_pk, details, prev_hash}
 * (keys sorted at every level), hex. The first entry's prev_hash is 64 zeros.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../../shared/clock.js';
import { wholeSeconds } from '../../../shared/clock.js';
import type { AuditEntry } from '../model.js';
import type { AuditStore, TscRepositories } from '../ports.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Words that must never appear as audit detail keys or values' keys: identity data and secrets. */
const FORBIDDEN_DETAIL_KEYS = /otp|^code$|pin|password|secret|email|phone|given|surname|birth|address|residence|document_number/i;

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = canonical({
    seq: e.seq, at: e.at, actor: e.actor, action: e.action, request_pk: e.requestPk, details: e.details, prev_hash: e.prevHash,
  });
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

export interface AuditEvent {
  actor: string;
  action: string;
  requestPk?: number | null;
  details?: Record<string, unknown>;
}

/**
 * Appends one event. Call it with the transaction's repositories so the entry commits or rolls back
 * together with the state change it records.
 */
export async function appendAudit(tx: Pick<TscRepositories, 'audit'>, clock: Clock, ev: AuditEvent): Promise<AuditEntry> {
  const details = ev.details ?? {};
  for (const k of Object.keys(details)) {
    // Details carry field *names* (e.g. {fields: ["email"]}), statuses and serials; a key that looks
    // like identity data or a secret is a programming error, not something to write down.
    if (k !== 'fields' && FORBIDDEN_DETAIL_KEYS.test(k)) throw new Error(`audit detail key "${k}" is not allowed`);
  }
  const { seq, prevHash } = await tx.audit.reserveNext();
  const base = {
    seq,
    at: wholeSeconds(clock.now()).toISOString().replace('.000Z', 'Z'),
    actor: ev.actor,
    action: ev.action,
    requestPk: ev.requestPk ?? null,
    details,
    prevHash,
  };
  const entry: AuditEntry = { ...base, hash: auditEntryHash(base) };
  await tx.audit.insert(entry);
  return entry;
}

export type AuditVerification =
  | { ok: true; entries: number }
  | { ok: false; entries: number; first_broken: number; reason: string };

/** Walks the whole chain in pages and reports the first entry that does not verify. */
export async function verifyAuditChain(store: AuditStore, pageSize = 1000): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for (;;) {
    const page = await store.list(expectedSeq, pageSize);
    for (const e of page) {
      count++;
      const broken = (reason: string): AuditVerification => ({ ok: false, entries: count, first_broken: expectedSeq, reason });
      if (e.seq !== expectedSeq) return { ok: false, entries: count, first_broken: expectedSeq, reason: `entry ${expectedSeq} is missing` };
      if (e.prevHash !== prevHash) return broken('prev_hash does not match the previous entry');
      if (e.detailsUnreadable) return broken('details are not a JSON object');
      if (auditEntryHash(e) !== e.hash) return broken('content does not match its hash');
      prevHash = e.hash;
      expectedSeq++;
    }
    if (page.length < pageSize) break;
  }
  const head = await store.head();
  if (head.seq !== expectedSeq - 1) {
    // Entries at the end were deleted (or the head was moved): the first missing one is broken.
    return { ok: false, entries: count, first_broken: expectedSeq, reason: `chain ends at ${expectedSeq - 1} but head is ${head.seq}` };
  }
  if (head.seq > 0 && head.hash !== prevHash) {
    return { ok: false, entries: count, first_broken: head.seq, reason: 'head hash does not match the last entry' };
  }
  return { ok: true, entries: count };
}
