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
  /** The key, null when there is no file yet, 'empty' while its creator has not written it yet. */
  const read = (): Buffer | null | 'empty' => {
    let text: string;
    try {
      text = readFileSync(keyFile, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    if (text === '') return 'empty';
    const k = Buffer.from(text, 'base64');
    if (k.length !== 32) throw new Error(`${keyFile} does not hold a 32-byte base64 key`);
    return k;
  };
  const existing = read();
  if (existing instanceof Buffer) return existing;
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  let fd: number;
  try {
    fd = openSync(keyFile, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process created the file a moment ago: wait for its key rather than failing on the
    // empty file (or making a second key, which would seal secrets the other cannot open).
    for (let i = 0; i < 200; i++) {
      const k = read();
      if (k instanceof Buffer) return k;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
    throw new Error(`${keyFile} exists but stays empty`);
  }
  try {
    writeSync(fd, key.toString('base64') + '\n');
  } finally {
    closeSync(fd);
  }
  chmodSync(keyFile, 0o600);
  return key;
}
