/**
 * The Redis adapters against a private redis-server that the test stops and starts: RedisCache
 * (only allowed prefixes reach Redis, local fallback while down, values written back after),
 * RedisLock (exclusive across connections, token-checked release, leases, fallback lock while
 * down), BullMqJobQueue (runs jobs, de-duplicates ids, delays, falls back to the database queue
 * while Redis is down, and a job of a worker that died is run by another after its lease).
 */
import { test, before, after } from 'node:test';
import { Queue, type ConnectionOptions } from 'bullmq';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis, type RedisHandle } from '../../../src/infra/redis.js';
import { migrate, openDatabase, type Db } from '../../../src/infra/db.js';
import { OPT_MIGRATION_TABLE, optimizerMigrations, type OptimizerDb } from '../../../src/optimizer/adapters/sql-schema.js';
import { RedisCache } from '../../../src/optimizer/adapters/redis-cache.js';
import { RedisLock } from '../../../src/optimizer/adapters/redis-lock.js';
import { BullMqJobQueue } from '../../../src/optimizer/adapters/bullmq-job-queue.js';
import { KyselyJobQueue } from '../../../src/optimizer/adapters/kysely-job-queue.js';
import { InProcessLock } from '../../../src/optimizer/adapters/memory-ops.js';
import { startTestRedis, type TestRedis } from '../../support/redis-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await pred())) await sleep(10);
}

let redis: TestRedis;
let dir: string;
let db: Db<OptimizerDb>;
const handles: RedisHandle[] = [];

function handle(): RedisHandle {
  const h = connectRedis(redis.url);
  handles.push(h);
  return h;
}

async function down(...hs: RedisHandle[]): Promise<void> {
  await redis.kill();
  await until(() => hs.every((h) => !h.ready()));
}

async function up(...hs: RedisHandle[]): Promise<void> {
  await redis.start();
  await until(() => hs.every((h) => h.ready()));
}

