/**
 * "A visible signature is really drawn" (issue 3): the appearance is laid into a real one-page
 * PDF, rendered by poppler's pdftoppm, and checked pixel by pixel against a rendering of the
 * same page without it; the embedded font is checked with pdffonts/pdftotext, the file with
 * qpdf --check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import * as fontkit from 'fontkit';
import { createAppearance, type AppearanceSpec } from '../../../../src/lib/pades/appearance/index.js';
import { PdfDict, PdfStream, isRef, type PdfRef } from '../../../../src/lib/pdf/objects.js';
import { buildOnePagePdf, type TestAllocator } from '../../../support/appearance-pdf.js';
import { encode, makeImage, toPam, type PamImage } from '../../../support/appearance-png.js';
import { pdffonts, pdftotext, pixel, qpdfCheck, renderPage, type Raster } from '../../../support/appearance-tools.js';

const require = createRequire(import.meta.url);
const FONT = new Uint8Array(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')));
const VALUES = { CN: 'Łukasz Żółć', SUBJECT: 'CN=Łukasz Żółć, C=PL', EMAIL: 'lukasz@example.com', L: 'Kraków', date: new Date('2024-07-15T10:00:00Z') };
const PAGE_H = 200;

/** A solid-colour RGBA image; `transparentRight` makes the right half fully transparent. */
function solidPng(w: number, h: number, rgb: [number, number, number], transparentRight = false): Uint8Array {
  const samples: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) samples.push(...rgb, transparentRight && x >= w / 2 ? 0 : 255);
  const img: PamImage = { width: w, height: h, depth: 4, maxval: 255, samples };
  return encode('pamtopng', toPam(img));
}

type Box = [number, number, number, number];

/** Pixels of `r` (rendered at `dpi`) inside the PDF-space box, shrunk by `inset` pixels. */
function* pixelsIn(r: Raster, box: Box, dpi: number, inset = 0): Generator<[number, number]> {
  const k = dpi / 72;
  const x0 = Math.ceil(box[0] * k) + inset, x1 = Math.floor(box[2] * k) - inset;
  const y0 = Math.ceil((PAGE_H - box[3]) * k) + inset, y1 = Math.floor((PAGE_H - box[1]) * k) - inset;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) yield [x, y];
}

const isInside = (box: Box, dpi: number, x: number, y: number, margin: number) => {
  const k = dpi / 72;
  return x >= box[0] * k - margin && x < box[2] * k + margin && y >= (PAGE_H - box[3]) * k - margin && y < (PAGE_H - box[1]) * k + margin;
};

function differingOutside(a: Raster, b: Raster, box: Box, dpi: number): number {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  let n = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      if (isInside(box, dpi, x, y, 1)) continue;
      const p = pixel(a, x, y), q = pixel(b, x, y);
      if (p[0] !== q[0] || p[1] !== q[1] || p[2] !== q[2]) n++;
    }
  return n;
}

const dark = (p: [number, number, number]) => p[0] + p[1] + p[2] < 3 * 128;
const near = (p: [number, number, number], q: [number, number, number], tol = 12) => p.every((v, i) => Math.abs(v - q[i]!) <= tol);

function render(spec: AppearanceSpec, image?: Uint8Array, opts: { asWidget?: boolean; baseContent?: string; dpi?: number } = {}) {
  const ap = createAppearance(spec, { font: FONT, ...(image ? { image } : {}) }, VALUES);
  const built = buildOnePagePdf({ appearance: ap, ...(opts.asWidget ? { asWidget: true } : {}), ...(opts.baseContent ? { baseContent: opts.baseContent } : {}) });
  const base = buildOnePagePdf(opts.baseContent ? { baseContent: opts.baseContent } : {});
  const dpi = opts.dpi ?? 72;
  return { ap, built, raster: renderPage(built.bytes, dpi), baseRaster: renderPage(base.bytes, dpi), dpi };
}

function formOf(alloc: TestAllocator, ref: PdfRef): { dict: PdfDict; ops: string } {
  const form = alloc.get(ref);
  assert.ok(form instanceof PdfStream);
  return { dict: form.dict, ops: inflateSync(form.data).toString('latin1') };
}

test('text + image (horizontal) + QR: drawn inside the rectangle, nothing outside changes', () => {
  const rect: Box = [20, 60, 280, 140];
  const { built, raster, baseRaster, dpi } = render(
    { page: 0, rect: rect.join(','), text: ['Signed by %(CN)s', '%(DATE)s'], timezone: 'Europe/Madrid', horizontal: true, qrcode: 'https://example.com/v?id=1' },
    solidPng(40, 20, [0, 160, 0]),
  );
  assert.equal(raster.stderr, '', 'poppler reported errors while rendering');
  assert.equal(differingOutside(raster, baseRaster, rect, dpi), 0, 'pixels outside the rectangle changed');
  let ink = 0, green = 0;
  for (const [x, y] of pixelsIn(raster, rect, dpi, 1)) {
    const p = pixel(raster, x, y);
    if (dark(p)) ink++;
    if (near(p, [0, 160, 0])) green++;
  }
  assert.ok(green > 200, `image pixels drawn (${green})`);
  assert.ok(ink > 300, `text and QR ink drawn (${ink})`);
  const check = qpdfCheck(built.bytes);
  assert.ok(check.ok, check.output);
});

