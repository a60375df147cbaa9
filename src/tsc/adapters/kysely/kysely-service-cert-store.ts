import type { Kysely } from 'kysely';
import type { ServiceCertRecord, ServicePurpose } from '../../domain/model.js';
import type { ServiceCertStore } from '../../domain/ports.js';
import { num, type TscDatabase } from './schema.js';

type Row = TscDatabase['tsc_service_certs'];

function toRecord(r: Row): ServiceCertRecord {
  return {
    purpose: r.purpose as ServicePurpose,
    serial: r.serial,
    certDer: new Uint8Array(Buffer.from(r.cert_der_b64, 'base64')),
    keyLabel: r.key_label,
    notBefore: new Date(num(r.not_before)),
    notAfter: new Date(num(r.not_after)),
    createdAt: new Date(num(r.created_at)),
  };
}

export class KyselyServiceCertStore implements ServiceCertStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async insert(r: ServiceCertRecord): Promise<void> {
    await this.db
      .insertInto('tsc_service_certs')
      .values({
        serial: r.serial.toLowerCase(),
        purpose: r.purpose,
        cert_der_b64: Buffer.from(r.certDer).toString('base64'),
        key_label: r.keyLabel,
        not_before: r.notBefore.getTime(),
        not_after: r.notAfter.getTime(),
        created_at: r.createdAt.getTime(),
      })
      .execute();
  }

  async latest(purpose: ServicePurpose): Promise<ServiceCertRecord | null> {
    const row = await this.db
      .selectFrom('tsc_service_certs').selectAll().where('purpose', '=', purpose)
      .orderBy('not_after', 'desc').orderBy('serial').limit(1).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async getBySerial(serial: string): Promise<ServiceCertRecord | null> {
    const row = await this.db.selectFrom('tsc_service_certs').selectAll().where('serial', '=', serial.toLowerCase()).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async list(purpose: ServicePurpose): Promise<ServiceCertRecord[]> {
    const rows = await this.db.selectFrom('tsc_service_certs').selectAll().where('purpose', '=', purpose).orderBy('not_after').execute();
    return rows.map(toRecord);
  }
}
