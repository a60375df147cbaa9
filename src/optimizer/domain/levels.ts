/**
 * Signature levels (issue 5; ETSI EN 319 142-1 §6 baseline levels) and the settings that steer
 * them: `signature.level` (default B-T) with a per-sign `"level"` override, `signature.failure_policy`
 * (fail-closed | degrade), and the TSA choice `tsa.tsa_url` + `tsa.tsa_failover_urls` with
 * `tsa.tsa_hash_algorithms` (per-TSA imprint hash). docs/levels.md explains each level.
 *
 *  - B-B:   the TSC's CMS as is.
 *  - B-T:   + signature timestamp (added by the TSC, from its own TSA or the configured ones).
 *  - B-LT:  + a DSS increment with the certificates, OCSP responses and CRLs (+ VRI).
 *  - B-LTA: + a document timestamp over the file including that DSS.
 * The hash flow's .p7m (CAdES) carries B-B or B-T: LT/LTA are PDF structures.
 */
import { AppError } from '../../shared/errors.js';
import type { Settings } from './ports.js';

export const LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
export type Level = (typeof LEVELS)[number];
export const FAILURE_POLICIES = ['fail-closed', 'degrade'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
export const TSA_HASHES = ['sha256', 'sha384', 'sha512'] as const;
export type TsaHash = (typeof TSA_HASHES)[number];

export const isLevel = (v: unknown): v is Level => (LEVELS as readonly unknown[]).includes(v);
export const levelRank = (l: Level): number => LEVELS.indexOf(l);

/** What the TSC produces for a level: B-B, or B-T for everything timestamped. */
export const tscLevelOf = (l: Level): 'B-B' | 'B-T' => (l === 'B-B' ? 'B-B' : 'B-T');

export interface TsaServerChoice {
  url: string;
  hash_algorithm: TsaHash;
}

export interface LevelChoice {
  level: Level;
  failurePolicy: FailurePolicy;
  /** External TSAs in failover order; empty = the TSC's own TSA. */
  servers: TsaServerChoice[];
}

/** The settings' level choice, with the per-sign override (validated: a bad one is a 400). */
export function levelChoice(settings: Settings, override: unknown): LevelChoice {
  const raw = override === undefined || override === null || override === '' ? settings.signature.level ?? 'B-T' : override;
  if (!isLevel(raw)) throw new AppError('API_ERR_INVALID_PARAMETER', `Invalid level: valid options are ${LEVELS.join(', ')}`);
  const policy = settings.signature.failure_policy ?? 'fail-closed';
  const failurePolicy: FailurePolicy = (FAILURE_POLICIES as readonly string[]).includes(policy) ? (policy as FailurePolicy) : 'fail-closed';
  const hashes = settings.tsa.tsa_hash_algorithms ?? {};
  const urls = [settings.tsa.tsa_url, ...(settings.tsa.tsa_failover_urls ?? [])].filter((u): u is string => typeof u === 'string' && u !== '');
  const servers = [...new Set(urls)].slice(0, 5).map((url) => ({
    url, hash_algorithm: (TSA_HASHES as readonly string[]).includes(hashes[url] ?? '') ? (hashes[url] as TsaHash) : 'sha256',
  }));
  return { level: raw, failurePolicy, servers };
}

/** The TSC sign body's `tsa` member for a choice. */
export function tscTsaOptions(c: LevelChoice): { servers?: TsaServerChoice[]; failure_policy: FailurePolicy } {
  return { ...(c.servers.length ? { servers: c.servers } : {}), failure_policy: c.failurePolicy };
}

/** What a sign call produced, reported in the /sign answer (and the log when degraded). */
export interface LevelOutcome {
  requested: Level;
  produced: Level;
  degraded: boolean;
  /** Stable code and text of what made it degrade. */
  reason?: string;
}

/** Keeps the lowest level reached (per document) and the first reason. */
export class LevelTracker {
  private produced: Level;
  private reason: string | undefined;

  constructor(readonly requested: Level) {
    this.produced = requested;
  }

  lower(to: Level, reason: string): void {
    if (levelRank(to) < levelRank(this.produced)) this.produced = to;
    this.reason ??= reason;
  }

  get current(): Level {
    return this.produced;
  }

  outcome(): LevelOutcome {
    return {
      requested: this.requested, produced: this.produced, degraded: this.produced !== this.requested,
      ...(this.reason !== undefined && this.produced !== this.requested ? { reason: this.reason } : {}),
    };
  }
}
