/**
 * Append-only incremental update (ISO 32000-1 §7.5.6): the new and changed objects, then a
 * cross-reference section of the same kind as the file's last one (a table, or an xref stream
 * §7.5.8), and a trailer with /Prev, /Size, /Root, /Info and /ID. The original bytes are never
 * touched: the output of `build()` is appended after them.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import {
  PdfDict,
  PdfName,
  PdfRaw,
  PdfRef,
  PdfStream,
  PdfString,
  concatBytes,
  latin1,
  serialize,
  type ObjectAllocator,
  type PdfValue,
  type PdfWritable,
} from './objects.js';
import type { PdfReader, XrefKind } from './reader.js';
import { MAX_OBJECTS } from './xref-index.js';

export interface IncrementOptions {
  /** Second element of the new /ID (§14.4); 16 random bytes when absent. */
  newId?: Uint8Array;
  /** Force the xref kind (tests); by default the kind of the file's last section. */
  xrefKind?: XrefKind;
}

export interface Increment {
  /** Bytes to append after the original file. */
  bytes: Uint8Array;
  /** Offset in `bytes` of every PdfRaw written (reserved regions such as /Contents). */
  marks: Map<PdfRaw, number>;
  /** File offset (as written, i.e. relative to the header when the file has junk before it) of the new xref. */
  startxref: number;
  /** Absolute file offset where `bytes` start (the original file size). */
  base: number;
  xrefKind: XrefKind;
}

interface Pending {
  ref: PdfRef;
  value: PdfWritable;
}

export class IncrementalWriter implements ObjectAllocator {
  private readonly objects = new Map<number, Pending>();
  private next: number;

  constructor(readonly reader: PdfReader, private readonly opts: IncrementOptions = {}) {
    this.next = reader.size;
  }

  /** Adds a new indirect object and returns its reference. */
  add(value: PdfValue): PdfRef {
    return this.addWritable(value);
  }

  /** Like `add`, for values holding PdfRaw/PdfReal parts (reserved regions). */
  addWritable(value: PdfWritable): PdfRef {
    // Numbers past the object limit would give a file this reader (and Annex C.2 readers)
    // refuses to open: refuse before anything is written.
    if (this.next >= MAX_OBJECTS) tooManyObjects();
    const ref = new PdfRef(this.next++, 0);
    this.objects.set(ref.num, { ref, value });
    return ref;
  }

  /** Replaces an existing object in this revision (it keeps its number and generation). */
  set(ref: PdfRef, value: PdfWritable): void {
    if (!this.objects.has(ref.num) && !this.reader.has(ref.num)) {
      throw new AppError('PDF_ERR_MALFORMED', `Cannot update object ${ref.num}: it does not exist`);
    }
    this.objects.set(ref.num, { ref, value });
  }

  /** The value already queued for a reference in this revision, if any. */
  pending(ref: PdfRef): PdfWritable | undefined {
    return this.objects.get(ref.num)?.value;
  }

  /** Object number the next `add` will use. */
  get nextNumber(): number {
    return this.next;
  }

  build(): Increment {
    const reader = this.reader;
    const base = reader.source.size;
    const shift = reader.shift;
    const chunks: Uint8Array[] = [];
    let len = 0;
    const push = (b: Uint8Array) => {
      chunks.push(b);
      len += b.length;
    };
    const marks = new Map<PdfRaw, number>();
    // §7.5.6: the update starts on a new line; a file ending without EOL gets one.
    push(latin1('\n'));
    const offsets = new Map<number, { gen: number; offset: number }>();
    const sorted = [...this.objects.values()].sort((a, b) => a.ref.num - b.ref.num);
    for (const { ref, value } of sorted) {
      offsets.set(ref.num, { gen: ref.gen, offset: base - shift + len });
      push(latin1(`${ref.num} ${ref.gen} obj\n`));
      const local = new Map<PdfRaw, number>();
      const body = serialize(value, local);
      for (const [raw, at] of local) marks.set(raw, len + at);
      push(body);
      push(latin1('\nendobj\n'));
    }

    const trailer = new PdfDict();
    const old = reader.trailer;
    const size = Math.max(reader.size, this.next);
    trailer.set('Root', reader.rootRef);
    const info = old.get('Info');
    if (info !== undefined) trailer.set('Info', info);
    trailer.set('ID', this.newIdArray());
    // A rebuilt (recovered) file gets a complete section and no /Prev: the old chain is damaged.
    const full = reader.recovered;
    const entries = new Map<number, Entry>();
    if (full) {
      for (const e of reader.entries()) {
        if (e.offset !== undefined) entries.set(e.num, { type: 1, a: e.offset - shift, b: e.gen });
        // §7.5.8.3 Table 18: field 3 of a type-2 entry is the object's index in its stream
        // (poppler looks objects up by it).
        else entries.set(e.num, { type: 2, a: e.stream!, b: e.index ?? 0 });
      }
    } else {
      trailer.set('Prev', reader.startxref);
    }
    for (const [num, o] of offsets) entries.set(num, { type: 1, a: o.offset, b: o.gen });
    const hasCompressed = [...entries.values()].some((e) => e.type === 2);
    let kind: XrefKind = this.opts.xrefKind ?? (full ? (hasCompressed ? 'stream' : 'table') : reader.lastXrefKind);
    // A table entry has 10 offset digits (§7.5.4); past ~9.3 GB only an xref stream can
    // describe the update (a stream section may follow table sections, §7.5.8.4).
    if (kind === 'table' && !this.opts.xrefKind && base - shift + len > 9_999_999_999) kind = 'stream';
    if (kind === 'table' && hasCompressed) {
      throw new AppError('PDF_ERR_UNSUPPORTED', 'A cross-reference table cannot describe compressed objects');
    }

    const xrefOffset = base - shift + len;
    if (kind === 'table') {
      trailer.set('Size', size);
      push(latin1(xrefTable(entries, full)));
      push(latin1('trailer\n'));
      push(serialize(reorder(trailer)));
      push(latin1('\n'));
    } else {
      const selfNum = Math.max(size, this.next);
      if (selfNum >= MAX_OBJECTS) tooManyObjects();
      entries.set(selfNum, { type: 1, a: xrefOffset, b: 0 });
      trailer.set('Size', selfNum + 1);
      const { data, w, index } = xrefStreamData(entries, full);
      const d = reorder(trailer);
      d.set('Type', PdfName.of('XRef'));
      d.set('W', w);
      d.set('Index', index);
      push(latin1(`${selfNum} 0 obj\n`));
      push(serialize(new PdfStream(d, data)));
      push(latin1('\nendobj\n'));
    }
    push(latin1(`startxref\n${xrefOffset}\n%%EOF\n`));
    return { bytes: concatBytes(chunks), marks, startxref: xrefOffset, base, xrefKind: kind };
  }

