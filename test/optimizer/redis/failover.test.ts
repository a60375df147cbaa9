/**
 * Redis with local fallback (issue 6 §3): an Optimizer with REDIS_URL (cache, locks, BullMQ jobs)
 * runs 50 concurrent async flows against the REAL TSC; its private redis-server is SIGKILLed in
 * the middle and started again later. Every flow completes, each request signed once; after the
 * restart the Optimizer uses Redis again by itself; and a scan of every Redis key and value —
 * taken in the middle of the flows and at the end — finds no document bytes, OTP, PIN, password
 * or identity data.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildPdf } from '../../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../../support/optimizer-tsc.js';
import { startHarness, type Harness } from '../../support/optimizer-harness.js';
import { startTestRedis, type RedisEntry, type TestRedis } from '../../support/redis-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { findLeak, trafficWindows } from '../../support/optimizer-leak.js';
import { pdfChecker } from '../../support/signed-pdf-check.js';
import type { BullMqJobQueue } from '../../../src/optimizer/adapters/bullmq-job-queue.js';
import type { RedisCache } from '../../../src/optimizer/adapters/redis-cache.js';

const FLOWS = 50;
let tsc: RealTsc;
let redis: TestRedis;
let recv: WebhookReceiver;
let h: Harness;
let token: string;

before(async () => {
  tsc = await startRealTsc();
  redis = await startTestRedis();
  recv = await startWebhookReceiver();
  h = await startHarness({
    tscUrl: tsc.url, tscKey: tsc.apiKey,
    env: {
      REDIS_URL: redis.url, OPTIMIZER_LEASE_MS: '1000', OPTIMIZER_RECOVERY_INTERVAL_MS: '300', OPTIMIZER_JOB_POLL_MS: '50',
      OPTIMIZER_JOB_CONCURRENCY: '6', OPTIMIZER_WEBHOOK_ALLOW_PRIVATE: '1', OPTIMIZER_WEBHOOK_BACKOFF_MS: '50',
      OPTIMIZER_WEBHOOK_SECRET: 'redis-test-webhook-secret-000000',
    },
  });
  token = (await h.call('POST', '/api/v1/token', { ...tsc.rao, env: 'sandbox' })).json.details;
});
after(async () => {
  const step = (s: string) => process.env.DEBUG_AFTER && console.error(`after: ${s}`);
  step('optimizer');
  if (!redis.running()) await redis.start(); // a failed run may stop with Redis down
  await h.close();
  step('receiver');
  await recv.close();
  step('redis');
  await redis.stop();
  step('tsc');
  await tsc.close();
  step('done');
});

interface Flow {
  i: number;
  pk: number;
  uid: string;
  otp: string;
  person: Record<string, string>;
  pdf: Buffer;
  final: string;
}

const jobs = () => h.opt.ctx.jobs as BullMqJobQueue;
const cache = () => h.opt.ctx.cache as RedisCache;

const hookKey = (i: number) => `receiverkey${letters(i)}z`;

/** Names take letters only: 17 → "bh". */
const letters = (i: number) => String(i).split('').map((d) => 'abcdefghij'[Number(d)]).join('');

async function flow(i: number, onCreate: () => Promise<void>, onSign: () => Promise<void>): Promise<Flow> {
  const person = {
    given_name: `Flowgiven${letters(i)}x`, surname_1: `Flowsurname${letters(i)}y`, email: `flow${i}.person@example.com`,
    mobile_phone_number: `+34611${String(i).padStart(6, '0')}`, serial_number: `${70000000 + i}Q`,
  };
  const pdf = buildPdf({ catalogExtra: `/OneShotMarker (doc-${i}-${randomBytes(8).toString('hex')})` });
  // The receiver's key rides in the callback's query, as many receivers expect: it must stay out of Redis.
  const c = await h.call('POST', '/oneshot/api/v1/create', { token, ...person, useasync: true, callback: `${recv.url}/f${i}?key=${hookKey(i)}` });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  const pk = c.json.details.pk as number;
  await onCreate();
  const u = await h.upload(`/oneshot/api/v1/document/${pk}`, [{ name: 'file', filename: `f${i}.pdf`, type: 'application/pdf', data: pdf }]);
  assert.equal(u.status, 200, JSON.stringify(u.json));
  assert.equal((await h.call('POST', `/oneshot/api/v1/otp/${pk}`)).status, 200);
  const otp = await tsc.lastOtp(pk);
  const s = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: otp });
  assert.equal(s.status, 200, JSON.stringify(s.json));
  await onSign();
  let final: string;
  for (;;) {
    final = (await h.call('GET', `/api/v1/async/status/${pk}`)).json.details;
    if (final !== 'signing' && final !== 'approved') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { i, pk, uid: u.json.details.uid, otp, person, pdf, final };
}

/** Every key and value (raw and base64/hex-decoded) as 32-byte windows, plus the text. */
function scan(entries: RedisEntry[]): { text: string; windows: Set<string> } {
  const traffic = entries.map((e) => ({ method: e.type, url: e.key, headers: {}, body: Buffer.concat(e.values.flatMap((v) => [v, Buffer.from('\n')])) }));
  return { text: traffic.map((t) => `${t.url}\n${t.body.toString('latin1')}`).join('\n'), windows: trafficWindows(traffic) };
}

