/**
 * The per-request lock (two concurrent /sign calls: one signs, the other gets 409 at once),
 * async mode (early answer, job signs, async/status reports it), and TSC failures that leave
 * the request retryable. Uses the fake TSC (test/support/fake-tsc.ts) because these need failure
 * injection and a held /sign answer; the flows against the real TSC are in flow.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pdffonts } from '../support/appearance-tools.js';
import { buildPdf } from '../support/pdf-build.js';
import { makePng } from '../support/optimizer-png.js';
import { FAKE_RAO, startFakeTsc, type FakeTsc } from '../support/fake-tsc.js';
import { startHarness, type Harness } from '../support/optimizer-harness.js';
import type { Lock } from '../../src/optimizer/domain/ports.js';

let tsc: FakeTsc;
let h: Harness;
const PERSON = { given_name: 'Ana', surname_1: 'García', email: 'ana@example.com', mobile_phone_number: '+34600111222' };

before(async () => {
  tsc = await startFakeTsc();
  h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey });
});
after(async () => {
  await h.close();
  await tsc.close();
});

async function ready(extra: Record<string, unknown> = {}): Promise<{ pk: number; uid: string; code: string }> {
  const pk = (await h.call('POST', '/api/v1/request', { ...PERSON, ...FAKE_RAO, ...extra })).json.details as number;
  const uid = (await h.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: buildPdf() }])).json.details as string;
  assert.equal((await h.call('POST', `/api/v1/otp/${pk}`)).status, 200);
  return { pk, uid, code: tsc.otps.get(pk)! };
}

test('two concurrent /sign calls for one request: one signs, the other is refused at once', async () => {
  const { pk, code } = await ready();
  tsc.signDelayMs = 300;
  try {
    const [a, b] = await Promise.all([h.call('POST', `/api/v1/sign/${pk}`, { secret: code }), h.call('POST', `/api/v1/sign/${pk}`, { secret: code })]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [200, 409]);
    const refused = a.status === 409 ? a : b;
    assert.equal(refused.json.details, `A signature is already in progress for Request ${pk}`);
  } finally {
    tsc.signDelayMs = 0;
  }
  assert.equal(tsc.requests.filter((r) => r.url === `/tsc/v1/requests/${pk}/sign`).length, 1);
});

/** A lock that makes a second caller wait for the holder (a lock freed just as another call asks). */
class QueueingLock implements Lock {
  private readonly tails = new Map<string, Promise<void>>();
  async tryAcquire(key: string): Promise<() => Promise<void>> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let free!: () => void;
    const mine = new Promise<void>((r) => (free = r));
    this.tails.set(key, prev.then(() => mine));
    await prev;
    return async () => free();
  }
}

test('a /sign that gets the lock just after another one signed sees ISSUED and does not call the TSC again', async () => {
  const h2 = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey, deps: () => ({ lock: new QueueingLock() }) });
  try {
    const pk = (await h2.call('POST', '/api/v1/request', { ...PERSON, ...FAKE_RAO })).json.details as number;
    await h2.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: buildPdf() }]);
    assert.equal((await h2.call('POST', `/api/v1/otp/${pk}`)).status, 200);
    const code = tsc.otps.get(pk)!;
    tsc.signDelayMs = 200;
    let a, b;
    try {
      [a, b] = await Promise.all([h2.call('POST', `/api/v1/sign/${pk}`, { secret: code }), h2.call('POST', `/api/v1/sign/${pk}`, { secret: code })]);
    } finally {
      tsc.signDelayMs = 0;
    }
    assert.deepEqual([a.status, b.status].sort(), [200, 412], JSON.stringify([a.json, b.json]));
    assert.equal((a.status === 412 ? a : b).json.details, 'Request already in ISSUED status');
    assert.equal(tsc.requests.filter((r) => r.url === `/tsc/v1/requests/${pk}/sign`).length, 1);
  } finally {
    await h2.close();
  }
});

