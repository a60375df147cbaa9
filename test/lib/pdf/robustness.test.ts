/**
 * Damaged input never crashes the engine: seeded random mutations (byte flips, truncations,
 * deleted and duplicated spans) of corpus files either sign or fail with an AppError code —
 * never a TypeError, RangeError or a hang. DESIGN.md §5: bad input gets a clear 4xx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MemoryByteSource } from '../../../src/lib/pdf/byte-source.js';
import { listFields } from '../../../src/lib/pdf/acroform.js';
import { inspectPdf } from '../../../src/lib/pdf/inspect.js';
import { PdfReader } from '../../../src/lib/pdf/reader.js';
import { extractSignatures } from '../../../src/lib/pades/extract.js';
import { prepareSignature } from '../../../src/lib/pades/prepare.js';
import { AppError } from '../../../src/shared/errors.js';
import { classicPdf } from '../../support/pdf-build.js';
import { getCorpus } from '../../support/pdf-corpus.js';

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(src);
  const at = () => Math.floor(rnd() * b.length);
  switch (Math.floor(rnd() * 5)) {
    case 0: // flip a few bytes
      for (let i = 0; i < 1 + rnd() * 8; i++) b[at()] = Math.floor(rnd() * 256);
      return b;
    case 1: // truncate
      return b.subarray(0, at());
    case 2: {
      // delete a span
      const s = at();
      return Buffer.concat([b.subarray(0, s), b.subarray(Math.min(b.length, s + 1 + Math.floor(rnd() * 64)))]);
    }
    case 3: {
      // duplicate a span
      const s = at();
      const e = Math.min(b.length, s + 1 + Math.floor(rnd() * 256));
      return Buffer.concat([b.subarray(0, e), b.subarray(s, e), b.subarray(e)]);
    }
    default: {
      // overwrite digits (offsets, lengths, counts) with other digits
      const text = b.toString('latin1');
      return Buffer.from(text.replace(/\d+/g, (m) => (rnd() < 0.05 ? String(Math.floor(rnd() * 10 ** m.length)) : m)), 'latin1');
    }
  }
}

test('seeded mutations of corpus files sign or fail with an AppError, never crash', async () => {
  const { valid } = await getCorpus();
  const picks = ['hand-classic-1.7', 'hand-xref-stream', 'hand-hybrid', 'pdflib-objstm-form', 'qpdf-linearized-objstm', 'ghostscript', 'hand-acroform-indirect-fields'];
  const rnd = prng(20261128);
  const outcomes = new Map<string, number>();
  for (const name of picks) {
    const original = readFileSync(valid.find((e) => e.name === name)!.path);
    for (let i = 0; i < 60; i++) {
      const bytes = mutate(original, rnd);
      const src = new MemoryByteSource(bytes);
      for (const strict of [false, true]) {
        let outcome = 'signed';
        try {
          await inspectPdf(src, { strict });
          const chunks: Buffer[] = [];
          const p = await prepareSignature(src, { write: async (c) => void chunks.push(Buffer.from(c)) }, { contentsSize: 1024, strict });
          // Whatever the damage, what we wrote is well-formed: the output opens strictly and
          // shows the new signature covering the whole file.
          const out = Buffer.concat(chunks);
          assert.equal(out.length, p.fileSize);
          const sigs = await extractSignatures(new MemoryByteSource(out), { strict: true });
          const mine = sigs.find((x) => x.fieldName === p.fieldName);
          assert.ok(mine && mine.coversWholeFile, `${name} mutation ${i}: signature found in the output`);
          assert.deepEqual(mine.byteRange, p.byteRange);
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          if (!(e instanceof AppError)) {
            assert.fail(`${name} mutation ${i} (strict=${strict}) threw a non-AppError: ${(e as Error).stack}`);
          }
          outcome = e.code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
  }
  // Both paths are exercised: some damaged files still sign (lenient recovery), some are refused.
  assert.ok((outcomes.get('signed') ?? 0) > 0, JSON.stringify([...outcomes]));
  assert.ok([...outcomes.keys()].some((k) => k.startsWith('PDF_ERR_')), JSON.stringify([...outcomes]));
});

test('a dangling reference whose number the update allocates is not mistaken for the new object', async () => {
  // /AcroForm 4 0 R points nowhere; the update's first new object is number 4 (= /Size).
  const bytes = classicPdf([
    '<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
  ]);
  const chunks: Buffer[] = [];
  const p = await prepareSignature(new MemoryByteSource(bytes), { write: async (c) => void chunks.push(Buffer.from(c)) }, { contentsSize: 1024 });
  const out = Buffer.concat(chunks);
  const r = await PdfReader.open(new MemoryByteSource(out), { strict: true });
  const acro = await r.resolveDict((await r.catalog()).get('AcroForm'));
  assert.ok(acro && Array.isArray(acro.get('Fields')) && acro.get('SigFlags') === 3, 'a new AcroForm');
  const [sig] = await extractSignatures(new MemoryByteSource(out), { strict: true });
  assert.equal(sig!.fieldName, p.fieldName);
  const fields = await listFields(r);
  const v = await r.resolveDict(fields[0]!.value);
  assert.equal(v!.has('Fields'), false, 'the signature dictionary was not turned into an AcroForm');
});
