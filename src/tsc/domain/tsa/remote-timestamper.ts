/**
 * Timestamps from external RFC 3161 TSAs with failover (issue 5 §4): each server is tried in order
 * with its own imprint hash; a reply counts only if checkTimeStampResp accepts it (granted, same
 * imprint and nonce, expected policy, valid token signature, TSA certificate with the critical
 * timeStamping EKU), its genTime is close to our clock and the token fits the announced bound (so
 * a /Contents placeholder sized from /signing-info never overflows).
 *
 * A server that just failed is tried after the others for a while, so a sign call with many
 * digests pays a dead TSA's timeout once, not once per digest.
 */
import { randomBytes } from 'node:crypto';
import { buildTimeStampReq, checkTimeStampResp, hash } from '../../../lib/cms/index.js';
import type { Clock } from '../../../shared/clock.js';
import { AppError, isAppError } from '../../../shared/errors.js';
import type { SignatureTimestamper, TsaTransport } from '../ports.js';
import { displayUrl, type TsaServer } from './tsa-servers.js';

export interface RemoteTsaSettings {
  /** Per attempt: connect + reply. */
  timeoutMs: number;
  /** Tokens larger than this are refused (it is the bound /signing-info announces). */
  maxTokenBytes: number;
  /** |genTime − our clock| allowed. */
  maxClockSkewMs: number;
  /** How long a failed server is tried last. */
  demoteMs: number;
}

/** Failure memory shared by every remote timestamper of a TSC process (keyed by URL). */
export class TsaHealth {
  private readonly failedAt = new Map<string, number>();

  failed(url: string, at: number): void {
    if (this.failedAt.size > 1000) this.failedAt.clear();
    this.failedAt.set(url, at);
  }

  ok(url: string): void {
    this.failedAt.delete(url);
  }

  /** `servers` with the recently failed ones moved to the end (stable otherwise). */
  order(servers: TsaServer[], now: number, demoteMs: number): TsaServer[] {
    const recent = (s: TsaServer) => {
      const t = this.failedAt.get(s.url);
      return t !== undefined && now - t < demoteMs;
    };
    return [...servers.filter((s) => !recent(s)), ...servers.filter(recent)];
  }
}

export interface TsaAttempt {
  tsa: string;
  error: string;
}

export class RemoteTimestamper implements SignatureTimestamper {
  readonly maxTokenBytes: number;

  constructor(
    private readonly servers: TsaServer[],
    private readonly transport: TsaTransport,
    private readonly clock: Clock,
    private readonly settings: RemoteTsaSettings,
    private readonly health: TsaHealth,
  ) {
    if (servers.length === 0) throw new AppError('API_ERR_INVALID_PARAMETER', 'At least one TSA is needed');
    this.maxTokenBytes = settings.maxTokenBytes;
  }

  async timestamp(data: Uint8Array): Promise<Uint8Array> {
    const attempts: TsaAttempt[] = [];
    for (const server of this.health.order(this.servers, this.clock.now().getTime(), this.settings.demoteMs)) {
      try {
        const token = await this.attempt(server, data);
        this.health.ok(server.url);
        return token;
      } catch (e) {
        this.health.failed(server.url, this.clock.now().getTime());
        attempts.push({ tsa: displayUrl(server.url), error: isAppError(e) ? `${e.code}: ${e.message}` : 'unexpected failure' });
      }
    }
    throw new AppError('TSA_ERR_UNAVAILABLE', `No time-stamping authority answered (${attempts.map((a) => `${a.tsa}: ${a.error}`).join('; ')})`, { attempts });
  }

  private async attempt(server: TsaServer, data: Uint8Array): Promise<Uint8Array> {
    const imprint = hash(server.hash, data);
    const nonce = randomBytes(8);
    nonce[0]! &= 0x7f; // positive INTEGER without a sign octet, so any TSA echoes it unchanged
    const req = buildTimeStampReq({ digestAlgorithm: server.hash, messageImprint: imprint, nonce, certReq: true, policy: server.policy });
    const resp = await this.transport.post(server.url, req, { timeoutMs: this.settings.timeoutMs, maxBytes: this.settings.maxTokenBytes + 4096 });
    const checked = checkTimeStampResp(resp, { digestAlgorithm: server.hash, messageImprint: imprint, nonce, policies: server.policy ? [server.policy] : undefined });
    if (checked.token.length > this.settings.maxTokenBytes) {
      throw new AppError('TSA_ERR_BAD_RESPONSE', `The token (${checked.token.length} bytes) exceeds the ${this.settings.maxTokenBytes}-byte bound`);
    }
    const skew = Math.abs(checked.tstInfo.genTime.getTime() - this.clock.now().getTime());
    if (skew > this.settings.maxClockSkewMs) throw new AppError('TSA_ERR_BAD_RESPONSE', `genTime differs from our clock by ${Math.round(skew / 1000)} s`);
    return checked.token;
  }
}
