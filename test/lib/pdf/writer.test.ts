import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IncrementalWriter,
  MemoryByteSource,
  N,
  PdfDict,
  PdfRaw,
  PdfRef,
  PdfReader,
  PdfStream,
  PdfString,
  decodeStream,
  isRef,
  latin1,
} from '../../../src/lib/pdf/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { buildPdf, classicPdf } from '../../support/pdf-build.js';
import { getCorpus } from '../../support/pdf-corpus.js';
import { assertQpdfCheck, isBytePrefix } from '../../support/pdf-oracles.js';
import { freshTempDir, run, runOk } from '../../support/pdf-tools.js';

/** Adds a marker object to the catalog in one increment; returns the new file bytes. */
async function appendMarker(bytes: Buffer, strict = true): Promise<{ out: Buffer; markerNum: number; reader: PdfReader }> {
  const reader = await PdfReader.open(new MemoryByteSource(bytes), { strict });
  const w = new IncrementalWriter(reader);
  const marker = w.add(new PdfDict({ Type: N('OneShotMarker'), Text: PdfString.text('naïve – test') }));
  const cat = (await reader.catalog()).clone();
  cat.set('OneShotMarker', marker);
  w.set(reader.rootRef, cat);
  const inc = w.build();
  return { out: Buffer.concat([bytes, inc.bytes]), markerNum: marker.num, reader };
}

test('an increment on every valid corpus file: prefix kept, qpdf --check clean, same xref kind, re-readable', async () => {
  const { valid } = await getCorpus();
  const dir = freshTempDir('writer');
  for (const e of valid) {
    const bytes = readFileSync(e.path);
    const { out, markerNum, reader } = await appendMarker(bytes);
    const path = join(dir, `${e.name}.pdf`);
    writeFileSync(path, out);
    assert.ok(isBytePrefix(e.path, path), `${e.name}: original is a byte prefix`);
    assertQpdfCheck(path, e.name);
    const r2 = await PdfReader.open(new MemoryByteSource(out), { strict: true });
    assert.equal(r2.lastXrefKind, reader.lastXrefKind, `${e.name}: increment uses the same xref kind`);
    assert.equal(r2.sections.length, reader.sections.length + 1);
    assert.equal(await r2.pageCount(), await reader.pageCount());
    // Trailer rules of §7.5.6: /Prev = previous startxref, /Root kept, /Size covers all objects.
    const prevSection = await r2.sections[1]!;
    assert.equal(prevSection.offset, reader.startxref);
    assert.ok(r2.rootRef.equals(reader.rootRef));
    assert.ok(r2.size > markerNum);
    const id0 = reader.trailer.get('ID');
    const id1 = r2.trailer.get('ID') as PdfString[];
    if (Array.isArray(id0)) {
      assert.deepEqual(Buffer.from(id1[0]!.bytes), Buffer.from((id0[0] as PdfString).bytes), `${e.name}: first /ID kept`);
      assert.notDeepEqual(Buffer.from(id1[1]!.bytes), Buffer.from((id0[1] as PdfString).bytes), `${e.name}: second /ID changes`);
    } else assert.equal(id1.length, 2);
    // qpdf, independently, sees the new object through the catalog.
    const shown = runOk('qpdf', [`--show-object=${markerNum}`, path]);
    assert.match(shown, /\/Type \/OneShotMarker/, `${e.name}: qpdf sees the marker`);
    const catShown = runOk('qpdf', ['--show-object=trailer', path]);
    assert.match(catShown, /\/Root/);
  }
});

test('recovered (damaged) files get a complete xref section without /Prev', async () => {
  const { bad } = await getCorpus();
  const dir = freshTempDir('writer-recovered');
  for (const e of bad.filter((x) => x.lenient === 'recovers')) {
    const bytes = readFileSync(e.path);
    const { out, reader } = await appendMarker(bytes, false);
    assert.equal(reader.recovered, true);
    const path = join(dir, `${e.name}.pdf`);
    writeFileSync(path, out);
    assert.ok(isBytePrefix(e.path, path));
    const r2 = await PdfReader.open(new MemoryByteSource(out), { strict: true });
    assert.equal(r2.sections.length, 1, `${e.name}: one complete section`);
    assert.equal(r2.trailer.has('Prev'), false);
    assert.equal(await r2.pageCount(), 3);
    assertQpdfCheck(path, e.name);
  }
});

