/**
 * ESS signing-certificate-v2 (RFC 5035 §3): binds the signer's certificate into the signed
 * attributes. Required by CAdES and PAdES baseline signatures (ETSI EN 319 122-1 §5.2.2) and by
 * RFC 5816 in time-stamp tokens.
 *
 *   SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
 *   ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 *                              certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
 *   IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
 */
import { digestAlgorithmDer, digestNameOfOid, hash } from './algorithms.js';
import { certificateInfo } from './certificate-info.js';
import { children, content, explicit, octetString, readOid, readRoot, seq, slice, TAG, type Bytes, parsing } from './der.js';
import type { DigestAlgorithmName } from './signer.js';

/** The attribute value (one SigningCertificateV2) for `certificate`, hashed with `hashAlg`. */
export function signingCertificateV2(certificate: Bytes, hashAlg: DigestAlgorithmName = 'sha256'): Bytes {
  const cert = certificateInfo(certificate);
  // GeneralName directoryName is [4] and Name is a CHOICE, so the tag is explicit (RFC 5280 App. A.2).
  const issuerSerial = seq(seq(explicit(4, cert.issuer)), cert.serialNumberDer);
  // DER omits a DEFAULT value (X.690 §11.5): sha256 is the default hashAlgorithm.
  const alg = hashAlg === 'sha256' ? [] : [digestAlgorithmDer(hashAlg)];
  const essCertId = seq(...alg, octetString(hash(hashAlg, certificate)), issuerSerial);
  return seq(seq(essCertId));
}

export interface EssCertId {
  hashAlgorithm: DigestAlgorithmName | string;
  certHash: Bytes;
  /** Issuer Name DER and serial hex when issuerSerial is present. */
  issuer?: Bytes;
  serialNumberHex?: string;
}

/** Parses a SigningCertificateV2 value (the certs list; policies are ignored). */
export function parseSigningCertificateV2(value: Bytes): EssCertId[] {
  return parsing('signing-certificate-v2 attribute', () => parseSigningCertificateV2Unchecked(value));
}

function parseSigningCertificateV2Unchecked(value: Bytes): EssCertId[] {
  const root = readRoot(value);
  const certsT = children(value, root)[0]!;
  return children(value, certsT).map((idT) => {
    const parts = children(value, idT);
    let k = 0;
    let hashAlgorithm: string = 'sha256';
    if (parts[0]!.tag === TAG.SEQUENCE) {
      const o = readOid(value, children(value, parts[0]!)[0]!);
      hashAlgorithm = digestNameOfOid(o) ?? o;
      k = 1;
    }
    const out: EssCertId = { hashAlgorithm, certHash: content(value, parts[k]!) };
    const is = parts[k + 1];
    if (is) {
      const [names, serial] = children(value, is);
      const dir = children(value, names!).find((g) => g.tag === 0xa4);
      if (dir) out.issuer = slice(value, children(value, dir)[0]!);
      out.serialNumberHex = Buffer.from(content(value, serial!)).toString('hex');
    }
    return out;
  });
}
