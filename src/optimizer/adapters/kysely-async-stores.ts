/**
 * Sign-job records and the webhook outbox over Kysely (SQLite and PostgreSQL). Every change that
 * two processes could race on is one conditional statement (compare-and-set) or one transaction,
 * so several Optimizers on one PostgreSQL agree without Redis.
 */
import type { Kysely } from 'kysely';
import type {
  FeedCursorStore, NewWebhookDelivery, SignJobRecord, SignJobState, SignJobStore, WebhookDelivery, WebhookFormat, WebhookOutbox,
  WebhookStreamState,
} from '../domain/async-ports.js';
import { ACTIVE_SIGN_JOB_STATES } from '../domain/async-ports.js';
import type { RequestStatus } from '../domain/ports.js';
import type { OptimizerDb } from './sql-schema.js';
import type { OptSignJobsTable, OptWebhookDeliveriesTable } from './sql-schema-async.js';

const num = (v: unknown): number => Number(v);
const iso = (d: Date) => d.toISOString();

export class KyselySignJobStore implements SignJobStore {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  private static from(r: OptSignJobsTable): SignJobRecord {
    return {
      pk: num(r.pk), state: r.state as SignJobState, planSealed: r.plan_sealed, attemptTag: r.attempt_tag, prepared: r.prepared,
      resultSealed: r.result_sealed, submissions: num(r.submissions), runs: num(r.runs), error: r.error,
      createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
    };
  }

