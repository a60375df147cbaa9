/**
 * The master key that seals RAO secrets at rest: ONESHOT_MASTER_KEY, or a key file generated once
 * at <data>/optimizer/master.key with mode 0600 (created exclusively, so two processes starting
 * together end up with the same key).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function loadMasterKey(fromEnv: Buffer | null, keyFile: string): Buffer {
  if (fromEnv) return fromEnv;
  const read = (): Buffer | null => {
    try {
      const k = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
      if (k.length !== 32) throw new Error(`${keyFile} does not hold a 32-byte base64 key`);
      return k;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };
  const existing = read();
  if (existing) return existing;
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  let fd: number;
  try {
    fd = openSync(keyFile, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return read()!;
    throw e;
  }
  try {
    writeSync(fd, key.toString('base64') + '\n');
  } finally {
    closeSync(fd);
  }
  chmodSync(keyFile, 0o600);
  return key;
}
