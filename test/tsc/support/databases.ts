/**
 * Throwaway databases for TSC tests: a SQLite file in a fresh temp dir, or a fresh PostgreSQL
 * database on the local test server (see test/support/optimizer-pg.ts),
 * dropped afterwards. A PostgreSQL that cannot be reached is a failure, not a skip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createThrowawayDatabase } from '../../support/optimizer-pg.js';

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
  return { kind: 'postgres', ...(await createThrowawayDatabase('tsc_test')) };
}

export const TEST_DBS: Array<[string, () => Promise<TestDb>]> = [
  ['sqlite', sqliteTestDb],
  ['postgres', postgresTestDb],
];
