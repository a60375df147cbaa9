/**
 * Lazy, xref-driven PDF reader (ISO 32000-1 §7.5). Opening a file reads its header, the
 * `startxref` at the end, and the chain of cross-reference sections (tables, streams, hybrid
 * /XRefStm, /Prev); every object is parsed only when asked for, from a window of the file
 * just big enough to hold it. Nothing here holds the whole file.
 */
import { AppError } from '../../shared/errors.js';
import type { ByteSource } from './byte-source.js';
import { decodeStream, MAX_DECODED_STREAM } from './filters.js';
import { PdfDict, PdfRef, PdfStream, isDict, isName, isRef, latin1, type PdfValue } from './objects.js';
import { NeedMoreInput, Parser, indexOf, lastIndexOf, type IndirectObject } from './parser.js';
import { scanForObjects } from './recover.js';
import { MAX_OBJECTS, XrefIndex } from './xref-index.js';
import { applyXrefStream, parseXrefTable } from './xref-sections.js';

export interface PdfReaderOptions {
  /**
   * Strict mode refuses damaged cross-reference data with PDF_ERR_BROKEN_XREF. Lenient mode
   * (the default) rebuilds it by scanning the file for `n g obj`, as viewers do.
   */
  strict?: boolean;
  /** Open files with /Encrypt instead of refusing them (only `inspectPdf` wants this). */
  allowEncrypted?: boolean;
}

export type XrefKind = 'table' | 'stream';

export interface XrefSectionInfo {
  /** Offset as written in the file (relative to the %PDF header when there is junk before it). */
  offset: number;
  kind: XrefKind;
  /** A table whose trailer has /XRefStm (§7.5.8.4, hybrid-reference file). */
  hybrid: boolean;
}

export interface PdfPage {
  index: number;
  ref: PdfRef;
  dict: PdfDict;
  /** Inherited attributes resolved up the page tree (§7.7.3.4). */
  mediaBox: [number, number, number, number];
  cropBox: [number, number, number, number];
  rotate: number;
  resources: PdfValue | undefined;
}

export interface StreamInfo {
  dict: PdfDict;
  /** Absolute file offset of the first data byte. */
  dataOffset: number;
  length: number;
}

/**
 * Largest window read to parse one xref table (8,388,608 entries of 20 bytes fit) and one
 * object. Objects get a smaller bound: an unterminated array in a hostile upload would
 * otherwise be parsed into a JS array many times the size of the file.
 */
const MAX_XREF_WINDOW = 192 * 1024 * 1024;
const MAX_OBJECT_WINDOW = 32 * 1024 * 1024;
/** Streams larger than this are not loaded into memory by getObject (use streamInfo). */
const MAX_INLINE_STREAM = 32 * 1024 * 1024;
/** Parsed streams with more data than this are not kept in the object cache. */
const MAX_CACHED_STREAM = 64 * 1024;
const MAX_SECTIONS = 100_000;
const MAX_PAGE_DEPTH = 256;
const OBJECT_CACHE = 4096;
const OBJSTM_CACHE = 8;

const enc = (s: string) => latin1(s);
const HEADER = enc('%PDF-');
const STARTXREF = enc('startxref');
const ENDSTREAM = enc('endstream');

interface ObjStm {
  offsets: Map<number, number>; // object number → byte offset in data
  /** Object number → its index in the stream's header (§7.5.8.3: the type-2 xref field 3). */
  indices: Map<number, number>;
  data: Uint8Array;
}

export class PdfReader {
  readonly source: ByteSource;
  readonly strict: boolean;
  /** Header version, e.g. "1.7" (the catalog's /Version may raise it, §7.2.2). */
  version = '';
  /** Bytes before `%PDF-` (junk some producers or transports put there). */
  headerOffset = 0;
  /**
   * Added to xref offsets to get file offsets: equals headerOffset when the file's offsets count
   * from the header (how qpdf and poppler read such files), 0 otherwise.
   */
  shift = 0;
  /** The xref sections followed from the end, newest first (empty after recovery). */
  sections: XrefSectionInfo[] = [];
  /** `startxref` value as written at the end of the file. */
  startxref = 0;
  /** True when the cross-reference data was rebuilt by scanning. */
  recovered = false;
  encrypted = false;
  linearized = false;

