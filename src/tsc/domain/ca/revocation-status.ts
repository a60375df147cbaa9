/**
 * Revocation status publication: CRLs (RFC 5280 §5) for the root and issuing CA and an OCSP
 * responder (RFC 6960) answering for certificates of either CA. Answers about the issuing CA's
 * certificates are signed by the delegated responder (a service certificate with id-kp-OCSPSigning
 * and id-pkix-ocsp-nocheck, RFC 6960 §4.2.2.2) or by the issuing CA itself (`responder: 'ca'`);
 * answers about the issuing CA are signed by the root. ResponderID byKey. The URLs are in every
 * certificate (AIA, CRL DP).
 *
 * Status sources: single-use certificates (tsc_certificates, with revocation) and the TSC's service
 * certificates (TSA unit, OCSP responders: good while recorded); anything else is "unknown".
 *
 * CRL numbers are the thisUpdate in seconds: strictly increasing per CA as long as the clock does
 * not go back, without shared state between TSC processes (RFC 5280 §5.2.3 only asks monotonic).
 * A CRL is cached until a revocation happens or a quarter of its validity has passed. OCSP answers
 * to requests without a nonce are cached the same way (RFC 6960 §2.4 allows pre-produced responses):
 * the status is still read from the database on every request, and a changed status (a revocation)
 * produces a new signed answer at once. Requests with a nonce always get a fresh answer.
 */
import {
  buildCrl, buildOcspErrorResponse, buildOcspResponse, certIdMatchesIssuer, keyStoreSigner, parseOcspRequest,
  type CmsSigner, type CrlReason, type OcspCertStatus,
} from '../../../lib/cms/index.js';
import type { KeyStore } from '../../../lib/keys/key-store.js';
import type { Clock } from '../../../shared/clock.js';
import { wholeSeconds } from '../../../shared/clock.js';
import { AppError, isAppError } from '../../../shared/errors.js';
import type { CertificateStore } from '../ports.js';
import type { CertificateAuthority } from './certificate-authority.js';
import type { ServiceCertificates } from './service-certificates.js';

export type OcspResponderMode = 'delegated' | 'ca';

export interface RevocationDeps {
  ca: CertificateAuthority;
  keyStore: KeyStore;
  certificates: CertificateStore;
  clock: Clock;
  /** Validity of the issuing CA's CRLs and of OCSP answers (nextUpdate - thisUpdate), seconds. */
  statusValiditySeconds: number;
  /** Service certificates: the delegated responder's, and serials to answer "good" for. */
  serviceCerts: ServiceCertificates;
  /** Who signs answers about the issuing CA's certificates (default delegated). */
  responder?: OcspResponderMode;
}

const ROOT_CRL_VALIDITY_S = 7 * 86400;
const OCSP_CACHE_ENTRIES = 10_000;

interface CachedOcsp {
  der: Uint8Array;
  until: number;
  /** The statuses the answer was built from; a difference means it must be rebuilt. */
  statuses: string;
}

export class RevocationStatus {
  private cache = new Map<'root' | 'issuing', { der: Uint8Array; until: number; revoked: number }>();
  private ocspCache = new Map<string, CachedOcsp>();

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
    try {
      const now = wholeSeconds(clock.now());
      const statuses: OcspCertStatus[] = [];
      for (const id of parsed.certIds) statuses.push(await this.statusOf(id.serialNumberHex, byIssuing));
      const statusKey = JSON.stringify(statuses);
      const cacheKey = parsed.nonce ? null : parsed.certIds.map((id) => Buffer.from(id.der).toString('hex')).join('.');
      const hit = cacheKey ? this.ocspCache.get(cacheKey) : undefined;
      if (hit && hit.statuses === statusKey && now.getTime() < hit.until) return hit.der;

      const signerOf = await this.responderFor(byIssuing);
      if (!signerOf) return buildOcspErrorResponse('unauthorized');
      const validityMs = this.deps.statusValiditySeconds * 1000;
      const nextUpdate = new Date(now.getTime() + validityMs);
      const der = await buildOcspResponse({
        responses: parsed.certIds.map((id, i) => ({ certId: id.der, certStatus: statuses[i]!, thisUpdate: now, nextUpdate })),
        responderCertificate: signerOf.certificate,
        signer: signerOf.signer,
        producedAt: now,
        nonce: parsed.nonce,
        certificates: signerOf.extraCertificates,
      });
      if (cacheKey) {
        if (this.ocspCache.size >= OCSP_CACHE_ENTRIES) this.ocspCache.delete(this.ocspCache.keys().next().value!);
        this.ocspCache.set(cacheKey, { der, until: now.getTime() + validityMs / 4, statuses: statusKey });
      }
      return der;
    } catch (e) {
      if (isAppError(e) && e.httpStatus < 500) return buildOcspErrorResponse('malformedRequest');
      return buildOcspErrorResponse('internalError');
    }
  }

  /** The responder certificate, its signer and the certificates to ship with it; null if the key is missing. */
  private async responderFor(byIssuing: boolean): Promise<{ certificate: Uint8Array; signer: CmsSigner; extraCertificates: Uint8Array[] } | null> {
    const { ca, keyStore } = this.deps;
    if (!byIssuing) return ca.rootKey ? { certificate: ca.root.der, signer: keyStoreSigner(keyStore, ca.rootKey), extraCertificates: [] } : null;
    if ((this.deps.responder ?? 'delegated') === 'ca') {
      return { certificate: ca.issuing.der, signer: keyStoreSigner(keyStore, ca.issuingKey), extraCertificates: [ca.root.der] };
    }
    const r = await this.deps.serviceCerts.current('ocsp');
    // The responder's issuer travels with it, so a client can check the delegation (§4.2.2.2).
    return { certificate: r.der, signer: r.signer, extraCertificates: [ca.issuing.der] };
  }

  private async statusOf(serialHex: string, issuedByIssuing: boolean): Promise<OcspCertStatus> {
    const { ca } = this.deps;
    if (!issuedByIssuing) {
      // The root certifies exactly one CA here: the issuing CA, which this system never revokes.
      return serialHex.toLowerCase() === ca.issuing.info.serialNumberHex ? { status: 'good' } : { status: 'unknown' };
    }
    const cert = await this.deps.certificates.get(serialHex);
    if (!cert) return (await this.deps.serviceCerts.find(serialHex)) ? { status: 'good' } : { status: 'unknown' };
    if (cert.status === 'REVOKED') {
      const reason = (cert.revocationReason ?? 'unspecified') as CrlReason;
      return { status: 'revoked', revocationTime: cert.revokedAt!, ...(reason !== 'unspecified' ? { reason } : {}) };
    }
    return { status: 'good' };
  }
}
