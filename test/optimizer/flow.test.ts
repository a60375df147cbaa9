/**
 * Whole flows through the HTTP API against the REAL TSC (in-process, behind a recording proxy):
 * classic (PDFs + contract, visible appearance) and hash (hashfile → .p7m), mixed, on every
 * prefix; a restart between every two steps; wrong OTP and sign twice leave the state as it was.
 * Oracles: qpdf --check, pdfsig (root trusted in an NSS db), openssl cms -verify; and no 32-byte
 * window of any uploaded PDF is in what the TSC received.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePng } from '../support/optimizer-png.js';
import { buildPdf } from '../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../support/optimizer-tsc.js';
import { byteRangeFile, opensslCmsVerify } from '../support/pdf-oracles.js';
import { startHarness, type Harness } from '../support/optimizer-harness.js';
import { findLeak, trafficWindows } from '../support/optimizer-leak.js';

let tsc: RealTsc;
let nss: string;
let rootPem: string;
let h: Harness;
let scratch: string;
/** Requests the TSC received NOT through the recording proxy (they would escape the leak check). */
const bypass: string[] = [];
const PNG = makePng(60, 20);
const PERSON = { given_name: 'Ana', surname_1: 'García', surname_2: 'Núñez', email: 'ana@example.com', mobile_phone_number: '+34600111222', serial_number: '12345678Z' };

before(async () => {
  tsc = await startRealTsc();
  // The proxy forwards the Host header it was sent, so anything else reached the TSC directly.
  const proxyHost = new URL(tsc.url).host;
  tsc.app.server.on('request', (req: { method?: string; url?: string; headers: { host?: string } }) => {
    if (req.headers.host !== proxyHost) bypass.push(`${req.method} ${req.url}`);
  });
  h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey });
  scratch = await mkdtemp(join(tmpdir(), 'oneshot-flow-'));
  rootPem = join(scratch, 'root.pem');
  await writeFile(rootPem, await tsc.rootPem());
  nss = join(scratch, 'nss');
  await mkdir(nss);
  // certutil (libnss3-tools) must be installed: a missing tool fails the test.
  execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'oneshot-root', '-t', 'CT,C,C', '-i', rootPem]);
});
after(async () => {
  await h.close();
  await tsc.close();
  await rm(scratch, { recursive: true, force: true });
});