before(async () => {
  redis = await startTestRedis();
  dir = await mkdtemp(join(tmpdir(), 'oneshot-redis-adapters-'));
  db = openDatabase<OptimizerDb>(join(dir, 'o.sqlite'));
  await migrate(db, optimizerMigrations, OPT_MIGRATION_TABLE);
});
after(async () => {
  if (!redis.running()) await redis.start();
  for (const h of handles) await h.close();
  await db.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

test('RedisCache: only allowed prefixes reach Redis; served locally while Redis is down; written back when it returns', async () => {
  const h = handle();
  await until(() => h.ready());
  const a = new RedisCache(h);
  const b = new RedisCache(handle());
  await a.set('signing-info:P:B-T', { chain: ['MIIB'] }, 60_000);
  await a.set('request-data:1', { name: 'Ana' }, 60_000);
  await until(() => handles[1]!.ready());
  assert.deepEqual(await b.get('signing-info:P:B-T'), { chain: ['MIIB'] }, 'shared through Redis');
  assert.equal(await b.get('request-data:1'), undefined, 'not an allowed prefix: stays in its process');
  assert.equal(await a.get<{ name: string }>('request-data:1').then((v) => v?.name), 'Ana');
  assert.deepEqual((await redis.dump()).map((e) => e.key), ['oneshot:cache:signing-info:P:B-T']);

  await down(h);
  await a.set('signing-info:Q:B-B', { chain: ['MIIC'] }, 60_000);
  assert.deepEqual(await a.get('signing-info:Q:B-B'), { chain: ['MIIC'] });
  assert.deepEqual(await a.get('signing-info:P:B-T'), { chain: ['MIIB'] }, 'its own copy while Redis is down');
  assert.ok(a.stats.fallbacks >= 2);
  await up(h);
  assert.deepEqual(await a.get('signing-info:Q:B-B'), { chain: ['MIIC'] });
  const keys = (await redis.dump()).map((e) => e.key);
  assert.ok(keys.includes('oneshot:cache:signing-info:Q:B-B'), 'written back after the restart');
  const ttl = await h.client.pttl('oneshot:cache:signing-info:Q:B-B');
  assert.ok(ttl > 0 && ttl <= 60_000, 'with the remaining lifetime');
});

test('RedisLock: exclusive across connections, released only by its holder, leased, database/local fallback while down', async () => {
  const ha = handle();
  const hb = handle();
  await until(() => ha.ready() && hb.ready());
  const fallback = new InProcessLock();
  const a = new RedisLock(ha, fallback, 300);
  const b = new RedisLock(hb, new InProcessLock(), 300);
  const ra = await a.tryAcquire('request:9', 60_000);
  assert.ok(ra);
  assert.equal(await b.tryAcquire('request:9', 60_000), null);
  await sleep(700); // renewed while held
  assert.equal(await b.tryAcquire('request:9', 60_000), null);
  await ra();
  const rb = await b.tryAcquire('request:9', 60_000);
  assert.ok(rb);
  await ra(); // a stale release frees nothing
  assert.equal(await a.tryAcquire('request:9', 60_000), null);
  await rb();
  // A holder past its ttl stops renewing: the lock expires after one lease.
  assert.ok(await a.tryAcquire('request:10', 200));
  await sleep(450);
  assert.ok(await b.tryAcquire('request:10', 60_000));
  // Redis down: the fallback lock answers at once.
  await down(ha, hb);
  const rf = await a.tryAcquire('request:11', 60_000);
  assert.ok(rf);
  assert.equal(await fallback.tryAcquire('request:11', 60_000), null, 'taken in the fallback lock');
  await rf();
  await up(ha, hb);
  assert.ok(await a.tryAcquire('request:12', 1000));
  assert.ok((await redis.dump()).some((e) => e.key === 'oneshot:lock:request:12'), 'Redis used again');
});

test('BullMqJobQueue: runs jobs from Redis, de-duplicates ids, delays; falls back to the database queue while Redis is down', async () => {
  const h = handle();
  await until(() => h.ready());
  const q = new BullMqJobQueue(h, new KyselyJobQueue(db.kysely, { pollMs: 20, leaseMs: 1000 }), { leaseMs: 1000, prefix: 'oneshot:bulltest' });
  const seen: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  q.register('job', async (p) => {
    const n = (p as { n: number }).n;
    if (n === 1) await gate;
    seen.push(n);
  });
  q.start();
  try {
    await q.enqueue('job', { n: 1 }, { jobId: 'one' });
    await q.enqueue('job', { n: 2 }, { jobId: 'one' }); // same id while waiting/active: not added
    await until(() => q.stats.ranFromRedis === 1);
    release();
    await q.enqueue('job', { n: 3 }, { delayMs: 200 });
    await until(() => seen.length === 2);
    assert.deepEqual(seen, [1, 3]);
    assert.equal(q.stats.addedToRedis, 3);
    assert.equal(q.stats.ranFromRedis, 2);
    assert.ok((await redis.dump()).some((e) => e.key.startsWith('oneshot:bulltest:oneshot-jobs:')));

    await down(h);
    await q.enqueue('job', { n: 4 });
    await until(() => seen.length === 3);
    assert.deepEqual(seen, [1, 3, 4]);
    assert.equal(q.stats.addedToFallback, 1, 'database queue while Redis is down');
    await up(h);
    await q.enqueue('job', { n: 5 });
    await until(() => seen.length === 4);
    assert.equal(q.stats.addedToRedis, 4, 'BullMQ again after the restart');
  } finally {
    await q.close();
  }
});

test('BullMqJobQueue: a job id whose job failed every attempt can be queued again (as in the database queue)', async () => {
  const h = handle();
  await until(() => h.ready());
  const fallback = new KyselyJobQueue(db.kysely, { pollMs: 20, maxAttempts: 1 });
  const q = new BullMqJobQueue(h, fallback, { leaseMs: 1000, prefix: 'oneshot:bullfail', attempts: 1 });
  const inspect = new Queue('oneshot-jobs', { connection: h.options() as ConnectionOptions, prefix: 'oneshot:bullfail' });
  const seen: string[] = [];
  let failures = 0;
  q.register('flaky', async (p) => {
    const n = (p as { n: number }).n;
    seen.push(`run ${n}`);
    if (n === 1) {
      failures++;
      throw new Error('first run fails');
    }
  });
  q.start();
  try {
    // Recovery re-queues under fixed ids (e.g. `webhook-<pk>-<target>-recover`): once one of them
    // has failed, the next one must run, not be dropped as a duplicate of the failed job.
    await q.enqueue('flaky', { n: 1 }, { jobId: 'recover-me' });
    await until(() => failures === 1);
    await until(async () => ['failed', 'unknown'].includes(await inspect.getJobState('recover-me')));
    await q.enqueue('flaky', { n: 2 }, { jobId: 'recover-me' });
    const queued = await inspect.getJob('recover-me');
    assert.ok(seen.length === 2 || queued?.data?.n === 2, `the second job was dropped (${JSON.stringify(queued?.data)} is queued)`);
    await until(() => seen.length === 2);
    assert.deepEqual(seen, ['run 1', 'run 2']);
    assert.equal(q.stats.addedToRedis, 2);
  } finally {
    await q.close();
    await inspect.close();
  }
});

test('BullMqJobQueue: the job of a worker that died is run by another worker after its lease', async () => {
  const ha = handle();
  const hb = handle();
  await until(() => ha.ready() && hb.ready());
  const runs: string[] = [];
  const a = new BullMqJobQueue(ha, new KyselyJobQueue(db.kysely, { pollMs: 50 }), { leaseMs: 500, prefix: 'oneshot:bulldie' });
  a.register('slow', async () => {
    runs.push('a');
    await new Promise(() => {}); // never ends: its worker will be killed
  });
  a.start();
  await a.enqueue('slow', { pk: 1 }, { jobId: 'survivor' });
  await until(() => runs.length === 1);
  // Kill a's worker without letting it finish or hand the job back (no more lock renewals).
  const worker = (a as unknown as { worker: { close(force: boolean): Promise<void> } }).worker;
  void worker.close(true);
  const b = new BullMqJobQueue(hb, new KyselyJobQueue(db.kysely, { pollMs: 50 }), { leaseMs: 500, prefix: 'oneshot:bulldie' });
  b.register('slow', async () => { runs.push('b'); });
  b.start();
  try {
    await until(() => runs.length === 2);
    assert.deepEqual(runs, ['a', 'b']);
  } finally {
    await b.close();
    await a.close(200);
  }
});
