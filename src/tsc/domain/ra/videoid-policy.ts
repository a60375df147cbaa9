/**
 * VideoID rules of the RA (oneshot-api.md §1.7 #32, §2.2): which registration authorities may
 * create VideoID requests, which identity fields may wait for the video identification, and what
 * must be known before a request is approved.
 *
 * Enablement is a per-RA setting (TSC_VIDEOID_RAS), as on the Uanataca RA where VideoID is switched
 * on per registration authority and `POST /videoid` answers "Videoid not enabled for Registration
 * Authority <ra>" otherwise.
 */
import { AppError } from '../../../shared/errors.js';
import type { IdentityData, RaoRecord, RequestRecord } from '../model.js';
import type { RaoStore } from '../ports.js';
import { PERMISSION_DENIED_TEXT } from './rao-accounts.js';
import type { Errors, IdentityInput } from './identity-validation.js';

/** `'all'` or the list of registration authorities with VideoID enabled. */
export type VideoIdRas = 'all' | readonly number[];

/** TSC_VIDEOID_RAS: `*` (every RA), or a comma-separated list of RA ids; empty = none. */
export function parseVideoIdRas(raw: string | undefined, dflt: VideoIdRas): VideoIdRas {
  if (raw === undefined) return dflt;
  const t = raw.trim();
  if (t === '*') return 'all';
  if (t === '') return [];
  const out: number[] = [];
  for (const part of t.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (!/^[1-9]\d{0,9}$/.test(part)) throw new Error(`TSC_VIDEOID_RAS: "${part}" is not a registration authority id (use * for all)`);
    out.push(Number(part));
  }
  return out;
}

export function videoIdEnabled(ras: VideoIdRas, ra: number): boolean {
  return ras === 'all' || ras.includes(ra);
}

/**
 * The registration authority a VideoID request is created for, checked in the documented order:
 * unknown RA → 404 "Registration Authority not found"; another RA's → 403; RA without VideoID → 400.
 * A malformed value is left to the field validation (returns the RAO's own RA).
 */
export async function checkVideoIdRa(raos: Pick<RaoStore, 'list'>, ras: VideoIdRas, rao: RaoRecord, raw: unknown): Promise<void> {
  let ra = rao.registrationAuthority;
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (/^[1-9]\d{0,9}$/.test(s) && Number(s) !== ra) {
    ra = Number(s);
    // An RA exists when it has at least one RAO (the TSC keeps no other registry of RAs).
    const known = (await raos.list()).some((r) => r.registrationAuthority === ra);
    if (!known) throw new AppError('RA_ERR_NOT_FOUND', 'Registration Authority not found');
    throw new AppError('RAO_ERR_PERMISSION_DENIED', PERMISSION_DENIED_TEXT);
  }
  if (!videoIdEnabled(ras, ra)) throw new AppError('VIDEOID_ERR_NOT_ENABLED', `Videoid not enabled for Registration Authority ${ra}`);
}

/**
 * Identity fields a VideoID request may be created without: they are read from the ID document
 * during the identification (external OCR data, the signer's declaration on the hosted page) or
 * set by the RAO with PUT before approval. Mobile and e-mail stay required (the Gen B create body).
 */
const DEFERRED: readonly [keyof IdentityInput, 'givenName' | 'surname1' | 'serialNumber'][] = [
  ['given_name', 'givenName'], ['surname_1', 'surname1'], ['serial_number', 'serialNumber'],
];

/** Drops the "missing" errors of deferred fields that were not sent, storing them empty. */
export function deferIdentity(input: IdentityInput, identity: Partial<IdentityData>, errors: Errors): void {
  for (const [field, key] of DEFERRED) {
    const v = input[field];
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
      delete errors[field];
      identity[key] = '';
    }
  }
}

/** Identity fields still empty; a certificate cannot be issued (so a request not approved) without them. */
export function missingIdentity(rec: RequestRecord): string[] {
  return DEFERRED.filter(([, key]) => !rec[key]).map(([field]) => field);
}

export function assertIdentityComplete(rec: RequestRecord): void {
  const missing = missingIdentity(rec);
  if (missing.length) {
    throw new AppError(
      'REQ_ERR_INCOMPLETE_DATA',
      `Request data incomplete: ${missing.join(', ')} required before approval (update the request first)`,
      { missing },
    );
  }
}