test('an upload that ends while /sign runs is not added to the signed request; parallel uploads both land', async () => {
  const { pk, code } = await ready();
  const [u1, u2] = await Promise.all([1, 2].map((i) => h.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: `p${i}.pdf`, type: 'application/pdf', data: buildPdf({ pages: i }) }])));
  assert.deepEqual([u1!.status, u2!.status], [200, 200], JSON.stringify([u1!.json, u2!.json]));
  const signUrl = `/tsc/v1/requests/${pk}/sign`;
  tsc.signDelayMs = 400;
  let late;
  let signed;
  try {
    const signing = h.call('POST', `/api/v1/sign/${pk}`, { secret: code });
    // Upload once the TSC holds the sign call: the documents to sign are already chosen.
    while (!tsc.requests.some((r) => r.url === signUrl)) await new Promise((r) => setTimeout(r, 10));
    late = await h.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'late.pdf', type: 'application/pdf', data: buildPdf() }]);
    signed = await signing;
  } finally {
    tsc.signDelayMs = 0;
  }
  assert.equal(signed.status, 200, JSON.stringify(signed.json));
  // Refused (412 once the signature is in, 409 if it is still running), never accepted unsigned.
  assert.ok([409, 412].includes(late.status), JSON.stringify(late.json));
  const docs = (await h.call('GET', `/api/v1/documents/${pk}`)).json.details as Record<string, { filename: string; signed: boolean }>;
  assert.equal(Object.keys(docs).length, 3);
  assert.ok(Object.values(docs).every((d) => d.signed && d.filename !== 'late.pdf'), JSON.stringify(docs));
  const left = await readdir(join(h.config.optimizerDir, 'blobs', '.staging'));
  assert.deepEqual(left, []);
});

test('use_signature_text: false draws the image without text; by default the text is drawn (pdffonts)', async () => {
  const img = (await h.upload('/api/v1/image', [{ name: 'image', filename: 's.png', type: 'image/png', data: makePng(40, 20) }])).json.details as string;
  const fontsOf = async (extra: Record<string, unknown>) => {
    const { pk, uid, code } = await ready();
    const r = await h.call('POST', `/api/v1/sign/${pk}`, { secret: code, options: { [uid]: { position: '50,50,250,120', page: 0, image: img } }, ...extra });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const pdf = (await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`)).body;
    // pdffonts lists the fonts of the pages and of their annotations' appearance streams; the
    // signature text is set in DejaVu Sans (the test page itself uses Helvetica).
    return pdffonts(pdf);
  };
  assert.match(await fontsOf({ signature_format: { text_format: ['Signed by %(CN)s'] } }), /DejaVuSans/);
  const without = await fontsOf({ use_signature_text: false, signature_format: { text_format: ['Signed by %(CN)s'] } });
  assert.match(without, /Helvetica/);
  assert.doesNotMatch(without, /DejaVu/);
});

test('async mode: /sign answers early, the job signs, async/status follows', async () => {
  const { pk, uid, code } = await ready({ useasync: true, callback: 'http://127.0.0.1:9/unused' });
  assert.equal((await h.call('GET', `/api/v1/async/status/${pk}`)).json.details, 'approved');
  const r = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: code });
  assert.equal(r.status, 200);
  assert.equal(r.json.message, 'Your documents are going to be signed. You will receive them in a few seconds');
  await h.opt.ctx.jobs.drain();
  assert.equal((await h.call('GET', `/api/v1/async/status/${pk}`)).json.details, 'signed');
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`)).status, 200);
});

test('TSC errors during /sign: passed through, nothing stored, retry works', async () => {
  const { pk, uid, code } = await ready();
  tsc.failSign = { status: 503, code: 'KEY_ERR_UNAVAILABLE', message: 'QSCD unavailable' };
  try {
    const r = await h.call('POST', `/api/v1/sign/${pk}`, { secret: code });
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { status: '503 Service Unavailable', details: 'QSCD unavailable' });
  } finally {
    tsc.failSign = null;
  }
  const files = await readdir(join(h.config.optimizerDir, 'blobs', String(pk)));
  assert.deepEqual(files.filter((f) => !f.endsWith('.original')), []);
  assert.equal((await h.call('POST', `/api/v1/sign/${pk}`, { secret: code })).status, 200);
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`)).status, 200);
});

test('TSC unreachable: 502 envelope without internals', async () => {
  const h2 = await startHarness({ tscUrl: 'http://127.0.0.1:9', tscKey: 'x' });
  try {
    const r = await h2.call('POST', '/api/v1/token', { ...FAKE_RAO, env: 'sandbox' });
    assert.equal(r.status, 502);
    assert.deepEqual(r.json, { status: '502 Bad Gateway', details: 'Trusted Service Center unavailable' });
  } finally {
    await h2.close();
  }
});
