/**
 * The prepare → external CMS → finish flow with the openssl test signer, and the full set of
 * oracles on a signed file (byte prefix, qpdf --check, pdfsig, openssl cms -verify, digest).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFileSource } from '../../src/infra/fs-byte-source.js';
import { finishSignatureFile, prepareDocumentTimestampFile, prepareSignatureFile } from '../../src/infra/fs-pades.js';
import { extractSignatures, type ExtractedSignature } from '../../src/lib/pades/extract.js';
import type { PrepareOptions, PreparedDigest } from '../../src/lib/pades/prepare.js';
import { assertQpdfCheck, byteRangeFile, isBytePrefix, opensslCmsVerify, pdfsig } from './pdf-oracles.js';
import { opensslCmsSign, opensslTimestampToken, opensslTsVerify, testPki } from './pdf-test-signer.js';

let n = 0;

/** prepare + openssl CMS over the ByteRange + finish. */
export async function signWithOpenssl(src: string, dst: string, opts: Partial<PrepareOptions> = {}, workDir: string): Promise<PreparedDigest> {
  // Alternate test signers so pdfsig never validates one certificate twice in a run (§8 c).
  const existing = await withFileSource(src, (s) => extractSignatures(s)).catch(() => []);
  const prepared = await prepareSignatureFile(src, dst, { contentsSize: 8192, ...opts });
  const content = byteRangeFile(dst, prepared.byteRange, workDir, `br-${n++}.bin`);
  // The prepared digest is the hash of exactly those bytes (checked independently here).
  const alg = prepared.digestAlgorithm.replace('-', '').toLowerCase();
  assert.equal(createHash(alg).update(readFileSync(content)).digest('base64'), prepared.digest, 'prepared digest = hash(ByteRange bytes)');
  const md = alg as 'sha256' | 'sha384' | 'sha512';
  await finishSignatureFile(dst, prepared, opensslCmsSign(content, md, existing.length % 2 === 0 ? 0 : 1));
  return prepared;
}

/** prepare + openssl RFC 3161 token over the ByteRange + finish (document timestamp). */
export async function timestampWithOpenssl(src: string, dst: string, workDir: string): Promise<PreparedDigest> {
  const prepared = await prepareDocumentTimestampFile(src, dst, { contentsSize: 8192 });
  const content = byteRangeFile(dst, prepared.byteRange, workDir, `tsbr-${n++}.bin`);
  await finishSignatureFile(dst, prepared, opensslTimestampToken(content));
  return prepared;
}

/**
 * Every oracle on a signed file: `original` is a byte prefix, qpdf --check is clean, pdfsig
 * reports each signature valid and trusted with the last one covering the whole document,
 * and openssl accepts every /Contents CMS over its ByteRange bytes.
 */
export async function assertSignedOk(
  original: string,
  signed: string,
  label: string,
  workDir: string,
  expectSignatures?: number,
  opts: { lastCoversWholeFile?: boolean } = {},
): Promise<ExtractedSignature[]> {
  const pki = testPki();
  assert.ok(isBytePrefix(original, signed), `${label}: original is a byte prefix of the output`);
  assertQpdfCheck(signed, label);
  const sigs = await withFileSource(signed, (s) => extractSignatures(s, { strict: true }));
  if (expectSignatures !== undefined) assert.equal(sigs.length, expectSignatures, `${label}: number of signatures`);
  const report = pdfsig(signed, pki.nssDir);
  assert.equal(report.length, sigs.length, `${label}: pdfsig sees every signature\n${report.map((r) => r.raw).join('\n')}`);
  sigs.forEach((s, i) => {
    const content = byteRangeFile(signed, s.byteRange, workDir, `v-${n++}.bin`);
    if (s.type === 'DocTimeStamp') {
      // pdfsig 22.12 cannot validate ETSI.RFC3161 (ecosystem notes §8): openssl ts does.
      assert.ok(opensslTsVerify(s.cms, content), `${label}: timestamp token ${i} verifies over its ByteRange`);
      return;
    }
    const r = report.find((x) => x.fieldName === s.fieldName);
    assert.ok(r, `${label}: pdfsig reports ${s.fieldName}`);
    assert.ok(r.signatureValid, `${label}: pdfsig says ${s.fieldName} is valid\n${r.raw}`);
    assert.ok(r.certificateTrusted, `${label}: pdfsig trusts ${s.fieldName}\n${r.raw}`);
    const v = opensslCmsVerify(s.cms, content, pki.rootPem, workDir, `cms-${n++}`);
    assert.ok(v.ok, `${label}: openssl cms -verify ${s.fieldName}: ${v.out}`);
  });
  const last = sigs[sigs.length - 1]!;
  // After a DSS increment no signature covers the whole file, by design (B-LT).
  if (opts.lastCoversWholeFile === false) return sigs;
  assert.ok(last.coversWholeFile, `${label}: last signature covers the whole file`);
  if (last.type !== 'DocTimeStamp') {
    const r = report.find((x) => x.fieldName === last.fieldName)!;
    assert.ok(r.totalDocumentSigned, `${label}: pdfsig says total document signed\n${r.raw}`);
  }
  return sigs;
}

export const pathIn = (dir: string, name: string) => join(dir, name);
