/**
 * The TSC's CA (issue 2 §2): a root and an issuing CA, created on first start (keys in the key
 * store, certificates in the database) or imported, then used to issue single-use certificates.
 *
 * Several TSC processes may share one PostgreSQL: the first to insert the CA records wins; a
 * loser destroys the keys it generated and loads the winner's CA.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import {
  authorityInfoAccess, authorityKeyIdentifier, basicConstraints, buildCertificate, certificateInfo, crlDistributionPoints,
  keyIdentifierOf, keyStoreSigner, keyUsage, OID, randomSerialNumber, subjectKeyIdentifier, subjectKeyIdentifierOf,
  type CertificateInfo, type CmsSigner, type NameSpec,
} from '../../../lib/cms/index.js';
import type { KeyAlgorithm, KeyHandle, KeyStore } from '../../../lib/keys/key-store.js';
import type { Clock } from '../../../shared/clock.js';
import { wholeSeconds } from '../../../shared/clock.js';
import { AppError } from '../../../shared/errors.js';
import { appendAudit } from '../audit/audit-chain.js';
import type { IdentityData } from '../model.js';
import type { TscPersistence } from '../ports.js';
import type { CertificateProfile } from './profiles.js';
import { pkiUrls, singleUseExtensions, singleUseSubject, type PkiUrls } from './single-use-certificate.js';

export interface CaSettings {
  publicUrl: string;
  pdsUrl: string;
  providerName: string;
  /** ISO 3166 country of the CA's subject. */
  country: string;
  caValidityDays: number;
  caKeyAlgorithm: KeyAlgorithm;
  certValiditySeconds: number;
}

/** A CA certificate + key already placed in the key store by the caller (e.g. from files). */
export interface ImportedCa {
  rootDer: Uint8Array;
  issuingDer: Uint8Array;
  issuingKeyLabel: string;
}

export interface CaDeps {
  store: TscPersistence;
  keyStore: KeyStore;
  clock: Clock;
  settings: CaSettings;
}

export interface IssuedCertificate {
  der: Uint8Array;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}

interface LoadedCa {
  der: Uint8Array;
  info: CertificateInfo;
}

const DAY_MS = 86_400_000;

/**
 * RFC 5280 §4.2.1.9: a certificate that signs certificates has basicConstraints cA TRUE; and when
 * it has keyUsage, keyCertSign (§4.2.1.3). BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, … },
 * so its DER value starts 30 len 01 01 <non-zero>.
 */
