/**
 * VideoID media checks (domain/videoid-media.ts) on real encoder output: JPEG/PNG from netpbm,
 * WebM/MP4 from Chromium's MediaRecorder (fake camera). Well-formed files pass; truncations at
 * every depth, flipped bytes in headers and CRCs, and other types are caught.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryByteSource } from '../../../src/lib/pdf/byte-source.js';
import { mediaProblem, sniffImage, sniffVideo, type MediaType } from '../../../src/optimizer/domain/videoid-media.js';
import { buildPdf } from '../../support/pdf-build.js';
import { fakeCameraVideos, jpeg, png } from '../../support/videoid-fixtures.js';

let webm: Buffer;
let mp4: Buffer;
before(async () => {
  ({ webm, mp4 } = await fakeCameraVideos());
});

const problem = (b: Uint8Array, t: MediaType) => mediaProblem(new MemoryByteSource(b), t);

test('images: netpbm JPEG and PNG are recognised and well-formed', async () => {
  const j = jpeg(640, 480);
  const p = png(200, 120);
  assert.deepEqual(sniffImage(j), { mime: 'image/jpeg', ext: 'jpg' });
  assert.deepEqual(sniffImage(p), { mime: 'image/png', ext: 'png' });
  assert.equal(await problem(j, sniffImage(j)!), null);
  assert.equal(await problem(p, sniffImage(p)!), null);
  // Video, PDF, GIF and text are not images.
  for (const other of [webm, mp4, buildPdf(), Buffer.from('GIF89a\x01\x00\x01\x00'), Buffer.from('hello')]) assert.equal(sniffImage(other), null);
});

test('images: truncation and damage are caught', async () => {
  const j = jpeg(320, 240, 3);
  const p = png(160, 100, 5);
  const jt = sniffImage(j)!;
  const pt = sniffImage(p)!;
  // JPEG cut anywhere (header, tables, scan) has no EOI.
  for (const cut of [4, 20, Math.floor(j.length / 2), j.length - 1]) assert.notEqual(await problem(j.subarray(0, cut), jt), null, `jpeg cut at ${cut}`);
  // PNG cut anywhere, or one byte flipped inside any chunk (CRC-32), fails.
  for (const cut of [12, 40, Math.floor(p.length / 2), p.length - 4]) assert.notEqual(await problem(p.subarray(0, cut), pt), null, `png cut at ${cut}`);
  for (const at of [16, 40, Math.floor(p.length / 2)]) {
    const bad = Buffer.from(p);
    bad[at] = bad[at]! ^ 0x55;
    assert.match((await problem(bad, pt))!, /CRC|IHDR|past the end|zero/, `png byte ${at}`);
  }
  // A JPEG whose frame header was removed (SOF0 marker renamed to an APP marker) has no frame.
  const sof = j.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0);
  const noFrame = Buffer.from(j);
  noFrame[sof + 1] = 0xe5;
  assert.match((await problem(noFrame, jt))!, /frame/);
});

test('video: Chromium WebM and MP4 recordings are recognised and well-formed', async () => {
  assert.deepEqual(sniffVideo(webm), { mime: 'video/webm', ext: 'webm' });
  assert.deepEqual(sniffVideo(mp4), { mime: 'video/mp4', ext: 'mp4' });
  assert.equal(await problem(webm, sniffVideo(webm)!), null);
  assert.equal(await problem(mp4, sniffVideo(mp4)!), null);
  for (const other of [jpeg(), png(), buildPdf(), Buffer.from('RIFF\0\0\0\0AVI LIST')]) assert.equal(sniffVideo(other), null);
});

test('video: truncated or damaged recordings are caught', async () => {
  const wt = sniffVideo(webm)!;
  const mt = sniffVideo(mp4)!;
  // Cut inside the EBML header, the Tracks, and in the middle of a block.
  for (const cut of [10, 60, 300, Math.floor(webm.length * 0.6), webm.length - 3]) {
    assert.notEqual(await problem(webm.subarray(0, cut), wt), null, `webm cut at ${cut}`);
  }
  for (const cut of [10, 40, Math.floor(mp4.length * 0.6), mp4.length - 3]) {
    assert.notEqual(await problem(mp4.subarray(0, cut), mt), null, `mp4 cut at ${cut}`);
  }
  // WebM with its DocType changed, and an MP4 whose moov box was renamed.
  const docType = webm.indexOf(Buffer.from('webm'));
  const renamed = Buffer.from(webm);
  renamed.write('xxxx', docType, 'latin1');
  assert.match((await problem(renamed, wt))!, /document type/);
  const moov = mp4.indexOf(Buffer.from('moov'));
  assert.ok(moov > 0);
  const noMoov = Buffer.from(mp4);
  noMoov.write('free', moov, 'latin1');
  assert.match((await problem(noMoov, mt))!, /moov/);
  // A box size that overruns the file.
  const big = Buffer.from(mp4);
  big.writeUInt32BE(mp4.length + 100, 0);
  assert.match((await problem(big, mt))!, /past the end/);
});

test('video: an EBML header whose DocType element is huge is a corrupt file, not a crash', async () => {
  // 1 MB DocType inside a 1 MB EBML header: recognised as WebM, unusable. Spreading it into a
  // string overflowed the stack (a 500 instead of the documented 422 → VIDEOERROR).
  const n = 1_000_000;
  const vint4 = (x: number) => Buffer.from([0x10 | (x >>> 24), (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff]);
  const docType = Buffer.concat([Buffer.from([0x42, 0x82]), vint4(n), Buffer.alloc(n, 0x61)]);
  const file = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), vint4(docType.length), docType]);
  const t = sniffVideo(file);
  assert.deepEqual(t, { mime: 'video/webm', ext: 'webm' });
  assert.match((await problem(file, t!))!, /DocType/);
});
