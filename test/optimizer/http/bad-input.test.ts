/**
 * Bad input gets the documented 4xx envelope and changes nothing: unknown pk/uid, path tricks,
 * non-PDF, encrypted and truncated PDFs, too many files, oversized bodies, malformed JSON and
 * multipart, missing fields, wrong OTP, OTP reuse, sign twice, illegal transitions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { buildPdf } from '../../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../../support/optimizer-tsc.js';
import { multipart, startHarness, type Harness, type Res } from '../../support/optimizer-harness.js';

let tsc: RealTsc;
let RAO: RealTsc['rao'];
let h: Harness;
let scratch: string;
let pk: number;
let docUid: string;
const PERSON = { given_name: 'Ana', surname_1: 'García', surname_2: 'Núñez', email: 'ana@example.com', mobile_phone_number: '+34600111222', serial_number: '12345678Z' };
const MAX = 20_000;

before(async () => {
  tsc = await startRealTsc();
  RAO = tsc.rao;
  h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey, env: { OPTIMIZER_MAX_UPLOAD_BYTES: String(MAX), OPTIMIZER_MAX_DOCUMENTS: '4' } });
  scratch = await mkdtemp(join(tmpdir(), 'oneshot-bad-'));
  pk = (await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO })).json.details;
  docUid = (await h.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: buildPdf() }])).json.details;
});
after(async () => {
  await h.close();
  await tsc.close();
  await rm(scratch, { recursive: true, force: true });
});

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

/** Everything a bad call could have changed. */
async function snapshot() {
  const blobs = join(h.config.optimizerDir, 'blobs');
  return {
    blobs: await files(blobs),
    docs: (await h.call('GET', `/api/v1/documents/${pk}`)).json,
    local: await h.opt.ctx.requests.get(pk),
    remote: await tsc.status(pk),
    tokens: (await h.call('GET', '/api/v1/tokens')).json,
    settings: (await h.call('GET', '/api/v1/settings')).json,
  };
}

async function expectUnchanged(status: number, call: () => Promise<Res>, text?: string | RegExp): Promise<Res> {
  const before = await snapshot();
  const r = await call();
  assert.equal(r.status, status, `${JSON.stringify(r.json)}`);
  const invalidJson = status === 400 && r.json.status === '400 Invalid JSON';
  if (!invalidJson) assert.equal(r.json.status, `${status} ${({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 412: 'Precondition Failed', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity' } as Record<number, string>)[status]}`);
  if (text instanceof RegExp) assert.match(String(r.json.details), text);
  else if (text !== undefined) assert.equal(r.json.details, text);
  assert.deepEqual(await snapshot(), before);
  return r;
}

const pdfPart = (data: Buffer | string, name = 'file', type = 'application/pdf') => ({ name, filename: `${name}.pdf`, type, data });

test('unknown pk on every request route: documented 404 texts', async () => {
  await expectUnchanged(404, () => h.call('GET', '/api/v1/request/999999'), 'Request not found. Make sure the upload directory is correct.');
  await expectUnchanged(404, () => h.call('GET', '/api/v1/request/abc'), 'Request not found. Make sure the upload directory is correct.');
  await expectUnchanged(404, () => h.call('GET', '/api/v1/async/status/999999'), 'Request 999999 not found. Make sure the upload directory is correct');
  await expectUnchanged(404, () => h.call('POST', '/api/v1/sign/999999', { secret: '123456' }), 'Request 999999 not found. Cannot sign documents');
  await expectUnchanged(404, () => h.upload('/api/v1/document/999999', [pdfPart(buildPdf())]), 'Cannot upload document: Request 999999 not found on disk');
  await expectUnchanged(404, () => h.call('GET', '/api/v1/documents/999999'), 'No documents found for specified Request');
  await expectUnchanged(404, () => h.call('GET', '/api/v1/document/999999/contract'), 'Request 999999 not found');
  await expectUnchanged(404, () => h.call('DELETE', '/api/v1/request/999999'), 'Request 999999 not found');
  await expectUnchanged(404, () => h.call('PUT', '/api/v1/request/-1', { given_name: 'x' }), 'Request -1 not found');
});

