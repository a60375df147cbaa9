/**
 * Measuring helpers for benchmarks: every measured thing runs in its own child process.
 * External commands are timed with GNU time (/usr/bin/time: wall seconds + max RSS); node
 * workers report their own operation time and `process.resourceUsage().maxRSS`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface Measurement {
  /** Wall time of the measured operation, milliseconds. */
  ms: number;
  /** Peak resident set size, kilobytes. */
  maxRssKb: number;
  /** Extra fields a worker reports (phase times…). */
  extra?: Record<string, number>;
}

const GNU_TIME = '/usr/bin/time';

/** Runs an external command under GNU time. */
export function timeCommand(cmd: string, args: string[]): Measurement {
  const dir = mkdtempSync(join(tmpdir(), 'oneshot-bench-time-'));
  try {
    const out = join(dir, 'time.txt');
    // GNU time gives the peak RSS; wall time is taken here (its %e has 10 ms resolution).
    const t0 = performance.now();
    const r = spawnSync(GNU_TIME, ['-f', '%M', '-o', out, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString()}`);
    return { ms, maxRssKb: Number(readFileSync(out, 'utf8').trim()) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Runs a worker in a fresh node process (compiled .js directly, .ts through tsx); the worker
 * prints one JSON line {ms, maxRssKb, extra?} as its last stdout line.
 */
export function runWorker(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Measurement {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const r = spawnSync(process.execPath, [...loader, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`worker ${script} failed (${r.status}): ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as Measurement;
}

/** For workers: report a measurement as the last stdout line. */
export function report(ms: number, extra?: Record<string, number>): void {
  process.stdout.write(`${JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, extra })}\n`);
}

/** Median by time of `n` runs (each run in its own process); `between` runs untimed in-between. */
export function median(n: number, fn: () => Measurement, between?: () => void): Measurement {
  const runs: Measurement[] = [];
  for (let i = 0; i < n; i++) {
    runs.push(fn());
    between?.();
  }
  runs.sort((a, b) => a.ms - b.ms);
  const m = runs[Math.floor(runs.length / 2)]!;
  return { ...m, maxRssKb: Math.max(...runs.map((r) => r.maxRssKb)) };
}

/** Free bytes on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const out = execFileSync('df', ['-Pk', dir], { encoding: 'utf8' }).trim().split('\n').pop()!;
  return Number(out.split(/\s+/)[3]) * 1024;
}

/** Flushes dirty pages so one run's write-back does not slow the next (not timed). */
export function syncDisks(): void {
  spawnSync('sync');
}
