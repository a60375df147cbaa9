/**
 * RA behaviour over HTTP (issue 2 §3): RAO authentication texts, One-Shot validation texts with
 * stable codes, the status machine with 412 on illegal transitions, RA isolation, and "bad input
 * changes nothing" (the audit head and the request stay as they were).
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTsc, createApprovedRequest, IDENTITY, type TestTsc } from '../support/tsc-harness.js';

describe('RA: requests and RAOs', () => {
  let t: TestTsc;
  const other = { username: 'rao-other', password: 'other-password-1', pin: '4321', registration_authority: 2000 };
  const sameRa = { username: 'rao-same', password: 'same-password-1', pin: '9876', registration_authority: 1000 };

  before(async () => {
    t = await startTestTsc();
    for (const r of [other, sameRa]) {
      const res = await t.app.inject({ method: 'POST', url: '/tsc/v1/admin/raos', headers: t.admin, payload: r });
      assert.equal(res.statusCode, 201, res.body);
    }
  });
  after(async () => t?.close());

  const create = (payload: Record<string, unknown>, headers = t.raoHeaders()) =>
    t.app.inject({ method: 'POST', url: '/tsc/v1/requests', headers, payload });

  async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
    const head = await t.app.tsc.deps.store.audit.head();
    const out = await fn();
    assert.deepEqual(await t.app.tsc.deps.store.audit.head(), head, 'no audit entry, so no state change');
    return out;
  }

  test('create + approve in one call gives ENROLLREADY and the Gen B request object', async () => {
    const res = await create({ ...IDENTITY, approve: true });
    assert.equal(res.statusCode, 201);
    const r = res.json();
    assert.equal(r.status, 'ENROLLREADY');
    for (const k of ['pk', 'status', 'given_name', 'surname_1', 'surname_2', 'email', 'mobile_phone_number', 'serial_number', 'id_document_type',
      'id_document_country', 'country_name', 'profile', 'registration_authority', 'scratchcard', 'validity_time', 'paperless_mode', 'videoid_mode',
      'secure_element', 'communication_language', 'certificate_set', 'registering_user', 'approving_user', 'approving_rao', 'created_at', 'updated_at']) {
      assert.ok(k in r, `missing ${k}`);
    }
    assert.equal(r.registration_authority, 1000);
    assert.match(r.scratchcard, /^\d{7}$/);
    assert.deepEqual(r.certificate_set, []);
    assert.equal(r.registering_user.registration_authority, 1000);
    assert.equal(r.approving_user.pk, r.registering_user.pk);
    assert.equal(r.communication_language, 'ES');
  });

  test('surname_2 is optional: left out, the request is created with an empty second surname', async () => {
    const { surname_2: _omitted, ...withoutSecond } = IDENTITY as Record<string, unknown>;
    const res = await create({ ...withoutSecond, approve: true });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().surname_2, '');
  });

  test('RAO credentials: unknown user 404, wrong password or PIN 403, approval without PIN 400', async () => {
    const unknown = await unchanged(() => create({ ...IDENTITY }, { ...t.client, 'x-rao-username': 'nobody', 'x-rao-password': 'x' }));
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'RAO_ERR_NOT_FOUND');
    assert.equal(unknown.json().error.message, "Error getting RAO's id. Make sure the credentials are correct.");
    assert.equal((await create({ ...IDENTITY }, t.raoHeaders())).statusCode, 201); // a success, cached
    const wrong = await unchanged(() => create({ ...IDENTITY }, t.raoHeaders({ ...t.rao, password: 'wrong' })));
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.json().error.message, 'Invalid RAO Credentials');
    const wrongPin = await unchanged(() => create({ ...IDENTITY, approve: true }, t.raoHeaders({ ...t.rao, pin: '0000' })));
    assert.equal(wrongPin.statusCode, 403);
    const noPin = await unchanged(() => create({ ...IDENTITY, approve: true }, t.raoHeaders(t.rao, false)));
    assert.equal(noPin.statusCode, 400);
    assert.equal(noPin.json().error.code, 'RAO_ERR_INCOMPLETE_CREDENTIALS');
    const verify = await t.app.inject({ method: 'POST', url: '/tsc/v1/rao/verify', headers: t.raoHeaders(), payload: {} });
    assert.deepEqual(verify.json(), { rao_id: verify.json().rao_id, username: 'sandbox', registration_authority: 1000, password_checked: true, pin_checked: true });
    const userOnly = await t.app.inject({ method: 'POST', url: '/tsc/v1/rao/verify', headers: { ...t.client, 'x-rao-username': 'sandbox' }, payload: {} });
    assert.equal(userOnly.json().password_checked, false);
  });

  test('validation: One-Shot texts, stable codes, every bad field listed, nothing stored', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ mobile_phone_number: '600123123' }, 'mobile_phone_number', 'Please use the mobile phone number with an international prefix'],
      [{ email: 'not-an-email' }, 'email', 'Enter a valid email address'],
      [{ id_document_type: 'DNI' }, 'id_document_type', 'The id_document_type specified is not valid. Valid options are IDC, PAS, PNO, TIN, CI, CE'],
      [{ id_document_country: 'ESX' }, 'id_document_country', "'ESX' is not a valid ISO 3166-1 alpha-2 country code"],
      [{ id_document_country: 'EU' }, 'id_document_country', "'EU' is not a valid ISO 3166-1 alpha-2 country code"],
      [{ profile: 'PFother' }, 'profile', 'The profile specified is not valid. Valid options are PFnubeQAFCiudadano, PFnubeNC'],
      [{ email: undefined }, 'email', 'Missing parameter: email required'],
      [{ given_name: 'Robert<script>' }, 'given_name', 'given_name must be 1-64 letters, spaces, apostrophes, dots or hyphens'],
      [{ given_name: 'x'.repeat(65) }, 'given_name', 'given_name must be 1-64 letters, spaces, apostrophes, dots or hyphens'],
      [{ serial_number: '1234 5678' }, 'serial_number', 'serial_number must be 1-32 characters of A-Z a-z 0-9 . / -'],
      [{ communication_language: 'DE' }, 'communication_language', 'The communication_language specified is not valid. Valid options are ES, EN, PL'],
    ];
    for (const [patch, field, text] of cases) {
      const res = await unchanged(() => create({ ...IDENTITY, ...patch }));
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      assert.equal(res.json().error.code, 'REQ_ERR_INVALID_FIELD');
      assert.equal(res.json().error.message, text);
      assert.deepEqual(res.json().error.details[field], [text]);
    }
    const many = await unchanged(() => create({ ...IDENTITY, email: 'x', mobile_phone_number: '1' }));
    assert.deepEqual(Object.keys(many.json().error.details).sort(), ['email', 'mobile_phone_number']);
    // Accepted normalisations: 00-prefix, spaces, lower-case country and type.
    const ok = await create({ ...IDENTITY, mobile_phone_number: '0034 600 12 31 23', id_document_country: 'pl', id_document_type: 'pas' });
    assert.equal(ok.statusCode, 201);
    assert.equal(ok.json().mobile_phone_number, '+34600123123');
    assert.equal(ok.json().id_document_country, 'PL');
    assert.equal(ok.json().id_document_type, 'PAS');
  });

  test('an RAO only reaches its own registration authority\'s requests (403, nothing changes)', async () => {
    const pk = await createApprovedRequest(t);
    const h = t.raoHeaders(other);
    for (const [method, url, payload] of [
      ['GET', `/tsc/v1/requests/${pk}`, undefined],
      ['PUT', `/tsc/v1/requests/${pk}`, { email: 'evil@example.com' }],
      ['POST', `/tsc/v1/requests/${pk}/cancel`, {}],
      ['POST', `/tsc/v1/requests/${pk}/approve`, {}],
      ['POST', `/tsc/v1/requests/${pk}/status`, { status: 'VIDEOREVIEW' }],
    ] as const) {
      const res = await unchanged(() => t.app.inject({ method, url, headers: h, payload }));
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.equal(res.json().error.code, 'RAO_ERR_PERMISSION_DENIED');
      assert.equal(res.json().error.message, 'You do not have permission to perform this action');
    }
    assert.equal((await t.app.tsc.deps.store.requests.get(pk))!.email, IDENTITY.email);
    // Creating a request for another RA is refused too.
    const res = await unchanged(() => create({ ...IDENTITY, registration_authority: 1000 }, t.raoHeaders(other)));
    assert.equal(res.statusCode, 403);
    // Another RAO of the same RA may work on it.
    const g = await t.app.inject({ method: 'GET', url: `/tsc/v1/requests/${pk}`, headers: t.raoHeaders(sameRa) });
    assert.equal(g.statusCode, 200);
  });

  test('status machine: approve, cancel, update; illegal transitions are 412 and change nothing', async () => {
    const created = (await create({ ...IDENTITY })).json();
    assert.equal(created.status, 'CREATED');
    assert.equal(created.approving_user, null);
    const pk = created.pk;
    const upd = await t.app.inject({ method: 'PUT', url: `/tsc/v1/requests/${pk}`, headers: t.raoHeaders(), payload: { surname_2: '', email: 'new@example.com' } });
    assert.equal(upd.statusCode, 200);
    assert.equal(upd.json().email, 'new@example.com');
    assert.equal(upd.json().surname_2, '');
    const noPin = await t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/approve`, headers: t.raoHeaders(t.rao, false), payload: {} });
    assert.equal(noPin.statusCode, 400);
    const appr = await t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/approve`, headers: t.raoHeaders(sameRa), payload: {} });
    assert.equal(appr.json().status, 'ENROLLREADY');
    assert.equal(appr.json().approving_user.pk, (await t.app.tsc.deps.store.raos.findByUsername('rao-same'))!.id);
    const twice = await unchanged(() => t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/approve`, headers: t.raoHeaders(), payload: {} }));
    assert.equal(twice.statusCode, 412);
    assert.equal(twice.json().error.code, 'REQ_ERR_ILLEGAL_TRANSITION');
    assert.equal(twice.json().error.message, 'Invalid request status: ENROLLREADY -> ENROLLREADY');
    const video = await unchanged(() => t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/status`, headers: t.raoHeaders(), payload: { status: 'VIDEOREVIEW' } }));
    assert.equal(video.statusCode, 412);
    const cancel = await t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/cancel`, headers: t.raoHeaders(), payload: { reason: 'user left' } });
    assert.equal(cancel.json().status, 'CANCELLED');
    assert.equal(cancel.json().status_reason, 'user left');
    for (const [url, payload] of [[`/tsc/v1/requests/${pk}/cancel`, {}], [`/tsc/v1/requests/${pk}/approve`, {}]] as const) {
      const r = await unchanged(() => t.app.inject({ method: 'POST', url, headers: t.raoHeaders(), payload }));
      assert.equal(r.statusCode, 412);
    }
    const put = await unchanged(() => t.app.inject({ method: 'PUT', url: `/tsc/v1/requests/${pk}`, headers: t.raoHeaders(), payload: { email: 'x@example.com' } }));
    assert.equal(put.statusCode, 412);
    const otp = await unchanged(() => t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/otp`, headers: t.client, payload: {} }));
    assert.equal(otp.statusCode, 412);
  });

  test('VideoID: VIDEOPENDING → VIDEOINCOMPLETE → VIDEOREVIEW → approve; refuse from review cancels', async () => {
    const pk = (await create({ ...IDENTITY, videoid_mode: true })).json().pk;
    const status = (s: string) => t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/status`, headers: t.raoHeaders(), payload: { status: s } });
    assert.equal((await t.app.tsc.deps.store.requests.get(pk))!.status, 'VIDEOPENDING');
    assert.equal((await status('ENROLLREADY')).statusCode, 400); // approve has its own route
    assert.equal((await status('VIDEOINCOMPLETE')).json().status, 'VIDEOINCOMPLETE');
    assert.equal((await status('VIDEOREVIEW')).json().status, 'VIDEOREVIEW');
    assert.equal((await status('VIDEOPENDING')).statusCode, 412);
    const appr = await t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/approve`, headers: t.raoHeaders(), payload: {} });
    assert.equal(appr.json().status, 'ENROLLREADY');
    assert.equal(appr.json().videoid_mode, true);

    const pk2 = (await create({ ...IDENTITY, videoid_mode: true })).json().pk;
    await t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk2}/status`, headers: t.raoHeaders(), payload: { status: 'VIDEOERROR' } });
    const retry = await t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk2}/status`, headers: t.raoHeaders(), payload: { status: 'VIDEOPENDING' } });
    assert.equal(retry.json().status, 'VIDEOPENDING');
    const refuse = await t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk2}/cancel`, headers: t.raoHeaders(), payload: { reason: 'refused' } });
    assert.equal(refuse.json().status, 'CANCELLED');
    const bad = await create({ ...IDENTITY, videoid_mode: true, approve: true });
    assert.equal(bad.statusCode, 400);
  });

  test('unknown request 404 "Request <pk> not found"; malformed pk 400', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/tsc/v1/requests/99999', headers: t.raoHeaders() });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.message, 'Request 99999 not found');
    for (const pk of ['abc', '0', '-1', '1.5', '99999999999', '1%2F..%2F2']) {
      const m = await t.app.inject({ method: 'GET', url: `/tsc/v1/requests/${pk}`, headers: t.raoHeaders() });
      assert.equal(m.statusCode, 400, pk);
      assert.equal(m.json().error.code, 'API_ERR_INVALID_PARAMETER');
    }
  });

  test('admin: RAO list never shows hashes; duplicate 409; remove then the RAO is unknown', async () => {
    const list = await t.app.inject({ method: 'GET', url: '/tsc/v1/admin/raos', headers: t.admin });
    assert.ok(list.json().some((r: any) => r.username === 'rao-other'));
    assert.ok(!list.body.includes('scrypt'));
    const dup = await t.app.inject({ method: 'POST', url: '/tsc/v1/admin/raos', headers: t.admin, payload: other });
    assert.equal(dup.statusCode, 409);
    const weak = await t.app.inject({ method: 'POST', url: '/tsc/v1/admin/raos', headers: t.admin, payload: { ...other, username: 'weak', password: 'short' } });
    assert.equal(weak.statusCode, 400);
    const tmp = { username: 'rao-temp', password: 'temp-password-1', pin: '5555', registration_authority: 3000 };
    await t.app.inject({ method: 'POST', url: '/tsc/v1/admin/raos', headers: t.admin, payload: tmp });
    // Used once (its credentials are now in the verified-credentials cache), then removed: refused at once.
    assert.equal((await create({ ...IDENTITY }, t.raoHeaders(tmp))).statusCode, 201);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/tsc/v1/admin/raos/rao-temp', headers: t.admin })).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/tsc/v1/admin/raos/rao-temp', headers: t.admin })).statusCode, 404);
    const gone = await create({ ...IDENTITY }, t.raoHeaders(tmp));
    assert.equal(gone.statusCode, 404);
    // The stored secrets are scrypt records with their own salt and parameters.
    const rec = await t.app.tsc.deps.store.raos.findByUsername('rao-other');
    assert.match(rec!.passwordHash, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(rec!.passwordHash.split('$')[4], rec!.pinHash.split('$')[4]);
  });
});
