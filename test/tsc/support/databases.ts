/**
 * Throwaway databases for TSC tests: a SQLite file in a fresh temp dir, or a fresh PostgreSQL
 * database on the local test server (PG_ADMIN_URL: TEST_DATABASE_URL or the oneshot_test role),
 * dropped afterwards. A PostgreSQL that cannot be reached is a failure, not a skip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_ADMIN_URL } from '../../support/test-database-url.js';

export { PG_ADMIN_URL };

export interface TestDb {
  kind: 'sqlite' | 'postgres';
  url: string;
  drop(): Promise<void>;
}

export async function sqliteTestDb(): Promise<TestDb> {
  const dir = await mkdtemp(join(tmpdir(), 'tsc-sqlite-'));
  return { kind: 'sqlite', url: join(dir, 'tsc.db'), drop: () => rm(dir, { recursive: true, force: true }) };
}

export async function postgresTestDb(): Promise<TestDb> {
  const name = `tsc_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export const TEST_DBS: Array<[string, () => Promise<TestDb>]> = [
  ['sqlite', sqliteTestDb],
  ['postgres', postgresTestDb],
];
