import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withFileSource } from '../../../src/infra/fs-byte-source.js';
import { finishSignatureFile, prepareSignatureFile } from '../../../src/infra/fs-pades.js';
import { listFields } from '../../../src/lib/pdf/acroform.js';
import { MemoryByteSource, N, PdfDict, PdfStream, PdfString, latin1, serialize } from '../../../src/lib/pdf/index.js';
import { PdfReader } from '../../../src/lib/pdf/reader.js';
import { extractSignatures } from '../../../src/lib/pades/extract.js';
import { formatByteRange } from '../../../src/lib/pades/placeholder.js';
import type { SignatureAppearance } from '../../../src/lib/pades/signature-field.js';
import { AppError } from '../../../src/shared/errors.js';
import { buildPdf } from '../../support/pdf-build.js';
import { getCorpus } from '../../support/pdf-corpus.js';
import { byteRangeFile, pdfsig } from '../../support/pdf-oracles.js';
import { assertSignedOk, signWithOpenssl } from '../../support/pdf-sign-flow.js';
import { opensslCmsSign, testPki } from '../../support/pdf-test-signer.js';
import { freshTempDir, run } from '../../support/pdf-tools.js';

const sha256File = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
};

test('every valid corpus file: signed once, then again; all oracles pass and the first signature stays valid', async () => {
  const { valid } = await getCorpus();
  const dir = freshTempDir('sign-corpus');
  for (const e of valid) {
    const once = join(dir, `${e.name}.1.pdf`);
    const twice = join(dir, `${e.name}.2.pdf`);
    const fieldsOf = (path: string) =>
      withFileSource(path, async (s) => new Map((await listFields(await PdfReader.open(s))).map((f) => [f.name, Buffer.from(serialize(f.dict)).toString('latin1')])));
    const before = await fieldsOf(e.path);
    await signWithOpenssl(e.path, once, { reason: 'Approval', location: 'Barcelona', name: 'Jane Test Signer' }, dir);
    await assertSignedOk(e.path, once, `${e.name} (1st)`, dir, 1);
    await signWithOpenssl(once, twice, { reason: 'Second approval' }, dir);
    const sigs = await assertSignedOk(once, twice, `${e.name} (2nd)`, dir, 2);
    assert.deepEqual(sigs.map((s) => s.fieldName), ['Signature1', 'Signature2'], `${e.name}: unique field names`);
    assert.equal(sigs[0]!.coversWholeFile, false, `${e.name}: 1st signature covers its revision only`);
    // Earlier form fields are still there and byte-for-byte the same objects.
    const after = await fieldsOf(twice);
    if (e.form) assert.ok(before.size > 0, `${e.name}: has form fields`);
    for (const [name, dict] of before) assert.equal(after.get(name), dict, `${e.name}: field ${name} unchanged`);
    assert.equal(after.size, before.size + 2);
  }
});

test('damaged inputs sign in lenient mode; refused inputs give their code and leave no output', async () => {
  const { bad } = await getCorpus();
  const dir = freshTempDir('sign-bad');
  for (const e of bad) {
    const strictOut = join(dir, `${e.name}.strict.pdf`);
    assert.equal(await codeOf(prepareSignatureFile(e.path, strictOut, { contentsSize: 8192, strict: true })), e.strict, `${e.name}: strict`);
    assert.equal(existsSync(strictOut), false, `${e.name}: no output after a strict refusal`);
    const out = join(dir, `${e.name}.pdf`);
    if (e.lenient === 'recovers') {
      await signWithOpenssl(e.path, out, {}, dir);
      await assertSignedOk(e.path, out, e.name, dir, 1);
    } else {
      assert.equal(await codeOf(prepareSignatureFile(e.path, out, { contentsSize: 8192 })), e.lenient, `${e.name}: lenient`);
      assert.equal(existsSync(out), false, `${e.name}: no output`);
    }
  }
});