/** qpdf --check and pdfsig on a signed PDF; returns pdfsig's report of each signature. */
async function checkSignedPdf(pdf: Buffer, name: string) {
  const p = join(scratch, name);
  await writeFile(p, pdf);
  // qpdf and pdfsig must be installed (scripts/setup-test-env.sh): a missing tool fails the test.
  const out = execFileSync('qpdf', ['--check', p], { encoding: 'utf8' });
  assert.match(out, /No syntax or stream encoding errors found/);
  // -no-ocsp: the TSC does not serve OCSP yet and NSS then waits ~2 min per file; pdfsig's
  // certificate verdict needs OCSP ("Unknown issue" without it), so the chain to the trusted
  // root is checked by openssl instead, on the CMS pdfsig dumps and the ByteRange bytes.
  const sig = spawnSync("pdfsig", ["-nssdir", `sql:${nss}`, "-no-ocsp", p], { encoding: "utf8" });
  const raw = sig.stdout + sig.stderr;
  assert.equal((raw.match(/^Signature #\d+:$/gm) ?? []).length, 1, `${name}: one signature expected\n${raw}`);
  assert.match(raw, /Signature Validation: Signature is Valid\./, `${name}: ${raw}`);
  assert.match(raw, /Total document signed/, `${name}: ${raw}`);
  assert.match(raw, /Signature Type: ETSI\.CAdES\.detached/, `${name}: ${raw}`);
  const s = { raw };
  execFileSync('pdfsig', ['-nssdir', `sql:${nss}`, '-no-ocsp', '-dump', p], { cwd: scratch });
  const cms = await readFile(`${p}.sig0`);
  const br = [...pdf.toString('latin1').matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].at(-1)!;
  const v = opensslCmsVerify(cms, byteRangeFile(p, br.slice(1, 5).map(Number), scratch, `${name}.br`), rootPem, scratch, name);
  assert.ok(v.ok, `${name}: ${v.out}`);
  return s;
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
    tsc.traffic.length = 0;
    bypass.length = 0;
    const pdfA = buildPdf({ pages: 2 });
    const pdfB = buildPdf({ pages: 1, xref: 'stream' });
    const content = Buffer.from(`content signed in the hash flow ${prefix}`);
    const digest = createHash('sha256').update(content).digest();
    // A second hash document: bare digest (not the DER attribute), sent as a plain form field, no
    // signing time, one extra signed attribute (a DER UTF8String).
    const content2 = Buffer.from(`second content ${prefix}`);
    const digest2 = createHash('sha256').update(content2).digest();
    const extraValue = Buffer.concat([Buffer.from([0x0c, 6]), Buffer.from('ref-42')]);

    const img = await step(() => h.upload(`${prefix}/image`, [{ name: 'image', filename: 'sig.png', type: 'image/png', data: PNG }]));
    const imageUid = gen === 'B' ? d(img) : d(img).image_uid;
    const created = await step(() => h.call('POST', `${prefix}/${gen === 'B' ? 'request' : 'create'}`, { ...PERSON, ...tsc.rao, profile: 'PFnubeNC' }));
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const pk: number = gen === 'B' ? d(created) : d(created).pk;
    const up = await step(() => h.upload(`${prefix}/document/${pk}`, [
      { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: pdfA },
      { name: 'file2', filename: 'b.pdf', type: 'application/pdf', data: pdfB },
      { name: 'hashfile', filename: 'digest.json', type: 'application/json', data: JSON.stringify({ messageDigest: mdAttr(digest), digestAlgorithm: gen === 'B' ? 'sha256' : 'sha256WithRSAEncryption', addAuthAttribute: 1, addSigningTime: 1, otherAuthAttributes: [] }) },
      { name: 'hashfile2', data: JSON.stringify({ messageDigest: digest2.toString('base64'), digestAlgorithm: 'sha256', addAuthAttribute: 1, addSigningTime: 0, otherAuthAttributes: [{ oid: '1.3.6.1.4.1.99999.7', values: [extraValue.toString('base64')] }] }) },
    ]));
    assert.equal(up.status, 200, JSON.stringify(up.json));
    const [docA, docB, docH, docH2] = d(up) as { uid: string }[];
    const contract = await step(() => h.call('GET', gen === 'B' ? `${prefix}/document/${pk}/contract` : `${prefix}/contract/${pk}/`));
    assert.equal(contract.status, 200);
    const otp = await step(() => h.call('POST', `${prefix}/otp/${pk}`));
    assert.equal(otp.status, 200);
    const code = await tsc.lastOtp(pk);

    // Wrong OTP: 403, nothing stored, prepared files removed, still ENROLLREADY, retry possible.
    const wrong = await step(() => h.call('POST', `${prefix}/sign/${pk}`, { secret: code === '000000' ? '111111' : '000000' }));
    assert.equal(wrong.status, 403);
    assert.equal(gen === 'B' ? wrong.json.details : wrong.json.message, 'Confirmation Code invalid');
    assert.deepEqual(await leftovers(pk), []);
    assert.equal((await h.call('GET', `${prefix}/document/${pk}/signed/${docA!.uid}`)).status, 404);
    assert.equal((await h.call('GET', `${prefix}/request/${pk}`)).json.details.status, 'ENROLLREADY');

    const meta = await h.call('POST', `${prefix}/metadata`, { metadata: Buffer.from('invoice 42').toString('base64'), metadata_oid: '1.3.6.1.4.1.99999.1' });
    const metadataUid = meta.json.details.metadata;
    const body = gen === 'B'
      ? { secret: code, metadata: metadataUid, options: { [docA!.uid]: { position: '50,50,250,120', page: 1, image: imageUid } }, signature_format: { text_format: ['Signed by %(CN)s', '%(DATE)s'], date_format: '%d/%m/%Y', timezone: 'Europe/Madrid' } }
      : { secret: code, signature: { appearance: { position: '50,50,250,120', page: 0, image: imageUid, text: ['Signed by %(CN)s'] } } };
    const signed = await step(() => h.call('POST', `${prefix}/sign/${pk}`, body));
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.equal(gen === 'B' ? signed.json.details : signed.json.message, 'Documents correctly signed');

    // Sign twice / OTP reuse: 412, nothing changes.
    const twice = await step(() => h.call('POST', `${prefix}/sign/${pk}`, { secret: code }));
    assert.equal(twice.status, 412);
    assert.equal(gen === 'B' ? twice.json.details : twice.json.message, 'Request already in ISSUED status');

    // Everything the Optimizer sent the TSC went through the proxy, so `traffic` is all of it
    // (checked before the oracles below run pdfsig/openssl, which are not the Optimizer).
    assert.deepEqual(bypass, [], 'the TSC received requests that did not go through the recording proxy');

    for (const [doc, original] of [[docA!, pdfA], [docB!, pdfB]] as const) {
      const s = gen === 'B'
        ? await h.call('GET', `${prefix}/document/${pk}/signed/${doc.uid}`)
        : await h.call('GET', `${prefix}/document/${pk}/${doc.uid}?document_type=signed`);
      assert.equal(s.status, 200);
      assert.ok(s.body.subarray(0, original.length).equals(original), 'incremental update keeps the original bytes');
      assert.ok(s.body.includes('/ByteRange'));
      const report = await checkSignedPdf(s.body, `${pk}-${doc.uid}.pdf`);
      assert.match(report.raw, /GARCÍA|García|GARC/i, 'the certificate names the signer');
    }
    const p7m = await h.call('GET', `${prefix}/document/${pk}/signed/${docH!.uid}`);
    assert.equal(p7m.status, 200);
    assert.equal(p7m.headers['content-type'], 'application/pkcs7-mime');
    await writeFile(join(scratch, `${pk}.bin`), content);
    await writeFile(join(scratch, `${pk}.p7m`), p7m.body);
    // openssl accepts the detached CAdES over the original content (hash flow, DESIGN.md §3).
    const v = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(scratch, `${pk}.p7m`), '-content', join(scratch, `${pk}.bin`), '-CAfile', rootPem, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stderr, /Verification successful/);
    const signingTime = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(scratch, `${pk}.p7m`)], { encoding: 'utf8' }).stdout;
    assert.match(signingTime, /signingTime/, 'addSigningTime=1 adds the signing-time attribute');
    if (gen === 'B') assert.match(signingTime, /1\.3\.6\.1\.4\.1\.99999\.1/, 'the metadata is a signed attribute');
    const p7m2 = await h.call('GET', `${prefix}/document/${pk}/signed/${docH2!.uid}`);
    assert.equal(p7m2.status, 200);
    await writeFile(join(scratch, `${pk}-2.bin`), content2);
    await writeFile(join(scratch, `${pk}-2.p7m`), p7m2.body);
    const v2 = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(scratch, `${pk}-2.p7m`), '-content', join(scratch, `${pk}-2.bin`), '-CAfile', rootPem, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(v2.status, 0, v2.stderr);
    const printed2 = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(scratch, `${pk}-2.p7m`)], { encoding: 'utf8' }).stdout;
    assert.match(printed2, /1\.3\.6\.1\.4\.1\.99999\.7/, 'otherAuthAttributes become signed attributes');
    assert.match(printed2, /ref-42/);
    assert.doesNotMatch(printed2, /signingTime/, 'addSigningTime=0 adds no signing-time attribute');
    const signedContract = await h.call('GET', `${prefix}/document/${pk}/contract`);
    assert.ok(signedContract.body.subarray(0, contract.body.length).equals(contract.body), 'the signed contract extends the one shown');
    await checkSignedPdf(signedContract.body, `${pk}-contract.pdf`);
    const listed = await h.call('GET', `${prefix}/documents/${pk}`);
    assert.equal(Object.values(d(listed)).filter((x: any) => x.signed).length, 4);

    // Exactly one successful sign call carried all digests: 2 PDFs + contract + 2 hashes.
    const signCalls = tsc.traffic.filter((r) => r.url === `/tsc/v1/requests/${pk}/sign`);
    const ok = signCalls.map((r) => JSON.parse(r.body.toString())).filter((b) => b.secret === code);
    assert.equal(ok[0].digests.length, 5);
    assert.deepEqual(ok[0].digests.map((x: any) => x.format).sort(), ['cades', 'cades', 'pades', 'pades', 'pades']);
    assert.equal(ok[0].digests.find((x: any) => x.id === docH!.uid).digest, digest.toString('base64'));
    assert.equal(ok[0].digests.find((x: any) => x.id === docH2!.uid).digest, digest2.toString('base64'));

    const windows = trafficWindows(tsc.traffic);
    assert.ok(tsc.traffic.length >= 8);
    for (const doc of [pdfA, pdfB]) assert.equal(findLeak(doc, windows), -1, 'a document byte sequence reached the TSC');

    const del = await h.call('DELETE', gen === 'B' ? `${prefix}/documents/${pk}` : `${prefix}/document/${pk}`);
    assert.equal(del.status, 200);
  });
}
