import type { Kysely } from 'kysely';
import type { SignResultRecord, SignResultStore } from '../../domain/ports.js';
import { num, type TscDatabase } from './schema.js';

export class KyselySignResultStore implements SignResultStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async insert(r: Omit<SignResultRecord, 'failures'>): Promise<void> {
    await this.db
      .insertInto('tsc_sign_results')
      .values({ request_pk: r.requestPk, input_hash: r.inputHash, auth_hash: r.authHash, result_json: r.resultJson, created_at: r.createdAt, failures: 0 })
      .execute();
  }

  async get(requestPk: number): Promise<SignResultRecord | null> {
    const row = await this.db.selectFrom('tsc_sign_results').selectAll().where('request_pk', '=', requestPk).executeTakeFirst();
    if (!row) return null;
    return {
      requestPk: row.request_pk, inputHash: row.input_hash, authHash: row.auth_hash, resultJson: row.result_json,
      createdAt: num(row.created_at), failures: Number(row.failures),
    };
  }

  async recordFailure(requestPk: number): Promise<number | null> {
    // One statement: concurrent wrong attempts each count.
    const row = await this.db
      .updateTable('tsc_sign_results')
      .set((eb) => ({ failures: eb('failures', '+', 1) }))
      .where('request_pk', '=', requestPk)
      .returning('failures')
      .executeTakeFirst();
    return row ? Number(row.failures) : null;
  }

  async purge(createdBefore: number): Promise<number> {
    const r = await this.db.deleteFrom('tsc_sign_results').where('created_at', '<', createdBefore).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
