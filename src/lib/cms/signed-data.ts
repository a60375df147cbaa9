/**
 * CMS SignedData (RFC 5652 §5) wrapped in a ContentInfo: detached for PAdES/CAdES signatures,
 * encapsulated for time-stamp tokens (RFC 3161 §2.4.2). Certificates are embedded byte-for-byte.
 */
import { AppError } from '../../shared/errors.js';
import { digestAlgorithmDer, signatureAlgorithmDer } from './algorithms.js';
import { certificateInfo } from './certificate-info.js';
import {
  bytesEqual, children, concat, content, explicit, implicitConstructed, octetString, oid, readRoot, seq, setOf,
  smallInteger, sortDer, TAG, tlv, withChildReplaced, parsing, type Bytes,
} from './der.js';
import { OID } from './oids.js';
import { verifyRaw } from './verify.js';
import { decodeAttributes, encodeAttribute, encodeSignedAttributes, type AttributeSpec, type SignedAttributesInput } from './signed-attributes.js';
import type { CmsKeyAlgorithm, CmsSigner, DigestAlgorithmName } from './signer.js';

export interface AssembleSignedDataInput {
  /** The DER SET OF Attribute that was signed (from encodeSignedAttributes). */
  signedAttributes: Uint8Array;
  signature: Uint8Array;
  signerCertificate: Uint8Array;
  /** Further certificates (the chain); the signer's certificate is always included. */
  certificates: Uint8Array[];
  digestAlgorithm: DigestAlgorithmName;
  keyAlgorithm: CmsKeyAlgorithm;
  unsignedAttributes?: AttributeSpec[];
  /**
   * Verify the signature against the certificate's key before returning (default true): a
   * key/certificate mismatch in the HSM wiring must fail here, not in a relying party.
   */
  verify?: boolean;
}

export interface EncapsulatedContent {
  /** eContentType; id-data for a detached signature. */
  contentType: string;
  /** eContent; absent for a detached signature. */
  content?: Uint8Array;
  /** false leaves the certificates field out (an RFC 3161 reply to a request without certReq). */
  includeCertificates?: boolean;
}

/** Checks `signature` over `data` with the certificate's public key (ECDSA DER or PKCS#1 v1.5). */
export function verifyWithCertificate(cert: Uint8Array, data: Uint8Array, signature: Uint8Array, hash: DigestAlgorithmName): boolean {
  return verifyRaw(certificateInfo(cert).spki, data, signature, hash);
}

export function assembleSignedData(input: AssembleSignedDataInput): Uint8Array {
  return assembleSignedDataWith(input, { contentType: OID.data });
}

/** assembleSignedData with a chosen encapsulated content (the TSA uses id-ct-TSTInfo + eContent). */
export function assembleSignedDataWith(input: AssembleSignedDataInput, encap: EncapsulatedContent): Uint8Array {
  const attrsRoot = readRoot(input.signedAttributes);
  if (attrsRoot.tag !== TAG.SET) throw new AppError('CMS_ERR_MALFORMED', 'Signed attributes must be a DER SET OF Attribute');
  if (input.verify !== false && !verifyWithCertificate(input.signerCertificate, input.signedAttributes, input.signature, input.digestAlgorithm))
    throw new AppError('CMS_ERR_SIGNATURE_MISMATCH', 'The signature does not verify with the signer certificate');
  const cert = certificateInfo(input.signerCertificate);
  const digestAlg = digestAlgorithmDer(input.digestAlgorithm);
  const unsigned = input.unsignedAttributes?.length
    ? [implicitConstructed(1, concat(sortDer(input.unsignedAttributes.map(encodeAttribute))))]
    : [];
  // RFC 5652 §5.3: version 1 with sid = issuerAndSerialNumber.
  const signerInfo = seq(
    smallInteger(1),
    seq(cert.issuer, cert.serialNumberDer),
    digestAlg,
    implicitConstructed(0, content(input.signedAttributes, attrsRoot)),
    signatureAlgorithmDer(input.keyAlgorithm, input.digestAlgorithm),
    octetString(input.signature),
    ...unsigned,
  );
  const certs: Bytes[] = [];
  for (const c of [input.signerCertificate, ...input.certificates]) {
    certificateInfo(c); // each one must at least be a certificate
    if (!certs.some((x) => bytesEqual(x, c))) certs.push(c);
  }
  const encapContentInfo = seq(
    oid(encap.contentType),
    ...(encap.content ? [explicit(0, octetString(encap.content))] : []),
  );
  // RFC 5652 §5.1: version 3 when eContentType is not id-data, else 1 (plain certificates only).
  const version = encap.contentType === OID.data ? 1 : 3;
  const signedData = seq(
    smallInteger(version),
    setOf([digestAlg]),
    encapContentInfo,
    ...(encap.includeCertificates === false ? [] : [implicitConstructed(0, concat(sortDer(certs)))]),
    setOf([signerInfo]),
  );
  return seq(oid(OID.signedData), explicit(0, signedData));
}

export interface SignDigestInput extends SignedAttributesInput {
  signer: CmsSigner;
  /** The chain to embed (issuing CA, root...); the signer certificate is added automatically. */
  certificates: Uint8Array[];
  unsignedAttributes?: AttributeSpec[];
}

