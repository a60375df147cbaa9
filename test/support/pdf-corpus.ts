/**
 * The PDF test corpus (issue 3), built by the tests themselves from several producers and
 * shapes, once per test process, into a fresh temp dir removed at exit.
 *
 * Producers: hand-written (exact control over xref tables / streams / hybrid / versions / junk),
 * pdf-lib (object streams, AcroForm), pdfkit, qpdf (object streams, linearized, encrypted),
 * Ghostscript pdfwrite. LibreOffice is used only when `soffice` is installed: it is not part
 * of the test image (no Debian package in APT_PKGS, ~500 MB), so that producer is skipped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../../src/shared/errors.js';
import { addRevisions, addXrefStreamRevision, buildPdf, classicPdf } from './pdf-build.js';
import { freshTempDir, hasTool, runOk } from './pdf-tools.js';

export interface CorpusEntry {
  name: string;
  path: string;
  producer: string;
  /** Number of pages (checked against the reader and against qpdf). */
  pages?: number;
  /** Kind of the file's last xref section, when the producer's choice is known. */
  xrefKind?: 'table' | 'stream';
  hybrid?: boolean;
  linearized?: boolean;
  /** Has an AcroForm with fields that must survive signing. */
  form?: boolean;
}

export interface BadEntry {
  name: string;
  path: string;
  /** Error code of a strict open (and of signing in strict mode). */
  strict: ErrorCode;
  /** Lenient mode: "recovers" (signing succeeds) or the code signing must fail with. */
  lenient: 'recovers' | ErrorCode;
}

export interface Corpus {
  dir: string;
  valid: CorpusEntry[];
  bad: BadEntry[];
}

let cached: Promise<Corpus> | undefined;

/** The corpus, built on first use in this process. */
export function getCorpus(): Promise<Corpus> {
  cached ??= buildCorpus();
  return cached;
}

async function pdfLibDoc(opts: { objectStreams: boolean; form: boolean }): Promise<Buffer> {
  const { PDFDocument, StandardFonts, rgb } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < 3; i++) {
    const page = doc.addPage([595, 842]);
    page.drawText(`pdf-lib page ${i + 1}`, { x: 72, y: 760, size: 24, font, color: rgb(0, 0, 0) });
  }
  if (opts.form) {
    const form = doc.getForm();
    const tf = form.createTextField('applicant.name');
    tf.setText('Jane Doe');
    tf.addToPage(doc.getPage(0), { x: 72, y: 600, width: 200, height: 24 });
    const cb = form.createCheckBox('agree');
    cb.check();
    cb.addToPage(doc.getPage(0), { x: 72, y: 560, width: 16, height: 16 });
  }
  return Buffer.from(await doc.save({ useObjectStreams: opts.objectStreams }));
}

