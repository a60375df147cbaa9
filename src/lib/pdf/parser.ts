/**
 * Object syntax parser (ISO 32000-1 §7.2 lexical conventions, §7.3 objects) over an in-memory
 * window of the file. The reader hands it a window; when an object runs past the end of the
 * window the parser throws NeedMoreInput and the reader retries with a larger window, so only
 * the bytes of the objects actually asked for are ever read.
 */
import { AppError } from '../../shared/errors.js';
import { PdfDict, PdfName, PdfRef, PdfString, type PdfValue } from './objects.js';

/** Thrown when the window ends before the object does; the reader retries with more bytes. */
export class NeedMoreInput extends Error {
  constructor() {
    super('need more input');
  }
}

// §7.2.2 character sets.
const WS = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;

export const isWhite = (c: number): boolean => WS[c] === 1;
export const isDelim = (c: number): boolean => DELIM[c] === 1;
const isRegular = (c: number): boolean => WS[c] !== 1 && DELIM[c] !== 1;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** Hex digit values, 255 for anything else. */
const HEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}
const hexPair = (a: number, b: number): number => (HEX[a] === 255 || HEX[b] === 255 ? -1 : (HEX[a]! << 4) | HEX[b]!);
/** Bytes as a string, one char per byte (no spread: long runs must not overflow the stack). */
const latin1Text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/** Nesting limit for arrays/dicts: deeper structures are refused rather than blowing the stack. */
const MAX_DEPTH = 256;

/** Stream header: the dictionary and where its data starts (absolute file offset). */
export interface StreamHeader {
  dict: PdfDict;
  dataOffset: number;
}

export interface IndirectObject {
  num: number;
  gen: number;
  /** The object value; for a stream, the stream dictionary (see `stream`). */
  value: PdfValue;
  stream?: StreamHeader;
}

export class Parser {
  pos: number;

  /**
   * @param buf bytes of the window
   * @param base absolute file offset of buf[0]
   * @param atEof true when the window reaches the end of the file (no more input exists)
   */
  constructor(readonly buf: Uint8Array, readonly base = 0, readonly atEof = true, pos = 0) {
    this.pos = pos;
  }

  private more(): never {
    if (this.atEof) throw new AppError('PDF_ERR_MALFORMED', 'Unexpected end of PDF data');
    throw new NeedMoreInput();
  }

  private peekByte(): number {
    if (this.pos >= this.buf.length) this.more();
    return this.buf[this.pos]!;
  }

  /** Skips white space and comments (§7.2.3). */
  skipWs(): void {
    const b = this.buf;
    for (;;) {
      while (this.pos < b.length && WS[b[this.pos]!] === 1) this.pos++;
      if (this.pos < b.length && b[this.pos] === 0x25) {
        while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
        continue;
      }
      return;
    }
  }

  /** Reads a run of regular characters (a number or a keyword). */
  private regularRun(): string {
    const b = this.buf;
    const start = this.pos;
    while (this.pos < b.length && isRegular(b[this.pos]!)) this.pos++;
    // A token touching the end of a window might continue past it.
    if (this.pos >= b.length && !this.atEof) throw new NeedMoreInput();
    return latin1Text(b.subarray(start, this.pos));
  }

  /** Next keyword or number token as text, without consuming it. */
  peekToken(): string {
    const save = this.pos;
    this.skipWs();
    if (this.pos >= this.buf.length) {
      this.pos = save;
      if (this.atEof) return '';
      throw new NeedMoreInput();
    }
    const c = this.buf[this.pos]!;
    const t = isDelim(c) ? String.fromCharCode(c) : this.regularRun();
    this.pos = save;
    return t;
  }

  /** Consumes an expected keyword (e.g. "obj", "trailer"). */
  expectKeyword(kw: string): void {
    this.skipWs();
    const t = this.regularRun();
    if (t !== kw) throw new AppError('PDF_ERR_MALFORMED', `Expected "${kw}" at offset ${this.base + this.pos - t.length}`);
  }

  /** Consumes the next run of regular characters (a keyword) and returns it. */
  readKeyword(): string {
    this.skipWs();
    if (this.pos >= this.buf.length) this.more();
    return this.regularRun();
  }

  readInt(): number {
    this.skipWs();
    if (this.pos >= this.buf.length) this.more();
    const t = this.regularRun();
    if (!/^[+-]?\d+$/.test(t)) throw new AppError('PDF_ERR_MALFORMED', `Expected an integer at offset ${this.base + this.pos - t.length}`);
    return Number(t);
  }

