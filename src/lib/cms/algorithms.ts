/**
 * Digest and signature algorithm identifiers (RFC 5754 §2-3, RFC 5758 §3.2, RFC 4055 §5) and the
 * hashing helpers built on node:crypto.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { AppError } from '../../shared/errors.js';
import { bytesOf } from './der.js';
import { OID } from './oids.js';
import type { CmsKeyAlgorithm, DigestAlgorithmName } from './signer.js';

export const DIGEST_LENGTH: Record<DigestAlgorithmName, number> = { sha256: 32, sha384: 48, sha512: 64 };

const DIGEST_OID: Record<DigestAlgorithmName, string> = { sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512 };

export function isDigestAlgorithmName(s: unknown): s is DigestAlgorithmName {
  return s === 'sha256' || s === 'sha384' || s === 'sha512';
}

export function digestOid(name: DigestAlgorithmName): string {
  const o = DIGEST_OID[name];
  if (!o) throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `Unsupported digest algorithm ${String(name)}`);
  return o;
}

/** The digest name for an OID, or null when it is not one we sign with. */
export function digestNameOfOid(oid: string): DigestAlgorithmName | null {
  for (const [k, v] of Object.entries(DIGEST_OID)) if (v === oid) return k as DigestAlgorithmName;
  return null;
}

/** Parameters absent, as RFC 5754 §2 asks of producers (verifiers accept both forms). */
export function digestAlgorithmIdentifier(name: DigestAlgorithmName): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: digestOid(name) });
}

/**
 * RFC 5758 §3.2: ecdsa-with-SHA* have absent parameters; RFC 4055 §5: sha*WithRSAEncryption
 * have NULL parameters.
 */
export function signatureAlgorithmIdentifier(key: CmsKeyAlgorithm, hash: DigestAlgorithmName): AlgorithmIdentifier {
  digestOid(hash);
  if (key === 'EC-P256' || key === 'EC-P384') {
    const o = { sha256: OID.ecdsaWithSha256, sha384: OID.ecdsaWithSha384, sha512: OID.ecdsaWithSha512 }[hash];
    return new AlgorithmIdentifier({ algorithm: o });
  }
  if (key === 'RSA-2048' || key === 'RSA-3072') {
    const o = { sha256: OID.sha256WithRsa, sha384: OID.sha384WithRsa, sha512: OID.sha512WithRsa }[hash];
    return new AlgorithmIdentifier({ algorithm: o, parameters: null });
  }
  throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `Unsupported key algorithm ${String(key)}`);
}

export const derOf = (v: object): Uint8Array => bytesOf(AsnConvert.serialize(v));

export function hash(name: DigestAlgorithmName | 'sha1', data: Uint8Array): Uint8Array {
  return bytesOf(createHash(name).update(data).digest());
}

/** Checks that a submitted digest has the length of its declared algorithm (RFC 5652 §11.2). */
export function assertDigest(name: DigestAlgorithmName, digest: Uint8Array): void {
  const want = DIGEST_LENGTH[name];
  if (want === undefined) throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `Unsupported digest algorithm ${String(name)}`);
  if (!(digest instanceof Uint8Array) || digest.length !== want)
    throw new AppError('CMS_ERR_INVALID_DIGEST', `A ${name} digest is ${want} bytes, got ${digest?.length ?? 0}`);
}

/** The key algorithm of a DER SubjectPublicKeyInfo (RFC 5480 §2, RFC 3279 §2.3.1). */
export function keyAlgorithmOfSpki(spki: Uint8Array): CmsKeyAlgorithm {
  let info: SubjectPublicKeyInfo;
  try {
    info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  } catch (e) {
    throw new AppError('CMS_ERR_MALFORMED', 'Malformed SubjectPublicKeyInfo', undefined, { cause: e });
  }
  const alg = info.algorithm.algorithm;
  if (alg === OID.ecPublicKey && info.algorithm.parameters) {
    const curve = AsnConvert.parse(info.algorithm.parameters, ECParameters).namedCurve;
    if (curve === OID.secp256r1) return 'EC-P256';
    if (curve === OID.secp384r1) return 'EC-P384';
  }
  if (alg === OID.rsaEncryption) {
    const bits = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength;
    if (bits === 2048) return 'RSA-2048';
    if (bits === 3072) return 'RSA-3072';
  }
  throw new AppError('CMS_ERR_UNSUPPORTED_ALGORITHM', `Unsupported public key algorithm ${alg}`);
}

const derCache = new Map<string, Uint8Array>();
function cached(key: string, make: () => Uint8Array): Uint8Array {
  let v = derCache.get(key);
  if (!v) derCache.set(key, (v = make()));
  return v;
}

/** DER of digestAlgorithmIdentifier(name), computed once (the request path assembles many CMS). */
export const digestAlgorithmDer = (name: DigestAlgorithmName): Uint8Array => cached(`d:${name}`, () => derOf(digestAlgorithmIdentifier(name)));

/** DER of signatureAlgorithmIdentifier(key, hash), computed once. */
export const signatureAlgorithmDer = (key: CmsKeyAlgorithm, h: DigestAlgorithmName): Uint8Array =>
  cached(`s:${key}:${h}`, () => derOf(signatureAlgorithmIdentifier(key, h)));
