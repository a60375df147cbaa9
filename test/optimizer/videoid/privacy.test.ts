/**
 * Evidence and identity data stay where they belong (issue 7 §5, DESIGN.md §4-§5): after an
 * external and a hosted identification, neither the logs, nor the cache (Redis' port), nor the
 * TSC traffic hold evidence bytes, OCR or declared identity data or the link token; the database
 * holds them sealed; evidence files are private to the service (0600). Gen B responses of the
 * VideoID operations match the published OpenAPI description.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Cache } from '../../../src/optimizer/domain/ports.js';
import { TERMS_VERSION } from '../../../src/optimizer/domain/videoid-link.js';
import { GenBSpec } from '../../support/optimizer-openapi.js';
import { createVideoId, evidencesBody, startVideoIdEnv, uploadVideo, type VideoIdEnv } from '../../support/videoid-env.js';

const logs: string[] = [];
const cached: string[] = [];

/** A cache that records every value put in it (what Redis would hold). */
class RecordingCache implements Cache {
  private readonly m = new Map<string, unknown>();
  async get<T>(key: string): Promise<T | undefined> {
    return this.m.get(key) as T | undefined;
  }
  async set<T>(key: string, value: T): Promise<void> {
    cached.push(`${key} ${JSON.stringify(value)}`);
    this.m.set(key, value);
  }
}

let env: VideoIdEnv;
before(async () => {
  const stream = new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } });
  env = await startVideoIdEnv({ deps: () => ({ logger: { level: 'trace', stream }, cache: new RecordingCache() }) });
});
after(async () => env?.close());

test('no evidence, identity data or link token in logs, cache or TSC traffic; sealed at rest; files 0600', { timeout: 120_000 }, async () => {
  const { h } = env;
  const ext = await createVideoId(env, '/api/v1', { videoid_mode: 'external' });
  assert.equal((await h.call('POST', `/api/v1/videoid/${ext.request_pk}/evidences`, evidencesBody(env, { ocr: {
    given_name: 'Wenceslao', surname_1: 'Quiñonero', serial_number: 'Z9876543Q', id_document_type: 'IDC', id_document_country: 'ES',
  } }))).status, 200);
  assert.equal((await uploadVideo(env, `/api/v1/videoid/${ext.request_pk}/evidences/video`, env.media.webm)).status, 200);

  const hosted = await createVideoId(env, '/api/v1', {});
  const token = hosted.videoid_link.split('/').pop()!;
  const base = `/videoid/${token}`;
  await h.call('POST', `${base}/accept`, { accepted: true, terms_version: TERMS_VERSION }, { 'user-agent': 'SecretAgent/1.0' });
  await h.call('POST', `${base}/identity`, { given_name: 'Eulalia', surname_1: 'Brihuega', serial_number: 'Y1122334K' });
  await h.upload(`${base}/capture/document_front`, [{ name: 'file', filename: 'f.jpg', type: 'image/jpeg', data: env.media.front }]);
  assert.equal((await h.call('GET', `${base}/not-a-step`)).status, 404);
  // A bad call too: errors are logged, but not their inputs.
  await h.call('POST', `/api/v1/videoid/${ext.request_pk}/refuse`, { token: env.token });

  const secrets = [
    'Wenceslao', 'Quiñonero', 'Z9876543Q', 'Eulalia', 'Brihuega', 'Y1122334K', token, 'SecretAgent',
    env.media.front.toString('base64').slice(100, 160), env.media.webm.toString('base64').slice(200, 260),
  ];
  const logText = logs.join('');
  assert.ok(logText.length > 0, 'the logger was on');
  const traffic = Buffer.concat(env.tsc.traffic.map((t) => t.body)).toString('latin1');
  const db = JSON.stringify(await h.opt.db.kysely.selectFrom('opt_videoids').selectAll().execute());
  for (const s of secrets) {
    assert.ok(!logText.includes(s), `log holds ${s.slice(0, 12)}…`);
    assert.ok(!cached.join('\n').includes(s), `cache holds ${s.slice(0, 12)}…`);
    assert.ok(!db.includes(s), `opt_videoids holds ${s.slice(0, 12)}…`);
  }
  // Evidence bytes never go to the TSC (identity data does: the RA needs it for the certificate).
  for (const s of secrets.slice(6)) assert.ok(!traffic.includes(s), `TSC traffic holds ${s.slice(0, 12)}…`);
  assert.ok(traffic.includes('Wenceslao'), 'the OCR identity reached the TSC (request update)');

  const dir = join(h.dir, 'optimizer', 'blobs', String(ext.request_pk), 'videoid');
  const files = await readdir(dir);
  assert.deepEqual(files.sort(), ['document_front.jpg', 'document_owner.jpg', 'document_photo.jpg', 'document_rear.jpg', 'video.webm']);
  for (const f of files) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
});

test('Gen B responses of the VideoID operations match the published OpenAPI description', { timeout: 120_000 }, async () => {
  const spec = new GenBSpec();
  const { h } = env;
  const checked = async (method: string, url: string, r: { status: number; json: unknown }) => {
    const err = spec.check(method, url, r.status, r.json);
    assert.equal(err, null, err ?? '');
  };
  const createUrl = '/api/v1/videoid';
  const body = { token: env.token, email: 'a@example.com', mobile_phone_number: '+34600111222', profile: 'PFnubeNC', videoid_mode: 'external' };
  const created = await h.call('POST', createUrl, body);
  await checked('POST', createUrl, created);
  const pk = created.json.details.request_pk;
  await checked('POST', createUrl, await h.call('POST', createUrl, { token: env.token, profile: 'PFnubeNC' }));
  await checked('POST', createUrl, await h.call('POST', createUrl, { ...body, registration_authority: 4242 }));
  const evUrl = `/api/v1/videoid/${pk}/evidences`;
  await checked('POST', evUrl, await h.call('POST', evUrl, evidencesBody(env)));
  await checked('POST', '/api/v1/videoid/999999/evidences', await h.call('POST', '/api/v1/videoid/999999/evidences', evidencesBody(env)));
  const vUrl = `/api/v1/videoid/${pk}/evidences/video`;
  await checked('POST', vUrl, await uploadVideo(env, vUrl, env.media.webm));
  const rUrl = `/api/v1/videoid/${pk}/refuse`;
  await checked('POST', rUrl, await h.call('POST', rUrl, { token: env.token }));
  await checked('POST', rUrl, await h.call('POST', rUrl, { ...env.tsc.rao, password: 'wrong-password', reason: 'x' }));
  const aUrl = `/api/v1/requests/${pk}/approve`;
  await checked('POST', aUrl, await h.call('POST', aUrl, {}));
  await checked('POST', aUrl, await h.call('POST', aUrl, { token: env.token }));
  await checked('POST', rUrl, await h.call('POST', rUrl, { token: env.token, reason: 'after approval: refused by the TSC' }));
  assert.ok(spec.checked.length >= 8, `only ${spec.checked.length} responses had a schema: ${spec.checked.join(', ')}`);
});
