/**
 * Parsing of one cross-reference section: a classic table (ISO 32000-1 §7.5.4) with its
 * trailer (§7.5.5), or the decoded data of a cross-reference stream (§7.5.8).
 */
import { AppError } from '../../shared/errors.js';
import { PdfDict, type PdfValue } from './objects.js';
import type { Parser } from './parser.js';
import { MAX_OBJECTS, type XrefIndex } from './xref-index.js';

export interface TableSection {
  /** In-use entries: [num, offset, gen] flattened. */
  inUse: number[];
  /** Object numbers marked free. */
  free: number[];
  trailer: PdfDict;
}

/** Parses `xref … trailer << … >>`; the parser must be positioned at the `xref` keyword. */
export function parseXrefTable(p: Parser): TableSection {
  p.expectKeyword('xref');
  const inUse: number[] = [];
  const free: number[] = [];
  for (;;) {
    const t = p.peekToken();
    if (t === 'trailer') break;
    if (t === '') throw new AppError('PDF_ERR_MALFORMED', 'Cross-reference table has no trailer');
    let start = p.readInt();
    const count = p.readInt();
    if (start < 0 || count < 0 || start + count > MAX_OBJECTS) {
      throw new AppError('PDF_ERR_MALFORMED', `Bad cross-reference subsection ${start} ${count}`);
    }
    for (let i = 0; i < count; i++) {
      const offset = p.readInt();
      const gen = p.readInt();
      const kind = p.readKeyword();
      // Known producer bug: a table starting "1 n" whose first entry is the free head of
      // object 0 ("0000000000 65535 f") is really numbered from 0.
      if (i === 0 && start === 1 && kind === 'f' && offset === 0 && gen === 65535) start = 0;
      const num = start + i;
      if (kind === 'n') {
        if (offset > 0) inUse.push(num, offset, gen);
        else free.push(num); // an in-use entry at offset 0 is a producer error; treat as free
      } else if (kind === 'f') free.push(num);
      else throw new AppError('PDF_ERR_MALFORMED', `Bad cross-reference entry type "${kind}"`);
    }
  }
  p.expectKeyword('trailer');
  const trailer = p.parseValue();
  if (!(trailer instanceof PdfDict)) throw new AppError('PDF_ERR_MALFORMED', 'Trailer is not a dictionary');
  return { inUse, free, trailer };
}

/**
 * Applies a parsed xref stream (§7.5.8.3, Table 18) to the index, newest-first semantics.
 * `shift` is added to type-1 offsets (junk before %PDF: offsets count from the header).
 */
export function applyXrefStream(dict: PdfDict, data: Uint8Array, index: XrefIndex, shift = 0): void {
  const w = dict.get('W');
  if (!Array.isArray(w) || w.length < 3 || !w.every((x) => typeof x === 'number' && x >= 0 && x <= 8)) {
    throw new AppError('PDF_ERR_MALFORMED', 'Cross-reference stream has a bad /W');
  }
  const [w0, w1, w2] = w as number[];
  const rowLen = w0! + w1! + w2!;
  if (rowLen === 0) throw new AppError('PDF_ERR_MALFORMED', 'Cross-reference stream has an empty /W');
  const size = dict.get('Size');
  if (typeof size !== 'number' || size < 0 || size > MAX_OBJECTS) {
    throw new AppError('PDF_ERR_MALFORMED', 'Cross-reference stream has a bad /Size');
  }
  const idx: PdfValue = dict.get('Index') ?? [0, size];
  if (!Array.isArray(idx) || idx.length % 2 || !idx.every((x) => typeof x === 'number' && x >= 0)) {
    throw new AppError('PDF_ERR_MALFORMED', 'Cross-reference stream has a bad /Index');
  }
  const field = (pos: number, width: number): number => {
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + data[pos + i]!;
    return v;
  };
  let pos = 0;
  for (let s = 0; s < idx.length; s += 2) {
    const start = idx[s] as number;
    const count = idx[s + 1] as number;
    if (start + count > MAX_OBJECTS) throw new AppError('PDF_ERR_MALFORMED', 'Cross-reference stream /Index out of range');
    for (let i = 0; i < count; i++) {
      if (pos + rowLen > data.length) return; // truncated data: keep what we have (the reader validates later)
      // §7.5.8.3: a zero-width type field means type 1.
      const type = w0 === 0 ? 1 : field(pos, w0!);
      const f2 = field(pos + w0!, w1!);
      const f3 = field(pos + w0! + w1!, w2!);
      pos += rowLen;
      const num = start + i;
      if (type === 0) index.setIfUnset(num, 0, 0, 0);
      else if (type === 1) index.setIfUnset(num, 1, f2 + shift, w2 === 0 ? 0 : f3);
      else if (type === 2) index.setIfUnset(num, 2, f2, f3);
      // Other types are reserved and "shall be ignored" (§7.5.8.3): treat as null reference.
    }
  }
}
