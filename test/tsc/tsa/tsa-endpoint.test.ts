/**
 * The TSC's public RFC 3161 TSA (issue 5 §1), used the way a third party would: `openssl ts -query`
 * piped through curl to POST /tsa on a listening TSC, then `openssl ts -verify` against the root,
 * with the TSA unit and issuing CA certificates as untrusted intermediates. Also: the TSA unit
 * certificate (critical timeStamping EKU, issued by our issuing CA), ESS signing-certificate-v2,
 * nonce echo, policy, accuracy, whole-second genTime, monotonic unique serials, and every refusal
 * answered as a TimeStampResp (never JSON). The clock is the machine's (openssl checks validity now).
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { certificateInfo, OID, parseSignedData, parseSigningCertificateV2, parseTimeStampResp } from '../../../src/lib/cms/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { fromPem, opensslOk, requireTool, run, tempDir } from '../../support/openssl.js';
import { startTestTsc, type TestTsc } from '../support/tsc-harness.js';

type Dir = Awaited<ReturnType<typeof tempDir>>;

/** `openssl ts -query … | curl --data-binary @- …`, as the issue's example; returns the reply file. */
async function queryWithCurl(d: Dir, url: string, dataFile: string, name: string, extra: string[] = []): Promise<string> {
  requireTool('curl');
  const q = d.path(`${name}.tsq`);
  await opensslOk(['ts', '-query', '-data', dataFile, '-sha256', '-cert', ...extra, '-out', q]);
  const out = d.path(`${name}.tsr`);
  const r = await run('sh', ['-c', `curl -sS -f --data-binary @- -H 'Content-Type: application/timestamp-query' -o "$2" "$1" < "$3"`, 'sh', url, out, q]);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

async function post(url: string, body: Uint8Array, type = 'application/timestamp-query'): Promise<{ status: number; type: string | null; body: Uint8Array }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, type: res.headers.get('content-type'), body: new Uint8Array(await res.arrayBuffer()) };
}

