/**
 * OCSP (RFC 6960): the responder side (parse requests, build signed responses) and the client
 * side (build requests, read responses). Responses are signed through a CmsSigner; all times are
 * whole seconds (NSS rejects fractional GeneralizedTime in OCSP, see ecosystem notes §1).
 * RFC 6960's ASN.1 module uses EXPLICIT tags unless marked IMPLICIT.
 */
import { wholeSeconds } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { hash, signatureAlgorithmDer } from './algorithms.js';
import { certificateInfo } from './certificate-info.js';
import {
  bitString, bytesEqual, children, content, derNull, explicit, generalizedTime, octetString, oid, readOid, readRoot, readTime, seq, slice,
  TAG, tlv, type Bytes, type Tlv,
} from './der.js';
import { crlReasonCode, crlReasonName, type CrlReason } from './crl-reasons.js';
import { encodeExtension } from './x509-extensions.js';
import { OID } from './oids.js';
import { defaultHashFor } from './x509-builder.js';
import { verifyRaw } from './verify.js';
import type { CmsSigner, DigestAlgorithmName } from './signer.js';

export type CertIdHash = 'sha1' | DigestAlgorithmName;

const HASH_OIDS: Record<CertIdHash, string> = { sha1: OID.sha1, sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512 };
const hashNameOf = (o: string): CertIdHash | null => (Object.entries(HASH_OIDS).find(([, v]) => v === o)?.[0] as CertIdHash) ?? null;

export interface CertId {
  hashAlgorithm: string;
  hash: CertIdHash | null;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** The serial INTEGER's content octets in hex, as certificateInfo().serialNumberHex. */
  serialNumberHex: string;
  /** The CertID exactly as received (echoed in the SingleResponse). */
  der: Uint8Array;
}

/**
 * CertID for a certificate (RFC 6960 §4.1.1): hashes of the issuer's Name and of its public key
 * bits, and the serial. SHA-1 is what OpenSSL and most clients send by default.
 */
export function certIdFor(issuerCertificate: Uint8Array, serialNumberHex: string, hashName: CertIdHash = 'sha1'): Uint8Array {
  const issuer = certificateInfo(issuerCertificate);
  if (!/^([0-9a-f]{2})+$/i.test(serialNumberHex)) throw new AppError('CMS_ERR_MALFORMED', 'Serial must be hex octets');
  // SHA-1 AlgorithmIdentifier with NULL parameters, as deployed clients send and expect.
  const alg = seq(oid(HASH_OIDS[hashName]), ...(hashName === 'sha1' ? [derNull()] : []));
  return seq(alg, octetString(hash(hashName, issuer.subject)), octetString(hash(hashName, issuer.publicKeyBits)), tlv(TAG.INTEGER, Buffer.from(serialNumberHex, 'hex')));
}

function readCertId(buf: Bytes, t: Tlv): CertId {
  const [algT, nameT, keyT, serialT] = children(buf, t);
  if (!algT || !nameT || !keyT || !serialT || serialT.tag !== TAG.INTEGER) throw new AppError('CMS_ERR_MALFORMED', 'Malformed CertID');
  const hashAlgorithm = readOid(buf, children(buf, algT)[0]!);
  return {
    hashAlgorithm,
    hash: hashNameOf(hashAlgorithm),
    issuerNameHash: content(buf, nameT).slice(),
    issuerKeyHash: content(buf, keyT).slice(),
    serialNumberHex: Buffer.from(content(buf, serialT)).toString('hex'),
    der: slice(buf, t).slice(),
  };
}

/** Whether `certId` names a certificate issued by `issuerCertificate` (its name and key hashes match). */
export function certIdMatchesIssuer(certId: CertId, issuerCertificate: Uint8Array): boolean {
  if (!certId.hash) return false;
  const issuer = certificateInfo(issuerCertificate);
  return bytesEqual(certId.issuerNameHash, hash(certId.hash, issuer.subject)) && bytesEqual(certId.issuerKeyHash, hash(certId.hash, issuer.publicKeyBits));
}

function extensionsOf(buf: Bytes, wrapper: Tlv | undefined): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (!wrapper) return out;
  const list = children(buf, wrapper)[0];
  if (!list) return out;
  for (const e of children(buf, list)) {
    const parts = children(buf, e);
    out.set(readOid(buf, parts[0]!), content(buf, parts[parts.length - 1]!).slice());
  }
  return out;
}

// ---------------------------------------------------------------- requests

export interface ParsedOcspRequest {
  certIds: CertId[];
  /** The nonce extension's value (DER, normally an OCTET STRING), echoed unchanged in the response. */
  nonce?: Uint8Array;
  signed: boolean;
}

