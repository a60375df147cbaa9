/**
 * Every documented VideoID error (oneshot-api.md §1.7, Gen B spec texts) and ours, in both
 * envelopes, against the REAL TSC — and each bad call changes nothing: the TSC's audit head, the
 * request's status and its evidence index stay as they were.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildPdf } from '../../support/pdf-build.js';
import { startHarness, type Harness } from '../../support/optimizer-harness.js';
import { createVideoId, evidencesBody, startVideoIdEnv, uploadVideo, type VideoIdEnv } from '../../support/videoid-env.js';
import { jpeg } from '../../support/videoid-fixtures.js';

let env: VideoIdEnv;
const other = { username: 'rao-novideo', password: 'novideo-password-1', pin: '2468', registration_authority: 2000 };
let otherToken: string;

before(async () => {
  env = await startVideoIdEnv();
  const admin = { authorization: `Bearer ${env.tsc.app.tsc.config.adminApiKey}` };
  const res = await env.tsc.app.inject({ method: 'POST', url: '/tsc/v1/admin/raos', headers: admin, payload: other });
  assert.equal(res.statusCode, 201, res.body);
  otherToken = (await env.h.call('POST', '/api/v1/token', { username: other.username, password: other.password, pin: other.pin })).json.details;
});
after(async () => env?.close());

const B = '/api/v1';
const C = '/oneshot/api/v1';

async function videoidRows(): Promise<number> {
  const r = await env.h.opt.db.kysely.selectFrom('opt_videoids').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Runs `fn` and asserts nothing changed: TSC audit head, VideoID rows, and (for a pk) status and evidence. */
async function unchanged<T>(fn: () => Promise<T>, pk?: number): Promise<T> {
  const snap = async () => ({
    audit: await env.tsc.app.tsc.deps.store.audit.head(),
    rows: await videoidRows(),
    ...(pk ? { status: await env.tsc.status(pk), items: (await env.h.opt.ctx.videoid.store.byRequestPk(pk))?.items } : {}),
  });
  const before = await snap();
  const out = await fn();
  assert.deepEqual(await snap(), before, 'bad input changed nothing');
  return out;
}

const base = { email: 'ana@example.com', mobile_phone_number: '+34600111222', profile: 'PFnubeNC' };

test('POST /videoid: documented errors (400 missing, 400 not enabled, 403 permission, 404 RA, Invalid JSON) change nothing', async () => {
  const { h, token } = env;
  const missing = await unchanged(() => h.call('POST', `${B}/videoid`, { token, profile: 'PFnubeNC' }));
  assert.deepEqual(missing.json, { status: '400 Bad Request', details: 'Missing required parameters: email, mobile_phone_number' });

  const noCreds = await unchanged(() => h.call('POST', `${B}/videoid`, base));
  assert.deepEqual(noCreds.json, { status: '400 Bad Request', details: "Missing required parameters: incomplete RAO's credentials" });

  const disabled = await unchanged(() => h.call('POST', `${B}/videoid`, { ...base, token: otherToken }));
  assert.deepEqual(disabled.json, { status: '400 Bad Request', details: 'Videoid not enabled for Registration Authority 2000' });
  const disabledC = await unchanged(() => h.call('POST', `${C}/videoid`, { ...base, token: otherToken }));
  assert.equal(disabledC.status, 400);
  assert.deepEqual(disabledC.json, { status: 'error', message: 'Videoid not enabled for Registration Authority 2000', details: null, code: 'VIDEOID_ERR_NOT_ENABLED' });

  const forbidden = await unchanged(() => h.call('POST', `${B}/videoid`, { ...base, token, registration_authority: '2000' }));
  assert.deepEqual(forbidden.json, {
    status: '403 Forbidden', details: 'Error creating new videoid request: {"detail":"You do not have permission to perform this action."}',
  });

  const noRa = await unchanged(() => h.call('POST', `${B}/videoid`, { ...base, token, registration_authority: 4242 }));
  assert.deepEqual(noRa.json, { status: '404 Not Found', details: 'Registration Authority not found' });

  const json = await unchanged(() => h.call('POST', `${B}/videoid`, '{"email": "a@example.com",', { 'content-type': 'application/json' }));
  assert.equal(json.status, 400);
  assert.equal(json.json.status, '400 Invalid JSON');
  assert.match(json.json.details, /^Could not parse JSON body - /);

  for (const [body, text] of [
    [{ ...base, token, webhook_url: 'ftp://x' }, /webhook_url/],
    // The sender refuses a target with user info for good: refused here, never stored.
    [{ ...base, token, webhook_url: 'https://hook:s3cret@hooks.example.com/x' }, /webhook_url: must not carry credentials/],
    [{ ...base, token, videoid_mode: 'selfie' }, /videoid_mode/],
    [{ ...base, token, env: 'prod' }, /environment is not available/],
    [{ ...base, token, email: 'not-an-email' }, /valid email/],
    [{ ...base, token, profile: 'Gold' }, /profile/],
  ] as const) {
    const r = await unchanged(() => h.call('POST', `${B}/videoid`, body));
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(JSON.stringify(r.json.details), text);
  }
});

