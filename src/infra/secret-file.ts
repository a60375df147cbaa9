/**
 * Secrets kept in the data dir (generated API keys, the OTP HMAC key, the sandbox RAO's
 * credentials). Written once with mode 0600 and read back on later starts, so a second process
 * (the Optimizer started by `npm start`) can pick up the same value.
 */
import { chmodSync, mkdirSync, openSync, readFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Reads the secret at `path`, creating it with `generate()` (mode 0600) if it does not exist. */
export function readOrCreateSecret(path: string, generate: () => string = () => randomBytes(32).toString('base64url')): string {
  try {
    const v = readFileSync(path, 'utf8').trim();
    if (v.length > 0) return v;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const value = generate();
  if (!writeSecretFileExclusive(path, value + '\n')) {
    // Another process created it between our read and our write: use theirs.
    return readFileSync(path, 'utf8').trim();
  }
  return value;
}

/** Writes `text` to a new file with mode 0600; returns false if the file already exists. */
export function writeSecretFileExclusive(path: string, text: string): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  // The umask may have narrowed the mode further, never widened it; make it exact.
  chmodSync(path, 0o600);
  return true;
}

/** File permission bits (e.g. 0o600), for tests and start-up checks. */
export function fileMode(path: string): number {
  return statSync(path).mode & 0o777;
}
