/**
 * Revocation status publication: CRLs (RFC 5280 §5) for the root and issuing CA and an OCSP
 * responder (RFC 6960) answering for certificates of either CA, signed by that CA itself
 * (responder = issuer, byKey). The URLs are in every certificate (AIA, CRL DP).
 *
 * CRL numbers are the thisUpdate in seconds: strictly increasing per CA as long as the clock does
 * not go back, without shared state between TSC processes (RFC 5280 §5.2.3 only asks monotonic).
 * A CRL is cached until a revocation happens or a quarter of its validity has passed.
 */
import {
  buildCrl, buildOcspErrorResponse, buildOcspResponse, certIdMatchesIssuer, keyStoreSigner, parseOcspRequest,
  type CrlReason, type OcspCertStatus, type SingleResponseSpec,
} from '../../../lib/cms/index.js';
import type { KeyStore } from '../../../lib/keys/key-store.js';
import type { Clock } from '../../../shared/clock.js';
import { wholeSeconds } from '../../../shared/clock.js';
import { AppError, isAppError } from '../../../shared/errors.js';
import type { CertificateStore } from '../ports.js';
import type { CertificateAuthority } from './certificate-authority.js';

export interface RevocationDeps {
  ca: CertificateAuthority;
  keyStore: KeyStore;
  certificates: CertificateStore;
  clock: Clock;
  /** Validity of the issuing CA's CRLs and of OCSP answers (nextUpdate - thisUpdate), seconds. */
  statusValiditySeconds: number;
}

const ROOT_CRL_VALIDITY_S = 7 * 86400;

export class RevocationStatus {
  private cache = new Map<'root' | 'issuing', { der: Uint8Array; until: number; revoked: number }>();

  constructor(private readonly deps: RevocationDeps) {}

  /** The current CRL of `which` CA (DER). */
  async crl(which: 'root' | 'issuing'): Promise<Uint8Array> {
    const { ca, clock } = this.deps;
    const revoked = which === 'issuing' ? await this.deps.certificates.listRevoked() : [];
    const now = wholeSeconds(clock.now());
    const hit = this.cache.get(which);
    if (hit && hit.revoked === revoked.length && now.getTime() < hit.until) return hit.der;
    const key = which === 'issuing' ? ca.issuingKey : ca.rootKey;
    if (!key) throw new AppError('CA_ERR_NOT_READY', 'The root CA key is not available to this TSC (imported CA): no root CRL');
    const validity = (which === 'issuing' ? this.deps.statusValiditySeconds : ROOT_CRL_VALIDITY_S) * 1000;
    const der = await buildCrl({
      issuerCertificate: which === 'issuing' ? ca.issuing.der : ca.root.der,
      signer: keyStoreSigner(this.deps.keyStore, key),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + validity),
      crlNumber: BigInt(Math.floor(now.getTime() / 1000)),
      entries: revoked.map((c) => ({
        serialNumberHex: c.serial, revocationDate: c.revokedAt!, reason: (c.revocationReason ?? 'unspecified') as CrlReason,
      })),
    });
    this.cache.set(which, { der, until: now.getTime() + validity / 4, revoked: revoked.length });
    return der;
  }

  /**
   * Answers a DER OCSPRequest with a DER OCSPResponse. Problems are OCSP error statuses, not
   * exceptions (RFC 6960 §2.3): malformedRequest, unauthorized (a CA that is not ours), internalError.
   */
  async ocsp(requestDer: Uint8Array): Promise<Uint8Array> {
    let parsed: ReturnType<typeof parseOcspRequest>;
    try {
      parsed = parseOcspRequest(requestDer);
    } catch {
      return buildOcspErrorResponse('malformedRequest');
    }
    if (parsed.certIds.length === 0 || parsed.certIds.length > 20) return buildOcspErrorResponse('malformedRequest');
    const { ca, clock } = this.deps;
    // One responder per answer: every CertID must name the same one of our two CAs.
    const byIssuing = parsed.certIds.every((id) => certIdMatchesIssuer(id, ca.issuing.der));
    const byRoot = !byIssuing && parsed.certIds.every((id) => certIdMatchesIssuer(id, ca.root.der));
    if (!byIssuing && !byRoot) return buildOcspErrorResponse('unauthorized');
    const key = byIssuing ? ca.issuingKey : ca.rootKey;
    if (!key) return buildOcspErrorResponse('unauthorized');
    try {
      const now = wholeSeconds(clock.now());
      const nextUpdate = new Date(now.getTime() + this.deps.statusValiditySeconds * 1000);
      const responses: SingleResponseSpec[] = [];
      for (const id of parsed.certIds) {
        responses.push({ certId: id.der, certStatus: await this.statusOf(id.serialNumberHex, byIssuing), thisUpdate: now, nextUpdate });
      }
      return await buildOcspResponse({
        responses,
        responderCertificate: byIssuing ? ca.issuing.der : ca.root.der,
        signer: keyStoreSigner(this.deps.keyStore, key),
        producedAt: now,
        nonce: parsed.nonce,
        certificates: byIssuing ? [ca.root.der] : [],
      });
    } catch (e) {
      if (isAppError(e) && e.httpStatus < 500) return buildOcspErrorResponse('malformedRequest');
      return buildOcspErrorResponse('internalError');
    }
  }

  private async statusOf(serialHex: string, issuedByIssuing: boolean): Promise<OcspCertStatus> {
    const { ca } = this.deps;
    if (!issuedByIssuing) {
      // The root certifies exactly one CA here: the issuing CA, which this system never revokes.
      return serialHex.toLowerCase() === ca.issuing.info.serialNumberHex ? { status: 'good' } : { status: 'unknown' };
    }
    const cert = await this.deps.certificates.get(serialHex);
    if (!cert) return { status: 'unknown' };
    if (cert.status === 'REVOKED') {
      const reason = (cert.revocationReason ?? 'unspecified') as CrlReason;
      return { status: 'revoked', revocationTime: cert.revokedAt!, ...(reason !== 'unspecified' ? { reason } : {}) };
    }
    return { status: 'good' };
  }
}
