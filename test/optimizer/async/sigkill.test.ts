/**
 * Durable async signing (issue 6 §1): an Optimizer child process — started by the container's
 * entrypoint script — is SIGKILLed in the middle of a sign job, started again on the same data,
 * and the job ends as the design says; the REAL TSC (in-process) never signs a request twice.
 * The pauses are real: a gate proxy holds the TSC call or its answer, and a PostgreSQL row lock
 * holds the Optimizer right after it stored the TSC's answer.
 *
 *  1. killed before the TSC call (SQLite, database job queue) → completed after restart, one sign;
 *  2. killed after the TSC answer was stored (PostgreSQL) → completed from the stored answer,
 *     the TSC not called again;
 *  3. killed while the TSC's answer was in flight (PostgreSQL) → the retry sends the same digests
 *     and OTP, the TSC replays its stored answer: completed, signed exactly once;
 *  4. the same with the TSC's replay off (TSC_SIGN_REPLAY_SECONDS=0, as after the window or with
 *     an older TSC) → the retry finds the request ISSUED: reported as an error, signed once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildPdf } from '../../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../../support/optimizer-tsc.js';
import { createThrowawayDatabase } from '../../support/optimizer-pg.js';
import { startGateProxy, type GateProxy } from '../../support/gate-proxy.js';
import { startOptimizerProcess, type ServiceProcess } from '../../support/service-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { call, upload, waitAsync } from '../../support/api-client.js';
import { pdfChecker, type PdfChecker } from '../../support/signed-pdf-check.js';

let tsc: RealTsc;
let gate: GateProxy;
let recv: WebhookReceiver;
let checker: PdfChecker;
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  tsc = await startRealTsc();
  gate = await startGateProxy(tsc.directUrl);
  recv = await startWebhookReceiver();
  checker = pdfChecker(await tsc.rootPem());
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  checker.cleanup();
  await recv.close();
  await gate.close();
  await tsc.close();
});

async function optimizerEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-kill-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return {
    ONESHOT_DATA_DIR: dir, TSC_URL: gate.url, TSC_CLIENT_API_KEY: tsc.apiKey, OPTIMIZER_LOG_LEVEL: 'info',
    OPTIMIZER_LEASE_MS: '800', OPTIMIZER_JOB_POLL_MS: '50', OPTIMIZER_RECOVERY_INTERVAL_MS: '300',
    OPTIMIZER_WEBHOOK_ALLOW_PRIVATE: '1', OPTIMIZER_WEBHOOK_BACKOFF_MS: '50', ...extra,
  };
}

async function tscRequest(pk: number): Promise<{ status: string; certificate_set: Array<{ serial_number: string }> }> {
  const r = await fetch(`${tsc.directUrl}/tsc/v1/requests/${pk}`, {
    headers: { authorization: `Bearer ${tsc.apiKey}`, 'x-rao-username': tsc.rao.username, 'x-rao-password': tsc.rao.password },
  });
  return (await r.json()) as { status: string; certificate_set: Array<{ serial_number: string }> };
}

/** Token, async request with a callback, one PDF, OTP: ready for /sign. */
async function ready(base: string, path: string): Promise<{ pk: number; uid: string; otp: string }> {
  const token = (await call(base, 'POST', '/api/v1/token', { ...tsc.rao, env: 'sandbox' })).json.details;
  const c = await call(base, 'POST', '/api/v1/request', {
    token, given_name: 'Kai', surname_1: 'Ortega', email: 'kai@example.com', mobile_phone_number: '+34600555111',
    serial_number: '11223344B', useasync: 'true', callback: `${recv.url}${path}`,
  });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  const pk = c.json.details as number;
  const u = await upload(base, `/api/v1/document/${pk}`, [{ name: 'file', filename: 'doc.pdf', type: 'application/pdf', data: buildPdf() }]);
  assert.equal(u.status, 200);
  assert.equal((await call(base, 'POST', `/api/v1/otp/${pk}`)).status, 200);
  return { pk, uid: u.json.details as string, otp: await tsc.lastOtp(pk) };
}

const signCalls = (pk: number) => gate.forwarded.filter((f) => f.path === `/tsc/v1/requests/${pk}/sign`);

async function startAsync(base: string, pk: number, otp: string): Promise<void> {
  const r = await call(base, 'POST', `/api/v1/sign/${pk}`, { secret: otp });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.details, 'Your documents are going to be signed. You will receive them in a few seconds');
  assert.equal((await call(base, 'GET', `/api/v1/async/status/${pk}`)).json.details, 'signing');
}

