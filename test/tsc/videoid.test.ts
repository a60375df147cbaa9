/**
 * TSC side of VideoID (issue 7): per-RA enablement (TSC_VIDEOID_RAS) with the documented error
 * order (unknown RA 404, another RA 403, not enabled 400), identity deferred until the
 * identification, approval refused while names or document number are missing, and evidence
 * uploads/deletions recorded in the hash-chained audit log. Bad input changes nothing.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadTscConfig } from '../../src/tsc/config.js';
import { verifyAuditChain } from '../../src/tsc/domain/audit/audit-chain.js';
import { parseVideoIdRas } from '../../src/tsc/domain/ra/videoid-policy.js';
import { startTestTsc, IDENTITY, type TestTsc } from './support/tsc-harness.js';

const SHA = 'ab'.repeat(32);

describe('TSC VideoID', () => {
  let t: TestTsc;
  const disabled = { username: 'rao-novideo', password: 'novideo-password-1', pin: '2468', registration_authority: 2000 };
  const enabled = { username: 'rao-video', password: 'video-password-1', pin: '1357', registration_authority: 3000 };

  before(async () => {
    t = await startTestTsc({ env: { TSC_VIDEOID_RAS: '1000,3000' } });
    for (const r of [disabled, enabled]) {
      const res = await t.app.inject({ method: 'POST', url: '/tsc/v1/admin/raos', headers: t.admin, payload: r });
      assert.equal(res.statusCode, 201, res.body);
    }
  });
  after(async () => t?.close());

  const create = (payload: Record<string, unknown>, headers = t.raoHeaders()) =>
    t.app.inject({ method: 'POST', url: '/tsc/v1/requests', headers, payload });
  const minimal = { email: 'signer@example.com', mobile_phone_number: '+34600111222', profile: 'PFnubeNC', videoid_mode: true };

  async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
    const head = await t.app.tsc.deps.store.audit.head();
    const out = await fn();
    assert.deepEqual(await t.app.tsc.deps.store.audit.head(), head, 'no audit entry, so no state change');
    return out;
  }

  test('TSC_VIDEOID_RAS: *, list, empty; sandbox default is the sandbox RA, prod none', () => {
    assert.equal(parseVideoIdRas('*', []), 'all');
    assert.deepEqual(parseVideoIdRas(' 1000, 139 ', []), [1000, 139]);
    assert.deepEqual(parseVideoIdRas('', [1]), []);
    assert.deepEqual(parseVideoIdRas(undefined, [7]), [7]);
    assert.throws(() => parseVideoIdRas('1000,abc', []), /TSC_VIDEOID_RAS/);
    assert.deepEqual(loadTscConfig({ ONESHOT_DATA_DIR: t.dir, ONESHOT_ENV: 'sandbox' }).videoidRas, [1000]);
    assert.deepEqual(loadTscConfig({ ONESHOT_DATA_DIR: t.dir, ONESHOT_ENV: 'prod' }).videoidRas, []);
  });

  test('a VideoID request needs only e-mail and mobile: names and document number are deferred', async () => {
    const res = await create(minimal);
    assert.equal(res.statusCode, 201, res.body);
    const r = res.json();
    assert.equal(r.status, 'VIDEOPENDING');
    assert.equal(r.videoid_mode, true);
    assert.equal(r.given_name, '');
    assert.equal(r.serial_number, '');
    // Classic requests still need the full identity.
    const classic = await unchanged(() => create({ email: 'a@example.com', mobile_phone_number: '+34600111222', profile: 'PFnubeNC', approve: true }));
    assert.equal(classic.statusCode, 400);
    assert.equal(classic.json().error.code, 'REQ_ERR_INVALID_FIELD');
    // A deferred field that is sent is still validated.
    const bad = await unchanged(() => create({ ...minimal, serial_number: 'bad serial!' }));
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(Object.keys(bad.json().error.details), ['serial_number']);
  });

  test('RA checks in the documented order: unknown RA 404, another RA 403, RA without VideoID 400', async () => {
    const unknown = await unchanged(() => create({ ...minimal, registration_authority: 4242 }));
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json().error, { code: 'RA_ERR_NOT_FOUND', message: 'Registration Authority not found' });

    const other = await unchanged(() => create({ ...minimal, registration_authority: 2000 }));
    assert.equal(other.statusCode, 403);
    assert.equal(other.json().error.code, 'RAO_ERR_PERMISSION_DENIED');

    const off = await unchanged(() => create(minimal, t.raoHeaders(disabled)));
    assert.equal(off.statusCode, 400);
    assert.deepEqual(off.json().error, { code: 'VIDEOID_ERR_NOT_ENABLED', message: 'Videoid not enabled for Registration Authority 2000' });
    // The same RAO still creates classic requests.
    assert.equal((await create({ ...IDENTITY, approve: true }, t.raoHeaders(disabled))).statusCode, 201);

    const on = await create(minimal, t.raoHeaders(enabled));
    assert.equal(on.statusCode, 201, on.body);
    assert.equal(on.json().registration_authority, 3000);
  });

  test('approval is refused while identity is incomplete (412), and works once the RAO completes it', async () => {
    const pk = (await create(minimal)).json().pk as number;
    const status = (s: string) => t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/status`, headers: t.raoHeaders(), payload: { status: s } });
    const approve = () => t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/approve`, headers: t.raoHeaders() });

    // Wrong status first: the transition error wins over missing data.
    const early = await unchanged(approve);
    assert.equal(early.statusCode, 412);
    assert.equal(early.json().error.code, 'REQ_ERR_ILLEGAL_TRANSITION');

    assert.equal((await status('VIDEOREVIEW')).statusCode, 200);
    const incomplete = await unchanged(approve);
    assert.equal(incomplete.statusCode, 412);
    assert.equal(incomplete.json().error.code, 'REQ_ERR_INCOMPLETE_DATA');
    assert.deepEqual(incomplete.json().error.details, { missing: ['given_name', 'surname_1', 'serial_number'] });

    const put = await t.app.inject({
      method: 'PUT', url: `/tsc/v1/requests/${pk}`, headers: t.raoHeaders(),
      payload: { given_name: 'Ana', surname_1: 'García', serial_number: '12345678z' },
    });
    assert.equal(put.statusCode, 200, put.body);
    const ok = await approve();
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().status, 'ENROLLREADY');
    assert.equal(ok.json().serial_number, '12345678Z');
  });

  test('evidence uploads and deletions are audited (names, SHA-256, sizes) and the chain verifies', async () => {
    const pk = (await create(minimal)).json().pk as number;
    const evidence = (payload: unknown, headers = t.raoHeaders(undefined, false)) =>
      t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/evidence`, headers, payload: payload as Record<string, unknown> });

    const up = await evidence({ event: 'uploaded', items: [{ name: 'video', sha256: SHA, size: 1234 }, { name: 'acceptance', sha256: 'cd'.repeat(32), size: 300 }] });
    assert.equal(up.statusCode, 200, up.body);
    const { audit_seq, audit_hash } = up.json();
    const del = await evidence({ event: 'deleted', items: [{ name: 'video', sha256: SHA, size: 1234 }] });
    assert.equal(del.statusCode, 200, del.body);

    const entries = await t.app.tsc.deps.store.audit.list(audit_seq, 10);
    assert.equal(entries[0]!.hash, audit_hash);
    assert.equal(entries[0]!.action, 'videoid.evidence_uploaded');
    assert.equal(entries[0]!.requestPk, pk);
    assert.deepEqual(entries[0]!.details, {
      status: 'VIDEOPENDING',
      items: [{ name: 'video', sha256: SHA, size: 1234 }, { name: 'acceptance', sha256: 'cd'.repeat(32), size: 300 }],
    });
    assert.equal(entries[1]!.action, 'videoid.evidence_deleted');
    assert.deepEqual(await verifyAuditChain(t.app.tsc.deps.store.audit), { ok: true, entries: (await t.app.tsc.deps.store.audit.head()).seq });

    // Bad input: unknown item, bad hash, duplicate, bad event, extra member — 400, nothing recorded.
    for (const bad of [
      { event: 'uploaded', items: [{ name: 'passport_scan', sha256: SHA, size: 1 }] },
      { event: 'uploaded', items: [{ name: 'video', sha256: 'XYZ', size: 1 }] },
      { event: 'uploaded', items: [{ name: 'video', sha256: SHA, size: 1 }, { name: 'video', sha256: SHA, size: 1 }] },
      { event: 'replaced', items: [{ name: 'video', sha256: SHA, size: 1 }] },
      { event: 'uploaded', items: [] },
      { event: 'uploaded', items: [{ name: 'video', sha256: SHA, size: 1, bytes: 'AAAA' }] },
    ]) {
      const res = await unchanged(() => evidence(bad));
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
    }
    // Another RA's RAO: 403; a classic request: 412; unknown request: 404; no password: 400.
    const other = await unchanged(() => evidence({ event: 'uploaded', items: [{ name: 'video', sha256: SHA, size: 1 }] }, t.raoHeaders(disabled, false)));
    assert.equal(other.statusCode, 403);
    const classicPk = (await create({ ...IDENTITY, approve: true })).json().pk;
    const classic = await unchanged(() => t.app.inject({
      method: 'POST', url: `/tsc/v1/requests/${classicPk}/evidence`, headers: t.raoHeaders(undefined, false),
      payload: { event: 'uploaded', items: [{ name: 'video', sha256: SHA, size: 1 }] },
    }));
    assert.equal(classic.statusCode, 412);
    const missing = await unchanged(() => t.app.inject({
      method: 'POST', url: '/tsc/v1/requests/999999/evidence', headers: t.raoHeaders(undefined, false),
      payload: { event: 'uploaded', items: [{ name: 'video', sha256: SHA, size: 1 }] },
    }));
    assert.equal(missing.statusCode, 404);
    const { 'x-rao-password': _pw, ...noPassword } = t.raoHeaders(undefined, false);
    const incomplete = await unchanged(() => evidence({ event: 'uploaded', items: [{ name: 'video', sha256: SHA, size: 1 }] }, noPassword));
    assert.equal(incomplete.statusCode, 400);
  });
});
