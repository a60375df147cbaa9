/**
 * createAppearance input validation: every bad input fails with its code before anything is
 * built (the engine writes nothing), and the object graph build() adds is what ISO 32000-1 asks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import * as fontkit from 'fontkit';
import { createAppearance, encodeImage, type AppearanceSpec } from '../../../../src/lib/pades/appearance/index.js';
import { PdfDict, PdfName, PdfStream, isRef, type PdfRef } from '../../../../src/lib/pdf/objects.js';
import { AppError, type ErrorCode } from '../../../../src/shared/errors.js';
import { TestAllocator } from '../../../support/appearance-pdf.js';
import { encode, makeImage, toPam } from '../../../support/appearance-png.js';

const require = createRequire(import.meta.url);
const FONT = new Uint8Array(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')));
const V = { CN: 'Ελένη', date: new Date('2024-07-15T10:00:00Z') };
const SPEC: AppearanceSpec = { page: 0, rect: '0,0,200,60' };

function expectCode(code: ErrorCode, fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof AppError && e.code === code && (!pattern || pattern.test(e.message)));
}

/** A copy of `font` with one table tag renamed, or bytes patched inside a table. */
function patchTable(font: Uint8Array, tag: string, patch: (bytes: Uint8Array, tableOffset: number, dirEntry: number) => void): Uint8Array {
  const out = Uint8Array.from(font);
  const dv = new DataView(out.buffer);
  const n = dv.getUint16(4);
  for (let i = 0; i < n; i++) {
    const e = 12 + 16 * i;
    if (String.fromCharCode(...out.subarray(e, e + 4)) === tag) {
      patch(out, dv.getUint32(e + 8), e);
      return out;
    }
  }
  throw new Error(`no ${tag} table`);
}

test('bad inputs fail in createAppearance with their codes', () => {
  expectCode('PDF_ERR_BAD_RECTANGLE', () => createAppearance({ ...SPEC, rect: '1,2,3' }, { font: FONT }, V));
  expectCode('PDF_ERR_PAGE_OUT_OF_RANGE', () => createAppearance({ ...SPEC, page: -1 }, { font: FONT }, V));
  expectCode('PDF_ERR_PAGE_OUT_OF_RANGE', () => createAppearance({ ...SPEC, page: 1.5 }, { font: FONT }, V));
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance({ ...SPEC, timezone: 'Nowhere/City' }, { font: FONT }, V), /time zone/);
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance({ ...SPEC, fontSize: 0 }, { font: FONT }, V));
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance({ ...SPEC, maxFontSize: 1000 }, { font: FONT }, V));
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance({ ...SPEC, qrcode: 'x'.repeat(5000) }, { font: FONT }, V), /QR/);
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance({ ...SPEC, qrPosition: 'top' as 'left' }, { font: FONT }, V));
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance({ ...SPEC, imageMode: 'tiled' as 'behind' }, { font: FONT }, V));
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance(SPEC, {}, V), /font is required/);
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance({ ...SPEC, text: 'Signed by %(CN)s' as unknown as string[] }, { font: FONT }, V), /array/);
  expectCode('PDF_ERR_BAD_IMAGE', () => createAppearance(SPEC, { font: FONT, image: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0]) }, V), /PNG/);
  expectCode('PDF_ERR_BAD_IMAGE', () => createAppearance(SPEC, { font: FONT, image: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]) }, V));
});

test('unusable fonts are refused: not a font, no glyf outlines, licence forbids embedding', () => {
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance(SPEC, { font: new Uint8Array(100) }, V), /font/);
  const noGlyf = patchTable(FONT, 'glyf', (b, _o, e) => b.set([0x78, 0x78, 0x78, 0x78], e));
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance(SPEC, { font: noGlyf }, V), /TrueType-outline/);
  // OS/2 fsType (offset 8) = 0x0002: "Restricted License embedding".
  const restricted = patchTable(FONT, 'OS/2', (b, o) => b.set([0x00, 0x02], o + 8));
  expectCode('PDF_ERR_BAD_APPEARANCE', () => createAppearance(SPEC, { font: restricted }, V), /licence/);
});

test('without text, no font is needed; useText:false draws the image only', () => {
  const png = encode('pamtopng', toPam(makeImage(4, 4, 4, 255, 0, 1)));
  const ap = createAppearance({ ...SPEC, useText: false }, { image: png }, V);
  const alloc = new TestAllocator(1);
  const ref = ap.build(alloc, { width: 200, height: 60 });
  const form = alloc.get(ref) as PdfStream;
  const res = form.dict.get('Resources') as PdfDict;
  assert.ok(!res.has('Font'));
  assert.ok(res.has('XObject'));
});