test('the image sits left of the text in horizontal mode, and in the upper half in "above" mode', () => {
  const rect: Box = [20, 40, 280, 160];
  const png = solidPng(30, 30, [200, 0, 0]);
  const horiz = render({ page: 0, rect, text: ['%(CN)s'], horizontal: true }, png);
  const above = render({ page: 0, rect, text: ['%(CN)s'], imageMode: 'above' }, png);
  const redBounds = (r: Raster) => {
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (const [x, y] of pixelsIn(r, rect, 72)) if (near(pixel(r, x, y), [200, 0, 0])) {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
    return { minX, maxX, minY, maxY };
  };
  const h = redBounds(horiz.raster);
  assert.ok(h.maxX < 20 + 260 / 2 + 1, `image in the left half (${JSON.stringify(h)})`);
  assert.ok(h.maxX - h.minX > 20 && Math.abs(h.maxX - h.minX - (h.maxY - h.minY)) <= 2, 'aspect ratio kept (square image stays square)');
  const a = redBounds(above.raster);
  const midY = PAGE_H - (40 + 160) / 2;
  assert.ok(a.maxY < midY, `image above the middle (${JSON.stringify(a)})`);
});

test('alpha becomes an /SMask that really masks; flattenAlpha composites over white without one', () => {
  const rect: Box = [50, 50, 250, 150];
  // A blue page area under the signature shows through the transparent half of the image.
  const baseContent = '0 0 1 rg 40 40 220 120 re f';
  const png = solidPng(40, 20, [255, 0, 0], true);
  const masked = render({ page: 0, rect, useText: false }, png, { baseContent });
  const flat = render({ page: 0, rect, useText: false, flattenAlpha: true }, png, { baseContent });
  const imageObjects = (alloc: TestAllocator) => alloc.objects.map((o) => o.value).filter((v): v is PdfStream => v instanceof PdfStream && v.dict.get('Subtype') !== undefined && String(v.dict.get('Subtype')) === '/Image');
  const mImgs = imageObjects(masked.built.alloc);
  assert.equal(mImgs.length, 2, 'image + soft mask');
  const main = mImgs.find((s) => s.dict.has('SMask'));
  assert.ok(main && isRef(main.dict.get('SMask')));
  assert.equal(imageObjects(flat.built.alloc).length, 1);
  assert.ok(!imageObjects(flat.built.alloc)[0]!.dict.has('SMask'));
  // Image fills the 200×100 box (2:1); left half red, right half transparent.
  const leftCentre: [number, number] = [100, PAGE_H - 100];
  const rightCentre: [number, number] = [200, PAGE_H - 100];
  assert.ok(near(pixel(masked.raster, ...leftCentre), [255, 0, 0]));
  assert.ok(near(pixel(masked.raster, ...rightCentre), [0, 0, 255]), `blue shows through: ${pixel(masked.raster, ...rightCentre)}`);
  assert.ok(near(pixel(flat.raster, ...rightCentre), [255, 255, 255]), `flattened over white: ${pixel(flat.raster, ...rightCentre)}`);
  for (const r of [masked, flat]) assert.ok(qpdfCheck(r.built.bytes).ok);
});

test('non-Latin names: embedded subset font (pdffonts), extracted text (pdftotext, via ToUnicode)', () => {
  const names = ['Łukasz Żółć', 'Ελένη Παπαδοπούλου', 'Дмитрий Иванов'];
  const ap = createAppearance({ page: 0, rect: [10, 20, 290, 180], text: ['%(CN)s', ...names.slice(1)] }, { font: FONT }, VALUES);
  const { bytes } = buildOnePagePdf({ appearance: ap });
  const fonts = pdffonts(bytes).trim().split('\n').slice(2);
  assert.equal(fonts.length, 1, pdffonts(bytes));
  const cols = fonts[0]!.trim().split(/\s+/);
  assert.match(cols[0]!, /^[A-Z]{6}\+DejaVuSans$/);
  assert.deepEqual(cols.slice(1, 7), ['CID', 'TrueType', 'Identity-H', 'yes', 'yes', 'yes'], fonts[0]);
  const text = pdftotext(bytes);
  for (const n of names) assert.ok(text.includes(n), `"${n}" in extracted text:\n${text}`);
  assert.ok(qpdfCheck(bytes).ok);
  const r = renderPage(bytes);
  assert.equal(r.stderr, '');
});

test('the subset font keeps every used glyph outline and advance of the original', () => {
  const ap = createAppearance({ page: 0, rect: [10, 20, 290, 180], text: ['Żółć Ελένη Дмитрий AVA fi'] }, { font: FONT }, VALUES);
  const { alloc, formRef } = buildOnePagePdf({ appearance: ap });
  const { dict } = formOf(alloc, formRef!);
  const type0 = alloc.get(((dict.get('Resources') as PdfDict).get('Font') as PdfDict).get('F1') as PdfRef) as PdfDict;
  const cidFont = alloc.get((type0.get('DescendantFonts') as PdfRef[])[0]!) as PdfDict;
  const descriptor = alloc.get(cidFont.get('FontDescriptor') as PdfRef) as PdfDict;
  const file = alloc.get(descriptor.get('FontFile2') as PdfRef) as PdfStream;
  const ttf = inflateSync(file.data);
  assert.equal(file.dict.get('Length1'), ttf.length);
  const sub = fontkit.create(ttf) as fontkit.Font;
  const orig = fontkit.create(Buffer.from(FONT)) as fontkit.Font;
  // Map CIDs back to original glyphs through the ToUnicode code points.
  const cmap = inflateSync((alloc.get(type0.get('ToUnicode') as PdfRef) as PdfStream).data).toString('latin1');
  const bfchars = [...cmap.matchAll(/beginbfchar\n([\s\S]*?)endbfchar/g)].map((m) => m[1]!).join('');
  const pairs = [...bfchars.matchAll(/<([0-9A-F]{4})> <([0-9A-F]+)>/g)].map((m) => [parseInt(m[1]!, 16), m[2]!] as const);
  assert.ok(pairs.length >= 15);
  const widths = cidFont.get('W') as (number | number[])[];
  const wOf = (cid: number) => {
    for (let i = 0; i < widths.length; i += 2) {
      const start = widths[i] as number, run = widths[i + 1] as number[];
      if (cid >= start && cid < start + run.length) return run[cid - start];
    }
    return undefined;
  };
  assert.ok(sub.numGlyphs < 60, `subset is small (${sub.numGlyphs} glyphs)`);
  for (const [cid, hex] of pairs) {
    const cps = hex.match(/.{4}/g)!.map((h) => parseInt(h, 16));
    const og = orig.layout(String.fromCodePoint(...cps)).glyphs[0]!;
    const sg = sub.getGlyph(cid);
    assert.equal(sg.path.toSVG(), og.path.toSVG(), `outline of CID ${cid} (${String.fromCodePoint(...cps)})`);
    assert.equal(wOf(cid), Math.round((og.advanceWidth * 1000) / orig.unitsPerEm));
  }
});

test('QR code: every module rendered where QRCode.create put it, with a white quiet zone', async () => {
  const QRCode = (await import('qrcode')).default;
  const url = 'https://verify.example.com/doc/8f14e45f';
  const rect: Box = [40, 20, 200, 180];
  const dpi = 288;
  const { raster, ap } = render({ page: 0, rect, useText: false, qrcode: url }, undefined, { dpi });
  const m = QRCode.create(url, { errorCorrectionLevel: 'M' }).modules;
  // QR alone: a square of the box's inner height, at the right. Find it from the layout rule.
  const w = rect[2] - rect[0], h = rect[3] - rect[1];
  const pad = Math.min(4, Math.max(0.5, Math.min(w, h) * 0.04));
  const side = Math.min(h - 2 * pad, w - 2 * pad);
  const qx = rect[0] + w - pad - side, qy = rect[1] + pad + (h - 2 * pad - side) / 2;
  const unit = side / (m.size + 8);
  const k = dpi / 72;
  let mismatches = 0;
  for (let r = -4; r < m.size + 4; r++)
    for (let c = -4; c < m.size + 4; c++) {
      const cx = (qx + (c + 4.5) * unit) * k;
      const cy = (PAGE_H - (qy + side - (r + 4.5) * unit)) * k;
      const want = r >= 0 && c >= 0 && r < m.size && c < m.size && m.get(r, c) === 1;
      if (dark(pixel(raster, Math.floor(cx), Math.floor(cy))) !== want) mismatches++;
    }
  assert.equal(mismatches, 0, `${mismatches} modules differ from QRCode.create (${m.size}×${m.size}, page ${ap.page})`);
});

test('as a signature widget /AP /N (how the engine uses it) it renders inside the widget rectangle', () => {
  const rect: Box = [30, 30, 270, 110];
  const r = render({ page: 0, rect, text: ['Signed by %(CN)s', '%(DATE)s'], horizontal: true }, solidPng(20, 20, [0, 0, 200]), { asWidget: true });
  assert.equal(r.raster.stderr, '');
  assert.equal(differingOutside(r.raster, r.baseRaster, rect, 72), 0);
  let ink = 0, blue = 0;
  for (const [x, y] of pixelsIn(r.raster, rect, 72, 1)) {
    const p = pixel(r.raster, x, y);
    if (dark(p)) ink++;
    if (near(p, [0, 0, 200])) blue++;
  }
  assert.ok(ink > 100 && blue > 100, `ink ${ink}, image ${blue}`);
  assert.ok(qpdfCheck(r.built.bytes).ok);
});

test('long text auto-fits: smaller font, wrapped, every glyph inside the box', () => {
  const rect: Box = [60, 70, 200, 120];
  const long = ['Digitally signed by %(CN)s', 'Subject: %(SUBJECT)s', 'E-mail: %(EMAIL)s', 'Location: %(L)s', 'Date: %(DATE)s'];
  const r = render({ page: 0, rect, text: long }, undefined);
  const short = createAppearance({ page: 0, rect, text: ['%(CN)s'] }, { font: FONT }, VALUES);
  const sizeOf = (alloc: TestAllocator, ref: PdfRef) => Number(/\/F1 ([\d.]+) Tf/.exec(formOf(alloc, ref).ops)![1]);
  const s = buildOnePagePdf({ appearance: short });
  const longSize = sizeOf(r.built.alloc, r.built.formRef!);
  assert.ok(longSize < sizeOf(s.alloc, s.formRef!), `${longSize} < short text size`);
  assert.ok(longSize >= 3);
  assert.equal(differingOutside(r.raster, r.baseRaster, rect, 72), 0, 'text overflowed the box');
  assert.ok(pdftotext(r.built.bytes).includes('lukasz@example.com'));
});

test('deterministic: the same inputs give byte-identical objects, whatever was drawn before', () => {
  const spec: AppearanceSpec = { page: 0, rect: '20,60,280,140', text: ['%(CN)s', 'E-mail: %(EMAIL)s', '%(DATE)s'], horizontal: true, qrcode: 'https://x.example/1' };
  const png = solidPng(10, 10, [1, 2, 3], true);
  const a = buildOnePagePdf({ appearance: createAppearance(spec, { font: FONT, image: png }, VALUES) });
  // Accented and Greek/Cyrillic letters are compound glyphs whose components (o, c, E, p…) the
  // subsetter fetches by id; that must not change how a later appearance maps those letters.
  buildOnePagePdf({ appearance: createAppearance({ page: 0, rect: [0, 0, 100, 50], text: ['Żółć ĆÓ Ελένη Дмитрий рЕ'] }, { font: FONT }, VALUES) });
  const b = buildOnePagePdf({ appearance: createAppearance(spec, { font: FONT, image: png }, { ...VALUES }) });
  assert.deepEqual(a.bytes, b.bytes);
  assert.ok(pdftotext(b.bytes).includes('lukasz@example.com'), pdftotext(b.bytes));
  const c = buildOnePagePdf({ appearance: createAppearance({ ...spec, text: ['%(CN)s!'] }, { font: FONT, image: png }, VALUES) });
  assert.notDeepEqual(a.bytes, c.bytes);
});

test('on a page with /Rotate 90 or 270 the signature still reads upright (image left of text)', () => {
  const png = solidPng(20, 20, [220, 0, 0]);
  const ap = (rect: Box) => createAppearance({ page: 0, rect, text: ['%(CN)s'], horizontal: true }, { font: FONT, image: png }, VALUES);
  // 80 × 160 in user space: a 160 × 80 box for the reader of a page shown sideways.
  const rect: Box = [100, 20, 180, 180];
  const bounds = (r: Raster, want: (p: [number, number, number]) => boolean) => {
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) if (want(pixel(r, x, y))) {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
    return { minX, maxX, minY, maxY };
  };
  for (const rotate of [90, 270]) {
    const { bytes } = buildOnePagePdf({ appearance: ap(rect), baseContent: ' ', rotate, asWidget: true });
    assert.ok(qpdfCheck(bytes).ok);
    const r = renderPage(bytes);
    assert.deepEqual([r.width, r.height], [200, 300], 'page shown sideways');
    const red = bounds(r, (p) => near(p, [220, 0, 0]));
    const ink = bounds(r, (p) => dark(p) && !near(p, [220, 0, 0], 60));
    assert.ok(red.maxX < ink.minX, `rotate ${rotate}: image ${JSON.stringify(red)} left of text ${JSON.stringify(ink)}`);
    assert.ok(ink.maxX - ink.minX > ink.maxY - ink.minY, `rotate ${rotate}: text lines run horizontally for the reader`);
  }
});
