import type { Kysely } from 'kysely';
import { AppError } from '../../../shared/errors.js';
import type { RaoRecord } from '../../domain/model.js';
import type { RaoStore } from '../../domain/ports.js';
import { isUniqueViolation } from './errors.js';
import { num, type TscDatabase } from './schema.js';

type Row = TscDatabase['tsc_raos'] & { id: number };

function toRecord(r: Row): RaoRecord {
  return {
    id: r.id,
    username: r.username,
    registrationAuthority: r.registration_authority,
    passwordHash: r.password_hash,
    pinHash: r.pin_hash,
    createdAt: new Date(num(r.created_at)),
  };
}

export class KyselyRaoStore implements RaoStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async insert(r: Omit<RaoRecord, 'id'>): Promise<RaoRecord> {
    try {
      const row = await this.db
        .insertInto('tsc_raos')
        .values({
          username: r.username,
          registration_authority: r.registrationAuthority,
          password_hash: r.passwordHash,
          pin_hash: r.pinHash,
          created_at: r.createdAt.getTime(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row as Row);
    } catch (e) {
      if (isUniqueViolation(e)) throw new AppError('RAO_ERR_ALREADY_EXISTS', `RAO ${r.username} already exists`);
      throw e;
    }
  }

  async findByUsername(username: string): Promise<RaoRecord | null> {
    const row = await this.db.selectFrom('tsc_raos').selectAll().where('username', '=', username).executeTakeFirst();
    return row ? toRecord(row as Row) : null;
  }

  async findById(id: number): Promise<RaoRecord | null> {
    const row = await this.db.selectFrom('tsc_raos').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row as Row) : null;
  }

  async list(): Promise<RaoRecord[]> {
    const rows = await this.db.selectFrom('tsc_raos').selectAll().orderBy('id').execute();
    return rows.map((r) => toRecord(r as Row));
  }

  async remove(username: string): Promise<boolean> {
    const res = await this.db.deleteFrom('tsc_raos').where('username', '=', username).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
