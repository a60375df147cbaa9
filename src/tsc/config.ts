/**
 * TSC configuration from the environment (documented variable by variable in docs/tsc.md).
 *
 * `loadTscConfig(env)` resolves every default and reads (or creates, once, mode 0600) the
 * generated secrets under `<ONESHOT_DATA_DIR>/tsc/`, so a restart keeps the same API keys and the
 * Optimizer started by `npm start` can read the same files.
 */
import { join, resolve } from 'node:path';
import { readOrCreateSecret } from '../infra/secret-file.js';
import type { KeyAlgorithm } from '../lib/keys/key-store.js';
import type { DigestAlgorithmName } from '../lib/cms/index.js';
import { PROFILES, type ProfileName } from './domain/model.js';
import type { OcspResponderMode } from './domain/ca/revocation-status.js';
import { parseVideoIdRas, type VideoIdRas } from './domain/ra/videoid-policy.js';
import { parseTsaUrlsSetting, TSA_FAILURE_POLICIES, type TsaFailurePolicy, type TsaServer } from './domain/tsa/tsa-servers.js';

const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072'];

function profileAlgorithms(raw: string | undefined): Partial<Record<ProfileName, KeyAlgorithm>> {
  const out: Partial<Record<ProfileName, KeyAlgorithm>> = {};
  if (!raw) return out;
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [profile, alg] = part.split('=').map((x) => x.trim());
    if (!(PROFILES as readonly string[]).includes(profile ?? '') || !KEY_ALGORITHMS.includes(alg as KeyAlgorithm)) {
      throw new Error(`TSC_PROFILE_KEY_ALGORITHMS: "${part}" must be <${PROFILES.join('|')}>=<${KEY_ALGORITHMS.join('|')}>`);
    }
    out[profile as ProfileName] = alg as KeyAlgorithm;
  }
  return out;
}

export type TscEnvironment = 'sandbox' | 'prod';
export type OtpChannel = 'sms' | 'whatsapp' | 'email';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export type KeyStoreConfig =
  | { kind: 'soft' }
  | { kind: 'pkcs11'; module: string; tokenLabel: string; pin: string };

export interface TscConfig {
  host: string;
  port: number;
  dataDir: string;
  /** `<dataDir>/tsc`: this service's own files (SQLite db, generated secrets, CA files). */
  tscDir: string;
  databaseUrl: string;
  /** Base URL written into certificates (AIA caIssuers + OCSP, CRL distribution point). */
  publicUrl: string;
  clientApiKey: string;
  adminApiKey: string;
  env: TscEnvironment;
  /** Sandbox OTP outbox (JSON lines); null in prod. */
  outboxPath: string | null;
  keyStore: KeyStoreConfig;
  /** Validity of the single-use certificates, in seconds. */
  certValiditySeconds: number;
  /** Validity of generated CA certificates, in days. */
  caValidityDays: number;
  /** RSA keys kept ready in the key pool (0 disables RSA pre-generation). */
  rsaPoolSize: number;
  otp: {
    ttlSeconds: number;
    resendSeconds: number;
    maxAttempts: number;
    /** Server key for the OTP HMAC: only HMAC(key, request pk, code) is stored. */
    hmacKey: Buffer;
    /** Channel used when the sign-up call names none. */
    defaultChannel: OtpChannel;
    /** Which sender delivers each channel: outbox (sandbox), smtp, http. */
    senders: Record<OtpChannel, 'outbox' | 'smtp' | 'http'>;
  };
  smtp: { url: string; from: string } | null;
  smsGateway: { url: string; token: string | null; timeoutMs: number } | null;
  /** Shared HMAC key of the customer's external authentication system; null disables external auth. */
  extAuthKey: Buffer | null;
  caImport: { rootCert: string; issuingCert: string; issuingKey: string | null; issuingKeyLabel: string | null } | null;
  /** scrypt parameters for new RAO password/PIN hashes (stored per record, so they can change). */
  scrypt: ScryptParams;
  /** Limits of `POST …/sign`: digests only, never document content. */
  signBodyLimitBytes: number;
  maxDigestsPerCall: number;
  /** Create a sandbox RAO on first start (sandbox only). */
  sandboxRao: boolean;
  /** Log level for Fastify's logger ("silent" disables logging). */
  logLevel: string;
  /** Trust service provider name (CA subjects, contracts). */
  providerName: string;
  /** ISO 3166 country of the generated CA subjects. */
  caCountry: string;
  caKeyAlgorithm: KeyAlgorithm;
  /** PKI disclosure statement URL for QcPDS (ETSI EN 319 412-5 §4.3.4 requires https). */
  pdsUrl: string;
  /** Per-profile single-use key algorithm (default EC-P256 for both). */
  profileKeyAlgorithms: Partial<Record<ProfileName, KeyAlgorithm>>;
  /** nextUpdate - thisUpdate of the issuing CA's CRL and of OCSP answers, seconds. */
  statusValiditySeconds: number;
  /** A sign call older than this is considered dead and its claim on the request stale. */
  signingClaimTimeoutMs: number;
  /** How long the same sign call is answered again from its stored result (0: never). */
  signReplaySeconds: number;
  /** Time-stamping (issue 5): the TSC's own TSA and the external ones. */
  tsa: TscTsaConfig;
  /** Registration authorities with VideoID enabled (TSC_VIDEOID_RAS; sandbox default: the sandbox RA 1000). */
  videoidRas: VideoIdRas;
  /** OCSP responder (issue 5). */
  ocsp: { responder: OcspResponderMode; responderValidityDays: number; keyAlgorithm: KeyAlgorithm };
}

