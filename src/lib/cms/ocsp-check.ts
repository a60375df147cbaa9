/**
 * Client-side acceptance of an OCSP response (RFC 6960 §3.2, §4.2.2.2): successful status, a
 * SingleResponse for the asked certificate, the nonce echoed, fresh times, and a signature by the
 * issuing CA itself or by a responder certificate the CA issued with id-kp-OCSPSigning.
 */
import { AppError } from '../../shared/errors.js';
import { hash } from './algorithms.js';
import { certificateInfo } from './certificate-info.js';
import { bytesEqual, children, readOid, readRoot } from './der.js';
import { certIdMatchesIssuer, parseOcspResponse, type ParsedOcspResponse, type ParsedSingleResponse } from './ocsp.js';
import { OID } from './oids.js';
import { hashOfSignatureAlgorithm, verifyCertificateSignature, verifyRaw } from './verify.js';

export interface CheckOcspExpectation {
  /** The CA that issued the certificate in question. */
  issuerCertificate: Uint8Array;
  serialNumberHex: string;
  /** The nonce extension value that was sent (as parseOcspRequest reports it), if any. */
  nonce?: Uint8Array;
  /** Freshness reference (default now); thisUpdate may lead it by `skewSeconds`. */
  at?: Date;
  skewSeconds?: number;
}

export interface CheckedOcsp {
  response: ParsedOcspResponse;
  single: ParsedSingleResponse;
  responderCertificate: Uint8Array;
}

function hasOcspSigningEku(cert: Uint8Array): boolean {
  const eku = certificateInfo(cert).extensions.get(OID.extKeyUsage);
  if (!eku) return false;
  return children(eku.value, readRoot(eku.value)).some((t) => readOid(eku.value, t) === OID.kpOcspSigning);
}

export function checkOcspResponse(der: Uint8Array, expect: CheckOcspExpectation): CheckedOcsp {
  const bad = (why: string): never => {
    throw new AppError('CMS_ERR_BAD_OCSP_RESPONSE', `OCSP response rejected: ${why}`);
  };
  let response: ParsedOcspResponse;
  try {
    response = parseOcspResponse(der);
  } catch {
    return bad('unreadable');
  }
  if (response.status !== 'successful' || !response.basic) return bad(`status ${response.status}`);
  const basic = response.basic;
  const single =
    basic.responses.find((r) => r.certId.serialNumberHex === expect.serialNumberHex.toLowerCase() && certIdMatchesIssuer(r.certId, expect.issuerCertificate)) ??
    bad('no response for the certificate');
  if (expect.nonce && (!basic.nonce || !bytesEqual(basic.nonce, expect.nonce))) bad('nonce not echoed');

  // The signer: the CA itself, or a delegated responder issued by it with id-kp-OCSPSigning (§4.2.2.2).
  const issuer = certificateInfo(expect.issuerCertificate);
  const matchesId = (c: Uint8Array) => {
    const info = certificateInfo(c);
    if ('byName' in basic.responderId) return bytesEqual(info.subject, basic.responderId.byName);
    return bytesEqual(basic.responderId.byKey, hash('sha1', info.publicKeyBits));
  };
  const candidates = [expect.issuerCertificate, ...basic.certificates];
  const responderCertificate = candidates.find(matchesId) ?? bad('responder certificate not found');
  const delegated = !bytesEqual(responderCertificate, expect.issuerCertificate);
  if (delegated && (!verifyCertificateSignature(responderCertificate, expect.issuerCertificate) || !hasOcspSigningEku(responderCertificate)))
    bad('responder is not authorised by the issuing CA');
  const h = hashOfSignatureAlgorithm(basic.signatureAlgorithm) ?? bad(`unsupported signature algorithm ${basic.signatureAlgorithm}`);
  const spki = delegated ? certificateInfo(responderCertificate).spki : issuer.spki;
  if (!verifyRaw(spki, basic.tbs, basic.signature, h)) bad('bad signature');

  const at = (expect.at ?? new Date()).getTime();
  const skew = (expect.skewSeconds ?? 300) * 1000;
  if (delegated) {
    // RFC 6960 §3.2 item 4: the signer must be *currently* authorised — a delegated responder's
    // certificate outside its validity is not (its ocsp-nocheck makes expiry the only limit).
    const r = certificateInfo(responderCertificate);
    if (at + skew < r.notBefore.getTime() || at - skew > r.notAfter.getTime()) bad('the responder certificate is not valid at the checked time');
  }
  if (single.thisUpdate.getTime() > at + skew) bad('thisUpdate is in the future');
  if (single.nextUpdate && single.nextUpdate.getTime() < at - skew) bad('response is stale (nextUpdate passed)');
  return { response, single, responderCertificate };
}
