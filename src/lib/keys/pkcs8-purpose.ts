/**
 * Records a persistent key's purpose inside its PKCS#8 blob, as a PrivateKeyInfo attribute
 * (RFC 5958 §2 `attributes [0] Attributes`), so the persistence port stays a plain
 * label → PKCS#8 store. The attribute type is a UUID-based OID (ITU-T X.667, arc 2.25).
 * Persistence adapters must keep the bytes as given (encrypt the whole blob rather than
 * re-exporting it through node:crypto, which drops attributes).
 */
import type { KeyPurpose } from './key-store.js';
import { KEY_PURPOSES } from './key-rules.js';
import { oidDer, tlv, tlvs } from './der-lite.js';

/** DER of OID 2.25.177748010004589798405141177310983679828 ("One-Shot key purpose"). */
const PURPOSE_OID_DER = oidDer('2.25.177748010004589798405141177310983679828');

/** Appends the purpose attribute to an attribute-less PKCS#8 v1 PrivateKeyInfo. */
export function withPurpose(pkcs8: Uint8Array, purpose: KeyPurpose): Uint8Array {
  const [outer] = tlvs(pkcs8, 0, pkcs8.length);
  if (!outer || outer.tag !== 0x30) throw new Error('PKCS#8 is not a SEQUENCE');
  const value = tlv(0x0c, new TextEncoder().encode(purpose));
  const attr = tlv(0x30, Uint8Array.from([...PURPOSE_OID_DER, ...tlv(0x31, value)]));
  return tlv(0x30, Uint8Array.from([...pkcs8.subarray(outer.cs, outer.ce), ...tlv(0xa0, attr)]));
}

/** The purpose recorded by withPurpose, or null when the blob carries none. */
export function purposeOf(pkcs8: Uint8Array): KeyPurpose | null {
  const [outer] = tlvs(pkcs8, 0, pkcs8.length);
  if (!outer || outer.tag !== 0x30) return null;
  const attrs = tlvs(pkcs8, outer.cs, outer.ce).find((t) => t.tag === 0xa0);
  if (!attrs) return null;
  for (const a of tlvs(pkcs8, attrs.cs, attrs.ce)) {
    const [type, values] = tlvs(pkcs8, a.cs, a.ce);
    if (!type || !values) continue;
    const body = pkcs8.subarray(type.cs, type.ce);
    const want = PURPOSE_OID_DER.subarray(2); // the OID is short: 2-byte header
    if (type.tag !== 0x06 || body.length !== want.length || !body.every((b, i) => b === want[i])) continue;
    const [v] = tlvs(pkcs8, values.cs, values.ce);
    if (!v || v.tag !== 0x0c) return null;
    const s = new TextDecoder().decode(pkcs8.subarray(v.cs, v.ce));
    return (KEY_PURPOSES as readonly string[]).includes(s) ? (s as KeyPurpose) : null;
  }
  return null;
}
