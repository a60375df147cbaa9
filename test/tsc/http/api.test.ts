/**
 * The HTTP surface: credentials per route family, the error envelope for malformed input, the
 * sign call's "digests only" fence (size and shape), OpenAPI, public PKI routes, secrets kept
 * out of the logs.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';
import { requestOtp, sign, sha } from '../support/flow.js';
import { REDACT, safeError } from '../../../src/tsc/app.js';

describe('TSC HTTP API', () => {
  let t: TestTsc;
  const logLines: string[] = [];
  before(async () => {
    const stream = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
    // The production logger options, writing to a buffer.
    t = await startTestTsc({ deps: { logger: { level: 'info', stream, redact: REDACT, serializers: { err: safeError } } as any } });
  });
  after(async () => t?.close());

  test('client routes need the client key, admin routes the admin key (401 envelope)', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${t.config.adminApiKey}` }, { authorization: t.config.clientApiKey }]) {
      const r = await t.app.inject({ method: 'GET', url: '/tsc/v1/signing-info', headers });
      assert.equal(r.statusCode, 401);
      assert.deepEqual(r.json(), { error: { code: 'API_ERR_UNAUTHORIZED', message: 'Client credential required' } });
    }
    const a = await t.app.inject({ method: 'GET', url: '/tsc/v1/admin/raos', headers: t.client });
    assert.equal(a.statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/tsc/v1/admin/raos', headers: t.admin })).statusCode, 200);
    // Public: no credential.
    for (const url of ['/pki/root.pem', '/pki/root.crt', '/pki/issuing.pem', '/pki/issuing.crt', '/pki/chain.pem', '/pki/pds/en', '/health', '/docs/json']) {
      assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 200, url);
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/pki/issuing.crt' })).headers['content-type'], 'application/pkix-cert');
  });

  test('an RAO whose password or PIN an HTTP header cannot carry is refused at creation; Latin-1 works end to end', async () => {
    const add = (username: string, password: string, pin: string) => t.app.inject({
      method: 'POST', url: '/tsc/v1/admin/raos', headers: t.admin, payload: { username, password, pin, registration_authority: 4242 },
    });
    for (const [password, pin, field] of [
      ['price-in-€-euros', '1234', 'password'], ['line\nbreak-pw', '1234', 'password'], [' leading-space', '1234', 'password'],
      ['trailing-space ', '1234', 'password'], ['good-password-1', '12€4', 'pin'],
    ] as const) {
      const r = await add(`bad-${field}-${password.length}-${pin.length}`, password, pin);
      assert.equal(r.statusCode, 400, `${JSON.stringify(password)} / ${JSON.stringify(pin)}`);
      assert.equal(r.json().error.code, 'API_ERR_INVALID_PARAMETER');
      assert.deepEqual(Object.keys(r.json().error.details), [field]);
      assert.ok(!r.body.includes(password) || field === 'pin', 'the value is not echoed');
    }
    // é and ñ are Latin-1: created, and the credentials authenticate through the headers.
    assert.equal((await add('latin1-rao', 'contraseña-válida', 'ñ234')).statusCode, 201);
    const headers = { ...t.client, 'x-rao-username': 'latin1-rao', 'x-rao-password': Buffer.from('contraseña-válida', 'latin1').toString('latin1') };
    const v = await t.app.inject({ method: 'POST', url: '/tsc/v1/rao/verify', headers, payload: {} });
    assert.equal(v.statusCode, 200, v.body);
  });

  test('malformed JSON, wrong media type, unknown route: 4xx in the envelope', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/tsc/v1/requests', headers: { ...t.raoHeaders(), 'content-type': 'application/json' }, payload: '{"given_name": ' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'API_ERR_INVALID_JSON');
    const media = await t.app.inject({ method: 'POST', url: '/tsc/v1/requests', headers: { ...t.raoHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    assert.equal(media.statusCode, 415);
    assert.equal(media.json().error.code, 'API_ERR_UNSUPPORTED_MEDIA_TYPE');
    const nf = await t.app.inject({ method: 'GET', url: '/tsc/v1/nothing', headers: t.client });
    assert.equal(nf.statusCode, 404);
    assert.equal(nf.json().error.code, 'API_ERR_NOT_FOUND');
  });

  test('sign accepts digests only: size cap, unknown members, wrong digest length, too many digests → 4xx, OTP untouched', async () => {
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    const code = await t.lastOtp(pk);
    const good = { id: 'd', digest_algorithm: 'sha256', digest: sha('sha256', 'x') };
    const huge = Buffer.alloc(300 * 1024, 0x41).toString('base64');
    const cases: Array<[unknown, number, string]> = [
      [{ secret: code, digests: [good], document: huge }, 413, 'API_ERR_BODY_TOO_LARGE'],
      [{ secret: code, digests: [good], content: 'JVBERi0xLjcK' }, 400, 'API_ERR_INVALID_PARAMETER'],
      [{ secret: code, digests: [{ ...good, data: 'JVBERi0xLjcK' }] }, 400, 'API_ERR_INVALID_PARAMETER'],
      [{ secret: code, digests: [{ ...good, digest: Buffer.alloc(64).toString('base64') }] }, 400, 'CMS_ERR_INVALID_DIGEST'],
      [{ secret: code, digests: [{ ...good, digest: Buffer.alloc(1000).toString('base64') }] }, 400, 'API_ERR_INVALID_PARAMETER'],
      [{ secret: code, digests: [{ ...good, digest: Buffer.alloc(31).toString('base64') }] }, 400, 'CMS_ERR_INVALID_DIGEST'],
      [{ secret: code, digests: [{ ...good, digest_algorithm: 'md5' }] }, 400, 'CMS_ERR_UNSUPPORTED_ALGORITHM'],
      [{ secret: code, digests: Array.from({ length: 65 }, (_, i) => ({ ...good, id: `d${i}` })) }, 400, 'API_ERR_INVALID_PARAMETER'],
      [{ secret: code, digests: [good, good] }, 400, 'API_ERR_INVALID_PARAMETER'],
      [{ secret: code, digests: [{ ...good, format: 'pades', signing_time: true }] }, 400, 'API_ERR_INVALID_PARAMETER'],
      [{ secret: code, digests: [{ ...good, format: 'cades', other_attributes: [{ oid: '1.2.840.113549.1.9.4', values: ['BAA='] }] }] }, 400, 'CMS_ERR_INVALID_ATTRIBUTE'],
      [{ secret: code, digests: [{ ...good, format: 'cades', other_attributes: [{ oid: '1.2.3.4', values: ['not der'] }] }] }, 400, 'API_ERR_INVALID_PARAMETER'],
      [{ secret: code, digests: [{ ...good, format: 'cades', other_attributes: [{ oid: '1.2.3.4', values: ['AQID'] }] }] }, 422, 'CMS_ERR_MALFORMED'],
      [{ secret: code, digests: [], level: 'B-B' }, 400, 'API_ERR_MISSING_PARAMETER'],
      [{ digests: [good] }, 400, 'API_ERR_MISSING_PARAMETER'],
      [{ secret: code, digests: [good], level: 'B-LTA' }, 400, 'API_ERR_INVALID_PARAMETER'],
    ];
    for (const [body, status, codeName] of cases) {
      const head = await t.app.tsc.deps.store.audit.head();
      const r = await sign(t, pk, body as Record<string, unknown>);
      assert.equal(r.statusCode, status, `${codeName}: ${r.body.slice(0, 200)}`);
      assert.equal(r.json().error.code, codeName, r.body.slice(0, 200));
      assert.deepEqual(await t.app.tsc.deps.store.audit.head(), head);
    }
    const missing = await sign(t, pk, { digests: [good] });
    assert.equal(missing.json().error.message, "Missing required parameter: 'secret'");
    // The OTP was never consumed by any of those: it still signs.
    const ok = await sign(t, pk, { secret: code, digests: [good] });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('OpenAPI describes the contract routes with their schemas', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    assert.equal(doc.openapi.slice(0, 2), '3.');
    for (const p of ['/tsc/v1/requests', '/tsc/v1/requests/{pk}/sign', '/tsc/v1/signing-info', '/tsc/v1/admin/audit/verify', '/pki/root.pem']) {
      assert.ok(doc.paths[p], p);
    }
    const signOp = doc.paths['/tsc/v1/requests/{pk}/sign'].post;
    assert.ok(signOp.requestBody.content['application/json'].schema.properties.digests);
    assert.equal(signOp.requestBody.content['application/json'].schema.additionalProperties, false);
  });

  test('no secret reaches the log: API keys, RAO password/PIN and OTPs are absent', async () => {
    const pk = await createApprovedRequest(t);
    await requestOtp(t, pk);
    const code = await t.lastOtp(pk);
    await sign(t, pk, { secret: code, digests: [{ id: 'd', digest_algorithm: 'sha256', digest: sha('sha256', 'y') }] });
    await sign(t, pk, { secret: code, digests: [{ id: 'd', digest_algorithm: 'sha256', digest: sha('sha256', 'y') }] });
    const all = logLines.join('');
    assert.ok(all.length > 0, 'the logger wrote something');
    for (const secret of [t.config.clientApiKey, t.config.adminApiKey, t.rao.password, t.rao.pin, code, 'maria.nunez@example.com', '+34600123123']) {
      assert.ok(!all.includes(secret), `log contains ${secret.slice(0, 4)}…`);
    }
  });

  test('logged errors keep name, code, message and stack only (driver details may hold row data)', () => {
    const pgLike = Object.assign(new Error('null value in column "email"'), { code: '23502', detail: 'Failing row contains (María, maria@example.com)' });
    const out = safeError(pgLike);
    assert.equal(out.code, '23502');
    assert.ok(!JSON.stringify(out).includes('maria@example.com'));
  });
});
