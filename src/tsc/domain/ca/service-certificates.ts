/**
 * Certificates of the TSC's own services, issued by the issuing CA at first use and renewed before
 * they run out (issue 5):
 *  - the TSA unit: EKU id-kp-timeStamping only, critical (RFC 3161 §2.3); keyUsage digitalSignature
 *    + nonRepudiation (ETSI EN 319 422 §6.1); AIA + CRL DP so relying parties can check it;
 *  - the delegated OCSP responder: EKU id-kp-OCSPSigning (RFC 6960 §4.2.2.2) and id-pkix-ocsp-nocheck
 *    (§4.2.2.2.1: clients do not check the responder's own status), short-lived for that reason.
 *
 * Keys live in the key store (purpose tsa / ocsp, persistent); certificates in tsc_service_certs.
 * The newest certificate of a purpose is used; older ones keep answering OCSP "good" until they
 * expire. Several TSC processes may each renew: every certificate they issue is valid and recorded.
 */
import { randomBytes } from 'node:crypto';
import {
  authorityInfoAccess, authorityKeyIdentifier, basicConstraints, buildCertificate, certificateInfo, crlDistributionPoints, extKeyUsage,
  keyIdentifierOf, keyStoreSigner, keyUsage, ocspNoCheck, OID, randomSerialNumber, subjectKeyIdentifier,
  type CertificateInfo, type CmsSigner, type ExtensionSpec,
} from '../../../lib/cms/index.js';
import type { KeyAlgorithm, KeyHandle, KeyStore } from '../../../lib/keys/key-store.js';
import type { Clock } from '../../../shared/clock.js';
import { wholeSeconds } from '../../../shared/clock.js';
import { AppError } from '../../../shared/errors.js';
import { appendAudit } from '../audit/audit-chain.js';
import type { ServiceCertRecord, ServicePurpose } from '../model.js';
import type { TscPersistence } from '../ports.js';
import type { CertificateAuthority } from './certificate-authority.js';

export interface ServiceCertSettings {
  providerName: string;
  country: string;
  tsa: { validityDays: number; keyAlgorithm: KeyAlgorithm };
  ocsp: { validityDays: number; keyAlgorithm: KeyAlgorithm };
}

export interface ServiceCertDeps {
  ca: CertificateAuthority;
  store: TscPersistence;
  keyStore: KeyStore;
  clock: Clock;
  settings: ServiceCertSettings;
}

/** A service certificate ready to sign with. */
export interface ServiceCert {
  purpose: ServicePurpose;
  der: Uint8Array;
  info: CertificateInfo;
  key: KeyHandle;
  signer: CmsSigner;
}

const DAY_MS = 86_400_000;

/** Renew once three quarters of the validity have passed (tokens/responses stay checkable meanwhile). */
function needsRenewal(info: CertificateInfo, now: number): boolean {
  const life = info.notAfter.getTime() - info.notBefore.getTime();
  return now >= info.notBefore.getTime() + (life * 3) / 4;
}

export class ServiceCertificates {
  private readonly loaded = new Map<ServicePurpose, ServiceCert>();
  private readonly pending = new Map<ServicePurpose, Promise<ServiceCert>>();

  constructor(private readonly deps: ServiceCertDeps) {}

  /** The certificate in use for `purpose`: loaded, or issued when missing or due for renewal. */
  async current(purpose: ServicePurpose): Promise<ServiceCert> {
    const now = this.deps.clock.now().getTime();
    const have = this.loaded.get(purpose);
    if (have && !needsRenewal(have.info, now)) return have;
    let p = this.pending.get(purpose);
    if (!p) {
      p = this.refresh(purpose).finally(() => this.pending.delete(purpose));
      this.pending.set(purpose, p);
    }
    return p;
  }

  /** Whether `serialHex` is one of our service certificates (any age), for the OCSP responder. */
  async find(serialHex: string): Promise<ServiceCertRecord | null> {
    return this.deps.store.serviceCerts.getBySerial(serialHex);
  }

  private async refresh(purpose: ServicePurpose): Promise<ServiceCert> {
    const now = this.deps.clock.now().getTime();
    const rec = await this.deps.store.serviceCerts.latest(purpose);
    if (rec) {
      const info = certificateInfo(rec.certDer);
      const key = await this.deps.keyStore.findKey(rec.keyLabel);
      const sameCa = Buffer.from(info.issuer).equals(Buffer.from(this.deps.ca.issuing.info.subject));
      if (key && sameCa && Buffer.from(key.publicKeySpki).equals(Buffer.from(info.spki)) && !needsRenewal(info, now)) {
        return this.remember({ purpose, der: rec.certDer, info, key, signer: keyStoreSigner(this.deps.keyStore, key) });
      }
    }
    return this.remember(await this.issue(purpose));
  }

