/**
 * Levels when something is unavailable (issue 5), through the Optimizer's HTTP API with the real
 * TSC and a real external TSA (`openssl ts -reply` behind a loopback server):
 *  - external TSAs from the settings (failover, per-TSA hash) stamp the signatures and the
 *    document timestamp; a document timestamp from another TSA than the signature's brings its
 *    own validation data in a second DSS;
 *  - TSA unreachable, fail-closed: 503 TSA_ERR_UNAVAILABLE, nothing consumed (the TSC request stays
 *    ENROLLREADY with the OTP unused, no work files left); the same OTP signs once the TSA is back;
 *  - TSA unreachable, degrade: B-B, and the answer says so;
 *  - B-LT validation data unreachable (certificates pointing at a dead URL), fail-closed: 503
 *    LTV_ERR_UNAVAILABLE before the OTP is spent; degrade: B-T with the same OTP, reported.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/shared/clock.js';
import { buildTscApp, type TscApp } from '../../src/tsc/app.js';
import { loadTscConfig } from '../../src/tsc/config.js';
import { buildPdf } from '../support/pdf-build.js';
import { startRealTsc, type RealTsc } from '../support/optimizer-tsc.js';
import { pdfboxVerify } from '../support/pdfbox-oracle.js';
import { startHarness, type Harness } from '../support/optimizer-harness.js';
import { qpdfDss } from '../support/level-oracles.js';
import { closedPortUrl, startOpensslTsaServer, type OpensslTsaServer } from '../tsc/support/openssl-tsa-server.js';

const PERSON = { given_name: 'Marta', surname_1: 'Ruiz', email: 'marta@example.com', mobile_phone_number: '+34600555666', serial_number: '11223344B' };

async function newRequest(h: Harness, rao: Record<string, string>, pdfs = 2): Promise<{ pk: number; uids: string[] }> {
  const created = await h.call('POST', '/oneshot/api/v1/create', { ...PERSON, ...rao, profile: 'PFnubeNC' });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const pk = created.json.details.pk as number;
  const up = await h.upload(`/oneshot/api/v1/document/${pk}`, Array.from({ length: pdfs }, (_, i) => ({
    name: `f${i}`, filename: `f${i}.pdf`, type: 'application/pdf', data: buildPdf({ pages: 1 + i, xref: i % 2 ? 'stream' : 'table' }),
  })));
  assert.equal(up.status, 200, JSON.stringify(up.json));
  const d = up.json.details;
  assert.equal((await h.call('GET', `/oneshot/api/v1/contract/${pk}/`)).status, 200);
  assert.equal((await h.call('POST', `/oneshot/api/v1/otp/${pk}`)).status, 200);
  return { pk, uids: (Array.isArray(d) ? d : [d]).map((x: { uid: string }) => x.uid) };
}

async function leftovers(h: Harness, pk: number): Promise<string[]> {
  return (await readdir(join(h.config.optimizerDir, 'blobs', String(pk)))).filter((f) => f.includes('.signing'));
}

async function settings(h: Harness, body: Record<string, unknown>): Promise<void> {
  const r = await h.call('POST', '/oneshot/api/v1/settings', body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
}

describe('levels with external TSAs and failures (real TSC)', () => {
  let tsc: RealTsc;
  let h: Harness;
  let a: OpensslTsaServer;
  let b: OpensslTsaServer;
  let scratch: string;
  before(async () => {
    [tsc, a, b] = await Promise.all([startRealTsc(), startOpensslTsaServer('1.2.3.4.1'), startOpensslTsaServer('1.2.3.4.2')]);
    h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey });
    scratch = await mkdtemp(join(tmpdir(), 'oneshot-levels-fail-'));
  });
  after(async () => {
    await h?.close();
    await tsc?.close();
    await Promise.all([a?.close(), b?.close()]);
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('settings TSAs with per-TSA hash stamp the signatures (through the TSC) and the document timestamp', async () => {
    const dead = await closedPortUrl();
    await settings(h, {
      signature: { level: 'B-LTA', failure_policy: 'fail-closed' },
      tsa: { tsa_url: dead, tsa_failover_urls: [a.url], tsa_hash_algorithms: { [a.url]: 'sha256', [dead]: 'sha256' } },
    });
    const before = a.requests;
    const { pk, uids } = await newRequest(h, tsc.rao);
    const signed = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: await tsc.lastOtp(pk) });
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.equal(signed.headers['x-signature-level'], 'B-LTA');
    // 2 PDFs + contract stamped by the TSC through TSA A, then one document timestamp per PDF.
    assert.equal(a.requests - before, 3 + 3);
    const signBody = JSON.parse(tsc.traffic.filter((t) => t.url === `/tsc/v1/requests/${pk}/sign`).at(-1)!.body.toString());
    assert.deepEqual(signBody.tsa, { servers: [{ url: dead, hash_algorithm: 'sha256' }, { url: a.url, hash_algorithm: 'sha256' }], failure_policy: 'fail-closed' });
    const pdf = await h.call('GET', `/oneshot/api/v1/document/${pk}/${uids[0]}?document_type=signed`);
    const path = join(scratch, `${pk}.pdf`);
    await writeFile(path, pdf.body);
    const box = pdfboxVerify(path);
    assert.equal(box.signatures[0]?.tstValid, true);
    assert.equal(box.signatures[1]?.docTimestamp, true);
    assert.equal(box.signatures[1]?.imprintMatches, true);
    // The openssl TSA's certificate travels in the DSS as is (its token has no chain, it publishes no URLs).
    const dss = qpdfDss(path)!;
    const tsaA = Buffer.from((await readFile(a.tsaCertPath, 'utf8')).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.ok(dss.certs.some((c) => c.equals(tsaA)), 'the external TSA certificate is in the DSS');
    assert.ok(dss.certs.length >= 5, `signer, issuing, root, TSC OCSP responder, openssl TSA (${dss.certs.length})`);
  });

  test('a document timestamp from another TSA than the signature timestamps adds a second DSS with its data', async () => {
    await settings(h, { tsa: { tsa_url: a.url, tsa_failover_urls: [b.url], tsa_hash_algorithms: {} } });
    const { pk, uids } = await newRequest(h, tsc.rao, 1);
    a.downAfter = 2; // the PDF's and the contract's signature timestamps, then A is gone
    try {
      const signed = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: await tsc.lastOtp(pk), level: 'B-LTA' });
      assert.equal(signed.status, 200, JSON.stringify(signed.json));
      assert.equal(signed.headers['x-signature-level'], 'B-LTA');
    } finally {
      a.downAfter = null;
      a.mode = 'up';
    }
    const pdf = await h.call('GET', `/oneshot/api/v1/document/${pk}/${uids[0]}?document_type=signed`);
    const path = join(scratch, `${pk}-b.pdf`);
    await writeFile(path, pdf.body);
    const box = pdfboxVerify(path);
    const doc = box.signatures.find((s) => s.docTimestamp)!;
    assert.equal(doc.imprintMatches, true);
    assert.equal(doc.coversWholeFile, false, 'a DSS increment follows the document timestamp');
    const revisions = (pdf.body.toString('latin1').match(/%%EOF/g) ?? []).length;
    assert.ok(revisions >= 5, `original, signature, DSS, document timestamp, second DSS (${revisions})`);
    const derB = Buffer.from((await readFile(b.tsaCertPath, 'utf8')).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.ok(qpdfDss(path)!.certs.some((c) => c.equals(derB)), 'TSA B\'s certificate is in the DSS');
  });

  test('TSA unreachable, fail-closed: 503 TSA_ERR_UNAVAILABLE, nothing consumed; the same OTP signs once it is back', async () => {
    await settings(h, { signature: { level: 'B-T', failure_policy: 'fail-closed' }, tsa: { tsa_url: a.url, tsa_failover_urls: [], tsa_hash_algorithms: {} } });
    const { pk } = await newRequest(h, tsc.rao);
    const code = await tsc.lastOtp(pk);
    a.mode = 'down';
    try {
      const r = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: code });
      assert.equal(r.status, 503, JSON.stringify(r.json));
      assert.equal(r.json.code, 'TSA_ERR_UNAVAILABLE');
    } finally {
      a.mode = 'up';
    }
    assert.equal(await tsc.status(pk), 'ENROLLREADY');
    assert.equal((await tsc.app.tsc.deps.store.otps.get(pk))!.usedAt, null, 'the OTP was not consumed');
    assert.deepEqual(await leftovers(h, pk), []);
    assert.equal((await h.call('GET', `/oneshot/api/v1/request/${pk}`)).json.details.status, 'ENROLLREADY');
    const ok = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: code });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.headers['x-signature-level'], 'B-T');
    assert.equal(ok.json.message, 'Documents correctly signed');
  });

  test('TSA unreachable, degrade: signed at B-B and the answer says so', async () => {
    await settings(h, { signature: { level: 'B-LTA', failure_policy: 'degrade' }, tsa: { tsa_url: await closedPortUrl(), tsa_failover_urls: [] } });
    const { pk, uids } = await newRequest(h, tsc.rao, 1);
    const r = await h.call('POST', `/api/v1/sign/${pk}`, { secret: await tsc.lastOtp(pk) });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.headers['x-signature-level'], 'B-B');
    assert.equal(r.headers['x-signature-requested-level'], 'B-LTA');
    assert.match(r.json.details, /^Documents signed at level B-B instead of B-LTA \(TSA_ERR_UNAVAILABLE: /);
    const pdf = await h.call('GET', `/api/v1/document/${pk}/signed/${uids[0]}`);
    const path = join(scratch, `${pk}-bb.pdf`);
    await writeFile(path, pdf.body);
    const box = pdfboxVerify(path);
    assert.equal(box.signatures.length, 1);
    assert.equal(box.signatures[0]!.cmsValid, true);
    assert.equal(box.signatures[0]!.signatureTimestamp, false);
    assert.equal(box.dss, null);
    const audit = (await tsc.app.tsc.deps.store.audit.list(1, 100_000)).filter((e) => e.requestPk === pk).map((e) => e.action);
    assert.ok(audit.includes('level.degraded'), 'the TSC audit log records the degradation');
    await settings(h, { signature: { level: 'B-T', failure_policy: 'fail-closed' }, tsa: { tsa_url: '' } });
  });
});

describe('async mode', () => {
  test('a queued B-LTA signature is completed by the job with its DSS and document timestamp', async () => {
    const tsc = await startRealTsc();
    const h = await startHarness({ tscUrl: tsc.url, tscKey: tsc.apiKey });
    const dir = await mkdtemp(join(tmpdir(), 'oneshot-levels-async-'));
    try {
      const created = await h.call('POST', '/oneshot/api/v1/create', { ...PERSON, ...tsc.rao, profile: 'PFnubeNC', useasync: true });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const pk = created.json.details.pk as number;
      const up = await h.upload(`/oneshot/api/v1/document/${pk}`, [{ name: 'f', filename: 'f.pdf', type: 'application/pdf', data: buildPdf({ pages: 2 }) }]);
      assert.equal((await h.call('POST', `/oneshot/api/v1/otp/${pk}`)).status, 200);
      const signed = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: await tsc.lastOtp(pk), level: 'B-LTA' });
      assert.equal(signed.status, 200, JSON.stringify(signed.json));
      await h.opt.ctx.jobs.drain();
      assert.equal((await h.call('GET', `/api/v1/async/status/${pk}`)).json.details, 'signed');
      const pdf = await h.call('GET', `/oneshot/api/v1/document/${pk}/${up.json.details.uid}?document_type=signed`);
      const path = join(dir, 'a.pdf');
      await writeFile(path, pdf.body);
      const box = pdfboxVerify(path);
      assert.equal(box.signatures[0]?.tstValid, true);
      assert.equal(box.signatures[1]?.docTimestamp, true);
      assert.equal(box.signatures[1]?.imprintMatches, true);
      assert.ok(box.dss && box.dss.OCSPs >= 2 && box.dss.CRLs >= 2);
    } finally {
      await h.close();
      await tsc.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('B-LT validation data unreachable', () => {
  let tscApp: TscApp;
  let h: Harness;
  let dir: string;
  let url: string;
  let rao: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oneshot-ltv-dead-'));
    // Certificates of this TSC point at a URL where nothing listens (AIA OCSP, CRL DP).
    const config = loadTscConfig({
      ONESHOT_DATA_DIR: dir, TSC_PORT: '0', TSC_PUBLIC_URL: (await closedPortUrl()).replace(/\/tsa$/, ''), TSC_SCRYPT_LOG_N: '10', TSC_LOG_LEVEL: 'silent',
    });
    tscApp = await buildTscApp(config, { clock: systemClock, logger: false });
    await tscApp.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(tscApp.server.address() as AddressInfo).port}`;
    const c = tscApp.tsc.sandboxRao!.credentials;
    rao = { username: c.username, password: c.password, pin: c.pin };
    h = await startHarness({ tscUrl: url, tscKey: config.clientApiKey, env: { OPTIMIZER_TSC_TIMEOUT_MS: '5000' } });
  });
  after(async () => {
    await h?.close();
    await tscApp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('fail-closed: 503 LTV_ERR_UNAVAILABLE before the OTP is spent; degrade: the same OTP signs at B-T and says so', async () => {
    await settings(h, { signature: { level: 'B-LT', failure_policy: 'fail-closed' } });
    const { pk } = await newRequest(h, rao, 1);
    const lines = (await readFile(tscApp.tsc.config.outboxPath!, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const code = lines.filter((l) => l.request_pk === pk).at(-1).code as string;
    const r = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: code });
    assert.equal(r.status, 503, JSON.stringify(r.json));
    assert.equal(r.json.code, 'LTV_ERR_UNAVAILABLE');
    assert.equal((await tscApp.tsc.deps.store.otps.get(pk))!.usedAt, null, 'the OTP was not consumed');
    assert.equal((await tscApp.tsc.deps.store.requests.get(pk))!.status, 'ENROLLREADY');
    assert.deepEqual(await leftovers(h, pk), []);

    await settings(h, { signature: { failure_policy: 'degrade' } });
    const ok = await h.call('POST', `/oneshot/api/v1/sign/${pk}`, { secret: code });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.headers['x-signature-level'], 'B-T');
    assert.match(ok.json.message, /^Documents signed at level B-T instead of B-LT \(LTV_ERR_UNAVAILABLE: /);
    assert.deepEqual(await leftovers(h, pk), []);
  });
});
