/**
 * ValidationFetcher over HTTP (issue 5, B-LT): OCSP by POST (RFC 6960 App. A.1, with a nonce,
 * RFC 8954), CRLs and caIssuers certificates by GET. Every answer is checked before it is used or
 * cached: the OCSP response with checkOcspResponse (signer = the CA or its delegated responder,
 * CertID, freshness; an echoed nonce must match), the CRL's issuer and signature and nextUpdate.
 * Cached in the Cache port (Redis or local) until nextUpdate, at most an hour: OCSP/CRL responses
 * are heavy, non-sensitive data (DESIGN.md §4). No redirects, bounded time and size.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  buildOcspRequest, certIdFor, certificateInfo, checkOcspResponse, hashOfSignatureAlgorithm, parseCrl, verifyRaw,
} from '../../lib/cms/index.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { FetchedOcsp, ValidationFetcher } from '../domain/long-term-ports.js';
import type { Cache } from '../domain/ports.js';

const MAX_CACHE_MS = 3_600_000;
const unavailable = (why: string, cause?: unknown) => new AppError('LTV_ERR_UNAVAILABLE', why, undefined, { cause });
const keyOf = (...parts: (string | Uint8Array)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 40);
};
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export interface HttpValidationFetcherOptions {
  timeoutMs: number;
  clock: Clock;
}

export class HttpValidationFetcher implements ValidationFetcher {
  constructor(private readonly cache: Cache, private readonly opts: HttpValidationFetcherOptions) {}

  private async fetchBytes(url: string, init: { method: 'GET' | 'POST'; body?: Uint8Array; type?: string; accept: string }, maxBytes: number): Promise<Uint8Array> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: init.method, body: init.body, redirect: 'error', signal: AbortSignal.timeout(this.opts.timeoutMs),
        headers: { accept: init.accept, ...(init.type ? { 'content-type': init.type } : {}) },
      });
    } catch (e) {
      throw unavailable(`${init.method} ${url} failed`, e);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw unavailable(`${init.method} ${url} answered HTTP ${res.status}`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
        total += c.length;
        if (total > maxBytes) throw unavailable(`${url}: answer larger than ${maxBytes} bytes`);
        chunks.push(c);
      }
    } catch (e) {
      await res.body?.cancel().catch(() => undefined);
      throw isAppError(e) ? e : unavailable(`${url}: the answer could not be read`, e);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }

  private ttl(nextUpdate: Date | undefined): number {
    const left = nextUpdate ? nextUpdate.getTime() - this.opts.clock.now().getTime() : 5 * 60_000;
    return Math.max(0, Math.min(left, MAX_CACHE_MS));
  }

  async ocsp(url: string, issuer: Uint8Array, serialHex: string, o: { cache?: boolean } = {}): Promise<FetchedOcsp> {
    const useCache = o.cache !== false;
    const key = `ltv:ocsp:${keyOf(url, issuer, serialHex.toLowerCase())}`;
    if (useCache) {
      const hit = await this.cache.get<{ der: string; status: FetchedOcsp['status']; certificates: string[] }>(key).catch(() => undefined);
      if (hit) return { der: unb64(hit.der), status: hit.status, certificates: hit.certificates.map(unb64) };
    }
    const nonce = randomBytes(16);
    const req = buildOcspRequest({ certIds: [certIdFor(issuer, serialHex)], nonce });
    const der = await this.fetchBytes(url, { method: 'POST', body: req, type: 'application/ocsp-request', accept: 'application/ocsp-response' }, 64 * 1024);
    let checked: ReturnType<typeof checkOcspResponse>;
    try {
      checked = checkOcspResponse(der, { issuerCertificate: issuer, serialNumberHex: serialHex, at: this.opts.clock.now() });
    } catch (e) {
      throw unavailable(`OCSP ${url}: ${isAppError(e) ? e.message : 'rejected'}`, e);
    }
    // RFC 8954 §2.1: a responder may omit the nonce (pre-produced answers); one it echoes must match.
    const echoed = checked.response.basic!.nonce;
    const sent = Buffer.concat([Buffer.of(0x04, nonce.length), nonce]);
    if (echoed && !Buffer.from(echoed).equals(sent)) throw unavailable(`OCSP ${url}: the nonce does not match`);
    const out: FetchedOcsp = { der, status: checked.single.status, certificates: checked.response.basic!.certificates };
    if (useCache && out.status === 'good') {
      await this.cache.set(key, { der: b64(der), status: out.status, certificates: out.certificates.map(b64) }, this.ttl(checked.single.nextUpdate)).catch(() => undefined);
    }
    return out;
  }

  async crl(url: string, issuer: Uint8Array): Promise<Uint8Array> {
    const key = `ltv:crl:${keyOf(url, issuer)}`;
    const hit = await this.cache.get<string>(key).catch(() => undefined);
    if (hit) return unb64(hit);
    const der = await this.fetchBytes(url, { method: 'GET', accept: 'application/pkix-crl' }, 20 * 1024 * 1024);
    let crl: ReturnType<typeof parseCrl>;
    try {
      crl = parseCrl(der);
    } catch (e) {
      throw unavailable(`CRL ${url} is not a DER CertificateList`, e);
    }
    const ca = certificateInfo(issuer);
    const h = hashOfSignatureAlgorithm(crl.signatureAlgorithm);
    if (!Buffer.from(crl.issuer).equals(Buffer.from(ca.subject)) || !h || !verifyRaw(ca.spki, crl.tbs, crl.signature, h)) {
      throw unavailable(`CRL ${url} is not signed by its issuer`);
    }
    if (crl.nextUpdate && crl.nextUpdate.getTime() < this.opts.clock.now().getTime()) throw unavailable(`CRL ${url} is stale (nextUpdate passed)`);
    await this.cache.set(key, b64(der), this.ttl(crl.nextUpdate)).catch(() => undefined);
    return der;
  }

  async certificate(url: string): Promise<Uint8Array> {
    const key = `ltv:cert:${keyOf(url)}`;
    const hit = await this.cache.get<string>(key).catch(() => undefined);
    if (hit) return unb64(hit);
    const raw = await this.fetchBytes(url, { method: 'GET', accept: 'application/pkix-cert' }, 64 * 1024);
    const text = Buffer.from(raw).toString('latin1');
    const der = text.includes('-----BEGIN CERTIFICATE-----')
      ? new Uint8Array(Buffer.from(text.split('-----BEGIN CERTIFICATE-----')[1]!.split('-----END')[0]!.replace(/\s+/g, ''), 'base64'))
      : raw;
    try {
      certificateInfo(der);
    } catch (e) {
      throw unavailable(`${url} holds no certificate`, e);
    }
    await this.cache.set(key, b64(der), MAX_CACHE_MS).catch(() => undefined);
    return der;
  }
}