  private index = new XrefIndex();
  private trailerDict = new PdfDict();
  private objCache = new Map<number, PdfValue>();
  private objStmCache = new Map<number, ObjStm>();

  private constructor(source: ByteSource, opts: PdfReaderOptions) {
    this.source = source;
    this.strict = opts.strict ?? false;
  }

  static async open(source: ByteSource, opts: PdfReaderOptions = {}): Promise<PdfReader> {
    const r = new PdfReader(source, opts);
    await r.readHeader();
    const refuseEncrypted = () => {
      if (r.encrypted && !opts.allowEncrypted) throw new AppError('PDF_ERR_ENCRYPTED', 'Encrypted PDF documents are not supported');
    };
    try {
      await r.loadXref(refuseEncrypted);
    } catch (e) {
      if (e instanceof AppError && e.code === 'PDF_ERR_ENCRYPTED') throw e;
      if (r.strict) {
        throw new AppError('PDF_ERR_BROKEN_XREF', 'The PDF cross-reference data is damaged', undefined, { cause: e });
      }
      await r.recover();
    }
    refuseEncrypted();
    return r;
  }

  /** The newest trailer, merged with older ones for keys it lacks (never /Prev, /XRefStm). */
  get trailer(): PdfDict {
    return this.trailerDict;
  }

  /** Trailer /Size: one more than the highest object number in use. */
  get size(): number {
    const s = this.trailerDict.get('Size');
    const fromIndex = this.index.highest + 1;
    return typeof s === 'number' && s >= fromIndex ? s : fromIndex;
  }

  /** Kind of the last cross-reference section (what an incremental update should write). */
  get lastXrefKind(): XrefKind {
    return this.sections[0]?.kind ?? 'table';
  }

  get rootRef(): PdfRef {
    const r = this.trailerDict.get('Root');
    if (!isRef(r)) throw new AppError('PDF_ERR_MALFORMED', 'Trailer has no /Root reference');
    return r;
  }

  // ---- opening ----------------------------------------------------------------------------

  private async readHeader(): Promise<void> {
    const size = this.source.size;
    if (size < 16) throw new AppError('PDF_ERR_NOT_PDF', 'The document is not a PDF');
    const head = await this.source.read(0, Math.min(size, 1024));
    // §7.5.2 requires the header on the first line; readers accept it within the first 1024 bytes.
    const at = indexOf(head, HEADER);
    if (at < 0) throw new AppError('PDF_ERR_NOT_PDF', 'The document is not a PDF');
    this.headerOffset = at;
    const m = /^%PDF-(\d\.\d)/.exec(Buffer.from(head.subarray(at, at + 16)).toString('latin1'));
    this.version = m?.[1] ?? '';
    this.linearized = /\/Linearized[\s/]/.test(Buffer.from(head).toString('latin1'));
  }

  private async findStartxref(): Promise<number> {
    const size = this.source.size;
    // §7.5.5: "startxref" is near the end; junk after %%EOF can push it further back.
    for (const tail of [1024, 64 * 1024, 1024 * 1024]) {
      const len = Math.min(size, tail);
      const buf = await this.source.read(size - len, len);
      let at = lastIndexOf(buf, STARTXREF);
      while (at >= 0) {
        const p = new Parser(buf, size - len, true, at + STARTXREF.length);
        try {
          const v = p.readInt();
          if (v >= 0 && v < size) return v;
        } catch {
          /* not followed by a number: an earlier occurrence may be the real one */
        }
        at = lastIndexOf(buf, STARTXREF, at - 1);
      }
      if (len === size) break;
    }
    throw new AppError('PDF_ERR_BROKEN_XREF', 'startxref not found');
  }