  async start(j: SignJobRecord): Promise<boolean> {
    const row = {
      state: j.state, plan_sealed: j.planSealed, attempt_tag: j.attemptTag, prepared: j.prepared, result_sealed: j.resultSealed,
      submissions: j.submissions, runs: j.runs, error: j.error, created_at: iso(j.createdAt), updated_at: iso(j.updatedAt),
      updated_ms: j.updatedAt.getTime(),
    };
    // Insert, or reset a finished job; an active one is left alone (the WHERE of the upsert).
    const r = await this.db
      .insertInto('opt_sign_jobs')
      .values({ pk: j.pk, ...row })
      .onConflict((oc) => oc.column('pk').doUpdateSet(row).where('opt_sign_jobs.state', 'in', ['done', 'failed']))
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async get(pk: number): Promise<SignJobRecord | null> {
    const r = await this.db.selectFrom('opt_sign_jobs').selectAll().where('pk', '=', pk).executeTakeFirst();
    return r ? KyselySignJobStore.from(r) : null;
  }

  async update(pk: number, patch: Partial<Omit<SignJobRecord, 'pk' | 'createdAt'>>, expect: SignJobState): Promise<boolean> {
    const at = patch.updatedAt ?? new Date();
    const set: Partial<OptSignJobsTable> = { updated_at: iso(at), updated_ms: at.getTime() };
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.planSealed !== undefined) set.plan_sealed = patch.planSealed;
    if (patch.attemptTag !== undefined) set.attempt_tag = patch.attemptTag;
    if (patch.prepared !== undefined) set.prepared = patch.prepared;
    if (patch.resultSealed !== undefined) set.result_sealed = patch.resultSealed;
    if (patch.submissions !== undefined) set.submissions = patch.submissions;
    if (patch.runs !== undefined) set.runs = patch.runs;
    if (patch.error !== undefined) set.error = patch.error;
    const r = await this.db.updateTable('opt_sign_jobs').set(set).where('pk', '=', pk).where('state', '=', expect).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async claim(pk: number, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    const r = await this.db
      .updateTable('opt_sign_jobs')
      .set({ run_owner: owner, run_lease_until: now + leaseMs })
      .where('pk', '=', pk)
      .where((eb) => eb.or([eb('run_owner', 'is', null), eb('run_owner', '=', owner), eb('run_lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async release(pk: number, owner: string): Promise<void> {
    await this.db.updateTable('opt_sign_jobs').set({ run_owner: null, run_lease_until: null }).where('pk', '=', pk).where('run_owner', '=', owner).execute();
  }

  async listStale(before: Date, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('opt_sign_jobs')
      .select('pk')
      .where('state', 'in', [...ACTIVE_SIGN_JOB_STATES])
      .where('updated_ms', '<', before.getTime())
      .orderBy('updated_ms')
      .limit(limit)
      .execute();
    return rows.map((r) => num(r.pk));
  }

  async delete(pk: number): Promise<void> {
    await this.db.deleteFrom('opt_sign_jobs').where('pk', '=', pk).execute();
  }
}

function delivery(r: OptWebhookDeliveriesTable): WebhookDelivery {
  return {
    id: r.id, eventId: r.event_id, pk: num(r.pk), seq: num(r.seq), target: r.target, eventType: r.event_type, body: r.body,
    state: r.state as WebhookDelivery['state'], attempts: num(r.attempts), nextAttemptAt: new Date(num(r.next_attempt_at)),
    lastStatus: r.last_status === null ? null : num(r.last_status), lastError: r.last_error, createdAt: new Date(r.created_at),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
  };
}

export class KyselyWebhookOutbox implements WebhookOutbox {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  async initStream(s: Omit<WebhookStreamState, 'seq' | 'lastStatus'>): Promise<void> {
    await this.db
      .insertInto('opt_webhook_streams')
      .values({ pk: s.pk, last_status: null, seq: 0, callback_format: s.callbackFormat, scratchcard: s.scratchcard })
      .onConflict((oc) => oc.column('pk').doNothing())
      .execute();
  }

  async getStream(pk: number): Promise<WebhookStreamState | null> {
    const r = await this.db.selectFrom('opt_webhook_streams').selectAll().where('pk', '=', pk).executeTakeFirst();
    return r
      ? {
          pk: num(r.pk), lastStatus: r.last_status as RequestStatus | null, seq: num(r.seq),
          callbackFormat: r.callback_format as WebhookFormat, scratchcard: r.scratchcard,
        }
      : null;
  }

  async append(
    pk: number, expected: RequestStatus | null, status: RequestStatus, build: (seq: number) => NewWebhookDelivery[],
  ): Promise<number | null> {
    return this.db.transaction().execute(async (tx) => {
      let q = tx.updateTable('opt_webhook_streams').set((eb) => ({ last_status: status, seq: eb('seq', '+', 1) })).where('pk', '=', pk);
      q = expected === null ? q.where('last_status', 'is', null) : q.where('last_status', '=', expected);
      const u = await q.executeTakeFirst();
      if (Number(u.numUpdatedRows) === 0) return null;
      const { seq } = await tx.selectFrom('opt_webhook_streams').select('seq').where('pk', '=', pk).executeTakeFirstOrThrow();
      const rows = build(num(seq));
      if (rows.length) {
        await tx
          .insertInto('opt_webhook_deliveries')
          .values(rows.map((d) => ({
            id: d.id, event_id: d.eventId, pk: d.pk, seq: d.seq, target: d.target, event_type: d.eventType, body: d.body,
            state: 'pending', attempts: 0, next_attempt_at: d.nextAttemptAt.getTime(), last_status: null, last_error: null,
            created_at: iso(d.createdAt), delivered_at: null,
          })))
          .onConflict((oc) => oc.columns(['event_id', 'target']).doNothing())
          .execute();
      }
      return num(seq);
    });
  }

  async head(pk: number, target: string): Promise<WebhookDelivery | null> {
    const r = await this.db
      .selectFrom('opt_webhook_deliveries')
      .selectAll()
      .where('pk', '=', pk)
      .where('target', '=', target)
      .where('state', '=', 'pending')
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    return r ? delivery(r) : null;
  }

  async markDelivered(id: string, attempts: number, status: number, at: Date): Promise<void> {
    await this.db.updateTable('opt_webhook_deliveries')
      .set({ state: 'delivered', attempts, last_status: status, last_error: null, delivered_at: iso(at) })
      .where('id', '=', id).execute();
  }

  async markRetry(id: string, attempts: number, next: Date, status: number | null, error: string): Promise<void> {
    await this.db.updateTable('opt_webhook_deliveries')
      .set({ attempts, next_attempt_at: next.getTime(), last_status: status, last_error: error.slice(0, 500) })
      .where('id', '=', id).execute();
  }

  async markFailed(id: string, attempts: number, status: number | null, error: string): Promise<void> {
    await this.db.updateTable('opt_webhook_deliveries')
      .set({ state: 'failed', attempts, last_status: status, last_error: error.slice(0, 500) })
      .where('id', '=', id).execute();
  }

  async targets(pk: number): Promise<string[]> {
    const rows = await this.db.selectFrom('opt_webhook_deliveries').select('target').distinct().where('pk', '=', pk).execute();
    return rows.map((r) => r.target);
  }

  async dueStreams(now: Date, limit: number): Promise<Array<{ pk: number; target: string }>> {
    // Streams whose head (lowest pending seq) is due; later events wait behind their head.
    const rows = await this.db
      .selectFrom('opt_webhook_deliveries as d')
      .select(['d.pk', 'd.target'])
      .where('d.state', '=', 'pending')
      .where('d.next_attempt_at', '<=', now.getTime())
      .where(({ not, exists, selectFrom }) => not(exists(
        selectFrom('opt_webhook_deliveries as e')
          .select('e.id')
          .whereRef('e.pk', '=', 'd.pk')
          .whereRef('e.target', '=', 'd.target')
          .where('e.state', '=', 'pending')
          .whereRef('e.seq', '<', 'd.seq'),
      )))
      .limit(limit)
      .execute();
    return rows.map((r) => ({ pk: num(r.pk), target: r.target }));
  }

  async list(pk: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.selectFrom('opt_webhook_deliveries').selectAll().where('pk', '=', pk).orderBy('seq').orderBy('target').execute();
    return rows.map(delivery);
  }
}

export class KyselyFeedCursorStore implements FeedCursorStore {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  async get(name: string): Promise<number> {
    await this.db.insertInto('opt_feed_cursors').values({ name, position: 0 }).onConflict((oc) => oc.column('name').doNothing()).execute();
    const r = await this.db.selectFrom('opt_feed_cursors').select('position').where('name', '=', name).executeTakeFirstOrThrow();
    return num(r.position);
  }

  async advance(name: string, from: number, to: number): Promise<boolean> {
    const r = await this.db.updateTable('opt_feed_cursors').set({ position: to }).where('name', '=', name).where('position', '=', from).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
