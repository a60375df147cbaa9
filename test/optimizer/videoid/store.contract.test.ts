/**
 * KyselyVideoIdStore on SQLite and PostgreSQL (one suite over both): the videoid_pk sequence is
 * atomic under concurrency (several Optimizers share it), lookups by videoid_pk, request_pk and
 * link hash, partial updates, uniqueness of request_pk and link hash, delete.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase, type Db } from '../../../src/infra/db.js';
import { KyselyVideoIdStore } from '../../../src/optimizer/adapters/kysely-videoid-store.js';
import { OPT_MIGRATION_TABLE, optimizerMigrations, type OptimizerDb } from '../../../src/optimizer/adapters/sql-schema.js';
import type { VideoIdRecord } from '../../../src/optimizer/domain/videoid-ports.js';
import { createThrowawayDatabase } from '../../support/optimizer-pg.js';

const T = new Date('2026-11-28T10:00:00.000Z');
const rec = (over: Partial<VideoIdRecord>): VideoIdRecord => ({
  videoidPk: 1, requestPk: 100, mode: 'eidas', linkHash: null, linkExpiresAt: null, linkUsedAt: null, items: {}, dataSealed: null,
  failure: null, evidenceDeletedAt: null, createdAt: T, updatedAt: T, ...over,
});

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`KyselyVideoIdStore on ${engine}`, () => {
    let db: Db<OptimizerDb>;
    let store: KyselyVideoIdStore;
    let cleanup: () => Promise<void>;

    before(async () => {
      if (engine === 'sqlite') {
        const dir = await mkdtemp(join(tmpdir(), 'videoid-store-'));
        db = openDatabase<OptimizerDb>(join(dir, 'opt.sqlite'));
        cleanup = () => rm(dir, { recursive: true, force: true });
      } else {
        const pg = await createThrowawayDatabase();
        db = openDatabase<OptimizerDb>(pg.url);
        cleanup = pg.drop;
      }
      await migrate(db, optimizerMigrations, OPT_MIGRATION_TABLE);
      store = new KyselyVideoIdStore(db.kysely);
    });
    after(async () => {
      await db?.close();
      await cleanup?.();
    });

    test('the videoid_pk sequence hands out each value once under concurrency', async () => {
      const got = await Promise.all(Array.from({ length: 40 }, () => store.nextPk()));
      assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1));
    });

    test('insert, lookups by videoid_pk / request_pk / link hash, partial update, uniqueness, delete', async () => {
      const hash = 'ab'.repeat(32);
      const items = { video: { sha256: 'cd'.repeat(32), size: 1234, mime: 'video/webm', ext: 'webm', at: T.toISOString() } };
      await store.insert(rec({ videoidPk: 501, requestPk: 9001, linkHash: hash, linkExpiresAt: new Date(T.getTime() + 3600_000) }));
      await store.insert(rec({ videoidPk: 502, requestPk: 9002, mode: 'external' }));
      const a = await store.byVideoIdPk(501);
      assert.deepEqual(a, rec({ videoidPk: 501, requestPk: 9001, linkHash: hash, linkExpiresAt: new Date(T.getTime() + 3600_000) }));
      assert.deepEqual(await store.byRequestPk(9001), a);
      assert.deepEqual(await store.byLinkHash(hash), a);
      assert.equal(await store.byLinkHash('00'.repeat(32)), null);
      assert.equal((await store.byRequestPk(9002))!.mode, 'external');

      const later = new Date(T.getTime() + 5000);
      await store.update(9001, { items, dataSealed: 'v1.sealed', failure: 'x', linkUsedAt: later, updatedAt: later });
      const b = (await store.byRequestPk(9001))!;
      assert.deepEqual(b.items, items);
      assert.equal(b.dataSealed, 'v1.sealed');
      assert.equal(b.failure, 'x');
      assert.deepEqual(b.linkUsedAt, later);
      assert.deepEqual(b.createdAt, T, 'untouched fields stay');
      await store.update(9001, { failure: null, evidenceDeletedAt: later });
      assert.equal((await store.byRequestPk(9001))!.failure, null);

      await assert.rejects(store.insert(rec({ videoidPk: 503, requestPk: 9001 })), 'request_pk is unique');
      await assert.rejects(store.insert(rec({ videoidPk: 504, requestPk: 9004, linkHash: hash })), 'link hash is unique');
      assert.equal(await store.delete(9001), true);
      assert.equal(await store.delete(9001), false);
      assert.equal(await store.byVideoIdPk(501), null);
    });
  });
}
