/**
 * The durable sign job in process, with failure injection (fake TSC, test/support/fake-tsc.ts):
 * two runs of one job at the same time — e.g. recovery re-queued it while the first run waits on
 * a slow TSC, and the request lock was lost with a Redis restart — make one TSC call; a wrong OTP
 * ends the job with the One-Shot text and leaves the request signable; an unreachable TSC is
 * retried and then reported.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPdf } from '../../support/pdf-build.js';
import { FAKE_RAO, startFakeTsc, type FakeTsc } from '../../support/fake-tsc.js';
import { startHarness, type Harness } from '../../support/optimizer-harness.js';
import { runSignJob } from '../../../src/optimizer/domain/async-sign.js';
import type { EnqueueOptions, JobQueue, Lock } from '../../../src/optimizer/domain/ports.js';

/** A lock that never refuses: what a process sees after its Redis lock vanished with Redis. */
const lostLock: Lock = { tryAcquire: async () => async () => {} };

/** A queue that only records: the test runs the jobs itself, when and as often as it wants. */
const queued: Array<{ name: string; payload: unknown; opts: EnqueueOptions | undefined }> = [];
const recordingQueue: JobQueue = {
  register() {},
  async enqueue(name, payload, opts) {
    queued.push({ name, payload, opts });
  },
  async drain() {},
};

let tsc: FakeTsc;
let h: Harness;
const PERSON = { given_name: 'Iris', surname_1: 'Vega', email: 'iris@example.com', mobile_phone_number: '+34600333444' };

before(async () => {
  tsc = await startFakeTsc();
  // Recovery off; the test drives the runs itself.
  h = await startHarness({
    tscUrl: tsc.url, tscKey: tsc.apiKey,
    env: { OPTIMIZER_RECOVERY_INTERVAL_MS: '0', OPTIMIZER_SIGN_ATTEMPTS: '2' },
    deps: () => ({ lock: lostLock, jobs: recordingQueue }),
  });
});
after(async () => {
  await h.close();
  await tsc.close();
});

async function ready(): Promise<{ pk: number; uid: string; code: string }> {
  const pk = (await h.call('POST', '/api/v1/request', { ...PERSON, ...FAKE_RAO, useasync: true })).json.details as number;
  const uid = (await h.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: buildPdf() }])).json.details as string;
  assert.equal((await h.call('POST', `/api/v1/otp/${pk}`)).status, 200);
  return { pk, uid, code: tsc.otps.get(pk)! };
}

const signCalls = (pk: number) => tsc.requests.filter((r) => r.url === `/tsc/v1/requests/${pk}/sign`).length;
const status = async (pk: number) => (await h.call('GET', `/api/v1/async/status/${pk}`)).json.details as string;

test('two runs of one job at once (lost request lock): one TSC call, signed, files in place', async () => {
  const { pk, uid, code } = await ready();
  tsc.signDelayMs = 300;
  try {
    // /sign records the job and queues it (recorded only); the test runs it twice at once.
    assert.equal((await h.call('POST', `/api/v1/sign/${pk}`, { secret: code })).status, 200);
    await Promise.all([runSignJob(h.opt.ctx, { pk }), runSignJob(h.opt.ctx, { pk })]);
  } finally {
    tsc.signDelayMs = 0;
  }
  assert.equal(signCalls(pk), 1);
  assert.equal(await status(pk), 'signed');
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`)).status, 200);
  const job = await h.opt.ctx.async.signJobs.get(pk);
  assert.deepEqual([job!.state, job!.submissions, job!.planSealed], ['done', 1, null]);
  await runSignJob(h.opt.ctx, { pk }); // a late duplicate is a no-op
  assert.equal(signCalls(pk), 1);
});

test('wrong OTP: the job ends with the One-Shot text, work files removed, the request can be signed again', async () => {
  const { pk, uid, code } = await ready();
  assert.equal((await h.call('POST', `/api/v1/sign/${pk}`, { secret: code === '000000' ? '111111' : '000000' })).status, 200);
  await runSignJob(h.opt.ctx, { pk });
  assert.equal(await status(pk), 'error: Confirmation Code invalid');
  const files = await readdir(join(h.config.optimizerDir, 'blobs', String(pk)));
  assert.deepEqual(files.filter((f) => f.includes('.signing-')), []);
  assert.equal((await h.call('POST', `/api/v1/sign/${pk}`, { secret: code })).status, 200);
  await runSignJob(h.opt.ctx, { pk });
  assert.equal(await status(pk), 'signed');
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`)).status, 200);
});

