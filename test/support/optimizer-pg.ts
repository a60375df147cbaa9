/**
 * A throwaway PostgreSQL database per test run (PG_ADMIN_URL: TEST_DATABASE_URL or the
 * local server's oneshot_test role). Fails — never skips — when PostgreSQL is unreachable.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_ADMIN_URL } from './test-database-url.js';

export async function createThrowawayDatabase(prefix = 'opt_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