test('build() adds a form XObject with BBox, resources, and a Type0/CIDFontType2 font graph', () => {
  const ap = createAppearance({ ...SPEC, qrcode: 'https://x.example' }, { font: FONT }, V);
  assert.equal(ap.page, 0);
  assert.deepEqual(ap.rect, [0, 0, 200, 60]);
  const alloc = new TestAllocator(10);
  const ref = ap.build(alloc, { width: 200, height: 60 });
  const get = (r: PdfRef) => alloc.get(r)!;
  const name = (v: unknown) => (v instanceof PdfName ? v.name : undefined);
  const form = get(ref) as PdfStream;
  assert.equal(name(form.dict.get('Type')), 'XObject');
  assert.equal(name(form.dict.get('Subtype')), 'Form');
  assert.deepEqual(form.dict.get('BBox'), [0, 0, 200, 60]);
  const ops = inflateSync(form.data).toString('latin1');
  assert.match(ops, /BT\n\/F1 [\d.]+ Tf/);
  assert.match(ops, /re f/);
  const type0 = get(((form.dict.get('Resources') as PdfDict).get('Font') as PdfDict).get('F1') as PdfRef) as PdfDict;
  assert.equal(name(type0.get('Subtype')), 'Type0');
  assert.equal(name(type0.get('Encoding')), 'Identity-H');
  assert.ok(isRef(type0.get('ToUnicode')));
  const cid = get((type0.get('DescendantFonts') as PdfRef[])[0]!) as PdfDict;
  assert.equal(name(cid.get('Subtype')), 'CIDFontType2');
  assert.equal(name(cid.get('CIDToGIDMap')), 'Identity');
  const desc = get(cid.get('FontDescriptor') as PdfRef) as PdfDict;
  for (const k of ['FontName', 'Flags', 'FontBBox', 'ItalicAngle', 'Ascent', 'Descent', 'CapHeight', 'StemV', 'FontFile2', 'CIDSet']) assert.ok(desc.has(k), k);
  // /CIDSet (PDF/A-1 §6.3.5) has exactly one bit per glyph of the embedded subset.
  const ttf = inflateSync((get(desc.get('FontFile2') as PdfRef) as PdfStream).data);
  const numGlyphs = (fontkit.create(ttf) as fontkit.Font).numGlyphs;
  const bits = inflateSync((get(desc.get('CIDSet') as PdfRef) as PdfStream).data);
  const set = [...bits].reduce((n, b) => n + b.toString(2).split('1').length - 1, 0);
  assert.equal(set, numGlyphs);
  assert.equal(bits.length, Math.ceil(numGlyphs / 8));
  assert.equal(bits[0]! & 0x80, 0x80, 'CID 0 (.notdef) present');
  assert.equal(name(desc.get('FontName')), name(type0.get('BaseFont')));
  // Every object build() referenced was added through the allocator (nothing dangling).
  const nums = new Set(alloc.objects.map((o) => o.ref.num));
  for (const r of [cid.get('FontDescriptor'), desc.get('FontFile2'), type0.get('ToUnicode')]) assert.ok(nums.has((r as PdfRef).num));
});

test('encodeImage() output (e.g. cached in Redis) gives the same objects as the PNG itself', () => {
  const png = encode('pamtopng', toPam(makeImage(16, 8, 4, 255, 0, 9)));
  const enc = encodeImage(png);
  assert.ok(enc.mask, 'alpha kept as a mask');
  // Round trip through a cache's JSON/base64 form.
  const json = JSON.stringify({ ...enc, data: Buffer.from(enc.data).toString('base64'), mask: Buffer.from(enc.mask!).toString('base64') });
  const back = JSON.parse(json) as { width: number; height: number; colors: 1 | 3; data: string; mask: string };
  const cached = { ...back, data: new Uint8Array(Buffer.from(back.data, 'base64')), mask: new Uint8Array(Buffer.from(back.mask, 'base64')) };
  const objects = (image: Uint8Array | typeof cached) => {
    const alloc = new TestAllocator(1);
    createAppearance({ ...SPEC, horizontal: true }, { font: FONT, image }, V).build(alloc, { width: 200, height: 60 });
    return alloc.objects;
  };
  assert.deepEqual(objects(cached), objects(png));
  expectCode('PDF_ERR_BAD_IMAGE', () => createAppearance({ ...SPEC, flattenAlpha: true }, { font: FONT, image: cached }, V), /flattenAlpha/);
  expectCode('PDF_ERR_BAD_IMAGE', () => createAppearance(SPEC, { font: FONT, image: { ...cached, width: 0 } }, V));
  expectCode('PDF_ERR_BAD_IMAGE', () => createAppearance(SPEC, { font: FONT, image: { ...cached, colors: 4 as 3 } }, V));
});