test('the signature dictionary carries the PAdES entries; the field is an invisible locked widget', async () => {
  const dir = freshTempDir('sign-dict');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({ pages: 3 }));
  const out = join(dir, 'out.pdf');
  const when = new Date('2026-03-04T05:06:07.890Z');
  const p = await signWithOpenssl(src, out, { signingTime: when, reason: 'Raó', location: 'Bcn', contactInfo: 'jane@example.org', name: 'Jane', page: 2, fieldName: 'Approval' }, dir);
  assert.equal(p.signingTime, '2026-03-04T05:06:07.000Z');
  assert.equal(p.pageIndex, 2);
  const r = await PdfReader.open(new MemoryByteSource(readFileSync(out)), { strict: true });
  const [field] = await listFields(r);
  assert.equal(field!.name, 'Approval');
  const w = field!.dict;
  assert.ok(N('Widget') === w.get('Subtype') && N('Sig') === w.get('FT'));
  assert.equal(w.get('F'), 132);
  assert.deepEqual(w.get('Rect'), [0, 0, 0, 0]);
  const page = await r.getPage(2);
  assert.ok((page.dict.get('Annots') as unknown[]).some((a) => String(a) === String(field!.ref)));
  assert.ok(String(w.get('P')) === String(page.ref));
  const sig = (await r.resolveDict(w.get('V')))!;
  assert.equal(sig.get('Type'), N('Sig'));
  assert.equal(sig.get('Filter'), N('Adobe.PPKLite'));
  assert.equal(sig.get('SubFilter'), N('ETSI.CAdES.detached'));
  assert.equal((sig.get('M') as PdfString).asText(), "D:20260304050607+00'00'");
  assert.equal((sig.get('Reason') as PdfString).asText(), 'Raó');
  assert.equal((sig.get('ContactInfo') as PdfString).asText(), 'jane@example.org');
  const acro = (await r.resolveDict((await r.catalog()).get('AcroForm')))!;
  assert.equal(acro.get('SigFlags'), 3);
  // The ByteRange text has room for files past 10 GB.
  assert.match(readFileSync(out, 'latin1'), /\/ByteRange \[0 \d+ \d+ \d+ {20,}\]/);
  assert.equal(formatByteRange([0, 12_000_000_000, 12_000_065_538, 123]).length, formatByteRange([0, 1, 2, 3]).length);
});

test('SHA-384 and SHA-512 ByteRange digests', async () => {
  const dir = freshTempDir('sign-alg');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({ xref: 'stream' }));
  for (const alg of ['SHA-384', 'SHA-512'] as const) {
    const out = join(dir, `${alg}.pdf`);
    const p = await signWithOpenssl(src, out, { digestAlgorithm: alg }, dir);
    assert.equal(Buffer.from(p.digest, 'base64').length, alg === 'SHA-384' ? 48 : 64);
    await assertSignedOk(src, out, alg, dir, 1);
  }
});

test('finish refuses an oversized CMS, a wrong file and a second fill, writing nothing', async () => {
  const dir = freshTempDir('sign-finish');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({}));
  const out = join(dir, 'out.pdf');
  const p = await prepareSignatureFile(src, out, { contentsSize: 4096 });
  const before = sha256File(out);
  assert.equal(await codeOf(finishSignatureFile(out, p, new Uint8Array(4097))), 'PDF_ERR_CONTENTS_OVERFLOW');
  assert.equal(sha256File(out), before, 'overflow wrote nothing');
  assert.equal(await codeOf(finishSignatureFile(src, p, new Uint8Array(10).fill(0x30))), 'PDF_ERR_PLACEHOLDER_NOT_FOUND');
  assert.equal(await codeOf(finishSignatureFile(out, { ...p, contentsOffset: p.contentsOffset + 1 }, new Uint8Array(10))), 'PDF_ERR_PLACEHOLDER_NOT_FOUND');
  const cms = opensslCmsSign(byteRangeFile(out, p.byteRange, dir, 'br.bin'));
  assert.ok(cms.length <= 4096);
  await finishSignatureFile(out, p, cms);
  const filled = sha256File(out);
  assert.equal(await codeOf(finishSignatureFile(out, p, cms)), 'PDF_ERR_PLACEHOLDER_NOT_FOUND');
  assert.equal(sha256File(out), filled);
  await assertSignedOk(src, out, 'finish', dir, 1);
  // prepare refuses a destination that exists (no silent overwrite) and silly sizes.
  await assert.rejects(prepareSignatureFile(src, out, { contentsSize: 1024 }), /EEXIST/);
  assert.equal(sha256File(out), filled, 'an existing destination is never overwritten');
  assert.equal(await codeOf(prepareSignatureFile(src, join(dir, 'x.pdf'), { contentsSize: 10 })), 'API_ERR_INVALID_PARAMETER');
  assert.equal(existsSync(join(dir, 'x.pdf')), false);
});

