/**
 * RFC 3161 Time-Stamp Protocol: requests (client and TSA side), TSTInfo, time-stamp tokens
 * signed through a CmsSigner with ESS signing-certificate-v2 (RFC 5816), and responses.
 */
import { wholeSeconds } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { DIGEST_LENGTH, digestAlgorithmDer, digestNameOfOid, hash } from './algorithms.js';
import { certificateInfo } from './certificate-info.js';
import {
  booleanTrue, children, content, explicit, generalizedTime, namedBitString, octetString, oid, readOid, readRoot, readTime, seq, slice,
  smallInteger, TAG, tlv, unsignedInteger, utf8String, type Bytes, type Tlv, integerValue, parsing,
} from './der.js';
import { OID } from './oids.js';
import { encodeSignedAttributes } from './signed-attributes.js';
import { assembleSignedDataWith } from './signed-data.js';
import { parseSignedData, type ParsedSignedData } from './signed-data-parser.js';
import type { CmsSigner, DigestAlgorithmName } from './signer.js';

const bad = (why: string, cause?: unknown) => new AppError('TSA_ERR_BAD_REQUEST', `Malformed time-stamp request: ${why}`, undefined, { cause });

// ---------------------------------------------------------------- requests

export interface BuildTimeStampReqInput {
  digestAlgorithm: DigestAlgorithmName;
  /** The hash of the data to time-stamp (e.g. of a CMS SignatureValue, RFC 3161 App. A). */
  messageImprint: Uint8Array;
  /** Unsigned big-endian nonce (8 random octets is usual). */
  nonce?: Uint8Array;
  policy?: string;
  /** Ask the TSA to include its certificate (default true). */
  certReq?: boolean;
}

/** TimeStampReq ::= SEQUENCE { version, messageImprint, reqPolicy OPTIONAL, nonce OPTIONAL, certReq DEFAULT FALSE, extensions [0] OPTIONAL } */
export function buildTimeStampReq(input: BuildTimeStampReqInput): Uint8Array {
  if (input.messageImprint.length !== DIGEST_LENGTH[input.digestAlgorithm])
    throw new AppError('CMS_ERR_INVALID_DIGEST', `A ${input.digestAlgorithm} imprint is ${DIGEST_LENGTH[input.digestAlgorithm]} bytes`);
  return seq(
    smallInteger(1),
    seq(digestAlgorithmDer(input.digestAlgorithm), octetString(input.messageImprint)),
    ...(input.policy ? [oid(input.policy)] : []),
    ...(input.nonce ? [unsignedInteger(input.nonce)] : []),
    ...(input.certReq !== false ? [booleanTrue()] : []),
  );
}

export interface ParsedTimeStampReq {
  version: number;
  hashAlgorithm: string;
  digestAlgorithm: DigestAlgorithmName | null;
  hashedMessage: Uint8Array;
  /** The MessageImprint exactly as received (the token must repeat it, RFC 3161 §2.4.2). */
  messageImprintDer: Uint8Array;
  reqPolicy?: string;
  /** The nonce INTEGER's content octets, echoed unchanged. */
  nonce?: Uint8Array;
  certReq: boolean;
  /** Extension OIDs present (we support none). */
  extensions: string[];
}

