/**
 * Cryptographic checks of a SignedData (RFC 5652 §5.4, §5.6) and of an RFC 3161 reply
 * (§2.4.2): the signer certificate is located by its SignerIdentifier, the message-digest
 * attribute matches the content, the content-type attribute matches eContentType, and the
 * signature verifies. Certificate path validation and trust are the caller's business.
 */
import { AppError } from '../../shared/errors.js';
import { DIGEST_LENGTH, digestNameOfOid, hash } from './algorithms.js';
import { certificateInfo, subjectKeyIdentifierOf } from './certificate-info.js';
import { bytesEqual, children, readOid, readRoot } from './der.js';
import { essSigningCertificateProblem } from './ess.js';
import { OID } from './oids.js';
import { parseSignedData, type ParsedSignedData } from './signed-data-parser.js';
import { parseTimeStampResp, type TstInfo } from './tsp.js';
import type { DigestAlgorithmName } from './signer.js';
import { hashOfSignatureAlgorithm, verifyRaw } from './verify.js';


export interface VerifySignedDataOptions {
  /** The signed content, for a detached signature (or to check an encapsulated one). */
  content?: Uint8Array;
  /** Instead of content: its digest, for hash-only flows. */
  contentDigest?: Uint8Array;
  /** Certificates to look for the signer in, besides those embedded. */
  extraCertificates?: Uint8Array[];
}

export interface VerifiedSignedData {
  signedData: ParsedSignedData;
  signerCertificate: Uint8Array;
  digestAlgorithm: DigestAlgorithmName;
}

const fail = (why: string): never => {
  throw new AppError('CMS_ERR_SIGNATURE_MISMATCH', `CMS does not verify: ${why}`);
};

/** Verifies the first SignerInfo; throws CMS_ERR_MALFORMED / CMS_ERR_UNSUPPORTED_ALGORITHM / CMS_ERR_SIGNATURE_MISMATCH. */
export function verifySignedData(cmsDer: Uint8Array, opts: VerifySignedDataOptions = {}): VerifiedSignedData {
  const sd = parseSignedData(cmsDer);
  const si = sd.signerInfos[0] ?? fail('no SignerInfo');
  const digestAlgorithm = si.digestAlgorithmName ?? fail(`unsupported digest ${si.digestAlgorithm}`);
  if (!si.signedAttributes) throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', 'SignerInfo without signed attributes');
  const sigHash = hashOfSignatureAlgorithm(si.signatureAlgorithm) ?? (si.signatureAlgorithm === OID.rsaEncryption ? digestAlgorithm : undefined);
  if (!sigHash) throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `Unsupported signature algorithm ${si.signatureAlgorithm}`);

  const candidates = [...sd.certificates, ...(opts.extraCertificates ?? [])];
  const signerCertificate =
    candidates.find((c) => {
      const info = certificateInfo(c);
      if ('issuer' in si.sid) return bytesEqual(info.issuer, si.sid.issuer) && info.serialNumberHex === si.sid.serialNumberHex;
      return bytesEqual(subjectKeyIdentifierOf(info), si.sid.subjectKeyIdentifier);
    }) ?? fail('signer certificate not found');

  // RFC 5652 §11.1: content-type attribute equals eContentType.
  if (si.contentType !== sd.contentType) fail('content-type attribute does not match eContentType');
  const content = sd.content ?? opts.content;
  const expected = content ? hash(digestAlgorithm, content) : opts.contentDigest;
  if (!expected) fail('no content or digest to check the message-digest against');
  if (expected!.length !== DIGEST_LENGTH[digestAlgorithm] || !si.messageDigest || !bytesEqual(si.messageDigest, expected!))
    fail('message-digest does not match the content');
  if (sd.content && opts.content && !bytesEqual(sd.content, opts.content)) fail('encapsulated content differs from the expected content');
  if (!verifyRaw(certificateInfo(signerCertificate).spki, si.signedAttributes, si.signature, sigHash)) fail('bad signature');
  return { signedData: sd, signerCertificate, digestAlgorithm };
}

