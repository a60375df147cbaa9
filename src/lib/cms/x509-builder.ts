/**
 * X.509 v3 certificate builder (RFC 5280 §4.1) that signs through a CmsSigner, so CA keys held
 * in an HSM sign TBSCertificates without leaving it.
 */
import { randomBytes } from 'node:crypto';
import { wholeSeconds } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { signatureAlgorithmDer } from './algorithms.js';
import { bitString, bytesEqual, explicit, readRoot, seq, smallInteger, TAG, unsignedInteger, x509Time, type Bytes } from './der.js';
import { verifyRaw } from './verify.js';
import { encodeName, type NameSpec } from './x509-name.js';
import { encodeExtension, type ExtensionSpec } from './x509-extensions.js';
import type { CmsSigner, DigestAlgorithmName } from './signer.js';

export interface CertificateSpec {
  /** Positive serial as big-endian magnitude: at least 8 octets with 64 bits of CSPRNG output (CA/B BR §7.1), at most 20 (RFC 5280 §4.1.2.2). */
  serialNumber: Uint8Array;
  /** The issuer's subject Name DER (e.g. certificateInfo(caCert).subject), or a spec for a self-signed certificate. */
  issuer: Uint8Array | NameSpec;
  subject: Uint8Array | NameSpec;
  /** Truncated to whole seconds (RFC 5280 §4.1.2.5). */
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo of the certified key. */
  publicKeySpki: Uint8Array;
  extensions: ExtensionSpec[];
  /** The issuer's key. */
  signer: CmsSigner;
  /** Default: sha384 for EC-P384 keys, else sha256. */
  signatureHash?: DigestAlgorithmName;
  /**
   * The issuer's SubjectPublicKeyInfo; when given (or for a self-signed certificate) the new
   * signature is verified before returning, so a CA key/certificate mismatch fails here.
   */
  issuerPublicKeySpki?: Uint8Array;
}

/** 16 random octets, top bit clear so the INTEGER stays 16 octets and positive. */
export function randomSerialNumber(): Uint8Array {
  const b = new Uint8Array(randomBytes(16));
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b;
}

export const defaultHashFor = (key: CmsSigner['keyAlgorithm']): DigestAlgorithmName => (key === 'EC-P384' ? 'sha384' : 'sha256');

function serialInteger(serial: Uint8Array): Bytes {
  let i = 0;
  while (i < serial.length && serial[i] === 0) i++;
  const significant = serial.length - i;
  if (significant < 8) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Serial numbers carry at least 64 bits (8 octets)');
  const der = unsignedInteger(serial);
  if (der.length - 2 > 20) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'Serial numbers are at most 20 octets (RFC 5280 §4.1.2.2)');
  return der;
}

const nameDer = (n: Uint8Array | NameSpec): Bytes => {
  if (n instanceof Uint8Array) {
    if (readRoot(n).tag !== TAG.SEQUENCE) throw new AppError('CMS_ERR_MALFORMED', 'A Name is a DER SEQUENCE');
    return n;
  }
  return encodeName(n);
};

export async function buildCertificate(spec: CertificateSpec): Promise<Uint8Array> {
  const notBefore = wholeSeconds(spec.notBefore);
  const notAfter = wholeSeconds(spec.notAfter);
  if (!(notAfter.getTime() > notBefore.getTime())) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', 'notAfter must be after notBefore');
  const ids = new Set<string>();
  for (const e of spec.extensions) {
    if (ids.has(e.oid)) throw new AppError('CMS_ERR_INVALID_ATTRIBUTE', `Extension ${e.oid} appears twice (RFC 5280 §4.2)`);
    ids.add(e.oid);
  }
  if (readRoot(spec.publicKeySpki).tag !== TAG.SEQUENCE) throw new AppError('CMS_ERR_MALFORMED', 'Malformed SubjectPublicKeyInfo');
  const hash = spec.signatureHash ?? defaultHashFor(spec.signer.keyAlgorithm);
  const sigAlg = signatureAlgorithmDer(spec.signer.keyAlgorithm, hash);
  const issuer = nameDer(spec.issuer);
  const subject = nameDer(spec.subject);
  const tbs = seq(
    explicit(0, smallInteger(2)), // v3
    serialInteger(spec.serialNumber),
    sigAlg,
    issuer,
    seq(x509Time(notBefore), x509Time(notAfter)),
    subject,
    spec.publicKeySpki,
    ...(spec.extensions.length ? [explicit(3, seq(...spec.extensions.map(encodeExtension)))] : []),
  );
  const signature = await spec.signer.sign(tbs, hash);
  const verifyKey = spec.issuerPublicKeySpki ?? (bytesEqual(issuer, subject) ? spec.publicKeySpki : undefined);
  if (verifyKey && !verifyRaw(verifyKey, tbs, signature, hash))
    throw new AppError('CMS_ERR_SIGNATURE_MISMATCH', 'The certificate signature does not verify with the issuer key');
  return seq(tbs, sigAlg, bitString(signature));
}