function isCaCertificate(info: CertificateInfo): boolean {
  const bc = info.extensions.get(OID.basicConstraints)?.value;
  if (!bc || bc.length < 5 || bc[0] !== 0x30 || bc[2] !== 0x01 || bc[3] !== 0x01 || bc[4] === 0) return false;
  const ku = info.extensions.get(OID.keyUsage)?.value;
  // keyUsage is a BIT STRING: 03 len unused-bits first-octet…; keyCertSign is bit 5 (0x04 of the first octet).
  return !ku || (ku.length >= 4 && ku[0] === 0x03 && (ku[3]! & 0x04) !== 0);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

export class CertificateAuthority {
  readonly urls: PkiUrls;
  private readonly issuerKeyId: Uint8Array;
  private readonly signer: CmsSigner;

  private constructor(
    readonly root: LoadedCa,
    readonly issuing: LoadedCa,
    readonly issuingKey: KeyHandle,
    readonly rootKey: KeyHandle | null,
    private readonly deps: CaDeps,
  ) {
    this.urls = pkiUrls(deps.settings.publicUrl);
    this.issuerKeyId = subjectKeyIdentifierOf(issuing.info);
    this.signer = keyStoreSigner(deps.keyStore, issuingKey);
  }

  /** The chain a relying party needs above a single-use certificate: [issuing, root]. */
  get chain(): Uint8Array[] {
    return [this.issuing.der, this.root.der];
  }

  get issuingSigner(): CmsSigner {
    return this.signer;
  }

  /** Loads the CA from the database, or imports / creates it on first start. */
  static async open(deps: CaDeps, imported?: ImportedCa): Promise<CertificateAuthority> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const [rootRec, issuingRec] = await Promise.all([deps.store.ca.get('root'), deps.store.ca.get('issuing')]);
      if (rootRec && issuingRec) {
        if (imported && (!sameBytes(imported.rootDer, rootRec.certDer) || !sameBytes(imported.issuingDer, issuingRec.certDer))) {
          throw new AppError('CA_ERR_NOT_READY', 'The CA in the database differs from the configured TSC_CA_* files');
        }
        return CertificateAuthority.load(deps, rootRec.certDer, issuingRec.certDer, issuingRec.keyLabel, rootRec.keyLabel);
      }
      if (rootRec || issuingRec) throw new AppError('CA_ERR_NOT_READY', 'The CA records are incomplete (root or issuing missing)');
      const won = imported ? await CertificateAuthority.importCa(deps, imported) : await CertificateAuthority.create(deps);
      if (won) continue; // load what was stored, through the same checks
    }
    throw new AppError('CA_ERR_NOT_READY', 'The CA could not be initialised');
  }

  private static async load(deps: CaDeps, rootDer: Uint8Array, issuingDer: Uint8Array, issuingLabel: string | null, rootLabel: string | null): Promise<CertificateAuthority> {
    const root = { der: rootDer, info: certificateInfo(rootDer) };
    const issuing = { der: issuingDer, info: certificateInfo(issuingDer) };
    if (!issuingLabel) throw new AppError('CA_ERR_NOT_READY', 'The issuing CA has no key label');
    const key = await deps.keyStore.findKey(issuingLabel);
    if (!key) throw new AppError('CA_ERR_NOT_READY', `The issuing CA key "${issuingLabel}" is not in the ${deps.keyStore.kind} key store`);
    if (!sameBytes(key.publicKeySpki, issuing.info.spki)) {
      throw new AppError('CA_ERR_NOT_READY', `The key "${issuingLabel}" does not match the issuing CA certificate`);
    }
    const rootKey = rootLabel ? await deps.keyStore.findKey(rootLabel) : null;
    return new CertificateAuthority(root, issuing, key, rootKey, deps);
  }

  /** Validates an imported chain and records it; false if another process recorded a CA first. */
  private static async importCa(deps: CaDeps, imp: ImportedCa): Promise<boolean> {
    const root = certificateInfo(imp.rootDer);
    const issuing = certificateInfo(imp.issuingDer);
    // node:crypto's X509Certificate checks the issuing certificate's signature with the root key.
    const rootX509 = new X509Certificate(Buffer.from(imp.rootDer));
    const issuingX509 = new X509Certificate(Buffer.from(imp.issuingDer));
    if (!issuingX509.checkIssued(rootX509) || !issuingX509.verify(rootX509.publicKey)) throw new AppError('CA_ERR_NOT_READY', 'TSC_CA_ISSUING_CERT is not signed by TSC_CA_ROOT_CERT');
    if (!isCaCertificate(issuing)) throw new AppError('CA_ERR_NOT_READY', 'TSC_CA_ISSUING_CERT is not a CA certificate (basicConstraints cA, keyUsage keyCertSign)');
    const key = await deps.keyStore.findKey(imp.issuingKeyLabel);
    if (!key || !sameBytes(key.publicKeySpki, issuing.spki)) {
      throw new AppError('CA_ERR_NOT_READY', 'The imported issuing CA key is missing or does not match TSC_CA_ISSUING_CERT');
    }
    const now = deps.clock.now();
    return deps.store.transaction(async (tx) => {
      if (!(await tx.ca.insert({ name: 'root', certDer: imp.rootDer, keyLabel: null, createdAt: now }))) return false;
      await tx.ca.insert({ name: 'issuing', certDer: imp.issuingDer, keyLabel: imp.issuingKeyLabel, createdAt: now });
      await appendAudit(tx, deps.clock, { actor: 'system', action: 'ca.imported', details: { root: root.serialNumberHex, issuing: issuing.serialNumberHex } });
      return true;
    });
  }

  private static async create(deps: CaDeps): Promise<boolean> {
    const s = deps.settings;
    const suffix = randomBytes(4).toString('hex');
    const rootKey = await deps.keyStore.createKey({ algorithm: s.caKeyAlgorithm, purpose: 'ca', label: `tsc-root-ca-${suffix}` });
    const issuingKey = await deps.keyStore.createKey({ algorithm: s.caKeyAlgorithm, purpose: 'ca', label: `tsc-issuing-ca-${suffix}` });
    try {
      const urls = pkiUrls(s.publicUrl);
      const now = wholeSeconds(deps.clock.now());
      // Back-date by one hour so a relying party with a slightly slow clock accepts the chain at once.
      const notBefore = new Date(now.getTime() - 3_600_000);
      const notAfter = new Date(now.getTime() + s.caValidityDays * DAY_MS);
      const rootName: NameSpec = { C: s.country, O: s.providerName.slice(0, 64), CN: `${s.providerName} Root CA`.slice(0, 64) };
      const issuingName: NameSpec = { C: s.country, O: s.providerName.slice(0, 64), CN: `${s.providerName} Issuing CA`.slice(0, 64) };
      const rootDer = await buildCertificate({
        serialNumber: randomSerialNumber(),
        issuer: rootName,
        subject: rootName,
        notBefore,
        notAfter,
        publicKeySpki: rootKey.publicKeySpki,
        extensions: [
          basicConstraints({ ca: true }, true),
          keyUsage(['keyCertSign', 'cRLSign'], true),
          subjectKeyIdentifier(rootKey.publicKeySpki),
        ],
        signer: keyStoreSigner(deps.keyStore, rootKey),
      });
      const rootInfo = certificateInfo(rootDer);
      const issuingDer = await buildCertificate({
        serialNumber: randomSerialNumber(),
        issuer: rootInfo.subject,
        subject: issuingName,
        notBefore,
        // Inside the root's validity (RFC 5280 §6.1.3 checks each certificate at validation time).
        notAfter: new Date(notAfter.getTime() - DAY_MS),
        publicKeySpki: issuingKey.publicKeySpki,
        extensions: [
          basicConstraints({ ca: true, pathLength: 0 }, true),
          keyUsage(['keyCertSign', 'cRLSign'], true),
          subjectKeyIdentifier(issuingKey.publicKeySpki),
          authorityKeyIdentifier(keyIdentifierOf(rootKey.publicKeySpki)),
          crlDistributionPoints([urls.rootCrl]),
          authorityInfoAccess({ caIssuers: [urls.rootCrt] }),
        ],
        signer: keyStoreSigner(deps.keyStore, rootKey),
        issuerPublicKeySpki: rootKey.publicKeySpki,
      });
      const won = await deps.store.transaction(async (tx) => {
        if (!(await tx.ca.insert({ name: 'root', certDer: rootDer, keyLabel: rootKey.label, createdAt: now }))) return false;
        await tx.ca.insert({ name: 'issuing', certDer: issuingDer, keyLabel: issuingKey.label, createdAt: now });
        await appendAudit(tx, deps.clock, {
          actor: 'system', action: 'ca.created',
          details: { root: rootInfo.serialNumberHex, issuing: certificateInfo(issuingDer).serialNumberHex, key_algorithm: s.caKeyAlgorithm, key_store: deps.keyStore.kind },
        });
        return true;
      });
      if (!won) throw new Error('lost the CA creation race');
      return true;
    } catch (e) {
      await Promise.allSettled([deps.keyStore.destroyKey(rootKey.id), deps.keyStore.destroyKey(issuingKey.id)]);
      if (e instanceof Error && e.message === 'lost the CA creation race') return false;
      throw e;
    }
  }

  /** The certificate content for an identity, as issued now (also used to bound sizes). */
  singleUseSpec(identity: IdentityData, profile: CertificateProfile, subjectSpki: Uint8Array, now: Date) {
    const notBefore = wholeSeconds(now);
    return {
      serialNumber: randomSerialNumber(),
      issuer: this.issuing.info.subject,
      subject: singleUseSubject(identity),
      notBefore,
      notAfter: new Date(notBefore.getTime() + this.deps.settings.certValiditySeconds * 1000),
      publicKeySpki: subjectSpki,
      extensions: singleUseExtensions({
        profile, email: identity.email, subjectSpki, issuerKeyIdentifier: this.issuerKeyId, urls: this.urls, pdsUrl: this.deps.settings.pdsUrl,
      }),
    };
  }

  /** Issues a single-use certificate for the request's identity and the given public key. */
  async issue(identity: IdentityData, profile: CertificateProfile, subjectSpki: Uint8Array, now: Date): Promise<IssuedCertificate> {
    const spec = this.singleUseSpec(identity, profile, subjectSpki, now);
    const der = await buildCertificate({ ...spec, signer: this.signer, issuerPublicKeySpki: this.issuing.info.spki });
    return { der, serialHex: certificateInfo(der).serialNumberHex, notBefore: spec.notBefore, notAfter: spec.notAfter };
  }
}
