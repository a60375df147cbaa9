/**
 * Revocation (admin API and CLI) published through the CRL distribution points and the OCSP
 * responder named in the certificates, checked with openssl crl / verify -crl_check_all / ocsp.
 * The clock is the machine's (openssl judges thisUpdate/nextUpdate against it).
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../../src/shared/clock.js';
import { openssl, opensslOk, run, toPem } from '../../support/openssl.js';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';
import { attime, otpAndSign, pemOf, sha } from '../support/flow.js';

describe('revocation: CRL and OCSP', () => {
  let t: TestTsc;
  let work: string;
  let url: string;
  const certs: Array<{ pem: string; serial: string }> = [];

  before(async () => {
    t = await startTestTsc({ deps: { clock: new ManualClock(Math.floor(Date.now() / 1000) * 1000) } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    work = await mkdtemp(join(tmpdir(), 'tsc-revoke-'));
    await writeFile(join(work, 'root.pem'), (await t.app.inject({ method: 'GET', url: '/pki/root.pem' })).body);
    await writeFile(join(work, 'issuing.pem'), (await t.app.inject({ method: 'GET', url: '/pki/issuing.pem' })).body);
    for (let i = 0; i < 3; i++) {
      const pk = await createApprovedRequest(t);
      const r = await otpAndSign(t, pk, [{ id: 'x', digest_algorithm: 'sha256', digest: sha('sha256', `d${i}`) }]);
      const pem = join(work, `ee${i}.pem`);
      await writeFile(pem, pemOf(r.certificate));
      certs.push({ pem, serial: r.serial_number });
      t.clock.advance(1000);
    }
  });
  after(async () => {
    await t?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function crls(): Promise<string> {
    const files: string[] = [];
    for (const name of ['root', 'issuing']) {
      const res = await t.app.inject({ method: 'GET', url: `/pki/crl/${name}.crl` });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/pkix-crl');
      const der = join(work, `${name}.crl`);
      await writeFile(der, res.rawPayload);
      const v = await opensslOk(['crl', '-inform', 'DER', '-in', der, '-CAfile', join(work, 'root.pem'), '-untrusted', join(work, 'issuing.pem'), '-noout']).catch(async () =>
        opensslOk(['crl', '-inform', 'DER', '-in', der, '-CAfile', join(work, name === 'root' ? 'root.pem' : 'chain.pem'), '-noout']));
      assert.match(v.stderr + v.stdout, /verify OK/);
      files.push(toPem(res.rawPayload, 'X509 CRL'));
    }
    const p = join(work, 'crls.pem');
    await writeFile(p, files.join(''));
    return p;
  }

  async function ocspStatus(pem: string): Promise<string> {
    const r = await openssl(['ocsp', '-issuer', join(work, 'issuing.pem'), '-cert', pem, '-url', `${url}/ocsp`, '-CAfile', join(work, 'root.pem'), '-resp_text']);
    assert.match(r.stderr + r.stdout, /Response verify OK/, r.stderr + r.stdout);
    return r.stdout;
  }

  test('before any revocation: CRLs verify, chains pass -crl_check_all, OCSP says good', async () => {
    await writeFile(join(work, 'chain.pem'), (await t.app.inject({ method: 'GET', url: '/pki/chain.pem' })).body);
    const c = await crls();
    for (const { pem } of certs) {
      const v = await opensslOk(['verify', '-attime', attime(new Date(t.clock.now().getTime() + 1000)), '-crl_check_all', '-CRLfile', c, '-CAfile', join(work, 'root.pem'), '-untrusted', join(work, 'issuing.pem'), pem]);
      assert.match(v.stdout, /OK/);
      assert.match(await ocspStatus(pem), new RegExp(`${pem.replace(/[/.]/g, '\\$&')}: good`));
    }
    // The root's OCSP view of the issuing CA.
    const r = await openssl(['ocsp', '-issuer', join(work, 'root.pem'), '-cert', join(work, 'issuing.pem'), '-url', `${url}/ocsp`, '-CAfile', join(work, 'root.pem')]);
    assert.match(r.stdout, /issuing\.pem: good/);
  });

  test('admin API revoke → CRL lists it with its reason, OCSP says revoked; twice is 409; unknown is 404', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/tsc/v1/admin/certificates/${certs[0]!.serial}/revoke`, headers: t.admin, payload: { reason: 'keyCompromise' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'REVOKED');
    const again = await t.app.inject({ method: 'POST', url: `/tsc/v1/admin/certificates/${certs[0]!.serial}/revoke`, headers: t.admin, payload: {} });
    assert.equal(again.statusCode, 409);
    assert.equal((await t.app.inject({ method: 'POST', url: '/tsc/v1/admin/certificates/abcdef0123/revoke', headers: t.admin, payload: {} })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'POST', url: `/tsc/v1/admin/certificates/${certs[1]!.serial}/revoke`, headers: t.admin, payload: { reason: 'bogus' } })).statusCode, 400);
    t.clock.advance(1000);
    const c = await crls();
    const v = await openssl(['verify', '-attime', attime(new Date(t.clock.now().getTime() + 1000)), '-crl_check_all', '-CRLfile', c, '-CAfile', join(work, 'root.pem'), '-untrusted', join(work, 'issuing.pem'), certs[0]!.pem]);
    assert.notEqual(v.code, 0);
    assert.match(v.stdout + v.stderr, /certificate revoked/);
    const text = (await opensslOk(['crl', '-inform', 'DER', '-in', join(work, 'issuing.crl'), '-noout', '-text'])).stdout;
    assert.match(text, new RegExp(`Serial Number: ${certs[0]!.serial.toUpperCase()}`));
    assert.match(text, /Key Compromise/);
    const o = await ocspStatus(certs[0]!.pem);
    assert.match(o, /: revoked/);
    assert.match(o, /Reason: keyCompromise/);
    assert.match(await ocspStatus(certs[1]!.pem), /: good/);
    // The request object shows it too.
    const audit = (await t.app.tsc.deps.store.audit.list(1, 10_000)).filter((e) => e.action === 'certificate.revoked');
    assert.equal(audit.length, 1);
  });

  test('oneshot tsc-admin cert revoke does the same from the command line', async () => {
    const bin = resolve(import.meta.dirname, '../../../bin/oneshot.mjs');
    const r = await run(process.execPath, [bin, 'tsc-admin', 'cert', 'revoke', certs[2]!.serial, '--reason', 'cessationOfOperation'],
      { env: { ...process.env, ONESHOT_DATA_DIR: t.dir } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /revoked \(cessationOfOperation\)/);
    t.clock.advance(1000);
    assert.match(await ocspStatus(certs[2]!.pem), /: revoked/);
  });

  test('OCSP GET form, malformed requests, and CAs that are not ours', async () => {
    const req = join(work, 'req.der');
    await opensslOk(['ocsp', '-issuer', join(work, 'issuing.pem'), '-cert', certs[1]!.pem, '-reqout', req, '-no_nonce']);
    const der = await import('node:fs/promises').then((fs) => fs.readFile(req));
    const get = await t.app.inject({ method: 'GET', url: `/ocsp/${encodeURIComponent(der.toString('base64'))}` });
    assert.equal(get.statusCode, 200);
    assert.equal(get.headers['content-type'], 'application/ocsp-response');
    await writeFile(join(work, 'resp.der'), get.rawPayload);
    const v = await opensslOk(['ocsp', '-respin', join(work, 'resp.der'), '-issuer', join(work, 'issuing.pem'), '-cert', certs[1]!.pem, '-CAfile', join(work, 'root.pem')]);
    assert.match(v.stdout, /: good/);
    // The GET path is percent-decoded once (by the router): a "%" left after that is bad input, a 400, not a 500.
    for (const bad of ['/ocsp/%25', '/ocsp/%25E0%25A4', '/ocsp/MEMw%25QTA']) {
      const r = await t.app.inject({ method: 'GET', url: bad });
      assert.equal(r.statusCode, 400, `${bad}: ${r.body}`);
      assert.equal(r.json().error.code, 'API_ERR_INVALID_PARAMETER');
    }
    const junk = await t.app.inject({ method: 'POST', url: '/ocsp', headers: { 'content-type': 'application/ocsp-request' }, payload: Buffer.from('not der') });
    assert.equal(junk.statusCode, 200);
    await writeFile(join(work, 'junk.der'), junk.rawPayload);
    const jt = await openssl(['ocsp', '-respin', join(work, 'junk.der'), '-resp_text', '-noverify']);
    assert.match(jt.stdout + jt.stderr, /malformedrequest|malformedRequest|Responder Error: malformedrequest/i);
    const post = async (file: string) => {
      const body = await import('node:fs/promises').then((fs) => fs.readFile(join(work, file)));
      const res = await t.app.inject({ method: 'POST', url: '/ocsp', headers: { 'content-type': 'application/ocsp-request' }, payload: body });
      await writeFile(join(work, `${file}.resp`), res.rawPayload);
      return (await openssl(['ocsp', '-respin', join(work, `${file}.resp`), '-resp_text', '-noverify'])).stdout;
    };
    // A serial our issuing CA never issued: unknown.
    await opensslOk(['ocsp', '-issuer', join(work, 'issuing.pem'), '-serial', '0x0102030405060708', '-reqout', join(work, 'odd.der'), '-no_nonce']);
    assert.match(await post('odd.der'), /Cert Status: unknown/);
    // Another CA altogether: unauthorized.
    await opensslOk(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(work, 'f.key'), '-subj', '/CN=Foreign', '-days', '1', '-out', join(work, 'foreign.pem')]);
    await opensslOk(['ocsp', '-issuer', join(work, 'foreign.pem'), '-cert', join(work, 'foreign.pem'), '-reqout', join(work, 'foreign.der'), '-no_nonce']);
    assert.match(await post('foreign.der'), /Responder Error: unauthorized/);
  });
});
