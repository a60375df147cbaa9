/**
 * Wiring of the Optimizer (DESIGN.md §2: only app.ts/main.ts know the adapters):
 * config → database (SQLite or PostgreSQL, migrated) → stores, blob folder, settings file,
 * master key, TSC client, embedded lock/cache/jobs → use-case context → HTTP.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { migrate, openDatabase, type Db } from '../infra/db.js';
import { connectRedis, type RedisHandle } from '../infra/redis.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { OptimizerConfig } from './config.js';
import type { OptimizerContext } from './domain/context.js';
import type { PdfEngine } from './domain/pdf-engine.js';
import type { Cache, JobQueue, Lock, TscClient } from './domain/ports.js';
import { SecretBox } from './domain/secret-box.js';
import type { CertificateEventFeed, Logger } from './domain/async-ports.js';
import { pollCertificateEvents } from './domain/certificate-events.js';
import { recoverSignJobs, runSignJob } from './domain/async-sign.js';
import { deliverWebhooks, recoverWebhooks } from './domain/webhooks.js';
import { ensureSandboxToken } from './domain/tokens.js';
import { FileSettingsStore } from './adapters/file-settings-store.js';
import { FsBlobStore } from './adapters/fs-blob-store.js';
import { HttpTscClient } from './adapters/http-tsc-client.js';
import {
  KyselyDocumentStore, KyselyImageStore, KyselyMetadataStore, KyselyRequestStore, KyselyTokenStore,
} from './adapters/kysely-stores.js';
import { loadMasterKey } from './adapters/master-key.js';
import { InProcessLock, MemoryCache } from './adapters/memory-ops.js';
import { PadesPdfEngine } from './adapters/pades-pdf-engine.js';
import { BullMqJobQueue } from './adapters/bullmq-job-queue.js';
import { HttpWebhookSender } from './adapters/http-webhook-sender.js';
import { KyselyFeedCursorStore, KyselySignJobStore, KyselyWebhookOutbox } from './adapters/kysely-async-stores.js';
import { KyselyJobQueue } from './adapters/kysely-job-queue.js';
import { KyselyLock } from './adapters/kysely-lock.js';
import { RedisCache } from './adapters/redis-cache.js';
import { RedisLock } from './adapters/redis-lock.js';
import { loadWebhookSecret } from './adapters/webhook-secret.js';
import { PadesLongTermPdf } from './adapters/pades-long-term.js';
import { HttpValidationFetcher } from './adapters/http-validation-fetcher.js';
import { HttpDocTimestamper } from './adapters/http-doc-timestamper.js';
import { FetchTsaTransport } from '../infra/http-tsa-transport.js';
import type { LongTermServices } from './domain/long-term-ports.js';
import { OPT_MIGRATION_TABLE, optimizerMigrations, type OptimizerDb } from './adapters/sql-schema.js';
import { KyselyVideoIdStore } from './adapters/kysely-videoid-store.js';
import type { TscVideoIdClient } from './domain/videoid-ports.js';
import { buildHttp } from './http/router.js';

/** Replaceable parts (tests, the scale-out issue). */
export interface OptimizerDeps {
  tsc?: TscClient;
  clock?: Clock;
  lock?: Lock;
  cache?: Cache;
  jobs?: JobQueue;
  pdf?: PdfEngine;
  /** B-LT/B-LTA services (issue 5); default: files + HTTP (validation data, document-timestamp TSA). */
  longTerm?: LongTermServices;
  /** The TSC's VideoID calls (issue 7); default: HTTP. */
  videoidTsc?: TscVideoIdClient;
  logger?: FastifyServerOptions['logger'];
}

export interface OptimizerApp {
  app: FastifyInstance;
  ctx: OptimizerContext;
  db: Db<OptimizerDb>;
  /** The Redis connection when REDIS_URL is set. */
  redis: RedisHandle | null;
  close(): Promise<void>;
}

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const STAGING_MAX_AGE_MS = 6 * 3600_000;

