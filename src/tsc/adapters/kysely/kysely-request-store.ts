import type { Insertable, Kysely, Updateable } from 'kysely';
import type { IdDocumentType, Language, NewRequest, ProfileName, RequestRecord, RequestStatus } from '../../domain/model.js';
import type { RequestPatch, RequestStore, UpdateCondition } from '../../domain/ports.js';
import { num, numOrNull, type TscDatabase } from './schema.js';

type Table = TscDatabase['tsc_requests'];
type Row = Table & { pk: number };

function toRecord(r: Row): RequestRecord {
  return {
    pk: r.pk,
    status: r.status as RequestStatus,
    givenName: r.given_name,
    surname1: r.surname_1,
    surname2: r.surname_2,
    email: r.email,
    mobilePhoneNumber: r.mobile_phone_number,
    serialNumber: r.serial_number,
    idDocumentType: r.id_document_type as IdDocumentType,
    idDocumentCountry: r.id_document_country,
    residence: r.residence,
    residenceCity: r.residence_city,
    residencePostalCode: r.residence_postal_code,
    residenceAddress: r.residence_address,
    profile: r.profile as ProfileName,
    registrationAuthority: r.registration_authority,
    scratchcard: r.scratchcard,
    communicationLanguage: r.communication_language as Language,
    videoidMode: r.videoid_mode === 1,
    registeringRaoId: r.registering_rao_id,
    approvingRaoId: r.approving_rao_id,
    statusReason: r.status_reason,
    signingSince: numOrNull(r.signing_since),
    createdAt: new Date(num(r.created_at)),
    updatedAt: new Date(num(r.updated_at)),
  };
}

const COLUMNS: Record<keyof RequestPatch, keyof Table> = {
  status: 'status',
  givenName: 'given_name',
  surname1: 'surname_1',
  surname2: 'surname_2',
  email: 'email',
  mobilePhoneNumber: 'mobile_phone_number',
  serialNumber: 'serial_number',
  idDocumentType: 'id_document_type',
  idDocumentCountry: 'id_document_country',
  residence: 'residence',
  residenceCity: 'residence_city',
  residencePostalCode: 'residence_postal_code',
  residenceAddress: 'residence_address',
  profile: 'profile',
  registrationAuthority: 'registration_authority',
  scratchcard: 'scratchcard',
  communicationLanguage: 'communication_language',
  videoidMode: 'videoid_mode',
  registeringRaoId: 'registering_rao_id',
  approvingRaoId: 'approving_rao_id',
  statusReason: 'status_reason',
  signingSince: 'signing_since',
  updatedAt: 'updated_at',
};

function toRow(patch: RequestPatch): Updateable<Table> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const col = COLUMNS[k as keyof RequestPatch];
    if (!col) throw new Error(`unknown request field ${k}`);
    out[col] = v instanceof Date ? v.getTime() : typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  return out as Updateable<Table>;
}

export class KyselyRequestStore implements RequestStore {
  constructor(private readonly db: Kysely<TscDatabase>) {}

  async insert(r: NewRequest): Promise<RequestRecord> {
    const row = await this.db
      .insertInto('tsc_requests')
      .values({
        ...(toRow({ ...r, createdAt: undefined } as RequestPatch) as Insertable<Table>),
        created_at: r.createdAt.getTime(),
        signing_since: null,
        status_reason: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row as Row);
  }

  async get(pk: number): Promise<RequestRecord | null> {
    if (!Number.isSafeInteger(pk) || pk < 1 || pk > 2 ** 31 - 1) return null;
    const row = await this.db.selectFrom('tsc_requests').selectAll().where('pk', '=', pk).executeTakeFirst();
    return row ? toRecord(row as Row) : null;
  }

  async update(pk: number, patch: RequestPatch, cond: UpdateCondition): Promise<RequestRecord | null> {
    if (cond.statuses.length === 0) return null;
    let q = this.db.updateTable('tsc_requests').set(toRow(patch)).where('pk', '=', pk).where('status', 'in', [...cond.statuses]);
    if (cond.signingSince !== undefined) q = q.where('signing_since', '=', cond.signingSince);
    if (cond.noClaimNewerThan !== undefined) {
      const t = cond.noClaimNewerThan;
      q = q.where((eb) => eb.or([eb('signing_since', 'is', null), eb('signing_since', '<', t)]));
    }
    const row = await q.returningAll().executeTakeFirst();
    return row ? toRecord(row as Row) : null;
  }

  async claimForSigning(pk: number, now: number, staleBefore: number): Promise<boolean> {
    // One UPDATE with the whole condition: the database serialises concurrent claims on the row.
    const res = await this.db
      .updateTable('tsc_requests')
      .set({ signing_since: now })
      .where('pk', '=', pk)
      .where('status', '=', 'ENROLLREADY')
      .where((eb) => eb.or([eb('signing_since', 'is', null), eb('signing_since', '<', staleBefore)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async releaseClaim(pk: number, since: number): Promise<void> {
    await this.db.updateTable('tsc_requests').set({ signing_since: null }).where('pk', '=', pk).where('signing_since', '=', since).execute();
  }
}
