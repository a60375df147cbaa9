/**
 * Independent checks on produced PDFs: qpdf (structure), pdfsig (poppler/NSS signature
 * validation), openssl cms (the /Contents CMS over the ByteRange bytes). None of them share
 * code with the engine under test.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './pdf-tools.js';

/** `qpdf --check` passes with no warnings (exit 0). */
export function assertQpdfCheck(path: string, label = path): void {
  const r = run('qpdf', ['--check', path]);
  assert.equal(r.status, 0, `${label}: qpdf --check exit ${r.status}\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /No syntax or stream encoding errors found/, `${label}: qpdf --check`);
}

/** True when `prefix` file's bytes are exactly the first bytes of `full` (streamed compare). */
export function isBytePrefix(prefixPath: string, fullPath: string): boolean {
  const a = openSync(prefixPath, 'r');
  const b = openSync(fullPath, 'r');
  try {
    const ba = Buffer.alloc(1 << 20);
    const bb = Buffer.alloc(1 << 20);
    let pos = 0;
    for (;;) {
      const na = readSync(a, ba, 0, ba.length, pos);
      if (na === 0) return true;
      const nb = readSync(b, bb, 0, na, pos);
      if (nb !== na || !ba.subarray(0, na).equals(bb.subarray(0, na))) return false;
      pos += na;
    }
  } finally {
    closeSync(a);
    closeSync(b);
  }
}

export interface PdfsigSignature {
  index: number;
  fieldName?: string;
  signatureValid: boolean;
  certificateTrusted: boolean;
  totalDocumentSigned: boolean;
  subFilter?: string;
  raw: string;
}

/** Runs pdfsig with an NSS db and parses its per-signature report. */
export function pdfsig(path: string, nssDir: string): PdfsigSignature[] {
  const r = run('pdfsig', ['-nssdir', `sql:${nssDir}`, path]);
  return parsePdfsigReport(r.stdout + r.stderr);
}

/** pdfsig's text report, one entry per "Signature #N:" block. */
export function parsePdfsigReport(out: string): PdfsigSignature[] {
  const blocks = out.split(/^Signature #(\d+):$/m);
  const sigs: PdfsigSignature[] = [];
  for (let i = 1; i < blocks.length; i += 2) {
    const b = blocks[i + 1]!;
    sigs.push({
      index: Number(blocks[i]),
      fieldName: /Signature Field Name: (.*)/.exec(b)?.[1]?.trim(),
      signatureValid: /Signature Validation: Signature is Valid\./.test(b),
      certificateTrusted: /Certificate Validation: Certificate is Trusted\./.test(b),
      totalDocumentSigned: /Total document signed/.test(b) && !/Not total document signed/.test(b),
      subFilter: /Signature Type: (.*)/.exec(b)?.[1]?.trim(),
      raw: b,
    });
  }
  return sigs;
}

/** Extracts the bytes a ByteRange covers into a file and returns its path. */
export function byteRangeFile(pdfPath: string, byteRange: number[], dir: string, name: string): string {
  const fd = openSync(pdfPath, 'r');
  const parts: Buffer[] = [];
  try {
    for (let i = 0; i < byteRange.length; i += 2) {
      const b = Buffer.alloc(byteRange[i + 1]!);
      readSync(fd, b, 0, b.length, byteRange[i]!);
      parts.push(b);
    }
  } finally {
    closeSync(fd);
  }
  const out = join(dir, name);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

/** `openssl cms -verify` of a detached DER CMS over `contentPath`, trusting `rootPem`. */
export function opensslCmsVerify(cmsDer: Uint8Array, contentPath: string, rootPem: string, dir: string, name: string): { ok: boolean; out: string } {
  const cmsPath = join(dir, `${name}.p7s`);
  writeFileSync(cmsPath, cmsDer);
  // -purpose any: the test signer cert carries nonRepudiation only (ecosystem notes §8).
  const r = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', cmsPath, '-content', contentPath, '-CAfile', rootPem, '-purpose', 'any', '-out', '/dev/null']);
  return { ok: r.status === 0 && /Verification successful/.test(r.stderr + r.stdout), out: r.stdout + r.stderr };
}
