/**
 * Tables of async mode, webhooks, durable jobs and database locks (issue 6), on SQLite and
 * PostgreSQL through Kysely. Times that are compared in queries (run_at, lease_until,
 * next_attempt_at, expires_at, updated_ms) are epoch milliseconds in bigint columns, so the
 * comparison is numeric on both databases; the others are ISO-8601 text like the rest of opt_*.
 */
import type { Kysely, Migration } from 'kysely';

/** Durable local job queue (KyselyJobQueue): the queue when REDIS_URL is unset, the fallback when Redis is down. */
export interface OptJobsTable {
  id: string;
  name: string;
  /** JSON; never secrets (sign jobs carry only the pk). */
  payload: string;
  /** waiting | running | failed (done rows are deleted). */
  state: string;
  attempts: number;
  run_at: number;
  owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: string;
}

/** Locks shared by processes on one database (several Optimizers without Redis, or Redis down). */
export interface OptLocksTable {
  key: string;
  token: string;
  expires_at: number;
}

export interface OptSignJobsTable {
  pk: number;
  state: string;
  plan_sealed: string | null;
  attempt_tag: string;
  prepared: string | null;
  result_sealed: string | null;
  submissions: number;
  runs: number;
  error: string | null;
  created_at: string;
  updated_at: string;
  updated_ms: number;
  /** Run lease (migration 006_2026112803): the run working on the job and until when. */
  run_owner: string | null;
  run_lease_until: number | null;
}

export interface OptWebhookStreamsTable {
  pk: number;
  last_status: string | null;
  seq: number;
  callback_format: string;
  scratchcard: string | null;
}

export interface OptWebhookDeliveriesTable {
  id: string;
  event_id: string;
  pk: number;
  seq: number;
  target: string;
  event_type: string;
  body: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** Positions in the TSC's event feed, shared by every Optimizer. */
export interface OptFeedCursorsTable {
  name: string;
  position: number;
}

export const asyncMigrations: Record<string, Migration> = {
  '006_2026112801_async_jobs_webhooks': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('opt_jobs')
        .addColumn('id', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('run_at', 'bigint', (c) => c.notNull())
        .addColumn('owner', 'varchar(64)')
        .addColumn('lease_until', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('opt_jobs_due').on('opt_jobs').columns(['state', 'run_at']).execute();

      await db.schema
        .createTable('opt_locks')
        .addColumn('key', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('token', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('opt_sign_jobs')
        .addColumn('pk', 'bigint', (c) => c.primaryKey())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('plan_sealed', 'text')
        .addColumn('attempt_tag', 'varchar(32)', (c) => c.notNull())
        .addColumn('prepared', 'text')
        .addColumn('result_sealed', 'text')
        .addColumn('submissions', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('opt_sign_jobs_stale').on('opt_sign_jobs').columns(['state', 'updated_ms']).execute();

      await db.schema
        .createTable('opt_webhook_streams')
        .addColumn('pk', 'bigint', (c) => c.primaryKey())
        .addColumn('last_status', 'varchar(32)')
        .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('callback_format', 'varchar(1)', (c) => c.notNull())
        .addColumn('scratchcard', 'varchar(32)')
        .execute();

      await db.schema
        .createTable('opt_webhook_deliveries')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('pk', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('event_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('delivered_at', 'varchar(32)')
        .execute();
      // One delivery per event and target: the event id de-duplicates at the source too.
      await db.schema.createIndex('opt_webhook_deliveries_event').on('opt_webhook_deliveries').columns(['event_id', 'target']).unique().execute();
      await db.schema.createIndex('opt_webhook_deliveries_stream').on('opt_webhook_deliveries').columns(['pk', 'state', 'seq']).execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['opt_webhook_deliveries', 'opt_webhook_streams', 'opt_sign_jobs', 'opt_locks', 'opt_jobs']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
  '006_2026112802_feed_cursors': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('opt_feed_cursors')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('position', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('opt_feed_cursors').ifExists().execute();
    },
  },
  '006_2026112803_sign_job_run_lease': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('opt_sign_jobs').addColumn('run_owner', 'varchar(32)').execute();
      await db.schema.alterTable('opt_sign_jobs').addColumn('run_lease_until', 'bigint').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('opt_sign_jobs').dropColumn('run_lease_until').execute();
      await db.schema.alterTable('opt_sign_jobs').dropColumn('run_owner').execute();
    },
  },
};