export function parseTimeStampReq(der: Uint8Array): ParsedTimeStampReq {
  let root: Tlv;
  try {
    root = readRoot(der);
  } catch (e) {
    throw bad('not DER', e);
  }
  if (root.tag !== TAG.SEQUENCE) throw bad('not a SEQUENCE');
  try {
    const f = children(der, root);
    const [versionT, imprintT] = f;
    if (!versionT || !imprintT || imprintT.tag !== TAG.SEQUENCE) throw bad('missing messageImprint');
    const [algT, hashT] = children(der, imprintT);
    if (!algT || !hashT || hashT.tag !== TAG.OCTET_STRING) throw bad('bad messageImprint');
    const hashAlgorithm = readOid(der, children(der, algT)[0]!);
    const out: ParsedTimeStampReq = {
      version: integerValue(der, versionT),
      hashAlgorithm,
      digestAlgorithm: digestNameOfOid(hashAlgorithm),
      hashedMessage: content(der, hashT).slice(),
      messageImprintDer: slice(der, imprintT).slice(),
      certReq: false,
      extensions: [],
    };
    for (const t of f.slice(2)) {
      if (t.tag === TAG.OID) out.reqPolicy = readOid(der, t);
      else if (t.tag === TAG.INTEGER) out.nonce = content(der, t).slice();
      else if (t.tag === TAG.BOOLEAN) out.certReq = content(der, t)[0] !== 0;
      else if (t.tag === 0xa0) out.extensions = children(der, t).map((e) => readOid(der, children(der, e)[0]!));
      else throw bad('unexpected field');
    }
    if (out.version !== 1) throw bad('version must be 1');
    if (out.nonce && out.nonce.length > 64) throw bad('nonce too long');
    return out;
  } catch (e) {
    throw e instanceof AppError ? (e.code === 'TSA_ERR_BAD_REQUEST' ? e : bad(e.message, e)) : bad('unreadable', e);
  }
}

// ---------------------------------------------------------------- responses

/** PKIFailureInfo bits (RFC 3161 §2.4.2). */
export type TspFailure = 'badAlg' | 'badRequest' | 'badDataFormat' | 'timeNotAvailable' | 'unacceptedPolicy' | 'unacceptedExtension' | 'addInfoNotAvailable' | 'systemFailure';
const FAILURE_BIT: Record<TspFailure, number> = {
  badAlg: 0, badRequest: 2, badDataFormat: 5, timeNotAvailable: 14, unacceptedPolicy: 15, unacceptedExtension: 16, addInfoNotAvailable: 17, systemFailure: 25,
};

/** What a TSA should refuse in `req`, given the policies it serves (first one is its default), or null. */
export function timeStampReqProblem(req: ParsedTimeStampReq, policies: string[]): TspFailure | null {
  if (!req.digestAlgorithm) return 'badAlg';
  if (req.hashedMessage.length !== DIGEST_LENGTH[req.digestAlgorithm]) return 'badDataFormat';
  if (req.reqPolicy && !policies.includes(req.reqPolicy)) return 'unacceptedPolicy';
  if (req.extensions.length) return 'unacceptedExtension';
  return null;
}

export interface TimeStampTokenInput {
  /** The parsed request (its imprint, nonce and certReq are honoured). */
  request: Pick<ParsedTimeStampReq, 'messageImprintDer' | 'nonce' | 'certReq' | 'reqPolicy'>;
  /** The TSA policy (the request's reqPolicy must be accepted by the caller beforehand). */
  policy: string;
  /** Unique per token (RFC 3161 §2.4.2), up to 160 bits: unsigned big-endian. */
  serialNumber: Uint8Array;
  genTime: Date;
  /** Keep milliseconds in genTime (default: whole seconds). */
  genTimeMillis?: boolean;
  /** Default { seconds: 1 }. */
  accuracy?: { seconds?: number; millis?: number; micros?: number };
  /** Put the TSA's subject name in the tsa field (default true). */
  includeTsaName?: boolean;
  tsaCertificate: Uint8Array;
  /** Extra certificates to include with the TSA certificate when certReq is set (e.g. the issuing CA). */
  certificates?: Uint8Array[];
  signer: CmsSigner;
  /** Digest for the token's signature and message-digest attribute (default sha256). */
  digestAlgorithm?: DigestAlgorithmName;
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL, micros [1] ... }; omitted when all zero. */
function encodeAccuracy(a: { seconds?: number; millis?: number; micros?: number }): Bytes[] {
  const parts: Bytes[] = [];
  if (a.seconds) parts.push(smallInteger(a.seconds));
  for (const [v, tag] of [[a.millis, 0x80], [a.micros, 0x81]] as const) {
    if (v === undefined || v === 0) continue;
    if (!Number.isInteger(v) || v < 1 || v > 999) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Accuracy millis/micros are 1..999');
    const int = smallInteger(v);
    parts.push(tlv(tag, content(int, readRoot(int))));
  }
  return parts.length ? [seq(...parts)] : [];
}

