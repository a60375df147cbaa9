/**
 * Gen B responses validate against the published Gen B OpenAPI schemas, for successes and the
 * documented errors; and our own OpenAPI is served at /docs with the three prefixes explained.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makePng } from '../../support/optimizer-png.js';
import { buildPdf } from '../../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../../support/optimizer-tsc.js';
import { startHarness, type Harness, type Part } from '../../support/optimizer-harness.js';
import { GenBSpec } from '../../support/optimizer-openapi.js';

let tsc: RealTsc;
let RAO: RealTsc['rao'];
let h: Harness;
const spec = new GenBSpec();
const failures: string[] = [];

before(async () => {
  tsc = await startRealTsc();
  RAO = tsc.rao;
  h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey });
});
after(async () => {
  await h.close();
  await tsc.close();
});

async function call(method: string, url: string, body?: unknown) {
  const r = await h.call(method, url, body);
  if (r.json) {
    const err = spec.check(method, url, r.status, r.json);
    if (err) failures.push(err);
    // Gen B rule: the HTTP status is the numeric prefix of "status".
    if (!String(r.json.status).startsWith(String(r.status))) failures.push(`${method} ${url}: status ${r.status} vs ${r.json.status}`);
  }
  return r;
}
async function upload(url: string, parts: Part[]) {
  const r = await h.upload(url, parts);
  const err = spec.check('POST', url, r.status, r.json);
  if (err) failures.push(err);
  return r;
}

const PNG = makePng(60, 20);

test('the schema check can fail (guards the check itself)', () => {
  assert.notEqual(spec.check('POST', '/api/v1/request', 201, { status: '201 Created', details: 'not a number' }), null);
  assert.notEqual(spec.check('GET', '/api/v1/token/abc', 200, { status: '200 OK', details: { username: 1, password: 'yes' } }), null);
  assert.equal(spec.check('POST', '/api/v1/request', 201, { status: '201 Created', details: 29571 }), null);
});

test('Gen B responses match the published schemas', async () => {
  await call('GET', '/api/v1/hello');
  await call('GET', '/api/v1/version');
  await call('GET', '/api/v1/settings');
  await call('POST', '/api/v1/settings', { request: { default_profile: 'PFnubeNC' } });
  await call('POST', '/api/v1/metadata', { metadata: 'aGVsbG8=', metadata_oid: '1.2.3.4' });
  await call('GET', '/api/v1/metadata');
  const tok = await call('POST', '/api/v1/token', { ...RAO, env: 'sandbox' });
  await call('POST', '/api/v1/token', { ...RAO, env: 'sandbox' }); // 400 duplicate
  await call('POST', '/api/v1/token', { username: 'ghost', env: 'sandbox' }); // 404
  await call('GET', `/api/v1/token/${tok.json.details}`);
  await call('GET', '/api/v1/token/ffffffffffffffffffffffffffffffff'); // 404
  await call('GET', '/api/v1/tokens');
  const req = await call('POST', '/api/v1/request', { given_name: 'A', surname_1: 'B', surname_2: 'C', email: 'a@b.es', mobile_phone_number: '+34600000000', serial_number: '12345678Z', token: tok.json.details });
  assert.equal(req.status, 201);
  await call('POST', '/api/v1/request', { given_name: 'A', surname_1: 'B', surname_2: 'C', email: 'a@b.es', token: tok.json.details }); // 400
  await call('POST', '/api/v1/request', { given_name: 'A', surname_1: 'B', surname_2: 'C', email: 'a@b.es', mobile_phone_number: '600000000', token: tok.json.details }); // 400 prefix
  await call('POST', '/api/v1/request', { given_name: 'A', surname_1: 'B', surname_2: 'C', email: 'nope', mobile_phone_number: '+34600000000', token: tok.json.details }); // 400 email
  await call('POST', '/api/v1/request', { surname_1: 'B', email: 'a@b.es', mobile_phone_number: '+34600000000', token: tok.json.details }); // 400 missing field
  await call('POST', '/api/v1/request', { given_name: 'A', surname_1: 'B', surname_2: 'C', email: 'a@b.es', mobile_phone_number: '+34600000000', serial_number: '12345678Z', ...RAO, pin: '0' }); // 403
  const pk = req.json.details as number;
  await call('GET', `/api/v1/request/${pk}`);
  await call('GET', `/api/v1/async/status/${pk}`);
  await call('POST', `/api/v1/otp/${pk}`);
  await call('POST', `/api/v1/otp/${pk}`); // 412
  await call('POST', '/api/v1/otp/424242'); // 404
  const one = await upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: buildPdf() }]);
  await upload(`/api/v1/document/${pk}`, [
    { name: 'file', filename: 'b.pdf', type: 'application/pdf', data: buildPdf() },
    { name: 'file2', filename: 'c.pdf', type: 'application/pdf', data: buildPdf({ pages: 3 }) },
  ]);
  await upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'x.txt', type: 'text/plain', data: 'hello' }]); // 415
  await upload('/api/v1/document/424242', [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: buildPdf() }]); // 404
  await call('GET', `/api/v1/documents/${pk}`);
  await call('GET', `/api/v1/document/${pk}/original/ffffffff-ffff-4fff-8fff-ffffffffffff`); // 404
  await call('POST', `/api/v1/sign/${pk}`, {}); // 400 missing secret
  await call('POST', `/api/v1/sign/${pk}`, { secret: '000000', options: { 'ffffffff-ffff-4fff-8fff-ffffffffffff': { position: '1,1,2,2', page: 0 } } }); // 404
  await call('POST', `/api/v1/sign/${pk}`, { secret: '000000', options: { [one.json.details]: { page: 0 } } }); // 400 per-document map
  await call('POST', `/api/v1/sign/${pk}`, { secret: '000000', options: { [one.json.details]: { position: '1,1,2,2', page: 0, image: 'ffffffff-ffff-4fff-8fff-ffffffffffff' } } }); // 404 image
  await call('DELETE', `/api/v1/document/${pk}/original/${one.json.details}`);
  await call('DELETE', `/api/v1/document/${pk}/signed/${one.json.details}`); // 404
  await call('DELETE', `/api/v1/documents/${pk}`);
  await call('DELETE', `/api/v1/documents/${pk}`); // 404
  const img = await upload('/api/v1/image', [{ name: 'image', filename: 's.png', type: 'image/png', data: PNG }]);
  await upload('/api/v1/image', [{ name: 'nope', filename: 's.png', type: 'image/png', data: PNG }]); // 400
  await upload('/api/v1/image', [{ name: 'image', filename: 's.gif', type: 'image/gif', data: 'GIF89a' }]); // 415
  await call('GET', '/api/v1/images');
  await call('GET', '/api/v1/image/ffffffff-ffff-4fff-8fff-ffffffffffff'); // 404
  await call('DELETE', `/api/v1/image/${img.json.details}`);
  await call('DELETE', `/api/v1/image/${img.json.details}`); // 404
  await call('DELETE', '/api/v1/images');
  await call('DELETE', `/api/v1/request/${pk}`);
  await call('DELETE', `/api/v1/request/${pk}`); // 404
  await call('DELETE', `/api/v1/token/${tok.json.details}`);
  await call('DELETE', `/api/v1/token/${tok.json.details}`); // 404
  await call('DELETE', '/api/v1/metadata');
  assert.deepEqual(failures, []);
  assert.ok(spec.checked.length >= 40, `only ${spec.checked.length} responses had a schema`);
});

test('our OpenAPI at /docs/json documents the prefixes and the routes', async () => {
  const r = await h.call('GET', '/docs/json');
  assert.equal(r.status, 200);
  const doc = JSON.parse(r.body.toString('utf8'));
  assert.match(doc.openapi, /^3\./);
  assert.match(doc.info.description, /\/oneshot\/api\/v1\/api\/v1/);
  for (const p of ['/api/v1/sign/{pk}', '/oneshot/api/v1/create', '/api/v1/document/{pk}/contract', '/oneshot/api/v1/document/{pk}/{uid}']) {
    assert.ok(doc.paths[p], `missing ${p}`);
  }
  assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/oneshot/api/v1/api/v1')));
  assert.ok(doc.paths['/api/v1/sign/{pk}'].post.requestBody.content['application/json'].schema.properties.options);
  const ui = await h.call('GET', '/docs/');
  assert.equal(ui.status, 200);
});
