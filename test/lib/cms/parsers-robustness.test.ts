/**
 * The parsers read untrusted bytes (OCSP and TSA requests arrive from anyone, CMS and tokens
 * from upstream services). Over truncations, byte flips and garbage derived from valid samples,
 * each parser either returns or throws one AppError with its stable code: never a TypeError,
 * RangeError or a hang.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  buildCrl, buildOcspRequest, buildOcspResponse, buildTimeStampReq, buildTimeStampResp, certIdFor, certificateInfo, decodeAttributes,
  parseCrl, parseName, parseOcspRequest, parseOcspResponse, parseSignedData, parseTimeStampReq, parseTimeStampResp, parseTimeStampToken,
  signDigest, signatureValueOf, addUnsignedAttribute, OID,
} from '../../../src/lib/cms/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { createTestPki, type TestPki } from '../../support/pki-fixture.js';

let pki: TestPki;
const samples: Record<string, Uint8Array> = {};

/** Deterministic PRNG (mulberry32) so a failure is reproducible. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* mutations(sample: Uint8Array, seed: number): Generator<Uint8Array> {
  const rnd = prng(seed);
  const step = Math.max(1, Math.floor(sample.length / 150));
  for (let n = 0; n < sample.length; n += step) yield sample.subarray(0, n);
  for (let i = 0; i < 400; i++) {
    const m = sample.slice();
    const flips = 1 + Math.floor(rnd() * 3);
    for (let f = 0; f < flips; f++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
    yield m;
  }
  for (let i = 0; i < 50; i++) yield Uint8Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256));
}

before(async () => {
  pki = await createTestPki();
  const s = await pki.issueSigner({ qualified: true });
  const md = new Uint8Array(createHash('sha256').update('robust').digest());
  const cms = await signDigest({ profile: 'cades', digestAlgorithm: 'sha256', messageDigest: md, signerCertificate: s.cert, signer: s.signer, certificates: s.chain, signingTime: new Date() });
  const tsq = buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: md, nonce: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
  const tsr = await buildTimeStampResp({ request: parseTimeStampReq(tsq), policy: '1.2.3.4', serialNumber: Uint8Array.of(9, 9, 9), genTime: new Date(), tsaCertificate: pki.tsa.cert, certificates: [], signer: pki.tsa.signer });
  const certId = certIdFor(pki.issuing.cert, s.info.serialNumberHex);
  const ocspReq = buildOcspRequest({ certIds: [certId], nonce: Uint8Array.of(1, 2, 3) });
  const ocspResp = await buildOcspResponse({ responses: [{ certId, certStatus: { status: 'revoked', revocationTime: new Date(), reason: 'keyCompromise' }, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 1e6) }], responderCertificate: pki.ocsp.cert, signer: pki.ocsp.signer, producedAt: new Date(), nonce: parseOcspRequest(ocspReq).nonce });
  const crl = await buildCrl({ issuerCertificate: pki.issuing.cert, signer: pki.issuing.signer, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 1e6), crlNumber: 3, entries: [{ serialNumberHex: s.info.serialNumberHex, revocationDate: new Date(), reason: 'superseded' }] });
  Object.assign(samples, { cms, cert: s.cert, tsq, tsr, token: parseTimeStampResp(tsr).token!, ocspReq, ocspResp, crl, name: s.info.subject, attrs: parseSignedData(cms).signerInfos[0]!.signedAttributes! });
});
after(async () => {
  await pki.close();
});

const cases: [string, keyof typeof samples, (b: Uint8Array) => unknown, string][] = [
  ['parseSignedData', 'cms', parseSignedData, 'CMS_ERR_MALFORMED'],
  ['signatureValueOf', 'cms', signatureValueOf, 'CMS_ERR_MALFORMED'],
  ['addUnsignedAttribute', 'cms', (b) => addUnsignedAttribute(b, OID.signatureTimeStampToken, Uint8Array.of(5, 0)), 'CMS_ERR_MALFORMED'],
  ['certificateInfo', 'cert', certificateInfo, 'CMS_ERR_MALFORMED'],
  ['parseName', 'name', parseName, 'CMS_ERR_MALFORMED'],
  ['decodeAttributes', 'attrs', decodeAttributes, 'CMS_ERR_MALFORMED'],
  ['parseTimeStampReq', 'tsq', parseTimeStampReq, 'TSA_ERR_BAD_REQUEST'],
  ['parseTimeStampResp', 'tsr', parseTimeStampResp, 'TSA_ERR_BAD_RESPONSE'],
  ['parseTimeStampToken', 'token', parseTimeStampToken, 'CMS_ERR_MALFORMED'],
  ['parseOcspRequest', 'ocspReq', parseOcspRequest, 'CMS_ERR_MALFORMED'],
  ['parseOcspResponse', 'ocspResp', parseOcspResponse, 'CMS_ERR_MALFORMED'],
  ['parseCrl', 'crl', parseCrl, 'CMS_ERR_MALFORMED'],
];

for (const [name, sample, parse, code] of cases) {
  test(`${name}: mutated input returns or throws ${code}`, () => {
    assert.doesNotThrow(() => parse(samples[sample]!), 'the valid sample parses');
    let refused = 0;
    let seen = 0;
    for (const m of mutations(samples[sample]!, name.length * 7919)) {
      seen++;
      try {
        parse(m);
      } catch (e) {
        if (!(e instanceof AppError) || e.code !== code) assert.fail(`${name} threw ${(e as Error)?.name}: ${(e as Error)?.message} on ${Buffer.from(m).toString('hex').slice(0, 120)}`);
        refused++;
      }
    }
    assert.ok(refused > seen / 4, `most mutations are refused (${refused}/${seen})`);
  });
}
