/**
 * The One-Shot routes through HTTP (fastify inject) against the fake TSC: prefixes, trailing
 * slashes, both envelopes, tokens, settings, requests (JSON and multipart), documents, contract,
 * images, metadata, OTP.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { makePng } from '../../support/optimizer-png.js';
import { buildPdf } from '../../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../../support/optimizer-tsc.js';
import { startHarness, type Harness } from '../../support/optimizer-harness.js';
import { createHash } from 'node:crypto';

let tsc: RealTsc;
let RAO: RealTsc['rao'];
let h: Harness;

before(async () => {
  tsc = await startRealTsc();
  RAO = tsc.rao;
  h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey });
});
after(async () => {
  await h.close();
  await tsc.close();
});

const PERSON = { given_name: 'Ana', surname_1: 'García', surname_2: 'Núñez', email: 'ana@example.com', mobile_phone_number: '+34600111222', serial_number: '12345678Z' };
const PNG = makePng(60, 20);

test('hello under every prefix, with and without trailing slash; envelope by generation', async () => {
  for (const p of ['/api/v1', '/oneshot/api/v1', '/oneshot/api/v1/api/v1']) {
    for (const s of ['', '/']) {
      const r = await h.call('GET', `${p}/hello${s}`);
      assert.equal(r.status, 200, `${p}/hello${s}`);
      if (p === '/api/v1') assert.deepEqual(r.json, { status: '200 OK', details: 'Hello' });
      else assert.deepEqual(r.json, { status: 'success', message: 'Hello', details: 'Hello' });
    }
  }
});

test('unknown route → 404 envelope; invalid JSON → documented Invalid JSON envelope', async () => {
  const r = await h.call('GET', '/api/v1/nope');
  assert.equal(r.status, 404);
  assert.equal(r.json.status, '404 Not Found');
  const bad = await h.call('POST', '/api/v1/token', '{"username": ', { 'content-type': 'application/json' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.status, '400 Invalid JSON');
  assert.match(bad.json.details, /^Could not parse JSON body - /);
  const badC = await h.call('POST', '/oneshot/api/v1/token', '{nope', { 'content-type': 'application/json' });
  assert.equal(badC.status, 400);
  assert.equal(badC.json.status, 'error');
  assert.equal(badC.json.code, 'API_ERR_INVALID_JSON');
});

test('version and settings (read, write, persisted in settings.json, secrets masked)', async () => {
  const v = await h.call('GET', '/api/v1/version');
  assert.equal(v.json.details.name, 'OneShot Optimizer');
  assert.equal(typeof v.json.details.info.hostname, 'string');
  const s0 = await h.call('GET', '/api/v1/settings');
  assert.equal(s0.json.details.general.environment, 'sandbox');
  const w = await h.call('POST', '/api/v1/settings', { request: { default_profile: 'PFnubeNC', default_ra: String(tsc.ra) }, billing: { billing_password: 'c2VjcmV0' } });
  assert.deepEqual(w.json, { status: '200 OK', details: 'Settings saved successfully' });
  const s1 = await h.call('GET', '/oneshot/api/v1/settings/');
  assert.equal(s1.json.details.request.default_profile, 'PFnubeNC');
  assert.equal(s1.json.details.billing.billing_password, '********');
  const file = JSON.parse(await readFile(join(h.config.optimizerDir, 'settings.json'), 'utf8'));
  assert.equal(file.request.default_ra, String(tsc.ra));
  // Read-modify-write: posting back what GET showed keeps the stored secret, not the mask.
  const rt = await h.call('POST', '/api/v1/settings', { ...s1.json.details, general: { ...s1.json.details.general, usepdfclean: true } });
  assert.equal(rt.status, 200, JSON.stringify(rt.json));
  const file2 = JSON.parse(await readFile(join(h.config.optimizerDir, 'settings.json'), 'utf8'));
  assert.equal(file2.billing.billing_password, 'c2VjcmV0');
  assert.equal(file2.general.usepdfclean, true);
  await h.call('POST', '/api/v1/settings', { general: { usepdfclean: false } });
  assert.equal((await stat(join(h.config.optimizerDir, 'settings.json'))).mode & 0o777, 0o600);
  const bad = await h.call('POST', '/api/v1/settings', { general: { environment: 'moon' } });
  assert.equal(bad.status, 400);
  assert.equal((await h.call('GET', '/api/v1/settings')).json.details.general.environment, 'sandbox');
});

test('tokens: create (verified by the TSC), ids per generation, booleans only, duplicates, delete, secrets sealed at rest', async () => {
  const r = await h.call('POST', '/api/v1/token', { ...RAO, env: 'sandbox' });
  assert.equal(r.status, 200);
  assert.match(r.json.details, /^[0-9a-f]{32}$/);
  const uid = r.json.details as string;
  assert.ok(tsc.traffic.some((x) => x.url === '/tsc/v1/rao/verify' && x.headers['x-rao-username'] === RAO.username));
  const g = await h.call('GET', `/api/v1/token/${uid}`);
  assert.deepEqual(g.json.details, { username: RAO.username, password: true, pin: true });
  const dup = await h.call('POST', '/api/v1/token', { ...RAO, env: 'sandbox' });
  assert.equal(dup.status, 400);
  assert.equal(dup.json.details, 'A token with these credentials already exist!');
  const c = await h.call('POST', '/oneshot/api/v1/token', { username: RAO.username, password: RAO.password });
  assert.equal(c.json.status, 'success');
  assert.match(c.json.details.token_uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const list = await h.call('GET', '/api/v1/tokens');
  assert.deepEqual(list.json.details[c.json.details.token_uid], { username: RAO.username, password: true, pin: false });
  const wrong = await h.call('POST', '/api/v1/token', { username: RAO.username, password: 'bad', pin: '1', env: 'sandbox' });
  assert.equal(wrong.status, 403);
  const unknown = await h.call('POST', '/api/v1/token', { username: 'nobody', env: 'sandbox' });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.details, "Error getting RAO's id. Make sure the credentials are correct.");
  // No plaintext secret anywhere in the database (main file and WAL: recent rows live in the WAL).
  const db = await databaseBytes();
  assert.ok(db.includes(uid), 'the scan sees the token rows');
  assert.equal(db.includes(RAO.password), false);
  assert.equal(db.includes(RAO.pin), false);
  const del = await h.call('DELETE', `/oneshot/api/v1/token/${c.json.details.token_uid}`);
  assert.equal(del.json.message, 'Token deleted successfully');
  assert.equal((await h.call('GET', `/api/v1/token/${c.json.details.token_uid}`)).status, 404);
  assert.equal((await h.call('DELETE', '/api/v1/token/../../etc')).status, 404);
});

test('tokens: two concurrent creations with the same credentials: one token, the other the documented 400', async () => {
  assert.equal((await h.call('DELETE', '/api/v1/tokens')).status, 200);
  const [a, b] = await Promise.all([0, 1].map(() => h.call('POST', '/api/v1/token', { ...RAO, env: 'sandbox' })));
  assert.deepEqual([a!.status, b!.status].sort(), [200, 400], JSON.stringify([a!.json, b!.json]));
  const refused = a!.status === 400 ? a! : b!;
  assert.equal(refused.json.details, 'A token with these credentials already exist!');
  assert.equal(Object.keys((await h.call('GET', '/api/v1/tokens')).json.details).length, 1);
});

/** Every file of the SQLite database (main, -wal, -shm), concatenated. */
async function databaseBytes(): Promise<Buffer> {
  const dir = dirname(h.config.databaseUrl);
  const names = (await readdir(dir)).filter((f) => f.startsWith(basename(h.config.databaseUrl)));
  return Buffer.concat(await Promise.all(names.map((f) => readFile(join(dir, f)))));
}

