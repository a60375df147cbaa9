/**
 * Relational stores of the Optimizer over Kysely: one implementation for SQLite and PostgreSQL
 * (src/infra/db.ts). PostgreSQL returns bigint columns as strings, hence the Number() mapping.
 */
import type { Kysely } from 'kysely';
import type {
  DocumentRecord, DocumentStore, Environment, ImageRecord, ImageStore, MetadataRecord, MetadataStore, RequestRecord,
  RequestStatus, RequestStore, TokenRecord, TokenStore,
} from '../domain/ports.js';
import type { OptDocumentsTable, OptimizerDb, OptRequestsTable, OptTokensTable } from './sql-schema.js';

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (d: Date) => d.toISOString();
const date = (s: string) => new Date(s);

export class KyselyTokenStore implements TokenStore {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  private static from(r: OptTokensTable): TokenRecord {
    return {
      uid: r.uid, username: r.username, passwordSealed: r.password_sealed, pinSealed: r.pin_sealed, env: r.env as Environment,
      fingerprint: r.fingerprint, protected: num(r.protected) === 1, raoId: numOrNull(r.rao_id),
      registrationAuthority: numOrNull(r.registration_authority), createdAt: date(r.created_at),
    };
  }

  async insert(t: TokenRecord): Promise<void> {
    await this.db.insertInto('opt_tokens').values({
      uid: t.uid, username: t.username, password_sealed: t.passwordSealed, pin_sealed: t.pinSealed, env: t.env,
      fingerprint: t.fingerprint, protected: t.protected ? 1 : 0, rao_id: t.raoId, registration_authority: t.registrationAuthority,
      created_at: iso(t.createdAt),
    }).execute();
  }

  async get(uid: string): Promise<TokenRecord | null> {
    const r = await this.db.selectFrom('opt_tokens').selectAll().where('uid', '=', uid).executeTakeFirst();
    return r ? KyselyTokenStore.from(r) : null;
  }

  async findByFingerprint(fp: string): Promise<TokenRecord | null> {
    const r = await this.db.selectFrom('opt_tokens').selectAll().where('fingerprint', '=', fp).executeTakeFirst();
    return r ? KyselyTokenStore.from(r) : null;
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom('opt_tokens').selectAll().orderBy('created_at').orderBy('uid').execute();
    return rows.map(KyselyTokenStore.from);
  }

