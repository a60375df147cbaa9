/**
 * CMS signed attributes (RFC 5652 §5.3, §11) for the PAdES and CAdES baseline profiles.
 * The returned bytes are the DER `SET OF Attribute` with its SET tag: exactly what is signed
 * (RFC 5652 §5.4), and what goes into SignerInfo.signedAttrs under the [0] IMPLICIT tag.
 */
import { wholeSeconds } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { assertDigest } from './algorithms.js';
import { children, content, octetString, oid, readOid, readRoot, readTlv, seq, setOf, slice, TAG, x509Time, type Bytes, parsing } from './der.js';
import { signingCertificateV2 } from './ess.js';
import { OID } from './oids.js';
import type { DigestAlgorithmName } from './signer.js';

export interface AttributeSpec {
  oid: string;
  /** Each value is one DER-encoded ASN.1 value. */
  values: Uint8Array[];
}

export type SignatureProfile = 'pades' | 'cades';

export interface SignedAttributesInput {
  profile: SignatureProfile;
  digestAlgorithm: DigestAlgorithmName;
  /** The digest of the content (PDF ByteRange, or the file for a detached CAdES). */
  messageDigest: Uint8Array;
  /** DER of the signer's certificate (bound by ESS signing-certificate-v2). */
  signerCertificate: Uint8Array;
  /**
   * CAdES: the claimed signing time (truncated to whole seconds); ETSI EN 319 122-1 §5.2.1 makes
   * it mandatory for CAdES-B, so callers pass it unless the client explicitly opted out.
   * PAdES: forbidden (ETSI EN 319 142-1 §5.2.1: the time goes in the signature dictionary's /M).
   */
  signingTime?: Date;
  /** eContentType, id-data by default (RFC 5652 §11.1: content-type must match it). */
  contentType?: string;
  /** Extra signed attributes (e.g. the hash flow's otherAuthAttributes). */
  otherAttributes?: AttributeSpec[];
}

const RESERVED: readonly string[] = [OID.contentType, OID.messageDigest, OID.signingCertificateV2, OID.signingTime];

function checkDerValue(v: Uint8Array, attrOid: string): void {
  try {
    readRoot(v);
  } catch (e) {
    throw new AppError('CMS_ERR_MALFORMED', `Attribute ${attrOid} has a value that is not one DER value`, undefined, { cause: e });
  }
}

/** Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue } with the values in DER order. */
export function encodeAttribute(a: AttributeSpec): Bytes {
  if (!a.values.length) throw new AppError('CMS_ERR_MALFORMED', `Attribute ${a.oid} has no value`);
  for (const v of a.values) checkDerValue(v, a.oid);
  return seq(oid(a.oid), setOf(a.values));
}

export function encodeSignedAttributes(input: SignedAttributesInput): Uint8Array {
  assertDigest(input.digestAlgorithm, input.messageDigest);
  if (input.profile !== 'pades' && input.profile !== 'cades')
    throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `Unknown signature profile ${String(input.profile)}`);
  if (input.profile === 'pades' && input.signingTime)
    throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'PAdES signatures must not carry signing-time (ETSI EN 319 142-1 §5.2.1)');
  const attrs: AttributeSpec[] = [
    { oid: OID.contentType, values: [oid(input.contentType ?? OID.data)] },
    { oid: OID.messageDigest, values: [octetString(input.messageDigest)] },
    { oid: OID.signingCertificateV2, values: [signingCertificateV2(input.signerCertificate, input.digestAlgorithm)] },
  ];
  if (input.signingTime) {
    if (Number.isNaN(input.signingTime.getTime())) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Invalid signing time');
    attrs.push({ oid: OID.signingTime, values: [x509Time(wholeSeconds(input.signingTime))] });
  }
  const seen = new Set<string>();
  for (const a of input.otherAttributes ?? []) {
    if (!/^\d+(\.\d+)+$/.test(a.oid)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `Invalid attribute OID ${a.oid}`);
    if (RESERVED.includes(a.oid) || seen.has(a.oid))
      throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `Attribute ${a.oid} is set by the signer or repeated`);
    seen.add(a.oid);
    attrs.push(a);
  }
  return setOf(attrs.map(encodeAttribute));
}

export interface DecodedAttribute {
  oid: string;
  values: Uint8Array[];
}

/** Decodes a DER SET OF Attribute (or the same content under an implicit [0]/[1] tag). */
export function decodeAttributes(der: Uint8Array): DecodedAttribute[] {
  return parsing('attributes', () => decodeAttributesUnchecked(der));
}

function decodeAttributesUnchecked(der: Uint8Array): DecodedAttribute[] {
  const root = readRoot(der);
  return children(der, root).map((a) => {
    const [typeT, valuesT] = children(der, a);
    if (!typeT || !valuesT || valuesT.tag !== TAG.SET) throw new AppError('CMS_ERR_MALFORMED', 'Malformed attribute');
    return { oid: readOid(der, typeT), values: children(der, valuesT).map((v) => slice(der, v)) };
  });
}

/** The first value of attribute `attrOid`, or undefined. */
export function attributeValue(attrs: readonly DecodedAttribute[], attrOid: string): Uint8Array | undefined {
  return attrs.find((a) => a.oid === attrOid)?.values[0];
}

/** The bytes inside an OCTET STRING value (e.g. a message-digest attribute value). */
export function octetStringContent(v: Uint8Array): Uint8Array {
  return parsing('OCTET STRING', () => octetStringContentUnchecked(v));
}

function octetStringContentUnchecked(v: Uint8Array): Uint8Array {
  const t = readTlv(v, 0);
  if (t.tag !== TAG.OCTET_STRING) throw new AppError('CMS_ERR_MALFORMED', 'Expected an OCTET STRING');
  return content(v, t);
}
