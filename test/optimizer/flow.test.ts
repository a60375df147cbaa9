/**
 * Whole flows through the HTTP API: classic (PDFs + contract, visible appearance) and hash
 * (hashfile → .p7m), mixed, on every prefix; a restart between every two steps; wrong OTP,
 * OTP reuse and sign twice leave the state as it was; and no 32-byte window of any uploaded
 * PDF reaches the TSC.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdir, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePng } from '../support/optimizer-png.js';
import { buildPdf } from '../support/pdf-build.js';
import { FAKE_RAO, startFakeTsc, type FakeTsc } from '../support/fake-tsc.js';
import { startHarness, type Harness } from '../support/optimizer-harness.js';
import { findLeak, trafficWindows } from '../support/optimizer-leak.js';

let tsc: FakeTsc;
let h: Harness;
let scratch: string;
const PNG = makePng(60, 20);
const PERSON = { given_name: 'Ana', surname_1: 'García', surname_2: 'Núñez', email: 'ana@example.com', mobile_phone_number: '+34600111222', serial_number: '12345678Z' };

before(async () => {
  tsc = await startFakeTsc();
  h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey });
  scratch = await mkdtemp(join(tmpdir(), 'oneshot-flow-'));
});
after(async () => {
  await h.close();
  await tsc.close();
  await rm(scratch, { recursive: true, force: true });
});

async function qpdf(pdf: Buffer, name: string): Promise<void> {
  const p = join(scratch, name);
  await writeFile(p, pdf);
  // qpdf must be installed (scripts/setup-test-env.sh): a missing tool fails the test.
  const out = execFileSync('qpdf', ['--check', p], { encoding: 'utf8' });
  assert.match(out, /No syntax or stream encoding errors found/);
}

function mdAttr(digest: Buffer): string {
  return Buffer.concat([Buffer.from('302f06092a864886f70d01090431220420', 'hex'), digest]).toString('base64');
}

async function leftovers(pk: number): Promise<string[]> {
  const dir = join(h.config.optimizerDir, 'blobs', String(pk));
  return (await readdir(dir)).filter((f) => f.includes('.signing') || f.includes('.tmp'));
}

for (const prefix of ['/api/v1', '/oneshot/api/v1', '/oneshot/api/v1/api/v1']) {
  const gen = prefix === '/api/v1' ? 'B' : 'C';
  test(`classic + hash flow on ${prefix}, restarting between every step; only hashes leave`, async () => {
    const d = (r: { json: any }) => r.json.details;
    const step = async <T>(fn: () => Promise<T>): Promise<T> => {
      const v = await fn();
      await h.restart();
      return v;
    };
    tsc.requests.length = 0;
    const pdfA = buildPdf({ pages: 2 });
    const pdfB = buildPdf({ pages: 1, xref: 'stream' });
    const content = Buffer.from(`content signed in the hash flow ${prefix}`);
    const digest = createHash('sha256').update(content).digest();

    const img = await step(() => h.upload(`${prefix}/image`, [{ name: 'image', filename: 'sig.png', type: 'image/png', data: PNG }]));
    const imageUid = gen === 'B' ? d(img) : d(img).image_uid;
    const created = await step(() => h.call('POST', `${prefix}/${gen === 'B' ? 'request' : 'create'}`, { ...PERSON, ...FAKE_RAO, profile: 'PFnubeNC' }));
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const pk: number = gen === 'B' ? d(created) : d(created).pk;
    const up = await step(() => h.upload(`${prefix}/document/${pk}`, [
      { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: pdfA },
      { name: 'file2', filename: 'b.pdf', type: 'application/pdf', data: pdfB },
      { name: 'hashfile', filename: 'digest.json', type: 'application/json', data: JSON.stringify({ messageDigest: mdAttr(digest), digestAlgorithm: gen === 'B' ? 'sha256' : 'sha256WithRSAEncryption', addAuthAttribute: 1, addSigningTime: 1, otherAuthAttributes: [] }) },
    ]));
    assert.equal(up.status, 200, JSON.stringify(up.json));
    const [docA, docB, docH] = d(up) as { uid: string }[];
    const contract = await step(() => h.call('GET', gen === 'B' ? `${prefix}/document/${pk}/contract` : `${prefix}/contract/${pk}/`));
    assert.equal(contract.status, 200);
    const otp = await step(() => h.call('POST', `${prefix}/otp/${pk}`));
    assert.equal(otp.status, 200);
    const code = tsc.otps.get(pk)!;

    // Wrong OTP: 403, nothing stored, prepared files removed, still ENROLLREADY, retry possible.
    const wrong = await step(() => h.call('POST', `${prefix}/sign/${pk}`, { secret: code === '000000' ? '111111' : '000000' }));
    assert.equal(wrong.status, 403);
    assert.equal(gen === 'B' ? wrong.json.details : wrong.json.message, 'Confirmation Code invalid');
    assert.deepEqual(await leftovers(pk), []);
    assert.equal((await h.call('GET', `${prefix}/document/${pk}/signed/${docA!.uid}`)).status, 404);
    assert.equal((await h.call('GET', `${prefix}/request/${pk}`)).json.details.status, 'ENROLLREADY');

    const body = gen === 'B'
      ? { secret: code, options: { [docA!.uid]: { position: '50,50,250,120', page: 1, image: imageUid } }, signature_format: { text_format: ['Signed by %(CN)s', '%(DATE)s'], date_format: '%d/%m/%Y', timezone: 'Europe/Madrid' } }
      : { secret: code, signature: { appearance: { position: '50,50,250,120', page: 0, image: imageUid, text: ['Signed by %(CN)s'] } } };
    const signed = await step(() => h.call('POST', `${prefix}/sign/${pk}`, body));
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.equal(gen === 'B' ? signed.json.details : signed.json.message, 'Documents correctly signed');

    // Sign twice / OTP reuse: 412, nothing changes.
    const twice = await step(() => h.call('POST', `${prefix}/sign/${pk}`, { secret: code }));
    assert.equal(twice.status, 412);
    assert.equal(gen === 'B' ? twice.json.details : twice.json.message, 'Request already in ISSUED status');

    for (const [doc, original] of [[docA!, pdfA], [docB!, pdfB]] as const) {
      const s = gen === 'B'
        ? await h.call('GET', `${prefix}/document/${pk}/signed/${doc.uid}`)
        : await h.call('GET', `${prefix}/document/${pk}/${doc.uid}?document_type=signed`);
      assert.equal(s.status, 200);
      assert.ok(s.body.subarray(0, original.length).equals(original), 'incremental update keeps the original bytes');
      assert.ok(s.body.includes('/ByteRange'));
      await qpdf(s.body, `${pk}-${doc.uid}.pdf`);
    }
    const p7m = await h.call('GET', `${prefix}/document/${pk}/signed/${docH!.uid}`);
    assert.equal(p7m.status, 200);
    assert.equal(p7m.headers['content-type'], 'application/pkcs7-mime');
    const signedContract = await h.call('GET', `${prefix}/document/${pk}/contract`);
    assert.ok(signedContract.body.includes('/ByteRange'), 'the contract is signed too');
    const listed = await h.call('GET', `${prefix}/documents/${pk}`);
    assert.equal(Object.values(d(listed)).filter((x: any) => x.signed).length, 3);

    // Exactly one sign call carried all digests: 2 PDFs + contract + 1 hash.
    const signCalls = tsc.requests.filter((r) => r.url === `/tsc/v1/requests/${pk}/sign`);
    const ok = signCalls.map((r) => JSON.parse(r.body.toString())).filter((b) => b.secret === code);
    assert.equal(ok[0].digests.length, 4);
    assert.deepEqual(ok[0].digests.map((x: any) => x.format).sort(), ['cades', 'pades', 'pades', 'pades']);
    assert.equal(ok[0].digests.find((x: any) => x.format === 'cades').digest, digest.toString('base64'));

    const windows = trafficWindows(tsc.requests);
    for (const doc of [pdfA, pdfB]) assert.equal(findLeak(doc, windows), -1, 'a document byte sequence reached the TSC');

    const del = await h.call('DELETE', gen === 'B' ? `${prefix}/documents/${pk}` : `${prefix}/document/${pk}`);
    assert.equal(del.status, 200);
  });
}