function assertClean(entries: RedisEntry[], flows: Flow[], label: string): void {
  const { text, windows } = scan(entries);
  for (const secret of [tsc.rao.password, tsc.rao.pin, 'redis-test-webhook-secret']) {
    assert.ok(!text.includes(secret), `${label}: RAO credential or secret in Redis`);
  }
  assert.ok(!text.includes('%PDF'), `${label}: PDF bytes in Redis`);
  for (const f of flows) {
    for (const v of Object.values(f.person)) assert.ok(!text.includes(v), `${label}: identity data of flow ${f.i} (${v}) in Redis`);
    assert.ok(!text.includes(hookKey(f.i)), `${label}: callback URL (receiver key) of flow ${f.i} in Redis`);
    assert.ok(!new RegExp(`(^|\\D)${f.otp}(\\D|$)`).test(text), `${label}: OTP of flow ${f.i} in Redis`);
    assert.equal(findLeak(f.pdf, windows), -1, `${label}: bytes of document ${f.i} in Redis`);
    assert.ok(!text.includes(`doc-${f.i}-`), `${label}: document marker of flow ${f.i} in Redis`);
  }
}

test('Redis killed in the middle of 50 concurrent async flows: all complete, signed once; restarted Redis is used again; Redis never holds secrets', async () => {
  // Redis is killed once 10 requests exist; the other 40 flows go on once it is down (their
  // jobs, locks and cache calls meet a dead Redis); it is started again once 30 async signatures
  // were accepted.
  let created = 0;
  let signed = 0;
  let midScan: RedisEntry[] = [];
  let redisAddsBeforeKill = 0;
  let fallbackAddsAtRestart = 0;
  let redisAddsAtRestart = 0;
  let cacheWritesAtRestart = 0;
  let killed: Promise<void> | null = null;
  let restarted: Promise<void> | null = null;
  const onCreate = async () => {
    const n = ++created;
    if (n > 10) await killed;
    if (n !== 10) return;
    killed = (async () => {
      midScan = await redis.dump();
      redisAddsBeforeKill = jobs().stats.addedToRedis;
      await redis.kill();
      while (h.opt.redis!.ready()) await new Promise((r) => setTimeout(r, 5));
      // While Redis is down every call still answers at once from the local side.
      const release = await h.opt.ctx.lock.tryAcquire('probe', 1000);
      assert.ok(release);
      await release();
      assert.equal(await h.opt.ctx.cache.get('signing-info:none'), undefined);
    })();
    await killed;
  };
  const onSign = async () => {
    if (++signed !== 30) return;
    restarted = (async () => {
      await killed;
      fallbackAddsAtRestart = jobs().stats.addedToFallback;
      redisAddsAtRestart = jobs().stats.addedToRedis;
      cacheWritesAtRestart = cache().stats.redisWrites;
      await redis.start();
    })();
  };
  const flows = await Promise.all(Array.from({ length: FLOWS }, (_, i) => flow(i, onCreate, onSign)));
  await killed;
  await restarted;
  assert.ok(killed && restarted);
  assert.deepEqual(flows.filter((f) => f.final !== 'signed').map((f) => [f.pk, f.final]), []);

  // Jobs went to BullMQ before the kill and to the database queue while Redis was down.
  assert.ok(redisAddsBeforeKill > 0, 'BullMQ used before the kill');
  assert.ok(fallbackAddsAtRestart > 0, 'database queue used while Redis was down');
  assert.ok(midScan.some((e) => e.key.startsWith('oneshot:bull:')), 'BullMQ keys in Redis mid-flow');

  // Signed once each, as the TSC sees it; every output there.
  for (const f of flows) {
    const r = await fetch(`${tsc.directUrl}/tsc/v1/requests/${f.pk}`, {
      headers: { authorization: `Bearer ${tsc.apiKey}`, 'x-rao-username': tsc.rao.username, 'x-rao-password': tsc.rao.password },
    });
    const o = (await r.json()) as { status: string; certificate_set: unknown[] };
    assert.equal(o.status, 'ISSUED');
    assert.equal(o.certificate_set.length, 1, `request ${f.pk} has one certificate`);
    assert.equal((await h.call('GET', `/api/v1/document/${f.pk}/signed/${f.uid}`)).status, 200);
  }
  const sign = tsc.traffic.filter((t) => /\/sign$/.test(t.url));
  assert.equal(sign.length, FLOWS, 'one TSC sign call per request');
  const checker = pdfChecker(await tsc.rootPem());
  try {
    for (const f of [flows[0]!, flows[20]!, flows[49]!]) checker.check((await h.call('GET', `/api/v1/document/${f.pk}/signed/${f.uid}`)).body, `r${f.i}`);
  } finally {
    checker.cleanup();
  }
  // Webhooks: each request's ENROLLED event arrived (at least once; one event id).
  await recv.waitFor((hits) => flows.every((f) => hits.some((x) => x.path === `/f${f.i}` && x.json.event_type === 'REQUEST_ENROLLED')), 'ENROLLED events');
  for (const f of flows) {
    const ids = new Set(recv.hits.filter((x) => x.path === `/f${f.i}` && x.json.event_type === 'REQUEST_ENROLLED').map((x) => x.json.event_id));
    assert.equal(ids.size, 1);
  }

  // Redis is used again without a restart of the Optimizer: new jobs go to BullMQ, the shared
  // cache is written back.
  assert.equal(h.opt.redis!.ready(), true);
  const extra = await flow(FLOWS, async () => {}, async () => {});
  assert.equal(extra.final, 'signed');
  assert.ok(jobs().stats.addedToRedis > redisAddsAtRestart, 'BullMQ used again after the restart');
  assert.ok(cache().stats.redisWrites > cacheWritesAtRestart, 'cache written back to Redis after the restart');
  const finalScan = await redis.dump();
  assert.ok(finalScan.some((e) => e.key.startsWith('oneshot:cache:signing-info:')));
  assert.ok(jobs().stats.ranFromRedis > 0);

  // Nothing sensitive in Redis, mid-flow or at the end.
  assert.ok(midScan.length > 0 && finalScan.length > 0);
  assertClean(midScan, flows, 'mid-flow scan');
  assertClean(finalScan, [...flows, extra], 'final scan');
});