  async delete(uid: string): Promise<boolean> {
    const r = await this.db.deleteFrom('opt_tokens').where('uid', '=', uid).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

export class KyselyRequestStore implements RequestStore {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  private static from(r: OptRequestsTable): RequestRecord {
    return {
      pk: num(r.pk), status: r.status as RequestStatus, env: r.env as Environment, profile: r.profile,
      registrationAuthority: numOrNull(r.registration_authority), tokenUid: r.token_uid, raoSealed: r.rao_sealed,
      signerSealed: r.signer_sealed, useAsync: num(r.use_async) === 1, callback: r.callback, asyncStatus: r.async_status,
      createdAt: date(r.created_at), updatedAt: date(r.updated_at), signedAt: r.signed_at ? date(r.signed_at) : null,
    };
  }

  async insert(r: RequestRecord): Promise<void> {
    await this.db.insertInto('opt_requests').values({
      pk: r.pk, status: r.status, env: r.env, profile: r.profile, registration_authority: r.registrationAuthority,
      token_uid: r.tokenUid, rao_sealed: r.raoSealed, signer_sealed: r.signerSealed, use_async: r.useAsync ? 1 : 0,
      callback: r.callback, async_status: r.asyncStatus, created_at: iso(r.createdAt), updated_at: iso(r.updatedAt),
      signed_at: r.signedAt ? iso(r.signedAt) : null,
    }).execute();
  }

  async get(pk: number): Promise<RequestRecord | null> {
    const r = await this.db.selectFrom('opt_requests').selectAll().where('pk', '=', pk).executeTakeFirst();
    return r ? KyselyRequestStore.from(r) : null;
  }

  async update(pk: number, p: Partial<Omit<RequestRecord, 'pk' | 'createdAt'>>): Promise<void> {
    const v: Partial<OptRequestsTable> = {};
    if (p.status !== undefined) v.status = p.status;
    if (p.env !== undefined) v.env = p.env;
    if (p.profile !== undefined) v.profile = p.profile;
    if (p.registrationAuthority !== undefined) v.registration_authority = p.registrationAuthority;
    if (p.tokenUid !== undefined) v.token_uid = p.tokenUid;
    if (p.raoSealed !== undefined) v.rao_sealed = p.raoSealed;
    if (p.signerSealed !== undefined) v.signer_sealed = p.signerSealed;
    if (p.useAsync !== undefined) v.use_async = p.useAsync ? 1 : 0;
    if (p.callback !== undefined) v.callback = p.callback;
    if (p.asyncStatus !== undefined) v.async_status = p.asyncStatus;
    if (p.updatedAt !== undefined) v.updated_at = iso(p.updatedAt);
    if (p.signedAt !== undefined) v.signed_at = p.signedAt ? iso(p.signedAt) : null;
    if (Object.keys(v).length === 0) return;
    await this.db.updateTable('opt_requests').set(v).where('pk', '=', pk).execute();
  }

  async delete(pk: number): Promise<boolean> {
    const r = await this.db.deleteFrom('opt_requests').where('pk', '=', pk).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

export class KyselyDocumentStore implements DocumentStore {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  private static from(r: OptDocumentsTable): DocumentRecord {
    return {
      uid: r.uid, pk: num(r.pk), kind: r.kind as 'pdf' | 'hash', fieldName: r.field_name, filename: r.filename, size: num(r.size),
      sha256: r.sha256, mime: r.mime, ext: r.ext, uploadedAt: date(r.uploaded_at), signedSize: numOrNull(r.signed_size),
      hash: r.hash_spec ? JSON.parse(r.hash_spec) : null,
    };
  }

  async insertMany(docs: DocumentRecord[]): Promise<void> {
    if (docs.length === 0) return;
    await this.db.insertInto('opt_documents').values(docs.map((d) => ({
      pk: d.pk, uid: d.uid, kind: d.kind, field_name: d.fieldName, filename: d.filename, size: d.size, sha256: d.sha256,
      mime: d.mime, ext: d.ext, uploaded_at: iso(d.uploadedAt), signed_size: d.signedSize, hash_spec: d.hash ? JSON.stringify(d.hash) : null,
    }))).execute();
  }

  async get(pk: number, uid: string): Promise<DocumentRecord | null> {
    const r = await this.db.selectFrom('opt_documents').selectAll().where('pk', '=', pk).where('uid', '=', uid).executeTakeFirst();
    return r ? KyselyDocumentStore.from(r) : null;
  }

  async list(pk: number): Promise<DocumentRecord[]> {
    const rows = await this.db.selectFrom('opt_documents').selectAll().where('pk', '=', pk).orderBy('uploaded_at').orderBy('uid').execute();
    return rows.map(KyselyDocumentStore.from);
  }

  async count(pk: number): Promise<number> {
    const r = await this.db.selectFrom('opt_documents').select((eb) => eb.fn.countAll().as('n')).where('pk', '=', pk).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async setSignedSize(pk: number, uid: string, size: number | null): Promise<void> {
    await this.db.updateTable('opt_documents').set({ signed_size: size }).where('pk', '=', pk).where('uid', '=', uid).execute();
  }

  async delete(pk: number, uid: string): Promise<boolean> {
    const r = await this.db.deleteFrom('opt_documents').where('pk', '=', pk).where('uid', '=', uid).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteAll(pk: number): Promise<number> {
    const r = await this.db.deleteFrom('opt_documents').where('pk', '=', pk).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

export class KyselyImageStore implements ImageStore {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  private static from(r: OptimizerDb['opt_images']): ImageRecord {
    return { uid: r.uid, filename: r.filename, bytes: num(r.bytes), width: num(r.width), height: num(r.height), uploadedAt: date(r.uploaded_at) };
  }

  async insert(i: ImageRecord): Promise<void> {
    await this.db.insertInto('opt_images').values({
      uid: i.uid, filename: i.filename, bytes: i.bytes, width: i.width, height: i.height, uploaded_at: iso(i.uploadedAt),
    }).execute();
  }

  async get(uid: string): Promise<ImageRecord | null> {
    const r = await this.db.selectFrom('opt_images').selectAll().where('uid', '=', uid).executeTakeFirst();
    return r ? KyselyImageStore.from(r) : null;
  }

  async list(): Promise<ImageRecord[]> {
    return (await this.db.selectFrom('opt_images').selectAll().orderBy('uploaded_at').orderBy('uid').execute()).map(KyselyImageStore.from);
  }

  async delete(uid: string): Promise<boolean> {
    return Number((await this.db.deleteFrom('opt_images').where('uid', '=', uid).executeTakeFirst()).numDeletedRows) > 0;
  }

  async deleteAll(): Promise<number> {
    return Number((await this.db.deleteFrom('opt_images').executeTakeFirst()).numDeletedRows);
  }
}

export class KyselyMetadataStore implements MetadataStore {
  constructor(private readonly db: Kysely<OptimizerDb>) {}

  private static from(r: OptimizerDb['opt_metadata']): MetadataRecord {
    return { uid: r.uid, oid: r.oid, metadata: r.metadata, createdAt: date(r.created_at) };
  }

  async insert(m: MetadataRecord): Promise<void> {
    await this.db.insertInto('opt_metadata').values({ uid: m.uid, oid: m.oid, metadata: m.metadata, created_at: iso(m.createdAt) }).execute();
  }

  async get(uid: string): Promise<MetadataRecord | null> {
    const r = await this.db.selectFrom('opt_metadata').selectAll().where('uid', '=', uid).executeTakeFirst();
    return r ? KyselyMetadataStore.from(r) : null;
  }

  async list(): Promise<MetadataRecord[]> {
    return (await this.db.selectFrom('opt_metadata').selectAll().orderBy('created_at').orderBy('uid').execute()).map(KyselyMetadataStore.from);
  }

  async delete(uid: string): Promise<boolean> {
    return Number((await this.db.deleteFrom('opt_metadata').where('uid', '=', uid).executeTakeFirst()).numDeletedRows) > 0;
  }

  async deleteAll(): Promise<number> {
    return Number((await this.db.deleteFrom('opt_metadata').executeTakeFirst()).numDeletedRows);
  }
}