export interface CheckTimeStampRespExpectation {
  digestAlgorithm: DigestAlgorithmName;
  /** The hash that was sent (TimeStampReq.messageImprint.hashedMessage). */
  messageImprint: Uint8Array;
  /** The nonce octets that were sent, if any (as buildTimeStampReq got them). */
  nonce?: Uint8Array;
  /** Accepted TSA policies (any when absent). */
  policies?: string[];
  extraCertificates?: Uint8Array[];
  /**
   * RFC 3161 §2.3: the signer certificate must carry exactly one extended key usage,
   * id-kp-timeStamping, marked critical, and genTime must lie within its validity (default true).
   */
  checkTsaCertificate?: boolean;
}

export interface CheckedTimeStamp {
  token: Uint8Array;
  tstInfo: TstInfo;
  tsaCertificate: Uint8Array;
}

/**
 * Checks a reply from any RFC 3161 TSA against what was asked: status granted, same imprint
 * and nonce, accepted policy, token signature valid. Throws TSA_ERR_BAD_RESPONSE otherwise.
 */
export function checkTimeStampResp(respDer: Uint8Array, expect: CheckTimeStampRespExpectation): CheckedTimeStamp {
  const bad = (why: string, cause?: unknown): never => {
    throw new AppError('TSA_ERR_BAD_RESPONSE', `Time-stamp reply rejected: ${why}`, undefined, { cause });
  };
  const resp = parseTimeStampResp(respDer);
  if (resp.status !== 0 && resp.status !== 1) bad(`status ${resp.status}${resp.statusText.length ? ` (${resp.statusText.join('; ')})` : ''}`);
  const token = resp.token ?? bad('no token');
  const tst = resp.tstInfo!;
  if (digestNameOfOid(tst.hashAlgorithm) !== expect.digestAlgorithm || !bytesEqual(tst.hashedMessage, expect.messageImprint)) bad('message imprint differs from the request');
  if (expect.nonce) {
    // Compare magnitudes: the INTEGER may carry a 0x00 sign octet the raw nonce did not.
    const magnitude = (b: Uint8Array) => {
      let i = 0;
      while (i < b.length && b[i] === 0) i++;
      return b.subarray(i);
    };
    if (!tst.nonce || !bytesEqual(magnitude(tst.nonce), magnitude(expect.nonce))) bad('nonce differs from the request');
  }
  if (expect.policies && !expect.policies.includes(tst.policy)) bad(`unexpected policy ${tst.policy}`);
  let verified: VerifiedSignedData;
  try {
    verified = verifySignedData(token, { extraCertificates: expect.extraCertificates });
  } catch (e) {
    return bad(e instanceof AppError ? e.message : 'token signature', e);
  }
  if (verified.signedData.contentType !== OID.tstInfo) bad('token does not hold a TSTInfo');
  if (expect.checkTsaCertificate !== false) {
    const problem = tsaCertificateProblem(verified.signerCertificate, tst.genTime);
    if (problem) bad(problem);
  }
  // RFC 3161 §2.4.1 / RFC 5816: the token binds its TSA certificate (relying parties such as
  // `openssl ts -verify` refuse a token that does not, so it must never be embedded).
  const ess = essSigningCertificateProblem(verified.signedData.signerInfos[0]!.signedAttrs, verified.signerCertificate);
  if (ess) bad(ess);
  return { token, tstInfo: tst, tsaCertificate: verified.signerCertificate };
}

/** Why `cert` cannot be a TSA certificate for a token made at `genTime` (RFC 3161 §2.3), or null. */
export function tsaCertificateProblem(cert: Uint8Array, genTime: Date): string | null {
  const info = certificateInfo(cert);
  const eku = info.extensions.get(OID.extKeyUsage);
  if (!eku) return 'the TSA certificate has no extended key usage';
  let purposes: string[];
  try {
    purposes = children(eku.value, readRoot(eku.value)).map((t) => readOid(eku.value, t));
  } catch {
    return 'the TSA certificate has a malformed extended key usage';
  }
  if (purposes.length !== 1 || purposes[0] !== OID.kpTimeStamping || !eku.critical) return 'the TSA certificate\'s extended key usage must be timeStamping only, critical';
  if (genTime.getTime() < info.notBefore.getTime() || genTime.getTime() > info.notAfter.getTime()) return 'genTime is outside the TSA certificate\'s validity';
  return null;
}
