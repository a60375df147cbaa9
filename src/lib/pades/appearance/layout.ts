/**
 * Geometry of the appearance: where the QR code, the image and the text go inside the box, and
 * how the text lines are wrapped and sized to fit their area. Pure arithmetic in points; the
 * drawing is in appearance.ts.
 */
import type { LoadedFont, ShapedGlyph } from './font-subset.js';

export interface Area { x: number; y: number; w: number; h: number }

/** How the image shares the box with the text. */
export type ImageMode = 'behind' | 'above' | 'left';

export interface AreaRequest {
  width: number;
  height: number;
  image?: { aspect: number /* width / height */ };
  text: boolean;
  qr?: 'left' | 'right';
  imageMode: ImageMode;
}

export interface Areas { qr?: Area; image?: Area; text?: Area }

/** Largest rectangle of ratio `aspect` centred in `a`. */
export function fitAspect(a: Area, aspect: number): Area {
  let w = a.w;
  let h = w / aspect;
  if (h > a.h) {
    h = a.h;
    w = h * aspect;
  }
  return { x: a.x + (a.w - w) / 2, y: a.y + (a.h - h) / 2, w, h };
}

/**
 * Splits the box: QR square on its side (full inner height, at most half the width when
 * something else is drawn), then the image and the text in what is left:
 *  - 'left' (One-Shot `horizontal: true`): image on the left, at most half the width, text on the right;
 *  - 'above': image in the upper half, text in the lower half;
 *  - 'behind' (default): image centred in the whole area, text drawn over it.
 */
export function computeAreas(req: AreaRequest): Areas {
  const pad = Math.min(4, Math.max(0.5, Math.min(req.width, req.height) * 0.04));
  let rest: Area = { x: pad, y: pad, w: Math.max(0, req.width - 2 * pad), h: Math.max(0, req.height - 2 * pad) };
  const out: Areas = {};
  const others = req.image !== undefined || req.text;
  if (req.qr) {
    const side = Math.min(rest.h, others ? rest.w / 2 : rest.w);
    const y = rest.y + (rest.h - side) / 2;
    if (req.qr === 'right') {
      out.qr = { x: rest.x + rest.w - side, y, w: side, h: side };
      rest = { ...rest, w: Math.max(0, rest.w - side - pad) };
    } else {
      out.qr = { x: rest.x, y, w: side, h: side };
      rest = { ...rest, x: rest.x + side + pad, w: Math.max(0, rest.w - side - pad) };
    }
  }
  if (req.image && req.text) {
    if (req.imageMode === 'left') {
      const w = Math.min(rest.w / 2, rest.h * req.image.aspect);
      out.image = fitAspect({ ...rest, w }, req.image.aspect);
      out.text = { ...rest, x: rest.x + w + pad, w: Math.max(0, rest.w - w - pad) };
    } else if (req.imageMode === 'above') {
      const half = (rest.h - pad) / 2;
      out.image = fitAspect({ ...rest, y: rest.y + half + pad, h: half }, req.image.aspect);
      out.text = { ...rest, h: half };
    } else {
      out.image = fitAspect(rest, req.image.aspect);
      out.text = rest;
    }
  } else if (req.image) out.image = fitAspect(rest, req.image.aspect);
  else if (req.text) out.text = rest;
  return out;
}

/** A shaped word; `width` in font units. */
export interface Word { glyphs: ShapedGlyph[]; width: number }
/** A source line split at spaces. */
export interface ShapedLine { words: Word[]; spaceGlyph: ShapedGlyph }
/** A line as drawn: glyphs in order (spaces included), width in font units. */
export interface VisualLine { glyphs: ShapedGlyph[]; width: number }

export function shapeLine(font: LoadedFont, text: string): ShapedLine {
  const space = font.shape(' ')[0] ?? { gid: 0, advance: font.unitsPerEm / 4, xOffset: 0, yOffset: 0, codePoints: [32] };
  const words = text.split(' ').map((w) => {
    const glyphs = w === '' ? [] : font.shape(w);
    return { glyphs, width: glyphs.reduce((s, g) => s + g.advance, 0) };
  });
  return { words, spaceGlyph: space };
}

/** Breaks a word wider than `max` at glyph boundaries (a zero-advance mark stays with its base). */
function splitWord(word: Word, max: number): Word[] {
  const parts: Word[] = [];
  let cur: ShapedGlyph[] = [];
  let w = 0;
  for (const g of word.glyphs) {
    if (cur.length > 0 && g.advance > 0 && w + g.advance > max) {
      parts.push({ glyphs: cur, width: w });
      cur = [];
      w = 0;
    }
    cur.push(g);
    w += g.advance;
  }
  if (cur.length) parts.push({ glyphs: cur, width: w });
  return parts;
}