async function newRequest(gen: 'B' | 'C' = 'B'): Promise<number> {
  const r = gen === 'B'
    ? await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, profile: 'PFnubeNC' })
    : await h.call('POST', '/oneshot/api/v1/create', { ...PERSON, ...RAO, profile: 'PFnubeNC' });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return gen === 'B' ? r.json.details : r.json.details.pk;
}

test('requests: JSON and multipart create, token credentials, get, async status, update, cancel', async () => {
  const pk = await newRequest();
  assert.equal(typeof pk, 'number');
  // The signer's identity is sealed at rest too (the token uid is the scan's positive control).
  const db = await databaseBytes();
  const tokenUids = Object.keys((await h.call('GET', '/api/v1/tokens')).json.details);
  assert.ok(tokenUids.length > 0 && tokenUids.every((t) => db.includes(t)), 'the scan sees the token rows');
  for (const v of [PERSON.email, PERSON.mobile_phone_number, PERSON.serial_number, PERSON.surname_2]) assert.equal(db.includes(v), false, v);
  const g = await h.call('GET', `/api/v1/request/${pk}`);
  assert.equal(g.json.details.status, 'ENROLLREADY');
  assert.equal((await h.call('GET', `/api/v1/async/status/${pk}`)).json.details, 'Unknown');
  // multipart with a token
  const tok = (await h.call('GET', '/api/v1/tokens')).json.details;
  const tokenUid = Object.keys(tok).find((k) => tok[k].pin)!;
  const m = await h.upload('/oneshot/api/v1/create', [
    ...Object.entries({ ...PERSON, token: tokenUid, profile: 'PFnubeNC', useasync: 'true' }).map(([name, data]) => ({ name, data })),
    { name: 'document_front', filename: 'front.png', type: 'image/png', data: PNG },
  ]);
  assert.equal(m.status, 201, JSON.stringify(m.json));
  assert.equal(m.json.details.asyncmode, true);
  assert.equal((await h.call('GET', `/api/v1/async/status/${m.json.details.pk}`)).json.details, 'approved');
  const u = await h.call('PUT', `/api/v1/request/${pk}`, { given_name: 'Anna' });
  assert.deepEqual(u.json, { status: '200 OK', details: 'Request updated' });
  assert.equal((await h.call('GET', `/api/v1/request/${pk}`)).json.details.given_name, 'Anna');
  // Gen B UpdateReqObject_VID: `country_name` is the id document's country (ISO 3166-1 alpha-2);
  // the local signer copy (appearance SUBJECT) follows the update.
  const scratchcard = (await h.call('GET', `/api/v1/request/${pk}`)).json.details.scratchcard;
  const cn = await h.call('PUT', `/api/v1/request/${pk}/`, { scratchcard, email: PERSON.email, registration_authority: String(tsc.ra), profile: 'PFnubeQAFCiudadano', country_name: 'PT' });
  assert.equal(cn.status, 200, JSON.stringify(cn.json));
  const afterCn = (await h.call('GET', `/api/v1/request/${pk}`)).json.details;
  assert.equal(afterCn.id_document_country, 'PT');
  assert.equal(afterCn.country_name, 'PT');
  assert.equal((await h.call('PUT', `/api/v1/request/${pk}`, { id_document_type: 'PAS' })).status, 200);
  const rec = (await h.opt.ctx.requests.get(pk))!;
  const signer = JSON.parse(h.opt.ctx.secrets.open(rec.signerSealed, `request:${pk}:signer`));
  assert.equal(signer.given_name, 'Anna');
  assert.equal(signer.id_document_country, 'PT');
  assert.equal(signer.id_document_type, 'PAS');
  const d = await h.call('DELETE', `/api/v1/request/${pk}/`);
  assert.equal(d.json.details, 'Request directory removed successfully');
  assert.equal(await tsc.status(pk), 'CANCELLED');
  const gone = await h.call('GET', `/api/v1/request/${pk}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.json.details, 'Request not found. Make sure the upload directory is correct.');
});

test('requests: documented 4xx texts and nothing created', async () => {
  // TSC pks are sequential: if no bad call created a request, the next good one is pk + 1.
  const before = await newRequest();
  const noPhone = await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, mobile_phone_number: undefined });
  assert.equal(noPhone.status, 400);
  assert.equal(noPhone.json.details, 'Missing parameter: mobile_phone_number required');
  const prefix = await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, mobile_phone_number: '600111222' });
  assert.equal(prefix.status, 400);
  // Gen B: the documented text as `details` (the spec types it as a string); Gen C keeps the field map.
  assert.equal(prefix.json.details, 'Please use the mobile phone number with an international prefix');
  const prefixC = await h.call('POST', '/oneshot/api/v1/create', { ...PERSON, ...RAO, mobile_phone_number: '600111222' });
  assert.equal(prefixC.status, 400);
  assert.equal(prefixC.json.message, 'Please use the mobile phone number with an international prefix');
  assert.deepEqual(prefixC.json.details.mobile_phone_number, ['Please use the mobile phone number with an international prefix']);
  const email = await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, email: 'not-an-address' });
  assert.equal(email.status, 400);
  assert.equal(email.json.details, 'Enter a valid email address');
  const noName = await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, given_name: '' });
  assert.deepEqual(noName.json, { status: '400 Bad Request', details: 'Missing required parameters: given_name' });
  const noCreds = await h.call('POST', '/api/v1/request', { ...PERSON, username: RAO.username });
  assert.equal(noCreds.status, 400);
  const badRao = await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, pin: '9999' });
  assert.equal(badRao.status, 403);
  assert.equal(badRao.json.details, 'Invalid RAO Credentials');
  const env = await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, env: 'mars' });
  assert.equal(env.json.details, 'Environment mars does not exist');
  const idType = await h.call('POST', '/api/v1/request', { ...PERSON, ...RAO, id_document_type: 'XYZ' });
  assert.equal(idType.json.details, 'The id_document_type specified is not valid. Valid options are IDC, PAS, PNO, TIN, CI, CE');
  assert.equal(await newRequest(), before + 1);
});

test('documents: upload 1 and many (streamed SHA-256), list, get original, delete one / all; contract fetched once', async () => {
  const pk = await newRequest();
  const pdf1 = buildPdf({ pages: 2 });
  const pdf2 = buildPdf({ pages: 1, xref: 'stream' });
  const one = await h.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: pdf1 }]);
  assert.equal(one.status, 200, JSON.stringify(one.json));
  assert.match(one.json.details, /^[0-9a-f-]{36}$/);
  const many = await h.upload(`/api/v1/documents/${pk}`, [
    { name: 'file', filename: 'b.pdf', type: 'application/pdf', data: pdf2 },
    { name: 'file2', filename: 'c.pdf', type: 'application/pdf', data: pdf1 },
  ]);
  assert.equal(many.status, 200);
  assert.equal(many.json.details.length, 2);
  assert.equal(many.json.details[0].digest, createHash('sha256').update(pdf2).digest('hex'));
  assert.equal(many.json.details[1].key, 'file2');
  const list = await h.call('GET', `/api/v1/documents/${pk}`);
  assert.equal(Object.keys(list.json.details).length, 3);
  assert.equal(list.json.details[one.json.details].size, pdf1.length);
  assert.match(list.json.details[one.json.details].upload_date, /^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/);
  const orig = await h.call('GET', `/api/v1/document/${pk}/original/${one.json.details}`);
  assert.equal(orig.status, 200);
  assert.ok(orig.body.equals(pdf1));
  const origC = await h.call('GET', `/oneshot/api/v1/document/${pk}/${one.json.details}?document_type=original`);
  assert.ok(origC.body.equals(pdf1));
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/signed/${one.json.details}`)).status, 404);
  const c1 = await h.call('GET', `/api/v1/document/${pk}/contract`);
  assert.equal(c1.status, 200);
  assert.equal(c1.headers['content-type'], 'application/pdf');
  const c2 = await h.call('GET', `/oneshot/api/v1/contract/${pk}/`);
  assert.ok(c2.body.equals(c1.body));
  assert.equal(tsc.traffic.filter((x) => x.url === `/tsc/v1/requests/${pk}/contract`).length, 1);
  const del = await h.call('DELETE', `/api/v1/document/${pk}/original/${many.json.details[0].uid}`);
  assert.equal(del.json.details, 'Document successfully deleted');
  const delC = await h.call('DELETE', `/oneshot/api/v1/document/${pk}/${many.json.details[1].uid}`);
  assert.equal(delC.json.status, 'success');
  const all = await h.call('DELETE', `/oneshot/api/v1/document/${pk}`);
  assert.equal(all.json.message, `Documents deleted for Request ${pk}`);
  const none = await h.call('GET', `/api/v1/documents/${pk}`);
  assert.equal(none.status, 404);
  assert.equal(none.json.details, 'No documents found for specified Request');
});

