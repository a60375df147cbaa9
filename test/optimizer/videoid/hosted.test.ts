/**
 * The hosted identification page's server side (eIDAS link mode) without a browser: the link
 * (unguessable, base from OPTIMIZER_PUBLIC_URL), the page and its security headers, the step API
 * (terms first, identity, captures streamed and checked), completion → VIDEOREVIEW and a used-up
 * link (410), expiry, malformed and unknown tokens, the API-key exemption; then the RAO approves
 * and the request signs to a valid PDF with the identity the signer declared.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/shared/clock.js';
import { linkHashOf } from '../../../src/optimizer/domain/videoid.js';
import { TERMS_VERSION } from '../../../src/optimizer/domain/videoid-link.js';
import { clientAddress } from '../../../src/optimizer/http/videoid-page-routes.js';
import type { FastifyRequest } from 'fastify';
import { buildPdf } from '../../support/pdf-build.js';
import { startHarness } from '../../support/optimizer-harness.js';
import { auditOf, createVideoId, sha256, signToPdf, startVideoIdEnv, statusOf, type VideoIdEnv } from '../../support/videoid-env.js';
import { png } from '../../support/videoid-fixtures.js';

let env: VideoIdEnv;
const PUBLIC = 'https://id.example.com/onboarding';

before(async () => {
  env = await startVideoIdEnv({ env: { OPTIMIZER_PUBLIC_URL: `${PUBLIC}/` } });
});
after(async () => env?.close());

const pathOf = (link: string) => new URL(link).pathname.replace('/onboarding', '');

function capture(base: string, item: string, data: Buffer, type: string) {
  return env.h.upload(`${base}/capture/${item}`, [{ name: 'file', filename: `${item}.bin`, type, data }]);
}

test('eIDAS link: page, steps in order, checked captures, VIDEOREVIEW, link used up; RAO approves and the request signs', { timeout: 180_000 }, async () => {
  const { h } = env;
  const v = await createVideoId(env, '/api/v1', { webhook_url: `${env.recv.url}/eidas` });
  assert.match(v.videoid_link, new RegExp(`^${PUBLIC}/videoid/[A-Za-z0-9_-]{43}$`));
  const token = v.videoid_link.split('/').pop()!;
  // Only the token's hash is stored.
  const rec = (await h.opt.ctx.videoid.store.byRequestPk(v.request_pk))!;
  assert.equal(rec.linkHash, linkHashOf(token));
  assert.ok(!JSON.stringify(rec).includes(token));
  const base = pathOf(v.videoid_link);

  const page = await h.call('GET', base);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'.*script-src 'self'/);
  assert.equal(page.headers['cache-control'], 'no-store');
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.match(page.body.toString(), /<script src="\/videoid\/assets\/app.js" defer>/);
  const js = await h.call('GET', '/videoid/assets/app.js');
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.match(js.body.toString(), /MediaRecorder/);
  assert.equal((await h.call('GET', '/videoid/assets/app.css')).status, 200);
  assert.equal((await h.call('GET', '/videoid/assets/..%2Fvideoid-routes.ts')).status, 404);

  const session = (await h.call('GET', `${base}/session`)).json.details;
  assert.deepEqual(session.missing, ['acceptance', 'identity', 'document_front', 'document_rear', 'document_owner', 'video']);
  assert.equal(session.terms.version, TERMS_VERSION);
  assert.match(session.terms.text, /eIDAS/);

  // Terms first.
  const early = await capture(base, 'document_front', env.media.front, 'image/jpeg');
  assert.deepEqual(early.json, { status: '412 Precondition Failed', details: 'Accept the terms and conditions first' });
  assert.equal((await h.call('POST', `${base}/accept`, { accepted: false, terms_version: TERMS_VERSION })).status, 400);
  assert.equal((await h.call('POST', `${base}/accept`, { accepted: true, terms_version: 'old' })).status, 400);
  const acc = await h.call('POST', `${base}/accept`, { accepted: true, terms_version: TERMS_VERSION }, {
    'user-agent': 'Mozilla/5.0 (Linux; Android 14) TestPhone', 'x-forwarded-for': '198.51.100.9',
  });
  assert.equal(acc.status, 200, JSON.stringify(acc.json));
  assert.equal(await statusOf(env, v.request_pk), 'VIDEOINCOMPLETE');

  // Identity: the Gen B OCR rules (required fields), then the TSC's validation.
  assert.equal((await h.call('POST', `${base}/identity`, { given_name: 'Lucía', surname_1: 'Fernández' })).status, 400);
  assert.equal((await h.call('POST', `${base}/identity`, { given_name: 'Lucía', surname_1: 'Fernández', serial_number: 'no spaces!' })).status, 400);
  const id = await h.call('POST', `${base}/identity`, { given_name: 'Lucía', surname_1: 'Fernández', serial_number: 'X1234567L', id_document_type: 'IDC', id_document_country: 'es' });
  assert.equal(id.status, 200, JSON.stringify(id.json));
  assert.deepEqual(id.json.details.missing, ['document_front', 'document_rear', 'document_owner', 'video']);

  // Captures: unknown step 404, wrong type 415, truncated JPEG 422 → VIDEOERROR, then a good one.
  assert.equal((await capture(base, 'passport', env.media.front, 'image/jpeg')).status, 404);
  assert.equal((await capture(base, 'document_front', buildPdf(), 'image/jpeg')).status, 415);
  const cut = await capture(base, 'document_front', env.media.front.subarray(0, 500), 'image/jpeg');
  assert.equal(cut.status, 422);
  assert.equal(await statusOf(env, v.request_pk), 'VIDEOERROR');
  assert.match((await h.call('GET', `${base}/session`)).json.details.failure, /document_front: JPEG/);
  assert.equal((await capture(base, 'document_front', env.media.front, 'image/jpeg')).status, 200);
  assert.equal(await statusOf(env, v.request_pk), 'VIDEOINCOMPLETE');
  assert.equal((await capture(base, 'document_rear', env.media.rear, 'image/jpeg')).status, 200);
  const selfie = png(240, 320, 9);
  assert.equal((await capture(base, 'document_owner', selfie, 'image/png')).status, 200);
  const last = await capture(base, 'video', env.media.webm, 'video/webm');
  assert.equal(last.status, 200, JSON.stringify(last.json));
  assert.deepEqual(last.json.details, { status: 'VIDEOREVIEW', missing: [], failure: null });
  assert.equal(await statusOf(env, v.request_pk), 'VIDEOREVIEW');

  // The link is used up: page, session and uploads answer 410.
  const gone = await h.call('GET', base);
  assert.equal(gone.status, 410);
  assert.match(gone.body.toString(), /data-state="error" data-error="This identification link has already been used"/);
  assert.deepEqual((await h.call('GET', `${base}/session`)).json, { status: '410 Gone', details: 'This identification link has already been used' });
  assert.equal((await capture(base, 'video', env.media.webm, 'video/webm')).status, 410);

  // The RAO's view: the acceptance record (date, IP, user agent, terms), the declared identity, hashes.
  const sum = (await h.call('GET', `/oneshot/api/v1/videoid/${v.videoid_pk}/evidences`)).json.details;
  assert.equal(sum.mode, 'eidas');
  assert.equal(sum.link_used, true);
  assert.equal(sum.acceptance.terms_version, TERMS_VERSION);
  assert.equal(sum.acceptance['user-agent'], 'Mozilla/5.0 (Linux; Android 14) TestPhone');
  assert.equal(sum.acceptance['url-web-videoid'], `${PUBLIC}/videoid/`);
  assert.equal(typeof sum.acceptance.date, 'number');
  assert.equal(sum.acceptance.ip, '127.0.0.1', 'the socket peer: without OPTIMIZER_VIDEOID_PROXY_HOPS a client-sent X-Forwarded-For is not believed');
  assert.deepEqual(sum.identity, { given_name: 'Lucía', surname_1: 'Fernández', serial_number: 'X1234567L', id_document_type: 'IDC', id_document_country: 'ES' });
  assert.equal(sum.items.document_owner.mime, 'image/png');
  assert.equal(sum.items.document_owner.sha256, sha256(selfie));
  const audited = (await auditOf(env, v.request_pk)).filter((e) => e.action === 'videoid.evidence_uploaded')
    .flatMap((e) => (e.details.items as { name: string }[]).map((i) => i.name));
  assert.deepEqual([...new Set(audited)].sort(), ['acceptance', 'document_front', 'document_owner', 'document_rear', 'identity', 'video']);

  // Approve (Gen C path by videoid_pk), then the classic steps: the certificate carries the declared name.
  assert.equal((await h.call('POST', `/oneshot/api/v1/videoid/${v.videoid_pk}/approve`, { token: env.token })).status, 200);
  assert.equal(await statusOf(env, v.request_pk), 'ENROLLREADY');
  const req = (await h.call('GET', `/api/v1/request/${v.request_pk}`)).json.details;
  assert.equal(req.given_name, 'Lucía');
  assert.equal(req.serial_number, 'X1234567L');
  await signToPdf(env, '/api/v1', v.request_pk, 'videoid-eidas');
});

test('a passport needs no rear side; refusing mid-way uses the link up', async () => {
  const { h } = env;
  const v = await createVideoId(env, '/oneshot/api/v1', { videoid_mode: 'eidas' });
  const base = pathOf(v.videoid_link);
  await h.call('POST', `${base}/accept`, { accepted: true, terms_version: TERMS_VERSION });
  const id = await h.call('POST', `${base}/identity`, { given_name: 'John', surname_1: 'Smith', serial_number: 'P1234567', id_document_type: 'PAS', id_document_country: 'GB' });
  assert.deepEqual(id.json.details.missing, ['document_front', 'document_owner', 'video']);
  const refuse = await h.call('POST', `/oneshot/api/v1/videoid/${v.videoid_pk}/refuse`, { token: env.token, reason: 'Signer asked to stop' });
  assert.equal(refuse.status, 200, JSON.stringify(refuse.json));
  assert.equal((await h.call('GET', `${base}/session`)).status, 410);
});

test('clientAddress: the entry OPTIMIZER_VIDEOID_PROXY_HOPS places from the right of X-Forwarded-For, the socket peer at 0', () => {
  const req = (ip: string, xff?: string) => ({ ip, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as FastifyRequest;
  assert.equal(clientAddress(req('10.0.0.5', '1.1.1.1'), 0), '10.0.0.5');
  assert.equal(clientAddress(req('10.0.0.5', 'spoof, 203.0.113.7'), 1), '203.0.113.7');
  assert.equal(clientAddress(req('10.0.0.5', 'spoof, 203.0.113.7, 10.0.0.9'), 2), '203.0.113.7');
  assert.equal(clientAddress(req('10.0.0.5', '203.0.113.7'), 3), '203.0.113.7', 'fewer entries than hops: the leftmost');
  assert.equal(clientAddress(req('10.0.0.5'), 1), '10.0.0.5', 'no header: the socket peer');
});

test('link tokens: malformed and unknown are 404; expired is 410; the API key does not apply to the page, only to the API', async () => {
  const { h } = env;
  for (const t of ['short', 'x'.repeat(43), 'A'.repeat(42) + '!']) {
    const r = await h.call('GET', `/videoid/${encodeURIComponent(t)}/session`);
    assert.equal(r.status, 404, t);
    assert.equal(r.json.details, 'This identification link is not valid');
  }

  const clock = new ManualClock(Date.now());
  const keyed = await startHarness({
    tscUrl: env.tsc.url, tscKey: env.tsc.apiKey,
    env: { OPTIMIZER_API_KEY: 'api-key-for-tests-0123456789', OPTIMIZER_VIDEOID_LINK_TTL_SECONDS: '600', OPTIMIZER_VIDEOID_PROXY_HOPS: '1' },
    deps: () => ({ clock }),
  });
  try {
    const key = { 'x-api-key': 'api-key-for-tests-0123456789' };
    const token = (await keyed.call('POST', '/api/v1/token', { ...env.tsc.rao }, key)).json.details;
    const body = { token, email: 'a@example.com', mobile_phone_number: '+34600111222', profile: 'PFnubeNC' };
    assert.equal((await keyed.call('POST', '/api/v1/videoid', body)).status, 401, 'the API needs the key');
    const v = (await keyed.call('POST', '/api/v1/videoid', body, key)).json.details;
    const base = new URL(v.videoid_link).pathname;
    assert.equal((await keyed.call('GET', base)).status, 200, 'the page does not');
    assert.equal((await keyed.call('GET', `${base}/session`)).status, 200);
    // Behind one load balancer (compose's nginx appends the peer): the signer is the rightmost entry.
    const acc = await keyed.call('POST', `${base}/accept`, { accepted: true, terms_version: TERMS_VERSION }, { 'x-forwarded-for': '198.51.100.9, 203.0.113.7' });
    assert.equal(acc.status, 200, JSON.stringify(acc.json));
    const sum = (await keyed.call('GET', `/oneshot/api/v1/videoid/${v.videoid_pk}/evidences`, undefined, key)).json.details;
    assert.equal(sum.acceptance.ip, '203.0.113.7');
    clock.advance(601_000);
    assert.deepEqual((await keyed.call('GET', `${base}/session`)).json, { status: '410 Gone', details: 'This identification link has expired' });
    assert.equal((await keyed.call('GET', base)).status, 410);
    assert.equal((await keyed.call('POST', `${base}/accept`, { accepted: true, terms_version: TERMS_VERSION })).status, 410);
  } finally {
    await keyed.close();
  }
});
