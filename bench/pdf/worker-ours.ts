/**
 * Benchmark child: our prepare (copy + increment + hash) → CMS from the digest → finish.
 * With a warm-up file, the whole flow runs once on it first (untimed): the Optimizer is a
 * long-lived process, so steady-state cost is what matters; BENCH_COLD=1 skips it.
 */
import { rmSync } from 'node:fs';
import { finishSignatureFile, prepareSignatureFile } from '../../src/infra/fs-pades.js';
import { report } from '../support/measure.js';
import { benchCms } from './bench-cms.js';

const [src, dst, cert, key, warmup] = process.argv.slice(2) as [string, string, string, string, string | undefined];

async function signOnce(input: string, output: string) {
  const t0 = performance.now();
  const prepared = await prepareSignatureFile(input, output, { contentsSize: 16384 });
  const t1 = performance.now();
  const cms = benchCms(Buffer.from(prepared.digest, 'base64'), cert, key);
  const t2 = performance.now();
  await finishSignatureFile(output, prepared, cms);
  const t3 = performance.now();
  return { total: t3 - t0, prepareMs: t1 - t0, cmsMs: t2 - t1, finishMs: t3 - t2 };
}

if (warmup) {
  await signOnce(warmup, `${dst}.warmup.pdf`);
  rmSync(`${dst}.warmup.pdf`);
}
const r = await signOnce(src, dst);
report(r.total, { prepareMs: r.prepareMs, cmsMs: r.cmsMs, finishMs: r.finishMs });
