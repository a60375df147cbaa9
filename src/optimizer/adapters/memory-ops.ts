/**
 * Embedded implementations of the operational ports (DESIGN.md §4): an in-process lock with
 * expiry, a TTL cache, and a job queue that runs jobs in this process. Redis/BullMQ adapters
 * replace them for several Optimizers (later issue); the ports stay the same.
 */
import type { Cache, JobQueue, Lock } from '../domain/ports.js';

export class InProcessLock implements Lock {
  private readonly held = new Map<string, { token: symbol; expires: number }>();

  async tryAcquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    const now = Date.now();
    const cur = this.held.get(key);
    if (cur && cur.expires > now) return null;
    const token = Symbol(key);
    this.held.set(key, { token, expires: now + ttlMs });
    return async () => {
      if (this.held.get(key)?.token === token) this.held.delete(key);
    };
  }
}

export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: unknown; expires: number }>();

  constructor(private readonly maxEntries = 1000) {}

  async get<T>(key: string): Promise<T | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value as T;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: Date.now() + ttlMs });
  }
}

export class InProcessJobQueue implements JobQueue {
  private readonly handlers = new Map<string, (payload: unknown) => Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onError: (name: string, e: unknown) => void = () => {}) {}

  register(name: string, handler: (payload: unknown) => Promise<void>): void {
    this.handlers.set(name, handler);
  }

  async enqueue(name: string, payload: unknown): Promise<void> {
    const h = this.handlers.get(name);
    if (!h) throw new Error(`no handler for job ${name}`);
    const p: Promise<void> = new Promise<void>((res) => setImmediate(res))
      .then(() => h(payload))
      .catch((e) => this.onError(name, e))
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drain(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
