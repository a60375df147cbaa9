/**
 * Issue 3 benchmark: PAdES prepare + hash + finish on generated PDFs of ~1 MB … 1 GB, next to
 * `cp` + `sha256sum` of the same file and @signpdf (placeholder-plain + signpdf) in the same run.
 * Targets: ours ≤ 1.5× (cp + sha256sum) at 1 GB; peak RSS ≤ 128 MB at any size; ≥ 10× faster
 * than @signpdf at 10 MB.
 *
 * Env: BENCH_SIZES=1,10,100,1000 (MB), BENCH_REPEAT=3 (median), BENCH_SIGNPDF_MAX_MB=100,
 * BENCH_COLD=1 (no warm-up run in the node workers: include one-time JIT/module costs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from '../support/bench.js';
import { compileWorkers } from '../support/compile.js';
import { freeBytes, median, runWorker, syncDisks, timeCommand, type Measurement } from '../support/measure.js';
import { fmtMb, fmtMs, fmtRatio, printTable } from '../support/table.js';
import { generatePdf } from './generate.js';

const MB = 1024 * 1024;
const here = import.meta.dirname;

function envList(name: string, dflt: number[]): number[] {
  const v = process.env[name];
  return v ? v.split(',').map((s) => Number(s.trim())).filter((n) => n > 0) : dflt;
}

/** Sanity check of an output: qpdf structure and the signature's own cryptographic validity. */
function checkOutput(path: string): string {
  const q = spawnSync('qpdf', ['--check', path], { encoding: 'utf8' });
  const s = spawnSync('pdfsig', ['-nocert', path], { encoding: 'utf8' });
  const sig = /Signature Validation: (.*)/.exec(s.stdout)?.[1] ?? `pdfsig: ${s.stderr.trim()}`;
  const total = /Total document signed/.test(s.stdout) ? 'whole file signed' : 'NOT whole file';
  const qpdf = q.status === 0 ? 'qpdf --check ok' : q.status === 3 ? 'qpdf --check WARNINGS' : `qpdf --check ERRORS (${q.status})`;
  return `${sig.replace(/\.$/, '')}, ${total}, ${qpdf}`;
}

