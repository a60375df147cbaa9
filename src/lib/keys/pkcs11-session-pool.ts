/**
 * A PKCS#11 session is not safe for concurrent use (PKCS#11 v2.40 §5.6: one active operation
 * per session), and pkcs11js runs the *Async calls on libuv worker threads. Each operation
 * therefore borrows a session exclusively from a small pool and gives it back.
 */
import type pkcs11js from 'pkcs11js';

type Handle = pkcs11js.Handle;

export class SessionPool {
  readonly #free: Handle[] = [];
  readonly #all = new Set<Handle>();
  readonly #waiters: ((s: Handle) => void)[] = [];
  #closed = false;

  constructor(private readonly openSession: () => Handle, private readonly closeSession: (s: Handle) => void, size: number) {
    for (let i = 0; i < size; i++) {
      const s = openSession();
      this.#all.add(s);
      this.#free.push(s);
    }
  }

  /** Any session of the pool (for calls that need one but no exclusive use, e.g. C_Login USER). */
  get any(): Handle {
    const [s] = this.#all;
    if (!s) throw new Error('empty session pool');
    return s;
  }

  async use<T>(fn: (session: Handle) => Promise<T> | T): Promise<T> {
    const s = this.#free.pop() ?? (await new Promise<Handle>((resolve) => this.#waiters.push(resolve)));
    let broken = false;
    try {
      return await fn(s);
    } catch (e) {
      broken = (e as { brokenSession?: boolean }).brokenSession === true;
      throw e;
    } finally {
      this.#release(s, broken);
    }
  }

  /** A session whose operation state is unknown after an error is replaced by a fresh one. */
  #release(s: Handle, broken: boolean): void {
    let next = s;
    if (broken && !this.#closed) {
      this.#all.delete(s);
      try {
        this.closeSession(s);
      } catch {
        /* already gone */
      }
      next = this.openSession();
      this.#all.add(next);
    }
    const w = this.#waiters.shift();
    if (w) w(next);
    else this.#free.push(next);
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#all) {
      try {
        this.closeSession(s);
      } catch {
        /* closing is best effort */
      }
    }
    this.#all.clear();
    this.#free.length = 0;
  }
}
