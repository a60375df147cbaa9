import { randomBytes, randomUUID } from 'node:crypto';

/** 32 lowercase hex characters, the Gen A/B id style (Python's uuid4().hex). */
export function hexUid(): string {
  return randomUUID().replace(/-/g, '');
}

/** Dashed UUID v4, the Gen C id style. */
export function dashedUid(): string {
  return randomUUID();
}

/** Accepts either id style; rejects anything that could be a path trick. */
export function isUid(s: string): boolean {
  return /^[0-9a-f]{32}$/.test(s) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);
}

/** Random URL-safe secret of `bytes` bytes. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
