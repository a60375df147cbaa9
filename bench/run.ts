/**
 * `npm run bench`: runs every registered benchmark and prints its tables. Add a benchmark by
 * writing a module that exports a `Bench` and listing it in BENCHES. `BENCH_ONLY=name` picks one.
 * Each benchmark runs what it measures in child processes (DESIGN.md §6: numbers are ratios
 * against reference tools in the same run, never wall-clock asserts in tests).
 */
import { pdfSignBench } from './pdf/sign.bench.js';
import type { Bench } from './support/bench.js';

const BENCHES: Bench[] = [pdfSignBench];

const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
for (const b of BENCHES) {
  if (only && !only.includes(b.name)) continue;
  console.log(`\n=== ${b.name}: ${b.description}`);
  await b.run();
}
