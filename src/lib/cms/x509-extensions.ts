/**
 * Certificate extensions (RFC 5280 §4.2) and the EU qualified-certificate statements
 * (RFC 3739 §3.2.6, ETSI EN 319 412-5 §4). Each helper returns an ExtensionSpec whose `value`
 * is the DER that goes inside extnValue's OCTET STRING.
 */
import { AppError } from '../../shared/errors.js';
import { hash } from './algorithms.js';
import {
  booleanTrue, children, content, derNull, explicit, ia5String, implicitConstructed, namedBitString, octetString, oid,
  printableString, readOid, readRoot, seq, smallInteger, TAG, tlv, utf8String, type Bytes, parsing,
} from './der.js';
import { OID } from './oids.js';

export interface ExtensionSpec {
  oid: string;
  critical: boolean;
  /** DER of the extension value (the content of extnValue). */
  value: Uint8Array;
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
export function encodeExtension(e: ExtensionSpec): Bytes {
  try {
    readRoot(e.value);
  } catch (err) {
    throw new AppError('CMS_ERR_MALFORMED', `Extension ${e.oid} value is not one DER value`, undefined, { cause: err });
  }
  // DER omits the DEFAULT FALSE (X.690 §11.5).
  return seq(oid(e.oid), ...(e.critical ? [booleanTrue()] : []), octetString(e.value));
}

/** Any extension given as its DER value. */
export const extension = (extOid: string, value: Uint8Array, critical = false): ExtensionSpec => ({ oid: extOid, critical, value });

/** RFC 5280 §4.2.1.9; critical (MUST for CA certificates). */
export function basicConstraints(opts: { ca: boolean; pathLength?: number }, critical = true): ExtensionSpec {
  const parts: Bytes[] = [];
  if (opts.ca) parts.push(booleanTrue());
  if (opts.ca && opts.pathLength !== undefined) parts.push(smallInteger(opts.pathLength));
  return { oid: OID.basicConstraints, critical, value: seq(...parts) };
}

export type KeyUsageName =
  | 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement'
  | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';
const KEY_USAGE_BITS: Record<KeyUsageName, number> = {
  digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3, keyAgreement: 4,
  keyCertSign: 5, cRLSign: 6, encipherOnly: 7, decipherOnly: 8,
};

/** RFC 5280 §4.2.1.3 (SHOULD be critical). nonRepudiation is X.509's contentCommitment. */
export function keyUsage(usages: KeyUsageName[], critical = true): ExtensionSpec {
  const bits = usages.map((u) => {
    const b = KEY_USAGE_BITS[u];
    if (b === undefined) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `Unknown key usage ${u}`);
    return b;
  });
  return { oid: OID.keyUsage, critical, value: namedBitString(bits) };
}

/** RFC 5280 §4.2.1.12; the TSA certificate's id-kp-timeStamping must be critical (RFC 3161 §2.3). */
export function extKeyUsage(purposes: string[], critical = false): ExtensionSpec {
  return { oid: OID.extKeyUsage, critical, value: seq(...purposes.map(oid)) };
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
export function keyIdentifierOf(spki: Uint8Array): Bytes {
  return parsing('SubjectPublicKeyInfo', () => keyIdentifierOfUnchecked(spki));
}

function keyIdentifierOfUnchecked(spki: Uint8Array): Bytes {
  const root = readRoot(spki);
  const bits = children(spki, root)[1];
  if (!bits || bits.tag !== TAG.BIT_STRING) throw new AppError('CMS_ERR_MALFORMED', 'Malformed SubjectPublicKeyInfo');
  return hash('sha1', content(spki, bits).subarray(1));
}

export function subjectKeyIdentifier(spki: Uint8Array): ExtensionSpec {
  return { oid: OID.subjectKeyIdentifier, critical: false, value: octetString(keyIdentifierOf(spki)) };
}

/** RFC 5280 §4.2.1.1: keyIdentifier [0] IMPLICIT, equal to the issuer's subjectKeyIdentifier. */
export function authorityKeyIdentifier(keyIdentifier: Uint8Array): ExtensionSpec {
  return { oid: OID.authorityKeyIdentifier, critical: false, value: seq(tlv(0x80, keyIdentifier)) };
}

export interface PolicySpec {
  oid: string;
  /** CPS pointer qualifier (RFC 5280 §4.2.1.4 id-qt-cps). */
  cpsUri?: string;
  /** User notice explicitText (UTF8String, at most 200 characters). */
  userNotice?: string;
}

/** RFC 5280 §4.2.1.4 (non-critical, as ETSI EN 319 412-2 §4.3.3 requires). */
export function certificatePolicies(policies: PolicySpec[]): ExtensionSpec {
  const infos = policies.map((p) => {
    const quals: Bytes[] = [];
    if (p.cpsUri) quals.push(seq(oid(OID.cpsQualifier), ia5String(p.cpsUri)));
    if (p.userNotice !== undefined) {
      if (p.userNotice.length < 1 || p.userNotice.length > 200) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'explicitText is 1..200 characters');
      quals.push(seq(oid(OID.userNoticeQualifier), seq(utf8String(p.userNotice))));
    }
    return seq(oid(p.oid), ...(quals.length ? [seq(...quals)] : []));
  });
  return { oid: OID.certificatePolicies, critical: false, value: seq(...infos) };
}

