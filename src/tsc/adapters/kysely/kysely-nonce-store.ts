import type { Kysely } from 'kysely';
import type { NonceStore } from '../../domain/ports.js';
import type { TscDatabase } from './schema.js';

export class KyselyNonceStore implements NonceStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async claim(nonce: string, requestPk: number, expiresAt: number): Promise<boolean> {
    // The primary key makes the claim atomic: a replayed nonce conflicts and inserts nothing.
    const row = await this.db
      .insertInto('tsc_ext_auth_nonces')
      .values({ nonce, request_pk: requestPk, expires_at: expiresAt })
      .onConflict((oc) => oc.column('nonce').doNothing())
      .returning('nonce')
      .executeTakeFirst();
    return row !== undefined;
  }

  async release(nonce: string, requestPk: number): Promise<void> {
    await this.db.deleteFrom('tsc_ext_auth_nonces').where('nonce', '=', nonce).where('request_pk', '=', requestPk).execute();
  }
}