export const pdfSignBench: Bench = {
  name: 'pdf-sign',
  description: 'PAdES prepare+hash+finish vs cp+sha256sum and @signpdf',
  async run() {
    const sizes = envList('BENCH_SIZES', [1, 10, 100, 1000]);
    const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
    const signpdfMax = Number(process.env.BENCH_SIGNPDF_MAX_MB ?? 100);
    const dir = mkdtempSync(join(tmpdir(), 'oneshot-bench-pdf-'));
    try {
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
      execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-subj', '/CN=OneShot Bench Signer', '-days', '2', '-out', cert]);
      const workers = compileWorkers(['worker-ours.ts', 'worker-signpdf.ts', 'worker-baseline.ts'].map((f) => join(here, f)));
      const w = (name: string) => workers.get(join(here, name))!;
      const baseline = runWorker(w('worker-baseline.ts'), []);
      const cold = process.env.BENCH_COLD === '1';
      const warm = join(dir, 'warmup.pdf');
      await generatePdf(warm, 64 * 1024);
      const warmArg = cold ? [] : [warm];
      // cp and sha256sum are timed from outside, process start included; our workers time the
      // operation inside an already started process. That start (GNU time + exec, measured on
      // `true`) dominates cp and sha256sum on small files, so it is subtracted from them.
      const start = median(Math.max(5, repeat), () => timeCommand('true', []));
      const net = (m: Measurement): Measurement => ({ ...m, ms: Math.max(0, m.ms - start.ms) });
      console.log(
        `node + loaded modules RSS floor (${process.env.BENCH_TSX === '1' ? 'tsx' : 'compiled'}): ${fmtMb(baseline.maxRssKb)}; ` +
          `${repeat} run(s) per cell, median; node workers ${cold ? 'cold (BENCH_COLD=1)' : 'after one warm-up signature on a 64 kB file'}; ` +
          `process start of cp/sha256sum (median on \`true\`) ${fmtMs(start.ms)}, subtracted from their times; temp dir ${dir}`,
      );
      const rows: (string | number)[][] = [];
      const notes: string[] = [];
      for (const sizeMb of sizes) {
        // Source + one output at a time (+ margin) must fit.
        const need = sizeMb * MB * 2.2 + 256 * MB;
        if (freeBytes(dir) < need) {
          notes.push(`${sizeMb} MB skipped: not enough free disk (${(freeBytes(dir) / MB).toFixed(0)} MB free)`);
          continue;
        }
        const src = join(dir, `in-${sizeMb}.pdf`);
        const gen = await generatePdf(src, sizeMb * MB);
        const out = join(dir, `out-${sizeMb}.pdf`);
        const clean = () => {
          rmSync(out, { force: true });
          syncDisks();
        };
        syncDisks();
        timeCommand('cat', [src]); // warm the page cache like the tools below will find it
        // Each run starts without an output file and with no dirty pages pending.
        const fresh = <T>(fn: () => T) => () => {
          clean();
          return fn();
        };
        const cp = net(median(repeat, fresh(() => timeCommand('cp', [src, out]))));
        const sha = net(median(repeat, () => timeCommand('sha256sum', [src])));
        const ours = median(repeat, fresh(() => runWorker(w('worker-ours.ts'), [src, out, cert, key, ...warmArg])));
        const oursCheck = sizeMb <= 100 ? checkOutput(out) : 'not checked (size)';
        clean();
        let sp: Measurement | undefined;
        let spCheck = '';
        if (sizeMb <= signpdfMax) {
          try {
            sp = median(repeat, fresh(() => runWorker(w('worker-signpdf.ts'), [src, out, cert, key, ...warmArg])));
            spCheck = sizeMb <= 100 ? checkOutput(out) : '';
          } catch (e) {
            notes.push(`@signpdf at ${sizeMb} MB failed: ${String(e).split('\n')[0]}`);
          }
          clean();
        }
        const ref = cp.ms + sha.ms;
        rows.push([
          `${(statSync(src).size / MB).toFixed(1)} MB (${gen.pages} p)`,
          fmtMs(cp.ms),
          fmtMs(sha.ms),
          fmtMs(ref),
          fmtMs(ours.ms),
          // Below a few ms the net cp+sha256sum time is lost in process-start noise: no ratio then.
          ref >= 3 ? fmtRatio(ours.ms / ref) : 'n/a (<3 ms)',
          fmtMb(ours.maxRssKb),
          sp ? fmtMs(sp.ms) : '-',
          sp ? fmtMb(sp.maxRssKb) : '-',
          sp ? fmtRatio(sp.ms / ours.ms) : '-',
        ]);
        notes.push(
          `${sizeMb} MB: ours prepare ${fmtMs(ours.extra!.prepareMs!)}, CMS ${fmtMs(ours.extra!.cmsMs!)}, finish ${fmtMs(ours.extra!.finishMs!)}; ` +
            `output ${oursCheck}${sp ? `; @signpdf output ${spCheck || 'not checked'}` : ''}; cp RSS ${fmtMb(cp.maxRssKb)}, sha256sum RSS ${fmtMb(sha.maxRssKb)}`,
        );
        rmSync(src, { force: true });
      }
      printTable(
        'PAdES signing (prepare + hash + finish) — times are medians (cp, sha256sum without process start); RSS is the peak of the measuring process',
        ['file', 'cp', 'sha256sum', 'cp+sha', 'ours', 'ours/(cp+sha)', 'ours RSS', '@signpdf', '@signpdf RSS', '@signpdf/ours'],
        rows,
      );
      console.log('\nTargets: ours/(cp+sha) ≤ 1.5x at 1 GB; ours RSS ≤ 128 MB; @signpdf/ours ≥ 10x at 10 MB.');
      for (const n of notes) console.log(`- ${n}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
