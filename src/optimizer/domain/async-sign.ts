/**
 * The durable async signature (issue 6, docs/async.md). `/sign` on a `useasync` request seals
 * the plan into `opt_sign_jobs` and queues job 'sign' {pk} (sign.ts); this module runs it.
 *
 * Each irreversible step is recorded before it is taken, so whichever process picks the job up
 * after a crash (SIGKILL, power loss, a lost Redis queue) continues from the record:
 *
 *  queued/preparing → build the work files (a crash here: the half-built files are removed and
 *                     they are built again under a new tag);
 *  submitting       → `submissions` is incremented, then the TSC is called with the stored digests.
 *                     The answer (CMS, certificate) is stored sealed with state tsc_signed and the
 *                     OTP is dropped in the same update — before anything else happens;
 *  tsc_signed       → fill /Contents, store files, mark ISSUED, send REQUEST_ENROLLED: no TSC call.
 *
 * The TSC refuses a second signature (412 REQ_ERR_ALREADY_ISSUED), so a request is never signed
 * twice. A crash after the TSC signed and before its answer reached us is recovered by the TSC's
 * replay: the retry sends the same digests with the same OTP, and within TSC_SIGN_REPLAY_SECONDS
 * the TSC answers with the stored result (`replayed`), used like a first answer. Past that window
 * (or with a TSC without replay) the retry gets 412 with no signatures to store, and the job ends
 * `error` saying so (the user's documents must be signed in a new request).
 */
import { createHash, randomBytes } from 'node:crypto';
import { isAppError } from '../../shared/errors.js';
import { ACTIVE_SIGN_JOB_STATES, type SignJobRecord } from './async-ports.js';
import type { OptimizerContext } from './context.js';
import type { RequestRecord, TscDigest, TscSignResult } from './ports.js';
import {
  discardPrepared, issuedCertificates, planFromJson, prepareSignTargets, signPlanAad, storeSignatures, tscSignBody,
  workKeyOf, type PreparedTarget, type SignPlan, type SignPlanJson,
} from './sign.js';
import { emitStatusChange } from './webhooks.js';
import { LevelTracker, type LevelChoice } from './levels.js';

const resultAad = (pk: number) => `sign-job:${pk}:result`;

/**
 * The Idempotency-Key of every submission of one prepared set of digests: the same across retries
 * (so the TSC replays an answer lost with a crashed process), different for other digests. Only a
 * hash of the digests, which the TSC receives anyway.
 */
const submissionKey = (pk: number, prepared: { digests: TscDigest[] }) =>
  `oneshot-sign-job:${pk}:${createHash('sha256').update(JSON.stringify(prepared.digests)).digest('base64url')}`;

interface PreparedRecord {
  targets: PreparedTarget[];
  digests: TscDigest[];
  /** Level, failure policy and TSAs of the plan (issue 5): the plan itself is dropped once the TSC signed. */
  levelChoice?: LevelChoice;
}

/** Retry a transient failure later (TSC unreachable or busy), with backoff; bounded by signAttempts. */
class Transient extends Error {}

export async function runSignJob(ctx: OptimizerContext, payload: unknown): Promise<void> {
  const pk = Number((payload as { pk?: unknown })?.pk);
  if (!Number.isSafeInteger(pk)) return;
  const first = await ctx.async.signJobs.get(pk);
  if (!first || !ACTIVE_SIGN_JOB_STATES.includes(first.state)) return;
  // One run at a time per job, whatever happens to Redis: a lease on the job's own row in the
  // database, renewed while this run lives (a killed run's lease runs out; recovery re-queues).
  const { signJobs, leaseMs } = ctx.async;
  const owner = randomBytes(8).toString('hex');
  if (!(await signJobs.claim(pk, owner, leaseMs))) return;
  const renew = setInterval(() => { void signJobs.claim(pk, owner, leaseMs).catch(() => false); }, Math.max(50, Math.floor(leaseMs / 3)));
  renew.unref();
  // The request lock also keeps cancel and other request work out while this run signs.
  const release = await ctx.lock.tryAcquire(`request:${pk}`, 30 * 60_000).catch(() => null);
  if (!release) {
    clearInterval(renew);
    await signJobs.release(pk, owner);
    return; // someone is on the request; recovery re-queues the job if it stays idle
  }
  try {
    const job = await ctx.async.signJobs.get(pk);
    if (!job || !ACTIVE_SIGN_JOB_STATES.includes(job.state)) return;
    const runs = job.runs + 1;
    if (!(await ctx.async.signJobs.update(pk, { runs }, job.state))) return;
    try {
      await advance(ctx, { ...job, runs });
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      if (runs >= ctx.async.signAttempts) {
        await fail(ctx, pk, e.message);
        return;
      }
      const delay = Math.min(60_000, 1000 * 2 ** (runs - 1));
      ctx.async.log.warn({ pk, run: runs, retry_in_ms: delay, reason: e.message }, 'async sign will be retried');
      await ctx.jobs.enqueue('sign', { pk }, { delayMs: delay, jobId: `sign-${pk}-${job.attemptTag}-retry-${runs}` });
    }
  } finally {
    clearInterval(renew);
    await release();
    await signJobs.release(pk, owner);
  }
}

