/**
 * DocTimestamper over RFC 3161 HTTP (issue 5, B-LTA document timestamps): the configured TSAs in
 * failover order (those whose hash matches the digest the document-timestamp placeholder was
 * prepared with), or the TSC's public TSA (POST <TSC_URL>/tsa). A reply counts only if
 * checkTimeStampResp accepts it (granted, same imprint and nonce, valid token, TSA certificate with
 * the critical timeStamping EKU) and the token fits the placeholder. Only the digest leaves.
 */
import { randomBytes } from 'node:crypto';
import { buildTimeStampReq, checkTimeStampResp } from '../../lib/cms/index.js';
import type { Rfc3161Transport } from '../../infra/http-tsa-transport.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { DocTimestamper } from '../domain/long-term-ports.js';
import type { TsaHash, TsaServerChoice } from '../domain/levels.js';

const safeUrl = (u: string) => {
  try {
    const x = new URL(u);
    x.username = '';
    x.password = '';
    x.search = '';
    return x.toString();
  } catch {
    return '(invalid url)';
  }
};

export class HttpDocTimestamper implements DocTimestamper {
  constructor(private readonly transport: Rfc3161Transport, private readonly opts: { defaultUrl: string; timeoutMs: number }) {}

  async timestamp(digest: Uint8Array, hash: TsaHash, servers: TsaServerChoice[], maxBytes: number): Promise<Uint8Array> {
    const urls = servers.length ? servers.filter((s) => s.hash_algorithm === hash).map((s) => s.url) : [this.opts.defaultUrl];
    const errors: string[] = [];
    for (const url of urls) {
      const nonce = randomBytes(8);
      nonce[0]! &= 0x7f;
      try {
        const reply = await this.transport.post(url, buildTimeStampReq({ digestAlgorithm: hash, messageImprint: digest, nonce, certReq: true }), { timeoutMs: this.opts.timeoutMs, maxBytes: maxBytes + 4096 });
        const { token } = checkTimeStampResp(reply, { digestAlgorithm: hash, messageImprint: digest, nonce });
        if (token.length > maxBytes) throw new AppError('TSA_ERR_BAD_RESPONSE', `The token (${token.length} bytes) exceeds the ${maxBytes}-byte placeholder`);
        return token;
      } catch (e) {
        errors.push(`${safeUrl(url)}: ${isAppError(e) ? e.message : 'unexpected failure'}`);
      }
    }
    throw new AppError('TSA_ERR_UNAVAILABLE', `No time-stamping authority answered for the document timestamp (${errors.join('; ') || 'none configured'})`);
  }
}