  /** Parses with a window starting at `offset`, growing it while the object runs past its end. */
  private async parseAt<T>(offset: number, initial: number, fn: (p: Parser) => T, max = MAX_OBJECT_WINDOW): Promise<T> {
    let size = initial;
    for (;;) {
      const len = Math.min(size, this.source.size - offset);
      if (offset < 0 || len <= 0) throw new AppError('PDF_ERR_MALFORMED', `Offset ${offset} is outside the file`);
      const buf = await this.source.read(offset, len);
      const atEof = offset + buf.length >= this.source.size;
      try {
        return fn(new Parser(buf, offset, atEof));
      } catch (e) {
        if (!(e instanceof NeedMoreInput) || atEof) throw e;
        if (size >= max) throw new AppError('PDF_ERR_UNSUPPORTED', `Object at offset ${offset} is too large`);
        size = Math.min(size * 4, max);
      }
    }
  }

  /** What is at this file offset: an xref table, an object header, or neither. */
  private async sniff(fileOffset: number): Promise<'table' | 'object' | null> {
    if (fileOffset < 0 || fileOffset >= this.source.size) return null;
    const buf = await this.source.read(fileOffset, Math.min(64, this.source.size - fileOffset));
    const s = Buffer.from(buf).toString('latin1').replace(/^[\0\t\n\f\r ]+/, '');
    if (s.startsWith('xref')) return 'table';
    if (/^\d+[\0\t\n\f\r ]+\d+[\0\t\n\f\r ]+obj/.test(s)) return 'object';
    return null;
  }

  /**
   * Reads the xref chain and checks the catalog. With junk before %PDF, offsets counting from
   * the header (how qpdf and poppler read such files) are tried first, then offsets counting
   * from the file start: deciding from `startxref` alone misreads files where the unshifted
   * offset happens to land in the whitespace before some object.
   */
  private async loadXref(refuseEncrypted: () => void): Promise<void> {
    const shifts = this.headerOffset > 0 ? [this.headerOffset, 0] : [0];
    let firstError: unknown;
    for (const shift of shifts) {
      this.shift = shift;
      this.sections = [];
      this.objCache.clear();
      this.objStmCache.clear();
      try {
        await this.loadXrefChain();
        refuseEncrypted();
        await this.checkRoot();
        return;
      } catch (e) {
        if (e instanceof AppError && e.code === 'PDF_ERR_ENCRYPTED') throw e;
        firstError ??= e;
      }
    }
    this.shift = 0;
    throw firstError;
  }

