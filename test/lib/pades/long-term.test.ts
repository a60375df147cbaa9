import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFileSource } from '../../../src/infra/fs-byte-source.js';
import { appendDssToFile } from '../../../src/infra/fs-pades.js';
import { PdfReader } from '../../../src/lib/pdf/reader.js';
import { MemoryByteSource, N, PdfDict, PdfRef, PdfStream, decodeStream, isDict } from '../../../src/lib/pdf/index.js';
import { extractSignatures } from '../../../src/lib/pades/extract.js';
import { AppError } from '../../../src/shared/errors.js';
import { buildPdf } from '../../support/pdf-build.js';
import { assertQpdfCheck, isBytePrefix, pdfsig } from '../../support/pdf-oracles.js';
import { assertSignedOk, signWithOpenssl, timestampWithOpenssl } from '../../support/pdf-sign-flow.js';
import { opensslCrl, opensslOcspResponse, testPki } from '../../support/pdf-test-signer.js';
import { freshTempDir, runBytes, runOk } from '../../support/pdf-tools.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function dssOf(path: string): Promise<{ r: PdfReader; dss: PdfDict; items: (key: string) => Promise<Buffer[]> }> {
  const r = await PdfReader.open(new MemoryByteSource(readFileSync(path)), { strict: true });
  const dss = (await r.resolveDict((await r.catalog()).get('DSS')))!;
  assert.ok(dss, 'catalog has /DSS');
  const items = async (key: string) => {
    const arr = ((await r.resolve(dss.get(key))) ?? []) as PdfRef[];
    const out: Buffer[] = [];
    for (const ref of arr) {
      const s = (await r.getObject(ref)) as PdfStream;
      out.push(Buffer.from(decodeStream(s.dict, s.data)));
    }
    return out;
  };
  return { r, dss, items };
}

