/**
 * Reads a CMS ContentInfo(SignedData) (RFC 5652 §5) into plain values, keeping every embedded
 * structure as its original bytes (the signed attributes re-tagged as the SET that was signed).
 */
import { AppError } from '../../shared/errors.js';
import { digestNameOfOid } from './algorithms.js';
import { children, content, integerValue, readOid, readRoot, readTime, slice, TAG, tlv, type Bytes, type Tlv, parsing } from './der.js';
import { OID } from './oids.js';
import { attributeValue, decodeAttributes, octetStringContent, type DecodedAttribute } from './signed-attributes.js';
import type { DigestAlgorithmName } from './signer.js';

export type SignerIdentifier = { issuer: Bytes; serialNumberHex: string } | { subjectKeyIdentifier: Bytes };

export interface ParsedSignerInfo {
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: string;
  digestAlgorithmName: DigestAlgorithmName | null;
  /** The DER SET OF Attribute that the signature covers (RFC 5652 §5.4), if signed attributes are present. */
  signedAttributes?: Bytes;
  signedAttrs: DecodedAttribute[];
  signatureAlgorithm: string;
  signature: Bytes;
  unsignedAttrs: DecodedAttribute[];
  /** Convenience: the message-digest and signing-time attribute values, when present. */
  messageDigest?: Bytes;
  signingTime?: Date;
  contentType?: string;
}

export interface ParsedSignedData {
  version: number;
  digestAlgorithms: string[];
  contentType: string;
  /** eContent, when encapsulated (e.g. the TSTInfo of a time-stamp token). */
  content?: Bytes;
  certificates: Bytes[];
  crls: Bytes[];
  signerInfos: ParsedSignerInfo[];
}

const bad = (why: string, cause?: unknown) => new AppError('CMS_ERR_MALFORMED', `Malformed CMS: ${why}`, undefined, { cause });

function parseSignerInfo(buf: Bytes, t: Tlv): ParsedSignerInfo {
  const k = children(buf, t);
  const [versionT, sidT, digT] = k;
  if (!versionT || !sidT || !digT) throw bad('SignerInfo too short');
  let i = 3;
  let signedAttributes: Bytes | undefined;
  if (k[i]?.tag === 0xa0) {
    signedAttributes = tlv(TAG.SET, content(buf, k[i]!));
    i++;
  }
  const sigAlgT = k[i++];
  const sigT = k[i++];
  if (!sigAlgT || !sigT || sigT.tag !== TAG.OCTET_STRING) throw bad('SignerInfo without signature');
  const unsignedT = k[i]?.tag === 0xa1 ? k[i] : undefined;
  let sid: SignerIdentifier;
  if (sidT.tag === TAG.SEQUENCE) {
    const [issuerT, serialT] = children(buf, sidT);
    sid = { issuer: slice(buf, issuerT!), serialNumberHex: Buffer.from(content(buf, serialT!)).toString('hex') };
  } else if (sidT.tag === 0x80) sid = { subjectKeyIdentifier: content(buf, sidT) };
  else throw bad('unknown SignerIdentifier');
  const digestAlgorithm = readOid(buf, children(buf, digT)[0]!);
  const signedAttrs = signedAttributes ? decodeAttributes(signedAttributes) : [];
  const unsignedAttrs = unsignedT ? decodeAttributes(tlv(TAG.SET, content(buf, unsignedT))) : [];
  const out: ParsedSignerInfo = {
    version: integerValue(buf, versionT),
    sid,
    digestAlgorithm,
    digestAlgorithmName: digestNameOfOid(digestAlgorithm),
    signedAttributes,
    signedAttrs,
    signatureAlgorithm: readOid(buf, children(buf, sigAlgT)[0]!),
    signature: content(buf, sigT),
    unsignedAttrs,
  };
  const md = attributeValue(signedAttrs, OID.messageDigest);
  if (md) out.messageDigest = octetStringContent(md);
  const st = attributeValue(signedAttrs, OID.signingTime);
  if (st) out.signingTime = readTime(st, readRoot(st));
  const ct = attributeValue(signedAttrs, OID.contentType);
  if (ct) out.contentType = readOid(ct, readRoot(ct));
  return out;
}

export function parseSignedData(cmsDer: Uint8Array): ParsedSignedData {
  return parsing('CMS', () => parseSignedDataUnchecked(cmsDer));
}

function parseSignedDataUnchecked(cmsDer: Uint8Array): ParsedSignedData {
  const buf = cmsDer;
  const root = readRoot(buf);
  const [typeT, wrap] = children(buf, root);
  if (!typeT || !wrap || readOid(buf, typeT) !== OID.signedData) throw bad('not SignedData');
  const sdT = children(buf, wrap)[0]!;
  const f = children(buf, sdT);
  const [versionT, digestsT, encapT] = f;
  if (!versionT || !digestsT || !encapT) throw bad('SignedData too short');
  const encap = children(buf, encapT);
  const out: ParsedSignedData = {
    version: integerValue(buf, versionT),
    digestAlgorithms: children(buf, digestsT).map((a) => readOid(buf, children(buf, a)[0]!)),
    contentType: readOid(buf, encap[0]!),
    certificates: [],
    crls: [],
    signerInfos: [],
  };
  if (encap[1]) {
    const os = children(buf, encap[1])[0]!;
    // BER producers may split eContent into constructed OCTET STRING segments (X.690 §8.7.3).
    out.content = os.tag === TAG.OCTET_STRING ? content(buf, os).slice() : Buffer.concat(children(buf, os).map((s) => content(buf, s)));
  }
  for (const t of f.slice(3)) {
    if (t.tag === 0xa0) out.certificates = children(buf, t).map((c) => slice(buf, c));
    else if (t.tag === 0xa1) out.crls = children(buf, t).map((c) => slice(buf, c));
    else if (t.tag === TAG.SET) out.signerInfos = children(buf, t).map((s) => parseSignerInfo(buf, s));
  }
  return out;
}