test('SIGKILL before the TSC call (SQLite): the restarted process completes the job, signed once', async () => {
  const env = await optimizerEnv();
  let opt: ServiceProcess = await startOptimizerProcess(env);
  cleanups.push(() => opt.kill('SIGKILL'));
  const { pk, uid, otp } = await ready(opt.url, '/k1');
  gate.holdRequests(/\/sign$/);
  await startAsync(opt.url, pk, otp);
  await gate.waitHeld(1);
  await opt.kill('SIGKILL');
  await gate.waitClientsGone();
  gate.holdRequests(null);
  gate.releaseAll(); // its client is dead: dropped, never forwarded

  opt = await startOptimizerProcess(env);
  assert.equal(await waitAsync(opt.url, pk), 'signed');
  assert.equal(signCalls(pk).length, 1);
  assert.equal(signCalls(pk)[0]!.status, 200);
  const t = await tscRequest(pk);
  assert.equal(t.status, 'ISSUED');
  assert.equal(t.certificate_set.length, 1);
  const doc = await call(opt.url, 'GET', `/api/v1/document/${pk}/signed/${uid}`);
  assert.equal(doc.status, 200);
  checker.check(doc.body, `k1-${pk}`);
  checker.check((await call(opt.url, 'GET', `/api/v1/document/${pk}/contract`)).body, `k1-contract-${pk}`);
  await recv.waitFor((hits) => hits.filter((x) => x.path === '/k1' && x.json.event_type === 'REQUEST_ENROLLED').length === 1);
  assert.deepEqual(recv.hits.filter((x) => x.path === '/k1').map((x) => x.json.event_type), ['REQUEST_CREATED', 'REQUEST_APPROVED', 'REQUEST_ENROLLED']);
  // The dead run's log shows the job started; the second run's shows it completed.
  assert.ok(opt.output.some((l) => l.includes('async sign completed')));
  await opt.kill();
});

test('SIGKILL after the TSC answer was stored (PostgreSQL): completed from the stored answer without a second TSC call', async () => {
  const db = await createThrowawayDatabase();
  cleanups.push(db.drop);
  const env = await optimizerEnv({ DATABASE_URL: db.url });
  let opt: ServiceProcess = await startOptimizerProcess(env);
  cleanups.push(() => opt.kill('SIGKILL'));
  const { pk, uid, otp } = await ready(opt.url, '/k2');
  gate.holdRequests(/\/sign$/);
  await startAsync(opt.url, pk, otp);
  await gate.waitHeld(1);
  // Lock the request row: the job stores the TSC answer (another table), then blocks on marking
  // the request ISSUED — the exact point after the answer is safe.
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  cleanups.push(() => locker.end());
  await locker.query('BEGIN');
  await locker.query('SELECT pk FROM opt_requests WHERE pk = $1 FOR UPDATE', [pk]);
  gate.holdRequests(null);
  gate.releaseAll();
  for (;;) {
    const r = await locker.query('SELECT state FROM opt_sign_jobs WHERE pk = $1', [pk]);
    if (r.rows[0]?.state === 'tsc_signed') break;
    await new Promise((res) => setTimeout(res, 20));
  }
  await opt.kill('SIGKILL');
  await locker.query('ROLLBACK');
  assert.equal(signCalls(pk).length, 1);
  assert.equal((await tscRequest(pk)).status, 'ISSUED');

  opt = await startOptimizerProcess(env);
  assert.equal(await waitAsync(opt.url, pk), 'signed');
  assert.equal(signCalls(pk).length, 1, 'no second TSC call');
  const doc = await call(opt.url, 'GET', `/api/v1/document/${pk}/signed/${uid}`);
  assert.equal(doc.status, 200);
  checker.check(doc.body, `k2-${pk}`);
  const t = await tscRequest(pk);
  assert.equal(t.certificate_set.length, 1);
  const plan = await locker.query('SELECT state, plan_sealed, submissions, runs FROM opt_sign_jobs WHERE pk = $1', [pk]);
  assert.deepEqual({ ...plan.rows[0], runs: undefined }, { state: 'done', plan_sealed: null, submissions: 1, runs: undefined });
  assert.ok(plan.rows[0].runs >= 2, 'picked up again after the kill');
  await recv.waitFor((hits) => hits.some((x) => x.path === '/k2' && x.json.event_type === 'REQUEST_ENROLLED'));
  const enrolled = recv.hits.find((x) => x.path === '/k2' && x.json.event_type === 'REQUEST_ENROLLED')!;
  assert.equal(enrolled.json.certificates[0].serial_number.toLowerCase(), t.certificate_set[0]!.serial_number.toLowerCase());
  await opt.kill();
});

