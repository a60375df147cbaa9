/**
 * The sandbox RAO (issue 2 §3): created on first start in the sandbox environment so the demo and
 * `npm start` work out of the box. Its credentials are written once to <data dir>/tsc/sandbox-rao.json
 * (mode 0600), where `npm start` reads them to create the Optimizer's sandbox token.
 */
import { readFileSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import { writeSecretFileExclusive } from '../../infra/secret-file.js';
import { createRao, type RaoDeps } from '../domain/ra/rao-accounts.js';

export interface SandboxRaoCredentials {
  username: string;
  password: string;
  pin: string;
  registration_authority: number;
}

/** Registration authority of the sandbox RAO (the Gen B settings example's default_ra). */
export const SANDBOX_RA = 1000;

function readCredentials(path: string): SandboxRaoCredentials | null {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as SandboxRaoCredentials;
    if (typeof j.username === 'string' && typeof j.password === 'string' && typeof j.pin === 'string' && Number.isInteger(j.registration_authority)) return j;
    throw new Error(`${path} is not a sandbox RAO credentials file`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Ensures the sandbox RAO exists. Returns its credentials and whether they were generated now
 * (the caller prints them once in that case).
 */
export async function ensureSandboxRao(deps: RaoDeps, path: string): Promise<{ credentials: SandboxRaoCredentials; generated: boolean }> {
  let credentials = readCredentials(path);
  let generated = false;
  if (!credentials) {
    const fresh: SandboxRaoCredentials = {
      username: 'sandbox',
      password: randomBytes(18).toString('base64url'),
      pin: String(randomInt(0, 100_000_000)).padStart(8, '0'),
      registration_authority: SANDBOX_RA,
    };
    if (writeSecretFileExclusive(path, JSON.stringify(fresh, null, 2) + '\n')) {
      credentials = fresh;
      generated = true;
    } else {
      credentials = readCredentials(path)!; // another process wrote it first
    }
  }
  if (!(await deps.store.raos.findByUsername(credentials.username))) {
    try {
      await createRao(deps, {
        username: credentials.username, password: credentials.password, pin: credentials.pin, registrationAuthority: credentials.registration_authority,
      }, 'system');
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'RAO_ERR_ALREADY_EXISTS')) throw e;
    }
  }
  return { credentials, generated };
}
