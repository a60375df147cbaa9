/**
 * The real appearance through the real engine (prepare → openssl CMS → finish): the signed
 * file passes every signature oracle (pdfsig, openssl cms -verify, qpdf --check, byte prefix),
 * and the page shows the signature: text, image and QR inside the widget rectangle, nothing
 * outside it changed, the subset font embedded and the signer's name extractable. A second
 * visible signature keeps the first one valid and drawn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createAppearance } from '../../../src/lib/pades/appearance/index.js';
import { buildPdf } from '../../support/pdf-build.js';
import { assertSignedOk, signWithOpenssl } from '../../support/pdf-sign-flow.js';
import { pdffonts, pdftotext, pixel, renderPage, tempDir, type Raster } from '../../support/appearance-tools.js';
import { encode, toPam } from '../../support/appearance-png.js';

const require = createRequire(import.meta.url);
const FONT = new Uint8Array(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')));
const PAGE: [number, number] = [600, 800];
type Box = [number, number, number, number];

function greenPng(): Uint8Array {
  const samples: number[] = [];
  for (let i = 0; i < 30 * 15; i++) samples.push(0, 150, 0, 255);
  return encode('pamtopng', toPam({ width: 30, height: 15, depth: 4, maxval: 255, samples }));
}

/** Renders page `page` (0-based) of the file at 72 dpi. */
const render = (bytes: Uint8Array, page: number): Raster & { stderr: string } => renderPage(bytes, 72, ['-f', String(page + 1), '-l', String(page + 1)]);

function inkAndGreen(r: Raster, box: Box): { ink: number; green: number } {
  let ink = 0, green = 0;
  for (let y = Math.ceil(PAGE[1] - box[3]) + 1; y < Math.floor(PAGE[1] - box[1]) - 1; y++)
    for (let x = Math.ceil(box[0]) + 1; x < Math.floor(box[2]) - 1; x++) {
      const p = pixel(r, x, y);
      if (p[0] + p[1] + p[2] < 384) ink++;
      if (p[0] < 40 && p[1] > 120 && p[1] < 180 && p[2] < 40) green++;
    }
  return { ink, green };
}

function changedOutside(a: Raster, b: Raster, boxes: Box[]): number {
  let n = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      const inside = boxes.some((bx) => x >= bx[0] - 1 && x < bx[2] + 1 && y >= PAGE[1] - bx[3] - 1 && y < PAGE[1] - bx[1] + 1);
      if (inside) continue;
      const p = pixel(a, x, y), q = pixel(b, x, y);
      if (p[0] !== q[0] || p[1] !== q[1] || p[2] !== q[2]) n++;
    }
  return n;
}

for (const xref of ['table', 'stream'] as const) {
  test(`signed with a visible appearance (xref ${xref}): valid signatures, drawn inside the widget only`, async () => {
    const t = tempDir();
    try {
      const src = join(t.dir, 'in.pdf');
      writeFileSync(src, buildPdf({ pages: 2, xref, mediaBox: [0, 0, ...PAGE], annotations: 'indirect' }));
      const values = { CN: 'Łukasz Żółć', EMAIL: 'lukasz@example.com', L: 'Kraków', date: new Date('2024-07-15T10:00:00Z') };
      const rect1: Box = [60, 80, 330, 160];
      const ap1 = createAppearance(
        { page: 1, rect: rect1.join(','), text: ['Signed by %(CN)s', '%(EMAIL)s', '%(DATE)s'], timezone: 'Europe/Madrid', horizontal: true, qrcode: 'https://verify.example/1' },
        { font: FONT, image: greenPng() },
        values,
      );
      const once = join(t.dir, 'once.pdf');
      await signWithOpenssl(src, once, { appearance: ap1, signingTime: values.date }, t.dir);
      await assertSignedOk(src, once, `visible ${xref}`, t.dir, 1);

      const before = render(readFileSync(src), 1);
      const after = render(readFileSync(once), 1);
      assert.equal(after.stderr, '', 'poppler rendered without errors');
      assert.equal(changedOutside(before, after, [rect1]), 0, 'nothing outside the widget changed');
      const d1 = inkAndGreen(after, rect1);
      assert.ok(d1.ink > 400 && d1.green > 300, `text/QR ink ${d1.ink}, image ${d1.green}`);
      // Page 1 (index 0) is untouched.
      assert.equal(changedOutside(render(readFileSync(src), 0), render(readFileSync(once), 0), []), 0);

      const fonts = pdffonts(readFileSync(once));
      assert.match(fonts, /[A-Z]{6}\+DejaVuSans\s+CID TrueType\s+Identity-H\s+yes yes yes/, fonts);
      // Wrapping may put the name over two lines: compare with whitespace collapsed.
      const flat = (b: Uint8Array) => pdftotext(b).replace(/\s+/g, ' ');
      assert.ok(flat(readFileSync(once)).includes('Signed by Łukasz Żółć'), flat(readFileSync(once)));

      // A second visible signature on the same page (Greek name, text only, above the image).
      const rect2: Box = [340, 80, 560, 160];
      const ap2 = createAppearance({ page: 1, rect: rect2, text: ['%(CN)s', '%(DATE)s'] }, { font: FONT }, { CN: 'Ελένη Παπαδοπούλου', date: values.date });
      const twice = join(t.dir, 'twice.pdf');
      await signWithOpenssl(once, twice, { appearance: ap2, signingTime: values.date }, t.dir);
      await assertSignedOk(once, twice, `second visible ${xref}`, t.dir, 2);
      const after2 = render(readFileSync(twice), 1);
      assert.equal(changedOutside(after, after2, [rect2]), 0, 'the second signature changed nothing outside its widget');
      assert.ok(inkAndGreen(after2, rect2).ink > 100);
      assert.deepEqual(inkAndGreen(after2, rect1), d1, 'the first appearance is still drawn the same');
      const text = flat(readFileSync(twice));
      assert.ok(text.includes('Ελένη Παπαδοπούλου') && text.includes('Łukasz Żółć'), text);
    } finally {
      t.cleanup();
    }
  });
}

test('a visible signature on a rotated page gets the page /Rotate so it is drawn upright', async () => {
  const t = tempDir();
  try {
    const plain = join(t.dir, 'plain.pdf');
    const src = join(t.dir, 'rotated.pdf');
    writeFileSync(plain, buildPdf({ pages: 1, xref: 'table', mediaBox: [0, 0, ...PAGE] }));
    execFileSync('qpdf', [plain, '--rotate=+90:1', src]);
    const real = createAppearance({ page: 0, rect: '60,80,330,160', text: ['Signed by %(CN)s'] }, { font: FONT }, { CN: 'Ana', date: new Date('2024-01-01T00:00:00Z') });
    const seen: Array<number | undefined> = [];
    const spy = { ...real, build: (alloc: Parameters<typeof real.build>[0], box: Parameters<typeof real.build>[1], o?: { pageRotate?: number }) => {
      seen.push(o?.pageRotate);
      return real.build(alloc, box, o);
    } };
    const out = join(t.dir, 'signed.pdf');
    await signWithOpenssl(src, out, { appearance: spy }, t.dir);
    await assertSignedOk(src, out, 'rotated page', t.dir, 1);
    assert.deepEqual(seen, [90]);
  } finally {
    t.cleanup();
  }
});