  private async loadXrefChain(): Promise<void> {
    this.startxref = await this.findStartxref();
    const index = new XrefIndex();
    const trailers: PdfDict[] = [];
    const seen = new Set<number>();
    let next: number | undefined = this.startxref;
    while (next !== undefined) {
      // /Prev cycles would loop forever; ISO 32000 chains are strictly backwards.
      if (seen.has(next)) throw new AppError('PDF_ERR_BROKEN_XREF', 'Cross-reference /Prev chain loops');
      if (seen.size >= MAX_SECTIONS) throw new AppError('PDF_ERR_UNSUPPORTED', 'Too many cross-reference sections');
      seen.add(next);
      const at = next + this.shift;
      const kind = await this.sniff(at);
      let trailer: PdfDict;
      if (kind === 'table') {
        const t = await this.parseAt(at, 64 * 1024, (p) => {
          p.skipWs();
          return parseXrefTable(p);
        }, MAX_XREF_WINDOW);
        trailer = t.trailer;
        for (let i = 0; i < t.inUse.length; i += 3) index.setIfUnset(t.inUse[i]!, 1, t.inUse[i + 1]! + this.shift, t.inUse[i + 2]!);
        const xs = trailer.get('XRefStm');
        const hybrid = typeof xs === 'number';
        // §7.5.8.4: in a hybrid file the xref stream is consulted after the table's in-use
        // entries and before its free ones and before /Prev.
        if (hybrid) {
          if (seen.has(xs)) throw new AppError('PDF_ERR_BROKEN_XREF', '/XRefStm points into the chain');
          await this.applyStreamSection(xs + this.shift, index);
        }
        for (const n of t.free) index.setIfUnset(n, 0, 0, 0);
        this.sections.push({ offset: next, kind: 'table', hybrid });
      } else if (kind === 'object') {
        trailer = await this.applyStreamSection(at, index);
        this.sections.push({ offset: next, kind: 'stream', hybrid: false });
      } else {
        throw new AppError('PDF_ERR_BROKEN_XREF', `No cross-reference section at offset ${next}`);
      }
      trailers.push(trailer);
      const prev = trailer.get('Prev');
      next = typeof prev === 'number' && prev >= 0 ? prev : undefined;
    }
    this.index = index;
    this.trailerDict = mergeTrailers(trailers);
    this.encrypted = this.trailerDict.has('Encrypt');
    const size = this.trailerDict.get('Size');
    if (typeof size === 'number' && size > MAX_OBJECTS) throw new AppError('PDF_ERR_UNSUPPORTED', 'Trailer /Size is too large');
  }

  /** Reads the xref stream object at a file offset, applies its entries, returns its dictionary. */
  private async applyStreamSection(fileOffset: number, index: XrefIndex): Promise<PdfDict> {
    const obj = await this.parseAt(fileOffset, 4096, (p) => p.parseIndirect());
    if (!obj.stream || !isName(obj.stream.dict.get('Type'), 'XRef')) {
      throw new AppError('PDF_ERR_BROKEN_XREF', `Object at offset ${fileOffset} is not a cross-reference stream`);
    }
    const dict = obj.stream.dict;
    // §7.5.8.2: the xref stream's /Length must be direct (it cannot be looked up yet).
    const len = typeof dict.get('Length') === 'number' ? (dict.get('Length') as number) : await this.findEndstream(obj.stream.dataOffset);
    if (len > MAX_DECODED_STREAM) throw new AppError('PDF_ERR_UNSUPPORTED', 'Cross-reference stream too large');
    const raw = await this.readRange(obj.stream.dataOffset, len);
    // Like table offsets, stream offsets count from the header when junk precedes it.
    applyXrefStream(dict, decodeStream(dict, raw), index, this.shift);
    return dict;
  }

  private async readRange(offset: number, length: number): Promise<Uint8Array> {
    if (length < 0 || offset + length > this.source.size) throw new AppError('PDF_ERR_MALFORMED', 'Stream data runs past the end of the file');
    const b = await this.source.read(offset, length);
    if (b.length !== length) throw new AppError('PDF_ERR_MALFORMED', 'Short read');
    return b;
  }

  /** Length of stream data found by searching for `endstream` (for a missing or wrong /Length). */
  private async findEndstream(dataOffset: number): Promise<number> {
    const chunk = 1 << 20;
    for (let pos = dataOffset; pos < this.source.size; pos += chunk - ENDSTREAM.length) {
      const buf = await this.source.read(pos, Math.min(chunk, this.source.size - pos));
      const at = indexOf(buf, ENDSTREAM);
      if (at >= 0) {
        let end = pos + at;
        // The EOL before "endstream" is not part of the data (§7.3.8.1).
        const tail = await this.source.read(Math.max(dataOffset, end - 2), Math.min(2, end - dataOffset));
        if (tail.length && tail[tail.length - 1] === 0x0a) end--;
        if (tail.length === 2 && tail[0] === 0x0d && tail[1] === 0x0a) end--;
        else if (tail.length && tail[tail.length - 1] === 0x0d) end--;
        return end - dataOffset;
      }
      if (buf.length < chunk) break;
    }
    throw new AppError('PDF_ERR_MALFORMED', 'Stream without endstream');
  }