test('POST /videoid without credentials uses settings.videoid.token (the Gen B body has none)', async () => {
  const { h, token, tsc } = env;
  assert.equal((await h.call('POST', `${B}/settings`, { videoid: { token, mode: 'external' } })).status, 200);
  try {
    const r = await h.call('POST', `${B}/videoid`, {
      mobile_phone_number: '+34600111222', email: 'ana@example.com', registration_authority: String(tsc.ra), profile: 'PFnubeNC',
      billing_username: 'billing', billing_password: Buffer.from('secret').toString('base64'), env: 'sandbox',
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.details.videoid_link, '', 'settings.videoid.mode external');
    // Settings are type-checked.
    assert.equal((await h.call('POST', `${B}/settings`, { videoid: { mode: 'selfie' } })).status, 400);
    assert.equal((await h.call('POST', `${B}/settings`, { videoid: { min_similarity: 101 } })).status, 400);
  } finally {
    await h.call('POST', `${B}/settings`, { videoid: { token: '', mode: 'eidas' } });
  }
});

test('POST …/evidences: 404 Request not found, Invalid JSON, malformed parts 400, non-image 415, OCR refused by the TSC 400 — nothing changes', async () => {
  const { h } = env;
  const v = await createVideoId(env, B, { videoid_mode: 'external' });
  const pk = v.request_pk;
  const ev = (body: unknown, id: number | string = pk) => h.call('POST', `${B}/videoid/${id}/evidences`, body as object);

  for (const id of [999999, 'abc', '0', '1e3']) {
    const r = await unchanged(() => ev(evidencesBody(env), id));
    assert.deepEqual(r.json, { status: '404 Not Found', details: 'Request not found' }, String(id));
  }
  assert.equal((await unchanged(() => ev(evidencesBody(env), '..%2F1'))).status, 404);
  // A classic request has no VideoID.
  const classic = await h.call('POST', `${B}/request`, { token: env.token, given_name: 'A', surname_1: 'B', email: 'a@example.com', mobile_phone_number: '+34600000002', serial_number: '1R', profile: 'PFnubeNC' });
  assert.equal((await unchanged(() => ev(evidencesBody(env), classic.json.details))).status, 404);

  const json = await unchanged(() => h.call('POST', `${B}/videoid/${pk}/evidences`, '{"acceptance": {', { 'content-type': 'application/json' }), pk);
  assert.equal(json.json.status, '400 Invalid JSON');

  const body = evidencesBody(env);
  const cases: [unknown, number, RegExp][] = [
    [{}, 400, /^Missing required parameters/],
    [{ acceptance: [1, 2] }, 400, /acceptance must be (an )?object/],
    [{ videoid_data: { images: { document_front: 'not base64!' } } }, 400, /not valid base64/],
    [{ videoid_data: { images: { passport_scan: body.videoid_data.images.document_front } } }, 400, /Unknown image/],
    [{ videoid_data: { images: { document_front: buildPdf().toString('base64') } } }, 415, /Unsupported image type for document_front/],
    [{ videoid_data: { ocr_data: { surname_1: 'García', serial_number: '1Z' } } }, 400, /Missing required parameters: ocr_data.given_name/],
    [{ videoid_data: { ocr_data: { ...body.videoid_data.ocr_data, id_document_type: 'XX' } } }, 400, /id_document_type/],
    [{ videoid_data: { security_checks: { liveliness: 'maybe' } } }, 400, /must be a boolean/],
    [{ videoid_data: { similarity_level: 150 } }, 400, /similarity_level/],
    [{ videoid_data: 'x' }, 400, /videoid_data must be (an )?object/],
  ];
  for (const [b, status, text] of cases) {
    const r = await unchanged(() => ev(b), pk);
    assert.equal(r.status, status, JSON.stringify(r.json));
    assert.match(r.json.details, text);
  }
  // The TSC validates the identity (its field map comes back as details); nothing is stored.
  const ocr = await unchanged(() => ev({ videoid_data: { ocr_data: { given_name: 'Ana', surname_1: 'García', serial_number: 'bad serial!' } } }), pk);
  assert.equal(ocr.status, 400);
  // Gen B types 400 details as a string (ResponseObject): the documented text, naming nothing else.
  assert.equal(typeof ocr.json.details, 'string', JSON.stringify(ocr.json));
  // Gen C keeps the TSC's field map.
  const ocrC = await unchanged(() => h.call('POST', `/oneshot/api/v1/videoid/${pk}/evidences`, { videoid_data: { ocr_data: { given_name: 'Ana', surname_1: 'García', serial_number: 'bad serial!' } } }), pk);
  assert.equal(ocrC.status, 400);
  assert.deepEqual(Object.keys(ocrC.json.details), ['serial_number']);
});

test('video upload: 415 not multipart or not a video, 400 no video part, 404 unknown; refuse/approve/validate/download/delete errors with the documented texts', async () => {
  const { h, tsc } = env;
  const v = await createVideoId(env, B, { videoid_mode: 'external' });
  const pk = v.request_pk;
  const url = `${B}/videoid/${pk}/evidences/video`;
  const json = await unchanged(() => h.call('POST', url, { video: 'x' }), pk);
  assert.equal(json.status, 415);
  const pdf = await unchanged(() => uploadVideo(env, url, buildPdf(), 'video/mp4'), pk);
  assert.equal(pdf.status, 415);
  assert.match(pdf.json.details, /^Unsupported video type: video\/mp4/);
  const jpg = await unchanged(() => uploadVideo(env, url, jpeg(), 'video/webm'), pk);
  assert.equal(jpg.status, 415);
  const none = await unchanged(() => h.upload(url, [{ name: 'note', data: 'hello' }]), pk);
  assert.deepEqual(none.json, { status: '400 Bad Request', details: "Missing required parameter: 'video'" });
  assert.equal((await unchanged(() => uploadVideo(env, `${B}/videoid/999999/evidences/video`, env.media.webm))).status, 404);

  // Refuse (Gen B RefuseReqObject_VID texts).
  const refuse = (body: unknown) => h.call('POST', `${B}/videoid/${pk}/refuse`, body as object);
  assert.deepEqual((await unchanged(() => refuse({ reason: 'x' }), pk)).json, { status: '400 Bad Request', details: "Missing required parameters: incomplete RAO's credentials" });
  assert.deepEqual((await unchanged(() => refuse({ token: env.token }), pk)).json, { status: '400 Bad Request', details: 'No reason specified' });
  assert.deepEqual((await unchanged(() => refuse({ token: env.token, reason: '   ' }), pk)).json, { status: '400 Bad Request', details: 'No reason specified' });
  assert.deepEqual((await unchanged(() => refuse({ ...tsc.rao, password: 'wrong-password', reason: 'x' }), pk)).json, { status: '403 Forbidden', details: 'Invalid RAO credentials' });
  assert.equal((await unchanged(() => h.call('POST', `${B}/videoid/${pk}/refuse`, '{"reason"', { 'content-type': 'application/json' }), pk)).json.status, '400 Invalid JSON');
  // Another RA's RAO cannot refuse (the TSC's RA isolation).
  assert.equal((await unchanged(() => refuse({ token: otherToken, reason: 'x' }), pk)).status, 403);

  // Approve (PlApproveReqObject): before the review it is an illegal transition at the TSC.
  const approve = (body: unknown, path = `${B}/requests/${pk}/approve`) => h.call('POST', path, body as object);
  assert.equal((await unchanged(() => approve({}), pk)).json.details, "Missing required parameters: incomplete RAO's credentials");
  assert.deepEqual((await unchanged(() => approve({ ...tsc.rao, pin: '0000' }), pk)).json, { status: '403 Forbidden', details: 'Invalid RAO credentials' });
  const early = await unchanged(() => approve({ token: env.token }), pk);
  assert.deepEqual(early.json, { status: '412 Precondition Failed', details: 'Invalid request status: VIDEOPENDING -> ENROLLREADY' });
  assert.equal((await unchanged(() => approve({ token: env.token }, `${B}/requests/999999/approve`))).status, 404);
  assert.equal((await unchanged(() => approve({ token: env.token }, `${C}/videoid/999999/approve`))).status, 404);

  // Validate (2-step) only from VIDEOREVIEW.
  assert.equal((await unchanged(() => h.call('POST', `${B}/videoid/${pk}/validate`, { token: env.token }), pk)).status, 412);

  // Download: unknown request, no video yet.
  assert.deepEqual((await h.call('GET', `${B}/videoid/999999/download/video`)).json, { status: '404 Not Found', details: 'Request not found' });
  assert.deepEqual((await h.call('GET', `${B}/videoid/${pk}/download/video`)).json, { status: '404 Not Found', details: 'Video not found' });
  assert.equal((await h.call('GET', `${B}/videoid/${pk}/evidences/passport`)).status, 404);

  // Deleting evidence needs credentials and a decided review.
  assert.equal((await unchanged(() => h.call('DELETE', `${B}/videoid/${pk}/evidences`, {}), pk)).status, 400);
  assert.equal((await unchanged(() => h.call('DELETE', `${B}/videoid/${pk}/evidences`, { ...tsc.rao, password: 'wrong-password' }), pk)).status, 403);
  const locked = await unchanged(() => h.call('DELETE', `${B}/videoid/${pk}/evidences`, { token: env.token }), pk);
  assert.equal(locked.status, 412);
  assert.match(locked.json.details, /once the review is decided/);
});

test('size limits: an image over OPTIMIZER_VIDEOID_MAX_IMAGE_BYTES and a video over OPTIMIZER_VIDEOID_MAX_VIDEO_BYTES are 413 and change nothing', async () => {
  const small: Harness = await startHarness({
    tscUrl: env.tsc.url, tscKey: env.tsc.apiKey,
    env: { OPTIMIZER_VIDEOID_MAX_IMAGE_BYTES: String(env.media.front.length - 1), OPTIMIZER_VIDEOID_MAX_VIDEO_BYTES: String(env.media.webm.length - 1) },
  });
  try {
    const token = (await small.call('POST', '/api/v1/token', { ...env.tsc.rao })).json.details;
    const v = (await small.call('POST', `${B}/videoid`, { ...base, token, videoid_mode: 'external' })).json.details;
    const pk = v.request_pk;
    const items = async () => (await small.opt.ctx.videoid.store.byRequestPk(pk))!.items;
    const img = await small.call('POST', `${B}/videoid/${pk}/evidences`, { videoid_data: { images: { document_front: env.media.front.toString('base64') } } });
    assert.equal(img.status, 413, JSON.stringify(img.json));
    const vid = await small.upload(`${B}/videoid/${pk}/evidences/video`, [{ name: 'video', filename: 'v.webm', type: 'video/webm', data: env.media.webm }]);
    assert.equal(vid.status, 413, JSON.stringify(vid.json));
    assert.match(vid.json.details, /too large/);
    assert.deepEqual(await items(), {});
    assert.equal(await env.tsc.status(pk), 'VIDEOPENDING');
    // The JSON body itself is bounded too (four images' worth of base64).
    const huge = await small.call('POST', `${B}/videoid/${pk}/evidences`, { acceptance: { blob: 'x'.repeat(small.opt.ctx.videoid.maxEvidenceBodyBytes) } });
    assert.equal(huge.status, 413);
  } finally {
    await small.close();
  }
});
