import { test } from 'node:test';
import assert from 'node:assert/strict';
import QRCode from 'qrcode';
import { qrMatrix, qrOperators, QR_QUIET_ZONE } from '../../../../src/lib/pades/appearance/index.js';

test('the matrix is QRCode.create()\'s, level M', () => {
  const url = 'https://oneshot.example/verify?doc=1234567890';
  const m = qrMatrix(url);
  const ref = QRCode.create(url, { errorCorrectionLevel: 'M' });
  assert.equal(m.size, ref.modules.size);
  assert.equal(m.version, ref.version);
  for (let r = 0; r < m.size; r++) for (let c = 0; c < m.size; c++) assert.equal(m.isDark(r, c), ref.modules.get(r, c) === 1);
});

test('operators: a white square with the quiet zone, then one rectangle per horizontal dark run', () => {
  const m = qrMatrix('hello');
  const side = (m.size + 2 * QR_QUIET_ZONE) * 2; // 2 points per module
  const ops = qrOperators(m, 10, 20, side);
  const rects = [...ops.matchAll(/^([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re$/gm)].map((x) => x.slice(1).map(Number));
  let runs = 0;
  let dark = 0;
  for (let r = 0; r < m.size; r++)
    for (let c = 0; c < m.size; c++) {
      if (m.isDark(r, c)) dark++;
      if (m.isDark(r, c) && (c === 0 || !m.isDark(r, c - 1))) runs++;
    }
  assert.equal(rects.length, runs);
  assert.equal(rects.reduce((s, [, , w]) => s + w! / 2, 0), dark, 'total dark area = dark modules');
  assert.match(ops, new RegExp(`^1 g\\n10 20 ${side} ${side} re f\\n0 g$`, 'm'));
  // All modules inside the quiet zone: 8 to side-8 points from the corner.
  for (const [x, y, w, h] of rects) {
    assert.ok(x! >= 10 + 8 && x! + w! <= 10 + side - 8 + 1e-9);
    assert.ok(y! >= 20 + 8 && y! + h! <= 20 + side - 8 + 1e-9);
  }
  // Top-left finder pattern: row 0, columns 0..6 dark → a 7-module run at the top-left.
  assert.ok(rects.some(([x, y, w]) => x === 18 && y === 20 + side - 8 - 2 && w === 14));
});