  /** The catalog must load; otherwise the xref is wrong even if it parsed. */
  private async checkRoot(): Promise<void> {
    const root = await this.getObject(this.rootRef);
    if (!isDict(root)) throw new AppError('PDF_ERR_BROKEN_XREF', 'The /Root object is not a dictionary');
    const v = root.get('Version');
    if (isName(v) && /^\d\.\d$/.test(v.name) && v.name > this.version) this.version = v.name;
  }

  /** Lenient mode: rebuild the index by scanning the whole file (streamed, offsets only). */
  private async recover(): Promise<void> {
    const scan = await scanForObjects(this.source);
    this.index = scan.index;
    this.sections = [];
    this.recovered = true;
    this.shift = this.headerOffset;
    this.objCache.clear();
    this.objStmCache.clear();
    // Objects inside object streams are reachable only through their stream. As for plain
    // objects, the definition latest in the file wins: an update may put a newer version of an
    // object in a later object stream, or write it uncompressed after an older stream.
    const streams = new Set(scan.objectStreams);
    const offsetOf = (num: number): number => {
      const e = this.index.get(num);
      return e?.type === 1 ? e.offset : -1;
    };
    for (const s of streams) {
      const at = offsetOf(s);
      try {
        const stm = await this.loadObjStm(s);
        for (const [n, i] of stm.indices) {
          if (streams.has(n)) continue;
          const cur = this.index.get(n);
          const curAt = !cur || cur.type === 0 ? -2 : cur.type === 1 ? cur.offset : offsetOf(cur.stream);
          if (curAt < at) this.index.set(n, 2, s, i);
        }
      } catch {
        /* a damaged object stream loses its objects; the root check below decides */
      }
    }
    const candidates: PdfDict[] = [];
    for (const at of scan.trailers) {
      try {
        const d = await this.parseAt(at, 4096, (p) => {
          p.expectKeyword('trailer');
          return p.parseValue();
        });
        if (isDict(d)) candidates.push(d);
      } catch {
        /* not a usable trailer */
      }
    }
    for (const n of scan.xrefStreams) {
      try {
        const v = await this.getObject(new PdfRef(n, 0));
        if (v instanceof PdfStream) candidates.push(v.dict);
      } catch {
        /* skip */
      }
    }
    for (const n of scan.catalogs) {
      const e = this.index.get(n);
      candidates.push(new PdfDict({ Root: new PdfRef(n, e?.type === 1 ? e.gen : 0) }));
    }
    // The last candidate in file order whose /Root really is a catalog wins.
    for (let i = candidates.length - 1; i >= 0; i--) {
      const t = candidates[i]!;
      const root = t.get('Root');
      if (!isRef(root)) continue;
      try {
        const cat = await this.getObject(root);
        if (isDict(cat) && (isName(cat.get('Type'), 'Catalog') || cat.has('Pages'))) {
          const merged = new PdfDict();
          for (const k of ['Root', 'Info', 'ID', 'Encrypt']) {
            const v = t.get(k) ?? candidates.find((c) => c.has(k))?.get(k);
            if (v !== undefined) merged.set(k, v);
          }
          merged.set('Size', this.index.highest + 1);
          this.trailerDict = merged;
          this.encrypted = merged.has('Encrypt');
          await this.checkRoot();
          return;
        }
      } catch {
        /* try the next candidate */
      }
    }
    throw new AppError('PDF_ERR_MALFORMED', 'The PDF is damaged beyond recovery (no document catalog found)');
  }

  // ---- objects ----------------------------------------------------------------------------

