/**
 * Durable job queue in the relational database (table opt_jobs; SQLite by default, PostgreSQL
 * when DATABASE_URL says so): the queue when REDIS_URL is unset, and the fallback of the BullMQ
 * queue while Redis is down.
 *
 * A worker claims a due job with one conditional UPDATE (so several processes on one PostgreSQL
 * never run a job twice at once) and holds a lease it renews while the handler runs. A process
 * killed mid-job stops renewing; once the lease has run out any worker (the restarted process,
 * another Optimizer) claims the job again. Handlers are therefore idempotent (at-least-once).
 * Done jobs are deleted; a job that throws is retried with backoff, then kept as `failed`.
 */
import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { EnqueueOptions, JobQueue } from '../domain/ports.js';
import type { OptimizerDb } from './sql-schema.js';

export interface KyselyJobQueueOptions {
  /** Lease of a running job, renewed every third of it (default 30 s). */
  leaseMs?: number;
  /** Poll interval for jobs queued by other processes or coming due (default 1000 ms). */
  pollMs?: number;
  /** Jobs run at once by this process (default 4). */
  concurrency?: number;
  /** Attempts of a job whose handler throws (default 5); backoff 1 s, 2 s, 4 s … */
  maxAttempts?: number;
  onError?: (name: string, e: unknown) => void;
}

type Handler = (payload: unknown) => Promise<void>;

export class KyselyJobQueue implements JobQueue {
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly handlers = new Map<string, Handler>();
  private readonly running = new Set<Promise<void>>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  /** Jobs this process completed (tests and health). */
  completed = 0;

  constructor(private readonly db: Kysely<OptimizerDb>, private readonly opts: KyselyJobQueueOptions = {}) {
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 1000;
    this.concurrency = opts.concurrency ?? 4;
    this.maxAttempts = opts.maxAttempts ?? 5;
  }

  register(name: string, handler: Handler): void {
    this.handlers.set(name, handler);
  }

  /** Starts polling (app.ts calls it once the handlers are registered). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.kick();
  }

  async enqueue(name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<void> {
    const now = Date.now();
    const row = {
      name, payload: JSON.stringify(payload ?? null), state: 'waiting', attempts: 0, run_at: now + Math.max(0, opts.delayMs ?? 0),
      owner: null, lease_until: null, last_error: null, created_at: new Date(now).toISOString(),
    };
    // A job id already waiting or running is not added again; a failed one is reset.
    await this.db
      .insertInto('opt_jobs')
      .values({ id: opts.jobId ?? randomUUID(), ...row })
      .onConflict((oc) => oc.column('id').doUpdateSet(row).where('opt_jobs.state', '=', 'failed'))
      .execute();
    if (!opts.delayMs) this.kick();
  }

  /** Waits until no job is running here and none is due (tests, shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.running.size) {
        await Promise.allSettled([...this.running]);
        continue;
      }
      const due = await this.db
        .selectFrom('opt_jobs')
        .select('id')
        .where('name', 'in', [...this.handlers.keys(), ''])
        .where((eb) => eb.or([
          eb.and([eb('state', '=', 'waiting'), eb('run_at', '<=', Date.now())]),
          eb.and([eb('state', '=', 'running'), eb('owner', '=', this.owner)]),
        ]))
        .limit(1)
        .execute();
      if (!due.length && !this.running.size) return;
      this.kick();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling?.catch(() => {});
    await Promise.allSettled([...this.running]);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.polling = this.poll()
      .catch((e) => this.opts.onError?.('poll', e))
      .finally(() => {
        this.polling = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else {
          this.timer = setTimeout(() => this.kick(), this.pollMs);
          this.timer.unref();
        }
      });
  }

  private async poll(): Promise<void> {
    const free = this.concurrency - this.running.size;
    if (free <= 0 || this.handlers.size === 0) return;
    const now = Date.now();
    const claimable = (eb: ExpressionBuilder<OptimizerDb, 'opt_jobs'>) => eb.or([
      eb.and([eb('state', '=', 'waiting'), eb('run_at', '<=', now)]),
      eb.and([eb('state', '=', 'running'), eb('lease_until', '<', now)]),
    ]);
    const candidates = await this.db
      .selectFrom('opt_jobs')
      .select(['id', 'name', 'payload', 'attempts'])
      .where('name', 'in', [...this.handlers.keys()])
      .where(claimable)
      .orderBy('run_at')
      .limit(free * 2)
      .execute();
    let started = 0;
    for (const c of candidates) {
      if (started >= free || this.stopped) break;
      const claimed = await this.db
        .updateTable('opt_jobs')
        .set({ state: 'running', owner: this.owner, lease_until: now + this.leaseMs, attempts: Number(c.attempts) + 1 })
        .where('id', '=', c.id)
        .where(claimable)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue; // another worker was quicker
      started++;
      const p: Promise<void> = this.run(c.id, c.name, c.payload, Number(c.attempts) + 1).finally(() => {
        this.running.delete(p);
        this.kick();
      });
      this.running.add(p);
    }
  }

  private async run(id: string, name: string, payload: string, attempt: number): Promise<void> {
    const renew = setInterval(() => {
      this.db.updateTable('opt_jobs').set({ lease_until: Date.now() + this.leaseMs })
        .where('id', '=', id).where('owner', '=', this.owner).where('state', '=', 'running')
        .execute().catch(() => {});
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref();
    try {
      await this.handlers.get(name)!(JSON.parse(payload));
      clearInterval(renew);
      await this.db.deleteFrom('opt_jobs').where('id', '=', id).where('owner', '=', this.owner).where('state', '=', 'running').execute();
      this.completed++;
    } catch (e) {
      clearInterval(renew);
      this.opts.onError?.(name, e);
      const last = attempt >= this.maxAttempts;
      await this.db
        .updateTable('opt_jobs')
        .set({
          state: last ? 'failed' : 'waiting', owner: null, lease_until: null, run_at: Date.now() + 1000 * 2 ** (attempt - 1),
          last_error: e instanceof Error ? e.message.slice(0, 500) : 'error',
        })
        .where('id', '=', id)
        .where('owner', '=', this.owner)
        .execute()
        .catch(() => {});
    }
  }
}
