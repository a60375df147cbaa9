/**
 * Default external-authentication verifier (issue 2 §4; docs/tsc-api.md "External authentication
 * assertion"). The customer's authentication system, after authenticating the signer its own way,
 * issues `base64url(JSON payload) "." base64url(HMAC-SHA256(key, <payload part>))` with payload
 * `{"request_pk", "type", "exp", "nonce"}` and the key shared with the TSC (TSC_EXT_AUTH_KEY).
 *
 * Accepted only if: a key is configured (no key → every assertion is refused, never a bypass), the
 * MAC verifies (constant time), it names this request and this ext_unlock_type, it is unexpired
 * and not too far in the future, and its nonce was never seen (replay protection in the DB).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../shared/clock.js';
import { AppError } from '../../../shared/errors.js';
import type { ExtAuthVerifier, NonceStore } from '../ports.js';

/** Longest lifetime an assertion may claim; bounds how long nonces must be remembered. */
export const MAX_ASSERTION_LIFETIME_S = 15 * 60;

const refuse = (why: string) => new AppError('OTP_ERR_EXT_AUTH_INVALID', 'Confirmation Code invalid', { reason: why });

export function signExtAuthAssertion(key: Uint8Array, payload: { request_pk: number; type: string; exp: number; nonce: string }): string {
  const p = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${p}.${createHmac('sha256', key).update(p, 'ascii').digest('base64url')}`;
}

export class HmacExtAuthVerifier implements ExtAuthVerifier {
  constructor(
    private readonly key: Uint8Array | null,
    private readonly nonces: NonceStore,
    private readonly clock: Clock,
  ) {}

  async verify(req: { requestPk: number; type: string; value: string; secret: string }): Promise<void> {
    if (!this.key) throw refuse('external authentication is not enabled');
    if (typeof req.value !== 'string' || req.value.length > 2048) throw refuse('malformed assertion');
    const parts = req.value.split('.');
    if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) throw refuse('malformed assertion');
    // Compare the canonical base64url text, not decoded bytes: a non-canonical encoding of the right
    // MAC (different unused trailing bits) is not the assertion that was issued.
    const expected = Buffer.from(createHmac('sha256', this.key).update(parts[0]!, 'ascii').digest('base64url'), 'ascii');
    const got = Buffer.from(parts[1]!, 'ascii');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw refuse('bad signature');
    let payload: { request_pk?: unknown; type?: unknown; exp?: unknown; nonce?: unknown };
    try {
      payload = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    } catch {
      throw refuse('malformed payload');
    }
    if (payload === null || typeof payload !== 'object') throw refuse('malformed payload');
    if (payload.request_pk !== req.requestPk) throw refuse('assertion is for another request');
    if (payload.type !== req.type) throw refuse('assertion is for another ext_unlock_type');
    const nowS = Math.floor(this.clock.now().getTime() / 1000);
    if (typeof payload.exp !== 'number' || !Number.isInteger(payload.exp)) throw refuse('missing exp');
    if (payload.exp <= nowS) throw refuse('assertion expired');
    if (payload.exp > nowS + MAX_ASSERTION_LIFETIME_S) throw refuse('assertion lifetime too long');
    if (typeof payload.nonce !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(payload.nonce)) throw refuse('bad nonce');
    if (!(await this.nonces.claim(payload.nonce, req.requestPk, payload.exp * 1000))) throw refuse('assertion already used');
  }

  /** Forgets the nonce of an assertion `verify` accepted for this request (the sign call rolled back). */
  async release(req: { requestPk: number; type: string; value: string; secret: string }): Promise<void> {
    const part = req.value.split('.')[0] ?? '';
    let nonce: unknown;
    try {
      nonce = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))?.nonce;
    } catch {
      return;
    }
    if (typeof nonce === 'string') await this.nonces.release(nonce, req.requestPk);
  }
}
