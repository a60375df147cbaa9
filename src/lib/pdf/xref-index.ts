/**
 * The merged cross-reference index: for every object number, where the newest revision put it.
 * Kept in typed arrays (≈13 bytes per object) rather than a Map of objects so that files with a
 * million objects stay small in memory (DESIGN.md §6).
 */
import { AppError } from '../../shared/errors.js';

/** ISO 32000-1 Annex C.2: 8,388,607 indirect objects is the implementation limit readers assume. */
export const MAX_OBJECTS = 8_388_608;

export type XrefEntry =
  | { type: 0 }
  | { type: 1; offset: number; gen: number }
  | { type: 2; stream: number; index: number };

const UNSET = 255;

export class XrefIndex {
  private type: Uint8Array;
  private a: Float64Array; // offset (type 1) or object stream number (type 2)
  private b: Uint32Array; // generation (type 1) or index within the object stream (type 2)
  private maxNum = -1;

  constructor(initial = 1024) {
    const n = Math.max(16, Math.min(initial, MAX_OBJECTS));
    this.type = new Uint8Array(n).fill(UNSET);
    this.a = new Float64Array(n);
    this.b = new Uint32Array(n);
  }

  private grow(num: number): void {
    if (num >= MAX_OBJECTS) throw new AppError('PDF_ERR_UNSUPPORTED', `Object number ${num} exceeds the supported limit`);
    if (num < this.type.length) return;
    let n = this.type.length;
    while (n <= num) n *= 2;
    n = Math.min(n, MAX_OBJECTS);
    const t = new Uint8Array(n).fill(UNSET);
    t.set(this.type);
    const a = new Float64Array(n);
    a.set(this.a);
    const b = new Uint32Array(n);
    b.set(this.b);
    this.type = t;
    this.a = a;
    this.b = b;
  }

  /** Records an entry unless a newer revision already defined this object number. */
  setIfUnset(num: number, type: 0 | 1 | 2, a: number, b: number): void {
    if (num < 0 || !Number.isInteger(num)) return;
    this.grow(num);
    if (this.type[num] !== UNSET) return;
    this.type[num] = type;
    this.a[num] = a;
    this.b[num] = b;
    if (num > this.maxNum) this.maxNum = num;
  }

  /** Overwrites an entry (used by recovery, where the last definition in the file wins). */
  set(num: number, type: 0 | 1 | 2, a: number, b: number): void {
    this.grow(num);
    this.type[num] = type;
    this.a[num] = a;
    this.b[num] = b;
    if (num > this.maxNum) this.maxNum = num;
  }

  get(num: number): XrefEntry | undefined {
    if (num < 0 || num >= this.type.length) return undefined;
    const t = this.type[num];
    if (t === UNSET) return undefined;
    if (t === 0) return { type: 0 };
    if (t === 1) return { type: 1, offset: this.a[num]!, gen: this.b[num]! };
    return { type: 2, stream: this.a[num]!, index: this.b[num]! };
  }

  /** Highest object number with an entry (-1 when empty). */
  get highest(): number {
    return this.maxNum;
  }

  /** Iterates in-use entries (type 1 and 2). */
  *inUse(): Generator<[number, XrefEntry]> {
    for (let n = 0; n <= this.maxNum; n++) {
      const e = this.get(n);
      if (e && e.type !== 0) yield [n, e];
    }
  }
}