  /** Parses one direct object (§7.3). References `n g R` are recognised by look-ahead. */
  parseValue(depth = 0): PdfValue {
    if (depth > MAX_DEPTH) throw new AppError('PDF_ERR_MALFORMED', 'PDF objects nested too deeply');
    this.skipWs();
    const c = this.peekByte();
    const b = this.buf;
    switch (c) {
      case 0x2f: // '/'
        return this.parseName();
      case 0x28: // '('
        return this.parseLiteralString();
      case 0x3c: // '<'
        if (this.pos + 1 >= b.length) this.more();
        if (b[this.pos + 1] === 0x3c) return this.parseDict(depth);
        return this.parseHexString();
      case 0x5b: {
        // '['
        this.pos++;
        const arr: PdfValue[] = [];
        for (;;) {
          this.skipWs();
          if (this.peekByte() === 0x5d) {
            this.pos++;
            return arr;
          }
          arr.push(this.parseValue(depth + 1));
        }
      }
      default:
        break;
    }
    if (isDelim(c)) throw new AppError('PDF_ERR_MALFORMED', `Unexpected "${String.fromCharCode(c)}" at offset ${this.base + this.pos}`);
    const start = this.pos;
    const t = this.regularRun();
    if (t === 'true') return true;
    if (t === 'false') return false;
    if (t === 'null') return null;
    if (/^[+-]?\d+$/.test(t)) {
      // Possibly the start of "num gen R" (§7.3.10).
      const after = this.pos;
      const ref = this.tryRefTail(Number(t));
      if (ref) return ref;
      this.pos = after;
      return Number(t);
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return Number(t);
    // Exponent notation is not PDF syntax (§7.3.3) but some producers write it (e.g. a /Rect
    // of "1.5e-05"); pdf.js reads it as a number, and refusing the whole object would refuse
    // the document. It is written back in plain notation.
    if (/^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d{1,3}$/.test(t)) {
      const n = Number(t);
      return Number.isFinite(n) ? n : 0;
    }
    // Malformed numbers such as "--1" or "1.2.3" exist in the wild; readers treat them as 0.
    if (/^[+-]*[\d.]+$/.test(t)) return Number.isFinite(Number(t)) ? Number(t) : 0;
    this.pos = start;
    throw new AppError('PDF_ERR_MALFORMED', `Unexpected token "${t.slice(0, 20)}" at offset ${this.base + start}`);
  }

  private tryRefTail(num: number): PdfRef | null {
    if (!Number.isSafeInteger(num) || num < 0) return null;
    const b = this.buf;
    let p = this.pos;
    const skip = () => {
      while (p < b.length && WS[b[p]!] === 1) p++;
    };
    skip();
    const gStart = p;
    while (p < b.length && isDigit(b[p]!)) p++;
    if (p >= b.length) {
      if (!this.atEof) throw new NeedMoreInput();
      return null;
    }
    if (p === gStart || !(WS[b[p]!] === 1 || isDelim(b[p]!))) return null;
    const gen = Number(latin1Text(b.subarray(gStart, p)));
    skip();
    if (p >= b.length) {
      if (!this.atEof) throw new NeedMoreInput();
      return null;
    }
    if (b[p] !== 0x52) return null; // 'R'
    if (p + 1 >= b.length && !this.atEof) throw new NeedMoreInput();
    if (p + 1 < b.length && isRegular(b[p + 1]!)) return null;
    this.pos = p + 1;
    return new PdfRef(num, gen);
  }

  private parseName(): PdfName {
    const b = this.buf;
    this.pos++; // '/'
    const start = this.pos;
    while (this.pos < b.length && isRegular(b[this.pos]!)) this.pos++;
    if (this.pos >= b.length && !this.atEof) throw new NeedMoreInput();
    const raw = b.subarray(start, this.pos);
    // §7.3.5: a name is a sequence of bytes, #xx escapes included. Each byte maps to one char
    // (latin1), so a name written back (objects.ts escapeName) has exactly the bytes it was
    // read with: a page's /Resources names must still match its content stream's operands.
    if (!raw.includes(0x23)) return PdfName.of(latin1Text(raw));
    const out = new Uint8Array(raw.length);
    let n = 0;
    for (let i = 0; i < raw.length; i++) {
      const h = raw[i] === 0x23 && i + 2 < raw.length ? hexPair(raw[i + 1]!, raw[i + 2]!) : -1;
      if (h >= 0) {
        out[n++] = h;
        i += 2;
      } else out[n++] = raw[i]!;
    }
    return PdfName.of(latin1Text(out.subarray(0, n)));
  }

  private parseLiteralString(): PdfString {
    const b = this.buf;
    const start = ++this.pos; // after '('
    // First find the closing parenthesis (§7.3.4.2: balanced pairs, "\" escapes the next byte)
    // without allocating: an unterminated string then costs nothing while the window grows.
    let depth = 1;
    let p = start;
    for (;;) {
      if (p >= b.length) {
        this.pos = b.length;
        this.more();
      }
      const c = b[p++]!;
      if (c === 0x5c) p++;
      else if (c === 0x28) depth++;
      else if (c === 0x29 && --depth === 0) break;
    }
    const end = p - 1; // the closing ')'
    const out = new Uint8Array(end - start);
    let n = 0;
    for (let i = start; i < end; ) {
      const c = b[i++]!;
      if (c !== 0x5c) {
        out[n++] = c;
        continue;
      }
      // '\' escapes, §7.3.4.2 Table 3
      const e = b[i++]!;
      switch (e) {
        case 0x6e: out[n++] = 0x0a; break; // n
        case 0x72: out[n++] = 0x0d; break; // r
        case 0x74: out[n++] = 0x09; break; // t
        case 0x62: out[n++] = 0x08; break; // b
        case 0x66: out[n++] = 0x0c; break; // f
        case 0x0d: // line continuation
          if (i < end && b[i] === 0x0a) i++;
          break;
        case 0x0a:
          break;
        default:
          if (e >= 0x30 && e <= 0x37) {
            let v = e - 0x30;
            for (let k = 0; k < 2 && i < end && b[i]! >= 0x30 && b[i]! <= 0x37; k++) v = v * 8 + (b[i++]! - 0x30);
            out[n++] = v & 0xff;
          } else out[n++] = e;
      }
    }
    this.pos = end + 1;
    return new PdfString(n === out.length ? out : out.slice(0, n));
  }

  private parseHexString(): PdfString {
    const b = this.buf;
    this.pos++; // '<'
    const start = this.pos;
    const end = b.indexOf(0x3e, start);
    if (end < 0) this.more();
    this.pos = end + 1;
    // Decoded straight into bytes: a /Contents of several MiB must not become a JS array.
    const out = new Uint8Array((end - start + 1) >> 1);
    let n = 0;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (WS[c] === 1) continue;
      const v = HEX[c]!;
      if (v === 255) throw new AppError('PDF_ERR_MALFORMED', `Bad hex string at offset ${this.base + start}`);
      if (hi < 0) hi = v;
      else {
        out[n++] = (hi << 4) | v;
        hi = -1;
      }
    }
    // §7.3.4.3: an odd final digit is followed by an implied 0.
    if (hi >= 0) out[n++] = hi << 4;
    return new PdfString(n === out.length ? out : out.slice(0, n), true);
  }

