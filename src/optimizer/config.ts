/**
 * Optimizer configuration from the environment. Every variable is documented in
 * docs/optimizer.md; defaults give the embedded `npm start` set-up (loopback, SQLite, local blobs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAsyncConfig, type AsyncConfig } from './async-config.js';
import { loadVideoIdConfig, type VideoIdConfig } from './videoid-config.js';

export interface SandboxTokenConfig {
  /** Token uid to use (32 hex); generated when absent. */
  uid?: string;
  username: string;
  password?: string;
  pin?: string;
}

export interface OptimizerConfig {
  host: string;
  port: number;
  /** The shared data dir (ONESHOT_DATA_DIR); the Optimizer keeps its own state under `<dataDir>/optimizer`. */
  dataDir: string;
  /** `<dataDir>/optimizer`. */
  optimizerDir: string;
  /** SQLite path or postgres:// URL. */
  databaseUrl: string;
  tscUrl: string;
  /** Bearer key for the TSC client routes; null when neither env nor a co-located TSC provides one. */
  tscClientApiKey: string | null;
  /** When set, every API route requires it (X-API-Key or Authorization: Bearer). */
  apiKey: string | null;
  maxUploadBytes: number;
  maxFilesPerCall: number;
  maxDocumentsPerRequest: number;
  /** 32-byte AES key, base64 or hex in the env; null → generated key file `<optimizerDir>/master.key`. */
  masterKey: Buffer | null;
  /** Environment override for settings.general.environment (ONESHOT_ENV). */
  environment: 'sandbox' | 'prod' | null;
  /** Env overrides of settings (OPTIMIZER_DEFAULT_PROFILE, …); applied on every read. */
  settingsOverrides: SettingsOverrides;
  /** Timeout for one TSC call, ms. */
  tscTimeoutMs: number;
  /** Demo token seeded at start (sandbox only); see docs/optimizer.md. */
  sandboxToken: SandboxTokenConfig | null;
  logLevel: string;
  /** Async mode, webhooks, Redis and jobs (async-config.ts). */
  async: AsyncConfig;
  /** VideoID: hosted link base URL and lifetime, media limits (videoid-config.ts). */
  videoid: VideoIdConfig;
}

export interface SettingsOverrides {
  default_profile?: string;
  default_ra?: string;
  tsa_url?: string;
  level?: string;
  webhook_url?: string;
}

function int(env: NodeJS.ProcessEnv, name: string, dflt: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function parseMasterKey(raw: string | undefined): Buffer | null {
  if (!raw) return null;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error('ONESHOT_MASTER_KEY must be 32 bytes (64 hex chars or base64)');
  return key;
}

function readKeyFile(path: string): string | null {
  try {
    return existsSync(path) ? readFileSync(path, 'utf8').trim() || null : null;
  } catch {
    return null;
  }
}

export function loadOptimizerConfig(env: NodeJS.ProcessEnv = process.env): OptimizerConfig {
  const dataDir = resolve(env.ONESHOT_DATA_DIR || './data');
  const optimizerDir = join(dataDir, 'optimizer');
  const envName = env.ONESHOT_ENV;
  if (envName && envName !== 'sandbox' && envName !== 'prod') throw new Error('ONESHOT_ENV must be sandbox or prod');
  const overrides: SettingsOverrides = {};
  if (env.OPTIMIZER_DEFAULT_PROFILE) overrides.default_profile = env.OPTIMIZER_DEFAULT_PROFILE;
  if (env.OPTIMIZER_DEFAULT_RA) overrides.default_ra = env.OPTIMIZER_DEFAULT_RA;
  if (env.OPTIMIZER_TSA_URL) overrides.tsa_url = env.OPTIMIZER_TSA_URL;
  if (env.OPTIMIZER_SIGNATURE_LEVEL) overrides.level = env.OPTIMIZER_SIGNATURE_LEVEL;
  if (env.OPTIMIZER_WEBHOOK_URL) overrides.webhook_url = env.OPTIMIZER_WEBHOOK_URL;
  const sandboxUser = env.OPTIMIZER_SANDBOX_RAO_USERNAME;
  return {
    host: env.OPTIMIZER_HOST || '127.0.0.1',
    port: int(env, 'OPTIMIZER_PORT', 8080, 0),
    dataDir,
    optimizerDir,
    databaseUrl: env.DATABASE_URL || join(optimizerDir, 'optimizer.sqlite'),
    tscUrl: (env.TSC_URL || 'http://127.0.0.1:8090').replace(/\/+$/, ''),
    tscClientApiKey: env.TSC_CLIENT_API_KEY || readKeyFile(join(dataDir, 'tsc', 'client-api-key')),
    apiKey: env.OPTIMIZER_API_KEY || null,
    maxUploadBytes: int(env, 'OPTIMIZER_MAX_UPLOAD_BYTES', 100 * 1024 * 1024),
    maxFilesPerCall: int(env, 'OPTIMIZER_MAX_FILES_PER_CALL', 10),
    // The TSC signs at most 64 digests per call and the contract takes one of them.
    maxDocumentsPerRequest: Math.min(int(env, 'OPTIMIZER_MAX_DOCUMENTS', 50), 63),
    masterKey: parseMasterKey(env.ONESHOT_MASTER_KEY),
    environment: (envName as 'sandbox' | 'prod' | undefined) ?? null,
    settingsOverrides: overrides,
    tscTimeoutMs: int(env, 'OPTIMIZER_TSC_TIMEOUT_MS', 30_000),
    sandboxToken: sandboxUser
      ? {
          username: sandboxUser,
          password: env.OPTIMIZER_SANDBOX_RAO_PASSWORD || undefined,
          pin: env.OPTIMIZER_SANDBOX_RAO_PIN || undefined,
          uid: env.OPTIMIZER_SANDBOX_TOKEN_UID || undefined,
        }
      : null,
    logLevel: env.OPTIMIZER_LOG_LEVEL || 'info',
    async: loadAsyncConfig(env),
    videoid: loadVideoIdConfig(env),
  };
}
