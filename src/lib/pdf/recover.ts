/**
 * Cross-reference recovery for damaged files (lenient mode): one streaming pass over the file
 * finding `n g obj` headers, `trailer` keywords and the /Type of xref streams, object streams
 * and catalogs. Memory stays bounded: only offsets are kept, never file content.
 */
import type { ByteSource } from './byte-source.js';
import { XrefIndex } from './xref-index.js';

export interface ScanResult {
  /** Type-1 entries at absolute file offsets; the last definition of a number in the file wins. */
  index: XrefIndex;
  /** Absolute offsets of `trailer` keywords, in file order. */
  trailers: number[];
  /** Object numbers whose dictionary says /Type /XRef, /ObjStm or /Catalog, in file order. */
  xrefStreams: number[];
  objectStreams: number[];
  catalogs: number[];
}

const CHUNK = 1 << 20;
const OVERLAP = 64;
// A header "n g obj" must not be preceded by a digit (so "11 0 obj" is not read as "1 0 obj").
const RE = /(?<![0-9])(\d{1,10})[\0\t\f\r\n ]+(\d{1,5})[\0\t\f\r\n ]+obj(?![A-Za-z0-9])|trailer(?![A-Za-z0-9])|\/Type[\0\t\f\r\n ]*\/(XRef|ObjStm|Catalog)(?![A-Za-z0-9])/g;

function latin1String(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

export async function scanForObjects(source: ByteSource): Promise<ScanResult> {
  const index = new XrefIndex();
  const res: ScanResult = { index, trailers: [], xrefStreams: [], objectStreams: [], catalogs: [] };
  let currentObj = -1;
  for (let pos = 0; pos < source.size; pos += CHUNK) {
    const from = Math.max(0, pos - OVERLAP);
    const bytes = await source.read(from, Math.min(source.size, pos + CHUNK + OVERLAP) - from);
    const text = latin1String(bytes);
    RE.lastIndex = 0;
    for (let m = RE.exec(text); m; m = RE.exec(text)) {
      const at = from + m.index;
      // Matches inside the overlap belong to the neighbouring chunk.
      if (at < pos || at >= pos + CHUNK) continue;
      if (m[1] !== undefined) {
        const num = Number(m[1]);
        const gen = Number(m[2]);
        if (num > 0 && num < 8_388_608) {
          index.set(num, 1, at, gen);
          currentObj = num;
        }
      } else if (m[3] === undefined) res.trailers.push(at);
      else if (currentObj > 0) {
        if (m[3] === 'XRef') res.xrefStreams.push(currentObj);
        else if (m[3] === 'ObjStm') res.objectStreams.push(currentObj);
        else res.catalogs.push(currentObj);
      }
    }
  }
  return res;
}
