/**
 * The few DER pieces lib/keys needs (SubjectPublicKeyInfo from PKCS#11 attributes, ECDSA
 * signature conversion, the PKCS#8 purpose attribute), kept here so lib/keys stays independent
 * of lib/cms. X.690 §8 definite-length encodings only.
 */

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, body: Uint8Array): Uint8Array {
  const head = [tag, ...lengthOctets(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, cat(...parts));

export function oidDer(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(BigInt);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const chunk = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** INTEGER from an unsigned big-endian magnitude (minimal, positive). */
export function unsignedInteger(m: Uint8Array): Uint8Array {
  let i = 0;
  while (i < m.length - 1 && m[i] === 0) i++;
  const body = m.subarray(i);
  return tlv(0x02, body[0]! & 0x80 ? cat(Uint8Array.of(0), body) : body);
}

/** Reads the TLVs inside [start, end): tag and content offsets. */
export function tlvs(der: Uint8Array, start = 0, end = der.length): { tag: number; cs: number; ce: number }[] {
  const out: { tag: number; cs: number; ce: number }[] = [];
  for (let p = start; p < end; ) {
    const tag = der[p]!;
    let b = der[p + 1]!;
    let cs = p + 2;
    let cl = b;
    if (b >= 0x80) {
      b &= 0x7f;
      if (b === 0 || b > 4) throw new Error('unsupported DER length');
      cl = 0;
      for (let i = 0; i < b; i++) cl = cl * 256 + der[cs + i]!;
      cs += b;
    }
    if (cs + cl > end) throw new Error('DER runs past its container');
    out.push({ tag, cs, ce: cs + cl });
    p = cs + cl;
  }
  return out;
}

/** PKCS#11 CKM_ECDSA returns r || s (PKCS#11 v2.40 §2.3.1); CMS and X.509 want the DER Ecdsa-Sig-Value (RFC 3279 §2.2.3). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length % 2 !== 0 || raw.length === 0) throw new Error('ECDSA signature has odd length');
  const half = raw.length / 2;
  return seq(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_RSA = '1.2.840.113549.1.1.1';

/** SubjectPublicKeyInfo for an EC point (RFC 5480 §2): curve given as its DER OID (CKA_EC_PARAMS). */
export function ecSpki(ecParamsDer: Uint8Array, point: Uint8Array): Uint8Array {
  return seq(seq(oidDer(OID_EC_PUBLIC_KEY), ecParamsDer), tlv(0x03, cat(Uint8Array.of(0), point)));
}

/** SubjectPublicKeyInfo for an RSA key (RFC 3279 §2.3.1): parameters NULL. */
export function rsaSpki(modulus: Uint8Array, exponent: Uint8Array): Uint8Array {
  const rsaPublicKey = seq(unsignedInteger(modulus), unsignedInteger(exponent));
  return seq(seq(oidDer(OID_RSA), Uint8Array.of(0x05, 0)), tlv(0x03, cat(Uint8Array.of(0), rsaPublicKey)));
}

/** CKA_EC_POINT is normally the DER OCTET STRING around the point (PKCS#11 v2.40 §2.3.3); some tokens give it bare. */
export function unwrapEcPoint(v: Uint8Array): Uint8Array {
  if (v[0] === 0x04 && v.length > 2) {
    try {
      const [t] = tlvs(v);
      if (t && t.tag === 0x04 && t.ce === v.length) return v.subarray(t.cs, t.ce);
    } catch {
      /* a bare uncompressed point also starts with 0x04 */
    }
  }
  return v;
}
