/**
 * QR code drawn as vector rectangles (no raster, so it stays sharp at any zoom and print size).
 * The module matrix comes from the `qrcode` package's QRCode.create() (ISO/IEC 18004 encoder);
 * we only draw it: dark modules on a white square with the 4-module quiet zone the standard
 * requires (ISO/IEC 18004:2015 §9.1).
 */
import QRCode from 'qrcode';
import { AppError } from '../../../shared/errors.js';
import { fmt } from './pdf-number.js';

export const QR_QUIET_ZONE = 4;
/** A QR code of version 40-M holds 2,331 bytes; URLs longer than this are not verification links. */
export const MAX_QR_TEXT = 2048;

export interface QrMatrix {
  /** Modules per side (21 for version 1 … 177 for version 40), without the quiet zone. */
  size: number;
  version: number;
  isDark(row: number, col: number): boolean;
}

export function qrMatrix(text: string): QrMatrix {
  if (typeof text !== 'string' || text.length === 0) throw new AppError('PDF_ERR_BAD_APPEARANCE', 'QR code text is empty');
  if (text.length > MAX_QR_TEXT) throw new AppError('PDF_ERR_BAD_APPEARANCE', `QR code text is longer than ${MAX_QR_TEXT} characters`);
  let code: QRCode.QRCode;
  try {
    // Level M (15 % recovery) is the usual choice for printed links.
    code = QRCode.create(text, { errorCorrectionLevel: 'M' });
  } catch (e) {
    throw new AppError('PDF_ERR_BAD_APPEARANCE', 'QR code text cannot be encoded', undefined, { cause: e });
  }
  const { size, data } = code.modules;
  return { size, version: code.version, isDark: (r, c) => data[r * size + c] === 1 };
}

/**
 * Content-stream operators that draw `m` in the square of side `side` whose bottom-left corner
 * is (x, y), quiet zone included. Horizontal runs of dark modules become one rectangle each.
 */
export function qrOperators(m: QrMatrix, x: number, y: number, side: number): string {
  const modules = m.size + 2 * QR_QUIET_ZONE;
  const unit = side / modules;
  const ops: string[] = ['q', '1 g', `${fmt(x)} ${fmt(y)} ${fmt(side)} ${fmt(side)} re f`, '0 g'];
  for (let r = 0; r < m.size; r++) {
    // Row 0 is the top of the symbol; PDF's y axis goes up (§8.3.2.3).
    const top = y + side - (r + QR_QUIET_ZONE) * unit;
    let c = 0;
    while (c < m.size) {
      if (!m.isDark(r, c)) {
        c++;
        continue;
      }
      const start = c;
      while (c < m.size && m.isDark(r, c)) c++;
      ops.push(`${fmt(x + (start + QR_QUIET_ZONE) * unit)} ${fmt(top - unit)} ${fmt((c - start) * unit)} ${fmt(unit)} re`);
    }
  }
  ops.push('f', 'Q');
  return ops.join('\n');
}
