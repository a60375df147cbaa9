import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { withFileSource } from '../../../src/infra/fs-byte-source.js';
import { MemoryByteSource, PdfDict, PdfRef, PdfStream, PdfString, isDict, isName, type ByteSource } from '../../../src/lib/pdf/index.js';
import { PdfReader } from '../../../src/lib/pdf/reader.js';
import { inspectPdf } from '../../../src/lib/pdf/inspect.js';
import { AppError } from '../../../src/shared/errors.js';
import { buildPdf, classicPdf } from '../../support/pdf-build.js';
import { getCorpus } from '../../support/pdf-corpus.js';
import { runOk } from '../../support/pdf-tools.js';

/** Counts reads so tests can prove laziness. */
class CountingSource implements ByteSource {
  bytesRead = 0;
  constructor(private readonly inner: ByteSource) {}
  get size() {
    return this.inner.size;
  }
  async read(offset: number, length: number) {
    const b = await this.inner.read(offset, length);
    this.bytesRead += b.length;
    return b;
  }
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
};

test('every valid corpus file opens strictly, with the page count qpdf reports', async () => {
  const { valid } = await getCorpus();
  assert.ok(valid.length >= 20, `corpus has ${valid.length} valid files`);
  for (const e of valid) {
    await withFileSource(e.path, async (src) => {
      const r = await PdfReader.open(src, { strict: true });
      const n = await r.pageCount();
      const qpdfPages = Number(runOk('qpdf', ['--show-npages', e.path]).trim());
      assert.equal(n, qpdfPages, `${e.name}: page count`);
      if (e.pages !== undefined) assert.equal(n, e.pages, `${e.name}: expected pages`);
      if (e.xrefKind) assert.equal(r.lastXrefKind, e.xrefKind, `${e.name}: xref kind`);
      if (e.hybrid !== undefined) assert.equal(r.sections[0]!.hybrid, e.hybrid, `${e.name}: hybrid`);
      if (e.linearized !== undefined) assert.equal(r.linearized, e.linearized, `${e.name}: linearized`);
      assert.equal(r.recovered, false, `${e.name}: not recovered`);
      const last = await r.getPage(n - 1);
      assert.ok(isDict(last.dict) && isName(last.dict.get('Type'), 'Page'), `${e.name}: last page is a /Page`);
      assert.ok(last.mediaBox[2] > last.mediaBox[0] && last.mediaBox[3] > last.mediaBox[1], `${e.name}: media box`);
      const first = await r.getPage(0);
      assert.ok(isName(first.dict.get('Type'), 'Page'));
    });
  }
});

test('reading one page of a 1,200-page file touches a small part of it', async () => {
  const { valid } = await getCorpus();
  const e = valid.find((x) => x.name === 'hand-1200-pages')!;
  const bytes = readFileSync(e.path);
  const src = new CountingSource(new MemoryByteSource(bytes));
  const r = await PdfReader.open(src, { strict: true });
  const afterOpen = src.bytesRead;
  const p = await r.getPage(777);
  // The xref table is ~24 kB of this ~170 kB file; the page walk reads a few node windows.
  assert.ok(src.bytesRead < bytes.length / 2, `read ${src.bytesRead} of ${bytes.length} bytes`);
  assert.ok(afterOpen < bytes.length / 3, `open read ${afterOpen} bytes`);
  // The page found is the 778th in document order: its content says so.
  const content = await r.getObject(p.dict.get('Contents') as PdfRef);
  assert.ok(content instanceof PdfStream);
  assert.match(Buffer.from(content.data).toString('latin1'), /\(Page 778 of 1200\)/);
});

test('inherited attributes and out-of-range pages', async () => {
  const bytes = buildPdf({ pages: 4, inheritMediaBox: true, mediaBox: [0, 0, 612, 792] });
  const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  const p = await r.getPage(3);
  assert.deepEqual(p.mediaBox, [0, 0, 612, 792]);
  assert.equal(p.rotate, 0);
  assert.equal(await codeOf(r.getPage(4)), 'PDF_ERR_PAGE_OUT_OF_RANGE');
  assert.equal(await codeOf(r.getPage(-1)), 'PDF_ERR_PAGE_OUT_OF_RANGE');
});

