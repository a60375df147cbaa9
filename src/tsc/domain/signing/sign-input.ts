/**
 * The body of POST …/sign, checked before anything changes (DESIGN.md §5: bad input is a 4xx and
 * changes nothing). Digests only: each digest must have exactly its algorithm's length, and the
 * optional CAdES attributes are small and bounded, so no document content can ride along
 * (DESIGN.md §1 invariant; the HTTP body limit is a second fence).
 */
import { AppError } from '../../../shared/errors.js';
import { DIGEST_LENGTH, type AttributeSpec, type DigestAlgorithmName } from '../../../lib/cms/index.js';
import type { TsaCallOptions } from '../tsa/timestamping.js';
import { TSA_FAILURE_POLICIES, tsaServerList, type TsaFailurePolicy } from '../tsa/tsa-servers.js';

export const SIGN_LIMITS = {
  idLength: 128,
  otherAttributes: 8,
  valuesPerAttribute: 4,
  valueBytes: 1024,
  otherAttributeBytes: 4096,
  secretLength: 256,
  extValueLength: 2048,
} as const;

export type Level = 'B-B' | 'B-T';

export interface DigestToSign {
  id: string;
  digestAlgorithm: DigestAlgorithmName;
  digest: Uint8Array;
  format: 'pades' | 'cades';
  signingTime: boolean;
  otherAttributes: AttributeSpec[];
}

export interface SignInput {
  secret: string;
  ext: { type: string; value: string } | null;
  level: Level;
  /** The caller's TSA choice (issue 5): its failover list and/or failure policy; null = the TSC's. */
  tsa: TsaCallOptions | null;
  digests: DigestToSign[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(message: string, details?: unknown, code: 'API_ERR_INVALID_PARAMETER' | 'API_ERR_MISSING_PARAMETER' = 'API_ERR_INVALID_PARAMETER'): AppError {
  return new AppError(code, message, details);
}

/** Strict standard base64 (RFC 4648 §4) → bytes, or null. */
function b64(v: unknown, maxBytes: number): Uint8Array | null {
  if (typeof v !== 'string' || v.length === 0 || v.length > Math.ceil(maxBytes / 3) * 4) return null;
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)) return null;
  return new Uint8Array(Buffer.from(v, 'base64'));
}

const ALGS: Record<string, DigestAlgorithmName> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

function parseDigest(d: unknown, i: number, seen: Set<string>): DigestToSign {
  const where = `digests[${i}]`;
  if (!isObj(d)) throw bad(`${where} must be an object`);
  const id = d.id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9._:-]+$/.test(id) || id.length > SIGN_LIMITS.idLength) {
    throw bad(`${where}.id must be 1-${SIGN_LIMITS.idLength} characters of A-Z a-z 0-9 . _ : -`, { [`${where}.id`]: ['invalid'] });
  }
  if (seen.has(id)) throw bad(`Duplicate digest id ${id}`, { [`${where}.id`]: ['duplicate'] });
  seen.add(id);
  const alg = typeof d.digest_algorithm === 'string' ? ALGS[d.digest_algorithm.toLowerCase()] : undefined;
  if (!alg) throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `${where}.digest_algorithm must be sha256, sha384 or sha512`, { id });
  const digest = b64(d.digest, 64);
  if (!digest || digest.length !== DIGEST_LENGTH[alg]) {
    throw new AppError('CMS_ERR_INVALID_DIGEST', `${where}.digest must be the base64 of a ${DIGEST_LENGTH[alg]}-byte ${alg} digest`, { id });
  }
  const format = d.format ?? 'pades';
  if (format !== 'pades' && format !== 'cades') throw bad(`${where}.format must be pades or cades`, { id });
  const signingTime = d.signing_time === true || d.signing_time === 1;
  if (d.signing_time !== undefined && typeof d.signing_time !== 'boolean' && d.signing_time !== 0 && d.signing_time !== 1) {
    throw bad(`${where}.signing_time must be a boolean`, { id });
  }
  // ETSI EN 319 142-1 §5.2.1: a PAdES CMS carries no signing-time (the time is the dictionary's /M).
  if (format === 'pades' && signingTime) throw bad(`${where}: a pades signature has no signing_time`, { id });
  const other: AttributeSpec[] = [];
  if (d.other_attributes !== undefined) {
    if (format !== 'cades') throw bad(`${where}: other_attributes apply to cades signatures only`, { id });
    if (!Array.isArray(d.other_attributes) || d.other_attributes.length > SIGN_LIMITS.otherAttributes) {
      throw bad(`${where}.other_attributes must be an array of at most ${SIGN_LIMITS.otherAttributes}`, { id });
    }
    let total = 0;
    for (const [j, a] of d.other_attributes.entries()) {
      const w = `${where}.other_attributes[${j}]`;
      if (!isObj(a) || typeof a.oid !== 'string' || !/^[0-2](\.(0|[1-9]\d{0,9})){1,20}$/.test(a.oid)) throw bad(`${w}.oid must be a dotted OID`, { id });
      if (!Array.isArray(a.values) || a.values.length === 0 || a.values.length > SIGN_LIMITS.valuesPerAttribute) {
        throw bad(`${w}.values must hold 1-${SIGN_LIMITS.valuesPerAttribute} base64 DER values`, { id });
      }
      const values = a.values.map((v) => {
        const bytes = b64(v, SIGN_LIMITS.valueBytes);
        if (!bytes || bytes.length > SIGN_LIMITS.valueBytes) throw bad(`${w}.values: each is base64 DER of at most ${SIGN_LIMITS.valueBytes} bytes`, { id });
        total += bytes.length;
        return bytes;
      });
      other.push({ oid: a.oid, values });
    }
    if (total > SIGN_LIMITS.otherAttributeBytes) throw bad(`${where}.other_attributes exceed ${SIGN_LIMITS.otherAttributeBytes} bytes`, { id });
  }
  return { id, digestAlgorithm: alg, digest, format, signingTime: format === 'cades' && signingTime, otherAttributes: other };
}