export interface TscTsaConfig {
  /** Policy OID of our TSA's tokens. */
  policy: string;
  accuracy: { seconds?: number; millis?: number };
  genTimeMillis: boolean;
  /** Imprint hash when our TSA stamps signature values in-process. */
  hash: DigestAlgorithmName;
  keyAlgorithm: KeyAlgorithm;
  certValidityDays: number;
  /** External TSAs used instead of our own when no sign call names any (failover order). */
  urls: TsaServer[];
  failurePolicy: TsaFailurePolicy;
  timeoutMs: number;
  /** Bound of external tokens (announced by /signing-info; larger tokens are refused). */
  maxTokenBytes: number;
  maxClockSkewSeconds: number;
  /** Whether sign calls may name their own TSAs. */
  callerUrls: boolean;
}

function accuracyOf(ms: number): { seconds?: number; millis?: number } {
  const seconds = Math.floor(ms / 1000);
  const millis = ms % 1000;
  return { ...(seconds ? { seconds } : {}), ...(millis ? { millis } : {}) };
}

function oidSetting(env: Env, name: string, def: string): string {
  const v = env[name] || def;
  if (!/^[0-2](\.(0|[1-9]\d{0,9})){1,20}$/.test(v)) throw new Error(`${name} must be a dotted OID, got ${JSON.stringify(v)}`);
  return v;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return v;
}

