/**
 * Which TSA stamps a sign call's signatures, and what happens when it cannot (issue 5 §3-4).
 *
 * Default: the TSC's own TSA in-process, or the external failover list of TSC_TSA_URLS. A sign call
 * may name its own list (the Optimizer's `tsa_url` settings) and its failure policy:
 *  - fail-closed: refuse (TSA_ERR_UNAVAILABLE) and roll the authorisation back — nothing is consumed;
 *  - degrade: sign at B-B and say so in the response and the audit log.
 */
import { AppError } from '../../../shared/errors.js';
import type { SignatureTimestamper } from '../ports.js';
import type { TsaFailurePolicy, TsaServer } from './tsa-servers.js';

export interface Timestamping {
  /** Used when a sign call names no TSA; null means B-T requests are answered at B-B (and say so). */
  default: SignatureTimestamper | null;
  /** What the default is, for /health and the audit log. */
  defaultKind: 'own' | 'external' | 'injected' | 'none';
  failurePolicy: TsaFailurePolicy;
  /** Builds a timestamper for TSAs a sign call names; null when callers may not name TSAs. */
  forServers: ((servers: TsaServer[]) => SignatureTimestamper) | null;
  /** The token bound of TSAs named by callers (signing-info with external_tsa). */
  callerMaxTokenBytes: number;
}

/** A sign call's choice (validated by parseSignInput). */
export interface TsaCallOptions {
  servers?: TsaServer[];
  failurePolicy?: TsaFailurePolicy;
}

export interface TimestampPlan {
  timestamper: SignatureTimestamper | null;
  failurePolicy: TsaFailurePolicy;
  source: 'own' | 'external' | 'injected' | 'none' | 'caller';
}

/** Resolves the plan before anything changes: naming TSAs where that is not allowed is a 400. */
export function planTimestamps(t: Timestamping, call: TsaCallOptions | null): TimestampPlan {
  const failurePolicy = call?.failurePolicy ?? t.failurePolicy;
  if (call?.servers) {
    if (!t.forServers) throw new AppError('API_ERR_INVALID_PARAMETER', 'This TSC does not accept TSAs named by the caller (TSC_TSA_CALLER_URLS=0)', { tsa: ['not allowed'] });
    return { timestamper: t.forServers(call.servers), failurePolicy, source: 'caller' };
  }
  return { timestamper: t.default, failurePolicy, source: t.defaultKind };
}

/**
 * Stamps every value with at most `concurrency` requests in flight; stops launching new ones after
 * the first failure (a failure means every configured TSA was tried for that value) and rethrows it.
 */
export async function stampAll(timestamper: SignatureTimestamper, values: Uint8Array[], concurrency = 4): Promise<Uint8Array[]> {
  const out: Uint8Array[] = new Array(values.length);
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && next < values.length) {
      const i = next++;
      try {
        out[i] = await timestamper.timestamp(values[i]!);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, values.length) }, worker));
  if (failure !== null) throw failure;
  return out;
}
