import { sql, type Kysely } from 'kysely';
import type { OtpRecord } from '../../domain/model.js';
import type { OtpStore } from '../../domain/ports.js';
import { num, numOrNull, type TscDatabase } from './schema.js';

type Row = TscDatabase['tsc_otps'];

function toRecord(r: Row): OtpRecord {
  return {
    requestPk: r.request_pk,
    codeHmac: r.code_hmac,
    channel: r.channel,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    attempts: r.attempts,
    usedAt: numOrNull(r.used_at),
  };
}

export class KyselyOtpStore implements OtpStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async get(requestPk: number): Promise<OtpRecord | null> {
    const row = await this.db.selectFrom('tsc_otps').selectAll().where('request_pk', '=', requestPk).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async replace(rec: OtpRecord, notCreatedAfter: number): Promise<boolean> {
    // INSERT … ON CONFLICT DO UPDATE … WHERE (SQLite ≥ 3.24 and PostgreSQL): the throttle check and
    // the write are one statement, so two concurrent requests cannot both pass the throttle.
    const row = await this.db
      .insertInto('tsc_otps')
      .values({
        request_pk: rec.requestPk,
        code_hmac: rec.codeHmac,
        channel: rec.channel,
        created_at: rec.createdAt,
        expires_at: rec.expiresAt,
        attempts: rec.attempts,
        used_at: rec.usedAt,
      })
      .onConflict((oc) =>
        oc
          .column('request_pk')
          .doUpdateSet({
            code_hmac: (eb) => eb.ref('excluded.code_hmac'),
            channel: (eb) => eb.ref('excluded.channel'),
            created_at: (eb) => eb.ref('excluded.created_at'),
            expires_at: (eb) => eb.ref('excluded.expires_at'),
            attempts: (eb) => eb.ref('excluded.attempts'),
            used_at: (eb) => eb.ref('excluded.used_at'),
          })
          .where('tsc_otps.created_at', '<=', notCreatedAfter),
      )
      .returning('request_pk')
      .executeTakeFirst();
    return row !== undefined;
  }

  async consume(requestPk: number, codeHmac: string, now: number, maxAttempts: number): Promise<boolean> {
    // The single-use compare-and-set (DESIGN.md §5): every condition in one UPDATE.
    const res = await this.db
      .updateTable('tsc_otps')
      .set({ used_at: now })
      .where('request_pk', '=', requestPk)
      .where('code_hmac', '=', codeHmac)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .where('attempts', '<', maxAttempts)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async recordFailure(requestPk: number): Promise<number | null> {
    const row = await this.db
      .updateTable('tsc_otps')
      .set({ attempts: sql`attempts + 1` })
      .where('request_pk', '=', requestPk)
      .where('used_at', 'is', null)
      .returning('attempts')
      .executeTakeFirst();
    return row ? row.attempts : null;
  }

  async discard(requestPk: number, codeHmac: string): Promise<void> {
    await this.db.deleteFrom('tsc_otps').where('request_pk', '=', requestPk).where('code_hmac', '=', codeHmac).execute();
  }

  async restore(requestPk: number, codeHmac: string, usedAt: number): Promise<boolean> {
    // Compare-and-set on the exact consume being undone: a newer OTP, or another consume, is left alone.
    const res = await this.db
      .updateTable('tsc_otps')
      .set({ used_at: null })
      .where('request_pk', '=', requestPk)
      .where('code_hmac', '=', codeHmac)
      .where('used_at', '=', usedAt)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