async function pdfkitDoc(pages: number): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({ size: 'A4', autoFirstPage: false, compress: true });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((res) => doc.on('end', () => res()));
  for (let i = 0; i < pages; i++) {
    doc.addPage();
    doc.fontSize(20).text(`pdfkit page ${i + 1}`, 72, 72);
    doc.link(72, 120, 100, 20, 'https://example.org/');
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

async function buildCorpus(): Promise<Corpus> {
  const dir = freshTempDir('pdf-corpus');
  const valid: CorpusEntry[] = [];
  const bad: BadEntry[] = [];
  const put = (name: string, bytes: Buffer) => {
    const path = join(dir, `${name}.pdf`);
    writeFileSync(path, bytes);
    return path;
  };
  const add = (e: Omit<CorpusEntry, 'path'>, bytes: Buffer) => valid.push({ ...e, path: put(e.name, bytes) });

  // Hand-written: every header version 1.3 … 2.0 with a classic table.
  for (const v of ['1.3', '1.4', '1.5', '1.6', '1.7', '2.0']) {
    add({ name: `hand-classic-${v}`, producer: 'hand', pages: 2, xrefKind: 'table' }, buildPdf({ version: v, pages: 2 }));
  }
  add({ name: 'hand-xref-stream', producer: 'hand', pages: 12, xrefKind: 'stream' }, buildPdf({ xref: 'stream', pages: 12, fanout: 3 }));
  // qpdf cannot write hybrid-reference files, so we write one (§7.5.8.4).
  add({ name: 'hand-hybrid', producer: 'hand', pages: 5, xrefKind: 'table', hybrid: true }, buildPdf({ xref: 'hybrid', pages: 5, version: '1.5' }));
  add({ name: 'hand-many-revisions', producer: 'hand', pages: 3, xrefKind: 'table' }, addRevisions(buildPdf({ pages: 3 }), 25));
  add({ name: 'hand-1200-pages', producer: 'hand', pages: 1200, xrefKind: 'table' }, buildPdf({ pages: 1200, fanout: 6 }));
  add({ name: 'hand-junk-around', producer: 'hand', pages: 1, xrefKind: 'table' }, buildPdf({ junkBefore: 'X-Mailer junk line\r\n', junkAfter: '\r\n-- trailing garbage after EOF --\r\n' }));
  add({ name: 'hand-junk-around-xref-stream', producer: 'hand', pages: 3, xrefKind: 'stream' }, buildPdf({ xref: 'stream', pages: 3, junkBefore: 'Content-Type: application/pdf\r\n\r\n', junkAfter: '\r\n' }));
  add({ name: 'hand-cr-eol', producer: 'hand', pages: 2, xrefKind: 'table' }, buildPdf({ pages: 2, eol: '\r', version: '1.4' }));
  add({ name: 'hand-inherited-mediabox', producer: 'hand', pages: 4, xrefKind: 'table' }, buildPdf({ pages: 4, inheritMediaBox: true, mediaBox: [0, 0, 612, 792] }));
  add({ name: 'hand-annots-direct', producer: 'hand', pages: 2, xrefKind: 'table' }, buildPdf({ pages: 2, annotations: 'direct' }));
  add({ name: 'hand-annots-indirect', producer: 'hand', pages: 2, xrefKind: 'stream' }, buildPdf({ pages: 2, annotations: 'indirect', xref: 'stream' }));
  add({ name: 'hand-no-id', producer: 'hand', pages: 1, xrefKind: 'table' }, buildPdf({ withId: false }));
  // A 200 kB dictionary: the reader's parse window must grow past its first guess.
  add({ name: 'hand-big-dict', producer: 'hand', pages: 1, xrefKind: 'table' }, buildPdf({ catalogExtra: `/Big (${'x'.repeat(200_000)})` }));
  // Table section, then an xref-stream update on top (mixed /Prev chain).
  add({ name: 'hand-table-then-xref-stream', producer: 'hand', pages: 2, xrefKind: 'stream' }, addXrefStreamRevision(buildPdf({ pages: 2, version: '1.5' })));
  // Existing AcroForm shapes: direct in the catalog, and indirect with an indirect /Fields array.
  const field = (page: number) => `<< /FT /Tx /T (name) /V (Jane) /Type /Annot /Subtype /Widget /Rect [72 700 272 724] /P ${page} 0 R /F 4 >>`;
  add({ name: 'hand-acroform-direct', producer: 'hand', pages: 1, xrefKind: 'table', form: true }, classicPdf([
    '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /DA (/Helv 0 Tf 0 g) >> >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>',
    field(3),
  ], { version: '1.4' }));
  add({ name: 'hand-acroform-indirect-fields', producer: 'hand', pages: 1, xrefKind: 'table', form: true }, classicPdf([
    '<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots 7 0 R >>',
    field(3),
    '<< /Fields 6 0 R /SigFlags 0 >>',
    '[4 0 R]',
    '[4 0 R]',
  ]));

  // pdf-lib: object streams by default; with an AcroForm (text field + check box).
  add({ name: 'pdflib-objstm-form', producer: 'pdf-lib', pages: 3, xrefKind: 'stream', form: true }, await pdfLibDoc({ objectStreams: true, form: true }));
  add({ name: 'pdflib-classic-form', producer: 'pdf-lib', pages: 3, xrefKind: 'table', form: true }, await pdfLibDoc({ objectStreams: false, form: true }));

  // pdfkit (classic xref, link annotations), then qpdf reshapes it.
  const kit = await pdfkitDoc(6);
  const kitPath = put('pdfkit-classic', kit);
  valid.push({ name: 'pdfkit-classic', producer: 'pdfkit', pages: 6, xrefKind: 'table', path: kitPath });
  const q = (name: string, args: string[], e: Partial<CorpusEntry>) => {
    const out = join(dir, `${name}.pdf`);
    runOk('qpdf', [...args, kitPath, out]);
    valid.push({ name, producer: 'qpdf', pages: 6, path: out, ...e });
  };
  q('qpdf-object-streams', ['--object-streams=generate'], { xrefKind: 'stream' });
  q('qpdf-linearized', ['--linearize'], { xrefKind: 'table', linearized: true });
  q('qpdf-linearized-objstm', ['--linearize', '--object-streams=generate'], { xrefKind: 'stream', linearized: true });
  // QDF: uncompressed, with comments between objects.
  q('qpdf-qdf', ['--qdf'], { xrefKind: 'table' });

  // Ghostscript pdfwrite from a PostScript program.
  const ps = join(dir, 'gs-input.ps');
  writeFileSync(ps, '%!PS\n/Helvetica findfont 24 scalefont setfont\n1 1 3 { 72 700 moveto (Ghostscript page) show 72 650 moveto 3 string cvs show showpage } for\n');
  const gsOut = join(dir, 'ghostscript.pdf');
  runOk('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pdfwrite', `-sOutputFile=${gsOut}`, ps]);
  valid.push({ name: 'ghostscript', producer: 'ghostscript', pages: 3, path: gsOut });
  const gsLin = join(dir, 'ghostscript-linearized.pdf');
  runOk('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pdfwrite', '-dFastWebView=true', `-sOutputFile=${gsLin}`, ps]);
  valid.push({ name: 'ghostscript-linearized', producer: 'ghostscript', pages: 3, path: gsLin });
  // (poppler's `pdfsig -add-signature` would be a foreign signer for "already signed" inputs,
  // but 22.12 writes a digest-mismatched signature here, so our own first signature serves.)

  // LibreOffice: only when installed (see the header comment); not on the test image.
  if (hasTool('soffice')) {
    const txt = join(dir, 'lo-input.txt');
    writeFileSync(txt, 'LibreOffice corpus document\n');
    runOk('soffice', ['--headless', '--convert-to', 'pdf', '--outdir', dir, txt]);
    valid.push({ name: 'libreoffice', producer: 'libreoffice', pages: 1, path: join(dir, 'lo-input.pdf') });
  }

  // ---- damaged and refused inputs ----
  const base = buildPdf({ pages: 3 });
  const text = base.toString('latin1');
  // Every xref offset moved by 7 bytes: parses, but points into the middle of objects.
  const xrefAt = text.lastIndexOf('\nxref') + 1;
  const shifted = text.slice(0, xrefAt) + text.slice(xrefAt).replace(/^(\d{10}) 00000 n/gm, (_, o: string) => `${String(Number(o) + 7).padStart(10, '0')} 00000 n`);
  bad.push({ name: 'broken-offsets', path: put('broken-offsets', Buffer.from(shifted, 'latin1')), strict: 'PDF_ERR_BROKEN_XREF', lenient: 'recovers' });
  // startxref pointing nowhere useful.
  const badStart = text.replace(/startxref\n\d+/, 'startxref\n17');
  bad.push({ name: 'broken-startxref', path: put('broken-startxref', Buffer.from(badStart, 'latin1')), strict: 'PDF_ERR_BROKEN_XREF', lenient: 'recovers' });
  // Truncated before the xref: all objects present, no xref, trailer or startxref.
  bad.push({ name: 'truncated-no-xref', path: put('truncated-no-xref', base.subarray(0, xrefAt - 1)), strict: 'PDF_ERR_BROKEN_XREF', lenient: 'recovers' });
  // Truncated in the middle of the object data: the page tree nodes are gone.
  bad.push({ name: 'truncated-half', path: put('truncated-half', base.subarray(0, Math.floor(xrefAt * 0.5))), strict: 'PDF_ERR_BROKEN_XREF', lenient: 'PDF_ERR_MALFORMED' });
  // A /Prev chain that loops back on itself.
  const loop = Buffer.concat([base, Buffer.from(`xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 20 /Root 1 0 R /Prev ${base.length} >>\nstartxref\n${base.length}\n%%EOF\n`, 'latin1')]);
  bad.push({ name: 'prev-loop', path: put('prev-loop', loop), strict: 'PDF_ERR_BROKEN_XREF', lenient: 'recovers' });
  // A page tree whose node lists itself as a kid.
  const cyc = classicPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
  ]);
  bad.push({ name: 'page-tree-cycle', path: put('page-tree-cycle', cyc), strict: 'PDF_ERR_MALFORMED', lenient: 'PDF_ERR_MALFORMED' });
  // Encrypted (AES-256, empty user password): refused, never silently rewritten.
  const encPath = join(dir, 'encrypted.pdf');
  runOk('qpdf', ['--encrypt', '', 'owner-secret', '256', '--', kitPath, encPath]);
  bad.push({ name: 'encrypted-aes256', path: encPath, strict: 'PDF_ERR_ENCRYPTED', lenient: 'PDF_ERR_ENCRYPTED' });
  const enc2Path = join(dir, 'encrypted-rc4.pdf');
  runOk('qpdf', ['--allow-weak-crypto', '--encrypt', 'user', 'owner', '128', '--use-aes=n', '--', put('classic-for-rc4', base), enc2Path]);
  bad.push({ name: 'encrypted-rc4', path: enc2Path, strict: 'PDF_ERR_ENCRYPTED', lenient: 'PDF_ERR_ENCRYPTED' });
  // Not PDFs at all.
  bad.push({ name: 'not-pdf-png', path: put('not-pdf', Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')), strict: 'PDF_ERR_NOT_PDF', lenient: 'PDF_ERR_NOT_PDF' });
  bad.push({ name: 'not-pdf-empty', path: put('empty', Buffer.alloc(0)), strict: 'PDF_ERR_NOT_PDF', lenient: 'PDF_ERR_NOT_PDF' });
  bad.push({ name: 'header-only', path: put('header-only', Buffer.from('%PDF-1.7\n%just a header, no objects\n%%EOF\n')), strict: 'PDF_ERR_BROKEN_XREF', lenient: 'PDF_ERR_MALFORMED' });

  return { dir, valid, bad };
}

/** Reads a corpus file (small files only; the big-file paths stream). */
export const readCorpusFile = (e: { path: string }): Buffer => readFileSync(e.path);
