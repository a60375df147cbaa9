/**
 * One-time passwords that authorise a signature (issue 2 §4, DESIGN.md §5):
 *  - 6 digits from a CSPRNG (crypto.randomInt), stored only as HMAC-SHA256(server key, pk ‖ code);
 *  - expiry (default 5 min); one new OTP per request per 60 s ("Otp generated less than a minute ago");
 *  - locked after 5 wrong codes (a new OTP can be asked for once the resend throttle allows it);
 *  - single use by one atomic compare-and-set in SQL: of two concurrent sign calls, one wins.
 * The code exists in clear only in memory on its way to the sender; it is never logged or stored.
 */
import { createHmac, randomInt } from 'node:crypto';
import { AppError } from '../../../shared/errors.js';
import { appendAudit } from '../audit/audit-chain.js';
import type { OtpChannel, TscDomainDeps } from '../context.js';
import type { RequestRecord } from '../model.js';

export type OtpDeps = Pick<TscDomainDeps, 'store' | 'clock' | 'settings' | 'otpSenders'>;

export const OTP_INVALID_TEXT = 'Confirmation Code invalid';
export const OTP_THROTTLED_TEXT = 'Otp generated less than a minute ago';
export const OTP_STATUS_TEXT = 'Invalid request status';

export function otpHmac(key: Uint8Array, requestPk: number, code: string): string {
  // Binding the pk makes a code useless for any other request, even with a leaked table.
  return createHmac('sha256', key).update(`${requestPk}:${code}`, 'utf8').digest('hex');
}

export function generateOtpCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export interface OtpIssued {
  sent: true;
  channel: OtpChannel;
  expires_at: string;
}

function recipient(req: RequestRecord, channel: OtpChannel): string {
  return channel === 'email' ? req.email : req.mobilePhoneNumber;
}

/** Generates, stores (as an HMAC) and delivers a new OTP for an ENROLLREADY request. */
export async function issueOtp(deps: OtpDeps, pk: number, channelIn: string | undefined, actor = 'client'): Promise<OtpIssued> {
  const channel = (channelIn ?? deps.settings.otp.defaultChannel) as OtpChannel;
  if (!['sms', 'whatsapp', 'email'].includes(channel)) {
    throw new AppError('API_ERR_INVALID_PARAMETER', 'delivery_method must be one of sms, whatsapp, email', { delivery_method: ['Valid options are sms, whatsapp, email'] });
  }
  const req = await deps.store.requests.get(pk);
  if (!req) throw new AppError('REQ_ERR_NOT_FOUND', `Request ${pk} not found. Cannot send OTP secret`);
  if (req.status !== 'ENROLLREADY') throw new AppError('OTP_ERR_INVALID_STATUS', OTP_STATUS_TEXT, { status: req.status });
  const sender = deps.otpSenders[channel];
  if (!sender) throw new AppError('OTP_ERR_DELIVERY_FAILED', `No sender is configured for ${channel}`, { channel });

  const now = deps.clock.now().getTime();
  const code = generateOtpCode();
  const codeHmac = otpHmac(deps.settings.otp.hmacKey, pk, code);
  const expiresAt = now + deps.settings.otp.ttlSeconds * 1000;
  await deps.store.transaction(async (tx) => {
    const stored = await tx.otps.replace(
      { requestPk: pk, codeHmac, channel, createdAt: now, expiresAt, attempts: 0, usedAt: null },
      now - deps.settings.otp.resendSeconds * 1000,
    );
    if (!stored) throw new AppError('OTP_ERR_THROTTLED', OTP_THROTTLED_TEXT);
    await appendAudit(tx, deps.clock, { actor, action: 'otp.generated', requestPk: pk, details: { channel, sender: sender.kind } });
  });

  try {
    await sender.send({ requestPk: pk, channel, to: recipient(req, channel), code, language: req.communicationLanguage, at: new Date(now) });
  } catch (err) {
    // Undelivered: drop the code so the user can ask again at once, and record the failure.
    await deps.store.transaction(async (tx) => {
      await tx.otps.discard(pk, codeHmac);
      await appendAudit(tx, deps.clock, { actor: 'system', action: 'otp.send_failed', requestPk: pk, details: { channel, sender: sender.kind } });
    });
    throw new AppError('OTP_ERR_DELIVERY_FAILED', 'The confirmation code could not be delivered', { channel }, { cause: err });
  }
  await deps.store.transaction((tx) =>
    appendAudit(tx, deps.clock, { actor: 'system', action: 'otp.sent', requestPk: pk, details: { channel, sender: sender.kind } }),
  );
  return { sent: true, channel, expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

/** What one successful consume changed, so a sign call that produces nothing can undo exactly it. */
export interface OtpConsumption {
  codeHmac: string;
  usedAt: number;
}

/**
 * Checks and consumes the OTP in one compare-and-set. Wrong codes count towards the lock; the
 * audit entry of each outcome commits with the counter change. Throws 403 with the One-Shot text.
 */
export async function consumeOtp(deps: OtpDeps, pk: number, code: string): Promise<OtpConsumption> {
  const now = deps.clock.now().getTime();
  const max = deps.settings.otp.maxAttempts;
  const candidate = /^\d{6}$/.test(code) ? otpHmac(deps.settings.otp.hmacKey, pk, code) : 'x'.repeat(64);
  const outcome = await deps.store.transaction(async (tx) => {
    if (await tx.otps.consume(pk, candidate, now, max)) {
      await appendAudit(tx, deps.clock, { actor: 'client', action: 'otp.verified', requestPk: pk });
      return 'ok' as const;
    }
    const rec = await tx.otps.get(pk);
    if (!rec) return 'none' as const;
    if (rec.usedAt !== null) return 'used' as const;
    if (rec.attempts >= max) return 'locked' as const;
    if (rec.expiresAt <= now) return 'expired' as const;
    const attempts = await tx.otps.recordFailure(pk);
    const locked = attempts !== null && attempts >= max;
    await appendAudit(tx, deps.clock, {
      actor: 'client', action: locked ? 'otp.locked' : 'otp.failed', requestPk: pk, details: { attempts: attempts ?? 0 },
    });
    return locked ? ('locked' as const) : ('wrong' as const);
  });
  switch (outcome) {
    case 'ok': return { codeHmac: candidate, usedAt: now };
    case 'none': throw new AppError('OTP_ERR_NOT_REQUESTED', OTP_INVALID_TEXT);
    case 'used': throw new AppError('OTP_ERR_INVALID', OTP_INVALID_TEXT, { used: true });
    case 'locked': throw new AppError('OTP_ERR_LOCKED', OTP_INVALID_TEXT, { locked: true });
    case 'expired': throw new AppError('OTP_ERR_EXPIRED', OTP_INVALID_TEXT, { expired: true });
    case 'wrong': throw new AppError('OTP_ERR_INVALID', OTP_INVALID_TEXT);
  }
}
