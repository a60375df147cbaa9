/**
 * Independent checks of one signed PDF for the async and scale-out tests: qpdf --check, pdfsig
 * (NSS db trusting the test root) and openssl cms -verify of the CMS pdfsig dumps over the
 * ByteRange bytes, with the chain to the root. Missing tools fail the test (never skip).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byteRangeFile, opensslCmsVerify } from './pdf-oracles.js';

export interface PdfChecker {
  check(pdf: Buffer, name: string): void;
  cleanup(): void;
}

export function pdfChecker(rootPemText: string): PdfChecker {
  const dir = mkdtempSync(join(tmpdir(), 'oneshot-check-'));
  const rootPem = join(dir, 'root.pem');
  writeFileSync(rootPem, rootPemText);
  const nss = join(dir, 'nss');
  execFileSync('mkdir', [nss]);
  execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'oneshot-root', '-t', 'CT,C,C', '-i', rootPem]);
  return {
    check(pdf, name) {
      const p = join(dir, `${name}.pdf`);
      writeFileSync(p, pdf);
      const q = execFileSync('qpdf', ['--check', p], { encoding: 'utf8' });
      assert.match(q, /No syntax or stream encoding errors found/, name);
      // -no-ocsp keeps NSS off the network; the chain is checked by openssl below.
      const sig = spawnSync('pdfsig', ['-nssdir', `sql:${nss}`, '-no-ocsp', p], { encoding: 'utf8' });
      const raw = sig.stdout + sig.stderr;
      assert.match(raw, /Signature Validation: Signature is Valid\./, `${name}: ${raw}`);
      assert.match(raw, /Total document signed/, `${name}: ${raw}`);
      execFileSync('pdfsig', ['-nssdir', `sql:${nss}`, '-no-ocsp', '-dump', p], { cwd: dir });
      const cms = readFileSync(`${p}.sig0`);
      const br = [...pdf.toString('latin1').matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)][0]!;
      const v = opensslCmsVerify(cms, byteRangeFile(p, br.slice(1, 5).map(Number), dir, `${name}.br`), rootPem, dir, name);
      assert.ok(v.ok, `${name}: ${v.out}`);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
