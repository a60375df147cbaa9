/**
 * The TSC's relational state behind the domain ports, on SQLite or PostgreSQL (DESIGN.md §4).
 * `openTscPersistence(url)` opens the database, runs the tsc_ migrations and returns the stores.
 */
import type { Kysely } from 'kysely';
import { migrate, openDatabase, type Db } from '../../../infra/db.js';
import type { TscPersistence, TscRepositories } from '../../domain/ports.js';
import { KyselyAuditStore } from './kysely-audit-store.js';
import { KyselyCaStore } from './kysely-ca-store.js';
import { KyselyCertificateStore } from './kysely-certificate-store.js';
import { KyselyNonceStore } from './kysely-nonce-store.js';
import { KyselyOtpStore } from './kysely-otp-store.js';
import { KyselyRaoStore } from './kysely-rao-store.js';
import { KyselyRequestStore } from './kysely-request-store.js';
import { KyselyServiceCertStore } from './kysely-service-cert-store.js';
import { KyselySignResultStore } from './kysely-sign-result-store.js';
import { TSC_MIGRATION_TABLE, tscMigrations } from './migrations.js';
import type { TscDatabase } from './schema.js';

function repositories(db: Kysely<TscDatabase>): TscRepositories {
  return {
    raos: new KyselyRaoStore(db),
    requests: new KyselyRequestStore(db),
    otps: new KyselyOtpStore(db),
    certificates: new KyselyCertificateStore(db),
    ca: new KyselyCaStore(db),
    nonces: new KyselyNonceStore(db),
    serviceCerts: new KyselyServiceCertStore(db),
    signResults: new KyselySignResultStore(db),
    audit: new KyselyAuditStore(db),
  };
}

export class KyselyTscPersistence implements TscPersistence {
  readonly raos;
  readonly requests;
  readonly otps;
  readonly certificates;
  readonly ca;
  readonly nonces;
  readonly serviceCerts;
  readonly signResults;
  readonly audit;

  constructor(readonly db: Db<TscDatabase>) {
    const r = repositories(db.kysely);
    this.raos = r.raos;
    this.requests = r.requests;
    this.otps = r.otps;
    this.certificates = r.certificates;
    this.ca = r.ca;
    this.nonces = r.nonces;
    this.serviceCerts = r.serviceCerts;
    this.signResults = r.signResults;
    this.audit = r.audit;
  }

  transaction<T>(fn: (tx: TscRepositories) => Promise<T>): Promise<T> {
    return this.db.kysely.transaction().execute((trx) => fn(repositories(trx)));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** Opens (and migrates) the TSC database named by `url` (SQLite path or postgres:// URL). */
export async function openTscPersistence(url: string): Promise<KyselyTscPersistence> {
  const db = openDatabase<TscDatabase>(url);
  try {
    await migrate(db, tscMigrations(db.kind), TSC_MIGRATION_TABLE);
  } catch (e) {
    await db.close();
    throw e;
  }
  return new KyselyTscPersistence(db);
}
