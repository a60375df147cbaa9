import type { Kysely } from 'kysely';
import type { CaRecord } from '../../domain/model.js';
import type { CaStore } from '../../domain/ports.js';
import { isUniqueViolation } from './errors.js';
import { num, type TscDatabase } from './schema.js';

export class KyselyCaStore implements CaStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async get(name: CaRecord['name']): Promise<CaRecord | null> {
    const r = await this.db.selectFrom('tsc_ca').selectAll().where('name', '=', name).executeTakeFirst();
    if (!r) return null;
    return {
      name,
      certDer: new Uint8Array(Buffer.from(r.cert_der_b64, 'base64')),
      keyLabel: r.key_label,
      createdAt: new Date(num(r.created_at)),
    };
  }

  async insert(r: CaRecord): Promise<boolean> {
    try {
      await this.db
        .insertInto('tsc_ca')
        .values({ name: r.name, cert_der_b64: Buffer.from(r.certDer).toString('base64'), key_label: r.keyLabel, created_at: r.createdAt.getTime() })
        .execute();
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }
}
