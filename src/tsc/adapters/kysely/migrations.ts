/**
 * TSC schema migrations (Kysely Migrator, migration table tsc_migrations). The same DDL runs on
 * SQLite and PostgreSQL; only the auto-increment key differs.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { DbKind } from '../../../infra/db.js';
import { GENESIS_HASH } from '../../domain/audit/audit-chain.js';

export const TSC_MIGRATION_TABLE = 'tsc_migrations';

export function tscMigrations(kind: DbKind): Record<string, Migration> {
  const serial = (t: any, col: string) =>
    kind === 'postgres'
      ? t.addColumn(col, 'serial', (c: any) => c.primaryKey())
      : t.addColumn(col, 'integer', (c: any) => c.primaryKey().autoIncrement());
  return {
    '0001_initial': {
      async up(db: Kysely<any>) {
        await serial(db.schema.createTable('tsc_raos'), 'id')
          .addColumn('username', 'text', (c: any) => c.notNull().unique())
          .addColumn('registration_authority', 'integer', (c: any) => c.notNull())
          .addColumn('password_hash', 'text', (c: any) => c.notNull())
          .addColumn('pin_hash', 'text', (c: any) => c.notNull())
          .addColumn('created_at', 'bigint', (c: any) => c.notNull())
          .execute();

        let t = serial(db.schema.createTable('tsc_requests'), 'pk').addColumn('status', 'text', (c: any) => c.notNull());
        for (const col of ['given_name', 'surname_1', 'surname_2', 'email', 'mobile_phone_number', 'serial_number', 'id_document_type',
          'id_document_country', 'residence', 'residence_city', 'residence_postal_code', 'residence_address', 'profile']) {
          t = t.addColumn(col, 'text', (c: any) => c.notNull());
        }
        await t
          .addColumn('registration_authority', 'integer', (c: any) => c.notNull())
          .addColumn('scratchcard', 'text', (c: any) => c.notNull())
          .addColumn('communication_language', 'text', (c: any) => c.notNull())
          .addColumn('videoid_mode', 'integer', (c: any) => c.notNull())
          .addColumn('registering_rao_id', 'integer', (c: any) => c.notNull())
          .addColumn('approving_rao_id', 'integer')
          .addColumn('status_reason', 'text')
          .addColumn('signing_since', 'bigint')
          .addColumn('created_at', 'bigint', (c: any) => c.notNull())
          .addColumn('updated_at', 'bigint', (c: any) => c.notNull())
          .execute();
        await db.schema.createIndex('tsc_requests_ra').on('tsc_requests').column('registration_authority').execute();

        await db.schema.createTable('tsc_otps')
          .addColumn('request_pk', 'integer', (c) => c.primaryKey())
          .addColumn('code_hmac', 'text', (c) => c.notNull())
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('used_at', 'bigint')
          .execute();

        await db.schema.createTable('tsc_certificates')
          .addColumn('serial', 'text', (c) => c.primaryKey())
          .addColumn('request_pk', 'integer', (c) => c.notNull())
          .addColumn('profile', 'text', (c) => c.notNull())
          .addColumn('not_before', 'bigint', (c) => c.notNull())
          .addColumn('not_after', 'bigint', (c) => c.notNull())
          .addColumn('der_b64', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .addColumn('revocation_reason', 'text')
          .execute();
        await db.schema.createIndex('tsc_certificates_request').on('tsc_certificates').column('request_pk').execute();

        await db.schema.createTable('tsc_ca')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('cert_der_b64', 'text', (c) => c.notNull())
          .addColumn('key_label', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema.createTable('tsc_ext_auth_nonces')
          .addColumn('nonce', 'text', (c) => c.primaryKey())
          .addColumn('request_pk', 'integer', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema.createTable('tsc_audit')
          .addColumn('seq', 'bigint', (c) => c.primaryKey())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('request_pk', 'integer')
          .addColumn('details', 'text', (c) => c.notNull())
          .addColumn('prev_hash', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createTable('tsc_audit_head')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .execute();
        await sql`insert into tsc_audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);
      },
    },
    // The audit log is append-only at the database level too: the service's own connection cannot
    // rewrite history. (Someone with DDL rights still can; the hash chain is what detects that.)
    '0002_audit_append_only': {
      async up(db: Kysely<any>) {
        if (kind === 'postgres') {
          await sql`create or replace function tsc_audit_append_only() returns trigger language plpgsql as $$
            begin raise exception 'tsc_audit is append-only'; end $$`.execute(db);
          await sql`create trigger tsc_audit_append_only before update or delete on tsc_audit
            for each row execute function tsc_audit_append_only()`.execute(db);
        } else {
          await sql`create trigger tsc_audit_no_update before update on tsc_audit
            begin select raise(abort, 'tsc_audit is append-only'); end`.execute(db);
          await sql`create trigger tsc_audit_no_delete before delete on tsc_audit
            begin select raise(abort, 'tsc_audit is append-only'); end`.execute(db);
        }
      },
    },
    // Issue 5: certificates the issuing CA gives the TSC's own services (TSA unit, delegated OCSP
    // responder). Kept apart from tsc_certificates, which holds single-use certificates of requests.
    '0003_service_certs': {
      async up(db: Kysely<any>) {
        await db.schema.createTable('tsc_service_certs')
          .addColumn('serial', 'text', (c) => c.primaryKey())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('cert_der_b64', 'text', (c) => c.notNull())
          .addColumn('key_label', 'text', (c) => c.notNull())
          .addColumn('not_before', 'bigint', (c) => c.notNull())
          .addColumn('not_after', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('tsc_service_certs_purpose').on('tsc_service_certs').columns(['purpose', 'not_after']).execute();
      },
    },
    // The answer of each sign call, for TSC_SIGN_REPLAY_SECONDS, so a caller that lost it can get
    // it again (docs/async.md "The one lost window"). Hashes only: no OTP, no secret.
    '0004_sign_results': {
      async up(db: Kysely<any>) {
        await db.schema.createTable('tsc_sign_results')
          .addColumn('request_pk', 'integer', (c) => c.primaryKey())
          .addColumn('input_hash', 'text', (c) => c.notNull())
          .addColumn('auth_hash', 'text', (c) => c.notNull())
          .addColumn('result_json', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        // Every sign call purges by age.
        await db.schema.createIndex('tsc_sign_results_created').on('tsc_sign_results').column('created_at').execute();
      },
    },
  };
}
