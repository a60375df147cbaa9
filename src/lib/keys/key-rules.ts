/** Input checks shared by every KeyStore implementation. */
import { AppError } from '../../shared/errors.js';
import type { CreateKeyRequest, HashAlgorithm, KeyAlgorithm, KeyPurpose, SignRequest } from './key-store.js';

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072'];
export const KEY_PURPOSES: readonly KeyPurpose[] = ['ca', 'tsa', 'ocsp', 'signer'];
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];

/** node:crypto digest names. */
export const NODE_HASH: Record<HashAlgorithm, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/**
 * Labels name persistent keys in the token and in the persistence port (often a file name),
 * so they are restricted to a safe alphabet; they must never carry identity data.
 */
const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkLabel(label: unknown): asserts label is string {
  if (typeof label !== 'string' || !LABEL_RE.test(label))
    throw new AppError('KEY_ERR_INVALID_REQUEST', 'Key labels are 1-64 characters of A-Z a-z 0-9 . _ - (starting alphanumeric)');
}

export function checkCreateRequest(req: CreateKeyRequest): void {
  if (!KEY_ALGORITHMS.includes(req?.algorithm))
    throw new AppError('KEY_ERR_INVALID_REQUEST', `Unsupported key algorithm ${String(req?.algorithm)}`);
  if (!KEY_PURPOSES.includes(req.purpose)) throw new AppError('KEY_ERR_INVALID_REQUEST', `Unknown key purpose ${String(req.purpose)}`);
  checkLabel(req.label);
}

export function checkSignRequest(req: SignRequest): void {
  if (!HASH_ALGORITHMS.includes(req?.hash)) throw new AppError('KEY_ERR_INVALID_REQUEST', `Unsupported hash ${String(req?.hash)}`);
  if (!(req.data instanceof Uint8Array)) throw new AppError('KEY_ERR_INVALID_REQUEST', 'Sign data must be bytes');
  if (typeof req.keyId !== 'string') throw new AppError('KEY_ERR_INVALID_REQUEST', 'Key id must be a string');
}

export const isPersistent = (p: KeyPurpose): boolean => p !== 'signer';
