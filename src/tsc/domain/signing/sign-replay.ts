/**
 * Idempotent sign call (docs/async.md "The one lost window"). A caller that died after the TSC
 * signed but before it stored the answer retries with the same body; the request is ISSUED by
 * then. Replay is opt-in, per call, with an `Idempotency-Key` header (the pattern of
 * draft-ietf-httpapi-idempotency-key-header): without one, a second sign call is refused with 412
 * "Request already in ISSUED status" as One-Shot documents. Within TSC_SIGN_REPLAY_SECONDS, the
 * same key with the same input and the same authorisation gets the stored answer again — no new key, no new certificate, no OTP consumed or counted. Anything else gets
 * the 412 REQ_ERR_ALREADY_ISSUED of any issued request, whatever did not match: a wrong code on a
 * replay tells nothing about the code. Wrong authorisations for the stored input are counted and,
 * like OTP attempts, TSC_OTP_MAX_ATTEMPTS of them end the replay for that request, so the stored
 * answer is no oracle for guessing the (already used) code.
 *
 * Nothing secret is kept: the input hash is SHA-256 over the key and the canonical input without
 * the secret;
 * the authorisation hash is the OTP HMAC the OTP table already holds, or for an external
 * authentication an HMAC (OTP HMAC key) over its type, value and secret.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../../shared/errors.js';
import { appendAudit } from '../audit/audit-chain.js';
import type { TscDomainDeps } from '../context.js';
import { otpHmac } from '../otp/otp-service.js';
import type { TscRepositories } from '../ports.js';
import type { SignResult } from './sign-digests.js';
import type { SignInput } from './sign-input.js';

export const alreadyIssued = () => new AppError('REQ_ERR_ALREADY_ISSUED', 'Request already in ISSUED status');

/** The `Idempotency-Key` header: absent, or 8..128 visible ASCII characters (it is hashed, never stored). */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[\x21-\x7e]{8,128}$/.test(header)) {
    throw new AppError('API_ERR_INVALID_PARAMETER', 'Idempotency-Key must be 8 to 128 visible ASCII characters');
  }
  return header;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/**
 * SHA-256 over a canonical encoding of everything that shapes the answer except the secret: JSON of
 * arrays in a fixed order (no object key order to depend on), bytes as base64.
 */
export function signInputHash(input: SignInput, idempotencyKey: string): string {
  const canonical = JSON.stringify([
    'sign-input/2',
    idempotencyKey,
    input.level,
    input.tsa === null ? null : [
      input.tsa.servers?.map((s) => [s.url, s.hash, s.policy ?? null]) ?? null,
      input.tsa.failurePolicy ?? null,
    ],
    input.digests.map((d) => [
      d.id, d.digestAlgorithm, b64(d.digest), d.format, d.signingTime,
      d.otherAttributes.map((a) => [a.oid, a.values.map(b64)]),
    ]),
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** What only the same external authentication reproduces (the proof itself is not stored). */
export function extAuthHash(key: Uint8Array, pk: number, ext: { type: string; value: string }, secret: string): string {
  return createHmac('sha256', key).update(JSON.stringify(['sign-ext-auth/1', pk, ext.type, ext.value, secret]), 'utf8').digest('hex');
}

/** The authorisation hash a call presents: the OTP HMAC of its code (as consumeOtp computes it) or the ext one. */
function presentedAuthHash(key: Uint8Array, pk: number, input: SignInput): string | null {
  if (input.ext) return extAuthHash(key, pk, input.ext, input.secret);
  return /^\d{6}$/.test(input.secret) ? otpHmac(key, pk, input.secret) : null;
}

const sameHex = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** In the sign call's `record` transaction: drops expired answers and keeps this one (a key, window > 0). */
export async function recordSignResult(
  tx: TscRepositories, deps: TscDomainDeps, pk: number, input: SignInput, idempotencyKey: string | undefined, authHash: string,
  result: SignResult, at: number,
): Promise<void> {
  const windowMs = deps.settings.signReplaySeconds * 1000;
  await tx.signResults.purge(at - windowMs);
  if (windowMs <= 0 || idempotencyKey === undefined) return;
  const { replayed: _, ...stored } = result;
  await tx.signResults.insert({ requestPk: pk, inputHash: signInputHash(input, idempotencyKey), authHash, resultJson: JSON.stringify(stored), createdAt: at });
}

/** A sign call on an ISSUED request: the stored answer if this is the same call, else the usual 412. */
export async function replaySignResult(deps: TscDomainDeps, pk: number, input: SignInput, idempotencyKey: string | undefined): Promise<SignResult> {
  const windowMs = deps.settings.signReplaySeconds * 1000;
  if (windowMs <= 0 || idempotencyKey === undefined) throw alreadyIssued();
  const rec = await deps.store.signResults.get(pk);
  if (!rec || deps.clock.now().getTime() - rec.createdAt > windowMs) throw alreadyIssued();
  if (rec.failures >= deps.settings.otp.maxAttempts) throw alreadyIssued();
  if (!sameHex(rec.inputHash, signInputHash(input, idempotencyKey))) throw alreadyIssued();
  const presented = presentedAuthHash(deps.settings.otp.hmacKey, pk, input);
  if (presented === null || !sameHex(rec.authHash, presented)) {
    // The right input with a wrong proof: counted here, never on the OTP (it is used already).
    await deps.store.signResults.recordFailure(pk).catch(() => undefined);
    throw alreadyIssued();
  }
  const result = { ...(JSON.parse(rec.resultJson) as Omit<SignResult, 'replayed'>), replayed: true };
  await deps.store.transaction((tx) =>
    appendAudit(tx, deps.clock, {
      actor: 'client', action: 'sign.replayed', requestPk: pk,
      details: { serial: result.serial_number, count: result.signatures.length, level: result.level, recorded_at: new Date(rec.createdAt).toISOString() },
    }),
  );
  return result;
}