  private newIdArray(): PdfValue {
    const fresh = this.opts.newId ?? randomBytes(16);
    const id = this.reader.trailer.get('ID');
    // §14.4: the first element is permanent, the second changes with each revision.
    if (Array.isArray(id) && id[0] instanceof PdfString) return [PdfString.hexOf(id[0].bytes), PdfString.hexOf(fresh)];
    return [PdfString.hexOf(fresh), PdfString.hexOf(fresh)];
  }
}

function tooManyObjects(): never {
  throw new AppError('PDF_ERR_UNSUPPORTED', `The document has too many objects (object numbers reach the ${MAX_OBJECTS - 1} limit)`);
}

interface Entry {
  type: 1 | 2;
  a: number;
  b: number;
}

/** Puts the usual keys first so the trailer reads naturally. */
function reorder(t: PdfDict): PdfDict {
  const out = new PdfDict();
  for (const k of ['Size', 'Root', 'Info', 'ID', 'Prev']) if (t.has(k)) out.set(k, t.get(k)!);
  for (const [k, v] of t.map) if (!out.has(k)) out.set(k, v);
  return out;
}

/** Runs of consecutive object numbers: the subsections of §7.5.4 / the /Index of §7.5.8.2. */
function runs(nums: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of nums) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === n) last[1]++;
    else out.push([n, 1]);
  }
  return out;
}

function xrefTable(entries: Map<number, Entry>, full: boolean): string {
  const nums = [...entries.keys()].sort((a, b) => a - b);
  let s = 'xref\n';
  // §7.5.4: object 0 heads the free list; a complete table must list it.
  if (full) s += '0 1\n0000000000 65535 f\r\n';
  for (const [start, count] of runs(nums)) {
    s += `${start} ${count}\n`;
    for (let i = 0; i < count; i++) {
      const e = entries.get(start + i)!;
      if (e.a > 9_999_999_999) throw new AppError('PDF_ERR_UNSUPPORTED', 'File too large for a cross-reference table');
      // Each entry is exactly 20 bytes including a two-character EOL.
      s += `${String(e.a).padStart(10, '0')} ${String(e.b).padStart(5, '0')} n\r\n`;
    }
  }
  return s;
}

function bytesFor(n: number): number {
  let w = 1;
  while (n >= 256 ** w) w++;
  return w;
}

function xrefStreamData(entries: Map<number, Entry>, full: boolean): { data: Uint8Array; w: number[]; index: number[] } {
  const nums = [...entries.keys()].sort((a, b) => a - b);
  if (full && nums[0] !== 0) nums.unshift(0);
  let maxA = 0;
  let maxB = 0;
  for (const e of entries.values()) {
    maxA = Math.max(maxA, e.a);
    maxB = Math.max(maxB, e.b);
  }
  const w = [1, Math.max(4, bytesFor(maxA)), Math.max(2, bytesFor(maxB))];
  const rowLen = w[0]! + w[1]! + w[2]!;
  const data = new Uint8Array(nums.length * rowLen);
  const put = (pos: number, width: number, v: number) => {
    for (let i = width - 1; i >= 0; i--) {
      data[pos + i] = v % 256;
      v = Math.floor(v / 256);
    }
  };
  nums.forEach((n, i) => {
    const e = entries.get(n);
    const p = i * rowLen;
    if (!e) {
      // Object 0: head of the free list, generation 65535 (§7.5.8.3 Table 18, type 0).
      put(p, 1, 0);
      put(p + w[0]!, w[1]!, 0);
      put(p + w[0]! + w[1]!, w[2]!, 65535);
      return;
    }
    put(p, 1, e.type);
    put(p + w[0]!, w[1]!, e.a);
    put(p + w[0]! + w[1]!, w[2]!, e.b);
  });
  const index: number[] = [];
  for (const [start, count] of runs(nums)) index.push(start, count);
  return { data, w, index };
}
