/**
 * Webhooks (issue 6 §2, docs/async.md) against the REAL TSC and a real HTTP receiver:
 * events in order per request with valid HMAC-SHA256 signatures (checked by our verifier and by
 * `openssl dgst -hmac`), both payload shapes, a receiver failing twice gets the event on the third
 * try, bounded retries, no redirect followed, timeouts, private targets refused unless allowed,
 * one event per status change, attempts logged without secrets or identity data.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildPdf } from '../../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../../support/optimizer-tsc.js';
import { startHarness, type Harness } from '../../support/optimizer-harness.js';
import { startWebhookReceiver, type WebhookHit, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { verifyTimedWebhookSignature, verifyWebhookSignature } from '../../../src/optimizer/domain/webhooks.js';
import { pollCertificateEvents } from '../../../src/optimizer/domain/certificate-events.js';
import { HttpWebhookSender, isPrivateAddress, webhookUrlProblem } from '../../../src/optimizer/adapters/http-webhook-sender.js';

const SECRET = 'test-webhook-secret-0123456789abcdef';
const PERSON = {
  given_name: 'Zoelia', surname_1: 'Quintanilla', surname_2: 'Borrás', email: 'zoelia.q@example.com',
  mobile_phone_number: '+34600987654', serial_number: '87654321X',
};

let tsc: RealTsc;
let recv: WebhookReceiver;
let h: Harness;
let token: string;
const logs: string[] = [];

before(async () => {
  tsc = await startRealTsc();
  recv = await startWebhookReceiver();
  const stream = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  h = await startHarness({
    tscUrl: tsc.url, tscKey: tsc.apiKey,
    env: {
      OPTIMIZER_WEBHOOK_SECRET: SECRET, OPTIMIZER_WEBHOOK_ALLOW_PRIVATE: '1', OPTIMIZER_WEBHOOK_BACKOFF_MS: '40',
      OPTIMIZER_WEBHOOK_MAX_ATTEMPTS: '4', OPTIMIZER_WEBHOOK_TIMEOUT_MS: '400', OPTIMIZER_JOB_POLL_MS: '50',
    },
    deps: () => ({ logger: { level: 'info', stream } }),
  });
  token = (await h.call('POST', '/api/v1/token', { ...tsc.rao, env: 'sandbox' })).json.details;
});
after(async () => {
  await h.close();
  await recv.close();
  await tsc.close();
});

async function create(prefix: '/api/v1' | '/oneshot/api/v1', extra: Record<string, unknown>): Promise<number> {
  const r = await h.call('POST', `${prefix}/request`, { token, ...PERSON, ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return prefix === '/api/v1' ? r.json.details : r.json.details.pk;
}

async function signFlow(pk: number, prefix = '/api/v1'): Promise<{ uid: string; sign: any }> {
  const up = await h.upload(`${prefix}/document/${pk}`, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: buildPdf() }]);
  assert.equal(up.status, 200, JSON.stringify(up.json));
  const uid = prefix === '/api/v1' ? up.json.details : up.json.details.uid;
  assert.equal((await h.call('POST', `${prefix}/otp/${pk}`)).status, 200);
  const sign = await h.call('POST', `${prefix}/sign/${pk}`, { secret: await tsc.lastOtp(pk) });
  assert.equal(sign.status, 200, JSON.stringify(sign.json));
  return { uid, sign: sign.json };
}

const of = (path: string, pk?: number) => (hits: WebhookHit[]) =>
  hits.filter((x) => x.path === path && x.answered === 200 && (pk === undefined || x.json?.request === pk || x.json?.request?.pk === pk));

function opensslHmac(body: Buffer): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', SECRET, '-hex'], { input: body }).toString();
  return out.trim().split('= ').pop()!;
}

function checkSigned(hit: WebhookHit): void {
  const sig = String(hit.headers['x-oneshot-signature']);
  assert.ok(verifyWebhookSignature(SECRET, hit.raw, sig), 'HMAC of the exact body verifies');
  assert.equal(sig, `sha256=${opensslHmac(hit.raw)}`, 'openssl dgst -hmac agrees');
  assert.equal(hit.headers['x-oneshot-event-id'], hit.json.event_id);
  assert.equal(hit.headers['x-oneshot-event-type'], hit.json.event_type);
  assert.match(String(hit.headers['x-oneshot-timestamp']), /^\d{10}$/);
  assert.equal(hit.headers['content-type'], 'application/json');
  assert.ok(!verifyWebhookSignature('another-secret-of-some-length', hit.raw, sig));
  assert.ok(!verifyWebhookSignature(SECRET, Buffer.concat([hit.raw, Buffer.from(' ')]), sig));
  // The v2 signature binds the attempt's timestamp: `openssl dgst -hmac` over "<timestamp>.<body>".
  const ts = String(hit.headers['x-oneshot-timestamp']);
  const v2 = String(hit.headers['x-oneshot-signature-v2']);
  assert.equal(v2, `sha256=${opensslHmac(Buffer.concat([Buffer.from(`${ts}.`), hit.raw]))}`, 'v2 = HMAC of timestamp.body');
  const sentAt = new Date(Number(ts) * 1000);
  assert.ok(verifyTimedWebhookSignature(SECRET, hit.raw, ts, v2, { now: sentAt }));
  // A captured delivery replayed later: the body signature still verifies, the v2 one does not —
  // neither with the old timestamp (too old) nor with a fresh one (not what was signed).
  const later = new Date(sentAt.getTime() + 3600_000);
  assert.ok(verifyWebhookSignature(SECRET, hit.raw, sig));
  assert.ok(!verifyTimedWebhookSignature(SECRET, hit.raw, ts, v2, { now: later }));
  assert.ok(!verifyTimedWebhookSignature(SECRET, hit.raw, String(Math.floor(later.getTime() / 1000)), v2, { now: later }));
  assert.ok(!verifyTimedWebhookSignature('another-secret-of-some-length', hit.raw, ts, v2, { now: sentAt }));
}

test('async flow: callback (Gen C shape) and RA webhook (Gen B shape) get CREATED, APPROVED, ENROLLED in order, HMAC-signed', async () => {
  assert.equal((await h.call('POST', '/api/v1/settings', { webhook: { url: `${recv.url}/ra`, format: 'X' } })).status, 400);
  assert.equal((await h.call('POST', '/api/v1/settings', { webhook: { url: `${recv.url}/ra`, format: 'B' } })).status, 200);
  assert.deepEqual((await h.call('GET', '/api/v1/settings')).json.details.webhook, { url: `${recv.url}/ra`, format: 'B' });
  const pk = await create('/oneshot/api/v1', { useasync: true, callback: `${recv.url}/cb?token=abc` });
  assert.equal((await h.call('GET', `/api/v1/async/status/${pk}`)).json.details, 'approved');
  const { uid, sign } = await signFlow(pk, '/oneshot/api/v1');
  assert.equal(sign.message, 'Your documents are going to be signed. You will receive them in a few seconds');
  await recv.waitFor((hits) => of('/cb', pk)(hits).length >= 3 && of('/ra', pk)(hits).length >= 3, 'three events on each target');
  assert.equal((await h.call('GET', `/api/v1/async/status/${pk}`)).json.details, 'signed');
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`)).status, 200);

  const cb = of('/cb', pk)(recv.hits);
  const ra = of('/ra', pk)(recv.hits);
  for (const list of [cb, ra]) {
    assert.deepEqual(list.map((x) => x.json.event_type), ['REQUEST_CREATED', 'REQUEST_APPROVED', 'REQUEST_ENROLLED']);
    assert.deepEqual(list.map((x) => x.json.status), ['CREATED', 'ENROLLREADY', 'ISSUED']);
    assert.deepEqual(list.map((x) => x.json.previous_status), [null, 'CREATED', 'ENROLLREADY']);
    list.forEach(checkSigned);
    for (const x of list) {
      assert.match(x.json.sent_at, /^\d{14}$/);
      assert.match(x.json.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
      assert.equal(x.json.registration_authority, tsc.ra);
    }
    // Arrival order is event order.
    assert.deepEqual(list.map((x) => x.at), [...list.map((x) => x.at)].sort((a, b) => a - b));
  }
  // One event, one id, on every target.
  assert.deepEqual(cb.map((x) => x.json.event_id), ra.map((x) => x.json.event_id));
  // Gen C: request object; Gen B: the pk.
  const o = cb[2]!.json.request;
  assert.deepEqual(Object.keys(o), ['status', 'profile', 'registration_authority', 'scratchcard', 'pk']);
  assert.equal(o.pk, pk);
  assert.equal(o.status, 'ISSUED');
  assert.match(o.scratchcard, /^\d{7}$/);
  assert.equal(ra[2]!.json.request, pk);
  // REQUEST_ENROLLED names the issued certificate as the TSC has it.
  const tscReq = await (await fetch(`${tsc.directUrl}/tsc/v1/requests/${pk}`, {
    headers: { authorization: `Bearer ${tsc.apiKey}`, 'x-rao-username': tsc.rao.username, 'x-rao-password': tsc.rao.password },
  })).json() as { certificate_set: Array<{ serial_number: string }> };
  assert.equal(tscReq.certificate_set.length, 1);
  const cert = cb[2]!.json.certificates;
  assert.equal(cert.length, 1);
  assert.equal(cert[0].status, 'VALID');
  assert.equal(cert[0].serial_number.toLowerCase(), tscReq.certificate_set[0]!.serial_number.toLowerCase());
  assert.match(cert[0].valid_from, /^\d{8} \d\d:\d\d:\d\d$/);
  assert.deepEqual(cb[0]!.json.certificates, []);
  // The callback's query string reached the receiver; the logs name only the origin.
  assert.ok(logs.join('').includes('webhook delivered'));
  assert.ok(!logs.join('').includes('token=abc'));
  await h.call('POST', '/api/v1/settings', { webhook: { url: '' } });
});

test('a receiver failing twice gets the event on the third try; later events wait behind it; each attempt is logged', async () => {
  recv.fail('/flaky', 2);
  const pk = await create('/api/v1', { callback: `${recv.url}/flaky` });
  await recv.waitFor((hits) => of('/flaky', pk)(hits).length >= 2, 'CREATED and APPROVED');
  const all = recv.hits.filter((x) => x.path === '/flaky');
  assert.deepEqual(all.map((x) => [x.json.event_type, x.answered, x.headers['x-oneshot-delivery-attempt']]), [
    ['REQUEST_CREATED', 500, '1'], ['REQUEST_CREATED', 500, '2'], ['REQUEST_CREATED', 200, '3'], ['REQUEST_APPROVED', 200, '1'],
  ]);
  // The same event: same id, byte-identical body, each attempt signed.
  assert.equal(new Set(all.slice(0, 3).map((x) => x.json.event_id)).size, 1);
  assert.ok(all.slice(0, 3).every((x) => x.raw.equals(all[0]!.raw)));
  all.forEach(checkSigned);
  assert.ok(all[1]!.at - all[0]!.at >= 40 && all[2]!.at - all[1]!.at >= 80, 'exponential backoff between attempts');
  const rows = await h.opt.ctx.async.outbox.list(pk);
  assert.deepEqual(rows.map((r) => [r.eventType, r.state, r.attempts, r.lastStatus]), [
    ['REQUEST_CREATED', 'delivered', 3, 200], ['REQUEST_APPROVED', 'delivered', 1, 200],
  ]);
  const eventId = all[0]!.json.event_id as string;
  const mine = logs.map((l) => JSON.parse(l)).filter((l) => l.event_id === eventId && l.attempt !== undefined);
  assert.deepEqual(mine.map((l) => [l.msg, l.attempt, l.status ?? null]), [
    ['webhook delivery failed, will retry', 1, 500], ['webhook delivery failed, will retry', 2, 500], ['webhook delivered', 3, 200],
  ]);
});

test('bounded retries: a target failing every attempt is given up after OPTIMIZER_WEBHOOK_MAX_ATTEMPTS; the next event still goes out', async () => {
  recv.fail('/down', 4, 503);
  const pk = await create('/api/v1', { callback: `${recv.url}/down` });
  await recv.waitFor((hits) => of('/down', pk)(hits).length >= 1, 'APPROVED after CREATED was given up');
  const all = recv.hits.filter((x) => x.path === '/down');
  assert.deepEqual(all.map((x) => [x.json.event_type, x.answered]), [
    ['REQUEST_CREATED', 503], ['REQUEST_CREATED', 503], ['REQUEST_CREATED', 503], ['REQUEST_CREATED', 503], ['REQUEST_APPROVED', 200],
  ]);
  const rows = await h.opt.ctx.async.outbox.list(pk);
  assert.deepEqual(rows.map((r) => [r.state, r.attempts, r.lastError]), [['failed', 4, 'HTTP 503'], ['delivered', 1, null]]);
  assert.ok(logs.some((l) => l.includes('giving up') && l.includes(rows[0]!.eventId)));
});

test('no redirect is followed; a receiver that never answers times out; both are retried then given up', async () => {
  recv.redirect('/moved', `${recv.url}/elsewhere`);
  recv.hang('/slow');
  const a = await create('/api/v1', { callback: `${recv.url}/moved` });
  const b = await create('/api/v1', { callback: `${recv.url}/slow` });
  const settled = async (pk: number) => {
    for (;;) {
      const rows = await h.opt.ctx.async.outbox.list(pk);
      if (rows.length === 2 && rows.every((r) => r.state === 'failed')) return rows;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const ra = await settled(a);
  assert.ok(ra.every((r) => r.attempts === 4 && r.lastStatus === 302 && r.lastError === 'redirect 302 not followed'));
  assert.equal(recv.hits.filter((x) => x.path === '/elsewhere').length, 0);
  const rb = await settled(b);
  assert.ok(rb.every((r) => r.attempts === 4 && r.lastStatus === null && r.lastError === 'timeout after 400 ms'), JSON.stringify(rb));
});

test('one event per status change: mirrors seen twice do not repeat it; cancel sends REQUEST_CANCELED after the record is gone', async () => {
  const pk = await create('/api/v1', { callback: `${recv.url}/once` });
  await recv.waitFor((hits) => of('/once', pk)(hits).length >= 2);
  for (let i = 0; i < 3; i++) assert.equal((await h.call('GET', `/api/v1/request/${pk}`)).status, 200);
  assert.equal((await h.call('DELETE', `/api/v1/request/${pk}`)).status, 200);
  assert.equal((await h.call('GET', `/api/v1/request/${pk}`)).status, 404);
  await recv.waitFor((hits) => of('/once', pk)(hits).length >= 3);
  await h.opt.ctx.jobs.drain();
  const list = of('/once', pk)(recv.hits);
  assert.deepEqual(list.map((x) => [x.json.event_type, x.json.status, x.json.previous_status]), [
    ['REQUEST_CREATED', 'CREATED', null], ['REQUEST_APPROVED', 'ENROLLREADY', 'CREATED'], ['REQUEST_CANCELED', 'CANCELLED', 'ENROLLREADY'],
  ]);
  assert.deepEqual(list.map((x) => x.json.request), [pk, pk, pk]);
});

test('a synchronous sign sends REQUEST_ENROLLED too (after the signed files are stored)', async () => {
  const pk = await create('/api/v1', { callback: `${recv.url}/sync` });
  const { uid } = await signFlow(pk);
  await recv.waitFor((hits) => of('/sync', pk)(hits).length >= 3);
  const enrolled = of('/sync', pk)(recv.hits)[2]!;
  assert.equal(enrolled.json.event_type, 'REQUEST_ENROLLED');
  // The signed document was downloadable before the event was sent.
  const doc = await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`);
  assert.equal(doc.status, 200);
  const dir = await mkdtemp(join(tmpdir(), 'oneshot-wh-'));
  try {
    await writeFile(join(dir, 'signed.pdf'), doc.body);
    execFileSync('qpdf', ['--check', join(dir, 'signed.pdf')]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('logs and webhook bodies hold no OTP, password, PIN or identity data', async () => {
  const text = logs.join('\n') + recv.hits.map((x) => x.raw.toString()).join('\n');
  for (const secret of [tsc.rao.password, tsc.rao.pin, SECRET, PERSON.given_name, PERSON.surname_1, PERSON.email, PERSON.mobile_phone_number, PERSON.serial_number]) {
    assert.ok(!text.includes(secret), `found ${secret}`);
  }
  for (const pk of new Set(recv.hits.map((x) => (typeof x.json?.request === 'number' ? x.json.request : x.json?.request?.pk)))) {
    const otp = await tsc.lastOtp(pk).catch(() => null);
    if (otp) assert.ok(!new RegExp(`(^|\\D)${otp}(\\D|$)`).test(logs.join('\n')), `OTP of ${pk} in logs`);
  }
});

test('private, loopback and link-local targets are refused unless allowed; the socket never connects', async () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:7f00:1', '::ffff:10.0.0.1']) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  // IPv4 inside IPv6 that a host or gateway turns back into IPv4: compatible, SIIT, NAT64 (well-known
  // and local-use), 6to4; and the deprecated site-local and discard prefixes.
  for (const a of ['::127.0.0.1', '::7f00:1', '::ffff:0:7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b::10.0.0.1', '64:ff9b:1::c0a8:101',
    '2002:7f00:1::1', '2002:a9fe:a9fe::', 'fec0::1', '100::1', 'fe80::1%eth0', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:db8::1']) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '::8.8.8.8']) {
    assert.equal(isPrivateAddress(a), false, a);
  }
  assert.equal(webhookUrlProblem('http://[64:ff9b::169.254.169.254]/x', false), 'private and loopback targets are not allowed');
  assert.equal(webhookUrlProblem('http://[2002:7f00:1::1]/x', false), 'private and loopback targets are not allowed');
  assert.equal(webhookUrlProblem('http://localhost:1/x', false), 'private and loopback targets are not allowed');
  assert.equal(webhookUrlProblem('http://[::1]/x', false), 'private and loopback targets are not allowed');
  assert.equal(webhookUrlProblem('http://127.1/x', false), 'private and loopback targets are not allowed');
  assert.equal(webhookUrlProblem('ftp://example.com/x', false), 'must be an http(s) URL');
  assert.equal(webhookUrlProblem('http://u:p@example.com/x', false), 'must not carry credentials');
  assert.equal(webhookUrlProblem('http://localhost:1/x', true), null);

  const sender = new HttpWebhookSender({ timeoutMs: 1000, allowPrivate: false, userAgent: 't' });
  const before = recv.hits.length;
  const lit = await sender.post({ url: `${recv.url}/private`, body: '{}', headers: {} });
  assert.deepEqual(lit, { ok: false, status: null, error: 'refused: private and loopback targets are not allowed', permanent: true });
  // A name (not a literal): the machine's own host name resolves to a loopback or private address
  // (as in every container); it is refused inside the socket's DNS lookup, before any connection.
  const name = hostname();
  const resolved = await lookup(name);
  assert.ok(isPrivateAddress(resolved.address), `${name} resolves to ${resolved.address}`);
  const byName = await sender.post({ url: `http://${name}:${new URL(recv.url).port}/private`, body: '{}', headers: {} });
  assert.deepEqual(byName, { ok: false, status: null, error: 'refused: webhook target resolves to a private address', permanent: true });
  assert.equal(recv.hits.length, before, 'nothing reached the receiver');

  // The whole path in an Optimizer that does not allow private targets: refused once, no retries.
  const strict = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey, env: { OPTIMIZER_WEBHOOK_SECRET: SECRET, OPTIMIZER_JOB_POLL_MS: '50' } });
  try {
    const t = (await strict.call('POST', '/api/v1/token', { ...tsc.rao, env: 'sandbox' })).json.details;
    const pk = (await strict.call('POST', '/api/v1/request', { token: t, ...PERSON, callback: `${recv.url}/private` })).json.details as number;
    for (;;) {
      const rows = await strict.opt.ctx.async.outbox.list(pk);
      if (rows.length === 2 && rows.every((r) => r.state === 'failed')) {
        assert.ok(rows.every((r) => r.attempts === 1 && r.lastError?.startsWith('refused')), JSON.stringify(rows));
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(recv.hits.filter((x) => x.path === '/private').length, 0);
  } finally {
    await strict.close();
  }
});

test('a certificate revoked at the TSC becomes one CERTIFICATE_REVOKED event (TSC feed GET /tsc/v1/events)', async () => {
  const pk = await create('/api/v1', { callback: `${recv.url}/rev` });
  await signFlow(pk);
  await recv.waitFor((hits) => of('/rev', pk)(hits).length >= 3);
  const enrolled = of('/rev', pk)(recv.hits)[2]!.json;
  const serial = enrolled.certificates[0].serial_number as string;
  const admin = tsc.app.tsc.config.adminApiKey;
  const rv = await fetch(`${tsc.directUrl}/tsc/v1/admin/certificates/${serial}/revoke`, {
    method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'keyCompromise' }),
  });
  assert.equal(rv.status, 200, await rv.text());
  // The feed as the TSC serves it (client key).
  const feed = await (await fetch(`${tsc.directUrl}/tsc/v1/events?after=0`, { headers: { authorization: `Bearer ${tsc.apiKey}` } })).json() as any;
  const ev = feed.events.find((e: any) => e.serial_number === serial);
  assert.deepEqual({ ...ev, seq: 0, at: '' }, {
    seq: 0, at: '', type: 'CERTIFICATE_REVOKED', request_pk: pk, serial_number: serial, reason: 'keyCompromise',
    valid_from: ev.valid_from, valid_to: ev.valid_to,
  });
  assert.ok(feed.next >= ev.seq);
  assert.equal((await fetch(`${tsc.directUrl}/tsc/v1/events`)).status, 401, 'client key required');
  // Two pollers (two processes) read the same page: one event.
  await Promise.all([pollCertificateEvents(h.opt.ctx), pollCertificateEvents(h.opt.ctx)]);
  await recv.waitFor((hits) => of('/rev', pk)(hits).some((x) => x.json.event_type === 'CERTIFICATE_REVOKED'));
  await pollCertificateEvents(h.opt.ctx);
  await h.opt.ctx.jobs.drain();
  const revoked = of('/rev', pk)(recv.hits).filter((x) => x.json.event_type === 'CERTIFICATE_REVOKED');
  assert.equal(revoked.length, 1);
  const body = revoked[0]!.json;
  checkSigned(revoked[0]!);
  assert.deepEqual([body.status, body.previous_status, body.request], ['ISSUED', 'ISSUED', pk]);
  assert.deepEqual(body.certificates, [{ status: 'REVOKED', serial_number: serial, valid_from: enrolled.certificates[0].valid_from, valid_to: enrolled.certificates[0].valid_to }]);
});

/** Exactly one REQUEST_ENROLLED reached /mirror for `pk`, and it names the VALID certificate. */
async function assertEnrolledOnceWithCertificate(pk: number): Promise<void> {
  await recv.waitFor((hits) => of('/mirror', pk)(hits).some((x) => x.json.event_type === 'REQUEST_ENROLLED'), 'REQUEST_ENROLLED');
  await h.opt.ctx.jobs.drain();
  const enrolled = of('/mirror', pk)(recv.hits).filter((x) => x.json.event_type === 'REQUEST_ENROLLED');
  assert.equal(enrolled.length, 1);
  assert.equal(enrolled[0]!.json.certificates.length, 1, JSON.stringify(enrolled[0]!.json));
  assert.equal(enrolled[0]!.json.certificates[0].status, 'VALID');
}