test('a recovered file with object streams: the complete xref stream gives each compressed object its index in the stream', async () => {
  // §7.5.8.3 Table 18: field 3 of a type-2 entry is the index within the object stream, and
  // poppler finds compressed objects by it. All zeros made the catalog and pages null there.
  const good = buildPdf({ xref: 'stream', pages: 3 });
  const text = good.toString('latin1');
  const sx = text.lastIndexOf('startxref');
  const damaged = Buffer.from(text.slice(0, sx) + text.slice(sx).replace(/startxref\s+(\d+)/, (_m, n: string) => `startxref\n${Number(n) + 5}`), 'latin1');
  const { out, reader } = await appendMarker(damaged, false);
  assert.equal(reader.recovered, true);
  const dir = freshTempDir('writer-recovered-objstm');
  const path = join(dir, 'out.pdf');
  writeFileSync(path, out);
  assertQpdfCheck(path, 'recovered object streams');
  const info = run('pdfinfo', [path]);
  assert.equal(info.stderr, '', `pdfinfo reads it cleanly: ${info.stderr}`);
  assert.match(info.stdout, /^Pages:\s+3$/m);
  // Every compressed entry written must name the object at that index of its stream.
  const r2 = await PdfReader.open(new MemoryByteSource(out), { strict: true });
  let compressed = 0;
  for (const e of r2.entries()) {
    if (e.stream === undefined) continue;
    compressed++;
    const stm = (await r2.getObject(new PdfRef(e.stream, 0))) as PdfStream;
    const header = Buffer.from(decodeStream(stm.dict, stm.data)).toString('latin1').slice(0, stm.dict.get('First') as number).trim().split(/\s+/).map(Number);
    assert.equal(header[2 * e.index!], e.num, `object ${e.num} is at index ${e.index} of stream ${e.stream}`);
  }
  assert.ok(compressed >= 3, `compressed objects: ${compressed}`);
});

test('xref stream increments handle offsets needing more than 4 bytes (files past 4 GiB)', async () => {
  // A real 4 GiB file is the benchmark's job; here the writer's /W sizing is checked on a
  // source that reports a large size (no bytes beyond the PDF are ever read by the writer).
  const bytes = buildPdf({ xref: 'stream' });
  const reader = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  const big = Object.create(reader) as PdfReader;
  Object.defineProperty(big, 'source', { value: { size: 5 * 2 ** 32, read: reader.source.read.bind(reader.source) } });
  const w = new IncrementalWriter(big);
  w.add(new PdfDict({ A: 1 }));
  const inc = w.build();
  const text = Buffer.from(inc.bytes).toString('latin1');
  assert.match(text, /\/W \[1 5 2\]/);
  assert.equal(inc.startxref, 5 * 2 ** 32 + text.indexOf(`${reader.size + 1} 0 obj`));
});