async function advance(ctx: OptimizerContext, job: SignJobRecord): Promise<void> {
  const { signJobs } = ctx.async;
  const pk = job.pk;
  const r = await ctx.requests.get(pk);
  if (!r) {
    await signJobs.update(pk, { state: 'failed', planSealed: null, error: 'request deleted' }, job.state);
    return;
  }
  let state = job.state;
  let prepared: PreparedRecord | null = job.prepared ? (JSON.parse(job.prepared) as PreparedRecord) : null;

  if (state === 'queued' || state === 'preparing') {
    const docs = await ctx.documents.list(pk);
    if (state === 'preparing') {
      // A previous run died while building work files: remove what it left, build them anew.
      await Promise.all([...docs.map((d) => d.uid), 'contract'].map((id) => ctx.blobs.delete(workKeyOf(pk, id, job.attemptTag)).catch(() => {})));
    }
    const tag = randomBytes(6).toString('hex');
    if (!(await signJobs.update(pk, { state: 'preparing', attemptTag: tag }, state))) return;
    state = 'preparing';
    let out: { prepared: PreparedTarget[]; digests: TscDigest[] };
    let levelOf: SignPlan;
    try {
      out = await prepareSignTargets(ctx, r, docs, (levelOf = plan(ctx, job)), tag);
    } catch (e) {
      if (isAppError(e) && e.httpStatus < 500) {
        await fail(ctx, pk, e.message);
        return;
      }
      if (isAppError(e) && e.httpStatus >= 500 && e.code !== 'INTERNAL_ERR') throw new Transient(e.message);
      throw e;
    }
    prepared = { targets: out.prepared, digests: out.digests, ...(levelOf.levelChoice ? { levelChoice: levelOf.levelChoice } : {}) };
    if (!(await signJobs.update(pk, { state: 'submitting', prepared: JSON.stringify(prepared) }, 'preparing'))) {
      await discardPrepared(ctx, out.prepared);
      return;
    }
    state = 'submitting';
  }

  if (state === 'submitting') {
    const fresh = await signJobs.get(pk);
    if (!fresh || fresh.state !== 'submitting' || !prepared) return;
    const submissions = fresh.submissions + 1;
    // Recorded BEFORE the call: a retry then knows the TSC may already have signed.
    if (!(await signJobs.update(pk, { submissions }, 'submitting'))) return;
    let result: TscSignResult;
    try {
      result = await ctx.tsc.sign(pk, tscSignBody(plan(ctx, fresh), prepared.digests), { idempotencyKey: submissionKey(pk, prepared) });
    } catch (e) {
      await onTscError(ctx, r, prepared, submissions, e);
      return;
    }
    // The answer of an earlier submission that never reached us: the same certificate and CMS.
    if (result.replayed) ctx.async.log.warn({ pk, submission: submissions }, 'TSC answer of an earlier submission replayed');
    const stored = await signJobs.update(pk, {
      state: 'tsc_signed', planSealed: null, resultSealed: ctx.secrets.seal(JSON.stringify(result), resultAad(pk)),
    }, 'submitting');
    if (!stored) throw new Error(`sign job ${pk} changed while the TSC signed`);
    state = 'tsc_signed';
  }

  if (state === 'tsc_signed') {
    const fresh = await signJobs.get(pk);
    if (!fresh?.resultSealed || !prepared) throw new Error(`sign job ${pk} has no stored result`);
    const result = JSON.parse(ctx.secrets.open(fresh.resultSealed, resultAad(pk))) as TscSignResult;
    await recordIssued(ctx, pk);
    const tracker = prepared.levelChoice ? new LevelTracker(prepared.levelChoice.level) : null;
    const failures = await storeSignatures(ctx, r, await ctx.documents.list(pk), prepared.targets, result,
      prepared.levelChoice && tracker ? { choice: prepared.levelChoice, tracker } : undefined);
    const level = tracker?.outcome();
    if (level?.degraded) ctx.async.log.warn({ pk, requested: level.requested, produced: level.produced, reason: level.reason }, 'signature level degraded');
    const text = failures.length ? `Signatures could not be completed for: ${failures.join(', ')}` : null;
    // Only now: a client polling async/status finds every file when it reads "signed".
    await ctx.requests.update(pk, { asyncStatus: text ? `error: ${text}` : 'signed', updatedAt: ctx.clock.now() });
    // The event is recorded BEFORE the job ends: a process that dies in between leaves the job in
    // tsc_signed, and the retry (storing is idempotent, the event is recorded once) sends it. Ended
    // first, the job would never run again and REQUEST_ENROLLED would be lost.
    await emitStatusChange(ctx, pk, 'ISSUED', { certificates: issuedCertificates(result) });
    await signJobs.update(pk, text ? { state: 'failed', error: text } : { state: 'done', error: null }, 'tsc_signed');
    ctx.async.log.info({ pk, run: fresh.runs, failures: failures.length }, 'async sign completed');
  }
}

