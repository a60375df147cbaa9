/**
 * Signature levels end to end (issue 5): the Optimizer against the REAL TSC listening on a
 * loopback port whose public URL is in the certificates (AIA OCSP, CRL DP), so pdfsig checks
 * revocation online and B-LT collects from it. For B-B, B-T, B-LT and B-LTA, on PDFs of several
 * shapes plus the service contract:
 *  - the original is a byte prefix; qpdf --check; pdfsig: valid, trusted;
 *  - PDFBox + BouncyCastle: CMS valid; the signature timestamp's imprint is the hash of the
 *    SignatureValue and the token verifies; `openssl ts -verify` agrees;
 *  - B-LT: the DSS (read by qpdf) holds the single-use certificate's OCSP response (openssl:
 *    good) and the issuing CA's CRL (openssl crl verifies), the TSA's validation data, a VRI;
 *  - B-LTA: the document timestamp's imprint equals the hash of its ByteRange (PDFBox, and
 *    `openssl ts -verify -data <ByteRange bytes>`), and it covers the DSS revision.
 * The hash flow's .p7m carries B-T. Revoking the certificate afterwards shows in OCSP and the CRL.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateInfo, parseSignedData } from '../../src/lib/cms/index.js';
import { extractSignatures } from '../../src/lib/pades/extract.js';
import { FileByteSource } from '../../src/infra/fs-byte-source.js';
import { getCorpus } from '../support/pdf-corpus.js';
import { startRealTsc, type RealTsc } from '../support/optimizer-tsc.js';
import { assertQpdfCheck, byteRangeFile, isBytePrefix } from '../support/pdf-oracles.js';
import { pdfboxVerify } from '../support/pdfbox-oracle.js';
import { startHarness, type Harness } from '../support/optimizer-harness.js';
import { opensslCrlText, opensslOcspStatus, opensslTsVerify, pdfsigOnline, qpdfDss, signatureTimestamp } from '../support/level-oracles.js';
import { opensslOk } from '../support/openssl.js';

const PERSON = { given_name: 'Lucía', surname_1: 'Pérez', surname_2: 'Gómez', email: 'lucia@example.com', mobile_phone_number: '+34600333444', serial_number: '87654321X' };
const SHAPES = ['hand-xref-stream', 'hand-hybrid', 'qpdf-linearized', 'pdflib-objstm-form'];
const LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;

let tsc: RealTsc;
let h: Harness;
let scratch: string;
let nss: string;
const pem = { root: '', issuing: '', untrusted: '', chain: '' };

before(async () => {
  tsc = await startRealTsc();
  h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey });
  scratch = await mkdtemp(join(tmpdir(), 'oneshot-levels-'));
  const get = async (p: string) => (await fetch(`${tsc.directUrl}${p}`)).text();
  pem.root = join(scratch, 'root.pem');
  pem.issuing = join(scratch, 'issuing.pem');
  pem.untrusted = join(scratch, 'untrusted.pem');
  pem.chain = join(scratch, 'chain.pem');
  await writeFile(pem.root, await get('/pki/root.pem'));
  await writeFile(pem.issuing, await get('/pki/issuing.pem'));
  await writeFile(pem.untrusted, (await get('/pki/tsa.pem')) + (await get('/pki/issuing.pem')));
  await writeFile(pem.chain, (await get('/pki/issuing.pem')) + (await get('/pki/root.pem')));
  nss = join(scratch, 'nss');
  await mkdir(nss);
  execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'oneshot-root', '-t', 'CT,C,C', '-i', pem.root]);
});
after(async () => {
  await h?.close();
  await tsc?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function mdAttr(digest: Buffer): string {
  return Buffer.concat([Buffer.from('302f06092a864886f70d01090431220420', 'hex'), digest]).toString('base64');
}

async function signatures(path: string) {
  const src = await FileByteSource.open(path);
  try {
    return await extractSignatures(src);
  } finally {
    await src.close();
  }
}

/** Creates a request with the PDFs (and a hashfile), sends the OTP and signs at `level`. */
async function signAt(level: string, pdfs: Buffer[], extra: Record<string, unknown> = {}) {
  const created = await h.call('POST', '/api/v1/request', { ...PERSON, ...tsc.rao, profile: 'PFnubeQAFCiudadano' });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const pk: number = created.json.details;
  const content = Buffer.from(`hash-flow content at ${level}`);
  const up = await h.upload(`/api/v1/document/${pk}`, [
    ...pdfs.map((data, i) => ({ name: `file${i}`, filename: `d${i}.pdf`, type: 'application/pdf', data })),
    { name: 'hashfile', filename: 'h.json', type: 'application/json', data: JSON.stringify({ messageDigest: mdAttr(createHash('sha256').update(content).digest()), digestAlgorithm: 'sha256', addAuthAttribute: 1, addSigningTime: 0, otherAuthAttributes: [] }) },
  ]);
  assert.equal(up.status, 200, JSON.stringify(up.json));
  const uids = (up.json.details as { uid: string }[]).map((d) => d.uid);
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/contract`)).status, 200);
  assert.equal((await h.call('POST', `/api/v1/otp/${pk}`)).status, 200);
  const code = await tsc.lastOtp(pk);
  const signed = await h.call('POST', `/api/v1/sign/${pk}`, { secret: code, level, ...extra });
  return { pk, uids, content, code, signed };
}

describe('signature levels on PDFs of several shapes (real TSC, online OCSP)', () => {
  for (const level of LEVELS) {
    test(`${level}: every PDF and the contract`, async () => {
      const corpus = await getCorpus();
      const files = SHAPES.map((n) => corpus.valid.find((e) => e.name === n)!);
      assert.equal(files.filter(Boolean).length, SHAPES.length);
      const originals = await Promise.all(files.map((f) => readFile(f.path)));
      const { pk, uids, content, signed } = await signAt(level, originals);
      assert.equal(signed.status, 200, JSON.stringify(signed.json));
      assert.equal(signed.json.details, 'Documents correctly signed');
      assert.equal(signed.headers['x-signature-level'], level);
      assert.equal(signed.headers['x-signature-requested-level'], level);

      const targets = [
        ...files.map((f, i) => ({ name: f.name, url: `/api/v1/document/${pk}/signed/${uids[i]}`, original: originals[i]! })),
        { name: 'contract', url: `/api/v1/document/${pk}/contract`, original: null },
      ];
      let signerSerial = '';
      for (const t of targets) {
        const label = `${level}-${t.name}`;
        const res = await h.call('GET', t.url);
        assert.equal(res.status, 200, label);
        const path = join(scratch, `${pk}-${t.name}.pdf`);
        await writeFile(path, res.body);
        if (t.original) {
          await writeFile(`${path}.orig`, t.original);
          assert.ok(isBytePrefix(`${path}.orig`, path), `${label}: the original is a byte prefix`);
        }
        assertQpdfCheck(path, label);

        // pdfsig, with the AIA OCSP responder (the TSC) reachable.
        const ps = await pdfsigOnline(path, nss);
        assert.ok(ps[0]?.signatureValid, `${label}: pdfsig\n${ps[0]?.raw}`);
        assert.ok(ps[0]?.certificateTrusted, `${label}: pdfsig trust\n${ps[0]?.raw}`);
        assert.equal(ps[0]?.totalDocumentSigned, level === 'B-B' || level === 'B-T', `${label}: total document signed only without later increments`);

        const sigs = await signatures(path);
        const main = sigs.find((s) => s.subFilter === 'ETSI.CAdES.detached')!;
        const cms = main.cms;
        const box = pdfboxVerify(path);
        const b0 = box.signatures.find((s) => s.subFilter === 'ETSI.CAdES.detached')!;
        assert.equal(b0.cmsValid, true, `${label}: PDFBox ${JSON.stringify(b0)}`);
        assert.equal(b0.signingCertificateV2, true);
        assert.equal(b0.signingTime, false);
        assert.equal(b0.signatureTimestamp, level !== 'B-B', label);
        const tst = signatureTimestamp(cms);
        if (level === 'B-B') {
          assert.equal(tst, null);
        } else {
          assert.equal(b0.tstImprintMatches, true, label);
          assert.equal(b0.tstValid, true, label);
          const v = opensslTsVerify(tst!.token, { sha256Of: tst!.signatureValue }, pem.root, pem.untrusted, scratch, label);
          assert.ok(v.ok, `${label}: openssl ts -verify\n${v.out}`);
        }

        const dss = qpdfDss(path);
        const docTs = box.signatures.find((s) => s.docTimestamp);
        if (level === 'B-B' || level === 'B-T') {
          assert.equal(dss, null, label);
          assert.equal(box.dss, null);
          assert.equal(docTs, undefined);
          continue;
        }
        // B-LT: the DSS as qpdf reads it.
        assert.ok(dss, `${label}: a DSS`);
        const signer = parseSignedData(cms).certificates.find((c) => /LUC/i.test(Buffer.from(certificateInfo(c).subject).toString('latin1')))!;
        signerSerial = certificateInfo(signer).serialNumberHex;
        assert.ok(dss.certs.some((c) => c.equals(Buffer.from(signer))), `${label}: the signer certificate is in the DSS`);
        assert.ok(dss.certs.length >= 5, `${label}: signer, issuing, root, TSA unit, OCSP responder (${dss.certs.length})`);
        const statuses = dss.ocsps.map((o, i) => opensslOcspStatus(o, pem.issuing, signerSerial, pem.root, scratch, `${label}-${i}`));
        assert.ok(statuses.some((s) => /Response verify OK/.test(s) && new RegExp(`0x${signerSerial}: good`, 'i').test(s)), `${label}: the signer's OCSP response\n${statuses.join('\n')}`);
        assert.ok(dss.ocsps.length >= 2, `${label}: also the TSA certificate's OCSP response`);
        const crlTexts = dss.crls.map((c, i) => opensslCrlText(c, pem.chain, scratch, `${label}-${i}`));
        assert.ok(crlTexts.some((t) => /Issuer: .*Issuing CA/.test(t)), `${label}: the issuing CA's CRL`);
        assert.ok(crlTexts.some((t) => /Issuer: .*Root CA/.test(t)), `${label}: the root's CRL`);
        const vriKey = createHash('sha1').update(main.contents).digest('hex').toUpperCase();
        assert.ok(dss.vri.includes(vriKey), `${label}: VRI for the signature`);
        assert.ok(box.dss && box.dss.OCSPs === dss.ocsps.length && box.dss.CRLs === dss.crls.length && box.dss.VRI >= 1, `${label}: PDFBox DSS ${JSON.stringify(box.dss)}`);

        if (level === 'B-LT') {
          assert.equal(docTs, undefined);
          continue;
        }
        // B-LTA: the document timestamp covers everything before it, including the DSS.
        assert.ok(docTs, `${label}: a document timestamp`);
        assert.equal(docTs.imprintMatches, true, label);
        assert.equal(docTs.tstValid, true, label);
        assert.equal(docTs.coversWholeFile, true, label);
        const ts = sigs.find((s) => s.subFilter === 'ETSI.RFC3161')!;
        const br = byteRangeFile(path, ts.byteRange, scratch, `${label}.br`);
        const v = opensslTsVerify(ts.cms, { data: br }, pem.root, pem.untrusted, scratch, `${label}-doc`);
        assert.ok(v.ok, `${label}: openssl ts -verify of the document timestamp\n${v.out}`);
        const dssAt = res.body.lastIndexOf('/DSS');
        assert.ok(dssAt > 0 && dssAt < ts.byteRange[1], `${label}: the DSS revision lies inside the document timestamp's ByteRange`);
      }

      // The .p7m of the hash flow: B-T for every timestamped level (DSS/doc timestamps are PDF structures).
      const p7m = await h.call('GET', `/api/v1/document/${pk}/signed/${uids[uids.length - 1]}`);
      assert.equal(p7m.status, 200);
      const pt = signatureTimestamp(new Uint8Array(p7m.body));
      assert.equal(pt !== null, level !== 'B-B', `${level}: .p7m timestamp`);
      if (pt) assert.ok(opensslTsVerify(pt.token, { sha256Of: pt.signatureValue }, pem.root, pem.untrusted, scratch, `${level}-p7m`).ok);
      await writeFile(join(scratch, `${pk}.bin`), content);
      await writeFile(join(scratch, `${pk}.p7m`), p7m.body);
      execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(scratch, `${pk}.p7m`), '-content', join(scratch, `${pk}.bin`), '-CAfile', pem.root, '-purpose', 'any', '-out', '/dev/null'], { stdio: 'pipe' });

      if (level === 'B-LT') {
        // Revoking the certificate afterwards: openssl ocsp says revoked, the next CRL lists it.
        const admin = { authorization: `Bearer ${tsc.app.tsc.config.adminApiKey}`, 'content-type': 'application/json' };
        const rv = await fetch(`${tsc.directUrl}/tsc/v1/admin/certificates/${signerSerial}/revoke`, { method: 'POST', headers: admin, body: JSON.stringify({ reason: 'keyCompromise' }) });
        assert.equal(rv.status, 200);
        const signerPem = join(scratch, 'signer.pem');
        const cert = (await h.call('GET', `/api/v1/request/${pk}`)).json.details.certificate_set[0].data as string;
        await writeFile(signerPem, `-----BEGIN CERTIFICATE-----\n${cert}\n-----END CERTIFICATE-----\n`);
        // Asynchronously: the responder is this process.
        const o = await opensslOk(['ocsp', '-issuer', pem.issuing, '-cert', signerPem, '-url', `${tsc.directUrl}/ocsp`, '-CAfile', pem.root]);
        assert.match(o.stdout, /signer\.pem: revoked/);
        const crl = new Uint8Array(await (await fetch(`${tsc.directUrl}/pki/crl/issuing.crl`)).arrayBuffer());
        assert.match(opensslCrlText(crl, pem.chain, scratch, 'after-revoke'), new RegExp(`Serial Number: ${signerSerial.toUpperCase()}`));
      }
    });
  }
});
