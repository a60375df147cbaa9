/**
 * Optimizer tables (prefix opt_, migration table opt_migrations) for SQLite and PostgreSQL
 * through Kysely. Portable column types only: text, integer/bigint; times are ISO-8601 text;
 * booleans are 0/1 integers.
 */
import type { Kysely, Migration } from 'kysely';
import {
  asyncMigrations, type OptFeedCursorsTable, type OptJobsTable, type OptLocksTable, type OptSignJobsTable, type OptWebhookDeliveriesTable,
  type OptWebhookStreamsTable,
} from './sql-schema-async.js';
import { videoidMigrations, type OptSequencesTable, type OptVideoidsTable } from './sql-schema-videoid.js';

export interface OptTokensTable {
  uid: string;
  username: string;
  password_sealed: string | null;
  pin_sealed: string | null;
  env: string;
  fingerprint: string;
  protected: number;
  rao_id: number | null;
  registration_authority: number | null;
  created_at: string;
}

export interface OptRequestsTable {
  pk: number;
  status: string;
  env: string;
  profile: string;
  registration_authority: number | null;
  token_uid: string | null;
  rao_sealed: string;
  signer_sealed: string;
  use_async: number;
  callback: string | null;
  async_status: string | null;
  created_at: string;
  updated_at: string;
  signed_at: string | null;
}

export interface OptDocumentsTable {
  pk: number;
  uid: string;
  kind: string;
  field_name: string;
  filename: string;
  size: number;
  sha256: string;
  mime: string;
  ext: string;
  uploaded_at: string;
  signed_size: number | null;
  hash_spec: string | null;
}

export interface OptImagesTable {
  uid: string;
  filename: string;
  bytes: number;
  width: number;
  height: number;
  uploaded_at: string;
}

export interface OptMetadataTable {
  uid: string;
  oid: string;
  metadata: string;
  created_at: string;
}

export interface OptimizerDb {
  opt_tokens: OptTokensTable;
  opt_requests: OptRequestsTable;
  opt_documents: OptDocumentsTable;
  opt_images: OptImagesTable;
  opt_metadata: OptMetadataTable;
  opt_jobs: OptJobsTable;
  opt_locks: OptLocksTable;
  opt_sign_jobs: OptSignJobsTable;
  opt_webhook_streams: OptWebhookStreamsTable;
  opt_webhook_deliveries: OptWebhookDeliveriesTable;
  opt_feed_cursors: OptFeedCursorsTable;
  opt_videoids: OptVideoidsTable;
  opt_sequences: OptSequencesTable;
}

export const OPT_MIGRATION_TABLE = 'opt_migrations';

export const optimizerMigrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('opt_tokens')
        .addColumn('uid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('password_sealed', 'text')
        .addColumn('pin_sealed', 'text')
        .addColumn('env', 'varchar(16)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rao_id', 'bigint')
        .addColumn('registration_authority', 'bigint')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('opt_requests')
        .addColumn('pk', 'bigint', (c) => c.primaryKey())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('env', 'varchar(16)', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('registration_authority', 'bigint')
        .addColumn('token_uid', 'varchar(64)')
        .addColumn('rao_sealed', 'text', (c) => c.notNull())
        .addColumn('signer_sealed', 'text', (c) => c.notNull())
        .addColumn('use_async', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('callback', 'text')
        .addColumn('async_status', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('signed_at', 'varchar(32)')
        .execute();
      await db.schema
        .createTable('opt_documents')
        .addColumn('pk', 'bigint', (c) => c.notNull())
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('kind', 'varchar(8)', (c) => c.notNull())
        .addColumn('field_name', 'text', (c) => c.notNull())
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('mime', 'varchar(64)', (c) => c.notNull())
        .addColumn('ext', 'varchar(16)', (c) => c.notNull())
        .addColumn('uploaded_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('signed_size', 'bigint')
        .addColumn('hash_spec', 'text')
        .addPrimaryKeyConstraint('opt_documents_pk', ['pk', 'uid'])
        .execute();
      await db.schema
        .createTable('opt_images')
        .addColumn('uid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('uploaded_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('opt_metadata')
        .addColumn('uid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('oid', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['opt_metadata', 'opt_images', 'opt_documents', 'opt_requests', 'opt_tokens']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
  ...asyncMigrations,
  ...videoidMigrations,
};
