/**
 * RAO accounts (registration authority officers): created and removed by an administrator,
 * authenticated on every RA call with username + password (+ PIN to approve).
 * One-Shot texts: oneshot-api.md §1.4 #14 (403 "Invalid RAO Credentials", 404 "Error getting RAO's id…").
 */
import { AppError } from '../../../shared/errors.js';
import { isHeaderSafe } from '../../../shared/header-value.js';
import type { Clock } from '../../../shared/clock.js';
import { appendAudit } from '../audit/audit-chain.js';
import type { RaoRecord } from '../model.js';
import type { TscPersistence } from '../ports.js';
import type { CredentialCache } from './credential-cache.js';
import { hashSecret, verifySecret, type ScryptParams } from './secret-hash.js';

export const RAO_NOT_FOUND_TEXT = "Error getting RAO's id. Make sure the credentials are correct.";
export const RAO_INVALID_TEXT = 'Invalid RAO Credentials';
export const PERMISSION_DENIED_TEXT = 'You do not have permission to perform this action';

export interface NewRaoInput {
  username: string;
  password: string;
  pin: string;
  registrationAuthority: number;
}

export interface RaoDeps {
  store: TscPersistence;
  clock: Clock;
  scrypt: ScryptParams;
}

/** Public view of an account: never the hashes. */
export interface RaoView {
  rao_id: number;
  username: string;
  registration_authority: number;
  created_at: string;
}

export function raoView(r: RaoRecord): RaoView {
  return { rao_id: r.id, username: r.username, registration_authority: r.registrationAuthority, created_at: r.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

function invalid(field: string, text: string): AppError {
  return new AppError('API_ERR_INVALID_PARAMETER', text, { [field]: [text] });
}

export function validateNewRao(input: NewRaoInput): void {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(input.username)) throw invalid('username', 'username must be 1-64 characters of A-Z a-z 0-9 . _ @ -');
  if (typeof input.password !== 'string' || input.password.length < 8 || input.password.length > 256)
    throw invalid('password', 'password must be 8-256 characters');
  // An account whose secret a header cannot carry could never log in (shared/header-value.ts).
  if (!isHeaderSafe(input.password)) {
    throw invalid('password', 'password must be printable Latin-1 characters without leading or trailing spaces (it travels in an HTTP header)');
  }
  if (typeof input.pin !== 'string' || !/^\S{4,64}$/.test(input.pin) || !isHeaderSafe(input.pin)) {
    throw invalid('pin', 'pin must be 4-64 non-blank printable Latin-1 characters');
  }
  if (!Number.isInteger(input.registrationAuthority) || input.registrationAuthority < 1 || input.registrationAuthority > 2 ** 31 - 1)
    throw invalid('registration_authority', 'registration_authority must be a positive integer');
}

export async function createRao(deps: RaoDeps, input: NewRaoInput, actor = 'admin'): Promise<RaoRecord> {
  validateNewRao(input);
  // Hash outside the transaction: scrypt is deliberately slow.
  const [passwordHash, pinHash] = await Promise.all([hashSecret(input.password, deps.scrypt), hashSecret(input.pin, deps.scrypt)]);
  return deps.store.transaction(async (tx) => {
    const rec = await tx.raos.insert({
      username: input.username,
      registrationAuthority: input.registrationAuthority,
      passwordHash,
      pinHash,
      createdAt: deps.clock.now(),
    });
    await appendAudit(tx, deps.clock, { actor, action: 'rao.created', details: { rao_id: rec.id, registration_authority: rec.registrationAuthority } });
    return rec;
  });
}

export async function removeRao(deps: RaoDeps, username: string, actor = 'admin'): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const rec = await tx.raos.findByUsername(username);
    if (!rec || !(await tx.raos.remove(username))) throw new AppError('RAO_ERR_NOT_FOUND', `RAO ${username} not found`);
    await appendAudit(tx, deps.clock, { actor, action: 'rao.removed', details: { rao_id: rec.id } });
  });
}

export interface RaoCredentials {
  username?: string | undefined;
  password?: string | undefined;
  pin?: string | undefined;
}

/**
 * Authenticates an RAO. `need` says which secrets the route requires; secrets sent although not
 * required are still checked (a wrong one is never ignored).
 */
export async function authenticateRao(
  deps: Pick<RaoDeps, 'store'> & { credentialCache?: CredentialCache | undefined },
  cred: RaoCredentials,
  need: { password: boolean; pin: boolean },
): Promise<{ rao: RaoRecord; passwordChecked: boolean; pinChecked: boolean }> {
  if (!cred.username) throw new AppError('RAO_ERR_INCOMPLETE_CREDENTIALS', 'Missing RAO credentials: username required');
  if (need.password && !cred.password) throw new AppError('RAO_ERR_INCOMPLETE_CREDENTIALS', 'Missing RAO credentials: password required');
  if (need.pin && !cred.pin) throw new AppError('RAO_ERR_INCOMPLETE_CREDENTIALS', 'Missing RAO credentials: pin required');
  const rao = await deps.store.raos.findByUsername(cred.username);
  if (!rao) throw new AppError('RAO_ERR_NOT_FOUND', RAO_NOT_FOUND_TEXT);
  // Only successful checks are cached, bound to the stored hashes (see CredentialCache).
  const cacheKey = [rao.username, cred.password ?? '', cred.pin ?? '', rao.passwordHash, rao.pinHash];
  if (!deps.credentialCache?.has(cacheKey)) {
    const [pwOk, pinOk] = await Promise.all([
      cred.password ? verifySecret(cred.password, rao.passwordHash) : Promise.resolve(true),
      cred.pin ? verifySecret(cred.pin, rao.pinHash) : Promise.resolve(true),
    ]);
    if (!pwOk || !pinOk) throw new AppError('RAO_ERR_INVALID_CREDENTIALS', RAO_INVALID_TEXT);
    deps.credentialCache?.add(cacheKey);
  }
  return { rao, passwordChecked: !!cred.password, pinChecked: !!cred.pin };
}
