/**
 * Use case `signDigests` (issue 2 §6, DESIGN.md §3 step 3): authorise with the OTP (or external
 * authentication), create the single-use key, issue the certificate, build one detached CMS per
 * digest, add the signature timestamps for level B-T (issue 5), destroy the key, record ISSUED,
 * return CMS + chain.
 *
 * Failure policy. One sign call claims the request first (compare-and-set on signing_since), so
 * concurrent calls get 409 without touching the OTP. Then the OTP is consumed (single use). If
 * anything fails after that, the key is still destroyed (finally), nothing is recorded as issued,
 * and the request stays ENROLLREADY with its claim released. A certificate built in a failed call
 * is never returned nor published.
 *  - TSA failure with policy fail-closed (issue 5): the consume is rolled back (compare-and-set on
 *    that exact consume; for external authentication the nonce is released), so the same OTP signs
 *    once the TSA is back; the answer is 503 TSA_ERR_UNAVAILABLE. With policy degrade the call
 *    signs at B-B and reports `degraded` in the response and the audit log.
 *  - Any other failure (key store, CA, database): the OTP stays consumed; the user asks for a new
 *    one (subject to the resend throttle) and signs again.
 *
 * Idempotence (docs/async.md "The one lost window"): a call with an Idempotency-Key header has its
 * answer stored with the ISSUED record; the same call (same key, input and authorisation) repeated
 * on the ISSUED request within TSC_SIGN_REPLAY_SECONDS gets it again (sign-replay.ts). Any other
 * call on an ISSUED request, and every call without a key, is refused with 412 as before.
 */
import {
  addUnsignedAttribute, encodeSignedAttributes, keyStoreSigner, OID, signatureValueOf, signDigest,
} from '../../../lib/cms/index.js';
import type { KeyAlgorithm, KeyHandle, KeyStore } from '../../../lib/keys/key-store.js';
import { AppError, isAppError } from '../../../shared/errors.js';
import { appendAudit } from '../audit/audit-chain.js';
import type { CertificateAuthority } from '../ca/certificate-authority.js';
import { certificateProfile } from '../ca/profiles.js';
import type { TscDomainDeps } from '../context.js';
import { consumeOtp, type OtpConsumption } from '../otp/otp-service.js';
import type { SignatureTimestamper, SignerKeySource } from '../ports.js';
import type { ProfileName } from '../model.js';
import { planTimestamps, stampAll, type TimestampPlan, type Timestamping } from '../tsa/timestamping.js';
import { parseSignInput, type Level, type SignInput } from './sign-input.js';
import { extAuthHash, recordSignResult, replaySignResult } from './sign-replay.js';

export interface SigningDeps extends TscDomainDeps {
  ca: CertificateAuthority;
  keyStore: KeyStore;
  signerKeys: SignerKeySource;
  /** Which TSA stamps B-T signatures and the failure policy (issue 5). */
  timestamping: Timestamping;
  keyAlgorithmOverrides: Partial<Record<ProfileName, KeyAlgorithm>>;
}

