/** CRLReason (RFC 5280 §5.3.1), shared by CRL entries and OCSP RevokedInfo (RFC 6960 §4.2.1). */
import { AppError } from '../../shared/errors.js';

export type CrlReason =
  | 'unspecified' | 'keyCompromise' | 'cACompromise' | 'affiliationChanged' | 'superseded' | 'cessationOfOperation'
  | 'certificateHold' | 'removeFromCRL' | 'privilegeWithdrawn' | 'aACompromise';

const CODES: Record<CrlReason, number> = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5,
  certificateHold: 6, removeFromCRL: 8, privilegeWithdrawn: 9, aACompromise: 10,
};

export const CRL_REASONS = Object.keys(CODES) as CrlReason[];

export function isCrlReason(s: unknown): s is CrlReason {
  return typeof s === 'string' && s in CODES;
}

export function crlReasonCode(r: CrlReason): number {
  const c = CODES[r];
  if (c === undefined) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `Unknown revocation reason ${String(r)}`);
  return c;
}

export function crlReasonName(code: number): CrlReason {
  const e = Object.entries(CODES).find(([, v]) => v === code);
  if (!e) throw new AppError('CMS_ERR_MALFORMED', `Unknown CRL reason code ${code}`);
  return e[0] as CrlReason;
}