/** Starts an async sign and SIGKILLs the Optimizer while the TSC's (signed) answer is held by the gate. */
async function killWithAnswerInFlight(path: string): Promise<{ env: Record<string, string>; db: { url: string }; pk: number; uid: string; otp: string }> {
  const db = await createThrowawayDatabase();
  cleanups.push(db.drop);
  const env = await optimizerEnv({ DATABASE_URL: db.url });
  const opt = await startOptimizerProcess(env);
  cleanups.push(() => opt.kill('SIGKILL'));
  const { pk, uid, otp } = await ready(opt.url, path);
  gate.holdResponses(/\/sign$/);
  await startAsync(opt.url, pk, otp);
  await gate.waitHeld(1); // the TSC has signed; its answer waits here
  await opt.kill('SIGKILL');
  await gate.waitClientsGone();
  gate.holdResponses(null);
  gate.releaseAll(); // its client is dead: the answer is lost
  return { env, db, pk, uid, otp };
}

test('SIGKILL while the TSC answer is in flight (PostgreSQL): the retry gets the replayed answer and the job completes, signed once', async () => {
  const { env, db, pk, uid, otp } = await killWithAnswerInFlight('/k3');
  const opt = await startOptimizerProcess(env);
  cleanups.push(() => opt.kill('SIGKILL'));
  assert.equal(await waitAsync(opt.url, pk), 'signed');
  assert.deepEqual(signCalls(pk).map((c) => c.status), [200, 200]);
  assert.equal(JSON.parse(signCalls(pk)[1]!.body.toString()).replayed, true);
  assert.ok(opt.output.some((l) => l.includes('TSC answer of an earlier submission replayed')));
  const t = await tscRequest(pk);
  assert.equal(t.status, 'ISSUED');
  assert.equal(t.certificate_set.length, 1);
  const doc = await call(opt.url, 'GET', `/api/v1/document/${pk}/signed/${uid}`);
  assert.equal(doc.status, 200);
  checker.check(doc.body, `k3-${pk}`);
  checker.check((await call(opt.url, 'GET', `/api/v1/document/${pk}/contract`)).body, `k3-contract-${pk}`);
  const job = new pg.Client({ connectionString: db.url });
  await job.connect();
  const row = (await job.query('SELECT state, plan_sealed, submissions FROM opt_sign_jobs WHERE pk = $1', [pk])).rows[0];
  await job.end();
  assert.deepEqual(row, { state: 'done', plan_sealed: null, submissions: 2 });
  await recv.waitFor((hits) => hits.some((x) => x.path === '/k3' && x.json.event_type === 'REQUEST_ENROLLED'));
  const enrolled = recv.hits.filter((x) => x.path === '/k3' && x.json.event_type === 'REQUEST_ENROLLED');
  assert.equal(enrolled.length, 1);
  assert.equal(enrolled[0]!.json.certificates[0].serial_number.toLowerCase(), t.certificate_set[0]!.serial_number.toLowerCase());
  // A second /sign is refused like any issued request.
  assert.equal((await call(opt.url, 'POST', `/api/v1/sign/${pk}`, { secret: otp })).status, 412);
  await opt.kill();
});

test('SIGKILL while the TSC answer is in flight, TSC replay off: the request is never signed twice and the loss is reported', async () => {
  const settings = tsc.app.tsc.deps.settings;
  const window = settings.signReplaySeconds;
  settings.signReplaySeconds = 0; // as after TSC_SIGN_REPLAY_SECONDS, or with a TSC without replay
  try {
    const { env, pk, uid, otp } = await killWithAnswerInFlight('/k4');
    const opt = await startOptimizerProcess(env);
    cleanups.push(() => opt.kill('SIGKILL'));
    const final = await waitAsync(opt.url, pk);
    assert.match(final, /^error: The certificate was issued but the signatures were lost/);
    assert.deepEqual(signCalls(pk).map((c) => c.status), [200, 412]);
    assert.match(signCalls(pk)[1]!.body.toString(), /REQ_ERR_ALREADY_ISSUED/);
    const t = await tscRequest(pk);
    assert.equal(t.status, 'ISSUED');
    assert.equal(t.certificate_set.length, 1);
    assert.equal((await call(opt.url, 'GET', `/api/v1/document/${pk}/signed/${uid}`)).status, 404);
    assert.equal((await call(opt.url, 'POST', `/api/v1/sign/${pk}`, { secret: otp })).status, 412);
    await recv.waitFor((hits) => hits.some((x) => x.path === '/k4' && x.json.event_type === 'REQUEST_ENROLLED'));
    await opt.kill();
  } finally {
    settings.signReplaySeconds = window;
  }
});
