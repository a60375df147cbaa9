/**
 * Benchmark child: @signpdf/placeholder-plain + @signpdf/signpdf (whole file in memory, as that
 * library works), with the same CMS builder as ours.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { plainAddPlaceholder } from '@signpdf/placeholder-plain';
import * as signpdfModule from '@signpdf/signpdf';
import { Signer } from '@signpdf/utils';
import { report } from '../support/measure.js';
import { benchCms } from './bench-cms.js';

const [src, dst, cert, key, warmup] = process.argv.slice(2) as [string, string, string, string, string | undefined];

class BenchSigner extends Signer {
  override async sign(pdfBuffer: Buffer): Promise<Buffer> {
    return Buffer.from(benchCms(createHash('sha256').update(pdfBuffer).digest(), cert, key));
  }
}

// CommonJS default export seen through ESM interop.
const mod = signpdfModule as unknown as { default: { sign?: unknown; default?: unknown } };
const signpdf = (typeof mod.default.sign === 'function' ? mod.default : mod.default.default) as {
  sign(pdf: Buffer, signer: Signer): Promise<Buffer>;
};

async function signOnce(input: string, output: string): Promise<number> {
  const t0 = performance.now();
  const pdf = readFileSync(input);
  const withPlaceholder = plainAddPlaceholder({ pdfBuffer: pdf, reason: 'bench', contactInfo: '', name: 'bench', location: '', signatureLength: 16384 });
  const signed = await signpdf.sign(withPlaceholder, new BenchSigner());
  writeFileSync(output, signed);
  return performance.now() - t0;
}

// Same warm-up as worker-ours (steady state of a long-lived process).
if (warmup) {
  await signOnce(warmup, `${dst}.warmup.pdf`);
  rmSync(`${dst}.warmup.pdf`);
}
report(await signOnce(src, dst));