test('TSC unavailable: retried with backoff up to OPTIMIZER_SIGN_ATTEMPTS, then reported', async () => {
  const { pk, code } = await ready();
  tsc.failSign = { status: 503, code: 'KEY_ERR_UNAVAILABLE', message: 'QSCD unavailable' };
  try {
    assert.equal((await h.call('POST', `/api/v1/sign/${pk}`, { secret: code })).status, 200);
    await runSignJob(h.opt.ctx, { pk });
    assert.equal(await status(pk), 'signing', 'first failure: retried later');
    const retry = queued.find((q) => q.name === 'sign' && String(q.opts?.jobId).startsWith(`sign-${pk}-`) && String(q.opts?.jobId).endsWith('-retry-1'));
    assert.ok(retry && (retry.opts?.delayMs ?? 0) >= 1000, 'a delayed retry is queued');
    await runSignJob(h.opt.ctx, { pk });
    assert.equal(await status(pk), 'error: QSCD unavailable');
    assert.equal(signCalls(pk), 2);
  } finally {
    tsc.failSign = null;
  }
});

test('a process that dies right after its job is recorded finished has already recorded REQUEST_ENROLLED (the event is never lost)', async () => {
  const { pk, uid, code } = await ready();
  assert.equal((await h.call('POST', `/api/v1/sign/${pk}`, { secret: code })).status, 200);
  const jobs = h.opt.ctx.async.signJobs;
  const update = jobs.update;
  // The job's final state is stored, then the process "dies" (nothing after that line runs).
  jobs.update = async (p, patch, expect) => {
    const ok = await update.call(jobs, p, patch, expect);
    if (p === pk && (patch.state === 'done' || patch.state === 'failed')) throw new Error('process killed');
    return ok;
  };
  try {
    await assert.rejects(runSignJob(h.opt.ctx, { pk }), /process killed/);
  } finally {
    jobs.update = update;
  }
  // Whatever runs next (the queue's retry, recovery) finds nothing to do…
  await runSignJob(h.opt.ctx, { pk });
  // …so the event had to be recorded already: the stream's last status is ISSUED.
  assert.equal((await h.opt.ctx.async.outbox.getStream(pk))?.lastStatus, 'ISSUED');
  assert.equal(await status(pk), 'signed');
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`)).status, 200);
  assert.equal(signCalls(pk), 1);
});

test('TSC says already issued: when async/status reports the error the request already reads ISSUED and REQUEST_ENROLLED is recorded', async () => {
  const { pk, code } = await ready();
  assert.equal((await h.call('POST', `/api/v1/sign/${pk}`, { secret: code })).status, 200);
  const requests = h.opt.ctx.requests;
  const update = requests.update;
  const seen: Array<{ status: string | undefined; event: string | null | undefined }> = [];
  requests.update = async (p, patch) => {
    if (p === pk && patch.asyncStatus?.startsWith('error:')) {
      seen.push({ status: (await requests.get(pk))?.status, event: (await h.opt.ctx.async.outbox.getStream(pk))?.lastStatus });
    }
    return update.call(requests, p, patch);
  };
  tsc.failSign = { status: 412, code: 'REQ_ERR_ALREADY_ISSUED', message: 'Request already in ISSUED status' };
  try {
    await runSignJob(h.opt.ctx, { pk });
  } finally {
    tsc.failSign = null;
    requests.update = update;
  }
  assert.deepEqual(seen, [{ status: 'ISSUED', event: 'ISSUED' }]);
  assert.match(await status(pk), /^error: /);
  assert.equal((await h.opt.ctx.async.signJobs.get(pk))?.state, 'failed');
  assert.equal((await h.call('POST', `/api/v1/sign/${pk}`, { secret: code })).status, 412);
});
