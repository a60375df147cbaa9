/**
 * What goes into a single-use certificate (issue 2 §2): the subject built from the request's
 * identity data and the extensions of its profile. The ASN.1 itself is lib/cms's job; this file
 * only decides the content.
 *
 * Subject (ETSI EN 319 412-2 §4.2.4 natural person): C, serialNumber with the semantics of
 * EN 319 412-1 §5.1.3 (e.g. "IDCES-12345678A"), surname, givenName, CN "GIVEN SURNAME1 SURNAME2".
 */
import {
  authorityInfoAccess, authorityKeyIdentifier, basicConstraints, certificatePolicies, crlDistributionPoints, etsiPersonIdentifier,
  keyUsage, qcStatements, subjectAltName, subjectKeyIdentifier, type ExtensionSpec, type NameSpec,
} from '../../../lib/cms/index.js';
import type { IdentityData } from '../model.js';
import type { CertificateProfile } from './profiles.js';

export interface PkiUrls {
  rootCrt: string;
  issuingCrt: string;
  ocsp: string;
  rootCrl: string;
  issuingCrl: string;
}

/** The public URLs every certificate points at (served by the TSC's /pki and /ocsp routes). */
export function pkiUrls(publicUrl: string): PkiUrls {
  const u = publicUrl.replace(/\/+$/, '');
  return {
    rootCrt: `${u}/pki/root.crt`,
    issuingCrt: `${u}/pki/issuing.crt`,
    ocsp: `${u}/ocsp`,
    rootCrl: `${u}/pki/crl/root.crl`,
    issuingCrl: `${u}/pki/crl/issuing.crl`,
  };
}

/** RFC 5280 ub-common-name: 64 characters. Cut on a code point boundary. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = s.slice(0, max);
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return out.trimEnd();
}

/**
 * EN 319 412-1 §5.1.3: a 3-letter identity type (PAS, IDC, PNO, TIN) + country + "-" + number, or
 * for a national scheme a 2-character code followed by ":" (here CI and CE: "CI:CO-12345").
 */
export function personIdentifier(type: string, country: string, number: string): string {
  return type.length === 3 ? etsiPersonIdentifier(type, country, number) : `${type}:${country}-${number}`;
}

export function singleUseSubject(id: IdentityData): NameSpec {
  const surname = [id.surname1, id.surname2].filter((s) => s.length > 0).join(' ');
  return {
    C: id.idDocumentCountry,
    serialNumber: personIdentifier(id.idDocumentType, id.idDocumentCountry, id.serialNumber),
    surname,
    givenName: id.givenName,
    CN: clip(`${id.givenName} ${surname}`.toUpperCase(), 64),
  };
}

export interface SingleUseExtensionsInput {
  profile: CertificateProfile;
  email: string;
  subjectSpki: Uint8Array;
  issuerKeyIdentifier: Uint8Array;
  urls: PkiUrls;
  /** PKI disclosure statement (EN 319 412-5 §4.3.4: https). */
  pdsUrl: string;
}

export function singleUseExtensions(x: SingleUseExtensionsInput): ExtensionSpec[] {
  const ext: ExtensionSpec[] = [
    basicConstraints({ ca: false }, true),
    // EN 319 412-2 §4.3.2: nonRepudiation (contentCommitment) for signatures with legal effect; critical.
    keyUsage(['nonRepudiation'], true),
    subjectKeyIdentifier(x.subjectSpki),
    authorityKeyIdentifier(x.issuerKeyIdentifier),
    certificatePolicies(x.profile.policyOids.map((oid) => ({ oid }))),
    subjectAltName({ email: [x.email] }),
    authorityInfoAccess({ ocsp: [x.urls.ocsp], caIssuers: [x.urls.issuingCrt] }),
    crlDistributionPoints([x.urls.issuingCrl]),
  ];
  if (x.profile.qualified) {
    // EN 319 412-5 §4.2.1 QcCompliance, §4.2.2 QcSSCD, §4.2.3 QcType esign, §4.3.4 QcPDS;
    // EN 319 412-1 §5.1 semantics identifier for the natural person's serialNumber.
    ext.push(qcStatements({ compliance: true, sscd: true, type: 'esign', pds: [{ url: x.pdsUrl, language: 'en' }], semantics: 'natural' }));
  }
  return ext;
}
