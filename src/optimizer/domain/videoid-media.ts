/**
 * Type and integrity checks of VideoID media, on random-access bytes (the staged upload), without
 * decoding pictures or frames and without holding the file in memory:
 *  - JPEG (ITU-T T.81 Annex B): marker segments walked to EOI, a frame header (SOFn) before the scan;
 *  - PNG (ISO/IEC 15948 §5): signature, IHDR first, every chunk's CRC-32, IDAT, IEND;
 *  - MP4 (ISO/IEC 14496-12 §4.2): top-level boxes tile the file exactly, `ftyp` first, `moov` and
 *    media data (`mdat`) present;
 *  - WebM/Matroska (EBML, RFC 8794; Matroska, RFC 9559): DocType webm|matroska, a Segment with
 *    Tracks and at least one Cluster holding a block; unknown-size Segment/Cluster (what Chromium's
 *    MediaRecorder writes) are followed element by element. No element may run past the end.
 * A type that is not recognised is "unsupported" (415); a recognised but broken file is "corrupt".
 */
import type { ByteSource } from '../../lib/pdf/byte-source.js';

export interface MediaType {
  mime: string;
  ext: string;
}

const JPEG: MediaType = { mime: 'image/jpeg', ext: 'jpg' };
const PNG: MediaType = { mime: 'image/png', ext: 'png' };
const MP4: MediaType = { mime: 'video/mp4', ext: 'mp4' };
const WEBM: MediaType = { mime: 'video/webm', ext: 'webm' };
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffImage(head: Uint8Array): MediaType | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return JPEG;
  if (head.length >= 8 && PNG_SIGNATURE.every((b, i) => head[i] === b)) return PNG;
  return null;
}

export function sniffVideo(head: Uint8Array): MediaType | null {
  if (head.length >= 8 && head[4] === 0x66 && head[5] === 0x74 && head[6] === 0x79 && head[7] === 0x70) return MP4; // 'ftyp'
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return WEBM; // EBML
  return null;
}

/** Buffered reads over a ByteSource (headers are tiny; one 64 KiB window saves most system calls). */
class Window {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  constructor(private readonly src: ByteSource) {}
  get size(): number {
    return this.src.size;
  }
  /** Exactly `n` bytes at `off`, or null when the input ends first. */
  async bytes(off: number, n: number): Promise<Uint8Array | null> {
    if (off < 0 || off + n > this.src.size) return null;
    if (off < this.start || off + n > this.start + this.buf.length) {
      this.buf = await this.src.read(off, Math.max(n, 64 * 1024));
      this.start = off;
    }
    const s = off - this.start;
    return this.buf.length - s >= n ? this.buf.subarray(s, s + n) : null;
  }
}

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) + b[o + 1]!;
const ascii = (b: Uint8Array) => String.fromCharCode(...b);

// ------------------------------------------------------------------ images

let crcTable: Uint32Array | null = null;
/** CRC-32 (ISO/IEC 15948 Annex D) fed slice by slice: start with 0xffffffff, finish with `^ 0xffffffff`. */
function crcUpdate(c: number, b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let x = n;
      for (let k = 0; k < 8; k++) x = x & 1 ? 0xedb88320 ^ (x >>> 1) : x >>> 1;
      crcTable[n] = x >>> 0;
    }
  }
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

async function checkPng(w: Window): Promise<string | null> {
  let off = 8;
  let first = true;
  let idat = false;
  for (;;) {
    const h = await w.bytes(off, 8);
    if (!h) return 'PNG ends before its IEND chunk';
    const len = u32(h, 0);
    const type = ascii(h.subarray(4, 8));
    if (len > 0x7fffffff || off + 12 + len > w.size) return `PNG chunk ${type} runs past the end of the file`;
    if (first && (type !== 'IHDR' || len !== 13)) return 'PNG does not start with an IHDR chunk';
    // CRC over type and data (ISO/IEC 15948 §5.3), read in slices.
    let c = crcUpdate(0xffffffff, h.subarray(4, 8));
    for (let p = 0; p < len; p += 65536) {
      const part = await w.bytes(off + 8 + p, Math.min(65536, len - p));
      if (!part) return 'PNG is truncated';
      c = crcUpdate(c, part);
    }
    const crc = await w.bytes(off + 8 + len, 4);
    if (!crc || u32(crc, 0) !== ((c ^ 0xffffffff) >>> 0)) return `PNG chunk ${type} fails its CRC`;
    if (first) {
      const ihdr = await w.bytes(off + 8, 8);
      if (!ihdr || u32(ihdr, 0) === 0 || u32(ihdr, 4) === 0) return 'PNG has a zero width or height';
      first = false;
    }
    if (type === 'IDAT') idat = true;
    off += 12 + len;
    if (type === 'IEND') return idat ? null : 'PNG has no image data';
  }
}

