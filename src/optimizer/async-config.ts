/**
 * Configuration of async mode, webhooks, Redis and the job queue (issue 6); every variable is
 * documented in docs/deployment.md. Loaded by config.ts into `OptimizerConfig.async`.
 */
export interface AsyncConfig {
  /** redis://… enables Redis for the cache, locks and BullMQ jobs; null: database queue and local cache. */
  redisUrl: string | null;
  /** HMAC key of webhook signatures (its UTF-8 bytes); null → generated once into `<optimizerDir>/webhook-secret`. */
  webhookSecret: string | null;
  webhookAllowPrivate: boolean;
  webhookTimeoutMs: number;
  webhookMaxAttempts: number;
  webhookBackoffMs: number;
  webhookMaxBackoffMs: number;
  /** Lease of running jobs and held locks; a killed process's work resumes after about one lease. */
  leaseMs: number;
  jobPollMs: number;
  jobConcurrency: number;
  /** Attempts of an async sign on transient failures (TSC unreachable or busy). */
  signAttempts: number;
  /** Period of the recovery sweep (stale sign jobs, due webhook streams); 0 disables it. */
  recoveryIntervalMs: number;
}

function int(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

const flag = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

export function loadAsyncConfig(env: NodeJS.ProcessEnv): AsyncConfig {
  const redisUrl = env.REDIS_URL || null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new Error('REDIS_URL must be redis://… or rediss://…');
  const secret = env.OPTIMIZER_WEBHOOK_SECRET || null;
  if (secret !== null && Buffer.byteLength(secret) < 16) throw new Error('OPTIMIZER_WEBHOOK_SECRET must be at least 16 bytes');
  const leaseMs = int(env, 'OPTIMIZER_LEASE_MS', 30_000, 200);
  return {
    redisUrl,
    webhookSecret: secret,
    webhookAllowPrivate: flag(env.OPTIMIZER_WEBHOOK_ALLOW_PRIVATE),
    webhookTimeoutMs: int(env, 'OPTIMIZER_WEBHOOK_TIMEOUT_MS', 5000, 100),
    webhookMaxAttempts: int(env, 'OPTIMIZER_WEBHOOK_MAX_ATTEMPTS', 8, 1),
    webhookBackoffMs: int(env, 'OPTIMIZER_WEBHOOK_BACKOFF_MS', 1000, 1),
    webhookMaxBackoffMs: int(env, 'OPTIMIZER_WEBHOOK_MAX_BACKOFF_MS', 600_000, 1),
    leaseMs,
    jobPollMs: int(env, 'OPTIMIZER_JOB_POLL_MS', 1000, 10),
    jobConcurrency: int(env, 'OPTIMIZER_JOB_CONCURRENCY', 4, 1),
    signAttempts: int(env, 'OPTIMIZER_SIGN_ATTEMPTS', 5, 1),
    recoveryIntervalMs: int(env, 'OPTIMIZER_RECOVERY_INTERVAL_MS', Math.min(5000, leaseMs), 0),
  };
}
