/**
 * PDF object model (ISO 32000-1 §7.3) shared by the reader, the incremental writer and the
 * appearance builder. Deliberately small: values are plain JS where PDF has an obvious
 * counterpart (number, boolean, null, arrays), classes where it does not.
 */

const MAX_INTERNED_NAMES = 8192;

export class PdfName {
  private static readonly interned = new Map<string, PdfName>();
  /** Decoded name without the leading slash, e.g. "Type". */
  private constructor(readonly name: string) {}
  static of(name: string): PdfName {
    let n = PdfName.interned.get(name);
    if (!n) {
      n = new PdfName(name);
      // Bounded: a long-lived process parses names from untrusted files, and compares names
      // by value (isName), so names past the cap just get their own instance.
      if (PdfName.interned.size < MAX_INTERNED_NAMES) PdfName.interned.set(name, n);
    }
    return n;
  }
  toString(): string {
    return `/${this.name}`;
  }
}

/** Shorthand for PdfName.of. */
export const N = (name: string): PdfName => PdfName.of(name);

export class PdfRef {
  constructor(readonly num: number, readonly gen = 0) {}
  toString(): string {
    return `${this.num} ${this.gen} R`;
  }
  equals(o: PdfRef): boolean {
    return o.num === this.num && o.gen === this.gen;
  }
}

/** A string object. `bytes` are the decoded bytes; `hex` chooses the <...> form when written. */
export class PdfString {
  constructor(readonly bytes: Uint8Array, readonly hex = false) {}
  /** Text string: PDFDocEncoding-safe ASCII stays literal, anything else becomes UTF-16BE with BOM (§7.9.2.2). */
  static text(s: string): PdfString {
    if (/^[\x20-\x7e]*$/.test(s)) return new PdfString(new TextEncoder().encode(s));
    const out = new Uint8Array(2 + s.length * 2);
    out[0] = 0xfe;
    out[1] = 0xff;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      out[2 + i * 2] = c >> 8;
      out[3 + i * 2] = c & 0xff;
    }
    return new PdfString(out);
  }
  static hexOf(bytes: Uint8Array): PdfString {
    return new PdfString(bytes, true);
  }
  /** Decodes a text string (UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding≈Latin-1). */
  asText(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      let s = '';
      for (let i = 2; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return new TextDecoder().decode(b.subarray(3));
    return Array.from(b, (c) => String.fromCharCode(c)).join('');
  }
}

