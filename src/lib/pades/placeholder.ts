/**
 * Reserved regions of a signature dictionary (ISO 32000-1 §12.8.1): /Contents is a hex string
 * of zeros big enough for the CMS, /ByteRange a fixed-width array patched once the offsets are
 * known. Both are PdfRaw so the writer reports their exact offsets.
 */
import { AppError } from '../../shared/errors.js';
import { PdfRaw, latin1 } from '../pdf/objects.js';

/** Digits reserved per ByteRange number: 12 digits address files up to ~931 GiB (well past 10 GB). */
export const BYTE_RANGE_DIGITS = 12;
/** Upper bound for a /Contents reservation (bytes of CMS). B-LT material goes in the DSS, not here. */
export const MAX_CONTENTS_SIZE = 4 * 1024 * 1024;

export function contentsPlaceholder(size: number): PdfRaw {
  if (!Number.isInteger(size) || size < 64 || size > MAX_CONTENTS_SIZE) {
    throw new AppError('API_ERR_INVALID_PARAMETER', `Signature contents size must be an integer between 64 and ${MAX_CONTENTS_SIZE} bytes`);
  }
  const bytes = new Uint8Array(size * 2 + 2).fill(0x30);
  bytes[0] = 0x3c; // '<'
  bytes[bytes.length - 1] = 0x3e; // '>'
  return new PdfRaw(bytes);
}

const BYTE_RANGE_LENGTH = `[0 ${' '.repeat(BYTE_RANGE_DIGITS)} ${' '.repeat(BYTE_RANGE_DIGITS)} ${' '.repeat(BYTE_RANGE_DIGITS)}]`.length;

export function byteRangePlaceholder(): PdfRaw {
  return new PdfRaw(latin1(`[0 0 0 0${' '.repeat(BYTE_RANGE_LENGTH - 9)}]`));
}

/** The ByteRange array text, padded with spaces to the reserved width. */
export function formatByteRange(br: readonly [number, number, number, number]): Uint8Array {
  for (const n of br) {
    if (!Number.isSafeInteger(n) || n < 0 || String(n).length > BYTE_RANGE_DIGITS) {
      throw new AppError('PDF_ERR_UNSUPPORTED', 'File too large for the reserved /ByteRange');
    }
  }
  const s = `[${br.join(' ')}`;
  return latin1(s + ' '.repeat(BYTE_RANGE_LENGTH - s.length - 1) + ']');
}
