/**
 * Remembers recent *successful* RAO secret checks so that every RA call does not pay two scrypt
 * runs (~100 ms each at N = 2^15). It only ever skips the slow hash, never the database lookup:
 * the key is an HMAC (random per-process key) over the username, the secrets presented AND the
 * stored hash records, so a removed RAO or a changed password/PIN misses at once. Failed checks are
 * never cached: guessing always costs the full scrypt. Holds no secret in clear.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../../../shared/clock.js';

export class CredentialCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, number>();

  constructor(private readonly clock: Clock, private readonly ttlMs = 5 * 60_000, private readonly max = 1000) {}

  private id(parts: string[]): string {
    const h = createHmac('sha256', this.key);
    for (const p of parts) h.update(`${p.length}:${p}`, 'utf8');
    return h.digest('base64url');
  }

  has(parts: string[]): boolean {
    const k = this.id(parts);
    const until = this.entries.get(k);
    if (until === undefined) return false;
    if (until <= this.clock.now().getTime()) {
      this.entries.delete(k);
      return false;
    }
    return true;
  }

  add(parts: string[]): void {
    if (this.entries.size >= this.max) {
      // Drop the oldest insertion (Map keeps insertion order).
      const first = this.entries.keys().next();
      if (!first.done) this.entries.delete(first.value);
    }
    this.entries.set(this.id(parts), this.clock.now().getTime() + this.ttlMs);
  }
}
