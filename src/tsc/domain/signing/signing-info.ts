/**
 * GET /signing-info: what the Optimizer needs before it prepares PDFs — the key algorithm, the
 * chain, and an honest upper bound of the CMS size so the /Contents placeholder is never too small.
 *
 * The bound is measured, not guessed: a certificate and a CMS are built with the real profile and
 * extensions, the largest identity the validation accepts (64 three-byte UTF-8 characters per
 * name, 128-character e-mail, 32-character document number), sha512 digests, a signing time and
 * the largest other_attributes set the sign call accepts, signed with throwaway keys of the same
 * algorithms (never the CA key). ECDSA signatures vary by a few bytes, so a margin is added; for
 * B-T the token bound of the TSA that will stamp is added: the default one, or with
 * `external_tsa` the bound every caller-named TSA's token is held to (larger tokens are refused).
 */
import { generateKeyPair, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { buildCertificate, signDigest, type CmsSigner, type DigestAlgorithmName } from '../../../lib/cms/index.js';
import type { KeyAlgorithm } from '../../../lib/keys/key-store.js';
import { AppError } from '../../../shared/errors.js';
import type { CertificateAuthority } from '../ca/certificate-authority.js';
import { certificateProfile } from '../ca/profiles.js';
import { PROFILES, type IdentityData, type ProfileName } from '../model.js';
import { LIMITS } from '../ra/identity-validation.js';
import { SIGN_LIMITS, type Level } from './sign-input.js';
import { effectiveLevel, type SigningDeps } from './sign-digests.js';

export interface SigningInfo {
  profile: ProfileName;
  level: Level;
  key_algorithm: KeyAlgorithm;
  cms_max_bytes: number;
  /** B-T: the bound of one timestamp token of the TSA that will stamp (also sizes document timestamps). */
  tst_max_bytes?: number;
  chain: string[];
  /** Where the single-use certificate will point for its status (AIA OCSP, CRL DP): B-LT collects there. */
  revocation: { ocsp: string[]; crl: string[] };
}

/** Slack for DER-encoded ECDSA signatures (r and s each vary by up to 1 byte) and length headers. */
const MARGIN = 64;

async function throwawaySigner(alg: KeyAlgorithm): Promise<{ signer: CmsSigner; spki: Uint8Array }> {
  const key = await new Promise<{ pub: KeyObject; priv: KeyObject }>((resolve, reject) => {
    const cb = (err: Error | null, pub: KeyObject, priv: KeyObject) => (err ? reject(err) : resolve({ pub, priv }));
    if (alg === 'EC-P256' || alg === 'EC-P384') generateKeyPair('ec', { namedCurve: alg === 'EC-P256' ? 'P-256' : 'P-384' }, cb);
    else generateKeyPair('rsa', { modulusLength: alg === 'RSA-2048' ? 2048 : 3072 }, cb);
  });
  const ec = alg.startsWith('EC');
  return {
    spki: new Uint8Array(key.pub.export({ type: 'spki', format: 'der' })),
    signer: {
      keyAlgorithm: alg,
      sign: async (data: Uint8Array, hash: DigestAlgorithmName) =>
        new Uint8Array(cryptoSign(hash, data, ec ? { key: key.priv, dsaEncoding: 'der' } : key.priv)),
    },
  };
}

function largestIdentity(): IdentityData {
  const name = '中'.repeat(LIMITS.name); // 3 bytes each in UTF-8: the widest the name check accepts
  return {
    givenName: name, surname1: name, surname2: name,
    email: `${'a'.repeat(LIMITS.email - 12)}@example.com`,
    mobilePhoneNumber: '+999999999999999',
    serialNumber: 'A'.repeat(LIMITS.serialNumber),
    idDocumentType: 'IDC', idDocumentCountry: 'ES',
    residence: '', residenceCity: '', residencePostalCode: '', residenceAddress: '',
  };
}

/** The largest other_attributes set parseSignInput accepts: 8 attributes of 4 values, 4096 bytes, longest OIDs. */
function largestOtherAttributes() {
  const perValue = SIGN_LIMITS.otherAttributeBytes / (SIGN_LIMITS.otherAttributes * SIGN_LIMITS.valuesPerAttribute);
  const value = new Uint8Array(perValue);
  value[0] = 0x04; // OCTET STRING
  value[1] = perValue - 2; // short-form length (perValue ≤ 129)
  return Array.from({ length: SIGN_LIMITS.otherAttributes }, (_, i) => ({
    oid: `2.${'9'.repeat(10)}${`.${'9'.repeat(10)}`.repeat(18)}.${String(9_999_999_990 + i)}`,
    values: Array.from({ length: SIGN_LIMITS.valuesPerAttribute }, () => value),
  }));
}

const cache = new WeakMap<CertificateAuthority, Map<string, number>>();

async function measure(ca: CertificateAuthority, profileName: ProfileName, alg: KeyAlgorithm): Promise<number> {
  const issuer = await throwawaySigner(ca.issuingKey.algorithm);
  const subject = await throwawaySigner(alg);
  const now = new Date();
  const spec = ca.singleUseSpec(largestIdentity(), { ...certificateProfile(profileName), keyAlgorithm: alg }, subject.spki, now);
  const certDer = await buildCertificate({ ...spec, signer: issuer.signer });
  const cms = await signDigest({
    profile: 'cades',
    digestAlgorithm: 'sha512',
    messageDigest: new Uint8Array(64),
    signerCertificate: certDer,
    signingTime: now,
    otherAttributes: largestOtherAttributes(),
    signer: subject.signer,
    certificates: ca.chain,
  });
  return cms.length;
}

export async function signingInfo(
  deps: Pick<SigningDeps, 'ca' | 'timestamping' | 'keyAlgorithmOverrides'>,
  profileIn: string | undefined,
  levelIn: string | undefined,
  externalTsa = false,
): Promise<SigningInfo> {
  const profileName = (profileIn ?? 'PFnubeQAFCiudadano') as ProfileName;
  if (!(PROFILES as readonly string[]).includes(profileName)) {
    throw new AppError('API_ERR_INVALID_PARAMETER', `The profile specified is not valid. Valid options are ${PROFILES.join(', ')}`);
  }
  const requested = levelIn ?? 'B-T';
  if (requested !== 'B-B' && requested !== 'B-T') throw new AppError('API_ERR_INVALID_PARAMETER', 'level must be B-B or B-T');
  if (externalTsa && !deps.timestamping.forServers) throw new AppError('API_ERR_INVALID_PARAMETER', 'This TSC does not accept TSAs named by the caller');
  const tsaBound = externalTsa ? deps.timestamping.callerMaxTokenBytes : deps.timestamping.default?.maxTokenBytes;
  const level = externalTsa ? requested : effectiveLevel(requested, deps.timestamping.default);
  const alg = certificateProfile(profileName, deps.keyAlgorithmOverrides).keyAlgorithm;
  let perCa = cache.get(deps.ca);
  if (!perCa) cache.set(deps.ca, (perCa = new Map()));
  const key = `${profileName}:${alg}`;
  let base = perCa.get(key);
  if (base === undefined) {
    base = await measure(deps.ca, profileName, alg);
    perCa.set(key, base);
  }
  // + the attribute's SET/SEQUENCE headers and the unsignedAttrs [1] wrapper.
  const tst = level === 'B-T' && tsaBound !== undefined ? tsaBound + 32 : 0;
  return {
    profile: profileName,
    level,
    key_algorithm: alg,
    cms_max_bytes: base + MARGIN + tst,
    ...(level === 'B-T' && tsaBound !== undefined ? { tst_max_bytes: tsaBound } : {}),
    chain: deps.ca.chain.map((c) => Buffer.from(c).toString('base64')),
    revocation: { ocsp: [deps.ca.urls.ocsp], crl: [deps.ca.urls.issuingCrl] },
  };
}
