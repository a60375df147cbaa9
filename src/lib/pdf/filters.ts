/**
 * Stream filters the reader needs to read structure: FlateDecode with PNG/TIFF predictors
 * (ISO 32000-1 §7.4.4, Table 8) for cross-reference and object streams, and ASCIIHex /
 * ASCII85 which some producers chain in front. Content streams are never decoded here.
 */
import { constants, inflateSync } from 'node:zlib';
import { AppError } from '../../shared/errors.js';
import { PdfDict, PdfName, isDict, type PdfValue } from './objects.js';

/** Upper bound for one decoded structural stream (xref / object stream). */
export const MAX_DECODED_STREAM = 256 * 1024 * 1024;

function flate(data: Uint8Array): Uint8Array {
  try {
    // Z_SYNC_FLUSH tolerates a missing adler32 trailer, which several producers omit.
    return inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: MAX_DECODED_STREAM });
  } catch (e) {
    throw new AppError('PDF_ERR_MALFORMED', 'Corrupt FlateDecode stream', undefined, { cause: e });
  }
}

function asciiHex(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let hi = -1;
  for (const c of data) {
    if (c === 0x3e) break;
    const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;
    if (v < 0) continue;
    if (hi < 0) hi = v;
    else {
      out.push((hi << 4) | v);
      hi = -1;
    }
  }
  if (hi >= 0) out.push(hi << 4);
  return Uint8Array.from(out);
}

function ascii85(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let group: number[] = [];
  const flush = (n: number) => {
    while (group.length < 5) group.push(84);
    let v = 0;
    for (const g of group) v = v * 85 + g;
    const bytes = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    out.push(...bytes.slice(0, n));
    group = [];
  };
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x7e) break; // '~>'
    if (c === 0x7a && group.length === 0) {
      out.push(0, 0, 0, 0);
      continue;
    }
    if (c < 0x21 || c > 0x75) continue;
    group.push(c - 33);
    if (group.length === 5) flush(4);
  }
  if (group.length > 0) flush(group.length - 1);
  return Uint8Array.from(out);
}

/** PNG (10–15) and TIFF (2) predictors, §7.4.4.4 Table 10; 8 bits per component only. */
export function unpredict(data: Uint8Array, parms: PdfDict | undefined): Uint8Array {
  if (!parms) return data;
  const predictor = num(parms.get('Predictor'), 1);
  if (predictor === 1) return data;
  const colors = num(parms.get('Colors'), 1);
  const bpc = num(parms.get('BitsPerComponent'), 8);
  const columns = num(parms.get('Columns'), 1);
  if (bpc !== 8) throw new AppError('PDF_ERR_UNSUPPORTED', `Predictor with ${bpc} bits per component is not supported`);
  // Table 9: /Colors ≥ 1 and /Columns ≥ 1 are integers; a row wider than the data is nonsense
  // (and must not size an allocation from an untrusted number).
  const sane = (v: number) => Number.isInteger(v) && v >= 1;
  if (!sane(colors) || !sane(columns) || colors > 32 || (data.length > 0 && colors * columns > data.length)) {
    throw new AppError('PDF_ERR_MALFORMED', `Bad predictor parameters /Colors ${colors} /Columns ${columns}`);
  }
  const bpp = colors;
  const rowLen = colors * columns;
  if (predictor === 2) {
    const out = Uint8Array.from(data);
    for (let r = 0; r + rowLen <= out.length; r += rowLen) {
      for (let i = bpp; i < rowLen; i++) out[r + i] = (out[r + i]! + out[r + i - bpp]!) & 0xff;
    }
    return out;
  }
  if (predictor < 10) throw new AppError('PDF_ERR_UNSUPPORTED', `Predictor ${predictor} is not supported`);
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = new Uint8Array(rows * rowLen);
  let prev = new Uint8Array(rowLen);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLen + 1)]!;
    const src = data.subarray(r * (rowLen + 1) + 1, (r + 1) * (rowLen + 1));
    const row = out.subarray(r * rowLen, (r + 1) * rowLen);
    for (let i = 0; i < rowLen; i++) {
      const left = i >= bpp ? row[i - bpp]! : 0;
      const up = prev[i]!;
      const upLeft = i >= bpp ? prev[i - bpp]! : 0;
      let v = src[i]!;
      switch (type) {
        case 0: break;
        case 1: v += left; break;
        case 2: v += up; break;
        case 3: v += (left + up) >> 1; break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          v += pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
          break;
        }
        default:
          throw new AppError('PDF_ERR_MALFORMED', `Bad PNG predictor row type ${type}`);
      }
      row[i] = v & 0xff;
    }
    prev = row;
  }
  return out;
}

function num(v: PdfValue | undefined, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}

/** Decodes a structural stream's data according to its /Filter and /DecodeParms. */
export function decodeStream(dict: PdfDict, raw: Uint8Array): Uint8Array {
  const f = dict.get('Filter');
  const p = dict.get('DecodeParms');
  const filters = f === undefined ? [] : Array.isArray(f) ? f : [f];
  const parms = Array.isArray(p) ? p : [p];
  let data = raw;
  filters.forEach((name, i) => {
    if (!(name instanceof PdfName)) throw new AppError('PDF_ERR_MALFORMED', 'Bad /Filter entry');
    const dp = parms[i];
    switch (name.name) {
      case 'FlateDecode':
      case 'Fl':
        data = unpredict(flate(data), isDict(dp) ? dp : undefined);
        break;
      case 'ASCIIHexDecode':
      case 'AHx':
        data = asciiHex(data);
        break;
      case 'ASCII85Decode':
      case 'A85':
        data = ascii85(data);
        break;
      default:
        throw new AppError('PDF_ERR_UNSUPPORTED', `Filter ${name.name} is not supported for structural streams`);
    }
  });
  return data;
}