for (const xref of ['table', 'stream'] as const) {
  test(`B-LT then B-LTA on a ${xref} file: DSS with VRI, document timestamp, DSS again; signature stays valid`, async () => {
    const pki = testPki();
    const dir = freshTempDir(`lt-${xref}`);
    const src = join(dir, 'in.pdf');
    writeFileSync(src, buildPdf({ pages: 2, xref }));
    const signed = join(dir, 'signed.pdf');
    await signWithOpenssl(src, signed, {}, dir);
    const signedCopy = join(dir, 'signed-copy.pdf');
    writeFileSync(signedCopy, readFileSync(signed));

    // B-LT: certificates, an OCSP response and a CRL, plus a VRI entry for the signature.
    const [sig] = await withFileSource(signed, (s) => extractSignatures(s));
    const ocsp = opensslOcspResponse();
    const crl = opensslCrl();
    const res = await appendDssToFile(signed, {
      certs: [pki.eeDer, pki.rootDer],
      ocsps: [ocsp],
      crls: [crl],
      vri: [{ signatureContents: sig!.contents, certs: [pki.eeDer], ocsps: [ocsp], crls: [crl], time: new Date('2026-01-02T03:04:05Z') }],
    });
    assert.deepEqual(res.added, { certs: 2, ocsps: 1, crls: 1 });
    assert.ok(isBytePrefix(signedCopy, signed), 'the signed revision is a byte prefix');
    assertQpdfCheck(signed, 'after DSS');
    const { r, dss, items } = await dssOf(signed);
    assert.equal(r.lastXrefKind, xref, 'DSS increment keeps the xref kind');
    assert.deepEqual((await items('Certs')).map(sha256), [pki.eeDer, pki.rootDer].map(sha256));
    assert.deepEqual((await items('OCSPs')).map(sha256), [sha256(ocsp)]);
    assert.deepEqual((await items('CRLs')).map(sha256), [sha256(crl)]);
    // The VRI key is the uppercase SHA-1 of /Contents, computed independently by openssl.
    const contentsFile = join(dir, 'contents.bin');
    writeFileSync(contentsFile, sig!.contents);
    const expectKey = runOk('openssl', ['dgst', '-sha1', '-r', contentsFile]).split(' ')[0]!.toUpperCase();
    assert.deepEqual(res.vriKeys, [expectKey]);
    const vri = (await r.resolveDict(dss.get('VRI')))!;
    const entry = vri.get(expectKey) as PdfDict;
    assert.ok(isDict(entry) && Array.isArray(entry.get('Cert')) && Array.isArray(entry.get('OCSP')) && Array.isArray(entry.get('CRL')));
    const cat = await r.catalog();
    assert.ok(isDict(cat.get('Extensions')), 'ESIC extension declared');
    // qpdf decodes the stored OCSP response to the same bytes.
    const ocspRef = (dss.get('OCSPs') as PdfRef[])[0]!;
    const qpdfOut = join(dir, 'ocsp-from-qpdf.der');
    writeFileSync(qpdfOut, runBytes('qpdf', [`--show-object=${ocspRef.num}`, '--filtered-stream-data', signed]));
    runOk('openssl', ['ocsp', '-respin', qpdfOut, '-CAfile', pki.rootPem, '-issuer', pki.rootPem, '-cert', pki.eePem]);
    await assertSignedOk(src, signed, 'after DSS', dir, 1, { lastCoversWholeFile: false });

    // Same data again + one new certificate: nothing duplicated.
    const again = await appendDssToFile(signed, { certs: [pki.eeDer, pki.rootDer], ocsps: [ocsp] });
    assert.deepEqual(again.added, { certs: 0, ocsps: 0, crls: 0 });

    // B-LTA: document timestamp over everything so far, then DSS for the TSA certificate.
    const lta = join(dir, 'lta.pdf');
    const ts = await timestampWithOpenssl(signed, lta, dir);
    assert.equal(ts.kind, 'timestamp');
    const tsaDer = Buffer.from(readFileSync(pki.tsaPem, 'latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const sigs = await assertSignedOk(signed, lta, 'document timestamp', dir, 2);
    assert.equal(sigs[1]!.type, 'DocTimeStamp');
    assert.equal(sigs[1]!.subFilter, 'ETSI.RFC3161');
    assert.equal(sigs[1]!.coversWholeFile, true);
    const ltaCopy = join(dir, 'lta-copy.pdf');
    writeFileSync(ltaCopy, readFileSync(lta));
    const last = await appendDssToFile(lta, { certs: [tsaDer, pki.rootDer], vri: [{ signatureContents: sigs[1]!.contents, certs: [tsaDer] }] });
    assert.deepEqual(last.added, { certs: 1, ocsps: 0, crls: 0 });
    assert.ok(isBytePrefix(ltaCopy, lta));
    assertQpdfCheck(lta, 'after 2nd DSS');
    await assertSignedOk(src, lta, 'B-LTA', dir, 2, { lastCoversWholeFile: false });
    const final = await dssOf(lta);
    assert.equal((await final.items('Certs')).length, 3);
    const vri2 = (await final.r.resolveDict(final.dss.get('VRI')))!;
    assert.equal(vri2.map.size, 2, 'VRI keeps the first entry and adds the timestamp one');
    // pdfsig still validates the CMS signature.
    const rep = pdfsig(lta, pki.nssDir).find((x) => x.fieldName === 'Signature1')!;
    assert.ok(rep.signatureValid && rep.certificateTrusted, rep.raw);
  });
}

test('DSS on a catalog that already has /Extensions (Acrobat /ADBE): ESIC is added beside it', async () => {
  const pki = testPki();
  const dir = freshTempDir('lt-extensions');
  for (const [name, extra] of [
    ['direct', '/Extensions << /ADBE << /BaseVersion /1.7 /ExtensionLevel 3 >> >>'],
    ['esic-kept', '/Extensions << /ESIC << /BaseVersion /1.7 /ExtensionLevel 2 >> >>'],
  ] as const) {
    const src = join(dir, `${name}.pdf`);
    writeFileSync(src, buildPdf({ catalogExtra: extra }));
    const signed = join(dir, `${name}-signed.pdf`);
    await signWithOpenssl(src, signed, {}, dir);
    await appendDssToFile(signed, { certs: [pki.eeDer] });
    assertQpdfCheck(signed, name);
    const { r } = await dssOf(signed);
    const ext = (await r.resolveDict((await r.catalog()).get('Extensions')))!;
    const esic = (await r.resolveDict(ext.get('ESIC')))!;
    if (name === 'direct') {
      assert.equal(((await r.resolveDict(ext.get('ADBE')))!).get('ExtensionLevel'), 3, 'ADBE kept');
      assert.equal(esic.get('ExtensionLevel'), 5);
    } else assert.equal(esic.get('ExtensionLevel'), 2, 'an existing ESIC declaration is left as it is');
    await assertSignedOk(src, signed, name, dir, 1, { lastCoversWholeFile: false });
  }
});

test('DSS input that is not DER is refused and nothing is appended', async () => {
  const dir = freshTempDir('lt-bad');
  const src = join(dir, 'in.pdf');
  writeFileSync(src, buildPdf({}));
  const before = readFileSync(src);
  await assert.rejects(appendDssToFile(src, { certs: [Buffer.from('not der')] }), (e) => e instanceof AppError && e.code === 'API_ERR_INVALID_PARAMETER');
  assert.deepEqual(readFileSync(src), before);
  // An empty DSS request still yields a valid (if pointless) increment.
  await appendDssToFile(src, {});
  assertQpdfCheck(src);
  const r = await PdfReader.open(new MemoryByteSource(readFileSync(src)), { strict: true });
  assert.equal(((await r.resolveDict((await r.catalog()).get('DSS')))!).get('Type'), N('DSS'));
});