/** DER TSTInfo (RFC 3161 §2.4.2). */
export function encodeTstInfo(input: Omit<TimeStampTokenInput, 'signer' | 'certificates' | 'digestAlgorithm'>): Uint8Array {
  if (input.serialNumber.length > 20) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'TSTInfo serialNumber is at most 160 bits');
  const genTime = input.genTimeMillis ? input.genTime : wholeSeconds(input.genTime);
  const tsaName = input.includeTsaName === false ? [] : [explicit(0, explicit(4, certificateInfo(input.tsaCertificate).subject))];
  return seq(
    smallInteger(1),
    oid(input.policy),
    input.request.messageImprintDer,
    unsignedInteger(input.serialNumber),
    generalizedTime(genTime, input.genTimeMillis === true),
    ...encodeAccuracy(input.accuracy ?? { seconds: 1 }),
    ...(input.request.nonce ? [tlv(TAG.INTEGER, input.request.nonce)] : []),
    ...tsaName,
  );
}

/** A TimeStampToken: ContentInfo(SignedData) encapsulating the TSTInfo. */
export async function buildTimeStampToken(input: TimeStampTokenInput): Promise<Uint8Array> {
  const digestAlgorithm = input.digestAlgorithm ?? 'sha256';
  const tstInfo = encodeTstInfo(input);
  // content-type id-ct-TSTInfo, message-digest, signing-certificate-v2 (RFC 5816 §2.2.1); no signing-time.
  const signedAttributes = encodeSignedAttributes({
    profile: 'cades', digestAlgorithm, messageDigest: hash(digestAlgorithm, tstInfo), signerCertificate: input.tsaCertificate, contentType: OID.tstInfo,
  });
  const signature = await input.signer.sign(signedAttributes, digestAlgorithm);
  return assembleSignedDataWith(
    { signedAttributes, signature, signerCertificate: input.tsaCertificate, certificates: input.certificates ?? [], digestAlgorithm, keyAlgorithm: input.signer.keyAlgorithm },
    { contentType: OID.tstInfo, content: tstInfo, includeCertificates: input.request.certReq },
  );
}

function statusInfo(status: number, failure?: TspFailure, text?: string): Bytes {
  return seq(
    smallInteger(status),
    ...(text ? [seq(utf8String(text))] : []),
    ...(failure ? [namedBitString([FAILURE_BIT[failure]])] : []),
  );
}

/** TimeStampResp with status granted and the token. */
export async function buildTimeStampResp(input: TimeStampTokenInput): Promise<Uint8Array> {
  return seq(statusInfo(0), await buildTimeStampToken(input));
}

/** TimeStampResp with status rejection (2) and the failure bit; no token. */
export function buildTimeStampRejection(failure: TspFailure, text?: string): Uint8Array {
  return seq(statusInfo(2, failure, text));
}

// ---------------------------------------------------------------- reading tokens and responses

export interface TstInfo {
  policy: string;
  hashAlgorithm: string;
  digestAlgorithm: DigestAlgorithmName | null;
  hashedMessage: Uint8Array;
  serialNumberHex: string;
  genTime: Date;
  accuracy?: { seconds?: number; millis?: number; micros?: number };
  ordering: boolean;
  nonce?: Uint8Array;
  /** The tsa GeneralName's directoryName, when present. */
  tsaName?: Uint8Array;
}

export function parseTstInfo(der: Uint8Array): TstInfo {
  return parsing('TSTInfo', () => parseTstInfoUnchecked(der));
}