test('images: PNG only, [w,h] size, get/delete; metadata CRUD', async () => {
  const up = await h.upload('/api/v1/image', [{ name: 'image', filename: 'sig.png', type: 'image/png', data: PNG }]);
  assert.equal(up.status, 200, JSON.stringify(up.json));
  const uid = up.json.details as string;
  const list = await h.call('GET', '/api/v1/images');
  assert.deepEqual(list.json.details[uid].size, [60, 20]);
  const g = await h.call('GET', `/api/v1/image/${uid}`);
  assert.equal(g.headers['content-type'], 'image/png');
  assert.ok(g.body.equals(PNG));
  const jpg = await h.upload('/oneshot/api/v1/image', [{ name: 'image', filename: 'x.jpg', type: 'image/jpeg', data: Buffer.from('ffd8ffe000104a464946', 'hex') }]);
  assert.equal(jpg.status, 415);
  assert.equal(jpg.json.message, 'Image file type not supported: image/jpeg');
  const c = await h.upload('/oneshot/api/v1/image', [{ name: 'image', filename: 'sig.png', type: 'image/png', data: PNG }]);
  assert.match(c.json.message, /^Image uploaded with uid '/);
  assert.equal((await h.call('DELETE', `/api/v1/image/${uid}`)).json.details, 'Image deleted');
  assert.equal((await h.call('GET', `/api/v1/image/${uid}`)).status, 404);
  assert.equal((await h.call('DELETE', '/api/v1/images')).status, 200);
  assert.deepEqual((await h.call('GET', '/api/v1/images')).json.details, {});

  assert.equal((await h.call('GET', '/api/v1/metadata')).status, 404);
  const m = await h.call('POST', '/api/v1/metadata', { metadata: Buffer.from('hello').toString('base64'), metadata_oid: '1.3.6.1.4.1.47289.100.2.9' });
  assert.match(m.json.details.metadata, /^[0-9a-f]{32}$/);
  const mg = await h.call('GET', `/api/v1/metadata/${m.json.details.metadata}`);
  assert.equal(mg.json.details.oid, '1.3.6.1.4.1.47289.100.2.9');
  const missing = await h.call('POST', '/api/v1/metadata', { metadata: 'aGk=' });
  assert.equal(missing.json.details, 'Missing required parameters');
  assert.equal((await h.call('DELETE', `/api/v1/metadata/${m.json.details.metadata}`)).json.details, 'Metadata successfully deleted');
  assert.equal((await h.call('DELETE', '/api/v1/metadata')).json.details, 'All metadata deleted');
});

test('OTP: sent through the TSC, throttled with the documented 412 text, refused after cancel', async () => {
  const pk = await newRequest();
  const r = await h.call('POST', `/api/v1/otp/${pk}`);
  assert.deepEqual(r.json, { status: '200 OK', details: 'OTP generated' });
  assert.match(await tsc.lastOtp(pk), /^\d{6}$/);
  const again = await h.call('POST', `/api/v1/otp/${pk}`, { delivery_method: 'sms' });
  assert.equal(again.status, 412);
  assert.equal(again.json.details, 'Error occured during OTP generation: Otp generated less than a minute ago');
  const unknown = await h.call('POST', '/api/v1/otp/999999');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.details, 'Request 999999 not found. Cannot send OTP secret');
});
