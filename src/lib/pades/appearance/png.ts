/**
 * PNG decoder (ISO/IEC 15948 = PNG 2nd edition, W3C). Bytes in, 8-bit samples out.
 *
 * Supports every standard colour type and bit depth (gray 1/2/4/8/16, RGB 8/16, palette
 * 1/2/4/8, gray+alpha 8/16, RGBA 8/16), all five filter types (§9.2), Adam7 interlacing (§8.2)
 * and tRNS transparency (§11.3.2.1). 16-bit samples are reduced to their high byte, low bit
 * depths are scaled to 0..255, palettes are expanded to RGB. Ancillary chunks other than tRNS
 * (gamma, ICC, text…) are ignored. Any malformation is PDF_ERR_BAD_IMAGE, never a crash.
 */
import { inflateSync } from 'node:zlib';
import { AppError } from '../../../shared/errors.js';

export interface DecodedImage {
  width: number;
  height: number;
  /** 1 = DeviceGray, 3 = DeviceRGB. */
  colors: 1 | 3;
  /** width × height × colors samples, 8 bits each, rows top to bottom. */
  pixels: Uint8Array;
  /** width × height alpha samples, or undefined when the image is fully opaque. */
  alpha?: Uint8Array;
}

/** Limits for uploaded rubric images: big enough for any scan, small enough to bound memory (~64 MB). */
export const MAX_IMAGE_SIDE = 8192;
export const MAX_IMAGE_PIXELS = 16 * 1024 * 1024;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Adam7 passes: x start, y start, x step, y step (§8.2).
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

const bad = (why: string): never => {
  throw new AppError('PDF_ERR_BAD_IMAGE', `Invalid PNG image: ${why}`);
};

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

interface Header { width: number; height: number; depth: number; colorType: number; interlace: number }

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((v, i) => bytes[i] === v);
}

export function decodePng(bytes: Uint8Array): DecodedImage {
  if (!isPng(bytes)) bad('not a PNG file (signature)');
  let pos = 8;
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos < bytes.length && !ended) {
    if (pos + 12 > bytes.length) bad('truncated chunk');
    const len = u32(bytes, pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    const dataStart = pos + 8;
    const dataEnd = dataStart + len;
    if (len > 0x7fffffff || dataEnd + 4 > bytes.length) bad(`truncated ${type} chunk`);
    if (crc32(bytes, pos + 4, dataEnd) !== u32(bytes, dataEnd)) bad(`CRC mismatch in ${type} chunk`);
    const data = bytes.subarray(dataStart, dataEnd);
    if (!header && type !== 'IHDR') bad('IHDR must come first');
    switch (type) {
      case 'IHDR': header = parseHeader(data); break;
      case 'PLTE':
        if (len % 3 !== 0 || len === 0 || len > 768) bad('bad PLTE length');
        palette = data;
        break;
      case 'tRNS': trns = data; break;
      case 'IDAT': idat.push(data); break;
      case 'IEND': ended = true; break;
      default:
        // Unknown critical chunks (uppercase first letter) cannot be ignored (§5.4).
        if ((bytes[pos + 4]! & 0x20) === 0) bad(`unknown critical chunk ${type.replace(/[^\x20-\x7e]/g, '?')}`);
    }
    pos = dataEnd + 4;
  }
  if (!header) return bad('missing IHDR');
  if (!ended) bad('missing IEND');
  if (idat.length === 0) bad('no image data');
  if (header.colorType === 3 && !palette) bad('palette image without PLTE');
  const raw = inflateAll(idat, filteredSize(header));
  return expand(header, unfilterAll(header, raw), palette, trns);
}

