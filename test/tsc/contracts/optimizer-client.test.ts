/**
 * The contract seen from the other side: the Optimizer's own TSC client
 * (src/optimizer/adapters/http-tsc-client.ts) against a real, listening TSC. Every route the
 * Optimizer uses answers in the shape it reads, and TSC errors arrive as the same stable codes.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { HttpTscClient } from '../../../src/optimizer/adapters/http-tsc-client.js';
import type { TscSignRequest } from '../../../src/optimizer/domain/ports.js';
import { AppError } from '../../../src/shared/errors.js';
import { startTestTsc, IDENTITY, type TestTsc } from '../support/tsc-harness.js';
import { sha } from '../support/flow.js';

describe('Optimizer HttpTscClient against the real TSC', () => {
  let t: TestTsc;
  let client: HttpTscClient;
  let creds: { username: string; password: string; pin: string };
  before(async () => {
    t = await startTestTsc();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    client = new HttpTscClient({ baseUrl: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, apiKey: t.config.clientApiKey, timeoutMs: 10_000 });
    creds = { username: t.rao.username, password: t.rao.password, pin: t.rao.pin };
  });
  after(async () => t?.close());

  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof AppError, String(e));
      return (e as AppError).code;
    }
    return 'no error';
  };

  test('verify, create (approved), get, update, OTP, contract, signing-info, sign, cancel', async () => {
    const rao = await client.verifyRao(creds);
    assert.deepEqual(rao, { raoId: rao.raoId, username: 'sandbox', registrationAuthority: 1000 });
    const created = await client.createRequest(creds, { ...IDENTITY, profile: 'PFnubeNC', approve: true });
    assert.equal(created.status, 'ENROLLREADY');
    const pk = created.pk as number;
    assert.equal((await client.getRequest(creds, pk)).pk, pk);
    assert.equal((await client.updateRequest(creds, pk, { email: 'other@example.com' })).email, 'other@example.com');
    await client.sendOtp(pk, 'sms');
    const pdf = await client.getContract(pk);
    assert.equal(Buffer.from(pdf.subarray(0, 5)).toString('latin1'), '%PDF-');
    const info = await client.signingInfo('PFnubeNC', 'B-T');
    assert.equal(info.keyAlgorithm, 'EC-P256');
    assert.ok(info.cmsMaxBytes > 2000);
    assert.equal(info.chain.length, 2);
    assert.equal(await code(client.sign(pk, { secret: '99999x', level: 'B-T', digests: [] })), 'API_ERR_MISSING_PARAMETER');
    const body: TscSignRequest = {
      secret: await t.lastOtp(pk), level: 'B-T',
      digests: [{ id: 'doc', digest_algorithm: 'sha256', digest: sha('sha256', 'pdf'), format: 'pades' as const }],
    };
    const key = { idempotencyKey: 'oneshot-sign-job:contract-test' };
    const res = await client.sign(pk, body, key);
    assert.equal(res.replayed, undefined);
    assert.equal(res.signatures.length, 1);
    assert.equal(res.level, 'B-T'); // stamped by the TSC's own TSA
    assert.ok(res.serialNumber.length >= 16);
    assert.ok(Buffer.from(res.signatures[0]!.cms, 'base64').length <= info.cmsMaxBytes);
    assert.equal(await code(client.sign(pk, { secret: '000000', level: 'B-T', digests: [{ id: 'doc', digest_algorithm: 'sha256', digest: sha('sha256', 'pdf'), format: 'pades' as const }] })), 'REQ_ERR_ALREADY_ISSUED');
    // The same call again without the Idempotency-Key: the documented 412; with it (a lost answer,
    // docs/async.md): the stored answer, marked replayed.
    assert.equal(await code(client.sign(pk, body)), 'REQ_ERR_ALREADY_ISSUED');
    assert.deepEqual(await client.sign(pk, body, key), { ...res, replayed: true });
    const other = await client.createRequest(creds, { ...IDENTITY, approve: true });
    assert.equal((await client.cancelRequest(creds, other.pk as number, 'changed mind')).status, 'CANCELLED');
  });

  test('TSC errors reach the Optimizer with their stable codes', async () => {
    assert.equal(await code(client.verifyRao({ username: 'nobody', password: 'x' } as any)), 'RAO_ERR_NOT_FOUND');
    assert.equal(await code(client.createRequest({ ...creds, password: 'bad' }, { ...IDENTITY, approve: true })), 'RAO_ERR_INVALID_CREDENTIALS');
    assert.equal(await code(client.createRequest(creds, { ...IDENTITY, mobile_phone_number: '600', approve: true })), 'REQ_ERR_INVALID_FIELD');
    assert.equal(await code(client.getRequest(creds, 777777)), 'REQ_ERR_NOT_FOUND');
    const pk = (await client.createRequest(creds, { ...IDENTITY, approve: true })).pk as number;
    await client.sendOtp(pk);
    assert.equal(await code(client.sendOtp(pk)), 'OTP_ERR_THROTTLED');
    assert.equal(await code(client.sign(pk, { secret: '12345', level: 'B-B', digests: [{ id: 'd', digest_algorithm: 'sha256', digest: sha('sha256', 'x'), format: 'pades' as const }] })), 'OTP_ERR_INVALID');
    const bad = new HttpTscClient({ baseUrl: (client as any).opts.baseUrl, apiKey: 'wrong', timeoutMs: 5000 });
    assert.equal(await code(bad.signingInfo('PFnubeNC', 'B-B')), 'API_ERR_UNAUTHORIZED');
  });
});