test('a GET /request between the TSC signature and its local record does not send REQUEST_ENROLLED without its certificate', async () => {
  const pk = await create('/api/v1', { callback: `${recv.url}/mirror`, useasync: true });
  const jobs = h.opt.ctx.async.signJobs;
  const update = jobs.update;
  let entered!: () => void;
  const enteredP = new Promise<void>((r) => { entered = r; });
  let polled!: () => void;
  const polledP = new Promise<void>((r) => { polled = r; });
  // The TSC has signed (ISSUED there); the job is about to store its answer when a client polls.
  jobs.update = async (p, patch, expect) => {
    if (p === pk && patch.state === 'tsc_signed') {
      entered();
      await Promise.race([polledP, new Promise((r) => setTimeout(r, 3000))]);
    }
    return update.call(jobs, p, patch, expect);
  };
  let polledStatus = '';
  try {
    await signFlow(pk);
    await enteredP;
    const g = await h.call('GET', `/api/v1/request/${pk}`);
    assert.equal(g.status, 200, JSON.stringify(g.json));
    polledStatus = (await h.call('GET', `/api/v1/async/status/${pk}`)).json.details;
    polled();
    for (let i = 0; i < 400 && (await h.call('GET', `/api/v1/async/status/${pk}`)).json.details !== 'signed'; i++) await new Promise((r) => setTimeout(r, 25));
  } finally {
    jobs.update = update;
  }
  // The files are not stored yet: async/status must not say "signed" (docs/async.md).
  assert.equal(polledStatus, 'signing');
  await assertEnrolledOnceWithCertificate(pk);
});

