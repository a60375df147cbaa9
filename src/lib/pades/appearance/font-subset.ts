/**
 * TrueType font loading, shaping and subset embedding.
 *
 * The text is shaped with fontkit (GSUB/GPOS: kerning, contextual forms, marks), only the glyphs
 * used are kept (fontkit's TTFSubset, which writes the tables PDF needs: head hhea loca maxp
 * cvt prep glyf hmtx fpgm), and the result is embedded as a composite font (ISO 32000-1 §9.7):
 * a Type0 font, /Encoding /Identity-H, one CIDFontType2 descendant whose CIDs are the subset's
 * glyph ids (/CIDToGIDMap /Identity), /W widths, a /FontDescriptor with /FontFile2, and a
 * /ToUnicode CMap (§9.10). Embedded fonts keep PDF/A inputs valid (ISO 19005-1 §6.3.4) and
 * render any script the font covers.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import * as fontkit from 'fontkit';
import { AppError } from '../../../shared/errors.js';
import { N, PdfDict, PdfStream, PdfString, latin1, type ObjectAllocator, type PdfRef, type PdfValue } from '../../pdf/objects.js';
import { buildToUnicodeCMap } from './to-unicode.js';

/** One positioned glyph, in font units. */
export interface ShapedGlyph {
  gid: number;
  /** Advance after this glyph (kerning applied). */
  advance: number;
  xOffset: number;
  yOffset: number;
  /** Unicode code points this glyph stands for (several for a ligature). */
  codePoints: number[];
}

export interface LoadedFont {
  postscriptName: string;
  unitsPerEm: number;
  ascent: number;
  descent: number;
  lineGap: number;
  shape(text: string): ShapedGlyph[];
  /** Advance width of glyph `gid` as stored in hmtx. */
  glyphAdvance(gid: number): number;
  /** fontkit instance for metrics and subsetting (never used for shaping). */
  readonly fk: fontkit.Font;
}

const cache = new WeakMap<Uint8Array, LoadedFont>();

const badFont = (why: string): never => {
  throw new AppError('PDF_ERR_BAD_APPEARANCE', `Unusable signature font: ${why}`);
};

/** Parses a TrueType (glyf-outline) font; cached per byte array so the same bytes are parsed once. */
export function loadFont(bytes: Uint8Array): LoadedFont {
  const hit = cache.get(bytes);
  if (hit) return hit;
  const fk = parseFont(bytes);
  // fontkit caches one glyph object per id, with the code points of whoever fetched it first;
  // fetching by bare id (metrics, subsetting, compound components) caches it with none, and
  // later layouts would hand back that object without code points, losing the ToUnicode entry.
  // So shaping gets its own instance that only ever fetches glyphs through the cmap and GSUB.
  const shaper = parseFont(bytes);
  // Only glyf outlines: a CFF font would need FontFile3 and CIDFontType0 (§9.9).
  const tables = (fk as unknown as { directory: { tables: Record<string, unknown> } }).directory.tables;
  if (!tables.glyf || !tables.loca) badFont('not a TrueType-outline font');
  // Licence bits of OS/2 fsType (OpenType spec): honour "restricted" and "no subsetting".
  const fsType = (fk as unknown as { 'OS/2'?: { fsType?: Record<string, boolean> } })['OS/2']?.fsType;
  if (fsType?.noEmbedding || fsType?.noSubsetting || fsType?.bitmapOnly) badFont('its licence forbids subset embedding');
  const font: LoadedFont = {
    postscriptName: (fk.postscriptName || 'Font').replace(/[^A-Za-z0-9_-]/g, '') || 'Font',
    unitsPerEm: fk.unitsPerEm,
    ascent: fk.ascent,
    descent: fk.descent,
    lineGap: fk.lineGap ?? 0,
    fk,
    glyphAdvance: (gid) => fk.getGlyph(gid).advanceWidth,
    shape(text) {
      const run = shaper.layout(text);
      return run.glyphs.map((g, i) => {
        const p = run.positions[i]!;
        return { gid: g.id, advance: p.xAdvance, xOffset: p.xOffset, yOffset: p.yOffset, codePoints: [...g.codePoints] };
      });
    },
  };
  cache.set(bytes, font);
  return font;
}

export interface FontSubset {
  /** "ABCDEF+DejaVuSans": a tag derived from the glyph set, so equal inputs give equal bytes. */
  baseFont: string;
  /** CID (2-byte code) of an original glyph id; every glyph passed to createFontSubset has one. */
  cidOf(gid: number): number;
  /** Advance of a CID as written in /W, in 1/1000 text space units. */
  widthOf(cid: number): number;
  build(alloc: ObjectAllocator): PdfRef;
}

function parseFont(bytes: Uint8Array): fontkit.Font {
  let parsed: fontkit.Font | fontkit.FontCollection;
  try {
    parsed = fontkit.create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return badFont('not a font file');
  }
  if (!('layout' in parsed)) return badFont('font collections are not supported; pass a single font');
  return parsed;
}

/** Round to what /W holds, so content-stream kerning can compensate exactly. */
const thousandths = (v: number, upm: number) => Math.round((v * 1000) / upm);

