/**
 * Slow, salted hashes for RAO passwords and PINs (DESIGN.md §5). scrypt (RFC 7914) from
 * node:crypto runs on the libuv pool, off the event loop. The record is self-describing,
 * `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`, so parameters can be raised later without
 * invalidating existing accounts.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

const KEY_LEN = 32;

function run(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // maxmem must exceed 128·N·r bytes (RFC 7914 §2); leave headroom.
  const maxmem = 256 * params.N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, KEY_LEN, { ...params, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(16);
  const key = await run(secret, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of `secret` against a stored record; false on any malformed record. */
export async function verifySecret(secret: string, record: string): Promise<boolean> {
  const parts = record.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || N > 2 ** 22) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length !== KEY_LEN) return false;
  const key = await run(secret, salt, { N, r, p });
  return timingSafeEqual(key, expected);
}