test('a GET /request while the signatures are being stored does not send REQUEST_ENROLLED without its certificate', async () => {
  const pk = await create('/api/v1', { callback: `${recv.url}/mirror` });
  const pdf = h.opt.ctx.pdf;
  const finish = pdf.finish;
  let entered!: () => void;
  const enteredP = new Promise<void>((r) => { entered = r; });
  let polled!: () => void;
  const polledP = new Promise<void>((r) => { polled = r; });
  // The TSC has signed (ISSUED there); the sign call is still filling /Contents when a client polls.
  pdf.finish = async (...a: Parameters<typeof finish>) => {
    entered();
    await Promise.race([polledP, new Promise((r) => setTimeout(r, 3000))]);
    return finish.apply(pdf, a);
  };
  try {
    const signing = signFlow(pk);
    await enteredP;
    const g = await h.call('GET', `/api/v1/request/${pk}`);
    assert.equal(g.status, 200, JSON.stringify(g.json));
    polled();
    await signing;
  } finally {
    pdf.finish = finish;
  }
  await assertEnrolledOnceWithCertificate(pk);
});

test('GET /request that sees a change made at the TSC records its event even if the process dies before updating its mirror', async () => {
  const pk = await create('/api/v1', { callback: `${recv.url}/seen` });
  // Cancelled at the TSC behind the Optimizer's back (another Optimizer, an operator).
  await h.opt.ctx.tsc.cancelRequest(tsc.rao, pk, 'cancelled elsewhere');
  const requests = h.opt.ctx.requests;
  const update = requests.update;
  requests.update = async (p, patch) => {
    await update.call(requests, p, patch);
    if (p === pk && patch.status === 'CANCELLED') throw new Error('process killed');
  };
  try {
    assert.equal((await h.call('GET', `/api/v1/request/${pk}`)).status, 500);
  } finally {
    requests.update = update;
  }
  // Mirror = TSC now: no later look will see a change, so the event must be recorded already.
  assert.equal((await h.call('GET', `/api/v1/request/${pk}`)).status, 200);
  assert.equal((await h.opt.ctx.async.outbox.getStream(pk))?.lastStatus, 'CANCELLED');
  await recv.waitFor((hits) => of('/seen', pk)(hits).some((x) => x.json.event_type === 'REQUEST_CANCELED'), 'REQUEST_CANCELED');
});
