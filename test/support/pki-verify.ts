/** In-process verification with pkijs 4 (a second, independent CMS implementation). */
import * as pkijs from 'pkijs';
import * as asn1js from 'asn1js';
import { webcrypto } from 'node:crypto';

pkijs.setEngine('node-webcrypto', new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] }));

const ab = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export function pkijsCertificate(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(ab(der));
}

/** Verifies a detached CMS over `content` and its chain up to `roots`; returns pkijs's verdict. */
export async function pkijsVerifyDetached(cms: Uint8Array, content: Uint8Array, roots: Uint8Array[]): Promise<{ ok: boolean; message: string }> {
  const ci = pkijs.ContentInfo.fromBER(ab(cms));
  const sd = new pkijs.SignedData({ schema: ci.content });
  try {
    const r = await sd.verify({
      signer: 0,
      data: ab(content),
      checkChain: true,
      trustedCerts: roots.map(pkijsCertificate),
      extendedMode: true,
    });
    return { ok: r.signatureVerified === true, message: r.message ?? '' };
  } catch (e) {
    const err = e as { message?: string; signatureVerified?: boolean };
    return { ok: false, message: err.message ?? String(e) };
  }
}

export { pkijs, asn1js };
