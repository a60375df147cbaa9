/**
 * Contract suite of the issue-6 tables, run on SQLite and on PostgreSQL: the database job queue
 * (durable, leased, de-duplicated, retried; two queue instances = two processes), database locks,
 * sign-job records (one active job per request, compare-and-set steps, stale listing) and the
 * webhook outbox (status compare-and-set with sequence numbers, one delivery per event and target,
 * stream heads, due streams).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase, type Db } from '../../../src/infra/db.js';
import { OPT_MIGRATION_TABLE, optimizerMigrations, type OptimizerDb } from '../../../src/optimizer/adapters/sql-schema.js';
import { KyselyJobQueue } from '../../../src/optimizer/adapters/kysely-job-queue.js';
import { KyselyLock } from '../../../src/optimizer/adapters/kysely-lock.js';
import { KyselyFeedCursorStore, KyselySignJobStore, KyselyWebhookOutbox } from '../../../src/optimizer/adapters/kysely-async-stores.js';
import type { NewWebhookDelivery, SignJobRecord } from '../../../src/optimizer/domain/async-ports.js';
import { createThrowawayDatabase } from '../../support/optimizer-pg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; !(await pred()); i++) {
    if (i > 0 && i % 200 === 0) console.error(`still waiting: ${what}`);
    await sleep(10);
  }
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`issue-6 stores on ${kind}`, () => {
    let db: Db<OptimizerDb>;
    let db2: Db<OptimizerDb>;
    let cleanup: () => Promise<void>;
    before(async () => {
      if (kind === 'sqlite') {
        const dir = await mkdtemp(join(tmpdir(), 'oneshot-async-store-'));
        db = openDatabase<OptimizerDb>(join(dir, 'o.sqlite'));
        db2 = openDatabase<OptimizerDb>(join(dir, 'o.sqlite'));
        cleanup = () => rm(dir, { recursive: true, force: true });
      } else {
        const t = await createThrowawayDatabase();
        db = openDatabase<OptimizerDb>(t.url);
        db2 = openDatabase<OptimizerDb>(t.url);
        cleanup = t.drop;
      }
      await migrate(db, optimizerMigrations, OPT_MIGRATION_TABLE);
    });
    after(async () => {
      await db2.close();
      await db.close();
      await cleanup();
    });

    test('job queue: runs jobs, de-duplicates waiting job ids, honours delays, deletes done jobs', async () => {
      const q = new KyselyJobQueue(db.kysely, { pollMs: 20, leaseMs: 500 });
      const seen: unknown[] = [];
      let gate!: () => void;
      const held = new Promise<void>((r) => { gate = r; });
      q.register('t', async (p) => {
        seen.push(p);
        if ((p as { hold?: boolean }).hold) await held;
      });
      q.start();
      try {
        await q.enqueue('t', { n: 1, hold: true }, { jobId: 'same' });
        await until(() => seen.length === 1, 'first job');
        await q.enqueue('t', { n: 2 }, { jobId: 'same' }); // running: not added again
        gate();
        await q.drain();
        assert.deepEqual(seen, [{ n: 1, hold: true }]);
        const t0 = Date.now();
        await q.enqueue('t', { n: 3 }, { delayMs: 300 });
        await until(() => seen.length === 2, 'delayed job');
        assert.ok(Date.now() - t0 >= 290, 'not before its delay');
        await q.enqueue('t', { n: 4 }, { jobId: 'same' }); // done earlier: a new job
        await until(() => seen.length === 3, 'reused id');
        await q.drain();
        const left = await db.kysely.selectFrom('opt_jobs').select('id').execute();
        assert.deepEqual(left, []);
      } finally {
        await q.close();
      }
    });

    test('job queue: two processes never run one job at once; a dead worker’s job is taken over after its lease', async () => {
      const a = new KyselyJobQueue(db.kysely, { pollMs: 20, leaseMs: 400 });
      const b = new KyselyJobQueue(db2.kysely, { pollMs: 20, leaseMs: 400 });
      const runs: string[] = [];
      let stuck = true;
      a.register('k', async () => {
        runs.push('a');
        // "killed": never finishes and stops renewing (close() below abandons it)
        while (stuck) await sleep(20);
      });
      b.register('k', async () => { runs.push('b'); });
      a.start();
      await a.enqueue('k', { x: 1 }, { jobId: 'takeover' });
      await until(() => runs.length === 1, 'a runs');
      b.start();
      await sleep(600); // a still renews its lease: b must not run it
      assert.deepEqual(runs, ['a']);
      // "SIGKILL" a: it stops polling and renewing (as a dead process does); its lease runs out.
      (a as unknown as { stopped: boolean }).stopped = true;
      await db.kysely.updateTable('opt_jobs').set({ owner: 'dead' }).where('id', '=', 'takeover').execute();
      await until(() => runs.length === 2, 'b takes over');
      assert.deepEqual(runs, ['a', 'b']);
      stuck = false;
      await b.drain();
      await Promise.all([a.close(), b.close()]);
    });

    test('job queue: a throwing handler is retried with backoff, then kept as failed', async () => {
      const q = new KyselyJobQueue(db.kysely, { pollMs: 20, leaseMs: 500, maxAttempts: 2 });
      let calls = 0;
      q.register('bad', async () => {
        calls++;
        throw new Error('boom');
      });
      q.start();
      try {
        await q.enqueue('bad', {}, { jobId: 'bad-1' });
        await until(async () => (await db.kysely.selectFrom('opt_jobs').select('state').where('id', '=', 'bad-1').executeTakeFirst())?.state === 'failed', 'failed');
        assert.equal(calls, 2);
        const row = await db.kysely.selectFrom('opt_jobs').selectAll().where('id', '=', 'bad-1').executeTakeFirstOrThrow();
        assert.equal(row.last_error, 'boom');
        assert.equal(Number(row.attempts), 2);
      } finally {
        await q.close();
      }
    });

    test('locks: exclusive across two connections, released by token only, expire when not renewed', async () => {
      const a = new KyselyLock(db.kysely, 300);
      const b = new KyselyLock(db2.kysely, 300);
      const ra = await a.tryAcquire('request:1', 60_000);
      assert.ok(ra);
      assert.equal(await b.tryAcquire('request:1', 60_000), null);
      await sleep(700); // a renews while it lives
      assert.equal(await b.tryAcquire('request:1', 60_000), null);
      await ra();
      const rb = await b.tryAcquire('request:1', 60_000);
      assert.ok(rb);
      await ra(); // a's stale release must not free b's lock
      assert.equal(await a.tryAcquire('request:1', 60_000), null);
      await rb();
      // A holder that stops renewing (ttl reached) loses the lock after one lease.
      const short = await a.tryAcquire('request:2', 200);
      assert.ok(short);
      await sleep(450);
      const again = await b.tryAcquire('request:2', 60_000);
      assert.ok(again, 'expired lock is taken');
      await again();
    });

    test('sign jobs: one active job per request, compare-and-set steps, reset after the end, stale listing', async () => {
      const s = new KyselySignJobStore(db.kysely);
      const now = new Date();
      const job = (pk: number, at = now): SignJobRecord => ({
        pk, state: 'queued', planSealed: 'sealed', attemptTag: 'tag1', prepared: null, resultSealed: null, submissions: 0, runs: 0,
        error: null, createdAt: at, updatedAt: at,
      });
      assert.equal(await s.start(job(7)), true);
      assert.equal(await s.start({ ...job(7), attemptTag: 'tag2' }), false, 'active job kept');
      assert.equal((await s.get(7))!.attemptTag, 'tag1');
      assert.equal(await s.update(7, { state: 'preparing' }, 'submitting'), false, 'wrong expected state');
      assert.equal(await s.update(7, { state: 'preparing', runs: 1 }, 'queued'), true);
      assert.equal(await s.update(7, { state: 'submitting', prepared: '{"targets":[]}' }, 'preparing'), true);
      assert.equal(await s.update(7, { state: 'tsc_signed', planSealed: null, resultSealed: 'r' }, 'submitting'), true);
      const mid = (await s.get(7))!;
      assert.deepEqual([mid.state, mid.planSealed, mid.resultSealed, mid.runs, mid.prepared], ['tsc_signed', null, 'r', 1, '{"targets":[]}']);
      assert.equal(await s.update(7, { state: 'done' }, 'tsc_signed'), true);
      assert.equal(await s.start({ ...job(7), attemptTag: 'tag3' }), true, 'a finished job can be restarted');
      assert.equal((await s.get(7))!.attemptTag, 'tag3');
      const old = new Date(Date.now() - 60_000);
      await s.start(job(8, old));
      const stale = await s.listStale(new Date(Date.now() - 30_000), 10);
      assert.ok(stale.includes(8) && !stale.includes(7));
      await s.delete(8);
      assert.equal(await s.get(8), null);
      // Run lease: one run at a time; the holder renews; a lapsed lease is taken over.
      assert.equal(await s.claim(7, 'run-a', 300), true);
      assert.equal(await s.claim(7, 'run-b', 300), false);
      assert.equal(await s.claim(7, 'run-a', 300), true, 'renewal by its holder');
      await s.release(7, 'run-b'); // not the holder: nothing happens
      assert.equal(await s.claim(7, 'run-b', 300), false);
      await s.release(7, 'run-a');
      assert.equal(await s.claim(7, 'run-b', 100), true);
      await sleep(150);
      assert.equal(await s.claim(7, 'run-c', 300), true, 'lapsed lease');
      assert.equal(await s.claim(99, 'run-c', 300), false, 'no such job');
    });

    test('webhook outbox: status compare-and-set numbers events once; heads in order; due streams; outcomes', async () => {
      const o = new KyselyWebhookOutbox(db.kysely);
      // A second process on PostgreSQL; on SQLite (one process per file) a second handle on the same
      // connection, since two connections of one process would wait on each other's write lock.
      const o2 = new KyselyWebhookOutbox(kind === 'postgres' ? db2.kysely : db.kysely);
      await o.initStream({ pk: 11, callbackFormat: 'B', scratchcard: '1234567' });
      await o.initStream({ pk: 11, callbackFormat: 'C', scratchcard: null }); // exists: unchanged
      assert.deepEqual(await o.getStream(11), { pk: 11, lastStatus: null, seq: 0, callbackFormat: 'B', scratchcard: '1234567' });
      const rows = (seq: number, ev: string, at: Date): NewWebhookDelivery[] => ['http://a/x', 'http://b/y'].map((target) => ({
        id: `${ev}-${target}`, eventId: ev, pk: 11, seq, target, eventType: 'T', body: `{"e":"${ev}"}`, nextAttemptAt: at, createdAt: at,
      }));
      const past = new Date(Date.now() - 1000);
      // Two "processes" observe CREATED at once: exactly one records it.
      const [x, y] = await Promise.all([o.append(11, null, 'CREATED', (n) => rows(n, 'e1', past)), o2.append(11, null, 'CREATED', (n) => rows(n, 'e1b', past))]);
      assert.deepEqual([x, y].filter((v) => v !== null), [1]);
      assert.equal(await o.append(11, null, 'ENROLLREADY', (n) => rows(n, 'bad', past)), null, 'stale expectation');
      assert.equal(await o.append(11, 'CREATED', 'ENROLLREADY', (n) => rows(n, 'e2', past)), 2);
      assert.equal(await o.append(11, 'ENROLLREADY', 'ENROLLREADY', (n) => rows(n, 'e3', past)), 3, 'same status: a non-status event');
      const all = await o.list(11);
      assert.equal(all.length, 6);
      assert.deepEqual([...new Set(all.map((d) => d.seq))], [1, 2, 3]);
      const first = all.find((d) => d.seq === 1)!.eventId;
      assert.equal((await o.head(11, 'http://a/x'))!.eventId, first);
      assert.deepEqual((await o.dueStreams(new Date(), 10)).map((s) => s.target).sort(), ['http://a/x', 'http://b/y']);
      // The head of a is in backoff: a is not due; b still is.
      await o.markRetry((await o.head(11, 'http://a/x'))!.id, 1, new Date(Date.now() + 60_000), 500, 'HTTP 500');
      assert.deepEqual((await o.dueStreams(new Date(), 10)).map((s) => s.target), ['http://b/y']);
      const h = (await o.head(11, 'http://a/x'))!;
      assert.deepEqual([h.seq, h.attempts, h.lastStatus, h.lastError], [1, 1, 500, 'HTTP 500']);
      await o.markDelivered(h.id, 2, 200, new Date());
      assert.equal((await o.head(11, 'http://a/x'))!.seq, 2);
      await o.markFailed((await o.head(11, 'http://a/x'))!.id, 8, null, 'timeout');
      assert.equal((await o.head(11, 'http://a/x'))!.seq, 3);
      const states = (await o.list(11)).filter((d) => d.target === 'http://a/x').map((d) => d.state);
      assert.deepEqual(states, ['delivered', 'failed', 'pending']);
      // One delivery per (event, target), whatever inserts it twice.
      await db.kysely.insertInto('opt_webhook_deliveries').values({
        id: 'dup', event_id: all[0]!.eventId, pk: 11, seq: 1, target: all[0]!.target, event_type: 'T', body: '{}', state: 'pending',
        attempts: 0, next_attempt_at: 0, last_status: null, last_error: null, created_at: new Date().toISOString(), delivered_at: null,
      }).onConflict((oc) => oc.columns(['event_id', 'target']).doNothing()).execute();
      assert.equal((await o.list(11)).length, 6);
      // Jobs name a stream by its target's hash; the worker reads the URLs back here.
      assert.deepEqual((await o.targets(11)).sort(), ['http://a/x', 'http://b/y']);
      assert.deepEqual(await o.targets(12), []);
    });

    test('feed cursors: start at 0, move by compare-and-set only', async () => {
      const a = new KyselyFeedCursorStore(db.kysely);
      const b = new KyselyFeedCursorStore(kind === 'postgres' ? db2.kysely : db.kysely);
      assert.equal(await a.get('feed'), 0);
      assert.equal(await b.get('feed'), 0);
      const [x, y] = await Promise.all([a.advance('feed', 0, 10), b.advance('feed', 0, 12)]);
      assert.equal(Number(x) + Number(y), 1, 'one mover wins');
      assert.equal(await a.get('feed'), x ? 10 : 12);
      assert.equal(await a.advance('feed', 0, 20), false);
    });
  });
}
