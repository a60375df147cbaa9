/** Records the TSC domain works with (the stores in ports.ts persist them). */

/** DESIGN.md §3 status machine; the TSC owns it, the Optimizer mirrors it. */
export const REQUEST_STATUSES = [
  'CREATED', 'VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOERROR', 'VIDEOREVIEW', 'ENROLLREADY', 'ISSUED', 'CANCELLED',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** One-Shot profile names (oneshot-api.md §1.4 #14). */
export const PROFILES = ['PFnubeQAFCiudadano', 'PFnubeNC'] as const;
export type ProfileName = (typeof PROFILES)[number];

export const ID_DOCUMENT_TYPES = ['IDC', 'PAS', 'PNO', 'TIN', 'CI', 'CE'] as const;
export type IdDocumentType = (typeof ID_DOCUMENT_TYPES)[number];

export const LANGUAGES = ['ES', 'EN', 'PL'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface RaoRecord {
  id: number;
  username: string;
  registrationAuthority: number;
  /** Self-describing slow hashes ("scrypt$N$r$p$salt$hash"), never the secret itself. */
  passwordHash: string;
  pinHash: string;
  createdAt: Date;
}

/** Identity data of the signer; stored in the DB only, never logged or cached. */
export interface IdentityData {
  givenName: string;
  surname1: string;
  surname2: string;
  email: string;
  mobilePhoneNumber: string;
  serialNumber: string;
  idDocumentType: IdDocumentType;
  idDocumentCountry: string;
  residence: string;
  residenceCity: string;
  residencePostalCode: string;
  residenceAddress: string;
}

export interface RequestRecord extends IdentityData {
  pk: number;
  status: RequestStatus;
  profile: ProfileName;
  registrationAuthority: number;
  scratchcard: string;
  communicationLanguage: Language;
  videoidMode: boolean;
  registeringRaoId: number;
  approvingRaoId: number | null;
  statusReason: string | null;
  /** Set while one sign call owns the request (ms since epoch); null otherwise. */
  signingSince: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewRequest = Omit<RequestRecord, 'pk' | 'signingSince' | 'approvingRaoId' | 'statusReason'> & {
  approvingRaoId: number | null;
};

export interface OtpRecord {
  requestPk: number;
  codeHmac: string;
  channel: string;
  createdAt: number;
  expiresAt: number;
  attempts: number;
  usedAt: number | null;
}

export type CertificateStatus = 'VALID' | 'REVOKED';

export interface CertificateRecord {
  /** Lower-case hex, no leading zeros beyond DER's. */
  serial: string;
  requestPk: number;
  profile: ProfileName;
  notBefore: Date;
  notAfter: Date;
  der: Uint8Array;
  status: CertificateStatus;
  revokedAt: Date | null;
  revocationReason: string | null;
}

/** A CA certificate kept by the TSC: `root` or `issuing`. */
export interface CaRecord {
  name: 'root' | 'issuing';
  certDer: Uint8Array;
  /** Label of its private key in the key store (null for an imported root without key). */
  keyLabel: string | null;
  createdAt: Date;
}

/** What a service certificate issued by the issuing CA is for (issue 5): the TSA, the delegated OCSP responder. */
export type ServicePurpose = 'tsa' | 'ocsp';

/**
 * A service certificate (TSA unit, OCSP responder). Several may exist per purpose over time: the
 * newest is in use, older ones stay answerable (OCSP "good") until they expire.
 */
export interface ServiceCertRecord {
  purpose: ServicePurpose;
  /** Lower-case hex, as CertificateRecord.serial. */
  serial: string;
  certDer: Uint8Array;
  /** Label of the key in the key store. */
  keyLabel: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
}

export interface AuditEntry {
  seq: number;
  at: string;
  /** Who: "rao:<id>", "client", "admin", "system". Never a name or credential. */
  actor: string;
  action: string;
  requestPk: number | null;
  /** Field names, statuses, serials, counts: never identity data, OTPs, PINs or passwords. */
  details: Record<string, unknown>;
  /**
   * Set by a store when the stored details are not a JSON object (altered behind the service's
   * back): `details` is then empty and the chain check reports the entry as broken.
   */
  detailsUnreadable?: true;
  prevHash: string;
  hash: string;
}
