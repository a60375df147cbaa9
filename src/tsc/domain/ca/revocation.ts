/** Certificate revocation by an administrator (issue 2 §2; the CRL/OCSP responders read the result). */
import { AppError } from '../../../shared/errors.js';
import type { Clock } from '../../../shared/clock.js';
import { wholeSeconds } from '../../../shared/clock.js';
import { appendAudit } from '../audit/audit-chain.js';
import type { CertificateRecord } from '../model.js';
import type { TscPersistence } from '../ports.js';

/** RFC 5280 §5.3.1 CRLReason names (removeFromCRL and certificateHold excluded: revocation is final). */
export const REVOCATION_REASONS = [
  'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn',
] as const;

export async function revokeCertificate(
  deps: { store: TscPersistence; clock: Clock },
  serialIn: string,
  reasonIn: string | undefined,
  actor = 'admin',
): Promise<CertificateRecord> {
  const reason = reasonIn ?? 'unspecified';
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) {
    throw new AppError('API_ERR_INVALID_PARAMETER', `reason must be one of ${REVOCATION_REASONS.join(', ')}`);
  }
  const serial = serialIn.toLowerCase();
  const at = wholeSeconds(deps.clock.now());
  return deps.store.transaction(async (tx) => {
    const cert = await tx.certificates.get(serial);
    if (!cert) throw new AppError('CERT_ERR_NOT_FOUND', `Certificate ${serialIn} not found`);
    if (!(await tx.certificates.revoke(cert.serial, at, reason))) throw new AppError('CERT_ERR_ALREADY_REVOKED', `Certificate ${serialIn} is already revoked`);
    await appendAudit(tx, deps.clock, { actor, action: 'certificate.revoked', requestPk: cert.requestPk, details: { serial: cert.serial, reason } });
    return { ...cert, status: 'REVOKED', revokedAt: at, revocationReason: reason };
  });
}