  /** The value of an indirect object; streams come with their raw data (up to 32 MiB). */
  async getObject(ref: PdfRef): Promise<PdfValue> {
    const cached = this.objCache.get(ref.num);
    if (cached !== undefined) return cached;
    const e = this.index.get(ref.num);
    // §7.3.10: a reference to an undefined or free object is the null object.
    if (!e || e.type === 0) return null;
    let value: PdfValue;
    if (e.type === 1) {
      if (e.gen !== ref.gen) return null;
      const obj = await this.readIndirectAt(ref.num, e.offset);
      if (obj.stream) {
        const info = await this.streamInfoOf(obj);
        if (info.length > MAX_INLINE_STREAM) {
          throw new AppError('PDF_ERR_UNSUPPORTED', `Stream object ${ref.num} is too large to load`);
        }
        value = new PdfStream(info.dict, await this.readRange(info.dataOffset, info.length));
      } else value = obj.value;
    } else {
      if (ref.gen !== 0) return null;
      value = await this.getCompressed(ref.num, e.stream);
    }
    // Big stream data is not kept: a page tree of stream-valued nodes must not pile it up.
    if (value instanceof PdfStream && value.data.length > MAX_CACHED_STREAM) return value;
    if (this.objCache.size >= OBJECT_CACHE) this.objCache.clear();
    this.objCache.set(ref.num, value);
    return value;
  }

  /** Dictionary and data location of a stream object, without reading its data. */
  async streamInfo(ref: PdfRef): Promise<StreamInfo> {
    const e = this.index.get(ref.num);
    if (!e || e.type !== 1) throw new AppError('PDF_ERR_MALFORMED', `Object ${ref.num} is not an uncompressed stream`);
    const obj = await this.readIndirectAt(ref.num, e.offset);
    if (!obj.stream) throw new AppError('PDF_ERR_MALFORMED', `Object ${ref.num} is not a stream`);
    return this.streamInfoOf(obj);
  }

  private async streamInfoOf(obj: IndirectObject): Promise<StreamInfo> {
    const { dict, dataOffset } = obj.stream!;
    let len: number | undefined;
    const l = dict.get('Length');
    if (typeof l === 'number') len = l;
    else if (isRef(l) && l.num !== obj.num) {
      const v = await this.getObject(l);
      if (typeof v === 'number') len = v;
    }
    // Check /Length lands on "endstream"; producers get it wrong often enough (lenient only).
    if (len !== undefined && len >= 0 && dataOffset + len <= this.source.size) {
      const probe = await this.source.read(dataOffset + len, Math.min(32, this.source.size - dataOffset - len));
      const s = Buffer.from(probe).toString('latin1').replace(/^[\0\t\n\f\r ]+/, '');
      if (s.startsWith('endstream')) return { dict, dataOffset, length: len };
    }
    if (this.strict) throw new AppError('PDF_ERR_MALFORMED', `Stream object ${obj.num} has a wrong /Length`);
    return { dict, dataOffset, length: await this.findEndstream(dataOffset) };
  }

