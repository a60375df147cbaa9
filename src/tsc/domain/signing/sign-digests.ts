/**
 * Use case `signDigests` (issue 2 §6, DESIGN.md §3 step 3): authorise with the OTP (or external
 * authentication), create the single-use key, issue the certificate, build one detached CMS per
 * digest, destroy the key, record ISSUED, return CMS + chain.
 *
 * Failure policy. One sign call claims the request first (compare-and-set on signing_since), so
 * concurrent calls get 409 without touching the OTP. Then the OTP is consumed (single use). If
 * anything fails after that, the key is still destroyed (finally), nothing is recorded as issued,
 * the request stays ENROLLREADY with its claim released, and the OTP stays consumed: the user asks
 * for a new OTP (subject to the resend throttle) and signs again. A certificate built in a failed
 * call is never returned nor published.
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
import { consumeOtp } from '../otp/otp-service.js';
import type { SignatureTimestamper, SignerKeySource } from '../ports.js';
import type { ProfileName } from '../model.js';
import { parseSignInput, type Level, type SignInput } from './sign-input.js';

export interface SigningDeps extends TscDomainDeps {
  ca: CertificateAuthority;
  keyStore: KeyStore;
  signerKeys: SignerKeySource;
  /** Null until a TSA is wired (issue 5): B-T requests are then answered at level B-B. */
  timestamper: SignatureTimestamper | null;
  keyAlgorithmOverrides: Partial<Record<ProfileName, KeyAlgorithm>>;
}

export interface SignResult {
  certificate: string;
  chain: string[];
  signatures: Array<{ id: string; cms: string }>;
  serial_number: string;
  level: Level;
  key_algorithm: KeyAlgorithm;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The level this deployment produces for a requested level. */
export function effectiveLevel(requested: Level, timestamper: SignatureTimestamper | null): Level {
  return requested === 'B-T' && timestamper ? 'B-T' : 'B-B';
}

export async function signDigests(deps: SigningDeps, pk: number, body: unknown): Promise<SignResult> {
  const input = parseSignInput(body, deps.settings.maxDigestsPerCall);
  const req = await deps.store.requests.get(pk);
  if (!req) throw new AppError('REQ_ERR_NOT_FOUND', `Request ${pk} not found. Cannot sign documents`);
  if (req.status === 'ISSUED') throw new AppError('REQ_ERR_ALREADY_ISSUED', 'Request already in ISSUED status');
  if (req.status !== 'ENROLLREADY') throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${req.status} -> ISSUED`, { status: req.status });
  const profile = certificateProfile(req.profile, deps.keyAlgorithmOverrides);
  prevalidateAttributes(deps.ca, input);

  const claim = deps.clock.now().getTime();
  if (!(await deps.store.requests.claimForSigning(pk, claim, claim - deps.settings.signingClaimTimeoutMs))) {
    const again = await deps.store.requests.get(pk);
    if (again?.status === 'ISSUED') throw new AppError('REQ_ERR_ALREADY_ISSUED', 'Request already in ISSUED status');
    if (again && again.status !== 'ENROLLREADY') throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${again.status} -> ISSUED`);
    throw new AppError('REQ_ERR_BUSY', `A signature is already in progress for Request ${pk}`);
  }

  let stage = 'authorise';
  let key: KeyHandle | null = null;
  let keyDestroyed = false;
  try {
    await authorise(deps, pk, input);

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
      const level = effectiveLevel(input.level, deps.timestamper);
      const signatures: SignResult['signatures'] = [];
      for (const d of input.digests) {
        let cms = await signDigest({
          profile: d.format,
          digestAlgorithm: d.digestAlgorithm,
          messageDigest: d.digest,
          signerCertificate: cert.der,
          signingTime: d.signingTime ? now : undefined,
          otherAttributes: d.otherAttributes,
          signer,
          certificates: deps.ca.chain,
        });
        if (level === 'B-T') {
          stage = 'timestamp';
          const tst = await deps.timestamper!.timestamp(signatureValueOf(cms), d.digestAlgorithm);
          cms = addUnsignedAttribute(cms, OID.signatureTimeStampToken, tst);
        }
        signatures.push({ id: d.id, cms: b64(cms) });
      }
      result = {
        certificate: b64(cert.der), chain: deps.ca.chain.map(b64), signatures, serial_number: cert.serialHex, level, key_algorithm: key.algorithm,
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
      await audit('digests.signed', { count: result.signatures.length, formats: [...new Set(input.digests.map((d) => d.format))], level: result.level });
      await audit('key.destroyed', { key_algorithm: result.key_algorithm, key_store: deps.keyStore.kind });
      await audit('request.issued', { from: 'ENROLLREADY', to: 'ISSUED' });
    });
    return result;
  } catch (err) {
    await deps.store.requests.releaseClaim(pk, claim).catch(() => undefined);
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

async function authorise(deps: SigningDeps, pk: number, input: SignInput): Promise<void> {
  if (!input.ext) return consumeOtp(deps, pk, input.secret);
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