async function checkJpeg(w: Window): Promise<string | null> {
  let off = 2;
  let frame = false;
  for (;;) {
    const m = await w.bytes(off, 2);
    if (!m) return 'JPEG ends before its EOI marker';
    if (m[0] !== 0xff) return 'JPEG marker expected';
    const code = m[1]!;
    if (code === 0xff) { off += 1; continue; } // fill byte (T.81 §B.1.1.2)
    if (code === 0xd9) return frame ? null : 'JPEG has no frame header';
    if (code === 0x01 || (code >= 0xd0 && code <= 0xd7)) { off += 2; continue; }
    const l = await w.bytes(off + 2, 2);
    if (!l) return 'JPEG is truncated';
    const len = u16(l, 0);
    if (len < 2 || off + 2 + len > w.size) return 'JPEG segment runs past the end of the file';
    if (code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc) {
      const sof = await w.bytes(off + 4, 5);
      if (!sof || u16(sof, 1) === 0 || u16(sof, 3) === 0) return 'JPEG frame has a zero size';
      frame = true;
    }
    off += 2 + len;
    if (code === 0xda) {
      if (!frame) return 'JPEG scan before its frame header';
      // Entropy-coded data: skip to the next marker that is not a stuffed 0xFF00 or a restart marker.
      for (;;) {
        const chunk = await w.bytes(off, Math.min(65536, w.size - off));
        if (!chunk || chunk.length < 2) return 'JPEG scan data is truncated';
        let i = 0;
        for (; i < chunk.length - 1; i++) {
          if (chunk[i] === 0xff) {
            const n = chunk[i + 1]!;
            if (n !== 0x00 && !(n >= 0xd0 && n <= 0xd7) && n !== 0xff) break;
          }
        }
        if (i < chunk.length - 1) { off += i; break; }
        off += chunk.length - 1;
      }
    }
  }
}

// ------------------------------------------------------------------ video

async function checkMp4(w: Window): Promise<string | null> {
  let off = 0;
  const seen = new Set<string>();
  while (off < w.size) {
    const h = await w.bytes(off, 8);
    if (!h) return 'MP4 box header is truncated';
    let size = u32(h, 0);
    const type = ascii(h.subarray(4, 8));
    if (off === 0 && type !== 'ftyp') return 'MP4 does not start with an ftyp box';
    if (size === 1) {
      const large = await w.bytes(off + 8, 8);
      if (!large) return 'MP4 box header is truncated';
      size = u32(large, 0) * 2 ** 32 + u32(large, 4);
      if (size < 16) return `MP4 box ${type} has an invalid size`;
    } else if (size === 0) {
      size = w.size - off; // the box extends to the end of the file (ISO/IEC 14496-12 §4.2)
    } else if (size < 8) {
      return `MP4 box ${type} has an invalid size`;
    }
    if (off + size > w.size) return `MP4 box ${type} runs past the end of the file`;
    seen.add(type);
    off += size;
  }
  if (!seen.has('moov')) return 'MP4 has no movie header (moov)';
  if (!seen.has('mdat')) return 'MP4 has no media data (mdat)';
  return null;
}

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;
const TRACKS = 0x1654ae6b;
const DOCTYPE = 0x4282;
const SIMPLE_BLOCK = 0xa3;
const BLOCK_GROUP = 0xa0;
/** Level-1 elements of a Segment (RFC 9559 §5.1): an unknown-size Cluster ends where one begins. */
const SEGMENT_CHILDREN = new Set([0x114d9b74, 0x1549a966, TRACKS, 0x1c53bb6b, CLUSTER, 0x1254c367, 0x1043a770, 0x1941a469]);

interface Element {
  id: number;
  /** null: unknown size (all value bits set, RFC 8794 §6.2). */
  size: number | null;
  dataStart: number;
}