  private parseDict(depth: number): PdfDict {
    this.pos += 2; // '<<'
    const d = new PdfDict();
    for (;;) {
      this.skipWs();
      const c = this.peekByte();
      if (c === 0x3e) {
        if (this.pos + 1 >= this.buf.length) this.more();
        if (this.buf[this.pos + 1] !== 0x3e) throw new AppError('PDF_ERR_MALFORMED', `Bad dictionary end at offset ${this.base + this.pos}`);
        this.pos += 2;
        return d;
      }
      if (c !== 0x2f) {
        throw new AppError('PDF_ERR_MALFORMED', `Dictionary key expected at offset ${this.base + this.pos}`);
      }
      const key = this.parseName().name;
      this.skipWs();
      // A key directly followed by '>>' has no value; treat as null (lenient, seen in the wild).
      if (this.peekByte() === 0x3e) {
        if (this.pos + 1 >= this.buf.length) this.more();
        if (this.buf[this.pos + 1] === 0x3e) continue;
      }
      const v = this.parseValue(depth + 1);
      // §7.3.7: a null value is equivalent to an absent entry.
      if (v !== null) d.set(key, v);
    }
  }

  /**
   * Parses `num gen obj <value> [stream…] endobj` starting at `pos`. For streams the data is
   * not read: the header gives where it starts, the reader finds its length (§7.3.8.1).
   */
  parseIndirect(): IndirectObject {
    const num = this.readInt();
    const gen = this.readInt();
    this.expectKeyword('obj');
    const value = this.parseValue();
    this.skipWs();
    if (value instanceof PdfDict && this.peekToken() === 'stream') {
      this.skipWs();
      this.pos += 6;
      // §7.3.8.1: "stream" is followed by CRLF or LF (a lone CR is tolerated).
      if (this.pos >= this.buf.length) this.more();
      if (this.buf[this.pos] === 0x0d) {
        this.pos++;
        if (this.pos >= this.buf.length) this.more();
        if (this.buf[this.pos] === 0x0a) this.pos++;
      } else if (this.buf[this.pos] === 0x0a) this.pos++;
      return { num, gen, value, stream: { dict: value, dataOffset: this.base + this.pos } };
    }
    return { num, gen, value };
  }
}

/** Finds `needle` in `hay` searching backwards from `from` (inclusive start index). */
export function lastIndexOf(hay: Uint8Array, needle: Uint8Array, from = hay.length - needle.length): number {
  outer: for (let i = Math.min(from, hay.length - needle.length); i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Finds `needle` in `hay` from index `from`. */
export function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(needle, from);
}