describe('POST /tsa: the TSC as an RFC 3161 TSA for anyone', () => {
  let t: TestTsc;
  let d: Dir;
  let url: string;
  before(async () => {
    t = await startTestTsc({ deps: { clock: new ManualClock(Math.floor(Date.now() / 1000) * 1000) } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    d = await tempDir('tsc-tsa-');
    for (const n of ['root', 'issuing', 'tsa']) await d.write(`${n}.pem`, await (await fetch(`${url}/pki/${n}.pem`)).text());
    await d.write('untrusted.pem', `${await (await fetch(`${url}/pki/tsa.pem`)).text()}${await (await fetch(`${url}/pki/issuing.pem`)).text()}`);
    await d.write('data.bin', 'the data a third party time-stamps\n');
  });
  after(async () => {
    await t?.close();
    await d?.cleanup();
  });

  test('openssl ts -query | curl → openssl ts -verify passes (-data and -queryfile); the token has the expected fields', async () => {
    const reply = await queryWithCurl(d, `${url}/tsa`, d.path('data.bin'), 'q1');
    const v = await opensslOk(['ts', '-verify', '-in', reply, '-data', d.path('data.bin'), '-CAfile', d.path('root.pem'), '-untrusted', d.path('untrusted.pem')]);
    assert.match(v.stdout, /Verification: OK/);
    // -queryfile also checks the nonce and the policy against the request.
    const vq = await opensslOk(['ts', '-verify', '-in', reply, '-queryfile', d.path('q1.tsq'), '-CAfile', d.path('root.pem'), '-untrusted', d.path('untrusted.pem')]);
    assert.match(vq.stdout, /Verification: OK/);

    const text = (await opensslOk(['ts', '-reply', '-in', reply, '-text'])).stdout;
    assert.match(text, /Status: Granted/);
    assert.match(text, /Policy OID: 0\.4\.0\.2023\.1\.1/);
    assert.match(text, /Accuracy: 0x01 seconds, unspecified millis, unspecified micros/);
    assert.match(text, /Time stamp: \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT/); // whole seconds: no fraction
    assert.match(text, /TSA: DirName:.*Time-Stamping Unit/);
    const nonceQ = /Nonce: (0x[0-9A-F]+)/.exec((await opensslOk(['ts', '-query', '-in', d.path('q1.tsq'), '-text'])).stdout)![1];
    assert.equal(/Nonce: (0x[0-9A-F]+)/.exec(text)![1], nonceQ);

    // ESS signing-certificate-v2 names the TSA unit certificate (RFC 5816).
    const resp = parseTimeStampResp(new Uint8Array(execFileSync('cat', [reply])));
    const si = parseSignedData(resp.token!).signerInfos[0]!;
    const scv2 = si.signedAttrs.find((a) => a.oid === OID.signingCertificateV2)!;
    const tsaDer = fromPem(await (await fetch(`${url}/pki/tsa.pem`)).text());
    assert.deepEqual(Buffer.from(parseSigningCertificateV2(scv2.values[0]!)[0]!.certHash), createHash('sha256').update(tsaDer).digest());
    assert.equal(resp.tstInfo!.genTime.getMilliseconds(), 0);
  });

  test('the TSA unit certificate: issued by our issuing CA, EKU timeStamping only and critical, checkable (AIA OCSP, CRL DP)', async () => {
    const x = (await opensslOk(['x509', '-in', d.path('tsa.pem'), '-noout', '-text'])).stdout;
    assert.match(x, /X509v3 Extended Key Usage: critical\s+Time Stamping\s*\n/);
    assert.match(x, /X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    assert.match(x, /CA:FALSE/);
    assert.match(x, /OCSP - URI:http:\/\/127\.0\.0\.1:8090\/ocsp/);
    assert.match(x, /URI:http:\/\/127\.0\.0\.1:8090\/pki\/crl\/issuing\.crl/);
    const v = await opensslOk(['verify', '-purpose', 'timestampsign', '-CAfile', d.path('root.pem'), '-untrusted', d.path('issuing.pem'), d.path('tsa.pem')]);
    assert.match(v.stdout, /OK/);
    assert.equal((await t.app.tsc.deps.store.serviceCerts.list('tsa')).length, 1);
  });

  test('serials are unique and increase, also within one clock second', async () => {
    const { buildTimeStampReq } = await import('../../../src/lib/cms/index.js');
    const serials: bigint[] = [];
    for (let i = 0; i < 20; i++) {
      const req = buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: createHash('sha256').update(`d${i}`).digest() });
      const r = await post(`${url}/tsa`, req);
      assert.equal(r.status, 200);
      serials.push(BigInt(`0x${parseTimeStampResp(r.body).tstInfo!.serialNumberHex}`));
    }
    for (let i = 1; i < serials.length; i++) assert.ok(serials[i]! > serials[i - 1]!, `serial ${i} does not increase`);
  });

  test('refusals are TimeStampResps with a failure bit: 415 other type, 400 not DER, 413 too large, 200 badAlg / unacceptedPolicy', async () => {
    const rejection = async (r: { status: number; type: string | null; body: Uint8Array }, status: number, failure: RegExp) => {
      assert.equal(r.status, status);
      assert.equal(r.type, 'application/timestamp-reply');
      const f = await d.write(`rej-${status}.tsr`, r.body);
      const text = (await opensslOk(['ts', '-reply', '-in', f, '-text'])).stdout;
      assert.match(text, /Status: Rejected/);
      assert.match(text, failure);
    };
    const goodReq = await opensslOk(['ts', '-query', '-data', d.path('data.bin'), '-sha256']);
    // openssl prints PKIFailureInfo badRequest (bit 2) as "transaction not permitted or supported".
    await rejection(await post(`${url}/tsa`, goodReq.stdoutBytes, 'application/json'), 415, /Failure info:\s+transaction not permitted or supported/);
    await rejection(await post(`${url}/tsa`, new TextEncoder().encode('not a request')), 400, /Failure info:\s+the data submitted has the wrong format/);
    await rejection(await post(`${url}/tsa`, new Uint8Array(17 * 1024)), 413, /Failure info:\s+transaction not permitted or supported/);
    const sha1 = await opensslOk(['ts', '-query', '-data', d.path('data.bin'), '-sha1']);
    await rejection(await post(`${url}/tsa`, sha1.stdoutBytes), 200, /Failure info:\s+unrecognized or unsupported algorithm/);
    const policy = await opensslOk(['ts', '-query', '-data', d.path('data.bin'), '-sha256', '-tspolicy', '1.2.3.4']);
    await rejection(await post(`${url}/tsa`, policy.stdoutBytes), 200, /Failure info:\s+the requested TSA policy is not supported by the TSA/);
    // A GET is not the protocol: the JSON 404 of the API (no TimeStampResp expected by anyone).
    assert.equal((await fetch(`${url}/tsa`)).status, 404);
  });
});

describe('TSA settings: policy, accuracy, genTime with milliseconds', () => {
  test('TSC_TSA_POLICY, TSC_TSA_ACCURACY_MS=250 and TSC_TSA_GENTIME_MILLIS=1 show in the token', async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000 + 123);
    const t = await startTestTsc({ env: { TSC_TSA_POLICY: '1.3.6.1.4.1.99999.1.1', TSC_TSA_ACCURACY_MS: '250', TSC_TSA_GENTIME_MILLIS: '1' }, deps: { clock } });
    const d = await tempDir('tsc-tsa-cfg-');
    try {
      const data = await d.write('data.bin', 'x');
      const q = await opensslOk(['ts', '-query', '-data', data, '-sha512', '-cert']);
      const res = await t.app.inject({ method: 'POST', url: '/tsa', headers: { 'content-type': 'application/timestamp-query' }, payload: q.stdoutBytes });
      assert.equal(res.statusCode, 200);
      const resp = parseTimeStampResp(new Uint8Array(res.rawPayload));
      assert.equal(resp.tstInfo!.policy, '1.3.6.1.4.1.99999.1.1');
      assert.deepEqual(resp.tstInfo!.accuracy, { millis: 250 });
      assert.equal(resp.tstInfo!.genTime.getTime(), clock.now().getTime());
      const text = (await opensslOk(['ts', '-reply', '-in', await d.write('r.tsr', res.rawPayload), '-text'])).stdout;
      assert.match(text, /Time stamp: .*:\d\d\.123 \d{4} GMT/);
      assert.match(text, /Accuracy: unspecified seconds, 0xFA millis/);
      // The certificate the token names is the TSA unit's, and it chains to our issuing CA.
      const cert = certificateInfo(parseSignedData(resp.token!).certificates.find((c) => certificateInfo(c).extensions.has(OID.extKeyUsage))!);
      assert.deepEqual(Buffer.from(cert.issuer), Buffer.from(t.app.tsc.deps.ca.issuing.info.subject));
    } finally {
      await t.close();
      await d.cleanup();
    }
  });
});
