/**
 * Sizing the /Contents placeholder (issue 3 item 5): from the real material the CMS will carry
 * — certificates, the signature timestamp token, any revocation values embedded in the CMS —
 * plus a margin. B-LT validation data goes in the DSS (ETSI EN 319 142-1 §5.4.2), not here.
 */
import { AppError } from '../../shared/errors.js';
import { MAX_CONTENTS_SIZE } from './placeholder.js';

export interface ContentsSizeInput {
  /** The certificates the CMS will carry (signer + chain): DER bytes or their lengths. */
  certificates: readonly (Uint8Array | number)[];
  /**
   * Signature timestamp token (B-T and above, RFC 3161 in the unsigned attributes): its DER size
   * if known (e.g. from an earlier token of the same TSA), or true for a default allowance.
   */
  timestampToken?: number | boolean;
  /** Revocation values placed inside the CMS itself (DER bytes or lengths), if any. */
  revocation?: readonly (Uint8Array | number)[];
}

/**
 * SignedData envelope, SignerInfo, signed attributes (content-type, message-digest,
 * signing-certificate-v2, a few extra) and a signature value up to RSA-4096 (512 bytes).
 */
const CMS_OVERHEAD = 2048;
/** A TimeStampToken with its TSA certificate and one intermediate. */
const DEFAULT_TIMESTAMP_ALLOWANCE = 6144;

const len = (x: Uint8Array | number) => (typeof x === 'number' ? x : x.length);

/** Bytes to reserve: material + 12.5 % + 512, rounded up to a whole KiB. */
export function contentsSizeFor(input: ContentsSizeInput): number {
  const certs = input.certificates.reduce<number>((a, c) => a + len(c), 0);
  const rev = (input.revocation ?? []).reduce<number>((a, c) => a + len(c), 0);
  const ts = input.timestampToken === true ? DEFAULT_TIMESTAMP_ALLOWANCE : typeof input.timestampToken === 'number' ? input.timestampToken : 0;
  if (![certs, rev, ts].every((n) => Number.isFinite(n) && n >= 0)) throw new AppError('API_ERR_INVALID_PARAMETER', 'Bad contents size input');
  const raw = CMS_OVERHEAD + certs + rev + ts;
  const size = Math.ceil((raw + raw / 8 + 512) / 1024) * 1024;
  if (size > MAX_CONTENTS_SIZE) throw new AppError('PDF_ERR_UNSUPPORTED', 'The signature material is too large for /Contents; put revocation data in the DSS');
  return size;
}