function parseHeader(d: Uint8Array): Header {
  if (d.length !== 13) bad('bad IHDR length');
  const h = { width: u32(d, 0), height: u32(d, 4), depth: d[8]!, colorType: d[9]!, interlace: d[12]! };
  if (h.width === 0 || h.height === 0) bad('zero width or height');
  if (h.width > MAX_IMAGE_SIDE || h.height > MAX_IMAGE_SIDE || h.width * h.height > MAX_IMAGE_PIXELS)
    throw new AppError('PDF_ERR_BAD_IMAGE', `Image too large: ${h.width}x${h.height} (limits: ${MAX_IMAGE_SIDE} per side, ${MAX_IMAGE_PIXELS} pixels)`);
  if (!ALLOWED_DEPTHS[h.colorType]?.includes(h.depth)) bad(`colour type ${h.colorType} with bit depth ${h.depth}`);
  if (d[10] !== 0 || d[11] !== 0) bad('unknown compression or filter method');
  if (h.interlace > 1) bad('unknown interlace method');
  return h;
}

const bitsPerPixel = (h: Header) => CHANNELS[h.colorType]! * h.depth;
const rowBytes = (h: Header, w: number) => Math.ceil((w * bitsPerPixel(h)) / 8);

/** The sub-images of the file: one for a plain image, seven (some maybe empty) for Adam7. */
function passes(h: Header): { x0: number; y0: number; dx: number; dy: number; w: number; rows: number }[] {
  if (h.interlace === 0) return [{ x0: 0, y0: 0, dx: 1, dy: 1, w: h.width, rows: h.height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({
    x0, y0, dx, dy,
    w: Math.ceil((h.width - x0) / dx) > 0 ? Math.ceil((h.width - x0) / dx) : 0,
    rows: Math.ceil((h.height - y0) / dy) > 0 ? Math.ceil((h.height - y0) / dy) : 0,
  }));
}

function filteredSize(h: Header): number {
  let n = 0;
  for (const p of passes(h)) if (p.w > 0 && p.rows > 0) n += p.rows * (1 + rowBytes(h, p.w));
  return n;
}

function inflateAll(idat: Uint8Array[], expected: number): Uint8Array {
  const joined = idat.length === 1 ? idat[0]! : Buffer.concat(idat);
  let out: Buffer;
  try {
    // The bound stops decompression bombs before they allocate.
    out = inflateSync(joined, { maxOutputLength: expected + 1 });
  } catch {
    return bad('corrupt or oversized compressed data');
  }
  if (out.length < expected) bad('not enough image data');
  return out;
}

/** Undoes the per-row filters (§9.2) pass by pass; returns each pass's unfiltered rows. */
function unfilterAll(h: Header, raw: Uint8Array): { pass: ReturnType<typeof passes>[number]; data: Uint8Array; stride: number }[] {
  const bpp = Math.max(1, bitsPerPixel(h) >> 3);
  const out = [];
  let pos = 0;
  for (const pass of passes(h)) {
    if (pass.w === 0 || pass.rows === 0) continue;
    const stride = rowBytes(h, pass.w);
    const data = new Uint8Array(stride * pass.rows);
    for (let y = 0; y < pass.rows; y++) {
      const ft = raw[pos++]!;
      const row = y * stride;
      const prev = row - stride;
      const first = y === 0;
      // One tight loop per filter type: this is the hot path for large images.
      switch (ft) {
        case 0:
          data.set(raw.subarray(pos, pos + stride), row);
          break;
        case 1:
          for (let x = 0; x < stride; x++) data[row + x] = (raw[pos + x]! + (x >= bpp ? data[row + x - bpp]! : 0)) & 0xff;
          break;
        case 2:
          if (first) data.set(raw.subarray(pos, pos + stride), row);
          else for (let x = 0; x < stride; x++) data[row + x] = (raw[pos + x]! + data[prev + x]!) & 0xff;
          break;
        case 3:
          for (let x = 0; x < stride; x++) {
            const a = x >= bpp ? data[row + x - bpp]! : 0;
            const b = first ? 0 : data[prev + x]!;
            data[row + x] = (raw[pos + x]! + ((a + b) >> 1)) & 0xff;
          }
          break;
        case 4:
          for (let x = 0; x < stride; x++) {
            const a = x >= bpp ? data[row + x - bpp]! : 0;
            const b = first ? 0 : data[prev + x]!;
            const c = !first && x >= bpp ? data[prev + x - bpp]! : 0;
            const p = a + b - c;
            const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
            data[row + x] = (raw[pos + x]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
          }
          break;
        default:
          return bad(`unknown filter type ${ft}`);
      }
      pos += stride;
    }
    out.push({ pass, data, stride });
  }
  return out;
}

/** Turns unfiltered rows into 8-bit gray/RGB samples plus optional alpha. */
function expand(h: Header, rows: ReturnType<typeof unfilterAll>, palette?: Uint8Array, trns?: Uint8Array): DecodedImage {
  const { width, height, depth, colorType } = h;
  const colors: 1 | 3 = colorType === 0 || colorType === 4 ? 1 : 3;
  const pixels = new Uint8Array(width * height * colors);
  const hasAlpha = colorType === 4 || colorType === 6 || trns !== undefined;
  const alpha = hasAlpha ? new Uint8Array(width * height).fill(255) : undefined;
  const channels = CHANNELS[colorType]!;
  const maxV = (1 << depth) - 1;
  // tRNS for gray/RGB names one transparent colour in raw sample values (§11.3.2.1).
  const key = trns && (colorType === 0 || colorType === 2)
    ? Array.from({ length: colorType === 0 ? 1 : 3 }, (_, i) => (trns.length >= 2 * i + 2 ? (trns[2 * i]! << 8) | trns[2 * i + 1]! : -1))
    : undefined;
  const sample = (data: Uint8Array, row: number, index: number): number => {
    if (depth === 8) return data[row + index]!;
    if (depth === 16) return (data[row + index * 2]! << 8) | data[row + index * 2 + 1]!;
    const bit = index * depth;
    return (data[row + (bit >> 3)]! >> (8 - depth - (bit & 7))) & maxV;
  };
  const to8 = (v: number) => (depth === 16 ? v >> 8 : depth === 8 ? v : Math.round((v * 255) / maxV));
  if (depth === 8 && h.interlace === 0 && colorType !== 3 && !key) {
    // Fast path, the common case: samples are already 8-bit and in order; split off alpha.
    const data = rows[0]!.data;
    if (colorType === 0 || colorType === 2) pixels.set(data.subarray(0, pixels.length));
    else {
      for (let i = 0, o = 0, k = 0; i < width * height; i++) {
        for (let c = 0; c < colors; c++) pixels[o++] = data[k++]!;
        alpha![i] = data[k++]!;
      }
    }
    return finish(width, height, colors, pixels, alpha);
  }
  for (const { pass, data, stride } of rows) {
    for (let py = 0; py < pass.rows; py++) {
      const y = pass.y0 + py * pass.dy;
      const row = py * stride;
      for (let px = 0; px < pass.w; px++) {
        const x = pass.x0 + px * pass.dx;
        const i = y * width + x;
        const s0 = sample(data, row, px * channels);
        if (colorType === 3) {
          if (s0 * 3 + 2 >= palette!.length) bad('palette index out of range');
          pixels[i * 3] = palette![s0 * 3]!;
          pixels[i * 3 + 1] = palette![s0 * 3 + 1]!;
          pixels[i * 3 + 2] = palette![s0 * 3 + 2]!;
          if (alpha && trns) alpha[i] = s0 < trns.length ? trns[s0]! : 255;
          continue;
        }
        if (colors === 1) {
          pixels[i] = to8(s0);
          if (colorType === 4) alpha![i] = to8(sample(data, row, px * channels + 1));
          else if (key && s0 === key[0]) alpha![i] = 0;
          continue;
        }
        const s1 = sample(data, row, px * channels + 1);
        const s2 = sample(data, row, px * channels + 2);
        pixels[i * 3] = to8(s0);
        pixels[i * 3 + 1] = to8(s1);
        pixels[i * 3 + 2] = to8(s2);
        if (colorType === 6) alpha![i] = to8(sample(data, row, px * channels + 3));
        else if (key && s0 === key[0] && s1 === key[1] && s2 === key[2]) alpha![i] = 0;
      }
    }
  }
  return finish(width, height, colors, pixels, alpha);
}

function finish(width: number, height: number, colors: 1 | 3, pixels: Uint8Array, alpha?: Uint8Array): DecodedImage {
  const opaque = !alpha || alpha.every((a) => a === 255);
  return opaque ? { width, height, colors, pixels } : { width, height, colors, pixels, alpha };
}