/** Greedy word wrap at spaces; `max` in font units. An empty source line stays an empty line. */
export function wrapLine(line: ShapedLine, max: number): VisualLine[] {
  const out: VisualLine[] = [];
  let cur: ShapedGlyph[] = [];
  let width = 0;
  let started = false;
  const flush = () => {
    out.push({ glyphs: cur, width });
    cur = [];
    width = 0;
    started = false;
  };
  for (const word of line.words) {
    for (const piece of word.width > max ? splitWord(word, max) : [word]) {
      const sep = started ? line.spaceGlyph.advance : 0;
      if (started && width + sep + piece.width > max) flush();
      if (started) {
        cur.push(line.spaceGlyph);
        width += line.spaceGlyph.advance;
      }
      cur.push(...piece.glyphs);
      width += piece.width;
      started = true;
    }
  }
  if (started || out.length === 0) flush();
  return out;
}

export interface TextBlock {
  fontSize: number;
  /** Baseline origin of each line, in points inside the box. */
  lines: { x: number; y: number; glyphs: ShapedGlyph[] }[];
}

export const MIN_FONT_SIZE = 3;
export const DEFAULT_MAX_FONT_SIZE = 14;

export interface FitOptions {
  /** Fixed size in points; otherwise the largest size ≤ maxFontSize that fits. */
  fontSize?: number;
  maxFontSize?: number;
  align?: 'left' | 'center' | 'right';
}

/**
 * Wraps and sizes `lines` into `area`. Auto-fit: the largest size (to 1/10 pt) between
 * MIN_FONT_SIZE and maxFontSize at which every wrapped line fits without breaking a word
 * (failing that, with words broken at glyph boundaries); the block is centred vertically. Lines that still do not fit at the smallest size are dropped from the bottom
 * rather than drawn across the box border.
 */
export function fitText(font: LoadedFont, lines: ShapedLine[], area: Area, opts: FitOptions = {}): TextBlock {
  const upm = font.unitsPerEm;
  const lineFactor = (font.ascent - font.descent + font.lineGap) / upm;
  const wrapAt = (size: number) => lines.flatMap((l) => wrapLine(l, (area.w * upm) / size));
  const widest = Math.max(0, ...lines.flatMap((l) => l.words.map((w) => w.width)));
  // First choice: no word broken in the middle (an e-mail split over two lines reads badly).
  let wholeWords = true;
  const fits = (size: number) => {
    if (wholeWords && (widest * size) / upm > area.w + 1e-6) return false;
    const v = wrapAt(size);
    return v.length * size * lineFactor <= area.h + 1e-6 && v.every((l) => (l.width * size) / upm <= area.w + 1e-6);
  };
  const search = (hi: number) => {
    if (fits(hi)) return hi;
    // Integers in tenths of a point keep the search exact and the output deterministic.
    let lo = MIN_FONT_SIZE * 10;
    let top = Math.round(hi * 10);
    while (lo < top) {
      const mid = Math.ceil((lo + top) / 2);
      if (fits(mid / 10)) lo = mid;
      else top = mid - 1;
    }
    return lo / 10;
  };
  let size: number;
  if (opts.fontSize !== undefined) size = opts.fontSize;
  else {
    const hi = Math.max(MIN_FONT_SIZE, opts.maxFontSize ?? DEFAULT_MAX_FONT_SIZE);
    size = search(hi);
    if (!fits(size)) {
      wholeWords = false;
      size = search(hi);
    }
  }
  let visual = wrapAt(size);
  const lineHeight = size * lineFactor;
  const maxLines = Math.max(0, Math.floor((area.h + 1e-6) / lineHeight));
  if (visual.length > maxLines) visual = visual.slice(0, maxLines);
  const blockH = visual.length * lineHeight;
  const top = area.y + area.h - (area.h - blockH) / 2;
  const ascent = (font.ascent / upm) * size;
  const gap = ((font.lineGap / upm) * size) / 2;
  return {
    fontSize: size,
    lines: visual.map((l, i) => {
      const w = (l.width * size) / upm;
      const free = Math.max(0, area.w - w);
      const x = area.x + (opts.align === 'center' ? free / 2 : opts.align === 'right' ? free : 0);
      return { x, y: top - i * lineHeight - gap - ascent, glyphs: l.glyphs };
    }),
  };
}