/** The request is ISSUED at the TSC; async/status stays "signing" until the files are stored. */
async function recordIssued(ctx: OptimizerContext, pk: number): Promise<void> {
  const now = ctx.clock.now();
  await ctx.requests.update(pk, { status: 'ISSUED', signedAt: now, updatedAt: now });
}

function plan(ctx: OptimizerContext, job: SignJobRecord): SignPlan {
  if (!job.planSealed) throw new Error(`sign job ${job.pk} has no plan`);
  return planFromJson(JSON.parse(ctx.secrets.open(job.planSealed, signPlanAad(job.pk))) as SignPlanJson);
}

async function onTscError(ctx: OptimizerContext, r: RequestRecord, prepared: PreparedRecord, submissions: number, e: unknown): Promise<void> {
  const pk = r.pk;
  if (isAppError(e) && e.code === 'REQ_ERR_ALREADY_ISSUED') {
    // Only the lost answer of an earlier submission can have issued it (the job lease keeps every
    // other run out), and the TSC no longer replays it (window expired, or an older TSC): the TSC
    // signed once, the signatures are gone.
    const text = submissions > 1
      ? 'The certificate was issued but the signatures were lost: the Optimizer stopped while the Trusted Service Center answered. Sign the documents in a new request'
      : e.message;
    // The TSC says ISSUED: mirrored and its event recorded BEFORE the job ends and async/status
    // reports the error — a client reading that error finds the request ISSUED (a new /sign is the
    // documented 412, not a 409 or a look of ENROLLREADY), and a process dying in between leaves an
    // active job whose retry gets here again (the event is recorded once), not a lost event.
    await recordIssued(ctx, pk);
    await emitStatusChange(ctx, pk, 'ISSUED', { certificates: [] }); // none to name: the answer was lost
    await fail(ctx, pk, text, 'submitting');
    return;
  }
  if (isAppError(e) && (e.httpStatus >= 500 || e.code === 'REQ_ERR_BUSY')) {
    // Unreachable or busy TSC: the digests and the OTP are kept, the same call is retried.
    throw new Transient(e.message);
  }
  if (!isAppError(e)) throw new Transient('Trusted Service Center call failed');
  // A definitive refusal (wrong or expired OTP, …): nothing was signed, the request stays
  // ENROLLREADY and the caller can ask for a new OTP and sign again.
  await fail(ctx, pk, e.message, 'submitting');
}

/**
 * Ends the job `failed` if it is still in `expect` (compare-and-set: a job that moved on is left
 * alone), then removes its work files and reports the error. Returns whether it failed the job.
 */
async function fail(ctx: OptimizerContext, pk: number, text: string, expect?: SignJobRecord['state']): Promise<boolean> {
  const job = await ctx.async.signJobs.get(pk);
  if (!job || !ACTIVE_SIGN_JOB_STATES.includes(job.state) || (expect && job.state !== expect)) return false;
  if (!(await ctx.async.signJobs.update(pk, { state: 'failed', planSealed: null, error: text }, job.state))) return false;
  if (job.prepared && job.state !== 'tsc_signed') await discardPrepared(ctx, (JSON.parse(job.prepared) as PreparedRecord).targets);
  await ctx.requests.update(pk, { asyncStatus: `error: ${text}`, updatedAt: ctx.clock.now() });
  ctx.async.log.warn({ pk, error: text }, 'async sign failed');
  return true;
}

/** Recovery: re-queue active jobs without progress for staleMs (their process died or their queue entry was lost). */
export async function recoverSignJobs(ctx: OptimizerContext): Promise<number> {
  const stale = await ctx.async.signJobs.listStale(new Date(ctx.clock.now().getTime() - ctx.async.staleMs), 100);
  for (const pk of stale) {
    const job = await ctx.async.signJobs.get(pk);
    if (!job) continue;
    await ctx.jobs.enqueue('sign', { pk }, { jobId: `sign-${pk}-${job.attemptTag}-recover-${job.updatedAt.getTime()}` });
  }
  return stale.length;
}

