import { sql, type Kysely } from 'kysely';
import type { AuditEntry } from '../../domain/model.js';
import type { AuditStore } from '../../domain/ports.js';
import { num, type TscDatabase } from './schema.js';

type Row = TscDatabase['tsc_audit'];

/** The stored details, or null when the text is not a JSON object (a tampered row must not stop a reader). */
function parseDetails(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function toEntry(r: Row): AuditEntry {
  const details = parseDetails(r.details);
  return {
    seq: num(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    requestPk: r.request_pk,
    details: details ?? {},
    ...(details === null ? { detailsUnreadable: true as const } : {}),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export class KyselyAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async reserveNext(): Promise<{ seq: number; prevHash: string }> {
    // Bumping the head row first takes its row lock (PostgreSQL) or the write lock (SQLite) until
    // commit, so concurrent appenders queue here and the chain never forks. RETURNING gives the
    // new seq and the hash column as it still is: the previous entry's hash.
    const row = await this.db
      .updateTable('tsc_audit_head')
      .set({ seq: sql`seq + 1` })
      .where('id', '=', 1)
      .returning(['seq', 'hash'])
      .executeTakeFirstOrThrow();
    return { seq: num(row.seq), prevHash: row.hash };
  }

  async insert(e: AuditEntry): Promise<void> {
    await this.db
      .insertInto('tsc_audit')
      .values({
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        request_pk: e.requestPk,
        details: JSON.stringify(e.details),
        prev_hash: e.prevHash,
        hash: e.hash,
      })
      .execute();
    await this.db.updateTable('tsc_audit_head').set({ hash: e.hash }).where('id', '=', 1).where('seq', '=', e.seq).execute();
  }

  async list(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    const rows = await this.db.selectFrom('tsc_audit').selectAll().where('seq', '>=', fromSeq).orderBy('seq').limit(limit).execute();
    return rows.map(toEntry);
  }

  async head(): Promise<{ seq: number; hash: string }> {
    const r = await this.db.selectFrom('tsc_audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    return { seq: num(r.seq), hash: r.hash };
  }
}