export interface SignResult {
  certificate: string;
  chain: string[];
  signatures: Array<{ id: string; cms: string }>;
  serial_number: string;
  /** The level produced. */
  level: Level;
  requested_level: Level;
  /** True when B-T was asked, the TSA failed and policy degrade signed at B-B instead. */
  degraded: boolean;
  /** Why (stable code and text), only when degraded. */
  degradation_reason?: string;
  key_algorithm: KeyAlgorithm;
  /** True when this is the stored answer of an earlier identical call (sign-replay.ts). */
  replayed: boolean;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The level this deployment produces for a requested level. */
export function effectiveLevel(requested: Level, timestamper: SignatureTimestamper | null): Level {
  return requested === 'B-T' && timestamper ? 'B-T' : 'B-B';
}

/** What authorised this call, so a fail-closed TSA failure can give it back. */
type Authorisation = { kind: 'otp'; consumption: OtpConsumption } | { kind: 'ext' };

/** A TSA failure under policy fail-closed: carried to the outer handler, which rolls back. */
class TimestampRefusal extends Error {
  constructor(readonly reason: unknown) {
    super('timestamp refused');
  }
}

const tsaReason = (e: unknown): { code: string; text: string } =>
  isAppError(e) ? { code: e.code, text: e.message } : { code: 'TSA_ERR_UNAVAILABLE', text: 'The time-stamping authority failed' };

export async function signDigests(deps: SigningDeps, pk: number, body: unknown, opts: { idempotencyKey?: string } = {}): Promise<SignResult> {
  const input = parseSignInput(body, deps.settings.maxDigestsPerCall);
  const plan = planTimestamps(deps.timestamping, input.tsa);
  const req = await deps.store.requests.get(pk);
  if (!req) throw new AppError('REQ_ERR_NOT_FOUND', `Request ${pk} not found. Cannot sign documents`);
  if (req.status === 'ISSUED') return replaySignResult(deps, pk, input, opts.idempotencyKey);
  if (req.status !== 'ENROLLREADY') throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${req.status} -> ISSUED`, { status: req.status });
  const profile = certificateProfile(req.profile, deps.keyAlgorithmOverrides);
  prevalidateAttributes(deps.ca, input);

  const claim = deps.clock.now().getTime();
  if (!(await deps.store.requests.claimForSigning(pk, claim, claim - deps.settings.signingClaimTimeoutMs))) {
    const again = await deps.store.requests.get(pk);
    // Issued meanwhile (an earlier identical call finished first): the same rules as above.
    if (again?.status === 'ISSUED') return replaySignResult(deps, pk, input, opts.idempotencyKey);
    if (again && again.status !== 'ENROLLREADY') throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${again.status} -> ISSUED`);
    throw new AppError('REQ_ERR_BUSY', `A signature is already in progress for Request ${pk}`);
  }

  let stage = 'authorise';
  let key: KeyHandle | null = null;
  let keyDestroyed = false;
  let auth: Authorisation | null = null;
  try {
    auth = await authorise(deps, pk, input);

    stage = 'key';
    key = await deps.signerKeys.acquire(profile.keyAlgorithm);
    const now = deps.clock.now();
    let result: SignResult;
    let cert: Awaited<ReturnType<CertificateAuthority['issue']>>;
    try {
      stage = 'certificate';
      cert = await deps.ca.issue(req, profile, key.publicKeySpki, now);
      stage = 'cms';
      const signer = keyStoreSigner(deps.keyStore, key);
      const cmsList: Uint8Array[] = [];
      for (const d of input.digests) {
        cmsList.push(await signDigest({
          profile: d.format,
          digestAlgorithm: d.digestAlgorithm,
          messageDigest: d.digest,
          signerCertificate: cert.der,
          signingTime: d.signingTime ? now : undefined,
          otherAttributes: d.otherAttributes,
          signer,
          certificates: deps.ca.chain,
        }));
      }
      let level = effectiveLevel(input.level, plan.timestamper);
      let degradation: string | undefined;
      if (level === 'B-T') {
        stage = 'timestamp';
        const stamped = await timestampAll(plan, cmsList);
        if (stamped.ok) stamped.cms.forEach((c, i) => { cmsList[i] = c; });
        else {
          level = 'B-B';
          degradation = `${stamped.reason.code}: ${stamped.reason.text}`;
        }
      }
      result = {
        certificate: b64(cert.der), chain: deps.ca.chain.map(b64),
        signatures: input.digests.map((d, i) => ({ id: d.id, cms: b64(cmsList[i]!) })),
        serial_number: cert.serialHex, level, requested_level: input.level, degraded: degradation !== undefined,
        ...(degradation !== undefined ? { degradation_reason: degradation } : {}),
        key_algorithm: key.algorithm, replayed: false,
      };
    } catch (e) {
      // Destroy first; the original failure is what the caller sees.
      await deps.signerKeys.destroy(key).then(() => { keyDestroyed = true; }, () => undefined);
      throw e;
    }
    stage = 'destroy';
    await deps.signerKeys.destroy(key);
    keyDestroyed = true;

    stage = 'record';
    const done = deps.clock.now();
    await deps.store.transaction(async (tx) => {
      await tx.certificates.insert({
        serial: cert.serialHex, requestPk: pk, profile: req.profile, notBefore: cert.notBefore, notAfter: cert.notAfter, der: cert.der,
        status: 'VALID', revokedAt: null, revocationReason: null,
      });
      const updated = await tx.requests.update(pk, { status: 'ISSUED', signingSince: null, updatedAt: done }, { statuses: ['ENROLLREADY'], signingSince: claim });
      if (!updated) throw new AppError('REQ_ERR_BUSY', `Request ${pk} changed while it was being signed`);
      const audit = (action: string, details: Record<string, unknown>) => appendAudit(tx, deps.clock, { actor: 'client', action, requestPk: pk, details });
      await audit('certificate.issued', { serial: cert.serialHex, profile: req.profile, key_algorithm: result.key_algorithm });
      if (result.degraded) {
        await audit('level.degraded', { from: result.requested_level, to: result.level, reason: result.degradation_reason, tsa: plan.source });
      }
      await audit('digests.signed', {
        count: result.signatures.length, formats: [...new Set(input.digests.map((d) => d.format))], level: result.level,
        ...(result.level === 'B-T' ? { tsa: plan.source } : {}),
      });
      await audit('key.destroyed', { key_algorithm: result.key_algorithm, key_store: deps.keyStore.kind });
      await audit('request.issued', { from: 'ENROLLREADY', to: 'ISSUED' });
      await recordSignResult(tx, deps, pk, input, opts.idempotencyKey, authHash(deps, pk, input, auth!), result, done.getTime());
    });
    return result;
  } catch (err) {
    await deps.store.requests.releaseClaim(pk, claim).catch(() => undefined);
    if (err instanceof TimestampRefusal) throw await refuseForTsa(deps, pk, input, auth!, err.reason, key !== null && keyDestroyed, plan);
    if (stage !== 'authorise') {
      // Authorisation failures are audited by consumeOtp / authorise themselves.
      await deps.store
        .transaction(async (tx) => {
          await appendAudit(tx, deps.clock, {
            actor: 'system', action: 'sign.failed', requestPk: pk,
            details: { stage, error: isAppError(err) ? err.code : 'INTERNAL_ERR', key_destroyed: key === null ? null : keyDestroyed },
          });
        })
        .catch(() => undefined);
    }
    throw err;
  }
}

