/**
 * Keeps the SoftKeyStore's persistent keys (CA keys) as PKCS#8 DER files, mode 0600, under
 * <data dir>/tsc/keys/. Only for the embedded default: production keys live in the HSM
 * (TSC_KEYSTORE=pkcs11) and never touch the file system.
 */
import { mkdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyPersistence } from '../../lib/keys/index.js';

export class FileKeyPersistence implements KeyPersistence {
  constructor(private readonly dir: string) {}

  private path(label: string): string {
    // Labels are checked by lib/keys (A-Z a-z 0-9 . _ -, no leading dot): no path tricks possible.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(label)) throw new Error('invalid key label');
    return join(this.dir, `${label}.p8`);
  }

  async load(label: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.path(label)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async save(label: string, pkcs8Der: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const p = this.path(label);
    await writeFile(p, pkcs8Der, { mode: 0o600, flag: 'wx' });
    await chmod(p, 0o600);
  }

  async remove(label: string): Promise<void> {
    await rm(this.path(label), { force: true });
  }
}
