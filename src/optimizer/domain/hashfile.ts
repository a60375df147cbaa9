/**
 * The hash-flow `hashfile` JSON (oneshot-api.md §3.4): `messageDigest` is base64 of the DER
 * messageDigest signed attribute (RFC 5652 §11.2: SEQUENCE { OID 1.2.840.113549.1.9.4,
 * SET { OCTET STRING digest } }) or of the bare digest.
 */
import { readRoot } from '../../lib/cms/der.js';
import { OID } from '../../lib/cms/oids.js';
import { AppError } from '../../shared/errors.js';
import type { HashSpec } from './ports.js';

/**
 * What the TSC's sign call accepts as extra signed attributes of a CAdES signature
 * (docs/tsc-api.md): at most 8 attributes of 1-4 values, each one DER value of at most 1024
 * bytes, 4096 bytes in all, none of the attributes the signer sets, no OID twice. Checked when
 * the hashfile is uploaded (and again at /sign with the metadata attribute added), so a request
 * never holds a document that can only fail at /sign.
 */
export const OTHER_ATTRIBUTE_LIMITS = { attributes: 8, valuesPerAttribute: 4, valueBytes: 1024, totalBytes: 4096 } as const;
const TSC_OID_RE = /^[0-2](\.(0|[1-9]\d{0,9})){1,20}$/;
const SIGNER_SET = new Set<string>([OID.contentType, OID.messageDigest, OID.signingTime, OID.signingCertificateV2]);

/** The first problem of a set of extra signed attributes (values as base64), or null. */
export function otherAttributesProblem(attrs: readonly { oid: string; values: readonly string[] }[]): string | null {
  const L = OTHER_ATTRIBUTE_LIMITS;
  if (attrs.length > L.attributes) return `at most ${L.attributes} extra signed attributes are accepted`;
  const seen = new Set<string>();
  let total = 0;
  for (const a of attrs) {
    if (!TSC_OID_RE.test(a.oid)) return `attribute OID ${a.oid.slice(0, 64)} has more than 20 arcs or an arc above 10 digits`;
    if (SIGNER_SET.has(a.oid)) return `attribute ${a.oid} is set by the signer`;
    if (seen.has(a.oid)) return `attribute ${a.oid} is repeated`;
    seen.add(a.oid);
    if (a.values.length < 1 || a.values.length > L.valuesPerAttribute) return `attribute ${a.oid} must have 1-${L.valuesPerAttribute} values`;
    for (const v of a.values) {
      const bytes = Buffer.from(v, 'base64');
      if (bytes.length > L.valueBytes) return `a value of attribute ${a.oid} is larger than ${L.valueBytes} bytes`;
      try {
        readRoot(bytes);
      } catch {
        return `a value of attribute ${a.oid} is not one DER value`;
      }
      total += bytes.length;
    }
  }
  return total > L.totalBytes ? `the extra signed attributes exceed ${L.totalBytes} bytes` : null;
}

// DER is canonical, so the attribute for a 32-byte digest is always exactly these 17 bytes + digest.
const MD_ATTR_PREFIX = Buffer.from('302f06092a864886f70d01090431220420', 'hex');
const ALGORITHMS = new Set(['sha256', 'sha-256', 'sha256withrsaencryption', 'sha256withecdsa', '2.16.840.1.101.3.4.2.1']);
const OID_RE = /^[0-2](\.(0|[1-9][0-9]*)){1,40}$/;
const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

const bad = (why: string) => new AppError('DOC_ERR_INVALID_HASHFILE', `Invalid hashfile: ${why}`);

function b64(v: unknown, what: string): Buffer {
  if (typeof v !== 'string') throw bad(`${what} must be a base64 string`);
  const s = v.replace(/\s+/g, '');
  if (s.length === 0 || s.length % 4 !== 0 || !B64_RE.test(s)) throw bad(`${what} is not valid base64`);
  return Buffer.from(s, 'base64');
}

function on(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  return v === true || v === 1 || v === '1' || v === 'true';
}

/** DER OCTET STRING wrapper (X.690 §8.7) for attribute values given as raw bytes. */
export function derOctetString(bytes: Uint8Array): Buffer {
  const n = bytes.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([0x04]), len, bytes]);
}

export function parseHashfile(raw: Uint8Array | string): HashSpec {
  let j: unknown;
  try {
    j = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch {
    throw bad('not valid JSON');
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw bad('must be a JSON object');
  const o = j as Record<string, unknown>;
  if (o.messageDigest === undefined) throw bad("missing 'messageDigest'");
  const md = b64(o.messageDigest, 'messageDigest');
  let digest: Buffer;
  if (md.length === 32) digest = md;
  else if (md.length === 49 && md.subarray(0, 17).equals(MD_ATTR_PREFIX)) digest = md.subarray(17);
  else throw bad('messageDigest must be a SHA-256 digest or the DER messageDigest attribute holding one');
  const alg = String(o.digestAlgorithm ?? 'sha256').toLowerCase();
  if (!ALGORITHMS.has(alg)) {
    throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `Unsupported digestAlgorithm: ${String(o.digestAlgorithm).slice(0, 64)}`);
  }
  // CAdES (ETSI EN 319 122-1 §5.1) needs signed attributes: the content-type, message-digest and
  // signing-certificate-v2 attributes are always added, so addAuthAttribute=0 cannot be honoured.
  if (!on(o.addAuthAttribute, true)) throw bad('addAuthAttribute=0 is not supported: CAdES signatures always carry signed attributes');
  const other = o.otherAuthAttributes ?? [];
  if (!Array.isArray(other)) throw bad('otherAuthAttributes must be a list');
  const otherAttributes = other.map((a, i) => {
    if (!a || typeof a !== 'object') throw bad(`otherAuthAttributes[${i}] must be an object`);
    const rec = a as Record<string, unknown>;
    const oid = rec.oid ?? rec.type;
    if (typeof oid !== 'string' || !OID_RE.test(oid)) throw bad(`otherAuthAttributes[${i}].oid is not an OID`);
    const values = Array.isArray(rec.values) ? rec.values : rec.value !== undefined ? [rec.value] : [];
    if (values.length === 0) throw bad(`otherAuthAttributes[${i}] has no value`);
    return { oid, values: values.map((v, k) => b64(v, `otherAuthAttributes[${i}].values[${k}]`).toString('base64')) };
  });
  const problem = otherAttributesProblem(otherAttributes);
  if (problem) throw bad(`otherAuthAttributes: ${problem}`);
  return { digest: digest.toString('base64'), digestAlgorithm: 'sha256', addSigningTime: on(o.addSigningTime, false), otherAttributes };
}
