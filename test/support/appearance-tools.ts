/**
 * External oracles for the appearance tests: poppler (pdftoppm, pdffonts, pdftotext), qpdf and
 * netpbm (an independent PNG encoder/decoder). A missing tool FAILS the test (never skips):
 * scripts/setup-test-env.sh installs them all.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function requireTool(name: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) throw new Error(`required test tool "${name}" is not installed (run scripts/setup-test-env.sh)`);
  return path;
}

export function run(tool: string, args: string[], input?: Uint8Array): { stdout: Buffer; stderr: string; status: number } {
  const r = spawnSync(requireTool(tool), args, { input, maxBuffer: 256 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr.toString('utf8'), status: r.status ?? -1 };
}

/** A fresh temp dir for one test; call cleanup() in a finally/after. */
export function tempDir(prefix = 'oneshot-appearance-'): { dir: string; file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Raster { width: number; height: number; channels: 1 | 3; maxval: number; data: Uint8Array | Uint16Array }

/** Parses binary PNM/PAM (P5, P6, P7) as written by pdftoppm and netpbm. */
export function parsePnm(bytes: Uint8Array): Raster & { depth: number } {
  const text = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 512))).toString('latin1');
  let depth: number, width: number, height: number, maxval: number, headerLen: number;
  if (text.startsWith('P7')) {
    const end = text.indexOf('ENDHDR\n');
    const h = text.slice(0, end);
    const get = (k: string) => Number(new RegExp(`${k} (\\d+)`).exec(h)![1]);
    width = get('WIDTH'); height = get('HEIGHT'); depth = get('DEPTH'); maxval = get('MAXVAL');
    headerLen = end + 7;
  } else {
    const m = /^(P[56])\s+(?:#.*\s+)*(\d+)\s+(\d+)\s+(\d+)\s/.exec(text);
    if (!m) throw new Error('not a binary PNM');
    depth = m[1] === 'P5' ? 1 : 3;
    width = Number(m[2]); height = Number(m[3]); maxval = Number(m[4]);
    headerLen = m[0].length;
  }
  const n = width * height * depth;
  const body = bytes.subarray(headerLen);
  let data: Uint8Array | Uint16Array;
  if (maxval > 255) {
    data = new Uint16Array(n);
    for (let i = 0; i < n; i++) data[i] = (body[2 * i]! << 8) | body[2 * i + 1]!;
  } else data = body.slice(0, n);
  return { width, height, channels: depth >= 3 ? 3 : 1, maxval, data, depth };
}

/** Renders page 1 of `pdf` at `dpi` with pdftoppm (PPM output, no anti-aliasing surprises from PNG). */
export function renderPage(pdf: Uint8Array, dpi = 72, extra: string[] = []): Raster & { stderr: string } {
  const t = tempDir();
  try {
    writeFileSync(t.file('in.pdf'), pdf);
    const r = run('pdftoppm', ['-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', ...extra, t.file('in.pdf'), t.file('out')]);
    if (r.status !== 0) throw new Error(`pdftoppm failed: ${r.stderr}`);
    const img = parsePnm(readFileSync(t.file('out.ppm')));
    return { ...img, stderr: r.stderr };
  } finally {
    t.cleanup();
  }
}

export function withPdfFile<T>(pdf: Uint8Array, fn: (path: string) => T): T {
  const t = tempDir();
  try {
    writeFileSync(t.file('doc.pdf'), pdf);
    return fn(t.file('doc.pdf'));
  } finally {
    t.cleanup();
  }
}

export function qpdfCheck(pdf: Uint8Array): { ok: boolean; output: string } {
  return withPdfFile(pdf, (p) => {
    const r = run('qpdf', ['--check', p]);
    // qpdf exits 0 when clean, 3 on warnings, 2 on errors.
    return { ok: r.status === 0, output: r.stdout.toString('utf8') + r.stderr };
  });
}

export function pdffonts(pdf: Uint8Array): string {
  return withPdfFile(pdf, (p) => execFileSync(requireTool('pdffonts'), [p], { encoding: 'utf8' }));
}

export function pdftotext(pdf: Uint8Array): string {
  return withPdfFile(pdf, (p) => execFileSync(requireTool('pdftotext'), ['-enc', 'UTF-8', p, '-'], { encoding: 'utf8' }));
}

/** RGB of pixel (x, y) of an 8-bit raster. */
export function pixel(r: Raster, x: number, y: number): [number, number, number] {
  const i = (y * r.width + x) * r.channels;
  return r.channels === 3 ? [r.data[i]!, r.data[i + 1]!, r.data[i + 2]!] : [r.data[i]!, r.data[i]!, r.data[i]!];
}
