/**
 * Scale-out (issue 6 §4–§6): two Optimizer processes and one TSC process, each started by its
 * container entrypoint script (docker/*.sh) outside any container, on one PostgreSQL database and
 * one Redis, the Optimizers sharing a data directory (blobs, master key, webhook secret) behind a
 * round-robin proxy. The TSC keeps its keys in SoftHSM2, whose token the entrypoint initialises at
 * first start and finds again at the next.
 *
 *  - 50 concurrent flows (half synchronous, half async with callbacks), each flow's calls
 *    alternating between the two processes → every request signed once at the TSC, every output
 *    there and valid (qpdf on all, pdfsig + openssl on a sample), one event id per status change;
 *  - concurrent /sign calls for one request on both processes → one signs, the other is refused
 *    (the Redis lock), one certificate;
 *  - TSC restarted (same token) → flows keep working.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPdf } from '../../support/pdf-build.js';
import { createThrowawayDatabase } from '../../support/optimizer-pg.js';
import { startTestRedis, type TestRedis } from '../../support/redis-server.js';
import { freePort, startOptimizerProcess, startTscProcess, type ServiceProcess } from '../../support/service-process.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../../support/round-robin-proxy.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { call, upload, waitAsync } from '../../support/api-client.js';
import { pdfChecker } from '../../support/signed-pdf-check.js';

const FLOWS = 50;
const CLIENT_KEY = randomBytes(24).toString('hex');
let dir: string;
let dropDb: () => Promise<void>;
let redis: TestRedis;
let recv: WebhookReceiver;
let tsc: ServiceProcess;
let tscEnv: Record<string, string>;
let opts: ServiceProcess[] = [];
let lb: RoundRobinProxy;
let rao: { username: string; password: string; pin: string };
let token: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oneshot-scale-'));
  const db = await createThrowawayDatabase();
  dropDb = db.drop;
  redis = await startTestRedis();
  recv = await startWebhookReceiver();
  const port = await freePort();
  tscEnv = {
    ONESHOT_DATA_DIR: join(dir, 'tsc-data'), TSC_PORT: String(port), TSC_PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: db.url, ONESHOT_ENV: 'sandbox', TSC_SCRYPT_LOG_N: '10', TSC_LOG_LEVEL: 'warn', TSC_CLIENT_API_KEY: CLIENT_KEY,
    TSC_KEYSTORE: 'pkcs11', PKCS11_TOKEN_LABEL: 'oneshot-qscd', PKCS11_PIN: randomBytes(6).toString('hex'),
    PKCS11_SO_PIN: randomBytes(6).toString('hex'),
  };
  tsc = await startTscProcess(tscEnv);
  assert.ok(tsc.output.some((l) => l.includes("SoftHSM2 token 'oneshot-qscd' initialised")), tsc.output.join('\n'));
  rao = JSON.parse(await readFile(join(dir, 'tsc-data', 'tsc', 'sandbox-rao.json'), 'utf8'));
  const optEnv = {
    ONESHOT_DATA_DIR: join(dir, 'opt-data'), DATABASE_URL: db.url, DATABASE_POOL_SIZE: '5', REDIS_URL: redis.url, TSC_URL: tsc.url,
    TSC_CLIENT_API_KEY: CLIENT_KEY, OPTIMIZER_LOG_LEVEL: 'warn', OPTIMIZER_LEASE_MS: '2000', OPTIMIZER_JOB_POLL_MS: '100',
    OPTIMIZER_WEBHOOK_ALLOW_PRIVATE: '1', OPTIMIZER_WEBHOOK_BACKOFF_MS: '100',
  };
  // Both start together on the shared data dir (key files are created exclusively).
  opts = await Promise.all([startOptimizerProcess(optEnv), startOptimizerProcess(optEnv)]);
  lb = await startRoundRobinProxy(opts.map((o) => o.url));
  token = (await call(lb.url, 'POST', '/api/v1/token', { ...rao, env: 'sandbox' })).json.details;
  assert.match(token, /^[0-9a-f]{32}$/);
});
after(async () => {
  await lb?.close();
  for (const o of opts) await o.kill();
  await tsc?.kill();
  await recv.close();
  await redis.stop();
  await dropDb();
  await rm(dir, { recursive: true, force: true });
});

async function otpOf(pk: number): Promise<string> {
  for (;;) {
    const text = await readFile(join(dir, 'tsc-data', 'outbox.jsonl'), 'utf8').catch(() => '');
    const mine = text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.request_pk === pk);
    if (mine.length) return mine[mine.length - 1].code;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function tscRequest(pk: number): Promise<{ status: string; certificate_set: unknown[] }> {
  const r = await fetch(`${tsc.url}/tsc/v1/requests/${pk}`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'x-rao-username': rao.username, 'x-rao-password': rao.password },
  });
  assert.equal(r.status, 200);
  return (await r.json()) as { status: string; certificate_set: unknown[] };
}

interface Done {
  i: number;
  pk: number;
  uid: string;
  async: boolean;
}

async function prepared(base: string, i: number, extra: Record<string, unknown> = {}, hdr: Record<string, string> = {}): Promise<{ pk: number; uid: string; otp: string }> {
  const c = await call(base, 'POST', '/api/v1/request', {
    token, given_name: 'Lena', surname_1: 'Marquez', email: `lena${i}@example.com`, mobile_phone_number: '+34600222333',
    serial_number: '55667788C', ...extra,
  }, hdr);
  assert.equal(c.status, 201, JSON.stringify(c.json));
  const pk = c.json.details as number;
  const u = await upload(base, `/api/v1/document/${pk}`, [{ name: 'file', filename: `s${i}.pdf`, type: 'application/pdf', data: buildPdf() }], hdr);
  assert.equal(u.status, 200, JSON.stringify(u.json));
  assert.equal((await call(base, 'POST', `/api/v1/otp/${pk}`, undefined, hdr)).status, 200);
  return { pk, uid: u.json.details as string, otp: await otpOf(pk) };
}

async function flow(i: number): Promise<Done> {
  const hdr = { 'x-client': `flow-${i}` };
  const isAsync = i % 2 === 0;
  const { pk, uid, otp } = await prepared(lb.url, i, isAsync ? { useasync: true, callback: `${recv.url}/s${i}` } : {}, hdr);
  const s = await call(lb.url, 'POST', `/api/v1/sign/${pk}`, { secret: otp }, hdr);
  assert.equal(s.status, 200, JSON.stringify(s.json));
  if (isAsync) assert.equal(await waitAsync(lb.url, pk, 100, hdr), 'signed');
  else assert.equal(s.json.details, 'Documents correctly signed');
  const list = await call(lb.url, 'GET', `/api/v1/documents/${pk}`, undefined, hdr);
  assert.equal(list.json.details[uid].signed, true);
  return { i, pk, uid, async: isAsync };
}

test('50 concurrent flows through a round-robin proxy over 2 Optimizers + 1 TSC on PostgreSQL + Redis: each signed once, outputs valid', async () => {
  const done = await Promise.all(Array.from({ length: FLOWS }, (_, i) => flow(i)));
  // Every flow's calls were served by both processes.
  for (const d of done) {
    const mine = lb.routed.filter((r) => r.client === `flow-${d.i}`);
    assert.deepEqual([...new Set(mine.map((r) => r.upstream))].sort(), [0, 1], `flow ${d.i}`);
  }
  const checker = pdfChecker(await (await fetch(`${tsc.url}/pki/root.pem`)).text());
  const scratch = await mkdtemp(join(tmpdir(), 'oneshot-scale-out-'));
  try {
    for (const d of done) {
      const t = await tscRequest(d.pk);
      assert.equal(t.status, 'ISSUED');
      assert.equal(t.certificate_set.length, 1, `request ${d.pk}: one certificate`);
      // Any process serves any request's files (shared blob directory).
      for (const o of opts) {
        const doc = await call(o.url, 'GET', `/api/v1/document/${d.pk}/signed/${d.uid}`);
        assert.equal(doc.status, 200);
        if (o === opts[0]) {
          await writeFile(join(scratch, `${d.pk}.pdf`), doc.body);
          assert.match(execFileSync('qpdf', ['--check', join(scratch, `${d.pk}.pdf`)], { encoding: 'utf8' }), /No syntax or stream encoding errors found/);
        }
      }
    }
    for (const d of [done[0]!, done[1]!, done[49]!]) {
      checker.check((await call(lb.url, 'GET', `/api/v1/document/${d.pk}/signed/${d.uid}`)).body, `scale-${d.pk}`);
      checker.check((await call(lb.url, 'GET', `/api/v1/document/${d.pk}/contract`)).body, `scale-contract-${d.pk}`);
    }
  } finally {
    checker.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
  // Async flows: each status change is one event (one id), whichever process observed it.
  const asyncDone = done.filter((d) => d.async);
  await recv.waitFor((hits) => asyncDone.every((d) => hits.some((x) => x.path === `/s${d.i}` && x.json.event_type === 'REQUEST_ENROLLED')), 'ENROLLED events');
  for (const d of asyncDone) {
    const mine = recv.hits.filter((x) => x.path === `/s${d.i}`);
    const byType = new Map<string, Set<string>>();
    for (const x of mine) byType.set(x.json.event_type, (byType.get(x.json.event_type) ?? new Set()).add(x.json.event_id));
    assert.deepEqual([...byType.keys()], ['REQUEST_CREATED', 'REQUEST_APPROVED', 'REQUEST_ENROLLED']);
    for (const ids of byType.values()) assert.equal(ids.size, 1);
  }
});

test('concurrent /sign for one request on both processes: one signs, the other is refused at once; one certificate', async () => {
  for (let i = 0; i < 4; i++) {
    const isAsync = i >= 2;
    const { pk, otp } = await prepared(opts[0]!.url, 100 + i, isAsync ? { useasync: true } : {});
    const [a, b] = await Promise.all(opts.map((o) => call(o.url, 'POST', `/api/v1/sign/${pk}`, { secret: otp })));
    const statuses = [a!.status, b!.status].sort();
    assert.equal(statuses[0], 200, JSON.stringify([a!.json, b!.json]));
    assert.ok(statuses[1] === 409 || statuses[1] === 412, `second call: ${statuses[1]}`);
    if (isAsync) assert.equal(await waitAsync(opts[1]!.url, pk), 'signed');
    const t = await tscRequest(pk);
    assert.equal(t.status, 'ISSUED');
    assert.equal(t.certificate_set.length, 1);
  }
});

test('the TSC restarted by its entrypoint finds its SoftHSM2 token and keys; flows go on', async () => {
  await tsc.kill();
  tsc = await startTscProcess(tscEnv);
  assert.ok(tsc.output.some((l) => l.includes("SoftHSM2 token 'oneshot-qscd' found")), tsc.output.join('\n'));
  const d = await flow(200);
  assert.equal((await tscRequest(d.pk)).certificate_set.length, 1);
});
