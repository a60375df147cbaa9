/**
 * Real media for the VideoID tests: JPEG and PNG encoded by netpbm (pnmtojpeg, pnmtopng — an
 * encoder independent of our checks) from a generated picture, and WebM/MP4 recorded by Chromium's
 * MediaRecorder from its fake camera. Missing tools make the tests fail, not skip.
 */
import { execFileSync } from 'node:child_process';
import { recordFakeCamera } from './chromium.js';

/** A w×h P6 PPM with gradients and a seeded pattern (so each picture has distinct bytes). */
export function ppm(w: number, h: number, seed = 1): Buffer {
  const head = Buffer.from(`P6\n${w} ${h}\n255\n`);
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      px[i] = (x * 255) / w;
      px[i + 1] = (y * 255) / h;
      px[i + 2] = ((x * seed) ^ (y * 7)) & 0xff;
    }
  }
  return Buffer.concat([head, px]);
}

function netpbm(tool: string, input: Buffer): Buffer {
  try {
    return execFileSync(tool, [], { input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`${tool} failed or is missing (Debian package netpbm): ${(e as Error).message}`);
  }
}

export const jpeg = (w = 320, h = 200, seed = 1) => netpbm('pnmtojpeg', ppm(w, h, seed));
export const png = (w = 160, h = 100, seed = 1) => netpbm('pnmtopng', ppm(w, h, seed));

let videos: Promise<{ webm: Buffer; mp4: Buffer }> | null = null;
/** One WebM and one MP4 of ~1.5 s from the fake camera (recorded once per test process). */
export function fakeCameraVideos(): Promise<{ webm: Buffer; mp4: Buffer }> {
  videos ??= recordFakeCamera(['video/webm;codecs=vp8,opus', 'video/mp4'], 1500).then((r) => ({
    webm: r['video/webm;codecs=vp8,opus']!, mp4: r['video/mp4']!,
  }));
  return videos;
}
