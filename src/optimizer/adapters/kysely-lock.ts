/**
 * Locks in the relational database (table opt_locks), shared by every process on it: the lock of
 * several Optimizers on PostgreSQL without Redis, and the fallback of RedisLock while Redis is
 * down. A holder keeps a short lease and renews it while it lives, so a killed process frees its
 * locks within one lease; `ttlMs` bounds how long a live holder may keep one.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Lock } from '../domain/ports.js';
import type { OptimizerDb } from './sql-schema.js';

export class KyselyLock implements Lock {
  constructor(private readonly db: Kysely<OptimizerDb>, private readonly leaseMs = 30_000) {}

  async tryAcquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    const token = randomUUID();
    const lease = Math.min(ttlMs, this.leaseMs);
    const now = Date.now();
    await this.db.deleteFrom('opt_locks').where('key', '=', key).where('expires_at', '<', now).execute();
    const r = await this.db
      .insertInto('opt_locks')
      .values({ key, token, expires_at: now + lease })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) !== 1) return null;
    const until = now + ttlMs;
    const timer = setInterval(() => {
      if (Date.now() + lease > until) return clearInterval(timer);
      this.db.updateTable('opt_locks').set({ expires_at: Date.now() + lease })
        .where('key', '=', key).where('token', '=', token).execute().catch(() => {});
    }, Math.max(50, Math.floor(lease / 3)));
    timer.unref();
    return async () => {
      clearInterval(timer);
      await this.db.deleteFrom('opt_locks').where('key', '=', key).where('token', '=', token).execute().catch(() => {});
    };
  }
}
