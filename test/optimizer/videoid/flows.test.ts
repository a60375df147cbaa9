/**
 * VideoID flows through the HTTP API against the REAL TSC (issue 7), each ending where the
 * documented flow ends: external mode (Gen B by request_pk, Gen C by videoid_pk) to a signed PDF
 * checked by qpdf/pdfsig/openssl; failures (security checks, similarity, corrupt video) and the
 * retry; refusal and evidence deletion; the legacy 2-step validate; webhooks VIDEOID_UPDATED,
 * VIDEOID_FAILED, VIDEOID_REFUSED, REQUEST_APPROVED with valid HMACs; evidence in the TSC audit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhookSignature } from '../../../src/optimizer/domain/webhooks.js';
import {
  auditOf, CHECKS, createVideoId, evidencesBody, hooksOf, OCR, sha256, signToPdf, startVideoIdEnv, statusOf, uploadVideo,
  WEBHOOK_SECRET, type VideoIdEnv,
} from '../../support/videoid-env.js';

let env: VideoIdEnv;

before(async () => {
  env = await startVideoIdEnv();
  // Move the TSC's request sequence ahead of the videoid_pk sequence, so the two ids differ.
  for (let i = 0; i < 3; i++) {
    const r = await env.h.call('POST', '/api/v1/request', {
      token: env.token, given_name: 'Filler', surname_1: 'Request', email: 'f@example.com', mobile_phone_number: '+34600000001',
      serial_number: '00000001R', profile: 'PFnubeNC',
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
});
after(async () => env?.close());

function signedHook(hit: { raw: Buffer; headers: Record<string, unknown> }): void {
  assert.ok(verifyWebhookSignature(WEBHOOK_SECRET, hit.raw, String(hit.headers['x-oneshot-signature'])), 'webhook HMAC verifies');
}

test('external mode, Gen B (request_pk): evidences → VIDEOINCOMPLETE, video → VIDEOREVIEW, PUT, approve → ENROLLREADY, signed PDF; webhooks and audit', { timeout: 180_000 }, async () => {
  const { h, recv } = env;
  const v = await createVideoId(env, '/api/v1', { registration_authority: env.tsc.ra, videoid_mode: 'external', webhook_url: `${recv.url}/ext-b` });
  assert.equal(v.videoid_link, '');
  assert.notEqual(v.videoid_pk, v.request_pk);
  const pk = v.request_pk;
  assert.equal(await statusOf(env, pk), 'VIDEOPENDING');

  // Data evidences with images: still no video → VIDEOINCOMPLETE.
  const ev = await h.call('POST', `/api/v1/videoid/${pk}/evidences`, evidencesBody(env));
  assert.deepEqual(ev.json, { status: '200 OK', details: 'Videoid evidences uploaded' });
  assert.equal(await statusOf(env, pk), 'VIDEOINCOMPLETE');

  // The video, streamed as multipart (Gen B path, trailing slash as in the samples) → VIDEOREVIEW.
  const vid = await uploadVideo(env, `/api/v1/videoid/${pk}/evidences/video/`, env.media.webm);
  assert.deepEqual(vid.json, { status: '200 OK', details: 'Videoid video upload completed' });
  assert.equal(await statusOf(env, pk), 'VIDEOREVIEW');

  // What the RAO reviews: the video back byte for byte, each image, the data and their hashes.
  const dl = await h.call('GET', `/api/v1/videoid/${pk}/download/video`);
  assert.equal(dl.status, 200);
  assert.equal(dl.headers['content-type'], 'video/webm');
  assert.ok(dl.body.equals(env.media.webm));
  const front = await h.call('GET', `/api/v1/videoid/${pk}/evidences/document_front`);
  assert.equal(front.headers['content-type'], 'image/jpeg');
  assert.ok(front.body.equals(env.media.front));
  const sum = (await h.call('GET', `/api/v1/videoid/${pk}/evidences`)).json.details;
  assert.equal(sum.status, 'VIDEOREVIEW');
  assert.deepEqual(sum.missing, []);
  assert.equal(sum.items.video.sha256, sha256(env.media.webm));
  assert.equal(sum.items.document_owner.sha256, sha256(env.media.selfie));
  assert.deepEqual(sum.ocr_data, OCR);
  assert.deepEqual(sum.security_checks, CHECKS);
  assert.equal(sum.similarity_level, 90);
  assert.equal(sum.acceptance['user-agent'], 'Mozilla/5.0 (test)');

  // Evidence is frozen while under review.
  const late = await uploadVideo(env, `/api/v1/videoid/${pk}/evidences/video`, env.media.mp4, 'video/mp4');
  assert.equal(late.status, 412, JSON.stringify(late.json));
  // …and cannot be deleted before the decision.
  const early = await h.call('DELETE', `/api/v1/videoid/${pk}/evidences`, { token: env.token });
  assert.equal(early.status, 412);

  // The TSC audit holds every item's SHA-256 (no evidence bytes, no identity data).
  const uploaded = (await auditOf(env, pk)).filter((e) => e.action === 'videoid.evidence_uploaded');
  const names = uploaded.flatMap((e) => (e.details.items as { name: string; sha256: string }[]));
  assert.deepEqual(names.map((i) => i.name).sort(),
    ['acceptance', 'document_front', 'document_owner', 'document_photo', 'document_rear', 'ocr_data', 'security_checks', 'similarity_level', 'video'].sort());
  assert.equal(names.find((i) => i.name === 'video')!.sha256, sha256(env.media.webm));
  assert.ok(!JSON.stringify(uploaded).includes('García'));

  // The RAO corrects the data, then approves with the token (singular path of the samples).
  assert.deepEqual((await h.call('PUT', `/api/v1/request/${pk}/`, { surname_2: 'Ruiz Pérez', scratchcard: '1234567' })).json, { status: '200 OK', details: 'Request updated' });
  const ok = await h.call('POST', `/api/v1/request/${pk}/approve/`, { token: env.token, rao: 12 });
  assert.deepEqual(ok.json, { status: '200 OK', details: 'Request approved successfully' });
  assert.equal(await statusOf(env, pk), 'ENROLLREADY');
  const req = (await h.call('GET', `/api/v1/request/${pk}`)).json.details;
  assert.equal(req.given_name, 'Ana');
  assert.equal(req.surname_2, 'Ruiz Pérez');
  assert.equal(req.serial_number, '12345678Z');

  // Then the classic steps: a signed PDF whose certificate names the identified person.
  const pdf = await signToPdf(env, '/api/v1', pk, 'videoid-external-b');
  const dir = await mkdtemp(join(tmpdir(), 'videoid-pdf-'));
  try {
    await writeFile(join(dir, 'signed.pdf'), pdf);
    const report = spawnSync('pdfsig', ['-no-ocsp', join(dir, 'signed.pdf')], { encoding: 'utf8' });
    assert.match(report.stdout, /Signer Certificate Common Name: ANA GARC/, report.stdout + report.stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  // Webhooks to the request's webhook_url (Gen B shape: request = pk), in order, signed.
  await recv.waitFor((hits) => hooksOf(env, '/ext-b', pk)(hits).length >= 5, 'external flow webhooks');
  const hooks = hooksOf(env, '/ext-b', pk)();
  assert.deepEqual(hooks.map((x) => [x.json.event_type, x.json.status]), [
    ['REQUEST_CREATED', 'VIDEOPENDING'], ['VIDEOID_UPDATED', 'VIDEOINCOMPLETE'], ['VIDEOID_UPDATED', 'VIDEOREVIEW'],
    ['REQUEST_APPROVED', 'ENROLLREADY'], ['REQUEST_ENROLLED', 'ISSUED'],
  ]);
  assert.equal(hooks.length, 5);
  hooks.forEach(signedHook);
  assert.equal(hooks[1]!.json.previous_status, 'VIDEOPENDING');
});

test('external mode, Gen C (videoid_pk; request_pk accepted too): MP4 video, approve by videoid_pk with credentials, signed PDF', { timeout: 180_000 }, async () => {
  const { h, tsc } = env;
  const C = '/oneshot/api/v1';
  const v = await createVideoId(env, C, { videoid_mode: 2 });
  const id = v.videoid_pk;
  assert.notEqual(id, v.request_pk);

  // Evidence in two calls: JSON without images, then images only.
  const body = evidencesBody(env);
  const { images, ...rest } = body.videoid_data;
  const first = await h.call('POST', `${C}/videoid/${id}/evidences`, { ...body, videoid_data: rest });
  assert.deepEqual(first.json, { status: 'success', message: 'Videoid evidences uploaded', details: 'Videoid evidences uploaded' });
  assert.equal((await h.call('POST', `${C}/videoid/${id}/evidences`, { videoid_data: { images } })).status, 200);
  assert.equal(await statusOf(env, v.request_pk), 'VIDEOINCOMPLETE');
  const vid = await uploadVideo(env, `${C}/videoid/${id}/video`, env.media.mp4, 'video/mp4');
  assert.equal(vid.status, 200, JSON.stringify(vid.json));
  assert.equal(await statusOf(env, v.request_pk), 'VIDEOREVIEW');

  // Download by the videoid_pk and, as the fallback, by the request_pk.
  for (const x of [id, v.request_pk]) {
    const dl = await h.call('GET', `${C}/videoid/${x}/video`);
    assert.equal(dl.headers['content-type'], 'video/mp4');
    assert.ok(dl.body.equals(env.media.mp4));
  }
  const ok = await h.call('POST', `${C}/videoid/${id}/approve`, tsc.rao);
  assert.deepEqual(ok.json, { status: 'success', message: 'Request approved successfully', details: 'Request approved successfully' });
  assert.equal(await statusOf(env, v.request_pk), 'ENROLLREADY');
  await signToPdf(env, C, v.request_pk, 'videoid-external-c');
});

test('failures: security check false and low similarity → VIDEOERROR (VIDEOID_FAILED); corrupt video → 422 VIDEOERROR, nothing kept; a new attempt recovers; refuse → CANCELLED (VIDEOID_REFUSED); evidence deleted and audited', { timeout: 180_000 }, async () => {
  const { h, recv } = env;
  const v = await createVideoId(env, '/api/v1', { videoid_mode: 'external', webhook_url: `${recv.url}/fail` });
  const pk = v.request_pk;

  const bad = await h.call('POST', `/api/v1/videoid/${pk}/evidences`, evidencesBody(env, { checks: { ...CHECKS, liveliness: false, document_notexpired: false } }));
  assert.equal(bad.status, 200, 'the upload itself worked');
  assert.equal(await statusOf(env, pk), 'VIDEOERROR');
  let sum = (await h.call('GET', `/api/v1/videoid/${pk}/evidences`)).json.details;
  assert.equal(sum.failure, 'security checks failed: document_notexpired, liveliness');

  // A new attempt with passing checks leaves VIDEOERROR (through VIDEOPENDING).
  assert.equal((await h.call('POST', `/api/v1/videoid/${pk}/evidences`, evidencesBody(env))).status, 200);
  assert.equal(await statusOf(env, pk), 'VIDEOINCOMPLETE');
  assert.equal((await h.call('GET', `/api/v1/videoid/${pk}/evidences`)).json.details.failure, null);

  // Similarity below settings.videoid.min_similarity (default 70): "low" is 30.
  assert.equal((await h.call('POST', `/api/v1/videoid/${pk}/evidences`, { videoid_data: { similarity_level: 'low' } })).status, 200);
  assert.equal(await statusOf(env, pk), 'VIDEOERROR');
  assert.equal((await h.call('POST', `/api/v1/videoid/${pk}/evidences`, { videoid_data: { similarity_level: 85 } })).status, 200);
  assert.equal(await statusOf(env, pk), 'VIDEOINCOMPLETE');

  // A corrupt (truncated) recording: 422, VIDEOERROR, and no video kept.
  const cut = await uploadVideo(env, `/api/v1/videoid/${pk}/evidences/video`, env.media.webm.subarray(0, Math.floor(env.media.webm.length * 0.7)));
  assert.equal(cut.status, 422, JSON.stringify(cut.json));
  assert.match(cut.json.details, /^Corrupt media: video: WebM .*; the request is now VIDEOERROR$/);
  assert.equal(await statusOf(env, pk), 'VIDEOERROR');
  assert.equal((await h.call('GET', `/api/v1/videoid/${pk}/download/video`)).status, 404);

  // The good recording completes it.
  assert.equal((await uploadVideo(env, `/api/v1/videoid/${pk}/evidences/video`, env.media.webm)).status, 200);
  assert.equal(await statusOf(env, pk), 'VIDEOREVIEW');

  // The RAO refuses with a reason.
  const refuse = await h.call('POST', `/api/v1/videoid/${pk}/refuse`, { token: env.token, reason: 'The face does not match the document photo' });
  assert.deepEqual(refuse.json, { status: '200 OK', details: 'Videoid refuse completed' });
  assert.equal(await statusOf(env, pk), 'CANCELLED');
  assert.equal((await h.call('GET', `/api/v1/request/${pk}`)).json.details.status_reason, 'The face does not match the document photo');
  // No approval after a refusal.
  assert.equal((await h.call('POST', `/api/v1/requests/${pk}/approve`, { token: env.token })).status, 412);

  // Now the evidence may go: deleted, gone from the store, audited.
  const del = await h.call('DELETE', `/api/v1/videoid/${pk}/evidences`, { token: env.token });
  assert.deepEqual(del.json, { status: '200 OK', details: 'Videoid evidences deleted' });
  assert.equal((await h.call('GET', `/api/v1/videoid/${pk}/download/video`)).status, 404);
  assert.equal((await h.call('GET', `/api/v1/videoid/${pk}/evidences/document_front`)).status, 404);
  sum = (await h.call('GET', `/api/v1/videoid/${pk}/evidences`)).json.details;
  assert.deepEqual(sum.items, {});
  assert.equal(sum.ocr_data, null);
  assert.ok(sum.evidence_deleted_at);
  const deleted = (await auditOf(env, pk)).filter((e) => e.action === 'videoid.evidence_deleted');
  assert.equal(deleted.length, 1);
  assert.equal((deleted[0]!.details.items as { name: string; sha256: string }[]).find((i) => i.name === 'video')!.sha256, sha256(env.media.webm));
  const again = await h.call('DELETE', `/api/v1/videoid/${pk}/evidences`, { token: env.token });
  assert.equal(again.json.details, 'No videoid evidences to delete');

  await recv.waitFor((hits) => hooksOf(env, '/fail', pk)(hits).some((x) => x.json.event_type === 'VIDEOID_REFUSED'), 'refusal webhook');
  const types = hooksOf(env, '/fail', pk)().map((x) => `${x.json.event_type}:${x.json.status}`);
  assert.deepEqual(types, [
    'REQUEST_CREATED:VIDEOPENDING', 'VIDEOID_FAILED:VIDEOERROR', 'VIDEOID_UPDATED:VIDEOPENDING', 'VIDEOID_UPDATED:VIDEOINCOMPLETE',
    'VIDEOID_FAILED:VIDEOERROR', 'VIDEOID_UPDATED:VIDEOPENDING', 'VIDEOID_UPDATED:VIDEOINCOMPLETE', 'VIDEOID_FAILED:VIDEOERROR',
    'VIDEOID_UPDATED:VIDEOPENDING', 'VIDEOID_UPDATED:VIDEOREVIEW', 'VIDEOID_REFUSED:CANCELLED',
  ]);
  hooksOf(env, '/fail', pk)().forEach(signedHook);
});

test('legacy 2-step mode: validate (VIDEOREVIEW → CREATED), then pl_approve (→ ENROLLREADY); DELETE /request removes the evidence', { timeout: 180_000 }, async () => {
  const { h } = env;
  const v = await createVideoId(env, '/api/v1', { videoid_mode: 'external' });
  const pk = v.request_pk;
  assert.equal((await h.call('POST', `/api/v1/videoid/${pk}/evidences`, evidencesBody(env))).status, 200);
  assert.equal((await uploadVideo(env, `/api/v1/videoid/${pk}/evidences/video`, env.media.webm)).status, 200);
  const val = await h.call('POST', `/api/v1/videoid/${pk}/validate`, { token: env.token });
  assert.deepEqual(val.json, { status: '200 OK', details: 'Videoid validated' });
  assert.equal(await statusOf(env, pk), 'CREATED');
  const ok = await h.call('POST', `/api/v1/requests/${pk}/pl_approve`, { token: env.token });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(await statusOf(env, pk), 'ENROLLREADY');
  // Gen A download path by the videoid_pk.
  const dl = await h.call('GET', `/api/v1/download/video/${v.videoid_pk}`);
  assert.ok(dl.body.equals(env.media.webm));

  const gone = await h.call('DELETE', `/api/v1/request/${pk}`);
  assert.equal(gone.status, 200, JSON.stringify(gone.json));
  assert.equal((await h.call('GET', `/api/v1/videoid/${pk}/download/video`)).status, 404);
  assert.equal(await env.h.opt.ctx.videoid.store.byRequestPk(pk), null);
  assert.equal((await auditOf(env, pk)).filter((e) => e.action === 'videoid.evidence_deleted').length, 1);
});

test('evidence JSON and video sent concurrently both land under the request lock; the request ends VIDEOREVIEW', { timeout: 120_000 }, async () => {
  const v = await createVideoId(env, '/api/v1', { videoid_mode: 'external', given_name: 'Pre', surname_1: 'Filled' });
  const pk = v.request_pk;
  const [ev, vid] = await Promise.all([
    env.h.call('POST', `/api/v1/videoid/${pk}/evidences`, evidencesBody(env)),
    uploadVideo(env, `/api/v1/videoid/${pk}/evidences/video`, env.media.webm),
  ]);
  assert.equal(ev.status, 200, JSON.stringify(ev.json));
  assert.equal(vid.status, 200, JSON.stringify(vid.json));
  assert.equal(await statusOf(env, pk), 'VIDEOREVIEW');
  const sum = (await env.h.call('GET', `/api/v1/videoid/${pk}/evidences`)).json.details;
  assert.deepEqual(Object.keys(sum.items).sort(), ['acceptance', 'document_front', 'document_owner', 'document_photo', 'document_rear', 'ocr_data', 'security_checks', 'similarity_level', 'video']);
});

test('DELETE /request while an evidence upload is being committed: the upload cannot leave a file behind the deletion', { timeout: 120_000 }, async () => {
  const { h } = env;
  const v = await createVideoId(env, '/api/v1', { videoid_mode: 'external' });
  const pk = v.request_pk;
  const ctx = h.opt.ctx;
  const folder = join(h.config.optimizerDir, 'blobs', String(pk));
  const recordEvidence = ctx.videoid.tsc.recordEvidence;
  let audited!: () => void;
  const auditedP = new Promise<void>((r) => { audited = r; });
  let deleted!: () => void;
  const deletedP = new Promise<void>((r) => { deleted = r; });
  // The upload is audited, then (before its file is moved into place) the request is deleted.
  ctx.videoid.tsc.recordEvidence = async (...args: Parameters<typeof recordEvidence>) => {
    const out = await recordEvidence.apply(ctx.videoid.tsc, args);
    if (args[1] === pk && args[2] === 'uploaded') {
      audited();
      await Promise.race([deletedP, new Promise((r) => setTimeout(r, 1500))]);
    }
    return out;
  };
  try {
    const up = uploadVideo(env, `/api/v1/videoid/${pk}/evidences/video`, env.media.webm);
    await auditedP;
    const gone = await h.call('DELETE', `/api/v1/request/${pk}`);
    deleted();
    assert.equal(gone.status, 200, JSON.stringify(gone.json));
    await up;
  } finally {
    ctx.videoid.tsc.recordEvidence = recordEvidence;
  }
  assert.equal(await ctx.videoid.store.byRequestPk(pk), null);
  assert.equal(existsSync(folder), false, `${folder} still holds ${existsSync(folder) ? readdirSync(folder, { recursive: true }).join(', ') : ''}`);
});

test('a process dying between the TSC answer and the local mirror still sends the event (refuse → VIDEOID_REFUSED)', { timeout: 120_000 }, async () => {
  const { h } = env;
  const v = await createVideoId(env, '/api/v1', { videoid_mode: 'external' });
  const pk = v.request_pk;
  assert.equal((await h.call('POST', `/api/v1/videoid/${pk}/evidences`, evidencesBody(env))).status, 200);
  assert.equal((await uploadVideo(env, `/api/v1/videoid/${pk}/evidences/video`, env.media.webm)).status, 200);
  assert.equal(await statusOf(env, pk), 'VIDEOREVIEW');
  const requests = h.opt.ctx.requests;
  const update = requests.update;
  // The mirror's update is stored, then the process "dies".
  requests.update = async (p, patch) => {
    await update.call(requests, p, patch);
    if (p === pk && patch.status === 'CANCELLED') throw new Error('process killed');
  };
  try {
    const r = await h.call('POST', `/api/v1/videoid/${pk}/refuse`, { token: env.token, reason: 'document unreadable' });
    assert.equal(r.status, 500);
  } finally {
    requests.update = update;
  }
  assert.equal(await statusOf(env, pk), 'CANCELLED');
  // Nothing will observe a change any more (mirror = TSC): the event must already be in the outbox.
  assert.equal((await h.opt.ctx.async.outbox.getStream(pk))?.lastStatus, 'CANCELLED');
});