/** Builds the signed attributes, signs them through `signer`, and assembles the detached CMS. */
export async function signDigest(input: SignDigestInput): Promise<Uint8Array> {
  const signedAttributes = encodeSignedAttributes(input);
  const signature = await input.signer.sign(signedAttributes, input.digestAlgorithm);
  return assembleSignedData({
    signedAttributes,
    signature,
    signerCertificate: input.signerCertificate,
    certificates: input.certificates,
    digestAlgorithm: input.digestAlgorithm,
    keyAlgorithm: input.signer.keyAlgorithm,
    unsignedAttributes: input.unsignedAttributes,
  });
}

// ---------------------------------------------------------------- reading and amending

interface Located {
  buf: Bytes;
  contentInfo: ReturnType<typeof readRoot>;
  explicit0: ReturnType<typeof readRoot>;
  signedData: ReturnType<typeof readRoot>;
  signerInfos: ReturnType<typeof readRoot>;
  signerInfo: ReturnType<typeof readRoot>;
}

function locate(cmsDer: Uint8Array): Located {
  const buf = cmsDer;
  const contentInfo = readRoot(buf);
  const ci = children(buf, contentInfo);
  if (contentInfo.tag !== TAG.SEQUENCE || ci.length !== 2 || ci[1]!.tag !== 0xa0)
    throw new AppError('CMS_ERR_MALFORMED', 'Not a CMS ContentInfo');
  const [typeT, explicit0] = ci as [typeof contentInfo, typeof contentInfo];
  if (!bytesEqual(buf.subarray(typeT.start, typeT.end), oid(OID.signedData)))
    throw new AppError('CMS_ERR_MALFORMED', 'ContentInfo does not hold SignedData');
  const signedData = children(buf, explicit0)[0];
  if (!signedData || signedData.tag !== TAG.SEQUENCE) throw new AppError('CMS_ERR_MALFORMED', 'Malformed SignedData');
  const sd = children(buf, signedData);
  const signerInfos = sd[sd.length - 1]!;
  if (signerInfos.tag !== TAG.SET) throw new AppError('CMS_ERR_MALFORMED', 'Malformed SignedData: no signerInfos');
  const signerInfo = children(buf, signerInfos)[0];
  if (!signerInfo) throw new AppError('CMS_ERR_MALFORMED', 'SignedData has no SignerInfo');
  return { buf, contentInfo, explicit0, signedData, signerInfos, signerInfo };
}

/** The SignatureValue of the first SignerInfo (what a signature time-stamp covers, RFC 3161 App. A). */
export function signatureValueOf(cmsDer: Uint8Array): Uint8Array {
  return parsing('CMS', () => signatureValueOfUnchecked(cmsDer));
}

function signatureValueOfUnchecked(cmsDer: Uint8Array): Uint8Array {
  const { buf, signerInfo } = locate(cmsDer);
  const sig = children(buf, signerInfo).find((t) => t.tag === TAG.OCTET_STRING);
  if (!sig) throw new AppError('CMS_ERR_MALFORMED', 'SignerInfo has no signature');
  return content(buf, sig).slice();
}

/**
 * Adds an unsigned attribute to the first SignerInfo (e.g. id-aa-signatureTimeStampToken,
 * RFC 3161 App. A / ETSI EN 319 122-1 §5.3) and re-wraps the parents; every other byte, the
 * signed attributes and the certificates included, is kept as it was.
 */
export function addUnsignedAttribute(cmsDer: Uint8Array, attrOid: string, valueDer: Uint8Array): Uint8Array {
  return parsing('CMS', () => addUnsignedAttributeUnchecked(cmsDer, attrOid, valueDer));
}

function addUnsignedAttributeUnchecked(cmsDer: Uint8Array, attrOid: string, valueDer: Uint8Array): Uint8Array {
  const { buf, signedData, signerInfos, signerInfo, explicit0 } = locate(cmsDer);
  const siKids = children(buf, signerInfo);
  const last = siKids[siKids.length - 1]!;
  const attr = encodeAttribute({ oid: attrOid, values: [valueDer] });
  let newSignerInfo: Bytes;
  if (last.tag === 0xa1) {
    const existing = children(buf, last).map((t) => buf.subarray(t.start, t.end));
    newSignerInfo = withChildReplaced(buf, signerInfo, siKids.length - 1, implicitConstructed(1, concat(sortDer([...existing, attr]))));
  } else {
    newSignerInfo = withChildReplaced(buf, signerInfo, siKids.length, implicitConstructed(1, attr));
  }
  const siIndex = children(buf, signerInfos).findIndex((t) => t.start === signerInfo.start);
  const newSignerInfos = tlv(TAG.SET, concat(sortDer(children(buf, signerInfos).map((t, i) => (i === siIndex ? newSignerInfo : buf.subarray(t.start, t.end))))));
  const sdKids = children(buf, signedData);
  const newSignedData = withChildReplaced(buf, signedData, sdKids.length - 1, newSignerInfos);
  const ciKids = children(buf, readRoot(buf));
  return seq(buf.subarray(ciKids[0]!.start, ciKids[0]!.end), tlv(explicit0.tag, newSignedData));
}

export { decodeAttributes };