export function parseSignInput(body: unknown, maxDigests: number): SignInput {
  if (!isObj(body)) throw new AppError('API_ERR_INVALID_JSON', 'The body must be a JSON object');
  const secret = body.secret;
  if (secret === undefined || secret === null || secret === '') {
    throw bad("Missing required parameter: 'secret'", { secret: ['required'] }, 'API_ERR_MISSING_PARAMETER');
  }
  if (typeof secret !== 'string' || secret.length > SIGN_LIMITS.secretLength) throw bad('secret must be a string', { secret: ['invalid'] });
  let ext: SignInput['ext'] = null;
  if (body.ext_unlock_type !== undefined || body.ext_unlock_value !== undefined) {
    const t = body.ext_unlock_type;
    const v = body.ext_unlock_value;
    if (typeof t !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(t)) throw bad('ext_unlock_type must be 1-64 characters of A-Z a-z 0-9 . _ -');
    if (typeof v !== 'string' || v.length === 0 || v.length > SIGN_LIMITS.extValueLength) throw bad('ext_unlock_value is required with ext_unlock_type');
    ext = { type: t, value: v };
  }
  const level = body.level ?? 'B-T';
  if (level !== 'B-B' && level !== 'B-T') throw bad('level must be B-B or B-T (LT/LTA material is added by the Optimizer)', { level: ['invalid'] });
  const tsa = parseTsa(body.tsa);
  const list = body.digests;
  if (!Array.isArray(list) || list.length === 0) throw bad("Missing required parameter: 'digests'", { digests: ['required'] }, 'API_ERR_MISSING_PARAMETER');
  if (list.length > maxDigests) throw bad(`At most ${maxDigests} digests per call`, { digests: ['too many'] });
  const seen = new Set<string>();
  return { secret, ext, level, tsa, digests: list.map((d, i) => parseDigest(d, i, seen)) };
}

/** `"tsa": {"servers": [url | {url, hash_algorithm?, policy?}], "failure_policy": "fail-closed" | "degrade"}` */
function parseTsa(v: unknown): TsaCallOptions | null {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw bad('tsa must be an object {servers?, failure_policy?}', { tsa: ['invalid'] });
  for (const k of Object.keys(v)) if (k !== 'servers' && k !== 'failure_policy') throw bad(`tsa: unknown member ${k}`, { tsa: ['invalid'] });
  const out: TsaCallOptions = {};
  if (v.servers !== undefined) out.servers = tsaServerList(v.servers, 'tsa.servers');
  if (v.failure_policy !== undefined) {
    if (!(TSA_FAILURE_POLICIES as readonly unknown[]).includes(v.failure_policy)) {
      throw bad(`tsa.failure_policy must be one of ${TSA_FAILURE_POLICIES.join(', ')}`, { tsa: ['invalid'] });
    }
    out.failurePolicy = v.failure_policy as TsaFailurePolicy;
  }
  return out;
}
