/**
 * The PNG decoder against libpng-written files (netpbm's pnmtopng / pamtopng): every colour
 * type, bit depth, filter and Adam7, compared sample by sample with the source image; and
 * malformed inputs refused with PDF_ERR_BAD_IMAGE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { decodePng } from '../../../../src/lib/pades/appearance/index.js';
import { AppError } from '../../../../src/shared/errors.js';
import { encode, hasChunk, ihdr, makeImage, toPam, toPnm, type PamImage } from '../../../support/appearance-png.js';

const to8 = (v: number, maxval: number) => (maxval === 65535 ? v >> 8 : maxval === 255 ? v : Math.round((v * 255) / maxval));

/** Asserts the decoded image equals `src` (colour part and alpha), after 8-bit scaling. */
function assertSame(png: Uint8Array, src: PamImage, expectAlpha?: (i: number) => number): void {
  const d = decodePng(png);
  assert.equal(d.width, src.width);
  assert.equal(d.height, src.height);
  const colorDepth = src.depth >= 3 ? 3 : 1;
  assert.equal(d.colors, colorDepth);
  const n = src.width * src.height;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < colorDepth; c++) {
      const want = to8(src.samples[i * src.depth + c]!, src.maxval);
      if (d.pixels[i * colorDepth + c] !== want) assert.fail(`pixel ${i} channel ${c}: got ${d.pixels[i * colorDepth + c]}, want ${want}`);
    }
    const a = src.depth === 2 || src.depth === 4 ? to8(src.samples[i * src.depth + src.depth - 1]!, src.maxval) : expectAlpha ? expectAlpha(i) : 255;
    const got = d.alpha ? d.alpha[i]! : 255;
    if (got !== a) assert.fail(`alpha ${i}: got ${got}, want ${a}`);
  }
}

test('truecolour RGB 8 and 16 bit, plain and Adam7-interlaced, odd sizes', () => {
  for (const [w, h] of [[1, 1], [13, 7], [64, 33]] as const) {
    for (const maxval of [255, 65535]) {
      const src = makeImage(w, h, 3, maxval, 0, w * 31 + h);
      for (const args of [['-force'], ['-force', '-interlace']]) {
        const png = encode('pnmtopng', toPnm(src), args);
        const hd = ihdr(png);
        assert.equal(hd.colorType, 2);
        assert.equal(hd.depth, maxval === 255 ? 8 : 16);
        assert.equal(hd.interlace, args.includes('-interlace') ? 1 : 0);
        assertSame(png, src);
      }
    }
  }
});

test('each scanline filter type (none, sub, up, average, paeth) decodes exactly', () => {
  const src = makeImage(37, 19, 3, 255, 0, 7);
  for (const f of ['-nofilter', '-sub', '-up', '-avg', '-paeth']) {
    for (const il of [[], ['-interlace']]) assertSame(encode('pnmtopng', toPnm(src), ['-force', f, ...il]), src);
  }
});

test('grayscale at bit depths 1, 2, 4, 8 and 16', () => {
  for (const [maxval, depth] of [[1, 1], [3, 2], [15, 4], [255, 8], [65535, 16]] as const) {
    const src = makeImage(23, 11, 1, maxval, 0, maxval);
    for (const il of [[], ['-interlace']]) {
      const png = encode('pnmtopng', toPnm(src), ['-force', ...il]);
      assert.deepEqual([ihdr(png).colorType, ihdr(png).depth], [0, depth]);
      assertSame(png, src);
    }
  }
});

test('palette images at 1, 2, 4 and 8 bits per index', () => {
  for (const [colors, bits] of [[2, 1], [4, 2], [16, 4], [200, 8]] as const) {
    const src = makeImage(29, 17, 3, 255, colors, colors + 3);
    for (const il of [[], ['-interlace']]) {
      const png = encode('pnmtopng', toPnm(src), il);
      assert.equal(ihdr(png).colorType, 3, `palette expected for ${colors} colours`);
      assert.equal(ihdr(png).depth, bits);
      assertSame(png, src);
    }
  }
});