export class PdfDict {
  readonly map: Map<string, PdfValue>;
  constructor(entries?: Iterable<[string, PdfValue]> | Record<string, PdfValue>) {
    this.map = new Map();
    if (entries) {
      const it = Symbol.iterator in (entries as object) ? (entries as Iterable<[string, PdfValue]>) : Object.entries(entries);
      for (const [k, v] of it) this.map.set(k, v);
    }
  }
  get(key: string): PdfValue | undefined {
    return this.map.get(key);
  }
  set(key: string, value: PdfValue): this {
    this.map.set(key, value);
    return this;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
  clone(): PdfDict {
    return new PdfDict(this.map);
  }
}

export class PdfStream {
  /** `data` is the raw (encoded) stream data as stored in the file; /Length is set when written. */
  constructor(readonly dict: PdfDict, readonly data: Uint8Array) {}
}

export type PdfValue =
  | number
  | boolean
  | null
  | PdfName
  | PdfString
  | PdfRef
  | PdfValue[]
  | PdfDict
  | PdfStream;

/** A number written with a fixed number of decimals, e.g. for /Rect coordinates. */
export class PdfReal {
  constructor(readonly value: number, readonly decimals = 2) {}
}

/**
 * Raw bytes inserted verbatim by the serializer. Used for reserved regions whose exact byte
 * offsets must be known (the /Contents placeholder, the /ByteRange array).
 */
export class PdfRaw {
  constructor(readonly bytes: Uint8Array) {}
}

export type PdfWritable = PdfValue | PdfReal | PdfRaw | PdfWritable[];

const DELIMS = new Set('()<>[]{}/%'.split('').map((c) => c.charCodeAt(0)));

function escapeName(name: string): string {
  let out = '';
  // The parser reads a name's bytes one char each (latin1), so such names are written back
  // byte for byte; names made in code with wider characters are written as UTF-8 (§7.3.5).
  const bytes = /^[\x00-\xff]*$/.test(name) ? latin1(name) : new TextEncoder().encode(name);
  for (const ch of bytes) {
    if (ch < 0x21 || ch > 0x7e || ch === 0x23 || DELIMS.has(ch)) out += `#${ch.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(ch);
  }
  return out;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '0';
  // String() and toFixed() switch to exponent notation from 1e21 on.
  if (Math.abs(n) >= 1e21) return BigInt(Math.trunc(n)).toString();
  if (Number.isInteger(n)) return String(n);
  // PDF has no exponent notation (§7.3.3); 6 decimals is well below device resolution.
  let s = n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  if (s === '-0') s = '0';
  return s;
}

function literalString(bytes: Uint8Array): string {
  let out = '(';
  for (const b of bytes) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out + ')';
}

/**
 * Serialises a value to bytes (latin-1 for the syntax; stream data verbatim). When `marks` is
 * given, the byte offset (within the returned bytes) of every PdfRaw written is recorded in it,
 * which is how reserved regions such as the signature /Contents are located.
 */
export function serialize(value: PdfWritable, marks?: Map<PdfRaw, number>): Uint8Array {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const push = (b: Uint8Array) => {
    chunks.push(b);
    length += b.length;
  };
  const enc = (s: string) => push(latin1(s));
  const write = (v: PdfWritable): void => {
    if (v === null) enc('null');
    else if (typeof v === 'number') enc(formatNumber(v));
    else if (typeof v === 'boolean') enc(v ? 'true' : 'false');
    else if (v instanceof PdfName) enc(`/${escapeName(v.name)}`);
    else if (v instanceof PdfRef) enc(`${v.num} ${v.gen} R`);
    else if (v instanceof PdfReal) enc(v.value.toFixed(v.decimals));
    else if (v instanceof PdfRaw) {
      marks?.set(v, length);
      push(v.bytes);
    }
    else if (v instanceof PdfString) {
      if (v.hex) enc(`<${Buffer.from(v.bytes).toString('hex')}>`);
      else enc(literalString(v.bytes));
    } else if (Array.isArray(v)) {
      enc('[');
      v.forEach((x, i) => {
        if (i) enc(' ');
        write(x);
      });
      enc(']');
    } else if (v instanceof PdfDict) {
      enc('<<');
      for (const [k, x] of v.map) {
        enc(`/${escapeName(k)} `);
        write(x);
        enc('\n');
      }
      enc('>>');
    } else if (v instanceof PdfStream) {
      const d = v.dict.clone();
      d.set('Length', v.data.length);
      write(d);
      enc('\nstream\n');
      push(v.data);
      enc('\nendstream');
    } else throw new TypeError(`cannot serialise ${String(v)}`);
  };
  write(value);
  return concatBytes(chunks);
}

export function latin1(s: string): Uint8Array {
  // Native encoding (a JS loop was a visible cost on long placeholders); never a pooled
  // slice, so callers may keep or mutate the result.
  const out = Buffer.allocUnsafeSlow(s.length);
  out.write(s, 0, 'latin1');
  return out;
}

export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const c of chunks) len += c.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

// Type guards used everywhere by callers that walk parsed objects.
export const isDict = (v: unknown): v is PdfDict => v instanceof PdfDict;
export const isName = (v: unknown, name?: string): v is PdfName => v instanceof PdfName && (name === undefined || v.name === name);
export const isRef = (v: unknown): v is PdfRef => v instanceof PdfRef;
export const isStream = (v: unknown): v is PdfStream => v instanceof PdfStream;

/**
 * Hands out object numbers for new indirect objects in an incremental update. The writer
 * implements it; builders (signature field, appearance, DSS) use it to add objects they reference.
 */
export interface ObjectAllocator {
  add(value: PdfValue): PdfRef;
}
