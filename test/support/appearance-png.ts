/**
 * PNG fixtures for the appearance tests, encoded by netpbm (pnmtopng / pamtopng, i.e. libpng),
 * an encoder independent of our decoder. Pixel sources are deterministic.
 */
import { run } from './appearance-tools.js';

export interface PamImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
  depth: 1 | 2 | 3 | 4;
  maxval: number;
  /** width × height × depth samples */
  samples: number[];
}

/** Deterministic pseudo-random generator (LCG), so fixtures are the same on every run. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** An image whose samples come from a palette of `colors` entries (or are free when colors = 0). */
export function makeImage(width: number, height: number, depth: PamImage['depth'], maxval: number, colors = 0, seed = 1): PamImage {
  const rnd = lcg(seed);
  const pal = Array.from({ length: colors }, () => Array.from({ length: depth }, () => Math.floor(rnd() * (maxval + 1))));
  const samples: number[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const px = colors > 0 ? pal[Math.floor(rnd() * colors)]! : Array.from({ length: depth }, (_, c) => (c === 0 ? Math.round(((x + y) / (width + height)) * maxval) : Math.floor(rnd() * (maxval + 1))));
      samples.push(...px);
    }
  return { width, height, depth, maxval, samples };
}

const TUPLE = { 1: 'GRAYSCALE', 2: 'GRAYSCALE_ALPHA', 3: 'RGB', 4: 'RGB_ALPHA' } as const;

export function toPam(img: PamImage): Uint8Array {
  const header = `P7\nWIDTH ${img.width}\nHEIGHT ${img.height}\nDEPTH ${img.depth}\nMAXVAL ${img.maxval}\nTUPLTYPE ${TUPLE[img.depth]}\nENDHDR\n`;
  const wide = img.maxval > 255;
  const body = new Uint8Array(img.samples.length * (wide ? 2 : 1));
  img.samples.forEach((v, i) => {
    if (wide) {
      body[2 * i] = v >> 8;
      body[2 * i + 1] = v & 0xff;
    } else body[i] = v;
  });
  return Buffer.concat([Buffer.from(header, 'latin1'), body]);
}

/** Plain PNM (P5/P6) for pnmtopng, which does not read alpha PAMs. */
export function toPnm(img: PamImage): Uint8Array {
  if (img.depth !== 1 && img.depth !== 3) throw new Error('PNM has no alpha');
  const wide = img.maxval > 255;
  const body = new Uint8Array(img.samples.length * (wide ? 2 : 1));
  img.samples.forEach((v, i) => {
    if (wide) {
      body[2 * i] = v >> 8;
      body[2 * i + 1] = v & 0xff;
    } else body[i] = v;
  });
  return Buffer.concat([Buffer.from(`${img.depth === 1 ? 'P5' : 'P6'}\n${img.width} ${img.height}\n${img.maxval}\n`, 'latin1'), body]);
}

export function encode(tool: 'pnmtopng' | 'pamtopng', input: Uint8Array, args: string[] = []): Uint8Array {
  const r = run(tool, [...args, '-'], input);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

/** PNG header fields, read straight from IHDR, to assert which variant libpng wrote. */
export function ihdr(png: Uint8Array): { width: number; height: number; depth: number; colorType: number; interlace: number } {
  const v = new DataView(png.buffer, png.byteOffset + 16, 13);
  return { width: v.getUint32(0), height: v.getUint32(4), depth: v.getUint8(8), colorType: v.getUint8(9), interlace: v.getUint8(12) };
}

export function hasChunk(png: Uint8Array, type: string): boolean {
  let pos = 8;
  while (pos + 8 <= png.length) {
    const len = new DataView(png.buffer, png.byteOffset + pos, 4).getUint32(0);
    if (Buffer.from(png.subarray(pos + 4, pos + 8)).toString('latin1') === type) return true;
    pos += 12 + len;
  }
  return false;
}