test('a prepared digest is finished by another process from its JSON', async () => {
  const dir = freshTempDir('sign-json');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({ pages: 2, xref: 'hybrid' }));
  const out = join(dir, 'out.pdf');
  const p = await prepareSignatureFile(src, out, { contentsSize: 4096 });
  const json = JSON.stringify(p);
  const cmsPath = join(dir, 'cms.der');
  writeFileSync(cmsPath, opensslCmsSign(byteRangeFile(out, p.byteRange, dir, 'br.bin')));
  const mod = resolve(import.meta.dirname, '../../../src/infra/fs-pades.ts');
  const script = `import { finishSignatureFile } from ${JSON.stringify(mod)}; import { readFileSync } from 'node:fs';
    await finishSignatureFile(process.argv[1], JSON.parse(process.argv[2]), readFileSync(process.argv[3]));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, out, json, cmsPath], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  await assertSignedOk(src, out, 'json', dir, 1);
});

test('a requested field name is kept unique', async () => {
  const dir = freshTempDir('sign-names');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({}));
  const a = join(dir, 'a.pdf');
  const b = join(dir, 'b.pdf');
  await signWithOpenssl(src, a, { fieldName: 'Client' }, dir);
  const p = await signWithOpenssl(a, b, { fieldName: 'Client' }, dir);
  assert.equal(p.fieldName, 'Client_2');
  const sigs = await assertSignedOk(a, b, 'names', dir, 2);
  assert.deepEqual(sigs.map((s) => s.fieldName), ['Client', 'Client_2']);
  assert.equal(await codeOf(prepareSignatureFile(src, join(dir, 'bad.pdf'), { contentsSize: 4096, fieldName: 'a.b' })), 'API_ERR_INVALID_PARAMETER');
});

/** A trivial appearance: a filled dark rectangle covering the box (the real one is lib/pades/appearance). */
function boxAppearance(page: number, rect: [number, number, number, number]): SignatureAppearance {
  return {
    page,
    rect,
    build(alloc, box) {
      const ops = latin1(`0.1 0.2 0.6 rg 0 0 ${box.width} ${box.height} re f`);
      return alloc.add(new PdfStream(new PdfDict({ Type: N('XObject'), Subtype: N('Form'), BBox: [0, 0, box.width, box.height] }), ops));
    },
  };
}

function renderGray(pdf: string, page: number, dir: string, name: string): { w: number; h: number; px: Buffer } {
  const base = join(dir, name);
  const r = run('pdftoppm', ['-f', String(page + 1), '-l', String(page + 1), '-r', '72', '-gray', '-singlefile', pdf, base]);
  assert.equal(r.status, 0, r.stderr);
  const pgm = readFileSync(`${base}.pgm`);
  const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString('latin1'))!;
  const hdr = m[0].length;
  return { w: Number(m[1]), h: Number(m[2]), px: pgm.subarray(hdr) };
}

test('visible signature: the widget appearance is drawn inside the rectangle only', async () => {
  const dir = freshTempDir('sign-visible');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({ pages: 2, mediaBox: [0, 0, 600, 800] }));
  const out = join(dir, 'out.pdf');
  const rect: [number, number, number, number] = [100, 200, 300, 260];
  await signWithOpenssl(src, out, { appearance: boxAppearance(1, rect) }, dir);
  await assertSignedOk(src, out, 'visible', dir, 1);
  const a = renderGray(src, 1, dir, 'before');
  const b = renderGray(out, 1, dir, 'after');
  assert.equal(a.w, 600);
  assert.equal(b.h, 800);
  let inside = 0;
  let changedOutside = 0;
  for (let y = 0; y < b.h; y++) {
    for (let x = 0; x < b.w; x++) {
      const i = y * b.w + x;
      const pdfY = b.h - y - 0.5;
      const isInside = x + 0.5 > rect[0] && x + 0.5 < rect[2] && pdfY > rect[1] && pdfY < rect[3];
      if (isInside) {
        if (b.px[i]! < 128) inside++;
      } else if (a.px[i] !== b.px[i]) changedOutside++;
    }
  }
  assert.ok(inside >= 0.95 * (rect[2] - rect[0]) * (rect[3] - rect[1]), `dark pixels inside the rectangle: ${inside}`);
  assert.equal(changedOutside, 0, 'nothing outside the rectangle changed');
  // Bad rectangles are refused before anything is written.
  const bad = join(dir, 'bad.pdf');
  assert.equal(await codeOf(prepareSignatureFile(src, bad, { contentsSize: 4096, appearance: boxAppearance(0, [300, 200, 100, 260]) })), 'PDF_ERR_BAD_RECTANGLE');
  assert.equal(await codeOf(prepareSignatureFile(src, bad, { contentsSize: 4096, appearance: boxAppearance(0, [700, 900, 800, 1000]) })), 'PDF_ERR_BAD_RECTANGLE');
  assert.equal(await codeOf(prepareSignatureFile(src, bad, { contentsSize: 4096, appearance: boxAppearance(5, rect) })), 'PDF_ERR_PAGE_OUT_OF_RANGE');
  assert.equal(existsSync(bad), false);
});

test('extractSignatures reports ByteRange, CMS, SubFilter and names', async () => {
  const dir = freshTempDir('sign-extract');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({}));
  const out = join(dir, 'out.pdf');
  const p = await signWithOpenssl(src, out, {}, dir);
  const [s] = await withFileSource(out, (x) => extractSignatures(x));
  assert.deepEqual(s!.byteRange, p.byteRange);
  assert.equal(s!.subFilter, 'ETSI.CAdES.detached');
  assert.equal(s!.type, 'Sig');
  assert.equal(s!.contents.length, p.contentsLength);
  assert.equal(s!.cms[0], 0x30);
  assert.ok(s!.cms.length < s!.contents.length);
  assert.equal(s!.coversWholeFile, true);
  // The pdfsig oracle agrees on the signed ranges.
  const rep = pdfsig(out, testPki().nssDir)[0]!;
  assert.match(rep.raw, new RegExp(`\\[0 - ${p.byteRange[1]}\\], \\[${p.byteRange[2]} - ${p.byteRange[2] + p.byteRange[3]}\\]`));
});

test('digest-only flow: a PAdES CMS built by lib/cms from the prepared digest validates', async () => {
  const { encodeSignedAttributes, assembleSignedData } = await import('../../../src/lib/cms/index.js');
  const { createPrivateKey, sign } = await import('node:crypto');
  const pki = testPki();
  const dir = freshTempDir('sign-libcms');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({ pages: 2, xref: 'stream' }));
  const out = join(dir, 'out.pdf');
  const p = await prepareSignatureFile(src, out, { contentsSize: 8192 });
  // Only the digest crosses to the signer (DESIGN.md §1 invariant).
  const signedAttributes = encodeSignedAttributes({
    profile: 'pades',
    digestAlgorithm: 'sha256',
    messageDigest: Buffer.from(p.digest, 'base64'),
    signerCertificate: pki.eeDer,
  });
  const signature = sign('sha256', signedAttributes, { key: createPrivateKey(readFileSync(pki.eeKey)), dsaEncoding: 'der' });
  const cms = assembleSignedData({ signedAttributes, signature, signerCertificate: pki.eeDer, certificates: [pki.rootDer], digestAlgorithm: 'sha256', keyAlgorithm: 'EC-P256' });
  await finishSignatureFile(out, p, cms);
  await assertSignedOk(src, out, 'lib/cms', dir, 1);
});

test('the ports path (ByteSource → ByteSink, one read pass) and the file path (kernel copy ∥ hash) agree byte for byte', async () => {
  const { FileByteSource } = await import('../../../src/infra/fs-byte-source.js');
  const { FileSink } = await import('../../../src/infra/fs-file.js');
  const { prepareSignature } = await import('../../../src/lib/pades/prepare.js');
  const dir = freshTempDir('sign-paths');
  const src = join(dir, 'in.pdf');
  // 3 MB of junk after %%EOF: several 1 MiB chunks, so the streaming loops turn more than once.
  writeFileSync(src, buildPdf({ pages: 3, junkAfter: `\n${'j'.repeat(3 * 1024 * 1024)}\n` }));
  const { valid } = await getCorpus();
  for (const e of [{ path: src, name: 'multi-chunk' }, valid.find((x) => x.name === 'hand-1200-pages')!]) {
    const opts = { contentsSize: 4096, signingTime: new Date('2026-05-05T05:05:05Z'), newId: new Uint8Array(16).fill(7) };
    const a = join(dir, `${e.name}-ports.pdf`);
    const b = join(dir, `${e.name}-file.pdf`);
    const source = await FileByteSource.open(e.path);
    const sink = await FileSink.create(a);
    const pa = await prepareSignature(source, sink, opts);
    await sink.close();
    await source.close();
    const pb = await prepareSignatureFile(e.path, b, opts);
    assert.deepEqual(pa, pb);
    assert.equal(sha256File(a), sha256File(b));
    // And from memory (no readInto: fresh chunks instead of recycled buffers).
    const chunks: Buffer[] = [];
    const pc = await prepareSignature(new MemoryByteSource(readFileSync(e.path)), { write: async (c) => void chunks.push(Buffer.from(c)) }, opts);
    assert.deepEqual(pc, pa);
    assert.equal(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'), sha256File(a));
  }
});

test('contentsSizeFor: real CMS (with and without a timestamp token) fits the computed reservation', async () => {
  const { contentsSizeFor } = await import('../../../src/lib/pades/contents-size.js');
  const { opensslTimestampToken } = await import('../../support/pdf-test-signer.js');
  const pki = testPki();
  const dir = freshTempDir('sign-size');
  const content = join(dir, 'content.bin');
  writeFileSync(content, 'ByteRange bytes stand-in');
  const cms = opensslCmsSign(content);
  const size = contentsSizeFor({ certificates: [pki.eeDer, pki.rootDer] });
  assert.ok(cms.length <= size && size % 1024 === 0, `${cms.length} <= ${size}`);
  assert.ok(size < cms.length * 3, 'not wasteful');
  const tok = opensslTimestampToken(content);
  // A B-T CMS = the B-B CMS + the token in an unsigned attribute (+ a few bytes of framing).
  assert.ok(cms.length + tok.length + 32 <= contentsSizeFor({ certificates: [pki.eeDer, pki.rootDer], timestampToken: tok.length }));
  assert.ok(contentsSizeFor({ certificates: [pki.eeDer], timestampToken: true }) > contentsSizeFor({ certificates: [pki.eeDer] }));
  assert.throws(() => contentsSizeFor({ certificates: [5 * 1024 * 1024] }), (e) => e instanceof AppError && e.code === 'PDF_ERR_UNSUPPORTED');
});

test('visible signature through lib/pades/appearance (text in an embedded font subset): drawn, valid', async () => {
  const { createAppearance } = await import('../../../src/lib/pades/appearance/index.js');
  const font = readFileSync(resolve(import.meta.dirname, '../../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));
  const dir = freshTempDir('sign-appearance');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({ pages: 1, mediaBox: [0, 0, 600, 800], xref: 'stream' }));
  const out = join(dir, 'out.pdf');
  const rect: [number, number, number, number] = [50, 50, 350, 150];
  const appearance = createAppearance({ page: 0, rect }, { font }, { CN: 'Jane Test Signer', date: new Date('2026-01-01T10:00:00Z'), L: 'Barcelona' });
  await signWithOpenssl(src, out, { appearance }, dir);
  await assertSignedOk(src, out, 'appearance', dir, 1);
  const a = renderGray(src, 0, dir, 'a');
  const b = renderGray(out, 0, dir, 'b');
  let inside = 0;
  let outside = 0;
  for (let y = 0; y < b.h; y++) {
    for (let x = 0; x < b.w; x++) {
      const i = y * b.w + x;
      const py = b.h - y - 0.5;
      const isIn = x + 0.5 > rect[0] && x + 0.5 < rect[2] && py > rect[1] && py < rect[3];
      if (a.px[i] !== b.px[i]) {
        if (isIn) inside++;
        else outside++;
      }
    }
  }
  assert.ok(inside > 200, `text pixels inside the rectangle: ${inside}`);
  assert.equal(outside, 0, 'nothing outside the rectangle changed');
});

test('a document certified with DocMDP P=1 refuses another signature but takes a document timestamp', async () => {
  const { classicPdf } = await import('../../support/pdf-build.js');
  const { prepareDocumentTimestampFile } = await import('../../../src/infra/fs-pades.js');
  const dir = freshTempDir('sign-docmdp');
  const certified = (p: number) =>
    classicPdf([
      '<< /Type /Catalog /Pages 2 0 R /Perms << /DocMDP 4 0 R >> >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
      `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P ${p} /V /1.2 >> >>] /ByteRange [0 0 0 0] /Contents <00> >>`,
    ]);
  const p1 = join(dir, 'p1.pdf');
  writeFileSync(p1, certified(1));
  assert.equal(await codeOf(prepareSignatureFile(p1, join(dir, 'x.pdf'), { contentsSize: 4096 })), 'PDF_ERR_CERTIFIED_NO_CHANGES');
  assert.equal(existsSync(join(dir, 'x.pdf')), false);
  const ts = await prepareDocumentTimestampFile(p1, join(dir, 'ts.pdf'), { contentsSize: 4096 });
  assert.equal(ts.kind, 'timestamp');
  const p2 = join(dir, 'p2.pdf');
  writeFileSync(p2, certified(2));
  assert.equal((await prepareSignatureFile(p2, join(dir, 'y.pdf'), { contentsSize: 4096 })).kind, 'signature');
});