test('unknown uid, bad type and path tricks: 404/400, never a file outside the store', async () => {
  await expectUnchanged(404, () => h.call('GET', `/api/v1/document/${pk}/original/ffffffff-ffff-4fff-8fff-ffffffffffff`), 'Document not found');
  await expectUnchanged(404, () => h.call('GET', `/api/v1/document/${pk}/original/..%2F..%2F..%2Fetc%2Fpasswd`), 'Document not found');
  await expectUnchanged(404, () => h.call('GET', `/api/v1/document/${pk}/original/${docUid}.original`), 'Document not found');
  await expectUnchanged(400, () => h.call('GET', `/api/v1/document/${pk}/both/${docUid}`));
  await expectUnchanged(404, () => h.call('DELETE', `/api/v1/document/${pk}/original/..%2F${docUid}`), /^Document not found with uid /);
  await expectUnchanged(404, () => h.call('GET', '/api/v1/image/..%2F..%2Fsettings.json'), /^Image with uid/);
  await expectUnchanged(404, () => h.call('GET', '/api/v1/token/..%2Fmaster.key'), /^Token .* not found$/);
  await expectUnchanged(404, () => h.call('GET', '/api/v1/metadata/..%2F..%2Fmaster.key'), 'Metadata not found on disk');
  await expectUnchanged(404, () => h.call('GET', '/api/v1/metadata/%2e%2e'));
  // Errors of the router itself come in the envelope of the prefix too.
  await expectUnchanged(400, () => h.call('GET', `/api/v1/document/${pk}/original/%E0%A4%A`), 'Invalid URL: bad percent-encoding in the path');
  const long = await h.call('GET', `/oneshot/api/v1/token/${'a'.repeat(300)}`);
  assert.equal(long.status, 404);
  assert.deepEqual(long.json, { status: 'error', message: 'Not Found: a path segment is too long', details: null, code: 'API_ERR_NOT_FOUND' });
});

test('uploads: non-PDF 415, encrypted and truncated PDFs refused, all-or-nothing', async () => {
  await expectUnchanged(415, () => h.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'x.txt', type: 'text/plain', data: 'not a pdf' }]), 'Unsupported file type: text/plain');
  // A PNG labelled as PDF is still not a PDF.
  await expectUnchanged(415, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1'))]), 'Unsupported file type: application/pdf');
  const plain = join(scratch, 'plain.pdf');
  const enc = join(scratch, 'enc.pdf');
  await writeFile(plain, buildPdf({ pages: 2 }));
  // qpdf must be installed (scripts/setup-test-env.sh): a missing tool fails the test.
  execFileSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, enc]);
  const encrypted = await readFile(enc);
  await expectUnchanged(422, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(encrypted)]), 'Encrypted PDF documents cannot be signed: remove the password first');
  const good = buildPdf({ pages: 3 });
  await expectUnchanged(422, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(good.subarray(0, Math.floor(good.length * 0.6)))]));
  await expectUnchanged(415, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(Buffer.from('%PDF-1.7\n%%EOF\n'))]), 'The document is not a PDF');
  // One bad part discards the good ones uploaded in the same call.
  await expectUnchanged(415, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(buildPdf()), { name: 'file2', filename: 'x.doc', type: 'application/msword', data: 'MS' }]), 'Unsupported file type: application/msword');
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(buildPdf()), pdfPart(Buffer.alloc(0), 'empty')]), "Empty file in field 'empty'");
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, [{ name: 'other', data: 'just a field' }]), "Missing required parameter: 'file'");
});