  private async readIndirectAt(num: number, offset: number): Promise<IndirectObject> {
    let obj: IndirectObject | undefined;
    try {
      obj = await this.parseAt(offset, 2048, (p) => p.parseIndirect());
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'PDF_ERR_MALFORMED') throw e;
    }
    if (obj && obj.num === num) return obj;
    // The xref points at the wrong place: the file is damaged.
    if (this.strict) throw new AppError('PDF_ERR_BROKEN_XREF', `Cross-reference entry for object ${num} is wrong`);
    if (!this.recovered) {
      await this.recover();
      const e = this.index.get(num);
      if (e?.type === 1) return this.readIndirectAt(num, e.offset);
    }
    throw new AppError('PDF_ERR_MALFORMED', `Object ${num} not found at offset ${offset}`);
  }

  private async loadObjStm(num: number): Promise<ObjStm> {
    const cached = this.objStmCache.get(num);
    if (cached) return cached;
    if (this.encrypted) throw new AppError('PDF_ERR_ENCRYPTED', 'Encrypted PDF documents are not supported');
    const e = this.index.get(num);
    if (!e || e.type !== 1) throw new AppError('PDF_ERR_MALFORMED', `Object stream ${num} not found`);
    const obj = await this.readIndirectAt(num, e.offset);
    if (!obj.stream || !isName(obj.stream.dict.get('Type'), 'ObjStm')) {
      throw new AppError('PDF_ERR_MALFORMED', `Object ${num} is not an object stream`);
    }
    const info = await this.streamInfoOf(obj);
    if (info.length > MAX_DECODED_STREAM) throw new AppError('PDF_ERR_UNSUPPORTED', 'Object stream too large');
    const data = decodeStream(info.dict, await this.readRange(info.dataOffset, info.length));
    // §7.5.7: /N pairs "objnum offset" then objects from /First.
    const n = info.dict.get('N');
    const first = info.dict.get('First');
    if (typeof n !== 'number' || typeof first !== 'number' || n < 0 || first < 0 || first > data.length) {
      throw new AppError('PDF_ERR_MALFORMED', `Object stream ${num} has a bad /N or /First`);
    }
    const p = new Parser(data, 0, true);
    const offsets = new Map<number, number>();
    const indices = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const on = p.readInt();
      const off = p.readInt();
      if (!offsets.has(on)) {
        offsets.set(on, first + off);
        indices.set(on, i);
      }
    }
    const stm = { offsets, indices, data };
    if (this.objStmCache.size >= OBJSTM_CACHE) this.objStmCache.delete(this.objStmCache.keys().next().value!);
    this.objStmCache.set(num, stm);
    return stm;
  }

  private async getCompressed(num: number, stream: number): Promise<PdfValue> {
    const stm = await this.loadObjStm(stream);
    const off = stm.offsets.get(num);
    if (off === undefined) {
      if (this.strict) throw new AppError('PDF_ERR_BROKEN_XREF', `Object ${num} is not in object stream ${stream}`);
      return null;
    }
    return new Parser(stm.data, 0, true, off).parseValue();
  }

  /** Follows a reference (one level); other values are returned as they are. */
  async resolve(v: PdfValue | undefined): Promise<PdfValue | undefined> {
    return isRef(v) ? this.getObject(v) : v;
  }

  async resolveDict(v: PdfValue | undefined): Promise<PdfDict | undefined> {
    const r = await this.resolve(v);
    if (isDict(r)) return r;
    if (r instanceof PdfStream) return r.dict;
    return undefined;
  }

  async catalog(): Promise<PdfDict> {
    const c = await this.resolveDict(this.trailerDict.get('Root'));
    if (!c) throw new AppError('PDF_ERR_MALFORMED', 'Document catalog missing');
    return c;
  }

  /** True if object number `num` is in use. */
  has(num: number): boolean {
    const e = this.index.get(num);
    return !!e && e.type !== 0;
  }

  /** In-use entries with their file offsets (recovered files: every object found). */
  *entries(): Generator<{ num: number; gen: number; offset?: number; stream?: number; index?: number }> {
    for (const [num, e] of this.index.inUse()) {
      if (e.type === 1) yield { num, gen: e.gen, offset: e.offset };
      else if (e.type === 2) yield { num, gen: 0, stream: e.stream, index: e.index };
    }
  }

  // ---- pages ------------------------------------------------------------------------------

  async pageCount(): Promise<number> {
    const pages = await this.resolveDict((await this.catalog()).get('Pages'));
    // /Count may be an indirect integer (§7.3.10: any value may be an indirect reference).
    const c = await this.resolve(pages?.get('Count'));
    if (typeof c !== 'number' || c < 0) throw new AppError('PDF_ERR_MALFORMED', 'Page tree has no /Count');
    return c;
  }

  /**
   * The page at a 0-based index, walking only the path to it: at each node the kids before the
   * target are skipped by their /Count (§7.7.3.2) without descending into them.
   */
  async getPage(index: number): Promise<PdfPage> {
    const total = await this.pageCount();
    if (!Number.isInteger(index) || index < 0 || index >= total) {
      throw new AppError('PDF_ERR_PAGE_OUT_OF_RANGE', `Page ${index} is out of range (the document has ${total} pages)`, { pages: total });
    }
    const cat = await this.catalog();
    let nodeRef = cat.get('Pages');
    if (!isRef(nodeRef)) throw new AppError('PDF_ERR_MALFORMED', 'Catalog /Pages is not a reference');
    const seen = new Set<number>();
    const inherited: Record<string, PdfValue | undefined> = {};
    let remaining = index;
    for (let depth = 0; depth < MAX_PAGE_DEPTH; depth++) {
      if (seen.has(nodeRef.num)) throw new AppError('PDF_ERR_MALFORMED', 'Page tree contains a cycle');
      seen.add(nodeRef.num);
      const node = await this.getObject(nodeRef);
      if (!isDict(node)) throw new AppError('PDF_ERR_MALFORMED', `Page tree node ${nodeRef.num} is missing or not a dictionary`);
      for (const k of ['Resources', 'MediaBox', 'CropBox', 'Rotate']) if (node.has(k)) inherited[k] = node.get(k);
      const kids = await this.resolve(node.get('Kids'));
      const isLeaf = isName(node.get('Type'), 'Page') || !Array.isArray(kids);
      if (isLeaf) {
        if (remaining !== 0) break;
        return this.makePage(index, nodeRef, node, inherited);
      }
      let next: PdfRef | undefined;
      for (const kid of kids as PdfValue[]) {
        if (!isRef(kid)) continue;
        const kd = await this.resolveDict(kid);
        if (!kd) continue;
        const count = isName(kd.get('Type'), 'Page') || !kd.has('Kids') ? 1 : await this.resolve(kd.get('Count'));
        if (typeof count !== 'number') throw new AppError('PDF_ERR_MALFORMED', 'Page tree node has no /Count');
        if (remaining < count) {
          next = kid;
          break;
        }
        remaining -= count;
      }
      if (!next) break;
      nodeRef = next;
    }
    throw new AppError('PDF_ERR_MALFORMED', `Page ${index} not found in the page tree`);
  }

  private async makePage(index: number, ref: PdfRef, dict: PdfDict, inh: Record<string, PdfValue | undefined>): Promise<PdfPage> {
    const box = async (v: PdfValue | undefined): Promise<[number, number, number, number] | undefined> => {
      const a = await this.resolve(v);
      if (!Array.isArray(a) || a.length !== 4) return undefined;
      const nums = await Promise.all(a.map((x) => this.resolve(x)));
      if (!nums.every((x) => typeof x === 'number')) return undefined;
      const [x1, y1, x2, y2] = nums as number[];
      return [Math.min(x1!, x2!), Math.min(y1!, y2!), Math.max(x1!, x2!), Math.max(y1!, y2!)];
    };
    // §7.7.3.3 Table 30: MediaBox is required and inheritable; default to US Letter if absent.
    const mediaBox = (await box(inh.MediaBox)) ?? [0, 0, 612, 792];
    const cropBox = (await box(inh.CropBox)) ?? mediaBox;
    const rot = await this.resolve(inh.Rotate);
    const rotate = typeof rot === 'number' && rot % 90 === 0 ? ((rot % 360) + 360) % 360 : 0;
    return { index, ref, dict, mediaBox, cropBox, rotate, resources: inh.Resources };
  }
}

const TRAILER_SKIP = new Set(['Prev', 'XRefStm', 'Type', 'W', 'Index', 'Length', 'Filter', 'DecodeParms']);

function mergeTrailers(newestFirst: PdfDict[]): PdfDict {
  const out = new PdfDict();
  for (const t of newestFirst) {
    for (const [k, v] of t.map) if (!TRAILER_SKIP.has(k) && !out.has(k)) out.set(k, v);
  }
  return out;
}
