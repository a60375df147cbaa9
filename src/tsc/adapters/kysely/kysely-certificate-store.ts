import type { Kysely } from 'kysely';
import type { CertificateRecord, CertificateStatus, ProfileName } from '../../domain/model.js';
import type { CertificateStore } from '../../domain/ports.js';
import { num, numOrNull, type TscDatabase } from './schema.js';

type Row = TscDatabase['tsc_certificates'];

function toRecord(r: Row): CertificateRecord {
  const revokedAt = numOrNull(r.revoked_at);
  return {
    serial: r.serial,
    requestPk: r.request_pk,
    profile: r.profile as ProfileName,
    notBefore: new Date(num(r.not_before)),
    notAfter: new Date(num(r.not_after)),
    der: new Uint8Array(Buffer.from(r.der_b64, 'base64')),
    status: r.status as CertificateStatus,
    revokedAt: revokedAt === null ? null : new Date(revokedAt),
    revocationReason: r.revocation_reason,
  };
}

export class KyselyCertificateStore implements CertificateStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async insert(c: CertificateRecord): Promise<void> {
    await this.db
      .insertInto('tsc_certificates')
      .values({
        serial: c.serial,
        request_pk: c.requestPk,
        profile: c.profile,
        not_before: c.notBefore.getTime(),
        not_after: c.notAfter.getTime(),
        der_b64: Buffer.from(c.der).toString('base64'),
        status: c.status,
        revoked_at: c.revokedAt ? c.revokedAt.getTime() : null,
        revocation_reason: c.revocationReason,
      })
      .execute();
  }

  async get(serial: string): Promise<CertificateRecord | null> {
    const row = await this.db.selectFrom('tsc_certificates').selectAll().where('serial', '=', serial.toLowerCase()).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async listByRequest(requestPk: number): Promise<CertificateRecord[]> {
    const rows = await this.db.selectFrom('tsc_certificates').selectAll().where('request_pk', '=', requestPk).orderBy('not_before').execute();
    return rows.map(toRecord);
  }

  async revoke(serial: string, at: Date, reason: string): Promise<boolean> {
    const res = await this.db
      .updateTable('tsc_certificates')
      .set({ status: 'REVOKED', revoked_at: at.getTime(), revocation_reason: reason })
      .where('serial', '=', serial.toLowerCase())
      .where('status', '=', 'VALID')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async listRevoked(): Promise<CertificateRecord[]> {
    const rows = await this.db.selectFrom('tsc_certificates').selectAll().where('status', '=', 'REVOKED').orderBy('revoked_at').execute();
    return rows.map(toRecord);
  }
}