export function createFontSubset(font: LoadedFont, glyphs: Iterable<ShapedGlyph>): FontSubset {
  const unicodeOf = new Map<number, number[]>();
  for (const g of glyphs) if (!unicodeOf.has(g.gid) || unicodeOf.get(g.gid)!.length === 0) unicodeOf.set(g.gid, g.codePoints);
  // Sorted, so the subset depends on the glyph set only, not on the order of the text.
  const gids = [...unicodeOf.keys()].filter((g) => g !== 0).sort((a, b) => a - b);
  const subset = font.fk.createSubset() as unknown as { includeGlyph(g: number): number; encode(): Uint8Array };
  const cids = new Map<number, number>([[0, 0]]);
  for (const gid of gids) cids.set(gid, subset.includeGlyph(gid));
  const ttf = subset.encode();
  // After encode() the subset also holds the components of compound glyphs.
  const glyphCount = (subset as unknown as { glyphs: number[] }).glyphs.length;
  const tag = subsetTag(font.postscriptName, gids);
  const baseFont = `${tag}+${font.postscriptName}`;
  const upm = font.unitsPerEm;
  const widths = new Map<number, number>();
  for (const [gid, cid] of cids) widths.set(cid, thousandths(font.glyphAdvance(gid), upm));
  const toUnicode = new Map<number, number[]>();
  for (const gid of gids) toUnicode.set(cids.get(gid)!, unicodeOf.get(gid)!);

  return {
    baseFont,
    cidOf(gid) {
      const cid = cids.get(gid);
      if (cid === undefined) throw new Error(`glyph ${gid} is not in the subset`);
      return cid;
    },
    widthOf: (cid) => widths.get(cid) ?? 0,
    build(alloc) {
      const fontFile = alloc.add(new PdfStream(
        new PdfDict({ Length1: ttf.length, Filter: N('FlateDecode') }),
        new Uint8Array(deflateSync(ttf, { level: 9 })),
      ));
      const descriptor = fontDescriptor(font, baseFont, fontFile);
      // /CIDSet: required for CIDFont subsets by PDF/A-1 (ISO 19005-1 §6.3.5), allowed elsewhere.
      descriptor.set('CIDSet', alloc.add(new PdfStream(new PdfDict({ Filter: N('FlateDecode') }), new Uint8Array(deflateSync(cidSet(glyphCount))))));
      const descriptorRef = alloc.add(descriptor);
      const cidFont = alloc.add(new PdfDict({
        Type: N('Font'),
        Subtype: N('CIDFontType2'),
        BaseFont: N(baseFont),
        CIDSystemInfo: new PdfDict({
          Registry: PdfString.text('Adobe'),
          Ordering: PdfString.text('Identity'),
          Supplement: 0,
        }),
        FontDescriptor: descriptorRef,
        DW: widths.get(0) ?? 1000,
        W: widthArray(widths),
        CIDToGIDMap: N('Identity'),
      }));
      const cmap = alloc.add(new PdfStream(
        new PdfDict({ Filter: N('FlateDecode') }),
        new Uint8Array(deflateSync(latin1(buildToUnicodeCMap(toUnicode)), { level: 9 })),
      ));
      return alloc.add(new PdfDict({
        Type: N('Font'),
        Subtype: N('Type0'),
        BaseFont: N(baseFont),
        Encoding: N('Identity-H'),
        DescendantFonts: [cidFont],
        ToUnicode: cmap,
      }));
    },
  };
}

/** Bit string with one bit per CID, high-order bit first, set for CIDs 0 … count-1 (§9.8.3, Table 124). */
function cidSet(count: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(count / 8));
  for (let cid = 0; cid < count; cid++) bits[cid >> 3] = bits[cid >> 3]! | (0x80 >> (cid & 7));
  return bits;
}

/** Six uppercase letters (§9.6.4) from a hash of the glyph set: deterministic, not random. */
function subsetTag(name: string, gids: number[]): string {
  const h = createHash('sha256').update(name).update(Uint32Array.from(gids)).digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + (h[i]! % 26));
  return tag;
}

/** /W as runs of consecutive CIDs: [c [w1 w2 …] c' [...]] (§9.7.4.3). */
function widthArray(widths: Map<number, number>): PdfValue[] {
  const cids = [...widths.keys()].filter((c) => c !== 0).sort((a, b) => a - b);
  const out: PdfValue[] = [];
  let i = 0;
  while (i < cids.length) {
    const start = cids[i]!;
    const run: number[] = [];
    while (i < cids.length && cids[i] === start + run.length) run.push(widths.get(cids[i++]!)!);
    out.push(start, run);
  }
  return out;
}

function fontDescriptor(font: LoadedFont, baseFont: string, fontFile: PdfRef): PdfDict {
  const fk = font.fk;
  const upm = font.unitsPerEm;
  const s = (v: number) => thousandths(v, upm);
  const bbox = fk.bbox;
  const post = (fk as unknown as { post?: { isFixedPitch?: number } }).post;
  const italic = fk.italicAngle !== 0;
  // Symbolic (bit 3): glyphs are addressed by CID, not by the standard Latin character set (§9.8.2).
  const flags = 4 | (post?.isFixedPitch ? 1 : 0) | (italic ? 64 : 0);
  let capHeight = fk.capHeight;
  if (!capHeight) {
    const h = fk.hasGlyphForCodePoint(0x48) ? fk.glyphForCodePoint(0x48).bbox.maxY : 0;
    capHeight = h > 0 ? h : fk.ascent * 0.7;
  }
  return new PdfDict({
    Type: N('FontDescriptor'),
    FontName: N(baseFont),
    Flags: flags,
    FontBBox: [s(bbox.minX), s(bbox.minY), s(bbox.maxX), s(bbox.maxY)],
    ItalicAngle: Math.round(fk.italicAngle * 100) / 100,
    Ascent: s(fk.ascent),
    Descent: s(fk.descent),
    CapHeight: s(capHeight),
    // Not stored in TrueType; 80 is the customary estimate for a regular weight.
    StemV: 80,
    FontFile2: fontFile,
  });
}
