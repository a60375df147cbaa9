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
import { bytesEqual, children, content, explicit, octetString, readOid, readRoot, seq, slice, TAG, type Bytes, parsing } from './der.js';
import { OID } from './oids.js';
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

/**
 * Why the ESS attributes of a signer do not bind `certificate`, or null. RFC 3161 §2.4.1 (with
 * RFC 5816 §2.2.1) requires a time-stamp token to carry signing-certificate (v1, SHA-1) or
 * signing-certificate-v2, and RFC 5035 §3 says their first ESSCertID identifies the signer's
 * certificate: its hash, and its issuerSerial when present, must match.
 */
export function essSigningCertificateProblem(signedAttrs: readonly { oid: string; values: Bytes[] }[], certificate: Bytes): string | null {
  const v2 = signedAttrs.find((a) => a.oid === OID.signingCertificateV2)?.values[0];
  const v1 = v2 ? undefined : signedAttrs.find((a) => a.oid === OID.signingCertificate)?.values[0];
  if (!v2 && !v1) return 'no ESS signing-certificate attribute';
  let first: EssCertId | undefined;
  try {
    // v1's ESSCertID has no hashAlgorithm field, so the v2 reader sees the same shape with its default.
    first = parseSigningCertificateV2((v2 ?? v1)!)[0];
  } catch {
    return 'malformed ESS signing-certificate attribute';
  }
  if (!first) return 'empty ESS signing-certificate attribute';
  const alg = v1 ? 'sha1' : first.hashAlgorithm;
  if (alg !== 'sha1' && alg !== 'sha256' && alg !== 'sha384' && alg !== 'sha512') return `unsupported ESS certHash algorithm ${alg}`;
  if (!bytesEqual(first.certHash, hash(alg, certificate))) return 'ESS signing-certificate does not name the signer certificate';
  if (first.serialNumberHex !== undefined) {
    const info = certificateInfo(certificate);
    if (first.serialNumberHex !== info.serialNumberHex || (first.issuer && !bytesEqual(first.issuer, info.issuer)))
      return 'ESS issuerSerial does not match the signer certificate';
  }
  return null;
}

