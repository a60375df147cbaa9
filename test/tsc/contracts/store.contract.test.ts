/**
 * One contract suite for the TSC stores, run over SQLite and PostgreSQL (DESIGN.md §4): the
 * compare-and-set operations the security rules rest on (OTP single use, resend throttle, signing
 * claim, audit chain) must hold on both engines, under real concurrency on PostgreSQL.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ManualClock } from '../../../src/shared/clock.js';
import { AppError } from '../../../src/shared/errors.js';
import { openTscPersistence, type KyselyTscPersistence } from '../../../src/tsc/adapters/kysely/kysely-persistence.js';
import { appendAudit, verifyAuditChain } from '../../../src/tsc/domain/audit/audit-chain.js';
import type { NewRequest } from '../../../src/tsc/domain/model.js';
import { TEST_DBS, type TestDb } from '../support/databases.js';

function newRequest(ra: number, over: Partial<NewRequest> = {}): NewRequest {
  const now = new Date('2026-01-02T03:04:05Z');
  return {
    givenName: 'Ana', surname1: 'Núñez', surname2: 'Łukasz', email: 'ana@example.com', mobilePhoneNumber: '+34600123123',
    serialNumber: '12345678Z', idDocumentType: 'IDC', idDocumentCountry: 'ES', residence: '', residenceCity: '', residencePostalCode: '',
    residenceAddress: '', status: 'ENROLLREADY', profile: 'PFnubeNC', registrationAuthority: ra, scratchcard: '1234567',
    communicationLanguage: 'ES', videoidMode: false, registeringRaoId: 1, approvingRaoId: 1, createdAt: now, updatedAt: now, ...over,
  };
}

for (const [name, make] of TEST_DBS) {
  describe(`TSC stores on ${name}`, () => {
    let tdb: TestDb;
    let s: KyselyTscPersistence;
    const clock = new ManualClock(new Date('2026-01-02T03:04:05Z'));

    before(async () => {
      tdb = await make();
      s = await openTscPersistence(tdb.url);
    });
    after(async () => {
      await s?.close();
      await tdb?.drop();
    });

    test('migrations are idempotent (a second open migrates nothing and works)', async () => {
      const again = await openTscPersistence(tdb.url);
      assert.equal((await again.audit.head()).seq, (await s.audit.head()).seq);
      await again.close();
    });

    test('RAO accounts: insert, find, list, unique username, remove', async () => {
      const a = await s.raos.insert({ username: 'rao-a', registrationAuthority: 7, passwordHash: 'h1', pinHash: 'h2', createdAt: clock.now() });
      assert.ok(a.id > 0);
      assert.equal((await s.raos.findByUsername('rao-a'))?.registrationAuthority, 7);
      assert.equal((await s.raos.findById(a.id))?.username, 'rao-a');
      await assert.rejects(
        s.raos.insert({ username: 'rao-a', registrationAuthority: 8, passwordHash: 'x', pinHash: 'y', createdAt: clock.now() }),
        (e: unknown) => e instanceof AppError && e.code === 'RAO_ERR_ALREADY_EXISTS',
      );
      assert.ok((await s.raos.list()).some((r) => r.username === 'rao-a'));
      assert.equal(await s.raos.remove('rao-a'), true);
      assert.equal(await s.raos.remove('rao-a'), false);
      assert.equal(await s.raos.findByUsername('rao-a'), null);
    });

    test('requests: insert/get round-trip keeps Unicode and types; update is a compare-and-set on status', async () => {
      const r = await s.requests.insert(newRequest(11));
      const got = await s.requests.get(r.pk);
      assert.equal(got?.surname1, 'Núñez');
      assert.equal(got?.surname2, 'Łukasz');
      assert.equal(got?.videoidMode, false);
      assert.equal(got?.signingSince, null);
      assert.equal(got?.createdAt.toISOString(), '2026-01-02T03:04:05.000Z');
      assert.equal(await s.requests.get(999999), null);
      assert.equal(await s.requests.get(-1), null);

      const wrongFrom = await s.requests.update(r.pk, { status: 'CANCELLED' }, { statuses: ['CREATED'] });
      assert.equal(wrongFrom, null);
      assert.equal((await s.requests.get(r.pk))?.status, 'ENROLLREADY');
      const ok = await s.requests.update(r.pk, { email: 'new@example.com', updatedAt: new Date(0) }, { statuses: ['ENROLLREADY'] });
      assert.equal(ok?.email, 'new@example.com');
    });

    test('signing claim: of 12 concurrent claims exactly one wins; a stale claim can be taken over', async () => {
      const r = await s.requests.insert(newRequest(12));
      const now = 1_000_000;
      const results = await Promise.all(Array.from({ length: 12 }, () => s.requests.claimForSigning(r.pk, now, now - 60_000)));
      assert.equal(results.filter(Boolean).length, 1);
      // A claim blocks updates that require "nobody is signing".
      assert.equal(await s.requests.update(r.pk, { status: 'CANCELLED' }, { statuses: ['ENROLLREADY'], noClaimNewerThan: now - 60_000 }), null);
      // Stale (older than staleBefore): another caller may take over.
      assert.equal(await s.requests.claimForSigning(r.pk, now + 120_000, now + 60_000), true);
      await s.requests.releaseClaim(r.pk, now); // the old owner's release is a no-op now
      assert.equal((await s.requests.get(r.pk))?.signingSince, now + 120_000);
      await s.requests.releaseClaim(r.pk, now + 120_000);
      assert.equal((await s.requests.get(r.pk))?.signingSince, null);
      // Not ENROLLREADY: no claim.
      const c = await s.requests.insert(newRequest(12, { status: 'CREATED' }));
      assert.equal(await s.requests.claimForSigning(c.pk, now, now - 1), false);
    });

    test('OTP: replace honours the throttle atomically; consume is single-use under concurrency', async () => {
      const r = await s.requests.insert(newRequest(13));
      const t0 = 5_000_000;
      const rec = { requestPk: r.pk, codeHmac: 'a'.repeat(64), channel: 'sms', createdAt: t0, expiresAt: t0 + 300_000, attempts: 0, usedAt: null };
      assert.equal(await s.otps.replace(rec, t0 - 60_000), true);
      // Within the throttle window: refused, even by several concurrent callers.
      const again = await Promise.all(Array.from({ length: 5 }, (_, i) =>
        s.otps.replace({ ...rec, codeHmac: String(i).repeat(64), createdAt: t0 + 10_000 }, t0 + 10_000 - 60_000)));
      assert.deepEqual(again, [false, false, false, false, false]);
      assert.equal((await s.otps.get(r.pk))?.codeHmac, 'a'.repeat(64));

      assert.equal(await s.otps.consume(r.pk, 'b'.repeat(64), t0 + 1000, 5), false); // wrong code
      assert.equal(await s.otps.recordFailure(r.pk), 1);
      const wins = await Promise.all(Array.from({ length: 10 }, () => s.otps.consume(r.pk, 'a'.repeat(64), t0 + 2000, 5)));
      assert.equal(wins.filter(Boolean).length, 1);
      assert.equal(await s.otps.consume(r.pk, 'a'.repeat(64), t0 + 3000, 5), false);
      assert.equal(await s.otps.recordFailure(r.pk), null); // used: no counting

      // After the throttle window a new OTP replaces the used one and resets the counters.
      const t1 = t0 + 61_000;
      assert.equal(await s.otps.replace({ ...rec, codeHmac: 'c'.repeat(64), createdAt: t1, expiresAt: t1 + 300_000 }, t1 - 60_000), true);
      const fresh = await s.otps.get(r.pk);
      assert.equal(fresh?.usedAt, null);
      assert.equal(fresh?.attempts, 0);
      // Expired: not consumable.
      assert.equal(await s.otps.consume(r.pk, 'c'.repeat(64), t1 + 300_000, 5), false);
      // Locked: not consumable even with the right code.
      for (let i = 0; i < 5; i++) await s.otps.recordFailure(r.pk);
      assert.equal(await s.otps.consume(r.pk, 'c'.repeat(64), t1 + 1000, 5), false);
      // discard removes only the matching code.
      await s.otps.discard(r.pk, 'z'.repeat(64));
      assert.ok(await s.otps.get(r.pk));
      await s.otps.discard(r.pk, 'c'.repeat(64));
      assert.equal(await s.otps.get(r.pk), null);
    });

    test('certificates: insert, get (any case), list by request, revoke once', async () => {
      const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
      await s.certificates.insert({
        serial: '0a1b2c3d4e5f60718293', requestPk: 42, profile: 'PFnubeNC', notBefore: new Date(1_000_000), notAfter: new Date(4_600_000),
        der, status: 'VALID', revokedAt: null, revocationReason: null,
      });
      const c = await s.certificates.get('0A1B2C3D4E5F60718293');
      assert.deepEqual(c?.der, der);
      assert.equal((await s.certificates.listByRequest(42)).length, 1);
      assert.equal(await s.certificates.revoke('0a1b2c3d4e5f60718293', new Date(2_000_000), 'keyCompromise'), true);
      assert.equal(await s.certificates.revoke('0a1b2c3d4e5f60718293', new Date(2_000_001), 'keyCompromise'), false);
      const rev = await s.certificates.listRevoked();
      assert.equal(rev[0]?.revokedAt?.getTime(), 2_000_000);
    });

    test('CA records: first insert wins', async () => {
      const rec = { name: 'root' as const, certDer: new Uint8Array([1, 2, 3]), keyLabel: 'ca-root', createdAt: new Date(0) };
      assert.equal(await s.ca.insert(rec), true);
      assert.equal(await s.ca.insert({ ...rec, keyLabel: 'other' }), false);
      assert.equal((await s.ca.get('root'))?.keyLabel, 'ca-root');
      assert.equal(await s.ca.get('issuing'), null);
    });

    test('nonces: a nonce is accepted once, also under concurrency; release (for its own request only) makes it usable again', async () => {
      const res = await Promise.all(Array.from({ length: 6 }, () => s.nonces.claim('nonce-0123456789abcdef', 1, 9_999_999)));
      assert.equal(res.filter(Boolean).length, 1);
      await s.nonces.release('nonce-0123456789abcdef', 2); // another request: nothing happens
      assert.equal(await s.nonces.claim('nonce-0123456789abcdef', 1, 9_999_999), false);
      await s.nonces.release('nonce-0123456789abcdef', 1);
      assert.equal(await s.nonces.claim('nonce-0123456789abcdef', 1, 9_999_999), true);
    });

    test('OTP restore undoes exactly one consume (same code, same used_at), then the code is single-use again', async () => {
      const r = await s.requests.insert(newRequest(14));
      const t0 = 7_000_000;
      const hmac = 'd'.repeat(64);
      await s.otps.replace({ requestPk: r.pk, codeHmac: hmac, channel: 'sms', createdAt: t0, expiresAt: t0 + 300_000, attempts: 0, usedAt: null }, t0 - 60_000);
      assert.equal(await s.otps.consume(r.pk, hmac, t0 + 1000, 5), true);
      assert.equal(await s.otps.restore(r.pk, hmac, t0 + 999), false, 'another consume time');
      assert.equal(await s.otps.restore(r.pk, 'e'.repeat(64), t0 + 1000), false, 'another code');
      assert.equal(await s.otps.restore(r.pk, hmac, t0 + 1000), true);
      assert.equal(await s.otps.restore(r.pk, hmac, t0 + 1000), false, 'already restored');
      const wins = await Promise.all(Array.from({ length: 6 }, () => s.otps.consume(r.pk, hmac, t0 + 2000, 5)));
      assert.equal(wins.filter(Boolean).length, 1);
    });

    test('sign results: insert/get round-trip, one per request, failures counted under concurrency, purge by age', async () => {
      const big = JSON.stringify({ signatures: Array.from({ length: 64 }, (_, i) => ({ id: `d${i}`, cms: 'M'.repeat(8000) })), name: 'Núñez' });
      const rec = { requestPk: 501, inputHash: 'a'.repeat(64), authHash: 'b'.repeat(64), resultJson: big, createdAt: 1_700_000_000_123 };
      assert.equal(await s.signResults.get(501), null);
      assert.equal(await s.signResults.recordFailure(501), null);
      await s.signResults.insert(rec);
      assert.deepEqual(await s.signResults.get(501), { ...rec, failures: 0 });
      await assert.rejects(s.signResults.insert({ ...rec, inputHash: 'c'.repeat(64) })); // a request is signed once
      const counts = await Promise.all(Array.from({ length: 8 }, () => s.signResults.recordFailure(501)));
      assert.deepEqual([...counts].sort((x, y) => x! - y!), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal((await s.signResults.get(501))?.failures, 8);
      // In a transaction that rolls back, nothing is kept (the record commits with ISSUED or not at all).
      await assert.rejects(s.transaction(async (tx) => {
        await tx.signResults.insert({ ...rec, requestPk: 502 });
        throw new Error('boom');
      }), /boom/);
      assert.equal(await s.signResults.get(502), null);
      await s.signResults.insert({ ...rec, requestPk: 503, createdAt: rec.createdAt + 1000 });
      assert.equal(await s.signResults.purge(rec.createdAt), 0, 'strictly older only');
      assert.equal(await s.signResults.purge(rec.createdAt + 1), 1);
      assert.equal(await s.signResults.get(501), null);
      assert.equal((await s.signResults.get(503))?.createdAt, rec.createdAt + 1000);
    });

    test('service certificates: insert, latest per purpose (by notAfter), by serial (any case), list', async () => {
      const rec = (serial: string, purpose: 'tsa' | 'ocsp', notAfter: number) => ({
        purpose, serial, certDer: new Uint8Array([0x30, 0x00]), keyLabel: `k-${serial}`, notBefore: new Date(0), notAfter: new Date(notAfter), createdAt: new Date(0),
      });
      assert.equal(await s.serviceCerts.latest('tsa'), null);
      await s.serviceCerts.insert(rec('0a01', 'tsa', 5_000));
      await s.serviceCerts.insert(rec('0a02', 'tsa', 9_000));
      await s.serviceCerts.insert(rec('0b01', 'ocsp', 7_000));
      assert.equal((await s.serviceCerts.latest('tsa'))?.serial, '0a02');
      assert.equal((await s.serviceCerts.latest('ocsp'))?.keyLabel, 'k-0b01');
      assert.equal((await s.serviceCerts.getBySerial('0A01'))?.purpose, 'tsa');
      assert.equal(await s.serviceCerts.getBySerial('ffff'), null);
      assert.deepEqual((await s.serviceCerts.list('tsa')).map((x) => x.serial), ['0a01', '0a02']);
      await assert.rejects(s.serviceCerts.insert(rec('0a01', 'ocsp', 1)));
    });

    test('audit: concurrent appends form one verifying chain; rollback leaves no entry', async () => {
      const before = (await s.audit.head()).seq;
      await Promise.all(Array.from({ length: 25 }, (_, i) =>
        s.transaction((tx) => appendAudit(tx, clock, { actor: 'system', action: 'test.append', requestPk: i, details: { i } }))));
      const head = await s.audit.head();
      assert.equal(head.seq, before + 25);
      assert.deepEqual(await verifyAuditChain(s.audit, 7), { ok: true, entries: head.seq });

      await assert.rejects(s.transaction(async (tx) => {
        await appendAudit(tx, clock, { actor: 'system', action: 'test.rolled_back' });
        throw new Error('boom');
      }), /boom/);
      assert.equal((await s.audit.head()).seq, head.seq);
      assert.deepEqual(await verifyAuditChain(s.audit), { ok: true, entries: head.seq });
    });

    test('audit: the table is append-only for the service connection', async () => {
      await assert.rejects(sql`update tsc_audit set action = 'x' where seq = 1`.execute(s.db.kysely), /append-only/);
      await assert.rejects(sql`delete from tsc_audit where seq = 1`.execute(s.db.kysely), /append-only/);
    });

    test('audit: an entry altered behind the service\'s back is reported as the first broken one', async () => {
      // Simulate someone with DDL rights: drop the guard, alter entry 3, restore the guard.
      const k = s.db.kysely;
      if (tdb.kind === 'postgres') {
        await sql`alter table tsc_audit disable trigger tsc_audit_append_only`.execute(k);
        await sql`update tsc_audit set details = '{"i":999}' where seq = 3`.execute(k);
        await sql`alter table tsc_audit enable trigger tsc_audit_append_only`.execute(k);
      } else {
        await sql`drop trigger tsc_audit_no_update`.execute(k);
        await sql`update tsc_audit set details = '{"i":999}' where seq = 3`.execute(k);
      }
      const v = await verifyAuditChain(s.audit);
      assert.equal(v.ok, false);
      assert.equal(v.ok === false && v.first_broken, 3);
    });

    test('audit: details rewritten to text that is not a JSON object are reported, not a crash', async () => {
      const k = s.db.kysely;
      for (const junk of ['{"i":', 'null']) {
        if (tdb.kind === 'postgres') {
          await sql`alter table tsc_audit disable trigger tsc_audit_append_only`.execute(k);
          await sql`update tsc_audit set details = ${junk} where seq = 2`.execute(k);
          await sql`alter table tsc_audit enable trigger tsc_audit_append_only`.execute(k);
        } else {
          await sql`drop trigger if exists tsc_audit_no_update`.execute(k);
          await sql`update tsc_audit set details = ${junk} where seq = 2`.execute(k);
        }
        const v = await verifyAuditChain(s.audit);
        assert.deepEqual(v.ok === false && [v.first_broken, v.reason], [2, 'details are not a JSON object'], junk);
      }
    });

    test('appendAudit refuses detail keys that look like identity data or secrets', async () => {
      await assert.rejects(s.transaction((tx) => appendAudit(tx, clock, { actor: 'system', action: 'x', details: { otp: '123456' } })), /not allowed/);
      await assert.rejects(s.transaction((tx) => appendAudit(tx, clock, { actor: 'system', action: 'x', details: { email: 'a@b.c' } })), /not allowed/);
    });
  });
}