test('hybrid file: objects only in the /XRefStm are found', async () => {
  const bytes = buildPdf({ xref: 'hybrid', pages: 2 });
  const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  assert.equal(r.sections[0]!.hybrid, true);
  const page = await r.getPage(0);
  const res = page.dict.get('Resources') as PdfDict;
  const font = await r.resolveDict((res.get('Font') as PdfDict).get('F1'));
  assert.ok(font && isName(font.get('BaseFont'), 'Helvetica'), 'font from the object stream');
});

test('long /Prev chains are followed and the newest definition wins', async () => {
  const { valid } = await getCorpus();
  const e = valid.find((x) => x.name === 'hand-many-revisions')!;
  await withFileSource(e.path, async (src) => {
    const r = await PdfReader.open(src, { strict: true });
    assert.equal(r.sections.length, 26);
    const info = await r.resolveDict(r.trailer.get('Info'));
    assert.equal((info!.get('Producer') as PdfString).asText(), 'revision 25');
  });
});

test('junk before %PDF and after %%EOF is tolerated; offsets count from the header', async () => {
  const bytes = buildPdf({ junkBefore: 'garbage\n', junkAfter: '\ngarbage after\n' });
  const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  assert.equal(r.headerOffset, 8);
  assert.equal(r.shift, 8);
  assert.equal(await r.pageCount(), 1);
});

test('damaged and refused corpus files give their error codes (strict and lenient)', async () => {
  const { bad } = await getCorpus();
  for (const e of bad) {
    await withFileSource(e.path, async (src) => {
      const strict = await codeOf((async () => {
        const r = await PdfReader.open(src, { strict: true });
        await r.getPage((await r.pageCount()) - 1);
      })());
      assert.equal(strict, e.strict, `${e.name}: strict`);
      const lenient = await codeOf((async () => {
        const r = await PdfReader.open(src);
        const n = await r.pageCount();
        await r.getPage(n - 1);
        if (e.lenient === 'recovers') assert.equal(r.recovered, true, `${e.name}: recovered flag`);
      })());
      assert.equal(lenient, e.lenient === 'recovers' ? 'ok' : e.lenient, `${e.name}: lenient`);
    });
  }
});

test('inspectPdf reports kind, pages, encryption and signature fields cheaply', async () => {
  const { valid, bad } = await getCorpus();
  const lin = valid.find((x) => x.name === 'qpdf-linearized-objstm')!;
  const info = await withFileSource(lin.path, (s) => inspectPdf(s));
  assert.equal(info.pageCount, 6);
  assert.equal(info.linearized, true);
  assert.equal(info.xrefKind, 'stream');
  assert.equal(info.encrypted, false);
  assert.deepEqual(info.signatureFields, []);
  for (const name of ['encrypted-aes256', 'encrypted-rc4']) {
    const enc = bad.find((x) => x.name === name)!;
    const ei = await withFileSource(enc.path, (s) => inspectPdf(s));
    assert.equal(ei.encrypted, true, name);
  }
  const notPdf = bad.find((x) => x.name === 'not-pdf-png')!;
  assert.equal(await codeOf(withFileSource(notPdf.path, (s) => inspectPdf(s))), 'PDF_ERR_NOT_PDF');
  const broken = bad.find((x) => x.name === 'broken-offsets')!;
  assert.equal((await withFileSource(broken.path, (s) => inspectPdf(s))).xrefKind, 'recovered');
  assert.equal(await codeOf(withFileSource(broken.path, (s) => inspectPdf(s, { strict: true }))), 'PDF_ERR_BROKEN_XREF');
});

test('object streams and xref streams with PNG predictors decode', async () => {
  const bytes = buildPdf({ xref: 'stream', pages: 30, fanout: 2 });
  const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  assert.equal(r.lastXrefKind, 'stream');
  for (const i of [0, 17, 29]) {
    const p = await r.getPage(i);
    const c = await r.getObject(p.dict.get('Contents') as PdfRef);
    assert.ok(c instanceof PdfStream);
    assert.match(Buffer.from(c.data).toString('latin1'), new RegExp(`\\(Page ${i + 1} of 30\\)`));
  }
});

test('absurd values are refused, not allocated', async () => {
  const huge = classicPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>'], { trailer: '' })
    .toString('latin1')
    .replace(/\/Size \d+/, '/Size 999999999');
  assert.equal(await codeOf(PdfReader.open(new MemoryByteSource(Buffer.from(huge, 'latin1')), { strict: true })), 'PDF_ERR_BROKEN_XREF');
  // Deep nesting is refused instead of overflowing the stack.
  const deep = classicPdf(['<< /Type /Catalog /Pages 2 0 R /X ' + '['.repeat(5000) + ']'.repeat(5000) + ' >>', '<< /Type /Pages /Kids [] /Count 0 >>']);
  assert.equal(await codeOf(PdfReader.open(new MemoryByteSource(deep), { strict: true })), 'PDF_ERR_BROKEN_XREF');
  const lenient = await codeOf(PdfReader.open(new MemoryByteSource(deep)));
  assert.equal(lenient, 'PDF_ERR_MALFORMED');
});

