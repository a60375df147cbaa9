/**
 * The whole Optimizer on PostgreSQL (DATABASE_URL=postgres://…): a flow with a restart between
 * steps keeps its state there, the same as on SQLite.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildPdf } from '../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../support/optimizer-tsc.js';
import { startHarness, type Harness } from '../support/optimizer-harness.js';
import { createThrowawayDatabase } from '../support/optimizer-pg.js';

let tsc: RealTsc;
let h: Harness;
let drop: () => Promise<void>;

before(async () => {
  tsc = await startRealTsc();
  const db = await createThrowawayDatabase();
  drop = db.drop;
  h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey, databaseUrl: db.url });
});
after(async () => {
  await h.close();
  await drop();
  await tsc.close();
});

test('token, request, upload, sign on PostgreSQL with restarts in between', async () => {
  assert.equal(h.opt.db.kind, 'postgres');
  const token = (await h.call('POST', '/api/v1/token', { ...tsc.rao, env: 'sandbox' })).json.details;
  await h.restart();
  const pk = (await h.call('POST', '/api/v1/request', { token, given_name: 'A', surname_1: 'B', surname_2: 'C', email: 'a@b.es', mobile_phone_number: '+34600000000', serial_number: '12345678Z' })).json.details;
  await h.restart();
  const uid = (await h.upload(`/api/v1/document/${pk}`, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: buildPdf() }])).json.details;
  await h.restart();
  assert.equal((await h.call('POST', `/api/v1/otp/${pk}`)).status, 200);
  await h.restart();
  const r = await h.call('POST', `/api/v1/sign/${pk}`, { secret: await tsc.lastOtp(pk) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await h.restart();
  assert.equal((await h.call('GET', `/api/v1/document/${pk}/signed/${uid}`)).status, 200);
  assert.deepEqual((await h.call('GET', `/api/v1/token/${token}`)).json.details, { username: tsc.rao.username, password: true, pin: true });
});