export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  try {
    const root = readRoot(der);
    const [tbsT, sigT] = children(der, root);
    if (!tbsT || tbsT.tag !== TAG.SEQUENCE) throw new Error('no TBSRequest');
    const f = children(der, tbsT);
    const list = f.find((t) => t.tag === TAG.SEQUENCE);
    if (!list) throw new Error('no requestList');
    const certIds = children(der, list).map((r) => readCertId(der, children(der, r)[0]!));
    if (!certIds.length) throw new Error('empty requestList');
    const nonce = extensionsOf(der, f.find((t) => t.tag === 0xa2)).get(OID.ocspNonce);
    // RFC 8954 §2.1: a nonce is 1..32 octets; refuse absurd ones rather than echo them.
    if (nonce && nonce.length > 34) throw new Error('nonce too long');
    return { certIds, nonce, signed: sigT?.tag === 0xa0 };
  } catch (e) {
    throw new AppError('CMS_ERR_MALFORMED', 'Malformed OCSP request', undefined, { cause: e });
  }
}

export interface BuildOcspRequestInput {
  /** CertID DERs (from certIdFor). */
  certIds: Uint8Array[];
  /** Nonce octets; wrapped as an OCTET STRING extension value (RFC 8954). */
  nonce?: Uint8Array;
}

export function buildOcspRequest(input: BuildOcspRequestInput): Uint8Array {
  const ext = input.nonce ? [explicit(2, seq(encodeExtension({ oid: OID.ocspNonce, critical: false, value: octetString(input.nonce) })))] : [];
  return seq(seq(seq(...input.certIds.map((c) => seq(c))), ...ext));
}

// ---------------------------------------------------------------- responses

export type OcspCertStatus = { status: 'good' } | { status: 'revoked'; revocationTime: Date; reason?: CrlReason } | { status: 'unknown' };

export interface SingleResponseSpec {
  /** CertID DER, normally the one from the request (ParsedOcspRequest.certIds[i].der). */
  certId: Uint8Array;
  certStatus: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface BuildOcspResponseInput {
  responses: SingleResponseSpec[];
  /** The responder: the CA itself or a delegated responder certificate (EKU OCSPSigning). */
  responderCertificate: Uint8Array;
  signer: CmsSigner;
  /** ResponderID form (default byKey). */
  responderId?: 'byKey' | 'byName';
  producedAt: Date;
  /** The request's nonce extension value, echoed (RFC 6960 §4.4.1). */
  nonce?: Uint8Array;
  /** Certificates to include besides the responder's (pkijs needs at least the responder's). */
  certificates?: Uint8Array[];
  signatureHash?: DigestAlgorithmName;
}

const gt = (d: Date): Bytes => generalizedTime(wholeSeconds(d));

function encodeCertStatus(s: OcspCertStatus): Bytes {
  if (s.status === 'good') return Uint8Array.of(0x80, 0x00); // [0] IMPLICIT NULL
  if (s.status === 'unknown') return Uint8Array.of(0x82, 0x00); // [2] IMPLICIT UnknownInfo (NULL)
  if (s.status === 'revoked') {
    // [1] IMPLICIT RevokedInfo { revocationTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
    const reason = s.reason && s.reason !== 'unspecified' ? [explicit(0, tlv(0x0a, Uint8Array.of(crlReasonCode(s.reason))))] : [];
    const body = seq(gt(s.revocationTime), ...reason);
    return tlv(0xa1, content(body, readRoot(body)));
  }
  throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Unknown certificate status');
}

/** A successful OCSPResponse carrying a signed BasicOCSPResponse. */
export async function buildOcspResponse(input: BuildOcspResponseInput): Promise<Uint8Array> {
  if (!input.responses.length) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'An OCSP response needs at least one SingleResponse');
  const responder = certificateInfo(input.responderCertificate);
  const responderId = input.responderId === 'byName' ? explicit(1, responder.subject) : explicit(2, octetString(hash('sha1', responder.publicKeyBits)));
  const singles = input.responses.map((r) => {
    readRoot(r.certId);
    return seq(r.certId, encodeCertStatus(r.certStatus), gt(r.thisUpdate), ...(r.nextUpdate ? [explicit(0, gt(r.nextUpdate))] : []));
  });
  const exts = input.nonce ? [explicit(1, seq(encodeExtension({ oid: OID.ocspNonce, critical: false, value: input.nonce })))] : [];
  const tbs = seq(responderId, gt(input.producedAt), seq(...singles), ...exts); // version v1 is DEFAULT: omitted
  const h = input.signatureHash ?? defaultHashFor(input.signer.keyAlgorithm);
  const signature = await input.signer.sign(tbs, h);
  if (!verifyRaw(responder.spki, tbs, signature, h))
    throw new AppError('CMS_ERR_SIGNATURE_MISMATCH', 'The OCSP signature does not verify with the responder certificate');
  const certs = [input.responderCertificate, ...(input.certificates ?? []).filter((c) => !bytesEqual(c, input.responderCertificate))];
  const basic = seq(tbs, signatureAlgorithmDer(input.signer.keyAlgorithm, h), bitString(signature), explicit(0, seq(...certs)));
  return seq(tlv(0x0a, Uint8Array.of(0)), explicit(0, seq(oid(OID.ocspBasic), octetString(basic))));
}