/**
 * Appends an update whose new catalog (object 1, with /Marker) sits in a new object stream and
 * whose section is an xref stream; then `damage` (junk or a wrong startxref) forces recovery.
 */
function objStmUpdate(base: Buffer, damage: 'none' | 'junk' | 'startxref'): Buffer {
  const text = base.toString('latin1');
  const prev = Number(/startxref\s+(\d+)/.exec(text.slice(text.lastIndexOf('startxref')))![1]);
  const size = Number(/\/Size (\d+)/.exec(text.slice(text.lastIndexOf('/Type /XRef') - 200))![1]);
  const body = '<< /Type /Catalog /Pages 8 0 R /Marker (newer) >>\n';
  const head = `1 0 `;
  const data = deflateSync(Buffer.from(head + body, 'latin1'));
  const stmNum = size;
  const stmAt = base.length;
  const stm = Buffer.concat([Buffer.from(`${stmNum} 0 obj\n<< /Type /ObjStm /N 1 /First ${head.length} /Filter /FlateDecode /Length ${data.length} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream\nendobj\n')]);
  const xsAt = stmAt + stm.length;
  const row = (t: number, a: number, b: number) => Buffer.from([t, (a >>> 24) & 255, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, b >> 8, b & 255]);
  const rows = Buffer.concat([row(2, stmNum, 0), row(1, stmAt, 0), row(1, xsAt, 0)]);
  const xs = Buffer.concat([
    Buffer.from(`${stmNum + 1} 0 obj\n<< /Type /XRef /Size ${stmNum + 2} /Root 1 0 R /Prev ${prev} /W [1 4 2] /Index [1 1 ${stmNum} 2] /Length ${rows.length} >>\nstream\n`, 'latin1'),
    rows,
    Buffer.from(`\nendstream\nendobj\nstartxref\n${damage === 'startxref' ? xsAt + 3 : xsAt}\n%%EOF\n`, 'latin1'),
  ]);
  const out = Buffer.concat([base, stm, xs]);
  return damage === 'junk' ? Buffer.concat([out, Buffer.alloc(2 * 1024 * 1024)]) : out;
}

test('recovery: an object redefined in a later object stream is read in its newest version', async () => {
  // Incremental saves with object streams put changed objects in new streams; a rebuilt index
  // must prefer them to the originals (the last definition in the file wins, as for plain ones).
  for (const damage of ['junk', 'startxref'] as const) {
    const bytes = objStmUpdate(buildPdf({ xref: 'stream', pages: 2 }), damage);
    const r = await PdfReader.open(new MemoryByteSource(bytes));
    assert.equal(r.recovered, true, damage);
    const cat = await r.catalog();
    assert.ok(cat.get('Marker') instanceof PdfString, `${damage}: newest catalog`);
    assert.equal(await r.pageCount(), 2);
  }
  // Undamaged, the xref chain gives the same answer.
  const ok = await PdfReader.open(new MemoryByteSource(objStmUpdate(buildPdf({ xref: 'stream', pages: 2 }), 'none')), { strict: true });
  assert.ok((await ok.catalog()).get('Marker') instanceof PdfString);
});

test('junk before %PDF in xref-stream and hybrid files: stream offsets count from the header too (strict)', async () => {
  for (const xref of ['stream', 'hybrid'] as const) {
    const bytes = buildPdf({ xref, pages: 3, junkBefore: 'Content-Type: application/pdf\r\n\r\n' });
    const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
    assert.equal(r.shift, 33, xref);
    assert.equal(r.recovered, false);
    assert.equal(await r.pageCount(), 3);
    assert.ok(isDict((await r.getPage(2)).dict), `${xref}: compressed and plain objects readable`);
  }
});

test('junk before %PDF: a startxref that also lands near an object without the shift does not decide the offsets', async () => {
  // An update whose xref stream is preceded by padding (as linearized files have), then junk:
  // the unshifted startxref lands in the padding and reads the right section by chance, but
  // /Prev then points nowhere. Offsets count from the header throughout (qpdf, poppler).
  const base = buildPdf({ xref: 'table', pages: 2 });
  const text = base.toString('latin1');
  const prev = Number(/startxref\s+(\d+)/.exec(text.slice(text.lastIndexOf('startxref')))![1]);
  const size = Number(/\/Size (\d+)/.exec(text.slice(text.lastIndexOf('trailer')))![1]);
  const root = /\/Root (\d+ \d+ R)/.exec(text.slice(text.lastIndexOf('trailer')))![1];
  const objAt = base.length;
  const obj = `${size} 0 obj\n<< /Producer (padded update) >>\nendobj\n${' '.repeat(64)}\n`;
  const xsAt = objAt + obj.length;
  const rows = Buffer.from([1, 0, 0, (objAt >> 8) & 255, objAt & 255, 0, 0, 1, 0, 0, (xsAt >> 8) & 255, xsAt & 255, 0, 0]);
  const update = Buffer.concat([
    Buffer.from(`${obj}${size + 1} 0 obj\n<< /Type /XRef /Size ${size + 2} /Root ${root} /Info ${size} 0 R /Prev ${prev} /W [1 4 2] /Index [${size} 2] /Length ${rows.length} >>\nstream\n`, 'latin1'),
    rows,
    Buffer.from(`\nendstream\nendobj\nstartxref\n${xsAt}\n%%EOF\n`, 'latin1'),
  ]);
  const bytes = Buffer.concat([Buffer.from('Content-Type: application/pdf\r\n\r\n'), base, update]);
  const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  assert.equal(r.shift, 33);
  assert.equal(r.sections.length, 2);
  assert.equal(((await r.resolveDict(r.trailer.get('Info')))!.get('Producer') as PdfString).asText(), 'padded update');
  assert.equal(await r.pageCount(), 2);
});

test('a reference to a missing object is null (ISO 32000-1 §7.3.10)', async () => {
  const bytes = classicPdf(['<< /Type /Catalog /Pages 2 0 R /Missing 99 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>']);
  const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  const cat = await r.catalog();
  assert.equal(await r.resolve(cat.get('Missing')), null);
  assert.equal(await r.pageCount(), 0);
});

test('page-tree /Count may be an indirect integer (root and intermediate nodes)', async () => {
  // §7.3.10: any value may be indirect; qpdf and poppler read such trees.
  const bytes = classicPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 7 0 R >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>',
    '<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 8 0 R >>',
    '<< /Type /Page /Parent 4 0 R /MediaBox [0 0 200 200] >>',
    '<< /Type /Page /Parent 4 0 R /MediaBox [0 0 300 300] >>',
    '3',
    '2',
  ]);
  const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
  assert.equal(await r.pageCount(), 3);
  assert.deepEqual((await r.getPage(2)).mediaBox, [0, 0, 300, 300]);
  assert.equal((await r.getPage(2)).ref.num, 6);
});

test('a tolerated key without a value opens strictly wherever the parse window ends', async () => {
  // "/K>>" straddling the reader's first 2 KiB window used to be misread as a syntax error.
  for (let pad = 1985; pad < 2010; pad++) {
    const bytes = classicPdf([
      `<< /Type /Catalog /Pages 2 0 R /Pad (${'x'.repeat(pad)}) /K>>`,
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
    ]);
    const r = await PdfReader.open(new MemoryByteSource(bytes), { strict: true });
    assert.equal(await r.pageCount(), 1, `pad ${pad}`);
  }
});

test('an unterminated string or array is refused within the object window, whatever the file size', async () => {
  // 33 MiB of an unterminated string, then of an unterminated array: PDF_ERR_UNSUPPORTED at the
  // 32 MiB object window (strict), never parsed into memory proportional to the file.
  for (const [open, fill] of [['(', 'a'], ['[', '0 ']] as const) {
    const body = Buffer.alloc(33 * 1024 * 1024, fill);
    const head = Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X ${open}`);
    const xrefAt = head.length + body.length + 1;
    const tail = Buffer.from(`\nxref\n0 2\n0000000000 65535 f\r\n0000000009 00000 n\r\ntrailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`);
    const src = new MemoryByteSource(Buffer.concat([head, body, tail]));
    const reader = PdfReader.open(src, { strict: true });
    await assert.rejects(reader, (e) => e instanceof AppError && e.code === 'PDF_ERR_BROKEN_XREF' && (e.cause as AppError).code === 'PDF_ERR_UNSUPPORTED');
  }
});
