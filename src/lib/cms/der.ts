/**
 * Minimal DER writer and reader (ITU-T X.690 §8, §10) for the envelopes whose bytes must be
 * exact: the signed-attributes SET that is signed (RFC 5652 §5.4), SignedData carrying foreign
 * certificates byte-for-byte, and "to-be-signed" structures wrapped with their signature.
 * Every structure lib/cms emits is written with these helpers (only algorithms.ts reads public-key
 * parameters through @peculiar/asn1-*), so the bytes are exactly what the specs ask for.
 */
import { AppError } from '../../shared/errors.js';

export type Bytes = Uint8Array;

export function concat(parts: readonly Bytes[]): Bytes {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesOf(b: ArrayBuffer | ArrayBufferView): Bytes {
  if (b instanceof Uint8Array) return b;
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new Uint8Array(b);
}

export function bytesEqual(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** X.690 §10.3 / §11.6: SET OF components in ascending order of their encodings (shorter = padded with 0). */
export function compareDer(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function sortDer(items: readonly Bytes[]): Bytes[] {
  return [...items].sort(compareDer);
}

// ---------------------------------------------------------------- writer

function lengthBytes(n: number): Bytes {
  if (n < 0x80) return Uint8Array.of(n);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Uint8Array.from([0x80 | out.length, ...out]);
}

/** One TLV with a single-byte identifier (all tags used here are < 31). */
export function tlv(tag: number, content: Bytes): Bytes {
  return concat([Uint8Array.of(tag), lengthBytes(content.length), content]);
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

export const seq = (...parts: Bytes[]): Bytes => tlv(TAG.SEQUENCE, concat(parts));
/** SET OF in DER order (X.690 §11.6). */
export const setOf = (parts: readonly Bytes[]): Bytes => tlv(TAG.SET, concat(sortDer(parts)));
export const octetString = (b: Bytes): Bytes => tlv(TAG.OCTET_STRING, b);
/** BIT STRING with no unused bits (signatures, public keys). */
export const bitString = (b: Bytes): Bytes => tlv(TAG.BIT_STRING, concat([Uint8Array.of(0), b]));
/** [n] EXPLICIT: a constructed context tag wrapping the inner TLV. */
export const explicit = (n: number, inner: Bytes): Bytes => tlv(0xa0 | n, inner);
/** [n] IMPLICIT on a constructed type: the content of `inner`, retagged. */
export const implicitConstructed = (n: number, innerContent: Bytes): Bytes => tlv(0xa0 | n, innerContent);

/** INTEGER from unsigned big-endian magnitude bytes (adds the 0x00 sign octet, strips leading zeros). */
export function unsignedInteger(magnitude: Bytes): Bytes {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let m = magnitude.subarray(i);
  if (m.length === 0) m = Uint8Array.of(0);
  return tlv(TAG.INTEGER, m[0]! & 0x80 ? concat([Uint8Array.of(0), m]) : m);
}

export function smallInteger(n: number): Bytes {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('smallInteger takes a non-negative safe integer');
  const out: number[] = [];
  let v = n;
  do {
    out.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  return unsignedInteger(Uint8Array.from(out));
}

export function oid(dotted: string): Bytes {
  const arcs = dotted.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new AppError('CMS_ERR_MALFORMED', `Invalid OID ${dotted}`);
    return BigInt(s);
  });
  if (arcs.length < 2) throw new AppError('CMS_ERR_MALFORMED', `Invalid OID ${dotted}`);
  const first = arcs[0]! * 40n + arcs[1]!;
  const out: number[] = [];
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

// ---------------------------------------------------------------- reader

export interface Tlv {
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

/** Reads one DER TLV at `offset` (definite lengths only; BER indefinite lengths are refused). */
export function readTlv(buf: Bytes, offset = 0, limit = buf.length): Tlv {
  const bad = (why: string) => new AppError('CMS_ERR_MALFORMED', `Malformed DER: ${why}`);
  if (offset + 2 > limit) throw bad('truncated header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw bad('multi-byte tags are not supported');
  let p = offset + 1;
  const first = buf[p++]!;
  let len: number;
  if (first < 0x80) len = first;
  else {
    const n = first & 0x7f;
    if (n === 0) throw bad('indefinite length');
    if (n > 4 || p + n > limit) throw bad('length too large');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
  }
  if (p + len > limit) throw bad('content runs past its container');
  return { tag, start: offset, contentStart: p, end: p + len };
}

/** The TLVs directly inside a constructed TLV. */
export function children(buf: Bytes, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end; ) {
    const t = readTlv(buf, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

export const slice = (buf: Bytes, t: Tlv): Bytes => buf.subarray(t.start, t.end);
export const content = (buf: Bytes, t: Tlv): Bytes => buf.subarray(t.contentStart, t.end);

/** Parses a whole buffer that must be exactly one TLV. */
export function readRoot(buf: Bytes): Tlv {
  const t = readTlv(buf, 0);
  if (t.end !== buf.length) throw new AppError('CMS_ERR_MALFORMED', 'Malformed DER: trailing bytes');
  return t;
}

// ---------------------------------------------------------------- primitives decoded

export function decodeOid(body: Bytes): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (let i = 0; i < body.length; i++) {
    v = (v << 7n) | BigInt(body[i]! & 0x7f);
    if ((body[i]! & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (arcs.length === 0) throw new AppError('CMS_ERR_MALFORMED', 'Malformed DER: empty OID');
  const first = arcs[0]!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].map(String).join('.');
}

/** Reads an OBJECT IDENTIFIER TLV. */
export function readOid(buf: Bytes, t: Tlv): string {
  if (t.tag !== TAG.OID) throw new AppError('CMS_ERR_MALFORMED', 'Malformed DER: expected an OID');
  return decodeOid(content(buf, t));
}

/** Hex of an INTEGER's content octets (two's complement, as in the certificate). */
export function integerHex(buf: Bytes, t: Tlv): string {
  if (t.tag !== TAG.INTEGER) throw new AppError('CMS_ERR_MALFORMED', 'Malformed DER: expected an INTEGER');
  return Buffer.from(content(buf, t)).toString('hex');
}

export function integerValue(buf: Bytes, t: Tlv): number {
  const c = content(buf, t);
  if (t.tag !== TAG.INTEGER || c.length > 6) throw new AppError('CMS_ERR_MALFORMED', 'Malformed DER: expected a small INTEGER');
  let v = 0;
  for (const b of c) v = v * 256 + b;
  return c.length && c[0]! & 0x80 ? v - 2 ** (8 * c.length) : v;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ, whole seconds; years 1950-2049 only. */
export function utcTime(d: Date): Bytes {
  const y = d.getUTCFullYear();
  if (y < 1950 || y > 2049) throw new RangeError('UTCTime covers 1950-2049');
  const s = `${pad(y % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(TAG.UTC_TIME, new TextEncoder().encode(s));
}

/** X.690 §11.7 GeneralizedTime in UTC; fractional seconds only when `millis` is set and non-zero (RFC 3161 §2.4.2). */
export function generalizedTime(d: Date, millis = false): Bytes {
  let s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  // X.690 §11.7.3: no trailing zeros in the fraction.
  if (millis && ms) s += `.${pad(ms, 3)}`.replace(/0+$/, '');
  return tlv(TAG.GENERALIZED_TIME, new TextEncoder().encode(`${s}Z`));
}

/** RFC 5280 §4.1.2.5 / RFC 5652 §11.3 Time: UTCTime through 2049, GeneralizedTime after. */
export function x509Time(d: Date): Bytes {
  const y = d.getUTCFullYear();
  return y >= 1950 && y <= 2049 ? utcTime(d) : generalizedTime(d);
}

export function readTime(buf: Bytes, t: Tlv): Date {
  const s = new TextDecoder().decode(content(buf, t));
  let m: RegExpMatchArray | null;
  if (t.tag === TAG.UTC_TIME && (m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/))) {
    const yy = Number(m[1]);
    return new Date(Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  }
  if (t.tag === TAG.GENERALIZED_TIME && (m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/))) {
    const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms));
  }
  throw new AppError('CMS_ERR_MALFORMED', 'Malformed DER: bad time');
}

/** Rebuilds `parent` with its child number `index` replaced (or removed when `replacement` is null). */
export function withChildReplaced(buf: Bytes, parent: Tlv, index: number, replacement: Bytes | null): Bytes {
  const kids = children(buf, parent);
  const parts = kids.map((k, i) => (i === index ? replacement : slice(buf, k))).filter((p): p is Bytes => p !== null);
  if (index === kids.length && replacement) parts.push(replacement);
  return tlv(parent.tag, concat(parts));
}

// ---------------------------------------------------------------- strings

const PRINTABLE_RE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** PrintableString (X.680 §41.4): countryName and serialNumber must use it (RFC 5280 App. A). */
export function printableString(s: string): Bytes {
  if (!PRINTABLE_RE.test(s)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `"${s}" is not a PrintableString`);
  return tlv(0x13, new TextEncoder().encode(s));
}

export function ia5String(s: string, tag = 0x16): Bytes {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'IA5String must be ASCII');
  return tlv(tag, new TextEncoder().encode(s));
}

export const utf8String = (s: string): Bytes => tlv(TAG.UTF8_STRING, new TextEncoder().encode(s));

/**
 * A named-bit BIT STRING (X.690 §11.2.2): trailing zero bits are removed and counted as
 * unused bits, so e.g. keyUsage {keyCertSign, cRLSign} is 03 02 01 06.
 */
export function namedBitString(bits: readonly number[]): Bytes {
  if (bits.length === 0) return tlv(TAG.BIT_STRING, Uint8Array.of(0));
  const max = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(max / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)]! |= 0x80 >> b % 8;
  const unused = 7 - (max % 8);
  return tlv(TAG.BIT_STRING, concat([Uint8Array.of(unused), bytes]));
}

export const booleanTrue = (): Bytes => Uint8Array.of(TAG.BOOLEAN, 1, 0xff);
export const derNull = (): Bytes => Uint8Array.of(TAG.NULL, 0);

/**
 * Runs a parser over untrusted bytes: any failure (including a TypeError from a missing
 * element) becomes one AppError with `code`, so callers map it to a clean 4xx.
 */
export function parsing<T>(what: string, fn: () => T, code: 'CMS_ERR_MALFORMED' | 'TSA_ERR_BAD_REQUEST' | 'TSA_ERR_BAD_RESPONSE' = 'CMS_ERR_MALFORMED'): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AppError && e.code === code) throw e;
    const detail = e instanceof AppError ? `: ${e.message}` : '';
    throw new AppError(code, `Malformed ${what}${detail}`, undefined, { cause: e });
  }
}