test('gray+alpha and RGBA at 8 and 16 bits become colour + alpha', () => {
  for (const depth of [2, 4] as const) {
    for (const maxval of [255, 65535]) {
      const src = makeImage(31, 9, depth, maxval, 0, depth * 100 + (maxval & 7));
      for (const il of [[], ['-interlace']]) {
        const png = encode('pamtopng', toPam(src), il);
        assert.equal(ihdr(png).colorType, depth === 2 ? 4 : 6);
        assertSame(png, src);
      }
    }
  }
});

test('tRNS: a transparent colour in truecolour, gray and palette images gives alpha 0 there', () => {
  const cases: { src: PamImage; args: string[]; colorType: number }[] = [
    { src: makeImage(20, 10, 3, 255, 6, 11), args: ['-force'], colorType: 2 },
    { src: makeImage(20, 10, 3, 255, 6, 12), args: [], colorType: 3 },
    { src: makeImage(20, 10, 1, 255, 5, 13), args: ['-force'], colorType: 0 },
  ];
  for (const { src, args, colorType } of cases) {
    const first = src.samples.slice(0, src.depth);
    const spec = src.depth === 3 ? `rgb:${first.map((v) => v.toString(16).padStart(2, '0')).join('/')}` : `rgb:${[0, 0, 0].map(() => first[0]!.toString(16).padStart(2, '0')).join('/')}`;
    const png = encode('pnmtopng', toPnm(src), [...args, `-transparent=${spec}`]);
    assert.equal(ihdr(png).colorType, colorType);
    assert.ok(hasChunk(png, 'tRNS'));
    const isKey = (i: number) => first.every((v, c) => src.samples[i * src.depth + c] === v);
    assertSame(png, src, (i) => (isKey(i) ? 0 : 255));
  }
});

function expectBadImage(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodePng(bytes), (e: unknown) => e instanceof AppError && e.code === 'PDF_ERR_BAD_IMAGE' && pattern.test(e.message));
}

/** Builds a PNG by hand with a forged IHDR (no encoder writes these). */
function forgedPng(width: number, height: number, depth: number, colorType: number, idat: Uint8Array, interlace = 0): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = depth;
  h[9] = colorType;
  h[12] = interlace;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', h), chunk('IDAT', idat), chunk('IEND', new Uint8Array())]);
}

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('malformed PNGs are refused with PDF_ERR_BAD_IMAGE, never a crash', () => {
  const good = encode('pnmtopng', toPnm(makeImage(8, 8, 3, 255, 0, 5)), ['-force']);
  expectBadImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]), /signature/);
  expectBadImage(good.subarray(0, good.length - 20), /truncated|IEND|not enough/);
  const flipped = Uint8Array.from(good);
  flipped[40] ^= 0xff;
  expectBadImage(flipped, /CRC|corrupt/);
  expectBadImage(forgedPng(0, 5, 8, 2, deflateSync(Buffer.alloc(10))), /zero/);
  expectBadImage(forgedPng(4, 4, 3, 2, deflateSync(Buffer.alloc(10))), /bit depth/);
  expectBadImage(forgedPng(4, 4, 8, 3, deflateSync(Buffer.alloc(20))), /PLTE/);
  expectBadImage(forgedPng(4, 4, 8, 2, deflateSync(Buffer.alloc(20))), /not enough/);
  // Unknown filter type 9 on the first row.
  expectBadImage(forgedPng(2, 1, 8, 0, deflateSync(Buffer.from([9, 1, 2]))), /filter type/);
  expectBadImage(forgedPng(2, 1, 8, 0, Buffer.from('not zlib')), /corrupt/);
});

test('size limits: huge dimensions and decompression bombs are refused before allocating', () => {
  expectBadImage(forgedPng(100000, 100000, 8, 6, deflateSync(Buffer.alloc(1))), /too large/);
  // 1000×1000 gray declared, but the stream inflates to 64 MB: stopped at the expected size.
  const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024));
  assert.ok(bomb.length < 100_000);
  expectBadImage(forgedPng(1000, 1000, 8, 0, bomb), /oversized|corrupt/);
});
