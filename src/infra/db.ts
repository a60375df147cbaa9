/**
 * Relational state for both services: SQLite (better-sqlite3, the embedded default) or
 * PostgreSQL (`DATABASE_URL=postgres://…`), behind one Kysely query layer so the same stores and
 * the same contract tests run on both (DESIGN.md §4).
 *
 * Each service keeps its own tables (prefixes `tsc_` and `opt_`) and its own migration table, so
 * both can share one PostgreSQL database in the scale-out deployment.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';

export type DbKind = 'sqlite' | 'postgres';

export interface Db<T = any> {
  kysely: Kysely<T>;
  kind: DbKind;
  close(): Promise<void>;
}

/**
 * Opens the database named by `url`: `postgres://…`/`postgresql://…` for PostgreSQL, otherwise a
 * SQLite file path (or `sqlite:<path>`, or `:memory:`).
 */
export function openDatabase<T = any>(url: string): Db<T> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
    // An idle client error must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const kysely = new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, kind: 'postgres', close: () => kysely.destroy() };
  }
  const path = url.replace(/^sqlite:/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const kysely = new Kysely<T>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { kysely, kind: 'sqlite', close: () => kysely.destroy() };
}

/** Runs the given migrations (in key order) and throws if any fails. */
export async function migrate(db: Db, migrations: Record<string, Migration>, migrationTable: string): Promise<void> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
    migrationTableName: migrationTable,
    migrationLockTableName: `${migrationTable}_lock`,
    // Several issues add migrations in parallel, named `<issue>_<timestamp>_…`: a database that
    // already ran a later issue's migration must still take an earlier-named one added afterwards.
    // Each migration touches only its own tables, so their relative order does not matter.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '?'} failed: ${(error as Error).message ?? error}`, { cause: error });
  }
}
