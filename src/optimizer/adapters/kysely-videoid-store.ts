/**
 * VideoID records over Kysely (SQLite and PostgreSQL). PostgreSQL returns bigint columns as
 * strings, hence the Number() mapping.
 */
import type { Kysely } from 'kysely';
import type { VideoIdMode, VideoIdRecord, VideoIdStore } from '../domain/videoid-ports.js';
import type { OptimizerDb } from './sql-schema.js';
import type { OptVideoidsTable } from './sql-schema-videoid.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const date = (s: string | null) => (s ? new Date(s) : null);

function from(r: OptVideoidsTable): VideoIdRecord {
  return {
    videoidPk: Number(r.videoid_pk), requestPk: Number(r.request_pk), mode: r.mode as VideoIdMode, linkHash: r.link_hash,
    linkExpiresAt: date(r.link_expires_at), linkUsedAt: date(r.link_used_at), items: JSON.parse(r.items),
    dataSealed: r.data_sealed, failure: r.failure, evidenceDeletedAt: date(r.evidence_deleted_at),
    createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
  };
}

type Patch = Partial<Omit<VideoIdRecord, 'videoidPk' | 'requestPk' | 'createdAt'>>;

function toRow(p: Patch): Partial<OptVideoidsTable> {
  const out: Partial<OptVideoidsTable> = {};
  if (p.mode !== undefined) out.mode = p.mode;
  if (p.linkHash !== undefined) out.link_hash = p.linkHash;
  if (p.linkExpiresAt !== undefined) out.link_expires_at = iso(p.linkExpiresAt);
  if (p.linkUsedAt !== undefined) out.link_used_at = iso(p.linkUsedAt);
  if (p.items !== undefined) out.items = JSON.stringify(p.items);
  if (p.dataSealed !== undefined) out.data_sealed = p.dataSealed;
  if (p.failure !== undefined) out.failure = p.failure;
  if (p.evidenceDeletedAt !== undefined) out.evidence_deleted_at = iso(p.evidenceDeletedAt);
  if (p.updatedAt !== undefined) out.updated_at = p.updatedAt.toISOString();
  return out;
}

export class KyselyVideoIdStore implements VideoIdStore {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  async nextPk(): Promise<number> {
    const r = await this.db.updateTable('opt_sequences').set((eb) => ({ value: eb('value', '+', 1) }))
      .where('name', '=', 'videoid').returning('value').executeTakeFirstOrThrow();
    return Number(r.value);
  }

  async insert(r: VideoIdRecord): Promise<void> {
    await this.db.insertInto('opt_videoids').values({
      videoid_pk: r.videoidPk, request_pk: r.requestPk, mode: r.mode, link_hash: r.linkHash, link_expires_at: iso(r.linkExpiresAt),
      link_used_at: iso(r.linkUsedAt), items: JSON.stringify(r.items), data_sealed: r.dataSealed, failure: r.failure,
      evidence_deleted_at: iso(r.evidenceDeletedAt), created_at: r.createdAt.toISOString(), updated_at: r.updatedAt.toISOString(),
    }).execute();
  }

  private async one(col: 'videoid_pk' | 'request_pk' | 'link_hash', v: number | string): Promise<VideoIdRecord | null> {
    const r = await this.db.selectFrom('opt_videoids').selectAll().where(col, '=', v as never).executeTakeFirst();
    return r ? from(r) : null;
  }

  byVideoIdPk(pk: number): Promise<VideoIdRecord | null> {
    return this.one('videoid_pk', pk);
  }

  byRequestPk(pk: number): Promise<VideoIdRecord | null> {
    return this.one('request_pk', pk);
  }

  byLinkHash(hash: string): Promise<VideoIdRecord | null> {
    return this.one('link_hash', hash);
  }

  async update(requestPk: number, patch: Patch): Promise<void> {
    const row = toRow(patch);
    if (Object.keys(row).length === 0) return;
    await this.db.updateTable('opt_videoids').set(row).where('request_pk', '=', requestPk).execute();
  }

  async delete(requestPk: number): Promise<boolean> {
    const r = await this.db.deleteFrom('opt_videoids').where('request_pk', '=', requestPk).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