export type OcspErrorStatus = 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';
const ERROR_STATUS: Record<OcspErrorStatus, number> = { malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 };
const STATUS_NAMES = ['successful', 'malformedRequest', 'internalError', 'tryLater', 'unused', 'sigRequired', 'unauthorized'] as const;

/** An unsuccessful OCSPResponse (no responseBytes, RFC 6960 §2.3). */
export function buildOcspErrorResponse(status: OcspErrorStatus): Uint8Array {
  return seq(tlv(0x0a, Uint8Array.of(ERROR_STATUS[status])));
}

export interface ParsedSingleResponse {
  certId: CertId;
  status: 'good' | 'revoked' | 'unknown';
  revocationTime?: Date;
  revocationReason?: CrlReason;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface ParsedOcspResponse {
  status: (typeof STATUS_NAMES)[number];
  basic?: {
    /** ResponseData exactly as signed. */
    tbs: Uint8Array;
    responderId: { byKey: Uint8Array } | { byName: Uint8Array };
    producedAt: Date;
    responses: ParsedSingleResponse[];
    nonce?: Uint8Array;
    signatureAlgorithm: string;
    signature: Uint8Array;
    certificates: Uint8Array[];
  };
}

export function parseOcspResponse(der: Uint8Array): ParsedOcspResponse {
  try {
    const root = readRoot(der);
    const [statusT, bytesT] = children(der, root);
    const code = content(der, statusT!)[0]!;
    const out: ParsedOcspResponse = { status: STATUS_NAMES[code] ?? 'internalError' };
    if (!bytesT) return out;
    const rb = children(der, children(der, bytesT)[0]!);
    if (readOid(der, rb[0]!) !== OID.ocspBasic) throw new Error('not a basic OCSP response');
    const basic = content(der, rb[1]!);
    const [tbsT, algT, sigT, certsT] = children(basic, readRoot(basic));
    const f = children(basic, tbsT!);
    let i = f[0]!.tag === 0xa0 ? 1 : 0;
    const ridT = f[i++]!;
    const responderId = ridT.tag === 0xa2 ? { byKey: content(basic, children(basic, ridT)[0]!).slice() } : { byName: slice(basic, children(basic, ridT)[0]!).slice() };
    const producedAt = readTime(basic, f[i++]!);
    const responses = children(basic, f[i++]!).map((sr): ParsedSingleResponse => {
      const p = children(basic, sr);
      const st = p[1]!;
      const r: ParsedSingleResponse = { certId: readCertId(basic, p[0]!), status: st.tag === 0x80 ? 'good' : st.tag === 0xa1 ? 'revoked' : 'unknown', thisUpdate: readTime(basic, p[2]!) };
      if (st.tag === 0xa1) {
        const ri = children(basic, st);
        r.revocationTime = readTime(basic, ri[0]!);
        if (ri[1]) r.revocationReason = crlReasonName(content(basic, children(basic, ri[1])[0]!)[0]!);
      }
      const nu = p.slice(3).find((t) => t.tag === 0xa0);
      if (nu) r.nextUpdate = readTime(basic, children(basic, nu)[0]!);
      return r;
    });
    const nonce = extensionsOf(basic, f.slice(i).find((t) => t.tag === 0xa1)).get(OID.ocspNonce);
    out.basic = {
      tbs: slice(basic, tbsT!).slice(),
      responderId,
      producedAt,
      responses,
      nonce,
      signatureAlgorithm: readOid(basic, children(basic, algT!)[0]!),
      signature: content(basic, sigT!).subarray(1).slice(),
      certificates: certsT ? children(basic, children(basic, certsT)[0]!).map((c) => slice(basic, c).slice()) : [],
    };
    return out;
  } catch (e) {
    throw new AppError('CMS_ERR_MALFORMED', 'Malformed OCSP response', undefined, { cause: e });
  }
}

