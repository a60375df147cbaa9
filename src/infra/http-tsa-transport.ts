/**
 * RFC 3161 §3.4 over HTTP with Node's fetch (shared by the TSC, for external TSAs, and the
 * Optimizer, for document timestamps): POST application/timestamp-query, expect 200 with
 * application/timestamp-reply. Never follows redirects (a TSA that redirects is misconfigured, and
 * following would send requests where nobody configured them), bounded time and body size.
 * user:password in the URL becomes HTTP Basic authentication (fetch refuses credentials in URLs).
 */
import { AppError } from '../shared/errors.js';

/** Posts an RFC 3161 request and returns the reply body (the TSC's TsaTransport port has this shape). */
export interface Rfc3161Transport {
  post(url: string, body: Uint8Array, opts: { timeoutMs: number; maxBytes: number }): Promise<Uint8Array>;
}

const REPLY_TYPES = ['application/timestamp-reply', 'application/timestamp-response'];

const unavailable = (why: string, cause?: unknown) => new AppError('TSA_ERR_UNAVAILABLE', why, undefined, { cause });

export class FetchTsaTransport implements Rfc3161Transport {
  async post(url: string, body: Uint8Array, opts: { timeoutMs: number; maxBytes: number }): Promise<Uint8Array> {
    const u = new URL(url);
    const headers: Record<string, string> = { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' };
    if (u.username || u.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    const signal = AbortSignal.timeout(opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(u, { method: 'POST', body, headers, redirect: 'manual', signal });
    } catch (e) {
      throw unavailable(signal.aborted ? `no answer within ${opts.timeoutMs} ms` : `connection failed (${causeCode(e)})`, e);
    }
    try {
      if (res.status !== 200) throw unavailable(`HTTP ${res.status}`);
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!REPLY_TYPES.includes(type)) throw unavailable(`unexpected content type ${JSON.stringify(type)}`);
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > opts.maxBytes) throw unavailable(`reply larger than ${opts.maxBytes} bytes`);
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > opts.maxBytes) throw unavailable(`reply larger than ${opts.maxBytes} bytes`);
        chunks.push(chunk);
      }
      return new Uint8Array(Buffer.concat(chunks));
    } catch (e) {
      await res.body?.cancel().catch(() => undefined);
      if (e instanceof AppError) throw e;
      throw unavailable(signal.aborted ? `no complete answer within ${opts.timeoutMs} ms` : 'the reply could not be read', e);
    }
  }
}

function causeCode(e: unknown): string {
  const c = (e as { cause?: { code?: unknown } })?.cause?.code;
  return typeof c === 'string' ? c : 'network error';
}