/** Reads an EBML element header at `off` (RFC 8794 §4-6), or null if it is truncated or invalid. */
async function element(w: Window, off: number): Promise<Element | null> {
  const b = await w.bytes(off, Math.min(12, w.size - off));
  if (!b || b.length < 2) return null;
  const idLen = Math.clz32(b[0]!) - 23;
  if (idLen < 1 || idLen > 4 || b.length < idLen + 1) return null;
  let id = 0;
  for (let i = 0; i < idLen; i++) id = id * 256 + b[i]!;
  const first = b[idLen]!;
  const sizeLen = Math.clz32(first) - 23;
  if (sizeLen < 1 || sizeLen > 8 || b.length < idLen + sizeLen) return null;
  let size = first & (0xff >> sizeLen);
  let allOnes = size === 0xff >> sizeLen;
  for (let i = 1; i < sizeLen; i++) {
    const v = b[idLen + i]!;
    size = size * 256 + v;
    if (v !== 0xff) allOnes = false;
  }
  return { id, size: allOnes ? null : size, dataStart: off + idLen + sizeLen };
}

async function checkWebm(w: Window): Promise<string | null> {
  const header = await element(w, 0);
  if (!header || header.id !== EBML_HEADER || header.size === null) return 'WebM EBML header is invalid';
  const headerEnd = header.dataStart + header.size;
  if (headerEnd > w.size) return 'WebM EBML header runs past the end of the file';
  let docType = '';
  for (let p = header.dataStart; p < headerEnd;) {
    const e = await element(w, p);
    if (!e || e.size === null || e.dataStart + e.size > headerEnd) return 'WebM EBML header is invalid';
    if (e.id === DOCTYPE) {
      // A short ASCII string ("webm", "matroska"): anything long is not a DocType (and is never read whole).
      if (e.size > 64) return 'WebM EBML DocType is invalid';
      docType = ascii((await w.bytes(e.dataStart, e.size)) ?? new Uint8Array()).replace(/\0+$/, '');
    }
    p = e.dataStart + e.size;
  }
  if (docType !== 'webm' && docType !== 'matroska') return `unsupported EBML document type '${docType.slice(0, 16)}'`;

  const seg = await element(w, headerEnd);
  if (!seg || seg.id !== SEGMENT) return 'WebM has no Segment';
  const segEnd = seg.size === null ? w.size : seg.dataStart + seg.size;
  if (segEnd > w.size) return 'WebM Segment runs past the end of the file';
  let tracks = false;
  let blocks = 0;
  let pos = seg.dataStart;
  while (pos < segEnd) {
    const e = await element(w, pos);
    if (!e) return 'WebM element header is truncated';
    if (e.id === TRACKS) tracks = true;
    if (e.id === CLUSTER) {
      const end = e.size === null ? segEnd : e.dataStart + e.size;
      if (end > segEnd) return 'WebM Cluster runs past the end of the file';
      let p = e.dataStart;
      while (p < end) {
        const c = await element(w, p);
        if (!c) return 'WebM block header is truncated';
        if (e.size === null && SEGMENT_CHILDREN.has(c.id)) break; // next level-1 element
        if (c.size === null) return 'WebM block has an unknown size';
        if (c.dataStart + c.size > end) return 'WebM block runs past the end of its Cluster';
        if (c.id === SIMPLE_BLOCK || c.id === BLOCK_GROUP) blocks++;
        p = c.dataStart + c.size;
      }
      pos = p;
      continue;
    }
    if (e.size === null) return 'WebM element has an unknown size';
    if (e.dataStart + e.size > segEnd) return 'WebM element runs past the end of the Segment';
    pos = e.dataStart + e.size;
  }
  if (!tracks) return 'WebM has no Tracks';
  if (blocks === 0) return 'WebM holds no frames';
  return null;
}

/** Problem found in a recognised image or video, or null when it is well-formed. */
export async function mediaProblem(src: ByteSource, type: MediaType): Promise<string | null> {
  const w = new Window(src);
  switch (type.ext) {
    case 'jpg': return checkJpeg(w);
    case 'png': return checkPng(w);
    case 'mp4': return checkMp4(w);
    case 'webm': return checkWebm(w);
    default: return `unsupported media type ${type.mime}`;
  }
}