export async function buildOptimizerApp(config: OptimizerConfig, deps: OptimizerDeps = {}): Promise<OptimizerApp> {
  const db = openDatabase<OptimizerDb>(config.databaseUrl);
  try {
    await migrate(db, optimizerMigrations, OPT_MIGRATION_TABLE);
  } catch (e) {
    await db.close();
    throw e;
  }
  const blobs = new FsBlobStore(join(config.optimizerDir, 'blobs'));
  // Async mode, Redis and durable jobs (issue 6; docs/deployment.md). Logs go to the HTTP app's
  // logger once it exists.
  const ac = config.async;
  let logTarget: Logger | null = null;
  const log: Logger = {
    info: (o, m) => logTarget?.info(o, m),
    warn: (o, m) => logTarget?.warn(o, m),
    error: (o, m) => logTarget?.error(o, m),
  };
  const redis = ac.redisUrl
    ? connectRedis(ac.redisUrl, { onStateChange: (state, detail) => log[state === 'up' ? 'info' : 'warn']({ redis: state, detail }, `Redis ${state}`) })
    : null;
  // Without Redis: one process on SQLite locks in memory; processes sharing PostgreSQL lock there.
  const localLock = db.kind === 'postgres' ? new KyselyLock(db.kysely, ac.leaseMs) : new InProcessLock();
  const sqlJobs = new KyselyJobQueue(db.kysely, {
    leaseMs: ac.leaseMs, pollMs: ac.jobPollMs, concurrency: ac.jobConcurrency,
    onError: (name, e) => log.error({ job: name, err: (e as Error)?.message }, 'job failed'),
  });
  const jobs: JobQueue = deps.jobs ?? (redis
    ? new BullMqJobQueue(redis, sqlJobs, {
        leaseMs: ac.leaseMs, concurrency: ac.jobConcurrency,
        onError: (where, e) => log.warn({ bullmq: where, err: (e as Error)?.message }, 'BullMQ error'),
      })
    : sqlJobs);
  const cache = deps.cache ?? (redis ? new RedisCache(redis) : new MemoryCache());
  const httpTsc = new HttpTscClient({ baseUrl: config.tscUrl, apiKey: config.tscClientApiKey, timeoutMs: config.tscTimeoutMs });
  // The certificate status feed (CERTIFICATE_REVOKED webhooks) comes from the same TSC; a test's
  // replacement TSC client without the feed disables it.
  const certEvents = deps.tsc ? (('certificateEvents' in deps.tsc ? deps.tsc : null) as CertificateEventFeed | null) : httpTsc;
  const clock = deps.clock ?? systemClock;
  const ltvTimeoutMs = Math.min(config.tscTimeoutMs, 10_000);
  const ctx: OptimizerContext = {
    tokens: new KyselyTokenStore(db.kysely),
    requests: new KyselyRequestStore(db.kysely),
    documents: new KyselyDocumentStore(db.kysely),
    images: new KyselyImageStore(db.kysely),
    metadata: new KyselyMetadataStore(db.kysely),
    blobs,
    settings: new FileSettingsStore(join(config.optimizerDir, 'settings.json'), {
      environment: config.environment, overrides: config.settingsOverrides,
    }),
    tsc: deps.tsc ?? httpTsc,
    pdf: deps.pdf ?? new PadesPdfEngine(blobs),
    longTerm: deps.longTerm ?? {
      pdf: new PadesLongTermPdf(blobs),
      fetcher: new HttpValidationFetcher(cache, { timeoutMs: ltvTimeoutMs, clock }),
      // Document timestamps: the configured TSAs, else the TSC's public RFC 3161 endpoint.
      timestamper: new HttpDocTimestamper(new FetchTsaTransport(), { defaultUrl: `${config.tscUrl}/tsa`, timeoutMs: ltvTimeoutMs }),
    },
    secrets: new SecretBox(loadMasterKey(config.masterKey, join(config.optimizerDir, 'master.key'))),
    clock,
    lock: deps.lock ?? (redis ? new RedisLock(redis, localLock, ac.leaseMs) : localLock),
    cache,
    jobs,
    async: {
      signJobs: new KyselySignJobStore(db.kysely),
      outbox: new KyselyWebhookOutbox(db.kysely),
      sender: new HttpWebhookSender({
        timeoutMs: ac.webhookTimeoutMs, allowPrivate: ac.webhookAllowPrivate, userAgent: `OneShot-Optimizer/${packageVersion()} (webhooks)`,
      }),
      webhook: {
        secret: loadWebhookSecret(ac.webhookSecret, join(config.optimizerDir, 'webhook-secret')),
        allowPrivate: ac.webhookAllowPrivate,
        maxAttempts: ac.webhookMaxAttempts,
        backoffMs: ac.webhookBackoffMs,
        maxBackoffMs: ac.webhookMaxBackoffMs,
      },
      log,
      leaseMs: ac.leaseMs,
      staleMs: 2 * ac.leaseMs,
      signAttempts: ac.signAttempts,
      certEvents,
      cursors: new KyselyFeedCursorStore(db.kysely),
    },
    videoid: {
      store: new KyselyVideoIdStore(db.kysely),
      tsc: deps.videoidTsc ?? new HttpTscClient({ baseUrl: config.tscUrl, apiKey: config.tscClientApiKey, timeoutMs: config.tscTimeoutMs }),
      // Until startOptimizer knows the listening port (OPTIMIZER_PUBLIC_URL overrides both).
      publicUrl: config.videoid.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`,
      linkTtlMs: config.videoid.linkTtlSeconds * 1000,
      maxVideoBytes: config.videoid.maxVideoBytes,
      maxImageBytes: config.videoid.maxImageBytes,
      maxEvidenceBodyBytes: config.videoid.maxEvidenceBodyBytes,
      proxyHops: config.videoid.proxyHops,
    },
    limits: {
      maxUploadBytes: config.maxUploadBytes,
      maxFilesPerCall: config.maxFilesPerCall,
      maxDocumentsPerRequest: config.maxDocumentsPerRequest,
    },
    version: packageVersion(),
  };
  jobs.register('sign', (payload) => runSignJob(ctx, payload));
  jobs.register('webhook', (payload) => deliverWebhooks(ctx, payload));
  let app: FastifyInstance;
  try {
    app = await buildHttp(ctx, { apiKey: config.apiKey, logger: deps.logger ?? false });
  } catch (e) {
    await redis?.close();
    await db.close();
    throw e;
  }
  logTarget = app.log;
  // Uploads a crashed process left half-written (any replica: the blob folder is shared). A live
  // upload refreshes its file's mtime with every write; one silent this long is dead.
  void blobs.sweepStaging(Date.now() - STAGING_MAX_AGE_MS)
    .then((n) => { if (n > 0) log.info({ removed: n }, 'abandoned upload staging files removed'); })
    .catch((e) => log.warn({ err: (e as Error)?.message }, 'staging sweep failed'));
  (jobs as { start?: () => void }).start?.();
  // Recovery: jobs whose process died or whose queue entry was lost (Redis without persistence).
  const recovery = ac.recoveryIntervalMs > 0
    ? setInterval(() => {
        void Promise.all([recoverSignJobs(ctx), recoverWebhooks(ctx, ac.leaseMs), pollCertificateEvents(ctx)])
          .catch((e) => log.warn({ err: (e as Error)?.message }, 'recovery sweep failed'));
      }, ac.recoveryIntervalMs)
    : null;
  recovery?.unref();
  return {
    app,
    ctx,
    db,
    redis,
    async close() {
      if (recovery) clearInterval(recovery);
      await app.close();
      // Durable queues stop after their running jobs (the rest stays queued); the in-process one drains.
      const closable = jobs as { close?: () => Promise<void> };
      if (closable.close) await closable.close();
      else await jobs.drain();
      await redis?.close();
      await db.close();
    },
  };
}

export interface RunningOptimizer extends OptimizerApp {
  url: string;
  sandboxTokenUid: string | null;
}

/** Builds, seeds the sandbox token (when configured) and listens on config.host:config.port. */
export async function startOptimizer(config: OptimizerConfig, deps: OptimizerDeps = {}): Promise<RunningOptimizer> {
  const built = await buildOptimizerApp(config, { logger: deps.logger ?? { level: config.logLevel }, ...deps });
  let sandboxTokenUid: string | null = null;
  try {
    if (config.sandboxToken) sandboxTokenUid = await ensureSandboxToken(built.ctx, config.sandboxToken);
    await built.app.listen({ host: config.host, port: config.port });
  } catch (e) {
    await built.close();
    throw e;
  }
  const addr = built.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  if (config.apiKey === null && !['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
    built.app.log.warn('OPTIMIZER_API_KEY is not set and the Optimizer listens beyond loopback: settings and tokens are open to the network');
  }
  const url = `http://${host}:${port}`;
  if (config.videoid.publicUrl === null) built.ctx.videoid.publicUrl = url;
  return { ...built, url, sandboxTokenUid };
}
