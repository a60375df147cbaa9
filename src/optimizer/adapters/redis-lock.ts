/**
 * Distributed lock on Redis (SET key token NX PX lease; release and renewal by Lua scripts that
 * compare the token, so a holder never frees someone else's lock). Sign-once across Optimizer
 * processes: two /sign calls for one request on two processes cannot both hold `request:<pk>`.
 * The holder renews a short lease while it lives, so a killed process frees the lock within one
 * lease. While Redis is down the fallback lock is used (the database lock with several
 * Optimizers); the TSC's own claim on the request stays the last guard either way.
 */
import { randomUUID } from 'node:crypto';
import type { RedisHandle } from '../../infra/redis.js';
import type { Lock } from '../domain/ports.js';

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const EXTEND = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

export class RedisLock implements Lock {
  constructor(
    private readonly redis: RedisHandle,
    private readonly fallback: Lock,
    private readonly leaseMs = 30_000,
    private readonly namespace = 'oneshot:lock:',
  ) {}

  async tryAcquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    if (!this.redis.ready()) return this.fallback.tryAcquire(key, ttlMs);
    const k = this.namespace + key;
    const token = randomUUID();
    const lease = Math.max(1, Math.min(ttlMs, this.leaseMs));
    let ok: string | null;
    try {
      ok = await this.redis.client.set(k, token, 'PX', lease, 'NX');
    } catch {
      return this.fallback.tryAcquire(key, ttlMs);
    }
    if (ok !== 'OK') return null;
    const until = Date.now() + ttlMs;
    const client = this.redis.client;
    const timer = setInterval(() => {
      if (Date.now() + lease > until) return clearInterval(timer);
      client.eval(EXTEND, 1, k, token, String(lease)).catch(() => {});
    }, Math.max(50, Math.floor(lease / 3)));
    timer.unref();
    return async () => {
      clearInterval(timer);
      await client.eval(RELEASE, 1, k, token).catch(() => {});
    };
  }
}
