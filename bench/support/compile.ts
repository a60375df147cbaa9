/**
 * Compiles benchmark workers to plain JavaScript (tsc, into bench/out/, git-ignored) so the
 * measured processes run without the tsx loader, whose own memory would hide ours; production
 * runs compiled code too. BENCH_TSX=1 runs the .ts workers through tsx instead.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'bench', 'out', 'js');

/** Compiles the given .ts entry files (and what they import); returns a map .ts path → .js path. */
export function compileWorkers(entries: string[]): Map<string, string> {
  const map = new Map<string, string>();
  if (process.env.BENCH_TSX === '1') {
    for (const e of entries) map.set(e, e);
    return map;
  }
  rmSync(OUT, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, [
    ...entries,
    '--outDir', OUT, '--rootDir', ROOT,
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
    '--experimentalDecorators', '--esModuleInterop', '--skipLibCheck', '--resolveJsonModule',
    '--types', 'node', '--noCheck',
  ], { cwd: ROOT, stdio: 'inherit' });
  for (const e of entries) map.set(e, join(OUT, relative(ROOT, e)).replace(/\.ts$/, '.js'));
  return map;
}
