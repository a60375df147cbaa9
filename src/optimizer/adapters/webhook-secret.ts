/**
 * The HMAC key of webhook signatures: OPTIMIZER_WEBHOOK_SECRET, or a random key generated once
 * into `<optimizerDir>/webhook-secret` (mode 0600, created exclusively so Optimizers starting
 * together on a shared data dir agree). The key is the UTF-8 text of the file/variable, so a
 * receiver configures exactly that string (docs/async.md).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function loadWebhookSecret(fromEnv: string | null, file: string): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  const read = (): Buffer | null => {
    try {
      const text = readFileSync(file, 'utf8').trim();
      return text ? Buffer.from(text, 'utf8') : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };
  const existing = read();
  if (existing) return existing;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const text = randomBytes(32).toString('base64url');
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      // Another process is writing it: wait for its content.
      for (let i = 0; i < 100; i++) {
        const k = read();
        if (k) return k;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
      throw new Error(`${file} exists but stays empty`);
    }
    throw e;
  }
  try {
    writeSync(fd, `${text}\n`);
  } finally {
    closeSync(fd);
  }
  return Buffer.from(text, 'utf8');
}