test('limits: too many files per call, per request, oversized file and JSON body', async () => {
  const eleven = Array.from({ length: 11 }, (_, i) => pdfPart(buildPdf(), `file${i}`));
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, eleven), /^Maximum number of documents per call is 10$|^Maximum number of document reached for Request/);
  // OPTIMIZER_MAX_DOCUMENTS=4 and one document is already there.
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(buildPdf()), pdfPart(buildPdf(), 'f2'), pdfPart(buildPdf(), 'f3'), pdfPart(buildPdf(), 'f4')]), `Maximum number of document reached for Request ${pk}`);
  const big = Buffer.concat([buildPdf(), Buffer.alloc(MAX, 0x20)]);
  await expectUnchanged(413, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(big)]), `File too large: the limit is ${MAX} bytes`);
  const huge = JSON.stringify({ secret: '1', pad: 'x'.repeat(1_100_000) });
  await expectUnchanged(413, () => h.call('POST', `/api/v1/sign/${pk}`, huge, { 'content-type': 'application/json' }), 'Request body too large');
  const hashBig = JSON.stringify({ messageDigest: 'A'.repeat(70_000) });
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, [{ name: 'hashfile', filename: 'h.json', type: 'application/json', data: hashBig }]), 'Invalid hashfile: larger than 64 KiB');
});

test('malformed bodies: JSON, multipart, content type, hashfile', async () => {
  await expectUnchanged(400, () => h.call('POST', '/api/v1/settings', '{"general": {', { 'content-type': 'application/json' }));
  const r = await h.call('POST', `/api/v1/sign/${pk}`, '[1,2', { 'content-type': 'application/json' });
  assert.equal(r.json.status, '400 Invalid JSON');
  const { payload, contentType } = multipart([pdfPart(buildPdf())]);
  await expectUnchanged(400, async () => {
    const res = await h.opt.app.inject({ method: 'POST', url: `/api/v1/document/${pk}`, payload: payload.subarray(0, payload.length - 60), headers: { 'content-type': contentType } });
    return { status: res.statusCode, json: res.json(), body: res.rawPayload, headers: res.headers };
  });
  await expectUnchanged(415, () => h.call('POST', '/api/v1/token', '<xml/>', { 'content-type': 'application/xml' }));
  await expectUnchanged(415, () => h.call('POST', `/api/v1/document/${pk}`, { file: 'x' }));
  const hf = (j: unknown) => [{ name: 'hashfile', filename: 'h.json', type: 'application/json', data: typeof j === 'string' ? j : JSON.stringify(j) }];
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, hf('{nope')), 'Invalid hashfile: not valid JSON');
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, hf({ digestAlgorithm: 'sha256' })), "Invalid hashfile: missing 'messageDigest'");
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, hf({ messageDigest: Buffer.alloc(20).toString('base64') })), /SHA-256 digest/);
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, hf({ messageDigest: Buffer.alloc(32).toString('base64'), digestAlgorithm: 'md5' })), 'Unsupported digestAlgorithm: md5');
  await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, hf({ messageDigest: Buffer.alloc(32).toString('base64'), otherAuthAttributes: [{ oid: 'x', values: [] }] })), /otherAuthAttributes\[0\]/);
});

