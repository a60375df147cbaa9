/** Signature checks with node:crypto, used to catch key/certificate mismatches before anything leaves the builders. */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { certificateInfo } from './certificate-info.js';
import { OID } from './oids.js';
import type { DigestAlgorithmName } from './signer.js';

/** Verifies an ECDSA (DER Ecdsa-Sig-Value) or RSA PKCS#1 v1.5 signature with a DER SubjectPublicKeyInfo. */
export function verifyRaw(spki: Uint8Array, data: Uint8Array, signature: Uint8Array, hash: DigestAlgorithmName): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return cryptoVerify(hash, data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key, signature);
  } catch {
    return false;
  }
}

const SIGNATURE_HASH: Record<string, DigestAlgorithmName> = {
  [OID.ecdsaWithSha256]: 'sha256', [OID.ecdsaWithSha384]: 'sha384', [OID.ecdsaWithSha512]: 'sha512',
  [OID.sha256WithRsa]: 'sha256', [OID.sha384WithRsa]: 'sha384', [OID.sha512WithRsa]: 'sha512',
};

/** The digest of an ECDSA / RSA PKCS#1 v1.5 signature algorithm OID, or null (RSA-PSS, SHA-1, others). */
export function hashOfSignatureAlgorithm(oid: string): DigestAlgorithmName | null {
  return SIGNATURE_HASH[oid] ?? null;
}

/** Whether `issuerCertificate`'s key signed `certificate` (RFC 5280 §6.1.3 (a)(1); names and validity are not checked). */
export function verifyCertificateSignature(certificate: Uint8Array, issuerCertificate: Uint8Array): boolean {
  const cert = certificateInfo(certificate);
  const h = hashOfSignatureAlgorithm(cert.signatureAlgorithm);
  return h !== null && verifyRaw(certificateInfo(issuerCertificate).spki, cert.tbs, cert.signatureValue, h);
}
