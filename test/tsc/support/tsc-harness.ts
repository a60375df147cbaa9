/**
 * Runs a real TSC in-process for tests: fresh temp data dir (removed afterwards), SQLite by default
 * (or a given database URL), the sandbox outbox as OTP channel, a ManualClock, light scrypt
 * parameters. Calls go through Fastify's inject (no port).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/shared/clock.js';
import { buildTscApp, type TscApp, type TscAppDeps } from '../../../src/tsc/app.js';
import { loadTscConfig, type TscConfig } from '../../../src/tsc/config.js';

export interface TestTsc {
  app: TscApp;
  config: TscConfig;
  dir: string;
  clock: ManualClock;
  rao: { username: string; password: string; pin: string; registration_authority: number };
  client: Record<string, string>;
  admin: Record<string, string>;
  raoHeaders(r?: { username: string; password: string; pin?: string }, withPin?: boolean): Record<string, string>;
  /** The OTP last written to the outbox for a request. */
  lastOtp(pk: number): Promise<string>;
  close(): Promise<void>;
}

export const T0 = new Date('2026-03-01T10:00:00Z');

export async function startTestTsc(opts: { env?: Record<string, string>; deps?: TscAppDeps; dir?: string } = {}): Promise<TestTsc> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'tsc-test-')));
  const config = loadTscConfig({
    ONESHOT_DATA_DIR: dir,
    TSC_PORT: '0',
    TSC_SCRYPT_LOG_N: '10',
    TSC_LOG_LEVEL: 'silent',
    TSC_PUBLIC_URL: 'http://127.0.0.1:8090',
    ...opts.env,
  });
  const clock = (opts.deps?.clock as ManualClock | undefined) ?? new ManualClock(T0);
  let app: TscApp;
  try {
    app = await buildTscApp(config, { clock, ...opts.deps });
  } catch (e) {
    // A start that is meant to fail (bad CA import, bad settings) leaves no temp dir behind.
    if (!opts.dir) await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const rao = app.tsc.sandboxRao!.credentials;
  const client = { authorization: `Bearer ${config.clientApiKey}` };
  return {
    app, config, dir, clock, rao, client,
    admin: { authorization: `Bearer ${config.adminApiKey}` },
    raoHeaders(r = rao, withPin = true) {
      const h: Record<string, string> = { ...client, 'x-rao-username': r.username, 'x-rao-password': r.password };
      if (withPin && r.pin) h['x-rao-pin'] = r.pin;
      return h;
    },
    async lastOtp(pk: number) {
      const lines = (await readFile(config.outboxPath!, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      const mine = lines.filter((l) => l.request_pk === pk);
      if (!mine.length) throw new Error(`no OTP in the outbox for request ${pk}`);
      return mine[mine.length - 1].code as string;
    },
    async close() {
      await app.close();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export const IDENTITY = {
  given_name: 'María José',
  surname_1: 'Núñez',
  surname_2: 'Łopuszańska',
  email: 'maria.nunez@example.com',
  mobile_phone_number: '+34600123123',
  id_document_type: 'IDC',
  id_document_country: 'ES',
  serial_number: '12345678Z',
  profile: 'PFnubeQAFCiudadano',
};

/** Creates (and approves) a request with the sandbox RAO; returns its pk. */
export async function createApprovedRequest(t: TestTsc, over: Record<string, unknown> = {}): Promise<number> {
  const res = await t.app.inject({ method: 'POST', url: '/tsc/v1/requests', headers: t.raoHeaders(), payload: { ...IDENTITY, approve: true, ...over } });
  if (res.statusCode !== 201) throw new Error(`create failed ${res.statusCode}: ${res.body}`);
  return res.json().pk as number;
}