test('object numbers at the Annex C.2 limit: the last free number is used, past it the update is refused', async () => {
  // A file using object 8,388,606 (or 8,388,607) next to the limit: an update numbered past it
  // could not be opened again (here or by Annex C.2 readers), so it is refused before writing.
  const withTop = (top: number) => {
    const bodies = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 /X ' + top + ' 0 R >>'];
    let s = '%PDF-1.7\n';
    const off: number[] = [];
    bodies.forEach((b, i) => { off.push(s.length); s += `${i + 1} 0 obj\n${b}\nendobj\n`; });
    const topAt = s.length;
    s += `${top} 0 obj\n(top)\nendobj\n`;
    const xrefAt = s.length;
    s += `xref\n0 3\n0000000000 65535 f\r\n${off.map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}`;
    s += `${top} 1\n${String(topAt).padStart(10, '0')} 00000 n\r\n`;
    s += `trailer\n<< /Size ${top + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    return Buffer.from(s, 'latin1');
  };
  const ok = await appendMarker(withTop(8_388_606));
  assert.equal(ok.markerNum, 8_388_607);
  const again = await PdfReader.open(new MemoryByteSource(ok.out), { strict: true });
  assert.equal(again.size, 8_388_608);
  await assert.rejects(appendMarker(withTop(8_388_607)), (e) => e instanceof AppError && e.code === 'PDF_ERR_UNSUPPORTED');
  // An xref-stream update also needs a number for the stream itself.
  const reader = await PdfReader.open(new MemoryByteSource(withTop(8_388_606)), { strict: true });
  const w = new IncrementalWriter(reader, { xrefKind: 'stream' });
  w.add(new PdfDict({ A: 1 }));
  assert.throws(() => w.build(), (e) => e instanceof AppError && e.code === 'PDF_ERR_UNSUPPORTED');
});

test('PdfRaw marks give exact offsets of reserved regions', async () => {
  const bytes = buildPdf({});
  const reader = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  const w = new IncrementalWriter(reader);
  const raw = new PdfRaw(latin1('<0000000000>'));
  const d = new PdfDict({ Type: N('Sig') });
  d.set('Contents', raw as unknown as PdfString);
  w.addWritable(d);
  const inc = w.build();
  const at = inc.marks.get(raw)!;
  assert.equal(Buffer.from(inc.bytes.subarray(at, at + 12)).toString('latin1'), '<0000000000>');
  assert.equal(inc.base, bytes.length);
});

test('streams written by the writer round-trip through the reader', async () => {
  const bytes = buildPdf({ xref: 'stream' });
  const reader = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  const w = new IncrementalWriter(reader);
  const data = Buffer.from('q 1 0 0 1 0 0 cm Q\n'.repeat(100));
  const ref = w.add(new PdfStream(new PdfDict({ Type: N('XObject') }), data));
  const out = Buffer.concat([bytes, w.build().bytes]);
  const r2 = await PdfReader.open(new MemoryByteSource(out), { strict: true });
  const s = await r2.getObject(ref);
  assert.ok(s instanceof PdfStream);
  assert.deepEqual(Buffer.from(s.data), data);
  assert.ok(isRef(r2.trailer.get('Root')));
});

test('a table-based file past 10 GB gets an xref-stream update (table offsets have 10 digits)', async () => {
  const bytes = buildPdf({});
  const reader = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  const big = Object.create(reader) as PdfReader;
  Object.defineProperty(big, 'source', { value: { size: 11 * 1024 ** 3, read: reader.source.read.bind(reader.source) } });
  const w = new IncrementalWriter(big);
  w.add(new PdfDict({ A: 1 }));
  const inc = w.build();
  assert.equal(inc.xrefKind, 'stream');
  assert.match(Buffer.from(inc.bytes).toString('latin1'), /\/Type \/XRef/);
  const small = new IncrementalWriter(reader);
  small.add(new PdfDict({ A: 1 }));
  assert.equal(small.build().xrefKind, 'table');
});

test('a rewritten page keeps its non-ASCII resource names byte for byte: its text still renders (pdftotext)', async () => {
  // Names are bytes (§7.3.5): /F\xe9 raw and /G#82#a0 escaped, used by the content stream.
  const content = 'BT /F\xe9 24 Tf 72 700 Td (Raw name font) Tj /G#82#a0 24 Tf 0 -50 Td (Escaped name font) Tj ET';
  const bytes = classicPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F\xe9 5 0 R /G#82#a0 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]);
  const reader = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  const page = await reader.getPage(0);
  const w = new IncrementalWriter(reader);
  w.set(page.ref, page.dict.clone().set('Rotate', 0));
  const dir = freshTempDir('writer-names');
  const path = join(dir, 'out.pdf');
  writeFileSync(path, Buffer.concat([bytes, w.build().bytes]));
  assertQpdfCheck(path);
  const text = runOk('pdftotext', [path, '-']);
  assert.match(text, /Raw name font/);
  assert.match(text, /Escaped name font/);
});