test('hashfile attributes and metadata the TSC cannot sign are refused when uploaded, not at /sign', async () => {
  const der = (n: number) => Buffer.concat([Buffer.from(n < 128 ? [4, n] : [4, 0x82, n >> 8, n & 255]), Buffer.alloc(n, 0x41)]).toString('base64');
  const hashfile = (other: unknown[]) => [{ name: 'hashfile', filename: 'h.json', type: 'application/json', data: JSON.stringify({ messageDigest: Buffer.alloc(32, 9).toString('base64'), otherAuthAttributes: other }) }];
  const cases: [unknown[], RegExp][] = [
    [[{ oid: '1.2.840.113549.1.9.4', values: [der(4)] }], /is set by the signer$/],
    [[{ oid: '1.2.3', values: [der(4)] }, { oid: '1.2.3', values: [der(4)] }], /is repeated$/],
    [[{ oid: '1.2.3', values: ['AAAA'] }], /is not one DER value$/],
    [Array.from({ length: 9 }, (_, i) => ({ oid: `1.2.3.${i}`, values: [der(4)] })), /at most 8 extra signed attributes/],
    [[{ oid: '1.2.3', values: [der(2000)] }], /larger than 1024 bytes$/],
    [[{ oid: '1.2.3', values: [der(1000), der(1000), der(1000), der(1000)] }, { oid: '1.2.4', values: [der(200)] }], /exceed 4096 bytes$/],
  ];
  for (const [other, text] of cases) await expectUnchanged(400, () => h.upload(`/api/v1/document/${pk}`, hashfile(other)), new RegExp(`^Invalid hashfile: otherAuthAttributes: .*${text.source}`));
  await expectUnchanged(400, () => h.call('POST', '/api/v1/metadata', { metadata: Buffer.alloc(1021, 1).toString('base64'), metadata_oid: '1.2.3.4' }), 'Invalid metadata: larger than 1020 bytes');
  // At /sign: the metadata attribute must fit with each hashfile's (here: the same OID twice).
  const other = (await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO })).json.details;
  const up = await h.upload(`/api/v1/document/${other}`, hashfile([{ oid: '1.2.3.4', values: [der(4)] }]));
  assert.equal(up.status, 200, JSON.stringify(up.json));
  const meta = (await h.call('POST', '/api/v1/metadata', { metadata: Buffer.alloc(1020, 1).toString('base64'), metadata_oid: '1.2.3.4' })).json.details.metadata;
  await h.call('POST', `/api/v1/otp/${other}`);
  const r = await h.call('POST', `/api/v1/sign/${other}`, { secret: await tsc.lastOtp(other), metadata: meta });
  assert.equal(r.status, 400);
  assert.equal(r.json.details, `Metadata cannot be added to the signature of ${up.json.details}: attribute 1.2.3.4 is repeated`);
  assert.equal(await tsc.status(other), 'ENROLLREADY');
  await h.call('DELETE', `/api/v1/metadata/${meta}`);
});

