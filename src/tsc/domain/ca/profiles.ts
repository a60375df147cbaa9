/**
 * Single-use certificate profiles, named as One-Shot names them (issue 2 §2).
 *
 * - PFnubeQAFCiudadano: qualified certificate of a natural person with the key in a QSCD
 *   (ETSI EN 319 411-2 policy QCP-n-qscd 0.4.0.194112.1.2; ETSI EN 319 412-5 qcStatements
 *   QcCompliance, QcSSCD, QcType=esign, QcPDS).
 * - PFnubeNC: non-qualified (ETSI EN 319 411-1 policy NCP 0.4.0.2042.1.1); no QcCompliance, no QcSSCD.
 *
 * Both: keyUsage nonRepudiation (critical; ETSI EN 319 412-2 §4.3.2), short validity, AIA and CRL DP.
 */
import type { KeyAlgorithm } from '../../../lib/keys/key-store.js';
import type { ProfileName } from '../model.js';

export interface CertificateProfile {
  name: ProfileName;
  qualified: boolean;
  /** certificatePolicies (RFC 5280 §4.2.1.4). */
  policyOids: string[];
  /** Key algorithm of the single-use key; RSA comes from the pre-generated pool. */
  keyAlgorithm: KeyAlgorithm;
}

export const OID_QCP_N_QSCD = '0.4.0.194112.1.2';
export const OID_NCP = '0.4.0.2042.1.1';

const PROFILES: Record<ProfileName, CertificateProfile> = {
  PFnubeQAFCiudadano: { name: 'PFnubeQAFCiudadano', qualified: true, policyOids: [OID_QCP_N_QSCD], keyAlgorithm: 'EC-P256' },
  PFnubeNC: { name: 'PFnubeNC', qualified: false, policyOids: [OID_NCP], keyAlgorithm: 'EC-P256' },
};

/** The profile with an optional key-algorithm override (config TSC_PROFILE_KEY_ALGORITHMS). */
export function certificateProfile(name: ProfileName, overrides: Partial<Record<ProfileName, KeyAlgorithm>> = {}): CertificateProfile {
  const p = PROFILES[name];
  return overrides[name] ? { ...p, keyAlgorithm: overrides[name]! } : p;
}

export function isQualifiedProfile(name: ProfileName): boolean {
  return PROFILES[name].qualified;
}
