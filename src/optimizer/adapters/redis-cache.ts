/**
 * Cache on Redis with a local fallback (DESIGN.md §4, ecosystem-notes §4). Only keys under the
 * allowed prefixes — heavy, non-sensitive data: TSC signing-info (CA chains), OCSP/CRL responses,
 * rendered appearance resources, status mirrors — are shared through Redis; anything else stays in
 * this process's memory, so a careless key can never put document bytes, OTPs, PINs, passwords or
 * identity data into Redis. Every value is also kept locally: while Redis is down (or slow: the
 * client fails a command after its timeout) reads and writes go to the local cache at once, and
 * Redis is used again as soon as the client has reconnected by itself.
 */
import type { RedisHandle } from '../../infra/redis.js';
import type { Cache } from '../domain/ports.js';

/** Key prefixes that may be stored in Redis. */
export const SHARED_CACHE_PREFIXES = ['signing-info:', 'ocsp:', 'crl:', 'chain:', 'appearance:', 'status:'] as const;

export interface RedisCacheStats {
  redisHits: number;
  redisWrites: number;
  fallbacks: number;
}

export class RedisCache implements Cache {
  readonly stats: RedisCacheStats = { redisHits: 0, redisWrites: 0, fallbacks: 0 };

  constructor(
    private readonly redis: RedisHandle,
    private readonly local: Cache,
    private readonly opts: { namespace?: string; sharedPrefixes?: readonly string[] } = {},
  ) {}

  private shared(key: string): boolean {
    return (this.opts.sharedPrefixes ?? SHARED_CACHE_PREFIXES).some((p) => key.startsWith(p));
  }

  private redisKey(key: string): string {
    return `${this.opts.namespace ?? 'oneshot:cache:'}${key}`;
  }

  async get<T>(key: string): Promise<T | undefined> {
    if (!this.shared(key)) return this.local.get<T>(key);
    if (this.redis.ready()) {
      try {
        const raw = await this.redis.client.get(this.redisKey(key));
        if (raw !== null) {
          this.stats.redisHits++;
          return JSON.parse(raw) as T;
        }
      } catch {
        this.stats.fallbacks++;
      }
    } else {
      this.stats.fallbacks++;
    }
    return this.local.get<T>(key);
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    await this.local.set(key, value, ttlMs);
    if (!this.shared(key)) return;
    if (!this.redis.ready()) {
      this.stats.fallbacks++;
      return;
    }
    try {
      await this.redis.client.set(this.redisKey(key), JSON.stringify(value), 'PX', Math.max(1, Math.floor(ttlMs)));
      this.stats.redisWrites++;
    } catch {
      this.stats.fallbacks++;
    }
  }
}