function parseTstInfoUnchecked(der: Uint8Array): TstInfo {
  const root = readRoot(der);
  const f = children(der, root);
  const [, policyT, imprintT, serialT, timeT] = f;
  if (!policyT || !imprintT || !serialT || !timeT) throw new AppError('CMS_ERR_MALFORMED', 'Malformed TSTInfo');
  const [algT, hashT] = children(der, imprintT);
  const hashAlgorithm = readOid(der, children(der, algT!)[0]!);
  const out: TstInfo = {
    policy: readOid(der, policyT),
    hashAlgorithm,
    digestAlgorithm: digestNameOfOid(hashAlgorithm),
    hashedMessage: content(der, hashT!).slice(),
    serialNumberHex: Buffer.from(content(der, serialT)).toString('hex'),
    genTime: readTime(der, timeT),
    ordering: false,
  };
  for (const t of f.slice(5)) {
    if (t.tag === TAG.SEQUENCE) {
      out.accuracy = {};
      for (const a of children(der, t)) {
        const v = content(der, a).reduce((n, b) => n * 256 + b, 0);
        if (a.tag === TAG.INTEGER) out.accuracy.seconds = v;
        else if (a.tag === 0x80) out.accuracy.millis = v;
        else if (a.tag === 0x81) out.accuracy.micros = v;
      }
    } else if (t.tag === TAG.BOOLEAN) out.ordering = content(der, t)[0] !== 0;
    else if (t.tag === TAG.INTEGER) out.nonce = content(der, t).slice();
    else if (t.tag === 0xa0) {
      const gn = children(der, t)[0];
      if (gn?.tag === 0xa4) out.tsaName = slice(der, children(der, gn)[0]!).slice();
    }
  }
  return out;
}

export interface ParsedTimeStampToken {
  tstInfo: TstInfo;
  signedData: ParsedSignedData;
}

export function parseTimeStampToken(tokenDer: Uint8Array): ParsedTimeStampToken {
  return parsing('time-stamp token', () => parseTimeStampTokenUnchecked(tokenDer));
}

function parseTimeStampTokenUnchecked(tokenDer: Uint8Array): ParsedTimeStampToken {
  const signedData = parseSignedData(tokenDer);
  if (signedData.contentType !== OID.tstInfo || !signedData.content) throw new AppError('CMS_ERR_MALFORMED', 'Not a time-stamp token');
  return { tstInfo: parseTstInfo(signedData.content), signedData };
}

export interface ParsedTimeStampResp {
  /** PKIStatus: 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4/5 revocation notices. */
  status: number;
  statusText: string[];
  /** Bit numbers set in failInfo. */
  failureBits: number[];
  token?: Uint8Array;
  tstInfo?: TstInfo;
}

export function parseTimeStampResp(der: Uint8Array): ParsedTimeStampResp {
  try {
    const root = readRoot(der);
    const [statusT, tokenT] = children(der, root);
    const s = children(der, statusT!);
    const out: ParsedTimeStampResp = { status: integerValue(der, s[0]!), statusText: [], failureBits: [] };
    for (const t of s.slice(1)) {
      if (t.tag === TAG.SEQUENCE) out.statusText = children(der, t).map((x) => new TextDecoder().decode(content(der, x)));
      else if (t.tag === TAG.BIT_STRING) {
        const b = content(der, t).subarray(1);
        for (let i = 0; i < b.length * 8; i++) if (b[i >> 3]! & (0x80 >> (i & 7))) out.failureBits.push(i);
      }
    }
    if (tokenT) {
      out.token = slice(der, tokenT).slice();
      out.tstInfo = parseTimeStampToken(out.token).tstInfo;
    }
    return out;
  } catch (e) {
    throw e instanceof AppError ? new AppError('TSA_ERR_BAD_RESPONSE', `Malformed time-stamp response: ${e.message}`, undefined, { cause: e }) : new AppError('TSA_ERR_BAD_RESPONSE', 'Malformed time-stamp response', undefined, { cause: e });
  }
}