test('missing and invalid fields', async () => {
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, {}), "Missing required parameter: 'secret'");
  // No body at all (the Gen B spec marks /sign's body optional), an empty JSON body or `null`:
  // the documented texts, not a schema complaint.
  const json = { 'content-type': 'application/json' };
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`), "Missing required parameter: 'secret'");
  await expectUnchanged(400, () => h.call('POST', `/api/v1/async/sign/${pk}/`, '', json), "Missing required parameter: 'secret'");
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, 'null', json), "Missing required parameter: 'secret'");
  await expectUnchanged(400, () => h.call('POST', '/api/v1/token'), "Missing required parameter: 'username'");
  await expectUnchanged(400, () => h.call('POST', '/api/v1/metadata', '', json), 'Missing required parameters');
  await expectUnchanged(400, () => h.call('PUT', `/api/v1/request/${pk}`), 'Missing required parameters');
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, '[]', json));
  await expectUnchanged(415, () => h.upload(`/api/v1/sign/${pk}`, [{ name: 'secret', data: '123456' }]), 'Expected a JSON body (Content-Type: application/json)');
  // An empty id in the path: the Gen B spec's 400 texts, not a 404 "Route … not found".
  await expectUnchanged(400, () => h.call('GET', '/api/v1/token/'), 'Missing required parameter: no token uid specified');
  await expectUnchanged(400, () => h.call('DELETE', '/api/v1/token'), 'Missing required parameter: no token uid specified');
  await expectUnchanged(400, () => h.call('POST', '/api/v1/otp/'), "Missing parameters: Request's pk not specified");
  await expectUnchanged(400, () => h.upload('/api/v1/document/', [pdfPart(buildPdf())]), "Missing required parameters: Request's pk not specified");
  await expectUnchanged(400, () => h.call('GET', '/api/v1/documents/'), "Missing required parameters: Request's pk not specified");
  await expectUnchanged(400, () => h.call('DELETE', '/api/v1/documents'), "Missing required parameters: Request's pk not specified");
  await expectUnchanged(400, () => h.call('GET', '/api/v1/image/'), 'Missing required parameters: Image uid not specified');
  await expectUnchanged(400, () => h.call('DELETE', '/api/v1/image/'), 'Missing required parameters: No image uid specified');
  await expectUnchanged(400, () => h.call('DELETE', `/api/v1/document/${pk}/signed/`), 'Missing required parameters');
  const c = await h.call('GET', '/oneshot/api/v1/token/');
  assert.equal(c.status, 400);
  assert.equal(c.json.code, 'API_ERR_MISSING_PARAMETER');
  await expectUnchanged(400, () => h.call('POST', '/api/v1/token', { password: 'x' }), "Missing required parameter: 'username'");
  await expectUnchanged(400, () => h.call('POST', '/api/v1/request', { ...RAO, email: 'a@b.es' }), 'Missing parameter: mobile_phone_number required');
  await expectUnchanged(400, () => h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, given_name: 'A'.repeat(3000) }), 'given_name must be at most 512 characters');
  await expectUnchanged(400, () => h.call('PUT', `/api/v1/request/${pk}`, { email: `${'a'.repeat(3000)}@b.es` }), 'email must be at most 512 characters');
  await expectUnchanged(400, () => h.call('POST', `/api/v1/otp/${pk}`, { delivery_method: 'pigeon' }));
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: '1', level: 'B-XYZ' }));
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: '1'.repeat(257) }), "Invalid parameter 'secret': at most 256 characters");
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: '1', ext_unlock_type: 'biometric' }), /^Invalid parameter 'ext_unlock_value'/);
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: '1', ext_unlock_value: '12345678-12345678' }), /^Invalid parameter 'ext_unlock_type'/);
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: '1', ext_unlock_type: 'x'.repeat(65), ext_unlock_value: 'v' }), /^Invalid parameter 'ext_unlock_type'/);
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: '1', options: { [docUid]: { position: 'a,b', page: 0 } } }));
  const perDoc = await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: '1', options: { [docUid]: { position: '1,1,50,50' } } }));
  assert.deepEqual(perDoc.json.details, { [docUid]: `Missing required parameter 'page' for file ${docUid}` });
  await expectUnchanged(400, () => h.call('POST', '/api/v1/settings', { signature: { level: 'B-Z' } }));
  await expectUnchanged(400, () => h.call('POST', '/api/v1/settings', { tsa: 'not an object' }));
  await expectUnchanged(400, () => h.call('POST', '/api/v1/settings', { request: { default_ra: 'RA-9999' } }), 'Invalid value for request.default_ra');
  // Keys that name Object.prototype's members: a 400, not a 500 ("check is not a function").
  await expectUnchanged(400, () => h.call('POST', '/api/v1/settings', '{"constructor": {"prototype": {"x": 1}}}', { 'content-type': 'application/json' }), "Invalid settings section 'constructor'");
  await expectUnchanged(400, () => h.call('POST', '/api/v1/settings', '{"general": {"__proto__": {"environment": "prod"}}}', { 'content-type': 'application/json' }), "Invalid settings key 'general.__proto__'");
  await expectUnchanged(400, () => h.call('POST', '/api/v1/settings', '{"__proto__": {"general": {"environment": "prod"}}}', { 'content-type': 'application/json' }));
  await expectUnchanged(400, () => h.call('POST', '/api/v1/metadata', { metadata: '***', metadata_oid: '1.2.3' }));
});

test('OTP and signing: wrong OTP, sign twice / OTP reuse, illegal transitions', async () => {
  // The signer sees the contract first (it is fetched from the TSC once and kept).
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/contract`)).status, 200);
  await h.call('POST', `/api/v1/otp/${pk}`);
  const code = await tsc.lastOtp(pk);
  await expectUnchanged(403, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: code === '000000' ? '000001' : '000000' }), 'Confirmation Code invalid');
  // Page out of range fails while preparing, before the TSC is asked: the OTP is not consumed.
  await expectUnchanged(400, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: code, options: { [docUid]: { position: '10,10,100,60', page: 7 } } }), /^Page 7 is out of range/);
  const ok = await h.call('POST', `/api/v1/sign/${pk}`, { secret: code });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  await expectUnchanged(412, () => h.call('POST', `/api/v1/sign/${pk}`, { secret: code }), 'Request already in ISSUED status');
  await expectUnchanged(412, () => h.call('POST', `/api/v1/otp/${pk}`), 'Error occured during OTP generation: Invalid request status');
  await expectUnchanged(412, () => h.upload(`/api/v1/document/${pk}`, [pdfPart(buildPdf())]), 'Request already in ISSUED status');
  await expectUnchanged(412, () => h.call('PUT', `/api/v1/request/${pk}`, { given_name: 'Eve' }));
  // A request with no documents cannot be signed; a cancelled one is gone.
  const empty = (await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO })).json.details;
  const r = await h.call('POST', `/api/v1/sign/${empty}`, { secret: '123456' });
  assert.equal(r.status, 404);
  assert.equal(r.json.details, 'No documents found for specified Request');
  assert.equal(await tsc.status(empty), 'ENROLLREADY');
});

