/**
 * The per-request lock (`request:<pk>`) around the short steps that change a request's files or
 * record: committing an upload, deleting documents, cancelling. A signature holds the same lock
 * for the whole /sign, so these steps never interleave with one; between themselves they only
 * wait a moment (each holds the lock for milliseconds) instead of failing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../shared/errors.js';
import type { OptimizerContext } from './context.js';

const TTL_MS = 60_000;
/** Longer than any of these short steps, far shorter than a signature. */
const WAIT_MS = 2_000;
const RETRY_MS = 20;

export async function withRequestLock<T>(ctx: OptimizerContext, pk: number, fn: () => Promise<T>): Promise<T> {
  // Real time, not ctx.clock: this is how long a caller waits, whatever clock the domain uses.
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const release = await ctx.lock.tryAcquire(`request:${pk}`, TTL_MS);
    if (release) {
      try {
        return await fn();
      } finally {
        await release();
      }
    }
    if (Date.now() >= deadline) throw new AppError('REQ_ERR_BUSY', `Request ${pk} is being signed; try again later`);
    await sleep(RETRY_MS);
  }
}
