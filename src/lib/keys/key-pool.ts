/**
 * KeyPool: pre-generated single-use signer keys over any KeyStore, so slow key generation
 * (RSA: 100-300 ms) stays off the request path (DESIGN.md §6). Each pooled key is handed out
 * once; the pool refills in the background, one generation at a time per algorithm so that
 * refilling never competes much with live requests; an empty pool falls back to generating on
 * demand. close() destroys the keys nobody took.
 */
import { AppError } from '../../shared/errors.js';
import type { KeyAlgorithm, KeyHandle, KeyStore } from './key-store.js';
import { KEY_ALGORITHMS } from './key-rules.js';

export interface KeyPoolOptions {
  store: KeyStore;
  /** Keys kept ready per algorithm, e.g. { 'RSA-2048': 4 }. Algorithms not listed are generated on demand. */
  sizes: Partial<Record<KeyAlgorithm, number>>;
  /** CKA_LABEL of pooled keys (never identity data). */
  label?: string;
  /** Background refill failures (the pool retries with backoff); default: ignored. */
  onError?: (e: unknown) => void;
  /** First retry delay after a failed refill, doubled up to 30 s (default 500 ms). */
  retryDelayMs?: number;
}

export class KeyPool {
  readonly #store: KeyStore;
  readonly #sizes: Map<KeyAlgorithm, number>;
  readonly #label: string;
  readonly #onError: (e: unknown) => void;
  readonly #retryDelay: number;
  readonly #stock = new Map<KeyAlgorithm, KeyHandle[]>();
  readonly #filling = new Map<KeyAlgorithm, Promise<void>>();
  /** Pending backoff waits: each clears its timer and resumes its refill loop (close() calls them all). */
  readonly #wakers = new Set<() => void>();
  #closed = false;

  constructor(opts: KeyPoolOptions) {
    this.#store = opts.store;
    this.#label = opts.label ?? 'pooled-signer';
    this.#onError = opts.onError ?? (() => undefined);
    this.#retryDelay = opts.retryDelayMs ?? 500;
    this.#sizes = new Map();
    for (const [alg, n] of Object.entries(opts.sizes) as [KeyAlgorithm, number][]) {
      if (!KEY_ALGORITHMS.includes(alg) || !Number.isInteger(n) || n < 0)
        throw new AppError('KEY_ERR_INVALID_REQUEST', `Invalid pool size for ${alg}`);
      if (n > 0) {
        this.#sizes.set(alg, n);
        this.#stock.set(alg, []);
        this.#refill(alg);
      }
    }
  }

  /** Keys ready now for `algorithm`. */
  available(algorithm: KeyAlgorithm): number {
    return this.#stock.get(algorithm)?.length ?? 0;
  }

  /**
   * A fresh signer key, used by nobody else. Served from stock without waiting when there is
   * any; generated on demand otherwise. The caller destroys it after use.
   */
  async take(algorithm: KeyAlgorithm): Promise<KeyHandle> {
    if (this.#closed) throw new AppError('KEY_ERR_UNAVAILABLE', 'Key pool is closed');
    const stock = this.#stock.get(algorithm);
    const key = stock?.shift();
    if (stock) this.#refill(algorithm);
    if (key) return key;
    return this.#store.createKey({ algorithm, purpose: 'signer', label: this.#label });
  }

  /** Resolves once every pooled algorithm is fully stocked (startup, tests). */
  async ready(): Promise<void> {
    for (;;) {
      const pending = [...this.#filling.values()];
      if (!pending.length) return;
      await Promise.all(pending);
    }
  }

  #refill(algorithm: KeyAlgorithm): void {
    if (this.#closed || this.#filling.has(algorithm)) return;
    const run = (async () => {
      let delay = this.#retryDelay;
      const stock = this.#stock.get(algorithm)!;
      while (!this.#closed && stock.length < this.#sizes.get(algorithm)!) {
        try {
          const k = await this.#store.createKey({ algorithm, purpose: 'signer', label: this.#label });
          if (this.#closed) {
            await this.#store.destroyKey(k.id).catch(this.#onError);
            return;
          }
          stock.push(k);
          delay = this.#retryDelay;
        } catch (e) {
          this.#onError(e);
          if (this.#closed) return;
          // Back off, then let a later take() or this timer try again.
          await new Promise<void>((resolve) => {
            const wake = () => {
              clearTimeout(t);
              this.#wakers.delete(wake);
              resolve();
            };
            const t = setTimeout(wake, delay);
            this.#wakers.add(wake);
          });
          delay = Math.min(delay * 2, 30_000);
        }
      }
    })().finally(() => this.#filling.delete(algorithm));
    this.#filling.set(algorithm, run);
  }

  /** Stops refilling, waits for generation in progress, and destroys every key still in stock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#wakers]) wake();
    await Promise.allSettled([...this.#filling.values()]);
    for (const stock of this.#stock.values()) {
      for (const k of stock.splice(0)) await this.#store.destroyKey(k.id).catch(this.#onError);
    }
  }
}
