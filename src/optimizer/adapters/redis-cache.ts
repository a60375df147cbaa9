/**
 * Cache on Redis with a local fallback (DESIGN.md §4, ecosystem-notes §4). Only keys under the
 * allowed prefixes — heavy, non-sensitive data: TSC signing-info (CA chains), OCSP/CRL responses,
 * rendered appearance resources, status mirrors — are shared through Redis; anything else stays in
 * this process's memory, so a careless key can never put document bytes, OTPs, PINs, passwords or
 * identity data into Redis. Every value is also kept in this process (bounded, with its expiry):
 * while Redis is down (or slow: the client fails a command after its timeout) reads and writes are
 * served locally at once, and Redis is used again as soon as the client has reconnected by itself
 * (a value Redis lost meanwhile is written back on the next read).
 */
import type { RedisHandle } from '../../infra/redis.js';
import type { Cache } from '../domain/ports.js';

/** Key prefixes that may be stored in Redis. */
export const SHARED_CACHE_PREFIXES = ['signing-info:', 'ocsp:', 'crl:', 'chain:', 'appearance:', 'status:'] as const;

export interface RedisCacheStats {
  redisHits: number;
  redisWrites: number;
  /** Reads and writes served locally because Redis was down or failed. */
  fallbacks: number;
}

export class RedisCache implements Cache {
  readonly stats: RedisCacheStats = { redisHits: 0, redisWrites: 0, fallbacks: 0 };
  private readonly local = new Map<string, { value: unknown; expires: number }>();

  constructor(
    private readonly redis: RedisHandle,
    private readonly opts: { namespace?: string; sharedPrefixes?: readonly string[]; maxLocalEntries?: number } = {},
  ) {}

  private shared(key: string): boolean {
    return (this.opts.sharedPrefixes ?? SHARED_CACHE_PREFIXES).some((p) => key.startsWith(p));
  }

  private redisKey(key: string): string {
    return `${this.opts.namespace ?? 'oneshot:cache:'}${key}`;
  }

  private localGet(key: string): { value: unknown; expires: number } | undefined {
    const e = this.local.get(key);
    if (e && e.expires <= Date.now()) {
      this.local.delete(key);
      return undefined;
    }
    return e;
  }

  private localSet(key: string, value: unknown, ttlMs: number): void {
    this.local.delete(key);
    if (this.local.size >= (this.opts.maxLocalEntries ?? 1000)) this.local.delete(this.local.keys().next().value!);
    this.local.set(key, { value, expires: Date.now() + ttlMs });
  }

  async get<T>(key: string): Promise<T | undefined> {
    const mine = this.localGet(key);
    if (!this.shared(key)) return mine?.value as T | undefined;
    if (!this.redis.ready()) {
      this.stats.fallbacks++;
      return mine?.value as T | undefined;
    }
    try {
      const raw = await this.redis.client.get(this.redisKey(key));
      if (raw !== null) {
        this.stats.redisHits++;
        return JSON.parse(raw) as T;
      }
      // Redis lost it (restarted, evicted) but this process still has it: share it again.
      if (mine) await this.writeRedis(key, mine.value, mine.expires - Date.now());
    } catch {
      this.stats.fallbacks++;
    }
    return mine?.value as T | undefined;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    this.localSet(key, value, ttlMs);
    if (!this.shared(key)) return;
    if (!this.redis.ready()) {
      this.stats.fallbacks++;
      return;
    }
    await this.writeRedis(key, value, ttlMs);
  }

  private async writeRedis(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (ttlMs < 1) return;
    try {
      await this.redis.client.set(this.redisKey(key), JSON.stringify(value), 'PX', Math.floor(ttlMs));
      this.stats.redisWrites++;
    } catch {
      this.stats.fallbacks++;
    }
  }
}
