/**
 * Job queue on BullMQ (Redis) when REDIS_URL is set; the database queue is its fallback.
 *
 * - enqueue: to BullMQ when the shared Redis connection is up, else (or when the add fails or
 *   takes longer than addTimeoutMs) to the database queue — no request waits on a dead Redis.
 * - Both workers always run in every process, so jobs queued in either place are done.
 * - A process killed mid-job stops renewing its BullMQ lock; the stalled-job check of any live
 *   worker moves the job back to wait after one lease (lockDuration) and it runs again.
 * - Job payloads are ids only ({pk}, {pk, tid}: a webhook target by its hash, never its URL):
 *   nothing sensitive goes to Redis. A Redis
 *   without persistence that loses its queue loses no work either: the sign-job records and the
 *   webhook outbox live in the database and recovery re-queues what is stale (async-sign.ts,
 *   webhooks.ts).
 */
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { RedisHandle } from '../../infra/redis.js';
import type { EnqueueOptions, JobQueue } from '../domain/ports.js';
import type { KyselyJobQueue } from './kysely-job-queue.js';

export interface BullMqJobQueueOptions {
  queueName?: string;
  /** BullMQ key prefix (default `oneshot:bull`). */
  prefix?: string;
  /** lockDuration and stalledInterval of the worker (default 30 s). */
  leaseMs?: number;
  concurrency?: number;
  /** Attempts of a job whose handler throws (default 5; backoff 1 s, 2 s, 4 s …), as the database queue. */
  attempts?: number;
  /** Longest wait for an add before falling back (default 1000 ms). */
  addTimeoutMs?: number;
  onError?: (where: string, e: unknown) => void;
}

type Handler = (payload: unknown) => Promise<void>;

export interface BullMqStats {
  /** Jobs added to BullMQ / to the database fallback. */
  addedToRedis: number;
  addedToFallback: number;
  /** Jobs this process ran from BullMQ. */
  ranFromRedis: number;
}

export class BullMqJobQueue implements JobQueue {
  readonly stats: BullMqStats = { addedToRedis: 0, addedToFallback: 0, ranFromRedis: 0 };
  private readonly handlers = new Map<string, Handler>();
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private readonly active = new Set<Promise<void>>();
  private readonly name: string;

  constructor(
    private readonly redis: RedisHandle,
    readonly fallback: KyselyJobQueue,
    private readonly opts: BullMqJobQueueOptions = {},
  ) {
    this.name = opts.queueName ?? 'oneshot-jobs';
  }

  register(name: string, handler: Handler): void {
    this.handlers.set(name, handler);
    this.fallback.register(name, handler);
  }

  start(): void {
    const prefix = this.opts.prefix ?? 'oneshot:bull';
    const base: RedisOptions = this.redis.options();
    this.queue = new Queue(this.name, { connection: base as ConnectionOptions, prefix });
    this.queue.on('error', (e) => this.opts.onError?.('queue', e));
    const lease = this.opts.leaseMs ?? 30_000;
    // The worker waits for Redis (blocking reads, offline queue) — it serves no request.
    const { enableOfflineQueue: _o, maxRetriesPerRequest: _m, commandTimeout: _c, ...workerConn } = base;
    this.worker = new Worker(this.name, (job: Job) => this.process(job), {
      connection: workerConn as ConnectionOptions,
      prefix,
      concurrency: this.opts.concurrency ?? 4,
      lockDuration: lease,
      stalledInterval: lease,
      maxStalledCount: 10,
      drainDelay: 1,
      removeOnComplete: { count: 0 },
      // A failed job is dropped like a completed one: BullMQ refuses a new job under the id of a job
      // it still holds, and recovery re-queues under fixed ids (`…-recover`), so a kept failed job
      // would silence that stream's recovery for good. The database queue resets failed ids alike.
      removeOnFail: { count: 0 },
    });
    this.worker.on('error', (e) => this.opts.onError?.('worker', e));
    this.worker.on('failed', (job, e) => this.opts.onError?.(`job ${job?.name ?? '?'} (attempt ${job?.attemptsMade ?? '?'})`, e));
    this.fallback.start();
  }

  private process(job: Job): Promise<void> {
    const h = this.handlers.get(job.name);
    if (!h) return Promise.reject(new Error(`no handler for job ${job.name}`));
    this.stats.ranFromRedis++;
    const p = h(job.data);
    const tracked = p.then(() => {}, () => {}).finally(() => this.active.delete(tracked));
    this.active.add(tracked);
    return p;
  }

  async enqueue(name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<void> {
    if (this.queue && this.redis.ready()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.queue.add(name, payload, {
            ...(opts.jobId ? { jobId: opts.jobId } : {}),
            ...(opts.delayMs ? { delay: Math.max(0, Math.floor(opts.delayMs)) } : {}),
            attempts: this.opts.attempts ?? 5,
            backoff: { type: 'exponential', delay: 1000 },
          }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('BullMQ add timed out')), this.opts.addTimeoutMs ?? 1000);
          }),
        ]);
        this.stats.addedToRedis++;
        return;
      } catch (e) {
        this.opts.onError?.('enqueue', e);
      } finally {
        clearTimeout(timer);
      }
    }
    this.stats.addedToFallback++;
    await this.fallback.enqueue(name, payload, opts);
  }

  /** Waits until nothing runs here and neither queue has a job waiting to run (tests, shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      await this.fallback.drain();
      if (this.active.size) {
        await Promise.allSettled([...this.active]);
        continue;
      }
      let pending = 0;
      if (this.queue && this.redis.ready()) {
        try {
          const c = await this.queue.getJobCounts('wait', 'active', 'prioritized');
          pending = (c.wait ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0);
        } catch {
          pending = 0;
        }
      }
      if (pending === 0 && this.active.size === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits for running jobs (bounded: BullMQ cannot close cleanly while Redis is down), then stops. */
  async close(timeoutMs = 5000): Promise<void> {
    const bounded = async (p: Promise<unknown> | undefined, force: () => unknown) => {
      if (!p) return;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        p.then(() => false, () => false),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(true), timeoutMs); }),
      ]);
      clearTimeout(timer);
      if (timedOut) force();
    };
    await bounded(this.worker?.close(), () => this.worker?.close(true).catch(() => {}));
    await bounded(this.queue?.close(), () => {});
    await this.fallback.close();
  }
}