test('RAO credentials a header cannot carry: a 400 naming the field, never a 502 that logs the password', async () => {
  const lines: string[] = [];
  const stream = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
  const k = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey, deps: () => ({ logger: { level: 'info', stream } as never }) });
  try {
    const bad = { password: 'TopSecret\u0000Pw', pin: 'Pin\n98765', username: 'rao\u0001x' } as const;
    for (const [field, value] of Object.entries(bad)) {
      for (const [url, body] of [['/api/v1/token', { ...RAO, [field]: value }], ['/api/v1/request', { ...PERSON, ...RAO, [field]: value }]] as const) {
        const r = await k.call('POST', url, body);
        assert.equal(r.status, 400, `${url} ${field}: ${JSON.stringify(r.json)}`);
        assert.match(r.json.details, new RegExp(`^Invalid parameter: '${field}' `));
      }
    }
    const emoji = await k.call('POST', '/api/v1/token', { ...RAO, password: `${RAO.password}\u{1F4A5}` });
    assert.equal(emoji.status, 400);
    assert.deepEqual((await k.call('GET', '/api/v1/tokens')).json.details, {});
    const log = lines.join('');
    for (const v of ['TopSecret', 'Pin\\n98765', 'rao\\u0001x']) assert.equal(log.includes(v), false, `${v} in the log`);
  } finally {
    await k.close();
  }
});

test('API key: required on every route when set, never on /docs', async () => {
  const k = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey, env: { OPTIMIZER_API_KEY: 'opt-secret-key' } });
  try {
    const no = await k.call('GET', '/api/v1/tokens');
    assert.equal(no.status, 401);
    assert.deepEqual(no.json, { status: '401 Unauthorized', details: 'Missing or invalid API key' });
    assert.equal((await k.call('GET', '/oneshot/api/v1/hello', undefined, { 'x-api-key': 'wrong' })).json.status, 'error');
    assert.equal((await k.call('POST', '/api/v1/settings', { general: { usepdfclean: true } }, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await k.call('GET', '/api/v1/tokens', undefined, { 'x-api-key': 'opt-secret-key' })).status, 200);
    assert.equal((await k.call('GET', '/api/v1/settings', undefined, { authorization: 'Bearer opt-secret-key' })).status, 200);
    assert.equal((await k.call('GET', '/docs/json')).status, 200);
  } finally {
    await k.close();
  }
});
