/**
 * VideoID tables (issue 7) for SQLite and PostgreSQL through Kysely: the VideoID record of a
 * request (the videoid_pk ↔ request_pk map, the hosted link's hash and lifetime, the evidence
 * index, sealed JSON evidence) and a counter table for the videoid_pk sequence (one atomic
 * UPDATE … RETURNING on both databases, so several Optimizers share it).
 */
import type { Kysely, Migration } from 'kysely';

export interface OptVideoidsTable {
  videoid_pk: number;
  request_pk: number;
  mode: string;
  link_hash: string | null;
  link_expires_at: string | null;
  link_used_at: string | null;
  /** JSON {item: {sha256, size, mime, ext, at}}: no identity data. */
  items: string;
  /** SecretBox-sealed JSON evidence (acceptance, identity/OCR data, checks, similarity). */
  data_sealed: string | null;
  failure: string | null;
  evidence_deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface OptSequencesTable {
  name: string;
  value: number;
}

export const videoidMigrations: Record<string, Migration> = {
  '007_2026112801_videoid': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('opt_videoids')
        .addColumn('videoid_pk', 'bigint', (c) => c.primaryKey())
        .addColumn('request_pk', 'bigint', (c) => c.notNull().unique())
        .addColumn('mode', 'varchar(16)', (c) => c.notNull())
        .addColumn('link_hash', 'varchar(64)', (c) => c.unique())
        .addColumn('link_expires_at', 'varchar(32)')
        .addColumn('link_used_at', 'varchar(32)')
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('data_sealed', 'text')
        .addColumn('failure', 'text')
        .addColumn('evidence_deleted_at', 'varchar(32)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('opt_sequences')
        .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('opt_sequences').values({ name: 'videoid', value: 0 }).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('opt_sequences').ifExists().execute();
      await db.schema.dropTable('opt_videoids').ifExists().execute();
    },
  },
};
