/**
 * Reads the pieces of a DER certificate that the builders reuse byte-for-byte (issuer and
 * subject Names, serial INTEGER, SubjectPublicKeyInfo, key identifiers), without re-encoding it
 * (RFC 5280 §4.1).
 */
import { AppError } from '../../shared/errors.js';
import { children, content, readOid, readRoot, readTime, slice, TAG, type Bytes, type Tlv, integerHex, parsing } from './der.js';
import { hash } from './algorithms.js';
import { OID } from './oids.js';

export interface CertificateInfo {
  der: Bytes;
  /** The TBSCertificate, exactly as signed. */
  tbs: Bytes;
  /** The serial number INTEGER TLV. */
  serialNumberDer: Bytes;
  /** Hex of the serial's content octets (lowercase). */
  serialNumberHex: string;
  /** Issuer and subject Name TLVs. */
  issuer: Bytes;
  subject: Bytes;
  /** DER SubjectPublicKeyInfo. */
  spki: Bytes;
  /** The subjectPublicKey BIT STRING value without its unused-bits octet (RFC 6960 §4.2.1 KeyHash input). */
  publicKeyBits: Bytes;
  notBefore: Date;
  notAfter: Date;
  signatureAlgorithm: string;
  /** The issuer's signature (BIT STRING value without its unused-bits octet). */
  signatureValue: Bytes;
  /** Extensions by OID: criticality and the extnValue OCTET STRING content. */
  extensions: Map<string, { critical: boolean; value: Bytes }>;
}

function fail(why: string, cause?: unknown): never {
  throw new AppError('CMS_ERR_MALFORMED', `Malformed certificate: ${why}`, undefined, { cause });
}

export function certificateInfo(der: Uint8Array): CertificateInfo {
  return parsing('certificate', () => certificateInfoUnchecked(der));
}

function certificateInfoUnchecked(der: Uint8Array): CertificateInfo {
  let root: Tlv;
  try {
    root = readRoot(der);
  } catch (e) {
    fail('not DER', e);
  }
  const top = children(der, root);
  if (root.tag !== TAG.SEQUENCE || top.length !== 3 || top[0]!.tag !== TAG.SEQUENCE) fail('not a Certificate');
  const tbsT = top[0]!;
  const f = children(der, tbsT);
  let i = 0;
  if (f[0]?.tag === 0xa0) i++; // [0] EXPLICIT version
  const [serialT, sigT, issuerT, validityT, subjectT, spkiT] = f.slice(i, i + 6);
  if (!serialT || !sigT || !issuerT || !validityT || !subjectT || !spkiT) fail('TBSCertificate too short');
  const [nb, na] = children(der, validityT);
  if (!nb || !na) fail('bad validity');
  const spkiKids = children(der, spkiT);
  const bits = spkiKids[1];
  if (!bits || bits.tag !== TAG.BIT_STRING) fail('bad SubjectPublicKeyInfo');
  const extensions = new Map<string, { critical: boolean; value: Bytes }>();
  const extWrap = f.slice(i + 6).find((t) => t.tag === 0xa3);
  if (extWrap) {
    const seq = children(der, extWrap)[0];
    if (seq) {
      for (const e of children(der, seq)) {
        const parts = children(der, e);
        const critical = parts.length === 3 && parts[1]!.tag === TAG.BOOLEAN && content(der, parts[1]!)[0] !== 0;
        const valueT = parts[parts.length - 1]!;
        extensions.set(readOid(der, parts[0]!), { critical, value: content(der, valueT) });
      }
    }
  }
  return {
    der,
    tbs: slice(der, tbsT),
    serialNumberDer: slice(der, serialT),
    serialNumberHex: integerHex(der, serialT),
    issuer: slice(der, issuerT),
    subject: slice(der, subjectT),
    spki: slice(der, spkiT),
    publicKeyBits: content(der, bits).subarray(1),
    notBefore: readTime(der, nb),
    notAfter: readTime(der, na),
    signatureAlgorithm: readOid(der, children(der, top[1]!)[0]!),
    signatureValue: content(der, top[2]!).subarray(1),
    extensions,
  };
}

/**
 * The certificate's subjectKeyIdentifier if present, else RFC 5280 §4.2.1.2 method (1):
 * SHA-1 of the subjectPublicKey bits.
 */
export function subjectKeyIdentifierOf(cert: CertificateInfo): Bytes {
  const ext = cert.extensions.get(OID.subjectKeyIdentifier);
  if (ext) {
    const t = readRoot(ext.value);
    if (t.tag === TAG.OCTET_STRING) return content(ext.value, t);
  }
  return hash('sha1', cert.publicKeyBits);
}