function oneOf<T extends string>(env: Env, name: string, def: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

function keyBytes(name: string, raw: string): Buffer {
  // Accept hex (64+ chars) or base64/base64url; require ≥ 32 bytes of key material.
  const b = /^[0-9a-fA-F]+$/.test(raw) && raw.length % 2 === 0 ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64url');
  if (b.length < 32) throw new Error(`${name} must carry at least 32 bytes (hex or base64)`);
  return b;
}

export function loadTscConfig(env: Env = process.env): TscConfig {
  const dataDir = resolve(env.ONESHOT_DATA_DIR || './data');
  const tscDir = join(dataDir, 'tsc');
  const host = env.TSC_HOST || '127.0.0.1';
  const port = int(env, 'TSC_PORT', 8090, 0, 65535);
  const oneshotEnv = oneOf<TscEnvironment>(env, 'ONESHOT_ENV', 'sandbox', ['sandbox', 'prod']);
  const publicUrl = (env.TSC_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');

  const keyStoreKind = oneOf(env, 'TSC_KEYSTORE', 'soft', ['soft', 'pkcs11'] as const);
  let keyStore: KeyStoreConfig = { kind: 'soft' };
  if (keyStoreKind === 'pkcs11') {
    const module = env.PKCS11_MODULE;
    const tokenLabel = env.PKCS11_TOKEN_LABEL;
    const pin = env.PKCS11_PIN;
    if (!module || !tokenLabel || !pin) throw new Error('TSC_KEYSTORE=pkcs11 needs PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN');
    keyStore = { kind: 'pkcs11', module, tokenLabel, pin };
  }

  const smtp = env.SMTP_URL ? { url: env.SMTP_URL, from: env.SMTP_FROM || 'One-Shot <no-reply@localhost>' } : null;
  const smsGateway = env.SMS_GATEWAY_URL
    ? { url: env.SMS_GATEWAY_URL, token: env.SMS_GATEWAY_TOKEN || null, timeoutMs: int(env, 'SMS_GATEWAY_TIMEOUT_MS', 5000, 100, 60000) }
    : null;

  // Channel → sender: the configured real sender when there is one, else the sandbox outbox.
  // In prod there is no outbox, so a channel without a sender fails loudly at delivery time.
  const phoneSender = smsGateway ? 'http' : 'outbox';
  const mailSender = smtp ? 'smtp' : 'outbox';
  const senders = { sms: phoneSender, whatsapp: phoneSender, email: mailSender } as const;

  let caImport: TscConfig['caImport'] = null;
  if (env.TSC_CA_ROOT_CERT || env.TSC_CA_ISSUING_CERT) {
    if (!env.TSC_CA_ROOT_CERT || !env.TSC_CA_ISSUING_CERT) throw new Error('CA import needs both TSC_CA_ROOT_CERT and TSC_CA_ISSUING_CERT');
    if (!env.TSC_CA_ISSUING_KEY && !env.TSC_CA_ISSUING_KEY_LABEL)
      throw new Error('CA import needs TSC_CA_ISSUING_KEY (PKCS#8 PEM file, soft key store) or TSC_CA_ISSUING_KEY_LABEL (key already in the token)');
    caImport = {
      rootCert: resolve(env.TSC_CA_ROOT_CERT),
      issuingCert: resolve(env.TSC_CA_ISSUING_CERT),
      issuingKey: env.TSC_CA_ISSUING_KEY ? resolve(env.TSC_CA_ISSUING_KEY) : null,
      issuingKeyLabel: env.TSC_CA_ISSUING_KEY_LABEL || null,
    };
  }

  const secret = (name: string, file: string) => env[name] || readOrCreateSecret(join(tscDir, file));

  return {
    host,
    port,
    dataDir,
    tscDir,
    databaseUrl: env.DATABASE_URL || join(tscDir, 'tsc.db'),
    publicUrl,
    clientApiKey: secret('TSC_CLIENT_API_KEY', 'client-api-key'),
    adminApiKey: secret('TSC_ADMIN_API_KEY', 'admin-api-key'),
    env: oneshotEnv,
    outboxPath: oneshotEnv === 'sandbox' ? resolve(env.ONESHOT_OUTBOX || join(dataDir, 'outbox.jsonl')) : null,
    keyStore,
    certValiditySeconds: int(env, 'TSC_CERT_VALIDITY_SECONDS', 3600, 60, 366 * 86400),
    caValidityDays: int(env, 'TSC_CA_VALIDITY_DAYS', 3650, 1, 36500),
    rsaPoolSize: int(env, 'TSC_RSA_POOL_SIZE', 2, 0, 64),
    otp: {
      ttlSeconds: int(env, 'TSC_OTP_TTL_SECONDS', 300, 30, 3600),
      resendSeconds: int(env, 'TSC_OTP_RESEND_SECONDS', 60, 0, 3600),
      maxAttempts: int(env, 'TSC_OTP_MAX_ATTEMPTS', 5, 1, 20),
      hmacKey: keyBytes('TSC_OTP_HMAC_KEY', env.TSC_OTP_HMAC_KEY || readOrCreateSecret(join(tscDir, 'otp-hmac-key'))),
      defaultChannel: oneOf<OtpChannel>(env, 'TSC_OTP_DEFAULT_CHANNEL', 'sms', ['sms', 'whatsapp', 'email']),
      senders,
    },
    smtp,
    smsGateway,
    extAuthKey: env.TSC_EXT_AUTH_KEY ? keyBytes('TSC_EXT_AUTH_KEY', env.TSC_EXT_AUTH_KEY) : null,
    caImport,
    scrypt: { N: 2 ** int(env, 'TSC_SCRYPT_LOG_N', 15, 10, 20), r: 8, p: 1 },
    signBodyLimitBytes: 256 * 1024,
    maxDigestsPerCall: 64,
    sandboxRao: oneshotEnv === 'sandbox' && env.TSC_SANDBOX_RAO !== '0',
    logLevel: env.TSC_LOG_LEVEL || 'info',
    providerName: env.TSC_PROVIDER_NAME || (oneshotEnv === 'sandbox' ? 'One-Shot Sandbox TSP' : 'One-Shot TSP'),
    caCountry: (() => {
      const c = (env.TSC_CA_COUNTRY || 'ES').toUpperCase();
      if (!/^[A-Z]{2}$/.test(c)) throw new Error('TSC_CA_COUNTRY must be an ISO 3166 alpha-2 code');
      return c;
    })(),
    caKeyAlgorithm: oneOf<KeyAlgorithm>(env, 'TSC_CA_KEY_ALGORITHM', 'EC-P384', KEY_ALGORITHMS),
    // Without an explicit https PDS location the https form of the public URL is written (the
    // certificate rule needs https even when the sandbox itself serves plain http).
    pdsUrl: env.TSC_PDS_URL || `${publicUrl.replace(/^http:/, 'https:')}/pki/pds/en`,
    profileKeyAlgorithms: profileAlgorithms(env.TSC_PROFILE_KEY_ALGORITHMS),
    statusValiditySeconds: int(env, 'TSC_STATUS_VALIDITY_SECONDS', 3600, 60, 7 * 86400),
    signingClaimTimeoutMs: int(env, 'TSC_SIGNING_TIMEOUT_SECONDS', 300, 10, 3600) * 1000,
    // Long enough for a killed Optimizer's job to be taken over (one lease) and retried with backoff.
    signReplaySeconds: int(env, 'TSC_SIGN_REPLAY_SECONDS', 900, 0, 86_400),
    videoidRas: parseVideoIdRas(env.TSC_VIDEOID_RAS, oneshotEnv === 'sandbox' ? [1000] : []),
    tsa: {
      // ETSI EN 319 421 §5.2 best-practices time-stamp policy; set your own TSA policy OID in production.
      policy: oidSetting(env, 'TSC_TSA_POLICY', '0.4.0.2023.1.1'),
      accuracy: accuracyOf(int(env, 'TSC_TSA_ACCURACY_MS', 1000, 1, 60_000)),
      genTimeMillis: env.TSC_TSA_GENTIME_MILLIS === '1',
      hash: oneOf<DigestAlgorithmName>(env, 'TSC_TSA_HASH', 'sha256', ['sha256', 'sha384', 'sha512']),
      keyAlgorithm: oneOf<KeyAlgorithm>(env, 'TSC_TSA_KEY_ALGORITHM', 'EC-P256', KEY_ALGORITHMS),
      certValidityDays: int(env, 'TSC_TSA_CERT_VALIDITY_DAYS', 1095, 1, 3650),
      urls: parseTsaUrlsSetting(env.TSC_TSA_URLS),
      failurePolicy: oneOf<TsaFailurePolicy>(env, 'TSC_TSA_FAILURE_POLICY', 'fail-closed', TSA_FAILURE_POLICIES),
      timeoutMs: int(env, 'TSC_TSA_TIMEOUT_MS', 5000, 100, 60_000),
      maxTokenBytes: int(env, 'TSC_TSA_MAX_TOKEN_BYTES', 12_288, 1024, 65_536),
      maxClockSkewSeconds: int(env, 'TSC_TSA_MAX_CLOCK_SKEW_SECONDS', 300, 1, 86_400),
      callerUrls: env.TSC_TSA_CALLER_URLS !== '0',
    },
    ocsp: {
      responder: oneOf<OcspResponderMode>(env, 'TSC_OCSP_RESPONDER', 'delegated', ['delegated', 'ca']),
      responderValidityDays: int(env, 'TSC_OCSP_RESPONDER_VALIDITY_DAYS', 30, 1, 365),
      keyAlgorithm: oneOf<KeyAlgorithm>(env, 'TSC_OCSP_KEY_ALGORITHM', 'EC-P256', KEY_ALGORITHMS),
    },
  };
}