/** B-T: one signature timestamp per CMS, or the TSA failure handled by the plan's policy. */
async function timestampAll(
  plan: TimestampPlan, cmsList: Uint8Array[],
): Promise<{ ok: true; cms: Uint8Array[] } | { ok: false; reason: { code: string; text: string } }> {
  let tokens: Uint8Array[];
  try {
    tokens = await stampAll(plan.timestamper!, cmsList.map(signatureValueOf));
  } catch (e) {
    if (plan.failurePolicy === 'degrade') return { ok: false, reason: tsaReason(e) };
    throw new TimestampRefusal(e);
  }
  return { ok: true, cms: cmsList.map((c, i) => addUnsignedAttribute(c, OID.signatureTimeStampToken, tokens[i]!)) };
}

/**
 * Fail-closed: gives the authorisation back (exactly the consume this call made) in the same
 * transaction as the audit entry, and builds the caller's error.
 */
async function refuseForTsa(
  deps: SigningDeps, pk: number, input: SignInput, auth: Authorisation, reason: unknown, keyDestroyed: boolean, plan: TimestampPlan,
): Promise<AppError> {
  const why = tsaReason(reason);
  let restored = false;
  if (auth.kind === 'ext' && deps.extAuth.release && input.ext) {
    restored = await deps.extAuth.release({ requestPk: pk, type: input.ext.type, value: input.ext.value, secret: input.secret }).then(() => true, () => false);
  }
  await deps.store
    .transaction(async (tx) => {
      if (auth.kind === 'otp') restored = await tx.otps.restore(pk, auth.consumption.codeHmac, auth.consumption.usedAt);
      await appendAudit(tx, deps.clock, {
        actor: 'system', action: 'sign.failed', requestPk: pk,
        details: { stage: 'timestamp', error: 'TSA_ERR_UNAVAILABLE', reason: why.code, tsa: plan.source, key_destroyed: keyDestroyed, authorisation_restored: restored },
      });
    })
    .catch(() => { restored = false; });
  const next = restored ? 'nothing was signed and the confirmation code is still valid: sign again when the TSA is back' : 'nothing was signed';
  return new AppError('TSA_ERR_UNAVAILABLE', `The signature timestamp could not be obtained (${why.text}); ${next}`, { restored }, { cause: reason });
}

/** The replay key of this call's authorisation (sign-replay.ts): the consumed OTP's HMAC, or one over the ext proof. */
function authHash(deps: SigningDeps, pk: number, input: SignInput, auth: Authorisation): string {
  return auth.kind === 'otp' ? auth.consumption.codeHmac : extAuthHash(deps.settings.otp.hmacKey, pk, input.ext!, input.secret);
}

async function authorise(deps: SigningDeps, pk: number, input: SignInput): Promise<Authorisation> {
  if (!input.ext) return { kind: 'otp', consumption: await consumeOtp(deps, pk, input.secret) };
  try {
    await deps.extAuth.verify({ requestPk: pk, type: input.ext.type, value: input.ext.value, secret: input.secret });
  } catch (e) {
    await deps.store.transaction((tx) =>
      appendAudit(tx, deps.clock, { actor: 'client', action: 'ext_auth.refused', requestPk: pk, details: { type: input.ext!.type } }),
    );
    throw e;
  }
  await deps.store.transaction((tx) =>
    appendAudit(tx, deps.clock, { actor: 'client', action: 'ext_auth.accepted', requestPk: pk, details: { type: input.ext!.type } }),
  );
  return { kind: 'ext' };
}

/**
 * Encodes every digest's signed attributes once with the issuing CA certificate standing in for
 * the signer's, so a bad other_attributes value is a 400 before the OTP is consumed.
 */
function prevalidateAttributes(ca: CertificateAuthority, input: SignInput): void {
  for (const d of input.digests) {
    try {
      encodeSignedAttributes({
        profile: d.format, digestAlgorithm: d.digestAlgorithm, messageDigest: d.digest, signerCertificate: ca.issuing.der,
        signingTime: d.signingTime ? new Date(0) : undefined, otherAttributes: d.otherAttributes,
      });
    } catch (e) {
      if (isAppError(e)) throw new AppError(e.httpStatus >= 500 ? 'API_ERR_INVALID_PARAMETER' : e.code, `${d.id}: ${e.message}`, { id: d.id });
      throw e;
    }
  }
}