const uriName = (uri: string): Bytes => {
  if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(uri)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `Not a URI: ${uri}`);
  return ia5String(uri, 0x86); // GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String
};

/** RFC 5280 §4.2.1.13: one DistributionPoint per URL, each with a fullName URI. */
export function crlDistributionPoints(urls: string[]): ExtensionSpec {
  const points = urls.map((u) => seq(explicit(0, implicitConstructed(0, uriName(u)))));
  return { oid: OID.cRLDistributionPoints, critical: false, value: seq(...points) };
}

/** RFC 5280 §4.2.2.1: id-ad-ocsp and id-ad-caIssuers access descriptions. */
export function authorityInfoAccess(opts: { ocsp?: string[]; caIssuers?: string[] }): ExtensionSpec {
  const ads = [
    ...(opts.ocsp ?? []).map((u) => seq(oid(OID.adOcsp), uriName(u))),
    ...(opts.caIssuers ?? []).map((u) => seq(oid(OID.adCaIssuers), uriName(u))),
  ];
  if (!ads.length) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'authorityInfoAccess needs at least one URL');
  return { oid: OID.authorityInfoAccess, critical: false, value: seq(...ads) };
}

/** RFC 5280 §4.2.1.6: rfc822Name [1], dNSName [2], URI [6]. */
export function subjectAltName(names: { email?: string[]; dns?: string[]; uri?: string[] }): ExtensionSpec {
  const gns: Bytes[] = [];
  for (const e of names.email ?? []) {
    if (!/^[^\s@]+@[^\s@]+$/.test(e)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Invalid e-mail address for subjectAltName');
    gns.push(ia5String(e, 0x81));
  }
  for (const d of names.dns ?? []) gns.push(ia5String(d, 0x82));
  for (const u of names.uri ?? []) gns.push(uriName(u));
  if (!gns.length) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'subjectAltName needs at least one name');
  return { oid: OID.subjectAltName, critical: false, value: seq(...gns) };
}

export interface QcStatementsSpec {
  /** esi4-qcStatement-1 QcCompliance: an EU qualified certificate. */
  compliance?: boolean;
  /** esi4-qcStatement-4 QcSSCD: the private key lives in a QSCD. */
  sscd?: boolean;
  /** esi4-qcStatement-6 QcType. */
  type?: 'esign' | 'eseal';
  /** esi4-qcStatement-5 QcPDS: PKI disclosure statements (https URL + ISO 639-1 language). */
  pds?: { url: string; language: string }[];
  /**
   * RFC 3739 pkixQCSyntax-v2 with the ETSI semantics identifier (EN 319 412-1 §5.1):
   * 'natural' = id-etsi-qcs-semanticsId-Natural, 'legal' = id-etsi-qcs-semanticsId-Legal.
   */
  semantics?: 'natural' | 'legal';
}

/** RFC 3739 §3.2.6 QCStatements; statements without info carry no statementInfo at all. */
export function qcStatements(spec: QcStatementsSpec): ExtensionSpec {
  const st: Bytes[] = [];
  if (spec.semantics)
    st.push(seq(oid(OID.pkixQcSyntaxV2), seq(oid(spec.semantics === 'natural' ? OID.etsiSemanticsNatural : OID.etsiSemanticsLegal))));
  if (spec.compliance) st.push(seq(oid(OID.qcCompliance)));
  if (spec.sscd) st.push(seq(oid(OID.qcSscd)));
  if (spec.type) st.push(seq(oid(OID.qcType), seq(oid(spec.type === 'esign' ? OID.qcTypeEsign : OID.qcTypeEseal))));
  if (spec.pds?.length) {
    const locs = spec.pds.map((p) => {
      if (!/^[a-z]{2}$/i.test(p.language)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'PDS language is an ISO 639-1 code');
      if (!/^https:\/\/\S+$/.test(p.url)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'PDS URL must be https (EN 319 412-5 §4.3.4)');
      return seq(ia5String(p.url), printableString(p.language.toLowerCase()));
    });
    st.push(seq(oid(OID.qcPds), seq(...locs)));
  }
  if (!st.length) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'qcStatements needs at least one statement');
  return { oid: OID.qcStatements, critical: false, value: seq(...st) };
}

/** RFC 6960 §4.2.2.2.1 id-pkix-ocsp-nocheck for the delegated OCSP responder certificate. */
export function ocspNoCheck(): ExtensionSpec {
  return { oid: OID.ocspNoCheck, critical: false, value: derNull() };
}

/** Reads the extensions of an Extensions SEQUENCE back into specs (used by tests and parsers). */
export function decodeExtensions(der: Uint8Array): ExtensionSpec[] {
  return parsing('extensions', () => decodeExtensionsUnchecked(der));
}

function decodeExtensionsUnchecked(der: Uint8Array): ExtensionSpec[] {
  const root = readRoot(der);
  return children(der, root).map((e) => {
    const parts = children(der, e);
    const critical = parts.length === 3 && content(der, parts[1]!)[0] !== 0;
    return { oid: readOid(der, parts[0]!), critical, value: content(der, parts[parts.length - 1]!) };
  });
}
