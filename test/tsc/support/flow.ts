/** Helpers for full TSC flows in tests: OTP from the outbox, sign, PEM files for openssl. */
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { toPem } from '../../support/openssl.js';
import type { TestTsc } from './tsc-harness.js';

export function sha(alg: 'sha256' | 'sha384' | 'sha512', data: string | Uint8Array): string {
  return createHash(alg).update(data).digest('base64');
}

export async function requestOtp(t: TestTsc, pk: number, body: Record<string, unknown> = {}): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/otp`, headers: t.client, payload: body });
}

export async function sign(t: TestTsc, pk: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/sign`, headers: { ...t.client, ...headers }, payload: body });
}

/** OTP + sign in one go; throws unless both succeed. */
export async function otpAndSign(t: TestTsc, pk: number, digests: unknown[], extra: Record<string, unknown> = {}): Promise<any> {
  const o = await requestOtp(t, pk);
  if (o.statusCode !== 200) throw new Error(`otp ${o.statusCode}: ${o.body}`);
  const s = await sign(t, pk, { secret: await t.lastOtp(pk), digests, ...extra });
  if (s.statusCode !== 200) throw new Error(`sign ${s.statusCode}: ${s.body}`);
  return s.json();
}

export const pemOf = (b64: string) => toPem(new Uint8Array(Buffer.from(b64, 'base64')), 'CERTIFICATE');

/** Seconds since the epoch, for openssl -attime (the test clock is not the machine's). */
export const attime = (d: Date) => String(Math.floor(d.getTime() / 1000));