  private remember(c: ServiceCert): ServiceCert {
    this.loaded.set(c.purpose, c);
    return c;
  }

  private async issue(purpose: ServicePurpose): Promise<ServiceCert> {
    const { ca, keyStore, clock, settings: s } = this.deps;
    const cfg = s[purpose];
    const key = await keyStore.createKey({ algorithm: cfg.keyAlgorithm, purpose, label: `tsc-${purpose}-${randomBytes(4).toString('hex')}` });
    try {
      const now = wholeSeconds(clock.now());
      // Back-dated a minute for relying parties with slightly slow clocks; never past the issuing CA.
      const notBefore = new Date(Math.max(now.getTime() - 60_000, ca.issuing.info.notBefore.getTime()));
      const notAfter = new Date(Math.min(now.getTime() + cfg.validityDays * DAY_MS, ca.issuing.info.notAfter.getTime()));
      if (notAfter.getTime() <= now.getTime()) throw new AppError('CA_ERR_NOT_READY', 'The issuing CA expires too soon to certify a service key');
      const name = purpose === 'tsa' ? 'Time-Stamping Unit' : 'OCSP Responder';
      const der = await buildCertificate({
        serialNumber: randomSerialNumber(),
        issuer: ca.issuing.info.subject,
        subject: { C: s.country, O: s.providerName.slice(0, 64), CN: `${s.providerName} ${name}`.slice(0, 64) },
        notBefore,
        notAfter,
        publicKeySpki: key.publicKeySpki,
        extensions: this.extensions(purpose, key.publicKeySpki),
        signer: ca.issuingSigner,
        issuerPublicKeySpki: ca.issuing.info.spki,
      });
      const info = certificateInfo(der);
      await this.deps.store.transaction(async (tx) => {
        await tx.serviceCerts.insert({
          purpose, serial: info.serialNumberHex, certDer: der, keyLabel: key.label, notBefore, notAfter, createdAt: now,
        });
        await appendAudit(tx, clock, {
          actor: 'system', action: 'service_certificate.issued',
          details: { purpose, serial: info.serialNumberHex, key_algorithm: cfg.keyAlgorithm, key_store: keyStore.kind, not_after: notAfter.toISOString() },
        });
      });
      await this.destroyExpiredKeys(purpose, now.getTime(), key.label);
      return { purpose, der, info, key, signer: keyStoreSigner(keyStore, key) };
    } catch (e) {
      await keyStore.destroyKey(key.id).catch(() => undefined);
      throw e;
    }
  }

  private extensions(purpose: ServicePurpose, spki: Uint8Array): ExtensionSpec[] {
    const ca = this.deps.ca;
    const common: ExtensionSpec[] = [
      basicConstraints({ ca: false }, true),
      subjectKeyIdentifier(spki),
      authorityKeyIdentifier(keyIdentifierOf(ca.issuing.info.spki)),
    ];
    if (purpose === 'tsa') {
      return [
        ...common,
        keyUsage(['digitalSignature', 'nonRepudiation'], true),
        extKeyUsage([OID.kpTimeStamping], true),
        authorityInfoAccess({ ocsp: [ca.urls.ocsp], caIssuers: [ca.urls.issuingCrt] }),
        crlDistributionPoints([ca.urls.issuingCrl]),
      ];
    }
    return [
      ...common,
      keyUsage(['digitalSignature'], true),
      extKeyUsage([OID.kpOcspSigning], false),
      ocspNoCheck(),
      authorityInfoAccess({ caIssuers: [ca.urls.issuingCrt] }),
    ];
  }

  /** Keys of this purpose's expired certificates are no longer needed by anyone: destroy them. */
  private async destroyExpiredKeys(purpose: ServicePurpose, now: number, keep: string): Promise<void> {
    for (const r of await this.deps.store.serviceCerts.list(purpose)) {
      if (r.notAfter.getTime() >= now || r.keyLabel === keep) continue;
      const k = await this.deps.keyStore.findKey(r.keyLabel).catch(() => null);
      if (k) await this.deps.keyStore.destroyKey(k.id).catch(() => undefined);
    }
  }
}
