import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { computeAreas, fitText, loadFont, type Area } from '../../../../src/lib/pades/appearance/index.js';
import { shapeLine, wrapLine, MIN_FONT_SIZE } from '../../../../src/lib/pades/appearance/layout.js';

const require = createRequire(import.meta.url);
const font = loadFont(new Uint8Array(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'))));
const within = (inner: Area, outer: Area) =>
  inner.x >= outer.x - 1e-9 && inner.y >= outer.y - 1e-9 && inner.x + inner.w <= outer.x + outer.w + 1e-9 && inner.y + inner.h <= outer.y + outer.h + 1e-9;
const overlap = (a: Area, b: Area) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

test('areas: QR square on the chosen side, image left of text when horizontal, all inside the box', () => {
  const box: Area = { x: 0, y: 0, w: 300, h: 80 };
  const a = computeAreas({ width: 300, height: 80, image: { aspect: 2 }, text: true, qr: 'right', imageMode: 'left' });
  for (const k of ['qr', 'image', 'text'] as const) assert.ok(a[k] && within(a[k]!, box), k);
  assert.equal(a.qr!.w, a.qr!.h);
  assert.ok(a.qr!.x > a.text!.x && a.text!.x > a.image!.x);
  assert.ok(!overlap(a.qr!, a.text!) && !overlap(a.image!, a.text!) && !overlap(a.qr!, a.image!));
  assert.ok(Math.abs(a.image!.w / a.image!.h - 2) < 1e-9, 'aspect ratio kept');
  const left = computeAreas({ width: 300, height: 80, text: true, qr: 'left', imageMode: 'behind' });
  assert.ok(left.qr!.x < left.text!.x);
});

test('areas: "above" stacks the image over the text; "behind" shares the area', () => {
  const above = computeAreas({ width: 120, height: 120, image: { aspect: 1 }, text: true, imageMode: 'above' });
  assert.ok(above.image!.y >= above.text!.y + above.text!.h);
  const behind = computeAreas({ width: 120, height: 60, image: { aspect: 4 }, text: true, imageMode: 'behind' });
  assert.ok(overlap(behind.image!, behind.text!));
  assert.ok(Math.abs(behind.image!.w / behind.image!.h - 4) < 1e-9);
});

test('wrap: at spaces, long words broken at glyph boundaries only when needed', () => {
  const line = shapeLine(font, 'aaa bbb ccccccccccccccc');
  const aaa = line.words[0]!.width;
  const lines = wrapLine(line, aaa * 2.5);
  assert.ok(lines.length >= 3);
  assert.ok(lines.every((l) => l.width <= aaa * 2.5 + 1e-9));
  assert.deepEqual(lines.flatMap((l) => l.glyphs).filter((g) => g.codePoints[0] !== 32).length, 3 + 3 + 15);
  assert.equal(wrapLine(shapeLine(font, ''), 100).length, 1, 'an empty line keeps its place');
});

test('auto-fit: largest size that fits, capped; shrinks for more text; fixed size honoured', () => {
  const area: Area = { x: 0, y: 0, w: 150, h: 40 };
  const short = fitText(font, [shapeLine(font, 'Hi')], area);
  assert.equal(short.fontSize, 14, 'capped at the default maximum');
  const many = fitText(font, ['Line one', 'Line two', 'Line three', 'Line four', 'Line five'].map((t) => shapeLine(font, t)), area);
  assert.ok(many.fontSize < 14 && many.fontSize >= MIN_FONT_SIZE);
  assert.equal(many.lines.length, 5);
  const lh = (many.lines[0]!.y - many.lines[1]!.y);
  assert.ok(lh * 5 <= area.h + 1e-6, 'all lines inside the area');
  assert.ok(fitText(font, many.lines.map(() => shapeLine(font, 'x')), area, { fontSize: 7 }).fontSize === 7);
  const big = fitText(font, [shapeLine(font, 'Hi')], area, { maxFontSize: 30 });
  assert.ok(big.fontSize > 14 && big.fontSize <= 30);
});

test('auto-fit keeps an e-mail whole when a smaller size allows it', () => {
  const area: Area = { x: 0, y: 0, w: 60, h: 40 };
  const block = fitText(font, [shapeLine(font, 'E-mail: lukasz@example.com')], area);
  const texts = block.lines.map((l) => l.glyphs.map((g) => String.fromCodePoint(...g.codePoints)).join(''));
  assert.ok(texts.includes('lukasz@example.com'), JSON.stringify(texts));
});

test('text that cannot fit even at the minimum size is cut at a whole line, never drawn outside', () => {
  const area: Area = { x: 0, y: 0, w: 40, h: 10 };
  const block = fitText(font, Array.from({ length: 20 }, (_, i) => shapeLine(font, `line ${i}`)), area);
  assert.equal(block.fontSize, MIN_FONT_SIZE);
  assert.ok(block.lines.length < 20 && block.lines.length > 0);
  const lowest = block.lines[block.lines.length - 1]!.y + (font.descent / font.unitsPerEm) * block.fontSize;
  assert.ok(lowest >= area.y - 1e-6, `last descender at ${lowest}`);
});
