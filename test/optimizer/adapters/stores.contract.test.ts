/**
 * One contract suite for the Optimizer's relational stores, run over SQLite and PostgreSQL
 * (DESIGN.md §4): same migrations (opt_ tables, opt_migrations), same behaviour.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { migrate, openDatabase, type Db } from '../../../src/infra/db.js';
import { OPT_MIGRATION_TABLE, optimizerMigrations, type OptimizerDb } from '../../../src/optimizer/adapters/sql-schema.js';
import {
  KyselyDocumentStore, KyselyImageStore, KyselyMetadataStore, KyselyRequestStore, KyselyTokenStore,
} from '../../../src/optimizer/adapters/kysely-stores.js';
import type { DocumentRecord, RequestRecord, TokenRecord } from '../../../src/optimizer/domain/ports.js';
import { createThrowawayDatabase } from '../../support/optimizer-pg.js';

const t0 = new Date('2026-01-02T03:04:05.000Z');

function token(uid: string, fp: string): TokenRecord {
  return { uid, username: '1125824', passwordSealed: 'v1.a.b.c', pinSealed: null, env: 'sandbox', fingerprint: fp, protected: false, raoId: 12, registrationAuthority: 139, createdAt: t0 };
}
function request(pk: number): RequestRecord {
  return {
    pk, status: 'ENROLLREADY', env: 'sandbox', profile: 'PFnubeNC', registrationAuthority: 139, tokenUid: null, raoSealed: 'r', signerSealed: 's',
    useAsync: true, callback: 'https://example.com/cb', asyncStatus: 'approved', createdAt: t0, updatedAt: t0, signedAt: null,
  };
}
function doc(pk: number, uid: string, kind: 'pdf' | 'hash' = 'pdf'): DocumentRecord {
  return {
    uid, pk, kind, fieldName: 'file', filename: 'a.pdf', size: 3_000_000_000, sha256: 'ab'.repeat(32), mime: 'application/pdf', ext: '.pdf',
    uploadedAt: t0, signedSize: null,
    hash: kind === 'hash' ? { digest: 'AAAA', digestAlgorithm: 'sha256', addSigningTime: true, otherAttributes: [{ oid: '1.2.3', values: ['BAA='] }] } : null,
  };
}

function suite(kind: 'sqlite' | 'postgres') {
  describe(`optimizer stores on ${kind}`, () => {
    let db: Db<OptimizerDb>;
    let cleanup: () => Promise<void>;
    before(async () => {
      if (kind === 'sqlite') {
        const dir = await mkdtemp(join(tmpdir(), 'oneshot-optdb-'));
        db = openDatabase<OptimizerDb>(join(dir, 'opt.sqlite'));
        cleanup = () => rm(dir, { recursive: true, force: true });
      } else {
        const tmp = await createThrowawayDatabase();
        db = openDatabase<OptimizerDb>(tmp.url);
        cleanup = tmp.drop;
      }
      await migrate(db, optimizerMigrations, OPT_MIGRATION_TABLE);
      await migrate(db, optimizerMigrations, OPT_MIGRATION_TABLE); // idempotent
    });
    after(async () => {
      await db.close();
      await cleanup();
    });

    test('migration table is opt_migrations and every table is prefixed opt_', async () => {
      const rows = await sql<{ name: string }>`select name from ${sql.table(OPT_MIGRATION_TABLE)}`.execute(db.kysely);
      // Every migration ran once, in name order (later issues add their own entries).
      assert.deepEqual(rows.rows.map((r) => r.name).sort(), Object.keys(optimizerMigrations).sort());
      assert.equal(rows.rows.map((r) => r.name).sort()[0], '0001_initial');
    });

    test('tokens: insert, get, fingerprint lookup, unique fingerprint, list order, delete', async () => {
      const s = new KyselyTokenStore(db.kysely);
      await s.insert(token('a'.repeat(32), 'fp1'));
      await s.insert({ ...token('b'.repeat(32), 'fp2'), protected: true, createdAt: new Date(t0.getTime() + 1000) });
      assert.deepEqual(await s.get('a'.repeat(32)), token('a'.repeat(32), 'fp1'));
      assert.equal((await s.findByFingerprint('fp2'))?.protected, true);
      assert.equal(await s.findByFingerprint('nope'), null);
      await assert.rejects(s.insert(token('c'.repeat(32), 'fp1')));
      assert.deepEqual((await s.list()).map((t) => t.uid), ['a'.repeat(32), 'b'.repeat(32)]);
      assert.equal(await s.delete('a'.repeat(32)), true);
      assert.equal(await s.delete('a'.repeat(32)), false);
    });

    test('requests: insert, get with types intact, partial update, delete', async () => {
      const s = new KyselyRequestStore(db.kysely);
      await s.insert(request(1001));
      assert.deepEqual(await s.get(1001), request(1001));
      const t1 = new Date(t0.getTime() + 5000);
      await s.update(1001, { status: 'ISSUED', signedAt: t1, updatedAt: t1, asyncStatus: 'signed' });
      const r = await s.get(1001);
      assert.equal(r?.status, 'ISSUED');
      assert.equal(r?.signedAt?.getTime(), t1.getTime());
      assert.equal(r?.profile, 'PFnubeNC');
      await assert.rejects(s.insert(request(1001)));
      assert.equal(await s.get(4242), null);
      assert.equal(await s.delete(1001), true);
      assert.equal(await s.get(1001), null);
    });

    test('documents: many, counts, large sizes, hash spec round-trip, signed size, scoped to pk', async () => {
      const s = new KyselyDocumentStore(db.kysely);
      const u1 = '11111111-1111-4111-8111-111111111111';
      const u2 = '22222222-2222-4222-8222-222222222222';
      await s.insertMany([doc(7, u1), doc(7, u2, 'hash'), doc(8, u1)]);
      assert.equal(await s.count(7), 2);
      assert.deepEqual(await s.get(7, u2), doc(7, u2, 'hash'));
      assert.equal((await s.get(7, u1))?.size, 3_000_000_000);
      await s.setSignedSize(7, u1, 1234);
      assert.equal((await s.get(7, u1))?.signedSize, 1234);
      assert.equal((await s.get(8, u1))?.signedSize, null);
      assert.equal(await s.delete(7, u1), true);
      assert.equal(await s.deleteAll(7), 1);
      assert.equal(await s.count(7), 0);
      assert.equal(await s.count(8), 1);
    });

    test('images and metadata', async () => {
      const im = new KyselyImageStore(db.kysely);
      await im.insert({ uid: 'c'.repeat(32), filename: 'x.png', bytes: 10, width: 600, height: 300, uploadedAt: t0 });
      assert.deepEqual(await im.get('c'.repeat(32)), { uid: 'c'.repeat(32), filename: 'x.png', bytes: 10, width: 600, height: 300, uploadedAt: t0 });
      assert.equal((await im.list()).length, 1);
      assert.equal(await im.deleteAll(), 1);
      const md = new KyselyMetadataStore(db.kysely);
      await md.insert({ uid: 'd'.repeat(32), oid: '1.2.3', metadata: 'aGk=', createdAt: t0 });
      assert.equal((await md.get('d'.repeat(32)))?.metadata, 'aGk=');
      assert.equal(await md.delete('d'.repeat(32)), true);
      assert.deepEqual(await md.list(), []);
    });
  });
}

suite('sqlite');
suite('postgres');
